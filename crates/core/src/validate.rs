//! Input limits, checked once at the edge of the domain so that nothing unbounded or
//! non-finite is ever stored.

use crate::element::{Element, ElementBody, ElementPatch, Point, Size, Transform};
use crate::error::{Error, Result};
use serde_json::Value as Json;

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
pub const MAX_TEXT_CHARS: usize = 100_000;
pub const MAX_STROKE_POINTS: usize = 10_000;
pub const MAX_JSON_BYTES: usize = 16 * 1024;
pub const MAX_COORDINATE: f64 = 1e9;
pub const MAX_SCALE: f64 = 1e6;

pub fn name(field: &str, v: &str) -> Result<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(Error::bad_input(format!("{field} must not be empty")));
    }
    chars(field, v, MAX_NAME_CHARS)?;
    Ok(v.to_string())
}

pub fn chars(field: &str, v: &str, max: usize) -> Result<()> {
    if v.chars().count() > max {
        return Err(Error::bad_input(format!("{field} is longer than {max} characters")));
    }
    if v.chars().any(|c| c == '\0') {
        return Err(Error::bad_input(format!("{field} contains a NUL character")));
    }
    Ok(())
}

pub fn email(v: &str) -> Result<String> {
    let v = v.trim();
    let ok = v.len() <= 254
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !v.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(Error::bad_input(format!("{v:?} is not a valid email address")));
    }
    Ok(v.to_string())
}

fn coordinate(field: &str, v: f64) -> Result<()> {
    if !v.is_finite() || v.abs() > MAX_COORDINATE {
        return Err(Error::bad_input(format!("{field} must be a finite number within ±{MAX_COORDINATE:e}")));
    }
    Ok(())
}

fn point(field: &str, p: &Point) -> Result<()> {
    coordinate(&format!("{field}.x"), p.x)?;
    coordinate(&format!("{field}.y"), p.y)
}

fn size(s: &Size) -> Result<()> {
    for (f, v) in [("size.width", s.width), ("size.height", s.height)] {
        coordinate(f, v)?;
        if v < 0.0 {
            return Err(Error::bad_input(format!("{f} must not be negative")));
        }
    }
    Ok(())
}

fn transform(t: &Transform) -> Result<()> {
    coordinate("transform.x", t.x)?;
    coordinate("transform.y", t.y)?;
    for (f, v) in [("transform.scaleX", t.scale_x), ("transform.scaleY", t.scale_y)] {
        if !v.is_finite() || v <= 0.0 || v > MAX_SCALE {
            return Err(Error::bad_input(format!("{f} must be a finite number in (0, {MAX_SCALE:e}]")));
        }
    }
    Ok(())
}

fn json_object(field: &str, v: &Json) -> Result<()> {
    if !v.is_object() {
        return Err(Error::bad_input(format!("{field} must be a JSON object")));
    }
    if v.to_string().len() > MAX_JSON_BYTES {
        return Err(Error::bad_input(format!("{field} is larger than {MAX_JSON_BYTES} bytes")));
    }
    Ok(())
}

/// Check every field of a complete element.
pub fn element(el: &Element) -> Result<()> {
    transform(&el.transform)?;
    json_object("style", &el.style)?;
    json_object("traits", &el.traits)?;
    match &el.body {
        ElementBody::Text { text, size: s } | ElementBody::Shape { text, size: s, .. } => {
            chars("text", text, MAX_TEXT_CHARS)?;
            size(s)
        }
        ElementBody::Canvas { name: n, size: s } => {
            name("name", n)?;
            size(s)
        }
        ElementBody::Image { title, filename, size: s } => {
            chars("title", title, MAX_NAME_CHARS)?;
            chars("filename", filename, MAX_NAME_CHARS)?;
            size(s)
        }
        ElementBody::Stroke { points } => {
            if points.is_empty() || points.len() > MAX_STROKE_POINTS {
                return Err(Error::bad_input(format!("a stroke needs 1 to {MAX_STROKE_POINTS} points")));
            }
            points.iter().try_for_each(|p| point("points", p))
        }
        ElementBody::Line { start, end } => {
            point("start", start)?;
            point("end", end)
        }
    }
}

/// Check a patch before it is applied (the applied element is checked again as a whole).
pub fn patch(p: &ElementPatch) -> Result<()> {
    if p.is_empty() {
        return Err(Error::bad_input("nothing to update: the input sets no field"));
    }
    Ok(())
}
