//! tessera's storage: the [`tessera_core::ports::Store`] port implemented with sqlx.
//! SQLite is the embedded default; migrations are compiled into the binary and applied on open.

mod rows;
mod sqlite;
mod sqlite_oauth;

pub use sqlite::SqliteStore;

use std::sync::Arc;
use tessera_core::ports::Store;
use tessera_core::{Error, Result};

/// Open the store named by a database URL, creating and migrating it as needed.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Err(Error::bad_input("PostgreSQL support is not built yet; use a sqlite:// URL"))
    } else {
        Err(Error::bad_input(format!("unsupported database URL {url:?}: expected sqlite://PATH")))
    }
}
