//! The local object store's two URLs (the embedded default; with an S3-compatible store these
//! answer 404 and the store itself serves both): the upload form's target, which takes a
//! `multipart/form-data` POST like an S3 bucket's, and signed, expiring downloads.

use crate::app::AppState;
use crate::rest::RestError;
use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use tessera_core::model::now_millis;

/// The form fields before the file, and their size.
const MAX_FIELDS: usize = 16;
const MAX_FIELD_BYTES: usize = 4096;

fn refused(code: &str, message: &str) -> Response {
    RestError::new(code, message).into_response()
}

/// `POST /v3/storage`: the fields of an upload form (`key`, `Content-Type`, `max`, `expires`,
/// `signature`), then the file as `file`; 204 once it is stored whole.
pub async fn upload(State(state): State<AppState>, mut form: Multipart) -> Response {
    let Some(local) = state.assets.blobs.local() else { return crate::web::not_found().await.into_response() };
    let mut fields: HashMap<String, String> = HashMap::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return refused("BAD_USER_INPUT", "the form has no file: send it last, as the field `file`"),
            Err(_) => return refused("BAD_USER_INPUT", "the body is not a valid multipart/form-data form"),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name != "file" {
            match field.text().await {
                Ok(v) if v.len() <= MAX_FIELD_BYTES && fields.len() < MAX_FIELDS => fields.insert(name, v),
                _ => return refused("BAD_USER_INPUT", "the form's fields are too many or too long"),
            };
            continue;
        }
        let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or_default();
        let (key, ct, max, expires) = (get("key"), get("Content-Type"), get("max"), get("expires"));
        if !local.signer.verify(&["upload", key, ct, max, expires], get("signature")) {
            return refused("FORBIDDEN", "the upload form's signature does not match its fields");
        }
        let (Ok(max), Ok(expires)) = (max.parse::<u64>(), expires.parse::<i64>()) else {
            return refused("BAD_USER_INPUT", "the upload form's fields are malformed");
        };
        if expires < now_millis() {
            return refused("FORBIDDEN", "the upload form has expired");
        }
        // The key ends with the upload's id: once processing has started (or the upload is
        // gone), the stored file is final.
        let upload_id = key.rsplit('/').next().unwrap_or_default();
        match state.core.upload_takes_file(upload_id).await {
            Ok(true) => {}
            Ok(false) => return refused("FORBIDDEN", "this upload is finished: its file can no longer be replaced"),
            Err(e) => return crate::rest::RestError::from(e).into_response(),
        }
        return match store(local, field, key, max).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(r) => r,
        };
    }
}

/// Write the file to a partial file, refusing it past `max` bytes, then move it into place.
async fn store(
    local: &crate::assets::blobs::LocalBlobs,
    mut field: axum::extract::multipart::Field<'_>,
    key: &str,
    max: u64,
) -> Result<(), Response> {
    use tokio::io::AsyncWriteExt;
    let partial = local.partial();
    let failed = |e: String| {
        tracing::error!(error = %e, "local asset store: cannot write an upload");
        refused("UNAVAILABLE", "the file cannot be stored right now")
    };
    let mut file = tokio::fs::File::create(&partial).await.map_err(|e| failed(e.to_string()))?;
    let mut written = 0u64;
    let outcome = loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                written += chunk.len() as u64;
                if written > max {
                    break Err(refused(
                        "PAYLOAD_TOO_LARGE",
                        &format!("the file is larger than the {max} bytes allowed"),
                    ));
                }
                if let Err(e) = file.write_all(&chunk).await {
                    break Err(failed(e.to_string()));
                }
            }
            Ok(None) if written == 0 => break Err(refused("BAD_USER_INPUT", "the file is empty")),
            Ok(None) => break file.sync_all().await.map_err(|e| failed(e.to_string())),
            Err(_) => break Err(refused("BAD_USER_INPUT", "the upload was cut short")),
        }
    };
    drop(file);
    let outcome = match outcome {
        Ok(()) => local.commit(&partial, key).await.map_err(failed),
        Err(r) => Err(r),
    };
    if outcome.is_err() {
        let _ = tokio::fs::remove_file(&partial).await;
    }
    outcome
}

/// `GET /v3/storage/{key}?type&expires&signature`: a stored file, while its URL is valid.
pub async fn download(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(local) = state.assets.blobs.local() else { return crate::web::not_found().await.into_response() };
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    let (ct, expires) = (get("type"), get("expires"));
    if !local.signer.verify(&["download", &key, ct, expires], get("signature")) {
        return refused("FORBIDDEN", "the URL's signature does not match it");
    }
    if expires.parse::<i64>().map_or(true, |t| t < now_millis()) {
        return refused("FORBIDDEN", "the URL has expired: read the element again for a new one");
    }
    let file = match local.path(&key) {
        Ok(path) => tokio::fs::File::open(path).await,
        Err(_) => return crate::web::not_found().await.into_response(),
    };
    let Ok(file) = file else { return crate::web::not_found().await.into_response() };
    let len = file.metadata().await.map(|m| m.len()).unwrap_or_default();
    let mut res = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(ct).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=600"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    h.insert(header::HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("cross-origin"));
    res
}
