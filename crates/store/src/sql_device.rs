//! The device authorization grant's storage (RFC 8628).

use crate::open::SqlStore;
use crate::rows::db_err;
use async_trait::async_trait;
use tessera_core::ids::UserId;
use tessera_core::ports::{DeviceGrant, DeviceStatus, DeviceStore};
use tessera_core::{Error, Result};

const COLUMNS: &str =
    "user_code, client_id, scopes, status, user_id, auth_time, interval_secs, last_poll_at, expires_at";

type Row = (String, String, String, String, Option<String>, i64, i64, i64, i64);

fn grant(r: Row) -> Result<DeviceGrant> {
    let (user_code, client_id, scopes, status, user_id, auth_time, interval_secs, last_poll_at, expires_at) = r;
    Ok(DeviceGrant {
        status: DeviceStatus::parse(&status)
            .ok_or_else(|| Error::internal(format!("device grant: unknown status {status}")))?,
        user_code,
        client_id,
        scopes,
        user_id: user_id.map(UserId),
        auth_time,
        interval_secs,
        last_poll_at,
        expires_at,
    })
}

#[async_trait]
impl DeviceStore for SqlStore {
    async fn insert_device_grant(&self, device_hash: &str, g: &DeviceGrant, now: i64) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO device_grants (device_hash, {COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(device_hash)
        .bind(&g.user_code)
        .bind(&g.client_id)
        .bind(&g.scopes)
        .bind(g.status.as_str())
        .bind(g.user_id.as_ref().map(|u| u.as_str()))
        .bind(g.auth_time)
        .bind(g.interval_secs)
        .bind(g.last_poll_at)
        .bind(g.expires_at)
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn device_grant(&self, device_hash: &str) -> Result<Option<DeviceGrant>> {
        let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM device_grants WHERE device_hash = $1"))
            .bind(device_hash)
            .fetch_optional(&self.write)
            .await
            .map_err(db_err)?;
        row.map(grant).transpose()
    }

    async fn device_grant_by_user_code(&self, user_code: &str) -> Result<Option<DeviceGrant>> {
        let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM device_grants WHERE user_code = $1"))
            .bind(user_code)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        row.map(grant).transpose()
    }

    async fn decide_device_grant(&self, user_code: &str, approve: Option<(&UserId, i64)>, now: i64) -> Result<bool> {
        let (status, user, auth_time) = match approve {
            Some((user, at)) => (DeviceStatus::Approved, Some(user.as_str()), at),
            None => (DeviceStatus::Denied, None, 0),
        };
        let done = sqlx::query(
            "UPDATE device_grants SET status = $1, user_id = $2, auth_time = $3
             WHERE user_code = $4 AND status = 'pending' AND expires_at > $5",
        )
        .bind(status.as_str())
        .bind(user)
        .bind(auth_time)
        .bind(user_code)
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn polled_device_grant(&self, device_hash: &str, now: i64, slow_down: bool) -> Result<()> {
        let sql = if slow_down {
            "UPDATE device_grants SET last_poll_at = $1, interval_secs = interval_secs + 5 WHERE device_hash = $2"
        } else {
            "UPDATE device_grants SET last_poll_at = $1 WHERE device_hash = $2"
        };
        sqlx::query(sql).bind(now).bind(device_hash).execute(&self.write).await.map_err(db_err)?;
        Ok(())
    }

    async fn redeem_device_grant(&self, device_hash: &str) -> Result<bool> {
        let done =
            sqlx::query("UPDATE device_grants SET status = 'redeemed' WHERE device_hash = $1 AND status = 'approved'")
                .bind(device_hash)
                .execute(&self.write)
                .await
                .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }
}
