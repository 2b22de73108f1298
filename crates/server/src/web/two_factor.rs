//! Two-factor sign-in pages: the second step of signing in, and setting TOTP up or off in the
//! portal. The second step's ticket travels in its own cookie (HttpOnly, SameSite=Strict,
//! five minutes); its form carries the sign-in form's CSRF token.

use super::pages::{error_page, failed, render, signed_in, RecoveryCodesPage, SecondFactorPage, TotpSetupPage};
use super::session::{cookie, csrf_refused, login_csrf, login_csrf_ok, set_cookie, with_cookie, SessionForm};
use crate::app::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use tessera_core::model::User;
use tessera_core::Error;

const TICKET_COOKIE: &str = "tessera_2fa";

/// The password was right: on to the second step.
pub async fn second_step(state: &AppState, user: &User, next: &str) -> Response {
    match state.core.begin_second_factor(user).await {
        Ok(ticket) => {
            let set = set_cookie(state, TICKET_COOKIE, &ticket, 300, "Strict");
            let to = format!(
                "/login/2fa?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            with_cookie(Redirect::to(&to).into_response(), Some(set))
        }
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

fn step_page(state: &AppState, headers: &HeaderMap, next: String, error: Option<&str>, status: StatusCode) -> Response {
    let (csrf, set) = login_csrf(state, headers);
    render(status, &SecondFactorPage { csrf, next, error: error.map(str::to_string) }, set)
}

/// `GET /login/2fa`.
pub async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    if cookie(&headers, TICKET_COOKIE).is_none() {
        return Redirect::to("/login").into_response();
    }
    step_page(&state, &headers, super::pages::safe_next(&q.next), None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    code: String,
}

/// `POST /login/2fa`: the code; a session with a second factor when it is right.
pub async fn submit(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<CodeForm>) -> Response {
    if !login_csrf_ok(&state, &headers, &f.csrf) {
        return csrf_refused();
    }
    let next = super::pages::safe_next(&f.next);
    let expired = || error_page(StatusCode::BAD_REQUEST, "Sign in again", "This sign-in has expired. Start again.");
    let Some(ticket) = cookie(&headers, TICKET_COOKIE).map(str::to_string) else { return expired() };
    // Guessing codes is slow: each attempt counts against the person's allowance.
    let person = match state.core.second_factor_user(&ticket).await {
        Ok(Some(u)) => u,
        Ok(None) => return expired(),
        Err(e) => return failed(e),
    };
    if !state.limits.second_factor_allowed(person.id.as_str()).await {
        let msg = "Too many wrong codes. Wait a few minutes and try again.";
        return step_page(&state, &headers, next, Some(msg), StatusCode::TOO_MANY_REQUESTS);
    }
    match state.core.finish_second_factor(&ticket, &f.code).await {
        Ok(Some(user)) => match state.core.start_session(&user.id, true).await {
            Ok(session) => {
                tracing::info!(user = %user.id, "signed in with a second factor");
                let done = signed_in(&state, &session, &next);
                with_cookie(done, Some(set_cookie(&state, TICKET_COOKIE, "", 0, "Strict")))
            }
            Err(e) => failed(e),
        },
        Ok(None) => {
            tracing::info!(user = %person.id, "wrong second factor");
            step_page(&state, &headers, next, Some("That code is not right."), StatusCode::UNAUTHORIZED)
        }
        Err(Error::NotFound(_)) => expired(),
        Err(e) => failed(e),
    }
}

/// `POST /portal/2fa/setup`: a new secret and its QR code.
pub async fn setup(State(state): State<AppState>, form: SessionForm) -> Response {
    match state.core.start_totp(&form.who.user).await {
        Ok(s) => render(
            StatusCode::OK,
            &TotpSetupPage { csrf: form.who.csrf(), secret: s.secret, qr_svg: s.qr_svg, error: None },
            None,
        ),
        Err(e) => failed(e),
    }
}

/// `POST /portal/2fa/confirm`: the first code; then the recovery codes, once.
pub async fn confirm(State(state): State<AppState>, form: SessionForm) -> Response {
    match state.core.confirm_totp(&form.who.user, form.get("code").unwrap_or_default()).await {
        Ok(codes) => {
            tracing::info!(user = %form.who.user.id, "two-factor sign-in turned on");
            render(StatusCode::OK, &RecoveryCodesPage { codes }, None)
        }
        Err(Error::BadInput(msg)) => error_page(StatusCode::BAD_REQUEST, "That code is not right", &msg),
        Err(e) => failed(e),
    }
}

/// `POST /portal/2fa/disable`: with a current code.
pub async fn disable(State(state): State<AppState>, form: SessionForm) -> Response {
    if !state.limits.second_factor_allowed(form.who.user.id.as_str()).await {
        return error_page(StatusCode::TOO_MANY_REQUESTS, "Too many wrong codes", "Wait a few minutes and try again.");
    }
    match state.core.disable_totp(&form.who.user, form.get("code").unwrap_or_default()).await {
        Ok(()) => Redirect::to("/portal").into_response(),
        Err(Error::BadInput(msg)) => error_page(StatusCode::BAD_REQUEST, "That code is not right", &msg),
        Err(e) => failed(e),
    }
}

/// `POST /portal/orgs/{org}/two-factor`: an owner or admin requires two-factor sign-in of
/// everyone in the organization (`required=on`), or not.
pub async fn require(
    State(state): State<AppState>,
    axum::extract::Path(org): axum::extract::Path<String>,
    form: SessionForm,
) -> Response {
    let actor = tessera_core::auth::Principal::session(form.who.user.clone());
    let on = form.get("required") == Some("on");
    match state.core.set_org_two_factor(Some(&actor), &tessera_core::ids::OrgId(org), on).await {
        Ok(()) => Redirect::to("/portal").into_response(),
        Err(e) => failed(e),
    }
}
