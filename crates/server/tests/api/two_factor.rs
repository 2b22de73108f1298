//! Two-factor sign-in: setting TOTP up in the portal, the second step of signing in, codes that
//! work once, recovery codes, throttling, and what the ID token says about it.

use crate::browser::*;
use crate::helpers::*;
use totp_rs::{Algorithm, Secret, TOTP};

/// The person's authenticator app, from the key the setup page shows.
fn authenticator(page: &Page) -> TOTP {
    let marker = "<code id=\"totp-secret\">";
    let start = page.body.find(marker).expect("the key is shown") + marker.len();
    let key = &page.body[start..start + page.body[start..].find('<').expect("end")];
    let secret = Secret::Encoded(key.to_string()).to_bytes().expect("base32");
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret, None, "x".into()).expect("totp")
}

fn now_code(t: &TOTP) -> String {
    t.generate_current().expect("clock")
}

/// The next 30-second step's code: the step of a code just used (setting TOTP up, say) is spent,
/// and one step of drift is accepted.
fn next_code(t: &TOTP) -> String {
    t.generate(
        t.ttl().expect("clock")
            + std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs(),
    )
}

async fn post_form(b: &mut Browser, base: &str, path: &str, csrf: String, code: &str) -> Page {
    b.post(&format!("{base}{path}"), &[("csrf".into(), csrf), ("code".into(), code.into())]).await
}

/// Sign in with the password; the second step's page.
async fn password_step(app: &TestApp, b: &mut Browser, email: &str, next: &str) -> Page {
    let login = b
        .get(&format!(
            "{}/login?next={}",
            app.base,
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ))
        .await;
    let form = vec![
        ("csrf".to_string(), login.field("csrf").expect("csrf")),
        ("next".to_string(), login.field("next").expect("next")),
        ("email".to_string(), email.to_string()),
        ("password".to_string(), PASSWORD.to_string()),
    ];
    let after = b.post(&format!("{}/login", app.base), &form).await;
    assert_eq!(after.status, 303, "{}", after.body);
    let to = after.location().expect("location");
    assert!(to.starts_with("/login/2fa"), "the password alone does not sign in: {to}");
    assert!(!b.cookies.keys().any(|k| k.contains("session")), "no session yet");
    b.get(&format!("{}{to}", app.base)).await
}

async fn second_step(app: &TestApp, b: &mut Browser, step: &Page, code: &str) -> Page {
    let form = vec![
        ("csrf".to_string(), step.field("csrf").expect("csrf")),
        ("next".to_string(), step.field("next").expect("next")),
        ("code".to_string(), code.to_string()),
    ];
    b.post(&format!("{}/login/2fa", app.base), &form).await
}

#[tokio::test]
async fn totp_set_up_in_the_portal_is_asked_at_sign_in_and_each_code_works_once() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let mut b = Browser::new();
    assert_eq!(b.log_in(&app.base, &email, PASSWORD).await.status, 303);

    // Setup: a QR code and the key; a wrong code does not turn it on, the right one does.
    let portal = b.get(&format!("{}/portal", app.base)).await;
    let csrf = portal.field("csrf").expect("csrf");
    let setup = post_form(&mut b, &app.base, "/portal/2fa/setup", csrf.clone(), "").await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    assert!(setup.body.contains("<svg"), "a QR code");
    let phone = authenticator(&setup);
    assert_eq!(post_form(&mut b, &app.base, "/portal/2fa/confirm", csrf.clone(), "000000").await.status, 400);
    assert!(!app.core.totp_enabled(&user).await.expect("read"));
    let setup_code = now_code(&phone);
    let done = post_form(&mut b, &app.base, "/portal/2fa/confirm", csrf.clone(), &setup_code).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let recovery: Vec<String> =
        done.body.split("<li><code>").skip(1).map(|s| s[..s.find('<').expect("end")].to_string()).collect();
    assert_eq!(recovery.len(), 10);
    assert!(app.core.totp_enabled(&user).await.expect("read"));

    // Signing in: the password, then the code; a wrong code is refused.
    let next = authorize_url(&app.base, &params(&cid, "openid"));
    let next = next.strip_prefix(&app.base).expect("path").to_string();
    let mut phone_user = Browser::new();
    let step = password_step(&app, &mut phone_user, &email, &next).await;
    assert_eq!(second_step(&app, &mut phone_user, &step, "123456").await.status, 401);
    assert_eq!(second_step(&app, &mut phone_user, &step, &setup_code).await.status, 401, "the set-up code is spent");
    let code = next_code(&phone);
    let ok = second_step(&app, &mut phone_user, &step, &code).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    // The ID token tells the app the person used a second factor.
    let mut page = phone_user.get(&format!("{}{}", app.base, ok.location().expect("next"))).await;
    if page.status == 200 {
        page = phone_user.decide(&app.base, &page, "allow", &[]).await;
    }
    let (s, t) = redeem(&app, (&cid, &secret), &query_of(&page.location().expect("redirect"))["code"]).await;
    assert_eq!(s, 200, "{t}");
    let jwt = t["id_token"].as_str().expect("id token");
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            jwt.split('.').nth(1).expect("claims"),
        )
        .expect("b64"),
    )
    .expect("json");
    assert_eq!((claims["acr"].as_str(), claims["amr"].clone()), (Some("2"), serde_json::json!(["pwd", "otp"])));

    // The same code again (a replay, within its window) is refused; a recovery code works once.
    let mut thief = Browser::new();
    let step = password_step(&app, &mut thief, &email, "/portal").await;
    assert_eq!(second_step(&app, &mut thief, &step, &code).await.status, 401, "a code works once");
    assert_eq!(second_step(&app, &mut thief, &step, &recovery[0].to_uppercase()).await.status, 303);
    let mut again = Browser::new();
    let step = password_step(&app, &mut again, &email, "/portal").await;
    assert_eq!(second_step(&app, &mut again, &step, &recovery[0]).await.status, 401, "a recovery code works once");

    // Turning it off needs a code; then the password alone signs in again.
    let portal = b.get(&format!("{}/portal", app.base)).await;
    assert!(portal.body.contains("/portal/2fa/disable"));
    let csrf = portal.field("csrf").expect("csrf");
    assert_eq!(post_form(&mut b, &app.base, "/portal/2fa/disable", csrf.clone(), "999999").await.status, 400);
    assert_eq!(post_form(&mut b, &app.base, "/portal/2fa/disable", csrf, &recovery[1]).await.status, 303);
    assert_eq!(Browser::new().log_in(&app.base, &email, PASSWORD).await.location().as_deref(), Some("/portal"));
}

#[tokio::test]
async fn guessing_second_factor_codes_is_throttled_and_a_ticket_alone_is_worth_nothing() {
    let app = spawn_app().await;
    let (_org, _user, email, _) = person_with_workspaces(&app).await;
    let mut b = Browser::new();
    assert_eq!(b.log_in(&app.base, &email, PASSWORD).await.status, 303);
    let portal = b.get(&format!("{}/portal", app.base)).await;
    let csrf = portal.field("csrf").expect("csrf");
    let setup = post_form(&mut b, &app.base, "/portal/2fa/setup", csrf.clone(), "").await;
    let phone = authenticator(&setup);
    assert_eq!(post_form(&mut b, &app.base, "/portal/2fa/confirm", csrf, &now_code(&phone)).await.status, 200);

    let mut guesser = Browser::new();
    let step = password_step(&app, &mut guesser, &email, "/portal").await;
    let mut statuses = Vec::new();
    for guess in 0..11 {
        statuses.push(second_step(&app, &mut guesser, &step, &format!("{:06}", 100_000 + guess)).await.status);
    }
    assert!(statuses[..10].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[10], 429, "throttled");
    // Without the ticket cookie the second step leads nowhere.
    let mut bare = Browser::new();
    assert_eq!(bare.get(&format!("{}/login/2fa", app.base)).await.location().as_deref(), Some("/login"));
}

#[tokio::test]
async fn an_organization_that_requires_it_sends_members_to_set_it_up_and_asks_again_without_it() {
    let app = spawn_app().await;
    let (org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, _secret) = confidential_app(&app, &user).await;
    let mut b = Browser::new();
    assert_eq!(b.log_in(&app.base, &email, PASSWORD).await.status, 303);
    let url = authorize_url(&app.base, &params(&cid, "elements:read"));
    assert_eq!(b.get(&url).await.status, 200, "not required yet: the consent page");

    app.core.set_org_two_factor(None, &org, true).await.expect("require");
    let page = b.get(&url).await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("requires two-factor sign-in"), "{}", page.body);
    let silent = authorize_url(&app.base, &[params(&cid, "elements:read").as_slice(), &[("prompt", "none")]].concat());
    assert_eq!(query_of(&b.get(&silent).await.location().expect("redirect"))["error"], "login_required");

    // Set up: the password-only session is not enough; signing in again with the code is.
    let portal = b.get(&format!("{}/portal", app.base)).await;
    let csrf = portal.field("csrf").expect("csrf");
    let phone = authenticator(&post_form(&mut b, &app.base, "/portal/2fa/setup", csrf.clone(), "").await);
    assert_eq!(post_form(&mut b, &app.base, "/portal/2fa/confirm", csrf, &now_code(&phone)).await.status, 200);
    let page = b.get(&url).await;
    assert!(page.body.contains("name=\"password\""), "asked to sign in again");
    let next = url.strip_prefix(&app.base).expect("path").to_string();
    let mut fresh = Browser::new();
    let step = password_step(&app, &mut fresh, &email, &next).await;
    let done = second_step(&app, &mut fresh, &step, &next_code(&phone)).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let consent = fresh.get(&format!("{}{}", app.base, done.location().expect("next"))).await;
    assert_eq!(consent.status, 200, "signed in with a second factor: the consent page");
    assert!(consent.body.contains("name=\"decision\""));

    // No longer required: a password-only session goes through again.
    app.core.set_org_two_factor(None, &org, false).await.expect("off");
    assert_eq!(b.get(&url).await.status, 200);
}
