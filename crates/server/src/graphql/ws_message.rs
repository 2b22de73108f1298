//! What a WebSocket client sends: one text message of `graphql-transport-ws` or of the legacy
//! `graphql-ws`, decoded before the connection acts on it (see [`super::ws`]).

use super::ws::close;
use async_graphql::Request;
use serde_json::Value;

/// The subprotocol a connection speaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Proto {
    /// `graphql-transport-ws`.
    Transport,
    /// `graphql-ws` (subscriptions-transport-ws).
    Legacy,
}

/// A decoded client message.
#[derive(Debug)]
pub enum ClientMessage {
    /// `connection_init` (either protocol), with the token of its payload, if any.
    Init { token: Option<String> },
    /// `ping` (transport only); a token in its payload asks to re-authenticate.
    Ping { token: Option<String> },
    /// `pong` (transport only).
    Pong,
    /// `subscribe` (legacy: `start`) with a non-empty id. The request is `None` when the payload
    /// is not a GraphQL request; the connection checks authentication before refusing that.
    Subscribe { id: String, request: Option<Box<Request>> },
    /// `complete` (legacy: `stop`).
    Complete { id: String },
    /// `connection_terminate` (legacy only).
    Terminate,
}

const INVALID: (u16, &str) = (close::BAD_REQUEST, "Invalid message received");

/// Decode one text message; `Err` is the close frame for a message that is not valid here.
pub fn decode(proto: Proto, text: &str) -> Result<ClientMessage, (u16, &'static str)> {
    let msg = serde_json::from_str::<Value>(text).map_err(|_| INVALID)?;
    let kind = msg.get("type").and_then(Value::as_str).unwrap_or_default();
    let id = msg.get("id").and_then(Value::as_str);
    let payload = msg.get("payload").filter(|p| !p.is_null());
    match (proto, kind) {
        (_, "connection_init") => Ok(ClientMessage::Init { token: token_in(payload) }),
        (Proto::Transport, "ping") => Ok(ClientMessage::Ping { token: token_in(payload) }),
        (Proto::Transport, "pong") => Ok(ClientMessage::Pong),
        (Proto::Transport, "subscribe") | (Proto::Legacy, "start") => {
            let id = id.filter(|i| !i.is_empty()).ok_or(INVALID)?;
            let request = payload.and_then(|p| serde_json::from_value::<Request>(p.clone()).ok()).map(Box::new);
            Ok(ClientMessage::Subscribe { id: id.to_string(), request })
        }
        (Proto::Transport, "complete") | (Proto::Legacy, "stop") => {
            Ok(ClientMessage::Complete { id: id.ok_or(INVALID)?.to_string() })
        }
        (Proto::Legacy, "connection_terminate") => Ok(ClientMessage::Terminate),
        _ => Err(INVALID),
    }
}

/// The token in a `connection_init` (or re-authentication) payload: its `Authorization`
/// entry (any case), with or without `Bearer `.
pub fn token_in(payload: Option<&Value>) -> Option<String> {
    let obj = payload?.as_object()?;
    let value = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case("authorization"))?.1.as_str()?.trim();
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    };
    (!token.is_empty()).then(|| token.to_string())
}
