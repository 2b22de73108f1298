//! The OAuth 2.1 endpoints: `/v3/oauth2/authorize` (login and consent pages around the core's
//! rules), `/token`, `/revoke`, `/introspect`, and the RFC 8414 metadata document.

use super::error::OAuthResponse;
use super::pages::{app_error_page, error_page, render, ConsentPage, LoginPage};
use super::session::{login_csrf, SessionForm, SignedIn};
use crate::app::AppState;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use base64::Engine;
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use tessera_core::auth::Scope;
use tessera_core::ids::WorkspaceId;
use tessera_core::model::User;
use tessera_core::oauth::device::DEVICE_CODE_GRANT;
use tessera_core::oauth::grants::{self, AuthorizeParams, AuthorizeRequest};
use tessera_core::oauth::{App, OAuthCode, OAuthError};

/// Form or query parameters, refusing any that appear twice (RFC 6749 §3.1, §3.2).
pub(crate) fn params(raw: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw) {
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(format!("the parameter {k} appears more than once"));
        }
    }
    Ok(out)
}

/// `303 See Other` to the client's redirect URI with these parameters (and `iss`, RFC 9207).
fn redirect_to_client(state: &AppState, redirect_uri: &str, pairs: &[(&str, Option<&str>)]) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return app_error_page(StatusCode::BAD_REQUEST, "Invalid request", "The redirect URI cannot be used.");
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
        q.append_pair("iss", &state.config.issuer);
    }
    Redirect::to(url.as_str()).into_response()
}

fn redirect_error(state: &AppState, redirect_uri: &str, e: &OAuthError, st: Option<&str>) -> Response {
    redirect_to_client(
        state,
        redirect_uri,
        &[("error", Some(e.code.as_str())), ("error_description", Some(&e.description)), ("state", st)],
    )
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Prompt {
    none: bool,
    login: bool,
    consent: bool,
    /// OpenID Connect `max_age`: a sign-in older than this many seconds must be repeated.
    max_age: Option<i64>,
}

impl Prompt {
    /// Whether this request needs a new sign-in from someone who signed in at `since` (ms).
    fn wants_sign_in(&self, since: i64) -> bool {
        self.login || self.max_age.is_some_and(|max| tessera_core::model::now_millis() - since > max * 1000)
    }
}

fn parse_prompt(p: Option<&String>) -> Result<Prompt, OAuthError> {
    let mut out = Prompt::default();
    for v in p.map(|s| s.split(' ').filter(|x| !x.is_empty()).collect::<Vec<_>>()).unwrap_or_default() {
        match v {
            "none" => out.none = true,
            "login" => out.login = true,
            "consent" => out.consent = true,
            "select_account" => {}
            other => return Err(OAuthError::invalid_request(format!("unsupported prompt value {other:?}"))),
        }
    }
    if out.none && (out.login || out.consent) {
        return Err(OAuthError::invalid_request("prompt=none cannot be combined with other values"));
    }
    Ok(out)
}

/// Validate an authorization request in the order that keeps it safe: client and redirect
/// URI first (errors as a page), then the rest (errors redirected to the client).
async fn validate(state: &AppState, p: &HashMap<String, String>) -> Result<(AuthorizeRequest, Prompt), Response> {
    let (app, redirect_uri) = state
        .core
        .authorize_client(p.get("client_id").map(String::as_str), p.get("redirect_uri").map(String::as_str))
        .await
        .map_err(|msg| app_error_page(StatusCode::BAD_REQUEST, "This sign-in link is not valid", &msg))?;
    let st = p.get("state").cloned();
    let raw = AuthorizeParams {
        response_type: p.get("response_type").cloned(),
        scope: p.get("scope").cloned(),
        state: st.clone(),
        code_challenge: p.get("code_challenge").cloned(),
        code_challenge_method: p.get("code_challenge_method").cloned(),
        nonce: p.get("nonce").cloned(),
    };
    let max_age = match p.get("max_age").map(|v| v.parse::<u32>()) {
        None => None,
        Some(Ok(v)) => Some(i64::from(v)),
        Some(Err(_)) => {
            let e = OAuthError::invalid_request("max_age must be a number of seconds");
            return Err(redirect_error(state, &redirect_uri, &e, st.as_deref()));
        }
    };
    let mut prompt =
        parse_prompt(p.get("prompt")).map_err(|e| redirect_error(state, &redirect_uri, &e, st.as_deref()))?;
    prompt.max_age = max_age;
    let req = state
        .core
        .authorize_params(app, redirect_uri.clone(), raw)
        .map_err(|e| redirect_error(state, &redirect_uri, &e, st.as_deref()))?;
    Ok((req, prompt))
}

fn code_redirect(state: &AppState, req: &AuthorizeRequest, code: &str) -> Response {
    redirect_to_client(state, &req.redirect_uri, &[("code", Some(code)), ("state", req.state.as_deref())])
}

fn server_error(state: &AppState, req: &AuthorizeRequest, e: tessera_core::Error) -> Response {
    redirect_error(state, &req.redirect_uri, &OAuthError::from(e), req.state.as_deref())
}

/// `GET /v3/oauth2/authorize`.
pub async fn authorize(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let raw = query.unwrap_or_default();
    let p = match params(raw.as_bytes()) {
        Ok(p) => p,
        Err(msg) => return app_error_page(StatusCode::BAD_REQUEST, "This sign-in link is not valid", &msg),
    };
    let (req, prompt) = match validate(&state, &p).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let mut who = SignedIn::of(&state, &headers).await;
    // An organization that requires two-factor sign-in: a session without a second factor
    // signs in again (if the person has TOTP) or is sent to set it up first.
    if let Some(w) = who.as_ref().filter(|w| !w.mfa) {
        match (state.core.two_factor_required(&w.user.id).await, state.core.totp_enabled(&w.user.id).await) {
            (Ok(false), Ok(_)) => {}
            (Ok(true), Ok(true)) => who = None,
            (Ok(true), Ok(false)) if prompt.none => {
                let e = OAuthError::login_required("two-factor sign-in is required and not set up");
                return redirect_error(&state, &req.redirect_uri, &e, req.state.as_deref());
            }
            (Ok(true), Ok(false)) => {
                return error_page(
                    StatusCode::FORBIDDEN,
                    "Two-factor sign-in required",
                    "Your organization requires two-factor sign-in. Set it up in the portal (/portal), then try again.",
                )
            }
            (Err(e), _) | (_, Err(e)) => return server_error(&state, &req, e),
        }
    }
    let who = match who {
        Some(w) if !prompt.wants_sign_in(w.since) => w,
        _ if prompt.none => {
            return redirect_error(
                &state,
                &req.redirect_uri,
                &OAuthError::login_required("the user is not signed in"),
                req.state.as_deref(),
            )
        }
        _ => {
            let (csrf, set) = login_csrf(&state, &headers);
            let next = format!("/v3/oauth2/authorize?{raw}");
            let page =
                LoginPage { csrf, next, email: String::new(), error: None, app_name: Some(req.app.name.clone()) };
            return render(StatusCode::OK, &page, set);
        }
    };
    let remembered = match state.core.covering_consent(&who.user.id, &req.app.client_id, &req.scopes).await {
        Ok(c) => c,
        Err(e) => return server_error(&state, &req, e),
    };
    match remembered {
        Some(reach) if !prompt.consent => match state.core.issue_code(&who.user.id, &req, reach, who.signin()).await {
            Ok(code) => code_redirect(&state, &req, &code),
            Err(e) => server_error(&state, &req, e),
        },
        _ if prompt.none => redirect_error(
            &state,
            &req.redirect_uri,
            &OAuthError::consent_required("the user has not approved this app"),
            req.state.as_deref(),
        ),
        _ => consent_page(&state, &req, &p, &who).await,
    }
}

async fn consent_page(
    state: &AppState,
    req: &AuthorizeRequest,
    p: &HashMap<String, String>,
    who: &SignedIn,
) -> Response {
    let user = &who.user;
    let owner_name = match state.core.app_owner(&req.app).await {
        Ok(Some(o)) => format!("{} {}", o.first_name, o.last_name).trim().to_string(),
        _ => "an unknown developer".into(),
    };
    let workspaces = if req.scopes.iter().any(|s| s.is_workspace_scoped()) && !req.scopes.contains(&Scope::V2Legacy) {
        reachable_workspaces(state, user).await
    } else {
        vec![]
    };
    let hidden = [
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
        "nonce",
    ]
    .into_iter()
    .filter_map(|k| p.get(k).map(|v| (k, v.clone())))
    .collect();
    let page = ConsentPage {
        csrf: who.csrf(),
        app_name: req.app.name.clone(),
        owner_name,
        user_email: user.email.clone().unwrap_or_default(),
        hidden,
        scopes: req.scopes.iter().map(|s| (s.as_str(), s.describe())).collect(),
        workspaces,
    };
    render(StatusCode::OK, &page, None)
}

/// The workspaces the user can reach with all their permissions: (id, name).
async fn reachable_workspaces(state: &AppState, user: &User) -> Vec<(String, String)> {
    match state.core.person_workspaces(&user.id).await {
        Ok(list) => list.into_iter().map(|w| (w.id.0, w.name)).collect(),
        Err(e) => {
            tracing::error!(error = %e, "cannot list workspaces for consent");
            vec![]
        }
    }
}

/// `POST /v3/oauth2/authorize`: the consent form, posted by the signed-in person from our page.
pub async fn consent(State(state): State<AppState>, form: SessionForm) -> Response {
    // Checkbox lists repeat `workspace`; every other field must appear once.
    let (chosen, single): (Vec<_>, Vec<_>) = form.fields.iter().cloned().partition(|(k, _)| k == "workspace");
    let chosen: Vec<String> = chosen.into_iter().map(|(_, v)| v).collect();
    let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&single).finish();
    let p = match params(encoded.as_bytes()) {
        Ok(p) => p,
        Err(msg) => return app_error_page(StatusCode::BAD_REQUEST, "Invalid request", &msg),
    };
    let (req, _) = match validate(&state, &p).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let user = &form.who.user;
    match p.get("decision").map(String::as_str) {
        Some("allow") => {}
        Some("deny") => {
            tracing::info!(user = %user.id, client_id = %req.app.client_id, "consent denied");
            let e = OAuthError::access_denied("the user denied the request");
            return redirect_error(&state, &req.redirect_uri, &e, req.state.as_deref());
        }
        _ => return error_page(StatusCode::BAD_REQUEST, "Invalid request", "Choose Allow or Deny."),
    }
    let narrowed = if p.get("workspace_mode").map(String::as_str) == Some("some") {
        let reachable: Vec<String> = reachable_workspaces(&state, user).await.into_iter().map(|(id, _)| id).collect();
        let picked: Vec<WorkspaceId> = chosen.into_iter().filter(|c| reachable.contains(c)).map(WorkspaceId).collect();
        if picked.is_empty() {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Nothing chosen",
                "Tick at least one workspace, or choose all workspaces.",
            );
        }
        Some(picked)
    } else {
        None
    };
    match state.core.grant(&user.id, &req, narrowed, form.who.signin()).await {
        Ok(code) => {
            tracing::info!(user = %user.id, client_id = %req.app.client_id, "consent granted");
            code_redirect(&state, &req, &code)
        }
        Err(e) => server_error(&state, &req, e),
    }
}

// ---- the token, revocation and introspection endpoints ----

fn token_error(e: &OAuthError) -> Response {
    OAuthResponse(e.clone()).into_response()
}

fn no_store(body: serde_json::Value) -> Response {
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

/// The parameters of a form POST: the right content type, each parameter once.
pub fn form_params(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let form = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
    });
    if !form {
        return Err(OAuthError::invalid_request("send parameters as application/x-www-form-urlencoded"));
    }
    params(body).map_err(OAuthError::invalid_request)
}

/// Parse a form POST and authenticate its client (`client_secret_basic`,
/// `client_secret_post`, or `none` for public clients).
async fn client_request(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(App, HashMap<String, String>), OAuthError> {
    let p = form_params(headers, body)?;
    authenticated_client(state, peer, headers, p).await
}

/// The credentials a client presents, taken out of its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub secret: Option<String>,
    /// The other parameters: never `client_id` or `client_secret`.
    pub params: HashMap<String, String>,
}

/// Read the client's credentials from the `Authorization: Basic` header or the form
/// (`client_id`, `client_secret`): exactly one method, nothing checked against the store yet.
pub fn client_credentials(
    headers: &HeaderMap,
    mut p: HashMap<String, String>,
) -> Result<ClientCredentials, OAuthError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        Some(v) => {
            // Not visible ASCII: a malformed header, never an absent one (which would let the
            // form's credentials be used instead).
            let v = v.to_str().map_err(|_| OAuthError::invalid_client("malformed Authorization header"))?;
            let (scheme, cred) =
                v.split_once(' ').ok_or_else(|| OAuthError::invalid_client("malformed Authorization header"))?;
            if !scheme.eq_ignore_ascii_case("basic") {
                return Err(OAuthError::invalid_client("use HTTP Basic client authentication"));
            }
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(cred.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
            let (id, secret) =
                decoded.split_once(':').ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
            // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
            let dec =
                |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
            Some((dec(id).unwrap_or_default(), dec(secret).unwrap_or_default()))
        }
        None => None,
    };
    let (client_id, secret) = match basic {
        Some((id, secret)) => {
            if p.contains_key("client_secret") {
                return Err(OAuthError::invalid_request("use one client authentication method, not two"));
            }
            if p.get("client_id").is_some_and(|c| *c != id) {
                return Err(OAuthError::invalid_request("client_id does not match the Basic credentials"));
            }
            (id, Some(secret))
        }
        None => {
            let id =
                p.remove("client_id").ok_or_else(|| OAuthError::invalid_client("client authentication is required"))?;
            (id, p.remove("client_secret"))
        }
    };
    p.remove("client_id");
    Ok(ClientCredentials { client_id, secret, params: p })
}

/// Authenticate the client, then count the request against the abuse limits: per
/// confidential client, per public client and address (anyone may act as a public client), and
/// failed authentications per address, so that nobody can spend someone else's allowance.
async fn authenticated_client(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    p: HashMap<String, String>,
) -> Result<(App, HashMap<String, String>), OAuthError> {
    let too_many = || OAuthError::temporarily_unavailable("too many requests; retry later");
    let ClientCredentials { client_id, secret, params } = client_credentials(headers, p)?;
    let address = state.limits.client_address(peer.ip(), headers);
    match state.core.authenticate_client(&client_id, secret.as_deref()).await {
        Ok(app) if state.limits.token_allowed(&app.client_id, app.public, address) => Ok((app, params)),
        Ok(_) => Err(too_many()),
        Err(e) if e.code == OAuthCode::InvalidClient && !state.limits.failed_client_allowed(address) => Err(too_many()),
        Err(e) => Err(e),
    }
}

/// `POST /v3/oauth2/token`.
pub async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = match form_params(&headers, &body) {
        Ok(p) => p,
        Err(e) => return token_error(&e),
    };
    if p.get("grant_type").map(String::as_str) == Some(grants::TOKEN_EXCHANGE) {
        return exchange(&state, p).await;
    }
    let (client, p) = match authenticated_client(&state, peer, &headers, p).await {
        Ok(v) => v,
        Err(e) => return token_error(&e),
    };
    let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let result = match get("grant_type") {
        None => Err(OAuthError::invalid_request("grant_type is required")),
        Some("authorization_code") => match get("code") {
            None => Err(OAuthError::invalid_request("code is required")),
            Some(code) => state.core.exchange_code(&client, code, get("redirect_uri"), get("code_verifier")).await,
        },
        Some("refresh_token") => match get("refresh_token") {
            None => Err(OAuthError::invalid_request("refresh_token is required")),
            Some(rt) => state.core.refresh(&client, rt, get("scope")).await,
        },
        Some("client_credentials") => state.core.client_credentials(&client, get("scope")).await,
        Some(DEVICE_CODE_GRANT) => match get("device_code") {
            None => Err(OAuthError::invalid_request("device_code is required")),
            Some(code) => state.core.exchange_device_code(&client, code).await,
        },
        Some(other) => Err(OAuthError::unsupported_grant_type(format!("grant_type {other} is not supported"))),
    };
    match result {
        Ok(tokens) => {
            tracing::info!(client_id = %client.client_id, grant = get("grant_type").unwrap_or_default(), "token issued");
            no_store(serde_json::to_value(tokens).unwrap_or_default())
        }
        Err(e) => {
            tracing::info!(client_id = %client.client_id, error = %e.code, "token request refused");
            token_error(&e)
        }
    }
}

/// Token exchange (RFC 8693): the subject token is the credential, no client authentication.
async fn exchange(state: &AppState, p: HashMap<String, String>) -> Response {
    let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let subject = tessera_core::auth::hash_token(get("subject_token").unwrap_or_default());
    if !state.limits.exchange_allowed(&subject) {
        return token_error(&OAuthError::temporarily_unavailable(
            "too many requests for this subject token; retry later",
        ));
    }
    match state
        .core
        .exchange_bot_token(get("subject_token"), get("subject_token_type"), get("resource"), get("scope"))
        .await
    {
        Ok(tokens) => {
            tracing::info!(grant = "token-exchange", "token issued");
            no_store(serde_json::to_value(tokens).unwrap_or_default())
        }
        Err(e) => {
            tracing::info!(error = %e.code, "token exchange refused");
            token_error(&e)
        }
    }
}

/// The grants the token endpoint takes (for both metadata documents).
pub const GRANT_TYPES: [&str; 5] =
    ["authorization_code", "refresh_token", "client_credentials", grants::TOKEN_EXCHANGE, DEVICE_CODE_GRANT];

/// `POST /v3/oauth2/device_authorization` (RFC 8628 §3.1): a device code and a user code.
pub async fn device_authorization(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (client, p) = match client_request(&state, peer, &headers, &body).await {
        Ok(v) => v,
        Err(e) => return token_error(&e),
    };
    match state.core.device_authorization(&client, p.get("scope").map(String::as_str)).await {
        Ok(auth) => {
            tracing::info!(client_id = %client.client_id, "device authorization started");
            no_store(serde_json::to_value(auth).unwrap_or_default())
        }
        Err(e) => token_error(&e),
    }
}

/// `POST /v3/oauth2/revoke` (RFC 7009): 200 whether or not the token was known.
pub async fn revoke(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (client, p) = match client_request(&state, peer, &headers, &body).await {
        Ok(v) => v,
        Err(e) => return token_error(&e),
    };
    let Some(token) = p.get("token").filter(|t| !t.is_empty()) else {
        return token_error(&OAuthError::invalid_request("token is required"));
    };
    match state.core.revoke(&client, token).await {
        Ok(()) => {
            tracing::info!(client_id = %client.client_id, "token revocation requested");
            (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response()
        }
        Err(e) => token_error(&OAuthError::from(e)),
    }
}

/// `POST /v3/oauth2/introspect` (RFC 7662), for confidential clients.
pub async fn introspect(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (client, p) = match client_request(&state, peer, &headers, &body).await {
        Ok(v) => v,
        Err(e) => return token_error(&e),
    };
    if client.public {
        return token_error(&OAuthError::invalid_client("public clients cannot introspect tokens"));
    }
    let Some(token) = p.get("token").filter(|t| !t.is_empty()) else {
        return token_error(&OAuthError::invalid_request("token is required"));
    };
    match state.core.introspect(&client, token).await {
        Ok(v) => no_store(v),
        Err(e) => token_error(&OAuthError::from(e)),
    }
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
pub async fn metadata(State(state): State<AppState>) -> Response {
    Json(server_metadata(&state.config.issuer)).into_response()
}

/// The authorization server's metadata (RFC 8414), which OpenID Connect discovery extends.
pub fn server_metadata(iss: &str) -> serde_json::Value {
    json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/v3/oauth2/authorize"),
        "token_endpoint": format!("{iss}/v3/oauth2/token"),
        "revocation_endpoint": format!("{iss}/v3/oauth2/revoke"),
        "introspection_endpoint": format!("{iss}/v3/oauth2/introspect"),
        "scopes_supported": Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "device_authorization_endpoint": format!("{iss}/v3/oauth2/device_authorization"),
        "grant_types_supported": GRANT_TYPES,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "authorization_response_iss_parameter_supported": true,
        "jwks_uri": format!("{iss}/v3/oauth2/jwks"),
        "service_documentation": format!("{iss}/v3/graphql"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_ascii_authorization_header_is_refused_not_ignored() {
        let mut headers = HeaderMap::new();
        let raw = HeaderValue::from_bytes(b"Basic \xe9\xe9").expect("obs-text is a valid header value");
        headers.insert(header::AUTHORIZATION, raw);
        let form = HashMap::from([
            ("client_id".to_string(), "app".to_string()),
            ("client_secret".to_string(), "s".to_string()),
        ]);
        let e = client_credentials(&headers, form.clone()).err().map(|e| e.code);
        assert_eq!(e, Some(OAuthCode::InvalidClient));
        // Without the header, the same form authenticates by its own credentials.
        let c = client_credentials(&HeaderMap::new(), form).map(|c| (c.client_id, c.secret));
        assert_eq!(c.ok(), Some(("app".to_string(), Some("s".to_string()))));
    }
}
