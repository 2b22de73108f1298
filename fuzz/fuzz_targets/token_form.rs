//! The token endpoint's request parsing: the form body (`form_params`) and the client's
//! credentials from `Authorization: Basic` or the form (`client_credentials`), exactly as
//! `POST /v3/oauth2/token`, `/revoke` and `/introspect` run them before touching the store.
#![no_main]

use base64::Engine;
use http::{header, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use tessera::web::oauth::{client_credentials, form_params};

const FORM: &str = "application/x-www-form-urlencoded";

enum ContentType<'a> {
    Form,
    FormWithCharset,
    Raw(&'a [u8]),
}

enum Authorization<'a> {
    None,
    /// Any header value at all.
    Raw(&'a [u8]),
    /// A well-formed `client_secret_basic` header for these credentials (RFC 6749 §2.3.1).
    Basic {
        id: &'a str,
        secret: &'a str,
        scheme_upper: bool,
    },
}

struct Input<'a> {
    content_type: ContentType<'a>,
    authorization: Authorization<'a>,
    body: &'a [u8],
}

/// One byte of choices, then the content type and the authorization as lines (each used or
/// not by the choices), then the body: readable seeds, and mutations that keep the structure.
fn input(data: &[u8]) -> Option<Input<'_>> {
    let (&choice, rest) = data.split_first()?;
    let mut lines = rest.splitn(3, |b| *b == b'\n');
    let (ct, auth, body) = (lines.next()?, lines.next().unwrap_or_default(), lines.next().unwrap_or_default());
    let content_type = match choice & 3 {
        0 => ContentType::Form,
        1 => ContentType::FormWithCharset,
        _ => ContentType::Raw(ct),
    };
    let authorization = match (choice >> 2) & 3 {
        0 => Authorization::None,
        1 => Authorization::Raw(auth),
        _ => {
            let (id, secret) = std::str::from_utf8(auth).ok()?.split_once(':').unwrap_or(("", ""));
            Authorization::Basic { id, secret, scheme_upper: choice & 16 != 0 }
        }
    };
    Some(Input { content_type, authorization, body })
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// What the spec says about the media type: `application/x-www-form-urlencoded`, any case,
/// parameters allowed.
fn is_form(value: Option<&HeaderValue>) -> bool {
    let Some(v) = value.and_then(|v| v.to_str().ok()) else { return false };
    let media = v.split(';').next().unwrap_or_default().trim();
    media.eq_ignore_ascii_case(FORM)
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = input(data) else { return };
    let mut headers = HeaderMap::new();
    let content_type = match &input.content_type {
        ContentType::Form => Some(HeaderValue::from_static(FORM)),
        ContentType::FormWithCharset => {
            Some(HeaderValue::from_static("Application/X-WWW-Form-URLEncoded; charset=UTF-8"))
        }
        ContentType::Raw(raw) => HeaderValue::from_bytes(raw).ok(),
    };
    if let Some(v) = content_type {
        headers.insert(header::CONTENT_TYPE, v);
    }
    let basic = match &input.authorization {
        Authorization::None => None,
        Authorization::Raw(raw) => {
            if let Ok(v) = HeaderValue::from_bytes(raw) {
                headers.insert(header::AUTHORIZATION, v);
            }
            None
        }
        Authorization::Basic { id, secret, scheme_upper } => {
            let pair = format!("{}:{}", form_encode(id), form_encode(secret));
            let scheme = if *scheme_upper { "BASIC" } else { "Basic" };
            let value = format!("{scheme} {}", base64::engine::general_purpose::STANDARD.encode(pair));
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(header::AUTHORIZATION, v);
            }
            Some((id.to_string(), secret.to_string()))
        }
    };

    // The form: accepted iff the media type is right and no parameter repeats.
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(input.body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let mut distinct: HashMap<&str, &str> = HashMap::new();
    let repeats = pairs.iter().any(|(k, v)| distinct.insert(k, v).is_some());
    let parsed = form_params(&headers, input.body);
    let form = is_form(headers.get(header::CONTENT_TYPE));
    assert_eq!(parsed.is_ok(), form && !repeats, "accepted {:?} with form={form} repeats={repeats}", parsed);
    let p = match parsed {
        Ok(p) => p,
        Err(e) => {
            assert_eq!(e.code.as_str(), "invalid_request");
            return;
        }
    };
    assert_eq!(p.len(), pairs.len());
    for (k, v) in &pairs {
        assert_eq!(p.get(k), Some(v), "parameter {k:?}");
    }
    // Round trip: the parameters, encoded again, parse to the same parameters.
    let again = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&p).finish();
    assert_eq!(form_params(&headers, again.as_bytes()).ok().as_ref(), Some(&p));

    // The client's credentials: one method, and never left among the parameters.
    let result = client_credentials(&headers, p.clone());
    if let Ok(c) = &result {
        assert!(!c.params.contains_key("client_id") && !c.params.contains_key("client_secret"));
        for (k, v) in &c.params {
            assert_eq!(p.get(k), Some(v), "parameter {k:?} changed");
        }
        let taken = usize::from(p.contains_key("client_id")) + usize::from(p.contains_key("client_secret"));
        assert_eq!(c.params.len() + taken, p.len());
    }
    if let Err(e) = &result {
        assert!(matches!(e.code.as_str(), "invalid_client" | "invalid_request"), "{e:?}");
    }
    match (&input.authorization, basic) {
        (Authorization::None, _) => match p.get("client_id") {
            Some(id) => {
                let c = result.unwrap_or_else(|e| panic!("form credentials refused: {e:?}"));
                assert_eq!(&c.client_id, id);
                assert_eq!(c.secret.as_ref(), p.get("client_secret"));
            }
            None => assert_eq!(result.map_err(|e| e.code.as_str()), Err("invalid_client")),
        },
        (_, Some((id, secret))) => {
            let two_methods = p.contains_key("client_secret");
            let mismatch = p.get("client_id").is_some_and(|c| *c != id);
            if two_methods || mismatch {
                assert_eq!(result.map_err(|e| e.code.as_str()), Err("invalid_request"));
            } else {
                // Basic credentials round-trip whatever characters they hold.
                let c = result.unwrap_or_else(|e| panic!("Basic credentials refused: {e:?}"));
                assert_eq!(c.client_id, id);
                assert_eq!(c.secret, Some(secret));
            }
        }
        (Authorization::Raw(_), None) => {
            // A header that is not visible ASCII is malformed, never taken for an absent one.
            if headers.get(header::AUTHORIZATION).is_some_and(|v| v.to_str().is_err()) {
                assert_eq!(result.map_err(|e| e.code.as_str()), Err("invalid_client"));
            }
        }
        (_, None) => {}
    }
});
