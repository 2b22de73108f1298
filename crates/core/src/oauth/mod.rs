//! The OAuth 2.1 authorization server's rules: clients (apps), redirect-URI matching, PKCE,
//! and the errors of RFC 6749 §4.1.2.1 and §5.2. The use cases live in [`grants`] and
//! [`clients`] as methods of [`crate::service::Core`].

pub mod clients;
pub mod consent;
pub mod device;
pub mod grants;
pub mod keys;
pub mod oidc;
pub mod pkce;
pub mod redirect;

use crate::ids::UserId;
use serde::{Deserialize, Serialize};

/// A registered application (OAuth client).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct App {
    pub client_id: String,
    pub name: String,
    pub owner_id: UserId,
    /// Public clients (browser and native apps) have no secret and must use PKCE.
    pub public: bool,
    /// Whether every authorization request must carry a PKCE challenge: always for public
    /// clients; for confidential ones the default for apps registered now (it can be turned off
    /// for servers written for the platform, which never sent one).
    pub require_pkce: bool,
    pub redirect_uris: Vec<String>,
    /// Where the app may send a user after signing out, matched exactly.
    pub post_logout_redirect_uris: Vec<String>,
    pub created_at: i64,
}

/// Token lifetimes and the refresh-reuse grace window.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    pub issuer: String,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    pub code_ttl_secs: i64,
    pub refresh_reuse_grace_secs: i64,
    pub session_ttl_secs: i64,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        OAuthSettings {
            issuer: "http://127.0.0.1:8080".into(),
            access_token_ttl_secs: 3600,
            refresh_token_ttl_secs: 365 * 24 * 3600,
            code_ttl_secs: 60,
            refresh_reuse_grace_secs: 5,
            session_ttl_secs: 12 * 3600,
        }
    }
}

pub const ACCESS_TOKEN_PREFIX: &str = "tsr_at_";
pub const REFRESH_TOKEN_PREFIX: &str = "tsr_rt_";
pub const CODE_PREFIX: &str = "tsr_ac_";
pub const CLIENT_SECRET_PREFIX: &str = "tsr_cs_";
pub const CLIENT_ID_PREFIX: &str = "app_";
pub const SESSION_PREFIX: &str = "tsr_ss_";

/// The error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 8693 and OpenID Connect that tessera
/// answers with, each with the HTTP status the token endpoint gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    InvalidTarget,
    AccessDenied,
    LoginRequired,
    ConsentRequired,
    AuthorizationPending,
    SlowDown,
    ExpiredToken,
    ServerError,
    TemporarilyUnavailable,
}

impl OAuthCode {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthCode::InvalidRequest => "invalid_request",
            OAuthCode::InvalidClient => "invalid_client",
            OAuthCode::InvalidGrant => "invalid_grant",
            OAuthCode::UnauthorizedClient => "unauthorized_client",
            OAuthCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthCode::UnsupportedResponseType => "unsupported_response_type",
            OAuthCode::InvalidScope => "invalid_scope",
            OAuthCode::InvalidTarget => "invalid_target",
            OAuthCode::AccessDenied => "access_denied",
            OAuthCode::LoginRequired => "login_required",
            OAuthCode::ConsentRequired => "consent_required",
            OAuthCode::AuthorizationPending => "authorization_pending",
            OAuthCode::SlowDown => "slow_down",
            OAuthCode::ExpiredToken => "expired_token",
            OAuthCode::ServerError => "server_error",
            OAuthCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

impl std::fmt::Display for OAuthCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth protocol error: an RFC error code and a description safe to show the client.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OAuthError {
    pub code: OAuthCode,
    pub description: String,
    /// The server cannot serve anyone right now (its database is unreachable): HTTP 503.
    pub outage: bool,
}

impl OAuthError {
    /// The HTTP status of this error at the token, revocation and introspection endpoints:
    /// `invalid_client` is 401, a busy server 429, an outage 503, a failure 500, the rest 400.
    pub fn http_status(&self) -> u16 {
        match self.code {
            _ if self.outage => 503,
            OAuthCode::InvalidClient => 401,
            OAuthCode::ServerError => 500,
            OAuthCode::TemporarilyUnavailable => 429,
            _ => 400,
        }
    }
}

macro_rules! oauth_codes {
    ($($fn:ident => $code:ident),* $(,)?) => {
        impl OAuthError {
            $(pub fn $fn(description: impl Into<String>) -> Self {
                OAuthError { code: OAuthCode::$code, description: description.into(), outage: false }
            })*
        }
    };
}

oauth_codes! {
    invalid_request => InvalidRequest,
    invalid_client => InvalidClient,
    invalid_grant => InvalidGrant,
    unauthorized_client => UnauthorizedClient,
    unsupported_grant_type => UnsupportedGrantType,
    unsupported_response_type => UnsupportedResponseType,
    invalid_scope => InvalidScope,
    invalid_target => InvalidTarget,
    access_denied => AccessDenied,
    login_required => LoginRequired,
    consent_required => ConsentRequired,
    authorization_pending => AuthorizationPending,
    slow_down => SlowDown,
    expired_token => ExpiredToken,
    server_error => ServerError,
    temporarily_unavailable => TemporarilyUnavailable,
}

impl From<crate::Error> for OAuthError {
    fn from(e: crate::Error) -> Self {
        e.log("authorization server");
        match e {
            crate::Error::Unavailable(_) => {
                OAuthError { outage: true, ..OAuthError::temporarily_unavailable(e.public_message()) }
            }
            crate::Error::Busy(_) => OAuthError::temporarily_unavailable(e.public_message()),
            _ => OAuthError::server_error(e.public_message()),
        }
    }
}

/// Compare two secrets (or their hashes) in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the comparison decides (its timing is `subtle`'s: every byte is compared whatever
    /// the first difference; client secrets are compared as SHA-256 hashes, always 64 bytes,
    /// so the length check tells an attacker nothing).
    #[test]
    fn secrets_match_only_when_every_byte_does() {
        let secret = crate::auth::hash_token("tsr_cs_correct");
        assert!(constant_time_eq(&secret, &secret.clone()));
        let mut first = secret.clone().into_bytes();
        first[0] ^= 1;
        let mut last = secret.clone().into_bytes();
        last[63] ^= 1;
        for other in [first, last] {
            assert!(!constant_time_eq(&secret, &String::from_utf8(other).expect("ascii")));
        }
        assert!(!constant_time_eq(&secret, &secret[..63]));
        assert!(!constant_time_eq("", "x") && constant_time_eq("", ""));
        assert_eq!(crate::auth::hash_token("anything").len(), secret.len(), "hashes have one length");
    }
}
