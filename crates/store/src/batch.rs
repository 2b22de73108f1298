//! Group commit for token inserts and security events. Issuing a token is one small durable
//! write; with a full fsync per commit, committing each alone caps grants at the disk's commit
//! rate. Concurrent inserts are queued and written together in one transaction (one fsync),
//! and each caller is answered only after that commit. A job's tokens and its security events
//! commit together. A job may carry conditions, checked in the same transaction: a refresh-token
//! exchange marks its old token rotated, and is written only if that wins; tokens of a user's
//! grant are written only if the grant's consent still stands (not withdrawn). If a batch fails,
//! its jobs are retried one by one, so one bad insert cannot fail the others.

use crate::open::Dialect;
use crate::rows::{db_err, to_json};
use crate::stmt::{list, mark, value_rows};
use sqlx::AnyPool;
use std::collections::HashSet;
use tessera_core::audit::NewSecurityEvent;
use tessera_core::auth::TokenRecord;
use tessera_core::ids::{TokenId, UserId};
use tessera_core::ports::TokenWrite;
use tessera_core::{Error, Result};
use tokio::sync::{mpsc, oneshot};

/// Most inserts one commit carries.
const MAX_BATCH: usize = 256;
/// Rows per `INSERT` statement (10 parameters each; well inside both databases' limits).
const ROWS_PER_STATEMENT: usize = 64;

struct Job {
    write: TokenWrite,
    /// Whether the job was written (false: a condition of it failed).
    done: oneshot::Sender<Result<bool>>,
}

pub(crate) struct TokenBatcher {
    queue: mpsc::UnboundedSender<Job>,
}

impl TokenBatcher {
    /// The writer for `pool`; on PostgreSQL, security events notify other nodes and rows read
    /// for a condition are locked. On SQLite it runs on a thread of its own (a batch is several
    /// turns with SQLite's connection thread, and on a busy request thread each turn waits in
    /// line: that halved the grant rate); PostgreSQL's connections belong to the main runtime.
    pub(crate) fn start(pool: AnyPool, dialect: Dialect) -> Result<Self> {
        let (queue, jobs) = mpsc::unbounded_channel();
        let postgres = dialect == Dialect::Postgres;
        if postgres {
            tokio::spawn(run(pool, postgres, jobs));
        } else {
            crate::open::on_own_thread("tessera-tokens", run(pool, postgres, jobs))?;
        }
        Ok(TokenBatcher { queue })
    }

    /// Write durably (returns after the commit); false when a condition failed and nothing
    /// of this write was written.
    pub(crate) async fn submit(&self, write: TokenWrite) -> Result<bool> {
        let (done, answer) = oneshot::channel();
        self.queue.send(Job { write, done }).map_err(|_| Error::internal("the token writer has stopped"))?;
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
    let dialect = if postgres { crate::open::Dialect::Postgres } else { crate::open::Dialect::Sqlite };
    let mut tx = crate::open::begin_write(pool, dialect).await?;
    let granted = consents_stand(&mut tx, postgres, jobs).await?;
    let won = rotate(&mut tx, postgres, jobs, &granted).await?;
    let written = || jobs.iter().zip(&won).filter(|(_, w)| **w).map(|(j, _)| &j.write);
    let tokens: Vec<&(TokenRecord, String)> = written().flat_map(|w| w.tokens.iter()).collect();
    let events: Vec<&NewSecurityEvent> = written().flat_map(|w| w.events.iter()).collect();
    for chunk in tokens.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO tokens (id, hash, kind, user_id, client_id, scopes, workspaces, expires_at, created_at, family_id)
             VALUES {}",
            value_rows(postgres, chunk.len(), 10, 1)
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

/// Per job: whether the grant its tokens come from still stands (its consent exists). On
/// PostgreSQL the consent rows are locked (in key order, so two batches cannot deadlock) until
/// the commit: a withdrawal (which deletes the row first) either waits for this commit and then
/// revokes these tokens too, or commits first and this job is not written.
async fn consents_stand(conn: &mut sqlx::AnyConnection, postgres: bool, jobs: &[Job]) -> Result<Vec<bool>> {
    let wanted: Vec<&(UserId, String)> = jobs.iter().filter_map(|j| j.write.grant.as_ref()).collect();
    let mut standing: HashSet<(String, String)> = HashSet::new();
    if !wanted.is_empty() {
        let lock = if postgres { " ORDER BY user_id, client_id FOR UPDATE" } else { "" };
        let sql = format!(
            "SELECT user_id, client_id FROM consents WHERE (user_id, client_id) IN ({}){lock}",
            value_rows(postgres, wanted.len(), 2, 1)
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for (user, client) in &wanted {
            query = query.bind(user.as_str()).bind(client.as_str());
        }
        standing = query.fetch_all(&mut *conn).await.map_err(db_err)?.into_iter().collect();
    }
    Ok(jobs
        .iter()
        .map(|j| j.write.grant.as_ref().is_none_or(|(u, c)| standing.contains(&(u.0.clone(), c.clone()))))
        .collect())
}

/// The statement marking `n` refresh tokens rotated (`$1` the time, `$2…` their ids). Not
/// `revoked_at IS NULL`: given that, SQLite (which keeps no statistics here) prefers the index on
/// `revoked_at` to the primary key once the list has a dozen ids, and reads every live token.
fn rotate_sql(postgres: bool, n: usize) -> String {
    format!(
        "UPDATE tokens SET rotated_at = {} WHERE rotated_at IS NULL AND coalesce(revoked_at, 0) = 0 AND id IN ({}) RETURNING id",
        mark(postgres, 1),
        list(postgres, n, 2)
    )
}

/// Mark the jobs' refresh tokens rotated (one statement); a job wins if its grant stands, its
/// token was neither rotated nor revoked before, and no earlier job of the batch took it.
async fn rotate(conn: &mut sqlx::AnyConnection, postgres: bool, jobs: &[Job], granted: &[bool]) -> Result<Vec<bool>> {
    let wanted: Vec<&(TokenId, i64)> =
        jobs.iter().zip(granted).filter(|(_, g)| **g).filter_map(|(j, _)| j.write.rotates.as_ref()).collect();
    let mut fresh: HashSet<String> = HashSet::new();
    if !wanted.is_empty() {
        let sql = rotate_sql(postgres, wanted.len());
        // One time for the statement: the earliest of the batch (within milliseconds of each).
        let at = wanted.iter().map(|(_, at)| *at).min().unwrap_or_default();
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(at);
        for (id, _) in &wanted {
            query = query.bind(id.as_str());
        }
        fresh = query.fetch_all(&mut *conn).await.map_err(db_err)?.into_iter().collect();
    }
    Ok(jobs
        .iter()
        .zip(granted)
        .map(|(j, g)| *g && j.write.rotates.as_ref().is_none_or(|(id, _)| fresh.remove(id.as_str())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch rotates up to `MAX_BATCH` tokens in one statement: each is found by its primary
    /// key, whatever the batch size, never by scanning an index over every token.
    #[tokio::test]
    async fn rotation_finds_tokens_by_their_key_in_batches_of_any_size() {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect("sqlite::memory:").await.expect("db");
        sqlx::migrate!("./migrations/sqlite").run(&pool).await.expect("migrate");
        for n in [1, 12, 64, MAX_BATCH] {
            let plan = format!("EXPLAIN QUERY PLAN {}", rotate_sql(false, n));
            let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(&plan).bind(0_i64);
            for i in 0..n {
                query = query.bind(format!("id{i}"));
            }
            let steps: Vec<String> = query.fetch_all(&pool).await.expect("plan").into_iter().map(|r| r.3).collect();
            assert!(steps.iter().any(|s| s.contains("(id=?)")), "{n} ids: {steps:?}");
            assert!(!steps.iter().any(|s| s.contains("revoked_at")), "{n} ids: {steps:?}");
        }
    }
}
