//! The icon library's SVG files, at the `assetPath` that `searchIcons` gives and `Icon`
//! elements keep. They are public drawings: no token, cacheable, usable from any origin, and
//! shown as images only (a script in an SVG opened directly would not run).

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

pub async fn file(Path(path): Path<String>) -> Response {
    let Some(svg) = tessera_core::icons::file(&path) else { return super::not_found().await };
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; sandbox"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::HeaderName::from_static("cross-origin-resource-policy"), "cross-origin"),
        ],
        svg,
    )
        .into_response()
}
