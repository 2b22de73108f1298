//! Every authorization decision in tessera is made here, by [`decide`]: what a request may do
//! is the intersection of its token's scopes and the principal's permissions *now*, which come
//! from role data (seeded built-in roles, loaded into a [`RoleBook`]).

use crate::auth::{Principal, Scope};
use crate::error::{Error, Result};
use crate::model::{AccessFacts, ResourceType, Role};
use std::collections::{HashMap, HashSet};

/// A permission key, as stored in role data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    WorkspaceRead,
    WorkspaceUpdate,
    WorkspaceDelete,
    ElementCreate,
    ElementUpdate,
    ElementDelete,
    CommentCreate,
    CollaboratorManage,
    OrgRead,
    OrgManage,
    WorkspaceCreate,
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Permission::WorkspaceRead,
        Permission::WorkspaceUpdate,
        Permission::WorkspaceDelete,
        Permission::ElementCreate,
        Permission::ElementUpdate,
        Permission::ElementDelete,
        Permission::CommentCreate,
        Permission::CollaboratorManage,
        Permission::OrgRead,
        Permission::OrgManage,
        Permission::WorkspaceCreate,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Permission::WorkspaceRead => "workspace:read",
            Permission::WorkspaceUpdate => "workspace:update",
            Permission::WorkspaceDelete => "workspace:delete",
            Permission::ElementCreate => "element:create",
            Permission::ElementUpdate => "element:update",
            Permission::ElementDelete => "element:delete",
            Permission::CommentCreate => "comment:create",
            Permission::CollaboratorManage => "collaborator:manage",
            Permission::OrgRead => "org:read",
            Permission::OrgManage => "org:manage",
            Permission::WorkspaceCreate => "workspace:create",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }

    /// Plain words for error messages: "you do not have permission to …".
    pub fn verb(self) -> &'static str {
        match self {
            Permission::WorkspaceRead => "read this workspace",
            Permission::WorkspaceUpdate => "change this workspace",
            Permission::WorkspaceDelete => "delete this workspace",
            Permission::ElementCreate => "create elements in this workspace",
            Permission::ElementUpdate => "update elements in this workspace",
            Permission::ElementDelete => "delete elements in this workspace",
            Permission::CommentCreate => "comment in this workspace",
            Permission::CollaboratorManage => "manage collaborators of this workspace",
            Permission::OrgRead => "read this organization",
            Permission::OrgManage => "manage this organization",
            Permission::WorkspaceCreate => "create workspaces in this organization",
        }
    }

    /// Whether it changes what a workspace holds (refused while the workspace is archived).
    fn changes_content(self) -> bool {
        matches!(
            self,
            Permission::ElementCreate
                | Permission::ElementUpdate
                | Permission::ElementDelete
                | Permission::CommentCreate
        )
    }

    /// The token scopes any one of which allows this permission (besides `v2legacy`).
    fn scopes(self) -> &'static [Scope] {
        use Scope::*;
        match self {
            Permission::WorkspaceRead => &[WorkspacesRead, WorkspacesWrite, ElementsRead, ElementsWrite],
            Permission::ElementCreate
            | Permission::ElementUpdate
            | Permission::ElementDelete
            | Permission::CommentCreate => &[ElementsWrite],
            Permission::WorkspaceUpdate
            | Permission::WorkspaceDelete
            | Permission::CollaboratorManage
            | Permission::WorkspaceCreate => &[WorkspacesWrite],
            Permission::OrgRead => &[OrgRead, OrgAdmin],
            Permission::OrgManage => &[OrgAdmin],
        }
    }
}

/// The role every member of an organization holds on its public workspaces.
pub const PUBLIC_WORKSPACE_DEFAULT_ROLE: &str = "viewer";

/// The built-in roles, in order of decreasing power: (resource, id, name, permissions).
pub const WORKSPACE_ROLES: [&str; 5] = ["owner", "editor-plus", "editor", "commenter", "viewer"];
pub const ORG_ROLES: [&str; 4] = ["owner", "admin", "user", "guest"];

/// All roles, indexed by resource type and id. Loaded once from the store.
#[derive(Debug, Clone, Default)]
pub struct RoleBook {
    roles: HashMap<(ResourceType, String), (Role, HashSet<Permission>)>,
}

impl RoleBook {
    pub fn new(roles: Vec<Role>) -> Self {
        let roles = roles
            .into_iter()
            .map(|r| {
                let perms = r.permissions.iter().filter_map(|k| Permission::from_key(k)).collect();
                ((r.resource_type, r.id.clone()), (r, perms))
            })
            .collect();
        RoleBook { roles }
    }

    pub fn get(&self, resource: ResourceType, id: &str) -> Option<&Role> {
        self.roles.get(&(resource, id.to_string())).map(|(r, _)| r)
    }

    pub fn list(&self, resource: Option<ResourceType>) -> Vec<Role> {
        let order = |r: &Role| {
            let list: &[&str] = match r.resource_type {
                ResourceType::Workspace => &WORKSPACE_ROLES,
                ResourceType::Organization => &ORG_ROLES,
            };
            (r.resource_type.as_str(), list.iter().position(|x| *x == r.id).unwrap_or(usize::MAX))
        };
        let mut out: Vec<Role> = self
            .roles
            .values()
            .map(|(r, _)| r.clone())
            .filter(|r| resource.is_none_or(|t| r.resource_type == t))
            .collect();
        out.sort_by_key(|r| order(r));
        out
    }

    fn grants(&self, resource: ResourceType, role: Option<&str>, perm: Permission) -> bool {
        role.and_then(|id| self.roles.get(&(resource, id.to_string()))).is_some_and(|(_, perms)| perms.contains(&perm))
    }

    /// What the principal's roles allow in this workspace, before scopes.
    pub fn workspace_allows(&self, facts: &AccessFacts, perm: Permission) -> bool {
        let ws = ResourceType::Workspace;
        self.grants(ws, facts.workspace_role.as_deref(), perm)
            || (facts.workspace.is_public
                && facts.org_role.is_some()
                && self.grants(ws, Some(PUBLIC_WORKSPACE_DEFAULT_ROLE), perm))
    }

    pub fn org_allows(&self, org_role: Option<&str>, perm: Permission) -> bool {
        self.grants(ResourceType::Organization, org_role, perm)
    }
}

/// What a workspace holds that a token may read: its content, or the people in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkspaceData {
    /// Elements, comments and the event log: an element scope.
    Elements,
    /// Collaborators and their profiles (e-mail addresses): a workspace scope. A token meant
    /// for content only — a kiosk's exchanged `elements:read` token — sees no personal data.
    People,
}

/// Whether the token's scopes say it may read this kind of workspace data (`v2legacy` may).
pub fn scope_allows_reading(principal: &Principal, what: WorkspaceData) -> bool {
    use Scope::*;
    let needed: &[Scope] = match what {
        WorkspaceData::Elements => &[ElementsRead, ElementsWrite],
        WorkspaceData::People => &[WorkspacesRead, WorkspacesWrite],
    };
    principal.scopes.contains(&V2Legacy) || needed.iter().any(|s| principal.scopes.contains(s))
}

/// Whether the token's scopes allow `perm` at all.
pub fn scope_allows(principal: &Principal, perm: Permission) -> bool {
    principal.scopes.contains(&Scope::V2Legacy) || perm.scopes().iter().any(|s| principal.scopes.contains(s))
}

/// The one decision for anything done inside a workspace.
///
/// A workspace the principal may not read — by role, or because the token is narrowed to
/// other workspaces — is `NOT_FOUND`, so its existence does not leak. Otherwise a missing role
/// permission or token scope is `FORBIDDEN`.
pub fn decide(book: &RoleBook, principal: &Principal, facts: &AccessFacts, perm: Permission) -> Result<()> {
    let readable = book.workspace_allows(facts, Permission::WorkspaceRead) && principal.may_reach(&facts.workspace.id);
    if !readable {
        return Err(Error::NotFound("workspace"));
    }
    if !scope_allows(principal, Permission::WorkspaceRead) {
        return Err(Error::Forbidden("read this workspace with this token's scopes"));
    }
    if !book.workspace_allows(facts, perm) || !scope_allows(principal, perm) {
        return Err(Error::Forbidden(perm.verb()));
    }
    if facts.workspace.archived_at.is_some() && perm.changes_content() {
        return Err(Error::Forbidden("change an archived workspace (unarchive it first)"));
    }
    Ok(())
}

/// The decision for giving someone a workspace role (`new`), or taking theirs away (`new` is
/// `None`), by a collaborator whose own role is `actor` and who may manage collaborators at all:
/// nobody gives a role above their own, and only owners make, change or remove owners.
pub fn decide_role_change(actor: Option<&str>, current: Option<&str>, new: Option<&str>) -> Result<()> {
    let rank = |role: &str| WORKSPACE_ROLES.iter().position(|r| *r == role).unwrap_or(usize::MAX);
    let is_owner = |role: Option<&str>| role == Some("owner");
    if (is_owner(current) || is_owner(new)) && !is_owner(actor) {
        return Err(Error::Forbidden("change who owns this workspace"));
    }
    if new.is_some_and(|n| rank(n) < actor.map(rank).unwrap_or(usize::MAX)) {
        return Err(Error::Forbidden("give a role above your own"));
    }
    Ok(())
}

/// The decision for organization-level actions. Non-members get `NOT_FOUND`.
pub fn decide_org(book: &RoleBook, principal: &Principal, org_role: Option<&str>, perm: Permission) -> Result<()> {
    if org_role.is_none() {
        return Err(Error::NotFound("organization"));
    }
    if !book.org_allows(org_role, perm) || !scope_allows(principal, perm) {
        return Err(Error::Forbidden(perm.verb()));
    }
    Ok(())
}
