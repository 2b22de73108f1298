//! The platform's REST v3 API. Each route is one operation of the GraphQL schema, run with the
//! caller's principal: the same resolvers, the same use cases and the same `decide`, so REST has
//! no rule of its own. Answers are `{"data": …}` with the GraphQL object whole (its selection
//! written out from the schema, [`select`]); lists add `totalItems`, `next` and `prev`. Errors
//! are `{"error": CODE, "message"}` with the HTTP status of the code.

mod elements;
mod identity;
pub mod openapi;
pub mod select;

use crate::app::AppState;
use crate::web::RequestId;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put, MethodRouter};
use axum::{Json, Router};
use serde_json::{json, Value};
use tessera_core::auth::Principal;
use tessera_core::Error;

/// Every REST route: method, path (axum's syntax), handler. The OpenAPI document lists the same
/// routes (a test holds them together).
pub fn routes() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/v3/users/me", get(identity::me)),
        (Method::GET, "/v3/users/me/workspaces", get(identity::my_workspaces)),
        (Method::GET, "/v3/users/me/role", get(identity::my_role)),
        (Method::GET, "/v3/users", get(identity::users)),
        (Method::GET, "/v3/users/{user_id}/organizations", get(identity::user_organizations)),
        (Method::GET, "/v3/roles", get(identity::roles)),
        (Method::POST, "/v3/workspaces", post(identity::create_workspace)),
        (Method::GET, "/v3/workspaces/{workspace_id}", get(identity::workspace)),
        (Method::GET, "/v3/organizations/{org_id}", get(identity::organization)),
        (Method::GET, "/v3/organizations/{org_id}/members", get(identity::members)),
        (Method::GET, "/v3/workspaces/{workspace_id}/elements", get(elements::list)),
        (Method::POST, "/v3/workspaces/{workspace_id}/elements", post(elements::create)),
        (Method::GET, "/v3/workspaces/{workspace_id}/elements/{element_id}", get(elements::one)),
        (Method::PATCH, "/v3/workspaces/{workspace_id}/elements/{element_id}", patch(elements::update)),
        (Method::DELETE, "/v3/workspaces/{workspace_id}/elements/{element_id}", delete(elements::remove)),
        (Method::PUT, "/v3/workspaces/{workspace_id}/assets/uploads/{upload_id}", put(elements::finish_upload)),
        (Method::GET, "/v3/openapi.json", get(openapi::document)),
    ]
}

/// The routes, ready to merge (routes sharing a path share one method router).
pub fn router() -> Router<AppState> {
    let mut by_path: Vec<(&'static str, MethodRouter<AppState>)> = Vec::new();
    for (_, path, handler) in routes() {
        match by_path.iter_mut().find(|(p, _)| *p == path) {
            Some((_, existing)) => *existing = std::mem::take(existing).merge(handler),
            None => by_path.push((path, handler)),
        }
    }
    by_path.into_iter().fold(Router::new(), |r, (path, h)| r.route(path, h))
}

/// A REST error: `{"error": CODE, "message"}` with the code's status.
pub struct RestError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl RestError {
    pub(crate) fn new(code: &str, message: impl Into<String>) -> Self {
        RestError { status: status_of(code), code: code.to_owned(), message: message.into() }
    }
}

impl From<Error> for RestError {
    fn from(e: Error) -> Self {
        e.log("REST request failed");
        RestError::new(e.code(), e.public_message())
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(json!({"error": self.code, "message": self.message}))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(r#"Bearer realm="tessera""#));
        }
        if matches!(self.status, StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE) {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
        }
        res
    }
}

/// The HTTP status of an error code, as GraphQL's `extensions.code` names it.
fn status_of(code: &str) -> StatusCode {
    match code {
        "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
        "FORBIDDEN" => StatusCode::FORBIDDEN,
        "NOT_FOUND" => StatusCode::NOT_FOUND,
        "CONFLICT" => StatusCode::CONFLICT,
        "INTERNAL" => StatusCode::INTERNAL_SERVER_ERROR,
        "UNAVAILABLE" => StatusCode::SERVICE_UNAVAILABLE,
        "TOO_MANY_REQUESTS" => StatusCode::TOO_MANY_REQUESTS,
        "PAYLOAD_TOO_LARGE" => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The caller of a REST route: a bearer token, authenticated as for GraphQL.
pub struct Caller {
    principal: Principal,
    request_id: Option<RequestId>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, RestError> {
        let Some(token) = crate::graphql::http::bearer_token(&parts.headers) else {
            return Err(RestError::new(
                "UNAUTHENTICATED",
                "authentication required: send Authorization: Bearer <token>",
            ));
        };
        let principal = state.core.authenticate(token).await.map_err(|e| match e {
            Error::Unauthenticated => {
                RestError::new("UNAUTHENTICATED", "the access token is invalid, expired or revoked")
            }
            other => RestError::from(other),
        })?;
        Ok(Caller { principal, request_id: parts.extensions.get::<RequestId>().cloned() })
    }
}

impl Caller {
    /// Run one GraphQL operation as the caller; its data, or its first error.
    async fn run(&self, state: &AppState, query: &str, variables: Value) -> Result<Value, RestError> {
        let mut req = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables))
            .data(self.principal.clone());
        if let Some(id) = &self.request_id {
            req = req.data(id.clone());
        }
        let res = crate::graphql::http::finish(state.schema.execute(req).await);
        if let Some(e) = res.errors.first() {
            let code = match e.extensions.as_ref().and_then(|x| x.get("code")) {
                Some(async_graphql::Value::String(c)) => c.clone(),
                _ => "BAD_USER_INPUT".to_owned(),
            };
            return Err(RestError::new(&code, e.message.clone()));
        }
        Ok(res.data.into_json().unwrap_or_default())
    }
}

/// `{"data": value}`.
fn data(value: Value) -> Response {
    Json(json!({ "data": value })).into_response()
}

/// A paged list (`{results totalItems next prev}`) as `{"data": results, totalItems, next, prev}`.
fn page(paged: &Value) -> Response {
    Json(json!({
        "data": paged["results"],
        "totalItems": paged["totalItems"],
        "next": paged["next"],
        "prev": paged["prev"],
    }))
    .into_response()
}

/// A JSON request body, or a clear 400.
fn body(bytes: &[u8]) -> Result<serde_json::Map<String, Value>, RestError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(RestError::new("BAD_USER_INPUT", "the body must be a JSON object")),
        Err(e) => Err(RestError::new("BAD_USER_INPUT", format!("the body is not JSON: {e}"))),
    }
}
