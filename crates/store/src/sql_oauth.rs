//! The authorization server's storage (SQLite and PostgreSQL).

use crate::open::{commit, SqlStore};
use crate::rows::*;
use crate::sql::USER_COLUMNS;
use async_trait::async_trait;
use tessera_core::audit::SecurityEvent;
use tessera_core::auth::SignIn;
use tessera_core::ids::{OrgId, TokenId, UserId};
use tessera_core::model::{now_millis, User};
use tessera_core::oauth::keys::StoredKey;
use tessera_core::oauth::App;
use tessera_core::ports::{AuthCode, Consent, OAuthStore, Redemption, TokenWrite};
use tessera_core::Result;

const APP_COLUMNS: &str =
    "client_id, name, owner_id, public, secret_hash, redirect_uris, created_at, require_pkce, post_logout_redirect_uris";
const CODE_COLUMNS: &str =
    "client_id, user_id, redirect_uri, scopes, workspaces, code_challenge, family_id, expires_at, \
                            used_at, nonce, auth_time, mfa";

#[async_trait]
impl OAuthStore for SqlStore {
    async fn create_app(&self, app: &App, secret_hash: Option<&str>) -> Result<()> {
        sqlx::query(&format!("INSERT INTO apps ({APP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
            .bind(&app.client_id)
            .bind(&app.name)
            .bind(app.owner_id.as_str())
            .bind(i64::from(app.public))
            .bind(secret_hash)
            .bind(to_json(&app.redirect_uris)?)
            .bind(app.created_at)
            .bind(i64::from(app.require_pkce))
            .bind(to_json(&app.post_logout_redirect_uris)?)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn app(&self, client_id: &str) -> Result<Option<(App, Option<String>)>> {
        let row: Option<AppRow> = sqlx::query_as(&format!("SELECT {APP_COLUMNS} FROM apps WHERE client_id = $1"))
            .bind(client_id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        row.map(AppRow::into_app).transpose()
    }

    async fn apps_of(&self, owner: &UserId) -> Result<Vec<App>> {
        let rows: Vec<AppRow> = sqlx::query_as(&format!(
            "SELECT {APP_COLUMNS} FROM apps WHERE owner_id = $1 ORDER BY created_at, client_id"
        ))
        .bind(owner.as_str())
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.into_iter().map(|r| r.into_app().map(|(a, _)| a)).collect()
    }

    async fn all_redirect_uris(&self) -> Result<Vec<String>> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT redirect_uris FROM apps").fetch_all(&self.read).await.map_err(db_err)?;
        let mut out = Vec::new();
        for r in rows {
            out.extend(serde_json::from_str::<Vec<String>>(&r).unwrap_or_default());
        }
        Ok(out)
    }

    async fn set_app_secret(&self, client_id: &str, secret_hash: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE apps SET secret_hash = $1 WHERE client_id = $2 AND public = 0")
            .bind(secret_hash)
            .bind(client_id)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        // The old secret must stop working everywhere, as a revoked token does.
        self.app_changed(client_id).await;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_app(&self, client_id: &str) -> Result<bool> {
        // Consents before tokens, in the order token writes lock them (see `revoke_grant`).
        let mut tx = self.begin().await?;
        for sql in ["DELETE FROM consents WHERE client_id = $1", "DELETE FROM auth_codes WHERE client_id = $1"] {
            sqlx::query(sql).bind(client_id).execute(&mut *tx).await.map_err(db_err)?;
        }
        let revoked: Vec<String> = sqlx::query_scalar(
            "UPDATE tokens SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL RETURNING id",
        )
        .bind(now_millis())
        .bind(client_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        let done = sqlx::query("DELETE FROM apps WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        commit(tx).await?;
        self.app_changed(client_id).await;
        self.revoked(revoked).await;
        Ok(done.rows_affected() == 1)
    }

    async fn sessions_of(&self, user: &UserId, now: i64) -> Result<Vec<(String, i64, i64, bool)>> {
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT hash, created_at, expires_at, mfa FROM sessions WHERE user_id = $1 AND expires_at > $2
             ORDER BY created_at DESC",
        )
        .bind(user.as_str())
        .bind(now)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows.into_iter().map(|(h, c, e, m)| (h, c, e, m != 0)).collect())
    }

    async fn create_session(&self, hash: &str, user: &UserId, expires_at: i64, mfa: bool) -> Result<()> {
        sqlx::query("INSERT INTO sessions (hash, user_id, created_at, expires_at, mfa) VALUES ($1, $2, $3, $4, $5)")
            .bind(hash)
            .bind(user.as_str())
            .bind(now_millis())
            .bind(expires_at)
            .bind(i64::from(mfa))
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn session_user(&self, hash: &str) -> Result<Option<(UserId, SignIn)>> {
        let row: Option<(String, i64, i64)> =
            sqlx::query_as("SELECT user_id, created_at, mfa FROM sessions WHERE hash = $1 AND expires_at > $2")
                .bind(hash)
                .bind(now_millis())
                .fetch_optional(&self.read)
                .await
                .map_err(db_err)?;
        Ok(row.map(|(id, at, mfa)| (UserId(id), SignIn { at, mfa: mfa != 0 })))
    }

    async fn set_post_logout_redirect_uris(&self, client_id: &str, uris: &[String]) -> Result<bool> {
        let done = sqlx::query("UPDATE apps SET post_logout_redirect_uris = $1 WHERE client_id = $2")
            .bind(to_json(&uris)?)
            .bind(client_id)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        self.app_changed(client_id).await;
        Ok(done.rows_affected() == 1)
    }

    async fn signing_keys(&self) -> Result<Vec<StoredKey>> {
        let rows: Vec<(String, String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT kid, alg, public_jwk, sealed, created_at, activates_at FROM signing_keys ORDER BY activates_at, kid",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(kid, alg, public_jwk, sealed, created_at, activates_at)| StoredKey {
                kid,
                alg,
                public_jwk,
                sealed,
                created_at,
                activates_at,
            })
            .collect())
    }

    async fn add_signing_key(&self, k: &StoredKey) -> Result<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, public_jwk, sealed, created_at, activates_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&k.kid)
        .bind(&k.alg)
        .bind(&k.public_jwk)
        .bind(&k.sealed)
        .bind(k.created_at)
        .bind(k.activates_at)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn delete_signing_key(&self, kid: &str) -> Result<()> {
        sqlx::query("DELETE FROM signing_keys WHERE kid = $1").bind(kid).execute(&self.write).await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_session(&self, hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE hash = $1").bind(hash).execute(&self.write).await.map_err(db_err)?;
        Ok(())
    }

    async fn consent(&self, user: &UserId, client_id: &str) -> Result<Option<Consent>> {
        let row: Option<ConsentRow> = sqlx::query_as(
            "SELECT user_id, client_id, scopes, workspaces, created_at FROM consents WHERE user_id = $1 AND client_id = $2",
        )
        .bind(user.as_str())
        .bind(client_id)
        .fetch_optional(&self.read)
        .await
        .map_err(db_err)?;
        row.map(ConsentRow::into_consent).transpose()
    }

    async fn set_consent(&self, c: &Consent) -> Result<()> {
        sqlx::query(
            "INSERT INTO consents (user_id, client_id, scopes, workspaces, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, workspaces = excluded.workspaces",
        )
        .bind(c.user_id.as_str())
        .bind(&c.client_id)
        .bind(c.scope_text())
        .bind(consent_reach_json(c)?)
        .bind(c.created_at)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn consents_of(&self, user: &UserId) -> Result<Vec<Consent>> {
        let rows: Vec<ConsentRow> = sqlx::query_as(
            "SELECT user_id, client_id, scopes, workspaces, created_at FROM consents WHERE user_id = $1 ORDER BY created_at",
        )
        .bind(user.as_str())
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.into_iter().map(ConsentRow::into_consent).collect()
    }

    async fn revoke_grant(&self, user: &UserId, client_id: &str) -> Result<bool> {
        // The consent row goes first: a token write for this grant holds it locked until its
        // commit (see `batch`), so the revocation below sees every token that write made.
        let mut tx = self.begin().await?;
        let done = sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user.as_str())
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // Codes not yet redeemed die with the grant, so a later consent cannot revive them.
        sqlx::query("DELETE FROM auth_codes WHERE user_id = $1 AND client_id = $2")
            .bind(user.as_str())
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let revoked: Vec<String> = sqlx::query_scalar(
            "UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND client_id = $3 AND revoked_at IS NULL RETURNING id",
        )
        .bind(now_millis())
        .bind(user.as_str())
        .bind(client_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        commit(tx).await?;
        let any = done.rows_affected() > 0 || !revoked.is_empty();
        self.revoked(revoked).await;
        Ok(any)
    }

    async fn insert_code(&self, hash: &str, c: &AuthCode) -> Result<()> {
        sqlx::query(
            "INSERT INTO auth_codes (hash, client_id, user_id, redirect_uri, scopes, workspaces, code_challenge, family_id, expires_at, created_at, nonce, auth_time, mfa)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(hash)
        .bind(&c.client_id)
        .bind(c.user_id.as_str())
        .bind(&c.redirect_uri)
        .bind(&c.scopes)
        .bind(c.workspaces.as_ref().map(to_json).transpose()?)
        .bind(c.code_challenge.as_deref())
        .bind(&c.family_id)
        .bind(c.expires_at)
        .bind(now_millis())
        .bind(c.nonce.as_deref())
        .bind(c.auth_time)
        .bind(i64::from(c.mfa))
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn redeem_code(&self, hash: &str) -> Result<Redemption> {
        let mut tx = self.begin().await?;
        let row: Option<CodeRow> = sqlx::query_as(&format!("SELECT {CODE_COLUMNS} FROM auth_codes WHERE hash = $1"))
            .bind(hash)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let Some(row) = row else { return Ok(Redemption::Unknown) };
        let (code, used) = row.into_code()?;
        if used {
            return Ok(Redemption::AlreadyUsed(code));
        }
        // Conditional, so that of two concurrent redemptions (on any nodes) exactly one wins.
        let done = sqlx::query("UPDATE auth_codes SET used_at = $1 WHERE hash = $2 AND used_at IS NULL")
            .bind(now_millis())
            .bind(hash)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        commit(tx).await?;
        if done.rows_affected() == 0 {
            return Ok(Redemption::AlreadyUsed(code));
        }
        Ok(Redemption::Fresh(code))
    }

    async fn write_tokens(&self, write: TokenWrite) -> Result<bool> {
        let events = write.events.clone();
        let written = self.tokens.submit(write).await?;
        if written {
            self.security_recorded(&events);
        }
        Ok(written)
    }

    async fn security_events(&self, org: &OrgId, after: Option<i64>, limit: u32) -> Result<Vec<SecurityEvent>> {
        self.read_security_events(org, after, limit).await
    }

    async fn last_security_cursor(&self, org: &OrgId) -> Result<Option<i64>> {
        self.last_security_cursor_of(org).await
    }

    async fn revoke_family(&self, family_id: &str) -> Result<u64> {
        let revoked: Vec<String> = sqlx::query_scalar(
            "UPDATE tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL RETURNING id",
        )
        .bind(now_millis())
        .bind(family_id)
        .fetch_all(&self.write)
        .await
        .map_err(db_err)?;
        let count = revoked.len() as u64;
        self.revoked(revoked).await;
        Ok(count)
    }

    async fn forget_expired(&self, before: i64, limit: u32) -> Result<u64> {
        let tokens = sqlx::query(
            "DELETE FROM tokens WHERE id IN (SELECT id FROM tokens WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)",
        )
        .bind(before)
        .bind(i64::from(limit))
        .execute(&self.write)
        .await
        .map_err(db_err)?
        .rows_affected();
        if tokens < u64::from(limit) {
            // The last chunk: the rest (small tables, not indexed by expiry).
            let gone = "DELETE FROM legacy_tokens WHERE id NOT IN (SELECT id FROM tokens)";
            sqlx::query(gone).execute(&self.write).await.map_err(db_err)?;
            for sql in [
                "DELETE FROM sessions WHERE expires_at < $1",
                "DELETE FROM auth_codes WHERE expires_at < $1",
                "DELETE FROM rate_counters WHERE window_start < $1",
                "DELETE FROM account_links WHERE expires_at < $1",
                "DELETE FROM access_changes WHERE at < $1",
            ] {
                sqlx::query(sql).bind(before).execute(&self.write).await.map_err(db_err)?;
            }
        }
        Ok(tokens)
    }

    async fn last_revocation(&self) -> Result<i64> {
        let at: Option<i64> = sqlx::query_scalar("SELECT MAX(revoked_at) FROM tokens WHERE revoked_at IS NOT NULL")
            .fetch_one(&self.read)
            .await
            .map_err(db_err)?;
        Ok(at.unwrap_or(0))
    }

    async fn revoked_since(&self, after: i64) -> Result<Vec<(TokenId, i64)>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT id, revoked_at FROM tokens WHERE revoked_at > $1 ORDER BY revoked_at LIMIT 10000")
                .bind(after)
                .fetch_all(&self.read)
                .await
                .map_err(db_err)?;
        Ok(rows.into_iter().map(|(id, at)| (TokenId(id), at)).collect())
    }

    async fn bots_of_org(&self, org: &OrgId) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.kind = 'bot' AND u.bot_org_id = $1 ORDER BY u.created_at, u.id"
        ))
        .bind(org.as_str())
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.into_iter().map(UserRow::into_user).collect()
    }
}
