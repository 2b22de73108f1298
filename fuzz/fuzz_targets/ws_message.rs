//! GraphQL over WebSocket: the decoder of client messages (`ws_message::decode`) for both
//! `graphql-transport-ws` and the legacy `graphql-ws`, and, for a subscribe message, the
//! plan (`graphql::plan::plan`) that decides whether it is a subscription and which fan-out shape it has.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use tessera::graphql::plan::{plan, FanOut};
use tessera::graphql::ws::close;
use tessera::graphql::ws_message::{decode, ClientMessage, Proto};

/// What a message says, comparable: its type, id, token, and GraphQL request.
fn summary(m: &ClientMessage) -> (&'static str, Option<String>, Option<String>, Option<Value>) {
    match m {
        ClientMessage::Init { token } => ("init", None, token.clone(), None),
        ClientMessage::Ping { token } => ("ping", None, token.clone(), None),
        ClientMessage::Pong => ("pong", None, None, None),
        ClientMessage::Subscribe { id, request } => {
            let r = request
                .as_ref()
                .map(|r| json!({"query": r.query, "operationName": r.operation_name, "variables": r.variables}));
            ("subscribe", Some(id.clone()), None, r)
        }
        ClientMessage::Complete { id } => ("complete", Some(id.clone()), None, None),
        ClientMessage::Terminate => ("terminate", None, None, None),
    }
}

/// The message written again in the protocol's own words.
fn encode(proto: Proto, m: &ClientMessage) -> Value {
    let legacy = proto == Proto::Legacy;
    let auth = |t: &Option<String>| t.as_ref().map(|t| json!({"Authorization": format!("Bearer {t}")}));
    match m {
        ClientMessage::Init { token } => json!({"type": "connection_init", "payload": auth(token)}),
        ClientMessage::Ping { token } => json!({"type": "ping", "payload": auth(token)}),
        ClientMessage::Pong => json!({"type": "pong"}),
        ClientMessage::Subscribe { id, .. } => {
            let request = summary(m).3.unwrap_or(json!("not a request"));
            json!({"type": if legacy { "start" } else { "subscribe" }, "id": id, "payload": request})
        }
        ClientMessage::Complete { id } => json!({"type": if legacy { "stop" } else { "complete" }, "id": id}),
        ClientMessage::Terminate => json!({"type": "connection_terminate"}),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    // A text frame is UTF-8 (the WebSocket layer checks that before the decoder runs).
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let proto = if first & 1 == 0 { Proto::Transport } else { Proto::Legacy };
    let msg = match decode(proto, text) {
        Ok(m) => m,
        Err(end) => {
            assert_eq!(end, (close::BAD_REQUEST, "Invalid message received"));
            return;
        }
    };
    let value: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("decoded a message that is not JSON: {e}"));
    let kind = value.get("type").and_then(Value::as_str);
    let expected = match (&msg, proto) {
        (ClientMessage::Init { .. }, _) => "connection_init",
        (ClientMessage::Ping { .. }, Proto::Transport) => "ping",
        (ClientMessage::Pong, Proto::Transport) => "pong",
        (ClientMessage::Subscribe { .. }, Proto::Transport) => "subscribe",
        (ClientMessage::Subscribe { .. }, Proto::Legacy) => "start",
        (ClientMessage::Complete { .. }, Proto::Transport) => "complete",
        (ClientMessage::Complete { .. }, Proto::Legacy) => "stop",
        (ClientMessage::Terminate, Proto::Legacy) => "connection_terminate",
        (m, p) => panic!("{m:?} decoded in {p:?}"),
    };
    assert_eq!(kind, Some(expected));
    let (_, id, token, _) = summary(&msg);
    if let Some(id) = &id {
        assert_eq!(value.get("id").and_then(Value::as_str), Some(id.as_str()));
    }
    if matches!(msg, ClientMessage::Subscribe { .. }) {
        assert!(id.as_ref().is_some_and(|i| !i.is_empty()), "subscribe without an id");
    }
    if let Some(t) = &token {
        assert!(!t.is_empty() && t.trim() == t, "token {t:?}");
    }
    // Round trip: the message written canonically decodes to the same message.
    let again = decode(proto, &encode(proto, &msg).to_string()).unwrap_or_else(|e| panic!("{msg:?} re-encoded: {e:?}"));
    assert_eq!(summary(&again), summary(&msg));
    if let ClientMessage::Subscribe { request: Some(r), .. } = &msg {
        let key = |f: Option<FanOut>| f.map(|f| (f.shape, f.cursor_variable));
        let (subscription, shape) = plan(r);
        let shape = key(shape);
        assert!(shape.is_none() || subscription, "a shape for a non-subscription");
        // The shape depends on the request alone.
        let (again, again_shape) = plan(r);
        assert_eq!((again, key(again_shape)), (subscription, shape));
        if async_graphql::parser::parse_query(&r.query).is_err() {
            assert!(!subscription);
        }
    }
});
