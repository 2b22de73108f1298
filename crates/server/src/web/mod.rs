//! Plain HTTP endpoints and the middleware every request passes through.

pub mod account;
pub mod cors;
pub mod error;
pub mod examples;
pub mod health;
pub mod icons;
pub mod limits;
pub mod oauth;
pub mod oidc;
pub mod org_admin;
pub mod pages;
pub mod portal;
pub mod session;
pub mod sso;
pub mod storage;
pub mod two_factor;

use crate::app::AppState;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use std::time::Instant;
use tracing::Instrument;

/// The id of one request: in every log line about it and in the `x-request-id` response header.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Give each request an id and a log span, log its outcome, and count it.
pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let id = format!("{:016x}", rand::thread_rng().gen::<u64>());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    let started = Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    state.metrics.observe_response(res.status().as_u16(), elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(status = res.status().as_u16(), micros = elapsed.as_micros() as u64, "response");
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

pub async fn not_found() -> Response {
    error::ApiError(tessera_core::Error::NotFound("endpoint")).into_response()
}
