//! The platform's `elements` arguments (issue 16): `overlaps` (a viewport, from the spatial
//! index), `canvasId`, `relativeToOriginOf`, `traits`, `when` (the workspace at an instant,
//! from the element history) and `flatten`; and the history and boxes of elements written
//! before they were recorded, filled in when the server starts.

use crate::helpers::*;
use serde_json::{json, Value};
use tessera_core::service::NewWorkspace;

struct Board {
    app: TestApp,
    token: String,
    ws: String,
    canvas: String,
    text: String,
    shape: String,
    line: String,
    stroke: String,
}

async fn run(app: &TestApp, token: &str, doc: &str, vars: Value) -> Value {
    let body = app.gql(token, doc, vars).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

/// A canvas at the origin (1000×1000) holding a text and a stroke; a line across the
/// canvas's corner; a shape far away with traits.
async fn board() -> Board {
    let app = spawn_app().await;
    let org = app.core.admin_create_org("Queries").await.expect("org").id;
    let (bot, token) = app.core.admin_create_bot(&org, "Asker").await.expect("bot");
    let input = NewWorkspace { org_id: org, name: "Board".into(), description: None, is_public: false };
    let ws = app.core.admin_create_workspace(input, &bot.id).await.expect("ws").id.0;
    let make = |doc: &str, field: &str| {
        let (app, token, ws, doc, field) = (&app, token.clone(), ws.clone(), doc.to_string(), field.to_string());
        async move {
            let data = run(app, &token, &doc, json!({"ws": ws})).await;
            data[&field]["id"].as_str().expect("id").to_string()
        }
    };
    let canvas = make("mutation($ws:String!){ createCanvas(workspaceId:$ws, input:{name:\"Frame\", style:{width:1000, height:1000}}) { id } }", "createCanvas").await;
    let text = make("mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"inside\", transform:{x:100, y:100}}) { id } }", "createText").await;
    let shape = make("mutation($ws:String!){ createShape(workspaceId:$ws, input:{traits:{content:{status:\"done\", tags:[\"a\", \"b\"]}, vocab:\"http://schema.org/\"}, transform:{x:2000, y:2000}, style:{regularShape:{kind:Star5, width:100, height:100}}}) { id } }", "createShape").await;
    let line = make("mutation($ws:String!){ createLine(workspaceId:$ws, input:{start:{absolute:{x:-50, y:-50}}, end:{absolute:{x:50, y:50}}}) { id } }", "createLine").await;
    let stroke = make("mutation($ws:String!){ createStroke(workspaceId:$ws, input:{transform:{x:500, y:500}, points:[0, 0, 10, 10]}) { id } }", "createStroke").await;
    Board { app, token, ws, canvas, text, shape, line, stroke }
}

impl Board {
    /// The ids `elements` answers with these arguments (a GraphQL argument list).
    async fn ids(&self, args: &str) -> Vec<String> {
        let doc = format!("query($ws:String!){{ elements(workspaceId:$ws {args}) {{ id }} }}");
        let data = run(&self.app, &self.token, &doc, json!({"ws": self.ws})).await;
        data["elements"].as_array().expect("list").iter().map(|e| e["id"].as_str().expect("id").to_string()).collect()
    }

    async fn error(&self, args: &str) -> String {
        let doc = format!("query($ws:String!){{ elements(workspaceId:$ws {args}) {{ id }} }}");
        let body = self.app.gql(&self.token, &doc, json!({"ws": self.ws})).await;
        error_code(&body).unwrap_or_else(|| panic!("no error for {args}: {body}")).to_string()
    }
}

#[tokio::test]
async fn overlaps_canvas_traits_and_relative_coordinates() {
    let b = board().await;
    let (canvas, text, shape, line, stroke) = (&b.canvas, &b.text, &b.shape, &b.line, &b.stroke);
    assert_eq!(b.ids(", overlaps:{x:1900, y:1900, width:200, height:200}").await, vec![shape.clone()]);
    assert_eq!(
        b.ids(", overlaps:{x:0, y:0, width:0, height:0}").await,
        vec![canvas.clone(), line.clone()],
        "edges count"
    );
    assert_eq!(b.ids(", overlaps:{x:480, y:480, width:30, height:30}").await, vec![canvas.clone(), stroke.clone()]);
    assert_eq!(b.ids(", overlaps:{x:5000, y:5000, width:10, height:10}").await, Vec::<String>::new());
    assert_eq!(
        b.ids(", overlaps:{x:0, y:0, width:3000, height:3000}, type:[Shape, Stroke]").await,
        vec![shape.clone(), stroke.clone()]
    );

    // Inside the canvas: wholly within its box, the canvas itself left out.
    assert_eq!(b.ids(&format!(", canvasId:\"{canvas}\"")).await, vec![text.clone(), stroke.clone()]);
    assert_eq!(
        b.ids(&format!(", canvasId:\"{canvas}\", overlaps:{{x:0, y:0, width:200, height:200}}")).await,
        vec![text.clone()]
    );
    assert_eq!(b.ids(&format!(", canvasId:\"{canvas}\", id:\"{shape}\"")).await, Vec::<String>::new());
    assert_eq!(b.error(&format!(", canvasId:\"{text}\"")).await, "BAD_USER_INPUT", "not a canvas");
    assert_eq!(b.error(", canvasId:\"nope\"").await, "NOT_FOUND");
    assert_eq!(b.error(", overlaps:{x:0, y:0, width:-1, height:1}").await, "BAD_USER_INPUT");
    assert_eq!(b.error(", relativeToOriginOf:\"nope\"").await, "BAD_USER_INPUT");

    // Traits: the filter's content is contained in the element's (contexts aside).
    assert_eq!(b.ids(", traits:{content:{status:\"done\"}}").await, vec![shape.clone()]);
    assert_eq!(
        b.ids(", traits:{content:{tags:[\"b\"]}, context:\"http://other.example/\"}").await,
        vec![shape.clone()]
    );
    assert_eq!(b.ids(", traits:{content:{status:\"open\"}}").await, Vec::<String>::new());

    // Coordinates from the text's origin (100, 100).
    let doc = "query($ws:String!, $o:String!){ elements(workspaceId:$ws, relativeToOriginOf:$o, flatten:true) {
        id transform { x y } boundingBox { x y } ... on Line { start { ... on AbsoluteLinePoint { x y } } } } }";
    let data = run(&b.app, &b.token, doc, json!({"ws": b.ws, "o": text})).await;
    let of =
        |id: &str| data["elements"].as_array().and_then(|l| l.iter().find(|e| e["id"] == id)).expect("listed").clone();
    assert_eq!(of(shape)["transform"], json!({"x": 1900.0, "y": 1900.0}));
    assert_eq!(of(text)["boundingBox"], json!({"x": 0.0, "y": 0.0}));
    assert_eq!(of(line)["start"], json!({"x": -150.0, "y": -150.0}));
    assert_eq!(of(line)["boundingBox"], json!({"x": -150.0, "y": -150.0}));
    assert_eq!(of(stroke)["transform"], json!({"x": 400.0, "y": 400.0}), "stroke points stay relative to it");
}

/// The event time of the newest event, then a wait so that later events are later.
async fn instant(b: &Board) -> i64 {
    let at = b.app.events(&b.ws).await.last().expect("events").created_at;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    at
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).expect("time").to_rfc3339()
}

#[tokio::test]
async fn when_reads_the_workspace_as_it_was() {
    let b = board().await;
    let before_all = b.app.events(&b.ws).await.first().expect("events").created_at - 1;
    let built = instant(&b).await;
    let mv = "mutation($ws:String!, $id:String!){ updateText(workspaceId:$ws, id:$id, input:{text:\"moved\", transform:{x:300}}) { id } }";
    run(&b.app, &b.token, mv, json!({"ws": b.ws, "id": b.text})).await;
    let moved = instant(&b).await;
    run(
        &b.app,
        &b.token,
        "mutation($ws:String!, $id:String!){ delete(workspaceId:$ws, id:$id) }",
        json!({"ws": b.ws, "id": b.stroke}),
    )
    .await;

    let texts = "query($ws:String!, $t:DateTime){ elements(workspaceId:$ws, when:$t, type:[Text]) { id transform { x } ... on Text { text } } }";
    let at = |t: Option<i64>| {
        let (app, token, ws) = (&b.app, b.token.clone(), b.ws.clone());
        async move { run(app, &token, texts, json!({"ws": ws, "t": t.map(iso)})).await["elements"].clone() }
    };
    assert_eq!(at(Some(built)).await, json!([{"id": b.text, "transform": {"x": 100.0}, "text": "inside"}]));
    assert_eq!(at(Some(moved)).await, json!([{"id": b.text, "transform": {"x": 300.0}, "text": "moved"}]));
    assert_eq!(at(None).await, at(Some(moved)).await, "now");
    assert_eq!(at(Some(before_all)).await, json!([]), "before the board was drawn");

    // The deleted stroke is there before its deletion, with the other arguments applied.
    assert!(b.ids(&format!(", when:\"{}\"", iso(moved))).await.contains(&b.stroke));
    assert!(!b.ids("").await.contains(&b.stroke));
    let deleted = instant(&b).await;
    assert!(!b.ids(&format!(", when:\"{}\"", iso(deleted))).await.contains(&b.stroke), "gone once deleted");
    let args = format!(", when:\"{}\", canvasId:\"{}\", relativeToOriginOf:\"{}\"", iso(built), b.canvas, b.canvas);
    assert_eq!(b.ids(&args).await, vec![b.text.clone(), b.stroke.clone()]);
    let text_then = format!(", when:\"{}\", overlaps:{{x:90, y:90, width:20, height:20}}", iso(built));
    assert_eq!(b.ids(&text_then).await, vec![b.canvas.clone(), b.text.clone()], "the text where it was");
    let no_canvas_yet = format!(", when:\"{}\", canvasId:\"{}\"", iso(before_all), b.canvas);
    assert_eq!(b.error(&no_canvas_yet).await, "NOT_FOUND", "the canvas did not exist yet");
}

/// A database whose elements were written before boxes and history were recorded: the server
/// fills both in from the elements and the log when it opens it.
#[tokio::test]
async fn boxes_and_history_of_earlier_elements_are_filled_in_at_start() {
    let b = board().await;
    let built = instant(&b).await;
    let mv =
        "mutation($ws:String!, $id:String!){ updateShape(workspaceId:$ws, id:$id, input:{transform:{x:3000}}) { id } }";
    run(&b.app, &b.token, mv, json!({"ws": b.ws, "id": b.shape})).await;
    let db = b.app.db_url();
    for statement in [
        "DELETE FROM element_versions",
        "UPDATE elements SET min_x = NULL, min_y = NULL, max_x = NULL, max_y = NULL",
        "DELETE FROM backfills",
    ] {
        raw_sql(&db, statement).await;
    }
    let later = spawn_app_on(&db).await;
    let ids = |args: String| {
        let (app, token, ws) = (&later, b.token.clone(), b.ws.clone());
        async move {
            let doc = format!("query($ws:String!){{ elements(workspaceId:$ws {args}) {{ id transform {{ x }} }} }}");
            run(app, &token, &doc, json!({"ws": ws})).await["elements"].clone()
        }
    };
    let far = ids(", overlaps:{x:2950, y:1950, width:100, height:100}".into()).await;
    assert_eq!(far, json!([{"id": b.shape, "transform": {"x": 3000.0}}]), "boxes from the elements");
    let then = ids(format!(", when:\"{}\", type:[Shape]", iso(built))).await;
    assert_eq!(then, json!([{"id": b.shape, "transform": {"x": 2000.0}}]), "history from the log");
}

#[tokio::test]
async fn find_available_area_moves_past_the_elements_in_its_way() {
    let b = board().await;
    // The collection's "findAvailableArea", as written there.
    let doc = "query myFindAvailableArea($workspaceId:String!, $proposedArea:BoxInput!, $direction:FindAvailableAreaDirection){
        findAvailableArea(workspaceId: $workspaceId, proposedArea:$proposedArea, direction:$direction) { type: __typename x y width height } }";
    let find = |area: Value, direction: Option<&str>| {
        let (app, token, ws) = (&b.app, b.token.clone(), b.ws.clone());
        let vars = json!({"workspaceId": ws, "proposedArea": area, "direction": direction});
        async move { app.gql(&token, doc, vars).await }
    };
    let square = json!({"x": 0, "y": 0, "width": 1000, "height": 1000});
    let at = |x: f64, y: f64| json!({"type": "Box", "x": x, "y": y, "width": 1000.0, "height": 1000.0});
    // In the way: the canvas (0..1000 both ways) and the line (-50..50 both ways).
    assert_eq!(find(square.clone(), None).await["data"]["findAvailableArea"], at(1000.0, 0.0), "right by default");
    assert_eq!(find(square.clone(), Some("down")).await["data"]["findAvailableArea"], at(0.0, 1000.0));
    assert_eq!(find(square.clone(), Some("left")).await["data"]["findAvailableArea"], at(-1050.0, 0.0));
    assert_eq!(find(square, Some("up")).await["data"]["findAvailableArea"], at(0.0, -1050.0));
    // Free already: itself.
    let free = json!({"x": 5000, "y": 5000, "width": 10, "height": 10});
    assert_eq!(find(free, None).await["data"]["findAvailableArea"]["x"], 5000.0);
    // Past the shape too: from just left of it, rightwards.
    let before_shape = json!({"x": 1950, "y": 2000, "width": 100, "height": 50});
    assert_eq!(find(before_shape, None).await["data"]["findAvailableArea"]["x"], 2100.0);
    let bad = find(json!({"width": -1, "height": 1}), None).await;
    assert_eq!(error_code(&bad), Some("BAD_USER_INPUT"), "{bad}");
}

#[tokio::test]
async fn update_traits_merges_records_and_answers_the_past() {
    let b = board().await;
    let before = instant(&b).await;
    // The collection's "updateTraits simple", as written there.
    let simple = "mutation ($workspaceId: String!, $id:String!) {
        traits: updateTraits(workspaceId: $workspaceId, dryRun:false, id: $id, input: {context: \"http://schema.org/\", content: {testTraits: 1}}) }";
    let got = run(&b.app, &b.token, simple, json!({"workspaceId": b.ws, "id": b.shape})).await;
    let merged = json!({"@context": "http://schema.org/", "status": "done", "tags": ["a", "b"], "testTraits": 1});
    assert_eq!(got["traits"], merged);
    let last = b.app.events(&b.ws).await.pop().expect("event");
    match last.payload {
        tessera_core::event::EventPayload::TraitsUpdated { traits, element_id, .. } => {
            assert_eq!((traits, element_id.0), (merged.clone(), b.shape.clone()));
        }
        other => panic!("{other:?}"),
    }
    // A dry run answers without changing anything.
    let dry = "mutation($ws:String!, $id:String!){ updateTraits(workspaceId:$ws, id:$id, dryRun:true, input:{content:{status:\"open\"}}) }";
    let tried = run(&b.app, &b.token, dry, json!({"ws": b.ws, "id": b.shape})).await;
    assert_eq!(tried["updateTraits"]["status"], "open");
    let read = |when: Option<i64>| {
        let (app, token, ws, id) = (&b.app, b.token.clone(), b.ws.clone(), b.shape.clone());
        let doc =
            "query($ws:String!, $id:String!, $t:DateTime){ elements(workspaceId:$ws, id:$id, when:$t) { traits } }";
        async move {
            run(app, &token, doc, json!({"ws": ws, "id": id, "t": when.map(iso)})).await["elements"][0]["traits"]
                .clone()
        }
    };
    assert_eq!(read(None).await, merged, "the dry run changed nothing");
    assert_eq!(read(Some(before)).await["testTraits"], Value::Null, "the past has the traits of then");
    let by_traits = b.ids(", traits:{content:{testTraits:1}}").await;
    assert_eq!(by_traits, vec![b.shape.clone()]);
    let unknown = b.app.gql(&b.token, dry, json!({"ws": b.ws, "id": "nope"})).await;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"), "{unknown}");

    // The matching playground.
    let matching = "mutation($ws:String!, $frame:TraitInput!, $input:TraitInput!){ matchTraits(workspaceId:$ws, frame:$frame, input:$input) }";
    let input = json!({"content": {"status": "done", "size": 3}, "vocab": "http://schema.org/"});
    let hit =
        run(&b.app, &b.token, matching, json!({"ws": b.ws, "frame": {"content": {"status": "done"}}, "input": input}))
            .await;
    assert_eq!(hit["matchTraits"]["size"], 3, "{hit}");
    let miss =
        run(&b.app, &b.token, matching, json!({"ws": b.ws, "frame": {"content": {"status": "open"}}, "input": input}))
            .await;
    assert_eq!(miss["matchTraits"], json!({}));
}

#[tokio::test]
async fn the_icon_library_lists_searches_and_serves_the_icons_an_icon_element_draws() {
    let b = board().await;
    // The collection's "getIconLibraries", as written there.
    let libraries =
        "query getIconLibraries{ getIconLibraries{ totalItems results{ __typename name categoryCount iconCount } } }";
    let got = run(&b.app, &b.token, libraries, json!({})).await["getIconLibraries"].clone();
    assert_eq!(got["totalItems"], 1);
    let count = got["results"][0]["iconCount"].as_i64().expect("count");
    assert_eq!(got["results"][0]["name"], "Tessera");
    let all = "{ getIconLibraries { results { categories { name iconCount availableVariantNames icons { name } } } } }";
    let categories =
        run(&b.app, &b.token, all, json!({})).await["getIconLibraries"]["results"][0]["categories"].clone();
    let listed: i64 =
        categories.as_array().expect("list").iter().map(|c| c["icons"].as_array().expect("icons").len() as i64).sum();
    assert_eq!(listed, count, "{categories}");
    assert!(categories
        .as_array()
        .expect("list")
        .iter()
        .all(|c| c["iconCount"] == json!(c["icons"].as_array().expect("icons").len())));
    // The collection's "searchMyIcons", as written there: another platform's library finds nothing.
    let search = "query searchMyIcons($queryString:String, $library:String){ searchIcons(queryString:$queryString, library:$library){
        totalItems results{ name categoryName libraryName variant{ name assetPath } availableVariants { name } } } }";
    let none = run(&b.app, &b.token, search, json!({"queryString": "display", "library": "Bluescape"})).await;
    assert_eq!(none["searchIcons"]["results"], json!([]));
    let found = run(&b.app, &b.token, search, json!({"queryString": "display", "library": "Tessera"})).await;
    let first = &found["searchIcons"]["results"][0];
    assert_eq!(
        (&first["name"], &first["categoryName"], &first["variant"]["name"]),
        (&json!("display"), &json!("Interface"), &json!("line"))
    );
    assert_eq!(found["searchIcons"]["totalItems"], 2, "{found}");
    // Paging and the variant choice.
    let solid =
        "{ searchIcons(category: \"Shapes\", variantName: \"solid\", pagination: {pageSize: 2}, cursor: \"2\") {
        totalItems next prev results { name variant { name assetPath } } } }";
    let page = run(&b.app, &b.token, solid, json!({})).await["searchIcons"].clone();
    assert_eq!(
        (&page["next"], &page["prev"], page["results"].as_array().map(Vec::len)),
        (&json!("4"), &json!("0"), Some(2)),
        "{page}"
    );
    assert!(page["results"].as_array().expect("list").iter().all(|r| r["variant"]["name"] == "solid"));
    // The file at the asset path, without a token, and an Icon element that points at it.
    let path = first["variant"]["assetPath"].as_str().expect("path");
    let res = b.app.client.get(format!("{}{path}", b.app.base)).send().await.expect("get");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    assert!(res.text().await.expect("body").starts_with("<svg"));
    let missing = b
        .app
        .client
        .get(format!("{}/icons/Tessera/Interface/solid/display.svg", b.app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(missing.status(), 404, "display has no solid variant");
    let create = "mutation ($ws: String!, $path: String!) { createIcon(workspaceId: $ws, input: {assetPath: $path}) { id assetPath } }";
    let icon = run(&b.app, &b.token, create, json!({"ws": b.ws, "path": path})).await;
    assert_eq!(icon["createIcon"]["assetPath"], path);
    let bad = b.app.gql(&b.token, "{ searchIcons(cursor: \"x\") { totalItems } }", json!({})).await;
    assert_eq!(error_code(&bad), Some("BAD_USER_INPUT"), "{bad}");
    let anonymous = b.app.gql("nope", libraries, json!({})).await;
    assert!(anonymous["data"].is_null() || anonymous["data"]["getIconLibraries"].is_null(), "{anonymous}");
}

#[tokio::test]
async fn traits_are_framed_as_asked() {
    let b = board().await;
    let doc = "query($ws:String!, $id:String!, $content:JSONObject, $context:JSON, $vocab:String, $explicit:Boolean) {
        elements(workspaceId:$ws, id:$id) { traits(content:$content, context:$context, vocab:$vocab, explicit:$explicit) } }";
    let framed = |vars: Value| {
        let (app, token) = (&b.app, b.token.clone());
        let mut all = json!({"ws": b.ws, "id": b.shape});
        all.as_object_mut().expect("vars").extend(vars.as_object().expect("vars").clone());
        async move { run(app, &token, doc, all).await["elements"][0]["traits"].clone() }
    };
    let stored = json!({"@context": {"@vocab": "http://schema.org/"}, "status": "done", "tags": ["a", "b"]});
    assert_eq!(framed(json!({})).await, stored, "no frame: as stored");
    assert_eq!(framed(json!({"content": {"status": "open"}})).await, Value::Null, "a frame it does not match");
    assert_eq!(framed(json!({"content": {"tags": {}}})).await, stored, "{{}} matches any value");
    let narrowed =
        framed(json!({"content": {"status": "done"}, "explicit": true, "vocab": "http://example.org/"})).await;
    assert_eq!(narrowed, json!({"@context": {"@vocab": "http://example.org/"}, "status": "done"}));
    let context = framed(json!({"context": {"s": "http://schema.org/"}})).await;
    assert_eq!(context["@context"], json!({"s": "http://schema.org/"}), "the context asked for");
    let bad = b.app.gql(&b.token, doc, json!({"ws": b.ws, "id": b.shape, "content": [1]})).await;
    assert!(bad["errors"].is_array(), "content is an object: {bad}");
}
