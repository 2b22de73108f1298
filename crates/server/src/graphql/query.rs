//! Queries.

use super::filters::{
    OrganizationFilters, OrganizationOrdering, RoleFilters, RoleOrdering, UserFilters, UserOrdering, WorkspaceFilters,
    WorkspaceOrdering,
};
use super::paging::PaginationArgs;
use super::security::SecurityEvent;
use super::types::{Me, Organization, OrganizationsPaged, RolesPaged, User, UsersPaged, Workspace, WorkspacesPaged};
use super::{core, org_id, principal, workspace_id, Gql};
use async_graphql::{Context, Enum, InputObject, Object, ID};
use tessera_core::element::BoundingBox;

#[derive(Default)]
pub struct Query;

#[Object(name = "WorkspaceQuery")]
impl Query {
    /// The caller: profile, organizations and workspaces.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        principal(ctx)?;
        Ok(Me)
    }

    /// One workspace the caller may read; others are `NOT_FOUND`.
    async fn workspace(&self, ctx: &Context<'_>, workspace_id: String) -> async_graphql::Result<Workspace> {
        let id = self::workspace_id(workspace_id)?;
        core(ctx).workspace(principal(ctx)?, &id).await.gql().map(Workspace)
    }

    /// Every workspace the caller may read; with `archived`, only the archived ones (`true`) or
    /// only the others (`false`).
    async fn workspaces(
        &self,
        ctx: &Context<'_>,
        archived: Option<bool>,
        cursor: Option<String>,
        filtering: Option<WorkspaceFilters>,
        ordering: Option<Vec<WorkspaceOrdering>>,
        pagination: Option<PaginationArgs>,
    ) -> async_graphql::Result<WorkspacesPaged> {
        let list = core(ctx).workspaces(principal(ctx)?).await.gql()?;
        let list = list
            .into_iter()
            .filter(|w| {
                archived.is_none_or(|a| a == w.archived_at.is_some()) && filtering.as_ref().is_none_or(|f| f.matches(w))
            })
            .collect();
        super::types::workspaces_page(list, cursor, ordering, pagination)
    }

    async fn organization(&self, ctx: &Context<'_>, organization_id: String) -> async_graphql::Result<Organization> {
        let id = org_id(organization_id)?;
        core(ctx).organization(principal(ctx)?, &id).await.gql().map(Organization)
    }

    /// The caller's organizations.
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        filtering: Option<OrganizationFilters>,
        ordering: Option<Vec<OrganizationOrdering>>,
        pagination: Option<PaginationArgs>,
    ) -> async_graphql::Result<OrganizationsPaged> {
        super::types::organizations(ctx, cursor, filtering, ordering, pagination).await
    }

    /// The people and bots the caller can see: the members of its organizations (`org:read`).
    async fn users(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        filtering: Option<UserFilters>,
        ordering: Option<Vec<UserOrdering>>,
        pagination: Option<PaginationArgs>,
    ) -> async_graphql::Result<UsersPaged> {
        let mut list: Vec<_> = core(ctx)
            .people(principal(ctx)?)
            .await
            .gql()?
            .into_iter()
            .filter(|u| filtering.as_ref().is_none_or(|f| f.matches(u)))
            .collect();
        super::paging::sort_by_keys(&mut list, &UserOrdering::keys(ordering.as_deref().unwrap_or_default()));
        Ok(UsersPaged::from(super::paging::page(list, cursor, pagination)?.map(User)))
    }

    /// One of the people `users` lists, by id or e-mail address (exactly one of them).
    async fn user(
        &self,
        ctx: &Context<'_>,
        email: Option<String>,
        user_id: Option<String>,
    ) -> async_graphql::Result<User> {
        let id = user_id.map(|s| super::user_id("userId", s)).transpose()?;
        core(ctx).person(principal(ctx)?, id.as_ref(), email.as_deref()).await.gql().map(User)
    }

    /// An organization's security log (owners and admins, with `org:admin`): events after
    /// `after` in order, or without it the newest `limit` (1–1000), oldest first.
    async fn security_events(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        after: Option<ID>,
        #[graphql(default = 100)] limit: i32,
    ) -> async_graphql::Result<Vec<SecurityEvent>> {
        super::security::list(ctx, organization_id, after, limit).await
    }

    /// The built-in roles of organizations and workspaces.
    async fn roles(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        filtering: Option<RoleFilters>,
        ordering: Option<Vec<RoleOrdering>>,
        pagination: Option<PaginationArgs>,
    ) -> async_graphql::Result<RolesPaged> {
        principal(ctx)?;
        super::types::roles_page(ctx, cursor, filtering, ordering, pagination)
    }

    /// The first area of the proposed size that no element overlaps (touching is allowed),
    /// searched from the proposed one in `direction`; null if there is none within the canvas.
    async fn find_available_area(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        #[graphql(
            desc = "Proposed starting area to begin search for available area in the workspace for a new object to be placed"
        )]
        proposed_area: BoxInput,
        #[graphql(
            desc = "Direction to move in during the search for available area (up, down, left, right)",
            default_with = "Some(FindAvailableAreaDirection::Right)"
        )]
        direction: Option<FindAvailableAreaDirection>,
    ) -> async_graphql::Result<Option<super::elements::BoundingBox>> {
        use tessera_core::element::find::Direction;
        let ws = self::workspace_id(workspace_id)?;
        let v = |f: Option<f64>| f.unwrap_or(0.0);
        let BoxInput { x, y, width, height } = proposed_area;
        let (x, y, width, height) = (v(x), v(y), v(width), v(height));
        let direction = match direction.unwrap_or(FindAvailableAreaDirection::Right) {
            FindAvailableAreaDirection::Left => Direction::Left,
            FindAvailableAreaDirection::Right => Direction::Right,
            FindAvailableAreaDirection::Up => Direction::Up,
            FindAvailableAreaDirection::Down => Direction::Down,
        };
        let found = core(ctx)
            .find_available_area(principal(ctx)?, &ws, BoundingBox { x, y, width, height }, direction)
            .await
            .gql()?;
        Ok(found.map(|b| super::elements::BoundingBox { x: b.x, y: b.y, width: b.width, height: b.height }))
    }
}

/// Bounding box of an element, relative to the origin
#[derive(InputObject)]
pub struct BoxInput {
    /// x-coordinate of the top left corner
    #[graphql(default = 0.0)]
    pub x: Option<f64>,
    /// y-coordinate of the top left corner
    #[graphql(default = 0.0)]
    pub y: Option<f64>,
    #[graphql(default = 0.0)]
    pub width: Option<f64>,
    #[graphql(default = 0.0)]
    pub height: Option<f64>,
}

/// Find Availabile Area search order direction
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "lowercase")]
pub enum FindAvailableAreaDirection {
    Left,
    Right,
    Up,
    Down,
}

/// A rectangle of the workspace, in workspace coordinates.
#[derive(InputObject)]
pub struct Viewport {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Viewport {
    pub(super) fn area(self) -> async_graphql::Result<BoundingBox> {
        let Viewport { x, y, width, height } = self;
        if ![x, y, width, height].iter().all(|v| v.is_finite()) || width < 0.0 || height < 0.0 {
            return Err(bad_input("overlaps: a viewport has finite coordinates and a size of 0 or more"));
        }
        Ok(BoundingBox { x, y, width, height })
    }
}

pub(super) fn bad_input(msg: impl Into<String>) -> async_graphql::Error {
    super::gql_error(tessera_core::Error::bad_input(msg))
}
