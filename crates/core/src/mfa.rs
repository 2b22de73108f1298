//! Two-factor sign-in: TOTP (RFC 6238: SHA-1, six digits, 30-second steps, one step of clock
//! drift either way) with single-use recovery codes. The secret is sealed with the
//! installation's secret key; a code works once (the newest step used is remembered); a sign-in
//! whose password was right waits for its second factor behind a short-lived, single-use ticket.

use crate::audit::{NewSecurityEvent, SecurityKind};
use crate::auth::Principal;
use crate::auth::{generate_token, hash_token};
use crate::error::{Error, Result};
use crate::ids::{OrgId, UserId};
use crate::model::{now_millis, User};
use crate::oauth::constant_time_eq;
use crate::permission::{decide_org, Permission};
use crate::ports::{AccountLink, LinkPurpose};
use crate::service::Core;
use rand::{Rng, RngCore};
use serde_json::json;
use totp_rs::{Algorithm, TOTP};

const STEP_SECS: u64 = 30;
const RECOVERY_CODES: usize = 10;
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
pub const SECOND_FACTOR_PREFIX: &str = "tsr_2f_";
/// How long a sign-in may wait for its second factor.
const SECOND_FACTOR_MINUTES: i64 = 5;

/// What the person needs to add tessera to their authenticator app.
pub struct TotpSetup {
    /// The secret in base32, for typing in.
    pub secret: String,
    /// `otpauth://totp/…`, as the QR code holds it.
    pub url: String,
    /// The QR code as an SVG image.
    pub qr_svg: String,
}

fn totp(secret: Vec<u8>, issuer: &str, account: &str) -> Result<TOTP> {
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECS, secret, Some(issuer.replace(':', " ")), account.replace(':', "_"))
        .map_err(|e| Error::internal(format!("TOTP: {e}")))
}

/// A recovery code as people type it: case, spaces and dashes do not matter.
fn normalize_recovery(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

fn new_recovery_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let raw: String = (0..10).map(|_| RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char).collect();
    format!("{}-{}", &raw[..5], &raw[5..])
}

impl Core {
    fn totp_label(&self) -> String {
        let host = url::Url::parse(&self.settings().issuer).ok().and_then(|u| u.host_str().map(str::to_string));
        format!("tessera {}", host.unwrap_or_default()).trim().to_string()
    }

    fn totp_of(&self, user: &UserId, email: &str, sealed: &str) -> Result<TOTP> {
        let secret = self
            .oidc
            .sealer()
            .open(&format!("totp:{user}"), sealed)
            .ok_or_else(|| Error::internal("a TOTP secret cannot be opened with this node's secret key"))?;
        totp(secret, &self.totp_label(), email)
    }

    /// Whether the person has two-factor sign-in on.
    pub async fn totp_enabled(&self, user: &UserId) -> Result<bool> {
        Ok(self.store.totp(user).await?.is_some_and(|(_, confirmed, _)| confirmed))
    }

    /// Begin setting up TOTP: a new secret, not in force until a code from it is confirmed.
    pub async fn start_totp(&self, user: &User) -> Result<TotpSetup> {
        if self.totp_enabled(&user.id).await? {
            return Err(Error::Conflict("two-factor sign-in is already on; turn it off first".into()));
        }
        let mut secret = vec![0u8; 20];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let email = user.email.clone().unwrap_or_default();
        let t = totp(secret.clone(), &self.totp_label(), &email)?;
        let sealed = self.oidc.sealer().seal(&format!("totp:{}", user.id), &secret)?;
        self.store.set_totp(&user.id, &sealed, now_millis()).await?;
        let url = t.get_url();
        let qr = qrcode::QrCode::new(url.as_bytes()).map_err(|e| Error::internal(format!("QR code: {e}")))?;
        let qr_svg = qr.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build();
        Ok(TotpSetup { secret: t.get_secret_base32(), url, qr_svg })
    }

    /// Whether `code` is the person's current TOTP code, used now for the first time.
    async fn totp_code_ok(&self, user: &User, code: &str, confirmed_only: bool) -> Result<bool> {
        let Some((sealed, confirmed, _)) = self.store.totp(&user.id).await? else { return Ok(false) };
        if confirmed_only && !confirmed {
            return Ok(false);
        }
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let t = self.totp_of(&user.id, user.email.as_deref().unwrap_or_default(), &sealed)?;
        let now = (now_millis() / 1000) as u64;
        for time in [now.saturating_sub(STEP_SECS), now, now + STEP_SECS] {
            if constant_time_eq(&t.generate(time), &code) {
                let step = (time / STEP_SECS) as i64;
                // Each step's code works once, the one that turned TOTP on included.
                return self.store.use_totp_step(&user.id, step).await;
            }
        }
        Ok(false)
    }

    /// Confirm the setup with a code from the app: TOTP is on, and these recovery codes (shown
    /// once) replace any earlier ones.
    pub async fn confirm_totp(&self, user: &User, code: &str) -> Result<Vec<String>> {
        if !self.totp_code_ok(user, code, false).await? {
            return Err(Error::bad_input("that code is not right; check the time on your device and try again"));
        }
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        let hashes: Vec<String> = codes.iter().map(|c| hash_token(&normalize_recovery(c))).collect();
        if !self.store.confirm_totp(&user.id, &hashes, now_millis()).await? {
            return Err(Error::Conflict("two-factor sign-in is already on".into()));
        }
        self.record(&[NewSecurityEvent::by(SecurityKind::TwoFactorEnabled, &user.id, None, json!({}))]).await;
        Ok(codes)
    }

    /// Turn TOTP off, with a current code (or a recovery code).
    pub async fn disable_totp(&self, user: &User, code: &str) -> Result<()> {
        if !self.second_factor_ok(user, code).await? {
            return Err(Error::bad_input("that code is not right"));
        }
        self.store.delete_totp(&user.id).await?;
        self.record(&[NewSecurityEvent::by(SecurityKind::TwoFactorDisabled, &user.id, None, json!({}))]).await;
        Ok(())
    }

    /// A TOTP code, or else a recovery code (used up).
    async fn second_factor_ok(&self, user: &User, code: &str) -> Result<bool> {
        if self.totp_code_ok(user, code, true).await? {
            return Ok(true);
        }
        let recovery = normalize_recovery(code);
        if recovery.len() == 10 && self.store.use_recovery_code(&user.id, &hash_token(&recovery), now_millis()).await? {
            let detail = json!({"method": "recovery code"});
            self.record(&[NewSecurityEvent::by(SecurityKind::RecoveryCodeUsed, &user.id, None, detail)]).await;
            return Ok(true);
        }
        Ok(false)
    }

    /// Whether an organization the person belongs to requires two-factor sign-in.
    pub async fn two_factor_required(&self, user: &UserId) -> Result<bool> {
        self.store.two_factor_required(user).await
    }

    pub async fn org_requires_two_factor(&self, org: &OrgId) -> Result<bool> {
        self.store.org_requires_two_factor(org).await
    }

    /// An owner or admin (or the operator: `None`) makes two-factor sign-in required, or not,
    /// for everyone in the organization.
    pub async fn set_org_two_factor(&self, actor: Option<&Principal>, org: &OrgId, on: bool) -> Result<()> {
        let organization = self.store.org(org).await?.ok_or(Error::NotFound("organization"))?;
        if let Some(p) = actor {
            let role = self.store.org_role(org, &p.user.id).await?;
            decide_org(self.role_book(), p, role.as_deref(), Permission::OrgManage)?;
        }
        self.store.set_org_requires_two_factor(org, on).await?;
        // Recorded in the logs of the admin's organizations (this one among them); the
        // operator's command line prints what it did instead.
        if let Some(p) = actor {
            let detail = json!({"organizationId": organization.id.0, "required": on});
            let event = NewSecurityEvent::by(SecurityKind::TwoFactorRequirementChanged, &p.user.id, None, detail);
            self.record(&[event]).await;
        }
        Ok(())
    }

    /// The password was right and the person has TOTP on: a ticket for the second step.
    pub async fn begin_second_factor(&self, user: &User) -> Result<String> {
        let (ticket, hash) = generate_token(SECOND_FACTOR_PREFIX);
        let link = AccountLink {
            purpose: LinkPurpose::SecondFactor,
            email: user.email.clone().unwrap_or_default(),
            user_id: Some(user.id.clone()),
            org_id: None,
            role: None,
            created_by: None,
            expires_at: now_millis() + SECOND_FACTOR_MINUTES * 60_000,
            data: None,
        };
        self.store.insert_link(&hash, &link, now_millis()).await?;
        Ok(ticket)
    }

    /// The person a live second-factor ticket is for.
    pub async fn second_factor_user(&self, ticket: &str) -> Result<Option<User>> {
        let link = self.store.live_link(&hash_token(ticket), LinkPurpose::SecondFactor, now_millis()).await?;
        match link.and_then(|l| l.user_id) {
            Some(id) => self.store.user(&id).await,
            None => Ok(None),
        }
    }

    /// The second step of a sign-in: the person of the ticket, if the code is right (the
    /// ticket is then spent). A wrong code is recorded and leaves the ticket as it was.
    pub async fn finish_second_factor(&self, ticket: &str, code: &str) -> Result<Option<User>> {
        let Some(user) = self.second_factor_user(ticket).await? else { return Err(Error::NotFound("sign-in")) };
        if !self.second_factor_ok(&user, code).await? {
            self.record(&[NewSecurityEvent::by(SecurityKind::TwoFactorFailed, &user.id, None, json!({}))]).await;
            return Ok(None);
        }
        let spent = self.store.use_link(&hash_token(ticket), LinkPurpose::SecondFactor, now_millis()).await?;
        Ok(spent.map(|_| user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_rfc_6238() {
        // RFC 6238 appendix B, SHA-1, with the last six of its eight digits.
        let t = totp(b"12345678901234567890".to_vec(), "tessera", "a@example.test").expect("totp");
        for (time, code) in [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")] {
            assert_eq!(t.generate(time), code, "{time}");
        }
        assert!(t.get_url().starts_with("otpauth://totp/"));
    }

    #[test]
    fn recovery_codes_are_read_as_typed() {
        let c = new_recovery_code();
        assert_eq!(c.len(), 11);
        assert_eq!(normalize_recovery(&c.to_uppercase().replace('-', " ")), c.replace('-', ""));
    }
}
