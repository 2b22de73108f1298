//! Who is behind a page request, and whether a form really comes from our page: session and
//! CSRF cookies, and the extractors handlers use instead of repeating the checks.
//!
//! A form's CSRF token is derived from a secret cookie, never equal to one: for a signed-in
//! person it is bound to their session (a hash of the session token), so a token planted in a
//! cookie, or one taken from another visitor's page, is worthless; the sign-in form, before
//! any session exists, is bound to a random cookie of its own. On an `https` issuer both cookies
//! carry the `__Host-` prefix, which a sibling subdomain or a network attacker cannot set. A
//! browser's `Sec-Fetch-Site` saying the form came from another site is refused outright.

use crate::app::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tessera_core::model::User;
use tessera_core::oauth::constant_time_eq;

use super::pages::error_page;

/// The name of a cookie on this server: `__Host-` prefixed on https.
fn cookie_name(state: &AppState, base: &'static str) -> &'static str {
    match (state.config.https(), base) {
        (true, "tessera_session") => "__Host-tessera_session",
        (true, "tessera_csrf") => "__Host-tessera_csrf",
        _ => base,
    }
}

pub fn session_cookie(state: &AppState) -> &'static str {
    cookie_name(state, "tessera_session")
}

fn csrf_cookie(state: &AppState) -> &'static str {
    cookie_name(state, "tessera_csrf")
}

/// The value of a cookie in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, path `/`, `Secure` on https.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64, same_site: &str) -> String {
    let secure = if state.config.https() { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age_secs}{secure}")
}

/// Append a `Set-Cookie` header to a response.
pub fn with_cookie(mut res: Response, cookie: Option<String>) -> Response {
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The CSRF token bound to a secret: unguessable without it, and telling nothing about it.
fn derive(purpose: &str, secret: &str) -> String {
    let digest = Sha256::new().chain_update(purpose).chain_update([0]).chain_update(secret).finalize();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// The CSRF token of a signed-in person's forms.
pub fn session_csrf(session: &str) -> String {
    derive("tessera session form", session)
}

/// The CSRF token of the sign-in form, bound to its own random cookie: the request's if it
/// has one, else a new one with the `Set-Cookie` that sets it.
pub fn login_csrf(state: &AppState, headers: &HeaderMap) -> (String, Option<String>) {
    if let Some(secret) = cookie(headers, csrf_cookie(state)).filter(|v| v.len() == 43) {
        return (derive("tessera sign-in form", secret), None);
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let set = set_cookie(state, csrf_cookie(state), &secret, 12 * 3600, "Strict");
    (derive("tessera sign-in form", &secret), Some(set))
}

/// Whether a sign-in form's CSRF field matches its cookie.
pub fn login_csrf_ok(state: &AppState, headers: &HeaderMap, field: &str) -> bool {
    !cross_site(headers)
        && cookie(headers, csrf_cookie(state))
            .is_some_and(|secret| !field.is_empty() && constant_time_eq(&derive("tessera sign-in form", secret), field))
}

/// The browser says the request was started by another site (or a sibling subdomain).
fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !matches!(v.trim(), "same-origin" | "none"))
}

pub fn csrf_refused() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "Request refused",
        "This form was not sent from a page of this site, or it has expired. Go back, reload the page and try again.",
    )
}

/// The signed-in person of a request and their session cookie.
pub struct SignedIn {
    pub user: User,
    pub session: String,
    /// When they signed in (milliseconds): an ID token's `auth_time`.
    pub since: i64,
    /// Whether they signed in with a second factor.
    pub mfa: bool,
}

impl SignedIn {
    /// The person signed in with this request's session cookie, if any.
    pub async fn of(state: &AppState, headers: &HeaderMap) -> Option<SignedIn> {
        let session = cookie(headers, session_cookie(state))?;
        match state.core.session_user(session).await {
            Ok(user) => user.map(|(user, s)| SignedIn { user, session: session.to_string(), since: s.at, mfa: s.mfa }),
            Err(e) => {
                e.log("session lookup failed");
                None
            }
        }
    }

    /// How and when they signed in.
    pub fn signin(&self) -> tessera_core::auth::SignIn {
        tessera_core::auth::SignIn { at: self.since, mfa: self.mfa }
    }

    /// The CSRF token for this person's forms.
    pub fn csrf(&self) -> String {
        session_csrf(&self.session)
    }
}

/// A page for signed-in people: without a session, a redirect to the login page and back.
impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match SignedIn::of(state, &parts.headers).await {
            Some(s) => Ok(s),
            None => {
                let back = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/portal");
                let next = url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>();
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
        }
    }
}

/// A form posted by a signed-in person from one of our pages: the session is live and the
/// form's `csrf` field is the one bound to it. The fields keep their order; `csrf` is removed.
pub struct SessionForm {
    pub who: SignedIn,
    pub fields: Vec<(String, String)>,
}

impl SessionForm {
    /// The first value of a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl FromRequest<AppState> for SessionForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let Ok(body) = Bytes::from_request(Request::from_parts(parts.clone(), body), state).await else {
            return Err(error_page(StatusCode::BAD_REQUEST, "Invalid request", "The form could not be read."));
        };
        let mut fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
        let csrf = fields.iter().position(|(k, _)| k == "csrf").map(|i| fields.remove(i).1).unwrap_or_default();
        let Some(who) = SignedIn::of(state, &parts.headers).await else {
            return Err(error_page(
                StatusCode::UNAUTHORIZED,
                "Signed out",
                "Your session has ended. Sign in again and start over.",
            ));
        };
        if cross_site(&parts.headers) || csrf.is_empty() || !constant_time_eq(&who.csrf(), &csrf) {
            return Err(csrf_refused());
        }
        Ok(SessionForm { who, fields })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_are_bound_to_their_secret_and_purpose() {
        let a = session_csrf("tsr_ss_aaaa");
        assert_eq!(a, session_csrf("tsr_ss_aaaa"));
        assert_ne!(a, session_csrf("tsr_ss_aaab"), "another session, another token");
        assert_ne!(a, derive("tessera sign-in form", "tsr_ss_aaaa"), "a sign-in token is no session token");
        assert_eq!(a.len(), 43);
    }

    #[test]
    fn cross_site_forms_are_recognised() {
        let mut h = HeaderMap::new();
        assert!(!cross_site(&h), "no header: not a browser that tells");
        for (v, refused) in [("same-origin", false), ("none", false), ("same-site", true), ("cross-site", true)] {
            h.insert("sec-fetch-site", HeaderValue::from_static(v));
            assert_eq!(cross_site(&h), refused, "{v}");
        }
    }
}
