//! Attachments (issue 16): `surface` on create and update inputs attaches an element to a
//! surface (the workspace's id detaches it), its transform then counts from the surface's
//! position, `attachments` and `surface` read both ways, `flatten` lists attachments after
//! their surface, the `commands` subscription delivers `AttachCommand` and `DetachCommand`, and
//! deleting a surface deletes what is attached to it.

use crate::helpers::*;
use crate::subscriptions::{fx, Fx, T};
use crate::wsclient::Ws;
use serde_json::{json, Value};

async fn run(f: &Fx, doc: &str, vars: Value) -> Value {
    let body = f.app.gql(&f.writer, doc, vars).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

async fn shape_at(f: &Fx, x: f64, y: f64) -> String {
    let doc = "mutation($ws:String!, $x:Float!, $y:Float!){ createShape(workspaceId:$ws, input:{
        transform:{x:$x, y:$y}, style:{regularShape:{kind:Rectangle, width:200, height:200}}}) { id } }";
    run(f, doc, json!({"ws": f.ws.0, "x": x, "y": y})).await["createShape"]["id"].as_str().expect("id").to_string()
}

async fn text_at(f: &Fx, x: f64, y: f64) -> String {
    let doc = "mutation($ws:String!, $x:Float!, $y:Float!){ createText(workspaceId:$ws, input:{text:\"note\", transform:{x:$x, y:$y}}) { id } }";
    run(f, doc, json!({"ws": f.ws.0, "x": x, "y": y})).await["createText"]["id"].as_str().expect("id").to_string()
}

/// The ids (and x, y) the `elements` query lists with these arguments.
async fn listed(f: &Fx, args: &str) -> Vec<(String, f64, f64)> {
    let doc = format!("query($ws:String!){{ elements(workspaceId:$ws{args}) {{ id transform {{ x y }} }} }}");
    let data = run(f, &doc, json!({"ws": f.ws.0})).await;
    data["elements"]
        .as_array()
        .expect("list")
        .iter()
        .map(|e| {
            let t = &e["transform"];
            (e["id"].as_str().expect("id").to_string(), t["x"].as_f64().expect("x"), t["y"].as_f64().expect("y"))
        })
        .collect()
}

/// The collection's "attachTextToElement", as written there.
const ATTACH: &str =
    "mutation attachTextToElement($workspaceId: String! $surfaceToAttachTo: String! $textElementId: String!) {
  updateText(workspaceId: $workspaceId , id: $textElementId,
    input: { surface: $surfaceToAttachTo transform:{ x:100 y:100 } }) { id } }";

async fn move_text(f: &Fx, id: &str, surface: &str) -> Value {
    let doc = "mutation($ws:String!, $id:String!, $s:String!){ updateText(workspaceId:$ws, id:$id, input:{surface:$s}) { id } }";
    f.app.gql(&f.writer, doc, json!({"ws": f.ws.0, "id": id, "s": surface})).await
}

#[tokio::test]
async fn an_attached_element_moves_with_its_surface_and_is_listed_under_it() {
    let f = fx().await;
    let ws = f.ws.0.clone();
    let (shape, text) = (shape_at(&f, 1000.0, 1000.0).await, text_at(&f, 5000.0, 5000.0).await);
    let before = {
        let at = f.app.events(&ws).await.last().expect("events").created_at;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        chrono::DateTime::from_timestamp_millis(at).expect("time").to_rfc3339()
    };
    run(&f, ATTACH, json!({"workspaceId": ws, "surfaceToAttachTo": shape, "textElementId": text})).await;

    // Off the top level, relative to the shape; listed after it with flatten, and under it.
    assert_eq!(listed(&f, "").await, [(shape.clone(), 1000.0, 1000.0)]);
    assert_eq!(listed(&f, ", flatten:true").await, [(shape.clone(), 1000.0, 1000.0), (text.clone(), 100.0, 100.0)]);
    assert_eq!(listed(&f, ", flatten:true, type:[Text]").await, [(text.clone(), 100.0, 100.0)]);
    assert_eq!(listed(&f, &format!(", id:\"{text}\"")).await, [(text.clone(), 100.0, 100.0)], "by id, wherever it is");
    let both_ways = "query($ws:String!){ elements(workspaceId:$ws) { id ... on Shape { attachments { __typename id surface { id } } } } }";
    let got = run(&f, both_ways, json!({"ws": ws})).await;
    assert_eq!(
        got["elements"][0]["attachments"],
        json!([{"__typename": "Text", "id": text, "surface": {"id": shape}}])
    );
    let typed = "query($ws:String!){ elements(workspaceId:$ws) { ... on Shape { attachments(type:[Image]) { id } } } }";
    assert_eq!(run(&f, typed, json!({"ws": ws})).await["elements"][0]["attachments"], json!([]));
    // The spatial index holds the surface, not the attachment: only the shape is found there.
    assert_eq!(listed(&f, ", overlaps:{x:1090, y:1090, width:20, height:20}").await.len(), 1);
    assert!(listed(&f, ", overlaps:{x:4990, y:4990, width:20, height:20}").await.is_empty(), "left its old place");
    // Before the attach, it was top-level where it was made.
    let then = listed(&f, &format!(", when:\"{before}\"")).await;
    assert_eq!(then, [(shape.clone(), 1000.0, 1000.0), (text.clone(), 5000.0, 5000.0)]);

    // Moving the shape carries the text; detaching without a transform keeps it in place.
    let mv = "mutation($ws:String!, $id:String!){ updateShape(workspaceId:$ws, id:$id, input:{transform:{x:2000, y:3000}}) { id } }";
    run(&f, mv, json!({"ws": ws, "id": shape})).await;
    let detached = move_text(&f, &text, &ws).await;
    assert!(detached["errors"].is_null(), "{detached}");
    assert_eq!(listed(&f, "").await, [(shape.clone(), 2000.0, 3000.0), (text.clone(), 2100.0, 3100.0)]);
    // Attaching without a transform keeps it in place too, now counted from the shape.
    assert!(move_text(&f, &text, &shape).await["errors"].is_null());
    assert_eq!(listed(&f, ", flatten:true").await[1], (text.clone(), 100.0, 100.0));
    // relativeToOriginOf an attached element: from where it really is.
    let other = text_at(&f, 2200.0, 3300.0).await;
    let rel = listed(&f, &format!(", relativeToOriginOf:\"{text}\"")).await;
    assert_eq!(rel, [(shape.clone(), -100.0, -100.0), (other, 100.0, 200.0)]);
}

#[tokio::test]
async fn bad_attachments_are_refused_and_change_nothing() {
    let f = fx().await;
    let ws = f.ws.0.clone();
    let (outer, inner, text) =
        (shape_at(&f, 0.0, 0.0).await, shape_at(&f, 500.0, 0.0).await, text_at(&f, 0.0, 900.0).await);
    let attach_shape = "mutation($ws:String!, $id:String!, $s:String!){ updateShape(workspaceId:$ws, id:$id, input:{surface:$s}) { id } }";
    run(&f, attach_shape, json!({"ws": ws, "id": inner, "s": outer})).await;
    let events = f.app.events(&ws).await.len();
    let attempts = [
        (attach_shape, &outer, &inner, "a surface onto its own attachment"),
        (attach_shape, &outer, &outer, "onto itself"),
        (attach_shape, &outer, &text, "onto a text, which is no surface"),
        (attach_shape, &outer, &"nosuchelement".to_string(), "onto nothing"),
    ];
    for (doc, id, surface, what) in attempts {
        let got = f.app.gql(&f.writer, doc, json!({"ws": ws, "id": id, "s": surface})).await;
        assert_eq!(error_code(&got), Some("BAD_USER_INPUT"), "{what}: {got}");
    }
    let create = "mutation($ws:String!, $s:String!, $r:String){ createText(workspaceId:$ws, relativeToOriginOf:$r, input:{text:\"t\", surface:$s}) { id } }";
    let got = f.app.gql(&f.writer, create, json!({"ws": ws, "s": text})).await;
    assert_eq!(error_code(&got), Some("BAD_USER_INPUT"), "{got}");
    let got = f.app.gql(&f.writer, create, json!({"ws": ws, "s": outer, "r": outer})).await;
    assert_eq!(error_code(&got), Some("BAD_USER_INPUT"), "surface and relativeToOriginOf: {got}");
    let canvas =
        "mutation($ws:String!, $s:String!){ createCanvas(workspaceId:$ws, input:{name:\"c\", surface:$s}) { id } }";
    let got = f.app.gql(&f.writer, canvas, json!({"ws": ws, "s": outer})).await;
    assert!(got["errors"].is_array(), "a canvas has no surface: {got}");
    assert_eq!(f.app.events(&ws).await.len(), events, "refusals write nothing");
    // A reader may not attach.
    let got = f.app.gql(&f.reader, attach_shape, json!({"ws": ws, "id": text, "s": outer})).await;
    assert_eq!(error_code(&got), Some("FORBIDDEN"), "{got}");
    // Created attached: counted from the surface.
    let made =
        run(&f, create, json!({"ws": ws, "s": inner})).await["createText"]["id"].as_str().expect("id").to_string();
    let flat = listed(&f, ", flatten:true").await;
    let ids: Vec<&str> = flat.iter().map(|(id, ..)| id.as_str()).collect();
    assert_eq!(ids, [outer.as_str(), inner.as_str(), made.as_str(), text.as_str()], "depth first");
}

#[tokio::test]
async fn deleting_a_surface_deletes_its_attachments_first_and_commands_tell_each_step() {
    let f = fx().await;
    let ws = f.ws.0.clone();
    let (outer, inner, text) =
        (shape_at(&f, 0.0, 0.0).await, shape_at(&f, 500.0, 0.0).await, text_at(&f, 0.0, 900.0).await);
    let head = f.app.events(&ws).await.last().expect("event").cursor;
    let mut sub = Ws::ready(&f.app, T, &f.reader).await;
    let doc = "subscription($ws: String!, $cursor: ID) { commands(workspaceId: $ws, cursor: $cursor) {
        __typename ... on AttachCommand { elementId elementType surfaceId zIndex transform { x y } }
        ... on DetachCommand { elementId elementType transform { x y } }
        ... on UpdateElementCommand { data { ... on UpdateText { surface text } } }
        ... on CreateElementCommand { element { id ... on Attachable { surface { __typename id } } } }
        ... on DeleteElementCommand { elementId } } }";
    let vars = json!({"ws": ws, "cursor": head.to_string()});
    sub.send(json!({"type": "subscribe", "id": "1", "payload": {"query": doc, "variables": vars}})).await;

    // Made attached: the command's element names its surface (rendered once for every subscriber).
    let made =
        "mutation($ws:String!, $s:String!){ createText(workspaceId:$ws, input:{text:\"on it\", surface:$s}) { id } }";
    let note = run(&f, made, json!({"ws": ws, "s": outer})).await["createText"]["id"].clone();
    let attach_shape = "mutation($ws:String!, $id:String!, $s:String!){ updateShape(workspaceId:$ws, id:$id, input:{surface:$s}) { id } }";
    run(&f, attach_shape, json!({"ws": ws, "id": inner, "s": outer})).await;
    run(&f, ATTACH, json!({"workspaceId": ws, "surfaceToAttachTo": inner, "textElementId": text})).await;
    let detached = move_text(&f, &text, &ws).await;
    assert!(detached["errors"].is_null(), "{detached}");
    let both_detached = "mutation($ws:String!, $id:String!){ updateText(workspaceId:$ws, id:$id, input:{surface:$ws, text:\"out\"}) { id } }";
    run(&f, both_detached, json!({"ws": ws, "id": text})).await;
    let both = "mutation($ws:String!, $id:String!, $s:String!){ updateText(workspaceId:$ws, id:$id, input:{surface:$s, text:\"moved\"}) { id } }";
    run(&f, both, json!({"ws": ws, "id": text, "s": inner})).await;
    let delete = "mutation($ws:String!, $id:String!){ delete(workspaceId:$ws, id:$id) }";
    let deleted = f.app.gql(&f.writer, delete, json!({"ws": ws, "id": outer})).await;
    assert!(deleted["errors"].is_null(), "{deleted}");
    assert!(listed(&f, ", flatten:true").await.is_empty(), "all three are gone");

    let mut got = Vec::new();
    while got.len() < 10 {
        let m = sub.next_msg().await;
        assert_eq!(m["type"], "next", "{m}");
        assert!(m["payload"]["errors"].is_null(), "{m}");
        got.push(m["payload"]["data"]["commands"].clone());
    }
    let created = got.remove(0);
    assert_eq!(created["element"], json!({"id": note, "surface": {"__typename": "Shape", "id": outer}}));
    let attach = json!({"__typename": "AttachCommand", "elementId": inner, "elementType": "Shape", "surfaceId": outer,
        "zIndex": got[0]["zIndex"], "transform": {"x": 500.0, "y": 0.0}});
    assert_eq!(got[0], attach);
    assert_eq!(got[1]["surfaceId"], inner);
    assert_eq!(got[1]["transform"], json!({"x": 100.0, "y": 100.0}));
    let detach = json!({"__typename": "DetachCommand", "elementId": text, "elementType": "Text", "transform": {"x": 600.0, "y": 100.0}});
    assert_eq!(got[2], detach, "detached where it was: the inner shape's place plus its own");
    let update = |surface: &str, text: &str| json!({"__typename": "UpdateElementCommand", "data": {"surface": surface, "text": text}});
    assert_eq!(got[3], update(&ws, "out"), "detached and changed: an update whose surface is the workspace");
    assert_eq!(got[4], update(&inner, "moved"));
    let deletions: Vec<&Value> = got[5..].iter().map(|c| &c["elementId"]).collect();
    assert_eq!(deletions, [&json!(text), &json!(inner), &note, &json!(outer)], "the deepest first");
}
