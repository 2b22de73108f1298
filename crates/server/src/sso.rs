//! The upstream side of single sign-on: an organization's OpenID Connect provider's discovery
//! document and keys (fetched through the same guarded client as asset URLs, so private
//! networks stay out of reach unless `fetch_allow` lets them in; cached for ten minutes, keys
//! fetched again when a token names an unknown one), and the exchange of a code for its tokens.
//! The ID token is checked in `tessera_core::sso`.

use crate::assets::fetch::Fetcher;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_core::ports::IdentityProvider;
use tessera_core::sso::{verify_id_token, JwkSet, Pending, UpstreamIdentity};

const CACHE_FOR: Duration = Duration::from_secs(600);
/// Keys are fetched again for an unknown key id at most this often.
const REFETCH_AFTER: Duration = Duration::from_secs(30);
const MAX_DOCUMENT: u64 = 256 * 1024;

/// What tessera uses of a provider's discovery document.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

struct Known {
    at: Instant,
    discovery: Discovery,
    jwks: JwkSet,
}

pub struct Upstream {
    fetcher: Fetcher,
    known: Mutex<HashMap<String, Arc<Known>>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

impl Upstream {
    pub fn new(fetcher: Fetcher) -> Self {
        Upstream { fetcher, known: Mutex::new(HashMap::new()) }
    }

    async fn json<T: serde::de::DeserializeOwned>(&self, url: &str, what: &str) -> Result<T, String> {
        let body = self.fetcher.fetch(url, MAX_DOCUMENT).await.map_err(|e| format!("{what}: {e}"))?;
        serde_json::from_slice(&body).map_err(|e| format!("{what} is not what OpenID Connect describes: {e}"))
    }

    /// The provider's documents: cached, or fetched (again if `stale_keys` and old enough).
    async fn known(&self, issuer: &str, stale_keys: bool) -> Result<Arc<Known>, String> {
        let cached = self.known.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(issuer).cloned();
        if let Some(k) = &cached {
            let age = k.at.elapsed();
            if age < CACHE_FOR && !(stale_keys && age > REFETCH_AFTER) {
                return Ok(k.clone());
            }
        }
        let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let discovery: Discovery = self.json(&url, "the provider's discovery document").await?;
        if discovery.issuer != issuer {
            return Err(format!("the discovery document names issuer {:?}, not {issuer:?}", discovery.issuer));
        }
        let jwks: JwkSet = self.json(&discovery.jwks_uri, "the provider's keys").await?;
        let known = Arc::new(Known { at: Instant::now(), discovery, jwks });
        self.known.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(issuer.to_string(), known.clone());
        Ok(known)
    }

    /// Where to send the person: the provider's authorization endpoint with this sign-in's
    /// state, nonce and PKCE challenge.
    pub async fn authorization_url(
        &self,
        p: &IdentityProvider,
        redirect_uri: &str,
        state: &str,
        pending: &Pending,
        login_hint: Option<&str>,
    ) -> Result<String, String> {
        let known = self.known(&p.issuer, false).await?;
        let mut url = url::Url::parse(&known.discovery.authorization_endpoint)
            .map_err(|_| "the provider's authorization endpoint is not a URL".to_string())?;
        let challenge = tessera_core::oauth::pkce::s256_challenge(&pending.verifier);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &p.client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("scope", "openid email profile")
                .append_pair("state", state)
                .append_pair("nonce", &pending.nonce)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
            if let Some(hint) = login_hint {
                q.append_pair("login_hint", hint);
            }
        }
        Ok(url.into())
    }

    /// Exchange the code for tokens and check the ID token: the person it names.
    pub async fn finish(
        &self,
        p: &IdentityProvider,
        secret: &str,
        redirect_uri: &str,
        code: &str,
        pending: &Pending,
    ) -> Result<UpstreamIdentity, String> {
        let known = self.known(&p.issuer, false).await?;
        let methods = &known.discovery.token_endpoint_auth_methods_supported;
        // client_secret_basic is the default when a provider lists none.
        let basic = methods.is_empty() || methods.iter().any(|m| m == "client_secret_basic");
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", pending.verifier.as_str()),
        ];
        // RFC 6749 §2.3.1: the credentials are form-encoded before they go in the Basic header.
        let (user, password) = (form_encode(&p.client_id), form_encode(secret));
        if !basic {
            form.extend([("client_id", p.client_id.as_str()), ("client_secret", secret)]);
        }
        let credentials = basic.then_some((user.as_str(), password.as_str()));
        let (status, body) =
            self.fetcher.post_form(&known.discovery.token_endpoint, &form, credentials, MAX_DOCUMENT).await?;
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|_| format!("the token endpoint answered HTTP {status} without JSON"))?;
        let token = match (status, answer.id_token, answer.error) {
            (200, Some(t), _) => t,
            (_, _, Some(e)) => return Err(format!("the token endpoint refused the code: {e}")),
            _ => return Err(format!("the token endpoint answered HTTP {status} without an ID token")),
        };
        match verify_id_token(&token, &known.jwks, &p.issuer, &p.client_id, &pending.nonce) {
            Err(e) if e.starts_with("no published key") => {
                // The provider may have rotated its keys since they were fetched.
                let known = self.known(&p.issuer, true).await?;
                verify_id_token(&token, &known.jwks, &p.issuer, &p.client_id, &pending.nonce)
            }
            other => other,
        }
        .map_err(|e| format!("the ID token was refused: {e}"))
    }
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
