//! Organization administration over GraphQL (`addMember`, `updateMemberRole`,
//! `deleteOrganizationMember`): who may do what, the security log, and that taking membership
//! away ends at once what it allowed, on every node: their tokens no longer reach the
//! organization, and their open subscriptions that relied on it (a public workspace, the
//! security log) end; everything else their tokens allow goes on.

use crate::browser::{authorize, confidential_app, params, person_with_workspaces, redeem, Browser, PASSWORD};
use crate::helpers::TestApp;
use crate::subscriptions::{subscribe, T};
use crate::wsclient::Ws;
use serde_json::{json, Value};
use tessera_core::ids::{OrgId, UserId};
use tessera_core::service::{NewPerson, NewWorkspace};

pub async fn person(app: &TestApp, org: &OrgId, role: &str) -> (UserId, String) {
    let email = format!("{}-{role}@members.test", tessera_core::ids::new_id());
    let p = NewPerson {
        email: email.clone(),
        password: PASSWORD.into(),
        first_name: role.into(),
        last_name: "Person".into(),
        org: Some((org.clone(), role.into())),
    };
    (app.core.admin_create_user(p).await.expect("person").id, email)
}

/// An access token of `email` for `scope`, through the authorization code flow.
pub async fn token(app: &TestApp, user: &UserId, email: &str, scope: &str) -> String {
    let (cid, secret) = confidential_app(app, user).await;
    let back = authorize(app, &mut Browser::new(), email, &params(&cid, scope)).await;
    let (status, t) = redeem(app, (&cid, &secret), &back["code"]).await;
    assert_eq!(status, 200, "{t}");
    t["access_token"].as_str().expect("token").to_string()
}

const ADD: &str = "mutation($org:String!,$id:ID!,$role:ID){ addMember(organizationId:$org, input:{id:$id, organizationRoleId:$role}) { member { ... on User { id } } organizationRole { id } } }";
const ROLE: &str = "mutation($org:ID!,$id:ID!,$role:ID!){ updateMemberRole(organizationId:$org, memberId:$id, input:{organizationRoleId:$role}) { organizationRole { id } } }";
const REMOVE: &str =
    "mutation($org:String!,$id:ID!){ deleteOrganizationMember(organizationId:$org, input:{memberId:$id}) }";

const WORKSPACE: &str = "query($ws:String!){ workspace(workspaceId:$ws) { id } }";
const ME: &str = "{ me { profile { id } } }";
const LOG: &str = "subscription($o:String!){ securityEvents(organizationId:$o) { kind } }";

/// The operation `id` ends with `FORBIDDEN`, then `complete`.
async fn ended(ws: &mut Ws, id: &str) {
    let m = ws.next_msg().await;
    assert_eq!((m["id"].as_str(), code(&m["payload"])), (Some(id), "FORBIDDEN"), "{m}");
    assert_eq!(ws.next_msg().await, json!({"type": "complete", "id": id}));
}

#[track_caller]
pub fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error: {body}"))
}

#[tokio::test]
async fn owners_and_admins_manage_members_and_taking_membership_away_ends_its_access_at_once() {
    let app = crate::helpers::spawn_app().await;
    let (org, member, member_email, _) = person_with_workspaces(&app).await;
    let (owner, owner_email) = person(&app, &org, "owner").await;
    let (admin, admin_email) = person(&app, &org, "admin").await;
    let owner_t = token(&app, &owner, &owner_email, "org:admin").await;
    let admin_t = token(&app, &admin, &admin_email, "org:admin").await;
    let member_t = token(&app, &member, &member_email, "v2legacy").await;
    let vars = |id: &UserId, role: Option<&str>| json!({"org": org.0, "id": id.0, "role": role});

    // Only owners and admins, with org:admin (or the legacy v2legacy); admins never touch owners.
    assert_eq!(code(&app.gql(&member_t, REMOVE, vars(&admin, None)).await), "FORBIDDEN");
    let admin_reader = token(&app, &admin, &admin_email, "elements:read").await;
    assert_eq!(code(&app.gql(&admin_reader, REMOVE, vars(&member, None)).await), "FORBIDDEN", "needs org:admin");
    assert_eq!(code(&app.gql(&admin_t, ROLE, vars(&owner, Some("user"))).await), "FORBIDDEN");
    assert_eq!(code(&app.gql(&admin_t, ROLE, vars(&member, Some("owner"))).await), "FORBIDDEN");
    assert_eq!(code(&app.gql(&owner_t, ROLE, vars(&owner, Some("admin"))).await), "CONFLICT", "the last owner");
    assert_eq!(code(&app.gql(&owner_t, ROLE, vars(&member, Some("chief"))).await), "BAD_USER_INPUT");

    // A public workspace of the organization: the member reads it by membership alone.
    let public = NewWorkspace { org_id: org.clone(), name: "Everyone".into(), description: None, is_public: true };
    let public = app.core.admin_create_workspace(public, &owner).await.expect("ws").id;
    let mut ws = Ws::ready(&app, T, &member_t).await;
    ws.send(subscribe("s", &public, Some(0))).await;
    let owner_pw = token(&app, &owner, &owner_email, "v2legacy").await;
    let id = crate::subscriptions::create_text(&app, &owner_pw, &public, "hello").await;
    let m = ws.next_msg().await;
    assert_eq!(m["payload"]["data"]["commands"]["element"]["id"], id.as_str(), "{m}");

    // An admin removes the member: that subscription ends and the workspace is out of reach;
    // their token still works for everything else.
    let removed = app.gql(&admin_t, REMOVE, vars(&member, None)).await;
    assert_eq!(removed["data"]["deleteOrganizationMember"], true, "{removed}");
    ended(&mut ws, "s").await;
    let read = app.gql(&member_t, WORKSPACE, json!({"ws": public.0})).await;
    assert_eq!(code(&read), "NOT_FOUND", "{read}");
    assert_eq!(app.gql_status(&member_t, ME, json!({})).await.0, 200, "the token itself stays good");
    assert_eq!(code(&app.gql(&admin_t, REMOVE, vars(&member, None)).await), "NOT_FOUND", "gone already");

    // Added back with a role; lowering it ends what only the higher one allowed (an admin's
    // security log subscription), not the rest.
    let added = app.gql(&admin_t, ADD, vars(&member, Some("admin"))).await;
    assert_eq!(added["data"]["addMember"]["organizationRole"]["id"], "admin", "{added}");
    assert_eq!(code(&app.gql(&admin_t, ADD, vars(&member, None)).await), "CONFLICT", "already a member");
    assert_eq!(code(&app.gql(&admin_t, ADD, vars(&owner, Some("owner"))).await), "CONFLICT");
    let mut ws = Ws::ready(&app, T, &member_t).await;
    ws.send(json!({"id": "log", "type": "subscribe", "payload": {"query": LOG, "variables": {"o": org.0}}})).await;
    ws.send(subscribe("s", &public, None)).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let raised = app.gql(&owner_t, ROLE, vars(&member, Some("owner"))).await;
    assert_eq!(raised["data"]["updateMemberRole"]["organizationRole"]["id"], "owner", "{raised}");
    let lowered = app.gql(&owner_t, ROLE, vars(&member, Some("guest"))).await;
    assert_eq!(lowered["data"]["updateMemberRole"]["organizationRole"]["id"], "guest", "{lowered}");
    // The log's live events (the two role changes) may come first; then it ends.
    loop {
        let m = ws.next_msg().await;
        if m["type"] == "next" && m["payload"]["data"]["securityEvents"].is_object() {
            continue;
        }
        assert_eq!((m["id"].as_str(), code(&m["payload"])), (Some("log"), "FORBIDDEN"), "{m}");
        break;
    }
    assert_eq!(ws.next_msg().await, json!({"type": "complete", "id": "log"}));
    // A guest still reads the public workspace: that subscription goes on.
    let id = crate::subscriptions::create_text(&app, &owner_pw, &public, "still here").await;
    let m = ws.next_msg().await;
    assert_eq!(
        (m["id"].as_str(), m["payload"]["data"]["commands"]["element"]["id"].as_str()),
        (Some("s"), Some(id.as_str()))
    );

    // Everything is in the organization's security log, the removal included.
    let q =
        "query($o:String!){ securityEvents(organizationId:$o, after:\"0\", limit:1000) { kind subjectId actorId } }";
    let log = app.gql(&owner_t, q, json!({"o": org.0})).await;
    let kinds: Vec<(String, String)> = log["data"]["securityEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"))
        .iter()
        .filter(|e| e["subjectId"] == member.0.as_str())
        .map(|e| {
            (e["kind"].as_str().unwrap_or_default().to_string(), e["actorId"].as_str().unwrap_or_default().to_string())
        })
        .collect();
    for (kind, by) in [("MEMBER_REMOVED", &admin), ("MEMBER_ADDED", &admin), ("MEMBER_ROLE_CHANGED", &owner)] {
        assert!(kinds.iter().any(|(k, a)| k == kind && a == &by.0), "{kind} by {by}: {kinds:?}");
    }
}

#[tokio::test]
async fn a_removal_on_one_node_ends_the_subscriptions_it_allowed_on_another() {
    let (nodes, _dir) = crate::helpers::nodes_on_one_database(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let (org, member, member_email, _) = person_with_workspaces(a).await;
    let (owner, owner_email) = person(a, &org, "owner").await;
    let public = NewWorkspace { org_id: org.clone(), name: "Everyone".into(), description: None, is_public: true };
    let public = a.core.admin_create_workspace(public, &owner).await.expect("ws").id;
    let member_t = token(a, &member, &member_email, "v2legacy").await;
    let owner_t = token(a, &owner, &owner_email, "org:admin").await;
    // The member follows the public workspace on node B; the owner removes them on node A.
    let mut ws = Ws::ready(b, T, &member_t).await;
    ws.send(subscribe("s", &public, None)).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let removed = a.gql(&owner_t, REMOVE, json!({"org": org.0, "id": member.0})).await;
    assert_eq!(removed["data"]["deleteOrganizationMember"], true, "{removed}");
    ended(&mut ws, "s").await;
    assert_eq!(b.gql_status(&member_t, ME, json!({})).await.0, 200);
}
