//! RFC 8693 token exchange: a backend holding a bot token gets a short-lived, read-only token
//! for its browser user, bound to one workspace the bot can read, dying with the bot token.

use crate::browser::token_request;
use crate::helpers::*;
use serde_json::json;
use tessera_core::service::NewWorkspace;

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";

#[tokio::test]
async fn a_bot_token_is_exchanged_for_a_read_only_workspace_token() {
    let app = spawn_app().await;
    let org = app.core.admin_create_org("X").await.expect("org").id;
    let (bot, bot_token) = app.core.admin_create_bot(&org, "backend").await.expect("bot");
    let mut ws = Vec::new();
    for name in ["A", "B"] {
        let input = NewWorkspace { org_id: org.clone(), name: name.into(), description: None, is_public: false };
        ws.push(app.core.admin_create_workspace(input, &bot.id).await.expect("ws").id);
    }
    let other_org = app.core.admin_create_org("Y").await.expect("org").id;
    let (stranger, _) = app.core.admin_create_bot(&other_org, "s").await.expect("bot");
    let input = NewWorkspace { org_id: other_org, name: "C".into(), description: None, is_public: false };
    let foreign = app.core.admin_create_workspace(input, &stranger.id).await.expect("ws").id;
    let resource = |id: &str| format!("urn:tessera:workspace:{id}");
    let exchange = |resource: String, scope: &'static str, subject: String, subject_type: &'static str| {
        let app = &app;
        async move {
            let form = [
                ("grant_type", EXCHANGE),
                ("subject_token", subject.as_str()),
                ("subject_token_type", subject_type),
                ("resource", resource.as_str()),
                ("scope", scope),
            ];
            token_request(app, &form, None).await
        }
    };

    let (s, h, t) = exchange(resource(&ws[0].0), "elements:read", bot_token.clone(), ACCESS).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(t["issued_token_type"], ACCESS);
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["scope"], "elements:read");
    assert!(t["expires_in"].as_i64().is_some_and(|e| e > 0 && e <= 900), "{t}");
    assert!(t.get("refresh_token").is_none());
    let token = t["access_token"].as_str().expect("token").to_string();
    let read = "query($ws:String!){ elements(workspaceId:$ws) { id } }";
    assert!(app.gql(&token, read, json!({"ws": ws[0].0})).await["errors"].is_null());
    assert_eq!(
        error_code(&app.gql(&token, read, json!({"ws": ws[1].0})).await),
        Some("NOT_FOUND"),
        "bound to one workspace"
    );
    let write = "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"x\"}) { id } }";
    assert_eq!(error_code(&app.gql(&token, write, json!({"ws": ws[0].0})).await), Some("FORBIDDEN"), "read-only");
    // Content only: the people in the workspace (their e-mail addresses) are not for a kiosk.
    let person = tessera_core::service::NewPerson {
        email: "colleague@people.test".into(),
        password: "a long password".into(),
        org: Some((org.clone(), "user".into())),
        ..Default::default()
    };
    let colleague = app.core.admin_create_user(person).await.expect("person").id;
    app.core.admin_add_collaborator(&ws[0], &colleague, "viewer").await.expect("add");
    let people = "query($ws:String!){ workspace(workspaceId:$ws) { id
        collaborators { results { collaborator { ... on User { email } } } } } }";
    let body = app.gql(&token, people, json!({"ws": ws[0].0})).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    assert!(!body.to_string().contains("colleague@people.test"), "{body}");
    let seen = app.gql(&bot_token, people, json!({"ws": ws[0].0})).await;
    assert!(seen.to_string().contains("colleague@people.test"), "the bot itself may see them: {seen}");

    // Refusals.
    let (_, _, e) = exchange(resource(&ws[0].0), "elements:write", bot_token.clone(), ACCESS).await;
    assert_eq!(e["error"], "invalid_scope");
    let (_, _, e) = exchange(resource(&foreign.0), "elements:read", bot_token.clone(), ACCESS).await;
    assert_eq!(e["error"], "invalid_target", "a workspace the bot cannot read");
    let (_, _, e) = exchange("https://elsewhere".into(), "elements:read", bot_token.clone(), ACCESS).await;
    assert_eq!(e["error"], "invalid_target");
    let (_, _, e) = exchange(resource(&ws[0].0), "elements:read", "tsr_bot_forged".into(), ACCESS).await;
    assert_eq!(e["error"], "invalid_grant");
    let (_, _, e) = exchange(resource(&ws[0].0), "elements:read", token.clone(), ACCESS).await;
    assert_eq!(e["error"], "invalid_grant", "an exchanged token cannot be exchanged again");
    let (_, _, e) =
        exchange(resource(&ws[0].0), "elements:read", bot_token.clone(), "urn:ietf:params:oauth:token-type:jwt").await;
    assert_eq!(e["error"], "invalid_request");

    // Revoking the bot token kills what was exchanged for it.
    let bot_token_id = app.core.admin_tokens(&bot.id).await.expect("tokens")[0].id.clone();
    app.core.admin_revoke_token(&bot_token_id).await.expect("revoke");
    assert_eq!(app.gql_status(&token, read, json!({"ws": ws[0].0})).await.0, 401);
    let meta: serde_json::Value = app
        .client
        .get(format!("{}/.well-known/oauth-authorization-server", app.base))
        .send()
        .await
        .expect("m")
        .json()
        .await
        .expect("j");
    assert!(meta["grant_types_supported"].as_array().expect("list").iter().any(|g| g == EXCHANGE));
}
