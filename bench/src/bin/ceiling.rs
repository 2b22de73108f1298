//! The machine's own ceiling for HTTP: a bare axum handler, no database, no authentication.
//! Prints `listening on http://ADDR`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

#[tokio::main]
async fn main() {
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .route("/json", post(|Json(v): Json<Value>| async move { Json(json!({"data": {"echo": v}})) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    println!("listening on http://{}", listener.local_addr().expect("addr"));
    axum::serve(listener, app).await.expect("serve");
}
