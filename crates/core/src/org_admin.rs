//! What an organization's owners and admins manage besides its members ([`crate::members`]):
//! the invitations still waiting for an answer, the organization's bots and their tokens, and
//! the apps its members have authorized. Each action is decided by the same rule
//! (`Permission::OrgManage`, so a token needs `org:admin`), and each change is recorded in
//! that organization's security log with who did it.

use crate::audit::{NewSecurityEvent, SecurityKind};
use crate::auth::{Principal, TokenKind, TokenRecord};
use crate::error::{Error, Result};
use crate::ids::{OrgId, TokenId, UserId};
use crate::members::decide_member_change;
use crate::model::{now_millis, ActorType, Organization, User};
use crate::oauth::App;
use crate::ports::Consent;
use crate::service::Core;
use serde_json::json;

/// An invitation sent and neither accepted, cancelled nor expired.
#[derive(Debug, Clone)]
pub struct PendingInvitation {
    /// Names the invitation (the hash of its link's token; the token itself is never kept).
    pub id: String,
    pub email: String,
    pub role: String,
    pub invited_by: Option<UserId>,
    pub sent_at: i64,
    pub expires_at: i64,
}

/// An app a member of the organization has authorized.
#[derive(Debug, Clone)]
pub struct MemberGrant {
    pub user: User,
    pub app: App,
    pub consent: Consent,
}

impl Core {
    /// The organizations this person administers, with their role in each.
    pub async fn administered_orgs(&self, actor: &Principal) -> Result<Vec<(Organization, String)>> {
        let mut out = Vec::new();
        for org in self.store.orgs_of(&actor.user.id).await? {
            match self.managing(actor, &org.id).await {
                Ok(role) => out.push((org, role)),
                Err(Error::Forbidden(_) | Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// The organization's invitations waiting for an answer, newest first.
    pub async fn invitations(&self, actor: &Principal, org: &OrgId) -> Result<Vec<PendingInvitation>> {
        self.managing(actor, org).await?;
        let live = self.store.live_invitations(org, now_millis()).await?;
        Ok(live
            .into_iter()
            .map(|(id, link, sent_at)| PendingInvitation {
                id,
                email: link.email,
                role: link.role.unwrap_or_else(|| "user".into()),
                invited_by: link.created_by,
                sent_at,
                expires_at: link.expires_at,
            })
            .collect())
    }

    /// Withdraw an invitation: its link stops working at once. Admins cannot withdraw an
    /// invitation to become owner (only owners send those).
    pub async fn cancel_invitation(&self, actor: &Principal, org: &OrgId, id: &str) -> Result<()> {
        let mine = self.managing(actor, org).await?;
        let invitations = self.invitations(actor, org).await?;
        let invitation = invitations.into_iter().find(|i| i.id == id).ok_or(Error::NotFound("invitation"))?;
        decide_member_change(&mine, Some(&invitation.role), None)?;
        if !self.store.cancel_invitation(org, id, now_millis()).await? {
            return Err(Error::NotFound("invitation"));
        }
        let detail = json!({"organizationId": org.0, "role": invitation.role, "email": invitation.email});
        let event = NewSecurityEvent::by(SecurityKind::InvitationCancelled, &actor.user.id, None, detail).in_org(org);
        self.record(&[event]).await;
        Ok(())
    }

    /// The organization's bots, each with its bot tokens (revoked ones too).
    pub async fn org_bots(&self, actor: &Principal, org: &OrgId) -> Result<Vec<(User, Vec<TokenRecord>)>> {
        self.managing(actor, org).await?;
        let mut out = Vec::new();
        for bot in self.store.bots_of_org(org).await? {
            let tokens =
                self.store.tokens_of(&bot.id).await?.into_iter().filter(|t| t.kind == TokenKind::Bot).collect();
            out.push((bot, tokens));
        }
        Ok(out)
    }

    /// A new bot in the organization, with its first token (shown only now).
    pub async fn create_bot(&self, actor: &Principal, org: &OrgId, name: &str) -> Result<(User, TokenId, String)> {
        self.managing(actor, org).await?;
        self.new_bot(org, name, Some(&actor.user.id)).await
    }

    /// The bot, after checking the actor manages the organization that made it.
    async fn managed_bot(&self, actor: &Principal, bot: &UserId) -> Result<User> {
        let user = self.store.user(bot).await?.filter(|u| u.kind == ActorType::Bot).ok_or(Error::NotFound("bot"))?;
        let org = user.bot_org.clone().ok_or(Error::NotFound("bot"))?;
        match self.managing(actor, &org).await {
            // Bots of organizations the actor is not in do not exist for them.
            Err(Error::NotFound(_)) => Err(Error::NotFound("bot")),
            other => other.map(|_| user),
        }
    }

    /// A further token for a bot of an organization the actor manages (shown only now).
    pub async fn create_bot_token(&self, actor: &Principal, bot: &UserId) -> Result<(TokenId, String)> {
        let bot = self.managed_bot(actor, bot).await?;
        self.new_bot_token(&bot.id, Some(&actor.user.id)).await
    }

    /// Revoke one of a bot's tokens; connections using it close on every node.
    pub async fn revoke_bot_token(&self, actor: &Principal, bot: &UserId, token: &TokenId) -> Result<()> {
        let bot = self.managed_bot(actor, bot).await?;
        let tokens = self.store.tokens_of(&bot.id).await?;
        if !tokens.iter().any(|t| t.id == *token && t.kind == TokenKind::Bot) {
            return Err(Error::NotFound("token"));
        }
        self.revoke_token_by(token, Some(&actor.user.id), "revoked by an organization admin").await
    }

    /// The apps the organization's people have authorized.
    pub async fn member_grants(&self, actor: &Principal, org: &OrgId) -> Result<Vec<MemberGrant>> {
        self.managing(actor, org).await?;
        let mut out = Vec::new();
        for m in self.store.org_members(org).await? {
            if m.user.kind != ActorType::User {
                continue;
            }
            for (app, consent) in self.authorized_apps(&m.user.id).await? {
                out.push(MemberGrant { user: m.user.clone(), app, consent });
            }
        }
        Ok(out)
    }

    /// Withdraw a member's grant to an app: every token of it dies at once. Admins cannot do
    /// this to owners.
    pub async fn revoke_member_grant(
        &self,
        actor: &Principal,
        org: &OrgId,
        user: &UserId,
        client_id: &str,
    ) -> Result<()> {
        let mine = self.managing(actor, org).await?;
        let role = self.store.org_role(org, user).await?.ok_or(Error::NotFound("member"))?;
        decide_member_change(&mine, Some(&role), Some(&role))?;
        if !self.store.revoke_grant(user, client_id).await? {
            return Err(Error::NotFound("grant"));
        }
        let detail = json!({"organizationId": org.0, "by": "organization admin"});
        let event = NewSecurityEvent::by(SecurityKind::ConsentWithdrawn, user, Some(client_id), detail)
            .acted_by(Some(&actor.user.id))
            .in_org(org);
        self.record(&[event]).await;
        Ok(())
    }
}
