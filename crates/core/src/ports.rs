//! The storage port. A backend implements [`Store`]; the domain never sees SQL.
//!
//! Every method that changes a workspace appends its event to the log in the same
//! transaction, and returns it.

use crate::auth::TokenRecord;
use crate::element::{Element, ElementType};
use crate::error::Result;
use crate::event::{Actor, Event, EventPayload};
use crate::ids::{ElementId, OrgId, TokenId, UserId, WorkspaceId};
use crate::model::{AccessFacts, Collaborator, Comment, Organization, Role, User, Workspace};
use async_trait::async_trait;

/// A new user (person or bot) to insert.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub user: User,
    pub password_hash: Option<String>,
}

/// Turns the element as stored into the element to store plus the event payload describing
/// the change; run inside the writing transaction.
pub type ElementChange<'a> =
    &'a (dyn Fn(Element) -> Result<(Option<Element>, EventPayload)> + Send + Sync);

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the database answers (readiness).
    async fn ping(&self) -> Result<()>;
    async fn roles(&self) -> Result<Vec<Role>>;

    // organizations
    async fn create_org(&self, org: &Organization) -> Result<()>;
    async fn org(&self, id: &OrgId) -> Result<Option<Organization>>;
    async fn set_org_member(&self, org: &OrgId, user: &UserId, role: &str) -> Result<()>;
    async fn org_role(&self, org: &OrgId, user: &UserId) -> Result<Option<String>>;
    async fn orgs_of(&self, user: &UserId) -> Result<Vec<Organization>>;

    // users and bots
    /// Inserts a user; an email already taken (case-insensitively) is `Conflict`.
    async fn create_user(&self, user: &NewUser) -> Result<()>;
    async fn user(&self, id: &UserId) -> Result<Option<User>>;
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, Option<String>)>>;

    // tokens
    async fn insert_token(&self, token: &TokenRecord, hash: &str) -> Result<()>;
    async fn find_token(&self, hash: &str) -> Result<Option<TokenRecord>>;
    async fn tokens_of(&self, user: &UserId) -> Result<Vec<TokenRecord>>;
    /// Marks a token revoked; false if there was no such live token.
    async fn revoke_token(&self, id: &TokenId) -> Result<bool>;

    // workspaces
    /// Inserts the workspace and makes its owner a collaborator with the `owner` role.
    async fn create_workspace(&self, ws: &Workspace) -> Result<()>;
    async fn workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>>;
    async fn access_facts(&self, ws: &WorkspaceId, user: &UserId) -> Result<Option<AccessFacts>>;
    /// Workspaces where the user is a collaborator, or public ones of the user's organizations.
    async fn visible_workspaces(&self, user: &UserId) -> Result<Vec<AccessFacts>>;
    async fn collaborators(&self, ws: &WorkspaceId) -> Result<Vec<Collaborator>>;
    /// Adds or changes a collaborator's role, with its event.
    async fn set_collaborator(
        &self,
        ws: &WorkspaceId,
        user: &UserId,
        role: &str,
        actor: &Actor,
    ) -> Result<Event>;
    /// Removes a collaborator, with its event; `None` if they were not one.
    async fn remove_collaborator(
        &self,
        ws: &WorkspaceId,
        user: &UserId,
        actor: &Actor,
    ) -> Result<Option<Event>>;

    // elements and comments
    async fn insert_element(&self, el: &Element, actor: &Actor) -> Result<Event>;
    /// Reads the element, runs `change` on it, and writes the result (or deletes the element
    /// when `change` returns `None`) with the event, all in one transaction.
    /// `Ok(None)` when the element does not exist.
    async fn change_element(
        &self,
        ws: &WorkspaceId,
        id: &ElementId,
        actor: &Actor,
        change: ElementChange<'_>,
    ) -> Result<Option<(Option<Element>, Event)>>;
    async fn elements(
        &self,
        ws: &WorkspaceId,
        id: Option<&ElementId>,
        types: &[ElementType],
    ) -> Result<Vec<Element>>;
    async fn insert_comment(&self, comment: &Comment, actor: &Actor) -> Result<Event>;

    // the event log
    /// Events of a workspace with cursor greater than `after`, in cursor order.
    async fn events_after(&self, ws: &WorkspaceId, after: i64, limit: u32) -> Result<Vec<Event>>;
}
