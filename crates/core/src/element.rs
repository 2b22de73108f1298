//! Canvas elements: the things on a workspace. Common geometry (transform, zIndex, pinned,
//! style, traits) plus a typed body per element type.

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
}

impl ElementType {
    pub const ALL: [ElementType; 6] = [
        ElementType::Text,
        ElementType::Shape,
        ElementType::Canvas,
        ElementType::Stroke,
        ElementType::Line,
        ElementType::Image,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ElementType::Text => "Text",
            ElementType::Shape => "Shape",
            ElementType::Canvas => "Canvas",
            ElementType::Stroke => "Stroke",
            ElementType::Line => "Line",
            ElementType::Image => "Image",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Shape kinds, sticky notes included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ShapeKind {
    Rectangle,
    RoundedRectangle,
    Ellipse,
    Triangle,
    Diamond,
    Hexagon,
    Star,
    StickyNoteSquare,
    StickyNoteRectangle,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Size {
    pub width: f64,
    pub height: f64,
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

/// The type-specific part of an element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ElementBody {
    Text { text: String, size: Size },
    Shape { kind: ShapeKind, text: String, size: Size },
    Canvas { name: String, size: Size },
    Stroke { points: Vec<Point> },
    Line { start: Point, end: Point },
    Image { title: String, filename: String, size: Size },
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
    pub style: Json,
    pub traits: Json,
    pub body: ElementBody,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Element {
    pub fn element_type(&self) -> ElementType {
        self.body.element_type()
    }

    /// The axis-aligned box the element covers on the canvas, in canvas coordinates.
    pub fn bounding_box(&self) -> BoundingBox {
        let t = &self.transform;
        let sized = |s: &Size| BoundingBox { x: t.x, y: t.y, width: s.width * t.scale_x, height: s.height * t.scale_y };
        let around = |pts: &[Point]| {
            let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for p in pts {
                x0 = x0.min(p.x);
                y0 = y0.min(p.y);
                x1 = x1.max(p.x);
                y1 = y1.max(p.y);
            }
            if pts.is_empty() {
                return BoundingBox { x: t.x, y: t.y, width: 0.0, height: 0.0 };
            }
            BoundingBox {
                x: t.x + x0 * t.scale_x,
                y: t.y + y0 * t.scale_y,
                width: (x1 - x0) * t.scale_x,
                height: (y1 - y0) * t.scale_y,
            }
        };
        match &self.body {
            ElementBody::Text { size, .. }
            | ElementBody::Shape { size, .. }
            | ElementBody::Canvas { size, .. }
            | ElementBody::Image { size, .. } => sized(size),
            ElementBody::Stroke { points } => around(points),
            ElementBody::Line { start, end } => around(&[*start, *end]),
        }
    }
}

/// A change to an element's fields. Every field is optional; fields that do not belong to the
/// element's type are refused by [`ElementPatch::apply`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElementPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transform: Option<Transform>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub z_index: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traits: Option<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<ShapeKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Point>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<Point>,
}

impl ElementPatch {
    pub fn is_empty(&self) -> bool {
        *self == ElementPatch::default()
    }

    /// Apply this patch to `el`, refusing fields its type does not have.
    pub fn apply(&self, el: &mut Element) -> Result<(), String> {
        let ty = el.element_type();
        let misplaced = |field: &str| format!("{ty:?} elements have no field `{field}`");
        match &mut el.body {
            ElementBody::Text { text, size } => {
                set(text, &self.text);
                set(size, &self.size);
            }
            ElementBody::Shape { kind, text, size } => {
                set(kind, &self.kind);
                set(text, &self.text);
                set(size, &self.size);
            }
            ElementBody::Canvas { name, size } => {
                set(name, &self.name);
                set(size, &self.size);
            }
            ElementBody::Line { start, end } => {
                set(start, &self.start);
                set(end, &self.end);
            }
            ElementBody::Stroke { .. } | ElementBody::Image { .. } => {}
        }
        let allowed: &[&str] = match ty {
            ElementType::Text => &["text", "size"],
            ElementType::Shape => &["kind", "text", "size"],
            ElementType::Canvas => &["name", "size"],
            ElementType::Line => &["start", "end"],
            ElementType::Stroke | ElementType::Image => &[],
        };
        let given = [
            ("text", self.text.is_some()),
            ("kind", self.kind.is_some()),
            ("size", self.size.is_some()),
            ("name", self.name.is_some()),
            ("start", self.start.is_some()),
            ("end", self.end.is_some()),
        ];
        if let Some((field, _)) = given.iter().find(|(f, set)| *set && !allowed.contains(f)) {
            return Err(misplaced(field));
        }
        set(&mut el.transform, &self.transform);
        set(&mut el.z_index, &self.z_index);
        set(&mut el.pinned, &self.pinned);
        set(&mut el.style, &self.style);
        set(&mut el.traits, &self.traits);
        Ok(())
    }
}

fn set<T: Clone>(target: &mut T, value: &Option<T>) {
    if let Some(v) = value {
        *target = v.clone();
    }
}
