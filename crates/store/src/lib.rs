//! tessera's storage: the [`tessera_core::ports::Store`] port implemented with sqlx, once, for
//! SQLite (the embedded default) and PostgreSQL (several nodes sharing one database).
//! Migrations for each are compiled into the binary and applied on open.

mod audit;
mod backfill;
mod batch;
pub mod copy;
mod element_sql;
mod group;
mod listen;
mod open;
mod rows;
mod sql;
mod sql_accounts;
mod sql_device;
mod sql_oauth;
mod sql_sso;
mod sql_uploads;
mod stmt;

pub use open::{Dialect, SqlStore};

use std::sync::Arc;
use tessera_core::ports::Store;
use tessera_core::{Error, Result};

/// Open the store named by a database URL, creating and migrating it as needed.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") || url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(SqlStore::open(url).await?))
    } else {
        Err(Error::bad_input(format!(
            "unsupported database URL {:?}: expected sqlite://PATH or postgres://USER@HOST/DB",
            open::redact(url)
        )))
    }
}
