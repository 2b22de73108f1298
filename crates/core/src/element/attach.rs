//! Attachments, the platform's way: an element (an `Attachable`) can be attached to another
//! (a `Surface`: a shape, an image, a document, a video, a browser, an icon, a window) by
//! setting its `surface` to that element's id, and detached by setting it to the workspace's
//! id. While attached, its transform counts from its surface's position (the platform's "x and
//! y are relative to the surface"), so it moves with it; it is not a top-level element (the
//! `elements` query lists it under `flatten` or its surface's `attachments`, and the spatial
//! index holds its surface, not it). Deleting a surface deletes what is attached to it.
//!
//! An attach or detach that gives no transform keeps the element where it is on the canvas.
//! Chains are at most [`MAX_DEPTH`] surfaces deep, and an element cannot be attached to itself
//! or to anything attached to it.

use super::{Element, ElementBody};
use crate::error::{Error, Result};
use crate::ids::{ElementId, WorkspaceId};
use crate::ports::{ElementQuery, Placement};
use crate::service::Core;
use serde_json::{json, Value as Json};
use std::collections::{HashMap, HashSet};

/// An element's surface before a move and where its frame started, and where the new one's
/// starts.
pub(crate) type SurfaceMove = ((Option<ElementId>, (f64, f64)), (f64, f64));

/// The most surfaces an element may sit on, one on another.
pub const MAX_DEPTH: usize = 16;

/// The `surface` an input asks for, in the stored form: the workspace's own id means "on the
/// workspace" (detached), stored as `null`. Returns whether the input names a surface at all.
pub fn normalize_surface(change: &mut Json, ws: &WorkspaceId) -> bool {
    let Some(surface) = change.get_mut("surface") else { return false };
    if surface.as_str() == Some(ws.as_str()) {
        *surface = Json::Null;
    }
    true
}

/// The fields an attach or detach command reports: the element's whole transform and stack
/// order, and a line's points (which move with its frame).
pub fn placement_fields(el: &Element) -> Json {
    let mut fields = json!({
        "surface": el.surface,
        "transform": el.transform,
        "zIndex": el.z_index,
    });
    if let ElementBody::Line { start, end, control_points, .. } = &el.body {
        fields["start"] = json!(start);
        fields["end"] = json!(end);
        fields["controlPoints"] = json!(control_points);
    }
    fields
}

impl Core {
    /// Where the frame of elements attached to `surface` starts on the canvas (the sum of the
    /// positions of it and the surfaces under it); the canvas's origin for none. `moving`, if
    /// given, must not be among them (it would be attached to itself).
    pub(crate) async fn frame_origin(
        &self,
        ws: &WorkspaceId,
        surface: Option<&ElementId>,
        moving: Option<&ElementId>,
        at: Option<i64>,
    ) -> Result<(f64, f64)> {
        let (mut x, mut y) = (0.0, 0.0);
        let mut next = surface.cloned();
        let mut depth = 0;
        while let Some(id) = next {
            if Some(&id) == moving {
                return Err(Error::bad_input(format!("surface: {id} is attached to the element itself")));
            }
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(Error::bad_input(format!("surface: attachments nest at most {MAX_DEPTH} deep")));
            }
            let Some(el) = self.element_at(ws, &id, at).await? else {
                return Err(Error::bad_input(format!("surface: there is no element {id}")));
            };
            (x, y) = (x + el.transform.x, y + el.transform.y);
            next = el.surface;
        }
        Ok((x, y))
    }

    /// Check that `el` (of an attachable type) may sit on `surface` (a surface type).
    pub(crate) async fn check_surface(&self, el: &Element, surface: &ElementId) -> Result<()> {
        let ty = el.element_type();
        if !ty.is_attachable() {
            return Err(Error::bad_input(format!("a {} cannot be attached to a surface", ty.as_str())));
        }
        let Some(target) = self.element_at(&el.workspace_id, surface, None).await? else {
            return Err(Error::bad_input(format!("surface: there is no element {surface}")));
        };
        if !target.element_type().is_surface() {
            return Err(Error::bad_input(format!(
                "surface: a {} is not a surface elements can be attached to",
                target.element_type().as_str()
            )));
        }
        Ok(())
    }

    /// For an update of element `id` that sets `surface` (`data`, stored form): checks the new
    /// surface, and gives the element's surface now with where its frame starts, and where the
    /// new surface's frame starts.
    pub(crate) async fn surface_move(&self, ws: &WorkspaceId, id: &ElementId, data: &Json) -> Result<SurfaceMove> {
        let current = self.element_at(ws, id, None).await?.ok_or(Error::NotFound("element"))?;
        let target = data["surface"].as_str().map(|s| ElementId(s.to_owned()));
        if let Some(t) = &target {
            self.check_surface(&current, t).await?;
        }
        let from = self.frame_origin(ws, current.surface.as_ref(), None, None).await?;
        let to = self.frame_origin(ws, target.as_ref(), Some(id), None).await?;
        Ok(((current.surface, from), to))
    }

    /// Every element attached, directly or not, to `id`, the deepest first.
    pub(crate) async fn attached_under(&self, ws: &WorkspaceId, id: &ElementId) -> Result<Vec<ElementId>> {
        let attached =
            self.store.elements(ws, ElementQuery { placement: Placement::Attached, ..Default::default() }).await?;
        let tree = children(&attached);
        let mut order = Vec::new();
        let mut seen = HashSet::new();
        collect_under(&tree, id, &mut seen, &mut order);
        Ok(order.into_iter().cloned().collect())
    }
}

/// Attached elements by the id of their surface, each list in the order given.
pub fn children(attached: &[Element]) -> HashMap<&ElementId, Vec<&Element>> {
    let mut by: HashMap<&ElementId, Vec<&Element>> = HashMap::new();
    for e in attached {
        if let Some(s) = &e.surface {
            by.entry(s).or_default().push(e);
        }
    }
    by
}

/// The ids under `id` in `tree`, each after everything attached to it.
fn collect_under<'a>(
    tree: &HashMap<&ElementId, Vec<&'a Element>>,
    id: &ElementId,
    seen: &mut HashSet<&'a ElementId>,
    out: &mut Vec<&'a ElementId>,
) {
    for child in tree.get(id).into_iter().flatten() {
        if seen.insert(&child.id) {
            collect_under(tree, &child.id, seen, out);
            out.push(&child.id);
        }
    }
}

/// `top` (in their order), each followed by what is attached under it, depth first (a
/// surface before its attachments, as they are drawn). An attachment whose chain is broken or
/// loops is left out.
pub fn with_attachments(top: Vec<Element>, attached: &[Element]) -> Vec<Element> {
    let tree = children(attached);
    let mut out = Vec::with_capacity(top.len());
    let mut seen = HashSet::new();
    fn walk<'a>(
        tree: &HashMap<&ElementId, Vec<&'a Element>>,
        id: &ElementId,
        seen: &mut HashSet<&'a ElementId>,
        out: &mut Vec<Element>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        for child in tree.get(id).into_iter().flatten() {
            if seen.insert(&child.id) {
                out.push((*child).clone());
                walk(tree, &child.id, seen, out, depth + 1);
            }
        }
    }
    for e in top {
        let id = e.id.clone();
        out.push(e);
        walk(&tree, &id, &mut seen, &mut out, 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::element::ElementType;
    use serde_json::json;

    fn el(id: &str, surface: Option<&str>) -> Element {
        let ws = WorkspaceId("w".into());
        let mut e = Element::new(ElementId(id.into()), ws, ElementType::Text, &json!({}), 1).expect("text");
        e.surface = surface.map(|s| ElementId(s.into()));
        e
    }

    #[test]
    fn attachments_follow_their_surface_depth_first_and_loops_are_left_out() {
        let attached =
            [el("b", Some("a")), el("c", Some("b")), el("d", Some("a")), el("x", Some("y")), el("y", Some("x"))];
        let ids = |v: Vec<Element>| v.into_iter().map(|e| e.id.0).collect::<Vec<_>>();
        assert_eq!(ids(with_attachments(vec![el("a", None), el("z", None)], &attached)), ["a", "b", "c", "d", "z"]);
        let tree = children(&attached);
        let (mut seen, mut out) = (HashSet::new(), Vec::new());
        collect_under(&tree, &ElementId("a".into()), &mut seen, &mut out);
        assert_eq!(out.iter().map(|i| i.as_str()).collect::<Vec<_>>(), ["c", "b", "d"], "deepest first");
        let (mut seen, mut out) = (HashSet::new(), Vec::new());
        collect_under(&tree, &ElementId("x".into()), &mut seen, &mut out);
        assert_eq!(out.len(), 2, "a loop is walked once");
    }

    #[test]
    fn the_workspace_id_as_surface_means_detached() {
        let ws = WorkspaceId("w1".into());
        let mut c = json!({"surface": "w1"});
        assert!(normalize_surface(&mut c, &ws));
        assert_eq!(c["surface"], Json::Null);
        let mut c = json!({"surface": "e1"});
        assert!(normalize_surface(&mut c, &ws));
        assert_eq!(c["surface"], "e1");
        assert!(!normalize_surface(&mut json!({"pinned": true}), &ws));
    }
}
