//! GraphQL types for canvas elements, in the platform's shapes: the `Element` interface and one
//! object per element type. What they are made of is in [`element_parts`](super::element_parts).

use super::comments::{self, Comment, CommentsByElement};
pub use super::element_parts::*;
use async_graphql::{Context, Interface, Json, Object, SimpleObject, ID};
use serde_json::Value;
use tessera_core::element::{self as el, Element as DomainElement, ElementBody};

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
