//! Elements stored before tessera took the platform's element shapes (a nested `body` with a
//! `size`, points as `{x, y}`, a free-form `style`), read into today's form so that a database
//! written by an earlier version keeps its boards. Each is read as if created today from the
//! equivalent input; a free-form `style` that held anything is kept in the traits as
//! `legacyStyle`.

use super::input::{defaults, merge};
use super::ElementType;
use serde_json::{json, Map, Value as Json};

/// Whether `stored` is in the earlier form.
pub fn is_legacy(stored: &Json) -> bool {
    stored.get("body").is_some_and(Json::is_object)
}

/// The earlier form of an element as today's stored form.
pub fn upgrade(mut stored: Json) -> Result<Json, String> {
    let old = stored.as_object_mut().ok_or("an element must be an object")?;
    let Some(Json::Object(mut body)) = old.remove("body") else { return Err("no body".into()) };
    let ty = body.remove("type").and_then(|t| t.as_str().and_then(ElementType::parse)).ok_or("no element type")?;
    let size = body.remove("size").unwrap_or(json!({}));
    let (w, h) = (size.get("width").cloned().unwrap_or(Json::Null), size.get("height").cloned().unwrap_or(Json::Null));
    let point = |p: Option<Json>| json!({"absolute": {"x": p.as_ref().and_then(|p| p.get("x")).cloned(), "y": p.as_ref().and_then(|p| p.get("y")).cloned()}});
    let text = body.remove("text");
    let change = match ty {
        ElementType::Text => json!({"text": text, "style": {"width": w, "height": h}}),
        ElementType::Shape => {
            let kind = body.remove("kind").and_then(|k| k.as_str().map(str::to_string)).unwrap_or_default();
            let (kind, style) = match kind.as_str() {
                "StickyNoteSquare" | "StickyNoteRectangle" => {
                    ("StickySquare", json!({"stickyShape": {"width": w, "height": h}}))
                }
                k => {
                    let kind = match k {
                        "RoundedRectangle" => "Rectangle",
                        "Triangle" => "TriangleUp",
                        "Star" => "Star5",
                        "Ellipse" | "Diamond" | "Hexagon" => k,
                        _ => "Rectangle",
                    };
                    (kind, json!({"regularShape": {"width": w, "height": h}}))
                }
            };
            json!({"kind": kind, "style": style, "text": text})
        }
        ElementType::Canvas => json!({"name": body.remove("name"), "style": {"width": w, "height": h}}),
        ElementType::Stroke => {
            let pts = body.remove("points").and_then(|p| p.as_array().cloned()).unwrap_or_default();
            let flat: Vec<Json> =
                pts.iter().flat_map(|p| [p.get("x").cloned(), p.get("y").cloned()]).flatten().collect();
            json!({"points": flat})
        }
        ElementType::Line => json!({"start": point(body.remove("start")), "end": point(body.remove("end"))}),
        ElementType::Image => {
            json!({"title": body.remove("title"), "filename": body.remove("filename"), "width": w, "height": h})
        }
        ElementType::Document
        | ElementType::Video
        | ElementType::Browser
        | ElementType::Grid
        | ElementType::Icon
        | ElementType::Window => return Err(format!("no earlier form of a {} exists", ty.as_str())),
    };
    let mut change = super::input::change(ty, strip_nulls(change))?;
    if let (Some(sticky), false) = (change.pointer_mut("/style/stickyShape"), h.is_null()) {
        sticky["height"] = h; // a rectangular note keeps its height
    }
    if let Some(Json::Object(style)) = old.remove("style").filter(|s| s.as_object().is_some_and(|o| !o.is_empty())) {
        let traits = old.entry("traits").or_insert(json!({}));
        if let Some(t) = traits.as_object_mut() {
            t.insert("legacyStyle".into(), Json::Object(style));
        }
    }
    let mut json = defaults(ty);
    merge(&mut json, &Json::Object(std::mem::take(old)));
    merge(&mut json, &change.take());
    Ok(json)
}

fn strip_nulls(v: Json) -> Json {
    match v {
        Json::Object(o) => Json::Object(
            o.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, strip_nulls(v))).collect::<Map<_, _>>(),
        ),
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::element::{Element, ElementBody, LinePoint, ShapeKind, ShapeStyle};

    fn old(body: Json) -> Json {
        json!({"id": "e", "workspaceId": "w", "zIndex": 3, "transform": {"x": 1.0, "y": 2.0, "scaleX": 1.0, "scaleY": 1.0},
            "pinned": true, "style": {"color": "red"}, "traits": {"k": 1}, "body": body, "createdAt": 5, "updatedAt": 6})
    }

    fn read(body: Json) -> Element {
        let stored = old(body);
        assert!(is_legacy(&stored));
        serde_json::from_value(upgrade(stored).expect("upgrade")).expect("today's form")
    }

    #[test]
    fn earlier_elements_read_as_today_s_with_nothing_lost() {
        let t = read(json!({"type": "Text", "text": "a\nb", "size": {"width": 10.0, "height": 20.0}}));
        assert_eq!((t.z_index, t.pinned, t.created_at, t.updated_at), (3, true, 5, 6));
        assert_eq!(t.traits, json!({"k": 1, "legacyStyle": {"color": "red"}}));
        let ElementBody::Text { text, blocks, style } = &t.body else { panic!("text") };
        assert_eq!((text.as_str(), blocks.len(), style.width, style.height), ("a\nb", 2, 10.0, 20.0));

        let s = read(
            json!({"type": "Shape", "kind": "StickyNoteRectangle", "text": "n", "size": {"width": 30.0, "height": 40.0}}),
        );
        let ElementBody::Shape { kind, style, text, .. } = &s.body else { panic!("shape") };
        assert_eq!((*kind, text.as_deref()), (ShapeKind::StickySquare, Some("n")));
        assert!(matches!(style, ShapeStyle::Sticky { width: 30.0, height: 40.0, .. }));
        let s = read(json!({"type": "Shape", "kind": "Star", "text": "", "size": {"width": 1.0, "height": 2.0}}));
        assert!(matches!(s.body, ElementBody::Shape { kind: ShapeKind::Star5, style: ShapeStyle::Regular { .. }, .. }));

        let l = read(json!({"type": "Line", "start": {"x": 1.0, "y": 2.0}, "end": {"x": 3.0, "y": 4.0}}));
        let ElementBody::Line { end, .. } = &l.body else { panic!("line") };
        assert_eq!(end, &LinePoint::Absolute { x: 3.0, y: 4.0 });
        let st = read(json!({"type": "Stroke", "points": [{"x": 0.0, "y": 1.0}, {"x": 2.0, "y": 3.0}]}));
        assert!(matches!(&st.body, ElementBody::Stroke { points, .. } if points == &[0.0, 1.0, 2.0, 3.0]));
        let c = read(json!({"type": "Canvas", "name": "C", "size": {"width": 5.0, "height": 6.0}}));
        assert!(matches!(&c.body, ElementBody::Canvas { name, style } if name == "C" && style.height == 6.0));
        let i =
            read(json!({"type": "Image", "title": "T", "filename": "f.png", "size": {"width": 7.0, "height": 8.0}}));
        assert!(matches!(&i.body, ElementBody::Image { filename: Some(f), width: 7.0, .. } if f == "f.png"));
    }
}
