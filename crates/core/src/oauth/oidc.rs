//! OpenID Connect on the authorization server: ID tokens for codes granted with `openid`,
//! the published key set, userinfo, and reading back an ID token given as a logout hint.
//! Access tokens stay opaque; only the ID token is a JWT.

use super::keys::{self, KeyPolicy, Sealer, Signer, StoredKey};
use crate::auth::{Scope, Scopes};
use crate::error::{Error, Result};
use crate::model::{now_millis, User};
use crate::service::Core;
use std::collections::HashMap;
use std::sync::Arc;

/// The Authentication Context Class of a password sign-in (ISO/IEC 29115 level 1).
pub const ACR_PASSWORD: &str = "1";
/// The class of a sign-in with a password and a one-time code (level 2).
pub const ACR_TWO_FACTOR: &str = "2";

/// The node's view of the signing keys.
pub struct Oidc {
    sealer: Sealer,
    pub policy: KeyPolicy,
    loaded: tokio::sync::Mutex<Option<Arc<KeySet>>>,
}

/// The stored keys as read at `at`, with the ones this node could open.
pub struct KeySet {
    at: i64,
    keys: Vec<StoredKey>,
    signers: HashMap<String, Arc<Signer>>,
}

impl Oidc {
    pub fn new(sealer: Sealer, policy: KeyPolicy) -> Self {
        Oidc { sealer, policy, loaded: tokio::sync::Mutex::new(None) }
    }

    /// The installation's secret key, which also seals other secrets at rest (TOTP).
    pub(crate) fn sealer(&self) -> &Sealer {
        &self.sealer
    }
}

impl Default for Oidc {
    fn default() -> Self {
        Oidc::new(Sealer::ephemeral(), KeyPolicy::default())
    }
}

/// The claims of an ID token (OpenID Connect Core §2) and of userinfo's answer.
#[derive(Debug, serde::Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    acr: &'a str,
    amr: &'a [&'a str],
    at_hash: String,
    #[serde(flatten)]
    person: serde_json::Map<String, serde_json::Value>,
}

/// What the ID token and userinfo say about a person, by scope.
pub fn person_claims(user: &User, scopes: &Scopes, verified: bool) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    if scopes.contains(&Scope::Profile) {
        let name = format!("{} {}", user.first_name, user.last_name).trim().to_string();
        out.insert("name".into(), name.into());
        out.insert("given_name".into(), user.first_name.clone().into());
        out.insert("family_name".into(), user.last_name.clone().into());
    }
    if let (true, Some(email)) = (scopes.contains(&Scope::Email), &user.email) {
        out.insert("email".into(), email.clone().into());
        out.insert("email_verified".into(), verified.into());
    }
    out
}

/// An ID token to verify as a logout hint: who it was for, and for which client.
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    pub sub: String,
    pub aud: String,
}

impl Core {
    /// The key set, read again when older than the policy's `reload`; on reading, a successor key is
    /// made if one is due and keys past use are deleted.
    async fn key_set(&self) -> Result<Arc<KeySet>> {
        let oidc = &self.oidc;
        let mut loaded = oidc.loaded.lock().await;
        let now = now_millis();
        if let Some(set) = loaded.as_ref().filter(|s| now - s.at < oidc.policy.reload) {
            return Ok(set.clone());
        }
        let mut stored = self.store.signing_keys().await?;
        if let Some(activates_at) = keys::successor_due(&stored, &oidc.policy, now) {
            // RSA key generation takes a moment; the lock keeps this node from making two.
            let o = self.oidc.clone();
            let key = tokio::task::spawn_blocking(move || keys::generate(o.policy.alg, &o.sealer, now, activates_at))
                .await
                .map_err(|e| Error::Internal(format!("making a signing key failed: {e}")))??;
            self.store.add_signing_key(&key).await?;
            tracing::info!(kid = %key.kid, alg = %key.alg, activates_at, "new ID token signing key");
            stored.push(key);
        }
        let (gone, keep): (Vec<StoredKey>, Vec<StoredKey>) =
            stored.iter().cloned().partition(|k| keys::expired(&stored, k, &oidc.policy, now));
        for k in gone {
            self.store.delete_signing_key(&k.kid).await?;
            tracing::info!(kid = %k.kid, "expired ID token signing key deleted");
        }
        let previous = loaded.take();
        let mut signers = HashMap::new();
        for k in &keep {
            let known = previous.as_ref().and_then(|p| p.signers.get(&k.kid).cloned());
            if let Some(s) = known.or_else(|| Signer::open(k, &oidc.sealer).map(Arc::new)) {
                signers.insert(k.kid.clone(), s);
            }
        }
        let set = Arc::new(KeySet { at: now, keys: keep, signers });
        *loaded = Some(set.clone());
        Ok(set)
    }

    /// The published key set (RFC 7517).
    pub async fn jwks(&self) -> Result<serde_json::Value> {
        let set = self.key_set().await?;
        Ok(keys::jwks(&set.keys, &self.oidc.policy, now_millis()))
    }

    /// The algorithms ID tokens are signed with (discovery's `id_token_signing_alg_values_supported`).
    pub fn id_token_algs(&self) -> [&'static str; 1] {
        [self.oidc.policy.alg.as_str()]
    }

    /// A signed ID token for `user`, issued to `client_id` with this access token.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn id_token(
        &self,
        user: &User,
        client_id: &str,
        scopes: &Scopes,
        access_token: &str,
        nonce: Option<&str>,
        signin: crate::auth::SignIn,
    ) -> Result<String> {
        let set = self.key_set().await?;
        let now = now_millis();
        let key = keys::signing(&set.keys, &self.oidc.policy, now)
            .ok_or_else(|| Error::Internal("no ID token signing key is active".into()))?;
        let signer = set.signers.get(&key.kid).ok_or_else(|| {
            Error::Internal(format!(
                "the signing key {} cannot be opened with this node's secret key: every node must share one secret_key",
                key.kid
            ))
        })?;
        let claims = IdClaims {
            iss: &self.settings().issuer,
            sub: user.id.as_str(),
            aud: client_id,
            exp: now / 1000 + self.settings().access_token_ttl_secs,
            iat: now / 1000,
            auth_time: signin.at / 1000,
            nonce,
            acr: if signin.mfa { ACR_TWO_FACTOR } else { ACR_PASSWORD },
            amr: if signin.mfa { &["pwd", "otp"] } else { &["pwd"] },
            at_hash: keys::half_hash(signer.alg, access_token),
            person: person_claims(user, scopes, self.store.email_verified(&user.id).await?),
        };
        signer.sign(&claims)
    }

    /// What an ID token this server signed says, expired or not (for a logout hint): `None` if
    /// its signature does not verify with a published key or it was issued elsewhere.
    pub async fn read_id_token_hint(&self, token: &str) -> Result<Option<Hint>> {
        let Ok(header) = jsonwebtoken::decode_header(token) else { return Ok(None) };
        let set = self.key_set().await?;
        let Some(stored) = set.keys.iter().find(|k| Some(&k.kid) == header.kid.as_ref()) else { return Ok(None) };
        let Some((key, alg)) = keys::verifier(stored) else { return Ok(None) };
        let mut v = jsonwebtoken::Validation::new(alg);
        v.validate_exp = false;
        v.validate_aud = false;
        v.set_required_spec_claims(&["iss", "sub", "aud"]);
        v.set_issuer(&[&self.settings().issuer]);
        #[derive(serde::Deserialize)]
        struct Claims {
            sub: String,
            aud: String,
        }
        Ok(jsonwebtoken::decode::<Claims>(token, &key, &v).ok().map(|d| Hint { sub: d.claims.sub, aud: d.claims.aud }))
    }

    /// The userinfo answer for a token's person and scopes (the caller has checked `openid`).
    pub async fn userinfo(&self, user: &User, scopes: &Scopes) -> Result<serde_json::Value> {
        let verified = scopes.contains(&Scope::Email) && self.store.email_verified(&user.id).await?;
        let mut claims = person_claims(user, scopes, verified);
        claims.insert("sub".into(), user.id.as_str().into());
        Ok(serde_json::Value::Object(claims))
    }
}
