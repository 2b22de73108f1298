//! GraphQL output types for identities, organizations, workspaces, roles and comments, in the
//! platform's shapes: paged lists with filtering and ordering (see [`super::paging`]).

use super::filters::*;
use super::paging::{datetime, page, sort_by_keys, PaginationArgs};
use super::{core, principal, Gql};
use async_graphql::{Context, Enum, Object, SimpleObject, Union, ID};
use chrono::{DateTime, Utc};
use tessera_core::model::{self, ActorType};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "ResourceType", rename_items = "PascalCase")]
pub enum ResourceType {
    Account,
    Application,
    Group,
    Organization,
    Template,
    Workspace,
}

impl ResourceType {
    pub fn domain(self) -> Option<model::ResourceType> {
        match self {
            ResourceType::Organization => Some(model::ResourceType::Organization),
            ResourceType::Workspace => Some(model::ResourceType::Workspace),
            _ => None,
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
#[graphql(rename_items = "PascalCase")]
pub enum RoleType {
    Admin,
    App,
    Owner,
    User,
    Visitor,
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

/// one of dark, light
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "lowercase")]
pub enum BackgroundTheme {
    Dark,
    Light,
}

impl BackgroundTheme {
    pub fn as_str(self) -> &'static str {
        match self {
            BackgroundTheme::Dark => "dark",
            BackgroundTheme::Light => "light",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [BackgroundTheme::Dark, BackgroundTheme::Light].into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(SimpleObject)]
pub struct UpdateWorkspaceStyle {
    pub background_theme: Option<BackgroundTheme>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum InvitationStatus {
    Accepted,
    Created,
    Invited,
    PendingInvite,
}

/// A person or a bot. People and bots have the platform's fields; `type` is tessera's.
pub struct User(pub model::User);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.0.clone())
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn first_name(&self) -> Option<&str> {
        Some(&self.0.first_name)
    }
    async fn last_name(&self) -> Option<&str> {
        Some(&self.0.last_name)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        datetime(self.0.created_at)
    }
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        Some(datetime(self.0.created_at))
    }
    /// The platform-wide role: `User` for people, `App` for bots (tessera has no other
    /// application roles).
    async fn application_role(&self) -> Role {
        Role::application(self.0.kind)
    }
    #[graphql(deprecation = "New key signedAvatarUrl is added")]
    async fn avatar_url(&self) -> Option<&str> {
        None
    }
    async fn signed_avatar_url(&self) -> Option<&str> {
        None
    }
    async fn invitation_status(&self) -> Option<InvitationStatus> {
        Some(InvitationStatus::Accepted)
    }
    async fn last_logged_in_at(&self) -> Option<DateTime<Utc>> {
        None
    }
    /// tessera: `user` for people, `bot` for bots.
    async fn r#type(&self) -> GqlActorType {
        self.0.kind.into()
    }
}

/// A group of users (the platform's; tessera has none, so none is ever returned).
pub struct Group;

#[Object]
impl Group {
    async fn id(&self) -> ID {
        ID::default()
    }
    async fn name(&self) -> &str {
        ""
    }
    async fn description(&self) -> &str {
        ""
    }
    async fn organization_id(&self) -> ID {
        ID::default()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        DateTime::default()
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        DateTime::default()
    }
}

#[derive(Union)]
pub enum MemberUnion {
    Group(Group),
    User(User),
}

#[derive(Union)]
pub enum CollaboratorUnion {
    Group(Group),
    User(User),
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
    async fn secondary_name(&self) -> Option<&str> {
        None
    }
    async fn created_at(&self) -> DateTime<Utc> {
        datetime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        datetime(self.0.created_at)
    }
    /// The first member with the organization role `owner`.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        Ok(core(ctx).organization_owner(principal(ctx)?, &self.0.id).await.gql()?.map(User))
    }
    /// Whether people signing in through the organization's identity provider become members
    /// on their first sign-in (always, when it has one).
    async fn auto_associate_identity_provider_user(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(core(ctx).identity_provider_of(&self.0.id).await.gql()?.is_some())
    }
    async fn can_have_guests(&self) -> Option<bool> {
        Some(true)
    }
    async fn is_custom_roles_enabled(&self) -> Option<bool> {
        Some(false)
    }
    async fn is_guest_invite_approval_required(&self) -> Option<bool> {
        Some(false)
    }
    /// Whether everyone in the organization must sign in with a second factor.
    async fn mfa_enabled(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<bool>> {
        Ok(Some(core(ctx).org_requires_two_factor(&self.0.id).await.gql()?))
    }
    /// tessera: invitations waiting for an answer (owners and admins, with `org:admin`).
    async fn invitations(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::org_admin::OrganizationInvitation>> {
        super::org_admin::invitations(ctx, &self.0.id).await
    }
    /// tessera: the organization's bots and their tokens (owners and admins, with `org:admin`).
    async fn bots(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<super::org_admin::Bot>> {
        super::org_admin::bots(ctx, &self.0.id).await
    }
    /// tessera: the apps members have authorized (owners and admins, with `org:admin`).
    async fn authorizations(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::org_admin::MemberAuthorization>> {
        super::org_admin::authorizations(ctx, &self.0.id).await
    }
    /// tessera: the organization's OpenID Connect identity provider, if it has one (owners and
    /// admins, with `org:admin`).
    async fn identity_provider(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::org_admin::OrganizationIdentityProvider>> {
        super::org_admin::identity_provider(ctx, &self.0.id).await
    }
    async fn signed_avatar_url(&self) -> Option<&str> {
        None
    }
    /// The role every member has on the organization's public workspaces.
    async fn default_public_workspace_role(&self, ctx: &Context<'_>) -> Option<Role> {
        let book = core(ctx).role_book();
        book.get(model::ResourceType::Workspace, tessera_core::permission::PUBLIC_WORKSPACE_DEFAULT_ROLE)
            .cloned()
            .map(Role::from)
    }
    async fn default_organization_user_role(&self, ctx: &Context<'_>) -> Option<Role> {
        core(ctx).role_book().get(model::ResourceType::Organization, "user").cloned().map(Role::from)
    }
    async fn members(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        filtering: Option<MemberFilters>,
        ordering: Option<Vec<MemberOrdering>>,
        pagination: Option<PaginationArgs>,
    ) -> async_graphql::Result<MembersPaged> {
        let core = core(ctx);
        let mut list: Vec<Member> = core
            .members(principal(ctx)?, &self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(|m| Member { member: m, organization: self.0.clone(), roles: core.role_book().clone() })
            .filter(|m| filtering.as_ref().is_none_or(|f| f.matches(m)))
            .collect();
        let keys = MemberOrdering::keys(ordering.as_deref().unwrap_or_default());
        sort_by_keys(&mut list, &keys);
        page(list, cursor, pagination).map(MembersPaged::from)
    }
}

pub struct Member {
    pub member: model::Member,
    pub organization: model::Organization,
    pub roles: tessera_core::permission::RoleBook,
}

impl Member {
    pub fn role(&self) -> Option<Role> {
        self.roles.get(model::ResourceType::Organization, &self.member.role_id).cloned().map(Role::from)
    }
}

#[Object]
impl Member {
    async fn member(&self) -> MemberUnion {
        MemberUnion::User(User(self.member.user.clone()))
    }
    async fn organization(&self) -> Organization {
        Organization(self.organization.clone())
    }
    async fn organization_role(&self) -> async_graphql::Result<Role> {
        self.role().ok_or_else(|| super::gql_error(tessera_core::Error::internal("member role is not a known role")))
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
    async fn description(&self) -> Option<&str> {
        Some(&self.0.description)
    }
    async fn is_public(&self) -> bool {
        self.0.is_public
    }
    async fn created_at(&self) -> DateTime<Utc> {
        datetime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        datetime(self.0.updated_at.unwrap_or(self.0.created_at))
    }
    /// When the workspace was archived (read-only until unarchived).
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.archived_at.map(datetime)
    }
    /// The workspace's elements (as `elements(workspaceId:)` reads them; that query has the
    /// arguments).
    async fn elements(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<super::elements::Element>> {
        let filter = tessera_core::element::find::ElementFilter::default();
        let list = core(ctx).elements(principal(ctx)?, &self.0.id, &filter).await.gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }
    async fn content_updated_at(&self) -> Option<DateTime<Utc>> {
        None
    }
    async fn classification(&self) -> Option<&str> {
        None
    }
    async fn organization(&self, ctx: &Context<'_>) -> async_graphql::Result<Organization> {
        core(ctx).workspace_organization(principal(ctx)?, &self.0.id).await.gql().map(Organization)
    }
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        core(ctx).workspace_owner(principal(ctx)?, &self.0.id).await.gql().map(|u| Some(User(u)))
    }
    /// The role members of the organization have here when the workspace is public.
    async fn default_role(&self, ctx: &Context<'_>) -> Option<Role> {
        let book = core(ctx).role_book();
        self.0
            .is_public
            .then(|| book.get(model::ResourceType::Workspace, tessera_core::permission::PUBLIC_WORKSPACE_DEFAULT_ROLE))
            .flatten()
            .cloned()
            .map(Role::from)
    }
    /// The people and bots with a role in this workspace.
    async fn collaborators(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        filtering: Option<CollaboratorFilters>,
        ordering: Option<Vec<CollaboratorOrdering>>,
        pagination: Option<PaginationArgs>,
    ) -> async_graphql::Result<CollaboratorsPaged> {
        let core = core(ctx);
        let book = core.role_book();
        let mut list: Vec<Collaborator> = core
            .collaborators(principal(ctx)?, &self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(|c| Collaborator::new(c, book))
            .filter(|c| filtering.as_ref().is_none_or(|f| f.matches(c)))
            .collect();
        let keys = CollaboratorOrdering::keys(ordering.as_deref().unwrap_or_default());
        sort_by_keys(&mut list, &keys);
        page(list, cursor, pagination).map(CollaboratorsPaged::from)
    }
}

pub struct Collaborator {
    pub user: model::User,
    pub role: Role,
}

impl Collaborator {
    pub fn new(c: model::Collaborator, book: &tessera_core::permission::RoleBook) -> Self {
        let role = book
            .get(model::ResourceType::Workspace, &c.role_id)
            .cloned()
            .map(Role::from)
            .unwrap_or_else(|| Role::unknown(&c.role_id));
        Collaborator { user: c.user, role }
    }
}

#[Object]
impl Collaborator {
    async fn collaborator(&self) -> CollaboratorUnion {
        CollaboratorUnion::User(User(self.user.clone()))
    }
    async fn workspace_role(&self) -> &Role {
        &self.role
    }
}

/// A role: the built-in organization and workspace roles (ids such as `editor`), and the
/// platform-wide application roles of people (`User`) and bots (`App`).
#[derive(Clone)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub description: String,
    pub resource_type: ResourceType,
    pub permissions: Vec<String>,
}

impl From<model::Role> for Role {
    fn from(r: model::Role) -> Self {
        Role {
            id: r.id,
            name: r.name,
            description: r.description,
            resource_type: r.resource_type.into(),
            permissions: r.permissions,
        }
    }
}

impl Role {
    fn application(kind: ActorType) -> Self {
        let (id, name, description) = match kind {
            ActorType::Bot => ("app", "App", "A bot: acts through its tokens"),
            _ => ("user", "User", "A person"),
        };
        Role {
            id: id.into(),
            name: name.into(),
            description: description.into(),
            resource_type: ResourceType::Application,
            permissions: vec![],
        }
    }

    fn unknown(id: &str) -> Self {
        Role {
            id: id.into(),
            name: id.into(),
            description: String::new(),
            resource_type: ResourceType::Workspace,
            permissions: vec![],
        }
    }

    /// The platform's coarse kind of a role.
    pub fn role_type(&self) -> RoleType {
        match (self.resource_type, self.id.as_str()) {
            (ResourceType::Application, "app") => RoleType::App,
            (_, "owner") => RoleType::Owner,
            (_, "admin" | "editor-plus") => RoleType::Admin,
            (_, "guest" | "viewer") => RoleType::Visitor,
            _ => RoleType::User,
        }
    }
}

#[Object]
impl Role {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }
    async fn name(&self) -> &str {
        &self.name
    }
    async fn description(&self) -> Option<&str> {
        Some(&self.description)
    }
    /// Built-in: tessera has no custom roles.
    async fn is_custom(&self) -> bool {
        false
    }
    async fn resource_type(&self) -> ResourceType {
        self.resource_type
    }
    async fn r#type(&self) -> RoleType {
        self.role_type()
    }
    /// The permission keys this role grants, such as `element:create`.
    async fn permissions(&self) -> Option<&[String]> {
        Some(&self.permissions)
    }
    async fn organization(&self) -> Option<Organization> {
        None
    }
    async fn created_at(&self) -> DateTime<Utc> {
        DateTime::default()
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        DateTime::default()
    }
}

macro_rules! paged {
    ($name:ident, $item:ty) => {
        #[derive(SimpleObject)]
        pub struct $name {
            pub results: Option<Vec<$item>>,
            pub total_items: Option<i32>,
            pub next: Option<String>,
            pub prev: Option<String>,
        }

        impl From<super::paging::Page<$item>> for $name {
            fn from(p: super::paging::Page<$item>) -> Self {
                $name {
                    results: Some(p.results),
                    total_items: Some(i32::try_from(p.total).unwrap_or(i32::MAX)),
                    next: p.next,
                    prev: p.prev,
                }
            }
        }
    };
}

paged!(OrganizationsPaged, Organization);
paged!(WorkspacesPaged, Workspace);
paged!(MembersPaged, Member);
paged!(CollaboratorsPaged, Collaborator);
paged!(RolesPaged, Role);
paged!(UsersPaged, User);

/// The caller: their profile, organizations and reachable workspaces.
pub struct Me;

#[Object]
impl Me {
    async fn profile(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        core(ctx).me(principal(ctx)?).await.gql().map(User)
    }
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        filtering: Option<OrganizationFilters>,
        ordering: Option<Vec<OrganizationOrdering>>,
        pagination: Option<PaginationArgs>,
    ) -> async_graphql::Result<OrganizationsPaged> {
        organizations(ctx, cursor, filtering, ordering, pagination).await
    }
    async fn workspaces(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        filtering: Option<UserWorkspaceFilters>,
        ordering: Option<Vec<WorkspaceOrdering>>,
        pagination: Option<PaginationArgs>,
    ) -> async_graphql::Result<WorkspacesPaged> {
        let p = principal(ctx)?;
        let me = p.user.id.clone();
        let list: Vec<model::Workspace> = core(ctx)
            .workspace_facts(p)
            .await
            .gql()?
            .into_iter()
            .filter(|f| filtering.as_ref().is_none_or(|filter| filter.matches(f, &me)))
            .map(|f| f.workspace)
            .collect();
        workspaces_page(list, cursor, ordering, pagination)
    }
}

/// The caller's organizations, as a paged list.
pub async fn organizations(
    ctx: &Context<'_>,
    cursor: Option<String>,
    filtering: Option<OrganizationFilters>,
    ordering: Option<Vec<OrganizationOrdering>>,
    pagination: Option<PaginationArgs>,
) -> async_graphql::Result<OrganizationsPaged> {
    let mut list: Vec<model::Organization> = core(ctx)
        .my_organizations(principal(ctx)?)
        .await
        .gql()?
        .into_iter()
        .filter(|o| filtering.as_ref().is_none_or(|f| f.matches(o)))
        .collect();
    let keys = OrganizationOrdering::keys(ordering.as_deref().unwrap_or_default());
    sort_by_keys(&mut list, &keys);
    Ok(OrganizationsPaged::from(page(list, cursor, pagination)?.map(Organization)))
}

/// A paged list of workspaces (already filtered).
pub fn workspaces_page(
    mut list: Vec<model::Workspace>,
    cursor: Option<String>,
    ordering: Option<Vec<WorkspaceOrdering>>,
    pagination: Option<PaginationArgs>,
) -> async_graphql::Result<WorkspacesPaged> {
    let keys = WorkspaceOrdering::keys(ordering.as_deref().unwrap_or_default());
    sort_by_keys(&mut list, &keys);
    Ok(WorkspacesPaged::from(page(list, cursor, pagination)?.map(Workspace)))
}

/// Every built-in role, as a paged list.
pub fn roles_page(
    ctx: &Context<'_>,
    cursor: Option<String>,
    filtering: Option<RoleFilters>,
    ordering: Option<Vec<RoleOrdering>>,
    pagination: Option<PaginationArgs>,
) -> async_graphql::Result<RolesPaged> {
    let mut list: Vec<Role> = core(ctx)
        .roles(None)
        .into_iter()
        .map(Role::from)
        .filter(|r| filtering.as_ref().is_none_or(|f| f.matches(r)))
        .collect();
    let keys = RoleOrdering::keys(ordering.as_deref().unwrap_or_default());
    sort_by_keys(&mut list, &keys);
    page(list, cursor, pagination).map(RolesPaged::from)
}
