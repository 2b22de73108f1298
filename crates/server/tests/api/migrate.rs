//! `tessera migrate` (issue 18): an installation on SQLite copied into an empty PostgreSQL
//! database, then served from there as it was — elements, the event log and its cursors (the
//! next write continues the count), tokens, the security log — and a non-empty target or a
//! wrong kind of database refused with nothing written. The copy needs a PostgreSQL server
//! (`TESSERA_TEST_POSTGRES`, as `.ci/run`'s second pass has); the refusals run everywhere.

use crate::helpers::*;
use serde_json::{json, Value};

const ELEMENTS: &str = "query($ws: String!) { elements(workspaceId: $ws) { id type zIndex transform { x y }
    ... on Text { text } ... on Shape { kind text } comments { id } } }";
const HISTORY: &str = "query($ws: String!) { workspaceState(workspaceId: $ws) { cursor } }";

/// How many events a workspace's log holds in the database at `db`.
async fn app_events_of(db: &str, ws: &str) -> usize {
    spawn_app_on(db).await.events(ws).await.len()
}

/// A new empty PostgreSQL database, if there is a server to make one on.
async fn empty_postgres() -> Option<String> {
    postgres_server()?;
    let dir = tempfile::tempdir().expect("dir");
    Some(fresh_db(dir.path()).await)
}

#[tokio::test]
async fn an_installation_moves_from_sqlite_to_postgresql_and_is_served_as_it_was() {
    let dir = tempfile::tempdir().expect("dir");
    let src = format!("sqlite://{}", dir.path().join("one-node.db").display());
    let (org, _owner, ws) = cli_org_owner_workspace(&src, false);
    let (_bot, token) = cli_bot(&src, &org, Some(&ws), "editor");
    // A board with history: creations, an update, a deletion, a comment.
    let before = {
        let app = spawn_app_on(&src).await;
        let mut ids = Vec::new();
        for text in ["first", "second", "third"] {
            let r = app
                .gql(
                    &token,
                    "mutation($ws: String!, $t: String!) { createText(workspaceId: $ws, input: {text: $t}) { id } }",
                    json!({"ws": ws, "t": text}),
                )
                .await;
            ids.push(r["data"]["createText"]["id"].as_str().expect("id").to_string());
        }
        app.gql(&token, "mutation($ws: String!, $id: String!) { updateText(workspaceId: $ws, id: $id, input: {text: \"changed\"}) { id } }", json!({"ws": ws, "id": ids[0]})).await;
        app.gql(
            &token,
            "mutation($ws: String!, $id: String!) { delete(workspaceId: $ws, id: $id) }",
            json!({"ws": ws, "id": ids[1]}),
        )
        .await;
        let c = app.gql(&token, "mutation($ws: String!, $id: String!) { createComment(workspaceId: $ws, id: $id, input: {blocks: [{content: [{text: \"nice\"}]}]}) { id } }", json!({"ws": ws, "id": ids[2]})).await;
        assert!(c["errors"].is_null(), "{c}");
        let elements = app.gql(&token, ELEMENTS, json!({"ws": ws})).await;
        let cursor = app.gql(&token, HISTORY, json!({"ws": ws})).await["data"]["workspaceState"]["cursor"].clone();
        (elements, cursor, app.events(&ws).await.len())
    };
    // And the demo's data beside it.
    let (demo, demo_board) = {
        let app = spawn_app_on(&src).await;
        let demo = tessera::demo::seed(&app.core, &app.base).await.expect("demo");
        let board = app
            .gql(demo["bot"]["token"].as_str().expect("token"), ELEMENTS, json!({"ws": demo["workspace"]["id"]}))
            .await;
        assert_eq!(board["data"]["elements"].as_array().map(Vec::len), Some(4), "{board}");
        (demo, board)
    };

    // Refused whatever the servers: a target that is not PostgreSQL, a source that is not SQLite.
    let elsewhere = format!("sqlite://{}", dir.path().join("other.db").display());
    let err = cli(&src, &["migrate", "--from", &src, "--to", &elsewhere], None).expect_err("refused");
    assert!(err.contains("PostgreSQL"), "{err}");
    let err = cli(&src, &["migrate", "--from", "postgres://nowhere/db", "--to", "postgres://nowhere/db"], None)
        .expect_err("refused");
    assert!(err.contains("sqlite"), "{err}");
    assert!(!dir.path().join("other.db").exists(), "nothing was written");

    let Some(pg) = empty_postgres().await else {
        eprintln!("the copy itself needs TESSERA_TEST_POSTGRES (run in .ci/run's PostgreSQL pass)");
        return;
    };
    let report = cli_ok(&src, &["migrate", "--from", &src, "--to", &pg]);
    assert_eq!(report["workspaces"], 2, "{report}");
    let demo_events = app_events_of(&src, demo["workspace"]["id"].as_str().expect("id")).await;
    assert_eq!(report["tables"]["events"], json!(before.2 + demo_events), "{report}");
    assert_eq!(report["tables"]["comments"], 1, "{report}");
    assert!(report["tables"]["tokens"].as_u64().expect("tokens") >= 1, "{report}");

    // Served from PostgreSQL: the same bot token, the same board, the same cursor; the next
    // write is the next cursor.
    let app = spawn_app_on(&pg).await;
    assert_eq!(app.gql(&token, ELEMENTS, json!({"ws": ws})).await, before.0);
    let demo_token = demo["bot"]["token"].as_str().expect("token");
    assert_eq!(app.gql(demo_token, ELEMENTS, json!({"ws": demo["workspace"]["id"]})).await, demo_board);
    let cursor = app.gql(&token, HISTORY, json!({"ws": ws})).await["data"]["workspaceState"]["cursor"].clone();
    assert_eq!(cursor, before.1);
    assert_eq!(app.events(&ws).await.len(), before.2);
    let r = app
        .gql(
            &token,
            "mutation($ws: String!) { createText(workspaceId: $ws, input: {text: \"after\"}) { id } }",
            json!({"ws": ws}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let last = app.events(&ws).await.last().expect("event").cursor;
    assert_eq!(
        Value::from(last.to_string()),
        Value::from((before.1.as_str().expect("cursor").parse::<i64>().expect("n") + 1).to_string())
    );
    // A second copy into the same database is refused, and changes nothing.
    let err = cli(&src, &["migrate", "--from", &src, "--to", &pg], None).expect_err("refused");
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(app.events(&ws).await.len(), before.2 + 1);
}
