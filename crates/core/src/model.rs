//! Identities and the things they own: organizations, users (people and bots), workspaces,
//! collaborators, roles and comments.

use crate::ids::{OrgId, UserId, WorkspaceId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub created_at: i64,
}

/// Who acted: a person, a bot, or the operator through the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorType {
    User,
    Bot,
    System,
}

impl ActorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::User => "user",
            ActorType::Bot => "bot",
            ActorType::System => "system",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(ActorType::User),
            "bot" => Some(ActorType::Bot),
            "system" => Some(ActorType::System),
            _ => None,
        }
    }
}

/// A person (kind `User`) or a bot (kind `Bot`, which belongs to exactly one organization).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub kind: ActorType,
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    /// For bots: the organization the bot belongs to.
    pub bot_org: Option<OrgId>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub org_id: OrgId,
    pub name: String,
    pub description: String,
    pub is_public: bool,
    pub owner_id: UserId,
    pub created_at: i64,
    /// Set by the last change (`None`: unchanged since created).
    pub updated_at: Option<i64>,
    /// An archived workspace is read-only until unarchived.
    pub archived_at: Option<i64>,
    /// The platform's `BackgroundTheme`: `dark` or `light` (`None`: never set).
    pub background_theme: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Collaborator {
    pub user: User,
    pub role_id: String,
}

/// A member of an organization (a person or a bot) and their organization role.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub user: User,
    pub role_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResourceType {
    Organization,
    Workspace,
}

impl ResourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Organization => "organization",
            ResourceType::Workspace => "workspace",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "organization" => Some(ResourceType::Organization),
            "workspace" => Some(ResourceType::Workspace),
            _ => None,
        }
    }
}

/// A role is data: a named set of permission keys for one kind of resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: String,
    pub resource_type: ResourceType,
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
}

pub use crate::comment::Comment;

/// What the store knows about one principal's relation to one workspace; the input of
/// [`crate::permission::decide`].
#[derive(Debug, Clone)]
pub struct AccessFacts {
    pub workspace: Workspace,
    /// The principal's collaborator role in the workspace, if any.
    pub workspace_role: Option<String>,
    /// The principal's role in the workspace's organization, if a member.
    pub org_role: Option<String>,
    /// The cursor of the workspace's last event when these facts were read.
    pub head: i64,
}

/// Milliseconds since the Unix epoch, the one clock format of the domain.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
