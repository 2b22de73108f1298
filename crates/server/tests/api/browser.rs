//! A minimal browser for the login and consent pages: a cookie jar, no automatic redirects,
//! and reading hidden form fields. Enough to drive the real forms as a person would.

use crate::helpers::TestApp;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use std::collections::BTreeMap;
use tessera_core::ids::{OrgId, UserId, WorkspaceId};
use tessera_core::service::{NewPerson, NewWorkspace};

pub struct Browser {
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    /// Sent with every request (`X-Forwarded-For` through a trusted proxy, say).
    pub headers: Vec<(String, String)>,
}

pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<String> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string)
    }

    /// The value of the hidden (or other) input named `name`.
    pub fn field(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(unescape(&self.body[start..end]))
    }

    /// Every hidden input of the first form: (name, value).
    pub fn hidden_fields(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(i) = rest.find("<input type=\"hidden\" name=\"") {
            rest = &rest[i + 27..];
            let Some(end) = rest.find('"') else { break };
            let name = rest[..end].to_string();
            let Some(v) = rest.find("value=\"") else { break };
            let vrest = &rest[v + 7..];
            let Some(vend) = vrest.find('"') else { break };
            out.push((name, unescape(&vrest[..vend])));
        }
        out
    }
}

fn unescape(s: &str) -> String {
    s.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Browser { client, cookies: BTreeMap::new(), headers: Vec::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn keep(&mut self, res: reqwest::Response) -> Page {
        for c in res.headers().get_all(SET_COOKIE) {
            let c = c.to_str().unwrap_or_default();
            if let Some((kv, _)) = c.split_once(';') {
                if let Some((k, v)) = kv.split_once('=') {
                    if v.is_empty() || c.contains("Max-Age=0") {
                        self.cookies.remove(k);
                    } else {
                        self.cookies.insert(k.to_string(), v.to_string());
                    }
                }
            }
        }
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        Page { status, headers, body: res.text().await.unwrap_or_default() }
    }

    pub async fn get(&mut self, url: &str) -> Page {
        let mut req = self.client.get(url).header("cookie", self.cookie_header());
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let res = req.send().await.expect("GET");
        self.keep(res).await
    }

    pub async fn post(&mut self, url: &str, form: &[(String, String)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let mut req = self
            .client
            .post(url)
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let res = req.send().await.expect("POST");
        self.keep(res).await
    }

    /// Sign in through the login page that `page` shows; returns the page after the redirect.
    pub async fn sign_in(&mut self, base: &str, page: &Page, email: &str, password: &str) -> Page {
        assert!(page.body.contains("name=\"password\""), "not a login page: {}", page.body);
        let form = vec![
            ("csrf".to_string(), page.field("csrf").expect("csrf")),
            ("next".to_string(), page.field("next").expect("next")),
            ("email".to_string(), email.to_string()),
            ("password".to_string(), password.to_string()),
        ];
        let after = self.post(&format!("{base}/login"), &form).await;
        assert_eq!(after.status, 303, "login failed: {}", after.body);
        let next = after.location().expect("location");
        self.get(&format!("{base}{next}")).await
    }

    /// Sign in on the plain login page (`/login`); returns the response to the form.
    pub async fn log_in(&mut self, base: &str, email: &str, password: &str) -> Page {
        let page = self.get(&format!("{base}/login")).await;
        let form = vec![
            ("csrf".to_string(), page.field("csrf").expect("csrf")),
            ("next".to_string(), "/portal".to_string()),
            ("email".to_string(), email.to_string()),
            ("password".to_string(), password.to_string()),
        ];
        self.post(&format!("{base}/login"), &form).await
    }

    /// Press a consent button (`allow` or `deny`) with optional extra fields.
    pub async fn decide(&mut self, base: &str, consent: &Page, decision: &str, extra: &[(&str, &str)]) -> Page {
        assert!(consent.body.contains("name=\"decision\""), "not a consent page: {}", consent.body);
        let mut form: Vec<(String, String)> = consent.hidden_fields();
        form.push(("decision".into(), decision.into()));
        form.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.post(&format!("{base}/v3/oauth2/authorize"), &form).await
    }
}

/// The query parameters of a redirect to the client.
pub fn query_of(location: &str) -> BTreeMap<String, String> {
    let url = url::Url::parse(location).expect("absolute redirect");
    url.query_pairs().into_owned().collect()
}

pub const PASSWORD: &str = "correct horse battery";

/// A person in a new org with two private workspaces they own: (org, user, email, [ws A, ws B]).
pub async fn person_with_workspaces(app: &TestApp) -> (OrgId, UserId, String, [WorkspaceId; 2]) {
    let org = app.core.admin_create_org("People").await.expect("org").id;
    let email = format!("{}@people.test", tessera_core::ids::new_id());
    let person = NewPerson {
        email: email.clone(),
        password: PASSWORD.into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        org: Some((org.clone(), "user".into())),
    };
    let user = app.core.admin_create_user(person).await.expect("user").id;
    let mut ws = Vec::new();
    for name in ["Alpha", "Beta"] {
        let input = NewWorkspace { org_id: org.clone(), name: name.into(), description: None, is_public: false };
        ws.push(app.core.admin_create_workspace(input, &user).await.expect("ws").id);
    }
    let ws: [WorkspaceId; 2] = ws.try_into().expect("two");
    (org, user, email, ws)
}

pub const REDIRECT: &str = "http://localhost:3001/auth/callback";

/// A confidential app owned by `owner`: (client_id, secret).
pub async fn confidential_app(app: &TestApp, owner: &UserId) -> (String, String) {
    let new = app
        .core
        .create_app(
            None,
            owner,
            "Server app",
            &[REDIRECT.to_string()],
            tessera_core::oauth::clients::ClientType::CONFIDENTIAL,
        )
        .await
        .expect("app");
    (new.app.client_id, new.secret.expect("secret"))
}

pub async fn public_app(app: &TestApp, owner: &UserId, redirect: &str) -> String {
    app.core
        .create_app(
            None,
            owner,
            "Browser app",
            &[redirect.to_string()],
            tessera_core::oauth::clients::ClientType::Public,
        )
        .await
        .expect("app")
        .app
        .client_id
}

/// An authorize URL with the given parameters.
pub fn authorize_url(base: &str, params: &[(&str, &str)]) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    format!("{base}/v3/oauth2/authorize?{q}")
}

/// Sign in and allow, returning the final redirect's query parameters.
pub async fn authorize(
    app: &TestApp,
    browser: &mut Browser,
    email: &str,
    params: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let url = authorize_url(&app.base, params);
    let mut page = browser.get(&url).await;
    if page.body.contains("name=\"password\"") {
        page = browser.sign_in(&app.base, &page, email, PASSWORD).await;
    }
    if page.status == 200 {
        page = browser.decide(&app.base, &page, "allow", &[]).await;
    }
    assert_eq!(page.status, 303, "{}", page.body);
    query_of(&page.location().expect("redirect"))
}

pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// An authorization request of `client_id` for `scope`, to [`REDIRECT`], with PKCE ([`CHALLENGE`]).
pub fn params<'a>(client_id: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "s"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

/// Redeem a code issued for [`params`] (with [`VERIFIER`]): (status, body).
pub async fn redeem(app: &TestApp, client: (&str, &str), code: &str) -> (u16, serde_json::Value) {
    let form =
        [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];
    let (s, _, b) = token_request(app, &form, Some(client)).await;
    (s, b)
}

/// POST to the token endpoint with a form; returns (status, headers, JSON).
pub async fn token_request(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (u16, HeaderMap, serde_json::Value) {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut req = app
        .client
        .post(format!("{}/v3/oauth2/token", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let res = req.send().await.expect("token request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.json().await.unwrap_or_default())
}
