//! Queries.

use super::element_inputs::{to_json, TraitInput};
use super::elements::{Around, Attached, Element, ElementType};
use super::filters::{
    OrganizationFilters, OrganizationOrdering, RoleFilters, RoleOrdering, UserFilters, UserOrdering, WorkspaceFilters,
    WorkspaceOrdering,
};
use super::paging::PaginationArgs;
use super::security::SecurityEvent;
use super::types::{
    BackgroundTheme, Me, Organization, OrganizationsPaged, RolesPaged, User, UsersPaged, Workspace, WorkspacesPaged,
};
use super::{core, element_id, org_id, principal, workspace_id, Gql};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tessera_core::element::find::ElementFilter;
use tessera_core::element::BoundingBox;
use tessera_core::ids::WorkspaceId;

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

    /// Elements of a workspace, by `zIndex`, then oldest first: all, or as the arguments
    /// narrow them, now or as they were at an instant.
    #[allow(clippy::too_many_arguments)]
    async fn elements(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        #[graphql(desc = "restrict output to elements with traits matching these traits")] traits: Option<TraitInput>,
        #[graphql(desc = "id of the canvas in which the elements are included")] canvas_id: Option<String>,
        #[graphql(
            desc = "id of the element. When canvas is specified the element will exist in the bounds of the canvas"
        )]
        id: Option<String>,
        r#type: Option<Vec<ElementType>>,
        overlaps: Option<Viewport>,
        #[graphql(desc = "retrieve element state as of the specified moment in time")] when: Option<DateTime<Utc>>,
        #[graphql(desc = "include attachments in toplevel query results")] flatten: Option<bool>,
        #[graphql(desc = "id of the element. When specified, its origin point will be used to compute relative \
                          coordinates of other elements")]
        relative_to_origin_of: Option<String>,
    ) -> async_graphql::Result<Vec<Element>> {
        let args = ElementArgs { traits, canvas_id, id, r#type, overlaps, when, flatten, relative_to_origin_of };
        let (ws, filter) = args.filter(workspace_id)?;
        let Some(filter) = filter else {
            core(ctx).authorize_elements_read(principal(ctx)?, &ws).await.gql()?;
            return Ok(Vec::new());
        };
        let list = core(ctx).elements(principal(ctx)?, &ws, &filter).await.gql()?;
        element_objects(ctx, &ws, &filter, list).await
    }

    /// The workspace's elements as `elements` lists them, with its style and the cursor of the
    /// state they show: subscribe to `commands` from that cursor to follow it from there.
    #[allow(clippy::too_many_arguments)]
    async fn workspace_state(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        #[graphql(desc = "restrict output to elements with traits matching these traits")] traits: Option<TraitInput>,
        #[graphql(desc = "id of the canvas in which the elements are included")] canvas_id: Option<String>,
        #[graphql(
            desc = "id of the element. When canvas is specified the element will exist in the bounds of the canvas"
        )]
        id: Option<String>,
        r#type: Option<Vec<ElementType>>,
        overlaps: Option<Viewport>,
        #[graphql(desc = "retrieve element state as of the specified moment in time")] when: Option<DateTime<Utc>>,
        #[graphql(desc = "include attachments in toplevel query results")] flatten: Option<bool>,
        #[graphql(desc = "id of the element. When specified, its origin point will be used to compute relative \
                          coordinates of other elements")]
        relative_to_origin_of: Option<String>,
    ) -> async_graphql::Result<WorkspaceState> {
        let args = ElementArgs { traits, canvas_id, id, r#type, overlaps, when, flatten, relative_to_origin_of };
        workspace_state(ctx, workspace_id, args).await
    }

    /// The same as `workspaceState`.
    #[graphql(deprecation = "please use workspaceState query instead")]
    #[allow(clippy::too_many_arguments)]
    async fn elements_with_meta(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        #[graphql(desc = "restrict output to elements with traits matching these traits")] traits: Option<TraitInput>,
        #[graphql(desc = "id of the canvas in which the elements are included")] canvas_id: Option<String>,
        #[graphql(
            desc = "id of the element. When canvas is specified the element will exist in the bounds of the canvas"
        )]
        id: Option<String>,
        r#type: Option<Vec<ElementType>>,
        overlaps: Option<Viewport>,
        #[graphql(desc = "retrieve element state as of the specified moment in time")] when: Option<DateTime<Utc>>,
        #[graphql(desc = "include attachments in toplevel query results")] flatten: Option<bool>,
        #[graphql(desc = "id of the element. When specified, its origin point will be used to compute relative \
                          coordinates of other elements")]
        relative_to_origin_of: Option<String>,
    ) -> async_graphql::Result<WorkspaceState> {
        let args = ElementArgs { traits, canvas_id, id, r#type, overlaps, when, flatten, relative_to_origin_of };
        workspace_state(ctx, workspace_id, args).await
    }
}

/// The arguments `elements`, `workspaceState` and `elementsWithMeta` share.
struct ElementArgs {
    traits: Option<TraitInput>,
    canvas_id: Option<String>,
    id: Option<String>,
    r#type: Option<Vec<ElementType>>,
    overlaps: Option<Viewport>,
    when: Option<DateTime<Utc>>,
    flatten: Option<bool>,
    relative_to_origin_of: Option<String>,
}

impl ElementArgs {
    /// The workspace and the filter; no filter when the types asked for are only ones tessera
    /// never stores (`LegacyNote`, …), which match nothing.
    fn filter(self, workspace_id: String) -> async_graphql::Result<(WorkspaceId, Option<ElementFilter>)> {
        let ws = self::workspace_id(workspace_id)?;
        let traits = match self.traits {
            Some(t) => Some(tessera_core::element::input::traits(to_json(&t)).map_err(bad_input)?),
            None => None,
        };
        let asked = self.r#type.unwrap_or_default();
        let types: Vec<_> = asked.iter().filter_map(|t| t.stored()).collect();
        if !asked.is_empty() && types.is_empty() {
            return Ok((ws, None));
        }
        let filter = ElementFilter {
            id: self.id.map(|s| element_id("id", s)).transpose()?,
            types,
            overlaps: self.overlaps.map(Viewport::area).transpose()?,
            canvas: self.canvas_id.map(|s| element_id("canvasId", s)).transpose()?,
            when: self.when.map(|t| t.timestamp_millis()),
            traits,
            relative_to: self.relative_to_origin_of.map(|s| element_id("relativeToOriginOf", s)).transpose()?,
            flatten: self.flatten.unwrap_or(false),
        };
        Ok((ws, Some(filter)))
    }
}

/// A list's element objects, with what they will ask for read ahead once for all of them:
/// the workspace's comments (at an instant, those made by then) and its attached elements.
async fn element_objects(
    ctx: &Context<'_>,
    ws: &WorkspaceId,
    filter: &ElementFilter,
    list: Vec<tessera_core::element::Element>,
) -> async_graphql::Result<Vec<Element>> {
    let ahead = ctx.look_ahead();
    let ahead = if ctx.field().name() == "elements" { ahead } else { ahead.field("elements") };
    let many = list.len() > 1 || filter.when.is_some();
    let comments = match ahead.field("comments").exists() && many {
        true => Some(super::comments::of_workspace(ctx, ws, filter.when).await?),
        false => None,
    };
    let attached = match (ahead.field("attachments").exists() || ahead.field("surface").exists()) && many {
        true => {
            Some(Arc::new(Attached::new(core(ctx).attached_elements(principal(ctx)?, ws, filter.when).await.gql()?)))
        }
        false => None,
    };
    let around = Around { comments, attached, at: filter.when };
    Ok(list.into_iter().map(|e| Element::of(e, around.clone())).collect())
}

/// A workspace's state: its elements, its style, and the cursor they are at.
#[derive(SimpleObject)]
pub struct WorkspaceState {
    /// a cursor ID for commands subscription
    pub cursor: ID,
    pub style: WorkspaceStyle,
    pub elements: Vec<Element>,
}

#[derive(SimpleObject)]
pub struct WorkspaceStyle {
    pub background_theme: BackgroundTheme,
}

async fn workspace_state(
    ctx: &Context<'_>,
    workspace_id: String,
    args: ElementArgs,
) -> async_graphql::Result<WorkspaceState> {
    let (ws, filter) = args.filter(workspace_id)?;
    let p = principal(ctx)?;
    let workspace = core(ctx).workspace(p, &ws).await.gql()?;
    let (cursor, list) = match filter {
        Some(filter) => {
            let (cursor, list) = core(ctx).workspace_state(p, &ws, &filter).await.gql()?;
            (cursor, element_objects(ctx, &ws, &filter, list).await?)
        }
        None => {
            core(ctx).authorize_elements_read(p, &ws).await.gql()?;
            (core(ctx).log_head(&ws).await.gql()?.unwrap_or(0), Vec::new())
        }
    };
    let theme = workspace.background_theme.as_deref().and_then(BackgroundTheme::parse).unwrap_or(BackgroundTheme::Dark);
    Ok(WorkspaceState {
        cursor: ID(cursor.to_string()),
        style: WorkspaceStyle { background_theme: theme },
        elements: list,
    })
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
    fn area(self) -> async_graphql::Result<BoundingBox> {
        let Viewport { x, y, width, height } = self;
        if ![x, y, width, height].iter().all(|v| v.is_finite()) || width < 0.0 || height < 0.0 {
            return Err(bad_input("overlaps: a viewport has finite coordinates and a size of 0 or more"));
        }
        Ok(BoundingBox { x, y, width, height })
    }
}

fn bad_input(msg: impl Into<String>) -> async_graphql::Error {
    super::gql_error(tessera_core::Error::bad_input(msg))
}
