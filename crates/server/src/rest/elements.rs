//! The element routes, `/v3/workspaces/{workspaceId}/elements[/{elementId}]`: each is the
//! GraphQL `elements`, `create{Type}`, `update{Type}` or `delete` operation. A create or update
//! body is the platform's input for the element's type with its `type` beside it.

use super::{data, Caller, RestError};
use crate::app::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::element::ElementType;

/// `GET …/elements`: the GraphQL `elements` arguments as query parameters (`type` repeated or
/// comma-separated).
#[derive(Default)]
struct ListQuery {
    r#type: Vec<String>,
    when: Option<String>,
    canvas_id: Option<String>,
    relative_to_origin_of: Option<String>,
    flatten: Option<bool>,
}

/// The type a body names, as the platform spells it.
fn element_type(body: &serde_json::Map<String, Value>) -> Result<Option<ElementType>, RestError> {
    match body.get("type") {
        None => Ok(None),
        Some(Value::String(t)) => ElementType::parse(t).map(Some).ok_or_else(|| {
            let all: Vec<&str> = ElementType::ALL.iter().map(|t| t.as_str()).collect();
            RestError::new("BAD_USER_INPUT", format!("type {t:?} is not one of {}", all.join(", ")))
        }),
        Some(_) => Err(RestError::new("BAD_USER_INPUT", "type must be a string")),
    }
}

/// What `create{Type}` answers with: the element itself, or for an asset its response's
/// element with the upload slots (`content`, `preview`) beside its fields.
fn created(ty: ElementType, state: &AppState) -> (String, &'static str) {
    // The mutation answers the type itself: the selection of every type goes in through the
    // `Element` interface.
    let element = format!("{{ ... on Element {} }}", state.rest.element);
    match ty {
        ElementType::Image | ElementType::Document | ElementType::Video => {
            let field = match ty {
                ElementType::Image => "image",
                ElementType::Document => "document",
                _ => "video",
            };
            let upload = &state.rest.upload;
            (format!("{{ content {upload} preview {upload} {field} {element} }}"), field)
        }
        _ => (element, ""),
    }
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(ws): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, RestError> {
    let q = list_query(pairs)?;
    let types: Vec<&str> =
        q.r#type.iter().flat_map(|t| t.split(',')).map(str::trim).filter(|t| !t.is_empty()).collect();
    let doc = format!(
        "query($ws: String!, $type: [ElementType!], $when: DateTime, $canvasId: String, $rel: String, $flatten: Boolean) {{
            elements(workspaceId: $ws, type: $type, when: $when, canvasId: $canvasId, relativeToOriginOf: $rel, flatten: $flatten) {} }}",
        state.rest.element
    );
    let vars = json!({
        "ws": ws,
        "type": (!types.is_empty()).then_some(types),
        "when": q.when,
        "canvasId": q.canvas_id,
        "rel": q.relative_to_origin_of,
        "flatten": q.flatten,
    });
    let mut d = caller.run(&state, &doc, vars).await?;
    Ok(data(d["elements"].take()))
}

/// The query string as the list's parameters (`type` may repeat).
fn list_query(pairs: Vec<(String, String)>) -> Result<ListQuery, RestError> {
    let mut q = ListQuery::default();
    for (k, v) in pairs {
        match k.as_str() {
            "type" => q.r#type.push(v),
            "when" => q.when = Some(v),
            "canvasId" => q.canvas_id = Some(v),
            "relativeToOriginOf" => q.relative_to_origin_of = Some(v),
            "flatten" => {
                q.flatten = Some(v.parse().map_err(|_| RestError::new("BAD_USER_INPUT", "flatten is true or false"))?)
            }
            other => return Err(RestError::new("BAD_USER_INPUT", format!("unknown query parameter {other:?}"))),
        }
    }
    Ok(q)
}

/// One element, by id.
async fn read_one(state: &AppState, caller: &Caller, ws: &str, id: &str) -> Result<Value, RestError> {
    let doc =
        format!("query($ws: String!, $id: String!) {{ elements(workspaceId: $ws, id: $id) {} }}", state.rest.element);
    let mut d = caller.run(state, &doc, json!({"ws": ws, "id": id})).await?;
    match d["elements"].as_array_mut().and_then(|l| l.pop()) {
        Some(e) => Ok(e),
        None => Err(RestError::new("NOT_FOUND", "not found: element")),
    }
}

pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path((ws, id)): Path<(String, String)>,
) -> Result<Response, RestError> {
    Ok(data(read_one(&state, &caller, &ws, &id).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateQuery {
    relative_to_origin_of: Option<String>,
}

/// `POST …/elements` with `{"type": …, …input}`: 201 and the element.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(ws): Path<String>,
    Query(q): Query<CreateQuery>,
    body: Bytes,
) -> Result<Response, RestError> {
    let mut input = super::body(&body)?;
    let ty = element_type(&input)?.ok_or_else(|| RestError::new("BAD_USER_INPUT", "the body needs a type"))?;
    input.remove("type");
    let (selection, field) = created(ty, &state);
    let name = ty.as_str();
    let mut input = Value::Object(input);
    state.rest.types.coerce_input(&format!("Create{name}Input"), &mut input);
    let doc = format!(
        "mutation($ws: String!, $input: Create{name}Input!, $rel: String) {{
            made: create{name}(workspaceId: $ws, input: $input, relativeToOriginOf: $rel) {selection} }}"
    );
    // The platform's empty `relativeToOriginOf=` means none.
    let rel = q.relative_to_origin_of.filter(|r| !r.is_empty());
    let mut d = caller.run(&state, &doc, json!({"ws": ws, "input": input, "rel": rel})).await?;
    let made = d["made"].take();
    let element = match field {
        "" => made,
        field => {
            let mut element = made[field].clone();
            if let Some(e) = element.as_object_mut() {
                e.insert("content".into(), made["content"].clone());
                e.insert("preview".into(), made["preview"].clone());
            }
            element
        }
    };
    let mut res = data(element);
    *res.status_mut() = StatusCode::CREATED;
    Ok(res)
}

/// `PATCH …/elements/{id}` with the fields to change: the element after the change. A `type` in
/// the body is read past: the element's own type decides (the platform's collection patches a
/// document as an `Image`).
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((ws, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, RestError> {
    let mut input = super::body(&body)?;
    element_type(&input)?;
    input.remove("type");
    let found = read_one(&state, &caller, &ws, &id).await?;
    let ty = found["type"]
        .as_str()
        .and_then(ElementType::parse)
        .ok_or_else(|| RestError::new("NOT_FOUND", "not found: element"))?;
    let name = ty.as_str();
    let mut input = Value::Object(input);
    state.rest.types.coerce_input(&format!("Update{name}Input"), &mut input);
    let doc = format!(
        "mutation($ws: String!, $id: String!, $input: Update{name}Input!) {{ update{name}(workspaceId: $ws, id: $id, input: $input) {{ id }} }}"
    );
    caller.run(&state, &doc, json!({"ws": ws, "id": id, "input": input})).await?;
    Ok(data(read_one(&state, &caller, &ws, &id).await?))
}

/// `DELETE …/elements/{id}`: `{"data": {"id"}}` (what was attached to it goes too).
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((ws, id)): Path<(String, String)>,
) -> Result<Response, RestError> {
    let doc = "mutation($ws: String!, $id: String!) { delete(workspaceId: $ws, id: $id) }";
    caller.run(&state, doc, json!({"ws": ws, "id": id})).await?;
    Ok(data(json!({ "id": id })))
}

/// `PUT …/assets/uploads/{uploadId}` (body `{}` or the platform's `TransferCompleteInput`):
/// the upload is done, process it (`processAsset`); `{"data": {"id"}}`.
pub async fn finish_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path((ws, upload)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, RestError> {
    let input = if body.iter().all(u8::is_ascii_whitespace) { Default::default() } else { super::body(&body)? };
    let doc = "mutation($ws: String!, $id: String!, $input: TransferCompleteInput!) {
        processAsset(workspaceId: $ws, id: $id, input: $input) }";
    caller.run(&state, doc, json!({"ws": ws, "id": upload, "input": input})).await?;
    Ok(data(json!({ "id": upload })))
}
