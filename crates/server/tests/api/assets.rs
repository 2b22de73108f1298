//! Asset files (issue 17): create → upload with the returned form → `processAsset` → processing,
//! each step an `UploadAssetCommand`; signed, expiring download URLs; limits, sniffing and the
//! sweeper. The same tests run on the local store (by default) and on a real S3-protocol
//! server (`TESSERA_TEST_S3`, as `.ci/run` does with s3s-fs).

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera_core::element::asset::IngestionState;
use tessera_core::event::EventPayload;
use tessera_core::service::NewWorkspace;

struct Fx {
    app: TestApp,
    ws: String,
    writer: String,
    reader: String,
}

async fn fx_with(tweak: impl FnOnce(&mut tessera::config::Config)) -> Fx {
    let app = spawn_app_with(tweak).await;
    let org = app.core.admin_create_org("Assets").await.expect("org").id;
    let (writer_bot, writer) = app.core.admin_create_bot(&org, "Uploader").await.expect("bot");
    let input = NewWorkspace { org_id: org.clone(), name: "Gallery".into(), description: None, is_public: false };
    let ws = app.core.admin_create_workspace(input, &writer_bot.id).await.expect("ws").id.0;
    let (reader_bot, reader) = app.core.admin_create_bot(&org, "Viewer").await.expect("bot");
    let wsid = tessera_core::ids::WorkspaceId(ws.clone());
    app.core.admin_add_collaborator(&wsid, &reader_bot.id, "viewer").await.expect("add");
    Fx { app, ws, writer, reader }
}

async fn fx() -> Fx {
    fx_with(|_| {}).await
}

/// A PNG of `w` × `h` pixels.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).expect("png");
    out
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
/// An MP4 of a 1280 × 720, 30-second movie whose movie box comes after 200 KiB of media data
/// (as a file not made for streaming has it), so processing must look for it.
fn mp4() -> Vec<u8> {
    use tessera_core::element::asset::{box_header, sample_mp4};
    let sample = sample_mp4(1280, 720, 30_000, 1000);
    let mut boxes = Vec::new();
    let mut at = 0;
    while at < sample.len() {
        let size = box_header(&sample[at..]).expect("box").0.expect("size") as usize;
        boxes.push(sample[at..at + size].to_vec());
        at += size;
    }
    let media = [((200 * 1024 + 8) as u32).to_be_bytes().to_vec(), b"mdat".to_vec(), vec![0; 200 * 1024]].concat();
    [boxes[0].clone(), media, boxes[1].clone()].concat()
}

const FIELDS: &str = "id ingestionState ingestionFailure width height transform { x y scaleX scaleY }
    preview { imageFormat url low: url(scale: Low) }";

/// Create an element of `ty` (`Image`, `Document`, `Video`) with `input`; (element, content, preview).
async fn create(f: &Fx, ty: &str, input: Value) -> (Value, Value, Value) {
    let field = ty.to_lowercase();
    let format = match ty {
        "Image" => "imageFormat",
        "Document" => "documentFormat",
        _ => "videoFormat",
    };
    let doc = format!(
        "mutation($ws: String!, $input: Create{ty}Input!) {{ create{ty}(workspaceId: $ws, input: $input) {{
            content {{ uploadId url fields }} preview {{ uploadId url fields }}
            {field} {{ {FIELDS} asset {{ {format} url }} }} }} }}"
    );
    let r = f.app.gql(&f.writer, &doc, json!({"ws": f.ws, "input": input})).await;
    assert!(r["errors"].is_null(), "{r}");
    let made = &r["data"][format!("create{ty}")];
    (made[&field].clone(), made["content"].clone(), made["preview"].clone())
}

/// POST a file with an upload form, as a browser form would: the fields, then the file.
async fn upload(f: &Fx, form: &Value, bytes: Vec<u8>) -> StatusCode {
    let mut multipart = reqwest::multipart::Form::new();
    for (k, v) in form["fields"].as_object().expect("fields") {
        multipart = multipart.text(k.clone(), v.as_str().expect("field value").to_string());
    }
    multipart = multipart.part("file", reqwest::multipart::Part::bytes(bytes).file_name("upload"));
    let url = form["url"].as_str().expect("url");
    f.app.client.post(url).multipart(multipart).send().await.expect("upload").status()
}

async fn process(f: &Fx, token: &str, upload_id: &str, input: Value) -> Value {
    let doc = "mutation($ws: String!, $id: String!, $input: TransferCompleteInput!) {
        processAsset(workspaceId: $ws, id: $id, input: $input) }";
    f.app.gql(token, doc, json!({"ws": f.ws, "id": upload_id, "input": input})).await
}

/// The element as `elements(id:)` shows it, with its asset.
async fn element(f: &Fx, id: &str) -> Value {
    let doc = format!(
        "query($ws: String!, $id: String!) {{ elements(workspaceId: $ws, id: $id) {{
            ... on Image {{ {FIELDS} asset {{ url original: url(scale: Original) }} }}
            ... on Document {{ {FIELDS} asset {{ url }} }} ... on Video {{ {FIELDS} asset {{ url }} }} }} }}"
    );
    let r = f.app.gql(&f.writer, &doc, json!({"ws": f.ws, "id": id})).await;
    assert!(r["errors"].is_null(), "{r}");
    r["data"]["elements"][0].clone()
}

/// Wait until the element's asset is complete (processing runs in the background).
async fn settled(f: &Fx, id: &str) -> Value {
    for _ in 0..400 {
        let e = element(f, id).await;
        if e["ingestionState"].as_str().is_some_and(|s| s.starts_with("complete_")) {
            return e;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("element {id} never finished processing");
}

/// The ingestion states the workspace's log recorded for an element, in order.
async fn logged_states(f: &Fx, id: &str) -> Vec<IngestionState> {
    let events = f.app.events(&f.ws).await;
    events
        .iter()
        .filter_map(|e| match &e.payload {
            EventPayload::AssetIngested { element_id, ingestion_state, .. } if element_id.0 == id => {
                Some(*ingestion_state)
            }
            _ => None,
        })
        .collect()
}

async fn get(f: &Fx, url: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let res = f.app.client.get(url).send().await.expect("download");
    let status = res.status();
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
    (status, ct, res.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn an_image_is_uploaded_processed_and_downloaded_with_its_preview() {
    let f = fx().await;
    let input = json!({"imageFormat": "png", "title": "Chart", "filename": "chart.png",
        "width": 1000, "height": 1000, "transform": {"x": 100, "y": 50, "scale": 1}});
    let (image, content, preview) = create(&f, "Image", input).await;
    assert_eq!(image["ingestionState"], "transferring");
    assert!(image["asset"]["url"].is_null(), "no URL before the file is processed: {image}");
    assert!(preview.is_null(), "no preview upload without a previewFormat");
    let id = image["id"].as_str().expect("id");
    let file = png(1200, 600);
    assert!(upload(&f, &content, file.clone()).await.is_success());
    let r = process(&f, &f.writer, content["uploadId"].as_str().expect("uploadId"), json!({})).await;
    assert_eq!(r["data"]["processAsset"], true, "{r}");

    let done = settled(&f, id).await;
    assert_eq!(done["ingestionState"], "complete_success", "{done}");
    // The file's real size, scaled to fit the 1000 × 1000 box it asked for and centred in it.
    assert_eq!((done["width"].as_f64(), done["height"].as_f64()), (Some(1200.0), Some(600.0)));
    let t = &done["transform"];
    assert!((t["scaleX"].as_f64().expect("scale") - 1000.0 / 1200.0).abs() < 1e-9, "{t}");
    assert_eq!((t["x"].as_f64(), t["y"].as_f64()), (Some(100.0), Some(50.0 + 250.0)));

    // The file itself, byte for byte, as the type processing found.
    let (status, ct, body) = get(&f, done["asset"]["original"].as_str().expect("url")).await;
    assert_eq!((status, ct.as_deref()), (StatusCode::OK, Some("image/png")));
    assert!(body == file, "the downloaded file is the uploaded one");
    // The preview: a PNG at most 512 pixels a side, with the image's proportions.
    assert_eq!(done["preview"]["imageFormat"], "png");
    let (status, _, body) = get(&f, done["preview"]["low"].as_str().expect("preview url")).await;
    assert_eq!(status, StatusCode::OK);
    let small = image::load_from_memory(&body).expect("the preview is an image");
    assert_eq!((small.width(), small.height()), (512, 256));

    assert_eq!(
        logged_states(&f, id).await,
        [IngestionState::Processing, IngestionState::CompleteSuccess],
        "each step is an event on the workspace's log"
    );
    // The processed file is final: on the local store its form no longer takes a file (an S3
    // policy cannot be withdrawn before it expires; see docs/assets.md).
    if f.app.assets.blobs.local().is_some() {
        assert_eq!(upload(&f, &content, png(2, 2)).await, StatusCode::FORBIDDEN);
        let (_, _, body) = get(&f, done["asset"]["original"].as_str().expect("url")).await;
        assert!(body == file, "the file is unchanged");
    }
    // The same upload again changes nothing.
    let again = process(&f, &f.writer, content["uploadId"].as_str().expect("uploadId"), json!({})).await;
    assert!(again["errors"].is_array(), "a finished upload is gone: {again}");
    assert_eq!(logged_states(&f, id).await.len(), 2);
}

#[tokio::test]
async fn a_pdf_and_a_video_are_stored_and_served_as_what_they_are() {
    let f = fx().await;
    // A document keeps the box asked for; a video's picture size is read from its movie box.
    for (ty, input, bytes, mime, size) in [
        (
            "Document",
            json!({"documentFormat": "pdf", "title": "Spec"}),
            PDF.to_vec(),
            "application/pdf",
            (1000.0, 1000.0),
        ),
        ("Video", json!({"videoFormat": "mp4", "title": "Demo"}), mp4(), "video/mp4", (1280.0, 720.0)),
    ] {
        let (el, content, _) = create(&f, ty, input).await;
        let id = el["id"].as_str().expect("id");
        assert!(upload(&f, &content, bytes.clone()).await.is_success(), "{ty}");
        process(&f, &f.writer, content["uploadId"].as_str().expect("uploadId"), json!({})).await;
        let done = settled(&f, id).await;
        assert_eq!(done["ingestionState"], "complete_success", "{ty}: {done}");
        assert_eq!((done["width"].as_f64(), done["height"].as_f64()), (Some(size.0), Some(size.1)), "{ty}");
        let (status, ct, body) = get(&f, done["asset"]["url"].as_str().expect("url")).await;
        assert_eq!((status, ct.as_deref()), (StatusCode::OK, Some(mime)), "{ty}");
        assert!(body == bytes, "{ty}: the downloaded file is the uploaded one");
    }
}

#[tokio::test]
async fn a_documents_uploaded_preview_is_served_as_a_png_tessera_made() {
    let f = fx().await;
    let (el, content, preview) = create(&f, "Document", json!({"documentFormat": "pdf", "previewFormat": "png"})).await;
    assert!(preview["uploadId"].is_string(), "a previewFormat asks for a preview upload: {preview}");
    assert!(upload(&f, &content, PDF.to_vec()).await.is_success());
    assert!(upload(&f, &preview, png(800, 1000)).await.is_success());
    process(&f, &f.writer, preview["uploadId"].as_str().expect("uploadId"), json!({})).await;
    let done = settled(&f, el["id"].as_str().expect("id")).await;
    assert_eq!(done["ingestionState"], "complete_success", "{done}");
    let (status, ct, body) = get(&f, done["preview"]["url"].as_str().expect("preview url")).await;
    assert_eq!((status, ct.as_deref()), (StatusCode::OK, Some("image/png")));
    let img = image::load_from_memory(&body).expect("png");
    assert_eq!((img.width(), img.height()), (410, 512));
}

#[tokio::test]
async fn a_file_that_is_not_what_its_element_declares_fails_with_a_reason() {
    let f = fx().await;
    // A PNG where a JPEG was declared, a web page where a PDF was, nothing at all.
    let cases = [
        ("Image", json!({"imageFormat": "jpeg"}), Some(png(10, 10)), "PNG"),
        ("Document", json!({"documentFormat": "pdf"}), Some(b"<html><script>alert(1)</script>".to_vec()), "format"),
        ("Image", json!({"imageFormat": "png"}), None, "no file"),
    ];
    for (ty, input, bytes, reason) in cases {
        let (el, content, _) = create(&f, ty, input).await;
        if let Some(b) = bytes {
            assert!(upload(&f, &content, b).await.is_success());
        }
        process(&f, &f.writer, content["uploadId"].as_str().expect("uploadId"), json!({})).await;
        let done = settled(&f, el["id"].as_str().expect("id")).await;
        assert_eq!(done["ingestionState"], "complete_failure", "{done}");
        let failure = done["ingestionFailure"].as_str().expect("a reason");
        assert!(failure.contains(reason), "{failure:?} names {reason:?}");
        assert!(done["preview"].is_null() || done["preview"]["url"].is_null(), "nothing is served: {done}");
    }
    // A client that reports its upload failed: the asset fails with what it said.
    let (el, content, _) = create(&f, "Video", json!({"videoFormat": "webm"})).await;
    let r = process(
        &f,
        &f.writer,
        content["uploadId"].as_str().expect("uploadId"),
        json!({"errorCode": "NetworkError", "errorMessage": "connection reset"}),
    )
    .await;
    assert_eq!(r["data"]["processAsset"], true, "{r}");
    let done = element(&f, el["id"].as_str().expect("id")).await;
    assert_eq!(done["ingestionState"], "complete_failure");
    assert!(done["ingestionFailure"].as_str().expect("reason").contains("connection reset"));
}

#[tokio::test]
async fn uploads_past_the_size_limit_or_with_a_changed_form_are_refused() {
    let f = fx_with(|c| c.assets.image_bytes = 2_000).await;
    let (el, content, _) = create(&f, "Image", json!({"imageFormat": "png"})).await;
    let big = png(400, 400);
    assert!(big.len() > 2_000);
    let status = upload(&f, &content, big).await;
    assert!(status.is_client_error(), "a file over the limit is refused: {status}");
    // The signed form cannot be widened: a larger limit or another key breaks it.
    for (field, value) in [("max", "999999999"), ("key", "elsewhere/x")] {
        let mut widened = content.clone();
        if widened["fields"].get(field).is_some() {
            widened["fields"][field] = json!(value);
            let status = upload(&f, &widened, png(4, 4)).await;
            assert!(status.is_client_error(), "changing {field} is refused: {status}");
        }
    }
    // Nothing was stored, so processing finds no file.
    process(&f, &f.writer, content["uploadId"].as_str().expect("uploadId"), json!({})).await;
    let done = settled(&f, el["id"].as_str().expect("id")).await;
    assert_eq!(done["ingestionState"], "complete_failure");
    assert!(done["ingestionFailure"].as_str().expect("reason").contains("no file"), "{done}");
}

#[tokio::test]
async fn only_writers_finish_uploads_and_unknown_uploads_are_not_found() {
    let f = fx().await;
    let (el, content, _) = create(&f, "Image", json!({"imageFormat": "png"})).await;
    let upload_id = content["uploadId"].as_str().expect("uploadId");
    let r = process(&f, &f.reader, upload_id, json!({})).await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    let r = process(&f, &f.writer, "no-such-upload", json!({})).await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");
    assert_eq!(element(&f, el["id"].as_str().expect("id")).await["ingestionState"], "transferring");
    assert!(logged_states(&f, el["id"].as_str().expect("id")).await.is_empty());
}

#[tokio::test]
async fn download_urls_are_signed_and_cannot_be_changed_or_used_after_they_expire() {
    let f = fx().await;
    let (el, content, _) = create(&f, "Image", json!({"imageFormat": "png"})).await;
    assert!(upload(&f, &content, png(20, 20)).await.is_success());
    process(&f, &f.writer, content["uploadId"].as_str().expect("uploadId"), json!({})).await;
    let done = settled(&f, el["id"].as_str().expect("id")).await;
    let url = done["asset"]["url"].as_str().expect("url").to_string();
    assert_eq!(get(&f, &url).await.0, StatusCode::OK);
    let mut parsed = url::Url::parse(&url).expect("url");
    let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    // Each query parameter changed (a later expiry, another type, another signature) is refused.
    for i in 0..pairs.len() {
        let mut changed = pairs.clone();
        changed[i].1 = match changed[i].1.parse::<i64>() {
            Ok(n) => (n + 3_600_000).to_string(),
            Err(_) => format!("{}x", changed[i].1),
        };
        parsed.query_pairs_mut().clear().extend_pairs(changed.iter());
        // (An S3 server may answer an algorithm it does not know with 501: refused all the same.)
        let status = get(&f, parsed.as_str()).await.0;
        assert!(!status.is_success() && !status.is_redirection(), "changing {} is refused: {status}", pairs[i].0);
    }
    // An expired URL, signed as the server signs them (the local store's own URLs; a presigned
    // GET's expiry is part of what the loop above changed).
    if f.app.assets.blobs.local().is_some() {
        let key = url.split('?').next().and_then(|p| p.rsplit("/v3/storage/").next()).expect("key");
        let now = tessera_core::model::now_millis();
        let expired = f.app.assets.blobs.download_url(key, "image/png", now - 1000).await.expect("url");
        assert_eq!(get(&f, &expired).await.0, StatusCode::FORBIDDEN, "an expired URL is refused");
    }
}

#[tokio::test]
async fn uploads_that_never_finish_expire_and_are_cleaned_up() {
    let f = fx_with(|c| c.assets.upload_seconds = 0).await;
    let (el, content, _) = create(&f, "Image", json!({"imageFormat": "png"})).await;
    let id = el["id"].as_str().expect("id");
    // The form expired with the upload (an S3 policy counts whole seconds): the store refuses it.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let status = upload(&f, &content, png(4, 4)).await;
    assert!(status.is_client_error(), "an expired form is refused: {status}");
    assert!(f.app.assets.sweep().await.expect("sweep") >= 1);
    let done = element(&f, id).await;
    assert_eq!(done["ingestionState"], "complete_failure");
    assert!(done["ingestionFailure"].as_str().expect("reason").contains("expired"), "{done}");
    assert_eq!(logged_states(&f, id).await, [IngestionState::CompleteFailure]);
    // Swept once: nothing left to do.
    assert_eq!(f.app.assets.sweep().await.expect("sweep"), 0);
    let r = process(&f, &f.writer, content["uploadId"].as_str().expect("uploadId"), json!({})).await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");
}

#[tokio::test]
async fn the_rest_upload_flow_creates_uploads_and_finishes_an_image() {
    let f = fx().await;
    let res = f
        .app
        .client
        .post(format!("{}/v3/workspaces/{}/elements", f.app.base, f.ws))
        .bearer_auth(&f.writer)
        .json(&json!({"type": "Image", "imageFormat": "png", "title": "REST"}))
        .send()
        .await
        .expect("create");
    assert_eq!(res.status(), StatusCode::CREATED);
    let made: Value = res.json().await.expect("json");
    let content = made["data"]["content"].clone();
    let id = made["data"]["id"].as_str().expect("id").to_string();
    assert!(upload(&f, &content, png(64, 32)).await.is_success());
    let upload_id = content["uploadId"].as_str().expect("uploadId");
    let res = f
        .app
        .client
        .put(format!("{}/v3/workspaces/{}/assets/uploads/{upload_id}", f.app.base, f.ws))
        .bearer_auth(&f.writer)
        .json(&json!({}))
        .send()
        .await
        .expect("finish");
    assert_eq!(res.status(), StatusCode::OK);
    let done = settled(&f, &id).await;
    assert_eq!((done["ingestionState"].as_str(), done["width"].as_f64()), (Some("complete_success"), Some(64.0)));
    let res = f
        .app
        .client
        .put(format!("{}/v3/workspaces/{}/assets/uploads/{upload_id}", f.app.base, f.ws))
        .bearer_auth(&f.reader)
        .json(&json!({}))
        .send()
        .await
        .expect("finish");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

/// A web server on loopback serving a PNG at `/file.png` and redirects at `/to?url=…`.
async fn origin(file: Vec<u8>) -> String {
    use axum::extract::Query;
    use axum::response::{IntoResponse, Redirect};
    use std::collections::HashMap;
    let app = axum::Router::new()
        .route("/file.png", axum::routing::get(move || async move { file.clone().into_response() }))
        .route(
            "/to",
            axum::routing::get(|Query(q): Query<HashMap<String, String>>| async move {
                Redirect::temporary(q.get("url").map(String::as_str).unwrap_or("/")).into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("127.0.0.1:{port}")
}

async fn create_from(f: &Fx, url: &str) -> Value {
    let doc = "mutation($ws: String!, $url: String!) { createImage(workspaceId: $ws,
        input: {imageFormat: png, sourceUrl: $url}) { content { uploadId } image { id sourceUrl ingestionState } } }";
    f.app.gql(&f.writer, doc, json!({"ws": f.ws, "url": url})).await
}

#[tokio::test]
async fn an_image_is_fetched_from_its_source_url() {
    let host = origin(png(300, 100)).await;
    let f = fx_with(|c| c.fetch_allow = vec![tessera::web::limits::Net::parse("127.0.0.1/32").expect("net")]).await;
    let url = format!("http://{host}/to?url=/file.png");
    let r = create_from(&f, &url).await;
    assert!(r["errors"].is_null(), "{r}");
    let made = &r["data"]["createImage"];
    assert!(made["content"].is_null(), "nothing to upload: tessera fetches the file");
    assert_eq!(made["image"]["sourceUrl"], url.as_str());
    let done = settled(&f, made["image"]["id"].as_str().expect("id")).await;
    assert_eq!(done["ingestionState"], "complete_success", "{done}");
    assert_eq!((done["width"].as_f64(), done["height"].as_f64()), (Some(300.0), Some(100.0)));
    let (status, _, body) = get(&f, done["asset"]["url"].as_str().expect("url")).await;
    assert_eq!((status, body), (StatusCode::OK, png(300, 100)));
}

#[tokio::test]
async fn source_urls_on_loopback_private_or_metadata_addresses_are_refused() {
    let host = origin(png(8, 8)).await;
    let port = host.rsplit(':').next().expect("port").to_string();
    // Address literals are refused at once, and nothing is created.
    let f = fx().await;
    for url in [
        format!("http://{host}/file.png"),
        "http://10.1.2.3/x.png".into(),
        "http://192.168.0.1/x.png".into(),
        "http://169.254.169.254/latest/meta-data/".into(),
        "http://[::1]/x.png".into(),
        "file:///etc/passwd".into(),
    ] {
        let r = create_from(&f, &url).await;
        assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{url}: {r}");
    }
    assert_eq!(f.app.element_count(&f.ws).await, 0);
    // A name that resolves to loopback is refused once resolved: the image fails with why.
    let r = create_from(&f, &format!("http://localhost:{port}/file.png")).await;
    let done = settled(&f, r["data"]["createImage"]["image"]["id"].as_str().expect("id")).await;
    assert_eq!(done["ingestionState"], "complete_failure");
    assert!(done["ingestionFailure"].as_str().expect("reason").contains("private or reserved"), "{done}");

    // Allowed to reach the origin itself, a redirect from it to loopback, a private range or
    // the metadata address is refused all the same.
    let f = fx_with(|c| c.fetch_allow = vec![tessera::web::limits::Net::parse("127.0.0.1/32").expect("net")]).await;
    for target in [
        format!("http://127.0.0.2:{port}/file.png"),
        "http://10.0.0.1/x.png".into(),
        "http://169.254.169.254/latest/meta-data/".into(),
    ] {
        let url = format!(
            "http://{host}/to?url={}",
            url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>()
        );
        let r = create_from(&f, &url).await;
        let done = settled(&f, r["data"]["createImage"]["image"]["id"].as_str().expect("id")).await;
        assert_eq!(done["ingestionState"], "complete_failure", "{target}");
        let reason = done["ingestionFailure"].as_str().expect("reason");
        assert!(reason.contains("private or reserved"), "{target}: {reason}");
    }
}

#[tokio::test]
async fn a_source_url_past_the_size_limit_fails() {
    let host = origin(png(400, 400)).await;
    let f = fx_with(|c| {
        c.fetch_allow = vec![tessera::web::limits::Net::parse("127.0.0.1/32").expect("net")];
        c.assets.image_bytes = 1_000;
    })
    .await;
    let r = create_from(&f, &format!("http://{host}/file.png")).await;
    let done = settled(&f, r["data"]["createImage"]["image"]["id"].as_str().expect("id")).await;
    assert_eq!(done["ingestionState"], "complete_failure");
    assert!(done["ingestionFailure"].as_str().expect("reason").contains("larger than"), "{done}");
}

#[tokio::test]
async fn pages_allow_the_object_stores_own_origin_and_no_other() {
    let f = fx().await;
    let res = f.app.client.get(format!("{}/login", f.app.base)).send().await.expect("login page");
    let csp = res.headers()["content-security-policy"].to_str().expect("policy").to_string();
    assert!(csp.starts_with("default-src 'self';"), "{csp}");
    match s3_server() {
        // Browsers upload to the bucket and show files from it.
        Some(endpoint) => {
            assert!(csp.contains(&format!("img-src 'self' {endpoint}")), "{csp}");
            assert!(csp.contains(&format!("connect-src 'self' {endpoint}")), "{csp}");
        }
        // The local store is tessera itself: 'self' covers it.
        None => assert!(!csp.contains("img-src") && !csp.contains("connect-src"), "{csp}"),
    }
}
