//! The element types of the platform's schema that no mutation creates (`LegacyNote`,
//! `Selection`, `LinkedDocument`, `Whiteboard`), with the platform's fields so that documents
//! asking for them (`... on LegacyNote { … }`) validate. Tessera stores none: no value of these
//! types can exist, so their resolvers are never called.

// Each resolver is `match self.0 {}`: code after it (the resolvers' wrapping) is unreachable.
#![allow(unreachable_code)]

use super::comments::Comment;
use super::element_inputs::{FontWeight, JsonObject};
use super::elements::{
    Attachable, AttachableType, BoundingBox, Color, Element, ElementType, Surface, TextTransform, Transform,
};
use async_graphql::{Json, Object, SimpleObject, ID};
use serde_json::Value;
use std::convert::Infallible;

/// Defines an element object that cannot be constructed: the fields every element has, the
/// `surface` and `attachments` of a surface if `surface` is given, then `$extra` fields.
macro_rules! unstored_element {
    ($name:ident, $doc:literal, surface, { $($extra:tt)* }) => {
        unstored_element!($name, $doc, {
            pub async fn surface(&self) -> Option<Surface> { match self.0 {} }
            pub async fn attachments(&self, r#type: Option<Vec<AttachableType>>) -> Vec<Attachable> {
                let _ = r#type;
                match self.0 {}
            }
            $($extra)*
        });
    };
    ($name:ident, $doc:literal, { $($extra:tt)* }) => {
        #[doc = $doc]
        pub struct $name(Infallible);

        #[Object]
        impl $name {
            pub async fn id(&self) -> ID { match self.0 {} }
            pub async fn r#type(&self) -> ElementType { match self.0 {} }
            pub async fn workspace_id(&self) -> ID { match self.0 {} }
            pub async fn z_index(&self) -> i64 { match self.0 {} }
            pub async fn transform(&self) -> Transform { match self.0 {} }
            pub async fn pinned(&self) -> bool { match self.0 {} }
            pub async fn bounding_box(&self) -> BoundingBox { match self.0 {} }
            pub async fn traits(
                &self,
                content: Option<JsonObject>,
                context: Option<Json<Value>>,
                vocab: Option<String>,
                #[graphql(default_with = "Some(false)")] explicit: Option<bool>,
            ) -> Option<Json<Value>> {
                let _ = (content, context, vocab, explicit);
                match self.0 {}
            }
            pub async fn comments(&self) -> async_graphql::Result<Vec<Comment>> { match self.0 {} }
            $($extra)*
        }
    };
}

unstored_element!(LegacyNote, "Legacy Note card (tessera creates none).", surface, {
    async fn width(&self) -> f64 {
        match self.0 {}
    }
    async fn height(&self) -> f64 {
        match self.0 {}
    }
    /// LegacyNote content
    async fn text(&self) -> String {
        match self.0 {}
    }
    async fn style(&self) -> LegacyNoteStyle {
        match self.0 {}
    }
});

unstored_element!(Selection, "Selection of elements (tessera creates none).", {
    async fn selected(&self) -> Vec<Element> {
        match self.0 {}
    }
});

unstored_element!(LinkedDocument, "A linked document (tessera creates none).", surface, {
    async fn url(&self) -> Option<String> {
        match self.0 {}
    }
    async fn style(&self) -> LinkedDocumentStyle {
        match self.0 {}
    }
});

unstored_element!(Whiteboard, "whiteboard (tessera creates none)", surface, {
    async fn style(&self) -> WhiteboardStyle {
        match self.0 {}
    }
    async fn preview(&self) -> Option<String> {
        match self.0 {}
    }
});

#[derive(SimpleObject)]
pub struct LegacyNoteStyle {
    /// Font size in pixels.
    pub font_size: i64,
    pub font_weight: FontWeight,
    pub text_transform: TextTransform,
    pub background_color: Color,
}

#[derive(SimpleObject)]
pub struct LinkedDocumentStyle {
    pub width: f64,
    pub height: f64,
}

#[derive(SimpleObject)]
pub struct WhiteboardStyle {
    pub width: f64,
    pub height: f64,
}
