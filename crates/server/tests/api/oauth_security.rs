//! The authorization endpoint's security properties, each an attack or a mistake refused.

use crate::browser::*;
use crate::helpers::*;
use serde_json::json;

struct Fx {
    app: TestApp,
    email: String,
    user: tessera_core::ids::UserId,
    client_id: String,
    secret: String,
    browser: Browser,
}

async fn fx_with(tweak: impl FnOnce(&mut tessera::config::Config)) -> Fx {
    let app = spawn_app_with(tweak).await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (client_id, secret) = confidential_app(&app, &user).await;
    Fx { app, email, user, client_id, secret, browser: Browser::new() }
}

async fn fx() -> Fx {
    fx_with(|_| {}).await
}

impl Fx {
    fn params<'a>(&'a self, scope: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("state", "st-123"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]
    }

    async fn code(&mut self, scope: &str) -> String {
        let params: Vec<(String, String)> =
            self.params(scope).into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let q = authorize(&self.app, &mut self.browser, &self.email, &p).await;
        q.get("code").cloned().unwrap_or_else(|| panic!("no code: {q:?}"))
    }

    async fn exchange(&self, code: &str) -> (u16, serde_json::Value) {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ];
        let (s, _, b) = token_request(&self.app, &form, Some((&self.client_id, &self.secret))).await;
        (s, b)
    }

    async fn tokens(&mut self, scope: &str) -> serde_json::Value {
        let code = self.code(scope).await;
        let (status, body) = self.exchange(&code).await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.gql_status(token, "{ me { profile { id } } }", json!({})).await.0
}

#[tokio::test]
async fn a_replayed_code_fails_and_revokes_what_it_issued() {
    let mut f = fx().await;
    let code = f.code("v2legacy offline_access").await;
    let (status, first) = f.exchange(&code).await;
    assert_eq!(status, 200, "{first}");
    let access = first["access_token"].as_str().expect("access");
    assert_eq!(me_status(&f.app, access).await, 200);
    let (status, again) = f.exchange(&code).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(me_status(&f.app, access).await, 401, "tokens from a replayed code are revoked");
    let refresh = first["refresh_token"].as_str().expect("refresh");
    let (_, _, r) = token_request(
        &f.app,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        Some((&f.client_id, &f.secret)),
    )
    .await;
    assert_eq!(r["error"], "invalid_grant");
}

#[tokio::test]
async fn an_expired_code_fails() {
    let mut f = fx_with(|c| c.oauth.code_ttl_secs = 0).await;
    let code = f.code("v2legacy").await;
    let (status, body) = f.exchange(&code).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_redirect_uri_and_verifier() {
    let mut f = fx().await;
    let (other_id, other_secret) = confidential_app(&f.app, &f.user).await;
    let code = f.code("v2legacy").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (s, _, b) = token_request(&f.app, &form, Some((&other_id, &other_secret))).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")), "another client");

    for (what, redirect, verifier) in [
        ("other redirect", "http://localhost:3001/auth/other", Some(VERIFIER)),
        ("missing verifier", REDIRECT, None),
        ("wrong verifier", REDIRECT, Some("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")),
    ] {
        let code = f.code("v2legacy").await;
        let mut form = vec![("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", redirect)];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        let (s, _, b) = token_request(&f.app, &form, Some((&f.client_id, &f.secret))).await;
        assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")), "{what}: {b}");
    }
}

#[tokio::test]
async fn pkce_downgrade_and_plain_are_refused() {
    let mut f = fx().await;
    let without_challenge = |client_id: &str| {
        let q =
            [("response_type", "code"), ("client_id", client_id), ("redirect_uri", REDIRECT), ("scope", "v2legacy")];
        authorize_url(&f.app.base, &q)
    };
    // A confidential app registered with the defaults requires PKCE too: no code without it.
    let page = f.browser.get(&without_challenge(&f.client_id)).await;
    let page = if page.status == 200 { f.browser.sign_in(&f.app.base, &page, &f.email, PASSWORD).await } else { page };
    assert_eq!(page.status, 303, "{}", page.body);
    let q = query_of(&page.location().expect("loc"));
    assert_eq!((q.get("error").map(String::as_str), q.get("code")), (Some("invalid_request"), None), "{q:?}");

    // One registered with PKCE optional (a server written for the platform) may omit it…
    let kind = tessera_core::oauth::clients::ClientType::Confidential { require_pkce: false };
    let legacy = f.app.core.create_app(None, &f.user, "Legacy server", &[REDIRECT.into()], kind).await.expect("app");
    let (legacy_id, legacy_secret) = (legacy.app.client_id.clone(), legacy.secret.expect("secret"));
    let params = [
        ("response_type", "code"),
        ("client_id", legacy_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", "v2legacy"),
    ];
    let redeem = |code: String, verifier: Option<&'static str>| {
        let (app, id, secret) = (&f.app, legacy_id.clone(), legacy_secret.clone());
        async move {
            let mut form =
                vec![("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT)];
            form.extend(verifier.map(|v| ("code_verifier", v)));
            token_request(app, &form, Some((&id, &secret))).await
        }
    };
    // …but a verifier at /token for a code issued without a challenge is a downgrade: refused.
    let q = authorize(&f.app, &mut f.browser, &f.email, &params).await;
    let (s, _, b) = redeem(q["code"].clone(), Some(VERIFIER)).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")), "{b}");
    let q = authorize(&f.app, &mut f.browser, &f.email, &params).await;
    let (s, _, b) = redeem(q["code"].clone(), None).await;
    assert_eq!(s, 200, "without PKCE, as such servers do: {b}");

    // plain is refused with a redirect carrying the error, state and iss.
    let mut p = f.params("v2legacy");
    p[6] = ("code_challenge_method", "plain");
    let page = f.browser.get(&authorize_url(&f.app.base, &p)).await;
    assert_eq!(page.status, 303);
    let q = query_of(&page.location().expect("loc"));
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(q["state"], "st-123");
    assert_eq!(q["iss"], f.app.base);

    // A public client must use PKCE at all.
    let public = public_app(&f.app, &f.user, "https://spa.example.test/cb").await;
    let p =
        [("response_type", "code"), ("client_id", public.as_str()), ("redirect_uri", "https://spa.example.test/cb")];
    let page = f.browser.get(&authorize_url(&f.app.base, &p)).await;
    assert_eq!(query_of(&page.location().expect("loc"))["error"], "invalid_request");
}

#[tokio::test]
async fn unregistered_redirect_uris_and_unknown_clients_get_an_error_page_never_a_redirect() {
    let mut f = fx().await;
    let variants = [
        "http://localhost:3001/auth/callback/x",
        "http://localhost:3001/auth/callbackx",
        "http://localhost:3001/auth/callback?next=evil",
        "http://localhost:3001/auth/Callback",
        "HTTP://LOCALHOST:3001/auth/callback",
        "http://localhost:3001/auth/callback#frag",
        "http://localhost:3002/auth/callback",
        "http://localhost:3001/auth/../auth/callback",
        "http://localhost:3001/auth/%63allback",
        "http://evil.test@localhost:3001/auth/callback",
        "https://evil.test/auth/callback",
    ];
    for bad in variants {
        let mut p = f.params("v2legacy");
        p[2] = ("redirect_uri", bad);
        let page = f.browser.get(&authorize_url(&f.app.base, &p)).await;
        assert_eq!(page.status, 400, "{bad}");
        assert!(page.location().is_none(), "{bad} must not redirect");
        assert!(page.body.contains("not registered"), "{bad}");
    }
    let mut p = f.params("v2legacy");
    p[1] = ("client_id", "app_unknown");
    let page = f.browser.get(&authorize_url(&f.app.base, &p)).await;
    assert_eq!((page.status, page.location()), (400, None));
    // An error after the client is known (bad scope) is redirected, with state and iss.
    let p = f.params("v2legacy superpowers");
    let page = f.browser.get(&authorize_url(&f.app.base, &p)).await;
    let q = query_of(&page.location().expect("loc"));
    assert_eq!((q["error"].as_str(), q["state"].as_str()), ("invalid_scope", "st-123"));
    // Duplicate parameters are refused.
    let url = format!("{}&client_id={}", authorize_url(&f.app.base, &f.params("v2legacy")), f.client_id);
    let page = f.browser.get(&url).await;
    assert_eq!((page.status, page.location()), (400, None));
}

#[tokio::test]
async fn refresh_rotation_reuse_detection_and_grace() {
    // Grace window 0: any reuse revokes the family.
    let mut f = fx_with(|c| c.oauth.refresh_reuse_grace_secs = 0).await;
    let t = f.tokens("v2legacy offline_access").await;
    let basic = Some((f.client_id.as_str(), f.secret.as_str()));
    let old = t["refresh_token"].as_str().expect("refresh");
    let (s, _, new) = token_request(&f.app, &[("grant_type", "refresh_token"), ("refresh_token", old)], basic).await;
    assert_eq!(s, 200, "{new}");
    let new_access = new["access_token"].as_str().expect("access");
    assert_eq!(me_status(&f.app, new_access).await, 200);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (s, _, reuse) = token_request(&f.app, &[("grant_type", "refresh_token"), ("refresh_token", old)], basic).await;
    assert_eq!((s, reuse["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(me_status(&f.app, new_access).await, 401, "the whole family is revoked");
    let newer = new["refresh_token"].as_str().expect("refresh");
    let (_, _, r) = token_request(&f.app, &[("grant_type", "refresh_token"), ("refresh_token", newer)], basic).await;
    assert_eq!(r["error"], "invalid_grant");

    // Default grace window: of two tabs refreshing at once one wins, and the loser's reuse is
    // not taken for theft: the winner's tokens keep working.
    let mut g = fx().await;
    let t = g.tokens("v2legacy offline_access").await;
    let rt = t["refresh_token"].as_str().expect("refresh");
    let basic = Some((g.client_id.as_str(), g.secret.as_str()));
    let form = [("grant_type", "refresh_token"), ("refresh_token", rt)];
    let (first, second) = tokio::join!(token_request(&g.app, &form, basic), token_request(&g.app, &form, basic));
    let (won, lost) = if first.0 == 200 { (first, second) } else { (second, first) };
    assert_eq!((won.0, lost.0, lost.2["error"].as_str()), (200, 400, Some("invalid_grant")), "exactly one wins");
    let won = won.2;
    assert_eq!(me_status(&g.app, won["access_token"].as_str().expect("access")).await, 200);
    let next = won["refresh_token"].as_str().expect("refresh");
    let (c, _, latest) =
        token_request(&g.app, &[("grant_type", "refresh_token"), ("refresh_token", next)], basic).await;
    assert_eq!(c, 200, "the family lives on");
    // A refresh cannot widen the scope.
    let latest = latest["refresh_token"].as_str().expect("refresh");
    let (_, _, w) = token_request(
        &g.app,
        &[("grant_type", "refresh_token"), ("refresh_token", latest), ("scope", "v2legacy org:admin")],
        basic,
    )
    .await;
    assert_eq!(w["error"], "invalid_scope");
    // A refused request does not spend the refresh token.
    let (s, _, ok) = token_request(&g.app, &[("grant_type", "refresh_token"), ("refresh_token", latest)], basic).await;
    assert_eq!(s, 200, "{ok}");
}

#[tokio::test]
async fn a_refresh_token_only_works_for_its_client() {
    let mut f = fx().await;
    let t = f.tokens("v2legacy offline_access").await;
    let (other_id, other_secret) = confidential_app(&f.app, &f.user).await;
    let rt = t["refresh_token"].as_str().expect("refresh");
    let (s, _, b) = token_request(
        &f.app,
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        Some((&other_id, &other_secret)),
    )
    .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")));
    // A refresh token is not a bearer token.
    assert_eq!(me_status(&f.app, rt).await, 401);
}

#[tokio::test]
async fn token_endpoint_errors_follow_rfc6749() {
    let f = fx().await;
    let basic = Some((f.client_id.as_str(), f.secret.as_str()));
    let (s, h, b) = token_request(&f.app, &[("grant_type", "client_credentials")], Some((&f.client_id, "wrong"))).await;
    assert_eq!((s, b["error"].as_str()), (401, Some("invalid_client")));
    assert!(h["www-authenticate"].to_str().expect("h").starts_with("Basic"));
    assert_eq!(h["cache-control"], "no-store");
    let (s, _, b) = token_request(&f.app, &[("grant_type", "password")], basic).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("unsupported_grant_type")));
    let (s, _, b) =
        token_request(&f.app, &[("grant_type", "refresh_token"), ("grant_type", "refresh_token")], basic).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_request")), "duplicate parameters");
    let (s, _, b) =
        token_request(&f.app, &[("grant_type", "client_credentials"), ("client_secret", &f.secret)], basic).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_request")), "two auth methods");
    let (s, _, b) = token_request(&f.app, &[("grant_type", "authorization_code")], basic).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_request")));
    // A person's app cannot use client_credentials; authentication itself succeeded.
    let (s, _, b) = token_request(&f.app, &[("grant_type", "client_credentials")], basic).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("unauthorized_client")));
    // client_secret_post works as well as Basic.
    let (s, _, b) = token_request(
        &f.app,
        &[("grant_type", "client_credentials"), ("client_id", &f.client_id), ("client_secret", &f.secret)],
        None,
    )
    .await;
    assert_eq!(b["error"], "unauthorized_client", "{s}");
    // JSON bodies are not the token endpoint's format.
    let res = f
        .app
        .client
        .post(format!("{}/v3/oauth2/token", f.app.base))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn responses_with_tokens_are_not_cached() {
    let mut f = fx().await;
    let code = f.code("v2legacy").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (s, h, b) = token_request(&f.app, &form, Some((&f.client_id, &f.secret))).await;
    assert_eq!(s, 200);
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["pragma"], "no-cache");
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 3600);
    assert_eq!(b["scope"], "v2legacy");
    assert!(b.get("refresh_token").is_none());
}
