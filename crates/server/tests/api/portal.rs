//! The developer portal: apps (secret shown once, regenerated, deleted), authorized apps,
//! bot tokens for org admins; and the CLI's `app create`. Also: no secret reaches the logs.

use crate::browser::*;
use crate::helpers::*;
use serde_json::json;

async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let mut b = Browser::new();
    let res = b.log_in(&app.base, email, PASSWORD).await;
    assert_eq!(res.status, 303);
    let set = res
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("tessera_session="))
        .expect("session cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
    b
}

pub fn between<'a>(body: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = body.find(start)? + start.len();
    Some(&body[i..i + body[i..].find(end)?])
}

async fn client_auth_ok(app: &TestApp, id: &str, secret: &str) -> bool {
    // A person's app cannot use client_credentials, but the error tells whether the client
    // authenticated: unauthorized_client (yes) or invalid_client (no).
    let (_, _, b) = token_request(app, &[("grant_type", "client_credentials")], Some((id, secret))).await;
    b["error"] == "unauthorized_client"
}

#[tokio::test]
async fn register_regenerate_and_delete_an_app_in_the_portal() {
    let app = spawn_app().await;
    let (_org, _user, email, _) = person_with_workspaces(&app).await;
    let mut b = signed_in(&app, &email).await;
    let portal = b.get(&format!("{}/portal", app.base)).await;
    assert_eq!(portal.status, 200);
    let csrf = portal.field("csrf").expect("csrf");
    let form = |extra: &[(&str, &str)]| {
        let mut f = vec![("csrf".to_string(), csrf.clone())];
        f.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        f
    };
    let created = b
        .post(
            &format!("{}/portal/apps", app.base),
            &form(&[("name", "My server"), ("redirect_uris", REDIRECT), ("kind", "confidential")]),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let secret = between(&created.body, "<code id=\"client-secret\">", "</code>").expect("secret shown").to_string();
    let client_id = between(&created.body, "<dt>Client id</dt><dd><code>", "</code>").expect("client id").to_string();
    assert!(client_auth_ok(&app, &client_id, &secret).await);
    let shown = b.get(&format!("{}/portal/apps/{client_id}", app.base)).await;
    assert!(!shown.body.contains(&secret), "the secret is shown only once");

    let regenerated = b.post(&format!("{}/portal/apps/{client_id}/secret", app.base), &form(&[])).await;
    let new_secret =
        between(&regenerated.body, "<code id=\"client-secret\">", "</code>").expect("new secret").to_string();
    assert!(!client_auth_ok(&app, &client_id, &secret).await, "the old secret stops working at once");
    assert!(client_auth_ok(&app, &client_id, &new_secret).await);

    // A bad registration is refused with a clear message and nothing is created.
    let bad = b
        .post(
            &format!("{}/portal/apps", app.base),
            &form(&[("name", "X"), ("redirect_uris", "http://example.com/cb"), ("kind", "public")]),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("loopback"), "{}", bad.body);

    // Tokens die with the app.
    let q = authorize(
        &app,
        &mut b,
        &email,
        &[("response_type", "code"), ("client_id", &client_id), ("redirect_uri", REDIRECT), ("scope", "v2legacy")],
    )
    .await;
    let (_, _, t) = token_request(
        &app,
        &[("grant_type", "authorization_code"), ("code", &q["code"]), ("redirect_uri", REDIRECT)],
        Some((&client_id, &new_secret)),
    )
    .await;
    let token = t["access_token"].as_str().expect("token");
    assert_eq!(app.gql_status(token, "{ me { profile { id } } }", json!({})).await.0, 200);
    let deleted = b.post(&format!("{}/portal/apps/{client_id}/delete", app.base), &form(&[])).await;
    assert_eq!(deleted.status, 303);
    assert_eq!(app.gql_status(token, "{ me { profile { id } } }", json!({})).await.0, 401);
    let listing = b.get(&format!("{}/portal", app.base)).await;
    assert!(!listing.body.contains(&client_id), "a deleted app is no longer listed");
}

/// Every portal action, tried by another signed-in person (an admin of her own organization,
/// with a valid form token of her own) on Ada's app, grant and bot token: each is NOT_FOUND and
/// changes nothing.
#[tokio::test]
async fn no_portal_action_reaches_someone_elses_app_grant_or_bot() {
    let app = spawn_app().await;
    let mut people = Vec::new();
    for (name, email) in [("Ada's org", "ada@a.test"), ("Mallory's org", "mallory@m.test")] {
        let org = app.core.admin_create_org(name).await.expect("org").id;
        let p = tessera_core::service::NewPerson {
            email: email.into(),
            password: PASSWORD.into(),
            org: Some((org.clone(), "admin".into())),
            ..Default::default()
        };
        people.push((org, app.core.admin_create_user(p).await.expect("user").id));
    }
    let (ada_org, ada) = people[0].clone();
    let (cid, secret) = confidential_app(&app, &ada).await;
    let mut ada_browser = signed_in(&app, "ada@a.test").await;
    let params = [
        ("response_type", "code"),
        ("client_id", cid.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", "v2legacy"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let q = authorize(&app, &mut ada_browser, "ada@a.test", &params).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &q["code"]),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (_, _, t) = token_request(&app, &form, Some((&cid, &secret))).await;
    let ada_token = t["access_token"].as_str().expect("token").to_string();
    let (bot, bot_token) = app.core.admin_create_bot(&ada_org, "Ada's bot").await.expect("bot");
    let bot_token_id = app.core.admin_tokens(&bot.id).await.expect("tokens")[0].id.0.clone();

    let mut mallory = signed_in(&app, "mallory@m.test").await;
    let page = mallory.get(&format!("{}/portal", app.base)).await;
    assert!(!page.body.contains(&cid) && !page.body.contains(&bot_token_id), "nothing of Ada's is listed");
    assert_eq!(mallory.get(&format!("{}/portal/apps/{cid}", app.base)).await.status, 404);
    let csrf = vec![("csrf".to_string(), page.field("csrf").expect("csrf"))];
    for action in [
        format!("/portal/apps/{cid}/secret"),
        format!("/portal/apps/{cid}/delete"),
        format!("/portal/grants/{cid}/revoke"),
        format!("/portal/bot-tokens/{bot_token_id}/revoke"),
    ] {
        let res = mallory.post(&format!("{}{action}", app.base), &csrf).await;
        assert_eq!(res.status, 404, "{action}: {}", res.body);
        assert!(!res.body.contains("tsr_cs_"), "{action}: no secret shown");
    }
    // Nothing changed: Ada's secret, app, grant and bot token all still work.
    assert!(client_auth_ok(&app, &cid, &secret).await, "the secret was not regenerated");
    assert_eq!(app.gql_status(&ada_token, "{ me { profile { id } } }", json!({})).await.0, 200, "grant and app live");
    assert_eq!(app.gql_status(&bot_token, "{ me { profile { id } } }", json!({})).await.0, 200, "bot token live");
    // …and the same actions by Ada herself do work (the test can tell).
    let own = ada_browser.get(&format!("{}/portal", app.base)).await;
    let csrf = vec![("csrf".to_string(), own.field("csrf").expect("csrf"))];
    let res = ada_browser.post(&format!("{}/portal/bot-tokens/{bot_token_id}/revoke", app.base), &csrf).await;
    assert_eq!(res.status, 303);
    assert_eq!(app.gql_status(&bot_token, "{ me { profile { id } } }", json!({})).await.0, 401);
}

#[tokio::test]
async fn a_user_revokes_an_authorized_app_and_all_its_tokens_die() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let mut b = signed_in(&app, &email).await;
    let q = authorize(
        &app,
        &mut b,
        &email,
        &[
            ("response_type", "code"),
            ("client_id", &cid),
            ("redirect_uri", REDIRECT),
            ("scope", "v2legacy offline_access"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let (_, _, t) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
        Some((&cid, &secret)),
    )
    .await;
    let token = t["access_token"].as_str().expect("token");
    let portal = b.get(&format!("{}/portal", app.base)).await;
    assert!(portal.body.contains("Server app") && portal.body.contains("v2legacy offline_access"));
    let form = vec![("csrf".to_string(), portal.field("csrf").expect("csrf"))];
    let res = b.post(&format!("{}/portal/grants/{cid}/revoke", app.base), &form).await;
    assert_eq!(res.status, 303);
    assert_eq!(app.gql_status(token, "{ me { profile { id } } }", json!({})).await.0, 401);
    let rt = t["refresh_token"].as_str().expect("refresh");
    let (_, _, r) =
        token_request(&app, &[("grant_type", "refresh_token"), ("refresh_token", rt)], Some((&cid, &secret))).await;
    assert_eq!(r["error"], "invalid_grant");
    // Consent was forgotten: the next authorization asks again.
    let page = b
        .get(&authorize_url(
            &app.base,
            &[
                ("response_type", "code"),
                ("client_id", &cid),
                ("redirect_uri", REDIRECT),
                ("scope", "v2legacy"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ],
        ))
        .await;
    assert!(page.body.contains("name=\"decision\""), "{}", page.body);
}

#[tokio::test]
async fn org_admins_see_and_revoke_bot_tokens_others_cannot() {
    let app = spawn_app().await;
    let org = app.core.admin_create_org("Admins").await.expect("org").id;
    for (email, role) in [("admin@a.test", "admin"), ("user@a.test", "user")] {
        let p = tessera_core::service::NewPerson {
            email: email.into(),
            password: PASSWORD.into(),
            org: Some((org.clone(), role.into())),
            ..Default::default()
        };
        app.core.admin_create_user(p).await.expect("user");
    }
    let (bot, token) = app.core.admin_create_bot(&org, "Reporter").await.expect("bot");
    let token_id = app.core.admin_tokens(&bot.id).await.expect("tokens")[0].id.0.clone();

    let mut user = signed_in(&app, "user@a.test").await;
    let page = user.get(&format!("{}/portal", app.base)).await;
    assert!(!page.body.contains("Reporter"), "a plain member does not see the org's bots");
    let form = vec![("csrf".to_string(), page.field("csrf").expect("csrf"))];
    assert_eq!(user.post(&format!("{}/portal/bot-tokens/{token_id}/revoke", app.base), &form).await.status, 404);
    assert_eq!(app.gql_status(&token, "{ me { profile { id } } }", json!({})).await.0, 200);

    let mut admin = signed_in(&app, "admin@a.test").await;
    let page = admin.get(&format!("{}/portal", app.base)).await;
    assert!(page.body.contains("Reporter") && page.body.contains(&token_id), "{}", page.body);
    let form = vec![("csrf".to_string(), page.field("csrf").expect("csrf"))];
    assert_eq!(admin.post(&format!("{}/portal/bot-tokens/{token_id}/revoke", app.base), &form).await.status, 303);
    assert_eq!(app.gql_status(&token, "{ me { profile { id } } }", json!({})).await.0, 401);
}

#[tokio::test]
async fn cli_app_create_for_people_and_bots() {
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_db(dir.path()).await;
    let (org, owner, _ws) = cli_org_owner_workspace(&db, false);
    let conf = cli_ok(
        &db,
        &[
            "app",
            "create",
            "--owner",
            &owner,
            "--name",
            "Web",
            "--redirect-uri",
            REDIRECT,
            "--redirect-uri",
            "https://app.example.test/cb",
        ],
    );
    assert!(conf["client_id"].as_str().is_some_and(|c| c.starts_with("app_")));
    assert!(conf["client_secret"].as_str().is_some_and(|s| s.starts_with("tsr_cs_")));
    let public = cli_ok(
        &db,
        &[
            "app",
            "create",
            "--owner",
            &owner,
            "--name",
            "SPA",
            "--redirect-uri",
            "https://spa.example.test/cb",
            "--public",
        ],
    );
    assert!(public.get("client_secret").is_none(), "{public}");
    let (bot, _) = cli_bot(&db, &org, None, "viewer");
    let bot_app = cli_ok(
        &db,
        &["app", "create", "--owner", &bot, "--name", "Bot", "--redirect-uri", "https://b.example.test/cb"],
    );
    let app = spawn_app_on(&db).await;
    let (s, _, t) = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some((bot_app["client_id"].as_str().expect("id"), bot_app["client_secret"].as_str().expect("s"))),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let err =
        cli(&db, &["app", "create", "--owner", &owner, "--name", "Bad", "--redirect-uri", "javascript:alert(1)"], None)
            .expect_err("bad uri");
    assert!(err.contains("not allowed"), "{err}");
}

/// Run the real binary at debug log level through a whole flow, then look for every secret
/// in what it logged.
#[tokio::test]
async fn secrets_and_tokens_never_reach_the_logs() {
    use std::process::Stdio;
    use tokio::io::AsyncReadExt;
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_db(dir.path()).await;
    let (org, owner, _ws) = cli_org_owner_workspace(&db, false);
    let owner_email = {
        let app = spawn_app_on(&db).await;
        app.core
            .store()
            .user(&tessera_core::ids::UserId(owner.clone()))
            .await
            .expect("u")
            .expect("u")
            .email
            .expect("email")
    };
    let _ = org;
    let conf = cli_ok(&db, &["app", "create", "--owner", &owner, "--name", "Web", "--redirect-uri", REDIRECT]);
    let (cid, secret) =
        (conf["client_id"].as_str().expect("id").to_string(), conf["client_secret"].as_str().expect("s").to_string());
    let (mut child, base, _) = spawn_binary(
        &["serve", "--listen", "127.0.0.1:0", "--database-url", &db],
        &[("TESSERA_LOG", "debug")],
        Stdio::piped(),
    )
    .await;
    let mut stderr = child.stderr.take().expect("stderr");
    let logs = tokio::spawn(async move {
        let mut all = String::new();
        let _ = stderr.read_to_string(&mut all).await;
        all
    });
    // The whole flow against the binary.
    let mut b = Browser::new();
    let url = authorize_url(
        &base,
        &[
            ("response_type", "code"),
            ("client_id", &cid),
            ("redirect_uri", REDIRECT),
            ("scope", "v2legacy offline_access"),
            ("state", "state-secret-value"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    );
    let login = b.get(&url).await;
    let consent = b.sign_in(&base, &login, &owner_email, "s3cret-pass").await;
    let back = b.decide(&base, &consent, "allow", &[]).await;
    let code = query_of(&back.location().expect("loc"))["code"].clone();
    let client = reqwest::Client::new();
    let form =
        |pairs: &[(&str, &str)]| url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let t: serde_json::Value = client
        .post(format!("{base}/v3/oauth2/token"))
        .basic_auth(&cid, Some(&secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ]))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let access = t["access_token"].as_str().expect("access").to_string();
    let refresh = t["refresh_token"].as_str().expect("refresh").to_string();
    client
        .post(format!("{base}/v3/graphql"))
        .bearer_auth(&access)
        .json(&json!({"query": "{ me { profile { id } } }"}))
        .send()
        .await
        .expect("gql");
    client
        .post(format!("{base}/v3/oauth2/token"))
        .basic_auth(&cid, Some(&secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)]))
        .send()
        .await
        .expect("refresh");
    child.start_kill().expect("kill");
    child.wait().await.expect("wait");
    let logs = logs.await.expect("logs");
    assert!(logs.contains("token issued"), "the flow was logged at all: {}", &logs[..logs.len().min(500)]);
    let session = b.cookies.get("tessera_session").cloned().expect("session");
    for (what, secret) in [
        ("client secret", secret.as_str()),
        ("password", "s3cret-pass"),
        ("code", code.as_str()),
        ("access token", access.as_str()),
        ("refresh token", refresh.as_str()),
        ("session", session.as_str()),
        ("verifier", VERIFIER),
        ("state", "state-secret-value"),
    ] {
        assert!(!logs.contains(secret), "the {what} appears in the logs");
    }
}

#[tokio::test]
async fn https_issuers_get_secure_cookies_and_sign_out_ends_the_session() {
    let app = spawn_app_with(|c| c.issuer = "https://tessera.example.test".into()).await;
    let (_org, _user, email, _) = person_with_workspaces(&app).await;
    let mut b = Browser::new();
    let res = b.log_in(&app.base, &email, PASSWORD).await;
    let cookies: Vec<&str> = res.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
    // `__Host-` cookies: only this host, over https, can set them (no sibling subdomain).
    let session = cookies.iter().find(|c| c.starts_with("__Host-tessera_session=")).expect("session cookie");
    assert!(session.contains("; Secure") && session.contains("; Path=/") && !session.contains("Domain"), "{session}");
    assert!(!cookies.iter().any(|c| c.starts_with("tessera_session=")), "{cookies:?}");
    let portal = b.get(&format!("{}/portal", app.base)).await;
    assert_eq!(portal.status, 200);
    let out =
        b.post(&format!("{}/logout", app.base), &[("csrf".to_string(), portal.field("csrf").expect("csrf"))]).await;
    assert_eq!(out.status, 303);
    let after = b.get(&format!("{}/portal", app.base)).await;
    assert_eq!(after.status, 303, "signed out: the portal sends you to the login page");
    assert!(after.location().is_some_and(|l| l.starts_with("/login")));
}

#[tokio::test]
async fn the_token_endpoint_is_rate_limited_per_client() {
    let app = spawn_app_with(|c| {
        c.rate_limits.enabled = true;
        c.rate_limits.token_requests_per_minute = 2;
    })
    .await;
    let (_org, user, _, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let (s, h, b) = token_request(&app, &[("grant_type", "client_credentials")], Some((&cid, &secret))).await;
        if s == 429 {
            assert_eq!(b["error"], "temporarily_unavailable");
            assert!(h.contains_key("retry-after"));
        }
        statuses.push(s);
    }
    assert_eq!(statuses, [400, 400, 429], "two requests pass (unauthorized_client), the third is limited");
}

#[tokio::test]
async fn a_password_change_and_signing_out_everywhere_end_the_other_sessions_and_app_tokens() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let mut here = signed_in(&app, &email).await;
    let mut there = signed_in(&app, &email).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let back = authorize(&app, &mut Browser::new(), &email, &params(&cid, "v2legacy")).await;
    let (_, tokens) = redeem(&app, (&cid, &secret), &back["code"]).await;
    let access = tokens["access_token"].as_str().expect("token").to_string();
    let portal = here.get(&format!("{}/portal", app.base)).await;
    assert!(portal.body.matches("<td>this browser</td>").count() == 1, "{}", portal.body);
    assert!(portal.body.matches("<tr><td>20").count() >= 3, "three sessions listed");
    let csrf = portal.field("csrf").expect("csrf");
    let change = |current: &str, new: &str| {
        vec![("csrf".to_string(), csrf.clone()), ("current".into(), current.into()), ("password".into(), new.into())]
    };
    let url = format!("{}/portal/password", app.base);
    // A wrong current password or a short new one changes nothing.
    assert_eq!(here.post(&url, &change("not my password", "a brand new password")).await.status, 400);
    assert_eq!(here.post(&url, &change(PASSWORD, "short")).await.status, 400);
    assert_eq!(there.get(&format!("{}/portal", app.base)).await.status, 200);
    assert_eq!(app.gql_status(&access, "{ me { profile { id } } }", json!({})).await.0, 200);
    // The change: this browser stays signed in, the other and the app's token are out.
    let done = here.post(&url, &change(PASSWORD, "a brand new password")).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(here.get(&format!("{}/portal", app.base)).await.status, 200, "still signed in here");
    assert_eq!(there.get(&format!("{}/portal", app.base)).await.status, 303, "signed out there");
    assert_eq!(app.gql_status(&access, "{ me { profile { id } } }", json!({})).await.0, 401);
    assert_eq!(Browser::new().log_in(&app.base, &email, PASSWORD).await.status, 401, "the old password");
    let mut again = Browser::new();
    assert_eq!(again.log_in(&app.base, &email, "a brand new password").await.status, 303);
    // Signing out everywhere ends this session too.
    let portal = here.get(&format!("{}/portal", app.base)).await;
    let form = vec![("csrf".to_string(), portal.field("csrf").expect("csrf"))];
    let out = here.post(&format!("{}/portal/sign-out-everywhere", app.base), &form).await;
    assert_eq!(out.location().as_deref(), Some("/login"));
    assert_eq!(here.get(&format!("{}/portal", app.base)).await.status, 303);
    assert_eq!(again.get(&format!("{}/portal", app.base)).await.status, 303);
}
