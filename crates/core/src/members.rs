//! Organization administration by its owners and admins: adding people, changing their role,
//! removing them. One rule decides each action (below), every change goes to the security log,
//! and taking something away takes effect at once, on every node: permissions are never cached
//! (each request asks the store, so the person's tokens stop reaching the organization's
//! workspaces with the next request), and a recorded membership change
//! ([`crate::ports::Revoked::Access`]) makes their open subscriptions ask again whether they may
//! still read what they follow; those that may not end with `FORBIDDEN`. Their tokens stay good
//! for everything else (other organizations, workspaces they were invited to).

use crate::audit::{NewSecurityEvent, SecurityKind};
use crate::auth::Principal;
use crate::error::{Error, Result};
use crate::ids::{OrgId, UserId};
use crate::model::{now_millis, ActorType, Member};
use crate::permission::{decide_org, Permission, ORG_ROLES};
use crate::service::Core;
use serde_json::json;

/// A role's rank: 0 is the highest (owner).
fn rank(role: &str) -> usize {
    ORG_ROLES.iter().position(|r| *r == role).unwrap_or(ORG_ROLES.len())
}

/// Whether someone with role `mine` may move a member from `from` to `to` (`None`: not a
/// member). Owners may do anything; admins may not touch owners or make anyone one.
pub fn decide_member_change(mine: &str, from: Option<&str>, to: Option<&str>) -> Result<()> {
    if mine == "owner" {
        return Ok(());
    }
    if from == Some("owner") || to == Some("owner") {
        return Err(Error::Forbidden("change the owners of this organization (owners do)"));
    }
    Ok(())
}

impl Core {
    /// The actor's own role, after checking they manage the organization.
    pub(crate) async fn managing(&self, actor: &Principal, org: &OrgId) -> Result<String> {
        let role = self.store.org_role(org, &actor.user.id).await?;
        decide_org(self.role_book(), actor, role.as_deref(), Permission::OrgManage)?;
        role.ok_or(Error::NotFound("organization"))
    }

    /// The organization would be left without an owner.
    async fn last_owner(&self, org: &OrgId, user: &UserId) -> Result<bool> {
        let members = self.store.org_members(org).await?;
        let owners: Vec<_> = members.iter().filter(|m| m.role_id == "owner").collect();
        Ok(owners.len() == 1 && owners[0].user.id == *user)
    }

    async fn member(&self, org: &OrgId, user: &UserId) -> Result<Member> {
        let members = self.store.org_members(org).await?;
        members.into_iter().find(|m| m.user.id == *user).ok_or(Error::NotFound("member"))
    }

    /// Add an existing person to the organization with a role (`user` by default).
    pub async fn add_member(
        &self,
        actor: &Principal,
        org: &OrgId,
        user: &UserId,
        role: Option<&str>,
    ) -> Result<Member> {
        let mine = self.managing(actor, org).await?;
        let role = role.unwrap_or("user");
        self.check_org_role(role)?;
        let person = self.store.user(user).await?.ok_or(Error::NotFound("user"))?;
        if person.kind == ActorType::Bot {
            return Err(Error::bad_input("a bot belongs to the organization that made it"));
        }
        if self.store.org_role(org, user).await?.is_some() {
            return Err(Error::Conflict("already a member: change their role instead".into()));
        }
        decide_member_change(&mine, None, Some(role))?;
        self.store.set_org_member(org, user, role).await?;
        self.record_member(actor, SecurityKind::MemberAdded, org, user, json!({"organizationId": org.0, "role": role}))
            .await;
        self.member(org, user).await
    }

    /// Change a member's role. A lower role ends at once what only the higher one allowed.
    pub async fn set_member_role(&self, actor: &Principal, org: &OrgId, user: &UserId, role: &str) -> Result<Member> {
        let mine = self.managing(actor, org).await?;
        self.check_org_role(role)?;
        let from = self.store.org_role(org, user).await?.ok_or(Error::NotFound("member"))?;
        decide_member_change(&mine, Some(&from), Some(role))?;
        if from == "owner" && role != "owner" && self.last_owner(org, user).await? {
            return Err(Error::Conflict(
                "the organization's last owner keeps the role: make someone else owner first".into(),
            ));
        }
        if from != role {
            self.store.set_org_member(org, user, role).await?;
            if rank(role) > rank(&from) {
                self.store.access_changed(user, now_millis()).await?;
            }
            let detail = json!({"organizationId": org.0, "from": from, "to": role});
            self.record_member(actor, SecurityKind::MemberRoleChanged, org, user, detail).await;
        }
        self.member(org, user).await
    }

    /// Remove a member: what membership allowed ends at once. Workspaces they collaborate on
    /// by invitation keep them as collaborators, like anyone invited from outside.
    pub async fn remove_member(&self, actor: &Principal, org: &OrgId, user: &UserId) -> Result<()> {
        let mine = self.managing(actor, org).await?;
        let from = self.store.org_role(org, user).await?.ok_or(Error::NotFound("member"))?;
        decide_member_change(&mine, Some(&from), None)?;
        let person = self.store.user(user).await?.ok_or(Error::NotFound("member"))?;
        if person.bot_org.as_ref() == Some(org) {
            return Err(Error::bad_input(
                "a bot cannot leave the organization that made it: revoke its tokens instead",
            ));
        }
        if from == "owner" && self.last_owner(org, user).await? {
            return Err(Error::Conflict("the organization's last owner cannot be removed".into()));
        }
        if !self.store.remove_org_member(org, user).await? {
            return Err(Error::NotFound("member"));
        }
        self.store.access_changed(user, now_millis()).await?;
        let detail = json!({"organizationId": org.0, "role": from});
        self.record_member(actor, SecurityKind::MemberRemoved, org, user, detail).await;
        Ok(())
    }

    async fn record_member(
        &self,
        actor: &Principal,
        kind: SecurityKind,
        org: &OrgId,
        subject: &UserId,
        detail: serde_json::Value,
    ) {
        let event = NewSecurityEvent::by(kind, subject, actor.client_id.as_deref(), detail)
            .acted_by(Some(&actor.user.id))
            .in_org(org);
        self.record(&[event]).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_never_touch_owners() {
        assert!(decide_member_change("owner", Some("owner"), None).is_ok());
        assert!(decide_member_change("owner", Some("user"), Some("owner")).is_ok());
        assert!(decide_member_change("admin", Some("user"), Some("admin")).is_ok());
        assert!(decide_member_change("admin", None, Some("guest")).is_ok());
        assert!(decide_member_change("admin", Some("owner"), Some("user")).is_err());
        assert!(decide_member_change("admin", Some("user"), Some("owner")).is_err());
        assert!(decide_member_change("admin", Some("owner"), None).is_err());
        assert!(rank("owner") < rank("admin") && rank("user") < rank("guest"));
    }
}
