//! Open sign-up: an organization lets the people of its e-mail domains join by themselves. A
//! person asks with their address; if its domain is open, a single-use link goes to it (the same
//! link an invitation carries, without an inviter), so joining proves the address. The answer
//! to the request is the same for every address.
//!
//! A domain counts as the organization's when the operator says so (`tessera org signup-domain`),
//! or when an owner or admin opens it whose own address at that domain is confirmed by mail.
//! A domain belongs to one organization; the role it gives is never `owner`.

use crate::accounts::{render, INVITE_PREFIX, VERIFY_HOURS};
use crate::audit::{NewSecurityEvent, SecurityKind};
use crate::auth::Principal;
use crate::error::{Error, Result};
use crate::ids::OrgId;
use crate::model::now_millis;
use crate::ports::{AccountLink, LinkPurpose};
use crate::service::Core;
use crate::sso::check_domain;
use crate::validate;
use askama::Template;
use serde_json::json;

#[derive(Template)]
#[template(path = "mail/signup.txt")]
struct SignupText<'a> {
    org: &'a str,
    role: &'a str,
    link: &'a str,
    hours: i64,
}

#[derive(Template)]
#[template(path = "mail/signup.html")]
struct SignupHtml<'a> {
    org: &'a str,
    role: &'a str,
    link: &'a str,
    hours: i64,
}

/// The domain of an address, lower case.
fn domain_of(email: &str) -> String {
    email.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default()
}

impl Core {
    /// An organization's open sign-up domains and their roles (its owners and admins, or the
    /// operator: `None`).
    pub async fn signup_domains(&self, actor: Option<&Principal>, org: &OrgId) -> Result<Vec<(String, String)>> {
        self.may_manage(actor, org).await?;
        self.store.signup_domains(org).await
    }

    /// Open sign-up for a domain with a role (or change the role).
    pub async fn open_signup(&self, actor: Option<&Principal>, org: &OrgId, domain: &str, role: &str) -> Result<()> {
        self.may_manage(actor, org).await?;
        let domain = check_domain(domain)?;
        self.check_org_role(role)?;
        if role == "owner" {
            return Err(Error::bad_input("people who sign up by themselves cannot become owners"));
        }
        if let Some(p) = actor {
            let own = p.user.email.as_deref().map(domain_of);
            if own.as_deref() != Some(domain.as_str()) {
                return Err(Error::Forbidden(
                    "open sign-up for a domain other than your own address's (the operator can)",
                ));
            }
            if !self.store.email_verified(&p.user.id).await? {
                return Err(Error::Forbidden(
                    "open sign-up before your own address is confirmed: send yourself a confirmation link from the portal first",
                ));
            }
        }
        self.store.put_signup_domain(org, &domain, role, actor.map(|p| &p.user.id), now_millis()).await?;
        self.record_signup_change(actor, org, json!({"organizationId": org.0, "domain": domain, "role": role})).await;
        Ok(())
    }

    /// Close sign-up for a domain; false if it was not open for this organization.
    pub async fn close_signup(&self, actor: Option<&Principal>, org: &OrgId, domain: &str) -> Result<bool> {
        self.may_manage(actor, org).await?;
        let domain = domain.trim().to_ascii_lowercase();
        let closed = self.store.delete_signup_domain(org, &domain).await?;
        if closed {
            self.record_signup_change(actor, org, json!({"organizationId": org.0, "domain": domain, "closed": true}))
                .await;
        }
        Ok(closed)
    }

    async fn record_signup_change(&self, actor: Option<&Principal>, org: &OrgId, detail: serde_json::Value) {
        // The operator's command line prints what it did instead.
        if let Some(p) = actor {
            let event = NewSecurityEvent::by(SecurityKind::SignupDomainChanged, &p.user.id, None, detail).in_org(org);
            self.record(&[event]).await;
        }
    }

    /// Mail a link to join if the address's domain is open and its person is not a member
    /// already; nothing otherwise. The caller answers the same either way, before this ends.
    pub async fn request_signup(&self, email: &str) -> Result<()> {
        let Ok(email) = validate::email(email) else { return Ok(()) };
        let Some((org, role)) = self.store.signup_domain(&domain_of(&email)).await? else { return Ok(()) };
        let Some(organization) = self.store.org(&org).await? else { return Ok(()) };
        if let Some((user, _)) = self.store.user_by_email(&email).await? {
            if self.store.org_role(&org, &user.id).await?.is_some() {
                return Ok(());
            }
        }
        let link = AccountLink {
            purpose: LinkPurpose::Invite,
            email: email.clone(),
            user_id: None,
            org_id: Some(org.clone()),
            role: Some(role.clone()),
            created_by: None,
            expires_at: now_millis() + VERIFY_HOURS * 3_600_000,
            data: None,
        };
        let url = self.new_link(INVITE_PREFIX, "/invitations/accept", link).await?;
        let (o, r, h) = (organization.name.as_str(), role.as_str(), VERIFY_HOURS);
        let text = render(&SignupText { org: o, role: r, link: &url, hours: h })?;
        let html = render(&SignupHtml { org: o, role: r, link: &url, hours: h })?;
        self.queue_mail(&email, &format!("Join {o} on tessera"), text, html).await
    }
}
