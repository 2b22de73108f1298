//! Single sign-on pages: `/login/sso` (by e-mail domain) and `/login/sso/{org}` send the person
//! to their organization's identity provider; `/login/sso/callback` brings them back. The
//! sign-in's `state` travels in the URL and in a cookie of this browser (HttpOnly, Lax: the
//! return is a top-level navigation from the provider's site), so a callback URL taken from
//! someone else's browser signs nobody in.

use super::pages::{error_page, failed, render, safe_next, signed_in, SsoPage};
use super::session::{cookie, csrf_refused, login_csrf, login_csrf_ok, set_cookie, with_cookie, SessionForm};
use crate::app::AppState;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::net::SocketAddr;
use tessera_core::auth::Principal;
use tessera_core::ids::OrgId;
use tessera_core::oauth::constant_time_eq;
use tessera_core::ports::IdentityProvider;
use tessera_core::sso::{ProviderInput, SSO_MINUTES};

const STATE_COOKIE: &str = "tessera_sso";

fn callback_uri(state: &AppState) -> String {
    format!("{}/login/sso/callback", state.core.settings().issuer)
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

fn sso_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    next: String,
    email: String,
    error: Option<String>,
) -> Response {
    let (csrf, set) = login_csrf(state, headers);
    render(status, &SsoPage { csrf, next, email, error }, set)
}

/// `GET /login/sso`: the e-mail form.
pub async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    sso_page(&state, &headers, StatusCode::OK, safe_next(&q.next), String::new(), None)
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    next: String,
}

/// `POST /login/sso`: on to the provider of the address's domain.
pub async fn by_email(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<EmailForm>,
) -> Response {
    if !login_csrf_ok(&state, &headers, &f.csrf) {
        return csrf_refused();
    }
    if !starts_allowed(&state, peer, &headers) {
        return too_many();
    }
    let next = safe_next(&f.next);
    match state.core.identity_provider_for_email(&f.email).await {
        Ok(Some(p)) => start(&state, &p, &next, Some(f.email.trim())).await,
        Ok(None) => {
            let msg = "No organization signs in addresses of this domain through single sign-on here. Sign in with your password instead.";
            sso_page(&state, &headers, StatusCode::NOT_FOUND, next, f.email.clone(), Some(msg.into()))
        }
        Err(e) => failed(e),
    }
}

/// `GET /login/sso/{org}`: on to that organization's provider (the link its admins share).
pub async fn by_org(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(org): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    if !starts_allowed(&state, peer, &headers) {
        return too_many();
    }
    match state.core.identity_provider_of(&OrgId(org)).await {
        Ok(Some(p)) => start(&state, &p, &safe_next(&q.next), None).await,
        Ok(None) => {
            error_page(StatusCode::NOT_FOUND, "No single sign-on", "This organization has no identity provider set up.")
        }
        Err(e) => failed(e),
    }
}

fn starts_allowed(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> bool {
    state.limits.sso_start_allowed(state.limits.client_address(peer.ip(), headers))
}

fn too_many() -> Response {
    error_page(StatusCode::TOO_MANY_REQUESTS, "Too many sign-ins at once", "Try again in a few minutes.")
}

async fn start(state: &AppState, p: &IdentityProvider, next: &str, hint: Option<&str>) -> Response {
    let (sso_state, pending) = match state.core.begin_sso(&p.org_id, next).await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    match state.sso.authorization_url(p, &callback_uri(state), &sso_state, &pending, hint).await {
        Ok(url) => {
            let set = set_cookie(state, STATE_COOKIE, &sso_state, SSO_MINUTES * 60, "Lax");
            with_cookie(Redirect::to(&url).into_response(), Some(set))
        }
        Err(reason) => unreachable_provider(p, &reason),
    }
}

fn unreachable_provider(p: &IdentityProvider, reason: &str) -> Response {
    tracing::warn!(org = %p.org_id, issuer = %p.issuer, %reason, "single sign-on failed at the identity provider");
    error_page(
        StatusCode::BAD_GATEWAY,
        "Your identity provider did not answer as expected",
        "Signing in through your organization's identity provider did not work. Try again later, or ask your administrator to check its settings.",
    )
}

#[derive(Deserialize)]
pub struct Callback {
    #[serde(default)]
    state: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    error: String,
}

/// `GET /login/sso/callback`: the provider sends the person back with a code (or an error).
/// A callback whose `state` is not this browser's changes nothing, the cookie included (any
/// site can link here).
pub async fn callback(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<Callback>) -> Response {
    let ours = cookie(&headers, STATE_COOKIE).is_some_and(|c| !q.state.is_empty() && constant_time_eq(c, &q.state));
    if !ours {
        return expired();
    }
    let cleared = set_cookie(&state, STATE_COOKIE, "", 0, "Lax");
    with_cookie(finish(&state, q).await, Some(cleared))
}

fn expired() -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "This sign-in cannot be completed",
        "It was not started in this browser, it was used already, or it took too long. Start signing in again.",
    )
}

async fn finish(state: &AppState, q: Callback) -> Response {
    let (provider, pending) = match state.core.take_sso(&q.state).await {
        Ok(Some(v)) => v,
        Ok(None) => return expired(),
        Err(e) => return failed(e),
    };
    if !q.error.is_empty() || q.code.is_empty() {
        let code: String = q.error.chars().filter(|c| c.is_ascii_lowercase() || *c == '_').take(64).collect();
        tracing::info!(org = %provider.org_id, error = %code, "the identity provider did not sign the person in");
        let message = format!(
            "Your identity provider did not sign you in ({}). Start again, or ask your administrator.",
            if code.is_empty() { "no code" } else { &code }
        );
        return error_page(StatusCode::FORBIDDEN, "Not signed in", &message);
    }
    let secret = match state.core.identity_provider_secret(&provider) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let who = match state.sso.finish(&provider, &secret, &callback_uri(state), &q.code, &pending).await {
        Ok(who) => who,
        Err(reason) => return unreachable_provider(&provider, &reason),
    };
    let user = match state.core.sso_person(&provider, &who).await {
        Ok(u) => u,
        Err(e) => return failed(e),
    };
    // A provider that asked for a second factor is trusted for it; otherwise someone who set
    // TOTP up here gives it too.
    if !who.multi_factor {
        match state.core.totp_enabled(&user.id).await {
            Ok(false) => {}
            Ok(true) => return super::two_factor::second_step(state, &user, &pending.next).await,
            Err(e) => return failed(e),
        }
    }
    match state.core.start_session(&user.id, who.multi_factor).await {
        Ok(session) => {
            tracing::info!(user = %user.id, org = %provider.org_id, "signed in through single sign-on");
            signed_in(state, &session, &pending.next)
        }
        Err(e) => failed(e),
    }
}

fn portal_result<T>(result: tessera_core::Result<T>) -> Response {
    match result {
        Ok(_) => Redirect::to("/portal").into_response(),
        Err(e) => failed(e),
    }
}

/// `POST /portal/orgs/{org}/sso`: an owner or admin sets the organization's provider.
pub async fn set(State(state): State<AppState>, Path(org): Path<String>, form: SessionForm) -> Response {
    let actor = Principal::session(form.who.user.clone());
    let secret = form.get("client_secret").filter(|s| !s.is_empty()).map(str::to_string);
    let input = ProviderInput {
        name: form.get("name").unwrap_or_default().to_string(),
        issuer: form.get("issuer").unwrap_or_default().to_string(),
        client_id: form.get("client_id").unwrap_or_default().to_string(),
        client_secret: secret,
        default_role: form.get("default_role").unwrap_or("user").to_string(),
        domains: None,
    };
    portal_result(state.core.set_identity_provider(Some(&actor), &OrgId(org), input).await)
}

/// `POST /portal/orgs/{org}/sso/remove`.
pub async fn remove(State(state): State<AppState>, Path(org): Path<String>, form: SessionForm) -> Response {
    let actor = Principal::session(form.who.user.clone());
    portal_result(state.core.remove_identity_provider(Some(&actor), &OrgId(org)).await)
}
