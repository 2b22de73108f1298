//! The security log: sign-ins, failed sign-ins, tokens issued and revoked, consents given and
//! withdrawn, app and bot changes. Each event is about one user or bot (its *subject*) and is
//! recorded in the log of every organization the subject belongs to, where the organization's
//! owners and admins can read and follow it.
//!
//! Like the workspace log, each organization's log has cursors in commit order (its counter
//! row is bumped in the writing transaction). An event never holds a secret: no password,
//! token, code or client secret, and no hash of one — only ids, names, scopes and addresses.

use crate::auth::Principal;
use crate::error::{Error, Result};
use crate::ids::{OrgId, TokenId, UserId};
use crate::permission::{decide_org, Permission};
use crate::service::Core;
use serde_json::{json, Value as Json};

/// Most events one read returns.
pub const MAX_PAGE: u32 = 1000;

/// What happened. The names are stored as text and shown as the GraphQL enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityKind {
    LoginSucceeded,
    LoginFailed,
    TokenIssued,
    TokenRevoked,
    ConsentGranted,
    ConsentWithdrawn,
    AppCreated,
    AppSecretRegenerated,
    AppChanged,
    AppDeleted,
    BotCreated,
    PasswordResetRequested,
    PasswordReset,
    InvitationSent,
    InvitationAccepted,
    InvitationCancelled,
    EmailVerified,
    TwoFactorEnabled,
    TwoFactorDisabled,
    TwoFactorFailed,
    RecoveryCodeUsed,
    TwoFactorRequirementChanged,
    SsoSignedIn,
    IdentityProviderChanged,
    MemberAdded,
    MemberRoleChanged,
    MemberRemoved,
    PasswordChanged,
    SignedOutEverywhere,
    SignupDomainChanged,
}

impl SecurityKind {
    pub const ALL: [SecurityKind; 30] = [
        SecurityKind::LoginSucceeded,
        SecurityKind::LoginFailed,
        SecurityKind::TokenIssued,
        SecurityKind::TokenRevoked,
        SecurityKind::ConsentGranted,
        SecurityKind::ConsentWithdrawn,
        SecurityKind::AppCreated,
        SecurityKind::AppSecretRegenerated,
        SecurityKind::AppChanged,
        SecurityKind::AppDeleted,
        SecurityKind::BotCreated,
        SecurityKind::PasswordResetRequested,
        SecurityKind::PasswordReset,
        SecurityKind::InvitationSent,
        SecurityKind::InvitationAccepted,
        SecurityKind::InvitationCancelled,
        SecurityKind::EmailVerified,
        SecurityKind::TwoFactorEnabled,
        SecurityKind::TwoFactorDisabled,
        SecurityKind::TwoFactorFailed,
        SecurityKind::RecoveryCodeUsed,
        SecurityKind::TwoFactorRequirementChanged,
        SecurityKind::SsoSignedIn,
        SecurityKind::IdentityProviderChanged,
        SecurityKind::MemberAdded,
        SecurityKind::MemberRoleChanged,
        SecurityKind::MemberRemoved,
        SecurityKind::PasswordChanged,
        SecurityKind::SignedOutEverywhere,
        SecurityKind::SignupDomainChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SecurityKind::LoginSucceeded => "login.succeeded",
            SecurityKind::LoginFailed => "login.failed",
            SecurityKind::TokenIssued => "token.issued",
            SecurityKind::TokenRevoked => "token.revoked",
            SecurityKind::ConsentGranted => "consent.granted",
            SecurityKind::ConsentWithdrawn => "consent.withdrawn",
            SecurityKind::AppCreated => "app.created",
            SecurityKind::AppSecretRegenerated => "app.secret_regenerated",
            SecurityKind::AppChanged => "app.changed",
            SecurityKind::AppDeleted => "app.deleted",
            SecurityKind::BotCreated => "bot.created",
            SecurityKind::PasswordResetRequested => "password.reset_requested",
            SecurityKind::PasswordReset => "password.reset",
            SecurityKind::InvitationSent => "invitation.sent",
            SecurityKind::InvitationAccepted => "invitation.accepted",
            SecurityKind::InvitationCancelled => "invitation.cancelled",
            SecurityKind::EmailVerified => "email.verified",
            SecurityKind::TwoFactorEnabled => "two_factor.enabled",
            SecurityKind::TwoFactorDisabled => "two_factor.disabled",
            SecurityKind::TwoFactorFailed => "two_factor.failed",
            SecurityKind::RecoveryCodeUsed => "two_factor.recovery_code_used",
            SecurityKind::TwoFactorRequirementChanged => "two_factor.requirement_changed",
            SecurityKind::SsoSignedIn => "sso.signed_in",
            SecurityKind::IdentityProviderChanged => "identity_provider.changed",
            SecurityKind::MemberAdded => "member.added",
            SecurityKind::MemberRoleChanged => "member.role_changed",
            SecurityKind::MemberRemoved => "member.removed",
            SecurityKind::PasswordChanged => "password.changed",
            SecurityKind::SignedOutEverywhere => "signed_out_everywhere",
            SecurityKind::SignupDomainChanged => "signup_domain.changed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An event to record (the store finds the subject's organizations and assigns cursors).
#[derive(Debug, Clone, PartialEq)]
pub struct NewSecurityEvent {
    pub kind: SecurityKind,
    /// The user or bot the event is about.
    pub subject: UserId,
    /// Who did it: `None` for the operator's command line.
    pub actor: Option<UserId>,
    /// The app (OAuth client) involved, if any.
    pub client_id: Option<String>,
    /// Kind-specific facts (ids, scopes, grant type, address); never a secret.
    pub detail: Json,
    pub at: i64,
    /// The one organization whose log it belongs in; `None`: each of the subject's.
    pub org: Option<crate::ids::OrgId>,
}

/// A recorded event, as one organization sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityEvent {
    pub org_id: OrgId,
    pub cursor: i64,
    pub kind: SecurityKind,
    pub subject: UserId,
    pub actor: Option<UserId>,
    pub client_id: Option<String>,
    pub detail: Json,
    pub at: i64,
}

impl NewSecurityEvent {
    /// An event done by its own subject.
    pub fn by(kind: SecurityKind, subject: &UserId, client_id: Option<&str>, detail: Json) -> Self {
        NewSecurityEvent {
            kind,
            subject: subject.clone(),
            actor: Some(subject.clone()),
            client_id: client_id.map(str::to_string),
            detail,
            at: crate::model::now_millis(),
            org: None,
        }
    }

    /// The same event, in this organization's log only (a member just removed from it is no
    /// longer among its people).
    pub fn in_org(mut self, org: &crate::ids::OrgId) -> Self {
        self.org = Some(org.clone());
        self
    }

    /// The same event, done by someone else (`None`: the command line).
    pub fn acted_by(mut self, actor: Option<&UserId>) -> Self {
        self.actor = actor.cloned();
        self
    }

    /// Tokens issued to `subject` by a grant.
    pub fn tokens_issued(
        subject: &UserId,
        client_id: Option<&str>,
        grant: &str,
        scope: &str,
        ids: &[&TokenId],
    ) -> Self {
        let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
        Self::by(
            SecurityKind::TokenIssued,
            subject,
            client_id,
            json!({"grant": grant, "scope": scope, "tokenIds": ids}),
        )
    }

    /// Tokens of `subject` revoked, and why.
    pub fn tokens_revoked(subject: &UserId, client_id: Option<&str>, reason: &str, count: u64) -> Self {
        Self::by(SecurityKind::TokenRevoked, subject, client_id, json!({"reason": reason, "count": count}))
    }
}

impl Core {
    /// Record events about something that has just been committed. A failure to record is
    /// logged, not returned: the change it describes has already happened.
    pub(crate) async fn record(&self, events: &[NewSecurityEvent]) {
        if let Err(e) = self.store.record_security(events).await {
            let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
            tracing::error!(error = %e, ?kinds, "cannot record security events");
        }
    }

    /// Whether `p` may read an organization's security log: an owner or admin of it, with
    /// `org:admin` (or `v2legacy`). Non-members get `NOT_FOUND`, other members `FORBIDDEN`.
    pub async fn authorize_security_log(&self, p: &Principal, org: &OrgId) -> Result<()> {
        let role = self.store.org_role(org, &p.user.id).await?;
        decide_org(self.role_book(), p, role.as_deref(), Permission::OrgManage)
    }

    /// The newest cursor of an organization's security log, for a follower that authorized its
    /// reader already (`None`: no such organization).
    pub async fn security_log_head(&self, org: &OrgId) -> Result<Option<i64>> {
        self.store.last_security_cursor(org).await
    }

    /// An organization's security events after `after`, for a follower that authorized its
    /// reader already (and does so again before delivering them).
    pub async fn security_log_after(&self, org: &OrgId, after: i64, limit: u32) -> Result<Vec<SecurityEvent>> {
        self.store.security_events(org, Some(after), limit).await
    }

    /// An organization's security events after `after` in cursor order, or (without `after`)
    /// the newest `limit`.
    pub async fn security_events(
        &self,
        p: &Principal,
        org: &OrgId,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<SecurityEvent>> {
        self.authorize_security_log(p, org).await?;
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Error::bad_input(format!("limit must be between 1 and {MAX_PAGE}")));
        }
        if after.is_some_and(|a| a < 0) {
            return Err(Error::bad_input("after must be a cursor (0 or more)"));
        }
        self.store.security_events(org, after, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for k in SecurityKind::ALL {
            assert_eq!(SecurityKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(SecurityKind::parse("login"), None);
    }
}
