//! Uploads of asset files and server-wide secrets: small tables, written outside the event
//! log (an element's asset state itself lives in the element and its events).

use crate::open::SqlStore;
use crate::rows::db_err;
use tessera_core::element::asset::{IngestionState, Upload, UploadPart};
use tessera_core::element::ElementType;
use tessera_core::ids::{ElementId, WorkspaceId};
use tessera_core::{Error, Result};

const UPLOAD_COLUMNS: &str =
    "id, workspace_id, element_id, element_type, part, object, max_bytes, expires_at, state, updated_at";

#[derive(sqlx::FromRow)]
struct UploadRow {
    id: String,
    workspace_id: String,
    element_id: String,
    element_type: String,
    part: String,
    object: String,
    max_bytes: i64,
    expires_at: i64,
    state: String,
    updated_at: i64,
}

impl UploadRow {
    fn into_upload(self) -> Result<Upload> {
        let bad = |what: &str| Error::internal(format!("upload {}: unknown {what}", self.id));
        Ok(Upload {
            element_type: ElementType::parse(&self.element_type).ok_or_else(|| bad("element type"))?,
            part: UploadPart::parse(&self.part).ok_or_else(|| bad("part"))?,
            state: match self.state.as_str() {
                "transferring" => IngestionState::Transferring,
                "processing" => IngestionState::Processing,
                _ => return Err(bad("state")),
            },
            workspace_id: WorkspaceId(self.workspace_id),
            element_id: ElementId(self.element_id),
            object: self.object,
            max_bytes: self.max_bytes.max(0) as u64,
            expires_at: self.expires_at,
            updated_at: self.updated_at,
            id: self.id,
        })
    }
}

fn all(rows: Vec<UploadRow>) -> Result<Vec<Upload>> {
    rows.into_iter().map(UploadRow::into_upload).collect()
}

impl SqlStore {
    pub(crate) async fn insert_upload_row(&self, u: &Upload) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&u.id)
        .bind(u.workspace_id.as_str())
        .bind(u.element_id.as_str())
        .bind(u.element_type.as_str())
        .bind(u.part.as_str())
        .bind(&u.object)
        .bind(u.max_bytes.min(i64::MAX as u64) as i64)
        .bind(u.expires_at)
        .bind(u.state.as_str())
        .bind(u.updated_at)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn upload_row(&self, id: &str) -> Result<Option<Upload>> {
        let row: Option<UploadRow> = sqlx::query_as(&format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.write)
            .await
            .map_err(db_err)?;
        row.map(UploadRow::into_upload).transpose()
    }

    pub(crate) async fn upload_rows_of(&self, ws: &WorkspaceId, element: &ElementId) -> Result<Vec<Upload>> {
        let rows: Vec<UploadRow> = sqlx::query_as(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE workspace_id = $1 AND element_id = $2 ORDER BY id"
        ))
        .bind(ws.as_str())
        .bind(element.as_str())
        .fetch_all(&self.write)
        .await
        .map_err(db_err)?;
        all(rows)
    }

    pub(crate) async fn claim_upload_row(&self, seen: &Upload, to: IngestionState, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE uploads SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4 AND updated_at = $5",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(&seen.id)
        .bind(seen.state.as_str())
        .bind(seen.updated_at)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn delete_upload_rows(&self, ws: &WorkspaceId, element: &ElementId) -> Result<()> {
        sqlx::query("DELETE FROM uploads WHERE workspace_id = $1 AND element_id = $2")
            .bind(ws.as_str())
            .bind(element.as_str())
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn stale_upload_rows(&self, now: i64, stalled_before: i64, limit: u32) -> Result<Vec<Upload>> {
        let rows: Vec<UploadRow> = sqlx::query_as(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads
             WHERE (state = 'transferring' AND expires_at < $1) OR (state = 'processing' AND updated_at < $2)
             ORDER BY expires_at LIMIT $3"
        ))
        .bind(now)
        .bind(stalled_before)
        .bind(i64::from(limit))
        .fetch_all(&self.write)
        .await
        .map_err(db_err)?;
        all(rows)
    }

    pub(crate) async fn server_secret_value(&self, name: &str, candidate: &str) -> Result<String> {
        sqlx::query("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(candidate)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.write)
            .await
            .map_err(db_err)
    }
}
