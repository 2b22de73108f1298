//! Single sign-on: organizations' identity providers, their e-mail domains, and the upstream
//! identities linked to people.

use crate::open::{commit, SqlStore};
use crate::rows::db_err;
use crate::sql::is_unique_violation;
use async_trait::async_trait;
use tessera_core::ids::{OrgId, UserId};
use tessera_core::ports::{IdentityProvider, SsoStore};
use tessera_core::{Error, Result};

const COLUMNS: &str = "id, org_id, name, issuer, client_id, secret_sealed, default_role, created_at, updated_at";

type Row = (String, String, String, String, String, String, String, i64, i64);

impl SqlStore {
    async fn provider_where(&self, condition: &str, value: &str) -> Result<Option<IdentityProvider>> {
        let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM identity_providers WHERE {condition}"))
            .bind(value)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        let Some((id, org_id, name, issuer, client_id, secret_sealed, default_role, created_at, updated_at)) = row
        else {
            return Ok(None);
        };
        let domains: Vec<String> =
            sqlx::query_scalar("SELECT domain FROM identity_provider_domains WHERE org_id = $1 ORDER BY domain")
                .bind(&org_id)
                .fetch_all(&self.read)
                .await
                .map_err(db_err)?;
        Ok(Some(IdentityProvider {
            id,
            org_id: OrgId(org_id),
            name,
            issuer,
            client_id,
            secret_sealed,
            default_role,
            domains,
            created_at,
            updated_at,
        }))
    }
}

#[async_trait]
impl SsoStore for SqlStore {
    async fn identity_provider(&self, org: &OrgId) -> Result<Option<IdentityProvider>> {
        self.provider_where("org_id = $1", &org.0).await
    }

    async fn identity_provider_for_domain(&self, domain: &str) -> Result<Option<IdentityProvider>> {
        self.provider_where("org_id = (SELECT org_id FROM identity_provider_domains WHERE domain = $1)", domain).await
    }

    async fn put_identity_provider(&self, p: &IdentityProvider) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO identity_providers ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (org_id) DO UPDATE SET name = $3, issuer = $4, client_id = $5, secret_sealed = $6,
                 default_role = $7, updated_at = $9"
        ))
        .bind(&p.id)
        .bind(&p.org_id.0)
        .bind(&p.name)
        .bind(&p.issuer)
        .bind(&p.client_id)
        .bind(&p.secret_sealed)
        .bind(&p.default_role)
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query("DELETE FROM identity_provider_domains WHERE org_id = $1")
            .bind(&p.org_id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for d in &p.domains {
            let inserted = sqlx::query("INSERT INTO identity_provider_domains (domain, org_id) VALUES ($1, $2)")
                .bind(d)
                .bind(&p.org_id.0)
                .execute(&mut *tx)
                .await;
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    return Err(Error::Conflict(format!("the domain {d} leads to another organization's provider")))
                }
                Err(e) => return Err(db_err(e)),
            }
        }
        commit(tx).await
    }

    async fn delete_identity_provider(&self, org: &OrgId) -> Result<bool> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM identity_provider_domains WHERE org_id = $1")
            .bind(&org.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let gone = sqlx::query("DELETE FROM identity_providers WHERE org_id = $1")
            .bind(&org.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        commit(tx).await?;
        Ok(gone > 0)
    }

    async fn identity_user(&self, issuer: &str, subject: &str) -> Result<Option<UserId>> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2")
                .bind(issuer)
                .bind(subject)
                .fetch_optional(&self.read)
                .await
                .map_err(db_err)?;
        Ok(id.map(UserId))
    }

    async fn link_identity(&self, issuer: &str, subject: &str, user: &UserId, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO user_identities (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (issuer, subject) DO NOTHING",
        )
        .bind(issuer)
        .bind(subject)
        .bind(user.as_str())
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn signup_domain(&self, domain: &str) -> Result<Option<(OrgId, String)>> {
        let row: Option<(String, String)> = sqlx::query_as("SELECT org_id, role FROM signup_domains WHERE domain = $1")
            .bind(domain)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        Ok(row.map(|(org, role)| (OrgId(org), role)))
    }

    async fn signup_domains(&self, org: &OrgId) -> Result<Vec<(String, String)>> {
        sqlx::query_as("SELECT domain, role FROM signup_domains WHERE org_id = $1 ORDER BY domain")
            .bind(org.0.as_str())
            .fetch_all(&self.read)
            .await
            .map_err(db_err)
    }

    async fn put_signup_domain(
        &self,
        org: &OrgId,
        domain: &str,
        role: &str,
        by: Option<&UserId>,
        now: i64,
    ) -> Result<()> {
        // Only this organization's row is updated: another's stays, and the insert conflicts.
        let done = sqlx::query(
            "INSERT INTO signup_domains (domain, org_id, role, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (domain) DO UPDATE SET role = excluded.role WHERE signup_domains.org_id = excluded.org_id",
        )
        .bind(domain)
        .bind(org.0.as_str())
        .bind(role)
        .bind(by.map(|u| u.as_str()))
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(Error::Conflict("another organization has open sign-up for this domain".into()));
        }
        Ok(())
    }

    async fn delete_signup_domain(&self, org: &OrgId, domain: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM signup_domains WHERE org_id = $1 AND domain = $2")
            .bind(org.0.as_str())
            .bind(domain)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }
}
