//! The platform's command types (issue 16): `commands` with typed `data` per element type, as
//! the platform documents it, and `rawHistory`, over both WebSocket protocols and SSE.

use crate::helpers::*;
use crate::subscriptions::{fx, T};
use crate::wsclient::Ws;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const L: &str = "graphql-ws";

/// The platform's documented way of following updates: `data` typed per element type.
const UPDATES: &str = "subscription onUpdate($workspaceId: String!, $cursor: ID) {
  commands(workspaceId: $workspaceId, cursor: $cursor) {
    __typename cursor
    ... on UpdateElementCommand {
      elementId
      data {
        __typename pinned zIndex
        ... on UpdateImage { transform { x y scale } }
        ... on UpdateShape { kind style { __typename width fillColor { r g b a } ... on UpdateRegularShapeStyle { strokeWidth } } }
        ... on UpdateText { text blocks { align ... on TextBlock { content } } style { fontSize color { r } } }
        ... on UpdateLine { routing start { ... on AbsoluteLinePoint { x y } ... on AnchorLinePoint { id u v } } }
      }
    }
  }
}";

const RAW: &str = "subscription($ws: String!, $cursor: ID) {
  rawHistory(workspaceId: $ws, cursor: $cursor) { __typename workspaceId cursor ... on Command { actorId actorType } data }
}";

async fn run(app: &TestApp, token: &str, doc: &str, vars: Value) -> Value {
    let body = app.gql(token, doc, vars).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

/// Start `query` on a fresh connection of `protocol`; the messages' root field is `field`.
async fn start(f: &crate::subscriptions::Fx, protocol: &str, query: &str, cursor: &str) -> Ws {
    let mut ws = Ws::ready(&f.app, protocol, &f.reader).await;
    let kind = if protocol == T { "subscribe" } else { "start" };
    let vars = json!({"workspaceId": f.ws.0, "ws": f.ws.0, "cursor": cursor});
    ws.send(json!({"type": kind, "id": "1", "payload": {"query": query, "variables": vars}})).await;
    ws
}

/// The results of `field` until one has cursor `last`.
async fn until_cursor(ws: &mut Ws, field: &str, last: i64) -> Vec<Value> {
    let mut got = Vec::new();
    loop {
        let m = ws.next_msg().await;
        assert!(matches!(m["type"].as_str(), Some("next" | "data")), "{m}");
        let item = m["payload"]["data"][field].clone();
        assert!(!item.is_null(), "{m}");
        let cursor: i64 = item["cursor"].as_str().and_then(|c| c.parse().ok()).expect("cursor");
        got.push(item);
        if cursor >= last {
            return got;
        }
    }
}

#[tokio::test]
async fn the_documented_example_receives_typed_update_data_over_both_websocket_protocols() {
    let f = fx().await;
    let ws = f.ws.0.as_str();
    let w = |doc: &'static str, vars: Value| {
        let (app, token) = (&f.app, f.writer.clone());
        async move { run(app, &token, doc, vars).await }
    };
    let image = w("mutation($ws:String!){ createImage(workspaceId:$ws, input:{title:\"a photo\", width:640, height:480, imageFormat:png}) { image { id } } }", json!({"ws": ws})).await["createImage"]["image"]["id"].clone();
    let shape = w("mutation($ws:String!){ createShape(workspaceId:$ws, input:{style:{regularShape:{kind:Diamond, width:100, height:100}}}) { id } }", json!({"ws": ws})).await["createShape"]["id"].clone();
    let text =
        w("mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"one\"}) { id } }", json!({"ws": ws})).await
            ["createText"]["id"]
            .clone();
    let line = w("mutation($ws:String!){ createLine(workspaceId:$ws, input:{start:{absolute:{x:0,y:0}}, end:{absolute:{x:9,y:9}}}) { id } }", json!({"ws": ws})).await["createLine"]["id"].clone();
    w("mutation($ws:String!,$id:String!){ updateImage(workspaceId:$ws, id:$id, input:{transform:{x:5, y:6, scale:2}}) { id } }", json!({"ws": ws, "id": image})).await;
    w("mutation($ws:String!,$id:String!){ updateShape(workspaceId:$ws, id:$id, input:{style:{regularShape:{fillColor:{r:1,g:2,b:3,a:0.5}}}}) { id } }", json!({"ws": ws, "id": shape})).await;
    w("mutation($ws:String!,$id:String!){ updateText(workspaceId:$ws, id:$id, input:{text:\"two\\nlines\", style:{fontSize:30}}) { id } }", json!({"ws": ws, "id": text})).await;
    w("mutation($ws:String!,$id:String!,$s:String!){ updateLine(workspaceId:$ws, id:$id, input:{routing:Orthogonal, start:{anchor:{id:$s, u:0.5, v:1}}}) { id } }", json!({"ws": ws, "id": line, "s": shape})).await;
    let last = f.app.events(ws).await.last().expect("events").cursor;

    for protocol in [T, L] {
        let mut sub = start(&f, protocol, UPDATES, "0").await;
        let got = until_cursor(&mut sub, "commands", last).await;
        let updates: Vec<&Value> = got.iter().filter(|c| c["__typename"] == "UpdateElementCommand").collect();
        let data = |id: &Value| -> Value {
            let found = updates.iter().find(|c| c["elementId"] == *id).unwrap_or_else(|| panic!("{protocol}: {got:?}"));
            found["data"].clone()
        };
        assert_eq!(updates.len(), 4, "{protocol}: {got:?}");
        assert_eq!(
            data(&image),
            json!({"__typename": "UpdateImage", "pinned": null, "zIndex": null, "transform": {"x": 5.0, "y": 6.0, "scale": 2.0}}),
            "{protocol}"
        );
        assert_eq!(
            data(&shape),
            json!({"__typename": "UpdateShape", "pinned": null, "zIndex": null, "kind": null, "style": {
                "__typename": "UpdateRegularShapeStyle", "width": null, "strokeWidth": null,
                "fillColor": {"r": 1, "g": 2, "b": 3, "a": 0.5}}}),
            "{protocol}"
        );
        let t = data(&text);
        assert_eq!((t["__typename"].as_str(), t["text"].as_str()), (Some("UpdateText"), Some("two\nlines")), "{t}");
        assert_eq!(t["blocks"].as_array().map(Vec::len), Some(2), "text makes blocks: {t}");
        assert_eq!(t["blocks"][1]["content"], json!([{"text": "lines"}]), "{t}");
        assert_eq!(t["style"], json!({"fontSize": 30, "color": null}), "{t}");
        let l = data(&line);
        assert_eq!(l["routing"], "Orthogonal");
        assert_eq!(l["start"], json!({"id": shape, "u": 0.5, "v": 1.0}), "{l}");
        sub.close().await;
    }
}

/// The new element types' updates, read through the platform's update types and interfaces.
const NEW_UPDATES: &str = "subscription($workspaceId: String!, $cursor: ID) {
  commands(workspaceId: $workspaceId, cursor: $cursor) {
    __typename cursor
    ... on UpdateElementCommand {
      elementId
      data {
        __typename pinned zIndex
        ... on UpdateAttachable { surface }
        ... on UpdateAssetElement { transform { x y scale } }
        ... on UpdateGrid { rowCount columnCount cells { elementId row column } style { cellWidth horizontalCellMargin } transform { x y } }
        ... on UpdateBrowser { url style { width height } transform { scale } }
        ... on UpdateIcon { style { color { r g b a } } }
        ... on UpdateWindow { transform { scale } }
        ... on UpdateLegacyNote { text transform { scale } style { fontWeight textTransform backgroundColor { r } } }
      }
    }
  }
}";

#[tokio::test]
async fn updates_of_the_new_element_types_arrive_typed() {
    let f = fx().await;
    let ws = f.ws.0.as_str();
    let w = |doc: &'static str, vars: Value| {
        let (app, token) = (&f.app, f.writer.clone());
        async move { run(app, &token, doc, vars).await }
    };
    let made = w(
        "mutation($ws:String!){
        g: createGrid(workspaceId:$ws, input:{cells:[]}) { id }
        b: createBrowser(workspaceId:$ws, input:{url:\"https://example.com\"}) { id }
        i: createIcon(workspaceId:$ws, input:{assetPath:\"/icons/i.svg\"}) { id }
        d: createDocument(workspaceId:$ws, input:{documentFormat:pdf}) { document { id } }
        v: createVideo(workspaceId:$ws, input:{videoFormat:mp4}) { video { id } }
        n: createWindow(workspaceId:$ws, input:{}) { id } }",
        json!({"ws": ws}),
    )
    .await;
    let (grid, browser, icon, window) = (&made["g"]["id"], &made["b"]["id"], &made["i"]["id"], &made["n"]["id"]);
    let (document, video) = (&made["d"]["document"]["id"], &made["v"]["video"]["id"]);
    w("mutation($ws:String!,$id:String!,$cell:String!){ updateGrid(workspaceId:$ws, id:$id, input:{rowCount:2, cells:[{elementId:$cell, row:1, column:3}], style:{cellWidth:50}, transform:{x:4}}) { id } }", json!({"ws": ws, "id": grid, "cell": icon})).await;
    w("mutation($ws:String!,$id:String!){ updateBrowser(workspaceId:$ws, id:$id, input:{url:\"https://example.org\", style:{height:400}, transform:{scale:2}}) { id } }", json!({"ws": ws, "id": browser})).await;
    w("mutation($ws:String!,$id:String!){ updateIcon(workspaceId:$ws, id:$id, input:{style:{color:{g:9, a:0.5}}, pinned:true}) { id } }", json!({"ws": ws, "id": icon})).await;
    w("mutation($ws:String!,$id:String!){ updateDocument(workspaceId:$ws, id:$id, input:{transform:{x:1, y:2, scale:3}}) { id } }", json!({"ws": ws, "id": document})).await;
    w(
        "mutation($ws:String!,$id:String!){ updateVideo(workspaceId:$ws, id:$id, input:{zIndex:5}) { id } }",
        json!({"ws": ws, "id": video}),
    )
    .await;
    w("mutation($ws:String!,$id:String!){ updateWindow(workspaceId:$ws, id:$id, input:{transform:{scale:0.5}}) { id } }", json!({"ws": ws, "id": window})).await;
    let last = f.app.events(ws).await.last().expect("events").cursor;

    let mut sub = start(&f, T, NEW_UPDATES, "0").await;
    let got = until_cursor(&mut sub, "commands", last).await;
    sub.close().await;
    let data = |id: &Value| -> Value {
        let found = got.iter().find(|c| c["__typename"] == "UpdateElementCommand" && c["elementId"] == *id);
        found.unwrap_or_else(|| panic!("{id} in {got:?}"))["data"].clone()
    };
    assert_eq!(
        data(grid),
        json!({"__typename": "UpdateGrid", "pinned": null, "zIndex": null, "rowCount": 2, "columnCount": null,
        "cells": [{"elementId": icon, "row": 1, "column": 3}], "style": {"cellWidth": 50.0, "horizontalCellMargin": null},
        "transform": {"x": 4.0, "y": null}})
    );
    assert_eq!(
        data(browser),
        json!({"__typename": "UpdateBrowser", "pinned": null, "zIndex": null, "surface": null,
        "url": "https://example.org", "style": {"width": null, "height": 400.0}, "transform": {"scale": 2.0}})
    );
    assert_eq!(
        data(icon),
        json!({"__typename": "UpdateIcon", "pinned": true, "zIndex": null, "surface": null,
        "style": {"color": {"r": 0, "g": 9, "b": 0, "a": 0.5}}})
    );
    assert_eq!(
        data(document),
        json!({"__typename": "UpdateDocument", "pinned": null, "zIndex": null, "surface": null,
        "transform": {"x": 1.0, "y": 2.0, "scale": 3.0}})
    );
    assert_eq!(
        data(video),
        json!({"__typename": "UpdateVideo", "pinned": null, "zIndex": 5, "surface": null, "transform": null})
    );
    assert_eq!(
        data(window),
        json!({"__typename": "UpdateWindow", "pinned": null, "zIndex": null, "surface": null, "transform": {"scale": 0.5}})
    );

    // A type tessera never stores matches nothing, beside other types or alone.
    let of_types =
        |types: &str| NEW_UPDATES.replace("cursor: $cursor)", &format!("cursor: $cursor, elementType: [{types}])"));
    let grid_update = got.iter().find(|c| c["elementId"] == *grid).expect("the grid's update");
    let last_grid: i64 = grid_update["cursor"].as_str().and_then(|c| c.parse().ok()).expect("cursor");
    let mut sub = start(&f, T, &of_types("LegacyNote, Grid"), "0").await;
    let grids = until_cursor(&mut sub, "commands", last_grid).await;
    assert_eq!(grids.len(), 2, "the grid's creation and update: {grids:?}");
    assert_eq!(grids[1]["data"]["__typename"], "UpdateGrid");
    sub.close().await;
    let mut sub = start(&f, T, &of_types("Whiteboard, Selection"), "0").await;
    while let Some(crate::wsclient::Got::Msg(m)) = sub.next_within(1.0).await {
        assert!(m["type"] == "ping" || m["type"] == "ka", "nothing is a whiteboard or a selection: {m}");
    }
}

/// Read server-sent events until one carries cursor `last`; the `data` of each `next` event.
async fn sse_until(f: &crate::subscriptions::Fx, query: &str, field: &str, last: i64) -> Vec<Value> {
    let mut res = f
        .app
        .client
        .post(format!("{}/v3/graphql", f.app.base))
        .bearer_auth(&f.reader)
        .header("accept", "text/event-stream")
        .json(&json!({"query": query, "variables": {"ws": f.ws.0, "cursor": "0"}}))
        .send()
        .await
        .expect("sse");
    assert_eq!(res.status(), 200);
    let (mut text, mut got) = (String::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                let item = serde_json::from_str::<Value>(data).expect("json")["data"][field].clone();
                let cursor: i64 = item["cursor"].as_str().and_then(|c| c.parse().ok()).unwrap_or(0);
                got.push(item);
                if cursor >= last {
                    return got;
                }
            }
        }
        match tokio::time::timeout(Duration::from_secs(5), res.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            other => panic!("the stream ended early ({other:?}) after {got:?}"),
        }
    }
    panic!("no event with cursor {last} in time: {got:?}")
}

#[tokio::test]
async fn raw_history_delivers_every_event_as_stored_over_every_transport() {
    let f = fx().await;
    let text = crate::subscriptions::create_text(&f.app, &f.writer, &f.ws, "raw").await;
    let del = "mutation($ws:String!,$id:String!){ delete(workspaceId:$ws, id:$id) }";
    let deleted = f.app.gql(&f.writer, del, json!({"ws": f.ws.0, "id": text})).await;
    assert!(deleted["errors"].is_null(), "{deleted}");
    let stored = f.app.events(&f.ws.0).await;
    let last = stored.last().expect("events").cursor;
    let kinds: Vec<&str> = stored.iter().map(|e| e.payload.kind()).collect();
    assert!(kinds.contains(&"collaboratorAdded"), "the fixture adds the reader: {kinds:?}");

    let check = |how: &str, got: &[Value]| {
        let cursors: Vec<i64> =
            got.iter().map(|c| c["cursor"].as_str().and_then(|c| c.parse().ok()).expect("cursor")).collect();
        assert_eq!(cursors, (1..=last).collect::<Vec<_>>(), "{how}: every event once, in order");
        let types: Vec<&str> = got.iter().map(|c| c["data"]["type"].as_str().unwrap_or("?")).collect();
        assert_eq!(types, kinds, "{how}");
        assert!(
            got.iter().all(|c| c["__typename"] == "RawCommand" && c["workspaceId"] == f.ws.0.as_str()),
            "{how}: {got:?}"
        );
        let created = &got[kinds.iter().position(|k| *k == "elementCreated").expect("created")];
        assert_eq!(
            (created["data"]["element"]["id"].as_str(), created["data"]["element"]["text"].as_str()),
            (Some(text.as_str()), Some("raw")),
            "{how}"
        );
        assert_eq!(created["actorType"], "bot", "{how}: {created}");
    };
    for protocol in [T, L] {
        let mut sub = start(&f, protocol, RAW, "0").await;
        check(protocol, &until_cursor(&mut sub, "rawHistory", last).await);
        sub.close().await;
    }
    check("sse", &sse_until(&f, RAW, "rawHistory", last).await);

    // `commands` leaves membership out of the same log.
    let mut sub = start(&f, T, crate::wsclient::COMMANDS, "0").await;
    let commands = until_cursor(&mut sub, "commands", last).await;
    assert_eq!(commands.len(), kinds.iter().filter(|k| k.starts_with("element") || k.starts_with("comment")).count());
    assert!(commands.iter().all(|c| c["__typename"] != "RawCommand"), "{commands:?}");
}

#[tokio::test]
async fn raw_history_is_authorized_and_checks_its_cursor_like_commands() {
    let f = fx().await;
    let (_, outsider) = f.app.core.admin_create_bot(&f.org, "outsider").await.expect("bot");
    for (token, cursor, code) in [(&outsider, "0", "NOT_FOUND"), (&f.reader, "99", "BAD_USER_INPUT")] {
        let mut ws = Ws::ready(&f.app, T, token).await;
        let vars = json!({"ws": f.ws.0, "cursor": cursor});
        ws.send(json!({"type": "subscribe", "id": "1", "payload": {"query": RAW, "variables": vars}})).await;
        let m = ws.next_msg().await;
        assert_eq!((m["type"].as_str(), m["payload"]["data"].clone()), (Some("next"), Value::Null), "{m}");
        assert_eq!(m["payload"]["errors"][0]["extensions"]["code"], code, "{m}");
        assert_eq!(ws.next_msg().await, json!({"type": "complete", "id": "1"}));
    }
}

#[tokio::test]
async fn workspace_state_gives_the_cursor_to_follow_its_elements_from() {
    let f = fx().await;
    let ws = f.ws.0.as_str();
    let first = crate::subscriptions::create_text(&f.app, &f.writer, &f.ws, "one").await;
    let after_first = f.app.events(ws).await.last().expect("event").clone();
    tokio::time::sleep(Duration::from_millis(5)).await;
    crate::subscriptions::create_text(&f.app, &f.writer, &f.ws, "two").await;
    let state = "query($ws: String!, $when: DateTime) { workspaceState(workspaceId: $ws, when: $when) {
        cursor style { backgroundTheme } elements { id } } }";
    let now = run(&f.app, &f.reader, state, json!({"ws": ws})).await["workspaceState"].clone();
    let head = f.app.events(ws).await.last().expect("event").cursor;
    assert_eq!(now["cursor"], head.to_string());
    assert_eq!(now["style"]["backgroundTheme"], "dark");
    assert_eq!(now["elements"].as_array().map(Vec::len), Some(2));

    // From that cursor, the next change and nothing before it.
    let mut sub = start(&f, T, "subscription($workspaceId: String!, $cursor: ID) { commands(workspaceId: $workspaceId, cursor: $cursor) { cursor ... on CreateElementCommand { element { id } } } }", now["cursor"].as_str().expect("cursor")).await;
    let third = crate::subscriptions::create_text(&f.app, &f.writer, &f.ws, "three").await;
    let got = until_cursor(&mut sub, "commands", head + 1).await;
    assert_eq!(got, [json!({"cursor": (head + 1).to_string(), "element": {"id": third}})]);

    // At an instant: the state then, and the cursor of the last event by then.
    let when = chrono::DateTime::from_timestamp_millis(after_first.created_at).expect("time").to_rfc3339();
    let then = run(&f.app, &f.reader, state, json!({"ws": ws, "when": when})).await["workspaceState"].clone();
    assert_eq!(then["cursor"], after_first.cursor.to_string());
    assert_eq!(then["elements"], json!([{"id": first}]));
    // The deprecated name answers the same.
    let meta =
        "query($ws: String!) { elementsWithMeta(workspaceId: $ws, type: [LegacyNote]) { cursor elements { id } } }";
    let none = run(&f.app, &f.reader, meta, json!({"ws": ws})).await["elementsWithMeta"].clone();
    assert_eq!(none, json!({"cursor": (head + 1).to_string(), "elements": []}));
    let other = f.app.gql("not-a-token", meta, json!({"ws": ws})).await;
    assert!(other["errors"].is_array(), "{other}");
}
