//! The `commands` subscription over Server-Sent Events (graphql-sse, distinct connections):
//! the same driver as WebSockets, so the same replay, refusals, endings and shared renders.

use crate::helpers::*;
use crate::subscriptions::{create_text, fx, subscribe};
use crate::wsclient::COMMANDS;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A subscription over Server-Sent Events: its response, read event by event.
pub(crate) struct Sse {
    res: reqwest::Response,
    buf: String,
}

impl Sse {
    pub(crate) async fn open(app: &TestApp, token: &str, body: Value) -> Sse {
        let res = app
            .client
            .post(format!("{}/v3/graphql", app.base))
            .bearer_auth(token)
            .header("accept", "text/event-stream")
            .json(&body)
            .send()
            .await
            .expect("sse");
        assert_eq!(res.status(), 200);
        Sse { res, buf: String::new() }
    }

    /// The next event's name and data (keep-alive comments skipped); None at the end.
    pub(crate) async fn next(&mut self) -> Option<(String, String)> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .filter_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim_start())
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                let (event, data) = (field("event:"), field("data:"));
                if event.is_empty() && data.is_empty() {
                    continue;
                }
                return Some((event, data));
            }
            match tokio::time::timeout(Duration::from_secs(10), self.res.chunk()).await.expect("an event in time") {
                Ok(Some(chunk)) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }

    pub(crate) async fn next_result(&mut self) -> Value {
        let (event, data) = self.next().await.expect("an event");
        assert_eq!(event, "next", "{data}");
        serde_json::from_str(&data).expect("json")
    }
}

#[tokio::test]
async fn server_sent_events_deliver_commands() {
    let f = fx().await;
    let res = f
        .app
        .client
        .post(format!("{}/v3/graphql", f.app.base))
        .bearer_auth(&f.reader)
        .header("accept", "text/event-stream")
        .json(&json!({"query": COMMANDS, "variables": {"ws": f.ws.0}}))
        .send()
        .await
        .expect("sse");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().expect("ct").starts_with("text/event-stream"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let id = create_text(&f.app, &f.writer, &f.ws, "over sse").await;
    let mut res = res;
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !text.contains(&id) && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), res.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            _ => break,
        }
    }
    assert!(text.contains("event: next") && text.contains(&id), "{text}");
    // Without a token: 401.
    let res = f
        .app
        .client
        .post(format!("{}/v3/graphql", f.app.base))
        .header("accept", "text/event-stream")
        .json(&json!({"query": COMMANDS}))
        .send()
        .await
        .expect("sse");
    assert_eq!(res.status(), 401);
}

/// Over SSE as over a WebSocket: replay from a cursor then live, in order; a refused request
/// is one `next` with its error, then `complete`; losing access ends the stream with the error.
#[tokio::test]
async fn server_sent_events_replay_refuse_and_end_like_websockets() {
    let f = fx().await;
    let first = create_text(&f.app, &f.writer, &f.ws, "before").await;
    let mut sse = Sse::open(&f.app, &f.reader, subscribe("s", &f.ws, Some(0))["payload"].clone()).await;
    let replayed = sse.next_result().await;
    assert_eq!(replayed["data"]["commands"]["element"]["id"], first.as_str(), "{replayed}");
    let live = create_text(&f.app, &f.writer, &f.ws, "after").await;
    let m = sse.next_result().await;
    assert_eq!(m["data"]["commands"]["element"]["id"], live.as_str(), "{m}");
    let cursor = |v: &Value| v["data"]["commands"]["cursor"].as_str().and_then(|c| c.parse::<i64>().ok());
    assert_eq!(cursor(&m), cursor(&replayed).map(|c| c + 1), "{m}");

    let mut bad = Sse::open(&f.app, &f.reader, subscribe("s", &f.ws, Some(99))["payload"].clone()).await;
    let refused = bad.next_result().await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    assert_eq!(bad.next().await.map(|e| e.0).as_deref(), Some("complete"));
    assert_eq!(bad.next().await, None);

    let q = "mutation($ws:String!,$u:String!){ deleteWorkspaceCollaborator(workspaceId:$ws, collaboratorId:$u) }";
    let removed = f.app.gql(&f.writer, q, json!({"ws": f.ws.0, "u": f.reader_id.0})).await;
    assert_eq!(removed["data"]["deleteWorkspaceCollaborator"], true, "{removed}");
    let ended = sse.next_result().await;
    assert_eq!(ended["errors"][0]["extensions"]["code"], "FORBIDDEN", "{ended}");
    assert_eq!(sse.next().await.map(|e| e.0).as_deref(), Some("complete"));
}
