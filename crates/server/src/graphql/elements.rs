//! GraphQL types for canvas elements, in the platform's shapes: the `Element` interface and the
//! platform's other element interfaces (`Attachable`, `Surface`, `Selectable`, `AssetBacked`),
//! and one object per element type. What they are made of is in [`element_parts`](super::element_parts).

use super::comments::{self, Comment, CommentsByElement};
use super::element_inputs::JsonObject;
pub use super::element_parts::*;
use super::unstored_elements::{LegacyNote, LinkedDocument, Selection, Whiteboard};
use super::{core, principal, Gql};
use async_graphql::{Context, Interface, Json, Object, SimpleObject, ID};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tessera_core::element::{self as el, Element as DomainElement, ElementBody};
use tessera_core::ids::ElementId;

/// What an element object reads beyond itself, shared by the objects of one list: the
/// comments and the attached elements read ahead for all of them, and the instant the list
/// shows (`None`: now), which its surfaces and attachments are read at too.
#[derive(Clone, Default)]
pub struct Around {
    pub comments: Option<CommentsByElement>,
    pub attached: Option<Arc<Attached>>,
    pub at: Option<i64>,
}

/// A workspace's attached elements, by id and by the surface they are attached to.
pub struct Attached {
    by_id: HashMap<ElementId, DomainElement>,
    on: HashMap<ElementId, Vec<ElementId>>,
}

impl Attached {
    pub fn new(list: Vec<DomainElement>) -> Self {
        let mut on: HashMap<ElementId, Vec<ElementId>> = HashMap::new();
        for e in &list {
            if let Some(s) = &e.surface {
                on.entry(s.clone()).or_default().push(e.id.clone());
            }
        }
        Attached { by_id: list.into_iter().map(|e| (e.id.clone(), e)).collect(), on }
    }

    fn on(&self, surface: &ElementId) -> impl Iterator<Item = &DomainElement> {
        self.on.get(surface).into_iter().flatten().filter_map(|id| self.by_id.get(id))
    }
}

impl Around {
    /// The attached elements: those read ahead, or read now.
    async fn attached(
        &self,
        ctx: &Context<'_>,
        ws: &tessera_core::ids::WorkspaceId,
    ) -> async_graphql::Result<Arc<Attached>> {
        if let Some(a) = &self.attached {
            return Ok(a.clone());
        }
        let list = core(ctx).attached_elements(principal(ctx)?, ws, self.at).await.gql()?;
        Ok(Arc::new(Attached::new(list)))
    }

    /// The element `e` is attached to, as a `Surface`.
    async fn surface_of(&self, ctx: &Context<'_>, e: &DomainElement) -> async_graphql::Result<Option<Surface>> {
        let Some(id) = &e.surface else { return Ok(None) };
        let read_ahead = self.attached.as_ref().and_then(|a| a.by_id.get(id).cloned());
        let surface = match read_ahead {
            Some(s) => s,
            None => core(ctx).element(principal(ctx)?, &e.workspace_id, id, self.at).await.gql()?,
        };
        Ok(Surface::of(surface, self.clone()))
    }

    /// What is attached to `e`, of the types asked for (all when none are).
    async fn attachments_of(
        &self,
        ctx: &Context<'_>,
        e: &DomainElement,
        types: Option<Vec<AttachableType>>,
    ) -> async_graphql::Result<Vec<Attachable>> {
        let attached = self.attached(ctx, &e.workspace_id).await?;
        let types: Vec<el::ElementType> =
            types.unwrap_or_default().into_iter().filter_map(AttachableType::stored).collect();
        let around = Around { attached: Some(attached.clone()), ..self.clone() };
        Ok(attached
            .on(&e.id)
            .filter(|a| types.is_empty() || types.contains(&a.element_type()))
            .filter_map(|a| Attachable::of(a.clone(), around.clone()))
            .collect())
    }
}

/// Defines one element object: the fields every element has, the fields of the interfaces it
/// implements beyond `Element` (`attachable`: `surface`; `surface`: `surface` and
/// `attachments`), then `$extra` fields, which read the element's body with [`body!`].
macro_rules! element_object {
    ($name:ident, $doc:literal, { $($extra:tt)* }) => {
        element_object!(@object $name, $doc, {}, { $($extra)* });
    };
    ($name:ident, $doc:literal, attachable, { $($extra:tt)* }) => {
        element_object!(@object $name, $doc, {
            /// The element it is attached to, if any (its transform counts from that one's position).
            async fn surface(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Surface>> {
                self.1.surface_of(ctx, &self.0).await
            }
        }, { $($extra)* });
    };
    ($name:ident, $doc:literal, surface, { $($extra:tt)* }) => {
        element_object!(@object $name, $doc, {
            /// The element it is attached to, if any (its transform counts from that one's position).
            async fn surface(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Surface>> {
                self.1.surface_of(ctx, &self.0).await
            }
            /// The elements attached to it, of the types asked for.
            async fn attachments(
                &self,
                ctx: &Context<'_>,
                r#type: Option<Vec<AttachableType>>,
            ) -> async_graphql::Result<Vec<Attachable>> {
                self.1.attachments_of(ctx, &self.0, r#type).await
            }
        }, { $($extra)* });
    };
    ($name:ident, $doc:literal, asset, { $($extra:tt)* }) => {
        element_object!($name, $doc, surface, {
            /// Intrinsic asset width
            async fn width(&self) -> f64 { self.meta().width }
            /// Intrinsic asset height
            async fn height(&self) -> f64 { self.meta().height }
            /// Asset title
            async fn title(&self) -> String { self.meta().title.to_string() }
            /// Original filename, if the asset was uploaded directly by the client (as opposed to from URL)
            async fn filename(&self) -> Option<String> { self.meta().filename.map(str::to_string) }
            /// Source URL, if the asset was uploaded via URL
            async fn source_url(&self) -> Option<String> { self.meta().source_url.map(str::to_string) }
            /// The preview image (a PNG tessera made), once the asset is processed; before, the
            /// format a preview was declared in, without a URL
            async fn preview(&self) -> Option<ImageAsset> {
                let stored = self.stored();
                match &stored.preview {
                    Some(_) => Some(ImageAsset(el::ImageFormat::Png.into(), Stored { original: None, ..stored })),
                    None => self.meta().preview_format.map(|f| ImageAsset(f.into(), Stored::default())),
                }
            }
            /// Where the asset's upload and processing stand (`complete_failure` for an element
            /// made before tessera stored files)
            async fn ingestion_state(&self) -> AssetIngestionState {
                self.body().asset().map_or(AssetIngestionState::CompleteFailure, |a| a.state.into())
            }
            /// Why the asset's processing failed, if it did (tessera's addition)
            async fn ingestion_failure(&self) -> Option<String> {
                self.body().asset().and_then(|a| a.failure.clone())
            }
            $($extra)*
        });
        impl $name {
            fn meta(&self) -> AssetMeta<'_> { AssetMeta::of(self.body()) }
            /// The asset's files, once processing succeeded.
            fn stored(&self) -> Stored {
                match self.body().asset() {
                    Some(a) if a.state == el::asset::IngestionState::CompleteSuccess => Stored {
                        original: Some((a.object.clone(), a.mime.clone().unwrap_or_else(|| "application/octet-stream".into()))),
                        preview: a.preview.clone(),
                    },
                    _ => Stored::default(),
                }
            }
        }
    };
    (@object $name:ident, $doc:literal, { $($roles:tt)* }, { $($extra:tt)* }) => {
        #[doc = $doc]
        pub struct $name(pub DomainElement, pub Around);

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
            async fn traits(
                &self,
                #[graphql(desc = "If present, shape the output using a JSON-LD frame constructed from content, context and vocab.")]
                content: Option<JsonObject>,
                #[graphql(desc = "JSON-LD context to use to compact the output. If framing, also used to construct the frame.")]
                context: Option<Json<Value>>,
                #[graphql(desc = "Common prefix to use to compact the output. If framing, also used to construct or augment the context of the frame.")]
                vocab: Option<String>,
                #[graphql(desc = "If framing, include only the properties specified in the frame.", default_with = "Some(false)")]
                explicit: Option<bool>,
            ) -> Option<Json<Value>> {
                let frame = content.map(|c| c.0);
                tessera_core::element::find::framed(&self.0.traits, frame.as_ref(), context.as_ref().map(|c| &c.0), vocab.as_deref(), explicit.unwrap_or(false)).map(Json)
            }
            /// The comments on the element, oldest first (replies name their `parentId`).
            async fn comments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Comment>> {
                comments::of_element(ctx, &self.0.workspace_id, &self.0.id, self.1.comments.as_ref()).await
            }
            $($roles)*
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

element_object!(Text, "Rich text.", attachable, {
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

element_object!(Shape, "A predefined shape or a sticky note, optionally with text.", surface, {
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

element_object!(Stroke, "A freehand stroke.", attachable, {
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

element_object!(Line, "A line between two points, either of which may be on another element.", attachable, {
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

/// What every asset-backed element (image, document, video) has besides its asset.
struct AssetMeta<'a> {
    title: &'a str,
    filename: Option<&'a str>,
    source_url: Option<&'a str>,
    preview_format: Option<el::ImageFormat>,
    width: f64,
    height: f64,
}

impl<'a> AssetMeta<'a> {
    fn of(body: &'a ElementBody) -> Self {
        match body {
            ElementBody::Image { title, filename, source_url, preview_format, width, height, .. }
            | ElementBody::Document { title, filename, source_url, preview_format, width, height, .. }
            | ElementBody::Video { title, filename, source_url, preview_format, width, height, .. } => AssetMeta {
                title,
                filename: filename.as_deref(),
                source_url: source_url.as_deref(),
                preview_format: *preview_format,
                width: *width,
                height: *height,
            },
            _ => unreachable!("only asset-backed element objects read their asset's metadata"),
        }
    }
}

element_object!(Image, "An image: its metadata and its file.", asset, {
    /// The image's format (`unknown` for an image stored before formats were kept)
    async fn asset(&self) -> ImageAsset {
        body!(self, ElementBody::Image { image_format, .. } => ImageAsset(image_format.unwrap_or(el::ImageFormat::Unknown).into(), self.stored()))
    }
});

element_object!(Document, "A document: its metadata and its file.", asset, {
    async fn asset(&self) -> DocumentAsset {
        body!(self, ElementBody::Document { document_format, .. } => DocumentAsset((*document_format).into(), self.stored()))
    }
});

element_object!(Video, "A video: its metadata and its file.", asset, {
    async fn asset(&self) -> VideoAsset {
        body!(self, ElementBody::Video { video_format, .. } => VideoAsset((*video_format).into(), self.stored()))
    }
});

element_object!(Browser, "A web page shown on the workspace.", surface, {
    async fn url(&self) -> Option<&str> {
        body!(self, ElementBody::Browser { url, .. } => url.as_deref())
    }
    async fn style(&self) -> BrowserStyle {
        body!(self, ElementBody::Browser { style: s, .. } => BrowserStyle {
            frameless: s.frameless,
            width: s.width,
            height: s.height,
        })
    }
});

element_object!(Grid, "Rows and columns of cells, each holding another element.", {
    async fn row_count(&self) -> i64 {
        body!(self, ElementBody::Grid { row_count, .. } => *row_count)
    }
    async fn column_count(&self) -> i64 {
        body!(self, ElementBody::Grid { column_count, .. } => *column_count)
    }
    async fn cells(&self) -> Vec<Cell> {
        body!(self, ElementBody::Grid { cells, .. } => cells.iter().map(Into::into).collect())
    }
    async fn style(&self) -> GridStyle {
        body!(self, ElementBody::Grid { style: s, .. } => GridStyle {
            horizontal_cell_margin: s.horizontal_cell_margin,
            vertical_cell_margin: s.vertical_cell_margin,
            cell_width: s.cell_width,
            cell_height: s.cell_height,
        })
    }
});

element_object!(Icon, "An icon of the platform's library, by its path there.", surface, {
    /// Its tint, if it has one.
    async fn style(&self) -> Option<IconStyle> {
        body!(self, ElementBody::Icon { style, .. } => style.map(|s| IconStyle { color: s.color.into() }))
    }
    /// Defines the width of the icon
    async fn width(&self) -> f64 {
        body!(self, ElementBody::Icon { width, .. } => *width)
    }
    /// Defines the height of the icon
    async fn height(&self) -> f64 {
        body!(self, ElementBody::Icon { height, .. } => *height)
    }
    async fn asset_path(&self) -> &str {
        body!(self, ElementBody::Icon { asset_path, .. } => asset_path)
    }
});

element_object!(Window, "A rectangle for content of an app's own.", surface, {
    async fn style(&self) -> WindowStyle {
        body!(self, ElementBody::Window { style } => WindowStyle { width: style.width, height: style.height })
    }
});

/// Defines one of the platform's element interfaces: the fields every element has (`$head`
/// going after `id`, `$tail` after `comments`), and the types that implement it.
macro_rules! element_interface {
    ($doc:literal, $name:ident, [$($head:tt)*], [$($tail:tt)*], { $($variant:ident),* $(,)? }) => {
        #[doc = $doc]
        // The lint mistakes the repeated `ty = …` keys of distinct fields for duplicates.
        #[allow(clippy::duplicated_attributes)]
        #[derive(Interface)]
        #[graphql(
            field(name = "id", ty = "ID"),
            $($head)*
            field(name = "z_index", ty = "i64"),
            field(name = "transform", ty = "Transform"),
            field(name = "pinned", ty = "bool"),
            field(name = "bounding_box", ty = "BoundingBox"),
            field(
                name = "traits",
                ty = "Option<Json<Value>>",
                arg(name = "content", ty = "Option<JsonObject>"),
                arg(name = "context", ty = "Option<Json<Value>>"),
                arg(name = "vocab", ty = "Option<String>"),
                arg(name = "explicit", ty = "Option<bool>", default_with = "Some(false)")
            ),
            field(name = "comments", ty = "async_graphql::Result<Vec<Comment>>")
            $($tail)*
        )]
        pub enum $name {
            $($variant($variant)),*
        }
    };
}

element_interface!(
    "Any element on a workspace.",
    Element,
    [field(name = "type", ty = "ElementType"), field(name = "workspace_id", ty = "ID"),],
    [],
    { Text, Shape, Canvas, Stroke, Line, Image, Document, Video, Browser, Grid, Icon, Window, LegacyNote, Selection,
      LinkedDocument, Whiteboard }
);

element_interface!(
    "Element that can be attached to another's surface.",
    Attachable,
    [],
    [, field(name = "surface", ty = "async_graphql::Result<Option<Surface>>")],
    { Text, Shape, Stroke, Line, Image, Document, Video, Browser, Icon, Window, LegacyNote, LinkedDocument, Whiteboard }
);

element_interface!(
    "Element to which other elements can be attached.",
    Surface,
    [],
    [, field(
        name = "attachments",
        ty = "async_graphql::Result<Vec<Attachable>>",
        arg(name = "type", ty = "Option<Vec<AttachableType>>")
    )],
    { Shape, Image, Document, Video, Browser, Icon, Window, LegacyNote, LinkedDocument, Whiteboard }
);

element_interface!(
    "Element that can be selected/grouped",
    Selectable,
    [],
    [],
    { Text, Shape, Stroke, Line, Image, Document, Video, Browser, Icon, Window, LegacyNote, LinkedDocument, Whiteboard }
);

/// Elements backed by immutable assets
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "width", ty = "f64"),
    field(name = "height", ty = "f64"),
    field(name = "title", ty = "String"),
    field(name = "filename", ty = "Option<String>"),
    field(name = "source_url", ty = "Option<String>"),
    field(name = "preview", ty = "Option<ImageAsset>"),
    field(name = "ingestion_state", ty = "AssetIngestionState")
)]
pub enum AssetBacked {
    Image(Image),
    Document(Document),
    Video(Video),
}

impl From<DomainElement> for Element {
    fn from(e: DomainElement) -> Self {
        Element::of(e, Around::default())
    }
}

impl Element {
    /// The object of an element's type.
    pub fn of(e: DomainElement, c: Around) -> Self {
        match e.element_type() {
            el::ElementType::Text => Element::Text(Text(e, c)),
            el::ElementType::Shape => Element::Shape(Shape(e, c)),
            el::ElementType::Canvas => Element::Canvas(Canvas(e, c)),
            el::ElementType::Stroke => Element::Stroke(Stroke(e, c)),
            el::ElementType::Line => Element::Line(Line(e, c)),
            el::ElementType::Image => Element::Image(Image(e, c)),
            el::ElementType::Document => Element::Document(Document(e, c)),
            el::ElementType::Video => Element::Video(Video(e, c)),
            el::ElementType::Browser => Element::Browser(Browser(e, c)),
            el::ElementType::Grid => Element::Grid(Grid(e, c)),
            el::ElementType::Icon => Element::Icon(Icon(e, c)),
            el::ElementType::Window => Element::Window(Window(e, c)),
        }
    }
}

impl Attachable {
    /// The element as an `Attachable`, if its type is one.
    pub fn of(e: DomainElement, c: Around) -> Option<Self> {
        Some(match Element::of(e, c) {
            Element::Text(x) => Attachable::Text(x),
            Element::Shape(x) => Attachable::Shape(x),
            Element::Stroke(x) => Attachable::Stroke(x),
            Element::Line(x) => Attachable::Line(x),
            Element::Image(x) => Attachable::Image(x),
            Element::Document(x) => Attachable::Document(x),
            Element::Video(x) => Attachable::Video(x),
            Element::Browser(x) => Attachable::Browser(x),
            Element::Icon(x) => Attachable::Icon(x),
            Element::Window(x) => Attachable::Window(x),
            _ => return None,
        })
    }
}

impl Surface {
    /// The element as a `Surface`, if its type is one.
    pub fn of(e: DomainElement, c: Around) -> Option<Self> {
        Some(match Element::of(e, c) {
            Element::Shape(x) => Surface::Shape(x),
            Element::Image(x) => Surface::Image(x),
            Element::Document(x) => Surface::Document(x),
            Element::Video(x) => Surface::Video(x),
            Element::Browser(x) => Surface::Browser(x),
            Element::Icon(x) => Surface::Icon(x),
            Element::Window(x) => Surface::Window(x),
            _ => return None,
        })
    }
}

/// What an update mutation returns: the id of the element it changed.
#[derive(SimpleObject)]
pub struct UpdateElementResponse {
    pub id: String,
}
