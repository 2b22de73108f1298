//! Server-rendered pages: templates (one typed struct per page), cookies, CSRF protection,
//! security headers, and sign-in/sign-out.

use crate::app::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use tessera_core::oauth::App;

use super::limits::Admission;
use super::session::{csrf_refused, login_csrf, login_csrf_ok, session_cookie, set_cookie, with_cookie, SessionForm};

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

/// A device's request: (app name, [(scope, words)]).
pub type DeviceRequest = (String, Vec<(&'static str, &'static str)>);

#[derive(Template)]
#[template(path = "device.html")]
pub struct DevicePage {
    pub csrf: String,
    pub user_email: String,
    pub user_code: String,
    pub request: Option<DeviceRequest>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "sso.html")]
pub struct SsoPage {
    pub csrf: String,
    pub next: String,
    pub email: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "second_factor.html")]
pub struct SecondFactorPage {
    pub csrf: String,
    pub next: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "totp_setup.html")]
pub struct TotpSetupPage {
    pub csrf: String,
    pub secret: String,
    pub qr_svg: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub codes: Vec<String>,
}

#[derive(Template)]
#[template(path = "notice.html")]
pub struct NoticePage {
    pub title: String,
    pub message: String,
    pub link: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "forgot.html")]
pub struct ForgotPage {
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "signup.html")]
pub struct SignupPage {
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "reset.html")]
pub struct ResetPage {
    pub csrf: String,
    pub token: String,
    pub error: Option<String>,
    pub min_chars: usize,
}

#[derive(Template)]
#[template(path = "invitation.html")]
pub struct InvitationPage {
    pub csrf: String,
    pub next: String,
    pub token: String,
    pub email: String,
    pub org_name: String,
    pub role: String,
    pub has_account: bool,
    pub signed_in_as_invitee: bool,
    pub error: Option<String>,
    pub min_chars: usize,
}

#[derive(Template)]
#[template(path = "logout.html")]
pub struct LogoutPage {
    pub csrf: String,
    pub user_email: String,
    pub hidden: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: String,
    pub message: String,
    /// An app's link brought the person here (an authorization or sign-out request): the
    /// page says the app may be misconfigured, instead of offering the portal.
    pub from_app: bool,
}

/// A bot on the portal page: (name, id, [(token id, live)]).
#[derive(Template)]
#[template(path = "bot_token.html")]
pub struct BotTokenPage {
    pub bot: String,
    pub bot_id: String,
    pub token: String,
}

#[derive(Template)]
#[template(path = "portal.html")]
pub struct PortalPage {
    pub csrf: String,
    pub user_email: String,
    pub apps: Vec<App>,
    pub grants: Vec<(String, String, String)>,
    /// Organizations the person administers.
    pub orgs: Vec<super::org_admin::OrgAdmin>,
    pub email_verified: bool,
    pub totp_enabled: bool,
    /// This server's public URL (for the single sign-on links shown).
    pub base: String,
    /// The person's live sessions: since, until, with a second factor, this browser's.
    pub sessions: Vec<(String, String, bool, bool)>,
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
    with_cookie((status, Html(body)).into_response(), csrf_cookie)
}

/// The content policy of every page: everything from here only — except, with an object store
/// of its own origin, the files pages upload there and show from there.
pub fn page_policy(storage_origin: Option<&str>) -> HeaderValue {
    const BASE: &str = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
    let policy = match storage_origin {
        Some(o) => format!("{BASE}; img-src 'self' {o}; connect-src 'self' {o}"),
        None => BASE.to_string(),
    };
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static(BASE))
}

/// Headers for every HTML page: no framing (clickjacking), no referrer (codes and states in
/// URLs must not leak), scripts only from here, nothing cached.
pub async fn page_headers(
    axum::extract::State(state): axum::extract::State<crate::app::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, state.page_policy.clone());
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    render(status, &ErrorPage { title: title.into(), message: message.into(), from_app: false }, None)
}

/// An error in a request an app sent the person with (see [`ErrorPage::from_app`]).
pub fn app_error_page(status: StatusCode, title: &str, message: &str) -> Response {
    render(status, &ErrorPage { title: title.into(), message: message.into(), from_app: true }, None)
}

/// A domain error as a page for people, with its status.
pub fn failed(e: tessera_core::Error) -> Response {
    e.log("page action failed");
    error_page(super::error::status(&e), "That did not work", &e.public_message())
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

/// After signing in, continue the interrupted request without `prompt=login` or `max_age`,
/// which the new sign-in has satisfied.
pub fn without_prompt_login(next: &str) -> String {
    let Some((path, query)) = next.split_once('?') else { return next.to_string() };
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, v)| !(k == "prompt" && v.split(' ').any(|p| p == "login")) && k != "max_age")
        .collect();
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    format!("{path}?{query}")
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn login_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    let (csrf, set) = login_csrf(&state, &headers);
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
    if !login_csrf_ok(&state, &headers, &f.csrf) {
        return csrf_refused();
    }
    let next = safe_next(&f.next);
    let again = |status: StatusCode, error: &str| {
        let (csrf, set) = login_csrf(&state, &headers);
        let page =
            LoginPage { csrf, next: next.clone(), email: f.email.clone(), error: Some(error.into()), app_name: None };
        let mut res = render(status, &page, set);
        if status == StatusCode::TOO_MANY_REQUESTS {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        }
        res
    };
    let client = state.limits.client_address(peer.ip(), &headers);
    let account = f.email.trim().to_lowercase();
    match state.limits.login(&account, client).await {
        Admission::Refused => {
            tracing::warn!(ip = %client, "login rate limit reached");
            return again(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many sign-in attempts. Wait a few minutes and try again.",
            );
        }
        Admission::After(delay) => tokio::time::sleep(delay).await,
        Admission::Now => {}
    }
    let user = match state.core.login(&f.email, &f.password, &client.to_string()).await {
        Ok(user) => user,
        Err(e) => return login_failed(e, again, client),
    };
    // With two-factor sign-in on, the password only opens the second step.
    match state.core.totp_enabled(&user.id).await {
        Ok(false) => {}
        Ok(true) => return super::two_factor::second_step(&state, &user, &next).await,
        Err(e) => return login_failed(e, again, client),
    }
    match state.core.start_session(&user.id, false).await {
        Ok(session) => {
            tracing::info!(user = %user.id, "signed in");
            signed_in(&state, &session, &next)
        }
        Err(e) => login_failed(e, again, client),
    }
}

/// The response that completes a sign-in: the session cookie, and on to `next`.
pub fn signed_in(state: &AppState, session: &str, next: &str) -> Response {
    let ttl = state.config.oauth.session_ttl_secs;
    let cookie = set_cookie(state, session_cookie(state), session, ttl, "Lax");
    with_cookie(Redirect::to(&without_prompt_login(next)).into_response(), Some(cookie))
}

/// A failed sign-in as the login page shows it again.
fn login_failed(e: tessera_core::Error, again: impl Fn(StatusCode, &str) -> Response, client: IpAddr) -> Response {
    match e {
        tessera_core::Error::Unauthenticated => {
            tracing::info!(ip = %client, "failed sign-in");
            again(StatusCode::UNAUTHORIZED, "The email or password is not correct.")
        }
        tessera_core::Error::Busy(_) => {
            again(StatusCode::TOO_MANY_REQUESTS, "Too many people are signing in right now. Try again in a moment.")
        }
        e => {
            e.log("sign-in failed");
            again(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong. Try again.")
        }
    }
}

pub async fn logout(State(state): State<AppState>, form: SessionForm) -> Response {
    if let Err(e) = state.core.end_session(&form.who.session).await {
        e.log("cannot end session");
    }
    let cleared = set_cookie(&state, session_cookie(&state), "", 0, "Lax");
    with_cookie(Redirect::to("/login").into_response(), Some(cleared))
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../assets/tessera.css"),
    )
}
