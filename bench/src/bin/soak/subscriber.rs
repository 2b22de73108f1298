//! One soak subscriber: a `graphql-transport-ws` connection with one `commands` subscription,
//! resumed from its last cursor after every disconnect, until it is told to leave or to stop.

use super::{Rng, Shared};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_bench::ledger::Track;
use tessera_bench::now_us;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const QUERY: &str = "subscription($ws: String!, $c: ID) { commands(workspaceId: $ws, cursor: $c) { cursor ... on CreateElementCommand { element { id ... on Text { text } } } } }";
/// How long a leaving subscriber may take to receive what was acknowledged before it left.
const LEAVE_WITHIN: Duration = Duration::from_secs(15);
/// Connecting, and the `connection_ack`, each within this.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Where a subscriber's first subscription starts: the whole log, after a given cursor, or
/// live (no cursor).
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Start {
    Zero,
    After(i64),
    Live,
}

pub enum Cmd {
    /// Drop the connection, then resume from the last cursor.
    Reconnect,
    /// Present a fresh access token in a `ping` (person subscribers).
    Reauth,
    /// Receive every write of these (acknowledged before the call), then unsubscribe and go.
    Leave(Arc<Vec<u64>>),
    Stop,
}

/// What the rest of the program sees of a subscriber.
pub struct Member {
    pub ws: usize,
    pub start: Start,
    pub person: bool,
    pub born: Instant,
    pub connected: Arc<AtomicBool>,
    pub last: Arc<AtomicI64>,
    tx: mpsc::Sender<Cmd>,
    pub task: JoinHandle<Report>,
}

pub struct Report {
    pub id: usize,
    pub ws: usize,
    pub start: Start,
    /// When it was started (µs).
    pub born_us: u64,
    pub track: Track,
    /// Left during the run: whether it had received every write acknowledged before it left.
    pub left: Option<bool>,
}

/// The subscribers: those still following, and those that left (kept until they are done).
pub struct Members {
    pub live: Vec<Member>,
    pub done: Vec<Member>,
    pub next_id: usize,
}

impl Members {
    pub fn new(n: usize) -> Self {
        Members { live: Vec::with_capacity(n), done: Vec::new(), next_id: n }
    }

    /// A random connected subscriber that `ok` accepts (a few tries).
    pub fn pick(&self, rng: &mut Rng, ok: impl Fn(&Member) -> bool) -> Option<usize> {
        (0..20)
            .map(|_| rng.below(self.live.len()))
            .find(|&i| self.live.get(i).is_some_and(|m| m.connected.load(Relaxed) && ok(m)))
    }
}

impl Member {
    /// One in four subscribers is the person, with access tokens from the refresh chains; the
    /// rest use the reader bot's token.
    pub fn spawn(shared: Arc<Shared>, id: usize, ws: usize, start: Start) -> Member {
        let (tx, rx) = mpsc::channel(8);
        let (connected, last) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicI64::new(-1)));
        let sub = Subscriber {
            id,
            ws,
            start,
            person: id.is_multiple_of(4),
            shared,
            connected: connected.clone(),
            last: last.clone(),
            track: Track::default(),
            leaving: None,
            born_us: now_us(),
        };
        let person = sub.person;
        Member { ws, start, person, born: Instant::now(), connected, last, tx, task: tokio::spawn(sub.run(rx)) }
    }

    pub fn send(&self, cmd: Cmd) -> bool {
        self.tx.try_send(cmd).is_ok()
    }
}

/// Wait (at most `within`) until every subscriber still following has the cursor of every
/// acknowledged write of its workspace and every leaver is gone. Returns those cursors.
pub async fn catch_up(shared: &Shared, members: &Mutex<Members>, within: Duration) -> Vec<Option<i64>> {
    let deadline = Instant::now() + within;
    let acked: Vec<Vec<u64>> = (0..shared.workspaces.len()).map(|ws| shared.ledger.acked_in(ws)).collect();
    loop {
        let targets: Vec<Result<Option<i64>, usize>> = acked.iter().map(|a| shared.ledger.last_cursor_of(a)).collect();
        let waiting = members.lock().map_or(0, |m| {
            let behind = |s: &&Member| match targets[s.ws] {
                Ok(Some(t)) => s.last.load(Relaxed) < t && !(s.start == Start::Live && s.last.load(Relaxed) < 0),
                Ok(None) => false,
                Err(_) => true,
            };
            m.live.iter().filter(behind).count() + m.done.iter().filter(|s| !s.task.is_finished()).count()
        });
        if waiting == 0 || Instant::now() > deadline {
            return targets.into_iter().map(|t| t.ok().flatten()).collect();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Stop every subscriber and collect what each received.
pub async fn stop_all(members: &Mutex<Members>) -> Vec<Report> {
    let all: Vec<Member> = match members.lock() {
        Ok(mut m) => {
            let mut all = std::mem::take(&mut m.live);
            all.append(&mut m.done);
            all
        }
        Err(_) => Vec::new(),
    };
    for m in &all {
        let _ = m.tx.send(Cmd::Stop).await;
    }
    let mut reports = Vec::with_capacity(all.len());
    for m in all {
        if let Ok(r) = m.task.await {
            reports.push(r);
        }
    }
    reports
}

enum Outcome {
    Reconnect,
    Lost,
    Leave(bool),
    Stop,
}

struct Subscriber {
    id: usize,
    ws: usize,
    start: Start,
    person: bool,
    shared: Arc<Shared>,
    connected: Arc<AtomicBool>,
    last: Arc<AtomicI64>,
    track: Track,
    leaving: Option<(Arc<Vec<u64>>, Instant)>,
    born_us: u64,
}

fn text(v: Value) -> Message {
    Message::Text(v.to_string().into())
}

/// Connect and authenticate: a socket that has its `connection_ack`.
async fn open(url: &str, token: &str) -> Result<Socket, String> {
    let mut req = url.into_client_request().map_err(|e| e.to_string())?;
    req.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static("graphql-transport-ws"));
    let (mut socket, _) = tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(req))
        .await
        .map_err(|_| "no connection within 10 s".to_string())?
        .map_err(|e| e.to_string())?;
    let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}});
    socket.send(text(init)).await.map_err(|e| e.to_string())?;
    loop {
        match tokio::time::timeout(TIMEOUT, socket.next()).await {
            Err(_) => return Err("no connection_ack within 10 s".into()),
            Ok(Some(Ok(Message::Text(t)))) if t.as_str().contains("\"connection_ack\"") => return Ok(socket),
            Ok(Some(Ok(Message::Text(t)))) => return Err(format!("before connection_ack: {}", t.as_str())),
            Ok(Some(Ok(Message::Close(frame)))) => return Err(format!("closed before connection_ack: {frame:?}")),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => return Err(e.to_string()),
            Ok(None) => return Err("the connection ended before connection_ack".into()),
        }
    }
}

impl Subscriber {
    /// The cursor its first subscription gives.
    fn start_cursor(&self) -> Option<i64> {
        match self.start {
            Start::Zero => Some(0),
            Start::After(c) => Some(c),
            Start::Live => None,
        }
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Cmd>) -> Report {
        let mut pause = Duration::ZERO;
        let mut reconnects = 0u64;
        let left = loop {
            // Between connections only `Stop` and `Leave` matter.
            let wait = tokio::time::sleep(pause);
            tokio::pin!(wait);
            let stopped = loop {
                tokio::select! {
                    _ = &mut wait => break false,
                    cmd = rx.recv() => match cmd {
                        None | Some(Cmd::Stop) => break true,
                        Some(Cmd::Leave(acked)) => self.leaving = Some((acked, Instant::now() + LEAVE_WITHIN)),
                        Some(_) => {}
                    },
                }
            };
            if stopped {
                break None;
            }
            let token = if self.person {
                self.shared.n.token_uses.fetch_add(1, Relaxed);
                self.shared.access_token(self.id)
            } else {
                self.shared.reader.clone()
            };
            let mut socket = match open(&self.shared.ws_url, &token).await {
                Ok(s) => s,
                Err(e) => {
                    self.shared.errors.add("connect", format!("subscriber {}: {e}", self.id));
                    pause = Duration::from_millis(500);
                    continue;
                }
            };
            let cursor = self.track.resume(self.start_cursor()).map(|c| c.to_string());
            let subscribe = json!({"type": "subscribe", "id": "1", "payload": {"query": QUERY, "variables": {"ws": self.shared.workspaces[self.ws], "c": cursor}}});
            if let Err(e) = socket.send(text(subscribe)).await {
                self.shared.errors.add("connect", format!("subscriber {}: subscribe: {e}", self.id));
                pause = Duration::from_millis(500);
                continue;
            }
            self.connected.store(true, Relaxed);
            self.shared.n.connected.fetch_add(1, Relaxed);
            let outcome = self.follow(&mut socket, &mut rx, now_us()).await;
            self.connected.store(false, Relaxed);
            self.shared.n.connected.fetch_sub(1, Relaxed);
            match outcome {
                Outcome::Reconnect => {
                    reconnects += 1;
                    self.shared.n.reconnects.fetch_add(1, Relaxed);
                    // Every other time with a close frame, else the TCP connection just goes.
                    if reconnects.is_multiple_of(2) {
                        let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
                    }
                    drop(socket);
                    // Away for up to a second, so that there is something to replay.
                    pause = Duration::from_millis(now_us() % 1000);
                }
                Outcome::Lost => pause = Duration::from_millis(200),
                Outcome::Leave(caught_up) => {
                    let _ = socket.send(text(json!({"type": "complete", "id": "1"}))).await;
                    let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
                    break Some(caught_up);
                }
                Outcome::Stop => {
                    let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
                    break None;
                }
            }
        };
        Report { id: self.id, ws: self.ws, start: self.start, born_us: self.born_us, track: self.track, left }
    }

    async fn follow(&mut self, socket: &mut Socket, rx: &mut mpsc::Receiver<Cmd>, since: u64) -> Outcome {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    None | Some(Cmd::Stop) => return Outcome::Stop,
                    Some(Cmd::Reconnect) => return Outcome::Reconnect,
                    Some(Cmd::Reauth) => {
                        self.shared.n.token_uses.fetch_add(1, Relaxed);
                        let token = self.shared.access_token(self.id);
                        let ping = json!({"type": "ping", "payload": {"Authorization": format!("Bearer {token}")}});
                        if let Err(e) = socket.send(text(ping)).await {
                            self.shared.errors.add("connection", format!("subscriber {}: {e}", self.id));
                            return Outcome::Lost;
                        }
                    }
                    Some(Cmd::Leave(acked)) => self.leaving = Some((acked, Instant::now() + LEAVE_WITHIN)),
                },
                _ = tick.tick(), if self.leaving.is_some() => {}
                msg = socket.next() => {
                    let problem = match msg {
                        Some(Ok(Message::Text(t))) => self.handle(t.as_str(), since, socket).await.err(),
                        Some(Ok(Message::Close(frame))) => Some(format!("closed by the server: {frame:?}")),
                        Some(Ok(_)) => None,
                        Some(Err(e)) => Some(e.to_string()),
                        None => Some("the connection ended".into()),
                    };
                    if let Some(p) = problem {
                        self.shared.errors.add("connection", format!("subscriber {}: {p}", self.id));
                        return Outcome::Lost;
                    }
                }
            }
            if let Some((acked, deadline)) = &self.leaving {
                // Where it stands: its last cursor, else where it subscribed; a live
                // subscriber with nothing yet owes only writes acknowledged 10 s after it began.
                let done = match (self.shared.ledger.last_cursor_of(acked), self.track.resume(self.start_cursor())) {
                    (Ok(None), _) => true,
                    (Ok(Some(target)), Some(at)) => at >= target,
                    (Ok(Some(_)), None) => self.shared.last_ack_us[self.ws].load(Relaxed) <= self.born_us + 10_000_000,
                    (Err(_), _) => false,
                };
                if done || Instant::now() > *deadline {
                    return Outcome::Leave(done);
                }
            }
        }
    }

    async fn handle(&mut self, message: &str, since: u64, socket: &mut Socket) -> Result<(), String> {
        let v: Value = serde_json::from_str(message).map_err(|e| format!("{e}: {message}"))?;
        match v["type"].as_str() {
            Some("next") => {
                let c = &v["payload"]["data"]["commands"];
                let cursor = c["cursor"].as_str().and_then(|s| s.parse::<i64>().ok());
                let tag = c["element"]["text"].as_str().and_then(|t| t.split_once(':'));
                let tag = tag.and_then(|(seq, due)| Some((seq.parse::<u64>().ok()?, due.parse::<u64>().ok()?)));
                let (Some(cursor), Some((seq, due))) = (cursor, tag) else {
                    return Err(format!("unexpected result {message}"));
                };
                self.track.receive(cursor);
                self.last.store(cursor, Relaxed);
                self.shared.ledger.observe(self.ws, cursor, seq);
                self.shared.n.delivered.fetch_add(1, Relaxed);
                // Latency only for events meant to happen after this subscription was made
                // (not for the replay of what happened while it was away), pre-fill aside.
                if due >= since && seq >= self.shared.prefill {
                    self.shared.live_latency.record(now_us().saturating_sub(due));
                }
                Ok(())
            }
            Some("ping") => socket.send(text(json!({"type": "pong"}))).await.map_err(|e| e.to_string()),
            // Only re-authentications are sent as pings.
            Some("pong") if v["payload"]["reauthenticated"] == true => {
                self.shared.n.reauths.fetch_add(1, Relaxed);
                Ok(())
            }
            _ => Err(format!("unexpected message {message}")),
        }
    }
}
