//! The security log in SQL. Events are written inside the group commit's transaction (see
//! `batch`), so a token and the event that says it was issued commit together.
//!
//! Each event goes to the log of every organization its subject belongs to. Per organization,
//! the counter row (`organizations.security_cursor`) is bumped right before commit, so cursors
//! are dense and in commit order across nodes, as in the workspace log. Organizations are
//! locked in id order, so two batches can never wait for each other in a cycle.

use crate::open::{notify, SqlStore, SECURITY_CHANNEL};
use crate::rows::{db_err, to_json};
use crate::stmt::{list, value_rows};
use serde_json::Value as Json;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tessera_core::audit::{NewSecurityEvent, SecurityEvent, SecurityKind};
use tessera_core::ids::{OrgId, UserId};
use tessera_core::{Error, Result};

/// Rows per `INSERT` (8 parameters each).
const ROWS_PER_STATEMENT: usize = 64;
/// Subjects per membership lookup.
const SUBJECTS_PER_LOOKUP: usize = 200;
const COLUMNS: &str = "org_id, cursor, kind, subject_id, actor_id, client_id, detail, created_at";

/// Write `events` in the caller's transaction; returns the organizations whose log grew.
/// With `postgres`, other nodes are notified at commit.
pub(crate) async fn write(
    conn: &mut AnyConnection,
    events: &[&NewSecurityEvent],
    postgres: bool,
) -> Result<Vec<String>> {
    if events.is_empty() {
        return Ok(vec![]);
    }
    let subjects: Vec<&str> = events.iter().map(|e| e.subject.as_str()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut orgs_of: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in subjects.chunks(SUBJECTS_PER_LOOKUP) {
        let sql =
            format!("SELECT user_id, org_id FROM org_members WHERE user_id IN ({})", list(postgres, chunk.len(), 1));
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for s in chunk {
            query = query.bind(*s);
        }
        for (user, org) in query.fetch_all(&mut *conn).await.map_err(db_err)? {
            orgs_of.entry(user).or_default().push(org);
        }
    }
    let mut per_org: BTreeMap<String, Vec<&NewSecurityEvent>> = BTreeMap::new();
    for e in events {
        if let Some(org) = &e.org {
            per_org.entry(org.0.clone()).or_default().push(e);
            continue;
        }
        for org in orgs_of.get(e.subject.as_str()).into_iter().flatten() {
            per_org.entry(org.clone()).or_default().push(e);
        }
    }
    for (org, list) in &per_org {
        let n = list.len() as i64;
        let last: i64 = sqlx::query_scalar(
            "UPDATE organizations SET security_cursor = security_cursor + $1 WHERE id = $2 RETURNING security_cursor",
        )
        .bind(n)
        .bind(org.as_str())
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        let first = last - n + 1;
        for (c, chunk) in list.chunks(ROWS_PER_STATEMENT).enumerate() {
            insert(conn, org, first + (c * ROWS_PER_STATEMENT) as i64, chunk, postgres).await?;
        }
        if postgres {
            notify(&mut *conn, SECURITY_CHANNEL, org).await?;
        }
    }
    Ok(per_org.into_keys().collect())
}

async fn insert(
    conn: &mut AnyConnection,
    org: &str,
    first: i64,
    events: &[&NewSecurityEvent],
    postgres: bool,
) -> Result<()> {
    let sql = format!("INSERT INTO security_events ({COLUMNS}) VALUES {}", value_rows(postgres, events.len(), 8, 1));
    let mut query = sqlx::query(&sql);
    for (i, e) in events.iter().enumerate() {
        query = query
            .bind(org)
            .bind(first + i as i64)
            .bind(e.kind.as_str())
            .bind(e.subject.as_str())
            .bind(e.actor.as_ref().map(|a| a.as_str()))
            .bind(e.client_id.as_deref())
            .bind(to_json(&e.detail)?)
            .bind(e.at);
    }
    query.execute(&mut *conn).await.map_err(db_err)?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    org_id: String,
    cursor: i64,
    kind: String,
    subject_id: String,
    actor_id: Option<String>,
    client_id: Option<String>,
    detail: String,
    created_at: i64,
}

impl Row {
    fn into_event(self) -> Result<SecurityEvent> {
        let kind = SecurityKind::parse(&self.kind)
            .ok_or_else(|| Error::internal(format!("unknown security event kind {:?}", self.kind)))?;
        let detail: Json = serde_json::from_str(&self.detail)
            .map_err(|e| Error::internal(format!("bad security event detail: {e}")))?;
        Ok(SecurityEvent {
            org_id: OrgId(self.org_id),
            cursor: self.cursor,
            kind,
            subject: UserId(self.subject_id),
            actor: self.actor_id.map(UserId),
            client_id: self.client_id,
            detail,
            at: self.created_at,
        })
    }
}

impl SqlStore {
    /// Events after `after` in cursor order; with `None`, the newest `limit` (still in order).
    pub(crate) async fn read_security_events(
        &self,
        org: &OrgId,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<SecurityEvent>> {
        let order = if after.is_some() { "" } else { " DESC" };
        let sql = format!(
            "SELECT {COLUMNS} FROM security_events WHERE org_id = $1 AND cursor > $2 ORDER BY cursor{order} LIMIT $3"
        );
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(org.as_str())
            .bind(after.unwrap_or(0))
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        let mut events = rows.into_iter().map(Row::into_event).collect::<Result<Vec<_>>>()?;
        if after.is_none() {
            events.reverse();
        }
        Ok(events)
    }

    pub(crate) async fn last_security_cursor_of(&self, org: &OrgId) -> Result<Option<i64>> {
        sqlx::query_scalar("SELECT security_cursor FROM organizations WHERE id = $1")
            .bind(org.as_str())
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)
    }
}
