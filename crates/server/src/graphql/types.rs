//! GraphQL output types for identities, workspaces, roles and comments.

use super::{core, principal, Gql};
use async_graphql::{Context, Enum, Object, ID};
use tessera_core::model::{self, ActorType};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "ResourceType", rename_items = "PascalCase")]
pub enum ResourceType {
    Organization,
    Workspace,
}

impl From<ResourceType> for model::ResourceType {
    fn from(r: ResourceType) -> Self {
        match r {
            ResourceType::Organization => model::ResourceType::Organization,
            ResourceType::Workspace => model::ResourceType::Workspace,
        }
    }
}

impl From<model::ResourceType> for ResourceType {
    fn from(r: model::ResourceType) -> Self {
        match r {
            model::ResourceType::Organization => ResourceType::Organization,
            model::ResourceType::Workspace => ResourceType::Workspace,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "ActorType", rename_items = "lowercase")]
pub enum GqlActorType {
    User,
    Bot,
    System,
}

impl From<ActorType> for GqlActorType {
    fn from(a: ActorType) -> Self {
        match a {
            ActorType::User => GqlActorType::User,
            ActorType::Bot => GqlActorType::Bot,
            ActorType::System => GqlActorType::System,
        }
    }
}

pub struct User(pub model::User);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.0.clone())
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
    /// `user` for people, `bot` for bots.
    async fn r#type(&self) -> GqlActorType {
        self.0.kind.into()
    }
}

pub struct Organization(pub model::Organization);

#[Object]
impl Organization {
    async fn id(&self) -> ID {
        ID(self.0.id.0.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
}

pub struct Workspace(pub model::Workspace);

#[Object]
impl Workspace {
    async fn id(&self) -> ID {
        ID(self.0.id.0.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn is_public(&self) -> bool {
        self.0.is_public
    }
    async fn organization_id(&self) -> ID {
        ID(self.0.org_id.0.clone())
    }
    async fn owner_id(&self) -> ID {
        ID(self.0.owner_id.0.clone())
    }
    /// The people and bots with a role in this workspace.
    async fn collaborators(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Collaborator>> {
        let list = core(ctx).collaborators(principal(ctx)?, &self.0.id).await.gql()?;
        Ok(list.into_iter().map(Collaborator).collect())
    }
}

pub struct Collaborator(pub model::Collaborator);

#[Object]
impl Collaborator {
    /// The collaborator's user id.
    async fn id(&self) -> ID {
        ID(self.0.user.id.0.clone())
    }
    async fn user(&self) -> User {
        User(self.0.user.clone())
    }
    async fn workspace_role(&self, ctx: &Context<'_>) -> Option<Role> {
        core(ctx).role_book().get(model::ResourceType::Workspace, &self.0.role_id).cloned().map(Role)
    }
}

pub struct Role(pub model::Role);

#[Object]
impl Role {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn r#type(&self) -> ResourceType {
        self.0.resource_type.into()
    }
    /// The permission keys this role grants, such as `element:create`.
    async fn permissions(&self) -> &[String] {
        &self.0.permissions
    }
}

pub struct Comment(pub model::Comment);

#[Object]
impl Comment {
    async fn id(&self) -> ID {
        ID(self.0.id.0.clone())
    }
    async fn workspace_id(&self) -> ID {
        ID(self.0.workspace_id.0.clone())
    }
    async fn element_id(&self) -> Option<ID> {
        self.0.element_id.as_ref().map(|e| ID(e.0.clone()))
    }
    async fn text(&self) -> &str {
        &self.0.text
    }
    async fn author_id(&self) -> ID {
        ID(self.0.author_id.0.clone())
    }
}

/// The caller: their profile, organizations and reachable workspaces.
pub struct Me;

#[Object]
impl Me {
    async fn profile(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        core(ctx).me(principal(ctx)?).await.gql().map(User)
    }
    async fn organizations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Organization>> {
        let list = core(ctx).my_organizations(principal(ctx)?).await.gql()?;
        Ok(list.into_iter().map(Organization).collect())
    }
    async fn workspaces(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Workspace>> {
        let list = core(ctx).workspaces(principal(ctx)?).await.gql()?;
        Ok(list.into_iter().map(Workspace).collect())
    }
}
