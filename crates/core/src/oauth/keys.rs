//! The keys that sign ID tokens: made here, stored sealed (AES-256-GCM under the
//! installation's secret key, bound to the key's id), published in the JWKS before they sign
//! anything, and kept there after a successor takes over until the tokens they signed expire.
//!
//! The rotation rules are pure functions of the stored keys and the time, so every node that
//! reads the same rows reaches the same answer: the signing key is the newest one already
//! active; a successor is made when the current key has served `rotate_every` less
//! `publish_ahead`, and activates `publish_ahead` after it appears.

use crate::error::{Error, Result};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The algorithms ID tokens can be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlg {
    Rs256,
    EdDsa,
}

impl KeyAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlg::Rs256 => "RS256",
            KeyAlg::EdDsa => "EdDSA",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [KeyAlg::Rs256, KeyAlg::EdDsa].into_iter().find(|a| a.as_str() == s)
    }

    pub fn jwt(self) -> Algorithm {
        match self {
            KeyAlg::Rs256 => Algorithm::RS256,
            KeyAlg::EdDsa => Algorithm::EdDSA,
        }
    }
}

/// How keys rotate (milliseconds).
#[derive(Debug, Clone, Copy)]
pub struct KeyPolicy {
    pub alg: KeyAlg,
    /// How long a key signs before its successor takes over.
    pub rotate_every: i64,
    /// How long a successor is published before it signs: longer than any client caches the JWKS.
    pub publish_ahead: i64,
    /// How long a key stays published after its successor took over: the longest an ID token
    /// it signed can live, plus leeway for clocks.
    pub keep_after: i64,
    /// How long a node trusts the keys it read before reading them again: far shorter than
    /// `publish_ahead`, so that a successor made by any node is seen before it signs.
    pub reload: i64,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        let day = 86_400_000;
        KeyPolicy {
            alg: KeyAlg::Rs256,
            rotate_every: 30 * day,
            publish_ahead: day,
            keep_after: 3_600_000 + 300_000,
            reload: 60_000,
        }
    }
}

/// A key as stored: its public half as a JWK, its private half sealed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredKey {
    pub kid: String,
    pub alg: String,
    pub public_jwk: String,
    pub sealed: String,
    pub created_at: i64,
    pub activates_at: i64,
}

/// Seals private keys with the installation's secret key.
pub struct Sealer(Aes256Gcm);

const SEALED_PREFIX: &str = "v1.";

impl Sealer {
    /// From the configured secret (any text of at least 32 characters; its SHA-256 is the key).
    pub fn from_secret(secret: &str) -> Result<Self> {
        if secret.trim().len() < 32 {
            return Err(Error::bad_input("the secret key must be at least 32 characters"));
        }
        Ok(Sealer(Aes256Gcm::new(&Sha256::digest(secret.trim().as_bytes()))))
    }

    /// A secret known only to this process: keys it seals cannot be opened after a restart.
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Sealer(Aes256Gcm::new(&key.into()))
    }

    pub fn seal(&self, kid: &str, plain: &[u8]) -> Result<String> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .0
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad: kid.as_bytes() })
            .map_err(|_| Error::Internal("sealing a signing key failed".into()))?;
        Ok(format!("{SEALED_PREFIX}{}", B64.encode([&nonce[..], &sealed].concat())))
    }

    /// The private key, if this secret sealed it for this key id.
    pub fn open(&self, kid: &str, sealed: &str) -> Option<Vec<u8>> {
        let raw = B64.decode(sealed.strip_prefix(SEALED_PREFIX)?).ok()?;
        let (nonce, body) = raw.split_at_checked(12)?;
        self.0.decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: kid.as_bytes() }).ok()
    }
}

/// A new key pair (RSA 2048 takes a moment: call it off the async workers).
pub fn generate(alg: KeyAlg, sealer: &Sealer, now: i64, activates_at: i64) -> Result<StoredKey> {
    let fail = |what: &str| Error::Internal(format!("making a signing key failed: {what}"));
    let mut id = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let kid = B64.encode(id);
    let (private, mut jwk) = match alg {
        KeyAlg::Rs256 => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(|e| fail(&e.to_string()))?;
            let der = key.to_pkcs1_der().map_err(|e| fail(&e.to_string()))?.as_bytes().to_vec();
            let jwk = Jwk::from_encoding_key(&encoding_key(alg, &der), alg.jwt()).map_err(|e| fail(&e.to_string()))?;
            (der, jwk)
        }
        KeyAlg::EdDsa => {
            use ed25519_dalek::pkcs8::EncodePrivateKey;
            use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, OctetKeyPairParameters, OctetKeyPairType};
            let mut seed = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut seed);
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            let der = key.to_pkcs8_der().map_err(|e| fail(&e.to_string()))?.as_bytes().to_vec();
            let jwk = Jwk {
                common: Default::default(),
                algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                    key_type: OctetKeyPairType::OctetKeyPair,
                    curve: EllipticCurve::Ed25519,
                    x: B64.encode(key.verifying_key().as_bytes()),
                }),
            };
            (der, jwk)
        }
    };
    jwk.common.key_id = Some(kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_algorithm = Some(match alg {
        KeyAlg::Rs256 => KeyAlgorithm::RS256,
        KeyAlg::EdDsa => KeyAlgorithm::EdDSA,
    });
    let public_jwk = serde_json::to_string(&jwk).map_err(|e| fail(&e.to_string()))?;
    Ok(StoredKey {
        sealed: sealer.seal(&kid, &private)?,
        kid,
        alg: alg.as_str().into(),
        public_jwk,
        created_at: now,
        activates_at,
    })
}

fn encoding_key(alg: KeyAlg, private: &[u8]) -> EncodingKey {
    match alg {
        KeyAlg::Rs256 => EncodingKey::from_rsa_der(private),
        KeyAlg::EdDsa => EncodingKey::from_ed_der(private),
    }
}

/// Keys of `alg`, newest activation first (ties by key id, so every node orders alike).
fn of_alg(keys: &[StoredKey], alg: KeyAlg) -> Vec<&StoredKey> {
    let mut out: Vec<&StoredKey> = keys.iter().filter(|k| k.alg == alg.as_str()).collect();
    out.sort_by(|a, b| b.activates_at.cmp(&a.activates_at).then_with(|| b.kid.cmp(&a.kid)));
    out
}

/// The key that signs now: the newest of the policy's algorithm already active.
pub fn signing<'a>(keys: &'a [StoredKey], p: &KeyPolicy, now: i64) -> Option<&'a StoredKey> {
    of_alg(keys, p.alg).into_iter().find(|k| k.activates_at <= now)
}

/// When a new key should activate, if one must be made now: at once when there is none;
/// otherwise `publish_ahead` from now once the signing key is due for retirement and no
/// successor is waiting.
pub fn successor_due(keys: &[StoredKey], p: &KeyPolicy, now: i64) -> Option<i64> {
    let mine = of_alg(keys, p.alg);
    let Some(current) = mine.iter().find(|k| k.activates_at <= now) else {
        // Nothing active yet. A waiting key will take over soon; with none, one is needed now.
        return mine.is_empty().then_some(now);
    };
    let waiting = mine.iter().any(|k| k.activates_at > now);
    let retire_at = current.activates_at + p.rotate_every;
    (!waiting && now >= retire_at - p.publish_ahead).then(|| retire_at.max(now + p.publish_ahead))
}

/// Whether a key is past use: a successor of its algorithm has been signing for `keep_after`.
pub fn expired(keys: &[StoredKey], key: &StoredKey, p: &KeyPolicy, now: i64) -> bool {
    keys.iter().any(|k| {
        k.alg == key.alg
            && (k.activates_at, &k.kid) > (key.activates_at, &key.kid)
            && k.activates_at <= now - p.keep_after
    })
}

/// The published key set (RFC 7517): every key not yet expired, waiting ones included.
pub fn jwks(keys: &[StoredKey], p: &KeyPolicy, now: i64) -> serde_json::Value {
    let list: Vec<serde_json::Value> = keys
        .iter()
        .filter(|k| !expired(keys, k, p, now))
        .filter_map(|k| serde_json::from_str(&k.public_jwk).ok())
        .collect();
    serde_json::json!({ "keys": list })
}

/// A key ready to sign: its id, algorithm and private half.
pub struct Signer {
    pub kid: String,
    pub alg: KeyAlg,
    key: EncodingKey,
}

impl Signer {
    pub fn open(stored: &StoredKey, sealer: &Sealer) -> Option<Signer> {
        let alg = KeyAlg::parse(&stored.alg)?;
        let private = sealer.open(&stored.kid, &stored.sealed)?;
        Some(Signer { kid: stored.kid.clone(), alg, key: encoding_key(alg, &private) })
    }

    /// A signed JWT of these claims.
    pub fn sign(&self, claims: &impl serde::Serialize) -> Result<String> {
        let mut header = jsonwebtoken::Header::new(self.alg.jwt());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key)
            .map_err(|e| Error::Internal(format!("signing an ID token failed: {e}")))
    }
}

/// The public key of a stored key, to verify what it signed.
pub fn verifier(stored: &StoredKey) -> Option<(DecodingKey, Algorithm)> {
    let jwk: Jwk = serde_json::from_str(&stored.public_jwk).ok()?;
    Some((DecodingKey::from_jwk(&jwk).ok()?, KeyAlg::parse(&stored.alg)?.jwt()))
}

/// The left half of the token's hash (OpenID Connect `at_hash`): SHA-256 for RS256, SHA-512
/// for Ed25519.
pub fn half_hash(alg: KeyAlg, token: &str) -> String {
    let digest: Vec<u8> = match alg {
        KeyAlg::Rs256 => Sha256::digest(token.as_bytes()).to_vec(),
        KeyAlg::EdDsa => sha2::Sha512::digest(token.as_bytes()).to_vec(),
    };
    B64.encode(&digest[..digest.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn key(kid: &str, activates_at: i64) -> StoredKey {
        StoredKey {
            kid: kid.into(),
            alg: "RS256".into(),
            public_jwk: format!(r#"{{"kid":"{kid}"}}"#),
            sealed: String::new(),
            created_at: activates_at,
            activates_at,
        }
    }

    fn kids(v: &serde_json::Value) -> Vec<String> {
        v["keys"].as_array().into_iter().flatten().map(|k| k["kid"].as_str().unwrap_or("").to_string()).collect()
    }

    #[test]
    fn a_successor_is_published_before_it_signs_and_the_old_key_stays_until_its_tokens_expire() {
        let p = KeyPolicy::default();
        assert_eq!(successor_due(&[], &p, 0), Some(0), "the first key signs at once");
        let mut keys = vec![key("a", 0)];
        assert_eq!(successor_due(&keys, &p, 28 * DAY), None, "not due yet");
        let at = successor_due(&keys, &p, 29 * DAY).expect("due a day before retirement");
        assert_eq!(at, 30 * DAY);
        keys.push(key("b", at));
        assert_eq!(successor_due(&keys, &p, 29 * DAY), None, "one successor is enough");
        // Published at once, signing only from its activation.
        assert_eq!(kids(&jwks(&keys, &p, 29 * DAY)), ["a", "b"]);
        assert_eq!(signing(&keys, &p, 29 * DAY).map(|k| k.kid.as_str()), Some("a"));
        assert_eq!(signing(&keys, &p, 30 * DAY).map(|k| k.kid.as_str()), Some("b"));
        // The old key verifies the tokens it signed until they have expired.
        assert_eq!(kids(&jwks(&keys, &p, 30 * DAY + p.keep_after - 1)), ["a", "b"]);
        assert!(expired(&keys, &keys[0], &p, 30 * DAY + p.keep_after));
        assert_eq!(kids(&jwks(&keys, &p, 30 * DAY + p.keep_after)), ["b"]);
    }

    #[test]
    fn a_late_rotation_still_publishes_ahead() {
        // A server that was down when the key was due: the successor still waits `publish_ahead`.
        let p = KeyPolicy::default();
        let keys = vec![key("a", 0)];
        assert_eq!(successor_due(&keys, &p, 40 * DAY), Some(41 * DAY));
    }

    #[test]
    fn sealed_keys_open_only_with_their_secret_and_their_id() {
        let sealer = Sealer::from_secret("correct horse battery staple, long enough").expect("secret");
        let k = generate(KeyAlg::EdDsa, &sealer, 0, 0).expect("key");
        assert!(Signer::open(&k, &sealer).is_some());
        let other = Sealer::from_secret("another secret of at least thirty-two chars").expect("secret");
        assert!(Signer::open(&k, &other).is_none(), "another secret cannot open it");
        let moved = StoredKey { kid: "other-id".into(), ..k.clone() };
        assert!(Signer::open(&moved, &sealer).is_none(), "sealed under its own id");
        assert!(!k.sealed.contains(&k.public_jwk), "nothing in clear");
        assert!(Sealer::from_secret("short").is_err());
    }

    #[test]
    fn both_algorithms_sign_what_their_published_key_verifies() {
        let sealer = Sealer::ephemeral();
        for alg in [KeyAlg::Rs256, KeyAlg::EdDsa] {
            let k = generate(alg, &sealer, 0, 0).expect("key");
            let jwt = Signer::open(&k, &sealer).expect("opens").sign(&serde_json::json!({"sub": "u1"})).expect("signs");
            let (dk, a) = verifier(&k).expect("public key");
            let mut v = jsonwebtoken::Validation::new(a);
            v.required_spec_claims.clear();
            v.validate_exp = false;
            let data = jsonwebtoken::decode::<serde_json::Value>(&jwt, &dk, &v).expect("verifies");
            assert_eq!(data.claims["sub"], "u1");
            assert_eq!(data.header.kid.as_deref(), Some(k.kid.as_str()));
            let mut forged = jwt.clone().into_bytes();
            let i = jwt.rfind('.').expect("three parts") + 2;
            forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
            let forged = String::from_utf8(forged).expect("ascii");
            assert!(jsonwebtoken::decode::<serde_json::Value>(&forged, &dk, &v).is_err(), "{alg:?}");
        }
    }

    #[test]
    fn at_hash_is_the_left_half_of_the_hash() {
        // OpenID Connect Core 3.1.3.6 (the expected value computed independently with Python's hashlib).
        assert_eq!(half_hash(KeyAlg::Rs256, "jHkWEdUXMU1BwAsC4vtUsZwnNnsKmMrtoQwfLPyMLdU"), "5t1LU0V4aUZqi_449I6lbg");
        assert_eq!(half_hash(KeyAlg::EdDsa, "x").len(), 43);
    }
}
