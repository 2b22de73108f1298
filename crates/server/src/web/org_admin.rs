//! The portal's section for each organization a person administers: its members and their
//! roles, invitations waiting for an answer, bots and their tokens, the apps members have
//! authorized, two-factor sign-in and single sign-on. Every action goes through the same core
//! rules as GraphQL (`tessera_core::members`, `tessera_core::org_admin`).

use super::pages::{failed, render, BotTokenPage};
use super::session::SessionForm;
use crate::app::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tessera_core::auth::Principal;
use tessera_core::ids::{OrgId, UserId};
use tessera_core::model::{ActorType, Organization, User};
use tessera_core::ports::IdentityProvider;
use tessera_core::service::Core;

pub struct MemberRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub bot: bool,
    /// Whether the viewer may change this member's role or remove them (not their own row:
    /// another owner or admin does that, so nobody locks themselves out by a slip).
    pub editable: bool,
}

pub struct InvitationRow {
    pub id: String,
    pub email: String,
    pub role: String,
    pub expires: String,
}

pub struct BotRow {
    pub id: String,
    pub name: String,
    /// (token id, not revoked)
    pub tokens: Vec<(String, bool)>,
}

pub struct GrantRow {
    pub user_id: String,
    pub member: String,
    pub client_id: String,
    pub app: String,
    pub scopes: String,
}

/// One administered organization, as its section of the portal shows it.
pub struct OrgAdmin {
    pub id: String,
    pub name: String,
    /// The viewer's role in it.
    pub mine: String,
    /// The roles the viewer may give.
    pub roles: Vec<&'static str>,
    pub members: Vec<MemberRow>,
    pub invitations: Vec<InvitationRow>,
    pub bots: Vec<BotRow>,
    pub grants: Vec<GrantRow>,
    pub requires_2fa: bool,
    pub provider: Option<IdentityProvider>,
    /// Domains open for sign-up, with the role they give.
    pub signup_domains: Vec<(String, String)>,
    /// The domain of the viewer's own address (the one they may open).
    pub own_domain: String,
}

fn display_name(u: &User) -> String {
    let name = format!("{} {}", u.first_name, u.last_name).trim().to_string();
    if name.is_empty() {
        u.email.clone().unwrap_or_else(|| u.id.0.clone())
    } else {
        name
    }
}

/// Everything the section shows about one organization.
pub async fn load(core: &Core, me: &Principal, org: Organization, mine: String) -> tessera_core::Result<OrgAdmin> {
    let owner = mine == "owner";
    let members = core
        .members(me, &org.id)
        .await?
        .into_iter()
        .map(|m| MemberRow {
            id: m.user.id.0.clone(),
            name: display_name(&m.user),
            email: m.user.email.clone().unwrap_or_default(),
            bot: m.user.kind == ActorType::Bot,
            editable: m.user.kind != ActorType::Bot && m.user.id != me.user.id && (owner || m.role_id != "owner"),
            role: m.role_id,
        })
        .collect();
    let invitations = core
        .invitations(me, &org.id)
        .await?
        .into_iter()
        .map(|i| InvitationRow { id: i.id, email: i.email, role: i.role, expires: super::portal::utc(i.expires_at) })
        .collect();
    let bots = core
        .org_bots(me, &org.id)
        .await?
        .into_iter()
        .map(|(bot, tokens)| BotRow {
            id: bot.id.0.clone(),
            name: bot.first_name,
            tokens: tokens.into_iter().map(|t| (t.id.0, !t.revoked)).collect(),
        })
        .collect();
    let grants = core
        .member_grants(me, &org.id)
        .await?
        .into_iter()
        .map(|g| GrantRow {
            user_id: g.user.id.0.clone(),
            member: display_name(&g.user),
            client_id: g.app.client_id,
            app: g.app.name,
            scopes: g.consent.describe(),
        })
        .collect();
    Ok(OrgAdmin {
        requires_2fa: core.org_requires_two_factor(&org.id).await?,
        provider: core.identity_provider(Some(me), &org.id).await?,
        signup_domains: core.signup_domains(Some(me), &org.id).await?,
        own_domain: me
            .user
            .email
            .as_deref()
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, d)| d.to_string())
            .unwrap_or_default(),
        roles: if owner { vec!["owner", "admin", "user", "guest"] } else { vec!["admin", "user", "guest"] },
        id: org.id.0,
        name: org.name,
        mine,
        members,
        invitations,
        bots,
        grants,
    })
}

fn done(result: tessera_core::Result<()>) -> Response {
    match result {
        Ok(()) => Redirect::to("/portal").into_response(),
        Err(e) => failed(e),
    }
}

/// `POST /portal/orgs/{org}/members/{user}/role`: a new role (a lower one ends their tokens).
pub async fn set_role(
    State(state): State<AppState>,
    Path((org, user)): Path<(String, String)>,
    form: SessionForm,
) -> Response {
    let actor = Principal::session(form.who.user.clone());
    let role = form.get("role").unwrap_or_default();
    done(state.core.set_member_role(&actor, &OrgId(org), &UserId(user), role).await.map(|_| ()))
}

/// `POST /portal/orgs/{org}/members/{user}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    Path((org, user)): Path<(String, String)>,
    form: SessionForm,
) -> Response {
    let actor = Principal::session(form.who.user.clone());
    done(state.core.remove_member(&actor, &OrgId(org), &UserId(user)).await)
}

/// `POST /portal/orgs/{org}/invitations/{id}/cancel`: the link stops working.
pub async fn cancel_invitation(
    State(state): State<AppState>,
    Path((org, id)): Path<(String, String)>,
    form: SessionForm,
) -> Response {
    let actor = Principal::session(form.who.user.clone());
    done(state.core.cancel_invitation(&actor, &OrgId(org), &id).await)
}

/// `POST /portal/orgs/{org}/grants/{user}/{client_id}/revoke`: a member's grant to an app
/// ends, with every token of it.
pub async fn revoke_grant(
    State(state): State<AppState>,
    Path((org, user, client_id)): Path<(String, String, String)>,
    form: SessionForm,
) -> Response {
    let actor = Principal::session(form.who.user.clone());
    done(state.core.revoke_member_grant(&actor, &OrgId(org), &UserId(user), &client_id).await)
}

/// `POST /portal/orgs/{org}/bots`: a new bot; its first token is shown once.
pub async fn create_bot(State(state): State<AppState>, Path(org): Path<String>, form: SessionForm) -> Response {
    let actor = Principal::session(form.who.user.clone());
    let name = form.get("name").unwrap_or_default();
    match state.core.create_bot(&actor, &OrgId(org), name).await {
        Ok((bot, _, token)) => {
            tracing::info!(user = %actor.user.id, bot = %bot.id, "bot created in the portal");
            render(StatusCode::CREATED, &BotTokenPage { bot: bot.first_name, bot_id: bot.id.0, token }, None)
        }
        Err(e) => failed(e),
    }
}

/// `POST /portal/bots/{bot}/tokens`: a further token for a bot, shown once.
pub async fn create_bot_token(State(state): State<AppState>, Path(bot): Path<String>, form: SessionForm) -> Response {
    let actor = Principal::session(form.who.user.clone());
    let bot = UserId(bot);
    let made = async {
        let (_, token) = state.core.create_bot_token(&actor, &bot).await?;
        let user = state.core.person(&actor, Some(&bot), None).await?;
        Ok::<_, tessera_core::Error>((user, token))
    };
    match made.await {
        Ok((user, token)) => {
            tracing::info!(user = %actor.user.id, bot = %user.id, "bot token created in the portal");
            render(StatusCode::CREATED, &BotTokenPage { bot: user.first_name, bot_id: user.id.0, token }, None)
        }
        Err(e) => failed(e),
    }
}

/// `POST /portal/orgs/{org}/signup-domains`: open sign-up for the viewer's own (confirmed)
/// address's domain, with a role.
pub async fn open_signup(State(state): State<AppState>, Path(org): Path<String>, form: SessionForm) -> Response {
    let actor = Principal::session(form.who.user.clone());
    let (domain, role) = (form.get("domain").unwrap_or_default(), form.get("role").unwrap_or("user"));
    done(state.core.open_signup(Some(&actor), &OrgId(org), domain, role).await)
}

/// `POST /portal/orgs/{org}/signup-domains/{domain}/close`.
pub async fn close_signup(
    State(state): State<AppState>,
    Path((org, domain)): Path<(String, String)>,
    form: SessionForm,
) -> Response {
    let actor = Principal::session(form.who.user.clone());
    match state.core.close_signup(Some(&actor), &OrgId(org), &domain).await {
        Ok(true) => Redirect::to("/portal").into_response(),
        Ok(false) => failed(tessera_core::Error::NotFound("sign-up domain")),
        Err(e) => failed(e),
    }
}
