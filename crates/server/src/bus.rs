//! The in-process bus: one tail task per workspace that has subscribers reads each new batch
//! of events from the log once and fans it out; and a revocation signal that empties the
//! credential cache and tells every connection to re-check its token.
//!
//! The log is the truth. A tail is woken by commits on this node, by other nodes' commits
//! (PostgreSQL notifications, see `tessera_store`), and, as a catch-up, once a second (so
//! writes from another process — the command line — or a lost notification cost at most a
//! second).
//! Subscribers that fall behind the broadcast read the log themselves.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tessera_core::cache::Credentials;
use tessera_core::event::Event;
use tessera_core::ids::WorkspaceId;
use tessera_core::ports::{Bus, Store};
use tokio::sync::{broadcast, watch, Notify, OnceCell};

/// Events buffered per workspace for subscribers that are momentarily slower than the tail.
const BROADCAST_CAPACITY: usize = 4096;
/// How often a tail looks at the log even without a wake-up.
pub const CATCH_UP: Duration = Duration::from_secs(1);
/// How often the newest revocation time is polled.
const REVOCATION_POLL: Duration = Duration::from_millis(500);
const PAGE: u32 = 1000;

/// One workspace's fan-out point.
pub struct Hub {
    tx: broadcast::Sender<Arc<Event>>,
    wake: Notify,
    /// Each event rendered once per query shape, shared by every subscriber of that shape.
    renders: Mutex<HashMap<(u64, i64), Rendering>>,
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
    pub async fn rendered<F>(&self, shape: u64, cursor: i64, render: F) -> Arc<str>
    where
        F: std::future::Future<Output = Arc<str>>,
    {
        if cursor < self.newest.load(Ordering::Relaxed) - RENDERS_KEPT {
            return render.await;
        }
        let cell = match self.renders.lock() {
            Ok(mut map) => map.entry((shape, cursor)).or_default().clone(),
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
    revocations: watch::Sender<u64>,
    /// Changes whenever security events were committed (any organization, any node).
    security: watch::Sender<u64>,
    /// Emptied on every revocation signal.
    credentials: Arc<Credentials>,
}

impl Hubs {
    /// The bus of one node; starts the revocation poll (needs a Tokio runtime).
    pub fn new(store: Arc<dyn Store>, credentials: Arc<Credentials>) -> Arc<Self> {
        let hubs = Arc::new(Hubs {
            store,
            hubs: Mutex::new(HashMap::new()),
            revocations: watch::channel(0).0,
            security: watch::channel(0).0,
            credentials,
        });
        tokio::spawn(hubs.clone().poll_revocations());
        hubs
    }

    /// Subscribe to a workspace's live events; starts its tail if none runs.
    pub fn join(self: &Arc<Self>, ws: &WorkspaceId) -> (Arc<Hub>, broadcast::Receiver<Arc<Event>>) {
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
        tokio::spawn(self.clone().tail(ws.clone(), hub.clone()));
        (hub, rx)
    }

    /// A signal that changes whenever tokens may have been revoked, on this node or elsewhere.
    pub fn revocations(&self) -> watch::Receiver<u64> {
        self.revocations.subscribe()
    }

    /// A signal that changes whenever security events were recorded (followers of an
    /// organization's security log re-read it; they also look once a second regardless).
    pub fn security(&self) -> watch::Receiver<u64> {
        self.security.subscribe()
    }

    async fn tail(self: Arc<Self>, ws: WorkspaceId, hub: Arc<Hub>) {
        let mut last = match self.store.last_cursor(&ws).await {
            Ok(Some(c)) => c,
            Ok(None) => 0,
            Err(e) => {
                tracing::error!(error = %e, workspace = %ws, "tail cannot start; retrying on the next wake-up");
                0
            }
        };
        hub.saw(last);
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

    async fn poll_revocations(self: Arc<Self>) {
        let mut seen = self.store.last_revocation().await.unwrap_or(0);
        loop {
            tokio::time::sleep(REVOCATION_POLL).await;
            match self.store.last_revocation().await {
                Ok(at) if at != seen => {
                    seen = at;
                    self.tokens_revoked();
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot poll revocations"),
            }
        }
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

    fn tokens_revoked(&self) {
        self.credentials.forget_all();
        self.revocations.send_modify(|n| *n += 1);
    }

    fn security_recorded(&self) {
        self.security.send_modify(|n| *n += 1);
    }

    fn resync(&self) {
        if let Ok(hubs) = self.hubs.lock() {
            hubs.values().for_each(|hub| hub.wake.notify_one());
        }
        self.security_recorded();
        self.tokens_revoked();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_replay_of_old_events_is_rendered_but_not_kept() {
        let hub = Hub::new();
        hub.saw(10_000);
        let old = hub.rendered(1, 10, async { Arc::from("old") }).await;
        let recent = hub.rendered(1, 9_000, async { Arc::from("recent") }).await;
        assert_eq!((&*old, &*recent), ("old", "recent"));
        let kept: Vec<i64> = hub.renders.lock().map(|m| m.keys().map(|k| k.1).collect()).unwrap_or_default();
        assert_eq!(kept, vec![9_000], "only renderings near the newest event are kept");
    }
}
