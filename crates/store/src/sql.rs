//! The SQL store: every port implemented once, over sqlx's `Any` driver, for SQLite (the
//! embedded default) and PostgreSQL (several nodes sharing one database). The few differences
//! are in [`Dialect`].
//!
//! Cursor order is commit order on both: each writing transaction, right before it inserts its
//! event and commits, bumps its workspace's `last_cursor` (`UPDATE … RETURNING`), which takes
//! the workspace row's lock until commit, so a workspace's writers commit in cursor order. On
//! SQLite, event writes are committed in groups (one writer connection, jobs one after another
//! in one transaction: see [`crate::group`]); on PostgreSQL the row lock orders them across nodes.

use crate::element_sql::{bind_box, board_changes_sql, board_sql, box_values, elements_sql, insert_version, maybe};
use crate::group::{Stmt, Writing};
use crate::open::{commit, Dialect, SqlStore, EVENTS_CHANNEL};
use crate::rows::*;
use async_trait::async_trait;
use tessera_core::auth::{TokenKey, TokenRecord};
use tessera_core::element::{Element, ElementType};
use tessera_core::event::{Actor, Event, EventPayload};
use tessera_core::ids::{ElementId, OrgId, TokenId, UserId, WorkspaceId};
use tessera_core::model::{
    now_millis, AccessFacts, Collaborator, Comment, Member, Organization, Role, User, Workspace,
};
use tessera_core::oauth::constant_time_eq;
use tessera_core::ports::{
    BoardChanges, BoardRead, Bus, ElementChange, ElementQuery, IngestionState, NewUser, Store, Upload,
};
use tessera_core::{Error, Result};

const WORKSPACE_COLUMNS: &str = "w.id, w.org_id, w.name, w.description, w.is_public, w.owner_id, w.created_at, \
    w.updated_at, w.archived_at, w.background_theme";
pub(crate) const USER_COLUMNS: &str = "u.id, u.kind, u.email, u.first_name, u.last_name, u.bot_org_id, u.created_at";
pub(crate) const TOKEN_COLUMNS: &str =
    "id, kind, user_id, client_id, scopes, workspaces, expires_at, revoked_at, created_at, family_id, rotated_at";
pub(crate) const EVENT_COLUMNS: &str = "workspace_id, cursor, actor_id, actor_type, client_id, payload, created_at";

impl SqlStore {
    /// Append one event to the write's transaction, commit it and tell this node's subscribers.
    /// The workspace's counter row is bumped in the same transaction and stays locked until the
    /// commit, so cursors are dense and in commit order. An element's change also records the
    /// element's state after it (`None`: deleted) as a version, for `elements(when:)`.
    async fn append(
        &self,
        mut tx: Writing<'_>,
        ws: &WorkspaceId,
        actor: &Actor,
        payload: EventPayload,
        version: Option<(&ElementId, Option<&Element>)>,
    ) -> Result<Event> {
        // One round trip on SQLite: the counter, then everything that takes its new value (read
        // back in SQL), the event's insert last, its row telling the cursor.
        let bump = Stmt::new("UPDATE workspaces SET last_cursor = last_cursor + 1 WHERE id = $1");
        tx.exec(bump.bind(ws.as_str())).await?;
        let created_at = now_millis();
        if let Some((id, state)) = version {
            tx.exec(insert_version(ws, id, None, created_at, state)?).await?;
        }
        if self.dialect == Dialect::Postgres {
            let note = "SELECT 1 AS sent FROM pg_notify($1, $2::text || ':' || (SELECT last_cursor FROM workspaces WHERE id = $2))";
            tx.exec(Stmt::new(note).bind(EVENTS_CHANNEL).bind(ws.as_str())).await?;
        }
        let insert = Stmt::new(
            "INSERT INTO events (workspace_id, cursor, kind, actor_id, actor_type, client_id, payload, created_at)
             SELECT $1, w.last_cursor, $2, $3, $4, $5, $6, $7 FROM workspaces w WHERE w.id = $1 RETURNING cursor",
        )
        .bind(ws.as_str())
        .bind(payload.kind())
        .bind(actor.id.as_str())
        .bind(actor.kind.as_str())
        .bind(actor.client_id.as_deref())
        .bind(to_json(&payload)?)
        .bind(created_at);
        // No workspace: nothing above wrote anything (each statement names its row).
        let cursor: i64 = tx.commit_returning(insert).await?.ok_or(Error::NotFound("workspace"))?;
        let event = Event { workspace_id: ws.clone(), cursor, actor: actor.clone(), payload, created_at };
        self.committed(&event);
        Ok(event)
    }
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

#[async_trait]
impl Store for SqlStore {
    fn set_bus(&self, bus: std::sync::Arc<dyn Bus>) {
        if self.bus.set(std::sync::Arc::downgrade(&bus)).is_ok() && self.dialect == Dialect::Postgres {
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

    async fn cursor_at(&self, ws: &WorkspaceId, at: i64) -> Result<i64> {
        let cursor: Option<i64> =
            sqlx::query_scalar("SELECT MAX(cursor) FROM events WHERE workspace_id = $1 AND created_at <= $2")
                .bind(ws.as_str())
                .bind(at)
                .fetch_one(&self.read)
                .await
                .map_err(db_err)?;
        Ok(cursor.unwrap_or(0))
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

    async fn remove_org_member(&self, org: &OrgId, user: &UserId) -> Result<bool> {
        let gone = sqlx::query("DELETE FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org.as_str())
            .bind(user.as_str())
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(gone > 0)
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

    async fn find_token(&self, key: &TokenKey) -> Result<Option<TokenRecord>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            token: TokenRow,
            hash: String,
        }
        let sql = format!("SELECT {TOKEN_COLUMNS}, hash FROM tokens WHERE {}", token_by(key));
        let row: Option<Row> =
            sqlx::query_as(&sql).bind(key_arg(key)).fetch_optional(&self.read).await.map_err(db_err)?;
        row.filter(|r| constant_time_eq(&r.hash, &key.hash)).map(|r| r.token.into_record()).transpose()
    }

    async fn find_token_with_user(&self, key: &TokenKey) -> Result<Option<(TokenRecord, User)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            token: TokenRow,
            hash: String,
            user_kind: String,
            email: Option<String>,
            first_name: String,
            last_name: String,
            bot_org_id: Option<String>,
            user_created_at: i64,
        }
        let sql = format!(
            "SELECT t.id, t.kind, t.user_id, t.client_id, t.scopes, t.workspaces, t.expires_at, t.revoked_at,
                    t.created_at, t.family_id, t.rotated_at, t.hash,
                    u.kind AS user_kind, u.email, u.first_name, u.last_name, u.bot_org_id,
                    u.created_at AS user_created_at
             FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.{}",
            token_by(key)
        );
        let row: Option<Row> =
            sqlx::query_as(&sql).bind(key_arg(key)).fetch_optional(&self.read).await.map_err(db_err)?;
        let row = row.filter(|r| constant_time_eq(&r.hash, &key.hash));
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

    async fn update_workspace(&self, ws: &Workspace, changes: serde_json::Value, actor: &Actor) -> Result<Event> {
        let mut tx = self.group.write().await?;
        let update = Stmt::new(
            "UPDATE workspaces SET name = $1, description = $2, is_public = $3, archived_at = $4,
             background_theme = $5, updated_at = $6 WHERE id = $7 AND deleted_at IS NULL",
        );
        tx.exec(
            update
                .bind(ws.name.as_str())
                .bind(ws.description.as_str())
                .bind(i64::from(ws.is_public))
                .bind(ws.archived_at)
                .bind(ws.background_theme.as_deref())
                .bind(ws.updated_at)
                .bind(ws.id.as_str()),
        )
        .await?;
        self.append(tx, &ws.id, actor, EventPayload::WorkspaceUpdated { changes }, None).await
    }

    async fn delete_workspace(&self, ws: &WorkspaceId, permanent: bool, actor: &Actor) -> Result<Event> {
        let mut tx = self.group.write().await?;
        let mark = Stmt::new("UPDATE workspaces SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL RETURNING id");
        let marked: Option<String> = tx.fetch_optional(mark.bind(now_millis()).bind(ws.as_str())).await?;
        if marked.is_none() {
            return Err(Error::NotFound("workspace"));
        }
        if permanent {
            // Everything of it but the row itself and the event that says it is gone.
            for table in ["element_versions", "elements", "comments", "collaborators", "events"] {
                tx.exec(Stmt::new(format!("DELETE FROM {table} WHERE workspace_id = $1")).bind(ws.as_str())).await?;
            }
        }
        self.append(tx, ws, actor, EventPayload::WorkspaceDeleted { permanent }, None).await
    }

    async fn workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>> {
        let row: Option<WorkspaceRow> = sqlx::query_as(&format!(
            "SELECT {WORKSPACE_COLUMNS} FROM workspaces w WHERE w.id = $1 AND w.deleted_at IS NULL"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.read)
        .await
        .map_err(db_err)?;
        Ok(row.map(Into::into))
    }

    async fn access_facts(&self, ws: &WorkspaceId, user: &UserId) -> Result<Option<AccessFacts>> {
        let row: Option<FactsRow> = sqlx::query_as(&format!(
            "SELECT {WORKSPACE_COLUMNS}, c.role_id AS ws_role, m.role_id AS org_role, w.last_cursor AS head
             FROM workspaces w
             LEFT JOIN collaborators c ON c.workspace_id = w.id AND c.user_id = $2
             LEFT JOIN org_members m ON m.org_id = w.org_id AND m.user_id = $2
             WHERE w.id = $1 AND w.deleted_at IS NULL"
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
            "SELECT {WORKSPACE_COLUMNS}, c.role_id AS ws_role, m.role_id AS org_role, w.last_cursor AS head
             FROM workspaces w
             LEFT JOIN collaborators c ON c.workspace_id = w.id AND c.user_id = $1
             LEFT JOIN org_members m ON m.org_id = w.org_id AND m.user_id = $1
             WHERE (c.user_id IS NOT NULL OR (w.is_public <> 0 AND m.user_id IS NOT NULL)) AND w.deleted_at IS NULL
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
        let mut tx = self.group.write().await?;
        let upsert = Stmt::new(
            "INSERT INTO collaborators (workspace_id, user_id, role_id) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id, user_id) DO UPDATE SET role_id = excluded.role_id",
        );
        tx.exec(upsert.bind(ws.as_str()).bind(user.as_str()).bind(role)).await?;
        let payload = EventPayload::CollaboratorAdded { user_id: user.clone(), role_id: role.to_string() };
        let event = self.append(tx, ws, actor, payload, None).await?;
        Ok(event)
    }

    async fn remove_collaborator(&self, ws: &WorkspaceId, user: &UserId, actor: &Actor) -> Result<Option<Event>> {
        let mut tx = self.group.write().await?;
        let remove = Stmt::new("DELETE FROM collaborators WHERE workspace_id = $1 AND user_id = $2 RETURNING user_id");
        let removed: Option<String> = tx.fetch_optional(remove.bind(ws.as_str()).bind(user.as_str())).await?;
        if removed.is_none() {
            return Ok(None);
        }
        let event =
            self.append(tx, ws, actor, EventPayload::CollaboratorRemoved { user_id: user.clone() }, None).await?;
        Ok(Some(event))
    }

    async fn insert_element(&self, el: &Element, actor: &Actor) -> Result<Event> {
        let mut tx = self.group.write().await?;
        let b = el.top_level_box();
        let mut n = 5;
        let (boxed, surface) = (box_values(b, &mut n).join(", "), maybe(el.surface.is_some(), &mut n));
        let sql = format!(
            "INSERT INTO elements (workspace_id, id, type, z_index, data, min_x, min_y, max_x, max_y, surface_id)
             VALUES ($1, $2, $3, $4, $5, {boxed}, {surface})"
        );
        let q = Stmt::new(sql)
            .bind(el.workspace_id.as_str())
            .bind(el.id.as_str())
            .bind(el.element_type().as_str())
            .bind(el.z_index)
            .bind(to_json(el)?);
        let mut q = bind_box(q, b);
        if let Some(s) = &el.surface {
            q = q.bind(s.as_str());
        }
        tx.exec(q).await?;
        let created = EventPayload::ElementCreated { element: Box::new(el.clone()) };
        let event = self.append(tx, &el.workspace_id, actor, created, Some((&el.id, Some(el)))).await?;
        Ok(event)
    }

    async fn change_element(
        &self,
        ws: &WorkspaceId,
        id: &ElementId,
        actor: &Actor,
        change: ElementChange<'_>,
    ) -> Result<Option<(Option<Element>, Event)>> {
        let mut tx = self.group.write().await?;
        let sql = format!("SELECT data FROM elements WHERE workspace_id = $1 AND id = $2{}", self.for_update());
        let data: Option<String> = tx.fetch_optional(Stmt::new(sql).bind(ws.as_str()).bind(id.as_str())).await?;
        let Some(data) = data else { return Ok(None) };
        let (next, payload) = change(element_from_json(&data)?)?;
        match &next {
            Some(el) => {
                let b = el.top_level_box();
                let mut n = 4;
                let [min_x, min_y, max_x, max_y] = box_values(b, &mut n);
                let surface = maybe(el.surface.is_some(), &mut n);
                let sql = format!(
                    "UPDATE elements SET z_index = $1, data = $2, min_x = {min_x}, min_y = {min_y}, max_x = {max_x},
                     max_y = {max_y}, surface_id = {surface} WHERE workspace_id = $3 AND id = $4"
                );
                let q = Stmt::new(sql).bind(el.z_index).bind(to_json(el)?).bind(ws.as_str()).bind(id.as_str());
                let mut q = bind_box(q, b);
                if let Some(s) = &el.surface {
                    q = q.bind(s.as_str());
                }
                tx.exec(q).await?;
            }
            None => {
                let delete = Stmt::new("DELETE FROM elements WHERE workspace_id = $1 AND id = $2");
                tx.exec(delete.bind(ws.as_str()).bind(id.as_str())).await?;
            }
        }
        let event = self.append(tx, ws, actor, payload, Some((id, next.as_ref()))).await?;
        Ok(Some((next, event)))
    }

    async fn elements(&self, ws: &WorkspaceId, q: ElementQuery<'_>) -> Result<Vec<Element>> {
        let sql = elements_sql(self.dialect, &q);
        let mut query = sqlx::query_scalar(&sql).bind(ws.as_str());
        if let Some(id) = q.id {
            query = query.bind(id.as_str());
        }
        for t in q.types {
            query = query.bind(t.as_str());
        }
        if let Some(b) = q.overlaps {
            query = query.bind(b.x).bind(b.y).bind(b.x + b.width).bind(b.y + b.height);
        }
        let rows: Vec<String> = query.fetch_all(&self.read).await.map_err(db_err)?;
        rows.iter().map(|d| element_from_json(d)).collect()
    }

    async fn elements_at(&self, ws: &WorkspaceId, at: i64, q: ElementQuery<'_>) -> Result<Vec<Element>> {
        // The newest version of each element at `at` (and its oldest, for creation order),
        // narrowed by id and box in SQL; types are checked on what is read.
        let (mut inner, mut outer, mut n) = (String::new(), String::new(), 2);
        if q.id.is_some() {
            n += 1;
            inner.push_str(&format!(" AND element_id = ${n}"));
        }
        if q.overlaps.is_some() {
            let (x0, y0, x1, y1) = (n + 1, n + 2, n + 3, n + 4);
            outer.push_str(&format!(
                " AND v.min_x <= ${x1} AND v.max_x >= ${x0} AND v.min_y <= ${y1} AND v.max_y >= ${y0}"
            ));
        }
        let sql = format!(
            "SELECT v.data, f.first FROM element_versions v JOIN (
                 SELECT element_id, MAX(cursor) AS last, MIN(cursor) AS first FROM element_versions
                 WHERE workspace_id = $1 AND at <= $2{inner} GROUP BY element_id
             ) f ON v.element_id = f.element_id AND v.cursor = f.last
             WHERE v.workspace_id = $1 AND v.data IS NOT NULL{outer}"
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql).bind(ws.as_str()).bind(at);
        if let Some(id) = q.id {
            query = query.bind(id.as_str());
        }
        if let Some(b) = q.overlaps {
            query = query.bind(b.x).bind(b.y).bind(b.x + b.width).bind(b.y + b.height);
        }
        let rows = query.fetch_all(&self.read).await.map_err(db_err)?;
        let mut found = Vec::with_capacity(rows.len());
        for (data, first) in &rows {
            let e = element_from_json(data)?;
            if q.matches(&e) {
                found.push((e, *first));
            }
        }
        found.sort_by_key(|(e, first)| (e.z_index, *first));
        Ok(found.into_iter().map(|(e, _)| e).collect())
    }

    async fn board(&self, ws: &WorkspaceId, limit: usize) -> Result<Option<BoardRead>> {
        let rows: Vec<(i64, Option<i64>, Option<String>)> = sqlx::query_as(&board_sql(self.dialect))
            .bind(ws.as_str())
            .bind(i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1))
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        let Some(cursor) = rows.first().map(|r| r.0) else { return Ok(None) };
        if rows.len() > limit {
            return Ok(None);
        }
        let mut elements = Vec::with_capacity(rows.len());
        for (_, order, data) in rows {
            if let (Some(order), Some(data)) = (order, data) {
                elements.push((order, element_from_json(&data)?));
            }
        }
        Ok(Some(BoardRead { cursor, elements }))
    }

    async fn board_changes(&self, ws: &WorkspaceId, since: i64) -> Result<Option<BoardChanges>> {
        let rows: Vec<(i64, Option<String>, Option<i64>, Option<String>)> =
            sqlx::query_as(&board_changes_sql(self.dialect))
                .bind(ws.as_str())
                .bind(since)
                .fetch_all(&self.read)
                .await
                .map_err(db_err)?;
        let Some(cursor) = rows.first().map(|r| r.0) else { return Ok(None) };
        let mut changed = Vec::with_capacity(rows.len());
        for (_, id, order, data) in rows {
            let Some(id) = id else { continue };
            let id = ElementId::from(id);
            let now = match (order, data) {
                (Some(order), Some(data)) => Some((order, element_from_json(&data)?)),
                _ => None,
            };
            changed.push((id, now));
        }
        Ok(Some(BoardChanges { cursor, changed }))
    }

    async fn insert_comment(&self, c: &Comment, element_type: ElementType, actor: &Actor) -> Result<Event> {
        let mut tx = self.group.write().await?;
        let insert = Stmt::new(
            "INSERT INTO comments (id, workspace_id, element_id, author_id, text, created_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        );
        tx.exec(
            insert
                .bind(c.id.as_str())
                .bind(c.workspace_id.as_str())
                .bind(c.element_id.as_ref().map(|e| e.as_str()))
                .bind(c.author_id.as_str())
                .bind(c.text.as_str())
                .bind(c.created_at)
                .bind(to_json(c)?),
        )
        .await?;
        let event = self
            .append(
                tx,
                &c.workspace_id,
                actor,
                EventPayload::CommentCreated { comment: c.clone(), element_type: Some(element_type) },
                None,
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

    async fn insert_upload(&self, upload: &Upload) -> Result<()> {
        self.insert_upload_row(upload).await
    }
    async fn upload(&self, id: &str) -> Result<Option<Upload>> {
        self.upload_row(id).await
    }
    async fn uploads_of(&self, ws: &WorkspaceId, element: &ElementId) -> Result<Vec<Upload>> {
        self.upload_rows_of(ws, element).await
    }
    async fn claim_upload(&self, seen: &Upload, to: IngestionState, now: i64) -> Result<bool> {
        self.claim_upload_row(seen, to, now).await
    }
    async fn delete_uploads(&self, ws: &WorkspaceId, element: &ElementId) -> Result<()> {
        self.delete_upload_rows(ws, element).await
    }
    async fn stale_uploads(&self, now: i64, stalled_before: i64, limit: u32) -> Result<Vec<Upload>> {
        self.stale_upload_rows(now, stalled_before, limit).await
    }
    async fn server_secret(&self, name: &str, candidate: &str) -> Result<String> {
        self.server_secret_value(name, candidate).await
    }
}

/// The condition that finds the token `key` names (its id, or for a token of the earlier
/// format, its hash in `legacy_tokens`), with [`key_arg`] as `$1`.
fn token_by(key: &TokenKey) -> &'static str {
    match key.id {
        Some(_) => "id = $1",
        None => "id = (SELECT id FROM legacy_tokens WHERE hash = $1)",
    }
}

fn key_arg(key: &TokenKey) -> &str {
    key.id.as_ref().map_or(key.hash.as_str(), |id| id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::element::BoundingBox;

    /// A viewport reads the elements it covers through the R*Tree, not by scanning a workspace.
    #[tokio::test]
    async fn a_viewport_is_read_through_the_spatial_index() {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect("sqlite::memory:").await.expect("db");
        sqlx::migrate!("./migrations/sqlite").run(&pool).await.expect("migrate");
        let area = BoundingBox { x: 0.0, y: 0.0, width: 10.0, height: 10.0 };
        let q = ElementQuery { overlaps: Some(area), ..Default::default() };
        let plan = format!("EXPLAIN QUERY PLAN {}", elements_sql(Dialect::Sqlite, &q).replace('$', "?"));
        let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(&plan).bind("w");
        for v in [0.0, 0.0, 10.0, 10.0] {
            query = query.bind(v);
        }
        let steps: Vec<String> = query.fetch_all(&pool).await.expect("plan").into_iter().map(|r| r.3).collect();
        // The R*Tree, bounded on every side of its three dimensions (workspace, x, y), is the
        // outer loop; each hit is then read by rowid.
        let index = steps.iter().position(|s| s.contains("VIRTUAL TABLE INDEX 2:B0D1B2D3B4D5"));
        let table = steps.iter().position(|s| s.contains("SEARCH e USING INTEGER PRIMARY KEY (rowid=?)"));
        assert!(index.is_some() && table.is_some() && index < table, "{steps:?}");
    }
}
