//! Queries.

use super::elements::{Element, ElementType};
use super::filters::{
    OrganizationFilters, OrganizationOrdering, RoleFilters, RoleOrdering, WorkspaceFilters, WorkspaceOrdering,
};
use super::paging::PaginationArgs;
use super::security::SecurityEvent;
use super::types::{Me, Organization, OrganizationsPaged, RolesPaged, Workspace, WorkspacesPaged};
use super::{core, element_id, org_id, principal, workspace_id, Gql};
use async_graphql::{Context, Object, ID};

pub struct Query;

#[Object]
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

    /// Every workspace the caller may read. tessera does not archive workspaces: with
    /// `archived: true` the list is empty.
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
            .filter(|w| archived != Some(true) && filtering.as_ref().is_none_or(|f| f.matches(w)))
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

    /// Elements of a workspace, in z-order; optionally one element, or some types.
    async fn elements(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        id: Option<String>,
        r#type: Option<Vec<ElementType>>,
    ) -> async_graphql::Result<Vec<Element>> {
        let ws = self::workspace_id(workspace_id)?;
        let id = id.map(|s| element_id("id", s)).transpose()?;
        let types: Vec<_> = r#type.unwrap_or_default().into_iter().map(Into::into).collect();
        let list = core(ctx).elements(principal(ctx)?, &ws, id.as_ref(), &types).await.gql()?;
        // One read of the workspace's comments serves every element, if they are asked for.
        let comments = match ctx.look_ahead().field("comments").exists() && list.len() > 1 {
            true => Some(super::comments::of_workspace(ctx, &ws).await?),
            false => None,
        };
        Ok(list.into_iter().map(|e| Element::with_comments(e, comments.clone())).collect())
    }
}
