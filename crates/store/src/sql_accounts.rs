//! Account e-mails and their links: the mail outbox, single-use links, passwords, and signing a
//! person out everywhere.

use crate::open::{commit, SqlStore};
use crate::rows::db_err;
use async_trait::async_trait;
use tessera_core::ids::{OrgId, UserId};
use tessera_core::model::now_millis;
use tessera_core::ports::{AccountLink, AccountStore, LinkPurpose, Mail};
use tessera_core::{Error, Result};

const LINK_COLUMNS: &str = "purpose, email, user_id, org_id, role, created_by, expires_at, data";

#[derive(sqlx::FromRow)]
struct LinkRow {
    purpose: String,
    email: String,
    user_id: Option<String>,
    org_id: Option<String>,
    role: Option<String>,
    created_by: Option<String>,
    expires_at: i64,
    data: Option<String>,
}

impl LinkRow {
    fn into_link(self) -> Result<AccountLink> {
        Ok(AccountLink {
            purpose: LinkPurpose::parse(&self.purpose)
                .ok_or_else(|| Error::internal(format!("account link: unknown purpose {}", self.purpose)))?,
            email: self.email,
            user_id: self.user_id.map(UserId),
            org_id: self.org_id.map(OrgId),
            role: self.role,
            created_by: self.created_by.map(UserId),
            expires_at: self.expires_at,
            data: self.data,
        })
    }
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn queue_mail(&self, m: &Mail, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO mail_outbox (id, to_addr, subject, text_body, html_body, created_at, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&m.id)
        .bind(&m.to)
        .bind(&m.subject)
        .bind(&m.text)
        .bind(&m.html)
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn claim_mail(&self, now: i64, lease: i64, n: u32) -> Result<Vec<(Mail, i64)>> {
        // The outer condition is checked again on the row as another node left it, so of two
        // senders claiming at once only one takes a message.
        let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
            "UPDATE mail_outbox SET next_attempt_at = $1, attempts = attempts + 1
             WHERE sent_at IS NULL AND next_attempt_at <= $2 AND id IN (
                 SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= $2
                 ORDER BY next_attempt_at LIMIT $3)
             RETURNING id, to_addr, subject, text_body, html_body, attempts",
        )
        .bind(now + lease)
        .bind(now)
        .bind(i64::from(n))
        .fetch_all(&self.write)
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, to, subject, text, html, attempts)| (Mail { id, to, subject, text, html }, attempts))
            .collect())
    }

    async fn mail_sent(&self, id: &str, at: i64) -> Result<()> {
        sqlx::query("UPDATE mail_outbox SET sent_at = $1, last_error = NULL WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn mail_failed(&self, id: &str, retry_at: i64, error: &str) -> Result<()> {
        sqlx::query("UPDATE mail_outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3 AND sent_at IS NULL")
            .bind(retry_at)
            .bind(error)
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn mail_pending(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL")
            .fetch_one(&self.read)
            .await
            .map_err(db_err)?;
        Ok(n as u64)
    }

    async fn insert_link(&self, hash: &str, l: &AccountLink, now: i64) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO account_links (hash, {LINK_COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(hash)
        .bind(l.purpose.as_str())
        .bind(&l.email)
        .bind(l.user_id.as_ref().map(|u| u.as_str()))
        .bind(l.org_id.as_ref().map(|o| o.0.as_str()))
        .bind(l.role.as_deref())
        .bind(l.created_by.as_ref().map(|u| u.as_str()))
        .bind(l.expires_at)
        .bind(l.data.as_deref())
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn live_link(&self, hash: &str, purpose: LinkPurpose, now: i64) -> Result<Option<AccountLink>> {
        let row: Option<LinkRow> = sqlx::query_as(&format!(
            "SELECT {LINK_COLUMNS} FROM account_links
             WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3"
        ))
        .bind(hash)
        .bind(purpose.as_str())
        .bind(now)
        .fetch_optional(&self.read)
        .await
        .map_err(db_err)?;
        row.map(LinkRow::into_link).transpose()
    }

    async fn use_link(&self, hash: &str, purpose: LinkPurpose, now: i64) -> Result<Option<AccountLink>> {
        let row: Option<LinkRow> = sqlx::query_as(&format!(
            "UPDATE account_links SET used_at = $1
             WHERE hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
             RETURNING {LINK_COLUMNS}"
        ))
        .bind(now)
        .bind(hash)
        .bind(purpose.as_str())
        .fetch_optional(&self.write)
        .await
        .map_err(db_err)?;
        row.map(LinkRow::into_link).transpose()
    }

    async fn live_invitations(&self, org: &OrgId, now: i64) -> Result<Vec<(String, AccountLink, i64)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            hash: String,
            created_at: i64,
            #[sqlx(flatten)]
            link: LinkRow,
        }
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT hash, created_at, {LINK_COLUMNS} FROM account_links
             WHERE org_id = $1 AND purpose = 'invite' AND used_at IS NULL AND expires_at > $2
             ORDER BY created_at DESC, hash"
        ))
        .bind(org.0.as_str())
        .bind(now)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.into_iter().map(|r| Ok((r.hash, r.link.into_link()?, r.created_at))).collect()
    }

    async fn cancel_invitation(&self, org: &OrgId, hash: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM account_links
             WHERE hash = $1 AND org_id = $2 AND purpose = 'invite' AND used_at IS NULL AND expires_at > $3",
        )
        .bind(hash)
        .bind(org.0.as_str())
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn access_changed(&self, user: &UserId, at: i64) -> Result<()> {
        sqlx::query("INSERT INTO access_changes (user_id, at) VALUES ($1, $2)")
            .bind(user.as_str())
            .bind(at)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        self.signal(&tessera_core::ports::Revoked::Access(user.clone()));
        Ok(())
    }

    async fn access_changed_since(&self, after: i64) -> Result<Vec<(UserId, i64)>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT user_id, at FROM access_changes WHERE at > $1 ORDER BY at LIMIT 10000")
                .bind(after)
                .fetch_all(&self.read)
                .await
                .map_err(db_err)?;
        Ok(rows.into_iter().map(|(u, at)| (UserId(u), at)).collect())
    }

    async fn set_password(&self, user: &UserId, password_hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND kind = 'user'")
            .bind(password_hash)
            .bind(user.as_str())
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn sign_out_everywhere(&self, user: &UserId) -> Result<u64> {
        let mut tx = self.begin().await?;
        for sql in ["DELETE FROM sessions WHERE user_id = $1", "DELETE FROM auth_codes WHERE user_id = $1"] {
            sqlx::query(sql).bind(user.as_str()).execute(&mut *tx).await.map_err(db_err)?;
        }
        let revoked = revoke_live_tokens(&mut *tx, user).await?;
        commit(tx).await?;
        let count = revoked.len() as u64;
        self.revoked(revoked).await;
        Ok(count)
    }

    async fn count_hit(&self, name: &str, key: &str, now: i64, window_ms: i64) -> Result<u32> {
        // One statement, so concurrent hits on several nodes each count.
        let count: i64 = sqlx::query_scalar(
            "INSERT INTO rate_counters (name, key, window_start, count) VALUES ($1, $2, $3, 1)
             ON CONFLICT (name, key) DO UPDATE SET
                 count = CASE WHEN rate_counters.window_start <= $4 THEN 1 ELSE rate_counters.count + 1 END,
                 window_start = CASE WHEN rate_counters.window_start <= $4 THEN $3 ELSE rate_counters.window_start END
             RETURNING count",
        )
        .bind(name)
        .bind(key)
        .bind(now)
        .bind(now - window_ms)
        .fetch_one(&self.write)
        .await
        .map_err(db_err)?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn set_email_verified(&self, user: &UserId, at: i64) -> Result<()> {
        sqlx::query("UPDATE users SET email_verified_at = $1 WHERE id = $2")
            .bind(at)
            .bind(user.as_str())
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn totp(&self, user: &UserId) -> Result<Option<(String, bool, i64)>> {
        let row: Option<(String, Option<i64>, i64)> =
            sqlx::query_as("SELECT sealed, confirmed_at, last_step FROM totp_secrets WHERE user_id = $1")
                .bind(user.as_str())
                .fetch_optional(&self.write)
                .await
                .map_err(db_err)?;
        Ok(row.map(|(sealed, confirmed, step)| (sealed, confirmed.is_some(), step)))
    }

    async fn set_totp(&self, user: &UserId, sealed: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO totp_secrets (user_id, sealed, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET sealed = excluded.sealed, created_at = excluded.created_at,
                 last_step = 0 WHERE totp_secrets.confirmed_at IS NULL",
        )
        .bind(user.as_str())
        .bind(sealed)
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn confirm_totp(&self, user: &UserId, recovery_hashes: &[String], now: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE totp_secrets SET confirmed_at = $1 WHERE user_id = $2 AND confirmed_at IS NULL")
            .bind(now)
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for h in recovery_hashes {
            sqlx::query("INSERT INTO recovery_codes (hash, user_id) VALUES ($1, $2)")
                .bind(h)
                .bind(user.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        commit(tx).await?;
        Ok(true)
    }

    async fn use_totp_step(&self, user: &UserId, step: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE totp_secrets SET last_step = $1 WHERE user_id = $2 AND last_step < $1")
            .bind(step)
            .bind(user.as_str())
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_totp(&self, user: &UserId) -> Result<()> {
        let mut tx = self.begin().await?;
        for sql in ["DELETE FROM recovery_codes WHERE user_id = $1", "DELETE FROM totp_secrets WHERE user_id = $1"] {
            sqlx::query(sql).bind(user.as_str()).execute(&mut *tx).await.map_err(db_err)?;
        }
        commit(tx).await
    }

    async fn use_recovery_code(&self, user: &UserId, hash: &str, now: i64) -> Result<bool> {
        let done =
            sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE hash = $2 AND user_id = $3 AND used_at IS NULL")
                .bind(now)
                .bind(hash)
                .bind(user.as_str())
                .execute(&self.write)
                .await
                .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn two_factor_required(&self, user: &UserId) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM org_members m JOIN organizations o ON o.id = m.org_id
             WHERE m.user_id = $1 AND o.require_2fa = 1",
        )
        .bind(user.as_str())
        .fetch_one(&self.read)
        .await
        .map_err(db_err)?;
        Ok(n > 0)
    }

    async fn org_requires_two_factor(&self, org: &OrgId) -> Result<bool> {
        let on: Option<i64> = sqlx::query_scalar("SELECT require_2fa FROM organizations WHERE id = $1")
            .bind(&org.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        Ok(on == Some(1))
    }

    async fn set_org_requires_two_factor(&self, org: &OrgId, on: bool) -> Result<()> {
        sqlx::query("UPDATE organizations SET require_2fa = $1 WHERE id = $2")
            .bind(i64::from(on))
            .bind(&org.0)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn email_verified(&self, user: &UserId) -> Result<bool> {
        let at: Option<Option<i64>> = sqlx::query_scalar("SELECT email_verified_at FROM users WHERE id = $1")
            .bind(user.as_str())
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        Ok(at.flatten().is_some())
    }
}

/// Revoke a person's live access and refresh tokens: their ids.
async fn revoke_live_tokens<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    e: E,
    user: &UserId,
) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "UPDATE tokens SET revoked_at = $1
         WHERE user_id = $2 AND kind IN ('access', 'refresh') AND revoked_at IS NULL RETURNING id",
    )
    .bind(now_millis())
    .bind(user.as_str())
    .fetch_all(e)
    .await
    .map_err(db_err)
}
