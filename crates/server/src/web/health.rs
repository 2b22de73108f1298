//! Liveness, readiness and metrics for operators and orchestrators.

use crate::app::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;

/// The process is up and serving HTTP.
pub async fn healthz() -> impl IntoResponse {
    "ok\n"
}

/// The process can do useful work: its database answers.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.core.store().ping().await {
        Ok(()) => (StatusCode::OK, "ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render())
}
