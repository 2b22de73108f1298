//! Accounts by e-mail, against a real SMTP server (aiosmtpd, `e2e/python/smtp_sink.py`):
//! password reset, invitations, address verification, and the outbox keeping mail while the
//! mail server is down.

use crate::browser::*;
use crate::helpers::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tessera::config::Config;
use tessera_core::ids::UserId;
use tessera_core::service::NewPerson;
use tokio::io::AsyncBufReadExt;

/// A real SMTP server writing each message to a file in its folder.
pub struct Sink {
    _child: tokio::process::Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Sink {
    pub async fn start(port: u16, fail_first: u32) -> Sink {
        let dir = tempfile::tempdir().expect("dir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e/python/smtp_sink.py");
        let mut child = tokio::process::Command::new("python3")
            .arg(script)
            .args(["--dir", &dir.path().display().to_string(), "--port", &port.to_string()])
            .args(["--fail-first", &fail_first.to_string()])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 with aiosmtpd (pip install -r e2e/python/requirements.txt)");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the SMTP sink starts")
            .expect("read")
            .expect("a line: is aiosmtpd installed?");
        let addr = line.strip_prefix("smtp sink listening on ").expect("the sink's address").to_string();
        Sink { _child: child, url: format!("smtp://{addr}"), dir }
    }

    fn files(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("read dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        v.sort();
        v
    }

    /// The messages received so far for `to`, decoded.
    pub fn mail_to(&self, to: &str) -> Vec<String> {
        self.files()
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .filter(|m| m.lines().next().is_some_and(|l| l.contains(to)))
            .map(|m| quoted_printable(&m))
            .collect()
    }

    /// Wait for the `n`th message to `to`.
    pub async fn wait(&self, to: &str, n: usize) -> String {
        let start = Instant::now();
        loop {
            if let Some(m) = self.mail_to(to).into_iter().nth(n - 1) {
                return m;
            }
            assert!(start.elapsed() < Duration::from_secs(90), "no mail #{n} to {to} after 90 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Undo quoted-printable (soft line breaks and `=XX`): enough to read links in a test.
fn quoted_printable(s: &str) -> String {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first link in a message that starts with `prefix`.
pub fn link(mail: &str, prefix: &str) -> String {
    let start = mail.find(prefix).unwrap_or_else(|| panic!("no {prefix} link in {mail}"));
    mail[start..].split(|c: char| c.is_whitespace() || c == '"' || c == '<').next().expect("link").to_string()
}

pub async fn app_with_mail(sink: &Sink) -> TestApp {
    let url = sink.url.clone();
    spawn_app_with(move |c: &mut Config| {
        c.mail.smtp_url = Some(url);
        c.mail.retry_ms = 200;
    })
    .await
}

/// The text of a page without its CSRF token (which differs per visitor).
fn visible(body: &str) -> String {
    body.lines().filter(|l| !l.contains("name=\"csrf\"")).collect::<Vec<_>>().join("\n")
}

async fn forgot(app: &TestApp, browser: &mut Browser, email: &str) -> Page {
    let page = browser.get(&format!("{}/password/forgot", app.base)).await;
    let form = vec![("csrf".to_string(), page.field("csrf").expect("csrf")), ("email".to_string(), email.to_string())];
    browser.post(&format!("{}/password/forgot", app.base), &form).await
}

#[tokio::test]
async fn a_password_reset_by_mail_works_once_and_signs_the_person_out_everywhere() {
    let sink = Sink::start(0, 0).await;
    let app = app_with_mail(&sink).await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    // Signed in, with an app holding a refresh token.
    let mut browser = Browser::new();
    let back = authorize(&app, &mut browser, &email, &params(&cid, "elements:read offline_access")).await;
    let (_, tokens) = redeem(&app, (&cid, &secret), &back["code"]).await;
    let refresh = tokens["refresh_token"].as_str().expect("refresh").to_string();

    // Known and unknown addresses get the same answer; only the known one gets mail.
    let known = forgot(&app, &mut Browser::new(), &email).await;
    let unknown = forgot(&app, &mut Browser::new(), "nobody@people.test").await;
    assert_eq!((known.status, visible(&known.body)), (unknown.status, visible(&unknown.body)));
    assert!(known.body.contains("If an account exists"));
    let mail = sink.wait(&email, 1).await;
    assert!(mail.contains("Subject: Reset your tessera password"), "{mail}");
    assert!(mail.contains("text/plain") && mail.contains("text/html"), "both parts");
    let url = link(&mail, &format!("{}/password/reset?token=", app.base));
    assert!(sink.mail_to("nobody@people.test").is_empty());

    // A weak password is refused and leaves the link usable.
    let mut other = Browser::new();
    let page = other.get(&url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let mut form = page.hidden_fields();
    form.push(("password".into(), "short".into()));
    assert_eq!(other.post(&format!("{}/password/reset", app.base), &form).await.status, 400);
    let page = other.get(&url).await;
    let mut form = page.hidden_fields();
    form.push(("password".into(), "a brand new passphrase".into()));
    let done = other.post(&format!("{}/password/reset", app.base), &form).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("password has been changed"));

    // Everything signed in before is signed out: the session, the app's refresh token.
    let silent = authorize_url(&app.base, &[params(&cid, "elements:read").as_slice(), &[("prompt", "none")]].concat());
    let page = browser.get(&silent).await;
    assert_eq!(query_of(&page.location().expect("redirect"))["error"], "login_required");
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())];
    let (s, _, body) = token_request(&app, &form, Some((&cid, &secret))).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    // The old password no longer signs in; the new one does.
    assert_eq!(Browser::new().log_in(&app.base, &email, PASSWORD).await.status, 401);
    assert_eq!(Browser::new().log_in(&app.base, &email, "a brand new passphrase").await.status, 303);
    // The link works once.
    assert_eq!(Browser::new().get(&url).await.status, 400);
    let mut form = page.hidden_fields();
    form.retain(|(k, _)| k != "token");
    form.push(("token".into(), url.rsplit('=').next().expect("token").into()));
    form.push(("password".into(), "yet another passphrase".into()));
    assert_ne!(Browser::new().post(&format!("{}/password/reset", app.base), &form).await.status, 200);
}

#[tokio::test]
async fn an_invitation_by_mail_makes_an_account_in_the_organization_with_the_role() {
    let sink = Sink::start(0, 0).await;
    let app = app_with_mail(&sink).await;
    let (org, member, member_email, _) = person_with_workspaces(&app).await;
    let admin_email = format!("admin-{}@people.test", tessera_core::ids::new_id());
    let person = NewPerson {
        email: admin_email.clone(),
        password: PASSWORD.into(),
        first_name: "Grace".into(),
        last_name: "Hopper".into(),
        org: Some((org.clone(), "admin".into())),
    };
    app.core.admin_create_user(person).await.expect("admin");
    let (base, org_id) = (app.base.clone(), org.0.clone());
    let invite = async |b: &mut Browser, email: String, role: &str| {
        let portal = b.get(&format!("{base}/portal")).await;
        let form = vec![
            ("csrf".to_string(), portal.field("csrf").expect("csrf")),
            ("email".to_string(), email),
            ("role".to_string(), role.to_string()),
        ];
        b.post(&format!("{base}/portal/orgs/{org_id}/invitations"), &form).await
    };
    let mut admin = Browser::new();
    assert_eq!(admin.log_in(&app.base, &admin_email, PASSWORD).await.status, 303);
    let newcomer = format!("new-{}@people.test", tessera_core::ids::new_id());
    let sent = invite(&mut admin, newcomer.clone(), "guest").await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    // An address with an account gets the same answer.
    let again = invite(&mut admin, member_email.clone(), "user").await;
    assert_eq!((again.status, again.location()), (sent.status, sent.location()));

    let mail = sink.wait(&newcomer, 1).await;
    assert!(mail.contains("You are invited to join People"), "{mail}");
    let url = link(&mail, &format!("{}/invitations/accept?token=", app.base));
    let mut browser = Browser::new();
    let page = browser.get(&url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let mut form = page.hidden_fields();
    form.extend([("first_name".into(), "Nova".into()), ("last_name".into(), "Newcomer".into())]);
    form.push(("password".into(), "my own passphrase".into()));
    let joined = browser.post(&format!("{}/invitations/accept", app.base), &form).await;
    assert_eq!(joined.status, 303, "{}", joined.body);
    assert_eq!(browser.get(&format!("{}/portal", app.base)).await.status, 200, "signed in");
    let (found, _) = app.core.store().user_by_email(&newcomer).await.expect("read").expect("an account");
    assert_eq!(app.core.store().org_role(&org, &found.id).await.expect("role").as_deref(), Some("guest"));
    assert!(app.core.email_verified(&found.id).await.expect("read"), "the mail proved the address");
    assert_eq!(Browser::new().log_in(&app.base, &newcomer, "my own passphrase").await.status, 303);
    // The link works once.
    assert_eq!(Browser::new().get(&url).await.status, 400);
    assert_eq!(browser.post(&format!("{}/invitations/accept", app.base), &form).await.status, 400);

    // The member who already had an account joins by signing in (they were a member already:
    // their role stays).
    let mail = sink.wait(&member_email, 1).await;
    let url = link(&mail, &format!("{}/invitations/accept?token=", app.base));
    let mut them = Browser::new();
    assert_eq!(them.log_in(&app.base, &member_email, PASSWORD).await.status, 303);
    let page = them.get(&url).await;
    assert!(page.body.contains("/invitations/join"), "{}", page.body);
    let mut form = page.hidden_fields();
    form.retain(|(k, _)| k == "csrf" || k == "token");
    assert_eq!(them.post(&format!("{}/invitations/join", app.base), &form).await.status, 303);
    assert_eq!(app.core.store().org_role(&org, &member).await.expect("role").as_deref(), Some("user"));

    // A plain member cannot invite, and a header smuggled in an address is refused: no mail.
    let before = sink.files().len();
    let mut plain = Browser::new();
    assert_eq!(plain.log_in(&app.base, &member_email, PASSWORD).await.status, 303);
    assert_eq!(invite(&mut plain, "x@people.test".into(), "user").await.status, 403);
    let smuggled = invite(&mut admin, "victim@people.test\r\nBcc: thief@evil.test".into(), "user").await;
    assert_eq!(smuggled.status, 400, "{}", smuggled.body);
    assert_eq!(invite(&mut admin, "y@people.test".into(), "owner").await.status, 403, "admins do not make owners");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.files().len(), before, "nothing sent");
}

#[tokio::test]
async fn mail_waits_in_the_outbox_while_the_mail_server_is_down_and_goes_out_when_it_is_back() {
    // A port with nothing listening yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let url = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_with(move |c: &mut Config| {
        c.mail.smtp_url = Some(url);
        c.mail.retry_ms = 200;
    })
    .await;
    let (_org, _user, email, _) = person_with_workspaces(&app).await;
    forgot(&app, &mut Browser::new(), &email).await;
    // Tried and failed at least once, still waiting.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.core.mail_pending().await.expect("read"), 1);
    // The server comes up (and refuses the first attempt it sees): the mail arrives.
    let sink = Sink::start(port, 1).await;
    let mail = sink.wait(&email, 1).await;
    assert!(mail.contains("Reset your tessera password"));
    let start = Instant::now();
    while app.core.mail_pending().await.expect("read") > 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "still not marked sent after 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sink.mail_to(&email).len(), 1, "sent once");
}

#[tokio::test]
async fn an_address_is_verified_by_its_link_and_the_id_token_says_so() {
    let sink = Sink::start(0, 0).await;
    let app = app_with_mail(&sink).await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let user: UserId = user;
    assert!(!app.core.email_verified(&user).await.expect("read"));
    let mut browser = Browser::new();
    assert_eq!(browser.log_in(&app.base, &email, PASSWORD).await.status, 303);
    let portal = browser.get(&format!("{}/portal", app.base)).await;
    assert!(portal.body.contains("/portal/email/verify"));
    let form = vec![("csrf".to_string(), portal.field("csrf").expect("csrf"))];
    assert_eq!(browser.post(&format!("{}/portal/email/verify", app.base), &form).await.status, 200);
    let url = link(&sink.wait(&email, 1).await, &format!("{}/email/verify?token=", app.base));
    assert_eq!(Browser::new().get(&url).await.status, 200);
    assert!(app.core.email_verified(&user).await.expect("read"));
    assert_eq!(Browser::new().get(&url).await.status, 400, "once");
    // OpenID Connect says so.
    let (cid, secret) = confidential_app(&app, &user).await;
    let back = authorize(&app, &mut browser, &email, &params(&cid, "openid email")).await;
    let (_, t) = redeem(&app, (&cid, &secret), &back["code"]).await;
    let info = app
        .client
        .get(format!("{}/v3/oauth2/userinfo", app.base))
        .bearer_auth(t["access_token"].as_str().expect("at"))
        .send()
        .await
        .expect("userinfo")
        .json::<serde_json::Value>()
        .await
        .expect("json");
    assert_eq!(info["email_verified"], true);
}
