//! Queries.

use super::elements::{Element, ElementType};
use super::security::SecurityEvent;
use super::types::{Me, Organization, ResourceType, Role, Workspace};
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

    /// Every workspace the caller may read.
    async fn workspaces(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Workspace>> {
        let list = core(ctx).workspaces(principal(ctx)?).await.gql()?;
        Ok(list.into_iter().map(Workspace).collect())
    }

    async fn organization(&self, ctx: &Context<'_>, organization_id: String) -> async_graphql::Result<Organization> {
        let id = org_id(organization_id)?;
        core(ctx).organization(principal(ctx)?, &id).await.gql().map(Organization)
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

    /// The built-in roles, optionally of one resource type.
    async fn roles(&self, ctx: &Context<'_>, resource_type: Option<ResourceType>) -> async_graphql::Result<Vec<Role>> {
        principal(ctx)?;
        Ok(core(ctx).roles(resource_type.map(Into::into)).into_iter().map(Role).collect())
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
        Ok(list.into_iter().map(Element::from).collect())
    }
}
