//! The device authorization grant (RFC 8628), for wall displays and command-line tools: the
//! device shows a short code, the person approves it on another screen through the normal
//! sign-in, and the device polls the token endpoint until then.

use super::grants::TokenResponse;
use super::{App, OAuthError};
use crate::auth::{format_scopes, generate_token, hash_token, parse_scopes, requested_scope, Scope, Scopes};
use crate::error::Result;
use crate::ids::{new_id, UserId};
use crate::model::now_millis;
use crate::ports::{DeviceGrant, DeviceStatus};
use crate::service::Core;
use rand::Rng;

pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
pub const DEVICE_CODE_PREFIX: &str = "tsr_dc_";
/// How long a device code and its user code live.
pub const DEVICE_TTL_SECS: i64 = 600;
/// How often a device may poll, at first (RFC 8628 §3.2's default).
pub const DEVICE_INTERVAL_SECS: i64 = 5;
/// Consonants only, no vowels (no words) and nothing easily confused (RFC 8628 §6.1): 20^8
/// codes, about 2^34.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
const USER_CODE_LEN: usize = 8;

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// A user code as typed: case, dashes and spaces do not matter. `None` if it cannot be one.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let code: String = typed.chars().filter(|c| !matches!(c, '-' | ' ')).map(|c| c.to_ascii_uppercase()).collect();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b))).then_some(code)
}

/// A user code as shown: `WDJB-MJHT`.
pub fn format_user_code(code: &str) -> String {
    let (a, b) = code.split_at(code.len() / 2);
    format!("{a}-{b}")
}

fn new_user_code() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..USER_CODE_LEN).map(|_| USER_CODE_ALPHABET[rng.gen_range(0..USER_CODE_ALPHABET.len())] as char).collect()
}

impl Core {
    /// `POST /v3/oauth2/device_authorization`: a device code for the client and a user code for
    /// the person.
    pub async fn device_authorization(
        &self,
        client: &App,
        scope: Option<&str>,
    ) -> std::result::Result<DeviceAuthorization, OAuthError> {
        let text = requested_scope(scope).unwrap_or(super::grants::DEFAULT_SCOPE);
        let scopes = parse_scopes(text).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
        let (device_code, hash) = generate_token(DEVICE_CODE_PREFIX);
        let user_code = new_user_code();
        let grant = DeviceGrant {
            user_code: user_code.clone(),
            client_id: client.client_id.clone(),
            scopes: format_scopes(&scopes),
            status: DeviceStatus::Pending,
            user_id: None,
            auth_time: 0,
            interval_secs: DEVICE_INTERVAL_SECS,
            last_poll_at: 0,
            expires_at: now_millis() + DEVICE_TTL_SECS * 1000,
        };
        self.store.insert_device_grant(&hash, &grant, now_millis()).await?;
        let shown = format_user_code(&user_code);
        let uri = format!("{}/device", self.settings().issuer);
        Ok(DeviceAuthorization {
            device_code,
            verification_uri_complete: format!("{uri}?user_code={shown}"),
            user_code: shown,
            verification_uri: uri,
            expires_in: DEVICE_TTL_SECS,
            interval: DEVICE_INTERVAL_SECS,
        })
    }

    /// The app and scopes a pending, live user code asks for (for its approval page).
    pub async fn device_request(&self, typed: &str) -> Result<Option<(App, Scopes)>> {
        let Some(code) = normalize_user_code(typed) else { return Ok(None) };
        let Some(g) = self.store.device_grant_by_user_code(&code).await? else { return Ok(None) };
        if g.status != DeviceStatus::Pending || g.expires_at <= now_millis() {
            return Ok(None);
        }
        let Some(app) = self.app(&g.client_id).await? else { return Ok(None) };
        Ok(Some((app, parse_scopes(&g.scopes)?)))
    }

    /// The signed-in person (signed in at `auth_time`) approves or denies a user code; false
    /// when the code is not pending any more.
    pub async fn decide_device(&self, user: &UserId, typed: &str, allow: bool, auth_time: i64) -> Result<bool> {
        let Some((app, scopes)) = self.device_request(typed).await? else { return Ok(false) };
        let code = normalize_user_code(typed).unwrap_or_default();
        if !allow {
            return self.store.decide_device_grant(&code, None, now_millis()).await;
        }
        // Remembered like any approval: listed among the person's apps, withdrawn the same way.
        self.remember_consent(user, &app.client_id, &scopes, &None).await?;
        self.store.decide_device_grant(&code, Some((user, auth_time)), now_millis()).await
    }

    /// `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4, §3.5).
    pub async fn exchange_device_code(
        &self,
        client: &App,
        device_code: &str,
    ) -> std::result::Result<TokenResponse, OAuthError> {
        let hash = hash_token(device_code);
        let Some(g) = self.store.device_grant(&hash).await? else {
            return Err(OAuthError::invalid_grant("the device code is invalid"));
        };
        if g.client_id != client.client_id {
            return Err(OAuthError::invalid_grant("the device code was issued to another client"));
        }
        let now = now_millis();
        if g.expires_at <= now && g.status != DeviceStatus::Redeemed {
            return Err(OAuthError::expired_token("the device code has expired; start again"));
        }
        match g.status {
            DeviceStatus::Pending => {
                let too_soon = now - g.last_poll_at < g.interval_secs * 1000;
                self.store.polled_device_grant(&hash, now, too_soon).await?;
                return Err(if too_soon {
                    OAuthError::slow_down(format!("poll at most every {} seconds", g.interval_secs + 5))
                } else {
                    OAuthError::authorization_pending("the person has not approved the request yet")
                });
            }
            DeviceStatus::Denied => return Err(OAuthError::access_denied("the person denied the request")),
            DeviceStatus::Redeemed => return Err(OAuthError::invalid_grant("the device code was already used")),
            DeviceStatus::Approved => {}
        }
        if !self.store.redeem_device_grant(&hash).await? {
            return Err(OAuthError::invalid_grant("the device code was already used"));
        }
        let user = g.user_id.ok_or_else(|| OAuthError::invalid_grant("the device code is invalid"))?;
        let scopes = parse_scopes(&g.scopes)?;
        let refresh = scopes.contains(&Scope::OfflineAccess).then(|| scopes.clone());
        let mut new = self.new_tokens("device_code", &user, client, &scopes, None, &new_id(), refresh);
        new.write.grant = Some((user.clone(), client.client_id.clone()));
        if !self.store.write_tokens(new.write).await? {
            return Err(OAuthError::access_denied("the person withdrew this grant"));
        }
        let mut response = new.response;
        if scopes.contains(&Scope::OpenId) {
            let person = self.user_cached(&user).await?.ok_or_else(|| OAuthError::invalid_grant("no such user"))?;
            let at = &response.access_token;
            response.id_token = Some(
                self.id_token(
                    &person,
                    &client.client_id,
                    &scopes,
                    at,
                    None,
                    crate::auth::SignIn { at: g.auth_time, mfa: false },
                )
                .await?,
            );
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_read_as_people_type_them() {
        let code = new_user_code();
        assert_eq!(code.len(), 8);
        let shown = format_user_code(&code);
        assert_eq!(normalize_user_code(&shown), Some(code.clone()));
        assert_eq!(normalize_user_code(&shown.to_lowercase().replace('-', " ")), Some(code));
        for bad in ["", "BCDF-GHJ", "BCDF-GHJKL", "ABCD-EFGH", "BCDF-GHJ1", "BCDF\u{0}GHJK"] {
            assert_eq!(normalize_user_code(bad), None, "{bad:?}");
        }
    }
}
