//! The platform's element inputs, as JSON, turned into the stored form: what a new element of
//! each type starts as (the defaults the platform's schema declares), and how the fields the
//! platform spells differently on input (a uniform `scale`, `text` or `blocks`, a shape's
//! `kind` inside its style, JSON-LD `traits`) become the element's own fields.

use super::ElementType;
use serde_json::{json, Map, Value as Json};

fn color(r: i64, g: i64, b: i64, a: f64) -> Json {
    json!({"r": r, "g": g, "b": b, "a": a})
}

/// The stored fields of a new element of type `ty` before its input is merged in.
pub fn defaults(ty: ElementType) -> Json {
    let white = color(255, 255, 255, 1.0);
    let common = json!({"zIndex": 0, "transform": {"x": 0.0, "y": 0.0, "scaleX": 1.0, "scaleY": 1.0},
        "pinned": false, "traits": {}, "type": ty.as_str()});
    let body = match ty {
        ElementType::Text => json!({"text": "", "blocks": [], "style": {"textTransform": "none", "fontSize": 64,
            "fontFamily": "Dosis", "verticalAlign": "top", "color": white, "backgroundColor": color(0, 0, 0, 0.0),
            "width": 400.0, "height": 100.0}}),
        ElementType::Shape => json!({"style": {}, "text": null, "blocks": null, "mirrorX": false, "mirrorY": false,
            "aspectRatioFixed": false, "textStyle": {"fontSize": "auto", "fontFamily": "Noto Sans",
            "verticalAlign": "center", "color": white}}),
        ElementType::Canvas => {
            json!({"style": {"width": 1000.0, "height": 1000.0, "borderColor": color(238, 85, 80, 1.0),
            "fillColor": color(0, 0, 0, 0.0), "showName": false}})
        }
        ElementType::Stroke => json!({"style": {"color": white, "strokeWidth": 1.0, "brushType": "Pen"}}),
        ElementType::Line => json!({"controlPoints": [], "routing": "Direct", "style": {"strokeColor": white,
            "strokeStyle": "Solid", "strokeWidth": 0.0, "startCap": "None", "endCap": "None"}}),
        ElementType::Image => json!({"title": "", "filename": null, "sourceUrl": null, "imageFormat": null,
            "previewFormat": null, "width": 1000.0, "height": 1000.0}),
        // Their format is a required input.
        ElementType::Document | ElementType::Video => json!({"title": "", "filename": null, "sourceUrl": null,
            "previewFormat": null, "width": 1000.0, "height": 1000.0}),
        ElementType::Browser => json!({"url": null, "style": {"frameless": false, "width": 800.0, "height": 600.0}}),
        ElementType::Grid => json!({"rowCount": 5, "columnCount": 5, "cells": [], "style": {
            "horizontalCellMargin": 5.0, "verticalCellMargin": 5.0, "cellWidth": 1000.0, "cellHeight": 1000.0}}),
        // No tint unless a style is given (an icon keeps its own colours).
        ElementType::Icon => json!({"width": 300.0, "height": 300.0, "style": null}),
        ElementType::Window => json!({"style": {"width": 0.0, "height": 0.0}}),
    };
    let mut all = common;
    merge(&mut all, &body);
    all
}

/// What a variant of a tagged field (`{"regularShape": …}`, `{"absolute": …}`, …) starts as
/// when an element switches to it, so that an input may give only some of its fields.
fn variant_default(tag: &str) -> Json {
    match tag {
        "regularShape" => json!({"width": 600.0, "height": 600.0, "strokeWidth": 8.0,
            "strokeColor": color(255, 255, 255, 1.0), "fillColor": color(0, 0, 0, 1.0)}),
        "stickyShape" => json!({"width": 600.0, "height": 600.0, "fillColor": color(0, 0, 0, 1.0)}),
        "absolute" => json!({"x": 0.0, "y": 0.0}),
        _ => json!({}),
    }
}

const VARIANTS: [&str; 4] = ["regularShape", "stickyShape", "absolute", "anchor"];
/// The fields whose value is one of several variants.
const TAGGED: [&str; 3] = ["style", "start", "end"];

/// The single variant tag of a tagged field's value, if it is one.
fn variant(v: &Json) -> Option<&str> {
    let o = v.as_object()?;
    let (k, _) = o.iter().next().filter(|_| o.len() == 1)?;
    VARIANTS.contains(&k.as_str()).then_some(k.as_str())
}

/// Merge `change` into the stored fields `target`: objects key by key, anything else replaces
/// what was there. A tagged field (`style`, `start`, `end`) that changes variant starts again
/// from that variant's defaults; `traits`, a JSON-LD document, is replaced whole.
pub fn merge(target: &mut Json, change: &Json) {
    merge_field("", target, change)
}

fn merge_field(key: &str, target: &mut Json, change: &Json) {
    if let (true, Some(tag)) = (TAGGED.contains(&key), variant(change)) {
        if variant(target) != Some(tag) {
            *target = json!({ tag: variant_default(tag) });
        }
    }
    match (target, change) {
        (Json::Object(t), Json::Object(c)) if key != "traits" => {
            for (k, v) in c {
                merge_field(k, t.entry(k.clone()).or_insert(Json::Null), v);
            }
        }
        (t, c) => *t = c.clone(),
    }
}

/// An element input (create or update, the platform's JSON form, absent fields left out)
/// as a change to the stored form.
pub fn change(ty: ElementType, input: Json) -> Result<Json, String> {
    let Json::Object(mut fields) = input else { return Err("an element input must be an object".into()) };
    if fields.get("surface").is_some_and(|s| !s.is_string() && !s.is_null()) {
        return Err("surface must be an element id (or the workspace's id, to detach)".into());
    }
    if let Some(t) = fields.get_mut("transform") {
        uniform_scale(t);
    }
    if let Some(t) = fields.remove("traits") {
        fields.insert("traits".into(), traits(t)?);
    }
    if matches!(ty, ElementType::Text | ElementType::Shape) {
        text_and_blocks(&mut fields)?;
    }
    if ty == ElementType::Shape {
        shape_style(&mut fields)?;
    }
    if ty == ElementType::Line {
        let points = ["start", "end"].iter().filter_map(|k| fields.get(*k));
        let control = fields.get("controlPoints").and_then(Json::as_array).into_iter().flatten();
        if points.chain(control).any(|p| variant(p).is_none()) {
            return Err("a line point sets exactly one of absolute and anchor".into());
        }
    }
    Ok(Json::Object(fields))
}

/// `{x, y, scale}` (the platform's similitude) as `{x, y, scaleX, scaleY}`.
fn uniform_scale(t: &mut Json) {
    if let Some(o) = t.as_object_mut() {
        if let Some(s) = o.remove("scale") {
            o.insert("scaleX".into(), s.clone());
            o.insert("scaleY".into(), s);
        }
    }
}

/// JSON-LD traits input (`content`, `context`, `vocab`) as the stored document: the content
/// with its `@context` (and `@vocab`) beside it.
pub fn traits(input: Json) -> Result<Json, String> {
    let Json::Object(mut input) = input else { return Err("traits must be an object".into()) };
    let Some(Json::Object(mut doc)) = input.remove("content") else {
        return Err("traits.content must be a JSON object".into());
    };
    let vocab = input.remove("vocab");
    let context = match (input.remove("context"), vocab) {
        (c, None) => c,
        (None, Some(v)) => Some(json!({"@vocab": v})),
        (Some(Json::Object(mut c)), Some(v)) => {
            c.insert("@vocab".into(), v);
            Some(Json::Object(c))
        }
        (Some(c), Some(v)) => Some(json!([c, {"@vocab": v}])),
    };
    if let Some(c) = context {
        doc.insert("@context".into(), c);
    }
    Ok(Json::Object(doc))
}

/// `text` and `blocks` are exclusive on input; the element keeps both, derived from the one given.
fn text_and_blocks(fields: &mut Map<String, Json>) -> Result<(), String> {
    let blocks = match (fields.get("text").cloned(), fields.remove("blocks")) {
        (Some(_), Some(_)) => return Err("give text or blocks, not both".into()),
        (Some(Json::String(text)), None) => {
            serde_json::to_value(super::Block::paragraphs(&text)).map_err(|e| e.to_string())?
        }
        (Some(_), None) => return Err("text must be a string".into()),
        (None, Some(Json::Array(blocks))) => Json::Array(blocks.into_iter().map(block).collect::<Result<_, _>>()?),
        (None, Some(_)) => return Err("blocks must be a list".into()),
        (None, None) => return Ok(()),
    };
    let typed: Vec<super::Block> = serde_json::from_value(blocks.clone()).map_err(|e| format!("blocks: {e}"))?;
    fields.insert("text".into(), Json::String(super::Block::plain(&typed)));
    fields.insert("blocks".into(), blocks);
    Ok(())
}

/// One `ToplevelBlockTextContentInput` (`block`, `list` or `text`, exactly one) as a stored block.
fn block(input: Json) -> Result<Json, String> {
    let Json::Object(mut o) = input else { return Err("a block must be an object".into()) };
    let one = |o: &Map<String, Json>| ["block", "list", "text"].iter().filter(|k| o.contains_key(**k)).count() == 1;
    if !one(&o) {
        return Err("a block sets exactly one of block, list and text".into());
    }
    if let Some(text) = o.remove("text") {
        return Ok(json!({"block": {"align": "left", "content": [{"text": text}]}}));
    }
    if let Some(Json::Object(mut b)) = o.remove("block") {
        b.entry("align").or_insert(json!("left"));
        let content = runs(&mut b)?;
        b.insert("content".into(), content);
        return Ok(json!({ "block": b }));
    }
    let Some(Json::Object(mut list)) = o.remove("list") else { return Err("a block must be an object".into()) };
    list.entry("align").or_insert(json!("left"));
    let items = match list.remove("items") {
        Some(Json::Array(items)) => items,
        _ => return Err("a list needs items".into()),
    };
    let mut stored = Vec::with_capacity(items.len());
    for item in items {
        let Json::Object(mut i) = item else { return Err("a list item must be an object".into()) };
        i.entry("indent").or_insert(json!(0));
        i.entry("align").or_insert(json!("left"));
        let content = runs(&mut i)?;
        i.insert("content".into(), content);
        stored.push(Json::Object(i));
    }
    list.insert("items".into(), Json::Array(stored));
    Ok(json!({ "list": list }))
}

/// A block's inline content from its `text` shorthand or its `content` (exclusive).
fn runs(o: &mut Map<String, Json>) -> Result<Json, String> {
    match (o.remove("text"), o.remove("content")) {
        (Some(_), Some(_)) => Err("give text or content, not both".into()),
        (Some(text), None) => Ok(json!([{ "text": text }])),
        (None, Some(content @ Json::Array(_))) => Ok(content),
        (None, Some(_)) => Err("content must be a list".into()),
        (None, None) => Ok(json!([])),
    }
}

/// A shape's `style: {regularShape: {kind, …}}` input: the kind moves to the shape, and a
/// sticky note is square.
fn shape_style(fields: &mut Map<String, Json>) -> Result<(), String> {
    let Some(style) = fields.get_mut("style") else { return Ok(()) };
    let Some(tag) = variant(style).map(str::to_string) else {
        return Err("a shape's style sets exactly one of regularShape and stickyShape".into());
    };
    let inner = style.get_mut(&tag).and_then(Json::as_object_mut).ok_or("a shape style must be an object")?;
    let kind = inner.remove("kind");
    if tag == "stickyShape" {
        if let Some(w) = inner.get("width").cloned() {
            inner.insert("height".into(), w);
        }
    }
    if let Some(kind) = kind {
        fields.insert("kind".into(), kind);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_gives_blocks_and_blocks_give_text() {
        let c = change(ElementType::Text, json!({"text": "a\nb"})).expect("text");
        assert_eq!(c["blocks"][1], json!({"block": {"align": "left", "content": [{"text": "b"}]}}));
        let blocks = json!([{"block": {"content": [{"span": {"fontWeight": "bold", "text": "T"}}, {"text": "itle"}]}},
            {"list": {"kind": "bullet", "items": [{"text": "one"}, {"indent": 1, "content": [{"link": {"url": "u", "text": "two"}}]}]}},
            {"text": "end"}]);
        let c = change(ElementType::Text, json!({ "blocks": blocks })).expect("blocks");
        assert_eq!(c["text"], "Title\none\ntwo\nend");
        assert_eq!(c["blocks"][1]["list"]["items"][1]["indent"], 1);
        assert!(change(ElementType::Text, json!({"text": "a", "blocks": []})).is_err(), "exclusive");
        assert!(
            change(ElementType::Text, json!({"blocks": [{"text": "a", "block": {}}]})).is_err(),
            "one kind of block"
        );
    }

    #[test]
    fn a_shape_kind_moves_out_of_its_style_and_variants_switch_from_their_defaults() {
        let c = change(ElementType::Shape, json!({"style": {"stickyShape": {"kind": "StickySquare", "width": 300}}}))
            .expect("shape");
        assert_eq!(c["kind"], "StickySquare");
        assert_eq!(c["style"], json!({"stickyShape": {"width": 300, "height": 300}}));
        let mut stored = json!({"style": {"regularShape": {"width": 1.0, "strokeWidth": 3.0}}, "traits": {"a": 1}});
        merge(&mut stored, &c);
        merge(&mut stored, &json!({"traits": {"b": 2}}));
        assert_eq!(stored["traits"], json!({"b": 2}), "traits are replaced whole");
        assert_eq!(stored["style"]["stickyShape"]["fillColor"], color(0, 0, 0, 1.0), "the new variant's defaults");
        assert!(stored["style"].get("regularShape").is_none(), "the old variant is gone");
        assert!(change(ElementType::Shape, json!({"style": {"regularShape": {}, "stickyShape": {}}})).is_err());
    }

    #[test]
    fn similitudes_traits_and_surfaces() {
        let c = change(ElementType::Stroke, json!({"transform": {"x": 1, "scale": 2}})).expect("stroke");
        assert_eq!(c["transform"], json!({"x": 1, "scaleX": 2, "scaleY": 2}));
        let c = change(ElementType::Text, json!({"traits": {"context": "http://schema.org/", "content": {"a": 1}}}))
            .expect("traits");
        assert_eq!(c["traits"], json!({"a": 1, "@context": "http://schema.org/"}));
        assert_eq!(change(ElementType::Text, json!({"surface": "x"})).expect("surface")["surface"], "x");
        assert!(change(ElementType::Text, json!({"surface": 3})).is_err());
    }
}
