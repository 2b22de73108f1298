//! The security log: sign-ins, failed sign-ins, tokens issued and revoked, consents, app and
//! bot changes are recorded per organization, readable and followable by its owners and admins
//! only, in dense commit-ordered cursors, and never hold a secret.

use crate::browser::*;
use crate::helpers::*;
use crate::wsclient::Ws;
use serde_json::{json, Value};
use std::time::Duration;
use tessera_core::auth::hash_token;
use tessera_core::ids::{OrgId, UserId};
use tessera_core::service::NewPerson;

const FIELDS: &str = "organizationId cursor kind subjectId actorId clientId occurredAt detail";

async fn person(app: &TestApp, org: &OrgId, email: &str, role: &str) -> UserId {
    let p = NewPerson {
        email: email.into(),
        password: PASSWORD.into(),
        first_name: "Grace".into(),
        last_name: "Hopper".into(),
        org: Some((org.clone(), role.into())),
    };
    app.core.admin_create_user(p).await.expect("user").id
}

/// A person's tokens through the real code flow (sign-in, consent, code): the JSON response.
async fn tokens_for(app: &TestApp, email: &str, client: (&str, &str), scope: &str) -> Value {
    let mut b = Browser::new();
    let q = authorize(
        app,
        &mut b,
        email,
        &[
            ("response_type", "code"),
            ("client_id", client.0),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", q["code"].as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (status, _, t) = token_request(app, &form, Some(client)).await;
    assert_eq!(status, 200, "{t}");
    t
}

async fn log(app: &TestApp, token: &str, org: &OrgId, after: Option<&str>) -> Value {
    let q =
        format!("query($o:String!,$a:ID){{ securityEvents(organizationId:$o, after:$a, limit:1000) {{ {FIELDS} }} }}");
    app.gql(token, &q, json!({"o": org.0, "a": after})).await
}

fn kinds(events: &Value) -> Vec<String> {
    let list = events.as_array().unwrap_or_else(|| panic!("not a list: {:.300}", events.to_string()));
    list.iter().map(|e| e["kind"].as_str().expect("kind").to_string()).collect()
}

#[tokio::test]
async fn org_admins_read_and_follow_the_security_log_and_it_holds_no_secret() {
    let app = spawn_app().await;
    let (org, user, email, _) = person_with_workspaces(&app).await;
    let admin = person(&app, &org, "admin@sec.test", "admin").await;
    let (admin_app, admin_secret) = confidential_app(&app, &admin).await;
    let t = tokens_for(&app, "admin@sec.test", (&admin_app, &admin_secret), "org:admin workspaces:read").await;
    let admin_token = t["access_token"].as_str().expect("token").to_string();
    let mut secrets = vec![PASSWORD.to_string(), admin_secret.clone(), admin_token.clone()];

    // Follow the log from the start over a WebSocket, while everything below happens.
    let mut ws = Ws::ready(&app, "graphql-transport-ws", &admin_token).await;
    let sub = format!("subscription($o:String!){{ securityEvents(organizationId:$o, cursor:\"0\") {{ {FIELDS} }} }}");
    ws.send(json!({"id": "s", "type": "subscribe", "payload": {"query": sub, "variables": {"o": org.0}}})).await;

    // A failed sign-in, then the user's own app and a code flow with refresh, a refresh, a revocation.
    let mut b = Browser::new();
    assert_eq!(b.log_in(&app.base, &email, "not the password").await.status, 401);
    let unknown = b.log_in(&app.base, "nobody@nowhere.test", "whatever").await;
    assert_eq!(unknown.status, 401);
    let new = app
        .core
        .create_app(
            Some(&user),
            &user,
            "User app",
            &[REDIRECT.to_string()],
            tessera_core::oauth::clients::ClientType::CONFIDENTIAL,
        )
        .await
        .expect("app");
    let (cid, csecret) = (new.app.client_id.clone(), new.secret.expect("secret"));
    let t = tokens_for(&app, &email, (&cid, &csecret), "v2legacy offline_access").await;
    let (access, refresh) = (t["access_token"].as_str().expect("a"), t["refresh_token"].as_str().expect("r"));
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let (status, _, r) = token_request(&app, &form, Some((&cid, &csecret))).await;
    assert_eq!(status, 200, "{r}");
    let refreshed = r["refresh_token"].as_str().expect("rotated").to_string();
    let revoke = app
        .client
        .post(format!("{}/v3/oauth2/revoke", app.base))
        .basic_auth(&cid, Some(&csecret))
        .form(&[("token", refreshed.as_str())])
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoke.status(), 200);
    app.core.revoke_app_grant(&user, &cid).await.expect("withdraw");
    let regenerated = app.core.regenerate_secret(&user, &cid).await.expect("regenerate");
    app.core.delete_app(&user, &cid).await.expect("delete");
    // The operator makes a bot, gives it a second token and revokes it.
    let (bot, bot_token) = app.core.admin_create_bot(&org, "Sec bot").await.expect("bot");
    let (second_id, second) = app.core.admin_create_bot_token(&bot.id).await.expect("token");
    app.core.admin_revoke_token(&second_id).await.expect("revoke");
    secrets.extend([csecret.clone(), regenerated, access.to_string(), refresh.to_string(), refreshed]);
    secrets.extend([bot_token, second, "not the password".into()]);

    let all = log(&app, &admin_token, &org, None).await;
    let all = all["data"].get("securityEvents").cloned().unwrap_or(all);
    let got = kinds(&all);
    let expected = [
        "APP_CREATED",     // the admin's app (operator)
        "LOGIN_SUCCEEDED", // admin
        "CONSENT_GRANTED", // admin
        "TOKEN_ISSUED",    // admin, authorization_code
        "LOGIN_FAILED",    // user, wrong password (the unknown account has no organization)
        "APP_CREATED",     // user
        "LOGIN_SUCCEEDED", // user
        "CONSENT_GRANTED", // user
        "TOKEN_ISSUED",    // user, authorization_code
        "TOKEN_ISSUED",    // user, refresh_token
        "TOKEN_REVOKED",   // by the app
        "CONSENT_WITHDRAWN",
        "APP_SECRET_REGENERATED",
        "APP_DELETED",
        "BOT_CREATED",
        "TOKEN_ISSUED", // the bot's first token
        "TOKEN_ISSUED", // its second
        "TOKEN_REVOKED",
    ];
    assert_eq!(got, expected, "{all:#}");
    let events = all.as_array().expect("list");
    let cursors: Vec<String> = events.iter().map(|e| e["cursor"].as_str().expect("c").to_string()).collect();
    let dense: Vec<String> = (1..=expected.len()).map(|n| n.to_string()).collect();
    assert_eq!(cursors, dense, "cursors are dense and in order");
    let e = |i: usize| &events[i];
    assert_eq!(e(4)["subjectId"], user.0);
    assert_eq!(e(4)["detail"]["address"], "127.0.0.1");
    assert_eq!(e(0)["actorId"], Value::Null, "the command line has no actor");
    assert_eq!(e(5)["actorId"], user.0);
    assert_eq!(e(8)["detail"]["grant"], "authorization_code");
    let scope = e(8)["detail"]["scope"].as_str().unwrap_or_default();
    assert!(scope.contains("v2legacy") && scope.contains("offline_access"), "{scope}");
    assert_eq!(e(8)["detail"]["tokenIds"].as_array().map(Vec::len), Some(2), "access and refresh token ids");
    assert_eq!(e(9)["detail"]["grant"], "refresh_token");
    assert_eq!(e(10)["detail"]["reason"], "revoked by the app");
    assert_eq!(e(10)["clientId"], cid.as_str());
    assert_eq!(
        (e(14)["subjectId"].as_str(), e(14)["detail"]["name"].as_str()),
        (Some(bot.id.as_str()), Some("Sec bot"))
    );
    assert_eq!(e(17)["detail"]["tokenId"], second_id.0);
    assert!(e(0)["occurredAt"].as_str().is_some_and(|t| t.len() == 24 && t.ends_with('Z')), "{}", e(0));

    // Never a secret, nor a secret's hash.
    let text = all.to_string();
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "a secret is in the security log: {s}");
        assert!(!text.contains(&hash_token(s)), "a secret's hash is in the security log");
    }

    // The subscription replayed the same events, in the same order, then followed live.
    let mut followed = Vec::new();
    while followed.len() < expected.len() {
        let m = ws.next_msg().await;
        assert_eq!(m["type"], "next", "{m}");
        followed.push(m["payload"]["data"]["securityEvents"].clone());
    }
    assert_eq!(Value::Array(followed), all);
    app.core.admin_create_bot(&org, "Live bot").await.expect("bot");
    let live = ws.next_msg().await;
    assert_eq!(live["payload"]["data"]["securityEvents"]["kind"], "BOT_CREATED", "{live}");
    assert_eq!(live["payload"]["data"]["securityEvents"]["cursor"], (expected.len() + 1).to_string());

    // Paging: after a cursor, only later events.
    let later = log(&app, &admin_token, &org, Some("17")).await["data"]["securityEvents"].clone();
    assert_eq!(kinds(&later), ["TOKEN_REVOKED", "BOT_CREATED", "TOKEN_ISSUED"]);

    // Demoted, the follower is cut off at its next read (the live bot's token event may have
    // been read with its creation, before the demotion).
    app.core.store().set_org_member(&org, &admin, "user").await.expect("demote");
    app.core.admin_create_bot(&org, "After").await.expect("bot");
    let mut cut = ws.next_msg().await;
    let cursor_of = |m: &Value| m["payload"]["data"]["securityEvents"]["cursor"].as_str().map(str::to_string);
    if cursor_of(&cut) == Some((expected.len() + 2).to_string()) {
        cut = ws.next_msg().await;
    }
    assert_eq!(error_of(&cut), Some("FORBIDDEN"), "{cut}");
}

/// The code of a subscription's error, sent as `error` (at the start) or in `next`.
fn error_of(m: &Value) -> Option<&str> {
    m["payload"]["errors"][0]["extensions"]["code"].as_str().or(m["payload"][0]["extensions"]["code"].as_str())
}

#[tokio::test]
async fn only_owners_and_admins_with_org_admin_scope_see_the_log() {
    let app = spawn_app().await;
    let (org, user, email, _) = person_with_workspaces(&app).await;
    let admin = person(&app, &org, "boss@sec.test", "owner").await;
    let (cid, secret) = confidential_app(&app, &admin).await;
    let narrow = tokens_for(&app, "boss@sec.test", (&cid, &secret), "workspaces:read").await;
    let (ucid, usecret) = confidential_app(&app, &user).await;
    let member = tokens_for(&app, &email, (&ucid, &usecret), "v2legacy").await;
    let other_org = app.core.admin_create_org("Elsewhere").await.expect("org").id;
    let (_bot, bot_token) = app.core.admin_create_bot(&other_org, "Outsider").await.expect("bot");
    let code = |v: &Value| error_code(v).map(str::to_string);
    let narrow = narrow["access_token"].as_str().expect("t");
    assert_eq!(code(&log(&app, narrow, &org, None).await).as_deref(), Some("FORBIDDEN"), "no org:admin scope");
    let member = member["access_token"].as_str().expect("t");
    assert_eq!(code(&log(&app, member, &org, None).await).as_deref(), Some("FORBIDDEN"), "a plain member");
    assert_eq!(code(&log(&app, &bot_token, &org, None).await).as_deref(), Some("NOT_FOUND"), "another org's bot");
    // Bad arguments are refused clearly, and a follower cannot start where the log has not been.
    let owner = tokens_for(&app, "boss@sec.test", (&cid, &secret), "org:admin").await;
    let owner = owner["access_token"].as_str().expect("t");
    assert_eq!(code(&log(&app, owner, &org, Some("-1")).await).as_deref(), Some("BAD_USER_INPUT"));
    let zero = app.gql(
        owner,
        "query($o:String!){ securityEvents(organizationId:$o, limit:0) { cursor } }",
        json!({"o": org.0}),
    );
    assert_eq!(code(&zero.await).as_deref(), Some("BAD_USER_INPUT"));
    let mut ws = Ws::ready(&app, "graphql-transport-ws", owner).await;
    let sub = "subscription($o:String!){ securityEvents(organizationId:$o, cursor:\"999999\") { cursor } }";
    ws.send(json!({"id": "s", "type": "subscribe", "payload": {"query": sub, "variables": {"o": org.0}}})).await;
    let m = ws.next_msg().await;
    assert_eq!(error_of(&m), Some("BAD_USER_INPUT"), "{m}");
    let fine = log(&app, owner, &org, None).await;
    assert!(error_code(&fine).is_none() && !kinds(&fine["data"]["securityEvents"]).is_empty(), "{fine}");
    assert_eq!(ws.next_msg().await, json!({"id": "s", "type": "complete"}));
    // Following the log, the owner re-authenticates on the socket with a token of theirs
    // without `org:admin`: the subscription ends at once, before any new event.
    let follow = "subscription($o:String!){ securityEvents(organizationId:$o) { cursor } }";
    ws.send(json!({"id": "f", "type": "subscribe", "payload": {"query": follow, "variables": {"o": org.0}}})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    ws.send(json!({"type": "ping", "payload": {"Authorization": format!("Bearer {narrow}")}})).await;
    assert_eq!(ws.next_msg().await, json!({"type": "pong", "payload": {"reauthenticated": true}}));
    let m = ws.next_msg().await;
    assert_eq!((m["id"].as_str(), error_of(&m)), (Some("f"), Some("FORBIDDEN")), "{m}");
}

/// Tokens issued concurrently (through the group commit) and sign-ins at the same time: every
/// one is recorded once, with dense cursors in commit order.
#[tokio::test]
async fn concurrent_grants_get_dense_cursors() {
    let app = spawn_app().await;
    let org = app.core.admin_create_org("Busy").await.expect("org").id;
    person(&app, &org, "owner@busy.test", "owner").await;
    let (bot, _) = app.core.admin_create_bot(&org, "Worker").await.expect("bot");
    let new = app
        .core
        .create_app(None, &bot.id, "worker", &[REDIRECT.into()], tessera_core::oauth::clients::ClientType::CONFIDENTIAL)
        .await
        .expect("app");
    let (cid, secret) = (new.app.client_id, new.secret.expect("secret"));
    let grants = (0..40).map(|_| {
        let (app, cid, secret) = (&app, cid.clone(), secret.clone());
        async move {
            let (s, _, t) = token_request(app, &[("grant_type", "client_credentials")], Some((&cid, &secret))).await;
            assert_eq!(s, 200, "{t}");
        }
    });
    let logins = (0..5).map(|_| async {
        let mut b = Browser::new();
        assert_eq!(b.log_in(&app.base, "owner@busy.test", PASSWORD).await.status, 303);
    });
    futures_join(grants.collect(), logins.collect()).await;
    let (oid, osecret) = confidential_app(&app, &person_id(&app, "owner@busy.test").await).await;
    let owner = tokens_for(&app, "owner@busy.test", (&oid, &osecret), "org:admin").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let all = log(&app, owner["access_token"].as_str().expect("t"), &org, None).await;
    let all = all["data"].get("securityEvents").cloned().unwrap_or(all);
    let got = kinds(&all);
    let count = |k: &str| got.iter().filter(|g| *g == k).count();
    // The bot's first token, 40 grants, then the owner's code flow.
    assert_eq!(count("TOKEN_ISSUED"), 1 + 40 + 1, "{got:?}");
    assert_eq!(count("LOGIN_SUCCEEDED"), 5 + 1);
    let cursors: Vec<i64> =
        all.as_array().expect("list").iter().map(|e| e["cursor"].as_str().expect("c").parse().expect("n")).collect();
    assert_eq!(cursors, (1..=cursors.len() as i64).collect::<Vec<_>>());
}

async fn person_id(app: &TestApp, email: &str) -> UserId {
    app.core.store().user_by_email(email).await.expect("read").expect("user").0.id
}

async fn futures_join(a: Vec<impl std::future::Future<Output = ()>>, b: Vec<impl std::future::Future<Output = ()>>) {
    use async_graphql::futures_util::future::join_all;
    let _ = tokio::join!(join_all(a), join_all(b));
}

/// Three nodes on one database issue tokens at once (each node has its own group commit) while a
/// reader on one of them follows the organization's log: every batch it reads starts right
/// after the last cursor it saw, so no event can appear behind a reader's back.
#[tokio::test]
async fn security_cursors_are_in_commit_order_across_nodes() {
    let (nodes, _dir) = nodes_on_one_database(3).await;
    let core = &nodes[0].core;
    let org = core.admin_create_org("Cluster").await.expect("org").id;
    let (bot, _) = core.admin_create_bot(&org, "Issuer").await.expect("bot");
    let new = core
        .create_app(None, &bot.id, "issuer", &[REDIRECT.into()], tessera_core::oauth::clients::ClientType::CONFIDENTIAL)
        .await
        .expect("app");
    let (cid, secret) = (new.app.client_id, new.secret.expect("secret"));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (store, org, done) = (nodes[2].core.store().clone(), org.clone(), done.clone());
        tokio::spawn(async move {
            let mut last = 0i64;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                for e in store.security_events(&org, Some(last), 1000).await.expect("read") {
                    assert_eq!(e.cursor, last + 1, "a reader at cursor {last} was shown cursor {}", e.cursor);
                    last = e.cursor;
                }
                if finished {
                    return last;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    const PER_NODE: usize = 30;
    let grants = nodes.iter().flat_map(|node| {
        (0..PER_NODE).map(|_| async {
            let (s, _, t) = token_request(node, &[("grant_type", "client_credentials")], Some((&cid, &secret))).await;
            assert_eq!(s, 200, "{t}");
        })
    });
    async_graphql::futures_util::future::join_all(grants).await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    // BOT_CREATED, the bot's token, APP_CREATED, then one TOKEN_ISSUED per grant.
    assert_eq!(reader.await.expect("reader"), 3 + 3 * PER_NODE as i64);
}

/// What an attacker does shows up for the admins: a replayed code and a reused refresh token
/// revoke their families, and say so.
#[tokio::test]
async fn replayed_codes_and_reused_refresh_tokens_are_in_the_log() {
    let app = spawn_app_with(|c| c.oauth.refresh_reuse_grace_secs = 0).await;
    let (org, user, email, _) = person_with_workspaces(&app).await;
    person(&app, &org, "watch@sec.test", "admin").await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let mut b = Browser::new();
    let params = [
        ("response_type", "code"),
        ("client_id", cid.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", "v2legacy offline_access"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let q = authorize(&app, &mut b, &email, &params).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", q["code"].as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (first, _, _) = token_request(&app, &form, Some((&cid, &secret))).await;
    let (again, _, _) = token_request(&app, &form, Some((&cid, &secret))).await;
    assert_eq!((first, again), (200, 400));
    let t2 = tokens_for(&app, &email, (&cid, &secret), "v2legacy offline_access").await;
    let rt = t2["refresh_token"].as_str().expect("refresh");
    let refresh = [("grant_type", "refresh_token"), ("refresh_token", rt)];
    assert_eq!(token_request(&app, &refresh, Some((&cid, &secret))).await.0, 200);
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(token_request(&app, &refresh, Some((&cid, &secret))).await.0, 400);

    let (wid, wsecret) = confidential_app(&app, &person_id(&app, "watch@sec.test").await).await;
    let watcher = tokens_for(&app, "watch@sec.test", (&wid, &wsecret), "org:admin").await;
    let all = log(&app, watcher["access_token"].as_str().expect("t"), &org, None).await;
    let revoked: Vec<(&str, u64)> = all["data"]["securityEvents"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|e| e["kind"] == "TOKEN_REVOKED" && e["subjectId"] == user.0)
        .map(|e| (e["detail"]["reason"].as_str().expect("reason"), e["detail"]["count"].as_u64().expect("n")))
        .collect();
    // The code's access and refresh token; then the second family's two access tokens, its
    // rotated refresh token and the new one.
    assert_eq!(revoked, [("authorization code replayed", 2), ("refresh token reused", 4)], "{all}");
}
