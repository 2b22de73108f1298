//! Redirect URIs: what may be registered, and exact matching at the authorization endpoint.
//!
//! Matching is by exact string, with one exception from RFC 8252 §7.3: a registered loopback
//! IP-literal URI (`http://127.0.0.1/…`, `http://[::1]/…`) matches the same URI on any port,
//! since native apps get an ephemeral port from the OS. Nothing is normalised before
//! comparing, so case, encoding, added paths, queries or fragments never match.

use url::Url;

fn is_loopback_literal(u: &Url) -> bool {
    matches!(u.host_str(), Some("127.0.0.1") | Some("[::1]"))
}

/// Check a redirect URI for registration; the string is kept exactly as given.
pub fn validate_registration(raw: &str) -> Result<(), String> {
    let u = Url::parse(raw).map_err(|e| format!("{raw:?} is not an absolute URI: {e}"))?;
    if raw.len() > 2000 {
        return Err("redirect URI is longer than 2000 characters".into());
    }
    if u.fragment().is_some() || raw.contains('#') {
        return Err(format!("{raw:?}: a redirect URI must not contain a fragment"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(format!("{raw:?}: a redirect URI must not contain user information"));
    }
    match u.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_literal(&u) || u.host_str() == Some("localhost") => Ok(()),
        "http" => Err(format!("{raw:?}: plain http is only allowed for loopback (127.0.0.1, [::1], localhost)")),
        "javascript" | "data" | "file" | "vbscript" | "about" | "blob" | "ftp" | "ws" | "wss" => {
            Err(format!("{raw:?}: the scheme {} is not allowed", u.scheme()))
        }
        // Private-use schemes of native apps (RFC 8252 §7.1) use reverse domain names.
        s if s.contains('.') => Ok(()),
        s => Err(format!(
            "{raw:?}: scheme {s} is not allowed (use https, loopback http, or a reverse-domain private scheme)"
        )),
    }
}

/// Whether a requested redirect URI matches a registered one.
pub fn matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(reg), Ok(req)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    // The loopback exception only; the request must already be in canonical form, so no
    // normalisation (dot segments, case, default ports) can make a different URI match.
    if reg.scheme() != "http" || !is_loopback_literal(&reg) || req.as_str() != requested {
        return false;
    }
    let (mut reg, mut req) = (reg, req);
    if reg.set_port(None).is_err() || req.set_port(None).is_err() {
        return false;
    }
    reg.as_str() == req.as_str() && req.fragment().is_none()
}

/// The origin (`scheme://host[:port]`) of a URI, for CORS.
pub fn origin(raw: &str) -> Option<String> {
    let u = Url::parse(raw).ok()?;
    match u.origin() {
        url::Origin::Tuple(..) => Some(u.origin().ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_rules() {
        for ok in [
            "https://app.example.com/cb",
            "http://localhost:3001/auth/callback",
            "http://127.0.0.1/cb",
            "com.example.app:/cb",
        ] {
            assert!(validate_registration(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://app.example.com/cb",
            "https://a.example/cb#x",
            "javascript:alert(1)",
            "/relative",
            "https://u:p@a.example/cb",
            "myapp:/cb",
        ] {
            assert!(validate_registration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn exact_matching() {
        let r = "https://app.example.com/cb";
        assert!(matches(r, r));
        for bad in [
            "https://app.example.com/cb/",
            "https://app.example.com/cb/x",
            "https://app.example.com/cb?x=1",
            "https://app.example.com/cb#x",
            "https://APP.example.com/cb",
            "https://app.example.com/CB",
            "https://app.example.com/%63b",
            "https://app.example.com:443/cb",
            "https://app.example.com/x/../cb",
            "https://app.example.com.evil.test/cb",
            "https://evil.test@app.example.com/cb",
            "http://app.example.com/cb",
        ] {
            assert!(!matches(r, bad), "{bad}");
        }
    }

    #[test]
    fn loopback_any_port() {
        let r = "http://127.0.0.1/callback";
        assert!(matches(r, "http://127.0.0.1:53121/callback"));
        assert!(matches("http://[::1]:8000/cb", "http://[::1]:9/cb"));
        assert!(!matches(r, "http://127.0.0.1:5/callback/x"));
        assert!(!matches(r, "http://127.0.0.1:5/x/../callback"));
        assert!(!matches(r, "http://localhost:5/callback"));
        assert!(!matches("http://localhost:3001/cb", "http://localhost:3002/cb"));
    }
}
