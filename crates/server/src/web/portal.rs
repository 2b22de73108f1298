//! The developer portal for signed-in people: their apps (register, secret shown once,
//! regenerate, delete), the apps they have authorized (revoke), and — for organization
//! admins — their bots' tokens (revoke).

use super::pages::{csrf, csrf_ok, csrf_refused, current_user, error_page, render, AppPage, CsrfForm, PortalPage};
use crate::app::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use tessera_core::ids::TokenId;
use tessera_core::model::User;

async fn signed_in(state: &AppState, headers: &HeaderMap, back: &str) -> Result<User, Response> {
    match current_user(state, headers).await {
        Some((u, _)) => Ok(u),
        None => Err(Redirect::to(&format!(
            "/login?next={}",
            url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
        ))
        .into_response()),
    }
}

/// The signed-in user behind a portal form post whose CSRF token checks out.
async fn form_user(state: &AppState, headers: &HeaderMap, csrf: &str) -> Result<User, Response> {
    if !csrf_ok(headers, csrf) {
        return Err(csrf_refused());
    }
    signed_in(state, headers, "/portal").await
}

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

fn failed(e: tessera_core::Error) -> Response {
    let status = match e {
        tessera_core::Error::NotFound(_) => StatusCode::NOT_FOUND,
        tessera_core::Error::BadInput(_) | tessera_core::Error::Conflict(_) => StatusCode::BAD_REQUEST,
        tessera_core::Error::Internal(_) | tessera_core::Error::Unavailable(_) => {
            e.log("portal action failed");
            if matches!(e, tessera_core::Error::Unavailable(_)) {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
        _ => StatusCode::FORBIDDEN,
    };
    error_page(status, "That did not work", &e.public_message())
}

pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let user = match signed_in(&state, &headers, "/portal").await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let core = &state.core;
    let (apps, grants, orgs) = match (
        core.apps_of(&user.id).await,
        core.authorized_apps(&user.id).await,
        core.administered_bots(&user.id).await,
    ) {
        (Ok(a), Ok(g), Ok(o)) => (a, g, o),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return failed(e),
    };
    let (csrf, set) = csrf(&state, &headers);
    let page = PortalPage {
        csrf,
        user_email: user.email.unwrap_or_default(),
        apps,
        grants: grants.into_iter().map(|(app, c)| (app.client_id, app.name, c.scopes)).collect(),
        orgs: orgs
            .into_iter()
            .map(|o| {
                let bots = o
                    .bots
                    .into_iter()
                    .map(|(bot, tokens)| {
                        (bot.first_name, bot.id.0, tokens.into_iter().map(|t| (t.id.0, !t.revoked)).collect())
                    })
                    .collect();
                (o.org.name, bots)
            })
            .collect(),
    };
    render(StatusCode::OK, &page, set)
}

#[derive(Deserialize)]
pub struct NewAppForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    kind: String,
}

pub async fn create_app(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<NewAppForm>) -> Response {
    let user = match form_user(&state, &headers, &f.csrf).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let uris: Vec<String> = f.redirect_uris.lines().map(str::to_string).collect();
    match state.core.create_app(Some(&user.id), &user.id, &f.name, &uris, f.kind == "public").await {
        Ok(new) => {
            tracing::info!(user = %user.id, client_id = %new.app.client_id, "app registered");
            let (csrf, set) = csrf(&state, &headers);
            render(StatusCode::CREATED, &AppPage { csrf, app: new.app, secret: new.secret }, set)
        }
        Err(e) => failed(e),
    }
}

pub async fn show_app(State(state): State<AppState>, headers: HeaderMap, Path(client_id): Path<String>) -> Response {
    let user = match signed_in(&state, &headers, &format!("/portal/apps/{client_id}")).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match state.core.owned_app(&user.id, &client_id).await {
        Ok(app) => {
            let (csrf, set) = csrf(&state, &headers);
            render(StatusCode::OK, &AppPage { csrf, app, secret: None }, set)
        }
        Err(e) => failed(e),
    }
}

pub async fn regenerate_secret(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let user = match form_user(&state, &headers, &f.csrf).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let result = async {
        let secret = state.core.regenerate_secret(&user.id, &client_id).await?;
        let app = state.core.owned_app(&user.id, &client_id).await?;
        Ok::<_, tessera_core::Error>((app, secret))
    };
    match result.await {
        Ok((app, secret)) => {
            tracing::info!(user = %user.id, client_id = %client_id, "client secret regenerated");
            let (csrf, set) = csrf(&state, &headers);
            render(StatusCode::OK, &AppPage { csrf, app, secret: Some(secret) }, set)
        }
        Err(e) => failed(e),
    }
}

pub async fn delete_app(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let user = match form_user(&state, &headers, &f.csrf).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let result = state.core.delete_app(&user.id, &client_id).await;
    back_to_portal(result, || tracing::info!(user = %user.id, client_id = %client_id, "app deleted"))
}

pub async fn revoke_grant(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let user = match form_user(&state, &headers, &f.csrf).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let result = state.core.revoke_app_grant(&user.id, &client_id).await;
    back_to_portal(result, || tracing::info!(user = %user.id, client_id = %client_id, "app grant revoked"))
}

pub async fn revoke_bot_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token_id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let user = match form_user(&state, &headers, &f.csrf).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let result = state.core.admin_revoke_bot_token(&user.id, &TokenId(token_id.clone())).await;
    back_to_portal(
        result,
        || tracing::info!(user = %user.id, token_id = %token_id, "bot token revoked by an org admin"),
    )
}
