//! Scope strings (RFC 6749 §3.3): `parse_scopes` accepts exactly the space-separated lists of
//! known scopes, and `format_scopes` writes a canonical string that parses back to the same set.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::auth::{format_scopes, parse_scopes, Scope};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let tokens: Vec<&str> = text.split(' ').filter(|t| !t.is_empty()).collect();
    let known = |t: &str| Scope::ALL.iter().find(|s| s.as_str() == t).copied();
    match parse_scopes(text) {
        Ok(set) => {
            assert!(tokens.iter().all(|t| known(t).is_some()), "{text:?} accepted");
            for t in &tokens {
                assert!(known(t).is_some_and(|s| set.contains(&s)), "{t:?} lost from {text:?}");
            }
            assert!(set.iter().all(|s| tokens.contains(&s.as_str())), "{text:?} gained a scope");
            let printed = format_scopes(&set);
            assert_eq!(parse_scopes(&printed).ok().as_ref(), Some(&set), "{printed:?}");
            assert!(!printed.starts_with(' ') && !printed.ends_with(' ') && !printed.contains("  "), "{printed:?}");
            assert_eq!(printed.split(' ').filter(|t| !t.is_empty()).count(), set.len(), "{printed:?}");
            assert_eq!(format_scopes(&parse_scopes(&printed).unwrap_or_default()), printed);
        }
        Err(e) => {
            assert!(tokens.iter().any(|t| known(t).is_none()), "{text:?} refused: {e}");
        }
    }
    for t in tokens {
        if let Some(s) = Scope::parse(t) {
            assert_eq!(s.as_str(), t);
        }
    }
});
