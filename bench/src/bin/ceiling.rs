//! The machine's own ceilings, with no database and no authentication: a bare axum JSON
//! handler for HTTP, and a bare WebSocket broadcast (axum's tokio-tungstenite, 4 KiB buffers
//! like tessera's) speaking just enough graphql-transport-ws for `fanout`: `POST /v3/graphql`
//! publishes `variables.t` as a Text to every subscriber, each event serialised once.
//! Prints `listening on http://ADDR`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::broadcast;

#[derive(Clone)]
struct Hub {
    tx: broadcast::Sender<Arc<str>>,
    cursor: Arc<AtomicU64>,
}

#[tokio::main]
async fn main() {
    let hub = Hub { tx: broadcast::channel(4096).0, cursor: Arc::default() };
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .route("/json", post(|Json(v): Json<Value>| async move { Json(json!({"data": {"echo": v}})) }))
        .route("/v3/graphql", get(upgrade).post(publish))
        .with_state(hub);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    println!("listening on http://{}", listener.local_addr().expect("addr"));
    axum::serve(listener, app).await.expect("serve");
}

async fn publish(State(hub): State<Hub>, Json(body): Json<Value>) -> Json<Value> {
    let cursor = hub.cursor.fetch_add(1, Ordering::Relaxed) + 1;
    let text = body["variables"]["t"].as_str().unwrap_or_default();
    let payload = json!({"data": {"commands": {"cursor": cursor.to_string(), "element": {"text": text}}}});
    let _ = hub.tx.send(payload.to_string().into());
    Json(json!({"data": {"createText": {"id": cursor.to_string()}}}))
}

async fn upgrade(State(hub): State<Hub>, ws: WebSocketUpgrade) -> Response {
    ws.protocols(["graphql-transport-ws"])
        .read_buffer_size(4096)
        .write_buffer_size(4096)
        .on_upgrade(move |socket| serve(socket, hub))
}

/// Ack the init, take one subscribe, then forward every published event.
async fn serve(socket: WebSocket, hub: Hub) {
    let (mut sink, mut stream) = socket.split();
    let mut events = hub.tx.subscribe();
    let mut prefix: Option<String> = None;
    loop {
        tokio::select! {
            msg = stream.next() => {
                let Some(Ok(Message::Text(text))) = msg else { return };
                let v: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
                let reply = match v["type"].as_str() {
                    Some("connection_init") => json!({"type": "connection_ack"}),
                    Some("ping") => json!({"type": "pong"}),
                    Some("subscribe") => {
                        prefix = Some(format!("{{\"type\":\"next\",\"id\":{},\"payload\":", v["id"]));
                        continue;
                    }
                    _ => continue,
                };
                if sink.send(Message::Text(reply.to_string().into())).await.is_err() {
                    return;
                }
            }
            event = events.recv() => {
                let (Ok(payload), Some(prefix)) = (event, prefix.as_ref()) else { continue };
                if sink.send(Message::Text(format!("{prefix}{payload}}}").into())).await.is_err() {
                    return;
                }
            }
        }
    }
}
