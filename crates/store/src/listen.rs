//! Cross-node wake-ups on PostgreSQL: every node LISTENs for the notifications that writing
//! transactions send at commit, and wakes its own subscribers, who then read the log. The
//! log stays the truth: a lost notification only delays delivery until the next catch-up
//! (each workspace tail also looks at the log once a second), and after a lost connection the
//! node re-reads everything.

use crate::open::{EVENTS_CHANNEL, REVOCATIONS_CHANNEL, SECURITY_CHANNEL};
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tessera_core::ids::WorkspaceId;
use tessera_core::ports::Bus;

pub(crate) fn spawn(url: String, bus: Arc<dyn Bus>) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = listen(&url, bus.as_ref()).await {
                tracing::warn!(error = %e, "lost the database notification channel; reconnecting");
            }
            bus.resync();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn listen(url: &str, bus: &dyn Bus) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen_all([EVENTS_CHANNEL, REVOCATIONS_CHANNEL, SECURITY_CHANNEL]).await?;
    // Anything committed before LISTEN took effect is picked up by reading the log now.
    bus.resync();
    loop {
        match listener.try_recv().await? {
            Some(n) if n.channel() == EVENTS_CHANNEL => {
                let ws = n.payload().split_once(':').map_or(n.payload(), |(ws, _)| ws);
                bus.appended(&WorkspaceId(ws.to_string()));
            }
            Some(n) if n.channel() == SECURITY_CHANNEL => bus.security_recorded(),
            Some(n) => bus.revoked(&crate::open::parse_revocation(n.payload())),
            // The connection dropped (the listener reconnects on the next call): notifications
            // sent meanwhile are lost, so look at everything again.
            None => bus.resync(),
        }
    }
}
