//! Group commit of workspace writes. On SQLite every commit is an fsync, and the one writer
//! connection does one transaction at a time, so committing each mutation alone caps writes at
//! the disk's commit rate. Here writers take turns (first come, first served) in one open
//! transaction, each inside a savepoint of its own; a committer task commits whatever jobs are
//! in it as soon as it gets its turn, and answers every writer of the batch only after that
//! commit. Under load, the writers that queue up during one commit's fsync make the next batch.
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
use sqlx::{Any, AnyConnection, AnyPool, Transaction};
use std::sync::{Arc, Weak};
use tessera_core::{Error, Result};
use tokio::sync::{mpsc, oneshot, Mutex, MutexGuard};

pub(crate) struct Group {
    pool: AnyPool,
    dialect: Dialect,
    open: Mutex<Open>,
    /// Tells the committer that a job is done (capacity 1: one pending wake covers every job
    /// finished before the committer takes its turn).
    wake: mpsc::Sender<()>,
}

#[derive(Default)]
struct Open {
    tx: Option<Transaction<'static, Any>>,
    /// The last job was left unfinished: roll back to its savepoint before anything else.
    undo: bool,
    /// The writers of the jobs in `tx`, answered after its commit (`None`: committed).
    waiting: Vec<oneshot::Sender<Option<Arc<Error>>>>,
}

impl Group {
    pub(crate) fn start(pool: AnyPool, dialect: Dialect) -> Arc<Self> {
        let (wake, wakes) = mpsc::channel(1);
        let group = Arc::new(Group { pool, dialect, open: Mutex::new(Open::default()), wake });
        if dialect == Dialect::Sqlite {
            tokio::spawn(commit_when_woken(Arc::downgrade(&group), wakes));
        }
        group
    }

    /// Start a write. Run its statements with [`Writing::exec`] and [`Writing::fetch_optional`]
    /// and finish it with [`Writing::commit_returning`]; dropped unfinished, nothing of it is written.
    pub(crate) async fn write(&self) -> Result<Writing<'_>> {
        if self.dialect == Dialect::Postgres {
            let tx = begin_write(&self.pool, self.dialect).await?;
            return Ok(Writing { job: Job::Own(tx), pending: Stmt::default(), started: true });
        }
        let mut open = self.open.lock().await;
        self.settle(&mut open).await;
        if open.tx.is_none() {
            open.tx = Some(begin_write(&self.pool, self.dialect).await?);
        }
        Ok(Writing { job: Job::Grouped(self, open), pending: Stmt::new("SAVEPOINT job"), started: false })
    }

    /// Roll back a job left unfinished; if even that fails, give up the whole batch.
    async fn settle(&self, open: &mut Open) {
        if !std::mem::take(&mut open.undo) {
            return;
        }
        let undone = match sqlx::query("ROLLBACK TO job").execute(conn(open)).await {
            Ok(_) => sqlx::query("RELEASE job").execute(conn(open)).await,
            Err(e) => Err(e),
        };
        if let Err(e) = undone {
            tracing::error!(error = %e, "cannot roll back an unfinished write; its batch is abandoned");
            open.tx = None;
            let failed = Arc::new(db_err(e));
            open.waiting.drain(..).for_each(|w| {
                let _ = w.send(Some(failed.clone()));
            });
        }
    }

    /// Commit the open batch, if any, and answer its writers.
    async fn commit(&self) {
        let mut open = self.open.lock().await;
        self.settle(&mut open).await;
        let Some(tx) = open.tx.take() else { return };
        let committed = match tx.commit().await {
            Ok(()) => None,
            Err(e) => {
                tracing::error!(error = %e, jobs = open.waiting.len(), "cannot commit a batch of writes");
                Some(Arc::new(db_err(e)))
            }
        };
        open.waiting.drain(..).for_each(|w| {
            let _ = w.send(committed.clone());
        });
    }
}

fn conn<'o>(open: &'o mut Open) -> &'o mut AnyConnection {
    open.tx.as_mut().expect("a write runs in an open transaction")
}

async fn commit_when_woken(group: Weak<Group>, mut wakes: mpsc::Receiver<()>) {
    while wakes.recv().await.is_some() {
        let Some(group) = group.upgrade() else { return };
        group.commit().await;
    }
}

/// One write in progress: its own transaction (PostgreSQL), or a job in the shared one.
pub(crate) struct Writing<'g> {
    job: Job<'g>,
    /// Statements not sent yet (SQLite), with their arguments.
    pending: Stmt,
    /// Whether the job's savepoint was sent (something to roll back to).
    started: bool,
}

enum Job<'g> {
    Own(Transaction<'static, Any>),
    Grouped(&'g Group, MutexGuard<'g, Open>),
    Finished,
}

impl Writing<'_> {
    /// Run a statement whose result is not needed (SQLite: sent with the next that has one).
    pub(crate) async fn exec(&mut self, s: Stmt) -> Result<()> {
        match &mut self.job {
            Job::Own(tx) => s.execute(tx).await?,
            _ => self.pending.push(s),
        }
        Ok(())
    }

    /// Run a statement (after those waiting) and read the first column of its first row.
    pub(crate) async fn fetch_optional<T>(&mut self, s: Stmt) -> Result<Option<T>>
    where
        T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + Send + Unpin,
    {
        match &mut self.job {
            Job::Own(tx) => s.fetch_optional(tx).await,
            Job::Grouped(_, open) => {
                self.pending.push(s);
                self.started = true;
                std::mem::take(&mut self.pending).fetch_optional(conn(open)).await
            }
            Job::Finished => unreachable!("a finished write runs no statements"),
        }
    }

    /// Run a last statement and make the write durable; returns the first column of the
    /// statement's first row, once committed.
    pub(crate) async fn commit_returning<T>(mut self, last: Stmt) -> Result<Option<T>>
    where
        T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + Send + Unpin,
    {
        let mut pending = std::mem::take(&mut self.pending);
        match std::mem::replace(&mut self.job, Job::Finished) {
            Job::Own(mut tx) => {
                let row = last.fetch_optional(&mut tx).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(row)
            }
            Job::Grouped(group, mut open) => {
                pending.push(last);
                pending.push(Stmt::new("RELEASE job"));
                let row = match pending.fetch_optional(conn(&mut open)).await {
                    Ok(row) => row,
                    Err(e) => {
                        // The savepoint was sent first, whatever failed after it.
                        open.undo = true;
                        return Err(e);
                    }
                };
                let (done, committed) = oneshot::channel();
                open.waiting.push(done);
                drop(open);
                let _ = group.wake.try_send(());
                match committed.await {
                    Ok(None) => Ok(row),
                    // Unavailable (a full disk, say) stays so: the client may retry.
                    Ok(Some(e)) => Err(match &*e {
                        Error::Unavailable(why) => Error::Unavailable(why.clone()),
                        other => Error::internal(other),
                    }),
                    Err(_) => Err(Error::internal("the write was not committed")),
                }
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

/// A statement and its arguments, numbered `$1`, `$2`, … in its text. Several joined into one
/// (SQLite runs them in order; its `$N` are numbers into one list of arguments) are renumbered.
#[derive(Default)]
pub(crate) struct Stmt {
    sql: String,
    args: Vec<Arg>,
}

/// An argument. `None` binds NULL (of text or integer type); see [`crate::element_sql::maybe`]
/// for the values that must not be bound as NULL.
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Float(f64),
}

impl Stmt {
    pub(crate) fn new(sql: impl Into<String>) -> Self {
        Stmt { sql: sql.into(), args: Vec::new() }
    }

    pub(crate) fn bind(mut self, a: impl Into<Arg>) -> Self {
        self.args.push(a.into());
        self
    }

    /// Append `next`, its placeholders moved past this one's arguments.
    fn push(&mut self, next: Stmt) {
        if !self.sql.is_empty() {
            self.sql.push_str(";\n");
        }
        self.sql.push_str(&renumber(&next.sql, self.args.len()));
        self.args.extend(next.args);
    }

    pub(crate) async fn execute(self, conn: &mut AnyConnection) -> Result<()> {
        let Stmt { sql, args } = self;
        let mut q = sqlx::query(&sql);
        for a in args {
            q = match a {
                Arg::Text(v) => q.bind(v),
                Arg::Int(v) => q.bind(v),
                Arg::Float(v) => q.bind(v),
            };
        }
        q.execute(conn).await.map_err(db_err)?;
        Ok(())
    }

    async fn fetch_optional<T>(self, conn: &mut AnyConnection) -> Result<Option<T>>
    where
        T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + Send + Unpin,
    {
        let Stmt { sql, args } = self;
        let mut q = sqlx::query_scalar::<_, T>(&sql);
        for a in args {
            q = match a {
                Arg::Text(v) => q.bind(v),
                Arg::Int(v) => q.bind(v),
                Arg::Float(v) => q.bind(v),
            };
        }
        // All rows, not `fetch_optional`: given several statements, sqlx's `Any` driver looks
        // only at the first one's result, and the row is the last one's.
        Ok(q.fetch_all(conn).await.map_err(db_err)?.into_iter().next())
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_string))
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<f64> for Arg {
    fn from(v: f64) -> Self {
        Arg::Float(v)
    }
}

/// `sql` with every `$N` made `$(N + by)`.
fn renumber(sql: &str, by: usize) -> String {
    if by == 0 {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
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
        (Group::start(pool.clone(), Dialect::Sqlite), pool)
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

    #[test]
    fn joined_statements_number_their_arguments_past_those_before() {
        let mut s = Stmt::new("SELECT $1").bind(1_i64);
        s.push(Stmt::new("UPDATE x SET a = $2 WHERE b = $1 AND c = $10").bind(2_i64));
        assert_eq!(s.sql, "SELECT $1;\nUPDATE x SET a = $3 WHERE b = $2 AND c = $11");
        assert_eq!(s.args.len(), 2);
    }

    /// Writers queued behind one another share a commit; one that fails is rolled back whole
    /// (its first statement too) and the others are written.
    #[tokio::test]
    async fn a_failing_write_in_a_batch_leaves_the_others_written() {
        let (group, pool) = group("failing").await;
        let mut first = group.write().await.expect("write");
        first.exec(insert(1)).await.expect("insert");
        let later = |statements: Vec<Stmt>, last: Stmt| {
            let group = group.clone();
            tokio::spawn(async move {
                let mut w = group.write().await?;
                for s in statements {
                    w.exec(s).await?;
                }
                w.commit_returning::<i64>(last).await
            })
        };
        // Both wait for the first to let go; the second inserts 2 and then fails on 1.
        let failing = later(vec![insert(2)], insert_returning(1));
        let fine = later(vec![insert(3)], insert_returning(4));
        tokio::task::yield_now().await;
        assert_eq!(first.commit_returning::<i64>(insert_returning(5)).await.expect("first"), Some(5));
        assert!(failing.await.expect("task").is_err());
        assert_eq!(fine.await.expect("task").expect("fine"), Some(4));
        assert_eq!(rows(&pool).await, vec![1, 3, 4, 5]);
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
}
