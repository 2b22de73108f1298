//! Faults: SIGKILL during a stream of mutations, a full disk, a read-only database. Nothing
//! acknowledged is lost, refusals are clear, and the event log still matches the elements.

use crate::helpers::*;
use serde_json::json;
use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tessera_core::event::EventPayload;

#[tokio::test]
async fn sigkill_mid_stream_loses_no_acknowledged_mutation() {
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_db(dir.path()).await;
    let (org, _owner, ws) = cli_org_owner_workspace(&db, false);
    let (_bot, token) = cli_bot(&db, &org, Some(&ws), "editor");

    let (mut child, base, _) = spawn_binary(
        &["serve", "--listen", "127.0.0.1:0", "--database-url", &db],
        &[("TESSERA_LOG", "warn")],
        Stdio::null(),
    )
    .await;

    // Four writers, each creating and then updating texts as fast as the server answers.
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_millis(1500);
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, base, token, ws) = (client.clone(), base.clone(), token.clone(), ws.clone());
        writers.push(tokio::spawn(async move {
            let mut acked: Vec<(String, String)> = Vec::new();
            for i in 0.. {
                let text = format!("w{w}-{i}");
                let q = json!({"query": "mutation($ws:String!,$t:String!){ createText(workspaceId:$ws, input:{text:$t}) { id text } }",
                               "variables": {"ws": ws, "t": text}});
                let sent = client.post(format!("{base}/v3/graphql")).bearer_auth(&token).json(&q).send().await;
                let Ok(res) = sent else { break };
                let Ok(body) = res.json::<serde_json::Value>().await else { break };
                if let Some(id) = body["data"]["createText"]["id"].as_str() {
                    acked.push((id.to_string(), text));
                }
                if Instant::now() > deadline {
                    // keep going: the kill below lands mid-stream
                    tokio::task::yield_now().await;
                }
            }
            acked
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.start_kill().expect("SIGKILL");
    child.wait().await.expect("wait");
    let mut acked = Vec::new();
    for w in writers {
        acked.extend(w.await.expect("writer"));
    }
    assert!(acked.len() > 20, "too few writes before the kill to mean anything: {}", acked.len());

    let (stored, events) = restart_and_check(&db, &token, &ws, &acked).await;
    println!("acknowledged {} writes before SIGKILL; {} stored; {} events", acked.len(), stored, events);
}

/// Restart on the same database and check that every acknowledged (id, text) is stored, the
/// log's cursors are dense and the log replays to exactly the stored elements. Returns the
/// numbers of elements and events.
async fn restart_and_check(db: &str, token: &str, ws: &str, acked: &[(String, String)]) -> (usize, usize) {
    let app = spawn_app_on(db).await;
    let list = app
        .gql(token, "query($ws:String!){ elements(workspaceId:$ws) { id ... on Text { text } } }", json!({"ws": ws}))
        .await;
    let stored: BTreeSet<(String, String)> = list["data"]["elements"]
        .as_array()
        .expect("elements")
        .iter()
        .map(|e| (e["id"].as_str().unwrap_or_default().to_string(), e["text"].as_str().unwrap_or_default().to_string()))
        .collect();
    for a in acked {
        assert!(stored.contains(a), "acknowledged element {a:?} lost");
    }
    let events = app.events(ws).await;
    let cursors: Vec<i64> = events.iter().map(|e| e.cursor).collect();
    assert_eq!(cursors, (1..=events.len() as i64).collect::<Vec<_>>());
    let mut replayed = BTreeSet::new();
    for e in &events {
        match &e.payload {
            EventPayload::ElementCreated { element } => {
                let text = match &element.body {
                    tessera_core::element::ElementBody::Text { text, .. } => text.clone(),
                    _ => String::new(),
                };
                replayed.insert((element.id.0.clone(), text));
            }
            EventPayload::CollaboratorAdded { .. } => {}
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert_eq!(replayed, stored);
    (stored.len(), events.len())
}

/// A full disk (the server may not grow any file past a limit) refuses writes with a clear,
/// retryable error, keeps serving reads, and corrupts nothing: restarted without the limit,
/// every acknowledged write is there, the log matches, and SQLite's integrity check passes.
#[tokio::test]
async fn a_full_disk_refuses_writes_clearly_and_corrupts_nothing() {
    if postgres_server().is_some() {
        return; // the disk that fills is PostgreSQL's, not tessera's
    }
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_db(dir.path()).await;
    let (org, _owner, ws) = cli_org_owner_workspace(&db, false);
    let (_bot, token) = cli_bot(&db, &org, Some(&ws), "editor");
    let size = std::fs::metadata(dir.path().join("tessera.db")).expect("db file").len();
    let (mut child, base, _) = spawn_binary_with_file_limit(
        &["serve", "--listen", "127.0.0.1:0", "--database-url", &db],
        &[("TESSERA_LOG", "warn"), ("TESSERA_RATE_LIMITS", "off")],
        size + 2 * 1024 * 1024,
    )
    .await;
    let client = reqwest::Client::new();
    let gql = |q: serde_json::Value| client.post(format!("{base}/v3/graphql")).bearer_auth(&token).json(&q).send();
    let mut acked = Vec::new();
    let mut refusal = None;
    for i in 0..5_000 {
        let text = format!("{i}:{}", "x".repeat(200));
        let q = json!({"query": "mutation($ws:String!,$t:String!){ createText(workspaceId:$ws, input:{text:$t}) { id text } }",
                       "variables": {"ws": ws, "t": text}});
        let res = gql(q).await.expect("the server answers");
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.expect("json");
        match body["data"]["createText"]["id"].as_str() {
            Some(id) => acked.push((id.to_string(), text)),
            None => {
                refusal = Some((status, body));
                break;
            }
        }
    }
    let (status, body) = refusal.expect("the disk never filled");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE", "{body}");
    assert!(!body.to_string().contains("disk I/O") && !body.to_string().contains("database:"), "no internals: {body}");
    assert!(acked.len() > 10, "only {} writes fitted", acked.len());
    // Reads go on while writes are refused.
    let read = json!({"query": "query($ws:String!){ elements(workspaceId:$ws) { id } }", "variables": {"ws": ws}});
    let listed: serde_json::Value = gql(read).await.expect("read").json().await.expect("json");
    assert!(listed["data"]["elements"].as_array().is_some_and(|l| l.len() >= acked.len()), "{listed}");
    child.start_kill().expect("kill");
    child.wait().await.expect("wait");

    let (stored, events) = restart_and_check(&db, &token, &ws, &acked).await;
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&db).await.expect("open");
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await.expect("check");
    assert_eq!(check, "ok");
    println!(
        "{} writes acknowledged before the disk filled; {stored} stored, {events} events, integrity ok",
        acked.len()
    );
}

/// A database that turns read-only (a PostgreSQL failover to a standby, or an operator setting
/// `default_transaction_read_only`) refuses writes with a clear, retryable error and serves
/// reads; once writable again, writes succeed and nothing acknowledged is lost.
#[tokio::test]
async fn a_read_only_database_refuses_writes_clearly_and_serves_reads() {
    if postgres_server().is_none() {
        return; // SQLite: as root (CI) a file cannot be made read-only under the server
    }
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_db(dir.path()).await;
    let name = db.rsplit('/').next().expect("database name").to_string();
    let (org, _owner, ws) = cli_org_owner_workspace(&db, false);
    let (_bot, token) = cli_bot(&db, &org, Some(&ws), "editor");
    let app = spawn_app_on(&db).await;
    let create = "mutation($ws:String!,$t:String!){ createText(workspaceId:$ws, input:{text:$t}) { id text } }";
    let write = |t: &str| app.gql(&token, create, json!({"ws": ws, "t": t}));
    let first = write("before").await;
    let mut acked = vec![(first["data"]["createText"]["id"].as_str().expect("id").to_string(), "before".to_string())];

    // Every new session is read-only; the server's current sessions are cut. (Run from the
    // maintenance database: a session of the read-only database could not undo it.)
    let admin = format!("{}/postgres", db.rsplit_once('/').expect("url").0);
    let set_read_only = |on: bool| {
        let (admin, name) = (admin.clone(), name.clone());
        async move {
            let mode = if on { "on" } else { "off" };
            raw_sql(&admin, &format!("ALTER DATABASE {name} SET default_transaction_read_only = {mode}")).await;
            let cut = format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
            raw_sql(&admin, &cut).await;
        }
    };
    set_read_only(true).await;
    let mut codes = std::collections::BTreeSet::new();
    for i in 0..5 {
        let body = write(&format!("ro{i}")).await;
        assert!(body["data"]["createText"].is_null(), "a write went through a read-only database: {body}");
        codes.insert(body["errors"][0]["extensions"]["code"].as_str().unwrap_or("(none)").to_string());
        assert!(!body.to_string().contains("read-only transaction"), "no internals: {body}");
    }
    assert_eq!(codes, ["UNAVAILABLE".to_string()].into(), "refusals must say the database is unavailable");
    let q = "query($ws:String!){ elements(workspaceId:$ws) { id } }";
    let listed = app.gql(&token, q, json!({"ws": ws})).await;
    assert_eq!(listed["data"]["elements"].as_array().map(Vec::len), Some(1), "reads go on: {listed}");

    set_read_only(false).await;
    // The first request after the cut may meet a dead pooled session (also UNAVAILABLE).
    let mut after = write("after").await;
    for _ in 0..3 {
        if after["data"]["createText"]["id"].is_string() {
            break;
        }
        after = write("after").await;
    }
    acked.push((after["data"]["createText"]["id"].as_str().expect("writable again").to_string(), "after".to_string()));
    drop(app);
    let (stored, _) = restart_and_check(&db, &token, &ws, &acked).await;
    assert_eq!(stored, 2, "only the acknowledged writes are stored");
}
