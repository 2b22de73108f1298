//! Signatures of the URLs tessera serves asset files at (upload forms and downloads of the
//! local store): HMAC-SHA256 over every part of what a URL allows, with a key every node
//! shares through the database. Changing any part (the key, the size, the expiry) breaks it.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Clone)]
pub struct Signer {
    key: std::sync::Arc<Vec<u8>>,
}

impl Signer {
    pub fn new(key: &[u8]) -> Self {
        Signer { key: std::sync::Arc::new(key.to_vec()) }
    }

    fn mac(&self, parts: &[&str]) -> Hmac<Sha256> {
        #[allow(clippy::expect_used)] // HMAC takes a key of any length
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        for p in parts {
            // Each part with its length first, so no two lists of parts sign alike.
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p.as_bytes());
        }
        mac
    }

    pub fn sign(&self, parts: &[&str]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.mac(parts).finalize().into_bytes())
    }

    /// Whether `signature` signs `parts` (compared in constant time).
    pub fn verify(&self, parts: &[&str], signature: &str) -> bool {
        match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature) {
            Ok(sig) => self.mac(parts).verify_slice(&sig).is_ok(),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_only_for_what_it_signed() {
        let s = Signer::new(b"k");
        let sig = s.sign(&["download", "a/b", "image/png", "100"]);
        assert!(s.verify(&["download", "a/b", "image/png", "100"], &sig));
        assert!(!s.verify(&["download", "a/b", "image/png", "101"], &sig));
        assert!(!s.verify(&["download", "a/c", "image/png", "100"], &sig));
        assert!(!s.verify(&["download", "a/b", "text/html", "100"], &sig));
        assert!(!Signer::new(b"other").verify(&["download", "a/b", "image/png", "100"], &sig));
        assert!(!s.verify(&["download", "a/b", "image/png", "100"], "not base64!"));
    }
}
