//! The SQL store: every port implemented once, over sqlx's `Any` driver, for SQLite (the
//! embedded default) and PostgreSQL (several nodes sharing one database). The few differences
//! are in [`Dialect`].
//!
//! Cursor order is commit order on both: each writing transaction, right before it inserts its
//! event and commits, bumps its workspace's `last_cursor` (`UPDATE … RETURNING`), which takes
//! the workspace row's lock until commit, so a workspace's writers commit in cursor order. SQLite has one writer
//! connection anyway; on PostgreSQL the row lock does it across nodes.

use crate::open::{commit, notify, Dialect, SqlStore, EVENTS_CHANNEL};
use crate::rows::*;
use async_trait::async_trait;
use sqlx::{Any, Transaction};
use tessera_core::auth::TokenRecord;
use tessera_core::element::{Element, ElementType};
use tessera_core::event::{Actor, Event, EventPayload};
use tessera_core::ids::{ElementId, OrgId, TokenId, UserId, WorkspaceId};
use tessera_core::model::{
    now_millis, AccessFacts, Collaborator, Comment, Member, Organization, Role, User, Workspace,
};
use tessera_core::ports::{Bus, ElementChange, NewUser, Store};
use tessera_core::{Error, Result};

const WORKSPACE_COLUMNS: &str = "w.id, w.org_id, w.name, w.description, w.is_public, w.owner_id, w.created_at";
pub(crate) const USER_COLUMNS: &str = "u.id, u.kind, u.email, u.first_name, u.last_name, u.bot_org_id, u.created_at";
pub(crate) const TOKEN_COLUMNS: &str =
    "id, kind, user_id, client_id, scopes, workspaces, expires_at, revoked_at, created_at, family_id, rotated_at";
const EVENT_COLUMNS: &str = "workspace_id, cursor, actor_id, actor_type, client_id, payload, created_at";

impl SqlStore {
    /// Append one event to the caller's transaction, commit it and tell this node's subscribers.
    /// The workspace's counter row is bumped in the same transaction and stays locked until the
    /// commit, so cursors are dense and in commit order.
    async fn append(
        &self,
        mut tx: Transaction<'static, Any>,
        ws: &WorkspaceId,
        actor: &Actor,
        payload: EventPayload,
    ) -> Result<Event> {
        let cursor: i64 = sqlx::query_scalar(
            "UPDATE workspaces SET last_cursor = last_cursor + 1 WHERE id = $1 RETURNING last_cursor",
        )
        .bind(ws.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(Error::NotFound("workspace"))?;
        let event = Event { workspace_id: ws.clone(), cursor, actor: actor.clone(), payload, created_at: now_millis() };
        sqlx::query(
            "INSERT INTO events (workspace_id, cursor, kind, actor_id, actor_type, client_id, payload, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(ws.as_str())
        .bind(cursor)
        .bind(event.payload.kind())
        .bind(actor.id.as_str())
        .bind(actor.kind.as_str())
        .bind(actor.client_id.as_deref())
        .bind(to_json(&event.payload)?)
        .bind(event.created_at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if self.dialect == Dialect::Postgres {
            notify(&mut *tx, EVENTS_CHANNEL, &format!("{}:{cursor}", ws.as_str())).await?;
        }
        commit(tx).await?;
        self.committed(&event);
        Ok(event)
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

#[async_trait]
impl Store for SqlStore {
    fn set_bus(&self, bus: std::sync::Arc<dyn Bus>) {
        if self.bus.set(bus.clone()).is_ok() && self.dialect == Dialect::Postgres {
            crate::listen::spawn(self.url.clone(), bus);
        }
    }

    async fn last_cursor(&self, ws: &WorkspaceId) -> Result<Option<i64>> {
        sqlx::query_scalar("SELECT last_cursor FROM workspaces WHERE id = $1")
            .bind(ws.as_str())
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await.map_err(db_err)?;
        Ok(())
    }

    async fn roles(&self) -> Result<Vec<Role>> {
        let rows: Vec<RoleRow> = sqlx::query_as("SELECT resource_type, id, name, description, permissions FROM roles")
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.into_iter().map(RoleRow::into_role).collect()
    }

    async fn create_org(&self, org: &Organization) -> Result<()> {
        sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(org.id.as_str())
            .bind(&org.name)
            .bind(org.created_at)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn org(&self, id: &OrgId) -> Result<Option<Organization>> {
        let row: Option<OrgRow> = sqlx::query_as("SELECT id, name, created_at FROM organizations WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        Ok(row.map(Into::into))
    }

    async fn set_org_member(&self, org: &OrgId, user: &UserId, role: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO org_members (org_id, user_id, role_id) VALUES ($1, $2, $3)
             ON CONFLICT (org_id, user_id) DO UPDATE SET role_id = excluded.role_id",
        )
        .bind(org.as_str())
        .bind(user.as_str())
        .bind(role)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn org_role(&self, org: &OrgId, user: &UserId) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT role_id FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org.as_str())
            .bind(user.as_str())
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)
    }

    async fn orgs_of(&self, user: &UserId) -> Result<Vec<Organization>> {
        let rows: Vec<OrgRow> = sqlx::query_as(
            "SELECT o.id, o.name, o.created_at FROM organizations o JOIN org_members m ON m.org_id = o.id
             WHERE m.user_id = $1 ORDER BY o.created_at, o.id",
        )
        .bind(user.as_str())
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn org_members(&self, org: &OrgId) -> Result<Vec<Member>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            role_id: String,
        }
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS}, m.role_id FROM org_members m JOIN users u ON u.id = m.user_id
             WHERE m.org_id = $1 ORDER BY u.created_at, u.id"
        ))
        .bind(org.as_str())
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.into_iter().map(|r| Ok(Member { user: r.user.into_user()?, role_id: r.role_id })).collect()
    }

    async fn create_user(&self, new: &NewUser) -> Result<()> {
        let u = &new.user;
        sqlx::query(
            "INSERT INTO users (id, kind, email, email_lower, first_name, last_name, password_hash, bot_org_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(u.id.as_str())
        .bind(u.kind.as_str())
        .bind(u.email.as_deref())
        .bind(u.email.as_ref().map(|e| e.to_lowercase()))
        .bind(&u.first_name)
        .bind(&u.last_name)
        .bind(new.password_hash.as_deref())
        .bind(u.bot_org.as_ref().map(|o| o.as_str()))
        .bind(u.created_at)
        .execute(&self.write)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::Conflict("a user with this email already exists".into())
            } else {
                db_err(e)
            }
        })?;
        Ok(())
    }

    async fn user(&self, id: &UserId) -> Result<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        row.map(UserRow::into_user).transpose()
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<(User, Option<String>)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            password_hash: Option<String>,
        }
        let row: Option<Row> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email_lower = $1"))
                .bind(email.trim().to_lowercase())
                .fetch_optional(&self.read)
                .await
                .map_err(db_err)?;
        row.map(|r| Ok((r.user.into_user()?, r.password_hash))).transpose()
    }

    async fn find_token(&self, hash: &str) -> Result<Option<TokenRecord>> {
        let row: Option<TokenRow> = sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = $1"))
            .bind(hash)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        row.map(TokenRow::into_record).transpose()
    }

    async fn find_token_with_user(&self, hash: &str) -> Result<Option<(TokenRecord, User)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            token: TokenRow,
            user_kind: String,
            email: Option<String>,
            first_name: String,
            last_name: String,
            bot_org_id: Option<String>,
            user_created_at: i64,
        }
        let row: Option<Row> = sqlx::query_as(
            "SELECT t.id, t.kind, t.user_id, t.client_id, t.scopes, t.workspaces, t.expires_at, t.revoked_at,
                    t.created_at, t.family_id, t.rotated_at,
                    u.kind AS user_kind, u.email, u.first_name, u.last_name, u.bot_org_id,
                    u.created_at AS user_created_at
             FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.read)
        .await
        .map_err(db_err)?;
        let Some(r) = row else { return Ok(None) };
        let user = UserRow {
            id: r.token.user_id.clone(),
            kind: r.user_kind,
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            bot_org_id: r.bot_org_id,
            created_at: r.user_created_at,
        };
        Ok(Some((r.token.into_record()?, user.into_user()?)))
    }

    async fn tokens_of(&self, user: &UserId) -> Result<Vec<TokenRecord>> {
        let rows: Vec<TokenRow> =
            sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE user_id = $1 ORDER BY created_at, id"))
                .bind(user.as_str())
                .fetch_all(&self.read)
                .await
                .map_err(db_err)?;
        rows.into_iter().map(TokenRow::into_record).collect()
    }

    async fn revoke_token(&self, id: &TokenId) -> Result<Option<UserId>> {
        let mut tx = self.begin().await?;
        let owner: Option<String> = sqlx::query_scalar(
            "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING user_id",
        )
        .bind(now_millis())
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        // Tokens derived from this one (exchanged for it) go with it.
        let mut revoked: Vec<String> = sqlx::query_scalar(
            "UPDATE tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL RETURNING id",
        )
        .bind(now_millis())
        .bind(id.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        commit(tx).await?;
        if owner.is_some() {
            revoked.push(id.0.clone());
        }
        self.revoked(revoked).await;
        Ok(owner.map(UserId))
    }

    async fn create_workspace(&self, ws: &Workspace) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO workspaces (id, org_id, name, description, is_public, owner_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(ws.id.as_str())
        .bind(ws.org_id.as_str())
        .bind(&ws.name)
        .bind(&ws.description)
        .bind(i64::from(ws.is_public))
        .bind(ws.owner_id.as_str())
        .bind(ws.created_at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query("INSERT INTO collaborators (workspace_id, user_id, role_id) VALUES ($1, $2, 'owner')")
            .bind(ws.id.as_str())
            .bind(ws.owner_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        commit(tx).await
    }

    async fn workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>> {
        let row: Option<WorkspaceRow> =
            sqlx::query_as(&format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces w WHERE w.id = $1"))
                .bind(id.as_str())
                .fetch_optional(&self.read)
                .await
                .map_err(db_err)?;
        Ok(row.map(Into::into))
    }

    async fn access_facts(&self, ws: &WorkspaceId, user: &UserId) -> Result<Option<AccessFacts>> {
        let row: Option<FactsRow> = sqlx::query_as(&format!(
            "SELECT {WORKSPACE_COLUMNS}, c.role_id AS ws_role, m.role_id AS org_role
             FROM workspaces w
             LEFT JOIN collaborators c ON c.workspace_id = w.id AND c.user_id = $2
             LEFT JOIN org_members m ON m.org_id = w.org_id AND m.user_id = $2
             WHERE w.id = $1"
        ))
        .bind(ws.as_str())
        .bind(user.as_str())
        .fetch_optional(&self.read)
        .await
        .map_err(db_err)?;
        Ok(row.map(Into::into))
    }

    async fn visible_workspaces(&self, user: &UserId) -> Result<Vec<AccessFacts>> {
        let rows: Vec<FactsRow> = sqlx::query_as(&format!(
            "SELECT {WORKSPACE_COLUMNS}, c.role_id AS ws_role, m.role_id AS org_role
             FROM workspaces w
             LEFT JOIN collaborators c ON c.workspace_id = w.id AND c.user_id = $1
             LEFT JOIN org_members m ON m.org_id = w.org_id AND m.user_id = $1
             WHERE c.user_id IS NOT NULL OR (w.is_public <> 0 AND m.user_id IS NOT NULL)
             ORDER BY w.created_at, w.id"
        ))
        .bind(user.as_str())
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn collaborators(&self, ws: &WorkspaceId) -> Result<Vec<Collaborator>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            role_id: String,
        }
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS}, c.role_id FROM collaborators c JOIN users u ON u.id = c.user_id
             WHERE c.workspace_id = $1 ORDER BY u.created_at, u.id"
        ))
        .bind(ws.as_str())
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.into_iter().map(|r| Ok(Collaborator { user: r.user.into_user()?, role_id: r.role_id })).collect()
    }

    async fn set_collaborator(&self, ws: &WorkspaceId, user: &UserId, role: &str, actor: &Actor) -> Result<Event> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO collaborators (workspace_id, user_id, role_id) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id, user_id) DO UPDATE SET role_id = excluded.role_id",
        )
        .bind(ws.as_str())
        .bind(user.as_str())
        .bind(role)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let payload = EventPayload::CollaboratorAdded { user_id: user.clone(), role_id: role.to_string() };
        let event = self.append(tx, ws, actor, payload).await?;
        Ok(event)
    }

    async fn remove_collaborator(&self, ws: &WorkspaceId, user: &UserId, actor: &Actor) -> Result<Option<Event>> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("DELETE FROM collaborators WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.as_str())
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let event = self.append(tx, ws, actor, EventPayload::CollaboratorRemoved { user_id: user.clone() }).await?;
        Ok(Some(event))
    }

    async fn insert_element(&self, el: &Element, actor: &Actor) -> Result<Event> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO elements (workspace_id, id, type, z_index, data) VALUES ($1, $2, $3, $4, $5)")
            .bind(el.workspace_id.as_str())
            .bind(el.id.as_str())
            .bind(el.element_type().as_str())
            .bind(el.z_index)
            .bind(to_json(el)?)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let event = self
            .append(tx, &el.workspace_id, actor, EventPayload::ElementCreated { element: Box::new(el.clone()) })
            .await?;
        Ok(event)
    }

    async fn change_element(
        &self,
        ws: &WorkspaceId,
        id: &ElementId,
        actor: &Actor,
        change: ElementChange<'_>,
    ) -> Result<Option<(Option<Element>, Event)>> {
        let mut tx = self.begin().await?;
        let sql = format!("SELECT data FROM elements WHERE workspace_id = $1 AND id = $2{}", self.for_update());
        let data: Option<String> = sqlx::query_scalar(&sql)
            .bind(ws.as_str())
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let Some(data) = data else { return Ok(None) };
        let (next, payload) = change(element_from_json(&data)?)?;
        match &next {
            Some(el) => sqlx::query("UPDATE elements SET z_index = $1, data = $2 WHERE workspace_id = $3 AND id = $4")
                .bind(el.z_index)
                .bind(to_json(el)?)
                .bind(ws.as_str())
                .bind(id.as_str()),
            None => sqlx::query("DELETE FROM elements WHERE workspace_id = $1 AND id = $2")
                .bind(ws.as_str())
                .bind(id.as_str()),
        }
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let event = self.append(tx, ws, actor, payload).await?;
        Ok(Some((next, event)))
    }

    async fn elements(&self, ws: &WorkspaceId, id: Option<&ElementId>, types: &[ElementType]) -> Result<Vec<Element>> {
        // Numbered placeholders: sqlx's query builder writes `?` for `Any`, which PostgreSQL rejects.
        let mut sql = String::from("SELECT data FROM elements WHERE workspace_id = $1");
        let mut n = 1;
        if id.is_some() {
            n += 1;
            sql.push_str(&format!(" AND id = ${n}"));
        }
        if !types.is_empty() {
            let list: Vec<String> = (n + 1..=n + types.len()).map(|i| format!("${i}")).collect();
            sql.push_str(&format!(" AND type IN ({})", list.join(", ")));
        }
        sql.push_str(&format!(" ORDER BY z_index, {}", self.creation_order()));
        let mut query = sqlx::query_scalar(&sql).bind(ws.as_str());
        if let Some(id) = id {
            query = query.bind(id.as_str());
        }
        for t in types {
            query = query.bind(t.as_str());
        }
        let rows: Vec<String> = query.fetch_all(&self.read).await.map_err(db_err)?;
        rows.iter().map(|d| element_from_json(d)).collect()
    }

    async fn insert_comment(&self, c: &Comment, element_type: ElementType, actor: &Actor) -> Result<Event> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO comments (id, workspace_id, element_id, author_id, text, created_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(c.id.as_str())
        .bind(c.workspace_id.as_str())
        .bind(c.element_id.as_ref().map(|e| e.as_str()))
        .bind(c.author_id.as_str())
        .bind(&c.text)
        .bind(c.created_at)
        .bind(to_json(c)?)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let event = self
            .append(
                tx,
                &c.workspace_id,
                actor,
                EventPayload::CommentCreated { comment: c.clone(), element_type: Some(element_type) },
            )
            .await?;
        Ok(event)
    }

    async fn comments(&self, ws: &WorkspaceId, element: Option<&ElementId>) -> Result<Vec<Comment>> {
        let mut sql = format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE workspace_id = $1");
        if element.is_some() {
            sql.push_str(" AND element_id = $2");
        }
        sql.push_str(" ORDER BY created_at, id");
        let mut query = sqlx::query_as::<_, CommentRow>(&sql).bind(ws.as_str());
        if let Some(e) = element {
            query = query.bind(e.as_str());
        }
        query.fetch_all(&self.read).await.map_err(db_err)?.into_iter().map(CommentRow::comment).collect()
    }

    async fn events_after(&self, ws: &WorkspaceId, after: i64, limit: u32) -> Result<Vec<Event>> {
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE workspace_id = $1 AND cursor > $2 ORDER BY cursor LIMIT $3"
        ))
        .bind(ws.as_str())
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.into_iter().map(EventRow::into_event).collect()
    }
}
