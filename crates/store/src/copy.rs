//! `tessera migrate`: a whole installation copied from an embedded SQLite database into an
//! empty PostgreSQL database — every table the two schemas share (identity, apps, tokens,
//! workspaces, elements, the event log with its cursors, the security log, uploads, secrets),
//! in one transaction that is committed only after the copy is verified: the same row count in
//! every table, and the same last cursor (counter and newest event) in every workspace.

use crate::open::SqlStore;
use crate::rows::db_err;
use sqlx::any::AnyArguments;
use sqlx::{Any, AnyPool, Arguments, Row, Transaction};
use std::collections::{BTreeMap, BTreeSet};
use tessera_core::{Error, Result};

/// What was copied: rows per table, and the workspaces whose cursors were checked.
#[derive(Debug, Default)]
pub struct CopyReport {
    pub tables: Vec<(String, u64)>,
    pub workspaces: u64,
}

/// Tables that hold an installation's data: the target must have none of their rows. (Others,
/// such as the roles a migration seeds, are replaced by the source's.)
const DATA_TABLES: [&str; 8] =
    ["organizations", "users", "workspaces", "apps", "tokens", "events", "elements", "security_events"];

/// Rows read and written at a time.
const BATCH_ROWS: usize = 500;

/// How a column's values travel: read from SQLite as one of these, written with a cast to the
/// PostgreSQL column's type.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Float,
    Text,
}

struct Column {
    name: String,
    /// The PostgreSQL type to cast to (`bigint`, `json`, …).
    pg_type: String,
    kind: Kind,
    /// Read from the source as (SQLite's `rowid` for PostgreSQL's `seq`).
    source: String,
}

/// Copy the installation at `from` (sqlite://…) into the empty PostgreSQL database at `to`,
/// creating its schema; `progress` is told each table as it is done.
pub async fn copy_installation(from: &str, to: &str, progress: &dyn Fn(&str)) -> Result<CopyReport> {
    if !from.starts_with("sqlite:") {
        return Err(Error::bad_input("--from must be an embedded database: sqlite://PATH"));
    }
    if !(to.starts_with("postgres:") || to.starts_with("postgresql:")) {
        return Err(Error::bad_input("--to must be a PostgreSQL database: postgres://USER@HOST/DB"));
    }
    let source = SqlStore::open(from).await?;
    let target = SqlStore::open(to).await?;
    let (src, dst) = (&source.read, &target.write);
    let mut filled = Vec::new();
    for t in DATA_TABLES {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t}")).fetch_one(dst).await.map_err(db_err)?;
        if n > 0 {
            filled.push(format!("{n} {t}"));
        }
    }
    if !filled.is_empty() {
        return Err(Error::Conflict(format!(
            "the target database is not empty ({}); migrate copies into an empty database only",
            filled.join(", ")
        )));
    }
    let tables = tables_in_order(dst).await?;
    let mut tx = dst.begin().await.map_err(db_err)?;
    for t in tables.iter().rev() {
        sqlx::query(&format!("DELETE FROM {t}")).execute(&mut *tx).await.map_err(db_err)?;
    }
    let mut report = CopyReport::default();
    for t in &tables {
        let columns = columns(src, dst, t).await?;
        let n = copy_table(src, &mut tx, t, &columns).await?;
        let in_source: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t}")).fetch_one(src).await.map_err(db_err)?;
        let in_target: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t}")).fetch_one(&mut *tx).await.map_err(db_err)?;
        if in_source != in_target || in_target as u64 != n {
            return Err(Error::internal(format!("{t}: {in_source} rows in the source, {in_target} copied")));
        }
        progress(&format!("{t}: {n} rows"));
        report.tables.push((t.clone(), n));
    }
    restart_sequences(&mut tx).await?;
    report.workspaces = verify_cursors(src, &mut tx).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(report)
}

/// The target's tables, each after the tables its foreign keys name.
async fn tables_in_order(pool: &AnyPool) -> Result<Vec<String>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() AND tablename <> '_sqlx_migrations' ORDER BY tablename",
    )
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let edges: Vec<(String, String)> = sqlx::query_as(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint WHERE contype = 'f'",
    )
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let mut needs: BTreeMap<&str, BTreeSet<&str>> = names.iter().map(|n| (n.as_str(), BTreeSet::new())).collect();
    for (table, parent) in &edges {
        if table != parent {
            if let Some(set) = needs.get_mut(table.as_str()) {
                set.insert(parent.as_str());
            }
        }
    }
    let mut order: Vec<String> = Vec::new();
    while order.len() < names.len() {
        let ready: Vec<&str> = needs
            .iter()
            .filter(|(t, parents)| {
                !order.iter().any(|o| o == *t) && parents.iter().all(|p| order.iter().any(|o| o == p))
            })
            .map(|(t, _)| *t)
            .collect();
        if ready.is_empty() {
            return Err(Error::internal("the target's foreign keys form a cycle"));
        }
        order.extend(ready.into_iter().map(str::to_string));
    }
    Ok(order)
}

/// The columns of `table` to copy: the target's, each read from the source's column of that
/// name (PostgreSQL's `seq`, the creation order, from SQLite's `rowid`).
async fn columns(src: &AnyPool, dst: &AnyPool, table: &str) -> Result<Vec<Column>> {
    let in_source: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
        .bind(table)
        .fetch_all(src)
        .await
        .map_err(db_err)?;
    let in_target: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(dst)
    .await
    .map_err(db_err)?;
    if let Some(missing) = in_source.iter().find(|c| !in_target.iter().any(|(t, _)| t == *c)) {
        return Err(Error::internal(format!("{table}.{missing} has no column in the target")));
    }
    let mut out = Vec::new();
    for (name, pg_type) in in_target {
        let source = match (in_source.contains(&name), name.as_str()) {
            (true, _) => name.clone(),
            (false, "seq") => "rowid".to_string(),
            // Left to the target's default.
            (false, _) => continue,
        };
        let kind = match pg_type.as_str() {
            "bigint" | "integer" | "smallint" => Kind::Int,
            "double precision" | "real" => Kind::Float,
            _ => Kind::Text,
        };
        out.push(Column { name, pg_type, kind, source });
    }
    Ok(out)
}

/// Copy one table, read as one stream in the source's order (creation order, or the primary
/// key's for a table without rowids), written in multi-row inserts; the rows copied.
async fn copy_table(src: &AnyPool, tx: &mut Transaction<'static, Any>, table: &str, columns: &[Column]) -> Result<u64> {
    use futures_util::TryStreamExt;
    let definition: String = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1")
        .bind(table)
        .fetch_one(src)
        .await
        .map_err(db_err)?;
    let order = if definition.to_uppercase().contains("WITHOUT ROWID") { "" } else { " ORDER BY rowid" };
    let read = columns
        .iter()
        .map(|c| match c.kind {
            Kind::Int => format!("CAST({} AS INTEGER)", c.source),
            Kind::Float => format!("CAST({} AS REAL)", c.source),
            Kind::Text => format!("CAST({} AS TEXT)", c.source),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let names = columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ");
    let rows_per_insert = BATCH_ROWS.min(60_000 / columns.len().max(1));
    let select = format!("SELECT {read} FROM {table}{order}");
    let mut rows = sqlx::query(&select).fetch(src);
    let mut batch = Vec::with_capacity(rows_per_insert);
    let mut copied = 0u64;
    loop {
        let row = rows.try_next().await.map_err(db_err)?;
        let done = row.is_none();
        batch.extend(row);
        if batch.len() == rows_per_insert || (done && !batch.is_empty()) {
            insert(tx, table, &names, columns, &batch).await?;
            copied += batch.len() as u64;
            batch.clear();
        }
        if done {
            return Ok(copied);
        }
    }
}

/// One multi-row insert of rows read by [`copy_table`], each value cast to its column's type.
async fn insert(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    names: &str,
    columns: &[Column],
    rows: &[sqlx::any::AnyRow],
) -> Result<()> {
    let mut args = AnyArguments::default();
    let mut tuples = Vec::with_capacity(rows.len());
    let mut n = 0;
    for row in rows {
        let mut places = Vec::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            n += 1;
            places.push(format!("CAST(${n} AS {})", c.pg_type));
            let bound = match c.kind {
                Kind::Int => args.add(row.try_get::<Option<i64>, _>(i).map_err(db_err)?),
                Kind::Float => args.add(row.try_get::<Option<f64>, _>(i).map_err(db_err)?),
                Kind::Text => args.add(row.try_get::<Option<String>, _>(i).map_err(db_err)?),
            };
            bound.map_err(|e| Error::internal(format!("{table}.{}: {e}", c.name)))?;
        }
        tuples.push(format!("({})", places.join(", ")));
    }
    sqlx::query_with(&format!("INSERT INTO {table} ({names}) VALUES {}", tuples.join(", ")), args)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Serial columns continue after the rows copied.
async fn restart_sequences(tx: &mut Transaction<'static, Any>) -> Result<()> {
    let serial: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'",
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(db_err)?;
    for (table, column) in serial {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), COALESCE(MAX({column}), 0) + 1, false) FROM {table}"
        ))
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}

/// Every workspace's cursor counter and newest event are the same on both sides; the count.
async fn verify_cursors(src: &AnyPool, tx: &mut Transaction<'static, Any>) -> Result<u64> {
    const CURSORS: &str = "SELECT w.id, w.last_cursor, COALESCE(MAX(e.cursor), 0) FROM workspaces w
        LEFT JOIN events e ON e.workspace_id = w.id GROUP BY w.id, w.last_cursor ORDER BY w.id";
    let before: Vec<(String, i64, i64)> = sqlx::query_as(CURSORS).fetch_all(src).await.map_err(db_err)?;
    let after: Vec<(String, i64, i64)> = sqlx::query_as(CURSORS).fetch_all(&mut **tx).await.map_err(db_err)?;
    if before != after {
        let differ = before.iter().zip(&after).find(|(a, b)| a != b).map(|(a, _)| a.0.clone()).unwrap_or_default();
        return Err(Error::internal(format!("the cursors of workspace {differ} differ after the copy")));
    }
    Ok(after.len() as u64)
}
