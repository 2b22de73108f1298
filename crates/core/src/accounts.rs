//! Accounts by e-mail: invitations into an organization, password reset and address
//! verification. Each sends a single-use, expiring link through the mail outbox; only the
//! link's hash is stored. Answers never tell whether an address has an account.

use crate::audit::{NewSecurityEvent, SecurityKind};
use crate::auth::{generate_token, hash_token, Principal};
use crate::error::{Error, Result};
use crate::ids::{new_id, OrgId, UserId};
use crate::model::{now_millis, ActorType, User};
use crate::permission::{decide_org, Permission};
use crate::ports::{AccountLink, LinkPurpose, Mail};
use crate::service::{Core, NewPerson};
use crate::validate;
use askama::Template;
use serde_json::json;

pub const RESET_PREFIX: &str = "tsr_pr_";
pub const INVITE_PREFIX: &str = "tsr_iv_";
pub const VERIFY_PREFIX: &str = "tsr_ev_";
const MINUTE: i64 = 60_000;
/// How long a password-reset link works.
pub const RESET_MINUTES: i64 = 30;
/// How long an invitation works.
pub const INVITE_DAYS: i64 = 7;
/// How long an address-verification link works.
pub const VERIFY_HOURS: i64 = 24;
/// The shortest and longest passwords accepted where people choose one.
pub const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_CHARS: usize = 1024;

#[derive(Template)]
#[template(path = "mail/reset.txt")]
struct ResetText<'a> {
    email: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "mail/reset.html")]
struct ResetHtml<'a> {
    email: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "mail/invite.txt")]
struct InviteText<'a> {
    inviter: &'a str,
    org: &'a str,
    role: &'a str,
    link: &'a str,
    days: i64,
}

#[derive(Template)]
#[template(path = "mail/invite.html")]
struct InviteHtml<'a> {
    inviter: &'a str,
    org: &'a str,
    role: &'a str,
    link: &'a str,
    days: i64,
}

#[derive(Template)]
#[template(path = "mail/verify.txt")]
struct VerifyText<'a> {
    email: &'a str,
    link: &'a str,
    hours: i64,
}

#[derive(Template)]
#[template(path = "mail/verify.html")]
struct VerifyHtml<'a> {
    email: &'a str,
    link: &'a str,
    hours: i64,
}

/// An invitation as its page shows it.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub email: String,
    pub org_name: String,
    pub role: String,
    /// Whether the address already has an account (then the invitee signs in to accept).
    pub has_account: bool,
}

/// What a new account chooses when accepting an invitation.
pub struct NewAccount {
    pub first_name: String,
    pub last_name: String,
    pub password: String,
}

/// A password someone chose: long enough to resist guessing, short enough to hash.
pub fn check_password(p: &str) -> Result<()> {
    let n = p.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(Error::bad_input(format!(
            "a password needs {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// A subject line as a header: no line breaks or other control characters, whatever a name held.
fn subject_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

pub(crate) fn render(t: &impl Template) -> Result<String> {
    t.render().map_err(|e| Error::internal(format!("rendering a mail failed: {e}")))
}

impl Core {
    /// Put a message in the outbox and wake the sender.
    pub(crate) async fn queue_mail(&self, to: &str, subject: &str, text: String, html: String) -> Result<()> {
        let mail = Mail { id: new_id(), to: to.to_string(), subject: subject_line(subject), text, html };
        self.store.queue_mail(&mail, now_millis()).await?;
        self.mail_queued.notify_one();
        Ok(())
    }

    /// A new single-use link: its URL (issuer + `path` + token), after storing its hash.
    pub(crate) async fn new_link(&self, prefix: &str, path: &str, link: AccountLink) -> Result<String> {
        let (token, hash) = generate_token(prefix);
        self.store.insert_link(&hash, &link, now_millis()).await?;
        Ok(format!("{}{path}?token={token}", self.settings().issuer))
    }

    /// Mail a password-reset link if a person has this address; nothing otherwise. The caller
    /// answers the same either way, before this finishes, so timing tells nothing either.
    pub async fn request_password_reset(&self, email: &str) -> Result<()> {
        let Ok(email) = validate::email(email) else { return Ok(()) };
        let Some((user, _)) = self.store.user_by_email(&email).await? else { return Ok(()) };
        if user.kind != ActorType::User {
            return Ok(());
        }
        let to = user.email.clone().unwrap_or(email);
        let link = AccountLink {
            purpose: LinkPurpose::Reset,
            email: to.clone(),
            user_id: Some(user.id.clone()),
            org_id: None,
            role: None,
            created_by: None,
            expires_at: now_millis() + RESET_MINUTES * MINUTE,
            data: None,
        };
        let url = self.new_link(RESET_PREFIX, "/password/reset", link).await?;
        let text = render(&ResetText { email: &to, link: &url, minutes: RESET_MINUTES })?;
        let html = render(&ResetHtml { email: &to, link: &url, minutes: RESET_MINUTES })?;
        self.queue_mail(&to, "Reset your tessera password", text, html).await?;
        let detail = json!({"purpose": "password reset"});
        self.record(&[NewSecurityEvent::by(SecurityKind::PasswordResetRequested, &user.id, None, detail)]).await;
        Ok(())
    }

    /// Whether a link of this purpose is live (for showing its form).
    pub async fn link_is_live(&self, purpose: LinkPurpose, token: &str) -> Result<bool> {
        Ok(self.store.live_link(&hash_token(token), purpose, now_millis()).await?.is_some())
    }

    /// Set a new password with a reset link (used once), then sign the person out everywhere:
    /// every session and every token their apps hold.
    pub async fn reset_password(&self, token: &str, password: &str) -> Result<User> {
        check_password(password)?;
        let hash = self.passwords().hash(password).await?;
        let link = self.store.use_link(&hash_token(token), LinkPurpose::Reset, now_millis()).await?;
        let user_id = link.and_then(|l| l.user_id).ok_or(Error::NotFound("password reset link"))?;
        let user = self.store.user(&user_id).await?.ok_or(Error::NotFound("user"))?;
        self.store.set_password(&user.id, &hash).await?;
        let revoked = self.store.sign_out_everywhere(&user.id).await?;
        // Whoever opened the mail controls the address.
        self.store.set_email_verified(&user.id, now_millis()).await?;
        let detail = json!({"revokedTokens": revoked});
        self.record(&[NewSecurityEvent::by(SecurityKind::PasswordReset, &user.id, None, detail)]).await;
        Ok(user)
    }

    /// Change one's password, knowing the current one: every session and app token ends (the
    /// caller starts a new session for the browser that asked).
    pub async fn change_password(&self, user: &User, current: &str, new: &str) -> Result<()> {
        check_password(new)?;
        let found = self.store.user_by_email(user.email.as_deref().unwrap_or_default()).await?;
        let stored = found.filter(|(u, _)| u.id == user.id).and_then(|(_, h)| h).map(std::sync::Arc::from);
        if stored.is_none() {
            return Err(Error::bad_input("you have no password yet: choose one with \"Forgot your password?\""));
        }
        if !self.passwords().verify(current, stored).await? {
            return Err(Error::bad_input("the current password is not correct"));
        }
        let hash = self.passwords().hash(new).await?;
        self.store.set_password(&user.id, &hash).await?;
        let revoked = self.store.sign_out_everywhere(&user.id).await?;
        let detail = json!({"revokedTokens": revoked});
        self.record(&[NewSecurityEvent::by(SecurityKind::PasswordChanged, &user.id, None, detail)]).await;
        Ok(())
    }

    /// End every session of the person and revoke every token their apps hold.
    pub async fn sign_out_everywhere(&self, user: &UserId) -> Result<u64> {
        let revoked = self.store.sign_out_everywhere(user).await?;
        let detail = json!({"revokedTokens": revoked});
        self.record(&[NewSecurityEvent::by(SecurityKind::SignedOutEverywhere, user, None, detail)]).await;
        Ok(revoked)
    }

    /// The person's live sessions: (created, expires, with a second factor, this one), newest first.
    pub async fn sessions(&self, user: &UserId, current_cookie: &str) -> Result<Vec<(i64, i64, bool, bool)>> {
        let mine = hash_token(current_cookie);
        let list = self.store.sessions_of(user, now_millis()).await?;
        Ok(list.into_iter().map(|(h, c, e, m)| (c, e, m, h == mine)).collect())
    }

    /// An organization's owner or admin invites an address with a role. The answer is the same
    /// whether or not the address has an account.
    pub async fn invite(&self, actor: &Principal, org: &OrgId, email: &str, role: &str) -> Result<()> {
        let org_role = self.store.org_role(org, &actor.user.id).await?;
        decide_org(self.role_book(), actor, org_role.as_deref(), Permission::OrgManage)?;
        let email = validate::email(email)?;
        self.check_org_role(role)?;
        if role == "owner" && org_role.as_deref() != Some("owner") {
            return Err(Error::Forbidden("invite an owner (only owners can)"));
        }
        let organization = self.store.org(org).await?.ok_or(Error::NotFound("organization"))?;
        let link = AccountLink {
            purpose: LinkPurpose::Invite,
            email: email.clone(),
            user_id: None,
            org_id: Some(org.clone()),
            role: Some(role.to_string()),
            created_by: Some(actor.user.id.clone()),
            expires_at: now_millis() + INVITE_DAYS * 24 * 60 * MINUTE,
            data: None,
        };
        let url = self.new_link(INVITE_PREFIX, "/invitations/accept", link).await?;
        let inviter = format!("{} {}", actor.user.first_name, actor.user.last_name).trim().to_string();
        let inviter = if inviter.is_empty() { actor.user.email.clone().unwrap_or_default() } else { inviter };
        let (o, d) = (organization.name.as_str(), INVITE_DAYS);
        let text = render(&InviteText { inviter: &inviter, org: o, role, link: &url, days: d })?;
        let html = render(&InviteHtml { inviter: &inviter, org: o, role, link: &url, days: d })?;
        self.queue_mail(&email, &format!("You are invited to join {o} on tessera"), text, html).await?;
        let detail = json!({"organizationId": org.0, "role": role});
        self.record(&[NewSecurityEvent::by(SecurityKind::InvitationSent, &actor.user.id, None, detail)]).await;
        Ok(())
    }

    /// A live invitation, as its page shows it.
    pub async fn invitation(&self, token: &str) -> Result<Option<Invitation>> {
        let Some(link) = self.store.live_link(&hash_token(token), LinkPurpose::Invite, now_millis()).await? else {
            return Ok(None);
        };
        let org = match &link.org_id {
            Some(id) => self.store.org(id).await?,
            None => None,
        };
        let Some(org) = org else { return Ok(None) };
        let has_account = self.store.user_by_email(&link.email).await?.is_some();
        Ok(Some(Invitation { email: link.email, org_name: org.name, role: link.role.unwrap_or_default(), has_account }))
    }

    /// Accept an invitation (used once): a new account for the invited address, or the
    /// signed-in person whose address it is; either joins the organization with the role.
    pub async fn accept_invitation(&self, token: &str, who: Result<&User, NewAccount>) -> Result<User> {
        if let Err(new) = &who {
            check_password(&new.password)?;
            validate::chars("first name", &new.first_name, validate::MAX_NAME_CHARS)?;
            validate::chars("last name", &new.last_name, validate::MAX_NAME_CHARS)?;
        }
        let hash = hash_token(token);
        // Checked before the link is used, so that a mistake does not spend it.
        let live = self.store.live_link(&hash, LinkPurpose::Invite, now_millis()).await?;
        let live = live.ok_or(Error::NotFound("invitation"))?;
        let existing = self.store.user_by_email(&live.email).await?.map(|(u, _)| u);
        match (&who, &existing) {
            (Ok(me), Some(owner)) if me.id == owner.id => {}
            (Ok(_), _) => return Err(Error::Forbidden("accept an invitation sent to another address")),
            (Err(_), Some(_)) => return Err(Error::Conflict("this address has an account: sign in to accept".into())),
            (Err(_), None) => {}
        }
        let link = self.store.use_link(&hash, LinkPurpose::Invite, now_millis()).await?;
        let link = link.ok_or(Error::NotFound("invitation"))?;
        let (org, role) = (link.org_id.clone().ok_or(Error::NotFound("organization"))?, link.role.clone());
        let role = role.unwrap_or_else(|| "user".into());
        let user = match who {
            Ok(me) => {
                // A member keeps the role they have; the invitation adds, never demotes.
                if self.store.org_role(&org, &me.id).await?.is_none() {
                    self.store.set_org_member(&org, &me.id, &role).await?;
                }
                me.clone()
            }
            Err(new) => {
                let person = NewPerson {
                    email: link.email.clone(),
                    password: new.password,
                    first_name: new.first_name,
                    last_name: new.last_name,
                    org: Some((org.clone(), role.clone())),
                };
                self.admin_create_user(person).await?
            }
        };
        self.store.set_email_verified(&user.id, now_millis()).await?;
        let detail = json!({"organizationId": org.0, "role": role, "invitedBy": link.created_by});
        self.record(&[NewSecurityEvent::by(SecurityKind::InvitationAccepted, &user.id, None, detail)]).await;
        Ok(user)
    }

    /// Mail the signed-in person a link that confirms their address.
    pub async fn request_email_verification(&self, user: &User) -> Result<()> {
        let email = user.email.clone().ok_or(Error::bad_input("this account has no e-mail address"))?;
        let link = AccountLink {
            purpose: LinkPurpose::Verify,
            email: email.clone(),
            user_id: Some(user.id.clone()),
            org_id: None,
            role: None,
            created_by: None,
            expires_at: now_millis() + VERIFY_HOURS * 60 * MINUTE,
            data: None,
        };
        let url = self.new_link(VERIFY_PREFIX, "/email/verify", link).await?;
        let text = render(&VerifyText { email: &email, link: &url, hours: VERIFY_HOURS })?;
        let html = render(&VerifyHtml { email: &email, link: &url, hours: VERIFY_HOURS })?;
        self.queue_mail(&email, "Confirm your e-mail address for tessera", text, html).await
    }

    /// Confirm an address with its link (used once), if it is still the account's address.
    pub async fn verify_email(&self, token: &str) -> Result<User> {
        let link = self.store.use_link(&hash_token(token), LinkPurpose::Verify, now_millis()).await?;
        let link = link.ok_or(Error::NotFound("verification link"))?;
        let user_id = link.user_id.ok_or(Error::NotFound("user"))?;
        let user = self.store.user(&user_id).await?.ok_or(Error::NotFound("user"))?;
        if user.email.as_deref().map(str::to_lowercase) != Some(link.email.to_lowercase()) {
            return Err(Error::NotFound("verification link"));
        }
        self.store.set_email_verified(&user.id, now_millis()).await?;
        self.record(&[NewSecurityEvent::by(SecurityKind::EmailVerified, &user.id, None, json!({}))]).await;
        Ok(user)
    }

    /// Whether the person confirmed their address (OpenID Connect `email_verified`).
    pub async fn email_verified(&self, user: &UserId) -> Result<bool> {
        self.store.email_verified(user).await
    }

    /// Up to `n` messages due now, claimed for `lease_ms` (see [`crate::ports::AccountStore::claim_mail`]).
    pub async fn claim_mail(&self, lease_ms: i64, n: u32) -> Result<Vec<(Mail, i64)>> {
        self.store.claim_mail(now_millis(), lease_ms, n).await
    }

    pub async fn mail_sent(&self, id: &str) -> Result<()> {
        self.store.mail_sent(id, now_millis()).await
    }

    /// A failed attempt: tried again at `retry_at` (milliseconds).
    pub async fn mail_failed(&self, id: &str, retry_at: i64, error: &str) -> Result<()> {
        self.store.mail_failed(id, retry_at, error).await
    }

    /// Mail waiting in the outbox (for readiness and tests).
    pub async fn mail_pending(&self) -> Result<u64> {
        self.store.mail_pending().await
    }
}
