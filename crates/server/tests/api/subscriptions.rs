//! The `commands` subscription over WebSocket (both protocols; SSE in `sse.rs`): every close code,
//! replay-then-live under racing writes, expiry, revocation, loss of access, slow consumers,
//! re-authentication and filters.

use crate::helpers::*;
use crate::sse::Sse;
use crate::wsclient::{Got, Ws, COMMANDS};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tessera_core::ids::{OrgId, UserId, WorkspaceId};
use tessera_core::service::NewWorkspace;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

pub(crate) const T: &str = "graphql-transport-ws";
const L: &str = "graphql-ws";

pub(crate) struct Fx {
    pub(crate) app: TestApp,
    pub(crate) org: OrgId,
    pub(crate) ws: WorkspaceId,
    pub(crate) writer: String,
    pub(crate) reader: String,
    pub(crate) reader_id: UserId,
}

pub(crate) async fn fx_with(tweak: impl FnOnce(&mut tessera::config::Config)) -> Fx {
    let app = spawn_app_with(tweak).await;
    let org = app.core.admin_create_org("Live").await.expect("org").id;
    let (writer_bot, writer) = app.core.admin_create_bot(&org, "writer").await.expect("bot");
    let input = NewWorkspace { org_id: org.clone(), name: "Live".into(), description: None, is_public: false };
    let ws = app.core.admin_create_workspace(input, &writer_bot.id).await.expect("ws").id;
    let (reader_bot, reader) = app.core.admin_create_bot(&org, "reader").await.expect("bot");
    app.core.admin_add_collaborator(&ws, &reader_bot.id, "viewer").await.expect("add");
    Fx { app, org, ws, writer, reader, reader_id: reader_bot.id }
}

pub(crate) async fn fx() -> Fx {
    fx_with(|_| {}).await
}

pub(crate) async fn create_text(app: &TestApp, token: &str, ws: &WorkspaceId, text: &str) -> String {
    let body = app
        .gql(
            token,
            "mutation($ws:String!,$t:String!){ createText(workspaceId:$ws, input:{text:$t}) { id } }",
            json!({"ws": ws.0, "t": text}),
        )
        .await;
    body["data"]["createText"]["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_string()
}

pub(crate) fn subscribe(id: &str, ws: &WorkspaceId, cursor: Option<i64>) -> Value {
    json!({"type": "subscribe", "id": id, "payload": {"query": COMMANDS, "variables": {"ws": ws.0, "cursor": cursor.map(|c| c.to_string())}}})
}

/// A short-lived access token for a bot (client_credentials through a bot-owned app).
pub(crate) async fn access_token(app: &TestApp, bot: &UserId) -> String {
    access_token_with(app, bot, "v2legacy").await
}

pub(crate) async fn access_token_with(app: &TestApp, bot: &UserId, scope: &str) -> String {
    let new = app
        .core
        .create_app(
            None,
            bot,
            "bot app",
            &["https://b.example.test/cb".into()],
            tessera_core::oauth::clients::ClientType::CONFIDENTIAL,
        )
        .await
        .expect("app");
    let secret = new.secret.expect("secret");
    let (s, _, t) = crate::browser::token_request(
        app,
        &[("grant_type", "client_credentials"), ("scope", scope)],
        Some((&new.app.client_id, &secret)),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    t["access_token"].as_str().expect("token").to_string()
}

#[tokio::test]
async fn transport_ws_protocol_ack_ping_subscribe_query_complete() {
    let f = fx().await;
    let mut ws = Ws::ready(&f.app, T, &f.reader).await;
    ws.send(json!({"type": "ping"})).await;
    assert_eq!(ws.next_msg().await, json!({"type": "pong"}));
    ws.send(subscribe("s1", &f.ws, None)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let id = create_text(&f.app, &f.writer, &f.ws, "live one").await;
    let m = ws.next_msg().await;
    assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("next"), Some("s1")), "{m}");
    let c = &m["payload"]["data"]["commands"];
    assert_eq!(c["__typename"], "CreateElementCommand");
    assert_eq!(c["element"], json!({"id": id, "type": "Text", "text": "live one"}));
    assert_eq!(c["actorType"], "bot");
    // A query on the same socket: next, then complete.
    ws.send(json!({"type": "subscribe", "id": "q1", "payload": {"query": "{ me { profile { type } } }"}})).await;
    assert_eq!(
        ws.next_msg().await,
        json!({"type": "next", "id": "q1", "payload": {"data": {"me": {"profile": {"type": "bot"}}}}})
    );
    assert_eq!(ws.next_msg().await, json!({"type": "complete", "id": "q1"}));
    // A mutation too.
    ws.send(json!({"type": "subscribe", "id": "m1", "payload": {"query": "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"x\"}) { id } }", "variables": {"ws": f.ws.0}}})).await;
    let m = ws.next_msg().await;
    assert_eq!(m["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "a viewer may not write: {m}");
    assert_eq!(ws.next_msg().await, json!({"type": "complete", "id": "m1"}));
    // The client completes its subscription; later events are not sent: in the next 1.5 s (a
    // live event arrives in milliseconds) nothing comes but keep-alive pings.
    ws.send(json!({"type": "complete", "id": "s1"})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    create_text(&f.app, &f.writer, &f.ws, "after").await;
    while let Some(got) = ws.next_within(1.5).await {
        match got {
            Got::Msg(m) if m == json!({"type": "ping"}) => continue,
            other => panic!("nothing but keep-alives after complete, got {other:?}"),
        }
    }
    ws.close().await;
}

/// Regression: a document with one *named* subscription, sent without `operationName` (as the
/// graphql-ws client does), is a subscription, not "not supported on this transport".
#[tokio::test]
async fn a_single_named_subscription_runs_without_operation_name() {
    let f = fx().await;
    let mut ws = Ws::ready(&f.app, T, &f.reader).await;
    let query = "subscription Live($ws: String!) { commands(workspaceId: $ws, cursor: \"0\") { cursor } }";
    ws.send(json!({"type": "subscribe", "id": "n1", "payload": {"query": query, "variables": {"ws": f.ws.0}}})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    create_text(&f.app, &f.writer, &f.ws, "named").await;
    let m = ws.next_msg().await;
    assert_eq!(m["type"], "next", "{m}");
    assert_eq!(m["payload"]["errors"], Value::Null, "{m}");
    assert!(m["payload"]["data"]["commands"]["cursor"].is_string(), "{m}");
    ws.close().await;
}

#[tokio::test]
async fn every_close_code_of_graphql_transport_ws() {
    let f = fx_with(|c| c.ws_init_timeout = Duration::from_secs(1)).await;
    // 4400: not JSON; unknown type.
    let mut ws = Ws::connect(&f.app, T).await;
    ws.send_raw("{not json").await;
    assert_eq!(ws.closed_within(3.0).await, 4400);
    let mut ws = Ws::ready(&f.app, T, &f.reader).await;
    ws.send(json!({"type": "teleport"})).await;
    assert_eq!(ws.closed_within(3.0).await, 4400);
    // 4401: subscribe before the ack.
    let mut ws = Ws::connect(&f.app, T).await;
    ws.send(subscribe("a", &f.ws, None)).await;
    assert_eq!(ws.closed_within(3.0).await, 4401);
    // 4403: a refused token.
    let mut ws = Ws::connect(&f.app, T).await;
    ws.send(json!({"type": "connection_init", "payload": {"authorization": "Bearer tsr_bot_forged"}})).await;
    assert_eq!(ws.closed_within(3.0).await, 4403);
    // 4408: no connection_init in time.
    let started = Instant::now();
    let mut ws = Ws::connect(&f.app, T).await;
    assert_eq!(ws.closed_within(5.0).await, 4408);
    assert!(started.elapsed() >= Duration::from_millis(900));
    // 4409: a duplicate operation id.
    let mut ws = Ws::ready(&f.app, T, &f.reader).await;
    ws.send(subscribe("dup", &f.ws, None)).await;
    ws.send(subscribe("dup", &f.ws, None)).await;
    assert_eq!(ws.closed_within(3.0).await, 4409);
    // 4429: a second connection_init.
    let mut ws = Ws::ready(&f.app, T, &f.reader).await;
    ws.send(json!({"type": "connection_init", "payload": {"Authorization": f.reader.clone()}})).await;
    assert_eq!(ws.closed_within(3.0).await, 4429);
    // 4500: the server cannot check the token (its database table is gone). The token is new
    // to the server, so no cached answer stands in for the database.
    let unseen = access_token(&f.app, &f.reader_id).await;
    sqlx_drop_tokens(&f.app).await;
    let mut ws = Ws::connect(&f.app, T).await;
    ws.send(json!({"type": "connection_init", "payload": {"Authorization": unseen}})).await;
    assert_eq!(ws.closed_within(3.0).await, 4500);
}

/// Break the database under the running server: rename the tokens table.
async fn sqlx_drop_tokens(app: &TestApp) {
    raw_sql(&app.db_url(), "ALTER TABLE tokens RENAME TO tokens_gone").await;
}

#[tokio::test]
async fn the_token_may_come_in_the_upgrade_header_and_bad_init_is_refused_in_legacy_too() {
    let f = fx().await;
    let mut ws = Ws::connect_with(&f.app, T, Some(&f.reader)).await;
    ws.send(json!({"type": "connection_init"})).await;
    assert_eq!(ws.next_msg().await["type"], "connection_ack");
    let mut legacy = Ws::connect(&f.app, L).await;
    legacy.send(json!({"type": "connection_init", "payload": {"Authorization": "nope"}})).await;
    assert_eq!(legacy.next_msg().await["type"], "connection_error");
    assert_eq!(legacy.closed_within(3.0).await, 4403);
}

#[tokio::test]
async fn legacy_graphql_ws_protocol() {
    let f = fx().await;
    let mut ws = Ws::connect(&f.app, L).await;
    ws.send(json!({"type": "connection_init", "payload": {"authorization": f.reader.clone()}})).await;
    match ws.next_within(5.0).await {
        Some(Got::Msg(m)) => assert_eq!(m["type"], "connection_ack"),
        other => panic!("{other:?}"),
    }
    match ws.next_within(5.0).await {
        Some(Got::Msg(m)) => assert_eq!(m["type"], "ka"),
        other => panic!("{other:?}"),
    }
    ws.send(json!({"type": "start", "id": "1", "payload": {"query": COMMANDS, "variables": {"ws": f.ws.0}}})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let id = create_text(&f.app, &f.writer, &f.ws, "legacy").await;
    let m = ws.next_msg().await;
    assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("data"), Some("1")));
    assert_eq!(m["payload"]["data"]["commands"]["element"]["id"], id.as_str());
    ws.send(json!({"type": "stop", "id": "1"})).await;
    assert_eq!(ws.next_msg().await, json!({"type": "complete", "id": "1"}));
    ws.send(json!({"type": "connection_terminate"})).await;
    assert_eq!(ws.closed_within(3.0).await, u16::from(CloseCode::Normal));
}

#[tokio::test]
async fn replay_then_live_with_racing_writes_delivers_every_event_once_in_order() {
    let f = fx().await;
    for i in 0..50 {
        create_text(&f.app, &f.writer, &f.ws, &format!("before {i}")).await;
    }
    // Writers keep going while the subscriber replays from cursor 10.
    let (app_base, writer, ws_id) = (f.app.base.clone(), f.writer.clone(), f.ws.clone());
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (base, token, ws) = (app_base.clone(), writer.clone(), ws_id.clone());
            tokio::spawn(async move {
                let c = reqwest::Client::new();
                for i in 0..100 {
                    let q = json!({"query": "mutation($ws:String!,$t:String!){ createText(workspaceId:$ws, input:{text:$t}) { id } }", "variables": {"ws": ws.0, "t": format!("w{w}-{i}")}});
                    let res = c.post(format!("{base}/v3/graphql")).bearer_auth(&token).json(&q).send().await.expect("send");
                    assert_eq!(res.status(), 200);
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(30)).await;
    let mut ws = Ws::ready(&f.app, T, &f.reader).await;
    ws.send(subscribe("r", &f.ws, Some(10))).await;
    for w in writers {
        w.await.expect("writer");
    }
    let last = f.app.events(&f.ws.0).await.last().map(|e| e.cursor).expect("events");
    let mut seen = Vec::new();
    while seen.last().copied() != Some(last) {
        let m = ws.next_msg().await;
        assert_eq!(m["type"], "next", "{m}");
        let cursor: i64 = m["payload"]["data"]["commands"]["cursor"].as_str().expect("cursor").parse().expect("int");
        seen.push(cursor);
    }
    // Cursor 1 is the reader's collaboratorAdded event (not a command); 11..=last are elements.
    assert_eq!(seen, (11..=last).collect::<Vec<_>>(), "every event after the cursor exactly once, in order");
    assert_eq!(last, 1 + 50 + 300);
    assert!(
        ws.next_within(1.5).await.is_none_or(|g| matches!(g, Got::Msg(ref m) if m["type"] == "ping")),
        "no duplicates after the end"
    );
}

#[tokio::test]
async fn an_invalid_cursor_is_a_clear_error_and_filters_apply() {
    let f = fx().await;
    let mut ws = Ws::ready(&f.app, T, &f.reader).await;
    ws.send(subscribe("bad", &f.ws, Some(999))).await;
    let m = ws.next_msg().await;
    assert_eq!(
        (m["type"].as_str(), m["payload"]["errors"][0]["extensions"]["code"].as_str()),
        (Some("next"), Some("BAD_USER_INPUT")),
        "{m}"
    );
    assert!(m["payload"]["errors"][0]["message"].as_str().is_some_and(|t| t.contains("not valid for this workspace")));
    assert_eq!(ws.next_msg().await, json!({"type": "complete", "id": "bad"}));
    ws.send(json!({"type": "subscribe", "id": "neg", "payload": {"query": COMMANDS, "variables": {"ws": f.ws.0, "cursor": "abc"}}})).await;
    assert_eq!(ws.next_msg().await["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(ws.next_msg().await["type"], "complete");
    // A request error (unknown field) is the protocol's `error` message.
    ws.send(json!({"type": "subscribe", "id": "v", "payload": {"query": "subscription { nothing }"}})).await;
    let m = ws.next_msg().await;
    assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("error"), Some("v")), "{m}");
    // Filters: only Shapes; only one element.
    let text = create_text(&f.app, &f.writer, &f.ws, "t").await;
    ws.send(json!({"type": "subscribe", "id": "shapes", "payload": {"query": COMMANDS, "variables": {"ws": f.ws.0, "cursor": "0", "types": ["Shape"]}}})).await;
    ws.send(json!({"type": "subscribe", "id": "one", "payload": {"query": COMMANDS, "variables": {"ws": f.ws.0, "cursor": "0", "el": text}}})).await;
    f.app
        .gql(
            &f.writer,
            "mutation($ws:String!){ createShape(workspaceId:$ws, input:{style:{regularShape:{kind:Star5}}}) { id } }",
            json!({"ws": f.ws.0}),
        )
        .await;
    f.app
        .gql(
            &f.writer,
            "mutation($ws:String!,$id:String!){ updateText(workspaceId:$ws, id:$id, input:{text:\"u\"}) { id } }",
            json!({"ws": f.ws.0, "id": text}),
        )
        .await;
    let mut got: Vec<(String, String)> = Vec::new();
    for _ in 0..3 {
        let m = ws.next_msg().await;
        got.push((
            m["id"].as_str().unwrap_or_default().to_string(),
            m["payload"]["data"]["commands"]["__typename"].as_str().unwrap_or_default().to_string(),
        ));
    }
    got.sort();
    assert_eq!(
        got,
        [
            ("one".into(), "CreateElementCommand".into()),
            ("one".into(), "UpdateElementCommand".into()),
            ("shapes".into(), "CreateElementCommand".into())
        ]
    );
}

#[tokio::test]
async fn expiry_and_revocation_close_the_socket() {
    let f = fx_with(|c| c.oauth.access_token_ttl_secs = 2).await;
    // Expiry.
    let token = access_token(&f.app, &f.reader_id).await;
    let mut ws = Ws::ready(&f.app, T, &token).await;
    ws.send(subscribe("s", &f.ws, None)).await;
    let started = Instant::now();
    assert_eq!(ws.closed_within(15.0).await, 4403);
    println!("expired token: closed {:?} after subscribing (the token had 2 s)", started.elapsed());

    // Revocation through the revocation endpoint (in this process).
    let new = f
        .app
        .core
        .create_app(
            None,
            &f.reader_id,
            "r",
            &["https://r.example.test/cb".into()],
            tessera_core::oauth::clients::ClientType::CONFIDENTIAL,
        )
        .await
        .expect("app");
    let secret = new.secret.expect("secret");
    let (_, _, t) = crate::browser::token_request(
        &f.app,
        &[("grant_type", "client_credentials")],
        Some((&new.app.client_id, &secret)),
    )
    .await;
    let token = t["access_token"].as_str().expect("token").to_string();
    let mut ws = Ws::ready(&f.app, T, &token).await;
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs([("token", token.as_str())]).finish();
    let revoked_at = Instant::now();
    f.app
        .client
        .post(format!("{}/v3/oauth2/revoke", f.app.base))
        .basic_auth(&new.app.client_id, Some(&secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("revoke");
    assert_eq!(ws.closed_within(10.0).await, 4403);
    println!("revoked (RFC 7009) → closed after {:?}", revoked_at.elapsed());

    // Revocation by the command line, another process: noticed by the poll.
    let mut ws = Ws::ready(&f.app, T, &f.reader).await;
    let tokens = f.app.core.admin_tokens(&f.reader_id).await.expect("tokens");
    let bot_token = tokens.iter().find(|t| t.kind == tessera_core::auth::TokenKind::Bot).expect("bot token");
    let db = f.app.db_url();
    let revoked_at = Instant::now();
    cli_ok(&db, &["bot", "token", "revoke", "--id", &bot_token.id.0]);
    let after_cli = revoked_at.elapsed();
    assert_eq!(ws.closed_within(15.0).await, 4403);
    println!("revoked by the command line → closed {:?} after it returned", revoked_at.elapsed() - after_cli);
}

#[tokio::test]
async fn losing_access_ends_that_subscription_only() {
    let f = fx().await;
    let input = NewWorkspace { org_id: f.org.clone(), name: "Other".into(), description: None, is_public: false };
    let writer_id = f.app.core.authenticate(&f.writer).await.expect("writer").user.id.clone();
    let other = f.app.core.admin_create_workspace(input, &writer_id).await.expect("ws").id;
    f.app.core.admin_add_collaborator(&other, &f.reader_id, "viewer").await.expect("add");
    let mut ws = Ws::ready(&f.app, T, &f.reader).await;
    ws.send(subscribe("a", &f.ws, None)).await;
    ws.send(subscribe("b", &other, None)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let q = "mutation($ws:String!,$u:String!){ deleteWorkspaceCollaborator(workspaceId:$ws, collaboratorId:$u) }";
    let removed = f.app.gql(&f.writer, q, json!({"ws": f.ws.0, "u": f.reader_id.0})).await;
    assert_eq!(removed["data"]["deleteWorkspaceCollaborator"], true, "{removed}");
    let m = ws.next_msg().await;
    assert_eq!(
        (m["id"].as_str(), m["payload"]["errors"][0]["extensions"]["code"].as_str()),
        (Some("a"), Some("FORBIDDEN")),
        "{m}"
    );
    assert_eq!(ws.next_msg().await, json!({"type": "complete", "id": "a"}));
    create_text(&f.app, &f.writer, &f.ws, "hidden").await;
    let id = create_text(&f.app, &f.writer, &other, "visible").await;
    let m = ws.next_msg().await;
    assert_eq!(
        (m["id"].as_str(), m["payload"]["data"]["commands"]["element"]["id"].as_str()),
        (Some("b"), Some(id.as_str()))
    );
}

#[tokio::test]
async fn a_slow_consumer_is_closed_and_resumes_from_its_cursor_without_loss() {
    let f = fx_with(|c| {
        c.ws_queue = 4;
        c.ws_stall_timeout = Duration::from_secs(1);
    })
    .await;
    let mut ws = Ws::ready(&f.app, T, &f.reader).await;
    ws.send(subscribe("s", &f.ws, None)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Big events, and the client reads nothing until the server gives up on it.
    let big = "x".repeat(90_000);
    let mut n = 0;
    for _ in 0..200 {
        create_text(&f.app, &f.writer, &f.ws, &big).await;
        n += 1;
    }
    // Still reading nothing until the server has given up on this client (reading earlier
    // could relieve it in time, and then there is no slow consumer to close).
    let mut waited = 0;
    while metric(&f.app, "tessera_ws_slow_consumers_total").await < 1.0 {
        waited += 1;
        assert!(waited < 600, "the server never closed the slow consumer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut last_cursor = 0i64;
    let code = loop {
        match ws.next_within(10.0).await {
            Some(Got::Msg(m)) if m["type"] == "next" => {
                last_cursor =
                    m["payload"]["data"]["commands"]["cursor"].as_str().expect("cursor").parse().expect("int");
            }
            Some(Got::Msg(_)) => {}
            Some(Got::Closed(code, _)) => break code,
            None => panic!("the server never closed the slow consumer"),
        }
    };
    assert_eq!(code, 4413);
    let total = f.app.events(&f.ws.0).await.last().map(|e| e.cursor).expect("events");
    assert!(last_cursor < total, "it really fell behind ({last_cursor} of {total})");
    // Resume from the last cursor received: the rest arrives, nothing lost or repeated.
    let mut ws = Ws::ready(&f.app, T, &f.reader).await;
    ws.send(subscribe("s", &f.ws, Some(last_cursor))).await;
    let mut expect = last_cursor + 1;
    while expect <= total {
        let m = ws.next_msg().await;
        let c: i64 = m["payload"]["data"]["commands"]["cursor"].as_str().expect("cursor").parse().expect("int");
        assert_eq!(c, expect);
        expect += 1;
    }
    assert_eq!(n, 200);
}

#[tokio::test]
async fn reauthentication_keeps_subscriptions_past_the_old_tokens_expiry() {
    let f = fx_with(|c| c.oauth.access_token_ttl_secs = 2).await;
    let first = access_token(&f.app, &f.reader_id).await;
    let mut ws = Ws::ready(&f.app, T, &first).await;
    ws.send(subscribe("s", &f.ws, None)).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let second = access_token(&f.app, &f.reader_id).await;
    ws.send(json!({"type": "ping", "payload": {"Authorization": format!("Bearer {second}")}})).await;
    assert_eq!(ws.next_msg().await, json!({"type": "pong", "payload": {"reauthenticated": true}}));
    tokio::time::sleep(Duration::from_millis(1300)).await; // past the first token's expiry
    let id = create_text(&f.app, &f.writer, &f.ws, "still here").await;
    let m = ws.next_msg().await;
    assert_eq!(m["payload"]["data"]["commands"]["element"]["id"], id.as_str(), "{m}");
    // Someone else's token is refused, and closes the socket.
    let stranger = access_token(&f.app, &f.app.core.authenticate(&f.writer).await.expect("w").user.id).await;
    ws.send(json!({"type": "ping", "payload": {"Authorization": stranger}})).await;
    assert_eq!(ws.closed_within(3.0).await, 4403);
}

fn counter(text: &str, name: &str) -> u64 {
    text.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).and_then(|v| v.parse().ok()).expect("metric")
}

/// Each event is rendered once per query shape, however many subscribers share that shape,
/// whichever transport carries them, and subscribers starting from different cursors still
/// share it.
#[tokio::test]
async fn events_are_rendered_once_per_query_shape_not_per_subscriber() {
    let f = fx().await;
    // The first subscriber's shape is validated, and known once it delivers an event.
    let mut first = Ws::ready(&f.app, T, &f.reader).await;
    first.send(subscribe("s", &f.ws, None)).await;
    let zero = create_text(&f.app, &f.writer, &f.ws, "zero").await;
    let m = first.next_msg().await;
    assert_eq!(m["payload"]["data"]["commands"]["element"]["id"], zero.as_str(), "{m}");
    let at: i64 = m["payload"]["data"]["commands"]["cursor"].as_str().and_then(|c| c.parse().ok()).expect("cursor");
    // Every later subscriber starts from a cursor, so none can miss what follows however late
    // it opens: half from `zero` (which they receive first, so they are open), half after it.
    let mut sockets = vec![first];
    for i in 1..5 {
        let mut ws = Ws::ready(&f.app, T, &f.reader).await;
        ws.send(subscribe("s", &f.ws, Some(if i % 2 == 0 { at } else { at - 1 }))).await;
        if i % 2 == 1 {
            assert_eq!(ws.next_msg().await["payload"]["data"]["commands"]["element"]["id"], zero.as_str());
        }
        sockets.push(ws);
    }
    let mut streams = Vec::new();
    for _ in 0..2 {
        streams.push(Sse::open(&f.app, &f.reader, subscribe("s", &f.ws, Some(at))["payload"].clone()).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = f.app.client.get(format!("{}/metrics", f.app.base)).send().await.expect("m").text().await.expect("t");
    let ids = [create_text(&f.app, &f.writer, &f.ws, "one").await, create_text(&f.app, &f.writer, &f.ws, "two").await];
    for ws in &mut sockets {
        for id in &ids {
            let m = ws.next_msg().await;
            assert_eq!(m["payload"]["data"]["commands"]["element"]["id"], id.as_str(), "{m}");
        }
    }
    for sse in &mut streams {
        for id in &ids {
            let m = sse.next_result().await;
            assert_eq!(m["data"]["commands"]["element"]["id"], id.as_str(), "{m}");
        }
    }
    let after = f.app.client.get(format!("{}/metrics", f.app.base)).send().await.expect("m").text().await.expect("t");
    assert_eq!(counter(&after, "tessera_subscription_shape_hits_total"), 6, "one validation, six known shapes");
    let renders =
        counter(&after, "tessera_subscription_renders_total") - counter(&before, "tessera_subscription_renders_total");
    let deliveries = counter(&after, "tessera_subscription_deliveries_total")
        - counter(&before, "tessera_subscription_deliveries_total");
    assert_eq!((renders, deliveries), (2, 14), "2 events × 1 shape rendered, 2 events × 7 subscribers delivered");
}

/// A subscription whose shape (document, operation, variables but the cursor) was validated
/// before opens without async-graphql, delivers the same, and whatever it cannot take (a
/// cursor out of range or of the wrong type, a reader without access) is refused exactly as
/// the schema words it when the shape is new.
#[tokio::test]
async fn a_known_shape_opens_at_once_and_refuses_exactly_as_a_new_one() {
    let hits = |text: &str| counter(text, "tessera_subscription_shape_hits_total");
    let metrics = |app: &TestApp| {
        let url = format!("{}/metrics", app.base);
        let client = app.client.clone();
        async move { client.get(url).send().await.expect("m").text().await.expect("t") }
    };
    let f = fx().await;
    let mut ws = Ws::ready(&f.app, T, &f.reader).await;
    // The second subscribes once the first is open (both at once may both find the shape new).
    ws.send(subscribe("a", &f.ws, Some(0))).await;
    let id = create_text(&f.app, &f.writer, &f.ws, "both").await;
    let first = ws.next_msg().await;
    ws.send(subscribe("b", &f.ws, Some(0))).await;
    let second = ws.next_msg().await;
    let got = [first, second].map(|m| {
        (m["id"].as_str().unwrap_or_default().to_string(), m["payload"]["data"]["commands"]["element"]["id"].clone())
    });
    assert_eq!(got, [("a".to_string(), json!(id)), ("b".to_string(), json!(id))]);
    assert_eq!(hits(&metrics(&f.app).await), 1, "the second subscriber's shape was known");

    // Refusals on a known shape, compared with the same requests where the shape is new.
    let fresh = fx().await;
    create_text(&fresh.app, &fresh.writer, &fresh.ws, "one event, as in the first").await;
    let (_, outsider) = f.app.core.admin_create_bot(&f.org, "outsider").await.expect("bot");
    let (_, fresh_outsider) = fresh.app.core.admin_create_bot(&fresh.org, "outsider").await.expect("bot");
    let cases =
        [("range", json!("999"), false), ("type", json!({"not": "an id"}), false), ("access", json!("0"), true)];
    for (name, cursor, as_outsider) in cases {
        let mut answers = Vec::new();
        for (fx, token) in [(&f, &outsider), (&fresh, &fresh_outsider)] {
            let token = if as_outsider { token.as_str() } else { fx.reader.as_str() };
            let mut ws = Ws::ready(&fx.app, T, token).await;
            let vars = json!({"ws": fx.ws.0, "cursor": cursor});
            ws.send(json!({"type": "subscribe", "id": name, "payload": {"query": COMMANDS, "variables": vars}})).await;
            let m = ws.next_msg().await.to_string().replace(&fx.ws.0, "WS");
            answers.push(serde_json::from_str::<Value>(&m).expect("json"));
        }
        let refused = &answers[0];
        let errors = if refused["type"] == "error" { &refused["payload"] } else { &refused["payload"]["errors"] };
        assert!(errors[0]["message"].is_string(), "{name}: {refused}");
        assert_eq!(answers[0], answers[1], "{name}");
    }
    assert_eq!(hits(&metrics(&f.app).await), 1, "refusals are not counted as opened");
}

#[tokio::test]
async fn a_connection_runs_at_most_100_operations() {
    let f = fx().await;
    let mut ws = Ws::ready(&f.app, T, &f.reader).await;
    for i in 0..100 {
        ws.send(subscribe(&format!("s{i}"), &f.ws, None)).await;
    }
    ws.send(subscribe("one-too-many", &f.ws, None)).await;
    let m = ws.next_msg().await;
    assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("error"), Some("one-too-many")), "{m}");
    // The others still run.
    let id = create_text(&f.app, &f.writer, &f.ws, "to all").await;
    let m = ws.next_msg().await;
    assert_eq!(m["payload"]["data"]["commands"]["element"]["id"], id.as_str());
}
