//! Open sign-up for an organization's e-mail domains, against a real SMTP server: who may open
//! a domain (the operator, or an owner or admin whose own address there is confirmed), one
//! organization per domain, never as owner; the request answers the same for every address and
//! mails a single-use link only for an open domain; joining proves the address.

use crate::accounts::{app_with_mail, link, Sink};
use crate::browser::{Browser, Page, PASSWORD};
use crate::helpers::{cli, TestApp};
use crate::members::person;
use std::time::Duration;
use tessera_core::model::now_millis;

async fn request(app: &TestApp, email: &str) -> Page {
    let mut b = Browser::new();
    let page = b.get(&format!("{}/signup", app.base)).await;
    assert_eq!(page.status, 200);
    let form = vec![("csrf".to_string(), page.field("csrf").expect("csrf")), ("email".to_string(), email.to_string())];
    b.post(&format!("{}/signup", app.base), &form).await
}

/// Post the portal's form at `action` with the page's CSRF token.
async fn act(app: &TestApp, b: &mut Browser, action: &str, fields: &[(&str, &str)]) -> Page {
    let page = b.get(&format!("{}/portal", app.base)).await;
    let mut form = vec![("csrf".to_string(), page.field("csrf").expect("csrf"))];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    b.post(&format!("{}{action}", app.base), &form).await
}

#[tokio::test]
async fn people_of_an_open_domain_join_by_themselves_after_proving_their_address() {
    let sink = Sink::start(0, 0).await;
    let app = app_with_mail(&sink).await;
    let domain = format!("d{}.test", tessera_core::ids::new_id().to_lowercase());
    let org = app.core.admin_create_org("Open Org").await.expect("org").id;
    let admin_email = format!("boss@{domain}");
    let p = tessera_core::service::NewPerson {
        email: admin_email.clone(),
        password: PASSWORD.into(),
        first_name: "Boss".into(),
        last_name: String::new(),
        org: Some((org.clone(), "admin".into())),
    };
    let boss = app.core.admin_create_user(p).await.expect("boss").id;
    let mut b = Browser::new();
    assert_eq!(b.log_in(&app.base, &admin_email, PASSWORD).await.status, 303);
    let open = format!("/portal/orgs/{}/signup-domains", org.0);

    // Not before the admin's own address there is confirmed; never another domain, never owner.
    assert_eq!(act(&app, &mut b, &open, &[("domain", &domain), ("role", "guest")]).await.status, 403);
    app.core.store().set_email_verified(&boss, now_millis()).await.expect("verify");
    assert_eq!(act(&app, &mut b, &open, &[("domain", "elsewhere.test"), ("role", "guest")]).await.status, 403);
    assert_eq!(act(&app, &mut b, &open, &[("domain", &domain), ("role", "owner")]).await.status, 400);
    assert!(app.core.store().signup_domain(&domain).await.expect("read").is_none(), "nothing opened yet");
    assert_eq!(act(&app, &mut b, &open, &[("domain", &domain), ("role", "guest")]).await.status, 303);
    let portal = b.get(&format!("{}/portal", app.base)).await;
    assert!(portal.body.contains(&format!("@{domain}")), "{}", portal.body);

    // One organization per domain: the operator cannot give it to another.
    let other = app.core.admin_create_org("Other Org").await.expect("org").id;
    let args = ["org", "signup-domain", "--org", &other.0, "--domain", &domain];
    let taken = cli(&app.db_url(), &args, None).expect_err("the domain is taken");
    assert!(taken.contains("another organization"), "{taken}");
    let own = cli(&app.db_url(), &["org", "signup-domain", "--org", &other.0, "--domain", "other.test"], None);
    assert_eq!(own.expect("the operator opens any free domain")["role"], "user");

    // The same answer for every address; mail only for the open domain's newcomer.
    let newcomer = format!("new@{domain}");
    let (_, member_email) = person(&app, &org, "user").await;
    let answers = [
        request(&app, &newcomer).await,
        request(&app, "someone@nowhere.test").await,
        request(&app, &member_email).await,
        request(&app, &admin_email).await,
    ];
    for a in &answers {
        assert_eq!((a.status, a.body.clone()), (answers[0].status, answers[0].body.clone()));
    }
    let mail = sink.wait(&newcomer, 1).await;
    assert!(mail.contains("Join Open Org on tessera") && mail.contains("as guest"), "{mail}");
    let url = link(&mail, &format!("{}/invitations/accept?token=", app.base));
    let mut browser = Browser::new();
    let page = browser.get(&url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let mut form = page.hidden_fields();
    form.extend([("first_name".into(), "Nia".into()), ("last_name".into(), "New".into())]);
    form.push(("password".into(), "a passphrase of mine".into()));
    let joined = browser.post(&format!("{}/invitations/accept", app.base), &form).await;
    assert_eq!(joined.status, 303, "{}", joined.body);
    let (found, _) = app.core.store().user_by_email(&newcomer).await.expect("read").expect("an account");
    assert_eq!(app.core.store().org_role(&org, &found.id).await.expect("role").as_deref(), Some("guest"));
    assert!(app.core.email_verified(&found.id).await.expect("read"), "the link proved the address");
    assert_eq!(Browser::new().get(&url).await.status, 400, "the link works once");

    // Closed: no more links.
    let close = format!("/portal/orgs/{}/signup-domains/{domain}/close", org.0);
    assert_eq!(act(&app, &mut b, &close, &[]).await.status, 303);
    assert_eq!(act(&app, &mut b, &close, &[]).await.status, 404);
    request(&app, &format!("late@{domain}")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for to in [format!("late@{domain}"), "someone@nowhere.test".into(), member_email.clone(), admin_email.clone()] {
        assert!(sink.mail_to(&to).is_empty(), "no mail to {to}");
    }

    // The security log has both changes, by the admin.
    let log = app.core.store().security_events(&org, None, 100).await.expect("log");
    let changes: Vec<_> = log.iter().filter(|e| e.kind.as_str() == "signup_domain.changed").collect();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes.iter().all(|e| e.actor.as_ref() == Some(&boss)));
}
