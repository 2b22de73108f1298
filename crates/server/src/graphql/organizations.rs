//! Organization administration, in the platform's shapes: `addMember`, `updateMemberRole`,
//! `deleteOrganizationMember`. The rules are `tessera_core::members`'s; tokens need `org:admin`.

use super::types::Member;
use super::{core, principal, Gql};
use async_graphql::{Context, InputObject, Object, ID};
use tessera_core::ids::{OrgId, UserId};

#[derive(InputObject)]
pub struct AddMemberInput {
    /// The user id of the person to add.
    pub id: ID,
    /// Their organization role (`owner`, `admin`, `user`, `guest`); `user` by default.
    pub organization_role_id: Option<ID>,
    /// Not supported: the role says it.
    #[graphql(name = "type")]
    pub kind: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateMemberRoleInput {
    pub organization_role_id: ID,
}

#[derive(InputObject)]
pub struct DeleteMemberInput {
    /// The user id of the member to remove.
    pub member_id: ID,
    /// Not supported: a member's workspaces stay theirs.
    pub new_workspace_owner_id: Option<ID>,
}

#[derive(Default)]
pub struct OrganizationMutation;

async fn as_member(ctx: &Context<'_>, org: &OrgId, m: tessera_core::model::Member) -> async_graphql::Result<Member> {
    let core = core(ctx);
    let organization = core.organization(principal(ctx)?, org).await.gql()?;
    Ok(Member { member: m, organization, roles: core.role_book().clone() })
}

fn unsupported(what: &str) -> async_graphql::Error {
    super::gql_error(tessera_core::Error::bad_input(format!("{what} is not supported")))
}

#[Object]
impl OrganizationMutation {
    /// Add an existing person to an organization (its owners and admins; only owners add owners).
    async fn add_member(
        &self,
        ctx: &Context<'_>,
        input: AddMemberInput,
        organization_id: String,
    ) -> async_graphql::Result<Member> {
        if input.kind.is_some() {
            return Err(unsupported("type"));
        }
        let org = OrgId(organization_id);
        let role = input.organization_role_id.as_ref().map(|r| r.0.as_str());
        let m = core(ctx).add_member(principal(ctx)?, &org, &UserId(input.id.0), role).await.gql()?;
        as_member(ctx, &org, m).await
    }

    /// Change a member's role. A lower role ends at once what only the higher one allowed.
    async fn update_member_role(
        &self,
        ctx: &Context<'_>,
        input: UpdateMemberRoleInput,
        member_id: ID,
        organization_id: ID,
    ) -> async_graphql::Result<Member> {
        let org = OrgId(organization_id.0);
        let role = input.organization_role_id.0;
        let m = core(ctx).set_member_role(principal(ctx)?, &org, &UserId(member_id.0), &role).await.gql()?;
        as_member(ctx, &org, m).await
    }

    /// Remove a member; what membership allowed ends at once, on every node.
    async fn delete_organization_member(
        &self,
        ctx: &Context<'_>,
        input: DeleteMemberInput,
        organization_id: String,
    ) -> async_graphql::Result<bool> {
        if input.new_workspace_owner_id.is_some() {
            return Err(unsupported("newWorkspaceOwnerId"));
        }
        let org = OrgId(organization_id);
        core(ctx).remove_member(principal(ctx)?, &org, &UserId(input.member_id.0)).await.gql()?;
        Ok(true)
    }
}
