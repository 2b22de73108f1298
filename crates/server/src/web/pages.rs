//! Server-rendered pages: templates (one typed struct per page), cookies, CSRF protection,
//! security headers, and sign-in/sign-out.

use crate::app::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use rand::RngCore;
use serde::Deserialize;
use std::net::SocketAddr;
use tessera_core::model::User;
use tessera_core::oauth::{constant_time_eq, App};

pub const SESSION_COOKIE: &str = "tessera_session";
pub const CSRF_COOKIE: &str = "tessera_csrf";

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub csrf: String,
    pub next: String,
    pub email: String,
    pub error: Option<String>,
    pub app_name: Option<String>,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage {
    pub csrf: String,
    pub app_name: String,
    pub owner_name: String,
    pub user_email: String,
    pub hidden: Vec<(&'static str, String)>,
    pub scopes: Vec<(&'static str, &'static str)>,
    pub workspaces: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: String,
    pub message: String,
}

/// A bot on the portal page: (name, id, [(token id, live)]).
pub type BotRow = (String, String, Vec<(String, bool)>);

#[derive(Template)]
#[template(path = "portal.html")]
pub struct PortalPage {
    pub csrf: String,
    pub user_email: String,
    pub apps: Vec<App>,
    pub grants: Vec<(String, String, String)>,
    pub orgs: Vec<(String, Vec<BotRow>)>,
}

#[derive(Template)]
#[template(path = "app.html")]
pub struct AppPage {
    pub csrf: String,
    pub app: App,
    pub secret: Option<String>,
}

/// Render a page with the security headers every page carries.
pub fn render(status: StatusCode, page: &impl Template, csrf_cookie: Option<String>) -> Response {
    let body = match page.render() {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let mut res = (status, Html(body)).into_response();
    if let Some(c) = csrf_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// Headers for every HTML page: no framing (clickjacking), no referrer (codes and states in
/// URLs must not leak), scripts only from here, nothing cached.
pub async fn page_headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    render(status, &ErrorPage { title: title.into(), message: message.into() }, None)
}

/// The value of a cookie in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64, same_site: &str) -> String {
    let secure = if state.config.https() { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age_secs}{secure}")
}

/// The CSRF token for the forms of this response (double-submit cookie): the request's if it
/// has one, else a new one with the cookie that sets it.
pub fn csrf(state: &AppState, headers: &HeaderMap) -> (String, Option<String>) {
    if let Some(v) = cookie(headers, CSRF_COOKIE).filter(|v| v.len() == 43) {
        return (v.to_string(), None);
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    use base64::Engine;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let set = set_cookie(state, CSRF_COOKIE, &token, 12 * 3600, "Strict");
    (token, Some(set))
}

/// Whether a form's CSRF field matches the cookie.
pub fn csrf_ok(headers: &HeaderMap, field: &str) -> bool {
    cookie(headers, CSRF_COOKIE).is_some_and(|c| !field.is_empty() && constant_time_eq(c, field))
}

pub fn csrf_refused() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "Request refused",
        "This form was not sent from a page of this site, or it has expired. Go back, reload the page and try again.",
    )
}

/// The signed-in user of this request, if any.
pub async fn current_user(state: &AppState, headers: &HeaderMap) -> Option<(User, String)> {
    let cookie = cookie(headers, SESSION_COOKIE)?;
    match state.core.session_user(cookie).await {
        Ok(u) => u.map(|u| (u, cookie.to_string())),
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            None
        }
    }
}

/// A `next` target must be a path on this site; anything else goes to the portal.
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control());
    if ok {
        next.to_string()
    } else {
        "/portal".to_string()
    }
}

/// After signing in, continue the interrupted request without `prompt=login`, which has now
/// been satisfied.
fn without_prompt_login(next: &str) -> String {
    let Some((path, query)) = next.split_once('?') else { return next.to_string() };
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, v)| !(k == "prompt" && v.split(' ').any(|p| p == "login")))
        .collect();
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    format!("{path}?{query}")
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn login_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    let (csrf, set) = csrf(&state, &headers);
    let next = safe_next(q.next.as_deref().unwrap_or("/portal"));
    render(StatusCode::OK, &LoginPage { csrf, next, email: String::new(), error: None, app_name: None }, set)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    if !csrf_ok(&headers, &f.csrf) {
        return csrf_refused();
    }
    let next = safe_next(&f.next);
    let again = |status: StatusCode, error: &str| {
        let (csrf, set) = csrf(&state, &headers);
        let page =
            LoginPage { csrf, next: next.clone(), email: f.email.clone(), error: Some(error.into()), app_name: None };
        render(status, &page, set)
    };
    let account = f.email.trim().to_lowercase();
    if !state.limits.login_allowed(&account, peer.ip()) {
        tracing::warn!(ip = %peer.ip(), "login rate limit reached");
        return again(StatusCode::TOO_MANY_REQUESTS, "Too many sign-in attempts. Wait a few minutes and try again.");
    }
    match state.core.login(&f.email, &f.password, &peer.ip().to_string()).await {
        Ok(user) => match state.core.start_session(&user.id).await {
            Ok(session) => {
                tracing::info!(user = %user.id, "signed in");
                let cookie = set_cookie(&state, SESSION_COOKIE, &session, state.config.oauth.session_ttl_secs, "Lax");
                let mut res = Redirect::to(&without_prompt_login(&next)).into_response();
                if let Ok(v) = HeaderValue::from_str(&cookie) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
                res
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot start a session");
                again(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong. Try again.")
            }
        },
        Err(tessera_core::Error::Unauthenticated) => {
            tracing::info!(ip = %peer.ip(), "failed sign-in");
            again(StatusCode::UNAUTHORIZED, "The email or password is not correct.")
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in failed");
            again(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong. Try again.")
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<CsrfForm>) -> Response {
    if !csrf_ok(&headers, &f.csrf) {
        return csrf_refused();
    }
    if let Some(c) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = state.core.end_session(c).await {
            tracing::error!(error = %e, "cannot end session");
        }
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(&state, SESSION_COOKIE, "", 0, "Lax")) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../assets/tessera.css"),
    )
}
