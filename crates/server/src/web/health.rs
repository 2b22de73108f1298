//! Liveness, readiness and metrics for operators and orchestrators.

use crate::app::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tessera_core::oauth::constant_time_eq;

/// The process is up and serving HTTP.
pub async fn healthz() -> impl IntoResponse {
    "ok\n"
}

/// The process can do useful work: its database answers.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.core.ready().await {
        Ok(()) => (StatusCode::OK, "ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

/// Prometheus metrics; with `metrics_token` set, only for `Authorization: Bearer <that token>`.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.config.metrics_token {
        let given = crate::graphql::http::bearer_token(&headers).unwrap_or_default();
        if !constant_time_eq(given, expected) {
            let challenge = [(header::WWW_AUTHENTICATE, r#"Bearer realm="tessera metrics""#)];
            return (StatusCode::UNAUTHORIZED, challenge, "a bearer token is required for /metrics\n").into_response();
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render()).into_response()
}
