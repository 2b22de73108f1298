//! The one mapping from the domain's errors to HTTP, and its renderings: JSON for APIs, the
//! GraphQL shape before execution, an HTML page for people, and RFC 6749 §5.2 errors for the
//! token, revocation and introspection endpoints. Internal detail is logged, never returned.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tessera_core::oauth::{OAuthCode, OAuthError};
use tessera_core::Error;

/// The HTTP status of a domain error, on every transport.
pub fn status(e: &Error) -> StatusCode {
    match e {
        Error::Unauthenticated => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::BadInput(_) => StatusCode::BAD_REQUEST,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Busy(_) => StatusCode::TOO_MANY_REQUESTS,
    }
}

/// `Retry-After` for the answers that mean "not now".
fn retry_after(res: &mut Response) {
    if matches!(res.status(), StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE) {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
    }
}

/// A domain error as a JSON response: `{"error": CODE, "message": …}` with its status.
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log("request failed");
        let body = json!({"error": self.0.code(), "message": self.0.public_message()});
        let mut res = (status(&self.0), Json(body)).into_response();
        retry_after(&mut res);
        res
    }
}

/// A GraphQL-shaped error outside of execution (authentication, transport, body):
/// `{"errors": [{"message", "extensions": {"code"}}]}`.
pub fn graphql(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"errors": [{"message": message, "extensions": {"code": code}}]});
    let mut res = (status, Json(body)).into_response();
    retry_after(&mut res);
    res
}

/// A domain error in the GraphQL shape, with its status.
pub fn graphql_domain(e: &Error) -> Response {
    e.log("request failed");
    graphql(status(e), e.code(), &e.public_message())
}

/// An RFC 6749 §5.2 error response (`invalid_client` is 401 with a challenge; never cached).
pub struct OAuthResponse(pub OAuthError);

impl From<OAuthError> for OAuthResponse {
    fn from(e: OAuthError) -> Self {
        OAuthResponse(e)
    }
}

impl IntoResponse for OAuthResponse {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        let body = json!({"error": e.code.as_str(), "error_description": e.description});
        let mut res = (status, Json(body)).into_response();
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if e.code == OAuthCode::InvalidClient {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(r#"Basic realm="tessera""#));
        }
        retry_after(&mut res);
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_detail_never_reaches_the_client() {
        let res = ApiError(Error::internal("disk /var/lib/secret is full")).into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = graphql_domain(&Error::internal("password=hunter2")).into_body();
        let bytes = futures_bytes(body);
        assert!(!bytes.contains("hunter2") && bytes.contains("internal error"), "{bytes}");
    }

    fn futures_bytes(body: axum::body::Body) -> String {
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let bytes = rt.block_on(axum::body::to_bytes(body, 1 << 16)).expect("body");
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn oauth_errors_carry_their_status_and_challenge() {
        let res = OAuthResponse(OAuthError::invalid_client("no")).into_response();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers().contains_key(header::WWW_AUTHENTICATE));
        let res = OAuthResponse(OAuthError::temporarily_unavailable("busy")).into_response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.headers().contains_key(header::RETRY_AFTER));
        assert_eq!(OAuthResponse(OAuthError::invalid_grant("no")).into_response().status(), StatusCode::BAD_REQUEST);
    }
}
