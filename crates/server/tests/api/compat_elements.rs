//! The platform's element surface (issue 16), executed against the real server: the create and
//! update mutations with the platform's inputs (several taken from its request collection), and
//! the elements read back in the platform's shapes — styles, rich-text blocks, line points.

use crate::helpers::*;
use serde_json::{json, Value};
use tessera_core::service::NewWorkspace;

/// A bot that owns a workspace: (app, token, workspace id).
pub(crate) async fn fixture() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let org = app.core.admin_create_org("Elements").await.expect("org").id;
    let (bot, token) = app.core.admin_create_bot(&org, "Drawer").await.expect("bot");
    let input = NewWorkspace { org_id: org, name: "Board".into(), description: None, is_public: false };
    let ws = app.core.admin_create_workspace(input, &bot.id).await.expect("ws").id;
    (app, token, ws.0)
}

pub(crate) async fn run(app: &TestApp, token: &str, doc: &str, vars: Value) -> Value {
    let body = app.gql(token, doc, vars).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

pub(crate) async fn element(app: &TestApp, token: &str, ws: &str, id: &str, selection: &str) -> Value {
    let doc =
        format!("query($ws:String!,$id:String!){{ elements(workspaceId:$ws, id:$id) {{ __typename {selection} }} }}");
    let data = run(app, token, &doc, json!({"ws": ws, "id": id})).await;
    data["elements"][0].clone()
}

const COLOR: &str = "{ r g b a }";

#[tokio::test]
async fn shapes_are_regular_or_sticky_and_switch_between_them() {
    let (app, token, ws) = fixture().await;
    // The collection's "create regularShape", as written there.
    let create = "mutation myCreateShape($workspaceId:String!, $x:Float!, $y:Float!, $width:Float!, $height:Float!, $strokeWidth:Float!, $fontSize:FontSize!, $shapeText:String){
        shape1:createShape(workspaceId:$workspaceId, input:{
            pinned:false
            traits:{context: \"http://schema.org/\", content: {testBox: \"1\"}}
            mirrorX: false
            mirrorY: true
            text:$shapeText
            style:{ regularShape:{ kind: Rectangle width:$width height:$height strokeWidth:$strokeWidth
                fillColor: {r:255 g:161 b:161 a:1} strokeColor:{r:255 g:0 b:0 a:1} } }
            textStyle:{ fontSize:$fontSize verticalAlign:center }
            transform: {x:$x y:$y}
        }){ id pinned kind mirrorX mirrorY traits transform{x y scaleX scaleY} style{ height width fillColor{r g b a}} } }";
    let vars = json!({"workspaceId": ws, "x": 10, "y": 20, "width": 800, "height": 300, "strokeWidth": 5,
        "fontSize": "auto", "shapeText": "text on shape"});
    let made = run(&app, &token, create, vars).await["shape1"].clone();
    assert_eq!(made["kind"], "Rectangle");
    assert_eq!((made["mirrorX"].clone(), made["mirrorY"].clone()), (json!(false), json!(true)));
    assert_eq!(made["traits"], json!({"testBox": "1", "@context": "http://schema.org/"}));
    assert_eq!(made["transform"], json!({"x": 10.0, "y": 20.0, "scaleX": 1.0, "scaleY": 1.0}));
    assert_eq!(
        made["style"],
        json!({"height": 300.0, "width": 800.0, "fillColor": {"r": 255, "g": 161, "b": 161, "a": 1.0}})
    );
    let id = made["id"].as_str().expect("id").to_string();

    let read = format!(
        "... on Shape {{ text blocks {{ align }} textStyle {{ fontSize fontFamily verticalAlign color {COLOR} }}
         style {{ __typename ... on RegularShapeStyle {{ strokeWidth strokeColor {COLOR} }} ... on StickyShapeStyle {{ width height }} }} }}"
    );
    let shape = element(&app, &token, &ws, &id, &read).await;
    assert_eq!(shape["text"], "text on shape");
    assert_eq!(shape["blocks"], json!([{"align": "left"}]), "text makes a paragraph");
    assert_eq!(
        shape["textStyle"],
        json!({"fontSize": "auto", "fontFamily": "Noto Sans", "verticalAlign": "center",
        "color": {"r": 255, "g": 255, "b": 255, "a": 1.0}}),
        "the schema's defaults fill what the input leaves out"
    );
    assert_eq!(
        shape["style"],
        json!({"__typename": "RegularShapeStyle", "strokeWidth": 5.0, "strokeColor": {"r": 255, "g": 0, "b": 0, "a": 1.0}})
    );

    // Into a sticky note: only the width is given, the note is square and its fill defaults.
    let update = "mutation($ws:String!,$id:String!){ updateShape(workspaceId:$ws, id:$id, input:{
        style:{stickyShape:{kind:StickySquare, width:250}}, textStyle:{fontSize:32}}) { id } }";
    let updated = run(&app, &token, update, json!({"ws": ws, "id": id})).await;
    assert_eq!(updated["updateShape"], json!({"id": id}));
    let shape = element(&app, &token, &ws, &id, &read).await;
    assert_eq!(shape["style"], json!({"__typename": "StickyShapeStyle", "width": 250.0, "height": 250.0}));
    assert_eq!(shape["textStyle"]["fontSize"], 32);
    assert_eq!(shape["textStyle"]["verticalAlign"], "center", "the rest of the text style stays");
    let kind = element(&app, &token, &ws, &id, "... on Shape { kind style { fillColor { a } } }").await;
    assert_eq!(kind, json!({"__typename": "Shape", "kind": "StickySquare", "style": {"fillColor": {"a": 1.0}}}));
}

#[tokio::test]
async fn text_is_plain_text_or_rich_blocks_and_each_gives_the_other() {
    let (app, token, ws) = fixture().await;
    let create = "mutation($ws:String!){ createText(workspaceId:$ws, input:{
        style:{fontSize:32, color:{r:10, g:20, b:30}},
        blocks:[
          {block:{align:center, content:[{span:{fontWeight:bold, text:\"Agenda\"}}, {text:\" today\"}]}},
          {list:{kind:ordered, items:[{text:\"one\"}, {indent:1, content:[{link:{url:\"https://example.com\", text:\"two\"}}]}]}},
          {text:\"end\"}
        ]}) { id text style { fontSize fontFamily color { r g b a } backgroundColor { a } width } } }";
    let made = run(&app, &token, create, json!({"ws": ws})).await["createText"].clone();
    assert_eq!(made["text"], "Agenda today\none\ntwo\nend");
    assert_eq!(
        made["style"],
        json!({"fontSize": 32, "fontFamily": "Dosis", "color": {"r": 10, "g": 20, "b": 30, "a": 1.0},
        "backgroundColor": {"a": 0.0}, "width": 400.0})
    );
    let id = made["id"].as_str().expect("id").to_string();
    let read = "... on Text { text blocks { __typename align ... on TextBlock { content }
        ... on TextList { kind items { indent content } } } }";
    let text = element(&app, &token, &ws, &id, read).await;
    assert_eq!(
        text["blocks"][0],
        json!({"__typename": "TextBlock", "align": "center",
        "content": [{"span": {"fontWeight": "bold", "text": "Agenda"}}, {"text": " today"}]})
    );
    assert_eq!(
        text["blocks"][1],
        json!({"__typename": "TextList", "align": "left", "kind": "ordered",
        "items": [{"indent": 0, "content": [{"text": "one"}]},
                  {"indent": 1, "content": [{"link": {"url": "https://example.com", "text": "two"}}]}]})
    );
    assert_eq!(text["blocks"][2]["content"], json!([{"text": "end"}]));

    // Plain text replaces the blocks with a paragraph per line.
    let update =
        "mutation($ws:String!,$id:String!){ updateText(workspaceId:$ws, id:$id, input:{text:\"a\\nb\"}) { id } }";
    run(&app, &token, update, json!({"ws": ws, "id": id})).await;
    let text = element(&app, &token, &ws, &id, read).await;
    assert_eq!(text["text"], "a\nb");
    assert_eq!(
        text["blocks"],
        json!([{"__typename": "TextBlock", "align": "left", "content": [{"text": "a"}]},
        {"__typename": "TextBlock", "align": "left", "content": [{"text": "b"}]}])
    );
}

#[tokio::test]
async fn lines_strokes_canvases_and_images_take_the_platforms_inputs() {
    let (app, token, ws) = fixture().await;
    // A canvas with the schema's defaults, and a text placed relative to it.
    let canvas =
        "mutation($ws:String!){ createCanvas(workspaceId:$ws, input:{name:\"Ideas\", transform:{x:100, y:50}}) {
        id name style { width height borderColor { r g b a } fillColor { a } showName } } }";
    let canvas = run(&app, &token, canvas, json!({"ws": ws})).await["createCanvas"].clone();
    assert_eq!(
        canvas["style"],
        json!({"width": 1000.0, "height": 1000.0, "borderColor": {"r": 238, "g": 85, "b": 80, "a": 1.0},
        "fillColor": {"a": 0.0}, "showName": false})
    );
    let canvas_id = canvas["id"].as_str().expect("id").to_string();
    let inside =
        "mutation($ws:String!,$c:String!){ createText(relativeToOriginOf:$c, workspaceId:$ws, input:{text:\"in\",
        transform:{x:5, y:7}}) { transform { x y } } }";
    let inside = run(&app, &token, inside, json!({"ws": ws, "c": canvas_id})).await;
    assert_eq!(inside["createText"]["transform"], json!({"x": 105.0, "y": 57.0}));

    // A stroke: flat points and a uniform scale.
    let stroke = "mutation($ws:String!){ createStroke(workspaceId:$ws, input:{points:[0, 0, 10, 5],
        transform:{x:1, y:2, scale:2}, style:{strokeWidth:3}}) { points transform { scaleX scaleY } boundingBox { x y width height }
        style { strokeWidth brushType color { r } } } }";
    let stroke = run(&app, &token, stroke, json!({"ws": ws})).await["createStroke"].clone();
    assert_eq!(
        stroke,
        json!({"points": [0.0, 0.0, 10.0, 5.0], "transform": {"scaleX": 2.0, "scaleY": 2.0},
        "boundingBox": {"x": 1.0, "y": 2.0, "width": 20.0, "height": 10.0},
        "style": {"strokeWidth": 3.0, "brushType": "Pen", "color": {"r": 255}}})
    );

    // The collection's "createLine", then its "updateLineAnchor" onto the canvas.
    let line = "mutation myCreateLine($workspaceId:String!){ createLine(workspaceId:$workspaceId, input:{
        start:{ absolute:{x:0 y:0} } end:{ absolute:{x:300 y:300} }
        style:{ startCap:Circle endCap:ArrowStroke strokeColor:{r:255 g:0 b:0 a:1} strokeStyle: Solid strokeWidth: 15 } })
        { id transform {x y} } }";
    let line_id =
        run(&app, &token, line, json!({"workspaceId": ws})).await["createLine"]["id"].as_str().expect("id").to_string();
    let anchor = "mutation updateLineAnchor($workspaceId: String!, $lineID:String!, $startAnchorId:String!){
        updateLine(workspaceId:$workspaceId, id:$lineID, input:{ start:{ anchor:{ id:$startAnchorId u:0.5 v:0 } } }) { id } }";
    run(&app, &token, anchor, json!({"workspaceId": ws, "lineID": line_id, "startAnchorId": canvas_id})).await;
    let read = "... on Line { start { __typename ... on AnchorLinePoint { id u v } ... on AbsoluteLinePoint { x y } }
        end { __typename ... on AbsoluteLinePoint { x y } } controlPoints { __typename } routing
        style { strokeWidth startCap endCap strokeStyle strokeColor { r g b a } } }";
    let line = element(&app, &token, &ws, &line_id, read).await;
    assert_eq!(line["start"], json!({"__typename": "AnchorLinePoint", "id": canvas_id, "u": 0.5, "v": 0.0}));
    assert_eq!(line["end"], json!({"__typename": "AbsoluteLinePoint", "x": 300.0, "y": 300.0}));
    assert_eq!((line["controlPoints"].clone(), line["routing"].clone()), (json!([]), json!("Direct")));
    assert_eq!(
        line["style"],
        json!({"strokeWidth": 15.0, "startCap": "Circle", "endCap": "ArrowStroke", "strokeStyle": "Solid",
        "strokeColor": {"r": 255, "g": 0, "b": 0, "a": 1.0}})
    );

    // An image from a URL, as the collection creates one (its file is not fetched).
    let image =
        "mutation($ws:String!){ createImage(workspaceId:$ws, input:{ pinned:false title:\"logo.png\" imageFormat: png
        sourceUrl: \"https://example.com/logo.png\" width:473 height:500 transform: { x: 0 y: 0 scale:1 } })
        { image { id pinned width height title sourceUrl filename } } }";
    let image = run(&app, &token, image, json!({"ws": ws})).await["createImage"]["image"].clone();
    assert_eq!(
        (image["width"].clone(), image["height"].clone(), image["title"].clone()),
        (json!(473.0), json!(500.0), json!("logo.png"))
    );
    assert_eq!(
        (image["sourceUrl"].clone(), image["filename"].clone()),
        (json!("https://example.com/logo.png"), Value::Null)
    );
}

/// A database written before tessera took the platform's element shapes keeps its boards: the
/// element, the event that created it and its comments read in today's form.
#[tokio::test]
async fn elements_stored_by_an_earlier_version_read_in_the_platforms_shapes() {
    let (app, token, ws) = fixture().await;
    let made = run(
        &app,
        &token,
        "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"x\"}) { id } }",
        json!({"ws": ws}),
    )
    .await;
    let id = made["createText"]["id"].as_str().expect("id").to_string();
    let old = json!({"id": id, "workspaceId": ws, "zIndex": 0, "transform": {"x": 1.0, "y": 2.0, "scaleX": 1.0, "scaleY": 1.0},
        "pinned": false, "style": {}, "traits": {}, "body": {"type": "Shape", "kind": "StickyNoteSquare", "text": "old note",
        "size": {"width": 300.0, "height": 300.0}}, "createdAt": 1, "updatedAt": 1});
    let payload = json!({"type": "elementCreated", "element": old});
    raw_sql(&app.db_url(), &format!("UPDATE elements SET type = 'Shape', data = '{old}' WHERE id = '{id}'")).await;
    raw_sql(&app.db_url(), &format!("UPDATE events SET payload = '{payload}' WHERE kind = 'elementCreated'")).await;

    let shape = element(&app, &token, &ws, &id, "... on Shape { kind text style { __typename width height } }").await;
    assert_eq!(
        shape,
        json!({"__typename": "Shape", "kind": "StickySquare", "text": "old note",
        "style": {"__typename": "StickyShapeStyle", "width": 300.0, "height": 300.0}})
    );
    // A comment stored before comments had blocks, parents and commenters reads in today's shape.
    let me = run(&app, &token, "{ me { profile { id } } }", json!({})).await["me"]["profile"]["id"].clone();
    let me = me.as_str().expect("id");
    raw_sql(
        &app.db_url(),
        &format!(
            "INSERT INTO comments (id, workspace_id, element_id, author_id, text, created_at) \
        VALUES ('c0ldc0mment', '{ws}', '{id}', '{me}', 'old\ncomment', 5)"
        ),
    )
    .await;
    let comments =
        element(&app, &token, &ws, &id, "comments { id parentId text actorId actorType blocks { content } }").await;
    assert_eq!(
        comments["comments"],
        json!([{"id": "c0ldc0mment", "parentId": null, "text": "old\ncomment", "actorId": me,
        "actorType": "user", "blocks": [{"content": [{"text": "old"}]}, {"content": [{"text": "comment"}]}]}])
    );
    let created = app.events(&ws).await.into_iter().find(|e| e.payload.kind() == "elementCreated").expect("event");
    match created.payload {
        tessera_core::event::EventPayload::ElementCreated { element } => {
            assert_eq!(element.element_type(), tessera_core::element::ElementType::Shape);
            assert_eq!(element.transform.y, 2.0);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn comments_thread_on_elements_with_blocks_mentions_and_traits() {
    let (app, token, ws) = fixture().await;
    let text = run(
        &app,
        &token,
        "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"t\"}) { id } }",
        json!({"ws": ws}),
    )
    .await["createText"]["id"]
        .clone();
    let shape = run(
        &app,
        &token,
        "mutation($ws:String!){ createShape(workspaceId:$ws, input:{style:{stickyShape:{kind:StickySquare}}}) { id } }",
        json!({"ws": ws}),
    )
    .await["createShape"]["id"]
        .clone();
    // The collection's "createComment", as written there (single values for lists).
    let create = "mutation myCreateComment($workspaceId:String!, $elementId:ID!, $comment:String!) {
        createComment(workspaceId: $workspaceId id:$elementId input: { blocks:{ content:{ text:$comment } } })
        { id parentId createdAt actorId actorType text traits blocks{ content } } }";
    let vars = json!({"workspaceId": ws, "elementId": text, "comment": "this is a comment from graphQL"});
    let first = run(&app, &token, create, vars).await["createComment"].clone();
    assert_eq!(first["text"], "this is a comment from graphQL");
    assert_eq!(first["blocks"], json!([{"content": [{"text": "this is a comment from graphQL"}]}]));
    assert_eq!((first["parentId"].clone(), first["actorType"].clone()), (Value::Null, json!("bot")), "{first}");
    assert!(first["createdAt"].as_str().is_some_and(|t| t.contains('T') && t.ends_with("+00:00")), "{first}");

    let reply = "mutation($ws:String!, $id:ID!, $parent:String!) { createComment(workspaceId:$ws, id:$id, input:{
        parentId:$parent, traits:{mood: \"glad\", _context: \"http://schema.org/\"},
        blocks:[{content:[{text:\"thanks \"}, {mention:{targetType:user, targetId:\"someone\"}}]}, {content:[{mention:{targetType:all}}]}]}) {
        id parentId text commenterName traits blocks { content } } }";
    let second =
        run(&app, &token, reply, json!({"ws": ws, "id": text, "parent": first["id"]})).await["createComment"].clone();
    assert_eq!(
        (second["parentId"].clone(), second["text"].clone()),
        (first["id"].clone(), json!("thanks @someone\n@all"))
    );
    assert_eq!(second["commenterName"], "Drawer");
    assert_eq!(second["traits"], json!({"mood": "glad", "_context": "http://schema.org/"}), "kept as given");
    assert_eq!(second["blocks"][1], json!({"content": [{"mention": {"targetType": "all", "targetId": null}}]}));
    let on_shape = "mutation($ws:String!, $id:ID!) { createComment(workspaceId:$ws, id:$id, input:{blocks:[{content:[{text:\"sticky\"}]}]}) { id } }";
    let third = run(&app, &token, on_shape, json!({"ws": ws, "id": shape})).await["createComment"]["id"].clone();
    // A reply must stay on its parent's element.
    let astray = app.gql(&token, reply, json!({"ws": ws, "id": shape, "parent": first["id"]})).await;
    assert_eq!(error_code(&astray), Some("BAD_USER_INPUT"), "{astray}");

    // Read back through the whole list (comments read once for all) and for one element.
    let all = run(
        &app,
        &token,
        "query($ws:String!){ elements(workspaceId:$ws) { id comments { id parentId text } } }",
        json!({"ws": ws}),
    )
    .await;
    let by_id = |id: &Value| {
        all["elements"].as_array().and_then(|l| l.iter().find(|e| e["id"] == *id)).expect("listed")["comments"].clone()
    };
    let ids = |list: &Value| list.as_array().expect("comments").iter().map(|c| c["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&by_id(&text)), vec![first["id"].clone(), second["id"].clone()], "oldest first");
    assert_eq!(by_id(&text)[1]["parentId"], first["id"]);
    assert_eq!(ids(&by_id(&shape)), vec![third.clone()]);
    let one = element(&app, &token, &ws, text.as_str().expect("id"), "comments { id parentId text }").await;
    assert_eq!(one["comments"], by_id(&text), "one element reads the same as the list");

    // The command carries the element's type.
    let stored = app.events(&ws).await;
    let last = stored.iter().rev().find(|e| e.payload.kind() == "commentCreated").expect("a comment event");
    match &last.payload {
        tessera_core::event::EventPayload::CommentCreated { element_type, comment } => {
            assert_eq!(
                (*element_type, comment.id.0.as_str()),
                (Some(tessera_core::element::ElementType::Shape), third.as_str().expect("id"))
            );
        }
        other => panic!("{other:?}"),
    }
}

/// Where the platform's input fields are nullable with a default, an explicit `null` is taken
/// as not given (the element keeps or takes its default), not refused.
#[tokio::test]
async fn explicit_nulls_are_accepted_where_the_platform_allows_them() {
    let (app, token, ws) = fixture().await;
    let create =
        "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"n\", transform:{x:null, y:5, scaleX:null},
        style:{color:{r:null, g:10, b:null, a:null}}}) { id transform { x y scaleX } style { color { r g b a } } } }";
    let made = run(&app, &token, create, json!({"ws": ws})).await["createText"].clone();
    assert_eq!(made["transform"], json!({"x": 0.0, "y": 5.0, "scaleX": 1.0}), "{made}");
    assert_eq!(made["style"]["color"]["g"], 10, "{made}");
    let shape = "mutation($ws:String!){ createShape(workspaceId:$ws, input:{transform:{x:null, y:null}, style:{regularShape:{kind:Diamond}}}) { id } }";
    run(&app, &token, shape, json!({"ws": ws})).await;
    let line = "mutation($ws:String!){ createLine(workspaceId:$ws, input:{start:{absolute:{x:null, y:2}}, end:{absolute:{x:3, y:null}}}) {
        start { ... on AbsoluteLinePoint { x y } } } }";
    assert_eq!(run(&app, &token, line, json!({"ws": ws})).await["createLine"]["start"], json!({"x": 0.0, "y": 2.0}));
    let paged = "{ me { workspaces(pagination:{pageSize:null}, ordering:[{field:name, order:null}]) { totalItems } } }";
    assert_eq!(run(&app, &token, paged, json!({})).await["me"]["workspaces"]["totalItems"], 1);
    // A comment's traits are a JSON-LD document, kept as given.
    let id = made["id"].as_str().expect("id");
    let comment = "mutation($ws:String!, $id:ID!, $t:JSONObject){ createComment(workspaceId:$ws, id:$id, input:{traits:$t, blocks:[{content:[{text:\"c\"}]}]}) { traits } }";
    let doc = json!({"@context": "http://schema.org/", "@type": "Review", "reviewRating": 4});
    assert_eq!(run(&app, &token, comment, json!({"ws": ws, "id": id, "t": doc})).await["createComment"]["traits"], doc);
}
