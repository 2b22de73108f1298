//! Pages for accounts by e-mail: forgotten passwords, invitations, address verification.
//! Forms of people not signed in carry the sign-in form's CSRF token; answers that could tell
//! whether an address has an account are the same either way.

use super::pages::{
    error_page, failed, render, DevicePage, ForgotPage, InvitationPage, NoticePage, ResetPage, SignupPage,
};
use super::session::{
    csrf_refused, login_csrf, login_csrf_ok, session_cookie, set_cookie, with_cookie, SessionForm, SignedIn,
};
use crate::app::AppState;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::net::SocketAddr;
use tessera_core::accounts::{NewAccount, MIN_PASSWORD_CHARS};
use tessera_core::auth::Principal;
use tessera_core::ids::OrgId;
use tessera_core::ports::LinkPurpose;
use tessera_core::Error;

fn notice(title: &str, message: &str, link: Option<(&str, &str)>) -> Response {
    let link = link.map(|(h, t)| (h.to_string(), t.to_string()));
    render(StatusCode::OK, &NoticePage { title: title.into(), message: message.into(), link }, None)
}

fn dead_link() -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "This link no longer works",
        "It has expired, was already used, or was withdrawn. Ask for a new one.",
    )
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct Fields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
}

/// `GET /password/forgot`.
pub async fn forgot_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (csrf, set) = login_csrf(&state, &headers);
    render(StatusCode::OK, &ForgotPage { csrf }, set)
}

/// `POST /password/forgot`: the same answer, at once, whether or not the address has an
/// account; the mail (if any) is prepared after the answer.
pub async fn forgot(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let message = "If an account exists for that address, we have sent it a link to choose a new password. The link works once, for 30 minutes.";
    mail_request(&state, (peer, &headers), &f, "password reset", message, |core, email| async move {
        core.request_password_reset(&email).await
    })
    .await
}

/// A form asking for a link by mail: the same answer, at once, for every address; `send`
/// runs after the answer, within the mail limits (over them, nothing is sent).
async fn mail_request<F, Fut>(
    state: &AppState,
    (peer, headers): (SocketAddr, &HeaderMap),
    f: &Fields,
    what: &'static str,
    message: &str,
    send: F,
) -> Response
where
    F: FnOnce(tessera_core::service::Core, String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = tessera_core::Result<()>> + Send,
{
    if !login_csrf_ok(state, headers, &f.csrf) {
        return csrf_refused();
    }
    let client = state.limits.client_address(peer.ip(), headers);
    let email = f.email.trim().to_lowercase();
    if state.limits.mail_allowed(&email, client).await {
        let core = state.core.clone();
        tokio::spawn(async move {
            if let Err(e) = send(core, email).await {
                e.log(&format!("{what} request failed"));
            }
        });
    } else {
        tracing::info!(ip = %client, "{what} request over the limit: no mail");
    }
    notice("Check your e-mail", message, Some(("/login", "Back to sign in")))
}

/// `GET /signup`.
pub async fn signup_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (csrf, set) = login_csrf(&state, &headers);
    render(StatusCode::OK, &SignupPage { csrf }, set)
}

/// `POST /signup`: the same answer, at once, for every address; a link to join goes out (after
/// the answer) only if the address's domain is open for sign-up.
pub async fn signup(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let message = "If your organization lets people with addresses at your domain join, we have sent a link to that address. The link works once, for 24 hours.";
    mail_request(&state, (peer, &headers), &f, "sign-up", message, |core, email| async move {
        core.request_signup(&email).await
    })
    .await
}

/// `GET /password/reset?token=…`.
pub async fn reset_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<TokenQuery>) -> Response {
    match state.core.link_is_live(LinkPurpose::Reset, &q.token).await {
        Ok(true) => {}
        Ok(false) => return dead_link(),
        Err(e) => return failed(e),
    }
    let (csrf, set) = login_csrf(&state, &headers);
    render(StatusCode::OK, &ResetPage { csrf, token: q.token, error: None, min_chars: MIN_PASSWORD_CHARS }, set)
}

/// `POST /password/reset`: the new password, then signed out everywhere.
pub async fn reset(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    if !login_csrf_ok(&state, &headers, &f.csrf) {
        return csrf_refused();
    }
    match state.core.reset_password(&f.token, &f.password).await {
        Ok(user) => {
            tracing::info!(user = %user.id, "password reset");
            let cleared = set_cookie(&state, session_cookie(&state), "", 0, "Lax");
            let page = notice(
                "Password changed",
                "Your password has been changed, and every device that was signed in has been signed out.",
                Some(("/login", "Sign in")),
            );
            with_cookie(page, Some(cleared))
        }
        Err(Error::BadInput(msg)) => {
            let (csrf, set) = login_csrf(&state, &headers);
            let page = ResetPage { csrf, token: f.token, error: Some(msg), min_chars: MIN_PASSWORD_CHARS };
            render(StatusCode::BAD_REQUEST, &page, set)
        }
        Err(Error::NotFound(_)) => dead_link(),
        Err(e) => failed(e),
    }
}

/// `GET /invitations/accept?token=…`.
pub async fn invitation_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    invitation_form(&state, &headers, q.token, None, StatusCode::OK).await
}

async fn invitation_form(
    state: &AppState,
    headers: &HeaderMap,
    token: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let inv = match state.core.invitation(&token).await {
        Ok(Some(inv)) => inv,
        Ok(None) => return dead_link(),
        Err(e) => return failed(e),
    };
    let who = SignedIn::of(state, headers).await;
    let signed_in_as_invitee =
        who.as_ref().and_then(|w| w.user.email.as_deref()).is_some_and(|e| e.eq_ignore_ascii_case(&inv.email));
    let (csrf, set) = match &who {
        Some(w) if signed_in_as_invitee => (w.csrf(), None),
        _ => login_csrf(state, headers),
    };
    let back = format!("/invitations/accept?token={token}");
    let page = InvitationPage {
        csrf,
        next: url::form_urlencoded::byte_serialize(back.as_bytes()).collect(),
        token,
        email: inv.email,
        org_name: inv.org_name,
        role: inv.role,
        has_account: inv.has_account,
        signed_in_as_invitee,
        error,
        min_chars: MIN_PASSWORD_CHARS,
    };
    render(status, &page, set)
}

/// `POST /invitations/accept`: a new account for the invited address, signed in at once.
pub async fn accept(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    if !login_csrf_ok(&state, &headers, &f.csrf) {
        return csrf_refused();
    }
    let new = NewAccount {
        first_name: f.first_name.trim().into(),
        last_name: f.last_name.trim().into(),
        password: f.password,
    };
    let user = match state.core.accept_invitation(&f.token, Err(new)).await {
        Ok(u) => u,
        Err(Error::BadInput(msg)) => {
            return invitation_form(&state, &headers, f.token, Some(msg), StatusCode::BAD_REQUEST).await
        }
        Err(Error::NotFound(_)) => return dead_link(),
        Err(e) => return failed(e),
    };
    tracing::info!(user = %user.id, "invitation accepted: new account");
    match state.core.start_session(&user.id, false).await {
        Ok(session) => {
            let ttl = state.config.oauth.session_ttl_secs;
            let cookie = set_cookie(&state, session_cookie(&state), &session, ttl, "Lax");
            with_cookie(Redirect::to("/portal").into_response(), Some(cookie))
        }
        Err(e) => failed(e),
    }
}

/// `POST /invitations/join`: the signed-in invitee joins with their account.
pub async fn join(State(state): State<AppState>, form: SessionForm) -> Response {
    let token = form.get("token").unwrap_or_default().to_string();
    match state.core.accept_invitation(&token, Ok(&form.who.user)).await {
        Ok(user) => {
            tracing::info!(user = %user.id, "invitation accepted");
            Redirect::to("/portal").into_response()
        }
        Err(Error::NotFound(_)) => dead_link(),
        Err(e) => failed(e),
    }
}

/// `POST /portal/orgs/{org}/invitations`: an owner or admin invites an address. The answer is
/// the same whether or not the address has an account.
pub async fn invite(State(state): State<AppState>, Path(org): Path<String>, form: SessionForm) -> Response {
    let actor = Principal::session(form.who.user.clone());
    if !state.limits.invite_allowed(actor.user.id.as_str()).await {
        return error_page(StatusCode::TOO_MANY_REQUESTS, "Too many invitations", "Try again in a few minutes.");
    }
    let (email, role) = (form.get("email").unwrap_or_default(), form.get("role").unwrap_or("user"));
    match state.core.invite(&actor, &OrgId(org), email, role).await {
        Ok(()) => Redirect::to("/portal").into_response(),
        Err(e) => failed(e),
    }
}

/// `POST /portal/email/verify`: mail the signed-in person a link that confirms their address.
pub async fn request_verification(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: SessionForm,
) -> Response {
    let client = state.limits.client_address(peer.ip(), &headers);
    let email = form.who.user.email.clone().unwrap_or_default();
    if !state.limits.mail_allowed(&email, client).await {
        return error_page(StatusCode::TOO_MANY_REQUESTS, "Too many requests", "Try again in a few minutes.");
    }
    match state.core.request_email_verification(&form.who.user).await {
        Ok(()) => {
            notice("Check your e-mail", "We have sent you a link to confirm your address.", Some(("/portal", "Back")))
        }
        Err(e) => failed(e),
    }
}

/// `GET /email/verify?token=…`.
pub async fn verify(State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    match state.core.verify_email(&q.token).await {
        Ok(user) => {
            tracing::info!(user = %user.id, "e-mail address verified");
            notice("Address confirmed", "Thank you: your e-mail address is confirmed.", Some(("/portal", "Continue")))
        }
        Err(Error::NotFound(_)) => dead_link(),
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
pub struct DeviceQuery {
    user_code: Option<String>,
}

/// `GET /device[?user_code=…]`: enter the code a device shows, then approve or deny it.
pub async fn device_page(State(state): State<AppState>, who: SignedIn, Query(q): Query<DeviceQuery>) -> Response {
    let typed = q.user_code.unwrap_or_default();
    let mut page = DevicePage {
        csrf: who.csrf(),
        user_email: who.user.email.clone().unwrap_or_default(),
        user_code: typed.trim().to_uppercase(),
        request: None,
        error: None,
    };
    if typed.trim().is_empty() {
        return render(StatusCode::OK, &page, None);
    }
    // Guessing codes is slow: each look-up counts against the person's allowance.
    if !state.limits.device_lookup_allowed(who.user.id.as_str()).await {
        return error_page(StatusCode::TOO_MANY_REQUESTS, "Too many codes", "Try again in a few minutes.");
    }
    match state.core.device_request(&typed).await {
        Ok(Some((app, scopes))) => {
            page.request = Some((app.name, scopes.iter().map(|s| (s.as_str(), s.describe())).collect()));
            render(StatusCode::OK, &page, None)
        }
        Ok(None) => {
            page.error = Some("That code is not valid, or it has expired. Check the device and try again.".into());
            render(StatusCode::NOT_FOUND, &page, None)
        }
        Err(e) => failed(e),
    }
}

/// `POST /device`: the signed-in person's decision on a code.
pub async fn device_decision(State(state): State<AppState>, form: SessionForm) -> Response {
    let code = form.get("user_code").unwrap_or_default().to_string();
    let allow = match form.get("decision") {
        Some("allow") => true,
        Some("deny") => false,
        _ => return error_page(StatusCode::BAD_REQUEST, "Invalid request", "Choose Allow or Deny."),
    };
    match state.core.decide_device(&form.who.user.id, &code, allow, form.who.since).await {
        Ok(true) if allow => {
            tracing::info!(user = %form.who.user.id, "device approved");
            notice("Device connected", "You can go back to your device: it is signed in.", None)
        }
        Ok(true) => notice("Request denied", "The device was not connected.", None),
        Ok(false) => error_page(StatusCode::BAD_REQUEST, "This code no longer works", "Start again on the device."),
        Err(e) => failed(e),
    }
}
