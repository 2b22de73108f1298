//! Changing and deleting workspaces (issue 16): `updateWorkspace` (archiving makes a workspace
//! read-only), `updateWorkspaceStyle` (an `UpdateWorkspaceCommand` for subscribers), and
//! `deleteWorkspace` (soft or permanent), with who may do each and what subscribers see.

use crate::helpers::*;
use crate::subscriptions::{create_text, fx, T};
use crate::wsclient::Ws;
use serde_json::{json, Value};

const UPDATE: &str =
    "mutation($ws:String!, $input:UpdateWorkspaceInput!){ updateWorkspace(workspaceId:$ws, input:$input) {
    id name description isPublic archivedAt createdAt updatedAt } }";

async fn update(app: &TestApp, token: &str, ws: &str, input: Value) -> Value {
    app.gql(token, UPDATE, json!({"ws": ws, "input": input})).await
}

#[tokio::test]
async fn owners_change_settings_and_archived_workspaces_are_read_only() {
    let f = fx().await;
    let ws = f.ws.0.as_str();
    let changed =
        update(&f.app, &f.writer, ws, json!({"name": " Renamed ", "description": "about", "isPublic": true})).await;
    let w = &changed["data"]["updateWorkspace"];
    assert_eq!(
        (w["name"].as_str(), w["description"].as_str(), w["isPublic"].as_bool()),
        (Some("Renamed"), Some("about"), Some(true)),
        "{changed}"
    );
    assert!(w["updatedAt"].as_str() > w["createdAt"].as_str() || w["updatedAt"] == w["createdAt"], "{w}");
    assert_ne!(w["updatedAt"], Value::Null);
    let stored = f.app.events(ws).await;
    let last = stored.last().expect("event");
    assert_eq!(last.payload.kind(), "workspaceUpdated");

    // Refused, changing nothing: not an owner, nothing to change, bad values, unsupported fields.
    let before = f.app.events(ws).await.len();
    for (token, input, code) in [
        (&f.reader, json!({"name": "mine"}), "FORBIDDEN"),
        (&f.writer, json!({}), "BAD_USER_INPUT"),
        (&f.writer, json!({"name": "  "}), "BAD_USER_INPUT"),
        (&f.writer, json!({"classification": "secret"}), "BAD_USER_INPUT"),
        (&f.writer, json!({"defaultRoleId": "editor"}), "BAD_USER_INPUT"),
    ] {
        let body = update(&f.app, token, ws, input.clone()).await;
        assert_eq!(error_code(&body), Some(code), "{input}: {body}");
    }
    assert_eq!(f.app.events(ws).await.len(), before, "refusals write nothing");

    // Archived: read-only for content, until unarchived with null.
    let archived = update(&f.app, &f.writer, ws, json!({"archivedAt": "2026-01-02T03:04:05Z"})).await;
    assert_eq!(archived["data"]["updateWorkspace"]["archivedAt"], "2026-01-02T03:04:05+00:00", "{archived}");
    let write = "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"t\"}) { id } }";
    let refused = f.app.gql(&f.writer, write, json!({"ws": ws})).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    assert!(refused["errors"][0]["message"].as_str().is_some_and(|m| m.contains("archived")), "{refused}");
    let read = f.app.gql(&f.reader, "query($ws:String!){ elements(workspaceId:$ws) { id } }", json!({"ws": ws})).await;
    assert!(read["errors"].is_null(), "still readable: {read}");
    let list = |archived: &str| format!("{{ workspaces{archived} {{ results {{ id }} }} }}");
    for (filter, listed) in [("", true), ("(archived: true)", true), ("(archived: false)", false)] {
        let got = f.app.gql(&f.reader, &list(filter), json!({})).await;
        let ids = got["data"]["workspaces"]["results"].as_array().cloned().unwrap_or_default();
        assert_eq!(ids.iter().any(|w| w["id"] == ws), listed, "{filter}: {got}");
    }
    let unarchived = update(&f.app, &f.writer, ws, json!({"archivedAt": null})).await;
    assert_eq!(unarchived["data"]["updateWorkspace"]["archivedAt"], Value::Null, "{unarchived}");
    create_text(&f.app, &f.writer, &f.ws, "writable again").await;
}

#[tokio::test]
async fn a_style_change_reaches_subscribers_and_privacy_ends_what_it_no_longer_allows() {
    let f = fx().await;
    let ws = f.ws.0.as_str();
    update(&f.app, &f.writer, ws, json!({"isPublic": true})).await;
    // A member of the organization who reads the workspace only because it is public.
    let (_, member) = f.app.core.admin_create_bot(&f.org, "member").await.expect("bot");
    let sub = "subscription($ws:String!){ commands(workspaceId:$ws) { __typename cursor
        ... on UpdateWorkspaceCommand { style { backgroundTheme } } } }";
    let (mut collaborator, mut public) = (Ws::ready(&f.app, T, &f.reader).await, Ws::ready(&f.app, T, &member).await);
    for ws_conn in [&mut collaborator, &mut public] {
        ws_conn.send(json!({"type": "subscribe", "id": "1", "payload": {"query": sub, "variables": {"ws": ws}}})).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let style =
        "mutation($ws:String!){ updateWorkspaceStyle(workspaceId:$ws, input:{backgroundTheme:dark}) { workspaceId } }";
    let styled = f.app.gql(&f.writer, style, json!({"ws": ws})).await;
    assert_eq!(styled["data"]["updateWorkspaceStyle"]["workspaceId"], ws, "{styled}");
    for ws_conn in [&mut collaborator, &mut public] {
        let m = ws_conn.next_msg().await;
        let c = &m["payload"]["data"]["commands"];
        assert_eq!(
            (c["__typename"].as_str(), c["style"].clone()),
            (Some("UpdateWorkspaceCommand"), json!({"backgroundTheme": "dark"})),
            "{m}"
        );
    }

    // Private again: the member's subscription ends, the collaborator's goes on.
    update(&f.app, &f.writer, ws, json!({"isPublic": false})).await;
    let m = public.next_msg().await;
    assert_eq!(m["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "{m}");
    assert_eq!(public.next_msg().await, json!({"type": "complete", "id": "1"}));
    let m = collaborator.next_msg().await;
    assert_eq!(m["payload"]["data"]["commands"]["__typename"], "UpdateWorkspaceCommand", "{m}");
    assert_eq!(m["payload"]["data"]["commands"]["style"], Value::Null, "no style change: {m}");
}

#[tokio::test]
async fn deleting_a_workspace_ends_its_subscriptions_and_hides_it() {
    for permanent in [false, true] {
        let f = fx().await;
        let ws = f.ws.0.as_str();
        let text = create_text(&f.app, &f.writer, &f.ws, "doomed").await;
        let comment = "mutation($ws:String!, $id:ID!){ createComment(workspaceId:$ws, id:$id, input:{blocks:[{content:[{text:\"c\"}]}]}) { id } }";
        assert!(f.app.gql(&f.writer, comment, json!({"ws": ws, "id": text})).await["errors"].is_null());
        let mut sub = Ws::ready(&f.app, T, &f.reader).await;
        let q = "subscription($ws:String!){ commands(workspaceId:$ws) { cursor } }";
        sub.send(json!({"type": "subscribe", "id": "1", "payload": {"query": q, "variables": {"ws": ws}}})).await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;

        let delete = "mutation($ws:ID!, $p:Boolean!){ deleteWorkspace(workspaceId:$ws, isPermanentDelete:$p) }";
        let refused = f.app.gql(&f.reader, delete, json!({"ws": ws, "p": permanent})).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"), "a viewer: {refused}");
        let deleted = f.app.gql(&f.writer, delete, json!({"ws": ws, "p": permanent})).await;
        assert_eq!(deleted["data"]["deleteWorkspace"], true, "{deleted}");

        let m = sub.next_msg().await;
        assert!(!m["payload"]["errors"].is_null(), "permanent={permanent}: {m}");
        assert_eq!(sub.next_msg().await, json!({"type": "complete", "id": "1"}));
        let read =
            f.app.gql(&f.writer, "query($ws:String!){ elements(workspaceId:$ws) { id } }", json!({"ws": ws})).await;
        assert_eq!(error_code(&read), Some("NOT_FOUND"), "{read}");
        let again = f.app.gql(&f.writer, delete, json!({"ws": ws, "p": true})).await;
        assert_eq!(error_code(&again), Some("NOT_FOUND"), "{again}");
        let mine = f.app.gql(&f.writer, "{ me { workspaces { results { id } } } }", json!({})).await;
        assert!(!mine.to_string().contains(ws), "{mine}");

        let events = f.app.events(ws).await;
        let kinds: Vec<&str> = events.iter().map(|e| e.payload.kind()).collect();
        if permanent {
            assert_eq!(kinds, vec!["workspaceDeleted"], "only the deletion is left");
            for table in ["elements", "element_versions", "comments", "collaborators"] {
                assert_eq!(rows(&f.app, table, ws).await, 0, "{table}");
            }
        } else {
            assert_eq!(kinds.last(), Some(&"workspaceDeleted"));
            assert!(kinds.contains(&"elementCreated"), "history kept: {kinds:?}");
            assert_eq!(rows(&f.app, "elements", ws).await, 1, "content kept");
        }
    }
}

/// Rows of a workspace in a table, counted behind the server's back.
async fn rows(app: &TestApp, table: &str, ws: &str) -> i64 {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.db_url()).await.expect("connect");
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE workspace_id = $1"))
        .bind(ws)
        .fetch_one(&mut conn)
        .await
        .expect("count")
}
