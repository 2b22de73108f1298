//! The OAuth 2.1 authorization server's rules: clients (apps), redirect-URI matching, PKCE,
//! and the errors of RFC 6749 §4.1.2.1 and §5.2. The use cases live in [`grants`] and
//! [`clients`] as methods of [`crate::service::Core`].

pub mod clients;
pub mod grants;
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
    pub redirect_uris: Vec<String>,
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

/// An OAuth protocol error: an RFC error code and a description safe to show the client.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OAuthError {
    pub code: &'static str,
    pub description: String,
    /// The server cannot serve anyone right now (its database is unreachable): HTTP 503.
    pub outage: bool,
}

macro_rules! oauth_codes {
    ($($fn:ident => $code:literal),* $(,)?) => {
        impl OAuthError {
            $(pub fn $fn(description: impl Into<String>) -> Self {
                OAuthError { code: $code, description: description.into(), outage: false }
            })*
        }
    };
}

oauth_codes! {
    invalid_request => "invalid_request",
    invalid_client => "invalid_client",
    invalid_grant => "invalid_grant",
    unauthorized_client => "unauthorized_client",
    unsupported_grant_type => "unsupported_grant_type",
    unsupported_response_type => "unsupported_response_type",
    invalid_scope => "invalid_scope",
    invalid_target => "invalid_target",
    access_denied => "access_denied",
    login_required => "login_required",
    consent_required => "consent_required",
    server_error => "server_error",
    temporarily_unavailable => "temporarily_unavailable",
}

impl From<crate::Error> for OAuthError {
    fn from(e: crate::Error) -> Self {
        e.log("authorization server");
        match e {
            crate::Error::Unavailable(_) => {
                OAuthError { outage: true, ..OAuthError::temporarily_unavailable(e.public_message()) }
            }
            _ => OAuthError::server_error(e.public_message()),
        }
    }
}

/// Compare two secrets (or their hashes) in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
