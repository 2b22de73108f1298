//! The developer portal for signed-in people: their apps (register, secret shown once,
//! regenerate, delete), the apps they have authorized (revoke), and — for organization
//! admins — their bots' tokens (revoke). Pages take a [`SignedIn`], forms a [`SessionForm`].

use super::pages::{failed, render, AppPage, PortalPage};
use super::session::{SessionForm, SignedIn};
use crate::app::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tessera_core::ids::TokenId;
use tessera_core::oauth::clients::ClientType;

/// Back to the portal after an action, or an error page.
fn back_to_portal(result: tessera_core::Result<()>, done: impl FnOnce()) -> Response {
    match result {
        Ok(()) => {
            done();
            Redirect::to("/portal").into_response()
        }
        Err(e) => failed(e),
    }
}

pub async fn home(State(state): State<AppState>, who: SignedIn) -> Response {
    let core = &state.core;
    let user = &who.user;
    let me = tessera_core::auth::Principal::session(user.clone());
    let (apps, grants, administered) =
        match (core.apps_of(&user.id).await, core.authorized_apps(&user.id).await, core.administered_orgs(&me).await) {
            (Ok(a), Ok(g), Ok(o)) => (a, g, o),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return failed(e),
        };
    let mut orgs = Vec::new();
    for (org, mine) in administered {
        match super::org_admin::load(core, &me, org, mine).await {
            Ok(o) => orgs.push(o),
            Err(e) => return failed(e),
        }
    }
    let (email_verified, totp_enabled) = match (core.email_verified(&user.id).await, core.totp_enabled(&user.id).await)
    {
        (Ok(v), Ok(t)) => (v, t),
        (Err(e), _) | (_, Err(e)) => return failed(e),
    };
    let sessions = match core.sessions(&user.id, &who.session).await {
        Ok(list) => list.into_iter().map(|(c, e, mfa, current)| (utc(c), utc(e), mfa, current)).collect(),
        Err(e) => return failed(e),
    };
    let page = PortalPage {
        csrf: who.csrf(),
        user_email: user.email.clone().unwrap_or_default(),
        apps,
        grants: grants.into_iter().map(|(app, c)| (app.client_id, app.name, c.describe())).collect(),
        orgs,
        email_verified,
        totp_enabled,
        base: core.settings().issuer.clone(),
        sessions,
    };
    render(StatusCode::OK, &page, None)
}

/// Milliseconds since the epoch as a minute in UTC.
pub fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

/// `POST /portal/password`: a new password, knowing the current one. Every other session and
/// every app token ends; this browser gets a new session.
pub async fn change_password(State(state): State<AppState>, form: SessionForm) -> Response {
    let user = form.who.user.clone();
    let (current, new) = (form.get("current").unwrap_or_default(), form.get("password").unwrap_or_default());
    if let Err(e) = state.core.change_password(&user, current, new).await {
        return failed(e);
    }
    tracing::info!(user = %user.id, "password changed");
    match state.core.start_session(&user.id, form.who.mfa).await {
        Ok(session) => super::pages::signed_in(&state, &session, "/portal"),
        Err(e) => failed(e),
    }
}

/// `POST /portal/sign-out-everywhere`: every session (this one too) and app token ends.
pub async fn sign_out_everywhere(State(state): State<AppState>, form: SessionForm) -> Response {
    let user = &form.who.user;
    match state.core.sign_out_everywhere(&user.id).await {
        Ok(n) => {
            tracing::info!(user = %user.id, revoked = n, "signed out everywhere");
            let cleared = super::session::set_cookie(&state, super::session::session_cookie(&state), "", 0, "Lax");
            super::session::with_cookie(Redirect::to("/login").into_response(), Some(cleared))
        }
        Err(e) => failed(e),
    }
}

pub async fn create_app(State(state): State<AppState>, form: SessionForm) -> Response {
    let user = &form.who.user;
    let uris: Vec<String> = form.get("redirect_uris").unwrap_or_default().lines().map(str::to_string).collect();
    let name = form.get("name").unwrap_or_default();
    let kind = match form.get("kind") {
        Some("public") => ClientType::Public,
        // An unticked checkbox is absent from the form.
        _ => ClientType::Confidential { require_pkce: form.get("require_pkce") == Some("on") },
    };
    match state.core.create_app(Some(&user.id), &user.id, name, &uris, kind).await {
        Ok(new) => {
            tracing::info!(user = %user.id, client_id = %new.app.client_id, "app registered");
            render(StatusCode::CREATED, &AppPage { csrf: form.who.csrf(), app: new.app, secret: new.secret }, None)
        }
        Err(e) => failed(e),
    }
}

pub async fn show_app(State(state): State<AppState>, who: SignedIn, Path(client_id): Path<String>) -> Response {
    match state.core.owned_app(&who.user.id, &client_id).await {
        Ok(app) => render(StatusCode::OK, &AppPage { csrf: who.csrf(), app, secret: None }, None),
        Err(e) => failed(e),
    }
}

pub async fn regenerate_secret(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    form: SessionForm,
) -> Response {
    let user = &form.who.user;
    let result = async {
        let secret = state.core.regenerate_secret(&user.id, &client_id).await?;
        let app = state.core.owned_app(&user.id, &client_id).await?;
        Ok::<_, tessera_core::Error>((app, secret))
    };
    match result.await {
        Ok((app, secret)) => {
            tracing::info!(user = %user.id, client_id = %client_id, "client secret regenerated");
            render(StatusCode::OK, &AppPage { csrf: form.who.csrf(), app, secret: Some(secret) }, None)
        }
        Err(e) => failed(e),
    }
}

pub async fn delete_app(State(state): State<AppState>, Path(client_id): Path<String>, form: SessionForm) -> Response {
    let user = &form.who.user;
    let result = state.core.delete_app(&user.id, &client_id).await;
    back_to_portal(result, || tracing::info!(user = %user.id, client_id = %client_id, "app deleted"))
}

pub async fn revoke_grant(State(state): State<AppState>, Path(client_id): Path<String>, form: SessionForm) -> Response {
    let user = &form.who.user;
    let result = state.core.revoke_app_grant(&user.id, &client_id).await;
    back_to_portal(result, || tracing::info!(user = %user.id, client_id = %client_id, "app grant revoked"))
}

pub async fn revoke_bot_token(
    State(state): State<AppState>,
    Path(token_id): Path<String>,
    form: SessionForm,
) -> Response {
    let user = &form.who.user;
    let result = state.core.admin_revoke_bot_token(&user.id, &TokenId(token_id.clone())).await;
    back_to_portal(
        result,
        || tracing::info!(user = %user.id, token_id = %token_id, "bot token revoked by an org admin"),
    )
}
