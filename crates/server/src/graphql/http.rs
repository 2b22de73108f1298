//! GraphQL over HTTP: `POST /v3/graphql` with `Authorization: Bearer <token>`, and a GraphiQL
//! page at `GET /v3/graphql` for people exploring the API in a browser.

use crate::app::AppState;
use crate::web::error::graphql as request_error;
use crate::web::RequestId;
use async_graphql::{BatchRequest, BatchResponse, Response as GqlResponse};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;
use tessera_core::Error;

/// A bearer token and the principal it authenticates: the extractor of every API request.
/// Without one, or with a bad one, the request is answered 401 with the challenge of RFC 6750
/// (a database failure: 503/500), before its body is read.
pub struct Bearer {
    pub token: String,
    pub principal: tessera_core::auth::Principal,
}

impl axum::extract::FromRequestParts<AppState> for Bearer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> Result<Self, Response> {
        let token = bearer_token(&parts.headers).ok_or_else(|| unauthorized(false))?;
        match state.core.authenticate(token).await {
            Ok(principal) => Ok(Bearer { token: token.to_string(), principal }),
            Err(Error::Unauthenticated) => Err(unauthorized(true)),
            Err(e) => Err(crate::web::error::graphql_domain(&e)),
        }
    }
}

/// 401 with the `WWW-Authenticate` challenge of RFC 6750.
fn unauthorized(invalid_token: bool) -> Response {
    let (message, challenge) = if invalid_token {
        ("the access token is invalid, expired or revoked", r#"Bearer realm="tessera", error="invalid_token""#)
    } else {
        ("authentication required: send Authorization: Bearer <token>", r#"Bearer realm="tessera""#)
    };
    let mut res = request_error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message);
    res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    res
}

/// The token of an `Authorization: Bearer …` header (scheme case-insensitive).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// `Accept: text/event-stream`: the client wants Server-Sent Events (graphql-sse).
fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').any(|m| m.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("text/event-stream")))
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

pub async fn post(
    State(state): State<AppState>,
    Extension(request_id): Extension<RequestId>,
    Bearer { token, principal }: Bearer,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            let status = rejection.status();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("request body is larger than {} bytes", crate::app::MAX_BODY_BYTES)
            } else {
                "could not read the request body".to_string()
            };
            return request_error(status, "BAD_USER_INPUT", &message);
        }
    };
    if !is_json(&headers) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_USER_INPUT",
            "send the GraphQL request as JSON with Content-Type: application/json",
        );
    }
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                &format!("the body is not a GraphQL request: {e}"),
            );
        }
    };
    if wants_event_stream(&headers) {
        return match batch {
            BatchRequest::Single(r) => super::sse::respond(state, token, principal, r),
            BatchRequest::Batch(_) => request_error(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                "an event stream carries one operation, not a batch",
            ),
        };
    }
    let requests = match batch {
        BatchRequest::Single(r) => vec![r],
        BatchRequest::Batch(list) if list.is_empty() || list.len() > super::MAX_BATCH => {
            let msg = format!("a batch must hold 1 to {} operations", super::MAX_BATCH);
            return request_error(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", &msg);
        }
        BatchRequest::Batch(list) => list,
    };
    let single = requests.len() == 1;
    let mut responses = Vec::with_capacity(requests.len());
    for req in requests {
        let req = req.data(principal.clone()).data(request_id.clone());
        responses.push(finish(state.schema.execute(req).await));
    }
    let codes: Vec<&str> = responses
        .iter()
        .flat_map(|r| r.errors.iter())
        .filter_map(|e| e.extensions.as_ref()?.get("code"))
        .filter_map(|v| match v {
            async_graphql::Value::String(s) => {
                crate::metrics::GRAPHQL_CODES.iter().find(|c| **c == s.as_str()).copied()
            }
            _ => None,
        })
        .collect();
    state.metrics.observe_graphql(responses.len(), &codes);
    if single && wants_graphql_response(&headers) {
        return graphql_response(responses.remove(0));
    }
    let out = if single { BatchResponse::Single(responses.remove(0)) } else { BatchResponse::Batch(responses) };
    Json(out).into_response()
}

/// The client accepts `application/graphql-response+json` (GraphQL over HTTP).
fn wants_graphql_response(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').any(|m| m.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case(GRAPHQL_RESPONSE)))
    })
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// A response in the `application/graphql-response+json` media type: a request that could not
/// be executed (syntax, validation, variables) is 400 without a `data` entry.
fn graphql_response(res: GqlResponse) -> Response {
    let rejected = is_request_error(&res);
    let mut body = serde_json::to_value(&res).unwrap_or_else(|_| json!({"errors": [{"message": "internal error"}]}));
    let status = if rejected {
        if let Some(obj) = body.as_object_mut() {
            obj.remove("data");
        }
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let content_type = HeaderValue::from_static("application/graphql-response+json; charset=utf-8");
    (status, [(header::CONTENT_TYPE, content_type)], body.to_string()).into_response()
}

/// Errors of the request itself (syntax, validation, variables) rather than of a field: the
/// operation never ran.
pub fn is_request_error(res: &GqlResponse) -> bool {
    !res.errors.is_empty() && res.data == async_graphql::Value::Null && res.errors.iter().all(|e| e.path.is_empty())
}

/// Give every error an `extensions.code`: errors raised before execution (syntax, validation,
/// variable coercion, depth and complexity limits) are the client's: `BAD_USER_INPUT`.
pub fn finish(mut res: GqlResponse) -> GqlResponse {
    for err in &mut res.errors {
        let ext = err.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "BAD_USER_INPUT");
        }
    }
    res
}

/// `GET /v3/graphql` without a WebSocket upgrade: the GraphiQL page for people; an operation in
/// the query string is refused (nothing is ever executed over GET, so no mutation can be
/// triggered by a link or an image).
pub async fn playground(query_string: Option<&str>) -> Response {
    let has_operation = query_string.is_some_and(|q| q.split('&').any(|kv| kv.split('=').next() == Some("query")));
    if has_operation {
        let mut res = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_USER_INPUT",
            "GraphQL operations are not executed over GET: POST them as application/json",
        );
        res.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return res;
    }
    let mut res = Html(PLAYGROUND).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PLAYGROUND_POLICY));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The GraphiQL page: React and GraphiQL at pinned versions from unpkg.com, each with its
/// Subresource Integrity hash (so a changed file is refused by the browser), and a start-up
/// script served from the binary (no inline script).
const PLAYGROUND: &str = include_str!("../../assets/graphiql.html");

/// What the playground may load: scripts only from here and the three pinned packages, styles
/// likewise (GraphiQL's editor also sets inline styles), fonts embedded in its stylesheet,
/// requests only to this server; never framed.
const PLAYGROUND_POLICY: &str = "default-src 'none'; \
    script-src 'self' https://unpkg.com/react@18.3.1/ https://unpkg.com/react-dom@18.3.1/ https://unpkg.com/graphiql@3.9.0/; \
    style-src 'self' 'unsafe-inline' https://unpkg.com/graphiql@3.9.0/; font-src data:; img-src 'self' data:; \
    connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'";

/// `GET /assets/graphiql-init.js`.
pub async fn playground_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../assets/graphiql-init.js"),
    )
}

/// `GET /assets/tessera-graphiql.css`.
pub async fn playground_style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../assets/tessera-graphiql.css"),
    )
}
