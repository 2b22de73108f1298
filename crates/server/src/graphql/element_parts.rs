//! What the platform's element objects are made of: the enums mirroring the core's, colours,
//! transforms, styles, rich-text blocks, line points, grid cells and asset descriptions.

use async_graphql::{Enum, Interface, Object, Scalar, ScalarType, SimpleObject, Union, Value as GqlValue};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use tessera_core::element as el;

/// A GraphQL enum mirroring a domain enum, with the platform's spelling (`$case`) in both
/// GraphQL and the stored JSON form.
macro_rules! mirror_enum {
    ($gql:ident = $domain:path { $($v:ident),* $(,)? }, $case:literal) => {
        #[derive(Enum, Serialize, Deserialize, Copy, Clone, Eq, PartialEq, Debug)]
        #[graphql(rename_items = $case)]
        #[serde(rename_all = $case)]
        pub enum $gql { $($v),* }
        impl From<$gql> for $domain {
            fn from(v: $gql) -> Self { match v { $($gql::$v => <$domain>::$v),* } }
        }
        impl From<$domain> for $gql {
            fn from(v: $domain) -> Self { match v { $(<$domain>::$v => $gql::$v),* } }
        }
    };
    // With values the domain has not (`$never`): every domain value is one of the GraphQL
    // enum's, which is a domain value unless it is one of those.
    ($gql:ident = $domain:path { $($v:ident),* $(,)? } and never { $($never:ident),* $(,)? }, $case:literal) => {
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        #[graphql(rename_items = $case)]
        pub enum $gql { $($v,)* $($never,)* }
        impl From<$domain> for $gql {
            fn from(v: $domain) -> Self { match v { $(<$domain>::$v => $gql::$v),* } }
        }
        impl $gql {
            /// The domain's value, if it has this one.
            pub fn stored(self) -> Option<$domain> {
                match self { $($gql::$v => Some(<$domain>::$v),)* $($gql::$never => None,)* }
            }
        }
    };
}

mirror_enum!(
    ElementType = el::ElementType { Text, Shape, Canvas, Stroke, Line, Image, Document, Video, Browser, Grid, Icon, Window }
        and never { LegacyNote, Selection, LinkedDocument, Whiteboard },
    "PascalCase"
);
mirror_enum!(
    ShapeKind = el::ShapeKind {
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
    },
    "PascalCase"
);
mirror_enum!(StrokeBrush = el::StrokeBrush { Pen, Eraser }, "PascalCase");
mirror_enum!(LineRouting = el::LineRouting { Direct, Orthogonal }, "PascalCase");
mirror_enum!(LineStrokeStyle = el::LineStrokeStyle { Solid, Dot, DashShort, DashLong }, "PascalCase");
mirror_enum!(LineCapStyle = el::LineCapStyle { None, ArrowFill, ArrowStroke, Tee, Circle }, "PascalCase");
mirror_enum!(TextTransform = el::TextTransform { None, Uppercase }, "camelCase");
mirror_enum!(VerticalAlign = el::VerticalAlign { Top, Center, Bottom }, "camelCase");
mirror_enum!(HorizontalAlign = el::HorizontalAlign { Left, Right, Center, Justify }, "camelCase");
mirror_enum!(TextListKind = el::TextListKind { Ordered, Bullet }, "camelCase");
mirror_enum!(ImageFormat = el::ImageFormat { Jpeg, Gif, Png, Tiff, Unknown }, "lowercase");
mirror_enum!(DocumentFormat = el::DocumentFormat { Doc, Docx, Ppt, Pptx, Xls, Xlsx, Pdf, Unknown }, "lowercase");
mirror_enum!(VideoFormat = el::VideoFormat { Mkv, Avi, Flv, Wmv, Mp4, Webm, Quicktime, Unknown }, "lowercase");

/// The types of element that can be attached to another's surface.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(rename_items = "PascalCase")]
pub enum AttachableType {
    Text,
    LegacyNote,
    Icon,
    Image,
    Document,
    Browser,
    Video,
    Stroke,
    Shape,
    Line,
    Window,
    Whiteboard,
    LinkedDocument,
}

impl AttachableType {
    /// The stored element type, if tessera stores this one.
    pub fn stored(self) -> Option<el::ElementType> {
        use el::ElementType as T;
        Some(match self {
            AttachableType::Text => T::Text,
            AttachableType::Icon => T::Icon,
            AttachableType::Image => T::Image,
            AttachableType::Document => T::Document,
            AttachableType::Browser => T::Browser,
            AttachableType::Video => T::Video,
            AttachableType::Stroke => T::Stroke,
            AttachableType::Shape => T::Shape,
            AttachableType::Line => T::Line,
            AttachableType::Window => T::Window,
            AttachableType::LegacyNote | AttachableType::Whiteboard | AttachableType::LinkedDocument => return None,
        })
    }
}

// Where an asset's upload and processing stand.
mirror_enum!(
    AssetIngestionState =
        tessera_core::element::asset::IngestionState { Processing, CompleteSuccess, CompleteFailure, Transferring },
    "snake_case"
);

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(rename_items = "PascalCase")]
pub enum AssetScale {
    Original,
    High,
    Medium,
    Low,
}

/// A font size in pixels, or `"auto"` to fit the text to its shape.
#[derive(Clone, Debug, Deserialize)]
pub struct FontSize(pub Value);

#[Scalar(name = "FontSize")]
impl ScalarType for FontSize {
    fn parse(value: GqlValue) -> async_graphql::InputValueResult<Self> {
        match &value {
            GqlValue::String(s) if s == "auto" => Ok(FontSize(Value::String("auto".into()))),
            GqlValue::Number(n) if n.is_i64() => Ok(FontSize(Value::Number(n.clone()))),
            _ => Err(async_graphql::InputValueError::custom("a font size is a whole number or \"auto\"")),
        }
    }
    fn to_value(&self) -> GqlValue {
        GqlValue::from_json(self.0.clone()).unwrap_or(GqlValue::Null)
    }
}

impl Serialize for FontSize {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// One inline run of rich text, as the platform writes it: `{"text": …}`, `{"span": …}` or
/// `{"link": …}`.
#[derive(Clone, Debug)]
pub struct InlineTextContentJson(pub Value);

#[Scalar(name = "InlineTextContentJSON")]
impl ScalarType for InlineTextContentJson {
    fn parse(value: GqlValue) -> async_graphql::InputValueResult<Self> {
        Ok(InlineTextContentJson(value.into_json()?))
    }
    fn to_value(&self) -> GqlValue {
        GqlValue::from_json(self.0.clone()).unwrap_or(GqlValue::Null)
    }
}

#[derive(SimpleObject, Deserialize, Clone, Copy)]
pub struct Color {
    pub r: i64,
    pub g: i64,
    pub b: i64,
    pub a: f64,
}

impl From<el::Color> for Color {
    fn from(c: el::Color) -> Self {
        Color { r: c.r, g: c.g, b: c.b, a: c.a }
    }
}

#[derive(SimpleObject, Clone, Copy)]
pub struct Transform {
    pub x: f64,
    pub y: f64,
    pub scale_x: f64,
    pub scale_y: f64,
}

#[derive(SimpleObject)]
#[graphql(name = "Box")]
pub struct BoundingBox {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

#[derive(SimpleObject)]
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

#[derive(SimpleObject)]
pub struct ShapeTextStyle {
    pub font_size: FontSize,
    pub font_family: String,
    pub vertical_align: VerticalAlign,
    pub color: Color,
}

#[derive(SimpleObject)]
pub struct RegularShapeStyle {
    pub width: f64,
    pub height: f64,
    pub stroke_width: f64,
    pub stroke_color: Color,
    pub fill_color: Color,
}

#[derive(SimpleObject)]
pub struct StickyShapeStyle {
    pub width: f64,
    pub height: f64,
    pub fill_color: Color,
}

/// A shape's look: an outlined shape or a sticky note.
// The lint mistakes the repeated `ty = …` keys of distinct fields for duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "width", ty = "&f64"),
    field(name = "height", ty = "&f64"),
    field(name = "fill_color", ty = "&Color")
)]
pub enum ShapeStyle {
    RegularShapeStyle(RegularShapeStyle),
    StickyShapeStyle(StickyShapeStyle),
}

#[derive(SimpleObject)]
pub struct CanvasStyle {
    pub width: f64,
    pub height: f64,
    pub border_color: Color,
    pub fill_color: Color,
    pub show_name: bool,
}

#[derive(SimpleObject)]
pub struct StrokeStyle {
    pub color: Color,
    pub stroke_width: f64,
    pub brush_type: StrokeBrush,
}

#[derive(SimpleObject)]
pub struct LineStyle {
    pub stroke_color: Color,
    pub stroke_style: LineStrokeStyle,
    pub stroke_width: f64,
    pub start_cap: LineCapStyle,
    pub end_cap: LineCapStyle,
}

#[derive(SimpleObject)]
pub struct AbsoluteLinePoint {
    pub x: f64,
    pub y: f64,
}

/// A point on another element: `u` and `v` run from 0 to 1 across its box.
#[derive(SimpleObject)]
pub struct AnchorLinePoint {
    pub id: String,
    pub u: f64,
    pub v: f64,
}

#[derive(Union)]
pub enum LinePoint {
    AbsoluteLinePoint(AbsoluteLinePoint),
    AnchorLinePoint(AnchorLinePoint),
}

impl From<&el::LinePoint> for LinePoint {
    fn from(p: &el::LinePoint) -> Self {
        match p {
            el::LinePoint::Absolute { x, y } => LinePoint::AbsoluteLinePoint(AbsoluteLinePoint { x: *x, y: *y }),
            el::LinePoint::Anchor { id, u, v } => {
                LinePoint::AnchorLinePoint(AnchorLinePoint { id: id.clone(), u: *u, v: *v })
            }
        }
    }
}

/// Reads an optional line point in the stored form (for `#[serde(deserialize_with)]`).
pub fn de_line_point<'de, D: Deserializer<'de>>(d: D) -> Result<Option<LinePoint>, D::Error> {
    Ok(Option::<el::LinePoint>::deserialize(d)?.as_ref().map(Into::into))
}

/// Reads optional line points in the stored form (for `#[serde(deserialize_with)]`).
pub fn de_line_points<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<LinePoint>>, D::Error> {
    Ok(Option::<Vec<el::LinePoint>>::deserialize(d)?.map(|ps| ps.iter().map(Into::into).collect()))
}

/// Reads optional rich-text blocks in the stored form (for `#[serde(deserialize_with)]`).
pub fn de_blocks<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<ToplevelBlockTextContent>>, D::Error> {
    Ok(Option::<Vec<el::Block>>::deserialize(d)?.as_deref().map(blocks))
}

fn runs(content: &[Value]) -> Vec<InlineTextContentJson> {
    content.iter().cloned().map(InlineTextContentJson).collect()
}

/// A paragraph of rich text.
#[derive(SimpleObject)]
pub struct TextBlock {
    pub align: HorizontalAlign,
    pub content: Vec<InlineTextContentJson>,
}

#[derive(SimpleObject)]
pub struct TextListItem {
    pub align: HorizontalAlign,
    pub indent: i64,
    pub content: Vec<InlineTextContentJson>,
}

#[derive(SimpleObject)]
pub struct TextList {
    pub align: HorizontalAlign,
    pub kind: TextListKind,
    pub items: Vec<TextListItem>,
}

/// A top-level block of rich text: a paragraph or a list.
#[derive(Interface)]
#[graphql(field(name = "align", ty = "&HorizontalAlign"))]
pub enum ToplevelBlockTextContent {
    TextBlock(TextBlock),
    TextList(TextList),
}

/// Any block of rich text, list items included.
#[derive(Interface)]
#[graphql(field(name = "align", ty = "&HorizontalAlign"))]
pub enum BlockTextContent {
    TextBlock(TextBlock),
    TextList(TextList),
    TextListItem(TextListItem),
}

pub fn blocks(blocks: &[el::Block]) -> Vec<ToplevelBlockTextContent> {
    let block = |b: &el::Block| match b {
        el::Block::Block(p) => {
            ToplevelBlockTextContent::TextBlock(TextBlock { align: p.align.into(), content: runs(&p.content) })
        }
        el::Block::List(l) => ToplevelBlockTextContent::TextList(TextList {
            align: l.align.into(),
            kind: l.kind.into(),
            items: l
                .items
                .iter()
                .map(|i| TextListItem { align: i.align.into(), indent: i.indent, content: runs(&i.content) })
                .collect(),
        }),
    };
    blocks.iter().map(block).collect()
}

#[derive(SimpleObject)]
pub struct BrowserStyle {
    pub frameless: bool,
    pub width: f64,
    pub height: f64,
}

/// One cell of a grid: the element in it, at a row and column counted from 0.
#[derive(SimpleObject, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cell {
    /// id of the element occupying this cell
    pub element_id: String,
    pub row: i64,
    pub column: i64,
}

impl From<&el::GridCell> for Cell {
    fn from(c: &el::GridCell) -> Self {
        Cell { element_id: c.element_id.clone(), row: c.row, column: c.column }
    }
}

#[derive(SimpleObject)]
pub struct GridStyle {
    pub horizontal_cell_margin: f64,
    pub vertical_cell_margin: f64,
    pub cell_width: f64,
    pub cell_height: f64,
}

#[derive(SimpleObject)]
pub struct IconStyle {
    pub color: Color,
}

#[derive(SimpleObject)]
pub struct WindowStyle {
    /// Extrinsic window width
    pub width: f64,
    /// Extrinsic window height
    pub height: f64,
}

/// Where an asset's files are, once processing succeeded: the file (with the type it is
/// served as) and its preview (a PNG).
#[derive(Clone, Debug, Default)]
pub struct Stored {
    pub original: Option<(String, String)>,
    pub preview: Option<String>,
}

impl Stored {
    /// The key and type to serve for `scale`: `Original` (or none) is the file itself, the
    /// smaller scales its preview; each falls back to the other.
    fn pick(&self, scale: Option<AssetScale>) -> Option<(&str, &str)> {
        let preview = self.preview.as_deref().map(|k| (k, "image/png"));
        let original = self.original.as_ref().map(|(k, t)| (k.as_str(), t.as_str()));
        match scale {
            None | Some(AssetScale::Original) => original.or(preview),
            Some(_) => preview.or(original),
        }
    }
}

/// An asset's description: its format and where to download it (a signed URL that expires;
/// null until the asset is processed).
macro_rules! asset_object {
    ($name:ident, $doc:literal, $field:ident: $format:ty) => {
        #[doc = $doc]
        pub struct $name(pub $format, pub Stored);

        #[Object]
        impl $name {
            async fn $field(&self) -> $format {
                self.0
            }
            /// asset url, provided if asset download is allowed
            async fn url(&self, ctx: &async_graphql::Context<'_>, scale: Option<AssetScale>) -> Option<String> {
                let (key, mime) = self.1.pick(scale)?;
                ctx.data_unchecked::<std::sync::Arc<crate::assets::Assets>>().url(key, mime).await
            }
        }
    };
}

asset_object!(ImageAsset, "Image asset information", image_format: ImageFormat);
asset_object!(DocumentAsset, "Document asset information", document_format: DocumentFormat);
asset_object!(VideoAsset, "Video asset information", video_format: VideoFormat);
