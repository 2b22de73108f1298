//! GraphQL types for canvas elements, in the platform's shapes: the `Element` interface, one
//! object per element type, and their styles, rich-text blocks and line points.

use super::comments::{self, Comment, CommentsByElement};
use async_graphql::{
    Context, Enum, Interface, Json, Object, Scalar, ScalarType, SimpleObject, Union, Value as GqlValue, ID,
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use tessera_core::element::{self as el, Element as DomainElement, ElementBody};

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
}

mirror_enum!(ElementType = el::ElementType { Text, Shape, Canvas, Stroke, Line, Image }, "PascalCase");
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

fn blocks(blocks: &[el::Block]) -> Vec<ToplevelBlockTextContent> {
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

/// Defines one element object: the fields every element has, then `$extra` fields, which
/// read the element's body with [`body!`].
macro_rules! element_object {
    ($name:ident, $doc:literal, { $($extra:tt)* }) => {
        #[doc = $doc]
        pub struct $name(pub DomainElement, pub Option<CommentsByElement>);

        #[Object]
        impl $name {
            async fn id(&self) -> ID { ID(self.0.id.0.clone()) }
            /// The element's type (tessera's addition; the platform uses `__typename`).
            async fn r#type(&self) -> ElementType { self.0.element_type().into() }
            async fn workspace_id(&self) -> ID { ID(self.0.workspace_id.0.clone()) }
            async fn z_index(&self) -> i64 { self.0.z_index }
            async fn transform(&self) -> Transform {
                let t = self.0.transform;
                Transform { x: t.x, y: t.y, scale_x: t.scale_x, scale_y: t.scale_y }
            }
            async fn pinned(&self) -> bool { self.0.pinned }
            async fn bounding_box(&self) -> BoundingBox {
                let b = self.0.bounding_box();
                BoundingBox { x: b.x, y: b.y, width: b.width, height: b.height }
            }
            /// Additional properties, as a JSON-LD document.
            async fn traits(&self) -> Json<Value> { Json(self.0.traits.clone()) }
            /// The comments on the element, oldest first (replies name their `parentId`).
            async fn comments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Comment>> {
                comments::of_element(ctx, &self.0.workspace_id, &self.0.id, self.1.as_ref()).await
            }
            $($extra)*
        }

        impl $name {
            fn body(&self) -> &ElementBody { &self.0.body }
        }
    };
}

/// The body of an element object, which is always of its own type.
macro_rules! body {
    ($self:ident, $pat:pat => $e:expr) => {
        match $self.body() {
            $pat => $e,
            _ => unreachable!("an element object holds an element of its own type"),
        }
    };
}

element_object!(Text, "Rich text.", {
    /// The text's plain content: its blocks' text, a line each.
    async fn text(&self) -> &str {
        body!(self, ElementBody::Text { text, .. } => text)
    }
    async fn style(&self) -> TextStyle {
        body!(self, ElementBody::Text { style: s, .. } => TextStyle {
            text_transform: s.text_transform.into(),
            font_size: s.font_size,
            font_family: s.font_family.clone(),
            vertical_align: s.vertical_align.into(),
            color: s.color.into(),
            background_color: s.background_color.into(),
            width: s.width,
            height: s.height,
        })
    }
    async fn blocks(&self) -> Vec<ToplevelBlockTextContent> {
        body!(self, ElementBody::Text { blocks: b, .. } => blocks(b))
    }
});

element_object!(Shape, "A predefined shape or a sticky note, optionally with text.", {
    async fn style(&self) -> ShapeStyle {
        body!(self, ElementBody::Shape { style, .. } => match *style {
            el::ShapeStyle::Regular { width, height, stroke_width, stroke_color, fill_color } => {
                ShapeStyle::RegularShapeStyle(RegularShapeStyle {
                    width,
                    height,
                    stroke_width,
                    stroke_color: stroke_color.into(),
                    fill_color: fill_color.into(),
                })
            }
            el::ShapeStyle::Sticky { width, height, fill_color } => {
                ShapeStyle::StickyShapeStyle(StickyShapeStyle { width, height, fill_color: fill_color.into() })
            }
        })
    }
    async fn kind(&self) -> ShapeKind {
        body!(self, ElementBody::Shape { kind, .. } => (*kind).into())
    }
    async fn text(&self) -> Option<&str> {
        body!(self, ElementBody::Shape { text, .. } => text.as_deref())
    }
    async fn blocks(&self) -> Option<Vec<ToplevelBlockTextContent>> {
        body!(self, ElementBody::Shape { blocks: b, .. } => b.as_deref().map(blocks))
    }
    async fn text_style(&self) -> ShapeTextStyle {
        body!(self, ElementBody::Shape { text_style: s, .. } => ShapeTextStyle {
            font_size: FontSize(s.font_size.clone()),
            font_family: s.font_family.clone(),
            vertical_align: s.vertical_align.into(),
            color: s.color.into(),
        })
    }
    async fn mirror_x(&self) -> bool {
        body!(self, ElementBody::Shape { mirror_x, .. } => *mirror_x)
    }
    async fn mirror_y(&self) -> bool {
        body!(self, ElementBody::Shape { mirror_y, .. } => *mirror_y)
    }
    async fn aspect_ratio_fixed(&self) -> bool {
        body!(self, ElementBody::Shape { aspect_ratio_fixed, .. } => *aspect_ratio_fixed)
    }
});

element_object!(Canvas, "A named frame that groups an area of the workspace.", {
    async fn name(&self) -> &str {
        body!(self, ElementBody::Canvas { name, .. } => name)
    }
    async fn style(&self) -> CanvasStyle {
        body!(self, ElementBody::Canvas { style: s, .. } => CanvasStyle {
            width: s.width,
            height: s.height,
            border_color: s.border_color.into(),
            fill_color: s.fill_color.into(),
            show_name: s.show_name,
        })
    }
});

element_object!(Stroke, "A freehand stroke.", {
    /// The stroke's points as `[x, y, x, y, …]`, relative to its transform.
    async fn points(&self) -> &[f64] {
        body!(self, ElementBody::Stroke { points, .. } => points)
    }
    async fn style(&self) -> StrokeStyle {
        body!(self, ElementBody::Stroke { style: s, .. } => StrokeStyle {
            color: s.color.into(),
            stroke_width: s.stroke_width,
            brush_type: s.brush_type.into(),
        })
    }
});

element_object!(Line, "A line between two points, either of which may be on another element.", {
    async fn start(&self) -> LinePoint {
        body!(self, ElementBody::Line { start, .. } => start.into())
    }
    async fn end(&self) -> LinePoint {
        body!(self, ElementBody::Line { end, .. } => end.into())
    }
    async fn control_points(&self) -> Option<Vec<LinePoint>> {
        body!(self, ElementBody::Line { control_points, .. } => Some(control_points.iter().map(Into::into).collect()))
    }
    async fn routing(&self) -> LineRouting {
        body!(self, ElementBody::Line { routing, .. } => (*routing).into())
    }
    async fn style(&self) -> LineStyle {
        body!(self, ElementBody::Line { style: s, .. } => LineStyle {
            stroke_color: s.stroke_color.into(),
            stroke_style: s.stroke_style.into(),
            stroke_width: s.stroke_width,
            start_cap: s.start_cap.into(),
            end_cap: s.end_cap.into(),
        })
    }
});

element_object!(Image, "An image (its metadata; its file is an asset).", {
    async fn width(&self) -> f64 {
        body!(self, ElementBody::Image { width, .. } => *width)
    }
    async fn height(&self) -> f64 {
        body!(self, ElementBody::Image { height, .. } => *height)
    }
    async fn title(&self) -> &str {
        body!(self, ElementBody::Image { title, .. } => title)
    }
    async fn filename(&self) -> Option<&str> {
        body!(self, ElementBody::Image { filename, .. } => filename.as_deref())
    }
    async fn source_url(&self) -> Option<&str> {
        body!(self, ElementBody::Image { source_url, .. } => source_url.as_deref())
    }
});

/// Any element on a workspace.
// The lint mistakes the repeated `ty = …` keys of distinct fields for duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "type", ty = "ElementType"),
    field(name = "workspace_id", ty = "ID"),
    field(name = "z_index", ty = "i64"),
    field(name = "transform", ty = "Transform"),
    field(name = "pinned", ty = "bool"),
    field(name = "bounding_box", ty = "BoundingBox"),
    field(name = "traits", ty = "Json<Value>"),
    field(name = "comments", ty = "async_graphql::Result<Vec<Comment>>")
)]
pub enum Element {
    Text(Text),
    Shape(Shape),
    Canvas(Canvas),
    Stroke(Stroke),
    Line(Line),
    Image(Image),
}

impl From<DomainElement> for Element {
    fn from(e: DomainElement) -> Self {
        Element::with_comments(e, None)
    }
}

impl Element {
    /// An element whose comments were read ahead with its list's, if `comments` is given.
    pub fn with_comments(e: DomainElement, comments: Option<CommentsByElement>) -> Self {
        let c = comments;
        match e.element_type() {
            el::ElementType::Text => Element::Text(Text(e, c)),
            el::ElementType::Shape => Element::Shape(Shape(e, c)),
            el::ElementType::Canvas => Element::Canvas(Canvas(e, c)),
            el::ElementType::Stroke => Element::Stroke(Stroke(e, c)),
            el::ElementType::Line => Element::Line(Line(e, c)),
            el::ElementType::Image => Element::Image(Image(e, c)),
        }
    }
}

/// What an update mutation returns: the id of the element it changed.
#[derive(SimpleObject)]
pub struct UpdateElementResponse {
    pub id: String,
}
