//! Proof Key for Code Exchange (RFC 7636), S256 only: `plain` offers no protection against a
//! leaked authorization request and is refused.

use super::{constant_time_eq, OAuthError};
use base64::Engine;
use sha2::{Digest, Sha256};

fn is_unreserved(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Check a `code_challenge` and its method as they arrive at the authorization endpoint.
pub fn check_challenge(challenge: &str, method: Option<&str>) -> Result<(), OAuthError> {
    match method {
        Some("S256") => {}
        None => return Err(OAuthError::invalid_request("code_challenge_method must be S256")),
        Some(_) => return Err(OAuthError::invalid_request("only the S256 code_challenge_method is supported")),
    }
    if challenge.len() != 43 || !is_unreserved(challenge) {
        return Err(OAuthError::invalid_request("code_challenge must be a base64url SHA-256 digest (43 characters)"));
    }
    Ok(())
}

/// The S256 challenge of a verifier (what a client sends, as tessera does to SSO providers).
pub fn s256_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` (RFC 7636 §4.1) hashes to `challenge` under S256.
pub fn verify(verifier: &str, challenge: &str) -> bool {
    if !(43..=128).contains(&verifier.len()) || !is_unreserved(verifier) {
        return false;
    }
    constant_time_eq(&s256_challenge(verifier), challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verify(verifier, challenge));
        assert!(!verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx", challenge));
        assert!(!verify("short", challenge));
        assert!(check_challenge(challenge, Some("S256")).is_ok());
        assert!(check_challenge(challenge, Some("plain")).is_err());
        assert!(check_challenge(challenge, None).is_err());
        assert!(check_challenge("abc", Some("S256")).is_err());
    }
}
