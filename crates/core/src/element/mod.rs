//! Canvas elements, in the platform's shapes: the fields every element has (transform, zIndex,
//! pinned, traits) and a typed body per element type, whose JSON form uses the platform's field
//! names (`style`, `textStyle`, `blocks`, …). Stored as that JSON; an update is a partial JSON
//! object of the same form, merged in ([`Element::merged`]) and checked again, and is also what
//! the event log records, so a subscriber receives exactly the fields that changed.

pub mod asset;
pub mod attach;
pub mod board;
pub mod find;
pub mod input;
pub mod legacy;
mod uploads;
mod usecases;
pub use uploads::Processed;

use crate::ids::{ElementId, WorkspaceId};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ElementType {
    Text,
    Shape,
    Canvas,
    Stroke,
    Line,
    Image,
    Document,
    Video,
    Browser,
    Grid,
    Icon,
    Window,
}

impl ElementType {
    /// Every type tessera stores. (The platform's schema names four more, which no mutation
    /// creates: `LegacyNote`, `Selection`, `LinkedDocument` and `Whiteboard`.)
    pub const ALL: [ElementType; 12] = [
        ElementType::Text,
        ElementType::Shape,
        ElementType::Canvas,
        ElementType::Stroke,
        ElementType::Line,
        ElementType::Image,
        ElementType::Document,
        ElementType::Video,
        ElementType::Browser,
        ElementType::Grid,
        ElementType::Icon,
        ElementType::Window,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ElementType::Text => "Text",
            ElementType::Shape => "Shape",
            ElementType::Canvas => "Canvas",
            ElementType::Stroke => "Stroke",
            ElementType::Line => "Line",
            ElementType::Image => "Image",
            ElementType::Document => "Document",
            ElementType::Video => "Video",
            ElementType::Browser => "Browser",
            ElementType::Grid => "Grid",
            ElementType::Icon => "Icon",
            ElementType::Window => "Window",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether an element of this type can be attached to a surface (the platform's
    /// `Attachable`): all but canvases and grids.
    pub fn is_attachable(self) -> bool {
        !matches!(self, ElementType::Canvas | ElementType::Grid)
    }

    /// Whether elements can be attached to one of this type (the platform's `Surface`).
    pub fn is_surface(self) -> bool {
        self.is_attachable() && !matches!(self, ElementType::Text | ElementType::Stroke | ElementType::Line)
    }
}

/// A colour: 0–255 channels and an alpha of 0–1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Color {
    pub r: i64,
    pub g: i64,
    pub b: i64,
    pub a: f64,
}

impl Color {
    pub const fn rgba(r: i64, g: i64, b: i64, a: f64) -> Self {
        Color { r, g, b, a }
    }
    pub const WHITE: Color = Color::rgba(255, 255, 255, 1.0);
    pub const BLACK: Color = Color::rgba(0, 0, 0, 1.0);
    pub const CLEAR: Color = Color::rgba(0, 0, 0, 0.0);
}

macro_rules! platform_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($v),* }
    };
}

platform_enum!(
    /// Every shape kind: the regular ones and the sticky note.
    ShapeKind {
        Rectangle,
        Ellipse,
        TriangleUp,
        TriangleRight,
        Diamond,
        Cylinder,
        ArrowUp,
        ArrowRight,
        ArrowUpDown,
        ArrowLeftRight,
        ArrowAll,
        Star5,
        Hexagon,
        Octagon,
        StickySquare,
    }
);
platform_enum!(StrokeBrush { Pen, Eraser });
platform_enum!(LineRouting { Direct, Orthogonal });
platform_enum!(LineStrokeStyle { Solid, Dot, DashShort, DashLong });
platform_enum!(LineCapStyle { None, ArrowFill, ArrowStroke, Tee, Circle });

/// An image asset's format, as the platform names it; the input's spellings (`jpg`,
/// `jpegMime`, …) read as the format they name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    #[serde(alias = "jpg", alias = "jpegMime")]
    Jpeg,
    #[serde(alias = "gifMime")]
    Gif,
    #[serde(alias = "pngMime")]
    Png,
    #[serde(alias = "tif", alias = "tiffMime")]
    Tiff,
    Unknown,
}

/// A document asset's format; the input's MIME spellings read as the format they name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentFormat {
    #[serde(alias = "docMime")]
    Doc,
    #[serde(alias = "docxMime")]
    Docx,
    #[serde(alias = "pptMime")]
    Ppt,
    #[serde(alias = "pptxMime")]
    Pptx,
    #[serde(alias = "xlsMime")]
    Xls,
    #[serde(alias = "xlsxMime")]
    Xlsx,
    #[serde(alias = "pdfMime")]
    Pdf,
    Unknown,
}

/// A video asset's format. The input's `mov` is QuickTime's and `m4v` MPEG-4's (the platform's
/// output names neither), and MIME spellings read as the format they name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VideoFormat {
    Mkv,
    Avi,
    Flv,
    Wmv,
    #[serde(alias = "m4v", alias = "mp4Mime", alias = "m4vMime")]
    Mp4,
    #[serde(alias = "webmMime")]
    Webm,
    #[serde(alias = "mov", alias = "quicktimeMime")]
    Quicktime,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextTransform {
    None,
    Uppercase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerticalAlign {
    Top,
    Center,
    Bottom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HorizontalAlign {
    Left,
    Right,
    Center,
    Justify,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transform {
    pub x: f64,
    pub y: f64,
    pub scale_x: f64,
    pub scale_y: f64,
}

impl Default for Transform {
    fn default() -> Self {
        Transform { x: 0.0, y: 0.0, scale_x: 1.0, scale_y: 1.0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoundingBox {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextStyle {
    pub text_transform: TextTransform,
    pub font_size: i64,
    pub font_family: String,
    pub vertical_align: VerticalAlign,
    pub color: Color,
    pub background_color: Color,
    pub width: f64,
    pub height: f64,
}

/// A list's markers: numbers or bullets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextListKind {
    Ordered,
    Bullet,
}

/// A paragraph: its alignment and its inline content (`{"text": …}` runs, or a `span` of
/// formatting, or a `link`), as the platform writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextBlock {
    pub align: HorizontalAlign,
    pub content: Vec<Json>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextListItem {
    pub align: HorizontalAlign,
    pub indent: i64,
    pub content: Vec<Json>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextList {
    pub align: HorizontalAlign,
    pub kind: TextListKind,
    pub items: Vec<TextListItem>,
}

/// A top-level block of rich text: a paragraph or a list. Stored as `{"block": …}` or
/// `{"list": …}`, the platform's input form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Block {
    Block(TextBlock),
    List(TextList),
}

impl Block {
    /// One left-aligned paragraph per line of `text`.
    pub fn paragraphs(text: &str) -> Vec<Block> {
        let para =
            |line: &str| TextBlock { align: HorizontalAlign::Left, content: vec![serde_json::json!({"text": line})] };
        text.split('\n').map(|line| Block::Block(para(line))).collect()
    }

    /// The plain text of some blocks: a line per paragraph and per list item.
    pub fn plain(blocks: &[Block]) -> String {
        let runs = |content: &[Json]| content.iter().map(inline_text).collect::<String>();
        let mut lines = Vec::new();
        for b in blocks {
            match b {
                Block::Block(p) => lines.push(runs(&p.content)),
                Block::List(l) => lines.extend(l.items.iter().map(|i| runs(&i.content))),
            }
        }
        lines.join("\n")
    }
}

/// The text of one inline run: its `text`, or the text of the runs it contains.
fn inline_text(run: &Json) -> String {
    let inner = run.get("span").or_else(|| run.get("link")).unwrap_or(run);
    match (inner.get("text").and_then(Json::as_str), inner.get("content").and_then(Json::as_array)) {
        (Some(t), _) => t.to_string(),
        (None, Some(runs)) => runs.iter().map(inline_text).collect(),
        (None, None) => String::new(),
    }
}

/// A shape's look: a regular shape (outline and fill) or a sticky note.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ShapeStyle {
    #[serde(rename = "regularShape", rename_all = "camelCase")]
    Regular { width: f64, height: f64, stroke_width: f64, stroke_color: Color, fill_color: Color },
    #[serde(rename = "stickyShape", rename_all = "camelCase")]
    Sticky { width: f64, height: f64, fill_color: Color },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShapeTextStyle {
    /// A size in points, or `auto` (fit the shape): the platform's `FontSize` scalar.
    pub font_size: Json,
    pub font_family: String,
    pub vertical_align: VerticalAlign,
    pub color: Color,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanvasStyle {
    pub width: f64,
    pub height: f64,
    pub border_color: Color,
    pub fill_color: Color,
    pub show_name: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StrokeStyle {
    pub color: Color,
    pub stroke_width: f64,
    pub brush_type: StrokeBrush,
}

/// One end (or control point) of a line: a place on the canvas, or a place on another element
/// (`u`, `v` from 0 to 1 across its box).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LinePoint {
    Absolute { x: f64, y: f64 },
    Anchor { id: String, u: f64, v: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineStyle {
    pub stroke_color: Color,
    pub stroke_style: LineStrokeStyle,
    pub stroke_width: f64,
    pub start_cap: LineCapStyle,
    pub end_cap: LineCapStyle,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrowserStyle {
    pub frameless: bool,
    pub width: f64,
    pub height: f64,
}

/// One cell of a grid: the element in it, by id, at a row and column counted from 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GridCell {
    pub element_id: String,
    pub row: i64,
    pub column: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GridStyle {
    pub horizontal_cell_margin: f64,
    pub vertical_cell_margin: f64,
    pub cell_width: f64,
    pub cell_height: f64,
}

/// An icon's tint; a style given without a colour is the schema's default, black.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IconStyle {
    #[serde(default = "black")]
    pub color: Color,
}

fn black() -> Color {
    Color::BLACK
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowStyle {
    pub width: f64,
    pub height: f64,
}

/// The type-specific part of an element, with the platform's field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ElementBody {
    #[serde(rename_all = "camelCase")]
    Text { text: String, blocks: Vec<Block>, style: TextStyle },
    #[serde(rename_all = "camelCase")]
    Shape {
        kind: ShapeKind,
        style: ShapeStyle,
        text: Option<String>,
        blocks: Option<Vec<Block>>,
        text_style: ShapeTextStyle,
        mirror_x: bool,
        mirror_y: bool,
        aspect_ratio_fixed: bool,
    },
    #[serde(rename_all = "camelCase")]
    Canvas { name: String, style: CanvasStyle },
    /// Points as the platform gives them: x0, y0, x1, y1, … relative to the transform.
    #[serde(rename_all = "camelCase")]
    Stroke { points: Vec<f64>, style: StrokeStyle },
    #[serde(rename_all = "camelCase")]
    Line { start: LinePoint, end: LinePoint, control_points: Vec<LinePoint>, routing: LineRouting, style: LineStyle },
    /// An image: its metadata and its file. Images stored before formats were kept have none.
    #[serde(rename_all = "camelCase")]
    Image {
        title: String,
        filename: Option<String>,
        source_url: Option<String>,
        image_format: Option<ImageFormat>,
        preview_format: Option<ImageFormat>,
        width: f64,
        height: f64,
        /// The file, once an upload or a fetch is under way (none for elements made before).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        asset: Option<asset::Asset>,
    },
    /// A document: its metadata and its file.
    #[serde(rename_all = "camelCase")]
    Document {
        title: String,
        filename: Option<String>,
        source_url: Option<String>,
        document_format: DocumentFormat,
        preview_format: Option<ImageFormat>,
        width: f64,
        height: f64,
        /// The file, once an upload or a fetch is under way (none for elements made before).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        asset: Option<asset::Asset>,
    },
    /// A video: its metadata and its file.
    #[serde(rename_all = "camelCase")]
    Video {
        title: String,
        filename: Option<String>,
        source_url: Option<String>,
        video_format: VideoFormat,
        preview_format: Option<ImageFormat>,
        width: f64,
        height: f64,
        /// The file, once an upload or a fetch is under way (none for elements made before).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        asset: Option<asset::Asset>,
    },
    /// A web page shown on the canvas.
    #[serde(rename_all = "camelCase")]
    Browser { url: Option<String>, style: BrowserStyle },
    /// Rows and columns of cells, each holding another element.
    #[serde(rename_all = "camelCase")]
    Grid { row_count: i64, column_count: i64, cells: Vec<GridCell>, style: GridStyle },
    /// An icon of the platform's library, by its path there, optionally tinted.
    #[serde(rename_all = "camelCase")]
    Icon { asset_path: String, width: f64, height: f64, style: Option<IconStyle> },
    /// A rectangle for content of an app's own.
    #[serde(rename_all = "camelCase")]
    Window { style: WindowStyle },
}

impl ElementBody {
    pub fn element_type(&self) -> ElementType {
        match self {
            ElementBody::Text { .. } => ElementType::Text,
            ElementBody::Shape { .. } => ElementType::Shape,
            ElementBody::Canvas { .. } => ElementType::Canvas,
            ElementBody::Stroke { .. } => ElementType::Stroke,
            ElementBody::Line { .. } => ElementType::Line,
            ElementBody::Image { .. } => ElementType::Image,
            ElementBody::Document { .. } => ElementType::Document,
            ElementBody::Video { .. } => ElementType::Video,
            ElementBody::Browser { .. } => ElementType::Browser,
            ElementBody::Grid { .. } => ElementType::Grid,
            ElementBody::Icon { .. } => ElementType::Icon,
            ElementBody::Window { .. } => ElementType::Window,
        }
    }

    /// The file of an image, document or video, if one is under way or stored.
    pub fn asset(&self) -> Option<&asset::Asset> {
        match self {
            ElementBody::Image { asset, .. }
            | ElementBody::Document { asset, .. }
            | ElementBody::Video { asset, .. } => asset.as_ref(),
            _ => None,
        }
    }

    /// The asset slot and intrinsic size of an image, document or video, to change them.
    pub fn asset_parts(&mut self) -> Option<(&mut Option<asset::Asset>, &mut f64, &mut f64)> {
        match self {
            ElementBody::Image { asset, width, height, .. }
            | ElementBody::Document { asset, width, height, .. }
            | ElementBody::Video { asset, width, height, .. } => Some((asset, width, height)),
            _ => None,
        }
    }

    /// The format an image, document or video declares for its file.
    pub fn declared_format(&self) -> Option<asset::Declared> {
        match self {
            ElementBody::Image { image_format, .. } => {
                Some(asset::Declared::Image(image_format.unwrap_or(ImageFormat::Unknown)))
            }
            ElementBody::Document { document_format, .. } => Some(asset::Declared::Document(*document_format)),
            ElementBody::Video { video_format, .. } => Some(asset::Declared::Video(*video_format)),
            _ => None,
        }
    }

    /// Width and height before the transform's scale, for the types that have a size.
    fn size(&self) -> Option<(f64, f64)> {
        match self {
            ElementBody::Text { style, .. } => Some((style.width, style.height)),
            ElementBody::Shape { style: ShapeStyle::Regular { width, height, .. }, .. }
            | ElementBody::Shape { style: ShapeStyle::Sticky { width, height, .. }, .. } => Some((*width, *height)),
            ElementBody::Canvas { style, .. } => Some((style.width, style.height)),
            ElementBody::Image { width, height, .. }
            | ElementBody::Document { width, height, .. }
            | ElementBody::Video { width, height, .. }
            | ElementBody::Icon { width, height, .. } => Some((*width, *height)),
            ElementBody::Browser { style, .. } => Some((style.width, style.height)),
            ElementBody::Window { style } => Some((style.width, style.height)),
            // Each cell with its margin on either side.
            ElementBody::Grid { row_count, column_count, style, .. } => Some((
                *column_count as f64 * (style.cell_width + 2.0 * style.horizontal_cell_margin),
                *row_count as f64 * (style.cell_height + 2.0 * style.vertical_cell_margin),
            )),
            ElementBody::Stroke { .. } | ElementBody::Line { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Element {
    pub id: ElementId,
    pub workspace_id: WorkspaceId,
    pub z_index: i64,
    pub transform: Transform,
    pub pinned: bool,
    pub traits: Json,
    /// The element it is attached to, if any: its transform then counts from that element's
    /// position, it moves with it, and it is not a top-level element of the workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surface: Option<ElementId>,
    #[serde(flatten)]
    pub body: ElementBody,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The fields of an element no update may change.
/// (`asset` is the server's: set by uploads and processing, never by an input.)
const FIXED: [&str; 6] = ["id", "workspaceId", "type", "createdAt", "updatedAt", "asset"];

impl Element {
    pub fn element_type(&self) -> ElementType {
        self.body.element_type()
    }

    /// Its box on the workspace's canvas as a top-level element; none while it is attached
    /// (its place is then its surface's, and only its surface is indexed by place).
    pub fn top_level_box(&self) -> Option<BoundingBox> {
        self.surface.is_none().then(|| self.bounding_box())
    }

    /// The axis-aligned box the element covers, in the coordinates of its transform (the
    /// canvas's, or its surface's while attached).
    pub fn bounding_box(&self) -> BoundingBox {
        let t = &self.transform;
        let around = |pts: &mut dyn Iterator<Item = (f64, f64)>, relative: bool| {
            let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            let mut any = false;
            for (x, y) in pts {
                any = true;
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
            if !any {
                return BoundingBox { x: t.x, y: t.y, width: 0.0, height: 0.0 };
            }
            let (sx, sy, ox, oy) = if relative { (t.scale_x, t.scale_y, t.x, t.y) } else { (1.0, 1.0, 0.0, 0.0) };
            BoundingBox { x: ox + x0 * sx, y: oy + y0 * sy, width: (x1 - x0) * sx, height: (y1 - y0) * sy }
        };
        match &self.body {
            ElementBody::Stroke { points, .. } => around(&mut points.chunks_exact(2).map(|p| (p[0], p[1])), true),
            ElementBody::Line { start, end, control_points, .. } => {
                let absolute = |p: &LinePoint| match p {
                    LinePoint::Absolute { x, y } => Some((*x, *y)),
                    LinePoint::Anchor { .. } => None,
                };
                around(&mut [start, end].into_iter().chain(control_points).filter_map(absolute), false)
            }
            body => {
                let (w, h) = body.size().unwrap_or_default();
                BoundingBox { x: t.x, y: t.y, width: w * t.scale_x, height: h * t.scale_y }
            }
        }
    }

    /// A new element of type `ty`: the type's defaults with `change` (the stored form, as
    /// [`input::change`] makes it) merged in.
    pub fn new(id: ElementId, ws: WorkspaceId, ty: ElementType, change: &Json, now: i64) -> Result<Element, String> {
        refuse_fixed(change)?;
        let mut json = input::defaults(ty);
        input::merge(&mut json, change);
        input::merge(&mut json, &serde_json::json!({"id": id, "workspaceId": ws, "createdAt": now, "updatedAt": now}));
        serde_json::from_value(json).map_err(|e| format!("the input does not make a {}: {e}", ty.as_str()))
    }

    /// An element as stored, in today's form or an earlier one ([`legacy`]).
    pub fn from_stored(stored: Json) -> Result<Element, String> {
        let stored = if legacy::is_legacy(&stored) { legacy::upgrade(stored)? } else { stored };
        serde_json::from_value(stored).map_err(|e| e.to_string())
    }

    /// This element with `change` (a partial element in the stored form) merged in. Identity,
    /// type and times cannot change.
    pub fn merged(&self, change: &Json) -> Result<Element, String> {
        refuse_fixed(change)?;
        let mut json = serde_json::to_value(self).map_err(|e| e.to_string())?;
        input::merge(&mut json, change);
        serde_json::from_value(json)
            .map_err(|e| format!("the update does not fit a {}: {e}", self.element_type().as_str()))
    }
}

fn refuse_fixed(change: &Json) -> Result<(), String> {
    let Some(fields) = change.as_object() else { return Err("an element input must be a JSON object".into()) };
    match fields.keys().find(|k| FIXED.contains(&k.as_str())) {
        Some(k) => Err(format!("`{k}` cannot be set")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> Element {
        let style = TextStyle {
            text_transform: TextTransform::None,
            font_size: 64,
            font_family: "Dosis".into(),
            vertical_align: VerticalAlign::Top,
            color: Color::WHITE,
            background_color: Color::CLEAR,
            width: 400.0,
            height: 100.0,
        };
        Element {
            id: ElementId("e".into()),
            workspace_id: WorkspaceId("w".into()),
            z_index: 1,
            transform: Transform { x: 10.0, y: 20.0, scale_x: 2.0, scale_y: 1.0 },
            pinned: false,
            traits: serde_json::json!({}),
            surface: None,
            body: ElementBody::Text { text: "hi".into(), blocks: Block::paragraphs("hi"), style },
            created_at: 1,
            updated_at: 1,
        }
    }

    #[test]
    fn updates_merge_nested_fields_and_keep_the_rest() {
        let t = text();
        let changed = t.merged(&serde_json::json!({"style": {"fontSize": 32, "color": {"r": 1, "g": 2, "b": 3, "a": 0.5}}, "pinned": true})).expect("merge");
        let ElementBody::Text { style, text, .. } = &changed.body else { panic!("a text") };
        assert_eq!(
            (style.font_size, style.color, style.width, text.as_str()),
            (32, Color::rgba(1, 2, 3, 0.5), 400.0, "hi")
        );
        assert!(changed.pinned);
        assert!(t.merged(&serde_json::json!({"type": "Shape"})).is_err(), "the type is fixed");
        assert!(t.merged(&serde_json::json!({"style": {"fontSize": "big"}})).is_err(), "the result must fit the type");
    }

    #[test]
    fn the_stored_form_uses_the_platforms_names_and_reads_back() {
        let t = text();
        let json = serde_json::to_value(&t).expect("json");
        assert_eq!(json["type"], "Text");
        assert_eq!(json["style"]["backgroundColor"], serde_json::json!({"r": 0, "g": 0, "b": 0, "a": 0.0}));
        assert_eq!(json["blocks"][0], serde_json::json!({"block": {"align": "left", "content": [{"text": "hi"}]}}));
        assert_eq!(serde_json::from_value::<Element>(json).expect("back"), t);
        assert_eq!(t.bounding_box(), BoundingBox { x: 10.0, y: 20.0, width: 800.0, height: 100.0 });
    }

    #[test]
    fn strokes_and_lines_are_boxed_by_their_points() {
        let mut s = text();
        let style = StrokeStyle { color: Color::WHITE, stroke_width: 1.0, brush_type: StrokeBrush::Pen };
        s.body = ElementBody::Stroke { points: vec![0.0, 0.0, 10.0, 5.0, -2.0, 1.0], style };
        assert_eq!(s.bounding_box(), BoundingBox { x: 6.0, y: 20.0, width: 24.0, height: 5.0 });
        let style = LineStyle {
            stroke_color: Color::WHITE,
            stroke_style: LineStrokeStyle::Solid,
            stroke_width: 1.0,
            start_cap: LineCapStyle::None,
            end_cap: LineCapStyle::ArrowFill,
        };
        s.body = ElementBody::Line {
            start: LinePoint::Absolute { x: 100.0, y: 50.0 },
            end: LinePoint::Absolute { x: 0.0, y: 70.0 },
            control_points: vec![LinePoint::Anchor { id: "other".into(), u: 0.5, v: 0.5 }],
            routing: LineRouting::Direct,
            style,
        };
        assert_eq!(s.bounding_box(), BoundingBox { x: 0.0, y: 50.0, width: 100.0, height: 20.0 });
    }
    fn new(ty: ElementType, change: serde_json::Value) -> Element {
        let change = input::change(ty, change).expect("input");
        Element::new(ElementId("e".into()), WorkspaceId("w".into()), ty, &change, 1).expect("element")
    }

    #[test]
    fn the_new_types_start_from_the_schemas_defaults() {
        let d = new(ElementType::Document, serde_json::json!({"documentFormat": "pdfMime", "previewFormat": "jpg"}));
        assert!(
            matches!(
                d.body,
                ElementBody::Document {
                    document_format: DocumentFormat::Pdf,
                    preview_format: Some(ImageFormat::Jpeg),
                    width: 1000.0,
                    height: 1000.0,
                    asset: None,
                    ..
                }
            ),
            "{d:?}"
        );
        let v = new(ElementType::Video, serde_json::json!({"videoFormat": "mov", "transform": {"scale": 2}}));
        assert!(matches!(
            v.body,
            ElementBody::Video { video_format: VideoFormat::Quicktime, preview_format: None, .. }
        ));
        assert_eq!(v.bounding_box(), BoundingBox { x: 0.0, y: 0.0, width: 2000.0, height: 2000.0 });
        let b = new(ElementType::Browser, serde_json::json!({"style": {"frameless": true}}));
        let style = BrowserStyle { frameless: true, width: 800.0, height: 600.0 };
        assert_eq!(b.body, ElementBody::Browser { url: None, style });
        let i = new(ElementType::Icon, serde_json::json!({"assetPath": "/icons/a.svg"}));
        assert!(matches!(i.body, ElementBody::Icon { width: 300.0, height: 300.0, style: None, .. }), "untinted");
        let tinted = i.merged(&serde_json::json!({"style": {}})).expect("merge");
        assert!(matches!(tinted.body, ElementBody::Icon { style: Some(IconStyle { color: Color::BLACK }), .. }));
        let w = new(ElementType::Window, serde_json::json!({}));
        assert_eq!(w.body, ElementBody::Window { style: WindowStyle { width: 0.0, height: 0.0 } });
    }

    #[test]
    fn a_grid_is_as_wide_as_its_cells_with_their_margins() {
        let g = new(
            ElementType::Grid,
            serde_json::json!({"cells": [{"elementId": "x", "row": 4, "column": 0}],
            "columnCount": 2, "transform": {"x": 10.0, "y": 0.0}}),
        );
        let ElementBody::Grid { row_count, style, cells, .. } = &g.body else { panic!("a grid") };
        assert_eq!((*row_count, style.cell_width, style.horizontal_cell_margin, cells.len()), (5, 1000.0, 5.0, 1));
        assert_eq!(g.bounding_box(), BoundingBox { x: 10.0, y: 0.0, width: 2020.0, height: 5050.0 });
    }
}
