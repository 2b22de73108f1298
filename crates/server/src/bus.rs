//! The in-process bus: one tail task per workspace that has subscribers reads each new batch
//! of events from the log once and fans it out; and a revocation signal, naming what was
//! revoked, that makes the credential cache forget exactly that and the connections whose token
//! it names re-check it.
//!
//! The log is the truth. A tail is woken by commits on this node, by other nodes' commits
//! (PostgreSQL notifications, see `tessera_store`), and, as a catch-up, once a second (so
//! writes from another process — the command line — or a lost notification cost at most a
//! second).
//! Subscribers that fall behind the broadcast read the log themselves.

use crate::graphql::subscription::Shape;
use crate::metrics::Metrics;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tessera_core::cache::Credentials;
use tessera_core::event::Event;
use tessera_core::ids::{TokenId, WorkspaceId};
use tessera_core::model::now_millis;
use tessera_core::ports::{Bus, Revoked, Store};
use tokio::sync::{broadcast, watch, Notify, OnceCell};

/// Events buffered per workspace for subscribers that are momentarily slower than the tail.
const BROADCAST_CAPACITY: usize = 4096;
/// How often a tail looks at the log even without a wake-up.
pub const CATCH_UP: Duration = Duration::from_secs(1);
/// How often revocations made by other processes are polled.
const REVOCATION_POLL: Duration = Duration::from_millis(500);
/// How far back each poll looks again: a revocation's time is taken before its commit, so one
/// may become visible after a later one was already seen.
const REVOCATION_OVERLAP_MS: i64 = 5_000;
/// Revocation signals buffered for connections that are momentarily busy (a connection that
/// falls further behind re-checks its token anyway).
const REVOCATION_CAPACITY: usize = 256;
const PAGE: u32 = 1000;

/// One workspace's fan-out point.
pub struct Hub {
    tx: broadcast::Sender<Arc<Event>>,
    wake: Notify,
    /// Each event rendered once per query shape, shared by every subscriber of that shape.
    renders: Mutex<HashMap<(Shape, i64), Rendering>>,
    /// The newest cursor known in this workspace; only renderings near it are kept.
    newest: AtomicI64,
}

/// One event rendered for one query shape, filled by the first subscriber that needs it.
type Rendering = Arc<OnceCell<Arc<str>>>;

/// How many recent cursors keep their rendered results.
const RENDERS_KEPT: i64 = 4096;

impl Hub {
    fn new() -> Arc<Hub> {
        Arc::new(Hub {
            tx: broadcast::channel(BROADCAST_CAPACITY).0,
            wake: Notify::new(),
            renders: Mutex::default(),
            newest: AtomicI64::new(0),
        })
    }

    /// `cursor` exists in this workspace's log.
    pub fn saw(&self, cursor: i64) {
        self.newest.fetch_max(cursor, Ordering::Relaxed);
    }

    /// The result of `render` for (query shape, event cursor): computed by the first subscriber
    /// that needs it, shared with the rest. Events older than the last `RENDERS_KEPT` (a
    /// replay of history) are rendered but not kept: the tail prunes only as new events come,
    /// so keeping them would hold a rendering of every replayed event.
    pub async fn rendered<F>(&self, shape: &Shape, cursor: i64, render: F) -> Arc<str>
    where
        F: std::future::Future<Output = Arc<str>>,
    {
        if cursor < self.newest.load(Ordering::Relaxed) - RENDERS_KEPT {
            return render.await;
        }
        let cell = match self.renders.lock() {
            Ok(mut map) => map.entry((shape.clone(), cursor)).or_default().clone(),
            Err(_) => Arc::new(OnceCell::new()),
        };
        cell.get_or_init(|| render).await.clone()
    }

    fn prune(&self, below: i64) {
        if let Ok(mut map) = self.renders.lock() {
            map.retain(|(_, c), _| *c >= below);
        }
    }
}

pub struct Hubs {
    store: Arc<dyn Store>,
    hubs: Mutex<HashMap<WorkspaceId, Arc<Hub>>>,
    revocations: broadcast::Sender<Arc<Revoked>>,
    /// Changes whenever security events were committed (any organization, any node).
    security: watch::Sender<u64>,
    /// Forgets what each revocation signal names.
    credentials: Arc<Credentials>,
    metrics: Arc<Metrics>,
    /// Tokens already signalled as revoked (by this node, another's notification, or the
    /// poll), with when: each revocation is signalled once.
    signalled: Mutex<HashMap<TokenId, i64>>,
}

impl Hubs {
    /// The bus of one node; starts the revocation poll (needs a Tokio runtime).
    pub fn new(store: Arc<dyn Store>, credentials: Arc<Credentials>, metrics: Arc<Metrics>) -> Arc<Self> {
        let hubs = Arc::new(Hubs {
            store,
            hubs: Mutex::new(HashMap::new()),
            revocations: broadcast::channel(REVOCATION_CAPACITY).0,
            security: watch::channel(0).0,
            credentials,
            metrics,
            signalled: Mutex::default(),
        });
        tokio::spawn(hubs.clone().poll_revocations());
        tokio::spawn(hubs.clone().poll_access_changes());
        hubs
    }

    /// Join a workspace's hub (starting it if none runs): the hub, and a receiver of every
    /// event committed from now on. A new hub's tail starts from the log's head as it was read
    /// *before* the receiver existed, so an event committed between the two is still sent;
    /// anything older the caller reads from the log after joining.
    pub async fn join(self: &Arc<Self>, ws: &WorkspaceId) -> (Arc<Hub>, broadcast::Receiver<Arc<Event>>) {
        if let Some(joined) = self.join_running(ws) {
            return joined;
        }
        let start = match self.store.last_cursor(ws).await {
            Ok(c) => c.unwrap_or(0),
            Err(e) => {
                tracing::error!(error = %e, workspace = %ws, "tail starts from the beginning of the log");
                0
            }
        };
        let Ok(mut hubs) = self.hubs.lock() else {
            // A poisoned lock means a panic elsewhere; serve from a fresh, private hub.
            let hub = Hub::new();
            let rx = hub.tx.subscribe();
            return (hub, rx);
        };
        if let Some(hub) = hubs.get(ws) {
            return (hub.clone(), hub.tx.subscribe());
        }
        let hub = Hub::new();
        let rx = hub.tx.subscribe();
        hubs.insert(ws.clone(), hub.clone());
        tokio::spawn(self.clone().tail(ws.clone(), hub.clone(), start));
        (hub, rx)
    }

    /// The running hub of `ws` and a new receiver of it, if one runs.
    fn join_running(&self, ws: &WorkspaceId) -> Option<(Arc<Hub>, broadcast::Receiver<Arc<Event>>)> {
        let hubs = self.hubs.lock().ok()?;
        hubs.get(ws).map(|hub| (hub.clone(), hub.tx.subscribe()))
    }

    /// What is revoked from now on, on this node or elsewhere.
    pub fn revocations(&self) -> broadcast::Receiver<Arc<Revoked>> {
        self.revocations.subscribe()
    }

    /// A signal that changes whenever security events were recorded (followers of an
    /// organization's security log re-read it; they also look once a second regardless).
    pub fn security(&self) -> watch::Receiver<u64> {
        self.security.subscribe()
    }

    /// Send the workspace's events after `last` to the hub's receivers, woken by commits on this
    /// node and every `CATCH_UP` (other nodes' commits); ends when no receiver is left.
    async fn tail(self: Arc<Self>, ws: WorkspaceId, hub: Arc<Hub>, mut last: i64) {
        hub.saw(last);
        // Whatever was committed since `last` was read goes out first.
        hub.wake.notify_one();
        loop {
            tokio::select! {
                _ = hub.wake.notified() => {}
                _ = tokio::time::sleep(CATCH_UP) => {}
            }
            {
                let Ok(mut hubs) = self.hubs.lock() else { return };
                if hub.tx.receiver_count() == 0 {
                    hubs.remove(&ws);
                    return;
                }
            }
            loop {
                match self.store.events_after(&ws, last, PAGE).await {
                    Ok(batch) if batch.is_empty() => break,
                    Ok(batch) => {
                        let full = batch.len() as u32 == PAGE;
                        for e in batch {
                            last = e.cursor;
                            hub.saw(last);
                            let _ = hub.tx.send(Arc::new(e));
                            if last % 256 == 0 {
                                hub.prune(last - RENDERS_KEPT);
                            }
                        }
                        if !full {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, workspace = %ws, "tail cannot read the log; will retry");
                        break;
                    }
                }
            }
        }
    }

    /// Revocations made by other processes (the command line on SQLite; on PostgreSQL other
    /// nodes also notify): each poll reads the tokens revoked since the newest one seen, looking
    /// [`REVOCATION_OVERLAP_MS`] further back; those not signalled yet are.
    async fn poll_revocations(self: Arc<Self>) {
        let mut newest = self.store.last_revocation().await.unwrap_or(0);
        loop {
            tokio::time::sleep(REVOCATION_POLL).await;
            let rows = match self.store.revoked_since(newest - REVOCATION_OVERLAP_MS).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot poll revocations");
                    continue;
                }
            };
            if rows.len() >= 10_000 {
                self.revoked(&Revoked::Everything);
            }
            newest = rows.iter().map(|(_, at)| *at).fold(newest, i64::max);
            self.revoked(&Revoked::Tokens(rows.into_iter().map(|(id, _)| id).collect()));
            if let Ok(mut signalled) = self.signalled.lock() {
                let keep_after = newest.min(now_millis()) - 2 * REVOCATION_OVERLAP_MS;
                signalled.retain(|_, at| *at > keep_after);
            }
        }
    }

    /// Membership changes recorded by other nodes (this node signals its own at once): each
    /// poll reads those since the newest seen, looking [`REVOCATION_OVERLAP_MS`] further back,
    /// and signals those not seen yet.
    async fn poll_access_changes(self: Arc<Self>) {
        let mut newest = now_millis();
        let mut seen: std::collections::HashSet<(tessera_core::ids::UserId, i64)> = Default::default();
        loop {
            tokio::time::sleep(REVOCATION_POLL).await;
            let rows = match self.store.access_changed_since(newest - REVOCATION_OVERLAP_MS).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot poll membership changes");
                    continue;
                }
            };
            newest = rows.iter().map(|(_, at)| *at).fold(newest, i64::max);
            for (user, at) in rows {
                if seen.insert((user.clone(), at)) {
                    self.revoked(&Revoked::Access(user));
                }
            }
            let keep_after = newest - 2 * REVOCATION_OVERLAP_MS;
            seen.retain(|(_, at)| *at > keep_after);
        }
    }

    /// The tokens of `ids` not signalled before (now marked signalled).
    fn not_yet_signalled(&self, ids: &[TokenId]) -> Vec<TokenId> {
        let Ok(mut signalled) = self.signalled.lock() else { return ids.to_vec() };
        let now = now_millis();
        ids.iter().filter(|id| signalled.insert((*id).clone(), now).is_none()).cloned().collect()
    }
}

impl Bus for Hubs {
    fn appended(&self, ws: &WorkspaceId) {
        if let Ok(hubs) = self.hubs.lock() {
            if let Some(hub) = hubs.get(ws) {
                hub.wake.notify_one();
            }
        }
    }

    fn revoked(&self, what: &Revoked) {
        let what = match what {
            Revoked::Tokens(ids) => match self.not_yet_signalled(ids) {
                fresh if fresh.is_empty() => return,
                fresh => Revoked::Tokens(fresh),
            },
            other => other.clone(),
        };
        self.metrics.revocations.fetch_add(1, Ordering::Relaxed);
        self.credentials.forget(&what);
        let _ = self.revocations.send(Arc::new(what));
    }

    fn security_recorded(&self) {
        self.security.send_modify(|n| *n += 1);
    }

    fn resync(&self) {
        if let Ok(hubs) = self.hubs.lock() {
            hubs.values().for_each(|hub| hub.wake.notify_one());
        }
        self.security_recorded();
        self.revoked(&Revoked::Everything);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_replay_of_old_events_is_rendered_but_not_kept() {
        let hub = Hub::new();
        hub.saw(10_000);
        let shape: Shape = Arc::from("subscription { commands { cursor } }");
        let old = hub.rendered(&shape, 10, async { Arc::from("old") }).await;
        let recent = hub.rendered(&shape, 9_000, async { Arc::from("recent") }).await;
        assert_eq!((&*old, &*recent), ("old", "recent"));
        let kept: Vec<i64> = hub.renders.lock().map(|m| m.keys().map(|k| k.1).collect()).unwrap_or_default();
        assert_eq!(kept, vec![9_000], "only renderings near the newest event are kept");
    }

    #[tokio::test]
    async fn renderings_are_shared_only_by_identical_shapes() {
        let hub = Hub::new();
        hub.saw(1);
        let a: Shape =
            Arc::from(r#"[null,{"ws":"w"},"subscription($ws:String!){ commands(workspaceId:$ws) { cursor } }"]"#);
        let same: Shape = Arc::from(a.to_string());
        let other: Shape =
            Arc::from(r#"[null,{"ws":"w"},"subscription($ws:String!){ commands(workspaceId:$ws) { id } }"]"#);
        assert_eq!(&*hub.rendered(&a, 1, async { Arc::from("A") }).await, "A");
        assert_eq!(&*hub.rendered(&same, 1, async { Arc::from("not rendered again") }).await, "A");
        assert_eq!(&*hub.rendered(&other, 1, async { Arc::from("B") }).await, "B");
    }
}
