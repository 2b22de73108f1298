//! SIGKILL during a stream of mutations loses nothing that was acknowledged, and the event log
//! still matches the elements after restart.

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

    // Restart on the same file.
    let app = spawn_app_on(&db).await;
    let list = app
        .gql(&token, "query($ws:String!){ elements(workspaceId:$ws) { id ... on Text { text } } }", json!({"ws": ws}))
        .await;
    let stored: BTreeSet<(String, String)> = list["data"]["elements"]
        .as_array()
        .expect("elements")
        .iter()
        .map(|e| (e["id"].as_str().unwrap_or_default().to_string(), e["text"].as_str().unwrap_or_default().to_string()))
        .collect();
    for a in &acked {
        assert!(stored.contains(a), "acknowledged element {a:?} lost");
    }

    // The log replays to exactly the stored elements, with dense cursors.
    let events = app.events(&ws).await;
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
    println!("acknowledged {} writes before SIGKILL; {} stored; {} events", acked.len(), stored.len(), events.len());
}
