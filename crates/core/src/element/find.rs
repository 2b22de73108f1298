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
    /// Also the elements attached to those found (at any depth), each after its surface.
    /// Without it, attached elements are left out (unless asked for by `id`).
    pub flatten: bool,
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

/// Where `findAvailableArea` searches from a proposed area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Left,
    Right,
    Up,
    Down,
}

impl BoundingBox {
    /// Whether the boxes share more than an edge.
    pub fn overlaps(&self, other: &BoundingBox) -> bool {
        self.x < other.x + other.width
            && other.x < self.x + self.width
            && self.y < other.y + other.height
            && other.y < self.y + self.height
    }

    /// This box moved in `direction` just past every box of `blocking` (which it overlaps), so
    /// that it touches the furthest one's edge.
    pub fn past(&self, blocking: &[BoundingBox], direction: Direction) -> BoundingBox {
        let mut next = *self;
        match direction {
            Direction::Right => next.x = blocking.iter().map(|b| b.x + b.width).fold(self.x, f64::max),
            Direction::Left => next.x = blocking.iter().map(|b| b.x).fold(self.x + self.width, f64::min) - self.width,
            Direction::Down => next.y = blocking.iter().map(|b| b.y + b.height).fold(self.y, f64::max),
            Direction::Up => next.y = blocking.iter().map(|b| b.y).fold(self.y + self.height, f64::min) - self.height,
        }
        next
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

/// `add` merged into `traits`: objects field by field (recursively), anything else replaced
/// by what `add` says; `@context` as `add` gives it, if it does.
pub fn merged_traits(traits: &Json, add: &Json) -> Json {
    match (traits, add) {
        (Json::Object(have), Json::Object(new)) => {
            let mut out = have.clone();
            for (k, v) in new {
                let next = match out.get(k) {
                    Some(old) if k != "@context" => merged_traits(old, v),
                    _ => v.clone(),
                };
                out.insert(k.clone(), next);
            }
            Json::Object(out)
        }
        (_, add) => add.clone(),
    }
}

/// Whether `have` contains `want`: every field of an object (but `@context`), every item of a
/// list (matching some item), and every other value equal; `{}` matches any value.
pub fn traits_match(have: &Json, want: &Json) -> bool {
    match (have, want) {
        (Json::Object(h), Json::Object(w)) => {
            w.iter().filter(|(k, _)| *k != "@context").all(|(k, v)| h.get(k).is_some_and(|hv| traits_match(hv, v)))
        }
        (Json::Array(h), Json::Array(w)) => w.iter().all(|v| h.iter().any(|hv| traits_match(hv, v))),
        // `{}` is JSON-LD framing's wildcard: any value, as long as the property is there.
        (_, Json::Object(w)) if w.is_empty() => true,
        (h, w) => h == w,
    }
}

/// Traits shaped by a frame: the platform's `traits(content, context, vocab, explicit)` as far
/// as it goes without a JSON-LD processor (documents are compared as written, as in
/// [`traits_match`]). With a frame (`content`), the traits if they match it, else none; with
/// `explicit`, only the frame's properties, at every level (and the `@` keywords); `context`
/// replaces the output's `@context`, and `vocab` is added to it as `@vocab`.
pub fn framed(
    traits: &Json,
    frame: Option<&Json>,
    context: Option<&Json>,
    vocab: Option<&str>,
    explicit: bool,
) -> Option<Json> {
    let mut out = match frame {
        Some(f) if !traits_match(traits, f) => return None,
        Some(f) if explicit => only(traits, f),
        _ => traits.clone(),
    };
    if let (Json::Object(o), true) = (&mut out, context.is_some() || vocab.is_some()) {
        let mut ctx = context.or(o.get("@context")).cloned().unwrap_or(Json::Null);
        if let Some(v) = vocab {
            ctx = match ctx {
                Json::Object(mut c) => {
                    c.insert("@vocab".into(), v.into());
                    Json::Object(c)
                }
                Json::Null => serde_json::json!({"@vocab": v}),
                other => serde_json::json!([other, {"@vocab": v}]),
            };
        }
        o.insert("@context".into(), ctx);
    }
    Some(out)
}

/// `have` narrowed to the properties `frame` names (recursively), keeping `@` keywords.
fn only(have: &Json, frame: &Json) -> Json {
    match (have, frame) {
        (Json::Object(h), Json::Object(f)) => Json::Object(
            h.iter()
                .filter(|(k, _)| k.starts_with('@') || f.contains_key(*k))
                .map(|(k, v)| (k.clone(), f.get(k).map_or_else(|| v.clone(), |fv| only(v, fv))))
                .collect(),
        ),
        (h, _) => h.clone(),
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
    fn an_area_moves_past_what_is_in_its_way() {
        let b = |x, y, width, height| BoundingBox { x, y, width, height };
        let area = b(0.0, 0.0, 10.0, 10.0);
        let blocking = [b(5.0, 5.0, 10.0, 2.0), b(-3.0, 8.0, 4.0, 30.0)];
        assert!(!area.overlaps(&b(10.0, 0.0, 5.0, 5.0)), "touching is not overlapping");
        assert_eq!(area.past(&blocking, Direction::Right), b(15.0, 0.0, 10.0, 10.0));
        assert_eq!(area.past(&blocking, Direction::Left), b(-13.0, 0.0, 10.0, 10.0));
        assert_eq!(area.past(&blocking, Direction::Down), b(0.0, 38.0, 10.0, 10.0));
        assert_eq!(area.past(&blocking, Direction::Up), b(0.0, -5.0, 10.0, 10.0));
    }

    #[test]
    fn traits_merge_field_by_field() {
        let have = json!({"@context": "http://a/", "status": "open", "owner": {"name": "Ann", "id": 7}, "tags": ["a"]});
        let add = json!({"@context": {"@vocab": "http://b/"}, "status": "done", "owner": {"id": 8}, "tags": ["b"]});
        assert_eq!(
            merged_traits(&have, &add),
            json!({"@context": {"@vocab": "http://b/"}, "status": "done", "owner": {"name": "Ann", "id": 8}, "tags": ["b"]})
        );
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

    #[test]
    fn a_frame_selects_and_narrows_traits() {
        let traits = json!({"@context": "http://schema.org/", "status": "done", "owner": {"name": "Ann", "age": 3}, "tags": ["a"]});
        assert_eq!(framed(&traits, None, None, None, false), Some(traits.clone()), "no frame: as stored");
        assert_eq!(framed(&traits, Some(&json!({"status": "open"})), None, None, false), None, "no match");
        assert_eq!(framed(&traits, Some(&json!({"status": "done"})), None, None, false), Some(traits.clone()));
        let narrowed = framed(&traits, Some(&json!({"owner": {"name": {}}})), None, None, true);
        assert_eq!(narrowed, Some(json!({"@context": "http://schema.org/", "owner": {"name": "Ann"}})));
        let with = framed(
            &traits,
            Some(&json!({"status": "done"})),
            Some(&json!({"s": "http://schema.org/"})),
            Some("http://x/"),
            true,
        );
        assert_eq!(
            with,
            Some(json!({"@context": {"s": "http://schema.org/", "@vocab": "http://x/"}, "status": "done"}))
        );
    }
}
