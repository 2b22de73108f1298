//! Single sign-on through an organization's OpenID Connect provider. The provider here is a
//! small one written for the test (discovery, keys, an authorization endpoint that signs its
//! configured person in at once, and a token endpoint that checks the client, the code and
//! PKCE), so that it can also misbehave: another issuer, another audience, a replayed nonce.
//! The browser suite signs in through a real one (npm oidc-provider).

use crate::browser::{person_with_workspaces, Browser, Page};
use crate::helpers::{spawn_app_with, TestApp};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tessera_core::auth::Principal;
use tessera_core::ids::{OrgId, UserId};
use tessera_core::model::now_millis;
use tessera_core::oauth::keys::{self, KeyAlg, KeyPolicy, Sealer, Signer};
use tessera_core::service::NewPerson;
use tessera_core::sso::ProviderInput;

/// A change the provider makes to the claims of its ID tokens (a lie).
type Tweak = fn(&mut Value);

const CLIENT: &str = "tessera-at-idp";
const SECRET: &str = "idp client secret";

/// Who the provider signs in next, and how it lies, if it does.
#[derive(Clone)]
struct Person {
    sub: String,
    email: String,
    verified: bool,
}

struct IdpState {
    base: String,
    signer: Signer,
    jwks: Value,
    person: Mutex<Person>,
    /// The issuer its documents and tokens name (its own unless a test says otherwise).
    issuer: Mutex<Option<String>>,
    tweak: Mutex<Option<Tweak>>,
    codes: Mutex<HashMap<String, HashMap<String, String>>>,
}

struct Idp {
    base: String,
    state: Arc<IdpState>,
}

impl IdpState {
    fn issuer(&self) -> String {
        self.issuer.lock().expect("lock").clone().unwrap_or_else(|| self.base.clone())
    }
}

async fn discovery(State(s): State<Arc<IdpState>>) -> Json<Value> {
    let b = &s.base;
    Json(json!({"issuer": s.issuer(), "authorization_endpoint": format!("{b}/authorize"),
        "token_endpoint": format!("{b}/token"), "jwks_uri": format!("{b}/jwks"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic"]}))
}

async fn jwks(State(s): State<Arc<IdpState>>) -> Json<Value> {
    Json(s.jwks.clone())
}

async fn authorize(State(s): State<Arc<IdpState>>, Query(q): Query<HashMap<String, String>>) -> impl IntoResponse {
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT);
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["scope"].split(' ').any(|s| s == "openid"));
    let code = tessera_core::ids::new_id();
    s.codes.lock().expect("lock").insert(code.clone(), q.clone());
    let sep = if q["redirect_uri"].contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{}{sep}code={code}&state={}", q["redirect_uri"], q["state"]))
}

async fn token(
    State(s): State<Arc<IdpState>>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> impl IntoResponse {
    let basic = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT}:{}", SECRET.replace(' ', "+")));
    if basic != format!("Basic {expected}") {
        return (axum::http::StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"})));
    }
    let Some(req) = s.codes.lock().expect("lock").remove(&f["code"]) else {
        return (axum::http::StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"})));
    };
    let pkce = tessera_core::oauth::pkce::verify(&f["code_verifier"], &req["code_challenge"]);
    if !pkce || f["redirect_uri"] != req["redirect_uri"] {
        return (axum::http::StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"})));
    }
    let p = s.person.lock().expect("lock").clone();
    let now = now_millis() / 1000;
    let mut claims = json!({"iss": s.issuer(), "aud": CLIENT, "sub": p.sub, "iat": now, "exp": now + 300,
        "nonce": req["nonce"], "email": p.email, "email_verified": p.verified, "given_name": "Grace", "family_name": "Hopper"});
    if let Some(tweak) = *s.tweak.lock().expect("lock") {
        tweak(&mut claims);
    }
    let id_token = s.signer.sign(&claims).expect("sign");
    (
        axum::http::StatusCode::OK,
        Json(json!({"access_token": "upstream", "token_type": "Bearer", "id_token": id_token})),
    )
}

impl Idp {
    async fn start() -> Idp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
        let sealer = Sealer::ephemeral();
        let stored = keys::generate(KeyAlg::EdDsa, &sealer, 0, 0).expect("key");
        let state = Arc::new(IdpState {
            base: base.clone(),
            jwks: keys::jwks(std::slice::from_ref(&stored), &KeyPolicy::default(), 1),
            signer: Signer::open(&stored, &sealer).expect("signer"),
            person: Mutex::new(Person { sub: "sub-1".into(), email: "grace@sso.test".into(), verified: true }),
            issuer: Mutex::new(None),
            tweak: Mutex::new(None),
            codes: Mutex::default(),
        });
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.expect("idp") });
        Idp { base, state }
    }

    fn sign_in_as(&self, sub: &str, email: &str, verified: bool) {
        *self.state.person.lock().expect("lock") = Person { sub: sub.into(), email: email.into(), verified };
    }
}

async fn app_and_idp() -> (TestApp, Idp) {
    let idp = Idp::start().await;
    let app = spawn_app_with(|c| {
        c.fetch_allow = vec![tessera::web::limits::Net::parse("127.0.0.0/8").expect("net")];
    })
    .await;
    (app, idp)
}

/// An organization with the test's provider (its domain `sso.test`) and an owner.
async fn org_with_provider(app: &TestApp, idp: &Idp) -> (OrgId, Principal) {
    let org = app.core.admin_create_org("Hopper Inc").await.expect("org").id;
    let owner = NewPerson {
        email: format!("{}@owners.test", tessera_core::ids::new_id()),
        password: "an owner's long password".into(),
        first_name: "Own".into(),
        last_name: "Er".into(),
        org: Some((org.clone(), "owner".into())),
    };
    let owner = Principal::session(app.core.admin_create_user(owner).await.expect("owner"));
    let input = ProviderInput {
        name: "Hopper SSO".into(),
        issuer: idp.base.clone(),
        client_id: CLIENT.into(),
        client_secret: Some(SECRET.into()),
        default_role: "user".into(),
        domains: Some(vec!["sso.test".into()]),
    };
    app.core.set_identity_provider(None, &org, input).await.expect("provider");
    (org, owner)
}

/// Sign in through the provider from the e-mail form: the page the browser ends on after the
/// callback, and the callback's URL.
async fn sso_sign_in(app: &TestApp, browser: &mut Browser, email: &str) -> (Page, String) {
    let callback = through_provider(app, browser, email).await;
    (browser.get(&callback).await, callback)
}

/// Start signing in from the e-mail form and pass the provider: the URL it sends the browser
/// back to.
async fn through_provider(app: &TestApp, browser: &mut Browser, email: &str) -> String {
    let form = browser.get(&format!("{}/login/sso?next=/portal", app.base)).await;
    assert_eq!(form.status, 200);
    let fields = vec![
        ("csrf".to_string(), form.field("csrf").expect("csrf")),
        ("email".to_string(), email.to_string()),
        ("next".to_string(), "/portal".to_string()),
    ];
    let away = browser.post(&format!("{}/login/sso", app.base), &fields).await;
    assert_eq!(away.status, 303, "{}", away.body);
    let to_idp = away.location().expect("to the provider");
    let q: HashMap<String, String> = url::Url::parse(&to_idp).expect("url").query_pairs().into_owned().collect();
    assert_eq!(q["login_hint"], email);
    assert_eq!(q["redirect_uri"], format!("{}/login/sso/callback", app.base));
    assert!(q["nonce"].len() >= 43 && q["state"].len() >= 43 && q["code_challenge"].len() == 43);
    // The provider is another site: its redirect back carries no tessera cookie of its own.
    let back = Browser::new().get(&to_idp).await;
    back.location().expect("back to tessera")
}

/// A person in no organization.
async fn outsider(app: &TestApp) -> tessera_core::model::User {
    let person = NewPerson {
        email: format!("{}@outside.test", tessera_core::ids::new_id()),
        password: "an outsider's long password".into(),
        first_name: "Out".into(),
        last_name: "Sider".into(),
        org: None,
    };
    app.core.admin_create_user(person).await.expect("outsider")
}

/// The member of `org` with this address, and their role.
async fn member(app: &TestApp, (org, owner): &(OrgId, Principal), email: &str) -> Option<(UserId, String)> {
    let members = app.core.members(owner, org).await.expect("members");
    members.into_iter().find(|m| m.user.email.as_deref() == Some(email)).map(|m| (m.user.id, m.role_id))
}

fn role(m: Option<(UserId, String)>) -> Option<String> {
    m.map(|(_, r)| r)
}

#[tokio::test]
async fn people_sign_in_through_their_organizations_provider_and_are_provisioned_into_it() {
    let (app, idp) = app_and_idp().await;
    let org = org_with_provider(&app, &idp).await;
    let mut browser = Browser::new();
    let (page, callback) = sso_sign_in(&app, &mut browser, "grace@sso.test").await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location().as_deref(), Some("/portal"));
    let portal = browser.get(&format!("{}/portal", app.base)).await;
    assert_eq!(portal.status, 200);
    assert!(portal.body.contains("grace@sso.test"));
    let (grace, role) = member(&app, &org, "grace@sso.test").await.expect("provisioned into the organization");
    assert_eq!(role, "user", "with the default role");
    assert!(app.core.email_verified(&grace).await.expect("read"), "the provider verified the address");
    // The callback works once, and only in the browser that started the sign-in.
    assert_eq!(browser.get(&callback).await.status, 400, "used");
    let mut starter = Browser::new();
    let callback = through_provider(&app, &mut starter, "grace@sso.test").await;
    // Another site linking the person to a forged callback disturbs nothing.
    let forged = format!("{}/login/sso/callback?state=tsr_ss_forged&code=x", app.base);
    assert_eq!(starter.get(&forged).await.status, 400);
    let mut stranger = Browser::new();
    assert_eq!(stranger.get(&callback).await.status, 400, "another browser");
    assert!(!stranger.cookies.keys().any(|k| k.contains("session")));
    assert_eq!(starter.get(&callback).await.status, 303, "the stranger's attempt spent nothing");
    // Linked by subject: a changed address at the provider still finds the same person.
    idp.sign_in_as("sub-1", "grace.hopper@sso.test", true);
    let mut again = Browser::new();
    let (page, _) = sso_sign_in(&app, &mut again, "grace@sso.test").await;
    assert_eq!(page.status, 303);
    let portal = again.get(&format!("{}/portal", app.base)).await;
    assert!(portal.body.contains("grace@sso.test"), "the same account");
    // Recorded in the organization's security log.
    assert_eq!(member(&app, &org, "grace.hopper@sso.test").await, None, "no second account");
    let log = app.core.security_events(&org.1, &org.0, Some(0), 100).await.expect("log");
    assert!(log.iter().filter(|e| e.kind.as_str() == "sso.signed_in").count() >= 2);
    // An address whose domain has no provider gets the form again, with a clear message.
    let form = browser.get(&format!("{}/login/sso", app.base)).await;
    let fields =
        vec![("csrf".to_string(), form.field("csrf").expect("csrf")), ("email".into(), "x@elsewhere.test".into())];
    let page = browser.post(&format!("{}/login/sso", app.base), &fields).await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("Sign in with your password"));
}

#[tokio::test]
async fn an_existing_account_is_linked_by_address_only_inside_the_organization() {
    let (app, idp) = app_and_idp().await;
    let org = org_with_provider(&app, &idp).await;
    // A member of the organization: linked by the verified address, keeps their role.
    let person = NewPerson {
        email: "member@sso.test".into(),
        password: "a member's long password".into(),
        first_name: "Mem".into(),
        last_name: "Ber".into(),
        org: Some((org.0.clone(), "admin".into())),
    };
    let member_user = app.core.admin_create_user(person).await.expect("member");
    idp.sign_in_as("sub-member", "member@sso.test", true);
    let (page, _) = sso_sign_in(&app, &mut Browser::new(), "member@sso.test").await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(member(&app, &org, "member@sso.test").await, Some((member_user.id.clone(), "admin".into())));
    // Someone else's account (in another organization) is never taken over by an address.
    let (other_org, _, elsewhere, _) = person_with_workspaces(&app).await;
    idp.sign_in_as("sub-outsider", &elsewhere, true);
    let (page, _) = sso_sign_in(&app, &mut Browser::new(), "member@sso.test").await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.body.contains("already exists"));
    assert_eq!(role(member(&app, &org, &elsewhere).await), None, "not added");
    assert_ne!(other_org, org.0);
    // An address the provider did not verify finds and makes nothing.
    idp.sign_in_as("sub-unverified", "unverified@sso.test", false);
    let (page, _) = sso_sign_in(&app, &mut Browser::new(), "unverified@sso.test").await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert_eq!(member(&app, &org, "unverified@sso.test").await, None);
    // Only owners and admins (or the operator) set a provider, and only the operator its domains.
    let stranger = outsider(&app).await;
    let input = || ProviderInput {
        issuer: idp.base.clone(),
        client_id: "x".into(),
        default_role: "user".into(),
        ..Default::default()
    };
    let refused = app.core.set_identity_provider(Some(&Principal::session(stranger)), &org.0, input()).await;
    assert!(matches!(refused, Err(tessera_core::Error::NotFound(_))), "not even told it exists: {refused:?}");
    let admin = Principal::session(member_user);
    let domains = ProviderInput { domains: Some(vec!["evil.test".into()]), ..input() };
    assert!(app.core.set_identity_provider(Some(&admin), &org.0, domains).await.is_err());
    let owner_role = ProviderInput { default_role: "owner".into(), ..input() };
    assert!(app.core.set_identity_provider(Some(&admin), &org.0, owner_role).await.is_err());
    let kept = app.core.set_identity_provider(Some(&admin), &org.0, input()).await.expect("an admin changes it");
    assert_eq!(kept.domains, vec!["sso.test".to_string()], "domains kept");
    assert_eq!(app.core.identity_provider_secret(&kept).expect("secret"), SECRET, "secret kept");
}

#[tokio::test]
async fn a_provider_naming_another_issuer_audience_or_nonce_signs_nobody_in() {
    let (app, idp) = app_and_idp().await;
    let org = org_with_provider(&app, &idp).await;
    let lies: [(&str, Tweak); 4] = [
        ("audience", |c| c["aud"] = json!("someone-else")),
        ("nonce", |c| c["nonce"] = json!("a nonce from another sign-in")),
        ("expired", |c| c["exp"] = json!(now_millis() / 1000 - 3600)),
        ("issuer in the token", |c| c["iss"] = json!("https://evil.test")),
    ];
    for (i, (what, tweak)) in lies.into_iter().enumerate() {
        *idp.state.tweak.lock().expect("lock") = Some(tweak);
        let email = format!("liar{i}@sso.test");
        idp.sign_in_as(&format!("sub-liar-{i}"), &email, true);
        let mut browser = Browser::new();
        let (page, _) = sso_sign_in(&app, &mut browser, &email).await;
        assert_eq!(page.status, 502, "{what}: {}", page.body);
        assert!(!browser.cookies.keys().any(|k| k.contains("session")), "{what}");
        assert_eq!(member(&app, &org, &email).await, None, "{what}");
    }
    // A discovery document naming another issuer is refused before anyone leaves.
    *idp.state.tweak.lock().expect("lock") = None;
    *idp.state.issuer.lock().expect("lock") = Some("https://evil.test".into());
    let other = app.core.admin_create_org("Other").await.expect("org").id;
    let input = ProviderInput {
        issuer: format!("{}/", idp.base),
        client_id: CLIENT.into(),
        client_secret: Some(SECRET.into()),
        default_role: "user".into(),
        ..Default::default()
    };
    app.core.set_identity_provider(None, &other, input).await.expect("provider");
    let page = Browser::new().get(&format!("{}/login/sso/{}", app.base, other)).await;
    assert_eq!(page.status, 502, "{}", page.body);
    // The provider saying no is shown as such.
    *idp.state.issuer.lock().expect("lock") = None;
    let mut browser = Browser::new();
    let away = browser.get(&format!("{}/login/sso/{}", app.base, org.0)).await;
    let q: HashMap<String, String> =
        url::Url::parse(&away.location().expect("away")).expect("url").query_pairs().into_owned().collect();
    let denied = format!("{}/login/sso/callback?error=access_denied&state={}", app.base, q["state"]);
    let page = browser.get(&denied).await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("access_denied"));
}

#[tokio::test]
async fn owners_and_admins_set_the_provider_in_the_portal_and_members_cannot() {
    let (app, idp) = app_and_idp().await;
    let (org, _, email, _) = person_with_workspaces(&app).await;
    let admin = NewPerson {
        email: "admin@portal.test".into(),
        password: "an admin's long password".into(),
        first_name: "Ad".into(),
        last_name: "Min".into(),
        org: Some((org.clone(), "admin".into())),
    };
    let admin_user = app.core.admin_create_user(admin).await.expect("admin");
    let mut browser = Browser::new();
    assert_eq!(browser.log_in(&app.base, "admin@portal.test", "an admin's long password").await.status, 303);
    let portal = browser.get(&format!("{}/portal", app.base)).await;
    assert!(portal.body.contains(&format!("/portal/orgs/{org}/sso")));
    assert!(portal.body.contains("/login/sso/callback"), "the redirect URI to register is shown");
    let form = |csrf: String, secret: &str| {
        vec![
            ("csrf".to_string(), csrf),
            ("name".to_string(), "Corporate".to_string()),
            ("issuer".to_string(), idp.base.clone()),
            ("client_id".to_string(), CLIENT.to_string()),
            ("client_secret".to_string(), secret.to_string()),
            ("default_role".to_string(), "guest".to_string()),
        ]
    };
    let saved = browser
        .post(&format!("{}/portal/orgs/{org}/sso", app.base), &form(portal.field("csrf").expect("csrf"), SECRET))
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let me = Principal::session(admin_user);
    let p = app.core.identity_provider(Some(&me), &org).await.expect("read").expect("set");
    assert_eq!((p.name.as_str(), p.default_role.as_str()), ("Corporate", "guest"));
    assert_eq!(app.core.identity_provider_secret(&p).expect("secret"), SECRET);
    let portal = browser.get(&format!("{}/portal", app.base)).await;
    assert!(portal.body.contains(&format!("/login/sso/{org}")), "the link to share");
    assert!(!portal.body.contains(SECRET), "the secret is never shown");
    // Without the form's CSRF token nothing changes.
    let forged =
        browser.post(&format!("{}/portal/orgs/{org}/sso", app.base), &form("forged".into(), "other secret")).await;
    assert_eq!(forged.status, 403);
    // A plain member cannot.
    let mut member = Browser::new();
    assert_eq!(member.log_in(&app.base, &email, crate::browser::PASSWORD).await.status, 303);
    let page = member.get(&format!("{}/portal", app.base)).await;
    let refused = member
        .post(
            &format!("{}/portal/orgs/{org}/sso/remove", app.base),
            &[("csrf".to_string(), page.field("csrf").expect("csrf"))],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(app.core.identity_provider(Some(&me), &org).await.expect("read").is_some());
    let removed = browser
        .post(
            &format!("{}/portal/orgs/{org}/sso/remove", app.base),
            &[("csrf".to_string(), portal.field("csrf").expect("csrf"))],
        )
        .await;
    assert_eq!(removed.status, 303);
    assert!(app.core.identity_provider(Some(&me), &org).await.expect("read").is_none());
}

#[tokio::test]
async fn starting_single_sign_on_is_limited_per_client_address() {
    let app = spawn_app_with(|c| c.rate_limits.enabled = true).await;
    let org = app.core.admin_create_org("Flooded").await.expect("org").id;
    let input = ProviderInput {
        name: String::new(),
        issuer: "http://127.0.0.1:9".into(),
        client_id: CLIENT.into(),
        client_secret: Some(SECRET.into()),
        default_role: "user".into(),
        domains: None,
    };
    app.core.set_identity_provider(None, &org, input).await.expect("provider");
    let url = format!("{}/login/sso/{}", app.base, org.0);
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let mut statuses = Vec::new();
    for _ in 0..61 {
        statuses.push(no_redirects.get(&url).send().await.expect("request").status().as_u16());
    }
    assert!(statuses[..60].iter().all(|s| *s != 429), "{statuses:?}");
    assert_eq!(statuses[60], 429, "{statuses:?}");
}
