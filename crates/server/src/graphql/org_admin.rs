//! The rest of organization administration over GraphQL, for owners and admins with a token
//! that has `org:admin`: the platform's `updateOrganization` (its `mfaEnabled`, the two-factor
//! requirement) and tessera's own additions in the schema's style — invitations, bots and
//! their tokens, the apps members have authorized, and the organization's OpenID Connect
//! identity provider (the platform's `createIdentityProvider` describes SAML providers, which
//! tessera does not have). The rules are the core's, the same as the portal's.

use super::paging::datetime;
use super::types::User;
use super::{core, gql_error, principal, Gql};
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tessera_core::auth::Principal;
use tessera_core::ids::{OrgId, TokenId, UserId};
use tessera_core::sso::ProviderInput;
use tessera_core::Error;

/// An invitation sent and not yet accepted, cancelled or expired.
#[derive(SimpleObject)]
pub struct OrganizationInvitation {
    /// Pass it to `cancelOrganizationInvitation`.
    id: ID,
    email: String,
    organization_role_id: ID,
    /// Who sent it.
    invited_by_id: Option<ID>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

/// One of a bot's tokens (never the token itself, which is shown only when made).
#[derive(SimpleObject)]
pub struct BotToken {
    id: ID,
    created_at: DateTime<Utc>,
    revoked: bool,
}

/// A bot of the organization: a user of type bot, with its tokens.
#[derive(SimpleObject)]
pub struct Bot {
    user: User,
    tokens: Vec<BotToken>,
}

/// A new bot, or a new token of one: the token is shown only here.
#[derive(SimpleObject)]
pub struct IssuedBotToken {
    bot: User,
    token_id: ID,
    /// Use as `Authorization: Bearer <token>`; keep it on a server.
    token: String,
}

/// An app a member of the organization has authorized.
#[derive(SimpleObject)]
pub struct MemberAuthorization {
    member: User,
    client_id: String,
    application_name: String,
    /// What the member allowed, as the consent page put it (scopes and their workspaces).
    scope: String,
    created_at: DateTime<Utc>,
}

/// An organization's upstream OpenID Connect provider (never its client secret).
#[derive(SimpleObject)]
pub struct OrganizationIdentityProvider {
    id: ID,
    name: String,
    issuer: String,
    client_id: String,
    /// The organization role of people it brings in.
    default_organization_role_id: ID,
    /// E-mail domains whose people sign in through it (the operator sets them).
    domains: Vec<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<tessera_core::ports::IdentityProvider> for OrganizationIdentityProvider {
    fn from(p: tessera_core::ports::IdentityProvider) -> Self {
        OrganizationIdentityProvider {
            id: ID(p.id),
            name: p.name,
            issuer: p.issuer,
            client_id: p.client_id,
            default_organization_role_id: ID(p.default_role),
            domains: p.domains,
            created_at: datetime(p.created_at),
            updated_at: datetime(p.updated_at),
        }
    }
}

/// `Organization.invitations`.
pub async fn invitations(ctx: &Context<'_>, org: &OrgId) -> async_graphql::Result<Vec<OrganizationInvitation>> {
    let list = core(ctx).invitations(principal(ctx)?, org).await.gql()?;
    Ok(list
        .into_iter()
        .map(|i| OrganizationInvitation {
            id: ID(i.id),
            email: i.email,
            organization_role_id: ID(i.role),
            invited_by_id: i.invited_by.map(|u| ID(u.0)),
            created_at: datetime(i.sent_at),
            expires_at: datetime(i.expires_at),
        })
        .collect())
}

/// `Organization.bots`.
pub async fn bots(ctx: &Context<'_>, org: &OrgId) -> async_graphql::Result<Vec<Bot>> {
    let list = core(ctx).org_bots(principal(ctx)?, org).await.gql()?;
    Ok(list
        .into_iter()
        .map(|(bot, tokens)| Bot {
            user: User(bot),
            tokens: tokens
                .into_iter()
                .map(|t| BotToken { id: ID(t.id.0), created_at: datetime(t.created_at), revoked: t.revoked })
                .collect(),
        })
        .collect())
}

/// `Organization.authorizations`.
pub async fn authorizations(ctx: &Context<'_>, org: &OrgId) -> async_graphql::Result<Vec<MemberAuthorization>> {
    let list = core(ctx).member_grants(principal(ctx)?, org).await.gql()?;
    Ok(list
        .into_iter()
        .map(|g| MemberAuthorization {
            member: User(g.user),
            client_id: g.app.client_id,
            application_name: g.app.name,
            scope: g.consent.describe(),
            created_at: datetime(g.consent.created_at),
        })
        .collect())
}

/// `Organization.identityProvider`.
pub async fn identity_provider(
    ctx: &Context<'_>,
    org: &OrgId,
) -> async_graphql::Result<Option<OrganizationIdentityProvider>> {
    let p = core(ctx).identity_provider(Some(principal(ctx)?), org).await.gql()?;
    Ok(p.map(OrganizationIdentityProvider::from))
}

/// The platform's input; tessera changes `mfaEnabled` and refuses the rest.
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    pub auto_associate_identity_provider_user: Option<bool>,
    pub can_have_guests: Option<bool>,
    pub default_organization_user_role_id: Option<ID>,
    pub default_public_workspace_role_id: Option<ID>,
    pub expired_at: Option<DateTime<Utc>>,
    pub is_custom_roles_enabled: Option<bool>,
    pub is_guest_invite_approval_required: Option<bool>,
    /// Require two-factor sign-in of everyone in the organization.
    pub mfa_enabled: Option<bool>,
    pub name: Option<String>,
    pub owner_id: Option<ID>,
    pub secondary_name: Option<String>,
}

impl UpdateOrganizationInput {
    /// The first field tessera does not change, by its GraphQL name.
    fn unsupported(&self) -> Option<&'static str> {
        [
            (self.auto_associate_identity_provider_user.is_some(), "autoAssociateIdentityProviderUser"),
            (self.can_have_guests.is_some(), "canHaveGuests"),
            (self.default_organization_user_role_id.is_some(), "defaultOrganizationUserRoleId"),
            (self.default_public_workspace_role_id.is_some(), "defaultPublicWorkspaceRoleId"),
            (self.expired_at.is_some(), "expiredAt"),
            (self.is_custom_roles_enabled.is_some(), "isCustomRolesEnabled"),
            (self.is_guest_invite_approval_required.is_some(), "isGuestInviteApprovalRequired"),
            (self.name.is_some(), "name"),
            (self.owner_id.is_some(), "ownerId"),
            (self.secondary_name.is_some(), "secondaryName"),
        ]
        .into_iter()
        .find_map(|(set, name)| set.then_some(name))
    }
}

#[derive(InputObject)]
pub struct InviteMemberInput {
    pub email: String,
    /// `owner` (owners only), `admin`, `user` or `guest`; `user` by default.
    pub organization_role_id: Option<ID>,
}

#[derive(InputObject)]
pub struct CreateBotInput {
    pub name: String,
}

#[derive(InputObject)]
pub struct SetIdentityProviderInput {
    /// Shown on the sign-in page; "Single sign-on" by default.
    pub name: Option<String>,
    /// The provider's issuer URL (https; its discovery document must name the same issuer).
    pub issuer: String,
    pub client_id: String,
    /// Needed for a new provider; leave it out to keep the stored one.
    pub client_secret: Option<String>,
    /// The role of people it brings in: `admin`, `user` (default) or `guest`.
    pub default_organization_role_id: Option<ID>,
}

#[derive(Default)]
pub struct OrgAdminMutation;

fn bad(msg: String) -> async_graphql::Error {
    gql_error(Error::BadInput(msg))
}

#[Object]
impl OrgAdminMutation {
    /// Change an organization's settings. tessera changes `mfaEnabled` (two-factor sign-in
    /// required of everyone in it); any other field is refused.
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        input: UpdateOrganizationInput,
        organization_id: String,
    ) -> async_graphql::Result<super::types::Organization> {
        if let Some(field) = input.unsupported() {
            return Err(bad(format!("{field} cannot be changed on tessera")));
        }
        let (core, p, org) = (core(ctx), principal(ctx)?, OrgId(organization_id));
        if let Some(on) = input.mfa_enabled {
            core.set_org_two_factor(Some(p), &org, on).await.gql()?;
        }
        core.organization(p, &org).await.gql().map(super::types::Organization)
    }

    /// Invite an address to the organization by e-mail. The answer is the same whether or not
    /// the address has an account.
    async fn invite_organization_member(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        input: InviteMemberInput,
    ) -> async_graphql::Result<bool> {
        let p = principal(ctx)?;
        let limits = ctx.data_unchecked::<Arc<crate::web::limits::Limits>>();
        if !limits.invite_allowed(p.user.id.as_str()).await {
            return Err(gql_error(Error::Busy("too many invitations: try again in a few minutes".into())));
        }
        let role = input.organization_role_id.map_or_else(|| "user".to_string(), |r| r.0);
        core(ctx).invite(p, &OrgId(organization_id), &input.email, &role).await.gql()?;
        Ok(true)
    }

    /// Withdraw an invitation: its link stops working.
    async fn cancel_organization_invitation(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        invitation_id: ID,
    ) -> async_graphql::Result<bool> {
        core(ctx).cancel_invitation(principal(ctx)?, &OrgId(organization_id), &invitation_id.0).await.gql()?;
        Ok(true)
    }

    /// A new bot in the organization, with its first token (shown only here).
    async fn create_bot(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        input: CreateBotInput,
    ) -> async_graphql::Result<IssuedBotToken> {
        let org = OrgId(organization_id);
        let (bot, token_id, token) = core(ctx).create_bot(principal(ctx)?, &org, &input.name).await.gql()?;
        Ok(IssuedBotToken { bot: User(bot), token_id: ID(token_id.0), token })
    }

    /// A further token for a bot (shown only here).
    async fn create_bot_token(&self, ctx: &Context<'_>, bot_id: ID) -> async_graphql::Result<IssuedBotToken> {
        let (core, p) = (core(ctx), principal(ctx)?);
        let bot = UserId(bot_id.0);
        let (token_id, token) = core.create_bot_token(p, &bot).await.gql()?;
        let user = core.person(p, Some(&bot), None).await.gql()?;
        Ok(IssuedBotToken { bot: User(user), token_id: ID(token_id.0), token })
    }

    /// Revoke one of a bot's tokens; connections using it close on every node.
    async fn revoke_bot_token(&self, ctx: &Context<'_>, bot_id: ID, token_id: ID) -> async_graphql::Result<bool> {
        core(ctx).revoke_bot_token(principal(ctx)?, &UserId(bot_id.0), &TokenId(token_id.0)).await.gql()?;
        Ok(true)
    }

    /// Withdraw a member's authorization of an app: every token of it stops working.
    async fn revoke_member_authorization(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        member_id: ID,
        client_id: String,
    ) -> async_graphql::Result<bool> {
        let (org, member) = (OrgId(organization_id), UserId(member_id.0));
        core(ctx).revoke_member_grant(principal(ctx)?, &org, &member, &client_id).await.gql()?;
        Ok(true)
    }

    /// Set (or change) the organization's OpenID Connect identity provider.
    async fn set_organization_identity_provider(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        input: SetIdentityProviderInput,
    ) -> async_graphql::Result<OrganizationIdentityProvider> {
        let p: &Principal = principal(ctx)?;
        let provider = ProviderInput {
            name: input.name.unwrap_or_default(),
            issuer: input.issuer,
            client_id: input.client_id,
            client_secret: input.client_secret,
            default_role: input.default_organization_role_id.map_or_else(|| "user".to_string(), |r| r.0),
            domains: None,
        };
        let set = core(ctx).set_identity_provider(Some(p), &OrgId(organization_id), provider).await.gql()?;
        Ok(set.into())
    }

    /// Remove the organization's identity provider; its people keep their accounts. False
    /// when it had none.
    async fn delete_organization_identity_provider(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
    ) -> async_graphql::Result<bool> {
        core(ctx).remove_identity_provider(Some(principal(ctx)?), &OrgId(organization_id)).await.gql()
    }
}
