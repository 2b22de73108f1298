//! Bad input of every kind gets a clear error and changes nothing.

use crate::helpers::*;
use serde_json::{json, Value};

struct Fixture {
    app: TestApp,
    ws: String,
    token: String,
    text_id: String,
    grid_id: String,
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let org = app.core.admin_create_org("Bad").await.expect("org").id;
    let (bot, token) = app.core.admin_create_bot(&org, "b").await.expect("bot");
    let input =
        tessera_core::service::NewWorkspace { org_id: org, name: "W".into(), description: None, is_public: false };
    let ws = app.core.admin_create_workspace(input, &bot.id).await.expect("ws").id.0;
    let made = app
        .gql(
            &token,
            "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"keep\"}) { id } }",
            json!({"ws": ws}),
        )
        .await;
    let text_id = made["data"]["createText"]["id"].as_str().expect("id").to_string();
    let grid = "mutation($ws:String!,$t:String!){ createGrid(workspaceId:$ws, input:{rowCount:2, columnCount:2, cells:[{elementId:$t, row:1, column:1}]}) { id } }";
    let made = app.gql(&token, grid, json!({"ws": ws, "t": text_id})).await;
    let grid_id = made["data"]["createGrid"]["id"].as_str().unwrap_or_else(|| panic!("{made}")).to_string();
    Fixture { app, ws, token, text_id, grid_id }
}

impl Fixture {
    async fn state(&self) -> (usize, String) {
        let q = "query($ws:String!){ elements(workspaceId:$ws) { id ... on Text { text transform { x y } }
            ... on Grid { rowCount columnCount cells { elementId row column } style { cellWidth } } } }";
        let els = self.app.gql(&self.token, q, json!({"ws": self.ws})).await;
        (self.app.events(&self.ws).await.len(), els["data"].to_string())
    }
}

#[tokio::test]
async fn bad_graphql_input_is_refused_with_a_code_and_writes_nothing() {
    let f = fixture().await;
    let huge = "x".repeat(100_001);
    let many_points: Vec<Value> = (0..20_002).map(|i| json!(i)).collect();
    let cases: Vec<(&str, String, Value, &str)> = vec![
        ("wrong type", "mutation($ws:String!){ createText(workspaceId:$ws, input:{text: 123}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("wrong variable type", "mutation($ws:String!, $t:String!){ createText(workspaceId:$ws, input:{text:$t}) { id } }".into(), json!({"t": {"a": 1}}), "BAD_USER_INPUT"),
        ("huge string", "mutation($ws:String!, $t:String!){ createText(workspaceId:$ws, input:{text:$t}) { id } }".into(), json!({"t": huge}), "BAD_USER_INPUT"),
        ("infinite coordinate", "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"a\", transform:{x:1e400, y:0}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("coordinate out of range", "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"a\", transform:{x:1e12, y:0}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("zero scale", "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"a\", transform:{x:0, y:0, scaleX:0}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("negative size", "mutation($ws:String!){ createShape(workspaceId:$ws, input:{style:{regularShape:{kind:Star5, width:-1}}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("style not an object", "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"a\", style: 5}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("colour channel out of range", "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"a\", style:{color:{r:256}}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("alpha out of range", "mutation($ws:String!){ createCanvas(workspaceId:$ws, input:{name:\"c\", style:{fillColor:{a:2}}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("font size not a size", "mutation($ws:String!){ createShape(workspaceId:$ws, input:{style:{regularShape:{kind:Diamond}}, textStyle:{fontSize:\"big\"}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("zero font size", "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"a\", style:{fontSize:0}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("both shape styles", "mutation($ws:String!){ createShape(workspaceId:$ws, input:{style:{regularShape:{kind:Diamond}, stickyShape:{kind:StickySquare}}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("no shape style", "mutation($ws:String!){ createShape(workspaceId:$ws, input:{style:{}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("text and blocks", "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"a\", blocks:[{text:\"b\"}]}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("a block of two kinds", "mutation($ws:String!){ createText(workspaceId:$ws, input:{blocks:[{text:\"b\", block:{text:\"c\"}}]}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("empty canvas name", "mutation($ws:String!){ createCanvas(workspaceId:$ws, input:{name:\"  \"}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("attached to a surface", "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"a\", surface:\"x\"}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("relative to an unknown element", "mutation($ws:String!){ createText(relativeToOriginOf:\"nope\", workspaceId:$ws, input:{text:\"a\"}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("empty stroke", "mutation($ws:String!){ createStroke(workspaceId:$ws, input:{points: []}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("odd stroke coordinates", "mutation($ws:String!){ createStroke(workspaceId:$ws, input:{points: [0, 1, 2]}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("too many points", "mutation($ws:String!, $p:[Float!]!){ createStroke(workspaceId:$ws, input:{points:$p}) { id } }".into(), json!({"p": many_points}), "BAD_USER_INPUT"),
        ("line point of two kinds", "mutation($ws:String!){ createLine(workspaceId:$ws, input:{start:{absolute:{x:0}, anchor:{id:\"a\", u:0, v:0}}, end:{absolute:{x:1}}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("anchor outside its element", "mutation($ws:String!){ createLine(workspaceId:$ws, input:{start:{anchor:{id:\"a\", u:1.5, v:0}}, end:{absolute:{x:1}}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("empty update", format!("mutation($ws:String!){{ updateText(workspaceId:$ws, id:\"{}\", input:{{}}) {{ id }} }}", f.text_id), json!({}), "BAD_USER_INPUT"),
        ("update of the wrong type", format!("mutation($ws:String!){{ updateShape(workspaceId:$ws, id:\"{}\", input:{{mirrorX:true}}) {{ id }} }}", f.text_id), json!({}), "BAD_USER_INPUT"),
        ("update to an infinite coordinate", format!("mutation($ws:String!){{ updateText(workspaceId:$ws, id:\"{}\", input:{{transform:{{x:1e999,y:0}}}}) {{ id }} }}", f.text_id), json!({}), "BAD_USER_INPUT"),
        ("unknown element", "mutation($ws:String!){ updateText(workspaceId:$ws, id:\"nope\", input:{text:\"a\"}) { id } }".into(), json!({}), "NOT_FOUND"),
        ("unknown workspace", "mutation{ createText(workspaceId:\"nope\", input:{text:\"a\"}) { id } }".into(), json!({}), "NOT_FOUND"),
        ("malformed id", "mutation{ createText(workspaceId:\"../../etc\", input:{text:\"a\"}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("unknown role", "mutation($ws:String!){ addWorkspaceCollaborator(workspaceId:$ws, input:{id:\"x\", workspaceRoleId:\"god\"}) { workspaceRole { id } } }".into(), json!({}), "BAD_USER_INPUT"),
        ("syntax error", "mutation { createText(".into(), json!({}), "BAD_USER_INPUT"),
        ("unknown field", "{ nothing }".into(), json!({}), "BAD_USER_INPUT"),
        ("empty comment", format!("mutation($ws:String!){{ createComment(workspaceId:$ws, id:\"{}\", input:{{blocks:[{{content:[{{text:\"  \"}}]}}]}}) {{ id }} }}", f.text_id), json!({}), "BAD_USER_INPUT"),
        ("comment of text and mention at once", format!("mutation($ws:String!){{ createComment(workspaceId:$ws, id:\"{}\", input:{{blocks:[{{content:[{{text:\"a\", mention:{{targetType:all}}}}]}}]}}) {{ id }} }}", f.text_id), json!({}), "BAD_USER_INPUT"),
        ("mention of a user without an id", format!("mutation($ws:String!){{ createComment(workspaceId:$ws, id:\"{}\", input:{{blocks:[{{content:[{{mention:{{targetType:user}}}}]}}]}}) {{ id }} }}", f.text_id), json!({}), "BAD_USER_INPUT"),
        ("reply to an unknown comment", format!("mutation($ws:String!){{ createComment(workspaceId:$ws, id:\"{}\", input:{{parentId:\"nope\", blocks:[{{content:[{{text:\"a\"}}]}}]}}) {{ id }} }}", f.text_id), json!({}), "BAD_USER_INPUT"),
        ("script as a browser's address", "mutation($ws:String!){ createBrowser(workspaceId:$ws, input:{url:\"javascript:alert(1)\"}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("address too long", "mutation($ws:String!, $u:String!){ createBrowser(workspaceId:$ws, input:{url:$u}) { id } }".into(), json!({"u": format!("https://example.com/{}", "a".repeat(2_000))}), "BAD_USER_INPUT"),
        ("document from a file URL", "mutation($ws:String!){ createDocument(workspaceId:$ws, input:{documentFormat:pdf, sourceUrl:\"file:///etc/passwd\"}) { document { id } } }".into(), json!({}), "BAD_USER_INPUT"),
        ("document title too long", "mutation($ws:String!, $t:String!){ createDocument(workspaceId:$ws, input:{documentFormat:pdf, title:$t}) { document { id } } }".into(), json!({"t": "t".repeat(201)}), "BAD_USER_INPUT"),
        ("unknown document format", "mutation($ws:String!){ createDocument(workspaceId:$ws, input:{documentFormat:odt}) { document { id } } }".into(), json!({}), "BAD_USER_INPUT"),
        ("video of negative height", "mutation($ws:String!){ createVideo(workspaceId:$ws, input:{videoFormat:mp4, height:-1}) { video { id } } }".into(), json!({}), "BAD_USER_INPUT"),
        ("video attached to a surface", "mutation($ws:String!){ createVideo(workspaceId:$ws, input:{videoFormat:mp4, surface:\"x\"}) { video { id } } }".into(), json!({}), "BAD_USER_INPUT"),
        ("grid of no rows", "mutation($ws:String!){ createGrid(workspaceId:$ws, input:{rowCount:0, cells:[]}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("grid too wide", "mutation($ws:String!){ createGrid(workspaceId:$ws, input:{columnCount:1001, cells:[]}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("cell outside its grid", "mutation($ws:String!){ createGrid(workspaceId:$ws, input:{rowCount:2, cells:[{elementId:\"a\", row:2, column:0}]}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("two cells in one place", "mutation($ws:String!){ createGrid(workspaceId:$ws, input:{cells:[{elementId:\"a\", row:0, column:0}, {elementId:\"b\", row:0, column:0}]}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("cell of a malformed id", "mutation($ws:String!){ createGrid(workspaceId:$ws, input:{cells:[{elementId:\"../x\", row:0, column:0}]}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("negative cell margin", "mutation($ws:String!){ createGrid(workspaceId:$ws, input:{cells:[], style:{verticalCellMargin:-5}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("grid shrunk past its cells", format!("mutation($ws:String!){{ updateGrid(workspaceId:$ws, id:\"{}\", input:{{rowCount:1}}) {{ id }} }}", f.grid_id), json!({}), "BAD_USER_INPUT"),
        ("grid cells out of place", format!("mutation($ws:String!){{ updateGrid(workspaceId:$ws, id:\"{}\", input:{{cells:[{{elementId:\"a\", row:0, column:-1}}]}}) {{ id }} }}", f.grid_id), json!({}), "BAD_USER_INPUT"),
        ("grid update of a text", format!("mutation($ws:String!){{ updateGrid(workspaceId:$ws, id:\"{}\", input:{{rowCount:3}}) {{ id }} }}", f.text_id), json!({}), "BAD_USER_INPUT"),
        ("text update of a grid", format!("mutation($ws:String!){{ updateText(workspaceId:$ws, id:\"{}\", input:{{text:\"a\"}}) {{ id }} }}", f.grid_id), json!({}), "BAD_USER_INPUT"),
        ("icon without a path", "mutation($ws:String!){ createIcon(workspaceId:$ws, input:{assetPath:\" \"}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("icon tint out of range", "mutation($ws:String!){ createIcon(workspaceId:$ws, input:{assetPath:\"/i.svg\", style:{color:{r:300}}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("window of negative width", "mutation($ws:String!){ createWindow(workspaceId:$ws, input:{style:{width:-1}}) { id } }".into(), json!({}), "BAD_USER_INPUT"),
        ("comment on an unknown element", "mutation($ws:String!){ createComment(workspaceId:$ws, id:\"nope\", input:{blocks:[{content:[{text:\"a\"}]}]}) { id } }".into(), json!({}), "NOT_FOUND"),
    ];
    let before = f.state().await;
    for (what, query, mut vars, code) in cases {
        vars["ws"] = json!(f.ws);
        let (status, body) = f.app.gql_status(&f.token, &query, vars).await;
        assert_eq!(status, 200, "{what}: {body}");
        assert_eq!(error_code(&body), Some(code), "{what}: {body}");
        let msg = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(!msg.is_empty() && !msg.contains("database") && !msg.contains("sqlx"), "{what}: {msg}");
        assert_eq!(f.state().await, before, "{what} changed something");
    }
}

/// Each limit, shown with a document that only it refuses (the message says which), next to
/// one just inside it that passes that limit.
#[tokio::test]
async fn deep_and_complex_queries_are_refused_each_by_its_own_limit() {
    let f = fixture().await;
    let message = |body: &Value| body["errors"][0]["message"].as_str().unwrap_or_default().to_string();
    // Depth: 20 levels of `ofType` under introspection (few fields, no aliases).
    let mut deep = String::from("name");
    for _ in 0..20 {
        deep = format!("ofType {{ {deep} }}");
    }
    let q = format!("{{ __schema {{ types {{ fields {{ type {{ {deep} }} }} }} }} }}");
    let body = f.app.gql(&f.token, &q, json!({})).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert!(message(&body).contains("deep"), "{body}");
    // Complexity: more fields than the budget, without an alias or any depth.
    let fields = |n: usize| "id ".repeat(n);
    let over = tessera::graphql::MAX_COMPLEXITY;
    let body = f.app.gql(&f.token, &format!("{{ me {{ profile {{ {} }} }} }}", fields(over)), json!({})).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{}", message(&body));
    assert!(message(&body).contains("complex"), "refused by the complexity limit: {}", message(&body));
    let within = f.app.gql(&f.token, &format!("{{ me {{ profile {{ {} }} }} }}", fields(over - 10)), json!({})).await;
    assert_eq!(within["errors"], Value::Null, "just under the budget passes: {}", message(&within));
}

#[tokio::test]
async fn aliases_are_limited_per_document_fragments_included() {
    let f = fixture().await;
    let aliases = |p: &str, n: usize| (0..n).map(|i| format!("{p}{i}: __typename ")).collect::<String>();
    let ok = f.app.gql(&f.token, &format!("{{ {} }}", aliases("a", 100)), json!({})).await;
    assert_eq!(ok["errors"], Value::Null, "100 aliases are allowed");
    assert_eq!(ok["data"]["a99"], "Query");
    let q = format!("{{ ...F {} }} fragment F on Query {{ {} }}", aliases("a", 60), aliases("b", 41));
    let refused = f.app.gql(&f.token, &q, json!({})).await;
    assert_eq!(error_code(&refused), Some("BAD_USER_INPUT"), "{refused}");
    assert!(refused["errors"][0]["message"].as_str().unwrap_or_default().contains("101 aliases"), "{refused}");
    assert_eq!(refused["data"], Value::Null);
}

#[tokio::test]
async fn repeated_directives_are_refused_and_introspection_can_be_turned_off() {
    let f = fixture().await;
    let message = |body: &Value| body["errors"][0]["message"].as_str().unwrap_or_default().to_string();
    // The directive limit (8 on a field), checked as the document is parsed: 9 are refused by
    // it…
    let limit = tessera::graphql::MAX_DIRECTIVES;
    let q = format!("{{ __typename {} }}", "@include(if: true) ".repeat(limit + 1));
    let body = f.app.gql(&f.token, &q, json!({})).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(body["data"], Value::Null);
    assert!(message(&body).contains("number of directives"), "the directive limit: {}", message(&body));
    // …while 8 pass (nothing else refuses a repeated `@include`: the limit is the only guard).
    let q = format!("{{ __typename {} }}", "@include(if: true) ".repeat(limit));
    let body = f.app.gql(&f.token, &q, json!({})).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
    // With introspection on (the default) the schema can be read and mistakes get suggestions.
    let schema = "{ __schema { queryType { name } } }";
    assert_eq!(f.app.gql(&f.token, schema, json!({})).await["data"]["__schema"]["queryType"]["name"], "Query");
    let typo = f.app.gql(&f.token, "{ workspaec(workspaceId: \"x\") { id } }", json!({})).await;
    assert!(typo.to_string().contains("Did you mean"), "{typo}");

    let app = spawn_app_with(|c| c.graphql_introspection = false).await;
    let org = app.core.admin_create_org("Closed").await.expect("org").id;
    let (_, token) = app.core.admin_create_bot(&org, "b").await.expect("bot");
    // Introspection answers null and names nothing.
    let body = app.gql(&token, schema, json!({})).await;
    assert!(body["data"]["__schema"].is_null() && !body.to_string().contains("Query"), "{body}");
    let body = app.gql(&token, "{ __type(name: \"Query\") { fields { name } } }", json!({})).await;
    assert!(body["data"]["__type"].is_null() && !body.to_string().contains("workspaces"), "{body}");
    // …and no field names leak through suggestions.
    let typo = app.gql(&token, "{ workspaec(workspaceId: \"x\") { id } }", json!({})).await;
    assert!(typo["errors"][0]["message"].is_string(), "{typo}");
    assert!(!typo.to_string().contains("Did you mean"), "{typo}");
    assert_eq!(app.gql(&token, "{ me { profile { id } } }", json!({})).await["errors"], Value::Null);
}

#[tokio::test]
async fn bad_http_requests_get_clear_statuses() {
    let f = fixture().await;
    let url = format!("{}/v3/graphql", f.app.base);
    let c = &f.app.client;
    let before = f.state().await;

    let res = c
        .post(&url)
        .bearer_auth(&f.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.expect("json");
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));

    let big = format!(
        "{{\"query\":\"{{ me {{ profile {{ id }} }} }}\",\"variables\":{{\"pad\":\"{}\"}}}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let res = c
        .post(&url)
        .bearer_auth(&f.token)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 413);

    let res = c
        .post(&url)
        .bearer_auth(&f.token)
        .header("content-type", "text/plain")
        .body("{\"query\":\"{ me { profile { id } } }\"}")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 415);

    let batch: Vec<Value> = (0..11).map(|_| json!({"query": "{ me { profile { id } } }"})).collect();
    let res = c.post(&url).bearer_auth(&f.token).json(&batch).send().await.expect("send");
    assert_eq!(res.status(), 400);
    let batch: Vec<Value> = (0..2).map(|_| json!({"query": "{ me { profile { id } } }"})).collect();
    let res: Value =
        c.post(&url).bearer_auth(&f.token).json(&batch).send().await.expect("send").json().await.expect("json");
    assert_eq!(res.as_array().map(Vec::len), Some(2), "{res}");

    assert_eq!(f.state().await, before);
}

#[tokio::test]
async fn missing_or_bad_tokens_get_401_with_a_challenge() {
    let f = fixture().await;
    let url = format!("{}/v3/graphql", f.app.base);
    let q = json!({"query": "{ me { profile { id } } }"});
    let res = f.app.client.post(&url).json(&q).send().await.expect("send");
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], r#"Bearer realm="tessera""#);
    for auth in ["Bearer tsr_bot_forged", "Basic dXNlcjpwYXNz", "Bearer ", &format!("Bearer {}x", f.token)] {
        let res = f.app.client.post(&url).header("authorization", auth).json(&q).send().await.expect("send");
        assert_eq!(res.status(), 401, "{auth}");
        let challenge = res.headers()["www-authenticate"].to_str().expect("header").to_string();
        assert!(challenge.starts_with("Bearer"), "{auth}: {challenge}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    }
    // The scheme is case-insensitive.
    let res = f
        .app
        .client
        .post(&url)
        .header("authorization", format!("bearer {}", f.token))
        .json(&q)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 200);
}
