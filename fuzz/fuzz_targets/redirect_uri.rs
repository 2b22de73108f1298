//! Redirect URIs: the registration rules (`validate_registration`) and the matching at the
//! authorization endpoint (`matches`). Matching is exact: a requested URI matches a registered
//! one iff the two are byte-equal, except that a registered loopback IP-literal `http` URI
//! matches the same URI with any port (RFC 8252 §7.3).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::oauth::redirect::{matches, origin, validate_registration};
use url::Url;

#[derive(Clone, Copy)]
enum Requested<'a> {
    /// Any string.
    Raw(&'a str),
    /// The registered URI with one byte inserted, replaced or removed.
    Edit { at: usize, byte: u8, how: u8 },
    /// The registered URI with a port written after its host.
    Port(u16),
    /// The registered URI with something appended.
    Suffix(&'a str),
}

/// Four bytes of choices, then the registered URI, a newline, and the requested text.
fn input(data: &[u8]) -> Option<(&str, Requested<'_>)> {
    let ([kind, a, b, c], rest) = data.split_first_chunk::<4>()?;
    let (registered, text) = std::str::from_utf8(rest).ok()?.split_once('\n')?;
    let requested = match kind & 3 {
        0 => Requested::Raw(text),
        1 => Requested::Edit { at: usize::from(u16::from_be_bytes([*a, *b])), byte: *c, how: kind >> 2 },
        2 => Requested::Port(u16::from_be_bytes([*a, *b])),
        _ => Requested::Suffix(text),
    };
    Some((registered, requested))
}

const LOOPBACKS: [&str; 2] = ["http://127.0.0.1", "http://[::1]"];

/// A loopback IP-literal `http` URI with the port (if any) taken out, by string surgery alone.
fn without_port(s: &str) -> Option<String> {
    let prefix = LOOPBACKS.into_iter().find(|p| s.starts_with(p))?;
    let rest = &s[prefix.len()..];
    let rest = match rest.strip_prefix(':') {
        Some(r) => r.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => rest,
    };
    Some(format!("{prefix}{rest}"))
}

fn with_port(registered: &str, port: u16) -> Option<String> {
    let prefix = LOOPBACKS.into_iter().find(|p| registered.starts_with(p))?;
    let rest = &registered[prefix.len()..];
    rest.starts_with('/').then(|| format!("{prefix}:{port}{rest}"))
}

fn edit(s: &str, at: usize, byte: u8, how: u8) -> Option<String> {
    let mut b = s.as_bytes().to_vec();
    let at = at.checked_rem(b.len() + 1)?;
    match how % 3 {
        0 => b.insert(at, byte),
        1 if at < b.len() => b[at] = byte,
        2 if at < b.len() => {
            b.remove(at);
        }
        _ => return None,
    }
    String::from_utf8(b).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((reg, requested)) = input(data) else { return };
    let valid = validate_registration(reg).is_ok();
    assert!(matches(reg, reg), "{reg:?} does not match itself");
    if valid {
        let u = Url::parse(reg).unwrap_or_else(|e| panic!("registered {reg:?} does not parse: {e}"));
        assert!(reg.len() <= 2000 && !reg.contains('#'), "{reg:?}");
        assert!(u.username().is_empty() && u.password().is_none(), "{reg:?} has user information");
        match u.scheme() {
            "https" => {}
            "http" => assert!(matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost")), "{reg:?}"),
            s => assert!(s.contains('.'), "{reg:?}: scheme {s}"),
        }
        // The CORS origin of a canonical https URI is its prefix.
        if u.scheme() == "https" && u.as_str() == reg {
            let o = origin(reg).unwrap_or_else(|| panic!("{reg:?} has no origin"));
            assert!(reg.starts_with(&o), "{reg:?} has origin {o:?}");
        }
    }

    let req = match requested {
        Requested::Raw(s) => s.to_string(),
        Requested::Edit { at, byte, how } => match edit(reg, at, byte, how) {
            Some(s) => s,
            None => return,
        },
        Requested::Port(port) => match with_port(reg, port) {
            Some(s) => s,
            None => return,
        },
        Requested::Suffix(s) => format!("{reg}{s}"),
    };
    let matched = matches(reg, &req);
    if matched && req != reg {
        // The only way two different strings match: the loopback exception, and then the
        // request is the registered URI (as the URL parser writes it) on another port.
        let canonical = Url::parse(reg).map(String::from).unwrap_or_default();
        let (a, b) = (without_port(&canonical), without_port(&req));
        assert!(a.is_some() && a == b, "{req:?} matched {reg:?}");
        assert!(!req.contains('#'), "{req:?} matched {reg:?}");
    }
    // Native apps get a port from the OS: a registered loopback URI must accept it.
    if let Requested::Port(port) = requested {
        let canonical = Url::parse(reg).is_ok_and(|u| u.as_str() == reg && u.port().is_none());
        if valid && canonical && port != 80 {
            assert!(matched, "{reg:?} does not accept port {port}");
        }
    }
});
