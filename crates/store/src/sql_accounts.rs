//! Account e-mails and their links: the mail outbox, single-use links, passwords, and signing a
//! person out everywhere.

use crate::open::{commit, SqlStore};
use crate::rows::db_err;
use async_trait::async_trait;
use tessera_core::ids::{OrgId, UserId};
use tessera_core::model::now_millis;
use tessera_core::ports::{AccountLink, AccountStore, LinkPurpose, Mail};
use tessera_core::{Error, Result};

const LINK_COLUMNS: &str = "purpose, email, user_id, org_id, role, created_by, expires_at";

#[derive(sqlx::FromRow)]
struct LinkRow {
    purpose: String,
    email: String,
    user_id: Option<String>,
    org_id: Option<String>,
    role: Option<String>,
    created_by: Option<String>,
    expires_at: i64,
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
            "INSERT INTO account_links (hash, {LINK_COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(hash)
        .bind(l.purpose.as_str())
        .bind(&l.email)
        .bind(l.user_id.as_ref().map(|u| u.as_str()))
        .bind(l.org_id.as_ref().map(|o| o.0.as_str()))
        .bind(l.role.as_deref())
        .bind(l.created_by.as_ref().map(|u| u.as_str()))
        .bind(l.expires_at)
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
        let revoked: Vec<String> = sqlx::query_scalar(
            "UPDATE tokens SET revoked_at = $1
             WHERE user_id = $2 AND kind IN ('access', 'refresh') AND revoked_at IS NULL RETURNING id",
        )
        .bind(now_millis())
        .bind(user.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        commit(tx).await?;
        let count = revoked.len() as u64;
        self.revoked(revoked).await;
        Ok(count)
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

    async fn email_verified(&self, user: &UserId) -> Result<bool> {
        let at: Option<Option<i64>> = sqlx::query_scalar("SELECT email_verified_at FROM users WHERE id = $1")
            .bind(user.as_str())
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        Ok(at.flatten().is_some())
    }
}
