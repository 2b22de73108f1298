//! What tokens may do once issued: scopes ∩ permissions now, narrowing to workspaces,
//! revocation, expiry, introspection, client credentials, consent memory and prompts, CSRF,
//! page headers, CORS, and sign-in limits.

use crate::browser::*;
use crate::helpers::*;
use serde_json::json;
use tessera_core::event::Actor;

const READ_ELEMENTS: &str = "query($ws:String!){ elements(workspaceId:$ws) { id } }";
const CREATE_TEXT: &str = "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"x\"}) { id } }";

fn params<'a>(client_id: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "s"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

async fn exchange(app: &TestApp, client: (&str, &str), code: &str) -> serde_json::Value {
    let form =
        [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];
    let (s, _, b) = token_request(app, &form, Some(client)).await;
    assert_eq!(s, 200, "{b}");
    b
}

#[tokio::test]
async fn scopes_and_workspace_narrowing_limit_what_a_token_does() {
    let app = spawn_app().await;
    let (_org, user, email, [a, b]) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let mut browser = Browser::new();

    // elements:write narrowed to workspace A on the consent page.
    let page = browser.get(&authorize_url(&app.base, &params(&cid, "elements:write"))).await;
    let consent = browser.sign_in(&app.base, &page, &email, PASSWORD).await;
    assert!(consent.body.contains("Alpha") && consent.body.contains("Beta"));
    let back = browser.decide(&app.base, &consent, "allow", &[("workspace_mode", "some"), ("workspace", &a.0)]).await;
    let t = exchange(&app, (&cid, &secret), &query_of(&back.location().expect("loc"))["code"]).await;
    let token = t["access_token"].as_str().expect("token");
    let ok = app.gql(token, CREATE_TEXT, json!({"ws": a.0})).await;
    assert!(ok["errors"].is_null(), "{ok}");
    let other = app.gql(token, READ_ELEMENTS, json!({"ws": b.0})).await;
    assert_eq!(error_code(&other), Some("NOT_FOUND"), "a token narrowed to A cannot see B: {other}");
    let list = app.gql(token, "{ workspaces { id } }", json!({})).await;
    assert_eq!(list["data"]["workspaces"], json!([{"id": a.0}]));

    // workspaces:read: sees workspaces, cannot read elements or mutate.
    let page = browser.get(&authorize_url(&app.base, &params(&cid, "workspaces:read"))).await;
    let back = browser.decide(&app.base, &page, "allow", &[]).await;
    let t = exchange(&app, (&cid, &secret), &query_of(&back.location().expect("loc"))["code"]).await;
    let token = t["access_token"].as_str().expect("token");
    assert_eq!(
        app.gql(token, "{ workspaces { id } }", json!({})).await["data"]["workspaces"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(error_code(&app.gql(token, CREATE_TEXT, json!({"ws": a.0})).await), Some("FORBIDDEN"));
    assert_eq!(error_code(&app.gql(token, READ_ELEMENTS, json!({"ws": a.0})).await), Some("FORBIDDEN"));

    // elements:read cannot write.
    let page = browser.get(&authorize_url(&app.base, &params(&cid, "elements:read"))).await;
    let back = browser.decide(&app.base, &page, "allow", &[]).await;
    let t = exchange(&app, (&cid, &secret), &query_of(&back.location().expect("loc"))["code"]).await;
    let token = t["access_token"].as_str().expect("token");
    assert!(app.gql(token, READ_ELEMENTS, json!({"ws": b.0})).await["errors"].is_null());
    assert_eq!(error_code(&app.gql(token, CREATE_TEXT, json!({"ws": b.0})).await), Some("FORBIDDEN"));
}

#[tokio::test]
async fn losing_workspace_access_takes_effect_at_once_for_every_token() {
    let app = spawn_app().await;
    let (org, owner, _, [ws, _]) = person_with_workspaces(&app).await;
    let person = tessera_core::service::NewPerson {
        email: "member@people.test".into(),
        password: PASSWORD.into(),
        org: Some((org, "user".into())),
        ..Default::default()
    };
    let member = app.core.admin_create_user(person).await.expect("member").id;
    app.core.admin_add_collaborator(&ws, &member, "editor").await.expect("add");
    let (cid, secret) = confidential_app(&app, &owner).await;
    let mut browser = Browser::new();
    let q = authorize(&app, &mut browser, "member@people.test", &params(&cid, "v2legacy")).await;
    let t = exchange(&app, (&cid, &secret), &q["code"]).await;
    let token = t["access_token"].as_str().expect("token");
    assert!(app.gql(token, READ_ELEMENTS, json!({"ws": ws.0})).await["errors"].is_null());
    app.core.store().remove_collaborator(&ws, &member, &Actor::system()).await.expect("remove");
    assert_eq!(error_code(&app.gql(token, READ_ELEMENTS, json!({"ws": ws.0})).await), Some("NOT_FOUND"));
}

#[tokio::test]
async fn revoked_and_expired_access_tokens_get_401_and_introspection_tells() {
    let app = spawn_app_with(|c| c.oauth.access_token_ttl_secs = 1).await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let mut browser = Browser::new();
    let q = authorize(&app, &mut browser, &email, &params(&cid, "v2legacy")).await;
    let t = exchange(&app, (&cid, &secret), &q["code"]).await;
    let token = t["access_token"].as_str().expect("token").to_string();
    let introspect = |tok: String| {
        let (app, cid, secret) = (&app, cid.clone(), secret.clone());
        async move {
            let res = app
                .client
                .post(format!("{}/v3/oauth2/introspect", app.base))
                .basic_auth(cid, Some(secret))
                .form_body(&[("token", tok.as_str())])
                .send()
                .await
                .expect("introspect");
            res.json::<serde_json::Value>().await.expect("json")
        }
    };
    let info = introspect(token.clone()).await;
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["scope"], "v2legacy");
    assert_eq!(info["sub"], user.0.as_str());
    assert_eq!(info["client_id"], cid.as_str());
    assert_eq!(info["iss"], app.base.as_str());

    // Expiry: after the TTL the token is refused.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.gql_status(&token, "{ me { profile { id } } }", json!({})).await.0, 401);
    assert_eq!(introspect(token).await["active"], false);

    // Revocation (RFC 7009).
    let q = authorize(&app, &mut browser, &email, &params(&cid, "v2legacy")).await;
    let t = exchange(&app, (&cid, &secret), &q["code"]).await;
    let token = t["access_token"].as_str().expect("token").to_string();
    assert_eq!(app.gql_status(&token, "{ me { profile { id } } }", json!({})).await.0, 200);
    let res = app
        .client
        .post(format!("{}/v3/oauth2/revoke", app.base))
        .basic_auth(&cid, Some(&secret))
        .form_body(&[("token", token.as_str())])
        .send()
        .await
        .expect("revoke");
    assert_eq!(res.status(), 200);
    assert_eq!(app.gql_status(&token, "{ me { profile { id } } }", json!({})).await.0, 401);
    // Revoking an unknown token is also 200.
    let res = app
        .client
        .post(format!("{}/v3/oauth2/revoke", app.base))
        .basic_auth(&cid, Some(&secret))
        .form_body(&[("token", "tsr_at_nothing")])
        .send()
        .await
        .expect("revoke");
    assert_eq!(res.status(), 200);
}

trait FormBody {
    fn form_body(self, pairs: &[(&str, &str)]) -> Self;
}

impl FormBody for reqwest::RequestBuilder {
    fn form_body(self, pairs: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        self.header("content-type", "application/x-www-form-urlencoded").body(body)
    }
}

#[tokio::test]
async fn client_credentials_for_a_bot_owned_app_act_as_the_bot() {
    let app = spawn_app().await;
    let org = app.core.admin_create_org("Bots").await.expect("org").id;
    let (bot, _) = app.core.admin_create_bot(&org, "integration").await.expect("bot");
    let input =
        tessera_core::service::NewWorkspace { org_id: org, name: "W".into(), description: None, is_public: false };
    let owner = app
        .core
        .admin_create_user(tessera_core::service::NewPerson {
            email: "o@b.test".into(),
            password: PASSWORD.into(),
            ..Default::default()
        })
        .await
        .expect("owner");
    let ws = app.core.admin_create_workspace(input, &owner.id).await.expect("ws").id;
    app.core.admin_add_collaborator(&ws, &bot.id, "viewer").await.expect("add");
    let new = app
        .core
        .create_app(None, &bot.id, "Bot backend", &["https://backend.example.test/cb".into()], false)
        .await
        .expect("app");
    let (cid, secret) = (new.app.client_id, new.secret.expect("secret"));
    let (s, h, t) =
        token_request(&app, &[("grant_type", "client_credentials"), ("scope", "elements:read")], Some((&cid, &secret)))
            .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(h["cache-control"], "no-store");
    assert!(t.get("refresh_token").is_none());
    let token = t["access_token"].as_str().expect("token");
    let me = app.gql(token, "{ me { profile { id type } } }", json!({})).await;
    assert_eq!(me["data"]["me"]["profile"], json!({"id": bot.id.0, "type": "bot"}));
    assert!(app.gql(token, READ_ELEMENTS, json!({"ws": ws.0})).await["errors"].is_null());
    let (_, _, e) = token_request(
        &app,
        &[("grant_type", "client_credentials"), ("scope", "offline_access")],
        Some((&cid, &secret)),
    )
    .await;
    assert_eq!(e["error"], "invalid_scope");
    // Scope tokens are separated by spaces only: other whitespace is an unknown scope, not
    // an absent one that would get the default.
    for odd in ["\t", "\u{3000}"] {
        let (status, _, e) =
            token_request(&app, &[("grant_type", "client_credentials"), ("scope", odd)], Some((&cid, &secret))).await;
        assert_eq!((status, e["error"].as_str()), (400, Some("invalid_scope")), "{odd:?}");
    }
}

#[tokio::test]
async fn consent_is_remembered_and_prompts_behave() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, _secret) = confidential_app(&app, &user).await;
    let mut browser = Browser::new();
    let with_prompt = |scope: &'static str, prompt: &'static str| {
        let mut p = params(&cid, scope);
        p.push(("prompt", prompt));
        authorize_url(&app.base, &p)
    };
    // Not signed in + prompt=none → login_required.
    let page = browser.get(&with_prompt("v2legacy", "none")).await;
    assert_eq!(query_of(&page.location().expect("loc"))["error"], "login_required");
    // Sign in, then deny: access_denied with state and iss.
    let page = browser.get(&authorize_url(&app.base, &params(&cid, "v2legacy"))).await;
    let consent = browser.sign_in(&app.base, &page, &email, PASSWORD).await;
    let denied = browser.decide(&app.base, &consent, "deny", &[]).await;
    let q = query_of(&denied.location().expect("loc"));
    assert_eq!(
        (q["error"].as_str(), q["state"].as_str(), q["iss"].as_str()),
        ("access_denied", "s", app.base.as_str())
    );
    // Signed in, no consent yet + prompt=none → consent_required.
    let page = browser.get(&with_prompt("v2legacy", "none")).await;
    assert_eq!(query_of(&page.location().expect("loc"))["error"], "consent_required");
    // Allow once; then prompt=none succeeds silently.
    let q = authorize(&app, &mut browser, &email, &params(&cid, "v2legacy")).await;
    assert!(q.contains_key("code"));
    let page = browser.get(&with_prompt("v2legacy", "none")).await;
    assert!(query_of(&page.location().expect("loc")).contains_key("code"));
    // prompt=consent shows the page again; more scopes ask again.
    assert!(browser.get(&with_prompt("v2legacy", "consent")).await.body.contains("name=\"decision\""));
    let more = browser.get(&authorize_url(&app.base, &params(&cid, "v2legacy offline_access"))).await;
    assert!(more.body.contains("name=\"decision\""), "asking for more scopes asks again");
    // prompt=login shows the login page even with a session.
    let page = browser.get(&with_prompt("v2legacy", "login")).await;
    assert!(page.body.contains("name=\"password\""));
    let after = browser.sign_in(&app.base, &page, &email, PASSWORD).await;
    assert_eq!(after.status, 303, "after signing in again, the remembered consent applies");
}

#[tokio::test]
async fn forms_need_csrf_tokens_and_pages_refuse_framing() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, _) = confidential_app(&app, &user).await;
    let mut browser = Browser::new();
    let page = browser.get(&authorize_url(&app.base, &params(&cid, "v2legacy"))).await;
    for (name, value) in [
        ("content-security-policy", "frame-ancestors 'none'"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ] {
        let h = page.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(h.contains(value), "{name}: {h}");
    }
    // Login without the CSRF field is refused.
    let form = vec![("email".to_string(), email.clone()), ("password".to_string(), PASSWORD.to_string())];
    assert_eq!(browser.post(&format!("{}/login", app.base), &form).await.status, 403);
    let consent = browser.sign_in(&app.base, &page, &email, PASSWORD).await;
    // Consent without (or with a wrong) CSRF field is refused, and no code is issued.
    let mut fields: Vec<(String, String)> = consent.hidden_fields().into_iter().filter(|(k, _)| k != "csrf").collect();
    fields.push(("decision".into(), "allow".into()));
    let refused = browser.post(&format!("{}/v3/oauth2/authorize", app.base), &fields).await;
    assert_eq!((refused.status, refused.location()), (403, None));
    fields.push(("csrf".into(), "forged-forged-forged-forged-forged-forged-f".into()));
    let refused = browser.post(&format!("{}/v3/oauth2/authorize", app.base), &fields).await;
    assert_eq!(refused.status, 403);
    // The CSRF cookie is HttpOnly and SameSite=Strict.
    let res = app.client.get(format!("{}/login", app.base)).send().await.expect("login page");
    let set = res.headers()["set-cookie"].to_str().expect("cookie").to_string();
    assert!(set.starts_with("tessera_csrf=") && set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
}

#[tokio::test]
async fn cors_only_for_registered_origins_and_metadata_is_complete() {
    let app = spawn_app().await;
    let (_org, user, _, _) = person_with_workspaces(&app).await;
    public_app(&app, &user, "https://spa.example.test/callback").await;
    for (origin, allowed) in [("https://spa.example.test", true), ("https://evil.test", false)] {
        let res = app
            .client
            .request(reqwest::Method::OPTIONS, format!("{}/v3/oauth2/token", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .expect("preflight");
        let acao = res.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap_or_default().to_string());
        assert_eq!(acao.as_deref() == Some(origin), allowed, "{origin}: {acao:?}");
    }
    let m: serde_json::Value = app
        .client
        .get(format!("{}/.well-known/oauth-authorization-server", app.base))
        .send()
        .await
        .expect("meta")
        .json()
        .await
        .expect("json");
    assert_eq!(m["issuer"], app.base.as_str());
    assert_eq!(m["token_endpoint"], format!("{}/v3/oauth2/token", app.base));
    assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(m["response_types_supported"], json!(["code"]));
    assert_eq!(m["authorization_response_iss_parameter_supported"], true);
    for key in [
        "authorization_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "scopes_supported",
        "grant_types_supported",
        "token_endpoint_auth_methods_supported",
    ] {
        assert!(!m[key].is_null(), "{key}");
    }
}

#[tokio::test]
async fn sign_in_attempts_are_limited() {
    let app = spawn_app_with(|c| {
        c.rate_limits.enabled = true;
        c.rate_limits.login_attempts_per_15min = 3;
    })
    .await;
    let (_org, _user, email, _) = person_with_workspaces(&app).await;
    let mut browser = Browser::new();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let res = browser.log_in(&app.base, &email, "wrong password").await;
        statuses.push(res.status);
        if res.status == 429 {
            assert!(res.body.contains("Too many"));
        }
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
}
