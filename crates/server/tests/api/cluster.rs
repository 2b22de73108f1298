//! Several nodes on one database (PostgreSQL in CI's second run; SQLite files work the same
//! way, only without notifications): cursors stay dense and in commit order under concurrent
//! writers on every node, a change on one node wakes subscribers on another, and a revocation on
//! one node closes sockets on another within a second.

use crate::helpers::*;
use crate::wsclient::{Ws, COMMANDS};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_core::element::find::ElementFilter;
use tessera_core::element::ElementType;
use tessera_core::ids::WorkspaceId;
use tessera_core::ports::{ElementQuery, Placement};
use tessera_core::service::{NewWorkspace, WorkspaceChanges};

/// Three nodes on one fresh database, with an org, a workspace and an editor bot.
async fn three_nodes() -> (Vec<TestApp>, WorkspaceId, String, tempfile::TempDir) {
    let (nodes, dir) = nodes_on_one_database(3).await;
    let core = &nodes[0].core;
    let org = core.admin_create_org("Cluster").await.expect("org").id;
    let (bot, token) = core.admin_create_bot(&org, "writer").await.expect("bot");
    let input = NewWorkspace { org_id: org, name: "Shared".into(), description: None, is_public: false };
    let ws = core.admin_create_workspace(input, &bot.id).await.expect("ws").id;
    (nodes, ws, token, dir)
}

fn text(i: usize) -> serde_json::Value {
    serde_json::json!({"text": format!("t{i}"), "style": {"width": 10.0, "height": 10.0}})
}

/// A reader that has seen cursor N never later finds an event numbered below N: every batch it
/// reads starts right after the last cursor it saw. With numbers taken before commit (a plain
/// sequence), transactions committing out of order would show up here as gaps.
#[tokio::test]
async fn cursors_are_dense_and_in_commit_order_under_concurrent_writers_on_every_node() {
    let (nodes, ws, token, _dir) = three_nodes().await;
    const WRITERS_PER_NODE: usize = 4;
    const WRITES: usize = 40;
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let store = nodes[2].core.store().clone();
        let (ws, done) = (ws.clone(), done.clone());
        tokio::spawn(async move {
            let (mut last, mut batches) = (0i64, 0usize);
            loop {
                let finished = done.load(Ordering::SeqCst);
                let batch = store.events_after(&ws, last, 1000).await.expect("read");
                for e in &batch {
                    assert_eq!(e.cursor, last + 1, "a reader at cursor {last} was shown cursor {}", e.cursor);
                    last = e.cursor;
                }
                batches += usize::from(!batch.is_empty());
                if finished && batch.is_empty() {
                    return (last, batches);
                }
            }
        })
    };
    let mut writers = Vec::new();
    for node in &nodes {
        for w in 0..WRITERS_PER_NODE {
            let core = node.core.clone();
            let (ws, token) = (ws.clone(), token.clone());
            writers.push(tokio::spawn(async move {
                let p = core.authenticate(&token).await.expect("auth");
                for i in 0..WRITES {
                    core.create_element(&p, &ws, ElementType::Text, text(w * 1000 + i), None).await.expect("write");
                }
            }));
        }
    }
    for w in writers {
        w.await.expect("writer");
    }
    done.store(true, Ordering::SeqCst);
    let (last, batches) = reader.await.expect("reader");
    let total = (nodes.len() * WRITERS_PER_NODE * WRITES) as i64;
    assert_eq!(last, total, "every event seen once");
    assert!(batches > 1, "the reader read while writers were writing ({batches} batches)");
    let events = nodes[0].events(ws.as_str()).await;
    assert_eq!(events.iter().map(|e| e.cursor).collect::<Vec<_>>(), (1..=total).collect::<Vec<_>>());
    assert_eq!(nodes[1].element_count(ws.as_str()).await, total as usize);
}

#[tokio::test]
async fn a_change_on_one_node_reaches_subscribers_on_another_and_revocations_close_sockets() {
    let (nodes, ws, token, _dir) = three_nodes().await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let mut sock = Ws::ready(a, "graphql-transport-ws", &token).await;
    let sub = json!({"query": COMMANDS, "variables": {"ws": ws.0}});
    sock.send(json!({"type": "subscribe", "id": "s", "payload": sub})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut latencies = Vec::new();
    for i in 0..5 {
        let started = Instant::now();
        let body = b
            .gql(
                &token,
                "mutation($ws:String!,$t:String!){ createText(workspaceId:$ws, input:{text:$t}) { id } }",
                json!({"ws": ws.0, "t": format!("from B {i}")}),
            )
            .await;
        let id = body["data"]["createText"]["id"].as_str().expect("id").to_string();
        let m = sock.next_msg().await;
        assert_eq!(m["payload"]["data"]["commands"]["element"]["id"], id.as_str(), "{m}");
        latencies.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(120)).await;
    }
    latencies.sort();
    // Figures only (SQLite: the one-second catch-up bounds the delay; PostgreSQL notifications
    // make it immediate); the behaviour asserted is that every event arrived, in order.
    println!("node B write → node A subscriber: {latencies:?}");

    // The bot token is revoked through node B: node A closes the socket.
    let bot = b.core.authenticate(&token).await.expect("auth");
    let revoked_at = Instant::now();
    b.core.admin_revoke_token(&bot.token_id).await.expect("revoke");
    assert_eq!(sock.closed_within(10.0).await, 4403);
    println!("revoked on node B → closed on node A after {:?}", revoked_at.elapsed());
}

/// A node keeps a board's elements in memory (crate::element::board in core). Changes made on
/// another node — creations, an update that reorders, traits, a deletion, a change that is not
/// an element's — show in its next read exactly as the database has them, with the cursor of
/// that state.
#[tokio::test]
async fn a_board_kept_in_memory_on_one_node_follows_changes_made_on_another() {
    let (nodes, ws, token, _dir) = three_nodes().await;
    let (reader, writer) = (&nodes[0].core, &nodes[1].core);
    let (pr, pw) = (reader.authenticate(&token).await.expect("auth"), writer.authenticate(&token).await.expect("auth"));
    let store = nodes[2].core.store().clone();
    let everything = ElementFilter::default();
    let check = |step: &'static str| {
        let (store, ws, pr, everything) = (store.clone(), ws.clone(), pr.clone(), everything.clone());
        async move {
            let (cursor, read) = reader.workspace_state(&pr, &ws, &everything).await.expect("read");
            let top_level = ElementQuery { placement: Placement::TopLevel, ..Default::default() };
            let truth = store.elements(&ws, top_level).await.expect("truth");
            assert_eq!(read, truth, "after {step}: the board read differs from the database");
            assert_eq!(Some(cursor), store.last_cursor(&ws).await.expect("head"), "after {step}: the cursor");
            read
        }
    };
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(writer.create_element(&pw, &ws, ElementType::Text, text(i), None).await.expect("create").id);
    }
    assert_eq!(check("three creations").await.len(), 3);
    writer.create_element(&pw, &ws, ElementType::Text, text(3), None).await.expect("create");
    assert_eq!(check("a fourth creation").await.len(), 4);
    writer.update_element(&pw, &ws, &ids[0], ElementType::Text, json!({"zIndex": 7})).await.expect("z");
    let read = check("an update that moves the first to the top").await;
    assert_eq!(read.last().map(|e| &e.id), Some(&ids[0]), "reordered");
    writer
        .update_traits(&pw, &ws, &ids[1], json!({"vocab": "http://example.com/", "content": {"tag": "x"}}), false)
        .await
        .expect("traits");
    check("a traits update").await;
    writer.delete_element(&pw, &ws, &ids[2]).await.expect("delete");
    assert_eq!(check("a deletion").await.len(), 3);
    let rename = WorkspaceChanges { name: Some("Renamed".into()), ..Default::default() };
    writer.update_workspace(&pw, &ws, rename).await.expect("rename");
    assert_eq!(check("a change to the workspace").await.len(), 3);
}
