//! The OpenAPI document of the REST routes (`openapi.json`, written by hand), served at
//! `/v3/openapi.json`. A test checks that it lists exactly the routes of [`super::routes`].

use axum::http::header;
use axum::response::{IntoResponse, Response};

pub const DOCUMENT: &str = include_str!("openapi.json");

pub async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=3600")], DOCUMENT)
        .into_response()
}
