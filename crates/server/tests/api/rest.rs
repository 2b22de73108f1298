//! The platform's REST v3 API (issue 17): every route against the real server, with the
//! platform's bodies; the answers are the GraphQL objects; errors are `{error, message}` with
//! their status; the OpenAPI document lists exactly the routes.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera_core::service::NewWorkspace;

struct Fx {
    app: TestApp,
    org: String,
    ws: String,
    writer: String,
    writer_id: String,
    reader: String,
}

async fn fx() -> Fx {
    let app = spawn_app().await;
    let org = app.core.admin_create_org("Rest").await.expect("org").id;
    let (writer_bot, writer) = app.core.admin_create_bot(&org, "Kevin").await.expect("bot");
    let input = NewWorkspace { org_id: org.clone(), name: "Rest board".into(), description: None, is_public: false };
    let ws = app.core.admin_create_workspace(input, &writer_bot.id).await.expect("ws").id.0;
    let (reader_bot, reader) = app.core.admin_create_bot(&org, "Reader").await.expect("bot");
    app.core
        .admin_add_collaborator(&tessera_core::ids::WorkspaceId(ws.clone()), &reader_bot.id, "viewer")
        .await
        .expect("add");
    Fx { app, org: org.0, ws, writer, writer_id: writer_bot.id.0, reader }
}

/// One request: the status and the JSON body.
async fn call(f: &Fx, token: Option<&str>, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = f.app.client.request(method, format!("{}{path}", f.app.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn ok(f: &Fx, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, got) = call(f, Some(&f.writer), method.clone(), path, body).await;
    assert!(status.is_success(), "{method} {path}: {status} {got}");
    got
}

#[tokio::test]
async fn the_identity_routes_answer_with_the_graphql_objects() {
    let f = fx().await;
    let me = ok(&f, Method::GET, "/v3/users/me", None).await;
    assert_eq!(me["data"]["id"], f.writer_id);
    assert_eq!(me["data"]["firstName"], "Kevin");
    let role = ok(&f, Method::GET, "/v3/users/me/role", None).await;
    assert!(role["data"]["id"].is_string(), "{role}");
    let mine = ok(&f, Method::GET, "/v3/users/me/workspaces?pageSize=10", None).await;
    assert_eq!((mine["totalItems"].clone(), mine["data"][0]["id"].clone()), (json!(1), json!(f.ws)));
    let users = ok(&f, Method::GET, "/v3/users?filterBy=firstName%20eq%20'Kevin'", None).await;
    assert_eq!(
        users["data"].as_array().map(|u| u.iter().map(|u| u["id"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(f.writer_id)])
    );
    let roles = ok(&f, Method::GET, "/v3/roles?pageSize=100", None).await;
    assert!(roles["data"].as_array().is_some_and(|r| r.iter().any(|r| r["id"] == "viewer")), "{roles}");
    let orgs = ok(&f, Method::GET, &format!("/v3/users/{}/organizations", f.writer_id), None).await;
    assert_eq!(orgs["data"][0]["id"], f.org);
    let (status, _) = call(&f, Some(&f.writer), Method::GET, "/v3/users/someone-else/organizations", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let org = ok(&f, Method::GET, &format!("/v3/organizations/{}", f.org), None).await;
    assert_eq!(org["data"]["name"], "Rest");
    let members = ok(
        &f,
        Method::GET,
        &format!("/v3/organizations/{}/members?filterBy=user.firstName%20eq%20'Kevin'", f.org),
        None,
    )
    .await;
    assert_eq!(members["totalItems"], 1, "{members}");
    let ws = ok(&f, Method::GET, &format!("/v3/workspaces/{}", f.ws), None).await;
    assert_eq!(ws["data"]["name"], "Rest board");
    // The collection's "create new workspace" body, with this organization.
    let body = json!({"isPublic": true, "name": "REST create workspace", "description": "This is a workspace created from REST API", "organizationId": f.org});
    let (status, made) = call(&f, Some(&f.writer), Method::POST, "/v3/workspaces", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(
        (made["data"]["name"].clone(), made["data"]["isPublic"].clone()),
        (json!("REST create workspace"), json!(true))
    );
}

#[tokio::test]
async fn elements_are_created_read_changed_and_deleted_with_the_platforms_bodies() {
    let f = fx().await;
    let path = format!("/v3/workspaces/{}/elements", f.ws);
    // The collection's "Create Text" and "Create Regular Shape" bodies.
    let text = json!({"type": "Text", "pinned": false, "text": "new text from API",
        "style": {"backgroundColor": {"r": 223, "g": 156, "b": 200, "a": 1}, "color": {"r": 23, "g": 56, "b": 100, "a": 1}, "fontFamily": "Helvetica", "fontSize": 30},
        "transform": {"x": 0, "y": 0, "scaleX": 1, "scaleY": 1}});
    let (status, made) = call(&f, Some(&f.writer), Method::POST, &path, Some(text)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let text_id = made["data"]["id"].as_str().expect("id").to_string();
    assert_eq!((made["data"]["type"].clone(), made["data"]["style"]["fontSize"].clone()), (json!("Text"), json!(30)));
    let shape = json!({"type": "Shape", "text": "Shape text", "transform": {"x": 1000, "y": 0},
        "style": {"regularShape": {"kind": "Rectangle", "width": 500, "height": 500, "strokeWidth": 4,
            "strokeColor": {"r": 0, "g": 0, "b": 0, "a": 1}, "fillColor": {"r": 255, "g": 255, "b": 0, "a": 1}}}});
    let shape_id = ok(&f, Method::POST, &path, Some(shape)).await["data"]["id"].as_str().expect("id").to_string();
    let image = json!({"type": "Image", "filename": "postmanImageUPload.png", "title": "postmanImageUPload.png", "imageFormat": "png",
        "transform": {"x": 300, "y": 100, "scale": 1}, "width": 1438, "height": 378});
    let img = ok(&f, Method::POST, &path, Some(image)).await;
    assert_eq!(img["data"]["__typename"], "Image");
    assert!(img["data"].as_object().is_some_and(|o| o.contains_key("content")), "the upload slot is there: {img}");

    // Read: all, by type (repeated or comma-separated), one, at an instant.
    let all = ok(&f, Method::GET, &path, None).await;
    assert_eq!(all["data"].as_array().map(Vec::len), Some(3));
    let shapes = ok(&f, Method::GET, &format!("{path}?type=Shape"), None).await;
    assert_eq!(
        shapes["data"].as_array().map(|l| l.iter().map(|e| e["id"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(shape_id)])
    );
    let two = ok(&f, Method::GET, &format!("{path}?type=Shape,Text"), None).await;
    assert_eq!(two["data"].as_array().map(Vec::len), Some(2));
    let one = ok(&f, Method::GET, &format!("{path}/{shape_id}"), None).await;
    assert_eq!(one["data"]["style"]["__typename"], "RegularShapeStyle");
    let past = ok(&f, Method::GET, &format!("{path}?when=2001-01-01T00:00:00.000Z"), None).await;
    assert_eq!(past["data"], json!([]));

    // Change: the collection's "update elements in workspace - Text simple" (no type given).
    let changed = ok(&f, Method::PATCH, &format!("{path}/{text_id}"), Some(json!({"text": "changed from REST"}))).await;
    assert_eq!(changed["data"]["text"], "changed from REST");
    let patch = json!({"type": "Shape", "text": "Patch Text", "transform": {"x": 500},
        "style": {"regularShape": {"width": 1000, "height": 1000}}});
    let moved = ok(&f, Method::PATCH, &format!("{path}/{shape_id}"), Some(patch)).await;
    assert_eq!(
        (moved["data"]["transform"]["x"].clone(), moved["data"]["style"]["width"].clone()),
        (json!(500.0), json!(1000.0))
    );
    // The element's own type decides (the collection patches a document as an Image).
    let typed =
        ok(&f, Method::PATCH, &format!("{path}/{shape_id}"), Some(json!({"type": "Text", "text": "typed"}))).await;
    assert_eq!((typed["data"]["type"].clone(), typed["data"]["text"].clone()), (json!("Shape"), json!("typed")));
    let (status, wrong) =
        call(&f, Some(&f.writer), Method::PATCH, &format!("{path}/{shape_id}"), Some(json!({"fontSize": 3}))).await;
    assert_eq!((status, wrong["error"].clone()), (StatusCode::BAD_REQUEST, json!("BAD_USER_INPUT")), "{wrong}");
    // The REST API's enum spellings: the collection's "Create Line" and "Create Sticky Shape" values.
    let line = json!({"type": "Line", "start": {"absolute": {"x": -323, "y": 509}}, "end": {"absolute": {"x": 485, "y": 589}},
        "controlPoints": [], "routing": "direct", "style": {"strokeColor": {"r": 255, "g": 255, "b": 255, "a": 1},
        "strokeStyle": "solid", "strokeWidth": 12, "startCap": "none", "endCap": "arrow-fill"}});
    let line = ok(&f, Method::POST, &path, Some(line)).await;
    assert_eq!(
        (line["data"]["routing"].clone(), line["data"]["style"]["endCap"].clone()),
        (json!("Direct"), json!("ArrowFill"))
    );
    let sticky = json!({"type": "Shape", "text": "note", "textStyle": {"fontSize": "auto", "verticalAlign": "top"},
        "style": {"stickyShape": {"kind": "sticky-rectangle", "width": 1600, "fillColor": {"r": 254, "g": 232, "b": 108, "a": 1}}}});
    let sticky = ok(&f, Method::POST, &path, Some(sticky)).await;
    assert_eq!(sticky["data"]["kind"], "StickySquare");

    // Delete.
    let gone = ok(&f, Method::DELETE, &format!("{path}/{text_id}"), None).await;
    assert_eq!(gone["data"]["id"], text_id);
    let (status, missing) = call(&f, Some(&f.writer), Method::GET, &format!("{path}/{text_id}"), None).await;
    assert_eq!((status, missing["error"].clone()), (StatusCode::NOT_FOUND, json!("NOT_FOUND")));
    // Every change was an event of the workspace's log, as through GraphQL.
    let kinds: Vec<&str> = f.app.events(&f.ws).await.iter().map(|e| e.payload.kind()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "elementCreated").count(), 5, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "elementDeleted").count(), 1, "{kinds:?}");
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let f = fx().await;
    let path = format!("/v3/workspaces/{}/elements", f.ws);
    let res = f.app.client.get(format!("{}/v3/users/me", f.app.base)).send().await.expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().contains_key("www-authenticate"));
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"], "UNAUTHENTICATED");
    type Case<'a> = (Option<&'a str>, Method, String, Option<Value>, StatusCode, &'a str);
    let cases: Vec<Case> = vec![
        (Some("not-a-token"), Method::GET, "/v3/users/me".into(), None, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
        (
            Some(&f.writer),
            Method::POST,
            path.clone(),
            Some(json!({"text": "no type"})),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            Some(&f.writer),
            Method::POST,
            path.clone(),
            Some(json!({"type": "Hologram"})),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            Some(&f.writer),
            Method::POST,
            path.clone(),
            Some(json!({"type": "Text", "fontSize": "big"})),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (Some(&f.writer), Method::POST, path.clone(), Some(json!([1, 2])), StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
        (
            Some(&f.reader),
            Method::POST,
            path.clone(),
            Some(json!({"type": "Text", "text": "t"})),
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        ),
        (Some(&f.writer), Method::GET, format!("{path}?colour=red"), None, StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
        (
            Some(&f.writer),
            Method::GET,
            format!("{path}?type=Hologram"),
            None,
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            Some(&f.writer),
            Method::GET,
            "/v3/users?filterBy=firstName%20like%20'K'".into(),
            None,
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            Some(&f.writer),
            Method::GET,
            "/v3/workspaces/nosuchworkspace".into(),
            None,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        ),
        (Some(&f.writer), Method::DELETE, format!("{path}/nosuchelement"), None, StatusCode::NOT_FOUND, "NOT_FOUND"),
    ];
    for (token, method, path, body, status, code) in cases {
        let (got_status, got) = call(&f, token, method.clone(), &path, body.clone()).await;
        assert_eq!((got_status, got["error"].as_str()), (status, Some(code)), "{method} {path} {body:?}: {got}");
        assert!(got["message"].is_string(), "{got}");
    }
    let raw = f
        .app
        .client
        .post(format!("{}{path}", f.app.base))
        .bearer_auth(&f.writer)
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    assert_eq!(f.app.element_count(&f.ws).await, 0, "nothing was written");
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes() {
    let app = spawn_app().await;
    let doc: Value =
        app.client.get(format!("{}/v3/openapi.json", app.base)).send().await.expect("get").json().await.expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    // `{anything}` in either spelling is one path parameter.
    let shape = |p: &str| {
        let mut out = String::new();
        let mut inside = false;
        for c in p.chars() {
            match c {
                '{' => {
                    inside = true;
                    out.push_str("{}");
                }
                '}' => inside = false,
                c if !inside => out.push(c),
                _ => {}
            }
        }
        out
    };
    let mut documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object().expect("ops").keys().map(|m| (m.to_uppercase(), shape(p))).collect::<Vec<_>>()
        })
        .collect();
    let mut served: Vec<(String, String)> =
        tessera::rest::routes().iter().map(|(m, p, _)| (m.as_str().to_string(), shape(p))).collect();
    documented.sort();
    served.sort();
    assert_eq!(documented, served);
    for (method, path) in &served {
        let status = app
            .client
            .request(
                Method::from_bytes(method.as_bytes()).expect("method"),
                format!("{}{}", app.base, path.replace("{}", "x")),
            )
            .send()
            .await
            .expect("request")
            .status();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is routed");
        assert!(
            path == "/v3/openapi.json" || status == StatusCode::UNAUTHORIZED,
            "{method} {path}: {status} without a token"
        );
    }
}
