//! Applications (OAuth clients) and the grants users give them: registration, secrets,
//! deletion, the "authorized apps" list, and bot tokens as org admins see them.

use super::{redirect, App, CLIENT_ID_PREFIX, CLIENT_SECRET_PREFIX};
use crate::audit::{NewSecurityEvent, SecurityKind};
use crate::auth::{generate_token, TokenKind, TokenRecord};
use crate::cache::AppEntry;
use crate::error::{Error, Result};
use crate::ids::{new_id, OrgId, TokenId, UserId};
use crate::model::{now_millis, Organization, User};
use crate::permission::Permission;
use crate::ports::Consent;
use crate::service::Core;
use crate::validate;
use serde_json::json;
use std::sync::Arc;

pub const MAX_REDIRECT_URIS: usize = 10;

/// What kind of client an app is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientType {
    /// A browser or native app: no secret, PKCE always.
    Public,
    /// A server that keeps a secret; PKCE required unless `require_pkce` is false.
    Confidential { require_pkce: bool },
}

impl ClientType {
    /// A confidential client with the default: PKCE required.
    pub const CONFIDENTIAL: ClientType = ClientType::Confidential { require_pkce: true };
}

/// A new app as registered: the app and its client secret (confidential apps only), which is
/// shown only now.
pub struct NewApp {
    pub app: App,
    pub secret: Option<String>,
}

/// Bots of an organization the user administers, with their tokens.
pub struct OrgBots {
    pub org: Organization,
    pub bots: Vec<(User, Vec<TokenRecord>)>,
}

impl Core {
    /// Register an app. The owner may be a person or a bot; `actor` is who registers it
    /// (`None`: the command line).
    pub async fn create_app(
        &self,
        actor: Option<&UserId>,
        owner: &UserId,
        name: &str,
        redirect_uris: &[String],
        kind: ClientType,
    ) -> Result<NewApp> {
        let (public, require_pkce) = match kind {
            ClientType::Public => (true, true),
            ClientType::Confidential { require_pkce } => (false, require_pkce),
        };
        self.store.user(owner).await?.ok_or(Error::NotFound("user"))?;
        let name = validate::name("name", name)?;
        let uris: Vec<String> = redirect_uris.iter().map(|u| u.trim().to_string()).filter(|u| !u.is_empty()).collect();
        if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
            return Err(Error::bad_input(format!("an app needs 1 to {MAX_REDIRECT_URIS} redirect URIs")));
        }
        for u in &uris {
            redirect::validate_registration(u).map_err(Error::BadInput)?;
        }
        let app = App {
            client_id: format!("{CLIENT_ID_PREFIX}{}", new_id()),
            name,
            owner_id: owner.clone(),
            public,
            require_pkce,
            redirect_uris: uris,
            post_logout_redirect_uris: vec![],
            created_at: now_millis(),
        };
        let (secret, hash) = if public {
            (None, None)
        } else {
            let (s, h) = generate_token(CLIENT_SECRET_PREFIX);
            (Some(s), Some(h))
        };
        self.store.create_app(&app, hash.as_deref()).await?;
        let detail = serde_json::json!({
            "name": app.name, "public": public, "requirePkce": require_pkce, "redirectUris": app.redirect_uris
        });
        let event = NewSecurityEvent::by(SecurityKind::AppCreated, owner, Some(&app.client_id), detail);
        self.record(&[event.acted_by(actor)]).await;
        Ok(NewApp { app, secret })
    }

    /// An app and its secret hash, from the credential cache or the store.
    pub(crate) async fn app_with_secret(&self, client_id: &str) -> Result<Option<AppEntry>> {
        let load = async { Ok(self.store.app(client_id).await?.map(Arc::new)) };
        self.credentials().apps.get_or_load(client_id, load, |_| true).await
    }

    /// A user, from the credential cache or the store.
    pub(crate) async fn user_cached(&self, id: &UserId) -> Result<Option<Arc<User>>> {
        let load = async { Ok(self.store.user(id).await?.map(Arc::new)) };
        self.credentials().users.get_or_load(id.as_str(), load, |_| true).await
    }

    /// Who registered an app, for the consent page.
    /// A registered app, if any.
    pub async fn app(&self, client_id: &str) -> Result<Option<App>> {
        Ok(self.app_with_secret(client_id).await?.map(|e| e.0.clone()))
    }

    /// Set where an app may send a user after signing out (exact URIs, as redirect URIs are
    /// registered); `actor` is who changes it (`None`: the command line).
    pub async fn set_post_logout_redirect_uris(
        &self,
        actor: Option<&UserId>,
        client_id: &str,
        uris: &[String],
    ) -> Result<()> {
        let app = self.app(client_id).await?.ok_or(Error::NotFound("app"))?;
        let uris: Vec<String> = uris.iter().map(|u| u.trim().to_string()).filter(|u| !u.is_empty()).collect();
        if uris.len() > MAX_REDIRECT_URIS {
            return Err(Error::bad_input(format!("an app has at most {MAX_REDIRECT_URIS} post-logout redirect URIs")));
        }
        for u in &uris {
            redirect::validate_registration(u).map_err(Error::BadInput)?;
        }
        self.store.set_post_logout_redirect_uris(client_id, &uris).await?;
        let detail = serde_json::json!({ "postLogoutRedirectUris": uris });
        let event = NewSecurityEvent::by(SecurityKind::AppChanged, &app.owner_id, Some(client_id), detail);
        self.record(&[event.acted_by(actor)]).await;
        Ok(())
    }

    pub async fn app_owner(&self, app: &App) -> Result<Option<User>> {
        self.store.user(&app.owner_id).await
    }

    /// The origins of every registered redirect URI: the origins browser apps call from (CORS).
    pub async fn redirect_origins(&self) -> Result<Vec<String>> {
        Ok(self.store.all_redirect_uris().await?.iter().filter_map(|u| redirect::origin(u)).collect())
    }

    /// An app, if `user` owns it (others are `NOT_FOUND`).
    pub async fn owned_app(&self, user: &UserId, client_id: &str) -> Result<App> {
        match self.store.app(client_id).await? {
            Some((app, _)) if app.owner_id == *user => Ok(app),
            _ => Err(Error::NotFound("app")),
        }
    }

    pub async fn apps_of(&self, user: &UserId) -> Result<Vec<App>> {
        self.store.apps_of(user).await
    }

    /// A new client secret; the old one stops working at once.
    pub async fn regenerate_secret(&self, user: &UserId, client_id: &str) -> Result<String> {
        let app = self.owned_app(user, client_id).await?;
        if app.public {
            return Err(Error::bad_input("public apps have no client secret"));
        }
        let (secret, hash) = generate_token(CLIENT_SECRET_PREFIX);
        self.store.set_app_secret(client_id, &hash).await?;
        let event = NewSecurityEvent::by(SecurityKind::AppSecretRegenerated, user, Some(client_id), json!({}));
        self.record(&[event]).await;
        Ok(secret)
    }

    /// Delete an app; all its tokens die with it.
    pub async fn delete_app(&self, user: &UserId, client_id: &str) -> Result<()> {
        let app = self.owned_app(user, client_id).await?;
        self.store.delete_app(client_id).await?;
        let event = NewSecurityEvent::by(SecurityKind::AppDeleted, user, Some(client_id), json!({"name": app.name}));
        self.record(&[event]).await;
        Ok(())
    }

    /// The apps holding grants from this user.
    pub async fn authorized_apps(&self, user: &UserId) -> Result<Vec<(App, Consent)>> {
        let mut out = Vec::new();
        for c in self.store.consents_of(user).await? {
            if let Some((app, _)) = self.store.app(&c.client_id).await? {
                out.push((app, c));
            }
        }
        Ok(out)
    }

    /// Withdraw a grant: the consent is forgotten and every token of it dies at once.
    pub async fn revoke_app_grant(&self, user: &UserId, client_id: &str) -> Result<()> {
        if self.store.revoke_grant(user, client_id).await? {
            self.record(&[NewSecurityEvent::by(SecurityKind::ConsentWithdrawn, user, Some(client_id), json!({}))])
                .await;
            Ok(())
        } else {
            Err(Error::NotFound("grant"))
        }
    }

    /// Organizations this user administers, with their bots and bot tokens.
    pub async fn administered_bots(&self, user: &UserId) -> Result<Vec<OrgBots>> {
        let mut out = Vec::new();
        for org in self.store.orgs_of(user).await? {
            let role = self.store.org_role(&org.id, user).await?;
            if !self.role_book().org_allows(role.as_deref(), Permission::OrgManage) {
                continue;
            }
            let mut bots = Vec::new();
            for bot in self.store.bots_of_org(&org.id).await? {
                let tokens =
                    self.store.tokens_of(&bot.id).await?.into_iter().filter(|t| t.kind == TokenKind::Bot).collect();
                bots.push((bot, tokens));
            }
            out.push(OrgBots { org, bots });
        }
        Ok(out)
    }

    /// An org admin revokes a bot token of a bot in their organization.
    pub async fn admin_revoke_bot_token(&self, admin: &UserId, token: &TokenId) -> Result<()> {
        let orgs: Vec<OrgId> = self.administered_bots(admin).await?.into_iter().map(|o| o.org.id).collect();
        for org in &orgs {
            for bot in self.store.bots_of_org(org).await? {
                if self.store.tokens_of(&bot.id).await?.iter().any(|t| t.id == *token && t.kind == TokenKind::Bot) {
                    return self.revoke_token_by(token, Some(admin), "revoked by an organization admin").await;
                }
            }
        }
        Err(Error::NotFound("token"))
    }
}
