//! The device authorization grant (RFC 8628): `tessera login` against a running server, and
//! the token endpoint's answers while the person has not decided.

use crate::browser::*;
use crate::helpers::*;
use serde_json::Value;
use std::time::Duration;
use tokio::io::AsyncBufReadExt;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn start(app: &TestApp, client_id: &str, scope: &str) -> Value {
    let res = app
        .client
        .post(format!("{}/v3/oauth2/device_authorization", app.base))
        .form(&[("client_id", client_id), ("scope", scope)])
        .send()
        .await
        .expect("device authorization");
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

async fn poll(app: &TestApp, client_id: &str, device_code: &str) -> (u16, Value) {
    let form = [("grant_type", GRANT), ("device_code", device_code), ("client_id", client_id)];
    let (s, _, body) = token_request(app, &form, None).await;
    (s, body)
}

/// Sign in (if asked) and press a button on the device page for this code.
async fn decide(app: &TestApp, browser: &mut Browser, email: &str, user_code: &str, decision: &str) -> Page {
    let url = format!("{}/device?user_code={user_code}", app.base);
    let mut page = browser.get(&url).await;
    if page.status == 303 {
        let login = browser.get(&format!("{}{}", app.base, page.location().expect("to sign-in"))).await;
        page = browser.sign_in(&app.base, &login, email, PASSWORD).await;
    }
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(user_code), "the page shows the code to compare");
    let form = vec![
        ("csrf".to_string(), page.field("csrf").expect("csrf")),
        ("user_code".to_string(), page.field("user_code").expect("code")),
        ("decision".to_string(), decision.to_string()),
    ];
    browser.post(&format!("{}/device", app.base), &form).await
}

#[tokio::test]
async fn tessera_login_signs_in_with_a_code_approved_in_the_browser() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let client_id = public_app(&app, &user, REDIRECT).await;
    let mut cli = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["login", "--server", &app.base, "--client-id", &client_id])
        .args(["--scope", "openid email elements:read offline_access", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("tessera login");
    let mut lines = tokio::io::BufReader::new(cli.stderr.take().expect("stderr")).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("the code is shown")
        .expect("read")
        .expect("a line");
    let user_code = first.rsplit(' ').next().expect("code").to_string();
    assert!(first.starts_with(&format!("To sign in, open {}/device and enter the code ", app.base)), "{first}");

    let done = decide(&app, &mut Browser::new(), &email, &user_code, "allow").await;
    assert_eq!(done.status, 200, "{}", done.body);
    let out =
        tokio::time::timeout(Duration::from_secs(30), cli.wait_with_output()).await.expect("finishes").expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tokens: Value = serde_json::from_slice(&out.stdout).expect("token JSON");
    assert!(tokens["refresh_token"].is_string() && tokens["id_token"].is_string(), "{tokens}");
    let me = app
        .gql(tokens["access_token"].as_str().expect("at"), "{ me { profile { email } } }", serde_json::json!({}))
        .await;
    assert_eq!(me["data"]["me"]["profile"]["email"], email.as_str(), "{me}");
    // The approval is a grant like any other: the person sees and can withdraw it.
    let apps = app.core.authorized_apps(&user).await.expect("apps");
    assert!(apps.iter().any(|(a, _)| a.client_id == client_id));
}

#[tokio::test]
async fn polling_is_pending_then_slowed_down_and_a_code_is_denied_expired_or_used_once() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let client_id = public_app(&app, &user, REDIRECT).await;
    let other_client = public_app(&app, &user, REDIRECT).await;

    let a = start(&app, &client_id, "elements:read").await;
    let (device_code, user_code) = (a["device_code"].as_str().expect("dc"), a["user_code"].as_str().expect("uc"));
    assert_eq!(a["verification_uri"], format!("{}/device", app.base));
    assert_eq!(a["interval"], 5);
    assert_eq!(poll(&app, &client_id, device_code).await.1["error"], "authorization_pending");
    // Polling again at once, faster than the interval: slow down.
    assert_eq!(poll(&app, &client_id, device_code).await.1["error"], "slow_down");
    // Another client cannot use the code.
    assert_eq!(poll(&app, &other_client, device_code).await.1["error"], "invalid_grant");

    // Approved: tokens once, then the code is spent.
    let mut browser = Browser::new();
    assert_eq!(decide(&app, &mut browser, &email, user_code, "allow").await.status, 200);
    let (s, tokens) = poll(&app, &client_id, device_code).await;
    assert_eq!(s, 200, "{tokens}");
    assert_eq!(tokens["scope"], "elements:read");
    assert!(tokens.get("refresh_token").is_none(), "no offline_access, no refresh token");
    assert_eq!(poll(&app, &client_id, device_code).await.1["error"], "invalid_grant");
    // A decided code cannot be decided again, nor looked up.
    let page = browser.get(&format!("{}/device?user_code={user_code}", app.base)).await;
    assert_eq!(page.status, 404);

    // Denied.
    let b = start(&app, &client_id, "elements:read").await;
    assert_eq!(decide(&app, &mut browser, &email, b["user_code"].as_str().expect("uc"), "deny").await.status, 200);
    let (s, body) = poll(&app, &client_id, b["device_code"].as_str().expect("dc")).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("access_denied")));

    // Expired.
    let c = start(&app, &client_id, "elements:read").await;
    raw_sql(&app.db_url(), "UPDATE device_grants SET expires_at = 0 WHERE status = 'pending'").await;
    assert_eq!(poll(&app, &client_id, c["device_code"].as_str().expect("dc")).await.1["error"], "expired_token");
    let page = browser.get(&format!("{}/device?user_code={}", app.base, c["user_code"].as_str().expect("uc"))).await;
    assert_eq!(page.status, 404, "an expired code cannot be approved");

    // Made-up codes and unknown scopes.
    assert_eq!(browser.get(&format!("{}/device?user_code=BCDF-GHJK", app.base)).await.status, 404);
    assert_eq!(poll(&app, &client_id, "tsr_dc_made_up").await.1["error"], "invalid_grant");
    let res = app
        .client
        .post(format!("{}/v3/oauth2/device_authorization", app.base))
        .form(&[("client_id", client_id.as_str()), ("scope", "everything")])
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_scope");
}
