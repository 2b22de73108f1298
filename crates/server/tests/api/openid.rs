//! OpenID Connect: discovery, ID tokens verified against the published keys, userinfo,
//! `prompt` and `max_age`, RP-initiated logout, and key rotation.

use crate::browser::*;
use crate::helpers::*;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use serde_json::Value;
use sha2::Digest;
use tessera::config::Config;
use tessera_core::oauth::keys::{KeyAlg, KeyPolicy};

const SIGNED_OUT: &str = "http://localhost:3001/signed-out";

async fn get_json(app: &TestApp, path: &str) -> Value {
    let res = app.client.get(format!("{}{path}", app.base)).send().await.expect("GET");
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.expect("json")
}

/// Verify an ID token as a relying party would: its key from the JWKS by `kid`, the
/// signature, issuer, audience and expiry. Returns the header's key id and the claims.
async fn verify(app: &TestApp, id_token: &str, client_id: &str) -> Result<(String, Value), String> {
    let set: JwkSet = serde_json::from_value(get_json(app, "/v3/oauth2/jwks").await).map_err(|e| e.to_string())?;
    let header = jsonwebtoken::decode_header(id_token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = set.find(&kid).ok_or(format!("kid {kid} is not published"))?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut v = jsonwebtoken::Validation::new(header.alg);
    v.set_audience(&[client_id]);
    v.set_issuer(&[&app.base]);
    v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<Value>(id_token, &key, &v).map_err(|e| e.to_string())?;
    Ok((kid, data.claims))
}

/// Sign in (if needed), allow, and redeem: the token response.
async fn id_flow(
    app: &TestApp,
    browser: &mut Browser,
    email: &str,
    client: (&str, &str),
    extra: &[(&str, &str)],
) -> Value {
    let mut p = params(client.0, "openid profile email offline_access");
    p.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    p.extend_from_slice(extra);
    let back = authorize(app, browser, email, &p).await;
    let (status, body) = redeem(app, client, back.get("code").expect("code")).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn at_hash(token: &str) -> String {
    let d = sha2::Sha256::digest(token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&d[..16])
}

async fn userinfo(app: &TestApp, token: &str) -> (u16, String, Value) {
    let res = app.client.get(format!("{}/v3/oauth2/userinfo", app.base)).bearer_auth(token).send().await.expect("GET");
    let status = res.status().as_u16();
    let challenge = res.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (status, challenge, res.json().await.unwrap_or_default())
}

#[tokio::test]
async fn an_id_token_is_signed_by_a_published_key_and_says_who_signed_in_for_which_request() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;

    let d = get_json(&app, "/.well-known/openid-configuration").await;
    assert_eq!(d["issuer"], app.base.as_str());
    assert_eq!(d["jwks_uri"], format!("{}/v3/oauth2/jwks", app.base));
    assert_eq!(d["userinfo_endpoint"], format!("{}/v3/oauth2/userinfo", app.base));
    assert_eq!(d["end_session_endpoint"], format!("{}/v3/oauth2/logout", app.base));
    assert_eq!(d["id_token_signing_alg_values_supported"], serde_json::json!(["RS256"]));
    assert_eq!(d["subject_types_supported"], serde_json::json!(["public"]));
    for s in ["openid", "profile", "email", "offline_access"] {
        assert!(d["scopes_supported"].as_array().expect("scopes").iter().any(|x| x == s), "{s}");
    }

    let before = tessera_core::model::now_millis() / 1000;
    let mut browser = Browser::new();
    let tokens = id_flow(&app, &mut browser, &email, (&cid, &secret), &[("nonce", "n-0S6_WzA2Mj")]).await;
    let id_token = tokens["id_token"].as_str().expect("an id_token for openid");
    let (_, c) = verify(&app, id_token, &cid).await.expect("verifies against the JWKS");
    let header = jsonwebtoken::decode_header(id_token).expect("header");
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(c["sub"], user.as_str());
    assert_eq!(c["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(c["at_hash"], at_hash(tokens["access_token"].as_str().expect("access token")));
    let auth_time = c["auth_time"].as_i64().expect("auth_time");
    assert!(auth_time >= before - 1 && auth_time <= c["iat"].as_i64().expect("iat"), "{c}");
    assert_eq!((c["acr"].as_str(), c["amr"].clone()), (Some("1"), serde_json::json!(["pwd"])));
    assert_eq!((c["given_name"].as_str(), c["family_name"].as_str()), (Some("Ada"), Some("Lovelace")));
    assert_eq!(c["email"], email.as_str());
    // The token for another client does not pass as this one's (substitution).
    assert!(verify(&app, id_token, "app_someone_else").await.is_err());
    // A tampered signature does not verify.
    let mut forged = id_token.to_string();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    assert!(verify(&app, &forged, &cid).await.is_err());

    // Userinfo answers for the token's person and scopes.
    let access = tokens["access_token"].as_str().expect("access");
    let (s, _, info) = userinfo(&app, access).await;
    assert_eq!(s, 200, "{info}");
    assert_eq!((info["sub"].as_str(), info["email"].as_str()), (Some(user.as_str()), Some(email.as_str())));
    assert_eq!(info["name"], "Ada Lovelace");

    // A refresh keeps the person's grant and answers without an ID token.
    let form = [("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().expect("rt"))];
    let (s, _, fresh) = token_request(&app, &form, Some((&cid, &secret))).await;
    assert_eq!(s, 200, "{fresh}");
    assert!(fresh.get("id_token").is_none());

    // Without `openid`, no ID token and no userinfo; a bad token is invalid_token.
    let plain = authorize(&app, &mut browser, &email, &params(&cid, "elements:read")).await;
    let (_, t) = redeem(&app, (&cid, &secret), &plain["code"]).await;
    assert!(t.get("id_token").is_none());
    let (s, challenge, _) = userinfo(&app, t["access_token"].as_str().expect("access")).await;
    assert_eq!(s, 403);
    assert!(challenge.contains(r#"error="insufficient_scope""#), "{challenge}");
    let (s, challenge, _) = userinfo(&app, "tsr_at_not_a_token").await;
    assert_eq!(s, 401);
    assert!(challenge.contains(r#"error="invalid_token""#), "{challenge}");
}

#[tokio::test]
async fn each_id_token_carries_the_nonce_of_its_own_request_and_a_code_gives_one_only_once() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let mut browser = Browser::new();
    let a = id_flow(&app, &mut browser, &email, (&cid, &secret), &[("nonce", "first")]).await;
    let b = id_flow(&app, &mut browser, &email, (&cid, &secret), &[("nonce", "second")]).await;
    let nonce =
        async |t: &Value| verify(&app, t["id_token"].as_str().expect("id"), &cid).await.expect("ok").1["nonce"].clone();
    assert_eq!(nonce(&a).await, "first");
    assert_eq!(nonce(&b).await, "second");
    // No nonce asked, none given.
    let c = id_flow(&app, &mut browser, &email, (&cid, &secret), &[]).await;
    assert!(nonce(&c).await.is_null());

    // The code is single-use: its ID token (and nonce) cannot be fetched again.
    let back =
        authorize(&app, &mut browser, &email, &[params(&cid, "openid").as_slice(), &[("nonce", "once")]].concat())
            .await;
    let (s, _) = redeem(&app, (&cid, &secret), &back["code"]).await;
    assert_eq!(s, 200);
    let (s, body) = redeem(&app, (&cid, &secret), &back["code"]).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));

    // An absurd nonce is refused at the authorization request.
    let long = "n".repeat(600);
    let url = authorize_url(&app.base, &[params(&cid, "openid").as_slice(), &[("nonce", &long)]].concat());
    let page = browser.get(&url).await;
    assert_eq!(page.status, 303);
    assert_eq!(query_of(&page.location().expect("location"))["error"], "invalid_request");
}

#[tokio::test]
async fn prompt_none_and_max_age_decide_whether_the_person_signs_in_again() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let with = |extra: &[(&'static str, &'static str)]| [params(&cid, "openid").as_slice(), extra].concat();

    // Not signed in: prompt=none answers login_required at the registered redirect URI only.
    let mut stranger = Browser::new();
    let page = stranger.get(&authorize_url(&app.base, &with(&[("prompt", "none")]))).await;
    assert_eq!(query_of(&page.location().expect("redirect"))["error"], "login_required");
    let mut foreign = with(&[("prompt", "none")]);
    foreign.retain(|(k, _)| *k != "redirect_uri");
    foreign.push(("redirect_uri", "https://evil.example/callback"));
    let page = stranger.get(&authorize_url(&app.base, &foreign)).await;
    assert_eq!(page.status, 400, "an unregistered redirect gets a page, never an answer");
    assert!(page.location().is_none());

    // Signed in and approved: prompt=none answers with a code, silently.
    let mut browser = Browser::new();
    let first = authorize(&app, &mut browser, &email, &with(&[])).await;
    assert!(first.contains_key("code"));
    let page = browser.get(&authorize_url(&app.base, &with(&[("prompt", "none")]))).await;
    assert!(query_of(&page.location().expect("redirect")).contains_key("code"));

    // max_age=0: the sign-in is too old; with prompt=none that is login_required, else the
    // login page, and after signing in the code's ID token has the new auth_time.
    let page = browser.get(&authorize_url(&app.base, &with(&[("prompt", "none"), ("max_age", "0")]))).await;
    assert_eq!(query_of(&page.location().expect("redirect"))["error"], "login_required");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let before = tessera_core::model::now_millis() / 1000;
    let page = browser.get(&authorize_url(&app.base, &with(&[("max_age", "0"), ("nonce", "again")]))).await;
    assert!(page.body.contains("name=\"password\""), "max_age=0 asks to sign in again");
    let after = browser.sign_in(&app.base, &page, &email, PASSWORD).await;
    assert_eq!(after.status, 303, "{}", after.body);
    let (s, t) = redeem(&app, (&cid, &secret), &query_of(&after.location().expect("redirect"))["code"]).await;
    assert_eq!(s, 200, "{t}");
    let (_, c) = verify(&app, t["id_token"].as_str().expect("id"), &cid).await.expect("verifies");
    assert!(c["auth_time"].as_i64().expect("auth_time") >= before, "a new sign-in: {c}");
    // A max_age that is not a number is refused.
    let page = browser.get(&authorize_url(&app.base, &with(&[("max_age", "soon")]))).await;
    assert_eq!(query_of(&page.location().expect("redirect"))["error"], "invalid_request");
}

#[tokio::test]
async fn logout_goes_only_to_registered_uris_and_asks_unless_the_hint_is_the_signed_in_person() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    app.core.set_post_logout_redirect_uris(None, &cid, &[SIGNED_OUT.to_string()]).await.expect("register");
    let mut browser = Browser::new();
    let tokens = id_flow(&app, &mut browser, &email, (&cid, &secret), &[]).await;
    let hint = tokens["id_token"].as_str().expect("id").to_string();
    let logout = |q: &[(&str, &str)]| {
        let q = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(q).finish();
        format!("{}/v3/oauth2/logout?{q}", app.base)
    };
    let silent = [params(&cid, "openid").as_slice(), &[("prompt", "none")]].concat();
    let url = authorize_url(&app.base, &silent);
    let signed_in =
        async |b: &mut Browser| query_of(&b.get(&url).await.location().expect("redirect")).contains_key("code");
    assert!(signed_in(&mut browser).await);

    // Open redirects: an unregistered target, or a forged hint, get a page and change nothing.
    for q in [
        vec![("id_token_hint", hint.as_str()), ("post_logout_redirect_uri", "https://evil.example/")],
        vec![("client_id", cid.as_str()), ("post_logout_redirect_uri", "http://localhost:3001/signed-out/x")],
        vec![("post_logout_redirect_uri", SIGNED_OUT)],
        vec![("id_token_hint", &hint[..hint.len() - 3]), ("post_logout_redirect_uri", SIGNED_OUT)],
    ] {
        let page = browser.get(&logout(&q)).await;
        assert_eq!(page.status, 400, "{q:?}");
        assert!(page.location().is_none());
    }
    assert!(signed_in(&mut browser).await, "still signed in");

    // Another person's ID token as hint: asked first, not signed out by the link.
    let (_o, other, other_email, _) = person_with_workspaces(&app).await;
    let (ocid, osecret) = confidential_app(&app, &other).await;
    let theirs = id_flow(&app, &mut Browser::new(), &other_email, (&ocid, &osecret), &[]).await;
    let page = browser.get(&logout(&[("id_token_hint", theirs["id_token"].as_str().expect("id"))])).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("value=\"logout\""), "a confirmation: {}", page.body);
    assert!(signed_in(&mut browser).await, "a link alone does not sign out");
    // The confirmation needs its CSRF token.
    let forged = browser.post(&format!("{}/v3/oauth2/logout", app.base), &[("decision".into(), "logout".into())]).await;
    assert_eq!(forged.status, 403);
    assert!(signed_in(&mut browser).await);

    // The person's own hint and a registered target: signed out at once, sent there with state.
    let page = browser
        .get(&logout(&[("id_token_hint", &hint), ("post_logout_redirect_uri", SIGNED_OUT), ("state", "xyz")]))
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location().as_deref(), Some(format!("{SIGNED_OUT}?state=xyz").as_str()));
    assert!(!signed_in(&mut browser).await, "signed out");

    // Without a hint: the confirmation page, then out to the target.
    let mut browser = Browser::new();
    let _ = id_flow(&app, &mut browser, &email, (&cid, &secret), &[]).await;
    let page = browser.get(&logout(&[("client_id", &cid), ("post_logout_redirect_uri", SIGNED_OUT)])).await;
    assert_eq!(page.status, 200);
    let mut form = page.hidden_fields();
    form.push(("decision".into(), "logout".into()));
    let done = browser.post(&format!("{}/v3/oauth2/logout", app.base), &form).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location().as_deref(), Some(SIGNED_OUT));
    assert!(!signed_in(&mut browser).await);
}

#[tokio::test]
async fn eddsa_signs_when_configured() {
    let app = spawn_app_with(|c: &mut Config| c.signing_keys.alg = KeyAlg::EdDsa).await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let d = get_json(&app, "/.well-known/openid-configuration").await;
    assert_eq!(d["id_token_signing_alg_values_supported"], serde_json::json!(["EdDSA"]));
    let t = id_flow(&app, &mut Browser::new(), &email, (&cid, &secret), &[]).await;
    let id_token = t["id_token"].as_str().expect("id");
    assert_eq!(jsonwebtoken::decode_header(id_token).expect("header").alg, jsonwebtoken::Algorithm::EdDSA);
    let (_, c) = verify(&app, id_token, &cid).await.expect("verifies");
    // at_hash for Ed25519 is the left half of SHA-512.
    let d = sha2::Sha512::digest(t["access_token"].as_str().expect("at").as_bytes());
    assert_eq!(c["at_hash"], base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&d[..32]));
}

/// Rotation, as a relying party sees it: every key that signs was published before it signed,
/// a successor takes over, and the old key stays published a while after. The policy is
/// shortened to seconds; what is asserted does not depend on how fast the machine is.
#[tokio::test]
async fn keys_rotate_published_before_use_and_kept_after() {
    let policy = KeyPolicy { alg: KeyAlg::EdDsa, rotate_every: 3000, publish_ahead: 1500, keep_after: 1500, reload: 0 };
    let app = spawn_app_with(|c: &mut Config| c.signing_keys = policy).await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let mut browser = Browser::new();
    let kids_of = |v: &Value| -> Vec<String> {
        v["keys"].as_array().expect("keys").iter().map(|k| k["kid"].as_str().expect("kid").to_string()).collect()
    };
    let mut published_before: Vec<String> = vec![];
    let mut signers: Vec<String> = vec![];
    let mut retired_seen_after_switch = false;
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(12) {
        let jwks_before = kids_of(&get_json(&app, "/v3/oauth2/jwks").await);
        let t = id_flow(&app, &mut browser, &email, (&cid, &secret), &[]).await;
        let (kid, _) = verify(&app, t["id_token"].as_str().expect("id"), &cid).await.expect("verifies");
        if signers.last() != Some(&kid) {
            if !signers.is_empty() {
                assert!(published_before.contains(&kid), "{kid} signed before it was published: {published_before:?}");
            }
            signers.push(kid.clone());
        }
        if signers.len() >= 2 {
            let now = kids_of(&get_json(&app, "/v3/oauth2/jwks").await);
            let old = &signers[signers.len() - 2];
            if now.contains(old) {
                retired_seen_after_switch = true;
            } else if retired_seen_after_switch {
                break;
            }
        }
        published_before.extend(jwks_before);
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    assert!(signers.len() >= 2, "a successor took over: {signers:?}");
    assert!(retired_seen_after_switch, "the old key stayed published after its successor took over");
    let stored = app.core.store().signing_keys().await.expect("keys");
    assert!(!stored.iter().any(|k| k.kid == signers[0]), "and was deleted once past use");
}

/// The private keys are sealed with the installation's secret (a file beside an embedded
/// database, readable by its owner only), so another node or a restart with the same secret
/// signs with the same key.
#[tokio::test]
async fn a_second_node_with_the_same_secret_signs_with_the_same_key() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let t = id_flow(&app, &mut Browser::new(), &email, (&cid, &secret), &[]).await;
    let (kid, _) = verify(&app, t["id_token"].as_str().expect("id"), &cid).await.expect("verifies");
    let second = spawn_app_on(&app.db_url()).await;
    let t2 = id_flow(&second, &mut Browser::new(), &email, (&cid, &secret), &[]).await;
    let (kid2, _) = verify(&second, t2["id_token"].as_str().expect("id"), &cid).await.expect("verifies");
    assert_eq!(kid, kid2);
    let stored = app.core.store().signing_keys().await.expect("keys");
    assert_eq!(stored.len(), 1);
    assert!(stored[0].sealed.starts_with("v1.") && !stored[0].sealed.contains("PRIVATE"));
    if let Some(path) = app.db_url().strip_prefix("sqlite://") {
        use std::os::unix::fs::PermissionsExt;
        let file = std::path::Path::new(path).with_file_name("secret.key");
        let mode = std::fs::metadata(&file).expect("secret key file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    }
}
