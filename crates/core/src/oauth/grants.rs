//! The authorization-code flow, the token endpoint's grants, revocation and introspection,
//! and the login sessions behind the pages.

use super::{
    constant_time_eq, pkce, redirect, App, OAuthError, ACCESS_TOKEN_PREFIX, CODE_PREFIX, REFRESH_TOKEN_PREFIX,
    SESSION_PREFIX,
};
use crate::audit::{NewSecurityEvent, SecurityKind};
use crate::auth::{
    format_scopes, generate_token, hash_token, issue_token, parse_scopes, requested_scope, Scope, Scopes, SignIn,
    TokenKey, TokenKind, TokenRecord,
};
use crate::error::{Error, Result};
use crate::ids::{new_id, TokenId, UserId, WorkspaceId};
use crate::model::{now_millis, ActorType, User};
use crate::oauth::consent::{Consent, Reach};
use crate::ports::{AuthCode, Redemption, TokenWrite};
use crate::service::Core;
use std::sync::Arc;

/// A validated authorization request, ready for login and consent.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub app: App,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    /// OpenID Connect: echoed in the ID token.
    pub nonce: Option<String>,
}

/// The raw parameters of an authorization request.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub nonce: Option<String>,
}

/// Tokens about to be issued: what to write (rows and the event), and the response.
pub(crate) struct NewTokens {
    pub(crate) write: TokenWrite,
    pub(crate) response: TokenResponse,
}

/// The body of a successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
    /// OpenID Connect: for a code granted with `openid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Token exchange (RFC 8693) only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
}

pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
const WORKSPACE_RESOURCE: &str = "urn:tessera:workspace:";
/// Exchanged tokens live at most this long.
pub const EXCHANGED_TOKEN_MAX_SECS: i64 = 900;

/// The longest `nonce` accepted: it is stored with the code and echoed in the ID token.
const MAX_NONCE: usize = 512;

/// The default scope when an authorization request names none: the platform's legacy scope.
pub const DEFAULT_SCOPE: &str = "v2legacy";

impl Core {
    /// Step one of `/authorize`: the client and redirect URI. A failure here must be shown to
    /// the user as a page, never sent to the (unverified) redirect URI.
    pub async fn authorize_client(
        &self,
        client_id: Option<&str>,
        redirect_uri: Option<&str>,
    ) -> std::result::Result<(App, String), String> {
        let client_id = client_id.filter(|c| !c.is_empty()).ok_or("The request has no client_id.")?;
        let app = match self.store.app(client_id).await {
            Ok(Some((app, _))) => app,
            Ok(None) => return Err("No application is registered with this client_id.".into()),
            Err(e) => return Err(OAuthError::from(e).description),
        };
        let requested = redirect_uri.filter(|r| !r.is_empty()).ok_or("The request has no redirect_uri.")?;
        if !app.redirect_uris.iter().any(|r| redirect::matches(r, requested)) {
            return Err("The redirect_uri is not registered for this application.".into());
        }
        Ok((app, requested.to_string()))
    }

    /// Step two: everything else, whose errors may be redirected to the client.
    pub fn authorize_params(
        &self,
        app: App,
        redirect_uri: String,
        p: AuthorizeParams,
    ) -> std::result::Result<AuthorizeRequest, OAuthError> {
        match p.response_type.as_deref() {
            Some("code") => {}
            None => return Err(OAuthError::invalid_request("response_type is required")),
            Some(_) => return Err(OAuthError::unsupported_response_type("only response_type=code is supported")),
        }
        let scope_text = requested_scope(p.scope.as_deref()).unwrap_or(DEFAULT_SCOPE);
        let scopes = parse_scopes(scope_text).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
        let code_challenge = match p.code_challenge.as_deref() {
            Some(c) => {
                pkce::check_challenge(c, p.code_challenge_method.as_deref())?;
                Some(c.to_string())
            }
            None if app.public => {
                return Err(OAuthError::invalid_request("public clients must use PKCE (code_challenge with S256)"))
            }
            None if app.require_pkce => {
                return Err(OAuthError::invalid_request("this app requires PKCE (code_challenge with S256)"))
            }
            None if p.code_challenge_method.is_some() => {
                return Err(OAuthError::invalid_request("code_challenge_method without code_challenge"))
            }
            None => None,
        };
        if p.nonce.as_ref().is_some_and(|n| n.len() > MAX_NONCE) {
            return Err(OAuthError::invalid_request(format!("nonce is longer than {MAX_NONCE} characters")));
        }
        Ok(AuthorizeRequest { app, redirect_uri, scopes, state: p.state, code_challenge, nonce: p.nonce })
    }

    /// The workspaces a code for these scopes may reach under the user's remembered consent,
    /// if it covers them (see [`Consent::covers`]).
    pub async fn covering_consent(&self, user: &UserId, client_id: &str, scopes: &Scopes) -> Result<Option<Reach>> {
        Ok(self.store.consent(user, client_id).await?.and_then(|c| c.covers(scopes)))
    }

    /// Record the user's approval of this request for `workspaces` (changing only the requested
    /// scopes of a remembered consent) and issue a code for it (`auth_time`: when the user signed
    /// in, milliseconds).
    pub async fn grant(
        &self,
        user: &UserId,
        req: &AuthorizeRequest,
        workspaces: Reach,
        signin: SignIn,
    ) -> Result<String> {
        self.remember_consent(user, &req.app.client_id, &req.scopes, &workspaces).await?;
        self.issue_code(user, req, workspaces, signin).await
    }

    /// Remember that the user approved `scopes` for `client_id` (for `workspaces`), in their
    /// consent and in the security log.
    pub(crate) async fn remember_consent(
        &self,
        user: &UserId,
        client_id: &str,
        scopes: &Scopes,
        workspaces: &Reach,
    ) -> Result<()> {
        let mut consent = match self.store.consent(user, client_id).await? {
            Some(c) => c,
            None => Consent::new(user.clone(), client_id.to_string(), now_millis()),
        };
        consent.approve(scopes, workspaces);
        self.store.set_consent(&consent).await?;
        let detail = serde_json::json!({"scope": format_scopes(scopes), "workspaces": workspaces});
        self.record(&[NewSecurityEvent::by(SecurityKind::ConsentGranted, user, Some(client_id), detail)]).await;
        Ok(())
    }

    /// Issue a single-use, short-lived code bound to client, redirect URI and PKCE challenge.
    pub async fn issue_code(
        &self,
        user: &UserId,
        req: &AuthorizeRequest,
        workspaces: Option<Vec<WorkspaceId>>,
        signin: SignIn,
    ) -> Result<String> {
        let (code, hash) = generate_token(CODE_PREFIX);
        let record = AuthCode {
            client_id: req.app.client_id.clone(),
            user_id: user.clone(),
            redirect_uri: req.redirect_uri.clone(),
            scopes: format_scopes(&req.scopes),
            workspaces,
            code_challenge: req.code_challenge.clone(),
            family_id: new_id(),
            expires_at: now_millis() + self.settings().code_ttl_secs * 1000,
            nonce: req.nonce.clone(),
            auth_time: signin.at,
            mfa: signin.mfa,
        };
        self.store.insert_code(&hash, &record).await?;
        Ok(code)
    }

    /// Authenticate a client at the token, revocation or introspection endpoint.
    /// Confidential clients must present their secret; public clients must not have one.
    pub async fn authenticate_client(
        &self,
        client_id: &str,
        secret: Option<&str>,
    ) -> std::result::Result<App, OAuthError> {
        let invalid = || OAuthError::invalid_client("client authentication failed");
        let entry = self.app_with_secret(client_id).await?.ok_or_else(invalid)?;
        let (app, hash) = &*entry;
        match (app.public, secret, hash) {
            (true, None, _) => Ok(app.clone()),
            (false, Some(secret), Some(hash)) if constant_time_eq(&hash_token(secret), hash) => Ok(app.clone()),
            _ => Err(invalid()),
        }
    }

    /// `grant_type=authorization_code`.
    pub async fn exchange_code(
        &self,
        client: &App,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> std::result::Result<TokenResponse, OAuthError> {
        let bad = |why: &str| OAuthError::invalid_grant(why.to_string());
        let record = match self.store.redeem_code(&hash_token(code)).await? {
            Redemption::Fresh(r) => r,
            Redemption::AlreadyUsed(r) => {
                let revoked = self.store.revoke_family(&r.family_id).await?;
                tracing::warn!(client_id = %r.client_id, revoked, "authorization code replayed; its tokens are revoked");
                let reason = "authorization code replayed";
                self.record(&[NewSecurityEvent::tokens_revoked(&r.user_id, Some(&r.client_id), reason, revoked)]).await;
                return Err(bad("the authorization code was already used"));
            }
            Redemption::Unknown => return Err(bad("the authorization code is invalid")),
        };
        if record.client_id != client.client_id {
            return Err(bad("the authorization code was issued to another client"));
        }
        if record.expires_at <= now_millis() {
            return Err(bad("the authorization code has expired"));
        }
        if redirect_uri != Some(record.redirect_uri.as_str()) {
            return Err(bad("redirect_uri does not match the authorization request"));
        }
        match (&record.code_challenge, verifier) {
            (Some(challenge), Some(v)) if pkce::verify(v, challenge) => {}
            (Some(_), Some(_)) => return Err(bad("code_verifier does not match the code_challenge")),
            (Some(_), None) => return Err(bad("code_verifier is required")),
            (None, Some(_)) => return Err(bad("code_verifier sent but no code_challenge was given")),
            (None, None) => {}
        }
        let scopes = parse_scopes(&record.scopes)?;
        let refresh = scopes.contains(&Scope::OfflineAccess).then(|| scopes.clone());
        let family = &record.family_id;
        let mut new =
            self.new_tokens("authorization_code", &record.user_id, client, &scopes, record.workspaces, family, refresh);
        // Written only if the user has not withdrawn the grant meanwhile.
        new.write.grant = Some((record.user_id.clone(), client.client_id.clone()));
        if !self.store.write_tokens(new.write).await? {
            return Err(bad("the user withdrew this grant"));
        }
        let mut response = new.response;
        if scopes.contains(&Scope::OpenId) {
            let user = self.user_cached(&record.user_id).await?.ok_or_else(|| bad("the user no longer exists"))?;
            let (client_id, at) = (&client.client_id, &response.access_token);
            let nonce = record.nonce.as_deref();
            let signin = SignIn { at: record.auth_time, mfa: record.mfa };
            response.id_token = Some(self.id_token(&user, client_id, &scopes, at, nonce, signin).await?);
        }
        Ok(response)
    }

    /// `grant_type=refresh_token`: rotate on every use. A rotated token presented again is
    /// refused; after the grace window it also revokes its whole family.
    pub async fn refresh(
        &self,
        client: &App,
        token: &str,
        scope: Option<&str>,
    ) -> std::result::Result<TokenResponse, OAuthError> {
        let bad = |why: &str| OAuthError::invalid_grant(why.to_string());
        let record =
            self.store.find_token(&TokenKey::of(token)).await?.ok_or_else(|| bad("the refresh token is invalid"))?;
        if record.kind != TokenKind::Refresh || record.client_id.as_deref() != Some(client.client_id.as_str()) {
            return Err(bad("the refresh token is invalid"));
        }
        if record.revoked || record.expires_at.is_some_and(|t| t <= now_millis()) {
            return Err(bad("the refresh token is expired or revoked"));
        }
        let family = record.family_id.clone().unwrap_or_default();
        let granted = parse_scopes(&record.scopes)?;
        let scopes = match requested_scope(scope) {
            Some(s) => {
                let asked = parse_scopes(s).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
                if !asked.is_subset(&granted) {
                    return Err(OAuthError::invalid_scope("a refresh cannot widen the granted scope"));
                }
                asked
            }
            None => granted.clone(),
        };
        // The new refresh token keeps the original grant, even if this access token is narrower.
        let user = &record.user_id;
        let mut new =
            self.new_tokens("refresh_token", user, client, &scopes, record.workspaces, &family, Some(granted));
        let now = now_millis();
        // The old token is marked rotated and the new pair written in one commit, if it wins
        // and the user has not withdrawn the grant meanwhile.
        new.write.rotates = Some((record.id.clone(), now));
        new.write.grant = Some((record.user_id.clone(), client.client_id.clone()));
        if record.rotated_at.is_none() && self.store.write_tokens(new.write).await? {
            return Ok(new.response);
        }
        // Exactly one exchange of a refresh token wins. A second one within the grace window
        // (two tabs refreshing at once) is refused; later, it is taken as theft. A token that
        // lost because it was revoked meanwhile (the grant withdrawn) is simply refused.
        let rotated_at = match record.rotated_at {
            Some(at) => at,
            None => match self.store.find_token(&TokenKey::of(token)).await? {
                Some(r) if r.rotated_at.is_none() || r.revoked => {
                    return Err(bad("the refresh token is expired or revoked"))
                }
                r => r.and_then(|r| r.rotated_at).unwrap_or(0),
            },
        };
        if now - rotated_at > self.settings().refresh_reuse_grace_secs * 1000 {
            let revoked = self.store.revoke_family(&family).await?;
            tracing::warn!(client_id = %client.client_id, revoked, "refresh token reused; its family is revoked");
            let (user, client_id) = (&record.user_id, Some(client.client_id.as_str()));
            self.record(&[NewSecurityEvent::tokens_revoked(user, client_id, "refresh token reused", revoked)]).await;
        }
        Err(bad("the refresh token was already used"))
    }

    /// `grant_type=client_credentials`, for a confidential app owned by a bot: the token acts
    /// as the bot.
    pub async fn client_credentials(
        &self,
        client: &App,
        scope: Option<&str>,
    ) -> std::result::Result<TokenResponse, OAuthError> {
        if client.public {
            return Err(OAuthError::unauthorized_client("public clients cannot use client_credentials"));
        }
        let owner = self.user_cached(&client.owner_id).await?;
        if owner.as_ref().map(|u| u.kind) != Some(ActorType::Bot) {
            return Err(OAuthError::unauthorized_client("client_credentials is only for apps owned by a bot"));
        }
        let text = requested_scope(scope).unwrap_or(DEFAULT_SCOPE);
        let scopes = parse_scopes(text).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
        if scopes.contains(&Scope::OfflineAccess) {
            return Err(OAuthError::invalid_scope("offline_access is not available with client_credentials"));
        }
        self.issue_tokens("client_credentials", &client.owner_id, client, &scopes, None, &new_id(), None).await
    }

    #[allow(clippy::too_many_arguments)]
    fn token_record(
        &self,
        id: TokenId,
        kind: TokenKind,
        user: &UserId,
        client: &App,
        scopes: &Scopes,
        workspaces: Option<Vec<WorkspaceId>>,
        family: &str,
    ) -> TokenRecord {
        let now = now_millis();
        let ttl = match kind {
            TokenKind::Refresh => self.settings().refresh_token_ttl_secs,
            _ => self.settings().access_token_ttl_secs,
        };
        TokenRecord {
            id,
            kind,
            user_id: user.clone(),
            client_id: Some(client.client_id.clone()),
            scopes: format_scopes(scopes),
            workspaces,
            expires_at: Some(now + ttl * 1000),
            revoked: false,
            created_at: now,
            family_id: Some(family.to_string()),
            rotated_at: None,
        }
    }

    /// Issue new tokens (see [`Self::new_tokens`]), written in one transaction with the event
    /// recording their issue.
    #[allow(clippy::too_many_arguments)]
    async fn issue_tokens(
        &self,
        grant: &str,
        user: &UserId,
        client: &App,
        scopes: &Scopes,
        workspaces: Option<Vec<WorkspaceId>>,
        family: &str,
        refresh_scopes: Option<Scopes>,
    ) -> std::result::Result<TokenResponse, OAuthError> {
        let new = self.new_tokens(grant, user, client, scopes, workspaces, family, refresh_scopes);
        self.store.write_tokens(new.write).await?;
        Ok(new.response)
    }

    /// An access token with `scopes`, plus a refresh token carrying `refresh_scopes` if given,
    /// both in one family: the rows to write, the event, and the response (nothing written yet).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new_tokens(
        &self,
        grant: &str,
        user: &UserId,
        client: &App,
        scopes: &Scopes,
        workspaces: Option<Vec<WorkspaceId>>,
        family: &str,
        refresh_scopes: Option<Scopes>,
    ) -> NewTokens {
        let (id, access, access_hash) = issue_token(ACCESS_TOKEN_PREFIX);
        let access_row = self.token_record(id, TokenKind::Access, user, client, scopes, workspaces.clone(), family);
        let mut rows = vec![(access_row, access_hash)];
        let mut refresh_token = None;
        if let Some(rs) = refresh_scopes {
            let (id, refresh, refresh_hash) = issue_token(REFRESH_TOKEN_PREFIX);
            rows.push((self.token_record(id, TokenKind::Refresh, user, client, &rs, workspaces, family), refresh_hash));
            refresh_token = Some(refresh);
        }
        let ids: Vec<&TokenId> = rows.iter().map(|(r, _)| &r.id).collect();
        let event = NewSecurityEvent::tokens_issued(user, Some(&client.client_id), grant, &format_scopes(scopes), &ids);
        let response = TokenResponse {
            access_token: access,
            token_type: "Bearer",
            expires_in: self.settings().access_token_ttl_secs,
            refresh_token,
            scope: format_scopes(scopes),
            id_token: None,
            issued_token_type: None,
        };
        NewTokens { write: TokenWrite { tokens: rows, events: vec![event], ..Default::default() }, response }
    }

    /// RFC 8693 token exchange for a backend holding a bot token: a short-lived, read-only
    /// access token bound to one workspace the bot can read, acting as the bot. The bot token is
    /// the credential; the new token joins its family, so revoking the bot token revokes it.
    pub async fn exchange_bot_token(
        &self,
        subject_token: Option<&str>,
        subject_token_type: Option<&str>,
        resource: Option<&str>,
        scope: Option<&str>,
    ) -> std::result::Result<TokenResponse, OAuthError> {
        let subject = subject_token.ok_or_else(|| OAuthError::invalid_request("subject_token is required"))?;
        if subject_token_type != Some(ACCESS_TOKEN_TYPE) {
            return Err(OAuthError::invalid_request(format!("subject_token_type must be {ACCESS_TOKEN_TYPE}")));
        }
        let resource =
            resource.ok_or_else(|| OAuthError::invalid_request("resource is required (urn:tessera:workspace:<id>)"))?;
        let ws = resource
            .strip_prefix(WORKSPACE_RESOURCE)
            .filter(|id| crate::ids::looks_like_id(id))
            .map(|id| WorkspaceId(id.to_string()))
            .ok_or_else(|| OAuthError::invalid_target("resource must be urn:tessera:workspace:<workspace id>"))?;
        let scopes = parse_scopes(requested_scope(scope).unwrap_or("elements:read"))
            .map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
        if scopes.iter().any(|s| *s != Scope::ElementsRead) {
            return Err(OAuthError::invalid_scope("only elements:read may be asked for"));
        }
        let bot = match self.authenticate(subject).await {
            Ok(p) if p.user.kind == ActorType::Bot && p.client_id.is_none() && p.workspaces.is_none() => p,
            Ok(_) | Err(Error::Unauthenticated) => {
                return Err(OAuthError::invalid_grant("subject_token must be a valid bot token"))
            }
            Err(e) => return Err(e.into()),
        };
        if self.authorize_elements_read(&bot, &ws).await.is_err() {
            return Err(OAuthError::invalid_target("the bot cannot read this workspace"));
        }
        let now = now_millis();
        let ttl = self.settings().access_token_ttl_secs.min(EXCHANGED_TOKEN_MAX_SECS);
        let (id, access, hash) = issue_token(ACCESS_TOKEN_PREFIX);
        let record = TokenRecord {
            id,
            kind: TokenKind::Access,
            user_id: bot.user.id.clone(),
            client_id: None,
            scopes: format_scopes(&scopes),
            workspaces: Some(vec![ws]),
            expires_at: Some(now + ttl * 1000),
            revoked: false,
            created_at: now,
            family_id: Some(bot.token_id.0.clone()),
            rotated_at: None,
        };
        let issued =
            NewSecurityEvent::tokens_issued(&record.user_id, None, "token-exchange", &record.scopes, &[&record.id]);
        let write = TokenWrite { tokens: vec![(record, hash)], events: vec![issued], ..Default::default() };
        self.store.write_tokens(write).await?;
        Ok(TokenResponse {
            access_token: access,
            token_type: "Bearer",
            expires_in: ttl,
            refresh_token: None,
            scope: format_scopes(&scopes),
            id_token: None,
            issued_token_type: Some(ACCESS_TOKEN_TYPE),
        })
    }

    /// RFC 7009: revoke a token of this client. Unknown tokens and other clients' tokens are
    /// ignored (the response is the same). A refresh token takes its whole family with it.
    pub async fn revoke(&self, client: &App, token: &str) -> Result<()> {
        let Some(record) = self.store.find_token(&TokenKey::of(token)).await? else { return Ok(()) };
        if record.client_id.as_deref() != Some(client.client_id.as_str()) {
            return Ok(());
        }
        let count = match (record.kind, &record.family_id) {
            (TokenKind::Refresh, Some(family)) => self.store.revoke_family(family).await?,
            _ => u64::from(self.store.revoke_token(&record.id).await?.is_some()),
        };
        if count > 0 {
            let (user, client_id) = (&record.user_id, Some(client.client_id.as_str()));
            self.record(&[NewSecurityEvent::tokens_revoked(user, client_id, "revoked by the app", count)]).await;
        }
        Ok(())
    }

    /// RFC 7662: what a token of this client is, if it is active.
    pub async fn introspect(&self, client: &App, token: &str) -> Result<serde_json::Value> {
        let inactive = serde_json::json!({"active": false});
        let Some(entry) = self.token(token).await? else { return Ok(inactive) };
        let (r, user) = &*entry;
        let live = !r.revoked && r.expires_at.is_none_or(|t| t > now_millis()) && r.rotated_at.is_none();
        if !live || r.client_id.as_deref() != Some(client.client_id.as_str()) {
            return Ok(inactive);
        }
        let mut out = serde_json::json!({
            "active": true,
            "scope": r.scopes,
            "client_id": client.client_id,
            "sub": r.user_id,
            "token_type": if r.kind == TokenKind::Refresh { "refresh_token" } else { "Bearer" },
            "iat": r.created_at / 1000,
            "iss": self.settings().issuer,
        });
        if let Some(exp) = r.expires_at {
            out["exp"] = serde_json::json!(exp / 1000);
        }
        if let Some(email) = &user.email {
            out["username"] = serde_json::json!(email);
        }
        Ok(out)
    }

    // ---- people signing in to the pages ----

    /// Check an email and password, from this network address. Every failure is the same
    /// `Unauthenticated` and does the same work whether or not the account exists: one password
    /// hash (a dummy for a missing account) and one trip through the security log's writer — a
    /// missing account belongs to no organization, so its failure is written nowhere, but the
    /// answer waits for the same commit. `Busy` when too many sign-ins wait for hashing.
    pub async fn login(&self, email: &str, password: &str, address: &str) -> Result<User> {
        let found = self.store.user_by_email(email).await?;
        let person = found.filter(|(user, _)| user.kind == ActorType::User);
        let stored = person.as_ref().and_then(|(_, h)| h.as_deref()).map(Arc::from);
        let ok = self.passwords().verify(password, stored).await?;
        let subject = match &person {
            Some((user, _)) => user.id.clone(),
            None => UserId(String::new()),
        };
        let kind = if ok { SecurityKind::LoginSucceeded } else { SecurityKind::LoginFailed };
        let detail = serde_json::json!({"address": address});
        self.record(&[NewSecurityEvent::by(kind, &subject, None, detail)]).await;
        match person {
            Some((user, _)) if ok => Ok(user),
            _ => Err(Error::Unauthenticated),
        }
    }

    /// A new session for a signed-in user (`mfa`: with a second factor); returns the cookie value.
    pub async fn start_session(&self, user: &UserId, mfa: bool) -> Result<String> {
        let (token, hash) = generate_token(SESSION_PREFIX);
        let expires = now_millis() + self.settings().session_ttl_secs * 1000;
        self.store.create_session(&hash, user, expires, mfa).await?;
        Ok(token)
    }

    /// The person of a live session, and how and when they signed in.
    pub async fn session_user(&self, cookie: &str) -> Result<Option<(User, SignIn)>> {
        match self.store.session_user(&hash_token(cookie)).await? {
            Some((id, since)) => Ok(self.store.user(&id).await?.map(|u| (u, since))),
            None => Ok(None),
        }
    }

    pub async fn end_session(&self, cookie: &str) -> Result<()> {
        self.store.delete_session(&hash_token(cookie)).await
    }
}
