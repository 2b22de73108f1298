//! What the platform's `elements` query can ask beyond the workspace: one id, types, a
//! viewport, the inside of a canvas, an instant in the past, matching traits, and coordinates
//! relative to another element; and the pure parts of answering it.

use super::{BoundingBox, Element, ElementBody, ElementType, LinePoint};
use crate::ids::ElementId;
use serde_json::Value as Json;

#[derive(Debug, Default, Clone)]
pub struct ElementFilter {
    pub id: Option<ElementId>,
    /// Only these types (all when empty).
    pub types: Vec<ElementType>,
    /// Only elements whose box meets this one (edges included), in workspace coordinates.
    pub overlaps: Option<BoundingBox>,
    /// Only elements whose box lies inside this canvas's (the canvas itself excluded).
    pub canvas: Option<ElementId>,
    /// The workspace as it was at this instant (epoch milliseconds).
    pub when: Option<i64>,
    /// Only elements whose traits contain this document (stored form; `@context` ignored).
    pub traits: Option<Json>,
    /// Coordinates relative to this element's origin.
    pub relative_to: Option<ElementId>,
}

impl BoundingBox {
    /// Whether the boxes meet (touching edges count).
    pub fn meets(&self, other: &BoundingBox) -> bool {
        self.x <= other.x + other.width
            && other.x <= self.x + self.width
            && self.y <= other.y + other.height
            && other.y <= self.y + self.height
    }

    /// Whether `inner` lies inside this box (edges included).
    pub fn contains(&self, inner: &BoundingBox) -> bool {
        inner.x >= self.x
            && inner.y >= self.y
            && inner.x + inner.width <= self.x + self.width
            && inner.y + inner.height <= self.y + self.height
    }

    /// The common part of two boxes, if they meet.
    pub fn intersection(&self, other: &BoundingBox) -> Option<BoundingBox> {
        if !self.meets(other) {
            return None;
        }
        let (x, y) = (self.x.max(other.x), self.y.max(other.y));
        let (x1, y1) =
            ((self.x + self.width).min(other.x + other.width), (self.y + self.height).min(other.y + other.height));
        Some(BoundingBox { x, y, width: x1 - x, height: y1 - y })
    }
}

impl Element {
    /// The element with its position counted from (`dx`, `dy`): its transform and the line
    /// points given in workspace coordinates move; stroke points (relative already) do not.
    pub fn moved_by(mut self, dx: f64, dy: f64) -> Element {
        self.transform.x -= dx;
        self.transform.y -= dy;
        if let ElementBody::Line { start, end, control_points, .. } = &mut self.body {
            for p in [start, end].into_iter().chain(control_points.iter_mut()) {
                if let LinePoint::Absolute { x, y } = p {
                    *x -= dx;
                    *y -= dy;
                }
            }
        }
        self
    }
}

/// Whether `have` contains `want`: every field of an object (but `@context`), every item of a
/// list (matching some item), and every other value equal.
pub fn traits_match(have: &Json, want: &Json) -> bool {
    match (have, want) {
        (Json::Object(h), Json::Object(w)) => {
            w.iter().filter(|(k, _)| *k != "@context").all(|(k, v)| h.get(k).is_some_and(|hv| traits_match(hv, v)))
        }
        (Json::Array(h), Json::Array(w)) => w.iter().all(|v| h.iter().any(|hv| traits_match(hv, v))),
        (h, w) => h == w,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn boxes_meet_contain_and_intersect() {
        let b = |x, y, width, height| BoundingBox { x, y, width, height };
        let a = b(0.0, 0.0, 10.0, 10.0);
        assert!(a.meets(&b(10.0, 10.0, 5.0, 5.0)), "corners touching meet");
        assert!(!a.meets(&b(10.5, 0.0, 5.0, 5.0)));
        assert!(a.contains(&b(0.0, 5.0, 10.0, 5.0)) && !a.contains(&b(1.0, 1.0, 10.0, 1.0)));
        assert_eq!(a.intersection(&b(5.0, -5.0, 10.0, 10.0)), Some(b(5.0, 0.0, 5.0, 5.0)));
        assert_eq!(a.intersection(&b(20.0, 0.0, 1.0, 1.0)), None);
    }

    #[test]
    fn traits_match_by_containment_ignoring_contexts() {
        let have = json!({"@context": {"@vocab": "http://schema.org/"}, "status": "done", "tags": ["a", "b"],
            "owner": {"name": "Ann", "id": 7}});
        assert!(traits_match(&have, &json!({"status": "done"})));
        assert!(traits_match(&have, &json!({"@context": "http://other/", "owner": {"id": 7}, "tags": ["b"]})));
        assert!(!traits_match(&have, &json!({"status": "open"})));
        assert!(!traits_match(&have, &json!({"tags": ["c"]})));
        assert!(!traits_match(&have, &json!({"missing": null})));
    }
}
