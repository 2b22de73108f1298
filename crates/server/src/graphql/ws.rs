//! GraphQL over WebSocket at `GET /v3/graphql`: the `graphql-transport-ws` protocol (with all
//! of its close codes) and the legacy `graphql-ws` (subscriptions-transport-ws) protocol, on
//! top of async-graphql's execution engine.
//!
//! Authentication: the `connection_init` payload's `Authorization` (any case, with or without
//! `Bearer `), else the upgrade request's `Authorization` header. The connection closes with
//! 4403 when its token expires or is revoked; a client may present a fresh token first with
//! `{"type":"ping","payload":{"Authorization":"Bearer …"}}` (legacy: a second
//! `connection_init`) without dropping its subscriptions.

use super::http::{bearer_token, finish};
use super::outbox::{Next, Outbox};
use super::subscription::SharedPrincipal;
use super::ws_message::{decode, ClientMessage, Proto};
use crate::app::AppState;
use async_graphql::futures_util::future::BoxFuture;
use async_graphql::futures_util::stream::SplitSink;
use async_graphql::futures_util::{SinkExt, StreamExt};
use async_graphql::{Request, Response as GqlResponse};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tessera_core::auth::Principal;
use tessera_core::ids::TokenId;
use tessera_core::model::now_millis;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tokio::time::Instant;

pub const TRANSPORT_WS: &str = "graphql-transport-ws";
pub const LEGACY_WS: &str = "graphql-ws";

/// Close codes of graphql-transport-ws, plus 4413 (this server's): the client fell too far
/// behind; reconnect and resume from the last cursor received.
pub mod close {
    pub const BAD_REQUEST: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const SLOW_CONSUMER: u16 = 4413;
    pub const TOO_MANY_INITS: u16 = 4429;
    pub const INTERNAL: u16 = 4500;
}

/// Limits of one connection.
pub const MAX_SUBSCRIPTIONS: usize = 100;
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often re-checking a token is tried again while it fails (the database is down), for up to
/// the configured grace (`ws_recheck_grace`).
const RECHECK_RETRY: Duration = Duration::from_secs(1);
/// How long a closing connection waits for its client to take what is queued and the close (a
/// slow consumer may have megabytes in flight; one that takes nothing is then dropped).
const CLOSING: Duration = Duration::from_secs(30);

pub async fn upgrade_or_playground(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else { return super::http::playground(query.as_deref()).await };
    let header_token = bearer_token(&headers).map(str::to_string);
    ws.protocols([TRANSPORT_WS, LEGACY_WS])
        .max_message_size(MAX_MESSAGE_BYTES)
        // Clients send little (subscribe, ping): a 1 KiB read buffer (it grows for a larger
        // frame) instead of 4 KiB is 3 KiB less per connection; writes are batched up to 4 KiB.
        .read_buffer_size(1024)
        .write_buffer_size(4096)
        .on_upgrade(move |socket| {
            let proto = match socket.protocol().and_then(|p| p.to_str().ok()) {
                Some(LEGACY_WS) => Proto::Legacy,
                _ => Proto::Transport,
            };
            Connection::new(state, proto, header_token).run(socket)
        })
}

struct Connection {
    state: AppState,
    proto: Proto,
    header_token: Option<String>,
    /// Protocol replies (ack, pong, keep-alive), operation results (bounded: an operation
    /// waits when it is full, up to the stall limit) and at last the close.
    outbox: Arc<Outbox>,
    subs: Arc<Mutex<HashMap<String, AbortHandle>>>,
    /// The token and the principal every operation of this connection sees.
    auth: Option<(String, watch::Sender<Arc<Principal>>)>,
    inits: u32,
    /// Since when re-checking the token after a revocation has failed (the database), if it
    /// has, and when to try again.
    check_failing_since: Option<Instant>,
    recheck_at: Option<Instant>,
}

/// What re-checking a connection's token found.
enum Check {
    Valid,
    Revoked,
    /// The check itself failed (the database): try again shortly.
    Failed,
}

/// Why the read loop ended: a close frame to send, or none (the client went away).
type Ending = Option<(u16, &'static str)>;

impl Connection {
    fn new(state: AppState, proto: Proto, header_token: Option<String>) -> Self {
        Connection {
            outbox: Arc::new(Outbox::new(state.config.ws_queue)),
            state,
            proto,
            header_token,
            subs: Arc::default(),
            auth: None,
            inits: 0,
            check_failing_since: None,
            recheck_at: None,
        }
    }

    async fn run(mut self, socket: WebSocket) {
        let (sink, mut stream) = socket.split();
        let mut writer = tokio::spawn(write(self.outbox.clone(), sink));
        let ending = self.read_loop(&mut stream).await;
        self.stop_all();
        // The writer sends what is queued, then the close; a client that takes nothing more
        // is dropped.
        self.outbox.end(ending);
        drop(self);
        if tokio::time::timeout(CLOSING, &mut writer).await.is_err() {
            writer.abort();
        }
    }

    async fn read_loop(
        &mut self,
        stream: &mut (impl StreamExt<Item = Result<Message, axum::Error>> + Unpin),
    ) -> Ending {
        let init_deadline = Instant::now() + self.state.config.ws_init_timeout;
        let mut revocations = self.state.hubs.revocations();
        let mut keep_alive = tokio::time::interval_at(Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
        let outbox = self.outbox.clone();
        loop {
            let expiry = self.expiry();
            tokio::select! {
                _ = sleep_until_opt(if self.auth.is_none() { Some(init_deadline) } else { None }) => {
                    return Some((close::INIT_TIMEOUT, "Connection initialisation timeout"));
                }
                _ = sleep_until_opt(expiry) => return Some((close::FORBIDDEN, "Forbidden: the access token expired")),
                signal = revocations.recv(), if self.auth.is_some() => {
                    let (affected, access) = match signal {
                        Ok(what) => (
                            self.token_id().is_some_and(|id| what.affects(&id)),
                            self.user_id().is_some_and(|u| what.affects_access_of(&u)),
                        ),
                        // Missed signals might have named this token or this person.
                        Err(RecvError::Lagged(_)) => (true, true),
                        Err(RecvError::Closed) => (false, false),
                    };
                    if access {
                        // Every running operation asks again whether it may still read what it
                        // follows (as after re-authentication).
                        if let Some((_, p)) = &self.auth {
                            p.send_modify(|_| {});
                        }
                    }
                    if affected {
                        if let Some(end) = Box::pin(self.recheck()).await {
                            return Some(end);
                        }
                    }
                }
                _ = sleep_until_opt(self.recheck_at) => {
                    if let Some(end) = Box::pin(self.recheck()).await {
                        return Some(end);
                    }
                }
                _ = outbox.slow.notified() => {
                    self.state.metrics.slow_consumers.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return Some((close::SLOW_CONSUMER, "Slow consumer: resume from your last cursor"));
                }
                _ = keep_alive.tick(), if self.auth.is_some() => {
                    let msg = match self.proto { Proto::Transport => json!({"type": "ping"}), Proto::Legacy => json!({"type": "ka"}) };
                    self.send(msg);
                }
                msg = stream.next() => match msg {
                    None | Some(Err(_)) => return None,
                    Some(Ok(Message::Close(_))) => return None,
                    Some(Ok(Message::Text(text))) => {
                        // Boxed: an idle connection's future does not hold room for handling one.
                        if let Some(end) = Box::pin(self.handle(text.as_str())).await {
                            return Some(end);
                        }
                    }
                    Some(Ok(Message::Binary(_))) => return Some((close::BAD_REQUEST, "Invalid message received")),
                    Some(Ok(_)) => {}
                },
            }
        }
    }

    fn user_id(&self) -> Option<tessera_core::ids::UserId> {
        Some(self.auth.as_ref()?.1.borrow().user.id.clone())
    }

    fn token_id(&self) -> Option<TokenId> {
        Some(self.auth.as_ref()?.1.borrow().token_id.clone())
    }

    fn expiry(&self) -> Option<Instant> {
        let (_, p) = self.auth.as_ref()?;
        let at = p.borrow().expires_at?;
        let left = (at - now_millis()).max(0) as u64;
        Some(Instant::now() + Duration::from_millis(left))
    }

    /// A protocol reply. A client whose replies pile up unread is a slow consumer.
    fn send(&self, msg: Value) {
        self.outbox.reply(msg.to_string());
    }

    fn stop_all(&self) {
        if let Ok(mut subs) = self.subs.lock() {
            for (_, h) in subs.drain() {
                h.abort();
            }
        }
    }

    /// After a revocation that named this connection's token: is it still good? The close frame
    /// if not, or if the check has been failing for longer than the grace.
    async fn recheck(&mut self) -> Option<(u16, &'static str)> {
        self.state.metrics.token_rechecks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.recheck_at = None;
        match self.check_token().await {
            Check::Valid => self.check_failing_since = None,
            Check::Revoked => return Some((close::FORBIDDEN, "Forbidden: the access token was revoked")),
            Check::Failed => {
                let since = *self.check_failing_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= self.state.config.ws_recheck_grace {
                    return Some((close::INTERNAL, "Internal server error: cannot verify the access token"));
                }
                self.recheck_at = Some(Instant::now() + RECHECK_RETRY.min(self.state.config.ws_recheck_grace));
            }
        }
        None
    }

    async fn check_token(&self) -> Check {
        let Some((token, _)) = &self.auth else { return Check::Valid };
        match self.state.core.authenticate(token).await {
            Ok(_) => Check::Valid,
            Err(tessera_core::Error::Unauthenticated) => Check::Revoked,
            Err(e) => {
                tracing::warn!(error = %e, "cannot re-check a connection's token; retrying");
                Check::Failed
            }
        }
    }

    /// `Ok(None)`: no token or a bad one. `Err`: the server failed (close 4500, not 4403).
    async fn authenticate(&self, token: Option<String>) -> Result<Option<(String, Principal)>, tessera_core::Error> {
        let Some(token) = token.or_else(|| self.header_token.clone()) else { return Ok(None) };
        match self.state.core.authenticate(&token).await {
            Ok(p) => Ok(Some((token, p))),
            Err(tessera_core::Error::Unauthenticated) => Ok(None),
            Err(e) => {
                tracing::error!(error = %e, "cannot authenticate a WebSocket connection");
                Err(e)
            }
        }
    }

    /// Handle one client message; `Some` closes the connection.
    async fn handle(&mut self, text: &str) -> Option<(u16, &'static str)> {
        let msg = match decode(self.proto, text) {
            Ok(msg) => msg,
            Err(end) => return Some(end),
        };
        match msg {
            ClientMessage::Init { token } => self.init(token).await,
            ClientMessage::Ping { token: Some(token) } => self.reauthenticate(Some(token)).await,
            ClientMessage::Ping { token: None } => {
                self.send(json!({"type": "pong"}));
                None
            }
            ClientMessage::Pong => None,
            ClientMessage::Subscribe { id, request } => {
                if self.auth.is_none() {
                    return Some((close::UNAUTHORIZED, "Unauthorized"));
                }
                let Some(request) = request else {
                    return Some((close::BAD_REQUEST, "Invalid message received"));
                };
                self.subscribe(id, *request)
            }
            ClientMessage::Complete { id } => {
                let stopped = self.subs.lock().ok().and_then(|mut s| s.remove(&id));
                if let Some(h) = stopped {
                    h.abort();
                    if self.proto == Proto::Legacy {
                        self.send(json!({"type": "complete", "id": id}));
                    }
                }
                None
            }
            ClientMessage::Terminate => Some((1000, "Normal Closure")),
        }
    }

    async fn init(&mut self, token: Option<String>) -> Option<(u16, &'static str)> {
        self.inits += 1;
        if self.inits > 1 {
            if self.proto == Proto::Legacy {
                // The legacy protocol has no ping: a second init re-authenticates.
                return self.reauthenticate(token).await;
            }
            return Some((close::TOO_MANY_INITS, "Too many initialisation requests"));
        }
        match self.authenticate(token).await {
            Err(_) => Some((close::INTERNAL, "Internal server error")),
            Ok(Some((token, p))) => {
                self.auth = Some((token, watch::channel(Arc::new(p)).0));
                self.send(json!({"type": "connection_ack"}));
                if self.proto == Proto::Legacy {
                    self.send(json!({"type": "ka"}));
                }
                None
            }
            Ok(None) => {
                if self.proto == Proto::Legacy {
                    self.send(json!({"type": "connection_error", "payload": {"message": "Forbidden: a valid access token is required"}}));
                }
                Some((close::FORBIDDEN, "Forbidden"))
            }
        }
    }

    /// A fresh token on the open socket, for the same user: every running operation authorizes
    /// itself again with it at once, and ends with its error if the new token does not allow it.
    async fn reauthenticate(&mut self, token: Option<String>) -> Option<(u16, &'static str)> {
        let Some((_, shared)) = &self.auth else { return Some((close::UNAUTHORIZED, "Unauthorized")) };
        let user = shared.borrow().user.id.clone();
        match self.authenticate(token).await {
            Err(_) => Some((close::INTERNAL, "Internal server error")),
            Ok(Some((token, p))) if p.user.id == user => {
                if let Some((current, shared)) = &mut self.auth {
                    *current = token;
                    shared.send_replace(Arc::new(p));
                }
                (self.check_failing_since, self.recheck_at) = (None, None);
                match self.proto {
                    Proto::Transport => self.send(json!({"type": "pong", "payload": {"reauthenticated": true}})),
                    Proto::Legacy => self.send(json!({"type": "connection_ack"})),
                }
                None
            }
            _ => Some((close::FORBIDDEN, "Forbidden: re-authentication failed")),
        }
    }

    fn subscribe(&mut self, id: String, request: Request) -> Option<(u16, &'static str)> {
        let Ok(mut subs) = self.subs.lock() else { return Some((close::INTERNAL, "Internal server error")) };
        if subs.contains_key(&id) {
            if self.proto == Proto::Transport {
                return Some((close::DUPLICATE_ID, "Subscriber for this id already exists"));
            }
            drop(subs);
            self.send(
                json!({"type": "error", "id": id, "payload": [{"message": "an operation with this id is running"}]}),
            );
            return None;
        }
        if subs.len() >= MAX_SUBSCRIPTIONS {
            drop(subs);
            let msg = format!("at most {MAX_SUBSCRIPTIONS} operations may run on one connection");
            self.send(json!({"type": "error", "id": id, "payload": [{"message": msg, "extensions": {"code": "BAD_USER_INPUT"}}]}));
            return None;
        }
        let Some((_, shared)) = &self.auth else { return Some((close::UNAUTHORIZED, "Unauthorized")) };
        let kind = if self.proto == Proto::Transport { "next" } else { "data" };
        let outlet = Arc::new(Outlet {
            prefix: format!("{{\"type\":\"{kind}\",\"id\":{},\"payload\":", Value::String(id.clone())),
            id: id.clone(),
            proto: self.proto,
            outbox: self.outbox.clone(),
            stall: self.state.config.ws_stall_timeout,
        });
        let task = tokio::spawn(run_operation(
            self.state.clone(),
            self.subs.clone(),
            Box::new(request),
            shared.subscribe(),
            outlet,
        ));
        subs.insert(id, task.abort_handle());
        None
    }
}

/// Where one operation of a connection sends its results: the connection's data queue, as
/// that operation's `next` (legacy: `data`) messages.
struct Outlet {
    /// The message's start, up to its payload: `{"type":"next","id":"…","payload":`.
    prefix: String,
    id: String,
    proto: Proto,
    outbox: Arc<Outbox>,
    stall: Duration,
}

impl super::operation::Outlet for Outlet {
    fn next(&self, response: Arc<str>) -> BoxFuture<'static, bool> {
        let msg = format!("{}{response}}}", self.prefix);
        let (outbox, stall) = (self.outbox.clone(), self.stall);
        Box::pin(async move { outbox.send(msg, stall).await })
    }

    /// An `error` message; but the legacy protocol answers a query or mutation it cannot run
    /// with its result (errors and no data), then `complete`.
    fn refuse(&self, response: GqlResponse, subscription: bool) -> BoxFuture<'static, bool> {
        if self.proto == Proto::Legacy && !subscription {
            return self.next(super::operation::render(response));
        }
        let msg = json!({"type": "error", "id": self.id, "payload": finish(response).errors}).to_string();
        let (outbox, stall) = (self.outbox.clone(), self.stall);
        Box::pin(async move {
            outbox.send(msg, stall).await;
            false
        })
    }
}

/// Run one operation of a connection to its end, then forget it; `complete` if it completed.
async fn run_operation(
    state: AppState,
    subs: Arc<Mutex<HashMap<String, AbortHandle>>>,
    request: Box<Request>,
    principal: SharedPrincipal,
    outlet: Arc<Outlet>,
) {
    let completed = super::operation::run(&state, request, principal, outlet.clone()).await;
    if let Ok(mut subs) = subs.lock() {
        subs.remove(&outlet.id);
    }
    if completed {
        let msg = json!({"type": "complete", "id": outlet.id}).to_string();
        outlet.outbox.send(msg, outlet.stall).await;
    }
}

/// Write what the connection sends until it ends (or the client is gone).
async fn write(outbox: Arc<Outbox>, mut sink: SplitSink<WebSocket, Message>) {
    loop {
        match outbox.next().await {
            Next::Control(text) => {
                if sink.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            // Everything queued, then one flush.
            Next::Data(batch) => {
                let mut ok = true;
                for text in batch {
                    ok = ok && sink.feed(Message::Text(text.into())).await.is_ok();
                }
                if !ok || sink.flush().await.is_err() {
                    break;
                }
            }
            Next::End(rest, close) => {
                // What is already queued (an error message before its close), briefly.
                let drain = async {
                    for text in rest {
                        if sink.feed(Message::Text(text.into())).await.is_err() {
                            return;
                        }
                    }
                    let _ = sink.flush().await;
                };
                let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
                if let Some((code, reason)) = close {
                    let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                }
                break;
            }
        }
    }
    outbox.stopped();
    let _ = sink.close().await;
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
