//! What tokens may do once issued: scopes ∩ permissions now, narrowing to workspaces,
//! revocation, expiry, introspection, client credentials, consent memory and prompts, CSRF,
//! page headers, CORS, and sign-in limits.

use crate::browser::*;
use crate::helpers::*;
use serde_json::json;
use tessera_core::event::Actor;

const READ_ELEMENTS: &str = "query($ws:String!){ elements(workspaceId:$ws) { id } }";
const CREATE_TEXT: &str = "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"x\"}) { id } }";

async fn exchange(app: &TestApp, client: (&str, &str), code: &str) -> serde_json::Value {
    let (s, b) = redeem(app, client, code).await;
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
    let list = app.gql(token, "{ workspaces { results { id } } }", json!({})).await;
    assert_eq!(list["data"]["workspaces"]["results"], json!([{"id": a.0}]));

    // workspaces:read: sees workspaces, cannot read elements or mutate.
    let page = browser.get(&authorize_url(&app.base, &params(&cid, "workspaces:read"))).await;
    let back = browser.decide(&app.base, &page, "allow", &[]).await;
    let t = exchange(&app, (&cid, &secret), &query_of(&back.location().expect("loc"))["code"]).await;
    let token = t["access_token"].as_str().expect("token");
    assert_eq!(
        app.gql(token, "{ workspaces { totalItems } }", json!({})).await["data"]["workspaces"]["totalItems"].as_i64(),
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
        .create_app(
            None,
            &bot.id,
            "Bot backend",
            &["https://backend.example.test/cb".into()],
            tessera_core::oauth::clients::ClientType::CONFIDENTIAL,
        )
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

/// A form's CSRF token is bound to the session: a token planted in a cookie, another person's
/// token, or a post the browser marks as cross-site is refused; the session's own goes through.
#[tokio::test]
async fn csrf_tokens_are_bound_to_the_session_and_cross_site_posts_are_refused() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (_, _, attacker_email, _) = person_with_workspaces(&app).await;
    let (cid, _) = confidential_app(&app, &user).await;
    let url = authorize_url(&app.base, &params(&cid, "v2legacy"));
    let mut victim = Browser::new();
    let page = victim.get(&url).await;
    let consent = victim.sign_in(&app.base, &page, &email, PASSWORD).await;
    let mut attacker = Browser::new();
    let page = attacker.get(&url).await;
    let attackers_page = attacker.sign_in(&app.base, &page, &attacker_email, PASSWORD).await;
    let attackers_token = attackers_page.field("csrf").expect("csrf");
    let allow = |csrf: &str| {
        let mut f: Vec<(String, String)> = consent.hidden_fields().into_iter().filter(|(k, _)| k != "csrf").collect();
        f.push(("csrf".into(), csrf.to_string()));
        f.push(("decision".into(), "allow".into()));
        f
    };
    let post = format!("{}/v3/oauth2/authorize", app.base);
    // A cookie planted by a sibling subdomain or on plain http, with the matching field.
    let planted = "planted-planted-planted-planted-planted-pla";
    victim.cookies.insert("tessera_csrf".into(), planted.into());
    let refused = victim.post(&post, &allow(planted)).await;
    assert_eq!((refused.status, refused.location()), (403, None), "a planted cookie");
    // Another person's valid token, in the victim's session.
    let refused = victim.post(&post, &allow(&attackers_token)).await;
    assert_eq!((refused.status, refused.location()), (403, None), "someone else's token");
    // The right token, but the browser says another site sent the form.
    let own = consent.field("csrf").expect("csrf");
    let cookie: String = victim.cookies.iter().map(|(k, v)| format!("{k}={v}; ")).collect();
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(allow(&own)).finish();
    let res = app
        .client
        .post(&post)
        .header("cookie", cookie)
        .header("sec-fetch-site", "same-site")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 403, "a post from a sibling subdomain");
    // The session's own token works.
    let ok = victim.post(&post, &allow(&own)).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert!(query_of(&ok.location().expect("location")).contains_key("code"));
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

/// Sign-in limits stop a guesser, not the account's owner: past the allowance an address is
/// refused for that account, while the owner, from elsewhere, still signs in (slowed down).
/// Behind a trusted proxy the forwarded address counts; from anyone else the header is ignored.
#[tokio::test]
async fn sign_in_limits_stop_the_guesser_not_the_account_owner() {
    let app = spawn_app_with(|c| {
        c.rate_limits.enabled = true;
        c.rate_limits.login_attempts_per_15min = 3;
        c.rate_limits.trusted_proxies = vec![tessera::web::limits::Net::parse("127.0.0.1").expect("net")];
    })
    .await;
    let (_org, _user, email, _) = person_with_workspaces(&app).await;
    let from = |address: &str| {
        let mut b = Browser::new();
        b.headers.push(("x-forwarded-for".into(), address.into()));
        b
    };
    let mut guesser = from("203.0.113.9");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let res = guesser.log_in(&app.base, &email, "wrong password").await;
        statuses.push(res.status);
        if res.status == 429 {
            assert!(res.body.contains("Too many"));
        }
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
    // The owner, from their own address, is not locked out.
    let mut owner = from("198.51.100.7");
    let res = owner.log_in(&app.base, &email, PASSWORD).await;
    assert_eq!(res.status, 303, "{}", res.body);
}

/// Two nodes sharing a database share the abuse limits: a guesser spreading attempts over
/// them is refused after the allowance, as on one node.
#[tokio::test]
async fn sign_in_limits_hold_across_nodes_sharing_a_database() {
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_db(dir.path()).await;
    let tweak = |c: &mut tessera::config::Config| {
        c.rate_limits.enabled = true;
        c.rate_limits.login_attempts_per_15min = 3;
        c.rate_limits.trusted_proxies = vec![tessera::web::limits::Net::parse("127.0.0.1").expect("net")];
    };
    let nodes = [spawn_app_on_with(&db, tweak).await, spawn_app_on_with(&db, tweak).await];
    let (_org, _user, email, _) = person_with_workspaces(&nodes[0]).await;
    let mut guesser = Browser::new();
    guesser.headers.push(("x-forwarded-for".into(), "203.0.113.9".into()));
    let mut statuses = Vec::new();
    for i in 0..4 {
        statuses.push(guesser.log_in(&nodes[i % 2].base, &email, "wrong password").await.status);
    }
    assert_eq!(statuses, [401, 401, 401, 429], "counted on both nodes together");
}

/// The token endpoint counts after client authentication: one caller cannot spend a public
/// client's allowance for its other users, nor a confidential client's by failing to authenticate.
#[tokio::test]
async fn token_limits_cannot_be_spent_by_someone_else() {
    let app = spawn_app_with(|c| {
        c.rate_limits.enabled = true;
        c.rate_limits.token_requests_per_minute = 2;
        c.rate_limits.trusted_proxies = vec![tessera::web::limits::Net::parse("127.0.0.1").expect("net")];
    })
    .await;
    let (_org, user, _, _) = person_with_workspaces(&app).await;
    let public = public_app(&app, &user, REDIRECT).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let post = |address: &'static str, form: Vec<(&'static str, String)>, basic: Option<(String, String)>| {
        let app = &app;
        async move {
            let mut req = app
                .client
                .post(format!("{}/v3/oauth2/token", app.base))
                .header("x-forwarded-for", address)
                .form_body(&form.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>());
            if let Some((id, secret)) = basic {
                req = req.basic_auth(id, Some(secret));
            }
            req.send().await.expect("token request").status().as_u16()
        }
    };
    let bad_code = |client: &str| {
        vec![("grant_type", "authorization_code".to_string()), ("code", "nope".into()), ("client_id", client.into())]
    };
    // Someone hammers the public client from one address: that address is limited…
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(post("203.0.113.9", bad_code(&public), None).await);
    }
    assert_eq!(statuses, [400, 400, 429]);
    // …and the app's users elsewhere are not.
    assert_eq!(post("198.51.100.7", bad_code(&public), None).await, 400);
    // Failed authentications count against the address that failed, not the client.
    let wrong = Some((cid.clone(), "wrong secret".to_string()));
    let cc = || vec![("grant_type", "client_credentials".to_string())];
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(post("203.0.113.9", cc(), wrong.clone()).await);
    }
    assert_eq!(statuses, [401, 401, 429]);
    let right = Some((cid.clone(), secret.clone()));
    assert_eq!(post("198.51.100.7", cc(), right.clone()).await, 400, "unauthorized_client, not 429");
    assert_eq!(post("198.51.100.8", cc(), right.clone()).await, 400);
    // A confidential client's own requests share one allowance, wherever they come from.
    assert_eq!(post("198.51.100.9", cc(), right).await, 429);
}

/// Tokens that expired over a day ago are deleted (the table grows with what is live); those
/// that expired just now, live ones and bot tokens (no expiry) stay.
#[tokio::test]
async fn tokens_expired_over_a_day_ago_are_deleted() {
    use tessera_core::auth::{issue_token, TokenKey, TokenKind, TokenRecord};
    use tessera_core::model::now_millis;
    let app = spawn_app().await;
    let (_org, user, _, _) = person_with_workspaces(&app).await;
    let day = 24 * 3600 * 1000;
    let mut keys = Vec::new();
    for expires_at in [Some(now_millis() - 2 * day), Some(now_millis() - 60_000), Some(now_millis() + 60_000), None] {
        let (id, token, hash) = issue_token("tsr_at_");
        let record = TokenRecord {
            id,
            kind: if expires_at.is_some() { TokenKind::Access } else { TokenKind::Bot },
            user_id: user.clone(),
            client_id: None,
            scopes: "v2legacy".into(),
            workspaces: None,
            expires_at,
            revoked: false,
            created_at: now_millis() - 3 * day,
            family_id: None,
            rotated_at: None,
        };
        let write = tessera_core::ports::TokenWrite { tokens: vec![(record, hash)], ..Default::default() };
        app.core.store().write_tokens(write).await.expect("write");
        keys.push(TokenKey::of(&token));
    }
    assert_eq!(app.core.forget_expired().await.expect("forget"), 1);
    let mut left = Vec::new();
    for key in &keys {
        left.push(app.core.store().find_token(key).await.expect("read").is_some());
    }
    assert_eq!(left, [false, true, true, true], "only the token expired two days ago went");
    assert_eq!(app.core.forget_expired().await.expect("again"), 0, "nothing more to delete");
}
