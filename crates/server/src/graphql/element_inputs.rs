//! The platform's element inputs. Each is read into JSON (absent fields left out) and handed
//! to the core, which turns it into the element's stored form (`element::input`); the schema's
//! defaults for whole objects live there, the ones for single fields (a colour's channels, a
//! point's coordinates) here, where the platform declares them. The inputs of images,
//! documents and videos are in [`asset_inputs`](super::asset_inputs).

use super::elements::{
    FontSize, HorizontalAlign, LineCapStyle, LineRouting, LineStrokeStyle, StrokeBrush, TextListKind, TextTransform,
    VerticalAlign,
};
use async_graphql::{
    Enum, InputObject, InputValueError, InputValueResult, Json, Scalar, ScalarType, Value as GqlValue,
};
use serde::Serialize;
use serde_json::Value;

pub use super::asset_inputs::*;

/// An input as the JSON the core reads: its fields in the platform's names, nulls left out.
pub fn to_json<T: Serialize>(input: &T) -> Value {
    fn strip(v: Value) -> Value {
        match v {
            Value::Object(o) => {
                Value::Object(o.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, strip(v))).collect())
            }
            Value::Array(a) => Value::Array(a.into_iter().map(strip).collect()),
            v => v,
        }
    }
    strip(serde_json::to_value(input).unwrap_or(Value::Null))
}

/// A JSON object (and only an object).
#[derive(Clone, Debug, Serialize)]
pub struct JsonObject(pub Value);

#[Scalar(name = "JSONObject")]
impl ScalarType for JsonObject {
    fn parse(value: GqlValue) -> InputValueResult<Self> {
        match value.into_json()? {
            v @ Value::Object(_) => Ok(JsonObject(v)),
            _ => Err(InputValueError::custom("expected a JSON object")),
        }
    }
    fn to_value(&self) -> GqlValue {
        GqlValue::from_json(self.0.clone()).unwrap_or(GqlValue::Null)
    }
}

#[derive(InputObject, Serialize)]
pub struct ColorInput {
    #[graphql(default_with = "Some(0)")]
    pub r: Option<i64>,
    #[graphql(default_with = "Some(0)")]
    pub g: Option<i64>,
    #[graphql(default_with = "Some(0)")]
    pub b: Option<i64>,
    #[graphql(default = 1.0)]
    pub a: Option<f64>,
}

/// Translation relative to the origin, and scaling.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransformInput {
    #[graphql(default = 0.0)]
    pub x: Option<f64>,
    #[graphql(default = 0.0)]
    pub y: Option<f64>,
    #[graphql(default = 1.0)]
    pub scale_x: Option<f64>,
    #[graphql(default = 1.0)]
    pub scale_y: Option<f64>,
}

/// Translation relative to the origin.
#[derive(InputObject, Serialize)]
pub struct TranslationInput {
    #[graphql(default = 0.0)]
    pub x: Option<f64>,
    #[graphql(default = 0.0)]
    pub y: Option<f64>,
}

/// Translation relative to the origin and uniform scaling.
#[derive(InputObject, Serialize)]
pub struct SimilitudeInput {
    #[graphql(default = 0.0)]
    pub x: Option<f64>,
    #[graphql(default = 0.0)]
    pub y: Option<f64>,
    #[graphql(default = 1.0)]
    pub scale: Option<f64>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateTransformInput {
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub scale_x: Option<f64>,
    pub scale_y: Option<f64>,
}

#[derive(InputObject, Serialize)]
pub struct UpdateTranslationInput {
    pub x: Option<f64>,
    pub y: Option<f64>,
}

#[derive(InputObject, Serialize)]
pub struct UpdateSimilitudeInput {
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub scale: Option<f64>,
}

/// Additional element properties as a JSON-LD document.
#[derive(InputObject, Serialize)]
pub struct TraitInput {
    /// A JSON-LD context: an object, a URL, or a list of either.
    pub context: Option<Json<Value>>,
    pub content: JsonObject,
    /// The prefix that expands short property names.
    pub vocab: Option<String>,
}

#[derive(Enum, Serialize, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "camelCase")]
#[serde(rename_all = "camelCase")]
pub enum FontWeight {
    Normal,
    Bold,
}

#[derive(Enum, Serialize, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "camelCase")]
#[serde(rename_all = "camelCase")]
pub enum FontStyle {
    Normal,
    Italic,
}

#[derive(Enum, Serialize, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "camelCase")]
#[serde(rename_all = "camelCase")]
pub enum TextDecoration {
    Underline,
    LineThrough,
}

/// A run of text: plain `text`, a `span` of formatting, or a `link` (exactly one).
#[derive(InputObject, Serialize)]
pub struct InlineTextContent {
    pub link: Option<TextLink>,
    pub text: Option<String>,
    pub span: Option<TextSpan>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TextSpan {
    pub font_family: Option<String>,
    pub font_size: Option<i64>,
    pub font_weight: Option<FontWeight>,
    pub font_style: Option<FontStyle>,
    pub text_decoration: Option<Vec<TextDecoration>>,
    pub color: Option<ColorInput>,
    pub background_color: Option<ColorInput>,
    pub text: Option<String>,
    pub content: Option<Vec<InlineTextContent>>,
}

#[derive(InputObject, Serialize)]
pub struct TextLink {
    pub url: String,
    pub text: Option<String>,
    pub content: Option<Vec<InlineTextContent>>,
}

/// A paragraph: plain `text` or structured `content` (exclusive).
#[derive(InputObject, Serialize)]
pub struct TextBlockInput {
    pub align: Option<HorizontalAlign>,
    pub text: Option<String>,
    pub content: Option<Vec<InlineTextContent>>,
}

#[derive(InputObject, Serialize)]
pub struct TextListItemInput {
    #[graphql(default_with = "Some(0)")]
    pub indent: Option<i64>,
    pub text: Option<String>,
    pub content: Option<Vec<InlineTextContent>>,
}

#[derive(InputObject, Serialize)]
pub struct TextListInput {
    pub kind: TextListKind,
    pub items: Vec<TextListItemInput>,
}

/// A top-level block: a paragraph, a list, or plain `text` (exactly one).
#[derive(InputObject, Serialize)]
pub struct ToplevelBlockTextContentInput {
    pub block: Option<TextBlockInput>,
    pub list: Option<TextListInput>,
    pub text: Option<String>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TextStyleInput {
    pub text_transform: Option<TextTransform>,
    pub font_size: Option<i64>,
    pub font_family: Option<String>,
    pub vertical_align: Option<VerticalAlign>,
    pub color: Option<ColorInput>,
    pub background_color: Option<ColorInput>,
    pub width: Option<f64>,
    pub height: Option<f64>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateTextStyleInput {
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub font_size: Option<i64>,
    pub font_family: Option<String>,
    pub color: Option<ColorInput>,
    pub background_color: Option<ColorInput>,
    pub vertical_align: Option<VerticalAlign>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTextInput {
    pub traits: Option<TraitInput>,
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<TransformInput>,
    pub style: Option<TextStyleInput>,
    /// Plain multiline text, exclusive with `blocks`: a left-aligned paragraph per line.
    pub text: Option<String>,
    pub blocks: Option<Vec<ToplevelBlockTextContentInput>>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateTextInput {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateTransformInput>,
    pub text: Option<String>,
    pub blocks: Option<Vec<ToplevelBlockTextContentInput>>,
    pub style: Option<UpdateTextStyleInput>,
}

#[derive(Enum, Serialize, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "PascalCase")]
pub enum RegularShapeKind {
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
}

#[derive(Enum, Serialize, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "PascalCase")]
pub enum StickyShapeKind {
    StickySquare,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegularShapeStyleInput {
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub stroke_width: Option<f64>,
    pub stroke_color: Option<ColorInput>,
    pub fill_color: Option<ColorInput>,
    pub kind: RegularShapeKind,
}

/// A sticky note: square, `width` wide.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StickyShapeStyleInput {
    pub width: Option<f64>,
    pub fill_color: Option<ColorInput>,
    pub kind: StickyShapeKind,
}

/// Exactly one of a regular shape and a sticky note.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShapeStyleInputUnion {
    pub regular_shape: Option<RegularShapeStyleInput>,
    pub sticky_shape: Option<StickyShapeStyleInput>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRegularShapeStyleInput {
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub stroke_width: Option<f64>,
    pub stroke_color: Option<ColorInput>,
    pub fill_color: Option<ColorInput>,
    pub kind: Option<RegularShapeKind>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStickyShapeStyleInput {
    pub width: Option<f64>,
    pub fill_color: Option<ColorInput>,
    pub kind: Option<StickyShapeKind>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateShapeStyleInputUnion {
    pub regular_shape: Option<UpdateRegularShapeStyleInput>,
    pub sticky_shape: Option<UpdateStickyShapeStyleInput>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShapeTextStyleInput {
    pub font_size: Option<FontSize>,
    pub font_family: Option<String>,
    pub vertical_align: Option<VerticalAlign>,
    pub color: Option<ColorInput>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateShapeTextStyleInput {
    pub font_size: Option<FontSize>,
    pub font_family: Option<String>,
    pub vertical_align: Option<VerticalAlign>,
    pub color: Option<ColorInput>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateShapeInput {
    pub traits: Option<TraitInput>,
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<TranslationInput>,
    pub style: ShapeStyleInputUnion,
    pub text: Option<String>,
    pub blocks: Option<Vec<ToplevelBlockTextContentInput>>,
    pub text_style: Option<ShapeTextStyleInput>,
    pub mirror_x: Option<bool>,
    pub mirror_y: Option<bool>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateShapeInput {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateTranslationInput>,
    pub style: Option<UpdateShapeStyleInputUnion>,
    pub text: Option<String>,
    pub blocks: Option<Vec<ToplevelBlockTextContentInput>>,
    pub text_style: Option<UpdateShapeTextStyleInput>,
    pub mirror_x: Option<bool>,
    pub mirror_y: Option<bool>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CanvasStyleInput {
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub border_color: Option<ColorInput>,
    pub fill_color: Option<ColorInput>,
    pub show_name: Option<bool>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCanvasStyleInput {
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub border_color: Option<ColorInput>,
    pub fill_color: Option<ColorInput>,
    pub show_name: Option<bool>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCanvasInput {
    pub traits: Option<TraitInput>,
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub transform: Option<TranslationInput>,
    pub style: Option<CanvasStyleInput>,
    pub name: String,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCanvasInput {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub transform: Option<UpdateTranslationInput>,
    pub style: Option<UpdateCanvasStyleInput>,
    pub name: Option<String>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StrokeStyleInput {
    pub color: Option<ColorInput>,
    pub stroke_width: Option<f64>,
    pub brush_type: Option<StrokeBrush>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateStrokeInput {
    pub traits: Option<TraitInput>,
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<SimilitudeInput>,
    pub style: Option<StrokeStyleInput>,
    /// `[x, y, x, y, …]`, relative to the transform.
    pub points: Vec<f64>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStrokeInput {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub transform: Option<UpdateSimilitudeInput>,
}

#[derive(InputObject, Serialize)]
pub struct AbsoluteLinePointInput {
    #[graphql(default = 0.0)]
    pub x: Option<f64>,
    #[graphql(default = 0.0)]
    pub y: Option<f64>,
}

/// A point on another element, `u` and `v` from 0 to 1 across its box.
#[derive(InputObject, Serialize)]
pub struct AnchorLinePointInput {
    pub id: String,
    pub u: f64,
    pub v: f64,
}

/// Exactly one of a point on the canvas and a point on another element.
#[derive(InputObject, Serialize)]
pub struct LinePointInput {
    pub anchor: Option<AnchorLinePointInput>,
    pub absolute: Option<AbsoluteLinePointInput>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineStyleInput {
    pub stroke_color: Option<ColorInput>,
    pub stroke_style: Option<LineStrokeStyle>,
    pub stroke_width: Option<f64>,
    pub start_cap: Option<LineCapStyle>,
    pub end_cap: Option<LineCapStyle>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateLineStyleInput {
    pub stroke_color: Option<ColorInput>,
    pub stroke_style: Option<LineStrokeStyle>,
    pub stroke_width: Option<f64>,
    pub start_cap: Option<LineCapStyle>,
    pub end_cap: Option<LineCapStyle>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateLineInput {
    pub traits: Option<TraitInput>,
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub style: Option<LineStyleInput>,
    pub routing: Option<LineRouting>,
    pub control_points: Option<Vec<LinePointInput>>,
    pub start: LinePointInput,
    pub end: LinePointInput,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateLineInput {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub style: Option<UpdateLineStyleInput>,
    pub routing: Option<LineRouting>,
    pub control_points: Option<Vec<LinePointInput>>,
    pub start: Option<LinePointInput>,
    pub end: Option<LinePointInput>,
}

#[derive(InputObject, Serialize)]
pub struct BrowserStyleInput {
    pub frameless: Option<bool>,
    pub width: Option<f64>,
    pub height: Option<f64>,
}

#[derive(InputObject, Serialize)]
pub struct UpdateBrowserStyleInput {
    pub width: Option<f64>,
    pub height: Option<f64>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBrowserInput {
    pub traits: Option<TraitInput>,
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<SimilitudeInput>,
    pub style: Option<BrowserStyleInput>,
    /// An http or https address.
    pub url: Option<String>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateBrowserInput {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateSimilitudeInput>,
    pub style: Option<UpdateBrowserStyleInput>,
    pub url: Option<String>,
}

/// One cell of a grid: an element's id, and its row and column counted from 0.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CellInput {
    /// id of the element occupying this cell
    pub element_id: String,
    pub row: i64,
    pub column: i64,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GridStyleInput {
    pub horizontal_cell_margin: Option<f64>,
    pub vertical_cell_margin: Option<f64>,
    pub cell_width: Option<f64>,
    pub cell_height: Option<f64>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateGridStyleInput {
    pub horizontal_cell_margin: Option<f64>,
    pub vertical_cell_margin: Option<f64>,
    pub cell_width: Option<f64>,
    pub cell_height: Option<f64>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateGridInput {
    pub traits: Option<TraitInput>,
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub transform: Option<TranslationInput>,
    pub style: Option<GridStyleInput>,
    pub row_count: Option<i64>,
    pub column_count: Option<i64>,
    pub cells: Vec<CellInput>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateGridInput {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub transform: Option<UpdateTranslationInput>,
    pub row_count: Option<i64>,
    pub column_count: Option<i64>,
    /// replacement grid cell list
    pub cells: Option<Vec<CellInput>>,
    pub style: Option<UpdateGridStyleInput>,
}

/// An icon's tint (black when the colour is left out).
#[derive(InputObject, Serialize)]
pub struct IconStyleInput {
    pub color: Option<ColorInput>,
}

#[derive(InputObject, Serialize)]
pub struct UpdateIconStyleInput {
    pub color: Option<ColorInput>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateIconInput {
    pub traits: Option<TraitInput>,
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<SimilitudeInput>,
    /// Defines the width of the bounding box that the icon should fit into
    pub width: Option<f64>,
    /// Defines the height of the bounding box that the icon should fit into
    pub height: Option<f64>,
    pub style: Option<IconStyleInput>,
    pub asset_path: String,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateIconInput {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateSimilitudeInput>,
    pub style: Option<UpdateIconStyleInput>,
}

#[derive(InputObject, Serialize)]
pub struct WindowStyleInput {
    /// Extrinsic window width
    pub width: Option<f64>,
    /// Extrinsic window height
    pub height: Option<f64>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateWindowInput {
    pub traits: Option<TraitInput>,
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<SimilitudeInput>,
    pub style: Option<WindowStyleInput>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateWindowInput {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateSimilitudeInput>,
}
