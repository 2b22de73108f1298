//! CORS for the endpoints browser apps call (token, revocation, GraphQL, REST): only origins of
//! registered redirect URIs are allowed, so a page elsewhere cannot read the responses.

use crate::app::AppState;
use axum::http::{header, HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub fn layer(state: AppState) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::async_predicate(move |origin: HeaderValue, _parts| {
            let state = state.clone();
            async move { allowed(&state, &origin).await }
        }))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600))
}

async fn allowed(state: &AppState, origin: &HeaderValue) -> bool {
    let Ok(origin) = origin.to_str() else { return false };
    match state.core.redirect_origins().await {
        Ok(origins) => origins.iter().any(|o| o == origin),
        Err(e) => {
            tracing::error!(error = %e, "cannot read app origins for CORS");
            false
        }
    }
}
