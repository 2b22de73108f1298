//! Opening the store: the SQL dialect (SQLite or PostgreSQL), connection pools, migrations,
//! and the notifications other nodes listen for.

use crate::rows::db_err;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::time::Duration;
use tessera_core::event::Event;
use tessera_core::ids::TokenId;
use tessera_core::ports::{Bus, Revoked};
use tessera_core::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// The notification channels other nodes listen on (PostgreSQL only).
pub const EVENTS_CHANNEL: &str = "tessera_events";
pub const REVOCATIONS_CHANNEL: &str = "tessera_revocations";
pub const SECURITY_CHANNEL: &str = "tessera_security";

pub struct SqlStore {
    pub(crate) read: AnyPool,
    pub(crate) write: AnyPool,
    pub(crate) dialect: Dialect,
    pub(crate) url: String,
    /// This node's bus, held weakly: the bus holds the store, and a strong reference back would
    /// keep both (and the database connections) alive after the server is gone.
    pub(crate) bus: std::sync::Arc<std::sync::OnceLock<std::sync::Weak<dyn Bus>>>,
    pub(crate) tokens: crate::batch::TokenBatcher,
    /// Writes of workspace events, committed in groups (SQLite).
    pub(crate) group: std::sync::Arc<crate::group::Group>,
}

const WRITER_PRAGMAS: &str =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";
const READER_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

type Setup<'c> = std::pin::Pin<Box<dyn std::future::Future<Output = std::result::Result<(), sqlx::Error>> + Send + 'c>>;

fn pragmas<'c>(conn: &'c mut sqlx::AnyConnection, sql: &'static str) -> Setup<'c> {
    Box::pin(async move { conn.execute(sql).await.map(|_| ()) })
}

/// Connections per node to PostgreSQL (`TESSERA_DB_POOL` overrides).
const PG_POOL: u32 = 16;

impl SqlStore {
    /// Open (creating if missing) the database at `url`, and apply pending migrations.
    pub async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") { Dialect::Sqlite } else { Dialect::Postgres };
        let cannot_open = |e: sqlx::Error| Error::internal(format!("cannot open database {}: {e}", redact(url)));
        let (read, write) = match dialect {
            Dialect::Sqlite => {
                let path = url.split_once('?').map_or(url, |(p, _)| p);
                // WAL, full fsync on commit, foreign keys, and waiting (not failing) on a busy file.
                // A local file does not go stale: no ping before each use (a round trip to
                // SQLite's connection thread on every write).
                let write = AnyPoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .after_connect(move |conn, _| pragmas(conn, WRITER_PRAGMAS))
                    .connect(&format!("{path}?mode=rwc"))
                    .await
                    .map_err(cannot_open)?;
                migrate(dialect, &write, url).await?;
                crate::backfill::run(&write, dialect).await?;
                let read = AnyPoolOptions::new()
                    .max_connections(8)
                    .test_before_acquire(false)
                    .after_connect(move |conn, _| pragmas(conn, READER_PRAGMAS))
                    .connect(&format!("{path}?mode=ro"))
                    .await
                    .map_err(cannot_open)?;
                (read, write)
            }
            Dialect::Postgres => {
                // One plain connection first: an unreachable server fails now, not after the
                // pool's acquire timeout.
                let probe = <sqlx::AnyConnection as sqlx::Connection>::connect(url).await.map_err(cannot_open)?;
                let _ = sqlx::Connection::close(probe).await;
                let size = std::env::var("TESSERA_DB_POOL").ok().and_then(|v| v.parse().ok()).unwrap_or(PG_POOL);
                let pool = AnyPoolOptions::new()
                    .max_connections(size)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await
                    .map_err(cannot_open)?;
                migrate(dialect, &pool, url).await?;
                crate::backfill::run(&pool, dialect).await?;
                (pool.clone(), pool)
            }
        };
        let tokens = crate::batch::TokenBatcher::start(write.clone(), dialect)?;
        let group = crate::group::Group::start(write.clone(), dialect)?;
        Ok(SqlStore { read, write, dialect, url: url.to_string(), bus: Default::default(), tokens, group })
    }

    fn bus(&self) -> Option<std::sync::Arc<dyn Bus>> {
        self.bus.get().and_then(std::sync::Weak::upgrade)
    }

    /// Report a committed event to this node's subscribers (other nodes hear of it through the
    /// notification sent in its transaction).
    pub(crate) fn committed(&self, event: &Event) {
        if let Some(bus) = self.bus() {
            bus.appended(&event.workspace_id);
        }
    }

    /// Wake this node's security-log followers after `events` were committed.
    pub(crate) fn security_recorded(&self, events: &[tessera_core::audit::NewSecurityEvent]) {
        if let (false, Some(bus)) = (events.is_empty(), self.bus()) {
            bus.security_recorded();
        }
    }

    /// Report that these tokens were revoked, here and (PostgreSQL) on every other node;
    /// nothing when there are none.
    pub(crate) async fn revoked(&self, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        let payload = revocation_payload(&ids);
        self.changed(&Revoked::Tokens(ids.into_iter().map(TokenId).collect()), &payload).await;
    }

    /// Report that an app's credentials changed (new secret, or deleted).
    pub(crate) async fn app_changed(&self, client_id: &str) {
        self.changed(&Revoked::App(client_id.to_string()), &format!("a:{client_id}")).await;
    }

    /// Tell this node's bus only (other nodes poll what was recorded).
    pub(crate) fn signal(&self, what: &Revoked) {
        if let Some(bus) = self.bus() {
            bus.revoked(what);
        }
    }

    async fn changed(&self, what: &Revoked, payload: &str) {
        if let Some(bus) = self.bus() {
            bus.revoked(what);
        }
        if self.dialect == Dialect::Postgres {
            if let Err(e) = notify(&self.write, REVOCATIONS_CHANNEL, payload).await {
                // Other nodes still see revoked tokens within their revocation poll.
                tracing::warn!(error = %e, "cannot notify other nodes of a revocation");
            }
        }
    }

    /// Row locking for a read that is followed by a write of the same row.
    pub(crate) fn for_update(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Any>> {
        begin_write(&self.write, self.dialect).await
    }
}

/// A write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): waiting
/// for it then is retried on a busy file, where taking it at the first write of a deferred
/// transaction can fail at once when another node wrote meanwhile (as an R*Tree trigger's reads
/// make likely).
pub(crate) async fn begin_write(pool: &AnyPool, dialect: Dialect) -> Result<Transaction<'static, Any>> {
    match dialect {
        Dialect::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await.map_err(db_err),
        Dialect::Postgres => pool.begin().await.map_err(db_err),
    }
}

pub(crate) async fn commit(tx: Transaction<'static, Any>) -> Result<()> {
    tx.commit().await.map_err(db_err)
}

/// The notification of revoked tokens: `t:` and their ids, or `*` (everything) when they would
/// not fit in one notification.
fn revocation_payload(ids: &[String]) -> String {
    let payload = format!("t:{}", ids.join(","));
    if payload.len() < 7000 {
        payload
    } else {
        "*".to_string()
    }
}

/// What another node's revocation notification says (see [`revocation_payload`]).
pub(crate) fn parse_revocation(payload: &str) -> Revoked {
    if let Some(ids) = payload.strip_prefix("t:") {
        Revoked::Tokens(ids.split(',').filter(|id| !id.is_empty()).map(|id| TokenId(id.to_string())).collect())
    } else if let Some(client_id) = payload.strip_prefix("a:") {
        Revoked::App(client_id.to_string())
    } else {
        Revoked::Everything
    }
}

/// PostgreSQL `NOTIFY` (inside a transaction, it is delivered at commit, and only then).
pub(crate) async fn notify<'e>(
    exec: impl sqlx::Executor<'e, Database = Any>,
    channel: &str,
    payload: &str,
) -> Result<()> {
    sqlx::query("SELECT 1 AS sent FROM pg_notify($1, $2)")
        .bind(channel)
        .bind(payload)
        .execute(exec)
        .await
        .map_err(db_err)?;
    Ok(())
}

async fn migrate(dialect: Dialect, pool: &AnyPool, url: &str) -> Result<()> {
    let migrated = match dialect {
        Dialect::Sqlite => sqlx::migrate!("./migrations/sqlite").run(pool).await,
        // Concurrent starts of several nodes are serialised by sqlx's advisory lock.
        Dialect::Postgres => sqlx::migrate!("./migrations/postgres").run(pool).await,
    };
    migrated.map_err(|e| Error::internal(format!("cannot migrate database {}: {e}", redact(url))))
}

/// A database URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Run `task` on a thread of its own (a single-threaded runtime), so a writer that talks to
/// SQLite's connection thread in turns never waits behind busy request threads between its
/// steps. The thread ends when `task` does.
pub(crate) fn on_own_thread(name: &str, task: impl std::future::Future<Output = ()> + Send + 'static) -> Result<()> {
    let name = name.to_string();
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt.block_on(task),
            Err(e) => tracing::error!(error = %e, thread = %name, "cannot start a writer"),
        })
        .map(drop)
        .map_err(|e| Error::internal(format!("cannot start a writer: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::auth::{generate_token, issue_token, TokenKey, TokenKind, TokenRecord};
    use tessera_core::ports::{OAuthStore, Store, TokenWrite};

    /// A database made before tokens carried their ids, with one token of that format: after
    /// the migration, it is found by its hash (through `legacy_tokens`), a new token by its id,
    /// and neither by a token that is not its own.
    #[tokio::test]
    async fn tokens_issued_before_ids_keep_working_after_the_migration() {
        sqlx::any::install_default_drivers();
        let path = std::env::temp_dir().join(format!("tessera-legacy-tokens-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let url = format!("sqlite://{}", path.display());
        let pool = AnyPoolOptions::new().max_connections(1).connect(&format!("{url}?mode=rwc")).await.expect("db");
        let all = sqlx::migrate!("./migrations/sqlite");
        let before = sqlx::migrate::Migrator {
            migrations: all.migrations.iter().filter(|m| m.version < 11).cloned().collect::<Vec<_>>().into(),
            ..sqlx::migrate!("./migrations/sqlite")
        };
        before.run(&pool).await.expect("migrations before 0011");
        sqlx::query(
            "INSERT INTO users (id, kind, email, email_lower, first_name, last_name, created_at)
                     VALUES ('u1', 'user', 'a@example.test', 'a@example.test', 'A', '', 0)",
        )
        .execute(&pool)
        .await
        .expect("user");
        let (old, old_hash) = generate_token("tsr_bot_");
        sqlx::query("INSERT INTO tokens (id, hash, kind, user_id, scopes, created_at) VALUES ('t1', $1, 'bot', 'u1', 'v2legacy', 0)")
            .bind(&old_hash)
            .execute(&pool)
            .await
            .expect("old token");
        pool.close().await;

        let store = SqlStore::open(&url).await.expect("open and migrate");
        let found = store.find_token(&TokenKey::of(&old)).await.expect("read").expect("the old token is found");
        assert_eq!(found.id.as_str(), "t1");
        let (id, new, hash) = issue_token("tsr_at_");
        let record = TokenRecord {
            id: id.clone(),
            kind: TokenKind::Access,
            user_id: found.user_id.clone(),
            client_id: None,
            scopes: "v2legacy".into(),
            workspaces: None,
            expires_at: None,
            revoked: false,
            created_at: 1,
            family_id: None,
            rotated_at: None,
        };
        store.write_tokens(TokenWrite { tokens: vec![(record, hash)], ..Default::default() }).await.expect("write");
        assert_eq!(store.find_token(&TokenKey::of(&new)).await.expect("read").map(|t| t.id), Some(id));
        // Not found by another token, whether of the old format or carrying the new one's id.
        let (stranger, _) = generate_token("tsr_bot_");
        assert!(store.find_token(&TokenKey::of(&stranger)).await.expect("read").is_none());
        let forged = format!("{}{}", &new[..new.len() - 43], generate_token("").0);
        assert!(store.find_token(&TokenKey::of(&forged)).await.expect("read").is_none(), "same id, other secret");
        let legacy: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM legacy_tokens").fetch_one(&store.read).await.expect("n");
        assert_eq!(legacy, 1, "new tokens are not added to legacy_tokens");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn database_urls_lose_their_password_in_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db.internal:5432/tessera"),
            "postgres://app:***@db.internal:5432/tessera"
        );
        assert_eq!(redact("postgres://app@db/tessera"), "postgres://app:***@db/tessera");
        assert_eq!(redact("sqlite://./tessera-data/tessera.db"), "sqlite://./tessera-data/tessera.db");
    }
}
