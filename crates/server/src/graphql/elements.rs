//! GraphQL types for canvas elements: the `Element` interface, one object per element type,
//! and the inputs of the create/update mutations.

use async_graphql::{Enum, InputObject, Interface, Json, Object, SimpleObject, ID};
use serde_json::Value;
use tessera_core::element::{self as el, Element as DomainElement, ElementBody, ElementPatch};
use tessera_core::service::NewElement;

macro_rules! mirror_enum {
    ($gql:ident = $domain:path { $($v:ident),* $(,)? }, $name:literal) => {
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        #[graphql(name = $name, rename_items = "PascalCase")]
        pub enum $gql { $($v),* }
        impl From<$gql> for $domain {
            fn from(v: $gql) -> Self { match v { $($gql::$v => <$domain>::$v),* } }
        }
        impl From<$domain> for $gql {
            fn from(v: $domain) -> Self { match v { $(<$domain>::$v => $gql::$v),* } }
        }
    };
}

mirror_enum!(ElementType = el::ElementType { Text, Shape, Canvas, Stroke, Line, Image }, "ElementType");
mirror_enum!(
    ShapeKind = el::ShapeKind {
        Rectangle,
        RoundedRectangle,
        Ellipse,
        Triangle,
        Diamond,
        Hexagon,
        Star,
        StickyNoteSquare,
        StickyNoteRectangle,
    },
    "ShapeKind"
);

#[derive(SimpleObject, InputObject, Clone, Copy)]
#[graphql(input_name = "TransformInput")]
pub struct Transform {
    pub x: f64,
    pub y: f64,
    #[graphql(default = 1.0)]
    pub scale_x: f64,
    #[graphql(default = 1.0)]
    pub scale_y: f64,
}

#[derive(SimpleObject, InputObject, Clone, Copy)]
#[graphql(input_name = "PointInput")]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

#[derive(SimpleObject, InputObject, Clone, Copy)]
#[graphql(input_name = "SizeInput")]
pub struct Size {
    pub width: f64,
    pub height: f64,
}

#[derive(SimpleObject)]
pub struct BoundingBox {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl From<Transform> for el::Transform {
    fn from(t: Transform) -> Self {
        el::Transform { x: t.x, y: t.y, scale_x: t.scale_x, scale_y: t.scale_y }
    }
}
impl From<Point> for el::Point {
    fn from(p: Point) -> Self {
        el::Point { x: p.x, y: p.y }
    }
}
impl From<el::Point> for Point {
    fn from(p: el::Point) -> Self {
        Point { x: p.x, y: p.y }
    }
}
impl From<Size> for el::Size {
    fn from(s: Size) -> Self {
        el::Size { width: s.width, height: s.height }
    }
}
impl From<el::Size> for Size {
    fn from(s: el::Size) -> Self {
        Size { width: s.width, height: s.height }
    }
}

/// Defines one element object: the fields every element has, then `$extra` fields.
macro_rules! element_object {
    ($name:ident, $doc:literal, { $($extra:tt)* }) => {
        #[doc = $doc]
        pub struct $name(pub DomainElement);

        #[Object]
        impl $name {
            async fn id(&self) -> ID { ID(self.0.id.0.clone()) }
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
            async fn style(&self) -> Json<Value> { Json(self.0.style.clone()) }
            async fn traits(&self) -> Json<Value> { Json(self.0.traits.clone()) }
            $($extra)*
        }
    };
}

fn body_text(b: &ElementBody) -> &str {
    match b {
        ElementBody::Text { text, .. } | ElementBody::Shape { text, .. } => text,
        _ => "",
    }
}

fn body_size(b: &ElementBody) -> Option<Size> {
    match b {
        ElementBody::Text { size, .. }
        | ElementBody::Shape { size, .. }
        | ElementBody::Canvas { size, .. }
        | ElementBody::Image { size, .. } => Some((*size).into()),
        _ => None,
    }
}

element_object!(Text, "A block of text.", {
    async fn text(&self) -> &str {
        body_text(&self.0.body)
    }
    async fn size(&self) -> Option<Size> {
        body_size(&self.0.body)
    }
});

element_object!(Shape, "A shape, sticky notes included, optionally with text.", {
    async fn kind(&self) -> Option<ShapeKind> {
        match &self.0.body {
            ElementBody::Shape { kind, .. } => Some((*kind).into()),
            _ => None,
        }
    }
    async fn text(&self) -> &str {
        body_text(&self.0.body)
    }
    async fn size(&self) -> Option<Size> {
        body_size(&self.0.body)
    }
});

element_object!(Canvas, "A named frame that groups an area of the workspace.", {
    async fn name(&self) -> &str {
        match &self.0.body {
            ElementBody::Canvas { name, .. } => name,
            _ => "",
        }
    }
    async fn size(&self) -> Option<Size> {
        body_size(&self.0.body)
    }
});

element_object!(Stroke, "A freehand stroke through points relative to its transform.", {
    async fn points(&self) -> Vec<Point> {
        match &self.0.body {
            ElementBody::Stroke { points } => points.iter().map(|p| (*p).into()).collect(),
            _ => vec![],
        }
    }
});

element_object!(Line, "A straight line between two points.", {
    async fn start(&self) -> Option<Point> {
        match &self.0.body {
            ElementBody::Line { start, .. } => Some((*start).into()),
            _ => None,
        }
    }
    async fn end(&self) -> Option<Point> {
        match &self.0.body {
            ElementBody::Line { end, .. } => Some((*end).into()),
            _ => None,
        }
    }
});

element_object!(Image, "An image (metadata only).", {
    async fn title(&self) -> &str {
        match &self.0.body {
            ElementBody::Image { title, .. } => title,
            _ => "",
        }
    }
    async fn filename(&self) -> &str {
        match &self.0.body {
            ElementBody::Image { filename, .. } => filename,
            _ => "",
        }
    }
    async fn size(&self) -> Option<Size> {
        body_size(&self.0.body)
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
    field(name = "style", ty = "Json<Value>"),
    field(name = "traits", ty = "Json<Value>")
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
        match e.element_type() {
            el::ElementType::Text => Element::Text(Text(e)),
            el::ElementType::Shape => Element::Shape(Shape(e)),
            el::ElementType::Canvas => Element::Canvas(Canvas(e)),
            el::ElementType::Stroke => Element::Stroke(Stroke(e)),
            el::ElementType::Line => Element::Line(Line(e)),
            el::ElementType::Image => Element::Image(Image(e)),
        }
    }
}

/// The fields every element input may set.
#[derive(InputObject, Default)]
pub struct ElementCommonInput {
    pub transform: Option<Transform>,
    pub z_index: Option<i32>,
    pub pinned: Option<bool>,
    pub style: Option<Json<Value>>,
    pub traits: Option<Json<Value>>,
}

impl From<ElementCommonInput> for NewElement {
    fn from(c: ElementCommonInput) -> Self {
        NewElement {
            transform: c.transform.map(Into::into),
            z_index: c.z_index.map(i64::from),
            pinned: c.pinned,
            style: c.style.map(|j| j.0),
            traits: c.traits.map(|j| j.0),
        }
    }
}

impl ElementCommonInput {
    fn into_patch(self) -> ElementPatch {
        ElementPatch {
            transform: self.transform.map(Into::into),
            z_index: self.z_index.map(i64::from),
            pinned: self.pinned,
            style: self.style.map(|j| j.0),
            traits: self.traits.map(|j| j.0),
            ..ElementPatch::default()
        }
    }
}

const DEFAULT_TEXT_SIZE: el::Size = el::Size { width: 400.0, height: 100.0 };
const DEFAULT_SHAPE_SIZE: el::Size = el::Size { width: 200.0, height: 200.0 };

#[derive(InputObject)]
pub struct CreateTextInput {
    pub text: String,
    pub size: Option<Size>,
    #[graphql(flatten)]
    pub common: ElementCommonInput,
}

impl CreateTextInput {
    pub fn into_parts(self) -> (NewElement, ElementBody) {
        let size = self.size.map_or(DEFAULT_TEXT_SIZE, Into::into);
        (self.common.into(), ElementBody::Text { text: self.text, size })
    }
}

#[derive(InputObject)]
pub struct UpdateTextInput {
    pub text: Option<String>,
    pub size: Option<Size>,
    #[graphql(flatten)]
    pub common: ElementCommonInput,
}

impl From<UpdateTextInput> for ElementPatch {
    fn from(i: UpdateTextInput) -> Self {
        ElementPatch { text: i.text, size: i.size.map(Into::into), ..i.common.into_patch() }
    }
}

#[derive(InputObject)]
pub struct CreateShapeInput {
    pub kind: ShapeKind,
    #[graphql(default)]
    pub text: String,
    pub size: Option<Size>,
    #[graphql(flatten)]
    pub common: ElementCommonInput,
}

impl CreateShapeInput {
    pub fn into_parts(self) -> (NewElement, ElementBody) {
        let size = self.size.map_or(DEFAULT_SHAPE_SIZE, Into::into);
        (self.common.into(), ElementBody::Shape { kind: self.kind.into(), text: self.text, size })
    }
}

#[derive(InputObject)]
pub struct UpdateShapeInput {
    pub kind: Option<ShapeKind>,
    pub text: Option<String>,
    pub size: Option<Size>,
    #[graphql(flatten)]
    pub common: ElementCommonInput,
}

impl From<UpdateShapeInput> for ElementPatch {
    fn from(i: UpdateShapeInput) -> Self {
        ElementPatch {
            kind: i.kind.map(Into::into),
            text: i.text,
            size: i.size.map(Into::into),
            ..i.common.into_patch()
        }
    }
}

#[derive(InputObject)]
pub struct CreateCanvasInput {
    pub name: String,
    pub size: Size,
    #[graphql(flatten)]
    pub common: ElementCommonInput,
}

impl CreateCanvasInput {
    pub fn into_parts(self) -> (NewElement, ElementBody) {
        (self.common.into(), ElementBody::Canvas { name: self.name, size: self.size.into() })
    }
}

#[derive(InputObject)]
pub struct UpdateCanvasInput {
    pub name: Option<String>,
    pub size: Option<Size>,
    #[graphql(flatten)]
    pub common: ElementCommonInput,
}

impl From<UpdateCanvasInput> for ElementPatch {
    fn from(i: UpdateCanvasInput) -> Self {
        ElementPatch { name: i.name, size: i.size.map(Into::into), ..i.common.into_patch() }
    }
}

#[derive(InputObject)]
pub struct CreateStrokeInput {
    pub points: Vec<Point>,
    #[graphql(flatten)]
    pub common: ElementCommonInput,
}

impl CreateStrokeInput {
    pub fn into_parts(self) -> (NewElement, ElementBody) {
        (self.common.into(), ElementBody::Stroke { points: self.points.into_iter().map(Into::into).collect() })
    }
}

#[derive(InputObject)]
pub struct CreateLineInput {
    pub start: Point,
    pub end: Point,
    #[graphql(flatten)]
    pub common: ElementCommonInput,
}

impl CreateLineInput {
    pub fn into_parts(self) -> (NewElement, ElementBody) {
        (self.common.into(), ElementBody::Line { start: self.start.into(), end: self.end.into() })
    }
}

#[derive(InputObject)]
pub struct UpdateLineInput {
    pub start: Option<Point>,
    pub end: Option<Point>,
    #[graphql(flatten)]
    pub common: ElementCommonInput,
}

impl From<UpdateLineInput> for ElementPatch {
    fn from(i: UpdateLineInput) -> Self {
        ElementPatch { start: i.start.map(Into::into), end: i.end.map(Into::into), ..i.common.into_patch() }
    }
}

#[derive(InputObject)]
pub struct CreateImageInput {
    #[graphql(default)]
    pub title: String,
    pub filename: String,
    pub size: Size,
    #[graphql(flatten)]
    pub common: ElementCommonInput,
}

impl CreateImageInput {
    pub fn into_parts(self) -> (NewElement, ElementBody) {
        (self.common.into(), ElementBody::Image { title: self.title, filename: self.filename, size: self.size.into() })
    }
}
