//! Principals, scopes, and the secrets they authenticate with.
//!
//! Tokens are opaque random strings with a readable prefix (so secret scanners can find leaked
//! ones) and are stored only as SHA-256 hashes: with 256 bits of entropy a fast hash is enough.
//! Bearer and refresh tokens also carry their id, so they are found by their primary key and
//! the hash is compared after; no index over random hashes has to be kept up to date (see
//! [`issue_token`]).
//! Human passwords are hashed with Argon2id.

use crate::error::{Error, Result};
use crate::ids::{TokenId, UserId, WorkspaceId};
use crate::model::User;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// How and when a person signed in: an ID token's `auth_time`, `acr` and `amr`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignIn {
    /// Milliseconds; 0 if unknown.
    pub at: i64,
    /// With a second factor (a TOTP or recovery code) after the password.
    pub mfa: bool,
}

/// A token scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    V2Legacy,
    OfflineAccess,
    WorkspacesRead,
    WorkspacesWrite,
    ElementsRead,
    ElementsWrite,
    OrgRead,
    OrgAdmin,
    /// OpenID Connect: an ID token, and the user's subject at the userinfo endpoint.
    OpenId,
    /// OpenID Connect: the user's name in the ID token and at userinfo.
    Profile,
    /// OpenID Connect: the user's e-mail address in the ID token and at userinfo.
    Email,
}

impl Scope {
    pub const ALL: [Scope; 11] = [
        Scope::V2Legacy,
        Scope::OfflineAccess,
        Scope::WorkspacesRead,
        Scope::WorkspacesWrite,
        Scope::ElementsRead,
        Scope::ElementsWrite,
        Scope::OrgRead,
        Scope::OrgAdmin,
        Scope::OpenId,
        Scope::Profile,
        Scope::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::V2Legacy => "v2legacy",
            Scope::OfflineAccess => "offline_access",
            Scope::WorkspacesRead => "workspaces:read",
            Scope::WorkspacesWrite => "workspaces:write",
            Scope::ElementsRead => "elements:read",
            Scope::ElementsWrite => "elements:write",
            Scope::OrgRead => "org:read",
            Scope::OrgAdmin => "org:admin",
            Scope::OpenId => "openid",
            Scope::Profile => "profile",
            Scope::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// What granting this scope lets an app do, in plain words for the consent page.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::V2Legacy => "Act as you, with all of your permissions, everywhere you have access",
            Scope::OfflineAccess => "Keep access when you are not using the app (until you revoke it)",
            Scope::WorkspacesRead => "See your workspaces and who works in them",
            Scope::WorkspacesWrite => "Create workspaces and manage their collaborators",
            Scope::ElementsRead => "See the content of your workspaces and follow changes live",
            Scope::ElementsWrite => "Create, change and delete content in your workspaces",
            Scope::OrgRead => "See your organizations",
            Scope::OrgAdmin => "Administer your organizations",
            Scope::OpenId => "Know who you are on this platform",
            Scope::Profile => "See your name",
            Scope::Email => "See your e-mail address",
        }
    }

    /// Whether this scope works on workspaces, so that the user may narrow it to some.
    pub fn is_workspace_scoped(self) -> bool {
        matches!(self, Scope::WorkspacesRead | Scope::WorkspacesWrite | Scope::ElementsRead | Scope::ElementsWrite)
    }

    /// Whether a token with this scope can do anything inside a workspace (the workspace
    /// scopes, and `v2legacy`, which can do everything): what a workspace narrowing limits.
    pub fn reaches_workspaces(self) -> bool {
        self.is_workspace_scoped() || self == Scope::V2Legacy
    }
}

/// A set of scopes, parsed from and printed as a space-separated string (RFC 6749 §3.3).
pub type Scopes = BTreeSet<Scope>;

pub fn parse_scopes(s: &str) -> Result<Scopes> {
    s.split(' ')
        .filter(|p| !p.is_empty())
        .map(|p| Scope::parse(p).ok_or_else(|| Error::bad_input(format!("unknown scope {p:?}"))))
        .collect()
}

/// A `scope` parameter, or `None` when it is absent or only spaces. Scope tokens are separated
/// by spaces (RFC 6749 §3.3); any other character, other whitespace included, belongs to a
/// token, so a scope of only tabs or U+3000 is an unknown scope, not a request for the default.
pub fn requested_scope(s: Option<&str>) -> Option<&str> {
    s.filter(|s| s.bytes().any(|b| b != b' '))
}

pub fn format_scopes(scopes: &Scopes) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
}

/// Who is making a request, and what their token lets them do.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user (or bot) the token acts for, as read when the token was authenticated.
    pub user: std::sync::Arc<User>,
    pub token_id: TokenId,
    /// The OAuth client the token was issued to, if any.
    pub client_id: Option<String>,
    pub scopes: Scopes,
    /// `Some` when the token is narrowed to these workspaces.
    pub workspaces: Option<Vec<WorkspaceId>>,
    /// Expiry in epoch milliseconds, if the token expires.
    pub expires_at: Option<i64>,
}

impl Principal {
    /// A person acting through tessera's own pages with their session: all their permissions,
    /// as with `v2legacy`, and no token.
    pub fn session(user: User) -> Self {
        Principal {
            user: std::sync::Arc::new(user),
            token_id: TokenId(String::new()),
            client_id: None,
            scopes: [Scope::V2Legacy].into_iter().collect(),
            workspaces: None,
            expires_at: None,
        }
    }

    /// Whether the token's workspace narrowing (if any) includes this workspace.
    pub fn may_reach(&self, ws: &WorkspaceId) -> bool {
        self.workspaces.as_ref().is_none_or(|list| list.contains(ws))
    }
}

/// The stored form of a token: what [`crate::ports::Store::find_token`] returns.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: TokenId,
    pub kind: TokenKind,
    pub user_id: UserId,
    pub client_id: Option<String>,
    pub scopes: String,
    pub workspaces: Option<Vec<WorkspaceId>>,
    pub expires_at: Option<i64>,
    pub revoked: bool,
    pub created_at: i64,
    /// The grant lineage (one authorization code, or one client-credentials grant) this
    /// token belongs to; revoking the family revokes them all.
    pub family_id: Option<String>,
    /// For refresh tokens: when it was exchanged for a new one.
    pub rotated_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Bot,
    Access,
    Refresh,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Bot => "bot",
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bot" => Some(TokenKind::Bot),
            "access" => Some(TokenKind::Access),
            "refresh" => Some(TokenKind::Refresh),
            _ => None,
        }
    }
}

pub const BOT_TOKEN_PREFIX: &str = "tsr_bot_";

/// A fresh token: `prefix` + 256 random bits in unpadded base64url. Returns (token, hash).
pub fn generate_token(prefix: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash_token(&token);
    (token, hash)
}

/// Characters of randomness at the end of every token (256 bits, unpadded base64url).
const SECRET_CHARS: usize = 43;

/// A fresh token for the `tokens` table: `prefix`, its id (24 characters, time-ordered), then
/// 256 random bits. Returns (id, token, hash). Looking a token up by its id touches the primary
/// key only; inserting one adds to the end of every index (ids are time-ordered) instead of a
/// random page of an index over hashes, which was most of what issuing a token cost.
pub fn issue_token(prefix: &str) -> (TokenId, String, String) {
    let id = TokenId::generate();
    let (random, _) = generate_token("");
    let token = format!("{prefix}{id}{random}");
    let hash = hash_token(&token);
    (id, token, hash)
}

/// How a presented token is found: by the id it carries, or, for a token issued before tokens
/// carried their ids, by its hash alone. Either way the stored hash must match [`Self::hash`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenKey {
    pub id: Option<TokenId>,
    pub hash: String,
}

impl TokenKey {
    pub fn of(token: &str) -> Self {
        let id_len = crate::ids::ID_LEN;
        let id = token
            .len()
            .checked_sub(SECRET_CHARS + id_len)
            .filter(|start| *start > 0)
            .and_then(|start| token.get(start..start + id_len))
            .filter(|id| crate::ids::is_generated_id(id))
            .map(|id| TokenId(id.to_string()));
        TokenKey { id, hash: hash_token(token) }
    }
}

/// The stored form of a high-entropy secret: lowercase hex SHA-256.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[(b >> 4) as usize]));
        out.push(char::from(b"0123456789abcdef"[(b & 15) as usize]));
    }
    out
}

pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_PASSWORD_LEN: usize = 1024;

/// Hash a human password with Argon2id (default parameters, random salt).
pub fn hash_password(password: &str) -> Result<String> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(Error::bad_input(format!("password must be at least {MIN_PASSWORD_LEN} characters")));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(Error::bad_input(format!("password must be at most {MAX_PASSWORD_LEN} characters")));
    }
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(Error::internal)
}

/// Check a password against its stored hash; any malformed hash is simply a mismatch.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_prefix_entropy_and_stable_hash() {
        let (t1, h1) = generate_token(BOT_TOKEN_PREFIX);
        let (t2, _) = generate_token(BOT_TOKEN_PREFIX);
        assert!(t1.starts_with(BOT_TOKEN_PREFIX));
        assert_eq!(t1.len(), BOT_TOKEN_PREFIX.len() + 43);
        assert_ne!(t1, t2);
        assert_eq!(h1, hash_token(&t1));
        assert_eq!(h1.len(), 64);
        assert_ne!(h1, hash_token(&t2));
    }

    #[test]
    fn issued_tokens_carry_their_id_and_older_tokens_none() {
        let (id, token, hash) = issue_token(ACCESS_PREFIX_FOR_TEST);
        assert!(token.starts_with(ACCESS_PREFIX_FOR_TEST));
        assert_eq!(TokenKey::of(&token), TokenKey { id: Some(id.clone()), hash: hash.clone() });
        assert_eq!(hash, hash_token(&token));
        let (_, other, _) = issue_token(ACCESS_PREFIX_FOR_TEST);
        assert_ne!(TokenKey::of(&other).id, Some(id), "ids differ");
        // A token of the earlier format (prefix and 43 random characters) carries no id.
        let (old, old_hash) = generate_token(BOT_TOKEN_PREFIX);
        assert_eq!(TokenKey::of(&old), TokenKey { id: None, hash: old_hash });
        // Junk of any length, including where an id would be, carries none either.
        for junk in ["", "x", "tsr_at_", &"Z".repeat(80), &format!("tsr_at_{}", "!".repeat(67))] {
            assert_eq!(TokenKey::of(junk).id, None, "{junk}");
        }
    }

    const ACCESS_PREFIX_FOR_TEST: &str = "tsr_at_";

    #[test]
    fn passwords_verify_only_with_the_right_secret() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "garbage"));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn scopes_parse_and_reject_unknown() {
        let s = parse_scopes("elements:read  v2legacy").expect("parse");
        assert_eq!(format_scopes(&s), "v2legacy elements:read");
        assert!(parse_scopes("elements:read admin").is_err());
    }

    #[test]
    fn only_spaces_mean_no_scope_other_whitespace_is_a_scope() {
        assert_eq!(requested_scope(None), None);
        assert_eq!(requested_scope(Some("")), None);
        assert_eq!(requested_scope(Some("   ")), None);
        for odd in ["\t", "\u{3000}", " \n "] {
            let asked = requested_scope(Some(odd));
            assert_eq!(asked, Some(odd));
            assert!(parse_scopes(odd).is_err(), "{odd:?} is not a known scope");
        }
    }
}
