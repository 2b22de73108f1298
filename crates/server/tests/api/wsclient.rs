//! A WebSocket GraphQL client for tests: a real tokio-tungstenite socket speaking either
//! protocol, with timeouts on every read.

use crate::helpers::TestApp;
use futures_util_shim::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

/// async-graphql re-exports futures-util; use it rather than adding a crate.
mod futures_util_shim {
    pub use async_graphql::futures_util::{SinkExt, StreamExt};
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Ws {
    socket: Socket,
}

/// What the server did next.
#[derive(Debug, PartialEq)]
pub enum Got {
    Msg(Value),
    Closed(u16, String),
}

impl Ws {
    pub async fn connect(app: &TestApp, protocol: &str) -> Ws {
        Self::connect_with(app, protocol, None).await
    }

    pub async fn connect_with(app: &TestApp, protocol: &str, header_token: Option<&str>) -> Ws {
        let url = app.base.replacen("http://", "ws://", 1) + "/v3/graphql";
        let mut req = url.into_client_request().expect("request");
        req.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_str(protocol).expect("proto"));
        if let Some(t) = header_token {
            req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {t}")).expect("auth"));
        }
        let (socket, res) = tokio_tungstenite::connect_async(req).await.expect("connect");
        assert_eq!(res.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()), Some(protocol));
        Ws { socket }
    }

    /// Connect and complete `connection_init` with this token.
    pub async fn ready(app: &TestApp, protocol: &str, token: &str) -> Ws {
        let mut ws = Self::connect(app, protocol).await;
        ws.send(json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}})).await;
        assert_eq!(ws.next_msg().await["type"], "connection_ack");
        ws
    }

    pub async fn send(&mut self, v: Value) {
        self.socket.send(Message::Text(v.to_string().into())).await.expect("send");
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.socket.send(Message::Text(text.to_string().into())).await.expect("send");
    }

    /// The next message or close, waiting at most `secs`.
    pub async fn next_within(&mut self, secs: f64) -> Option<Got> {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs_f64(secs), self.socket.next()).await.ok()?;
            match frame {
                None => return Some(Got::Closed(1006, "no close frame".into())),
                Some(Err(_)) => return Some(Got::Closed(1006, "connection error".into())),
                Some(Ok(Message::Text(t))) => return Some(Got::Msg(serde_json::from_str(t.as_str()).expect("json"))),
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) =
                        frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((1005, String::new()));
                    return Some(Got::Closed(code, reason));
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next message that is not a keep-alive.
    pub async fn next_msg(&mut self) -> Value {
        loop {
            match self.next_within(10.0).await {
                Some(Got::Msg(m)) if m["type"] == "ka" || m["type"] == "ping" => continue,
                Some(Got::Msg(m)) => return m,
                other => panic!("expected a message, got {other:?}"),
            }
        }
    }

    /// Wait for the server to close the connection; returns the close code.
    pub async fn closed_within(&mut self, secs: f64) -> u16 {
        let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now()).as_secs_f64();
            match self.next_within(left).await {
                Some(Got::Closed(code, _)) => return code,
                Some(Got::Msg(_)) => continue,
                None => panic!("the server did not close within {secs}s"),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self
            .socket
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            }))
            .await;
    }
}

pub const COMMANDS: &str = "subscription($ws: String!, $cursor: ID, $el: String, $types: [ElementType!]) {
  commands(workspaceId: $ws, cursor: $cursor, elementId: $el, elementType: $types) {
    __typename workspaceId cursor actorId actorType clientId
    ... on CreateElementCommand { element { id type ... on Text { text } } }
    ... on UpdateElementCommand { elementId elementType data { __typename pinned zIndex ... on UpdateText { text transform { x y } style { fontSize } } } }
    ... on DeleteElementCommand { elementId elementType }
    ... on CreateCommentCommand { comment { id text } }
  } }";
