//! Group commit of workspace writes. On SQLite every commit is an fsync, and the one writer
//! connection does one transaction at a time, so committing each mutation alone caps writes at
//! the disk's commit rate. Here writes run one after another in one open transaction, each
//! inside a savepoint of its own, and a committer commits whatever is in it as soon as it gets
//! its turn, answering every writer of the batch only after that commit. Under load, the
//! writes that queue up during one commit's fsync make the next batch.
//!
//! A write that reads nothing before its end (a creation, a comment: most writes) is handed
//! whole to the committer, which runs the queued ones back to back on a thread of its own, so
//! the shared transaction never waits for a busy request thread to pick up a write's next
//! step. A write that must read first (an update reads the element it changes) takes its turn
//! in the transaction itself.
//!
//! Round trips to SQLite's connection thread cost more than the statements (each wakes a
//! thread twice), so a job's statements are sent together: those whose results are not needed
//! wait and go with the next one that returns something, or with the job's end. A creation is
//! then one round trip (savepoint, row, counter, version, event, release). This relies on
//! sqlx's SQLite driver running the statements of one query in order with one list of `$N`
//! arguments (sqlx 0.8; deprecated upstream, launchbadge/sqlx#3108): should it go, `push`
//! becomes one round trip per statement, as on PostgreSQL.
//!
//! Cursors stay dense and in commit order: a job takes its workspace's next cursor inside the
//! shared transaction, jobs run one after another, and the batch commits (or fails) whole.
//! A job that fails, or whose caller goes away before it is done, is rolled back to its
//! savepoint; the rest of the batch is unaffected.
//!
//! On PostgreSQL each writer has a transaction of its own: the server already flushes the WAL
//! of concurrent commits together, and one transaction spanning several workspaces' counter
//! rows could deadlock with another node's.

use crate::open::{begin_write, Dialect};
use crate::rows::db_err;
use crate::stmt::first_column;
pub(crate) use crate::stmt::{Column, Stmt};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, AnyPool, Transaction};
use std::sync::{Arc, Weak};
use tessera_core::{Error, Result};
use tokio::sync::{mpsc, oneshot, Mutex, MutexGuard};

pub(crate) struct Group {
    pool: AnyPool,
    dialect: Dialect,
    open: Mutex<Open>,
    /// Whole writes, for the committer to run.
    queued: std::sync::Mutex<Vec<Queued>>,
    /// Tells the committer there is work (capacity 1: one pending wake covers everything
    /// queued or finished before the committer takes its turn).
    wake: mpsc::Sender<()>,
}

#[derive(Default)]
struct Open {
    tx: Option<Transaction<'static, Any>>,
    /// The last write was left unfinished: roll back to its savepoint before anything else.
    undo: bool,
    /// The writers of what `tx` holds, answered after its commit (with the error if it failed).
    waiting: Vec<Answer>,
}

type Answer = Box<dyn FnOnce(Option<&Error>) + Send>;

/// A write handed over whole: its statements (savepoint to release) and where its row goes.
struct Queued {
    stmt: Stmt,
    done: oneshot::Sender<Result<Option<AnyRow>>>,
}

impl Group {
    pub(crate) fn start(pool: AnyPool, dialect: Dialect) -> Result<Arc<Self>> {
        let (wake, wakes) = mpsc::channel(1);
        let open = Mutex::new(Open::default());
        let group = Arc::new(Group { pool, dialect, open, queued: Default::default(), wake });
        if dialect == Dialect::Sqlite {
            let group = Arc::downgrade(&group);
            // Ends when the group is dropped (its sender with it).
            crate::open::on_own_thread("tessera-writer", commit_when_woken(group, wakes))?;
        }
        Ok(group)
    }

    /// Start a write. Run its statements with [`Writing::exec`] and [`Writing::fetch_optional`]
    /// and finish it with [`Writing::commit_returning`]; dropped unfinished, nothing of it is
    /// written.
    pub(crate) async fn write(&self) -> Result<Writing<'_>> {
        if self.dialect == Dialect::Postgres {
            let tx = begin_write(&self.pool, self.dialect).await?;
            return Ok(Writing { job: Job::Own(tx), pending: Stmt::default(), started: true });
        }
        Ok(Writing { job: Job::Unsent(self), pending: Stmt::new("SAVEPOINT job"), started: false })
    }

    /// Take the shared transaction (opening it if needed), after the writers before.
    async fn enter(&self) -> Result<MutexGuard<'_, Open>> {
        let mut open = self.open.lock().await;
        self.settle(&mut open).await;
        if open.tx.is_none() {
            open.tx = Some(begin_write(&self.pool, self.dialect).await?);
        }
        Ok(open)
    }

    /// Roll back a write left unfinished; if even that fails, give up the whole batch.
    async fn settle(&self, open: &mut Open) {
        let (true, Some(tx)) = (std::mem::take(&mut open.undo), open.tx.as_deref_mut()) else { return };
        let undone = match sqlx::query("ROLLBACK TO job").execute(&mut *tx).await {
            Ok(_) => sqlx::query("RELEASE job").execute(&mut *tx).await,
            Err(e) => Err(e),
        };
        if let Err(e) = undone {
            tracing::error!(error = %e, "cannot roll back an unfinished write; its batch is abandoned");
            open.tx = None;
            let failed = db_err(e);
            open.waiting.drain(..).for_each(|answer| answer(Some(&failed)));
        }
    }

    /// Run the whole writes queued so far, one after another, in the shared transaction.
    async fn run_queued(&self, open: &mut Open) {
        let queued = std::mem::take(&mut *self.queued.lock().unwrap_or_else(|e| e.into_inner()));
        for Queued { stmt, done } in queued {
            if open.tx.is_none() {
                match begin_write(&self.pool, self.dialect).await {
                    Ok(tx) => open.tx = Some(tx),
                    Err(e) => {
                        let _ = done.send(Err(e));
                        continue;
                    }
                }
            }
            let ran = match conn(open) {
                Ok(c) => stmt.fetch_row(c).await,
                Err(e) => Err(e),
            };
            match ran {
                Ok(row) => open.waiting.push(Box::new(move |failed| {
                    let _ = done.send(failed.map_or(Ok(row), |e| Err(again(e))));
                })),
                Err(e) => {
                    // The savepoint was sent first, whatever failed after it.
                    open.undo = true;
                    self.settle(open).await;
                    let _ = done.send(Err(e));
                }
            }
        }
    }

    /// Commit the open batch, if any, and answer its writers.
    async fn commit(&self) {
        let mut open = self.open.lock().await;
        self.settle(&mut open).await;
        self.run_queued(&mut open).await;
        let Some(tx) = open.tx.take() else { return };
        let failed = tx.commit().await.err().map(db_err);
        if let Some(e) = &failed {
            tracing::error!(error = %e, writes = open.waiting.len(), "cannot commit a batch of writes");
        }
        open.waiting.drain(..).for_each(|answer| answer(failed.as_ref()));
    }
}

/// The shared transaction's connection (it is open while a write has its turn).
fn conn(open: &mut Open) -> Result<&mut AnyConnection> {
    open.tx.as_deref_mut().ok_or_else(|| Error::internal("no open transaction"))
}

/// The error a writer of a failed batch gets: unavailable (a full disk, say) stays so, since the
/// client may retry; anything else is internal.
fn again(e: &Error) -> Error {
    match e {
        Error::Unavailable(why) => Error::Unavailable(why.clone()),
        other => Error::internal(other),
    }
}

async fn commit_when_woken(group: Weak<Group>, mut wakes: mpsc::Receiver<()>) {
    while wakes.recv().await.is_some() {
        let Some(group) = group.upgrade() else { return };
        group.commit().await;
    }
}

/// One write in progress: its own transaction (PostgreSQL), or a write in the shared one.
pub(crate) struct Writing<'g> {
    job: Job<'g>,
    /// Statements not sent yet (SQLite), with their arguments.
    pending: Stmt,
    /// Whether the write's savepoint was sent (something to roll back to).
    started: bool,
}

enum Job<'g> {
    Own(Transaction<'static, Any>),
    /// Nothing sent yet: the statements wait in `pending`.
    Unsent(&'g Group),
    /// Its turn in the shared transaction.
    Grouped(&'g Group, MutexGuard<'g, Open>),
    Finished,
}

impl Writing<'_> {
    /// Run a statement whose result is not needed (SQLite: sent with the next that has one).
    pub(crate) async fn exec(&mut self, s: Stmt) -> Result<()> {
        match &mut self.job {
            Job::Own(tx) => s.execute(tx).await,
            _ => {
                self.pending.push(s);
                Ok(())
            }
        }
    }

    /// Run a statement (after those waiting) and read the first column of its first row.
    pub(crate) async fn fetch_optional<T: Column>(&mut self, s: Stmt) -> Result<Option<T>> {
        if let Job::Unsent(group) = self.job {
            self.job = Job::Grouped(group, group.enter().await?);
        }
        match &mut self.job {
            Job::Own(tx) => first_column(s.fetch_row(tx).await?),
            Job::Grouped(_, open) => {
                self.pending.push(s);
                self.started = true;
                first_column(std::mem::take(&mut self.pending).fetch_row(conn(open)?).await?)
            }
            Job::Unsent(_) | Job::Finished => unreachable!("a write in the shared transaction or its own"),
        }
    }

    /// Run a last statement and make the write durable; returns the first column of the
    /// statement's first row, once committed.
    pub(crate) async fn commit_returning<T: Column>(mut self, last: Stmt) -> Result<Option<T>> {
        let mut pending = std::mem::take(&mut self.pending);
        match std::mem::replace(&mut self.job, Job::Finished) {
            Job::Own(mut tx) => {
                let row = last.fetch_row(&mut tx).await?;
                tx.commit().await.map_err(db_err)?;
                first_column(row)
            }
            Job::Unsent(group) => {
                pending.push(last);
                pending.push(Stmt::new("RELEASE job"));
                let (done, row) = oneshot::channel();
                group.queued.lock().unwrap_or_else(|e| e.into_inner()).push(Queued { stmt: pending, done });
                let _ = group.wake.try_send(());
                first_column(row.await.map_err(|_| Error::internal("the writer has stopped"))??)
            }
            Job::Grouped(group, mut open) => {
                pending.push(last);
                pending.push(Stmt::new("RELEASE job"));
                let ran = match conn(&mut open) {
                    Ok(c) => pending.fetch_row(c).await,
                    Err(e) => Err(e),
                };
                let row = match ran {
                    Ok(row) => row,
                    Err(e) => {
                        // The savepoint was sent first, whatever failed after it.
                        open.undo = true;
                        return Err(e);
                    }
                };
                let (done, committed) = oneshot::channel();
                open.waiting.push(Box::new(move |failed| {
                    let _ = done.send(failed.map_or(Ok(()), |e| Err(again(e))));
                }));
                drop(open);
                let _ = group.wake.try_send(());
                committed.await.map_err(|_| Error::internal("the writer has stopped"))??;
                first_column(row)
            }
            Job::Finished => Ok(None),
        }
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        if let (Job::Grouped(_, open), true) = (&mut self.job, self.started) {
            open.undo = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A group over a fresh SQLite file (a file: a batch's commit is a real one).
    async fn group(name: &str) -> (Arc<Group>, AnyPool) {
        sqlx::any::install_default_drivers();
        let path = std::env::temp_dir().join(format!("tessera-group-{}-{name}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&url).await.expect("db");
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY)").execute(&pool).await.expect("table");
        (Group::start(pool.clone(), Dialect::Sqlite).expect("group"), pool)
    }

    async fn rows(pool: &AnyPool) -> Vec<i64> {
        sqlx::query_scalar("SELECT id FROM t ORDER BY id").fetch_all(pool).await.expect("rows")
    }

    fn insert(id: i64) -> Stmt {
        Stmt::new("INSERT INTO t (id) VALUES ($1)").bind(id)
    }

    fn insert_returning(id: i64) -> Stmt {
        Stmt::new("INSERT INTO t (id) VALUES ($1) RETURNING id").bind(id)
    }

    /// Whole writes queued while the transaction is busy share one commit; one that fails is
    /// rolled back whole (its first statement too) and the others are written.
    #[tokio::test]
    async fn a_failing_write_in_a_batch_leaves_the_others_written() {
        let (group, pool) = group("failing").await;
        let busy = group.open.lock().await;
        let write = |statements: Vec<Stmt>, last: Stmt| {
            let group = group.clone();
            tokio::spawn(async move {
                let mut w = group.write().await?;
                for s in statements {
                    w.exec(s).await?;
                }
                w.commit_returning::<i64>(last).await
            })
        };
        let first = write(vec![], insert_returning(1));
        // Inserts 2, then fails on 1.
        let failing = write(vec![insert(2)], insert_returning(1));
        let last = write(vec![insert(3)], insert_returning(4));
        while group.queued.lock().unwrap().len() < 3 {
            tokio::task::yield_now().await;
        }
        drop(busy);
        assert_eq!(first.await.expect("task").expect("first"), Some(1));
        assert!(failing.await.expect("task").is_err());
        assert_eq!(last.await.expect("task").expect("last"), Some(4));
        assert_eq!(rows(&pool).await, vec![1, 3, 4]);
    }

    /// A write given up after its statements were sent (its caller went away) is rolled back
    /// before the next one runs; nothing of it is committed.
    #[tokio::test]
    async fn a_write_given_up_midway_is_rolled_back() {
        let (group, pool) = group("abandoned").await;
        let mut abandoned = group.write().await.expect("write");
        abandoned.exec(insert(7)).await.expect("insert");
        let seen: Option<i64> = abandoned.fetch_optional(Stmt::new("SELECT count(*) FROM t")).await.expect("read");
        assert_eq!(seen, Some(1), "the insert was sent, in the open transaction");
        drop(abandoned);
        let next = group.write().await.expect("write");
        assert_eq!(next.commit_returning::<i64>(insert_returning(8)).await.expect("commit"), Some(8));
        assert_eq!(rows(&pool).await, vec![8]);
    }

    /// A write that read first (its turn in the transaction) and then fails in its last
    /// statement is rolled back whole: its first insert is not committed with the next write.
    #[tokio::test]
    async fn a_write_that_read_first_and_then_failed_is_rolled_back() {
        let (group, pool) = group("read-first").await;
        let mut failing = group.write().await.expect("write");
        failing.exec(insert(10)).await.expect("insert");
        let seen: Option<i64> = failing.fetch_optional(Stmt::new("SELECT count(*) FROM t")).await.expect("read");
        assert_eq!(seen, Some(1));
        assert!(failing.commit_returning::<i64>(insert_returning(10)).await.is_err(), "a duplicate key");
        let next = group.write().await.expect("write");
        assert_eq!(next.commit_returning::<i64>(insert_returning(11)).await.expect("commit"), Some(11));
        assert_eq!(rows(&pool).await, vec![11]);
    }
}
