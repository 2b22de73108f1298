//! One-time data work after a migration that SQL alone cannot do, run when the server opens
//! the database: each element's box (for `overlaps`) and each element's history (for `when`)
//! for what was written before they were recorded. Each job is marked done in `backfills`
//! when it finishes; every step can be repeated without harm, so a crash midway only means it
//! runs again, and several nodes starting together may all run it.

use crate::element_sql::insert_version;
use crate::open::{begin_write, commit, Dialect};
use crate::rows::{db_err, element_from_json, EventRow};
use crate::sql::EVENT_COLUMNS;
use sqlx::AnyPool;
use std::collections::HashMap;
use tessera_core::element::Element;
use tessera_core::event::EventPayload;
use tessera_core::ids::{ElementId, WorkspaceId};
use tessera_core::model::now_millis;
use tessera_core::Result;

const PAGE: i64 = 1000;

pub async fn run(pool: &AnyPool, dialect: Dialect) -> Result<()> {
    if !done(pool, "element_boxes").await? {
        element_boxes(pool, dialect).await?;
        mark(pool, "element_boxes").await?;
    }
    if !done(pool, "element_versions").await? {
        element_versions(pool, dialect).await?;
        mark(pool, "element_versions").await?;
    }
    Ok(())
}

async fn done(pool: &AnyPool, job: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT done_at FROM backfills WHERE name = $1")
        .bind(job)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    Ok(found.is_some())
}

async fn mark(pool: &AnyPool, job: &str) -> Result<()> {
    sqlx::query("INSERT INTO backfills (name, done_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(job)
        .bind(now_millis())
        .execute(pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// The box of every element that has none, a page at a time.
async fn element_boxes(pool: &AnyPool, dialect: Dialect) -> Result<()> {
    let (mut after, mut boxed) = ((String::new(), String::new()), 0usize);
    loop {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT workspace_id, id, data FROM elements WHERE min_x IS NULL AND (workspace_id > $1
             OR (workspace_id = $1 AND id > $2)) ORDER BY workspace_id, id LIMIT $3",
        )
        .bind(&after.0)
        .bind(&after.1)
        .bind(PAGE)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
        let Some((ws, id, _)) = rows.last() else { break };
        after = (ws.clone(), id.clone());
        let mut tx = begin_write(pool, dialect).await?;
        for (ws, id, data) in &rows {
            let Ok(el) = element_from_json(data) else {
                tracing::warn!(workspace = %ws, element = %id, "an element that does not read has no box");
                continue;
            };
            let b = el.bounding_box();
            sqlx::query(
                "UPDATE elements SET min_x = $1, min_y = $2, max_x = $3, max_y = $4 WHERE workspace_id = $5 AND id = $6",
            )
            .bind(b.x)
            .bind(b.y)
            .bind(b.x + b.width)
            .bind(b.y + b.height)
            .bind(ws)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            boxed += 1;
        }
        commit(tx).await?;
    }
    if boxed > 0 {
        tracing::info!(elements = boxed, "element boxes recorded for elements written before they were");
    }
    Ok(())
}

/// Every workspace's element history, replayed from its log.
async fn element_versions(pool: &AnyPool, dialect: Dialect) -> Result<()> {
    let workspaces: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT workspace_id FROM events WHERE kind IN ('elementCreated', 'elementUpdated', 'elementDeleted')",
    )
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    for (n, ws) in workspaces.iter().enumerate() {
        let versions = history(pool, dialect, &WorkspaceId(ws.clone())).await?;
        tracing::info!(workspace = %ws, versions, "element history recorded ({} of {} workspaces)", n + 1, workspaces.len());
    }
    Ok(())
}

/// Replay one workspace's element events, recording the state after each.
async fn history(pool: &AnyPool, dialect: Dialect, ws: &WorkspaceId) -> Result<usize> {
    let (mut state, mut after, mut recorded) = (HashMap::<ElementId, Element>::new(), 0i64, 0usize);
    loop {
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE workspace_id = $1 AND cursor > $2
             AND kind IN ('elementCreated', 'elementUpdated', 'traitsUpdated', 'elementDeleted') ORDER BY cursor LIMIT $3"
        ))
        .bind(ws.as_str())
        .bind(after)
        .bind(PAGE)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
        let Some(last) = rows.last() else { break };
        after = last.cursor;
        let mut tx = begin_write(pool, dialect).await?;
        for row in rows {
            let (cursor, at) = (row.cursor, row.created_at);
            let change = match row.into_event() {
                Ok(e) => e.payload,
                Err(e) => {
                    tracing::warn!(workspace = %ws, cursor, error = %e, "an event that does not read is left out of the history");
                    continue;
                }
            };
            let (id, next) = match change {
                EventPayload::ElementCreated { element } => (element.id.clone(), Some(*element)),
                EventPayload::ElementUpdated { element_id, data, .. } => {
                    let Some(before) = state.get(&element_id) else { continue };
                    match before.merged(&data) {
                        Ok(mut after) => {
                            after.updated_at = at;
                            (element_id, Some(after))
                        }
                        Err(e) => {
                            tracing::warn!(workspace = %ws, cursor, error = %e, "an update that does not apply is left out of the history");
                            continue;
                        }
                    }
                }
                EventPayload::TraitsUpdated { element_id, traits, .. } => {
                    let Some(before) = state.get(&element_id) else { continue };
                    let mut after = before.clone();
                    after.traits = traits;
                    after.updated_at = at;
                    (element_id, Some(after))
                }
                EventPayload::ElementDeleted { element_id, .. } => (element_id, None),
                _ => continue,
            };
            insert_version(ws, &id, Some(cursor), at, next.as_ref())?.execute(&mut tx).await?;
            recorded += 1;
            match next {
                Some(el) => state.insert(id, el),
                None => state.remove(&id),
            };
        }
        commit(tx).await?;
    }
    Ok(recorded)
}
