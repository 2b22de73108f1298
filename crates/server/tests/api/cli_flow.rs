//! The foundation's main story, set up through the CLI binary and exercised over HTTP.

use crate::helpers::*;
use serde_json::json;
use tessera_core::event::EventPayload;

const CREATE_TEXT: &str = "mutation($ws: String!, $text: String!) {
  createText(workspaceId: $ws, input: {text: $text, transform: {x: 10, y: 20}}) { id text transform { x y scaleX } } }";
const CREATE_SHAPE: &str = "mutation($ws: String!) {
  createShape(workspaceId: $ws, input: {style: {stickyShape: {kind: StickySquare}}, text: \"note\"}) { id kind text } }";
const ELEMENTS: &str =
    "query($ws: String!) { elements(workspaceId: $ws) { id type ... on Text { text } ... on Shape { kind text } } }";

#[tokio::test]
async fn bots_from_the_cli_create_update_delete_with_events_and_roles() {
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_db(dir.path()).await;
    let (org, _owner, ws) = cli_org_owner_workspace(&db, false);
    let (_a, token_a) = cli_bot(&db, &org, Some(&ws), "editor");
    let (_b, token_b) = cli_bot(&db, &org, Some(&ws), "viewer");
    let other_org = id(&cli_ok(&db, &["org", "create", "--name", "Elsewhere"]));
    let (_c, token_c) = cli_bot(&db, &other_org, None, "viewer");
    let app = spawn_app_on(&db).await;
    let v = |extra: serde_json::Value| {
        let mut base = json!({"ws": ws});
        base.as_object_mut().expect("obj").extend(extra.as_object().expect("obj").clone());
        base
    };

    // Bot A (editor) creates a Text and a Shape.
    let text = app.gql(&token_a, CREATE_TEXT, v(json!({"text": "hello"}))).await;
    assert!(text["errors"].is_null(), "{text}");
    let text_id = text["data"]["createText"]["id"].as_str().expect("text id").to_string();
    assert_eq!(text["data"]["createText"]["transform"], json!({"x": 10.0, "y": 20.0, "scaleX": 1.0}));
    let shape = app.gql(&token_a, CREATE_SHAPE, v(json!({}))).await;
    let shape_id = shape["data"]["createShape"]["id"].as_str().expect("shape id").to_string();
    assert_eq!(shape["data"]["createShape"]["kind"], "StickySquare");

    // ... updates both ...
    let upd = app
        .gql(&token_a, "mutation($ws: String!, $id: String!) { updateText(workspaceId: $ws, id: $id, input: {text: \"bye\"}) { id } }", v(json!({"id": text_id})))
        .await;
    assert_eq!(upd["data"]["updateText"]["id"], text_id.as_str(), "{upd}");
    let upd = app
        .gql(&token_a, "mutation($ws: String!, $id: String!) { updateShape(workspaceId: $ws, id: $id, input: {style: {regularShape: {kind: Ellipse}}}) { id } }", v(json!({"id": shape_id})))
        .await;
    assert_eq!(upd["data"]["updateShape"]["id"], shape_id.as_str(), "{upd}");

    // ... and each change shows in `elements`.
    let list = app.gql(&token_b, ELEMENTS, v(json!({}))).await;
    let items = list["data"]["elements"].as_array().expect("elements");
    assert_eq!(items.len(), 2, "{list}");
    assert!(items.iter().any(|e| e["id"] == text_id.as_str() && e["text"] == "bye"));
    assert!(items.iter().any(|e| e["id"] == shape_id.as_str() && e["kind"] == "Ellipse"));

    // Deletes both.
    for id in [&text_id, &shape_id] {
        let del = app
            .gql(
                &token_a,
                "mutation($ws: String!, $id: String!) { delete(workspaceId: $ws, id: $id) }",
                v(json!({"id": id})),
            )
            .await;
        assert_eq!(del["data"]["delete"], true, "{del}");
    }
    let list = app.gql(&token_b, ELEMENTS, v(json!({}))).await;
    assert_eq!(list["data"]["elements"], json!([]));

    // One event per change, cursors increasing, in the order of the changes.
    let events = app.events(&ws).await;
    let kinds: Vec<&str> = events.iter().map(|e| e.payload.kind()).collect();
    assert_eq!(
        kinds,
        [
            "collaboratorAdded",
            "collaboratorAdded",
            "elementCreated",
            "elementCreated",
            "elementUpdated",
            "elementUpdated",
            "elementDeleted",
            "elementDeleted"
        ]
    );
    let cursors: Vec<i64> = events.iter().map(|e| e.cursor).collect();
    assert_eq!(cursors, (1..=8).collect::<Vec<_>>());
    match &events[4].payload {
        EventPayload::ElementUpdated { element_id, data, .. } => {
            assert_eq!(element_id.as_str(), text_id);
            let blocks = json!([{"block": {"align": "left", "content": [{"text": "bye"}]}}]);
            assert_eq!(data, &json!({"text": "bye", "blocks": blocks}), "the change, with the blocks the text makes");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(events[2..].iter().all(|e| e.actor.kind == tessera_core::model::ActorType::Bot));

    // Bot B (viewer) reads but may not write: FORBIDDEN, and nothing is written.
    let before = (app.events(&ws).await.len(), app.element_count(&ws).await);
    let denied = app.gql(&token_b, CREATE_TEXT, v(json!({"text": "nope"}))).await;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"), "{denied}");
    assert!(denied["data"].is_null() || denied["data"]["createText"].is_null());
    assert_eq!((app.events(&ws).await.len(), app.element_count(&ws).await), before);

    // A bot of another organization cannot see that the workspace exists.
    let hidden = app.gql(&token_c, "query($ws: String!) { workspace(workspaceId: $ws) { id } }", v(json!({}))).await;
    assert_eq!(error_code(&hidden), Some("NOT_FOUND"), "{hidden}");
    let hidden = app.gql(&token_c, ELEMENTS, v(json!({}))).await;
    assert_eq!(error_code(&hidden), Some("NOT_FOUND"), "{hidden}");
    let denied = app.gql(&token_c, CREATE_TEXT, v(json!({"text": "x"}))).await;
    assert_eq!(error_code(&denied), Some("NOT_FOUND"), "{denied}");
}

#[tokio::test]
async fn me_lists_profile_organizations_and_workspaces() {
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_db(dir.path()).await;
    let (org, _owner, ws) = cli_org_owner_workspace(&db, false);
    let _ = cli_org_owner_workspace(&db, true); // another org's public workspace: not visible
    let (bot, token) = cli_bot(&db, &org, Some(&ws), "commenter");
    let app = spawn_app_on(&db).await;
    let me = app
        .gql(
            &token,
            "{ me { profile { id firstName type applicationRole { name } } organizations { totalItems results { id name } }
               workspaces { totalItems results { id name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["profile"]["id"], bot.as_str(), "{me}");
    assert_eq!(me["data"]["me"]["profile"]["type"], "bot");
    assert_eq!(me["data"]["me"]["profile"]["applicationRole"]["name"], "App");
    assert_eq!(me["data"]["me"]["organizations"], json!({"totalItems": 1, "results": [{"id": org, "name": "Acme"}]}));
    assert_eq!(me["data"]["me"]["workspaces"], json!({"totalItems": 1, "results": [{"id": ws, "name": "Board"}]}));
    let roles = app
        .gql(&token, "{ roles(filtering: {resourceType: {eq: Workspace}}) { results { id permissions } } }", json!({}))
        .await;
    let ids: Vec<&str> =
        roles["data"]["roles"]["results"].as_array().expect("roles").iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["owner", "editor-plus", "editor", "commenter", "viewer"]);
}

#[tokio::test]
async fn public_workspaces_are_readable_by_members_of_their_organization() {
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_db(dir.path()).await;
    let (org, _owner, ws) = cli_org_owner_workspace(&db, true);
    let (_m, member) = cli_bot(&db, &org, None, "viewer");
    let other = id(&cli_ok(&db, &["org", "create", "--name", "Other"]));
    let (_o, outsider) = cli_bot(&db, &other, None, "viewer");
    let app = spawn_app_on(&db).await;
    let q = "query($ws: String!) { workspace(workspaceId: $ws) { id isPublic } }";
    let seen = app.gql(&member, q, json!({"ws": ws})).await;
    assert_eq!(seen["data"]["workspace"]["isPublic"], true, "{seen}");
    let denied = app.gql(&member, CREATE_TEXT, json!({"ws": ws, "text": "x"})).await;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"));
    let hidden = app.gql(&outsider, q, json!({"ws": ws})).await;
    assert_eq!(error_code(&hidden), Some("NOT_FOUND"));
}

#[tokio::test]
async fn cli_errors_are_one_line_nonzero_and_write_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_db(dir.path()).await;
    let (org, _owner, ws) = cli_org_owner_workspace(&db, false);
    let email = "dup@example.test";
    cli(&db, &["user", "create", "--email", email, "--password-stdin"], Some("long-enough\n")).expect("first");
    let err = cli(&db, &["user", "create", "--email", "DUP@example.test", "--password-stdin"], Some("long-enough\n"))
        .expect_err("dup");
    assert!(err.contains("already exists") && !err.contains('\n'), "{err}");
    let err = cli(&db, &["user", "create", "--email", "short@example.test", "--password-stdin"], Some("short\n"))
        .expect_err("pw");
    assert!(err.contains("at least"), "{err}");
    let err = cli(&db, &["user", "create", "--email", "not-an-email", "--password-stdin"], Some("long-enough\n"))
        .expect_err("email");
    assert!(err.contains("not a valid email"), "{err}");
    let err =
        cli(&db, &["workspace", "add-collaborator", "--workspace", &ws, "--user", "nobody", "--role", "editor"], None)
            .expect_err("user");
    assert!(err.contains("user not found"), "{err}");
    let err = cli(&db, &["workspace", "add-collaborator", "--workspace", &ws, "--user", "x", "--role", "boss"], None)
        .expect_err("role");
    assert!(err.contains("boss"), "{err}");
    let err =
        cli(&db, &["workspace", "create", "--org", "missing", "--name", "W", "--owner", "x"], None).expect_err("org");
    assert!(err.contains("organization not found"), "{err}");
    let other = id(&cli_ok(&db, &["org", "create", "--name", "Other"]));
    let (stranger, _) = cli_bot(&db, &other, None, "viewer");
    let err =
        cli(&db, &["workspace", "add-collaborator", "--workspace", &ws, "--user", &stranger, "--role", "viewer"], None)
            .expect_err("foreign bot");
    assert!(err.contains("own organization"), "{err}");
    let err = cli(&db, &["org", "create", "--name", "   "], None).expect_err("empty name");
    assert!(err.contains("must not be empty"), "{err}");
    // An unreachable or unknown database: one clear line, and no password in it.
    let err = cli("postgres://app:hunter2@127.0.0.1:1/tessera", &["org", "create", "--name", "X"], None)
        .expect_err("unreachable");
    assert!(err.contains("cannot open database postgres://app:***@127.0.0.1:1/tessera"), "{err}");
    assert!(!err.contains("hunter2") && err.lines().count() == 1, "{err}");
    let err = cli("mysql://db/x", &["org", "create", "--name", "X"], None).expect_err("unknown scheme");
    assert!(err.contains("expected sqlite://PATH or postgres://"), "{err}");

    // None of the failures wrote anything.
    let app = spawn_app_on(&db).await;
    assert_eq!(app.events(&ws).await.len(), 0);
    let _ = org;
}

#[tokio::test]
async fn bot_tokens_are_several_and_revocable() {
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_db(dir.path()).await;
    let (org, _owner, ws) = cli_org_owner_workspace(&db, false);
    let (bot, first) = cli_bot(&db, &org, Some(&ws), "viewer");
    let second = cli_ok(&db, &["bot", "token", "create", "--bot", &bot]);
    let second_token = second["token"].as_str().expect("token").to_string();
    assert!(second_token.starts_with("tsr_bot_") && first.starts_with("tsr_bot_"));
    let list = cli_ok(&db, &["bot", "token", "list", "--bot", &bot]);
    assert_eq!(list["tokens"].as_array().expect("tokens").len(), 2);
    assert!(!list.to_string().contains(&first), "token list must not show tokens");

    let app = spawn_app_on(&db).await;
    let me = "{ me { profile { id } } }";
    assert_eq!(app.gql(&first, me, json!({})).await["data"]["me"]["profile"]["id"], bot.as_str());
    // The server has just accepted (and cached) the second token; revoked by another process,
    // it stops working once the revocation poll (every 500 ms) sees it, well before the cache's
    // own 60-second bound (the wait below gives up at 30 s, so the poll is what is tested).
    assert_eq!(app.gql(&second_token, me, json!({})).await["data"]["me"]["profile"]["id"], bot.as_str());
    cli_ok(&db, &["bot", "token", "revoke", "--id", &id(&second)]);
    let revoked_at = std::time::Instant::now();
    let (status, body) = loop {
        let (status, body) = app.gql_status(&second_token, me, json!({})).await;
        if status != 200 || revoked_at.elapsed() > std::time::Duration::from_secs(30) {
            break (status, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!((status, error_code(&body)), (401, Some("UNAUTHENTICATED")));
    println!("revoked by the command line → refused after {:?}", revoked_at.elapsed());
    assert_eq!(app.gql(&first, me, json!({})).await["data"]["me"]["profile"]["id"], bot.as_str());
    // The store keeps only hashes: no stored byte (SQLite file and WAL) or value (PostgreSQL)
    // holds a token.
    let stored: Vec<u8> = if postgres_server().is_some() {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&db).await.expect("connect");
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT row_to_json(t)::text FROM tokens t").fetch_all(&mut conn).await.expect("tokens");
        assert_eq!(rows.len(), 2);
        rows.into_iter().flat_map(|(r,)| r.into_bytes()).collect()
    } else {
        let mut raw = std::fs::read(dir.path().join("tessera.db")).expect("db file");
        raw.extend(std::fs::read(dir.path().join("tessera.db-wal")).unwrap_or_default());
        raw
    };
    for t in [&first, &second_token] {
        let needle = t.as_bytes();
        assert!(!stored.windows(needle.len()).any(|w| w == needle));
    }
}
