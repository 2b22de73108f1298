//! Group commit for token inserts and security events. Issuing a token is one small durable
//! write; with a full fsync per commit, committing each alone caps grants at the disk's commit
//! rate. Concurrent inserts are queued and written together in one transaction (one fsync),
//! and each caller is answered only after that commit. A job's tokens and its security events
//! commit together. If a batch fails, its jobs are retried one by one, so one bad insert cannot
//! fail the others.

use crate::rows::{db_err, to_json};
use sqlx::AnyPool;
use tessera_core::audit::NewSecurityEvent;
use tessera_core::auth::TokenRecord;
use tessera_core::{Error, Result};
use tokio::sync::{mpsc, oneshot};

/// Most inserts one commit carries.
const MAX_BATCH: usize = 256;
/// Rows per `INSERT` statement (10 parameters each; well inside both databases' limits).
const ROWS_PER_STATEMENT: usize = 64;

type Tokens = Vec<(TokenRecord, String)>;

struct Job {
    tokens: Tokens,
    events: Vec<NewSecurityEvent>,
    done: oneshot::Sender<Result<()>>,
}

pub(crate) struct TokenBatcher {
    queue: mpsc::UnboundedSender<Job>,
}

impl TokenBatcher {
    /// The writer for `pool`; with `postgres`, security events notify other nodes.
    pub(crate) fn start(pool: AnyPool, postgres: bool) -> Self {
        let (queue, jobs) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, postgres, jobs));
        TokenBatcher { queue }
    }

    /// Insert these tokens and events durably (returns after their commit).
    pub(crate) async fn insert(&self, tokens: Tokens, events: Vec<NewSecurityEvent>) -> Result<()> {
        let (done, answer) = oneshot::channel();
        self.queue.send(Job { tokens, events, done }).map_err(|_| Error::internal("the token writer has stopped"))?;
        answer.await.map_err(|_| Error::internal("the token writer has stopped"))?
    }
}

async fn run(pool: AnyPool, postgres: bool, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match write(&pool, postgres, &batch).await {
            Ok(()) => batch.drain(..).for_each(|j| {
                let _ = j.done.send(Ok(()));
            }),
            Err(_) => {
                for j in batch.drain(..) {
                    let written = write(&pool, postgres, std::slice::from_ref(&j)).await;
                    let _ = j.done.send(written);
                }
            }
        }
    }
}

async fn write(pool: &AnyPool, postgres: bool, jobs: &[Job]) -> Result<()> {
    let tokens: Vec<&(TokenRecord, String)> = jobs.iter().flat_map(|j| j.tokens.iter()).collect();
    let events: Vec<&NewSecurityEvent> = jobs.iter().flat_map(|j| j.events.iter()).collect();
    let mut tx = pool.begin().await.map_err(db_err)?;
    for chunk in tokens.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let n: Vec<String> = (1..=10).map(|c| format!("${}", r * 10 + c)).collect();
                format!("({})", n.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO tokens (id, hash, kind, user_id, client_id, scopes, workspaces, expires_at, created_at, family_id)
             VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (t, hash) in chunk.iter().copied() {
            query = query
                .bind(t.id.as_str())
                .bind(hash.as_str())
                .bind(t.kind.as_str())
                .bind(t.user_id.as_str())
                .bind(t.client_id.as_deref())
                .bind(t.scopes.as_str())
                .bind(t.workspaces.as_ref().map(to_json).transpose()?)
                .bind(t.expires_at)
                .bind(t.created_at)
                .bind(t.family_id.as_deref());
        }
        query.execute(&mut *tx).await.map_err(db_err)?;
    }
    // Last, so the organizations' counter rows are locked only until the commit.
    crate::audit::write(&mut tx, &events, postgres).await?;
    tx.commit().await.map_err(db_err)
}
