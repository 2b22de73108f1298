//! The sample browser app (`examples/browser-app`), served at `/examples/browser-app/` when a
//! client id is configured for it (`tessera demo` registers the app and sets it). The files are
//! compiled in, so the demo needs nothing but the binary.

use crate::app::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::json;

const INDEX: &str = include_str!("../../../../examples/browser-app/index.html");
const APP_JS: &str = include_str!("../../../../examples/browser-app/dist/app.js");
const APP_CSS: &str = include_str!("../../../../examples/browser-app/dist/app.css");

pub const PATH: &str = "/examples/browser-app/";

/// `/examples/browser-app` → the same with a trailing slash (the registered redirect URI).
pub async fn without_slash(State(state): State<AppState>) -> Response {
    match state.config.example_app {
        Some(_) => Redirect::permanent(PATH).into_response(),
        None => super::not_found().await.into_response(),
    }
}

pub async fn index(State(state): State<AppState>) -> Response {
    file(&state, "index.html").await
}

pub async fn asset(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    file(&state, &name).await
}

async fn file(state: &AppState, name: &str) -> Response {
    let Some(client_id) = &state.config.example_app else { return super::not_found().await.into_response() };
    let (kind, body) = match name {
        "index.html" => ("text/html; charset=utf-8", INDEX),
        "dist/app.js" => ("text/javascript; charset=utf-8", APP_JS),
        "dist/app.css" => ("text/css; charset=utf-8", APP_CSS),
        "config.json" => {
            let issuer = &state.config.issuer;
            let redirect_uri = format!("{issuer}{PATH}");
            return Json(json!({"issuer": issuer, "client_id": client_id, "redirect_uri": redirect_uri}))
                .into_response();
        }
        _ => return super::not_found().await.into_response(),
    };
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}
