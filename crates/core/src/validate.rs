//! Input limits, checked once at the edge of the domain so that nothing unbounded or
//! non-finite is ever stored.

use crate::element::{Block, Color, Element, ElementBody, GridCell, LinePoint, ShapeStyle, Transform};
use crate::error::{Error, Result};
use serde_json::Value as Json;

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
pub const MAX_TEXT_CHARS: usize = 100_000;
pub const MAX_STROKE_POINTS: usize = 10_000;
pub const MAX_JSON_BYTES: usize = 16 * 1024;
pub const MAX_COORDINATE: f64 = 1e9;
pub const MAX_SCALE: f64 = 1e6;
pub const MAX_FONT_SIZE: i64 = 10_000;
pub const MAX_STROKE_WIDTH: f64 = 10_000.0;
pub const MAX_URL_CHARS: usize = 2_000;
pub const MAX_CONTROL_POINTS: usize = 1_000;
/// Rows (and columns) of a grid.
pub const MAX_GRID_SIDE: i64 = 1_000;
pub const MAX_GRID_CELLS: usize = 10_000;
/// Rich text's structure around at most [`MAX_TEXT_CHARS`] of text.
pub const MAX_BLOCKS_BYTES: usize = 1024 * 1024;

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

/// A width and height, named with `prefix` (`style.` or nothing).
fn size(prefix: &str, w: f64, h: f64) -> Result<()> {
    for (f, v) in [("width", w), ("height", h)] {
        coordinate(&format!("{prefix}{f}"), v)?;
        if v < 0.0 {
            return Err(Error::bad_input(format!("{prefix}{f} must not be negative")));
        }
    }
    Ok(())
}

/// A box on the canvas: finite coordinates in range, a size of 0 or more.
pub fn area(field: &str, b: &crate::element::BoundingBox) -> Result<()> {
    coordinate(&format!("{field}.x"), b.x)?;
    coordinate(&format!("{field}.y"), b.y)?;
    size(&format!("{field}."), b.width, b.height)
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

fn color(field: &str, c: &Color) -> Result<()> {
    let channel = |v: i64| (0..=255).contains(&v);
    if !(channel(c.r) && channel(c.g) && channel(c.b) && (0.0..=1.0).contains(&c.a)) {
        return Err(Error::bad_input(format!("{field} needs r, g and b from 0 to 255 and a from 0 to 1")));
    }
    Ok(())
}

fn positive(field: &str, v: f64, max: f64) -> Result<()> {
    if !v.is_finite() || v < 0.0 || v > max {
        return Err(Error::bad_input(format!("{field} must be a number from 0 to {max}")));
    }
    Ok(())
}

fn font_size(field: &str, v: &Json) -> Result<()> {
    match v {
        Json::String(s) if s == "auto" => Ok(()),
        v if v.as_i64().is_some_and(|n| (1..=MAX_FONT_SIZE).contains(&n)) => Ok(()),
        _ => Err(Error::bad_input(format!("{field} must be \"auto\" or a whole number from 1 to {MAX_FONT_SIZE}"))),
    }
}

fn line_point(field: &str, p: &LinePoint) -> Result<()> {
    match p {
        LinePoint::Absolute { x, y } => {
            coordinate(&format!("{field}.x"), *x)?;
            coordinate(&format!("{field}.y"), *y)
        }
        LinePoint::Anchor { id, u, v } => {
            name(&format!("{field}.id"), id)?;
            positive(&format!("{field}.u"), *u, 1.0)?;
            positive(&format!("{field}.v"), *v, 1.0)
        }
    }
}

/// A web address: `http` or `https`, at most [`MAX_URL_CHARS`], without spaces or control
/// characters.
fn url(field: &str, v: &str) -> Result<()> {
    chars(field, v, MAX_URL_CHARS)?;
    let scheme = v.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https")) || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::bad_input(format!("{field} must be an http or https URL")));
    }
    Ok(())
}

/// An asset's metadata: its title, file name, source and size.
fn asset(title: &str, filename: Option<&str>, source_url: Option<&str>, w: f64, h: f64) -> Result<()> {
    chars("title", title, MAX_NAME_CHARS)?;
    chars("filename", filename.unwrap_or(""), MAX_NAME_CHARS)?;
    source_url.map_or(Ok(()), |u| url("sourceUrl", u))?;
    size("", w, h)
}

fn grid(rows: i64, columns: i64, cells: &[GridCell]) -> Result<()> {
    for (f, n) in [("rowCount", rows), ("columnCount", columns)] {
        if !(1..=MAX_GRID_SIDE).contains(&n) {
            return Err(Error::bad_input(format!("{f} must be from 1 to {MAX_GRID_SIDE}")));
        }
    }
    if cells.len() > MAX_GRID_CELLS {
        return Err(Error::bad_input(format!("a grid has at most {MAX_GRID_CELLS} cells")));
    }
    let mut taken = std::collections::HashSet::new();
    for c in cells {
        if !crate::ids::looks_like_id(&c.element_id) {
            return Err(Error::bad_input("cells.elementId must be an element id"));
        }
        if !(0..rows).contains(&c.row) || !(0..columns).contains(&c.column) {
            return Err(Error::bad_input("a cell's row and column count from 0 and lie inside the grid"));
        }
        if !taken.insert((c.row, c.column)) {
            return Err(Error::bad_input(format!("two cells at row {}, column {}", c.row, c.column)));
        }
    }
    Ok(())
}

pub(crate) fn json_object(field: &str, v: &Json) -> Result<()> {
    if !v.is_object() {
        return Err(Error::bad_input(format!("{field} must be a JSON object")));
    }
    if v.to_string().len() > MAX_JSON_BYTES {
        return Err(Error::bad_input(format!("{field} is larger than {MAX_JSON_BYTES} bytes")));
    }
    Ok(())
}

fn text(t: &str, blocks: &[Block]) -> Result<()> {
    chars("text", t, MAX_TEXT_CHARS)?;
    let size = serde_json::to_string(blocks).map_or(usize::MAX, |s| s.len());
    if size > MAX_BLOCKS_BYTES {
        return Err(Error::bad_input(format!("blocks are larger than {MAX_BLOCKS_BYTES} bytes")));
    }
    Ok(())
}

/// Check every field of a complete element.
pub fn element(el: &Element) -> Result<()> {
    transform(&el.transform)?;
    json_object("traits", &el.traits)?;
    match &el.body {
        ElementBody::Text { text: t, blocks, style } => {
            text(t, blocks)?;
            size("style.", style.width, style.height)?;
            font_size("style.fontSize", &Json::from(style.font_size))?;
            chars("style.fontFamily", &style.font_family, MAX_NAME_CHARS)?;
            color("style.color", &style.color)?;
            color("style.backgroundColor", &style.background_color)
        }
        ElementBody::Shape { style, text: t, blocks, text_style, .. } => {
            text(t.as_deref().unwrap_or(""), blocks.as_deref().unwrap_or(&[]))?;
            match style {
                ShapeStyle::Regular { width, height, stroke_width, stroke_color, fill_color } => {
                    size("style.", *width, *height)?;
                    positive("style.strokeWidth", *stroke_width, MAX_STROKE_WIDTH)?;
                    color("style.strokeColor", stroke_color)?;
                    color("style.fillColor", fill_color)?;
                }
                ShapeStyle::Sticky { width, height, fill_color } => {
                    size("style.", *width, *height)?;
                    color("style.fillColor", fill_color)?;
                }
            }
            font_size("textStyle.fontSize", &text_style.font_size)?;
            chars("textStyle.fontFamily", &text_style.font_family, MAX_NAME_CHARS)?;
            color("textStyle.color", &text_style.color)
        }
        ElementBody::Canvas { name: n, style } => {
            name("name", n)?;
            size("style.", style.width, style.height)?;
            color("style.borderColor", &style.border_color)?;
            color("style.fillColor", &style.fill_color)
        }
        ElementBody::Image { title, filename, source_url, width, height, .. }
        | ElementBody::Document { title, filename, source_url, width, height, .. }
        | ElementBody::Video { title, filename, source_url, width, height, .. } => {
            asset(title, filename.as_deref(), source_url.as_deref(), *width, *height)
        }
        ElementBody::Browser { url: u, style } => {
            u.as_deref().map_or(Ok(()), |u| url("url", u))?;
            size("style.", style.width, style.height)
        }
        ElementBody::Grid { row_count, column_count, cells, style } => {
            grid(*row_count, *column_count, cells)?;
            [
                ("style.cellWidth", style.cell_width),
                ("style.cellHeight", style.cell_height),
                ("style.horizontalCellMargin", style.horizontal_cell_margin),
                ("style.verticalCellMargin", style.vertical_cell_margin),
            ]
            .into_iter()
            .try_for_each(|(f, v)| positive(f, v, MAX_COORDINATE))
        }
        ElementBody::Icon { asset_path, width, height, style } => {
            if asset_path.trim().is_empty() {
                return Err(Error::bad_input("assetPath must not be empty"));
            }
            chars("assetPath", asset_path, MAX_URL_CHARS)?;
            size("", *width, *height)?;
            style.as_ref().map_or(Ok(()), |s| color("style.color", &s.color))
        }
        ElementBody::Window { style } => size("style.", style.width, style.height),
        ElementBody::Stroke { points, style } => {
            if points.len() < 2 || points.len() > 2 * MAX_STROKE_POINTS || points.len() % 2 != 0 {
                return Err(Error::bad_input(format!("a stroke needs 1 to {MAX_STROKE_POINTS} points, as x, y pairs")));
            }
            points.iter().try_for_each(|v| coordinate("points", *v))?;
            positive("style.strokeWidth", style.stroke_width, MAX_STROKE_WIDTH)?;
            color("style.color", &style.color)
        }
        ElementBody::Line { start, end, control_points, style, .. } => {
            line_point("start", start)?;
            line_point("end", end)?;
            if control_points.len() > MAX_CONTROL_POINTS {
                return Err(Error::bad_input(format!("a line has at most {MAX_CONTROL_POINTS} control points")));
            }
            control_points.iter().try_for_each(|p| line_point("controlPoints", p))?;
            positive("style.strokeWidth", style.stroke_width, MAX_STROKE_WIDTH)?;
            color("style.strokeColor", &style.stroke_color)
        }
    }
}
