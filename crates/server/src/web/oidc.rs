//! OpenID Connect endpoints: discovery, the key set, userinfo, and RP-initiated logout.
//! ID tokens themselves come from the token endpoint (see `tessera_core::oauth::oidc`).

use super::pages::{app_error_page, error_page, render, LogoutPage};
use super::session::{session_cookie, set_cookie, with_cookie, SessionForm, SignedIn};
use crate::app::AppState;
use crate::graphql::http::bearer_token;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::json;
use std::collections::HashMap;
use tessera_core::auth::Scope;

/// `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0).
pub async fn configuration(State(state): State<AppState>) -> Response {
    let iss = &state.config.issuer;
    let mut doc = super::oauth::server_metadata(iss);
    let oidc = json!({
        "userinfo_endpoint": format!("{iss}/v3/oauth2/userinfo"),
        "end_session_endpoint": format!("{iss}/v3/oauth2/logout"),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": state.core.id_token_algs(),
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash",
            "name", "given_name", "family_name", "email", "email_verified"],
        "acr_values_supported": ["1", "2"],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    });
    if let (Some(doc), Some(extra)) = (doc.as_object_mut(), oidc.as_object()) {
        doc.extend(extra.clone());
    }
    let mut res = Json(doc).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    res
}

/// `GET /v3/oauth2/jwks`: the keys that verify ID tokens. Clients may cache it for an hour; a
/// new key is published a day before it signs anything.
pub async fn jwks(State(state): State<AppState>) -> Response {
    match state.core.jwks().await {
        Ok(set) => {
            let mut res = Json(set).into_response();
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
            res
        }
        Err(e) => super::error::ApiError(e).into_response(),
    }
}

/// An RFC 6750 §3 refusal at userinfo.
fn bearer_refusal(status: StatusCode, challenge: &'static str) -> Response {
    (status, [(header::WWW_AUTHENTICATE, challenge), (header::CACHE_CONTROL, "no-store")]).into_response()
}

/// `GET` or `POST /v3/oauth2/userinfo`: who the token's user is, as far as its scopes tell.
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = bearer_token(&headers) else {
        return bearer_refusal(StatusCode::UNAUTHORIZED, "Bearer");
    };
    let principal = match state.core.authenticate(token).await {
        Ok(p) => p,
        Err(tessera_core::Error::Unauthenticated) => {
            return bearer_refusal(StatusCode::UNAUTHORIZED, r#"Bearer error="invalid_token""#)
        }
        Err(e) => return super::error::ApiError(e).into_response(),
    };
    if !principal.scopes.contains(&Scope::OpenId) {
        return bearer_refusal(StatusCode::FORBIDDEN, r#"Bearer error="insufficient_scope", scope="openid""#);
    }
    let info = match state.core.userinfo(&principal.user, &principal.scopes).await {
        Ok(info) => info,
        Err(e) => return super::error::ApiError(e).into_response(),
    };
    let mut res = Json(info).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Where a logout may send the browser: a registered `post_logout_redirect_uri` with `state`.
/// Anything else is refused with a page, so the endpoint never redirects anywhere unregistered.
struct Logout {
    target: Option<String>,
    /// The subject of a valid `id_token_hint`.
    hinted: Option<String>,
    /// The fields to carry through the confirmation form.
    fields: Vec<(&'static str, String)>,
}

async fn logout_request(state: &AppState, p: &HashMap<String, String>) -> Result<Logout, Response> {
    let bad = |msg: &str| app_error_page(StatusCode::BAD_REQUEST, "This sign-out link is not valid", msg);
    let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let hint = match get("id_token_hint") {
        None => None,
        Some(t) => match state.core.read_id_token_hint(t).await {
            Ok(Some(h)) => Some(h),
            Ok(None) => return Err(bad("The id_token_hint was not issued by this server.")),
            Err(e) => return Err(super::error::ApiError(e).into_response()),
        },
    };
    let client_id = match (get("client_id"), &hint) {
        (Some(c), Some(h)) if c != h.aud => return Err(bad("The client_id does not match the id_token_hint.")),
        (Some(c), _) => Some(c.to_string()),
        (None, Some(h)) => Some(h.aud.clone()),
        (None, None) => None,
    };
    let target = match get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let Some(client_id) = &client_id else {
                return Err(bad("A post_logout_redirect_uri needs a client_id or an id_token_hint."));
            };
            let app = match state.core.app(client_id).await {
                Ok(Some(app)) => app,
                Ok(None) => return Err(bad("No application is registered with this client_id.")),
                Err(e) => return Err(super::error::ApiError(e).into_response()),
            };
            if !app.post_logout_redirect_uris.iter().any(|r| r == uri) {
                return Err(bad("The post_logout_redirect_uri is not registered for this application."));
            }
            let mut url = url::Url::parse(uri).map_err(|_| bad("The post_logout_redirect_uri cannot be used."))?;
            if let Some(st) = get("state") {
                url.query_pairs_mut().append_pair("state", st);
            }
            Some(url.to_string())
        }
    };
    let fields = ["post_logout_redirect_uri", "state", "client_id"]
        .into_iter()
        .filter_map(|k| get(k).map(|v| (k, v.to_string())))
        .chain(client_id.filter(|_| get("client_id").is_none()).map(|c| ("client_id", c)))
        .collect();
    Ok(Logout { target, hinted: hint.map(|h| h.sub), fields })
}

/// The end of a logout: the session ended and its cookie cleared, then the registered target
/// or a page saying so.
async fn signed_out(state: &AppState, session: Option<&str>, target: Option<String>) -> Response {
    let mut cleared = None;
    if let Some(session) = session {
        if let Err(e) = state.core.end_session(session).await {
            e.log("cannot end session");
        }
        cleared = Some(set_cookie(state, session_cookie(state), "", 0, "Lax"));
    }
    let res = match target {
        Some(t) => Redirect::to(&t).into_response(),
        None => error_page(StatusCode::OK, "Signed out", "You are signed out."),
    };
    with_cookie(res, cleared)
}

/// `GET /v3/oauth2/logout` (OpenID Connect RP-Initiated Logout 1.0). With an ID token of the
/// signed-in person as hint, they are signed out at once; otherwise they are asked first, so
/// that another site cannot sign them out by linking here.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let p = match super::oauth::params(query.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(msg) => return app_error_page(StatusCode::BAD_REQUEST, "This sign-out link is not valid", &msg),
    };
    let req = match logout_request(&state, &p).await {
        Ok(r) => r,
        Err(res) => return res,
    };
    match SignedIn::of(&state, &headers).await {
        None => signed_out(&state, None, req.target).await,
        Some(who) if req.hinted.as_deref() == Some(who.user.id.as_str()) => {
            tracing::info!(user = %who.user.id, "signed out by an app");
            signed_out(&state, Some(&who.session), req.target).await
        }
        Some(who) => {
            let page = LogoutPage {
                csrf: who.csrf(),
                user_email: who.user.email.clone().unwrap_or_default(),
                hidden: req.fields,
            };
            render(StatusCode::OK, &page, None)
        }
    }
}

/// `POST /v3/oauth2/logout`: the confirmation form, from our own page.
pub async fn confirm_logout(State(state): State<AppState>, form: SessionForm) -> Response {
    let p: HashMap<String, String> = form.fields.iter().cloned().collect();
    let req = match logout_request(&state, &p).await {
        Ok(r) => r,
        Err(res) => return res,
    };
    if form.get("decision") != Some("logout") {
        return error_page(StatusCode::BAD_REQUEST, "Invalid request", "Choose Sign out.");
    }
    tracing::info!(user = %form.who.user.id, "signed out");
    signed_out(&state, Some(&form.who.session), req.target).await
}
