//! Group commit for token inserts and security events. Issuing a token is one small durable
//! write; with a full fsync per commit, committing each alone caps grants at the disk's commit
//! rate. Concurrent inserts are queued and written together in one transaction (one fsync),
//! and each caller is answered only after that commit. A job's tokens and its security events
//! commit together. A refresh-token exchange is a job too: its old token is marked rotated in
//! the same transaction, and only if that wins are its new tokens written. If a batch fails,
//! its jobs are retried one by one, so one bad insert cannot fail the others.

use crate::rows::{db_err, to_json};
use sqlx::AnyPool;
use std::collections::HashSet;
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
    /// A refresh token to mark rotated at this time; the job is written only if it was not yet.
    rotate: Option<(String, i64)>,
    tokens: Tokens,
    events: Vec<NewSecurityEvent>,
    /// Whether the job was written (false: its token had already been rotated).
    done: oneshot::Sender<Result<bool>>,
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
        self.submit(None, tokens, events).await.map(|_| ())
    }

    /// Mark the refresh token `id` rotated and insert these tokens and events, in one commit;
    /// false (nothing written) if `id` had already been rotated.
    pub(crate) async fn rotate(
        &self,
        id: &str,
        at: i64,
        tokens: Tokens,
        events: Vec<NewSecurityEvent>,
    ) -> Result<bool> {
        self.submit(Some((id.to_string(), at)), tokens, events).await
    }

    async fn submit(
        &self,
        rotate: Option<(String, i64)>,
        tokens: Tokens,
        events: Vec<NewSecurityEvent>,
    ) -> Result<bool> {
        let (done, answer) = oneshot::channel();
        let job = Job { rotate, tokens, events, done };
        self.queue.send(job).map_err(|_| Error::internal("the token writer has stopped"))?;
        answer.await.map_err(|_| Error::internal("the token writer has stopped"))?
    }
}

async fn run(pool: AnyPool, postgres: bool, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match write(&pool, postgres, &batch).await {
            Ok(won) => batch.drain(..).zip(won).for_each(|(j, won)| {
                let _ = j.done.send(Ok(won));
            }),
            Err(_) => {
                for j in batch.drain(..) {
                    let written = write(&pool, postgres, std::slice::from_ref(&j)).await;
                    let _ = j.done.send(written.map(|won| won.first().copied().unwrap_or(false)));
                }
            }
        }
    }
}

/// Write the jobs in one transaction; tells, per job, whether it was written.
async fn write(pool: &AnyPool, postgres: bool, jobs: &[Job]) -> Result<Vec<bool>> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let won = rotate(&mut tx, jobs).await?;
    let written = || jobs.iter().zip(&won).filter(|(_, w)| **w).map(|(j, _)| j);
    let tokens: Vec<&(TokenRecord, String)> = written().flat_map(|j| j.tokens.iter()).collect();
    let events: Vec<&NewSecurityEvent> = written().flat_map(|j| j.events.iter()).collect();
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
    tx.commit().await.map_err(db_err)?;
    Ok(won)
}

/// Mark the jobs' refresh tokens rotated (one statement); a job wins if its token was not
/// rotated before and no earlier job of the batch took it.
async fn rotate(conn: &mut sqlx::AnyConnection, jobs: &[Job]) -> Result<Vec<bool>> {
    let wanted: Vec<&(String, i64)> = jobs.iter().filter_map(|j| j.rotate.as_ref()).collect();
    let mut fresh: HashSet<String> = HashSet::new();
    if !wanted.is_empty() {
        let marks: Vec<String> = (2..wanted.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!(
            "UPDATE tokens SET rotated_at = $1 WHERE rotated_at IS NULL AND id IN ({}) RETURNING id",
            marks.join(", ")
        );
        // One time for the statement: the earliest of the batch (within milliseconds of each).
        let at = wanted.iter().map(|(_, at)| *at).min().unwrap_or_default();
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(at);
        for (id, _) in &wanted {
            query = query.bind(id.as_str());
        }
        fresh = query.fetch_all(&mut *conn).await.map_err(db_err)?.into_iter().collect();
    }
    Ok(jobs.iter().map(|j| j.rotate.as_ref().is_none_or(|(id, _)| fresh.remove(id))).collect())
}
