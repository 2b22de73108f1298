//! The rest of organization administration, over GraphQL and in the portal: the two-factor
//! requirement (`updateOrganization.mfaEnabled`), invitations (sent, listed, cancelled), bots and
//! their tokens, the apps members have authorized (revoked by an admin), and the identity
//! provider. The same rules hold on both: owners and admins only, admins never touch owners.

use crate::accounts::{app_with_mail, link, Sink};
use crate::browser::{Browser, PASSWORD};
use crate::helpers::TestApp;
use crate::members::{code, person, token};
use serde_json::{json, Value};
use tessera_core::ids::{OrgId, UserId};

const ORG: &str = "query($o:String!){ organization(organizationId:$o) { mfaEnabled invitations { id email organizationRoleId invitedById } bots { user { id } tokens { id revoked } } authorizations { member { id } clientId applicationName } identityProvider { issuer clientId defaultOrganizationRoleId } } }";
const MFA: &str =
    "mutation($o:String!,$on:Boolean){ updateOrganization(organizationId:$o, input:{mfaEnabled:$on}) { mfaEnabled } }";
const RENAME: &str = "mutation($o:String!){ updateOrganization(organizationId:$o, input:{name:\"Renamed\"}) { name } }";
const INVITE: &str = "mutation($o:String!,$e:String!,$r:ID){ inviteOrganizationMember(organizationId:$o, input:{email:$e, organizationRoleId:$r}) }";
const CANCEL: &str = "mutation($o:String!,$i:ID!){ cancelOrganizationInvitation(organizationId:$o, invitationId:$i) }";
const BOT: &str =
    "mutation($o:String!,$n:String!){ createBot(organizationId:$o, input:{name:$n}) { bot { id } tokenId token } }";
const BOT_TOKEN: &str = "mutation($b:ID!){ createBotToken(botId:$b) { bot { id } tokenId token } }";
const REVOKE_BOT_TOKEN: &str = "mutation($b:ID!,$t:ID!){ revokeBotToken(botId:$b, tokenId:$t) }";
const REVOKE_GRANT: &str =
    "mutation($o:String!,$m:ID!,$c:String!){ revokeMemberAuthorization(organizationId:$o, memberId:$m, clientId:$c) }";
const SET_IDP: &str = "mutation($o:String!,$r:ID){ setOrganizationIdentityProvider(organizationId:$o, input:{issuer:\"https://idp.example.test\", clientId:\"tessera\", clientSecret:\"s3cret\", defaultOrganizationRoleId:$r}) { issuer clientId defaultOrganizationRoleId } }";
const DELETE_IDP: &str = "mutation($o:String!){ deleteOrganizationIdentityProvider(organizationId:$o) }";

async fn alive(app: &TestApp, token: &str) -> bool {
    app.gql_status(token, "{ me { id } }", json!({})).await.0 == 200
}

fn org_of(v: &Value) -> &Value {
    &v["data"]["organization"]
}

#[tokio::test]
async fn owners_and_admins_run_the_organization_over_graphql() {
    let sink = Sink::start(0, 0).await;
    let app = app_with_mail(&sink).await;
    let org = app.core.admin_create_org("Run").await.expect("org").id;
    let o = json!({"o": org.0});
    let (owner, owner_email) = person(&app, &org, "owner").await;
    let (admin, admin_email) = person(&app, &org, "admin").await;
    let (member, member_email) = person(&app, &org, "user").await;
    let owner_t = token(&app, &owner, &owner_email, "org:admin").await;
    let admin_t = token(&app, &admin, &admin_email, "org:admin").await;
    let member_t = token(&app, &member, &member_email, "v2legacy").await;
    let admin_reader = token(&app, &admin, &admin_email, "org:read").await;
    let with = |extra: Value| {
        let mut v = o.clone();
        v.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
        v
    };

    // Who may: members, and admins without org:admin, may not look or act.
    assert_eq!(code(&app.gql(&member_t, ORG, o.clone()).await), "FORBIDDEN");
    assert_eq!(code(&app.gql(&admin_reader, ORG, o.clone()).await), "FORBIDDEN");
    assert_eq!(code(&app.gql(&member_t, MFA, with(json!({"on": true}))).await), "FORBIDDEN");
    assert_eq!(code(&app.gql(&admin_reader, MFA, with(json!({"on": true}))).await), "FORBIDDEN");
    assert_eq!(code(&app.gql(&member_t, BOT, with(json!({"n": "x"}))).await), "FORBIDDEN");

    // The two-factor requirement; a field tessera does not change is refused and changes nothing.
    let on = app.gql(&admin_t, MFA, with(json!({"on": true}))).await;
    assert_eq!(on["data"]["updateOrganization"]["mfaEnabled"], true, "{on}");
    assert!(app.core.org_requires_two_factor(&org).await.expect("read"));
    assert_eq!(code(&app.gql(&admin_t, RENAME, o.clone()).await), "BAD_USER_INPUT");
    assert_eq!(app.core.store().org(&org).await.expect("read").expect("org").name, "Run");
    let off = app.gql(&owner_t, MFA, with(json!({"on": false}))).await;
    assert_eq!(off["data"]["updateOrganization"]["mfaEnabled"], false, "{off}");

    // Invitations: the same answer for a known address; listed; cancelled, the link dies.
    let newcomer = format!("new-{}@run.test", tessera_core::ids::new_id());
    for (email, role) in [(&newcomer, "guest"), (&member_email, "user")] {
        let sent = app.gql(&admin_t, INVITE, with(json!({"e": email, "r": role}))).await;
        assert_eq!(sent["data"]["inviteOrganizationMember"], true, "{sent}");
    }
    let owner_invite = with(json!({"e": "boss@run.test", "r": "owner"}));
    assert_eq!(code(&app.gql(&admin_t, INVITE, owner_invite.clone()).await), "FORBIDDEN", "only owners");
    assert_eq!(code(&app.gql(&member_t, INVITE, with(json!({"e": "x@run.test"}))).await), "FORBIDDEN");
    assert_eq!(app.gql(&owner_t, INVITE, owner_invite).await["data"]["inviteOrganizationMember"], true);
    let listed = app.gql(&admin_t, ORG, o.clone()).await;
    let invitations = org_of(&listed)["invitations"].as_array().unwrap_or_else(|| panic!("{listed}")).clone();
    assert_eq!(invitations.len(), 3, "{listed}");
    let mine = invitations.iter().find(|i| i["email"] == newcomer.as_str()).expect("the newcomer's");
    assert_eq!((&mine["organizationRoleId"], &mine["invitedById"]), (&json!("guest"), &json!(admin.0)));
    let boss = invitations.iter().find(|i| i["email"] == "boss@run.test").expect("the owner's");
    let boss = with(json!({"i": boss["id"]}));
    assert_eq!(code(&app.gql(&admin_t, CANCEL, boss).await), "FORBIDDEN", "admins never touch owners");
    let url = link(&sink.wait(&newcomer, 1).await, &format!("{}/invitations/accept?token=", app.base));
    assert_eq!(Browser::new().get(&url).await.status, 200, "live before it is cancelled");
    let cancel = with(json!({"i": mine["id"]}));
    assert_eq!(app.gql(&admin_t, CANCEL, cancel.clone()).await["data"]["cancelOrganizationInvitation"], true);
    assert_eq!(Browser::new().get(&url).await.status, 400, "the link is dead");
    assert_eq!(code(&app.gql(&admin_t, CANCEL, cancel).await), "NOT_FOUND");
    let listed = app.gql(&admin_t, ORG, o.clone()).await;
    assert_eq!(org_of(&listed)["invitations"].as_array().expect("list").len(), 2);

    // Bots: made with a first token, a second token, one revoked; the other keeps working.
    let made = app.gql(&admin_t, BOT, with(json!({"n": "Reporter"}))).await;
    let made = &made["data"]["createBot"];
    let (bot, first) = (made["bot"]["id"].as_str().expect("bot").to_string(), made["token"].as_str().expect("token"));
    assert!(alive(&app, first).await);
    let second = app.gql(&admin_t, BOT_TOKEN, json!({"b": bot})).await;
    let second = &second["data"]["createBotToken"];
    let (second_id, second_token) = (second["tokenId"].clone(), second["token"].as_str().expect("token"));
    assert!(alive(&app, second_token).await);
    let listed = app.gql(&admin_t, ORG, o.clone()).await;
    let bots = org_of(&listed)["bots"].as_array().expect("bots").clone();
    let ours = bots.iter().find(|b| b["user"]["id"] == bot.as_str()).expect("the bot is listed");
    assert_eq!(ours["tokens"].as_array().expect("tokens").len(), 2, "{ours}");
    let revoke = json!({"b": bot, "t": second_id});
    assert_eq!(app.gql(&admin_t, REVOKE_BOT_TOKEN, revoke.clone()).await["data"]["revokeBotToken"], true);
    assert!(!alive(&app, second_token).await && alive(&app, first).await);
    // Someone who administers another organization finds no such bot.
    let elsewhere = app.core.admin_create_org("Elsewhere").await.expect("org").id;
    let (stranger, stranger_email) = person(&app, &elsewhere, "owner").await;
    let stranger_t = token(&app, &stranger, &stranger_email, "org:admin").await;
    assert_eq!(code(&app.gql(&stranger_t, BOT_TOKEN, json!({"b": bot})).await), "NOT_FOUND");
    assert_eq!(code(&app.gql(&stranger_t, REVOKE_BOT_TOKEN, revoke).await), "NOT_FOUND");

    // The apps members authorized: an admin withdraws the member's, never the owner's.
    let listed = app.gql(&admin_t, ORG, o.clone()).await;
    let grants = org_of(&listed)["authorizations"].as_array().expect("grants").clone();
    let of = |u: &UserId| grants.iter().find(|g| g["member"]["id"] == u.0.as_str()).cloned().expect("a grant");
    let (members_app, owners_app) = (of(&member)["clientId"].clone(), of(&owner)["clientId"].clone());
    let owners = with(json!({"m": owner.0, "c": owners_app}));
    assert_eq!(code(&app.gql(&admin_t, REVOKE_GRANT, owners).await), "FORBIDDEN");
    let members = with(json!({"m": member.0, "c": members_app}));
    assert_eq!(app.gql(&admin_t, REVOKE_GRANT, members.clone()).await["data"]["revokeMemberAuthorization"], true);
    assert!(!alive(&app, &member_t).await, "the grant's tokens died with it");
    assert!(alive(&app, &owner_t).await);
    assert_eq!(code(&app.gql(&admin_t, REVOKE_GRANT, members).await), "NOT_FOUND");

    // The identity provider: set (never an owner default), read without its secret, removed.
    assert_eq!(code(&app.gql(&admin_t, SET_IDP, with(json!({"r": "owner"}))).await), "BAD_USER_INPUT");
    let set = app.gql(&admin_t, SET_IDP, with(json!({"r": "guest"}))).await;
    let expected =
        json!({"issuer": "https://idp.example.test", "clientId": "tessera", "defaultOrganizationRoleId": "guest"});
    assert_eq!(set["data"]["setOrganizationIdentityProvider"], expected, "{set}");
    assert_eq!(org_of(&app.gql(&owner_t, ORG, o.clone()).await)["identityProvider"], expected);
    assert!(!set.to_string().contains("s3cret"));
    assert_eq!(app.gql(&admin_t, DELETE_IDP, o.clone()).await["data"]["deleteOrganizationIdentityProvider"], true);
    assert_eq!(app.gql(&admin_t, DELETE_IDP, o.clone()).await["data"]["deleteOrganizationIdentityProvider"], false);
    assert_eq!(org_of(&app.gql(&owner_t, ORG, o.clone()).await)["identityProvider"], Value::Null);

    // Every change is in the organization's log, with who did it.
    let q = "query($o:String!){ securityEvents(organizationId:$o, after:\"0\", limit:1000) { kind actorId } }";
    let log = app.gql(&owner_t, q, o.clone()).await;
    let events = log["data"]["securityEvents"].as_array().unwrap_or_else(|| panic!("{log}")).clone();
    for (kind, by) in [
        ("TWO_FACTOR_REQUIREMENT_CHANGED", &admin),
        ("INVITATION_SENT", &admin),
        ("INVITATION_CANCELLED", &admin),
        ("BOT_CREATED", &admin),
        ("CONSENT_WITHDRAWN", &admin),
        ("IDENTITY_PROVIDER_CHANGED", &admin),
    ] {
        assert!(events.iter().any(|e| e["kind"] == kind && e["actorId"] == by.0.as_str()), "{kind} by {by}: {log}");
    }
}

async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let mut b = Browser::new();
    assert_eq!(b.log_in(&app.base, email, PASSWORD).await.status, 303);
    b
}

/// Post the portal's form at `action` (with the page's CSRF token and `fields`).
async fn act(app: &TestApp, b: &mut Browser, action: &str, fields: &[(&str, &str)]) -> crate::browser::Page {
    let page = b.get(&format!("{}/portal", app.base)).await;
    let mut form = vec![("csrf".to_string(), page.field("csrf").expect("csrf"))];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    b.post(&format!("{}{action}", app.base), &form).await
}

#[tokio::test]
async fn the_portal_shows_admins_their_organization_and_its_forms_do_what_they_say() {
    let app = crate::helpers::spawn_app().await;
    let org: OrgId = app.core.admin_create_org("Portal Org").await.expect("org").id;
    let (owner, owner_email) = person(&app, &org, "owner").await;
    let (_, admin_email) = person(&app, &org, "admin").await;
    let (member, member_email) = person(&app, &org, "user").await;
    let member_t = token(&app, &member, &member_email, "v2legacy").await;
    let owner_t = token(&app, &owner, &owner_email, "v2legacy").await;
    let mut admin = signed_in(&app, &admin_email).await;
    let mut plain = signed_in(&app, &member_email).await;
    let base = format!("/portal/orgs/{}", org.0);

    // An admin sees the members with their roles, may change the member's but not the owner's.
    let page = admin.get(&format!("{}/portal", app.base)).await;
    assert!(page.body.contains(&member_email) && page.body.contains(&owner_email), "{}", page.body);
    assert!(page.body.contains(&format!("{base}/members/{}/role", member.0)));
    assert!(!page.body.contains(&format!("{base}/members/{}/role", owner.0)), "no form for the owner");
    let to_owner = act(&app, &mut admin, &format!("{base}/members/{}/remove", owner.0), &[]).await;
    assert_eq!(to_owner.status, 403);
    // A plain member sees no organization section, and its forms refuse them.
    let theirs = plain.get(&format!("{}/portal", app.base)).await;
    assert!(!theirs.body.contains(&format!("{base}/members")), "{}", theirs.body);
    let tried = act(&app, &mut plain, &format!("{base}/members/{}/role", owner.0), &[("role", "guest")]).await;
    assert_eq!(tried.status, 403);
    assert_eq!(act(&app, &mut plain, &format!("{base}/bots"), &[("name", "mine")]).await.status, 403);

    // The member's grant to an app is listed and revoked by the admin: its token dies.
    let page = admin.get(&format!("{}/portal", app.base)).await;
    let revoke = page
        .body
        .split('"')
        .find(|s| s.starts_with(&format!("{base}/grants/{}/", member.0)))
        .unwrap_or_else(|| panic!("the member's grant is listed: {}", page.body))
        .to_string();
    assert_eq!(act(&app, &mut admin, &revoke, &[]).await.status, 303);
    assert!(!alive(&app, &member_t).await);
    assert!(alive(&app, &owner_t).await);

    // Roles: the member becomes a guest; then is removed.
    let role = act(&app, &mut admin, &format!("{base}/members/{}/role", member.0), &[("role", "guest")]).await;
    assert_eq!(role.status, 303, "{}", role.body);
    assert_eq!(app.core.store().org_role(&org, &member).await.expect("read").as_deref(), Some("guest"));
    assert_eq!(act(&app, &mut admin, &format!("{base}/members/{}/remove", member.0), &[]).await.status, 303);
    assert_eq!(app.core.store().org_role(&org, &member).await.expect("read"), None);

    // Invitations: listed until cancelled.
    let invited = format!("invited-{}@portal.test", tessera_core::ids::new_id());
    let sent = act(&app, &mut admin, &format!("{base}/invitations"), &[("email", &invited), ("role", "user")]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let page = admin.get(&format!("{}/portal", app.base)).await;
    assert!(page.body.contains(&invited), "{}", page.body);
    let cancel = page
        .body
        .split('"')
        .find(|s| s.starts_with(&format!("{base}/invitations/")) && s.ends_with("/cancel"))
        .expect("a cancel form")
        .to_string();
    assert_eq!(act(&app, &mut admin, &cancel, &[]).await.status, 303);
    assert!(!admin.get(&format!("{}/portal", app.base)).await.body.contains(&invited));
    assert_eq!(act(&app, &mut admin, &cancel, &[]).await.status, 404, "cancelled already");

    // Bots: created with a token shown once, and a further token; both work.
    let made = act(&app, &mut admin, &format!("{base}/bots"), &[("name", "Night shift")]).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let first = crate::portal::between(&made.body, "<code id=\"bot-token\">", "</code>").expect("token").to_string();
    assert!(alive(&app, &first).await);
    let bot = app.core.store().bots_of_org(&org).await.expect("bots").into_iter().next().expect("the bot").id;
    let more = act(&app, &mut admin, &format!("/portal/bots/{}/tokens", bot.0), &[]).await;
    assert_eq!(more.status, 201, "{}", more.body);
    let second = crate::portal::between(&more.body, "<code id=\"bot-token\">", "</code>").expect("token").to_string();
    assert!(second != first && alive(&app, &second).await);
    let page = admin.get(&format!("{}/portal", app.base)).await;
    assert!(page.body.contains("Night shift") && !page.body.contains(&first), "tokens are not shown again");
}
