//! Single sign-on through an organization's own OpenID Connect identity provider.
//!
//! An owner or admin (or the operator) names the provider: its issuer, the client id and
//! secret tessera has there, and the role people it brings in get. A sign-in leaves for the
//! provider with the authorization code flow and PKCE (S256), a `state` bound to the browser
//! and a `nonce`, both single-use; the server fetches the provider's documents and exchanges
//! the code (crates/server/src/sso.rs), and this module checks the ID token it gets
//! ([`verify_id_token`]) and finds or provisions the person ([`Core::sso_person`]).
//!
//! A person is found by the upstream identity (issuer and subject) they were linked to; else by
//! an e-mail address the provider says it verified, but only someone already in the provider's
//! organization is linked that way (an organization's provider must never take over anyone
//! else's account); else, if no account has the address, one is made in the organization.

use crate::audit::{NewSecurityEvent, SecurityKind};
use crate::auth::{generate_token, hash_token, Principal};
use crate::error::{Error, Result};
use crate::ids::{new_id, OrgId, UserId};
use crate::model::{now_millis, ActorType, User};
use crate::permission::{decide_org, Permission};
use crate::ports::{AccountLink, IdentityProvider, LinkPurpose, NewUser};
use crate::service::Core;
use crate::validate;
pub use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;

const STATE_PREFIX: &str = "tsr_ss_";
/// How long a person has at their provider before the sign-in must start again.
pub const SSO_MINUTES: i64 = 10;
/// How much clock difference with the provider is tolerated.
const LEEWAY_SECS: u64 = 60;
/// The signature algorithms accepted from a provider (never `none`, never a shared secret).
const ALGORITHMS: [Algorithm; 7] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];
/// `amr` values that mean the provider asked for more than a password.
const MULTI_FACTOR: [&str; 4] = ["mfa", "otp", "hwk", "sc"];

/// What an owner, admin or the operator sets.
#[derive(Debug, Clone, Default)]
pub struct ProviderInput {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    /// `None` keeps the stored secret (a new provider needs one).
    pub client_secret: Option<String>,
    pub default_role: String,
    /// `None` keeps the stored domains; only the operator sets them (see [`Core::set_identity_provider`]).
    pub domains: Option<Vec<String>>,
}

/// What a sign-in in progress remembers while the person is at their provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub nonce: String,
    pub verifier: String,
    pub next: String,
}

/// The person an ID token names, once its signature and claims were checked.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamIdentity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub given_name: String,
    pub family_name: String,
    /// The provider asked for a second factor (its `amr`).
    pub multi_factor: bool,
}

/// An issuer as configured: an https URL (http only for a loopback host, for trying it out),
/// without query, fragment or credentials. Kept exactly as given: OpenID Connect compares
/// issuers as strings.
fn check_issuer(issuer: &str) -> Result<String> {
    let issuer = issuer.trim();
    let url = url::Url::parse(issuer).map_err(|_| Error::bad_input("the issuer is not a URL"))?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !scheme_ok || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(Error::bad_input("the issuer must be an https URL without query, fragment or credentials"));
    }
    Ok(issuer.to_string())
}

pub(crate) fn check_domain(d: &str) -> Result<String> {
    let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
    let ok = d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !ok {
        return Err(Error::bad_input(format!("{d:?} is not an e-mail domain")));
    }
    Ok(d)
}

fn printable(what: &str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.is_empty() || v.len() > max || v.chars().any(char::is_control) {
        return Err(Error::bad_input(format!("{what} must be 1 to {max} printable characters")));
    }
    Ok(v.to_string())
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    aud: serde_json::Value,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    email: Option<String>,
    /// Some providers send `"true"`.
    #[serde(default)]
    email_verified: serde_json::Value,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    family_name: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    amr: Vec<String>,
}

/// Check an ID token from `issuer` for `client_id`: signed by a key of `jwks` with an accepted
/// algorithm, this issuer and audience (and `azp` when there are several audiences), unexpired,
/// and carrying the sign-in's `nonce`. The error says what was wrong (for the log).
pub fn verify_id_token(
    token: &str,
    jwks: &JwkSet,
    issuer: &str,
    client_id: &str,
    nonce: &str,
) -> std::result::Result<UpstreamIdentity, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| format!("not a JWT: {e}"))?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(format!("signed with {:?}, which is not accepted", header.alg));
    }
    let candidates: Vec<_> = jwks
        .keys
        .iter()
        .filter(|k| header.kid.is_none() || k.common.key_id == header.kid)
        .filter(|k| k.common.public_key_use.as_ref().is_none_or(|u| *u == jsonwebtoken::jwk::PublicKeyUse::Signature))
        .collect();
    if candidates.is_empty() {
        return Err(format!("no published key has the token's key id {:?}", header.kid));
    }
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    validation.leeway = LEEWAY_SECS;
    let mut last = String::from("no key verified the signature");
    for jwk in candidates {
        let Ok(key) = DecodingKey::from_jwk(jwk) else { continue };
        match jsonwebtoken::decode::<Claims>(token, &key, &validation) {
            Ok(data) => return identity(data.claims, client_id, nonce),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

fn identity(c: Claims, client_id: &str, nonce: &str) -> std::result::Result<UpstreamIdentity, String> {
    if !c.nonce.as_deref().is_some_and(|n| crate::oauth::constant_time_eq(n, nonce)) {
        return Err("the nonce is not this sign-in's".into());
    }
    let several = c.aud.as_array().is_some_and(|a| a.len() > 1);
    if several && c.azp.as_deref() != Some(client_id) {
        return Err("several audiences and azp is not this client".into());
    }
    if c.sub.is_empty() || c.sub.len() > 255 {
        return Err("the subject is empty or too long".into());
    }
    let email_verified = c.email_verified == json!(true) || c.email_verified == json!("true");
    let (mut given, mut family) = (c.given_name.unwrap_or_default(), c.family_name.unwrap_or_default());
    if given.is_empty() && family.is_empty() {
        let name = c.name.unwrap_or_default();
        let (g, f) = name.trim().split_once(' ').unwrap_or((name.trim(), ""));
        (given, family) = (g.to_string(), f.trim().to_string());
    }
    let fit = |s: String| s.chars().filter(|c| !c.is_control()).take(validate::MAX_NAME_CHARS).collect::<String>();
    Ok(UpstreamIdentity {
        subject: c.sub,
        email: c.email.and_then(|e| validate::email(&e).ok()),
        email_verified,
        given_name: fit(given),
        family_name: fit(family),
        multi_factor: c.amr.iter().any(|m| MULTI_FACTOR.contains(&m.as_str())),
    })
}

impl Core {
    fn seal_secret(&self, org: &OrgId, secret: &str) -> Result<String> {
        self.oidc.sealer().seal(&format!("sso:{org}"), secret.as_bytes())
    }

    /// The client secret tessera has at a provider.
    pub fn identity_provider_secret(&self, p: &IdentityProvider) -> Result<String> {
        let plain = self.oidc.sealer().open(&format!("sso:{}", p.org_id), &p.secret_sealed);
        let plain = plain
            .ok_or_else(|| Error::internal("an SSO client secret cannot be opened with this node's secret key"))?;
        String::from_utf8(plain).map_err(|_| Error::internal("an SSO client secret is not text"))
    }

    pub(crate) async fn may_manage(&self, actor: Option<&Principal>, org: &OrgId) -> Result<()> {
        self.store.org(org).await?.ok_or(Error::NotFound("organization"))?;
        if let Some(p) = actor {
            let role = self.store.org_role(org, &p.user.id).await?;
            decide_org(self.role_book(), p, role.as_deref(), Permission::OrgManage)?;
        }
        Ok(())
    }

    /// An organization's provider, for its owners and admins (or the operator: `None`).
    pub async fn identity_provider(&self, actor: Option<&Principal>, org: &OrgId) -> Result<Option<IdentityProvider>> {
        self.may_manage(actor, org).await?;
        self.store.identity_provider(org).await
    }

    /// Set (or replace) an organization's provider. E-mail domains say which addresses are
    /// sent to it from the sign-in page; since no ownership of a domain is proven here, only the
    /// operator sets them (an admin's change keeps them).
    pub async fn set_identity_provider(
        &self,
        actor: Option<&Principal>,
        org: &OrgId,
        input: ProviderInput,
    ) -> Result<IdentityProvider> {
        self.may_manage(actor, org).await?;
        let issuer = check_issuer(&input.issuer)?;
        let client_id = printable("the client id", &input.client_id, 255)?;
        let name = if input.name.trim().is_empty() {
            "Single sign-on".to_string()
        } else {
            validate::name("name", &input.name)?
        };
        self.check_org_role(&input.default_role)?;
        if input.default_role == "owner" {
            return Err(Error::bad_input("people signing in through a provider cannot become owners by it"));
        }
        let old = self.store.identity_provider(org).await?;
        let secret_sealed = match (&input.client_secret, &old) {
            (Some(s), _) => self.seal_secret(org, &printable("the client secret", s, 1024)?)?,
            (None, Some(old)) => old.secret_sealed.clone(),
            (None, None) => return Err(Error::bad_input("a new identity provider needs its client secret")),
        };
        let domains = match (input.domains, actor, &old) {
            (Some(_), Some(_), _) => return Err(Error::Forbidden("set e-mail domains (the operator sets them)")),
            (Some(d), None, _) => {
                let mut d = d.iter().map(|d| check_domain(d)).collect::<Result<Vec<_>>>()?;
                d.sort();
                d.dedup();
                d
            }
            (None, _, Some(old)) => old.domains.clone(),
            (None, _, None) => Vec::new(),
        };
        let now = now_millis();
        let p = IdentityProvider {
            id: old.as_ref().map_or_else(new_id, |o| o.id.clone()),
            org_id: org.clone(),
            name,
            issuer,
            client_id,
            secret_sealed,
            default_role: input.default_role,
            domains,
            created_at: old.as_ref().map_or(now, |o| o.created_at),
            updated_at: now,
        };
        self.store.put_identity_provider(&p).await?;
        self.record_provider_change(actor, org, json!({"organizationId": org.0, "issuer": p.issuer, "clientId": p.client_id, "defaultRole": p.default_role})).await;
        Ok(p)
    }

    /// Remove an organization's provider (its people keep their accounts).
    pub async fn remove_identity_provider(&self, actor: Option<&Principal>, org: &OrgId) -> Result<bool> {
        self.may_manage(actor, org).await?;
        let removed = self.store.delete_identity_provider(org).await?;
        if removed {
            self.record_provider_change(actor, org, json!({"organizationId": org.0, "removed": true})).await;
        }
        Ok(removed)
    }

    async fn record_provider_change(&self, actor: Option<&Principal>, _org: &OrgId, detail: serde_json::Value) {
        // Recorded in the logs of the admin's organizations (this one among them); the
        // operator's command line prints what it did instead.
        if let Some(p) = actor {
            self.record(&[NewSecurityEvent::by(SecurityKind::IdentityProviderChanged, &p.user.id, None, detail)]).await;
        }
    }

    /// The provider a sign-in by this address goes to, if its domain has one.
    pub async fn identity_provider_for_email(&self, email: &str) -> Result<Option<IdentityProvider>> {
        let Ok(email) = validate::email(email) else { return Ok(None) };
        let domain = email.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default();
        self.store.identity_provider_for_domain(&domain).await
    }

    /// An organization's provider for signing in (anyone may start one).
    pub async fn identity_provider_of(&self, org: &OrgId) -> Result<Option<IdentityProvider>> {
        self.store.identity_provider(org).await
    }

    /// Start a sign-in at `org`'s provider: the `state` to send (and bind to the browser), and
    /// what is remembered until the person comes back (single use, [`SSO_MINUTES`]).
    pub async fn begin_sso(&self, org: &OrgId, next: &str) -> Result<(String, Pending)> {
        let pending = Pending { nonce: generate_token("").0, verifier: generate_token("").0, next: next.to_string() };
        let (state, hash) = generate_token(STATE_PREFIX);
        let link = AccountLink {
            purpose: LinkPurpose::Sso,
            email: String::new(),
            user_id: None,
            org_id: Some(org.clone()),
            role: None,
            created_by: None,
            expires_at: now_millis() + SSO_MINUTES * 60_000,
            data: Some(serde_json::to_string(&pending).map_err(Error::internal)?),
        };
        self.store.insert_link(&hash, &link, now_millis()).await?;
        Ok((state, pending))
    }

    /// The sign-in a `state` started, used up (a second return with it finds nothing), and the
    /// provider it went to.
    pub async fn take_sso(&self, state: &str) -> Result<Option<(IdentityProvider, Pending)>> {
        let Some(link) = self.store.use_link(&hash_token(state), LinkPurpose::Sso, now_millis()).await? else {
            return Ok(None);
        };
        let pending: Pending =
            serde_json::from_str(link.data.as_deref().unwrap_or_default()).map_err(Error::internal)?;
        let org = link.org_id.ok_or_else(|| Error::internal("an SSO sign-in without its organization"))?;
        Ok(self.store.identity_provider(&org).await?.map(|p| (p, pending)))
    }

    /// The person a verified upstream identity is: linked before, linked now by an address the
    /// provider verified (members of its organization only), or new in the organization.
    /// They are (again) a member of the provider's organization afterwards.
    pub async fn sso_person(&self, p: &IdentityProvider, who: &UpstreamIdentity) -> Result<User> {
        let now = now_millis();
        let (user, how) = if let Some(id) = self.store.identity_user(&p.issuer, &who.subject).await? {
            (self.store.user(&id).await?.ok_or(Error::NotFound("user"))?, "subject")
        } else {
            let Some(email) = who.email.as_deref().filter(|_| who.email_verified) else {
                return Err(Error::bad_input(
                    "your identity provider did not confirm an e-mail address, so no account can be found or made for you",
                ));
            };
            match self.store.user_by_email(email).await? {
                Some((user, _)) => {
                    if self.store.org_role(&p.org_id, &user.id).await?.is_none() {
                        return Err(Error::Conflict(
                            "an account with your e-mail address already exists outside this organization: sign in with its password, or ask an administrator to invite it".into(),
                        ));
                    }
                    self.store.link_identity(&p.issuer, &who.subject, &user.id, now).await?;
                    (user, "email")
                }
                None => {
                    let user = self.provision(p, who, email).await?;
                    (user, "new")
                }
            }
        };
        if user.kind != ActorType::User {
            return Err(Error::Forbidden("sign in as a bot"));
        }
        if self.store.org_role(&p.org_id, &user.id).await?.is_none() {
            self.store.set_org_member(&p.org_id, &user.id, &p.default_role).await?;
        }
        let detail = json!({"organizationId": p.org_id.0, "issuer": p.issuer, "linkedBy": how});
        self.record(&[NewSecurityEvent::by(SecurityKind::SsoSignedIn, &user.id, None, detail)]).await;
        Ok(user)
    }

    /// A new account for someone the provider vouches for: no password (they sign in through
    /// the provider, or set one by a reset), the address verified, linked to the identity.
    async fn provision(&self, p: &IdentityProvider, who: &UpstreamIdentity, email: &str) -> Result<User> {
        let local = email.split('@').next().unwrap_or_default().to_string();
        let first = if who.given_name.is_empty() { local } else { who.given_name.clone() };
        let user = User {
            id: UserId::generate(),
            kind: ActorType::User,
            email: Some(email.to_string()),
            first_name: first,
            last_name: who.family_name.clone(),
            bot_org: None,
            created_at: now_millis(),
        };
        self.store.create_user(&NewUser { user: user.clone(), password_hash: None }).await?;
        self.store.set_org_member(&p.org_id, &user.id, &p.default_role).await?;
        self.store.set_email_verified(&user.id, now_millis()).await?;
        self.store.link_identity(&p.issuer, &who.subject, &user.id, now_millis()).await?;
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::keys::{self, KeyAlg, KeyPolicy, Sealer, Signer};

    const ISS: &str = "https://idp.example";

    fn key() -> (Signer, JwkSet) {
        let sealer = Sealer::ephemeral();
        let stored = keys::generate(KeyAlg::EdDsa, &sealer, 0, 0).expect("key");
        let jwks = keys::jwks(std::slice::from_ref(&stored), &KeyPolicy::default(), 1);
        (Signer::open(&stored, &sealer).expect("open"), serde_json::from_value(jwks).expect("jwks"))
    }

    fn claims(change: impl FnOnce(&mut serde_json::Value)) -> serde_json::Value {
        let now = now_millis() / 1000;
        let mut c = json!({"iss": ISS, "aud": "tessera", "sub": "u1", "iat": now, "exp": now + 300,
            "nonce": "n1", "email": "Ada@Example.test", "email_verified": true, "name": "Ada Lovelace"});
        change(&mut c);
        c
    }

    #[test]
    fn a_good_token_names_the_person() {
        let (signer, jwks) = key();
        let t = signer.sign(&claims(|_| {})).expect("sign");
        let who = verify_id_token(&t, &jwks, ISS, "tessera", "n1").expect("valid");
        assert_eq!(who.subject, "u1");
        assert_eq!(who.email.as_deref(), Some("Ada@Example.test"));
        assert!(who.email_verified);
        assert_eq!((who.given_name.as_str(), who.family_name.as_str()), ("Ada", "Lovelace"));
        assert!(!who.multi_factor);
    }

    #[test]
    fn wrong_issuer_audience_nonce_expiry_key_or_signature_are_refused() {
        let (signer, jwks) = key();
        let (_, other_jwks) = key();
        let bad = [
            claims(|c| c["iss"] = json!("https://evil.example")),
            claims(|c| c["aud"] = json!("someone-else")),
            claims(|c| c["aud"] = json!(["tessera", "someone-else"])),
            claims(|c| c["nonce"] = json!("replayed")),
            claims(|c| {
                c.as_object_mut().expect("object").remove("nonce");
            }),
            claims(|c| c["exp"] = json!(now_millis() / 1000 - 3600)),
        ];
        for c in bad {
            let t = signer.sign(&c).expect("sign");
            assert!(verify_id_token(&t, &jwks, ISS, "tessera", "n1").is_err(), "{c}");
        }
        let good = signer.sign(&claims(|_| {})).expect("sign");
        assert!(verify_id_token(&good, &other_jwks, ISS, "tessera", "n1").is_err(), "another key");
        let mut tampered: Vec<&str> = good.split('.').collect();
        let body = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            claims(|c| c["sub"] = json!("admin")).to_string(),
        );
        tampered[1] = &body;
        assert!(verify_id_token(&tampered.join("."), &jwks, ISS, "tessera", "n1").is_err(), "tampered");
        // Several audiences are fine when azp is this client.
        let t = signer.sign(&claims(|c| {
            c["aud"] = json!(["tessera", "other"]);
            c["azp"] = json!("tessera");
        }));
        assert!(verify_id_token(&t.expect("sign"), &jwks, ISS, "tessera", "n1").is_ok());
    }

    #[test]
    fn unsigned_and_shared_secret_tokens_are_refused() {
        let (_, jwks) = key();
        let body = claims(|_| {});
        let hs = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &body,
            &jsonwebtoken::EncodingKey::from_secret(b"client secret"),
        )
        .expect("hs256");
        assert!(verify_id_token(&hs, &jwks, ISS, "tessera", "n1").unwrap_err().contains("not accepted"));
        let none = format!(
            "{}.{}.",
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, r#"{"alg":"none"}"#),
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, body.to_string())
        );
        assert!(verify_id_token(&none, &jwks, ISS, "tessera", "n1").is_err());
    }

    #[test]
    fn issuers_and_domains_are_checked() {
        assert!(check_issuer("https://login.example.com/tenant").is_ok());
        assert!(check_issuer("http://127.0.0.1:3000").is_ok());
        for bad in ["http://idp.example", "https://idp.example?x=1", "https://u:p@idp.example", "not a url"] {
            assert!(check_issuer(bad).is_err(), "{bad}");
        }
        assert_eq!(check_domain("@Example.COM").expect("ok"), "example.com");
        assert!(check_domain("example").is_err());
        assert!(check_domain("exa mple.com").is_err());
    }
}
