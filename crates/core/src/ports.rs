//! The storage port. A backend implements [`Store`]; the domain never sees SQL.
//!
//! Every method that changes a workspace appends its event to the log in the same
//! transaction, and returns it.

use crate::audit::{NewSecurityEvent, SecurityEvent};
use crate::auth::{TokenKey, TokenRecord};
use crate::element::{BoundingBox, Element, ElementType};
use crate::error::Result;
use crate::event::{Actor, Event, EventPayload};
use crate::ids::{ElementId, OrgId, TokenId, UserId, WorkspaceId};
use crate::model::{AccessFacts, Collaborator, Comment, Member, Organization, Role, User, Workspace};
use crate::oauth::keys::StoredKey;
use crate::oauth::App;
use async_trait::async_trait;
use serde_json::Value as Json;

/// A new user (person or bot) to insert.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub user: User,
    pub password_hash: Option<String>,
}

/// Turns the element as stored into the element to store plus the event payload describing
/// the change; run inside the writing transaction.
pub type ElementChange<'a> = &'a (dyn Fn(Element) -> Result<(Option<Element>, EventPayload)> + Send + Sync);

pub use crate::element::asset::{IngestionState, Upload};
pub use crate::oauth::consent::Consent;

/// Tokens to write in one commit, with the security events recording their issue, and the
/// conditions under which they are written at all.
#[derive(Debug, Clone, Default)]
pub struct TokenWrite {
    pub tokens: Vec<(TokenRecord, String)>,
    pub events: Vec<NewSecurityEvent>,
    /// A refresh token to mark rotated at this time: written only if it was neither rotated
    /// nor revoked before (exactly one exchange of a refresh token wins).
    pub rotates: Option<(TokenId, i64)>,
    /// The user's grant to an app the tokens come from: written only if its consent still
    /// stands, so that nothing issued after a withdrawal survives it.
    pub grant: Option<(UserId, String)>,
}

/// An authorization code as stored (the code itself only as a hash).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthCode {
    pub client_id: String,
    pub user_id: UserId,
    pub redirect_uri: String,
    pub scopes: String,
    pub workspaces: Option<Vec<WorkspaceId>>,
    pub code_challenge: Option<String>,
    /// Every token issued from this code carries this family id.
    pub family_id: String,
    pub expires_at: i64,
    /// OpenID Connect: the request's `nonce`, echoed in the ID token.
    pub nonce: Option<String>,
    /// When the user signed in (milliseconds; 0 if unknown), the ID token's `auth_time`.
    pub auth_time: i64,
    /// Whether they signed in with a second factor.
    pub mfa: bool,
}

/// The outcome of presenting a code: the first presentation wins.
#[derive(Debug, Clone, PartialEq)]
pub enum Redemption {
    Fresh(AuthCode),
    AlreadyUsed(AuthCode),
    Unknown,
}

/// Which of a workspace's elements to read.
#[derive(Debug, Default, Clone, Copy)]
pub struct ElementQuery<'a> {
    pub id: Option<&'a ElementId>,
    /// Only these types (all when empty).
    pub types: &'a [ElementType],
    /// Only elements whose box meets this one (edges included); attached elements have none.
    pub overlaps: Option<BoundingBox>,
    pub placement: Placement,
}

/// A workspace's elements at one cursor, by `zIndex`, then oldest first, each with its key in
/// creation order (larger: created later).
#[derive(Debug, Clone)]
pub struct BoardRead {
    pub cursor: i64,
    pub elements: Vec<(i64, Element)>,
}

/// The elements changed after some cursor, up to `cursor`: each element's id and its state
/// then with its creation-order key (`None`: deleted).
#[derive(Debug, Clone)]
pub struct BoardChanges {
    pub cursor: i64,
    pub changed: Vec<(ElementId, Option<(i64, Element)>)>,
}

/// Which elements by whether they are attached to another.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    #[default]
    Any,
    /// Only the workspace's top-level elements.
    TopLevel,
    /// Only elements attached to a surface.
    Attached,
}

impl<'a> ElementQuery<'a> {
    pub fn one(id: &'a ElementId) -> Self {
        ElementQuery { id: Some(id), ..Default::default() }
    }

    /// Whether an element is one this query reads.
    pub fn matches(&self, e: &Element) -> bool {
        self.matches_at(e, e.top_level_box())
    }

    /// [`ElementQuery::matches`] for an element whose top-level box is known.
    pub fn matches_at(&self, e: &Element, top_level_box: Option<BoundingBox>) -> bool {
        self.id.is_none_or(|id| *id == e.id)
            && (self.types.is_empty() || self.types.contains(&e.element_type()))
            && self.overlaps.is_none_or(|b| top_level_box.is_some_and(|own| b.meets(&own)))
            && match self.placement {
                Placement::Any => true,
                Placement::TopLevel => e.surface.is_none(),
                Placement::Attached => e.surface.is_some(),
            }
    }
}

/// A message in the mail outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What a single-use account link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    Invite,
    Reset,
    Verify,
    /// A password was right; the second factor is still to come.
    SecondFactor,
    /// A sign-in through an organization's identity provider, between leaving and coming back.
    Sso,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Invite => "invite",
            LinkPurpose::Reset => "reset",
            LinkPurpose::Verify => "verify",
            LinkPurpose::SecondFactor => "second_factor",
            LinkPurpose::Sso => "sso",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        use LinkPurpose::*;
        [Invite, Reset, Verify, SecondFactor, Sso].into_iter().find(|p| p.as_str() == s)
    }
}

/// A single-use account link as stored (its token only as a hash).
#[derive(Debug, Clone, PartialEq)]
pub struct AccountLink {
    pub purpose: LinkPurpose,
    pub email: String,
    pub user_id: Option<UserId>,
    pub org_id: Option<OrgId>,
    pub role: Option<String>,
    pub created_by: Option<UserId>,
    pub expires_at: i64,
    /// What else the link's purpose needs (SSO: its nonce, PKCE verifier and next page).
    pub data: Option<String>,
}

/// Storage for account e-mails and the links they carry.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn queue_mail(&self, mail: &Mail, now: i64) -> Result<()>;
    /// Up to `n` messages due at `now`, each claimed (its next attempt moved `lease` ms on, its
    /// attempts counted) so that no other sender takes it meanwhile; with its attempts so far.
    async fn claim_mail(&self, now: i64, lease: i64, n: u32) -> Result<Vec<(Mail, i64)>>;
    async fn mail_sent(&self, id: &str, at: i64) -> Result<()>;
    async fn mail_failed(&self, id: &str, retry_at: i64, error: &str) -> Result<()>;
    /// Messages not yet sent.
    async fn mail_pending(&self) -> Result<u64>;

    async fn insert_link(&self, hash: &str, link: &AccountLink, now: i64) -> Result<()>;
    /// A link that is unused and unexpired at `now`.
    async fn live_link(&self, hash: &str, purpose: LinkPurpose, now: i64) -> Result<Option<AccountLink>>;
    /// Mark a live link used; `Some` only for the one call that did (single use on every node).
    async fn use_link(&self, hash: &str, purpose: LinkPurpose, now: i64) -> Result<Option<AccountLink>>;
    /// An organization's invitations neither used nor expired at `now`, newest first, each
    /// with the hash that names it and when it was sent.
    async fn live_invitations(&self, org: &OrgId, now: i64) -> Result<Vec<(String, AccountLink, i64)>>;
    /// Withdraw a live invitation of `org`; whether there was one.
    async fn cancel_invitation(&self, org: &OrgId, hash: &str, now: i64) -> Result<bool>;

    async fn set_password(&self, user: &UserId, password_hash: &str) -> Result<()>;
    /// End every session and revoke every token a person's apps hold; the number of tokens.
    async fn sign_out_everywhere(&self, user: &UserId) -> Result<u64>;
    /// Record that a person's memberships changed, and tell every node (see
    /// [`Revoked::Access`]): here at once, elsewhere by [`AccountStore::access_changed_since`].
    async fn access_changed(&self, user: &UserId, at: i64) -> Result<()>;
    /// The people whose memberships changed after `after` (epoch ms), with when, oldest first.
    async fn access_changed_since(&self, after: i64) -> Result<Vec<(UserId, i64)>>;
    /// Count one hit of limit `name` for `key` in a window of `window_ms` (a new window when the
    /// last began that long before `now`): the count in the current window, on every node.
    async fn count_hit(&self, name: &str, key: &str, now: i64, window_ms: i64) -> Result<u32>;
    async fn set_email_verified(&self, user: &UserId, at: i64) -> Result<()>;
    async fn email_verified(&self, user: &UserId) -> Result<bool>;

    /// A person's TOTP secret: (sealed, confirmed, last step used).
    async fn totp(&self, user: &UserId) -> Result<Option<(String, bool, i64)>>;
    /// Store a new, unconfirmed secret (replacing an unconfirmed one; never a confirmed one).
    async fn set_totp(&self, user: &UserId, sealed: &str, now: i64) -> Result<()>;
    /// Confirm the secret and replace the recovery codes (hashes); false if none was waiting.
    async fn confirm_totp(&self, user: &UserId, recovery_hashes: &[String], now: i64) -> Result<bool>;
    /// Mark a 30-second step used; false if it (or a later one) was used already.
    async fn use_totp_step(&self, user: &UserId, step: i64) -> Result<bool>;
    /// Remove the secret and the recovery codes.
    async fn delete_totp(&self, user: &UserId) -> Result<()>;
    /// Use a recovery code once; false if unknown or used.
    async fn use_recovery_code(&self, user: &UserId, hash: &str, now: i64) -> Result<bool>;
    /// Whether an organization the person belongs to requires two-factor sign-in.
    async fn two_factor_required(&self, user: &UserId) -> Result<bool>;
    async fn org_requires_two_factor(&self, org: &OrgId) -> Result<bool>;
    async fn set_org_requires_two_factor(&self, org: &OrgId, on: bool) -> Result<()>;
}

/// An organization's upstream OpenID Connect identity provider, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityProvider {
    pub id: String,
    pub org_id: OrgId,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    /// The client secret, sealed with the installation's secret key.
    pub secret_sealed: String,
    /// The organization role of people it brings in.
    pub default_role: String,
    /// E-mail domains (lower case) whose people sign in through it.
    pub domains: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Storage for single sign-on.
#[async_trait]
pub trait SsoStore: Send + Sync {
    async fn identity_provider(&self, org: &OrgId) -> Result<Option<IdentityProvider>>;
    /// The provider an e-mail domain leads to.
    async fn identity_provider_for_domain(&self, domain: &str) -> Result<Option<IdentityProvider>>;
    /// Insert or replace an organization's provider and its domains; a domain another
    /// organization has is `Conflict`.
    async fn put_identity_provider(&self, idp: &IdentityProvider) -> Result<()>;
    /// Remove it; false if there was none.
    async fn delete_identity_provider(&self, org: &OrgId) -> Result<bool>;
    /// The person an upstream identity is linked to.
    async fn identity_user(&self, issuer: &str, subject: &str) -> Result<Option<UserId>>;
    async fn link_identity(&self, issuer: &str, subject: &str, user: &UserId, now: i64) -> Result<()>;

    /// The organization whose open sign-up takes this e-mail domain, and the role it gives.
    async fn signup_domain(&self, domain: &str) -> Result<Option<(OrgId, String)>>;
    /// An organization's open sign-up domains and their roles, by domain.
    async fn signup_domains(&self, org: &OrgId) -> Result<Vec<(String, String)>>;
    /// Open sign-up for a domain (or change its role); a domain another organization has is
    /// `Conflict`.
    async fn put_signup_domain(
        &self,
        org: &OrgId,
        domain: &str,
        role: &str,
        by: Option<&UserId>,
        now: i64,
    ) -> Result<()>;
    /// Close it; false if the organization did not have it.
    async fn delete_signup_domain(&self, org: &OrgId, domain: &str) -> Result<bool>;
}

/// Where a device authorization (RFC 8628) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
    Redeemed,
}

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Pending => "pending",
            DeviceStatus::Approved => "approved",
            DeviceStatus::Denied => "denied",
            DeviceStatus::Redeemed => "redeemed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        use DeviceStatus::*;
        [Pending, Approved, Denied, Redeemed].into_iter().find(|d| d.as_str() == s)
    }
}

/// A device authorization as stored (the device code only as a hash).
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceGrant {
    pub user_code: String,
    pub client_id: String,
    pub scopes: String,
    pub status: DeviceStatus,
    pub user_id: Option<UserId>,
    pub auth_time: i64,
    pub interval_secs: i64,
    pub last_poll_at: i64,
    pub expires_at: i64,
}

/// Storage for the device authorization grant.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    async fn insert_device_grant(&self, device_hash: &str, grant: &DeviceGrant, now: i64) -> Result<()>;
    async fn device_grant(&self, device_hash: &str) -> Result<Option<DeviceGrant>>;
    async fn device_grant_by_user_code(&self, user_code: &str) -> Result<Option<DeviceGrant>>;
    /// Approve (for a person, signed in at `auth_time`) or deny a pending, unexpired grant;
    /// false if it was not.
    async fn decide_device_grant(&self, user_code: &str, approve: Option<(&UserId, i64)>, now: i64) -> Result<bool>;
    /// Record a poll at `now`; with `slow_down`, the interval grows by five seconds.
    async fn polled_device_grant(&self, device_hash: &str, now: i64, slow_down: bool) -> Result<()>;
    /// Mark an approved grant redeemed; true only for the one call that did.
    async fn redeem_device_grant(&self, device_hash: &str) -> Result<bool>;
}

/// Storage for the authorization server: apps, sessions, consents, codes, token families.
#[async_trait]
pub trait OAuthStore: Send + Sync {
    async fn create_app(&self, app: &App, secret_hash: Option<&str>) -> Result<()>;
    /// The app and its secret hash.
    async fn app(&self, client_id: &str) -> Result<Option<(App, Option<String>)>>;
    async fn apps_of(&self, owner: &UserId) -> Result<Vec<App>>;
    /// Every registered redirect URI of every app (for CORS origins).
    async fn all_redirect_uris(&self) -> Result<Vec<String>>;
    async fn set_app_secret(&self, client_id: &str, secret_hash: &str) -> Result<bool>;
    /// Deletes the app, its consents and codes, and revokes all its tokens, in one transaction.
    async fn delete_app(&self, client_id: &str) -> Result<bool>;
    /// Where the app may send a user after signing out (OpenID Connect RP-initiated logout).
    async fn set_post_logout_redirect_uris(&self, client_id: &str, uris: &[String]) -> Result<bool>;

    /// Every stored ID-token signing key.
    async fn signing_keys(&self) -> Result<Vec<StoredKey>>;
    async fn add_signing_key(&self, key: &StoredKey) -> Result<()>;
    async fn delete_signing_key(&self, kid: &str) -> Result<()>;

    async fn create_session(&self, hash: &str, user: &UserId, expires_at: i64, mfa: bool) -> Result<()>;
    /// The user of a live (unexpired) session, and how and when they signed in.
    async fn session_user(&self, hash: &str) -> Result<Option<(UserId, crate::auth::SignIn)>>;
    async fn delete_session(&self, hash: &str) -> Result<()>;
    /// A person's live sessions: (hash, created, expires, with a second factor), newest first.
    async fn sessions_of(&self, user: &UserId, now: i64) -> Result<Vec<(String, i64, i64, bool)>>;

    async fn consent(&self, user: &UserId, client_id: &str) -> Result<Option<Consent>>;
    async fn set_consent(&self, consent: &Consent) -> Result<()>;
    async fn consents_of(&self, user: &UserId) -> Result<Vec<Consent>>;
    /// Deletes the consent and revokes every token of this user for this app.
    async fn revoke_grant(&self, user: &UserId, client_id: &str) -> Result<bool>;

    async fn insert_code(&self, hash: &str, code: &AuthCode) -> Result<()>;
    /// Atomically marks the code used; tells whether this was its first use.
    async fn redeem_code(&self, hash: &str) -> Result<Redemption>;

    /// Writes tokens and their security events in one transaction, if the write's conditions
    /// hold (see [`TokenWrite`]); false when one failed and nothing was written.
    async fn write_tokens(&self, write: TokenWrite) -> Result<bool>;
    /// Records security events in the logs of their subjects' organizations.
    async fn record_security(&self, events: &[NewSecurityEvent]) -> Result<()> {
        self.write_tokens(TokenWrite { events: events.to_vec(), ..Default::default() }).await.map(|_| ())
    }
    /// An organization's security events after `after`, in cursor order; with `None`, the
    /// newest `limit` of them.
    async fn security_events(&self, org: &OrgId, after: Option<i64>, limit: u32) -> Result<Vec<SecurityEvent>>;
    /// The newest cursor of an organization's security log (`None`: no such organization).
    async fn last_security_cursor(&self, org: &OrgId) -> Result<Option<i64>>;
    /// Revokes every token of a family; returns how many were live.
    async fn revoke_family(&self, family_id: &str) -> Result<u64>;
    /// The bots that are members of an organization.
    async fn bots_of_org(&self, org: &OrgId) -> Result<Vec<User>>;
    /// When the most recent revocation happened (epoch ms, 0 if never).
    async fn last_revocation(&self) -> Result<i64>;
    /// Delete up to `limit` tokens that expired before `before` (epoch ms), and the login
    /// sessions and authorization codes that did; returns how many tokens went.
    async fn forget_expired(&self, before: i64, limit: u32) -> Result<u64>;
    /// Tokens revoked after `after` (epoch ms), with when, oldest first: lets every node notice
    /// revocations made elsewhere (another process, such as the command line).
    async fn revoked_since(&self, after: i64) -> Result<Vec<(TokenId, i64)>>;
}

/// What stopped being valid: what caches must forget and open connections re-check.
#[derive(Debug, Clone, PartialEq)]
pub enum Revoked {
    /// These tokens (and only these) were revoked.
    Tokens(Vec<TokenId>),
    /// An app's credentials changed (a new secret, or the app is gone).
    App(String),
    /// A person's organization memberships changed: their open operations ask again whether
    /// they may still read what they follow (their tokens stay good).
    Access(UserId),
    /// Not known (notifications may have been lost): trust nothing remembered.
    Everything,
}

impl Revoked {
    /// Whether a connection authenticated with this token must check it again.
    pub fn affects(&self, token: &TokenId) -> bool {
        match self {
            Revoked::Tokens(ids) => ids.contains(token),
            Revoked::App(_) | Revoked::Access(_) => false,
            Revoked::Everything => true,
        }
    }

    /// Whether a connection of this person must check again what it may read.
    pub fn affects_access_of(&self, user: &UserId) -> bool {
        match self {
            Revoked::Access(u) => u == user,
            Revoked::Everything => true,
            Revoked::Tokens(_) | Revoked::App(_) => false,
        }
    }
}

/// Told about changes once they are committed, to wake subscribers. It only wakes: the event
/// log stays the truth, so a lost wake-up can delay an event but never lose it.
pub trait Bus: Send + Sync {
    /// New events were committed to this workspace's log (on this node or another).
    fn appended(&self, ws: &WorkspaceId);
    /// Credentials were revoked or changed (on this node or another). Only sent when something
    /// actually was.
    fn revoked(&self, what: &Revoked);
    /// Security events were committed (on this node or another).
    fn security_recorded(&self);
    /// Wake-ups may have been lost (a dropped notification channel): look at everything again.
    fn resync(&self);
}

#[async_trait]
pub trait Store: OAuthStore + AccountStore + DeviceStore + SsoStore + Send + Sync + 'static {
    /// Where to report committed events and revocations (none until set).
    fn set_bus(&self, bus: std::sync::Arc<dyn Bus>);
    /// The cursor of the newest event of a workspace (0 if none); `None` if no such workspace.
    async fn last_cursor(&self, ws: &WorkspaceId) -> Result<Option<i64>>;
    /// The cursor of a workspace's newest event made at or before `at` (0: none).
    async fn cursor_at(&self, ws: &WorkspaceId, at: i64) -> Result<i64>;
    /// Whether the database answers (readiness).
    async fn ping(&self) -> Result<()>;
    async fn roles(&self) -> Result<Vec<Role>>;

    // organizations
    async fn create_org(&self, org: &Organization) -> Result<()>;
    async fn org(&self, id: &OrgId) -> Result<Option<Organization>>;
    async fn set_org_member(&self, org: &OrgId, user: &UserId, role: &str) -> Result<()>;
    /// False if they were not a member.
    async fn remove_org_member(&self, org: &OrgId, user: &UserId) -> Result<bool>;
    async fn org_role(&self, org: &OrgId, user: &UserId) -> Result<Option<String>>;
    async fn orgs_of(&self, user: &UserId) -> Result<Vec<Organization>>;
    /// The members of an organization with their roles, oldest first.
    async fn org_members(&self, org: &OrgId) -> Result<Vec<Member>>;

    // users and bots
    /// Inserts a user; an email already taken (case-insensitively) is `Conflict`.
    async fn create_user(&self, user: &NewUser) -> Result<()>;
    async fn user(&self, id: &UserId) -> Result<Option<User>>;
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, Option<String>)>>;

    // tokens
    /// The token `key` names, if its stored hash is the key's (compared in constant time).
    async fn find_token(&self, key: &TokenKey) -> Result<Option<TokenRecord>>;
    /// A token and the user it belongs to, in one read (every bearer request does this).
    async fn find_token_with_user(&self, key: &TokenKey) -> Result<Option<(TokenRecord, User)>>;
    async fn tokens_of(&self, user: &UserId) -> Result<Vec<TokenRecord>>;
    /// Marks a token revoked, and the tokens whose family is this token (exchanged for it);
    /// returns its user, or `None` if there was no such live token.
    async fn revoke_token(&self, id: &TokenId) -> Result<Option<UserId>>;

    // workspaces
    /// Inserts the workspace and makes its owner a collaborator with the `owner` role.
    async fn create_workspace(&self, ws: &Workspace) -> Result<()>;
    /// Writes a workspace's settings, with the `WorkspaceUpdated` event holding `changes`.
    async fn update_workspace(&self, ws: &Workspace, changes: Json, actor: &Actor) -> Result<Event>;
    /// Marks a workspace deleted (nothing reads it any longer), with its event; `permanent`
    /// also removes its elements, their history, its comments, collaborators and earlier events.
    async fn delete_workspace(&self, ws: &WorkspaceId, permanent: bool, actor: &Actor) -> Result<Event>;
    async fn workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>>;
    async fn access_facts(&self, ws: &WorkspaceId, user: &UserId) -> Result<Option<AccessFacts>>;
    /// Workspaces where the user is a collaborator, or public ones of the user's organizations.
    async fn visible_workspaces(&self, user: &UserId) -> Result<Vec<AccessFacts>>;
    async fn collaborators(&self, ws: &WorkspaceId) -> Result<Vec<Collaborator>>;
    /// Adds or changes a collaborator's role, with its event.
    async fn set_collaborator(&self, ws: &WorkspaceId, user: &UserId, role: &str, actor: &Actor) -> Result<Event>;
    /// Removes a collaborator, with its event; `None` if they were not one.
    async fn remove_collaborator(&self, ws: &WorkspaceId, user: &UserId, actor: &Actor) -> Result<Option<Event>>;

    // elements and comments
    async fn insert_element(&self, el: &Element, actor: &Actor) -> Result<Event>;
    /// Reads the element, runs `change` on it, and writes the result (or deletes the element
    /// when `change` returns `None`) with the event, all in one transaction.
    /// `Ok(None)` when the element does not exist.
    async fn change_element(
        &self,
        ws: &WorkspaceId,
        id: &ElementId,
        actor: &Actor,
        change: ElementChange<'_>,
    ) -> Result<Option<(Option<Element>, Event)>>;
    /// A workspace's elements (as `query` narrows them), by `zIndex`, then oldest first.
    async fn elements(&self, ws: &WorkspaceId, query: ElementQuery<'_>) -> Result<Vec<Element>>;
    /// A workspace's elements as they were at `at` (epoch milliseconds, the time of the events
    /// that made them), by `zIndex`, then oldest first.
    /// (`query` narrows them as in [`Store::elements`].)
    async fn elements_at(&self, ws: &WorkspaceId, at: i64, query: ElementQuery<'_>) -> Result<Vec<Element>>;
    /// All of a workspace's elements and the cursor they are at, read at one instant (`None`
    /// when it has more than `limit` elements, or is gone).
    async fn board(&self, ws: &WorkspaceId, limit: usize) -> Result<Option<BoardRead>>;
    /// The elements the log changed after `since`, each as it is now, and the log's last
    /// cursor, read at one instant (`None` if the workspace is gone).
    async fn board_changes(&self, ws: &WorkspaceId, since: i64) -> Result<Option<BoardChanges>>;
    async fn insert_comment(&self, comment: &Comment, element_type: ElementType, actor: &Actor) -> Result<Event>;
    /// A workspace's comments (on one element, if given), oldest first.
    async fn comments(&self, ws: &WorkspaceId, element: Option<&ElementId>) -> Result<Vec<Comment>>;

    // the event log
    /// Events of a workspace with cursor greater than `after`, in cursor order.
    async fn events_after(&self, ws: &WorkspaceId, after: i64, limit: u32) -> Result<Vec<Event>>;

    // uploads of asset files, and server-wide secrets
    async fn insert_upload(&self, upload: &Upload) -> Result<()>;
    async fn upload(&self, id: &str) -> Result<Option<Upload>>;
    /// An element's uploads still open (transferring or processing).
    async fn uploads_of(&self, ws: &WorkspaceId, element: &ElementId) -> Result<Vec<Upload>>;
    /// Moves an upload to state `to` at `now`, if it is still as the caller read it (its state
    /// and `updated_at`); false if another caller moved it first.
    async fn claim_upload(&self, seen: &Upload, to: IngestionState, now: i64) -> Result<bool>;
    /// Forgets an element's uploads (its asset is complete, one way or the other).
    async fn delete_uploads(&self, ws: &WorkspaceId, element: &ElementId) -> Result<()>;
    /// Uploads still transferring past their expiry, or processing since before `stalled_before`.
    async fn stale_uploads(&self, now: i64, stalled_before: i64, limit: u32) -> Result<Vec<Upload>>;
    /// The server-wide secret called `name`, shared by every node: `candidate` if none was
    /// stored yet (it is then stored).
    async fn server_secret(&self, name: &str, candidate: &str) -> Result<String>;
}
