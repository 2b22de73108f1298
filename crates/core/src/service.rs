//! The use cases. Transports (GraphQL, HTTP, CLI) call one method here per request; each
//! method authorizes through [`crate::permission`], validates, and calls the store.

use crate::audit::{NewSecurityEvent, SecurityKind};
use crate::auth::{self, parse_scopes, Principal, TokenKind, TokenRecord, BOT_TOKEN_PREFIX};
use crate::cache::{Credentials, TokenEntry};
use crate::element::board::Boards;
use crate::error::{Error, Result};
use crate::event::{Actor, Event};
use crate::ids::{CommentId, ElementId, OrgId, TokenId, UserId, WorkspaceId};
use crate::model::{
    now_millis, AccessFacts, ActorType, Collaborator, Comment, Member, Organization, ResourceType, Role, User,
    Workspace,
};
use crate::oauth::OAuthSettings;
use crate::passwords::Passwords;
use crate::permission::{
    decide, decide_org, decide_role_change, scope_allows_reading, Permission, RoleBook, WorkspaceData, ORG_ROLES,
};
use crate::ports::{ElementQuery, NewUser, Store, TokenWrite};
use crate::validate;
use serde_json::{json, Value as Json};
use std::sync::Arc;

/// Only access and bot tokens that are not revoked are bearer credentials.
fn is_bearer(t: &TokenRecord) -> bool {
    matches!(t.kind, TokenKind::Access | TokenKind::Bot) && !t.revoked
}

/// Everything the domain needs, shared by all requests.
#[derive(Clone)]
pub struct Core {
    pub(crate) store: Arc<dyn Store>,
    roles: Arc<RoleBook>,
    settings: Arc<OAuthSettings>,
    credentials: Arc<Credentials>,
    passwords: Arc<Passwords>,
    pub(crate) boards: Arc<Boards>,
    pub(crate) oidc: Arc<crate::oauth::oidc::Oidc>,
    /// Signalled when mail is queued, to wake this node's sender.
    pub(crate) mail_queued: Arc<tokio::sync::Notify>,
}

/// What `update_workspace` changes: each field given is set; `archived_at: Some(None)`
/// unarchives.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_public: Option<bool>,
    pub archived_at: Option<Option<i64>>,
    pub background_theme: Option<String>,
}

/// A new comment as the platform's `CommentInput` gives it (blocks as JSON; traits a JSON-LD
/// document, kept as given).
#[derive(Debug, Clone)]
pub struct NewComment {
    pub blocks: Json,
    pub parent_id: Option<CommentId>,
    pub traits: Option<Json>,
}

#[derive(Debug, Clone)]
pub struct NewWorkspace {
    pub org_id: OrgId,
    pub name: String,
    pub description: Option<String>,
    pub is_public: bool,
}

/// A new person, as the CLI (and later a sign-up page) supplies it.
#[derive(Debug, Clone, Default)]
pub struct NewPerson {
    pub email: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
    pub org: Option<(OrgId, String)>,
}

impl Core {
    /// Loads the role data once; roles are built-in and seeded by migrations.
    pub async fn new(store: Arc<dyn Store>, settings: OAuthSettings) -> Result<Self> {
        let roles = Arc::new(RoleBook::new(store.roles().await?));
        Ok(Core {
            store,
            roles,
            settings: Arc::new(settings),
            credentials: Arc::default(),
            passwords: Arc::default(),
            boards: Arc::default(),
            oidc: Arc::default(),
            mail_queued: Arc::default(),
        })
    }

    /// This core with ID tokens signed by keys sealed with `sealer` and rotated by `policy`.
    pub fn with_signing_keys(
        mut self,
        sealer: crate::oauth::keys::Sealer,
        policy: crate::oauth::keys::KeyPolicy,
    ) -> Self {
        self.oidc = Arc::new(crate::oauth::oidc::Oidc::new(sealer, policy));
        self
    }

    /// This core with element reads served from a cache of at most `elements` elements
    /// (0: every read goes to the database).
    pub fn with_board_cache(mut self, elements: usize) -> Self {
        self.boards = Arc::new(Boards::new(elements));
        self
    }

    /// The credential cache; the server empties it whenever tokens are revoked anywhere.
    pub fn credentials(&self) -> &Arc<Credentials> {
        &self.credentials
    }

    /// Password hashing, on the blocking pool with a bounded queue.
    /// Signalled when mail is queued on this node (the sender waits on it).
    pub fn mail_queued(&self) -> Arc<tokio::sync::Notify> {
        self.mail_queued.clone()
    }

    pub fn passwords(&self) -> &Passwords {
        &self.passwords
    }

    pub fn settings(&self) -> &OAuthSettings {
        &self.settings
    }

    /// The store itself, for tests and tools that set up or inspect data. The server's
    /// transports go through the use cases above (clippy's `disallowed-methods` refuses this
    /// call elsewhere; see clippy.toml).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn role_book(&self) -> &RoleBook {
        &self.roles
    }

    // ---- authentication ----

    /// Resolve a bearer token to a principal; anything unknown, revoked or expired is
    /// `Unauthenticated`.
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        let entry = self.token(token).await?.ok_or(Error::Unauthenticated)?;
        let (record, user) = &*entry;
        if !is_bearer(record) || record.expires_at.is_some_and(|t| t <= now_millis()) {
            return Err(Error::Unauthenticated);
        }
        Ok(Principal {
            user: Arc::clone(user),
            token_id: record.id.clone(),
            client_id: record.client_id.clone(),
            scopes: parse_scopes(&record.scopes).map_err(|_| Error::Unauthenticated)?,
            workspaces: record.workspaces.clone(),
            expires_at: record.expires_at,
        })
    }

    /// A token and its user, from the credential cache or the store. Only usable bearer
    /// credentials are cached: refresh tokens change state (rotation) without a revocation.
    pub(crate) async fn token(&self, token: &str) -> Result<Option<TokenEntry>> {
        let key = auth::TokenKey::of(token);
        let load = async { Ok(self.store.find_token_with_user(&key).await?.map(|(t, u)| Arc::new((t, Arc::new(u))))) };
        self.credentials.tokens.get_or_load(&key.hash, load, |entry| is_bearer(&entry.0)).await
    }

    /// Whether the database answers (readiness).
    pub async fn ready(&self) -> Result<()> {
        self.store.ping().await
    }

    // ---- the event log, for feeds that authorized their reader already ----

    /// The cursor of a workspace's newest event (0 if none); `None` if there is no such workspace.
    pub async fn log_head(&self, ws: &WorkspaceId) -> Result<Option<i64>> {
        self.store.last_cursor(ws).await
    }

    /// A workspace's events after `after`, in cursor order, at most `limit`.
    pub async fn log_after(&self, ws: &WorkspaceId, after: i64, limit: u32) -> Result<Vec<Event>> {
        self.store.events_after(ws, after, limit).await
    }

    /// The workspaces a person reaches with all their own permissions (the consent page's list).
    pub async fn person_workspaces(&self, user: &UserId) -> Result<Vec<Workspace>> {
        Ok(self.store.visible_workspaces(user).await?.into_iter().map(|f| f.workspace).collect())
    }

    // ---- reads ----

    pub async fn me(&self, p: &Principal) -> Result<User> {
        Ok((*p.user).clone())
    }

    pub async fn my_organizations(&self, p: &Principal) -> Result<Vec<Organization>> {
        if !crate::permission::scope_allows(p, Permission::OrgRead) {
            return Ok(vec![]);
        }
        self.store.orgs_of(&p.user.id).await
    }

    pub async fn organization(&self, p: &Principal, id: &OrgId) -> Result<Organization> {
        let role = self.store.org_role(id, &p.user.id).await?;
        decide_org(&self.roles, p, role.as_deref(), Permission::OrgRead)?;
        self.store.org(id).await?.ok_or(Error::NotFound("organization"))
    }

    /// The members of an organization and their roles (personal data: `org:read`, `org:admin` or
    /// `v2legacy`, and membership of the organization).
    pub async fn members(&self, p: &Principal, org: &OrgId) -> Result<Vec<Member>> {
        let role = self.store.org_role(org, &p.user.id).await?;
        decide_org(&self.roles, p, role.as_deref(), Permission::OrgRead)?;
        self.store.org_members(org).await
    }

    /// The people and bots the caller can see: the members of each organization it may read
    /// (with `org:read`), each once.
    pub async fn people(&self, p: &Principal) -> Result<Vec<User>> {
        let mut out: Vec<User> = vec![];
        for org in self.my_organizations(p).await? {
            for m in self.members(p, &org.id).await? {
                if !out.iter().any(|u| u.id == m.user.id) {
                    out.push(m.user);
                }
            }
        }
        Ok(out)
    }

    /// One of [`Core::people`], by id or e-mail address (case aside); `NOT_FOUND` for anyone
    /// else, so that an address cannot be probed.
    pub async fn person(&self, p: &Principal, id: Option<&UserId>, email: Option<&str>) -> Result<User> {
        let wanted = |u: &User| match (id, email) {
            (Some(id), _) => u.id == *id,
            (None, Some(e)) => u.email.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(e.trim())),
            (None, None) => false,
        };
        if id.is_some() == email.is_some() {
            return Err(Error::bad_input("give exactly one of userId and email"));
        }
        self.people(p).await?.into_iter().find(wanted).ok_or(Error::NotFound("user"))
    }

    /// The owner of an organization (the first member with the `owner` role), if it has one.
    pub async fn organization_owner(&self, p: &Principal, org: &OrgId) -> Result<Option<User>> {
        Ok(self.members(p, org).await?.into_iter().find(|m| m.role_id == "owner").map(|m| m.user))
    }

    /// The organization a workspace belongs to, for someone who may read the workspace.
    pub async fn workspace_organization(&self, p: &Principal, ws: &WorkspaceId) -> Result<Organization> {
        let facts = self.authorize(p, ws, Permission::WorkspaceRead).await?;
        self.store.org(&facts.workspace.org_id).await?.ok_or(Error::NotFound("organization"))
    }

    /// The owner of a workspace: a person's profile, so a workspace scope is needed as for the
    /// collaborators.
    pub async fn workspace_owner(&self, p: &Principal, ws: &WorkspaceId) -> Result<User> {
        let facts = self.authorize(p, ws, Permission::WorkspaceRead).await?;
        if !scope_allows_reading(p, WorkspaceData::People) {
            return Err(Error::Forbidden("see who works in this workspace with this token's scopes"));
        }
        self.store.user(&facts.workspace.owner_id).await?.ok_or(Error::NotFound("user"))
    }

    /// The workspace, if the principal may read it (else `NOT_FOUND`).
    pub async fn workspace(&self, p: &Principal, id: &WorkspaceId) -> Result<Workspace> {
        Ok(self.authorize(p, id, Permission::WorkspaceRead).await?.workspace)
    }

    pub async fn workspaces(&self, p: &Principal) -> Result<Vec<Workspace>> {
        Ok(self.workspace_facts(p).await?.into_iter().map(|f| f.workspace).collect())
    }

    /// Every workspace the principal may read, with their roles in it and its organization.
    pub async fn workspace_facts(&self, p: &Principal) -> Result<Vec<AccessFacts>> {
        let all = self.store.visible_workspaces(&p.user.id).await?;
        Ok(all.into_iter().filter(|f| decide(&self.roles, p, f, Permission::WorkspaceRead).is_ok()).collect())
    }

    /// The people in a workspace: personal data, so the token needs a workspace scope.
    pub async fn collaborators(&self, p: &Principal, ws: &WorkspaceId) -> Result<Vec<Collaborator>> {
        self.authorize(p, ws, Permission::WorkspaceRead).await?;
        if !scope_allows_reading(p, WorkspaceData::People) {
            return Err(Error::Forbidden("see who works in this workspace with this token's scopes"));
        }
        self.store.collaborators(ws).await
    }

    pub fn roles(&self, resource: Option<ResourceType>) -> Vec<Role> {
        self.roles.list(resource)
    }

    /// Reading elements needs an element scope (`elements:read`/`elements:write`/`v2legacy`),
    /// not only a workspace one.
    pub async fn authorize_elements_read(&self, p: &Principal, ws: &WorkspaceId) -> Result<AccessFacts> {
        let facts = self.authorize(p, ws, Permission::WorkspaceRead).await?;
        if !scope_allows_reading(p, WorkspaceData::Elements) {
            return Err(Error::Forbidden("read elements with this token's scopes"));
        }
        Ok(facts)
    }

    /// The single entry to a workspace-level decision: facts from the store, decision in
    /// [`decide`].
    pub async fn authorize(&self, p: &Principal, ws: &WorkspaceId, perm: Permission) -> Result<AccessFacts> {
        let facts = self.store.access_facts(ws, &p.user.id).await?.ok_or(Error::NotFound("workspace"))?;
        decide(&self.roles, p, &facts, perm)?;
        Ok(facts)
    }

    // ---- workspace mutations ----

    pub async fn create_workspace(&self, p: &Principal, input: NewWorkspace) -> Result<Workspace> {
        let role = self.store.org_role(&input.org_id, &p.user.id).await?;
        decide_org(&self.roles, p, role.as_deref(), Permission::WorkspaceCreate)?;
        self.insert_workspace(input, p.user.id.clone()).await
    }

    /// Change a workspace's settings (its owners, with `workspaces:write`). Archiving makes
    /// it read-only until it is unarchived.
    pub async fn update_workspace(&self, p: &Principal, ws: &WorkspaceId, c: WorkspaceChanges) -> Result<Workspace> {
        let facts = self.authorize(p, ws, Permission::WorkspaceUpdate).await?;
        let mut next = facts.workspace;
        let mut changes = serde_json::Map::new();
        if let Some(name) = c.name {
            next.name = validate::name("name", &name)?;
            changes.insert("name".into(), json!(next.name));
        }
        if let Some(description) = c.description {
            validate::chars("description", &description, validate::MAX_DESCRIPTION_CHARS)?;
            next.description = description.trim().to_string();
            changes.insert("description".into(), json!(next.description));
        }
        if let Some(public) = c.is_public {
            next.is_public = public;
            changes.insert("isPublic".into(), json!(public));
        }
        if let Some(archived) = c.archived_at {
            next.archived_at = archived;
            changes.insert("archivedAt".into(), json!(archived));
        }
        if let Some(theme) = c.background_theme {
            if !matches!(theme.as_str(), "dark" | "light") {
                return Err(Error::bad_input("backgroundTheme is dark or light"));
            }
            changes.insert("backgroundTheme".into(), json!(theme));
            next.background_theme = Some(theme);
        }
        if changes.is_empty() {
            return Err(Error::bad_input("the input changes nothing"));
        }
        next.updated_at = Some(now_millis());
        self.store.update_workspace(&next, Json::Object(changes), &actor_of(p)).await?;
        Ok(next)
    }

    /// Delete a workspace (its owners): nothing reads it afterwards, and its subscribers'
    /// feeds end. `permanent` also removes its content and history.
    pub async fn delete_workspace(&self, p: &Principal, ws: &WorkspaceId, permanent: bool) -> Result<()> {
        self.authorize(p, ws, Permission::WorkspaceDelete).await?;
        self.store.delete_workspace(ws, permanent, &actor_of(p)).await?;
        Ok(())
    }

    pub async fn add_collaborator(
        &self,
        p: &Principal,
        ws: &WorkspaceId,
        user: &UserId,
        role: &str,
    ) -> Result<Collaborator> {
        let facts = self.authorize(p, ws, Permission::CollaboratorManage).await?;
        let current = self.workspace_role_of(ws, user).await?;
        decide_role_change(facts.workspace_role.as_deref(), current.as_deref(), Some(role))?;
        self.put_collaborator(&facts.workspace, user, role, &actor_of(p)).await
    }

    /// Change the role of someone who already is a collaborator.
    pub async fn update_collaborator_role(
        &self,
        p: &Principal,
        ws: &WorkspaceId,
        user: &UserId,
        role: &str,
    ) -> Result<Collaborator> {
        let facts = self.authorize(p, ws, Permission::CollaboratorManage).await?;
        let Some(current) = self.workspace_role_of(ws, user).await? else {
            return Err(Error::NotFound("collaborator"));
        };
        decide_role_change(facts.workspace_role.as_deref(), Some(&current), Some(role))?;
        self.put_collaborator(&facts.workspace, user, role, &actor_of(p)).await
    }

    pub async fn remove_collaborator(&self, p: &Principal, ws: &WorkspaceId, user: &UserId) -> Result<()> {
        let facts = self.authorize(p, ws, Permission::CollaboratorManage).await?;
        if facts.workspace.owner_id == *user {
            return Err(Error::bad_input("the workspace owner cannot be removed"));
        }
        let current = self.workspace_role_of(ws, user).await?;
        decide_role_change(facts.workspace_role.as_deref(), current.as_deref(), None)?;
        self.store.remove_collaborator(ws, user, &actor_of(p)).await?.map(|_| ()).ok_or(Error::NotFound("collaborator"))
    }

    /// Someone's collaborator role in a workspace, if they have one.
    async fn workspace_role_of(&self, ws: &WorkspaceId, user: &UserId) -> Result<Option<String>> {
        Ok(self.store.access_facts(ws, user).await?.and_then(|f| f.workspace_role))
    }

    // ---- element mutations ----

    /// Comment on an element: blocks of text and mentions, optionally replying to another
    /// comment on the same element, with JSON-LD traits.
    pub async fn create_comment(
        &self,
        p: &Principal,
        ws: &WorkspaceId,
        element: &ElementId,
        input: NewComment,
    ) -> Result<Comment> {
        self.authorize(p, ws, Permission::CommentCreate).await?;
        let (blocks, text) = crate::comment::read_blocks(&input.blocks)?;
        if let Some(t) = &input.traits {
            validate::json_object("traits", t)?;
        }
        let traits = input.traits;
        let Some(target) = self.store.elements(ws, ElementQuery::one(element)).await?.pop() else {
            return Err(Error::NotFound("element"));
        };
        if let Some(parent) = &input.parent_id {
            if !self.store.comments(ws, Some(element)).await?.iter().any(|c| c.id == *parent) {
                return Err(Error::bad_input("parentId is not a comment on this element"));
            }
        }
        let comment = Comment {
            id: CommentId::generate(),
            workspace_id: ws.clone(),
            element_id: Some(element.clone()),
            parent_id: input.parent_id,
            blocks,
            text,
            traits,
            author_id: p.user.id.clone(),
            author_type: p.user.kind,
            commenter_name: format!("{} {}", p.user.first_name, p.user.last_name).trim().to_string(),
            created_at: now_millis(),
        };
        self.store.insert_comment(&comment, target.element_type(), &actor_of(p)).await?;
        Ok(comment)
    }

    /// A workspace's comments (on one element, if given), oldest first.
    pub async fn comments(&self, p: &Principal, ws: &WorkspaceId, element: Option<&ElementId>) -> Result<Vec<Comment>> {
        self.authorize_elements_read(p, ws).await?;
        self.store.comments(ws, element).await
    }

    // ---- administration (the operator, through the CLI) ----

    pub async fn admin_create_org(&self, name: &str) -> Result<Organization> {
        let org = Organization { id: OrgId::generate(), name: validate::name("name", name)?, created_at: now_millis() };
        self.store.create_org(&org).await?;
        Ok(org)
    }

    pub async fn admin_create_user(&self, person: NewPerson) -> Result<User> {
        let email = validate::email(&person.email)?;
        validate::chars("first name", &person.first_name, validate::MAX_NAME_CHARS)?;
        validate::chars("last name", &person.last_name, validate::MAX_NAME_CHARS)?;
        if let Some((org, role)) = &person.org {
            self.check_org_role(role)?;
            self.store.org(org).await?.ok_or(Error::NotFound("organization"))?;
        }
        let password_hash = self.passwords.hash(&person.password).await?;
        let user = User {
            id: UserId::generate(),
            kind: ActorType::User,
            email: Some(email),
            first_name: person.first_name.trim().to_string(),
            last_name: person.last_name.trim().to_string(),
            bot_org: None,
            created_at: now_millis(),
        };
        self.store.create_user(&NewUser { user: user.clone(), password_hash: Some(password_hash) }).await?;
        if let Some((org, role)) = &person.org {
            self.store.set_org_member(org, &user.id, role).await?;
        }
        Ok(user)
    }

    /// A bot: a user of kind `bot`, member of one organization (role `user`), with a first token.
    pub async fn admin_create_bot(&self, org: &OrgId, name: &str) -> Result<(User, String)> {
        self.new_bot(org, name, None).await.map(|(user, _, token)| (user, token))
    }

    /// A bot made by `by` (`None`: the operator), as the security log records it.
    pub(crate) async fn new_bot(
        &self,
        org: &OrgId,
        name: &str,
        by: Option<&UserId>,
    ) -> Result<(User, TokenId, String)> {
        self.store.org(org).await?.ok_or(Error::NotFound("organization"))?;
        let user = User {
            id: UserId::generate(),
            kind: ActorType::Bot,
            email: None,
            first_name: validate::name("name", name)?,
            last_name: String::new(),
            bot_org: Some(org.clone()),
            created_at: now_millis(),
        };
        self.store.create_user(&NewUser { user: user.clone(), password_hash: None }).await?;
        self.store.set_org_member(org, &user.id, "user").await?;
        let created = NewSecurityEvent::by(SecurityKind::BotCreated, &user.id, None, json!({"name": user.first_name}));
        self.record(&[created.acted_by(by).in_org(org)]).await;
        let (id, token) = self.new_bot_token(&user.id, by).await?;
        Ok((user, id, token))
    }

    /// A further token for a bot. Returns (token id, token); the token is shown only now.
    pub async fn admin_create_bot_token(&self, bot: &UserId) -> Result<(TokenId, String)> {
        self.new_bot_token(bot, None).await
    }

    pub(crate) async fn new_bot_token(&self, bot: &UserId, by: Option<&UserId>) -> Result<(TokenId, String)> {
        let user = self.store.user(bot).await?.ok_or(Error::NotFound("bot"))?;
        if user.kind != ActorType::Bot {
            return Err(Error::NotFound("bot"));
        }
        let (id, token, hash) = auth::issue_token(BOT_TOKEN_PREFIX);
        let record = TokenRecord {
            id,
            kind: TokenKind::Bot,
            user_id: user.id,
            client_id: None,
            scopes: "v2legacy".into(),
            workspaces: None,
            expires_at: None,
            revoked: false,
            created_at: now_millis(),
            family_id: None,
            rotated_at: None,
        };
        let issued = NewSecurityEvent::tokens_issued(&record.user_id, None, "bot token", &record.scopes, &[&record.id]);
        let write = TokenWrite {
            tokens: vec![(record.clone(), hash)],
            events: vec![issued.acted_by(by)],
            ..Default::default()
        };
        self.store.write_tokens(write).await?;
        Ok((record.id, token))
    }

    /// Delete what expired over a day ago (tokens, login sessions, authorization codes), in
    /// chunks, so the token tables grow with what is live, not with everything ever issued.
    /// The day keeps a replayed code or a stale refresh token recognisable for a while (its
    /// reuse still revokes its family). Returns how many tokens went.
    pub async fn forget_expired(&self) -> Result<u64> {
        const KEPT_MS: i64 = 24 * 3600 * 1000;
        const CHUNK: u32 = 2000;
        let before = now_millis() - KEPT_MS;
        let mut total = 0;
        loop {
            let n = self.store.forget_expired(before, CHUNK).await?;
            total += n;
            if n < u64::from(CHUNK) {
                return Ok(total);
            }
            tokio::task::yield_now().await;
        }
    }

    /// The operator revokes a token (the command line).
    pub async fn admin_revoke_token(&self, id: &TokenId) -> Result<()> {
        self.revoke_token_by(id, None, "revoked by an operator").await
    }

    /// Revoke one token (and what was exchanged for it), recording who did it and why.
    pub(crate) async fn revoke_token_by(&self, id: &TokenId, actor: Option<&UserId>, reason: &str) -> Result<()> {
        let owner = self.store.revoke_token(id).await?.ok_or(Error::NotFound("token"))?;
        let mut event = NewSecurityEvent::tokens_revoked(&owner, None, reason, 1);
        event.detail["tokenId"] = json!(id.as_str());
        self.record(&[event.acted_by(actor)]).await;
        Ok(())
    }

    pub async fn admin_tokens(&self, user: &UserId) -> Result<Vec<TokenRecord>> {
        self.store.user(user).await?.ok_or(Error::NotFound("user"))?;
        self.store.tokens_of(user).await
    }

    pub async fn admin_create_workspace(&self, input: NewWorkspace, owner: &UserId) -> Result<Workspace> {
        self.store.org(&input.org_id).await?.ok_or(Error::NotFound("organization"))?;
        self.store.user(owner).await?.ok_or(Error::NotFound("user"))?;
        self.insert_workspace(input, owner.clone()).await
    }

    pub async fn admin_add_collaborator(&self, ws: &WorkspaceId, user: &UserId, role: &str) -> Result<Collaborator> {
        let workspace = self.store.workspace(ws).await?.ok_or(Error::NotFound("workspace"))?;
        self.put_collaborator(&workspace, user, role, &Actor::system()).await
    }

    // ---- shared steps ----

    async fn insert_workspace(&self, input: NewWorkspace, owner: UserId) -> Result<Workspace> {
        let description = input.description.unwrap_or_default();
        validate::chars("description", &description, validate::MAX_DESCRIPTION_CHARS)?;
        let ws = Workspace {
            id: WorkspaceId::generate(),
            org_id: input.org_id,
            name: validate::name("name", &input.name)?,
            description: description.trim().to_string(),
            is_public: input.is_public,
            owner_id: owner,
            created_at: now_millis(),
            updated_at: None,
            archived_at: None,
            background_theme: None,
        };
        self.store.create_workspace(&ws).await?;
        Ok(ws)
    }

    async fn put_collaborator(&self, ws: &Workspace, user: &UserId, role: &str, actor: &Actor) -> Result<Collaborator> {
        if self.roles.get(ResourceType::Workspace, role).is_none() {
            return Err(Error::bad_input(format!(
                "unknown workspace role {role:?} (one of: {})",
                crate::permission::WORKSPACE_ROLES.join(", ")
            )));
        }
        let target = self.store.user(user).await?.ok_or(Error::NotFound("user"))?;
        if target.bot_org.as_ref().is_some_and(|org| *org != ws.org_id) {
            return Err(Error::bad_input("a bot can only join workspaces of its own organization"));
        }
        if ws.owner_id == *user && role != "owner" {
            return Err(Error::bad_input("the workspace owner's role cannot be changed"));
        }
        self.store.set_collaborator(&ws.id, user, role, actor).await?;
        Ok(Collaborator { user: target, role_id: role.to_string() })
    }

    pub(crate) fn check_org_role(&self, role: &str) -> Result<()> {
        if self.roles.get(ResourceType::Organization, role).is_none() {
            return Err(Error::bad_input(format!(
                "unknown organization role {role:?} (one of: {})",
                ORG_ROLES.join(", ")
            )));
        }
        Ok(())
    }
}

/// The actor recorded in the event log for changes made by this principal.
pub fn actor_of(p: &Principal) -> Actor {
    Actor { id: p.user.id.clone(), kind: p.user.kind, client_id: p.client_id.clone() }
}
