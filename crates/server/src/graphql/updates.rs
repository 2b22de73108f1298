//! The `data` of an `UpdateElementCommand`: the fields one update changed, typed per element
//! type (`UpdateText`, `UpdateShape`, …) as the platform's schema has them, read from the change
//! the event log stores (the element's stored form, partially).

use super::element_inputs::FontWeight;
use super::elements::{
    de_blocks, de_line_point, de_line_points, Cell, Color, FontSize, LineCapStyle, LinePoint, LineRouting,
    LineStrokeStyle, ShapeKind, TextTransform, ToplevelBlockTextContent, VerticalAlign,
};
use async_graphql::{Interface, SimpleObject};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use tessera_core::element::ElementType;

/// A move and a scale on each axis.
#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateTransform {
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub scale_x: Option<f64>,
    pub scale_y: Option<f64>,
}

/// A move.
#[derive(SimpleObject, Deserialize, Default)]
pub struct UpdateTranslation {
    pub x: Option<f64>,
    pub y: Option<f64>,
}

/// A move and one scale for both axes (stored as equal `scaleX` and `scaleY`).
#[derive(SimpleObject, Deserialize, Default)]
pub struct UpdateSimilitude {
    pub x: Option<f64>,
    pub y: Option<f64>,
    #[serde(rename = "scaleX")]
    pub scale: Option<f64>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateTextStyle {
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub font_size: Option<i64>,
    pub font_family: Option<String>,
    pub color: Option<Color>,
    pub background_color: Option<Color>,
    pub vertical_align: Option<VerticalAlign>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRegularShapeStyle {
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub stroke_width: Option<f64>,
    pub stroke_color: Option<Color>,
    pub fill_color: Option<Color>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStickyShapeStyle {
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub fill_color: Option<Color>,
}

/// What changed in a shape's look: as a regular shape or as a sticky note.
// The lint mistakes the repeated `ty = …` keys of distinct fields for duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface, Deserialize)]
#[graphql(
    field(name = "width", ty = "&Option<f64>"),
    field(name = "height", ty = "&Option<f64>"),
    field(name = "fill_color", ty = "&Option<Color>")
)]
pub enum UpdateShapeStyle {
    #[serde(rename = "regularShape")]
    UpdateRegularShapeStyle(UpdateRegularShapeStyle),
    #[serde(rename = "stickyShape")]
    UpdateStickyShapeStyle(UpdateStickyShapeStyle),
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateShapeTextStyle {
    pub font_size: Option<FontSize>,
    pub font_family: Option<String>,
    pub vertical_align: Option<VerticalAlign>,
    pub color: Option<Color>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCanvasStyle {
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub border_color: Option<Color>,
    pub fill_color: Option<Color>,
    pub show_name: Option<bool>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateLineStyle {
    pub stroke_color: Option<Color>,
    pub stroke_style: Option<LineStrokeStyle>,
    pub stroke_width: Option<f64>,
    pub start_cap: Option<LineCapStyle>,
    pub end_cap: Option<LineCapStyle>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateText {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateTransform>,
    pub text: Option<String>,
    #[serde(default, deserialize_with = "de_blocks")]
    pub blocks: Option<Vec<ToplevelBlockTextContent>>,
    pub style: Option<UpdateTextStyle>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateShape {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateTranslation>,
    pub style: Option<UpdateShapeStyle>,
    pub kind: Option<ShapeKind>,
    pub text: Option<String>,
    #[serde(default, deserialize_with = "de_blocks")]
    pub blocks: Option<Vec<ToplevelBlockTextContent>>,
    pub text_style: Option<UpdateShapeTextStyle>,
    pub mirror_x: Option<bool>,
    pub mirror_y: Option<bool>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCanvas {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub transform: Option<UpdateTranslation>,
    pub style: Option<UpdateCanvasStyle>,
    pub name: Option<String>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStroke {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub transform: Option<UpdateSimilitude>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateLine {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub style: Option<UpdateLineStyle>,
    pub routing: Option<LineRouting>,
    #[serde(default, deserialize_with = "de_line_points")]
    pub control_points: Option<Vec<LinePoint>>,
    #[serde(default, deserialize_with = "de_line_point")]
    pub start: Option<LinePoint>,
    #[serde(default, deserialize_with = "de_line_point")]
    pub end: Option<LinePoint>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateImage {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateSimilitude>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateDocument {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateSimilitude>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateVideo {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateSimilitude>,
}

#[derive(SimpleObject, Deserialize, Default)]
pub struct UpdateBrowserStyle {
    pub width: Option<f64>,
    pub height: Option<f64>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateBrowser {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateSimilitude>,
    pub style: Option<UpdateBrowserStyle>,
    pub url: Option<String>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateGridStyle {
    pub horizontal_cell_margin: Option<f64>,
    pub vertical_cell_margin: Option<f64>,
    pub cell_width: Option<f64>,
    pub cell_height: Option<f64>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateGrid {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub transform: Option<UpdateTranslation>,
    pub row_count: Option<i64>,
    pub column_count: Option<i64>,
    /// replacement grid cell list
    pub cells: Option<Vec<Cell>>,
    pub style: Option<UpdateGridStyle>,
}

#[derive(SimpleObject, Deserialize, Default)]
pub struct UpdateIconStyle {
    pub color: Option<Color>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateIcon {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateSimilitude>,
    pub style: Option<UpdateIconStyle>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateWindow {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub transform: Option<UpdateSimilitude>,
}

/// translation relative to origin and uniform scaling
#[derive(SimpleObject, Default)]
pub struct Similitude {
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub scale: Option<f64>,
}

#[derive(SimpleObject, Default)]
pub struct UpdateLegacyNoteStyle {
    pub font_weight: Option<FontWeight>,
    pub text_transform: Option<TextTransform>,
    pub background_color: Option<Color>,
}

/// An update of a legacy note. Tessera has none (no mutation creates a `LegacyNote`), so no
/// command carries one.
#[derive(SimpleObject, Default)]
pub struct UpdateLegacyNote {
    pub pinned: Option<bool>,
    pub z_index: Option<i64>,
    pub surface: Option<String>,
    pub text: Option<String>,
    pub transform: Option<Similitude>,
    pub style: Option<UpdateLegacyNoteStyle>,
}

/// What one update changed, typed by the element's type.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(field(name = "pinned", ty = "&Option<bool>"), field(name = "z_index", ty = "&Option<i64>"))]
pub enum UpdateElement {
    UpdateText(UpdateText),
    UpdateShape(UpdateShape),
    UpdateCanvas(UpdateCanvas),
    UpdateStroke(UpdateStroke),
    UpdateLine(UpdateLine),
    UpdateImage(UpdateImage),
    UpdateDocument(UpdateDocument),
    UpdateVideo(UpdateVideo),
    UpdateBrowser(UpdateBrowser),
    UpdateGrid(UpdateGrid),
    UpdateIcon(UpdateIcon),
    UpdateWindow(UpdateWindow),
    UpdateLegacyNote(UpdateLegacyNote),
}

/// An update of an element that can be attached to another's surface.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "pinned", ty = "&Option<bool>"),
    field(name = "z_index", ty = "&Option<i64>"),
    field(name = "surface", ty = "&Option<String>")
)]
pub enum UpdateAttachable {
    UpdateText(UpdateText),
    UpdateShape(UpdateShape),
    UpdateLine(UpdateLine),
    UpdateImage(UpdateImage),
    UpdateDocument(UpdateDocument),
    UpdateVideo(UpdateVideo),
    UpdateBrowser(UpdateBrowser),
    UpdateIcon(UpdateIcon),
    UpdateWindow(UpdateWindow),
    UpdateLegacyNote(UpdateLegacyNote),
}

/// An update of an element whose content is an uploaded asset.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "pinned", ty = "&Option<bool>"),
    field(name = "z_index", ty = "&Option<i64>"),
    field(name = "surface", ty = "&Option<String>"),
    field(name = "transform", ty = "&Option<UpdateSimilitude>")
)]
pub enum UpdateAssetElement {
    UpdateImage(UpdateImage),
    UpdateDocument(UpdateDocument),
    UpdateVideo(UpdateVideo),
}

impl UpdateElement {
    /// The change of an element of type `ty`, as the log stores it.
    pub fn read(ty: ElementType, change: &Value) -> Self {
        match ty {
            ElementType::Text => UpdateElement::UpdateText(lenient(change)),
            ElementType::Shape => UpdateElement::UpdateShape(lenient(change)),
            ElementType::Canvas => UpdateElement::UpdateCanvas(lenient(change)),
            ElementType::Stroke => UpdateElement::UpdateStroke(lenient(change)),
            ElementType::Line => UpdateElement::UpdateLine(lenient(change)),
            ElementType::Image => UpdateElement::UpdateImage(lenient(change)),
            ElementType::Document => UpdateElement::UpdateDocument(lenient(change)),
            ElementType::Video => UpdateElement::UpdateVideo(lenient(change)),
            ElementType::Browser => UpdateElement::UpdateBrowser(lenient(change)),
            ElementType::Grid => UpdateElement::UpdateGrid(lenient(change)),
            ElementType::Icon => UpdateElement::UpdateIcon(lenient(change)),
            ElementType::Window => UpdateElement::UpdateWindow(lenient(change)),
        }
    }
}

/// `change` read as `T`. A change stored by an earlier version may hold a field in an older
/// form: it keeps every field that still reads, and the others are left out.
fn lenient<T: DeserializeOwned + Default>(change: &Value) -> T {
    if let Ok(t) = serde_json::from_value(change.clone()) {
        return t;
    }
    let Some(fields) = change.as_object() else { return T::default() };
    let fitting = fields
        .iter()
        .filter(|(k, v)| serde_json::from_value::<T>(serde_json::json!({ k.as_str(): v })).is_ok())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect::<serde_json::Map<_, _>>();
    serde_json::from_value(Value::Object(fitting)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_read_as_the_platforms_update_types() {
        let UpdateElement::UpdateShape(s) = UpdateElement::read(
            ElementType::Shape,
            &json!({"kind": "Star5", "style": {"stickyShape": {"fillColor": {"r": 1, "g": 2, "b": 3, "a": 0.5}}},
                    "transform": {"x": 4.0}}),
        ) else {
            panic!("a shape's change is an UpdateShape")
        };
        assert_eq!(s.kind, Some(ShapeKind::Star5));
        assert_eq!(s.transform.and_then(|t| t.x), Some(4.0));
        let Some(UpdateShapeStyle::UpdateStickyShapeStyle(style)) = s.style else { panic!("a sticky style") };
        assert_eq!(style.fill_color.map(|c| (c.r, c.a)), Some((1, 0.5)));
        assert_eq!(style.width, None, "only what changed");

        let UpdateElement::UpdateImage(i) =
            UpdateElement::read(ElementType::Image, &json!({"transform": {"x": 1.0, "scaleX": 2.0, "scaleY": 2.0}}))
        else {
            panic!("an image's change is an UpdateImage")
        };
        assert_eq!(i.transform.and_then(|t| t.scale), Some(2.0));
    }

    #[test]
    fn a_field_in_an_earlier_form_is_left_out_and_the_rest_kept() {
        let UpdateElement::UpdateText(t) = UpdateElement::read(
            ElementType::Text,
            &json!({"style": {"color": "#ffffff"}, "text": "kept", "zIndex": 3}),
        ) else {
            panic!("a text's change is an UpdateText")
        };
        assert_eq!((t.text.as_deref(), t.z_index), (Some("kept"), Some(3)));
        assert!(t.style.is_none());
    }
}
