//! The platform's remaining element types (issue 16): documents, videos, browsers, grids, icons
//! and windows created and updated with the platform's inputs (the collection's own requests,
//! with real ids), read back with the platform's fields and queries; and the types no mutation
//! creates, which documents may name but no element has.

use crate::compat_elements::{element, fixture, run};
use crate::helpers::*;
use serde_json::{json, Value};

/// A canvas around everything the tests create, so that the collection's query of a canvas's
/// elements reads them all.
async fn canvas(app: &TestApp, token: &str, ws: &str) -> String {
    let doc =
        "mutation($ws:String!){ createCanvas(workspaceId:$ws, input:{name:\"All\", transform:{x:-10000, y:-10000},
        style:{width:100000, height:100000}}) { id } }";
    run(app, token, doc, json!({"ws": ws})).await["createCanvas"]["id"].as_str().expect("id").to_string()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

#[tokio::test]
async fn documents_and_videos_take_the_platforms_inputs_and_describe_their_assets() {
    let (app, token, ws) = fixture().await;
    // The collection's "createDocument URL", as written there.
    let create = "mutation createDocumentFromUrl($workspaceId:String!, $x:Float!, $y:Float!, $width:Float!, $height:Float!, $title:String!, $documentFormat:DocumentFormatInput!, $url:String! $scale:Float) {
        createDocument(workspaceId: $workspaceId, input: { title:$title pinned:false documentFormat: $documentFormat
            sourceUrl: $url width:$width height:$height transform: { x: $x y: $y scale:$scale } })
        { content{ uploadId url fields} preview{uploadId url fields} document{id width height ingestionState} } }";
    let vars = json!({"workspaceId": ws, "title": "testPDF.pdf", "documentFormat": "pdf", "previewFormat": "png",
        "url": "https://example.com/one-pager.pdf", "x": 0, "y": 0, "width": 989, "height": 1280, "scale": 1});
    let made = run(&app, &token, create, vars).await["createDocument"].clone();
    assert_eq!((made["content"].clone(), made["preview"].clone()), (Value::Null, Value::Null), "no upload slots");
    assert_eq!((made["document"]["width"].clone(), made["document"]["height"].clone()), (json!(989.0), json!(1280.0)));
    assert_eq!(made["document"]["ingestionState"], "transferring", "the file is fetched afterwards");
    let doc_id = id(&made["document"]);

    // The collection's "updateDocument".
    let update =
        "mutation myUpdateDocument($workspaceId:String!, $x:Float!, $y:Float!, $scale:Float!, $documentID: String!){
        updateDocument( workspaceId:$workspaceId id:$documentID input:{ transform:{ x:$x y:$y scale:$scale } }) {id} }";
    let vars = json!({"workspaceId": ws, "x": 5, "y": 6, "scale": 2, "documentID": doc_id});
    assert_eq!(run(&app, &token, update, vars).await["updateDocument"]["id"], doc_id.as_str());
    let read = "transform { x y scaleX scaleY } boundingBox { width height } ... on Document { title filename sourceUrl
        preview { imageFormat url } ingestionState asset { documentFormat url(scale: Original) } attachments { id } surface { id } }";
    let document = element(&app, &token, &ws, &doc_id, read).await;
    // (Fetching the example's URL fails here, sooner or later: the file never arrives.)
    assert!(matches!(document["ingestionState"].as_str(), Some("transferring" | "complete_failure")), "{document}");
    assert_eq!(
        document,
        json!({"__typename": "Document", "transform": {"x": 5.0, "y": 6.0, "scaleX": 2.0, "scaleY": 2.0},
        "boundingBox": {"width": 1978.0, "height": 2560.0}, "title": "testPDF.pdf", "filename": null,
        "sourceUrl": "https://example.com/one-pager.pdf", "preview": null, "ingestionState": document["ingestionState"],
        "asset": {"documentFormat": "pdf", "url": null}, "attachments": [], "surface": null})
    );

    // The collection's "createVideo with URL", then its "updateVideo".
    let create = "mutation myCreateVideoFromURL($workspaceId: String!, $x:Float!, $y:Float!, $width:Float!, $height:Float!, $title:String!, $videoFormat:VideoFormatInput!, $url:String!) {
        createVideo(workspaceId: $workspaceId, input: { title:$title videoFormat: $videoFormat sourceUrl: $url
            width: $width height: $height transform: { x: $x y: $y } })
        { content{ uploadId url fields}
          video{ title id filename ingestionState width height asset{ videoFormat url} preview{imageFormat url}}
          preview{uploadId url fields} } }";
    let vars = json!({"workspaceId": ws, "title": "testVideo.mp4", "videoFormat": "mp4", "previewFormat": "jpeg",
        "url": "https://example.com/bunny.mp4", "x": 0, "y": 0, "width": 1920, "height": 1080, "scale": 1});
    let made = run(&app, &token, create, vars).await["createVideo"].clone();
    let video_id = id(&made["video"]);
    assert_eq!(
        made,
        json!({"content": null, "preview": null, "video": {"title": "testVideo.mp4", "id": video_id, "filename": null,
        "ingestionState": "transferring", "width": 1920.0, "height": 1080.0,
        "asset": {"videoFormat": "mp4", "url": null}, "preview": null}})
    );
    let update = "mutation myUpdateVideo($workspaceId: String! $x: Float! $y: Float! $scale:Float! $videoID: String!) {
        updateVideo( workspaceId:$workspaceId id:$videoID input:{ transform:{ x:$x y:$y scale:$scale } }) { id } }";
    run(&app, &token, update, json!({"workspaceId": ws, "x": 0, "y": 0, "scale": 2, "videoID": video_id})).await;

    // A video from a file: the platform's other spellings of a format, a preview's format, and
    // the schema's defaults for the size.
    let from_disk = "mutation($ws:String!){ createVideo(workspaceId:$ws, input:{filename:\"clip.mov\", videoFormat:mov,
        previewFormat:jpegMime}) { video { id width height filename sourceUrl title asset { videoFormat }
        preview { imageFormat url } transform { scaleX } } } }";
    let clip = run(&app, &token, from_disk, json!({"ws": ws})).await["createVideo"]["video"].clone();
    assert_eq!(
        clip,
        json!({"id": clip["id"], "width": 1000.0, "height": 1000.0, "filename": "clip.mov", "sourceUrl": null,
        "title": "", "asset": {"videoFormat": "quicktime"}, "preview": {"imageFormat": "jpeg", "url": null},
        "transform": {"scaleX": 1.0}})
    );

    // Every asset-backed element through the platform's interface, images included.
    run(&app, &token, "mutation($ws:String!){ createImage(workspaceId:$ws, input:{imageFormat:tif, previewFormat:pngMime}) { content { url } preview { url } image { id } } }", json!({"ws": ws})).await;
    let assets = run(
        &app,
        &token,
        "query($ws:String!){ elements(workspaceId:$ws, type:[Image, Document, Video]) { __typename
            ... on AssetBacked { width title ingestionState preview { imageFormat } }
            ... on Image { asset { imageFormat url(scale: Low) } } ... on Video { asset { videoFormat } } } }",
        json!({"ws": ws}),
    )
    .await;
    let list = assets["elements"].as_array().expect("elements");
    assert_eq!(list.len(), 4, "{assets}");
    let video = list.iter().find(|e| e["__typename"] == "Video" && e["width"] == 1920.0).expect("the video");
    assert_eq!(video["asset"], json!({"videoFormat": "mp4"}));
    let image = list.iter().find(|e| e["__typename"] == "Image").expect("the image");
    assert_eq!(
        image,
        &json!({"__typename": "Image", "width": 1000.0, "title": "", "ingestionState": "transferring",
        "preview": {"imageFormat": "png"}, "asset": {"imageFormat": "tiff", "url": null}})
    );
}

#[tokio::test]
async fn browsers_icons_and_windows_take_the_platforms_inputs() {
    let (app, token, ws) = fixture().await;
    // The collection's "createBrowser", as written there: the size is the schema's default.
    let create = "mutation myCreateBrowser($workspaceId:String!, $url:String!, $x:Float!, $y:Float!, $scale:Float!) {
        createBrowser(workspaceId:$workspaceId, input:{ url: $url pinned:false style:{ frameless:true }
            transform:{ x:$x y:$y scale:$scale } })
        { id url transform {x y scaleX scaleY} style{ width height frameless} } }";
    let vars = json!({"workspaceId": ws, "url": "https://www.bluescape.com", "x": 10, "y": 20, "scale": 1});
    let browser = run(&app, &token, create, vars).await["createBrowser"].clone();
    assert_eq!(browser["url"], "https://www.bluescape.com");
    assert_eq!(browser["transform"], json!({"x": 10.0, "y": 20.0, "scaleX": 1.0, "scaleY": 1.0}));
    assert_eq!(browser["style"], json!({"width": 800.0, "height": 600.0, "frameless": true}));
    let browser_id = id(&browser);
    // Its "updateBrowser": the size changes and `frameless` stays.
    let update = "mutation($workspaceId:String!, $browserID:String!, $url:String!, $x:Float!, $y:Float!, $scale:Float!, $width:Float!, $height:Float!){
        updateBrowser(workspaceId: $workspaceId id:$browserID input: { url: $url pinned:false
            style:{ width:$width height:$height } transform:{ x:$x y:$y scale:$scale } }) {id} }";
    let vars = json!({"workspaceId": ws, "url": "https://example.com/page", "x": 0, "y": 0, "width": 1000,
        "height": 700, "scale": 2, "browserID": browser_id});
    run(&app, &token, update, vars).await;
    let read = "boundingBox { x y width height } ... on Browser { url style { frameless width height } surface { id } attachments(type: [Text]) { id } }";
    assert_eq!(
        element(&app, &token, &ws, &browser_id, read).await,
        json!({"__typename": "Browser", "boundingBox": {"x": 0.0, "y": 0.0, "width": 2000.0, "height": 1400.0},
        "url": "https://example.com/page", "style": {"frameless": true, "width": 1000.0, "height": 700.0},
        "surface": null, "attachments": []})
    );

    // The collection's "createIcon" (its input a variable), then its "updateIcon".
    let create = "mutation myCreateIcon($workspaceId:String!, $CreateIconInput:CreateIconInput!){
        createIcon(workspaceId:$workspaceId input:$CreateIconInput){ id transform {x y} } }";
    let vars = json!({"workspaceId": ws, "CreateIconInput": {"width": 300, "height": 300,
        "style": {"color": {"r": 0, "g": 0, "b": 0, "a": 1}},
        "assetPath": "/icons/Icon Library/Bluescape/E-Commerce/e-commerce_color/calc-2624.svg"}});
    let icon = run(&app, &token, create, vars).await["createIcon"].clone();
    assert_eq!(icon["transform"], json!({"x": 0.0, "y": 0.0}));
    let icon_id = id(&icon);
    let update = "mutation myUpdateIcon($workspaceId:String!, $iconId:String!){
        updateIcon(workspaceId:$workspaceId, id:$iconId, input:{ transform:{ x:0 y:0 scale:1 } }) { id } }";
    run(&app, &token, update, json!({"workspaceId": ws, "iconId": icon_id})).await;
    let tint = "mutation($ws:String!, $id:String!){ updateIcon(workspaceId:$ws, id:$id, input:{style:{color:{r:200}}, transform:{scale:0.5}}) { id } }";
    run(&app, &token, tint, json!({"ws": ws, "id": icon_id})).await;
    let read = "transform { scaleX scaleY } ... on Icon { width height assetPath style { color { r g b a } } }";
    assert_eq!(
        element(&app, &token, &ws, &icon_id, read).await,
        json!({"__typename": "Icon", "transform": {"scaleX": 0.5, "scaleY": 0.5}, "width": 300.0, "height": 300.0,
        "assetPath": "/icons/Icon Library/Bluescape/E-Commerce/e-commerce_color/calc-2624.svg",
        "style": {"color": {"r": 200, "g": 0, "b": 0, "a": 1.0}}})
    );
    // An icon given no style keeps its own colours; the schema's default size.
    let plain = "mutation($ws:String!){ createIcon(workspaceId:$ws, input:{assetPath:\"/icons/a.svg\"}) { width height style { color { r } } } }";
    assert_eq!(
        run(&app, &token, plain, json!({"ws": ws})).await["createIcon"],
        json!({"width": 300.0, "height": 300.0, "style": null})
    );

    // A window: no request in the collection; the schema's input, and its default size.
    let create = "mutation($ws:String!){ a: createWindow(workspaceId:$ws, input:{style:{width:640, height:480}, transform:{x:1, y:2}}) { id style { width height } }
        b: createWindow(workspaceId:$ws, input:{pinned:true}) { id pinned style { width height } boundingBox { width height } } }";
    let made = run(&app, &token, create, json!({"ws": ws})).await;
    assert_eq!(made["a"]["style"], json!({"width": 640.0, "height": 480.0}));
    assert_eq!(
        made["b"],
        json!({"id": made["b"]["id"], "pinned": true, "style": {"width": 0.0, "height": 0.0},
        "boundingBox": {"width": 0.0, "height": 0.0}})
    );
    let window_id = id(&made["a"]);
    let update = "mutation($ws:String!, $id:String!){ updateWindow(workspaceId:$ws, id:$id, input:{transform:{scale:3}, zIndex:7}) { id } }";
    run(&app, &token, update, json!({"ws": ws, "id": window_id})).await;
    assert_eq!(
        element(&app, &token, &ws, &window_id, "zIndex transform { x y scaleX } boundingBox { width height }").await,
        json!({"__typename": "Window", "zIndex": 7, "transform": {"x": 1.0, "y": 2.0, "scaleX": 3.0},
        "boundingBox": {"width": 1920.0, "height": 1440.0}})
    );
}

#[tokio::test]
async fn grids_hold_elements_in_cells_as_the_collection_places_them() {
    let (app, token, ws) = fixture().await;
    let image = "mutation($ws:String!){ createImage(workspaceId:$ws, input:{imageFormat:png, title:\"cell\"}) { image { id } } }";
    let image_id = id(&run(&app, &token, image, json!({"ws": ws})).await["createImage"]["image"]);
    // The collection's "createGrid with Image" (a single cell where the schema has a list).
    let create = "mutation($workspaceId: String! $x:Float! $y:Float! $cellImageID:String!, $rowCount:Int!, $colCount:Int!, $imgRow:Int!, $imgCol:Int!) {
        createGrid( workspaceId: $workspaceId input: { cells:{ elementId:$cellImageID row:$imgRow column:$imgCol }
            rowCount:$rowCount columnCount:$colCount
            style:{ cellHeight:500 cellWidth:500 horizontalCellMargin:5 verticalCellMargin:5 }
            transform: {x:$x y:$y}}) {id} }";
    let vars = json!({"workspaceId": ws, "cellImageID": image_id, "imgRow": 2, "imgCol": 2, "x": 0, "y": 0,
        "rowCount": 3, "colCount": 3});
    let grid_id = id(&run(&app, &token, create, vars).await["createGrid"]);
    // The collection's "get Grid cells".
    let cells = "query($workspaceId: String!){ elements(workspaceId: $workspaceId, type:[Grid]) { __typename id traits
        ... on Grid{ columnCount rowCount cells{ column elementId row } } } }";
    assert_eq!(
        run(&app, &token, cells, json!({"workspaceId": ws})).await["elements"],
        json!([{"__typename": "Grid", "id": grid_id, "traits": {}, "columnCount": 3, "rowCount": 3,
        "cells": [{"column": 2, "elementId": image_id, "row": 2}]}])
    );
    let read = "boundingBox { width height } ... on Grid { style { cellWidth cellHeight horizontalCellMargin verticalCellMargin } }";
    assert_eq!(
        element(&app, &token, &ws, &grid_id, read).await,
        json!({"__typename": "Grid", "boundingBox": {"width": 1530.0, "height": 1530.0}, "style": {"cellWidth": 500.0,
        "cellHeight": 500.0, "horizontalCellMargin": 5.0, "verticalCellMargin": 5.0}})
    );

    // Its "updateGrid with Image": the cells are replaced, the grid grows, the style changes.
    let update = "mutation myUpdateGrid($workspaceId: String! $x:Float! $y:Float!, $gridID:String!, $cellImageID:String!, $imgRow:Int!, $imgCol:Int!, $rowCount:Int!, $colCount:Int!) {
        updateGrid( workspaceId: $workspaceId id:$gridID input: { cells:{ elementId:$cellImageID row:$imgRow column:$imgCol }
            rowCount:$rowCount columnCount:$colCount
            style:{ cellHeight:400 cellWidth:600 horizontalCellMargin:0 verticalCellMargin:10 }
            transform: {x:$x y:$y} }) {id} }";
    let vars = json!({"workspaceId": ws, "gridID": grid_id, "cellImageID": image_id, "imgRow": 1, "imgCol": 0,
        "x": 100, "y": 0, "rowCount": 4, "colCount": 4});
    run(&app, &token, update, vars).await;
    let read = "transform { x } boundingBox { width height } ... on Grid { rowCount columnCount cells { elementId row column } style { cellWidth verticalCellMargin } }";
    assert_eq!(
        element(&app, &token, &ws, &grid_id, read).await,
        json!({"__typename": "Grid", "transform": {"x": 100.0}, "boundingBox": {"width": 2400.0, "height": 1680.0},
        "rowCount": 4, "columnCount": 4, "cells": [{"elementId": image_id, "row": 1, "column": 0}],
        "style": {"cellWidth": 600.0, "verticalCellMargin": 10.0}})
    );

    // The schema's defaults: five by five cells of 1000 with margins of 5.
    let empty =
        "mutation($ws:String!){ createGrid(workspaceId:$ws, input:{cells:[]}) { rowCount columnCount cells { row }
        style { cellWidth cellHeight horizontalCellMargin verticalCellMargin } } }";
    assert_eq!(
        run(&app, &token, empty, json!({"ws": ws})).await["createGrid"],
        json!({"rowCount": 5, "columnCount": 5, "cells": [], "style": {"cellWidth": 1000.0, "cellHeight": 1000.0,
        "horizontalCellMargin": 5.0, "verticalCellMargin": 5.0}})
    );
}

/// The collection's queries that name every element type, run on a workspace holding each
/// type tessera creates: the types no mutation creates (`LegacyNote`, `Selection`,
/// `LinkedDocument`, `Whiteboard`) validate and match nothing.
#[tokio::test]
async fn the_collections_queries_of_every_type_read_each_new_element() {
    let (app, token, ws) = fixture().await;
    let canvas_id = canvas(&app, &token, &ws).await;
    let creates = "mutation($ws:String!){
        d: createDocument(workspaceId:$ws, input:{documentFormat:docx, title:\"plan\", width:10, height:20}) { document { id } }
        v: createVideo(workspaceId:$ws, input:{videoFormat:webm, filename:\"v.webm\"}) { video { id } }
        b: createBrowser(workspaceId:$ws, input:{url:\"https://example.com\"}) { id }
        g: createGrid(workspaceId:$ws, input:{cells:[], rowCount:1, columnCount:2}) { id }
        i: createIcon(workspaceId:$ws, input:{assetPath:\"/icons/x.svg\"}) { id }
        w: createWindow(workspaceId:$ws, input:{style:{width:50, height:60}}) { id } }";
    let made = run(&app, &token, creates, json!({"ws": ws})).await;
    // The collection's "get elements in a canvas with fragments", as written there.
    let in_canvas = "query CanvasElements($workspaceUid: String!, $canvasId: String!) {
    elements: elements(workspaceId: $workspaceUid, canvasId: $canvasId) {
        __typename
        id
        ... on Element { transform { ...allTransform } }
        ... on Text { zIndex pinned text style { width height color { ...allColor}
        backgroundColor { ...allColor } } }
        ... on Image { zIndex width height }
        ... on Stroke { zIndex points style { strokeWidth color { ...allColor } brushType } }
        ... on Document { width height title asset { documentFormat } }
        ... on LinkedDocument { style { width height } }
        ... on Shape { kind shapeText:text zIndex style {  width height fillColor{ ...allColor } } }
        ... on Browser {style { width height } }
        ... on Window {style { width height } }
        ... on Video {filename width height }
        ... on Whiteboard {style { width height } }
        ... on Grid {transform { ...allTransform } rowCount columnCount style { cellWidth cellHeight } }
        ... on Line { style { strokeWidth strokeColor { ...allColor } } start { ... on AbsoluteLinePoint { x y } } end { ... on AbsoluteLinePoint { x y } } } } }

    fragment allTransform on Transform { x y scaleX scaleY }
    fragment allColor on Color { r g b a }";
    let got = run(&app, &token, in_canvas, json!({"workspaceUid": ws, "canvasId": canvas_id})).await;
    let by_id = |key: &str| -> Value {
        let want = made[key].get("document").or_else(|| made[key].get("video")).unwrap_or(&made[key])["id"].clone();
        let list = got["elements"].as_array().expect("elements");
        let mut found = list.iter().find(|e| e["id"] == want).unwrap_or_else(|| panic!("{key} in {got}")).clone();
        found.as_object_mut().map(|o| (o.remove("id"), o.remove("transform")));
        found
    };
    assert_eq!(got["elements"].as_array().map(Vec::len), Some(6), "{got}");
    assert_eq!(
        by_id("d"),
        json!({"__typename": "Document", "width": 10.0, "height": 20.0, "title": "plan", "asset": {"documentFormat": "docx"}})
    );
    assert_eq!(by_id("v"), json!({"__typename": "Video", "filename": "v.webm", "width": 1000.0, "height": 1000.0}));
    assert_eq!(by_id("b"), json!({"__typename": "Browser", "style": {"width": 800.0, "height": 600.0}}));
    assert_eq!(
        by_id("g"),
        json!({"__typename": "Grid", "rowCount": 1, "columnCount": 2, "style": {"cellWidth": 1000.0, "cellHeight": 1000.0}})
    );
    assert_eq!(by_id("i"), json!({"__typename": "Icon"}));
    assert_eq!(by_id("w"), json!({"__typename": "Window", "style": {"width": 50.0, "height": 60.0}}));

    // The collection's "get elements by canvasID", every type it names, LegacyNote included.
    let by_type = "query getCanvasElements($workspaceId: String!, $canvasID:String!, $relativeToOriginOf:String){
        elements(workspaceId: $workspaceId, canvasId:$canvasID, relativeToOriginOf:$relativeToOriginOf,
            type:[Stroke, Grid, Image, Shape, LegacyNote, Canvas, Line, Text, Document, Video, Browser], flatten:false) {
            type:__typename id transform{ x y scaleX scaleY } } }";
    let vars = json!({"workspaceId": ws, "canvasID": canvas_id, "relativeToOriginOf": canvas_id});
    let got = run(&app, &token, by_type, vars).await;
    let mut types: Vec<&str> =
        got["elements"].as_array().expect("list").iter().filter_map(|e| e["type"].as_str()).collect();
    types.sort_unstable();
    assert_eq!(types, ["Browser", "Document", "Grid", "Video"], "{got}");
    assert_eq!(got["elements"][0]["transform"]["x"], 10000.0, "relative to the canvas");

    // Only types tessera never stores: nothing, for a reader, and still refused to others.
    let never =
        "query($ws:String!){ elements(workspaceId:$ws, type:[LegacyNote, Selection, LinkedDocument, Whiteboard]) {
        id ... on LegacyNote { text width style { fontSize fontWeight textTransform backgroundColor { r } } }
        ... on Selection { selected { id } } ... on LinkedDocument { url } ... on Whiteboard { preview } } }";
    assert_eq!(run(&app, &token, never, json!({"ws": ws})).await["elements"], json!([]));
    let org = app.core.admin_create_org("Elsewhere").await.expect("org").id;
    let (_, stranger) = app.core.admin_create_bot(&org, "stranger").await.expect("bot");
    let refused = app.gql(&stranger, never, json!({"ws": ws})).await;
    assert_eq!(error_code(&refused), Some("NOT_FOUND"), "{refused}");
    let all = "query($ws:String!){ elements(workspaceId:$ws, type:[]) { id } }";
    assert_eq!(run(&app, &token, all, json!({"ws": ws})).await["elements"].as_array().map(Vec::len), Some(7));
}
