//! The element use cases: reading a workspace's elements (now or at an instant, narrowed and
//! placed as [`ElementFilter`] says), finding free space, and creating, changing and deleting
//! elements and their traits. Each goes through [`Core::authorize`] first.

use crate::auth::Principal;
use crate::element::attach;
use crate::element::board::Board;
use crate::element::find::{self, ElementFilter};
use crate::element::{self, BoundingBox, Element, ElementType};
use crate::error::{Error, Result};
use crate::event::EventPayload;
use crate::ids::{ElementId, WorkspaceId};
use crate::model::now_millis;
use crate::permission::Permission;
use crate::ports::{ElementQuery, Placement};
use crate::service::{actor_of, Core};
use crate::validate;
use serde_json::{json, Value as Json};

impl Core {
    /// A workspace's elements, now or at `filter.when`, as the filter narrows and places them
    /// (see [`ElementFilter`]), by `zIndex`, then oldest first.
    pub async fn elements(&self, p: &Principal, ws: &WorkspaceId, filter: &ElementFilter) -> Result<Vec<Element>> {
        Ok(self.elements_read(p, ws, filter).await?.1)
    }

    /// [`Core::elements`], with the cursor of the state read when it came from a board kept
    /// in memory (see [`crate::element::board`]).
    async fn elements_read(
        &self,
        p: &Principal,
        ws: &WorkspaceId,
        filter: &ElementFilter,
    ) -> Result<(Option<i64>, Vec<Element>)> {
        let facts = self.authorize_elements_read(p, ws).await?;
        let at = filter.when;
        let board = match at {
            None => self.boards.board(self.store.as_ref(), ws, facts.head).await?,
            Some(_) => None,
        };
        let canvas = match &filter.canvas {
            Some(id) => match self.element_at(ws, id, at).await? {
                Some(c) if c.element_type() == ElementType::Canvas => Some(c),
                Some(_) => return Err(Error::bad_input(format!("canvasId: {id} is not a canvas"))),
                None => return Err(Error::NotFound("canvas")),
            },
            None => None,
        };
        let origin = match &filter.relative_to {
            Some(id) => match self.element_at(ws, id, at).await? {
                Some(o) => {
                    let (x, y) = self.frame_origin(ws, o.surface.as_ref(), None, at).await?;
                    Some((x + o.transform.x, y + o.transform.y))
                }
                None => return Err(Error::bad_input(format!("relativeToOriginOf: there is no element {id}"))),
            },
            None => None,
        };
        let inside = canvas.as_ref().map(Element::bounding_box);
        let area = match (filter.overlaps, inside) {
            (Some(a), Some(b)) => match a.intersection(&b) {
                Some(both) => Some(both),
                None => return Ok((board.map(|b| b.cursor), vec![])),
            },
            (a, b) => a.or(b),
        };
        // Top-level elements (any, for one asked for by id); with `flatten`, of every type, as
        // the types asked for may be attached to others.
        let query = ElementQuery {
            id: filter.id.as_ref(),
            types: if filter.flatten { &[] } else { &filter.types },
            overlaps: area,
            placement: if filter.id.is_some() { Placement::Any } else { Placement::TopLevel },
        };
        let read = |query| self.read_elements(board.as_deref(), ws, at, query);
        let found = read(query).await?;
        let placed_well = |e: &Element| {
            inside.is_none_or(|c| e.top_level_box().is_some_and(|b| c.contains(&b)))
                && canvas.as_ref().is_none_or(|c| c.id != e.id)
        };
        let placed = |e: Element| match origin {
            Some((x, y)) if e.surface.is_none() => e.moved_by(x, y),
            _ => e,
        };
        let top: Vec<Element> = found.into_iter().filter(placed_well).map(placed).collect();
        let all = match filter.flatten {
            true => {
                let attached = read(ElementQuery { placement: Placement::Attached, ..Default::default() }).await?;
                attach::with_attachments(top, &attached)
            }
            false => top,
        };
        let wanted = |e: &Element| {
            (filter.types.is_empty() || filter.types.contains(&e.element_type()))
                && filter.traits.as_ref().is_none_or(|t| find::traits_match(&e.traits, t))
        };
        Ok((board.map(|b| b.cursor), all.into_iter().filter(wanted).collect()))
    }

    /// The elements `query` reads: from the board kept in memory if there is one, else now or
    /// at `at` from the database.
    async fn read_elements(
        &self,
        board: Option<&Board>,
        ws: &WorkspaceId,
        at: Option<i64>,
        query: ElementQuery<'_>,
    ) -> Result<Vec<Element>> {
        match (board, at) {
            (Some(board), _) => Ok(board.select(&query)),
            (None, Some(at)) => self.store.elements_at(ws, at, query).await,
            (None, None) => self.store.elements(ws, query).await,
        }
    }

    /// The elements as [`Core::elements`] answers, with the cursor of the state they show: a
    /// `commands` subscription from it goes on exactly where the list ends. Now, the cursor of
    /// the board kept in memory the list was read from; for a board too large to keep, the list
    /// is read between two reads of the log's head until no change came in between (after 5
    /// tries, the first head: a subscription from it may then repeat a change the list shows,
    /// never miss one). At `when`, the cursor of the last event by then.
    pub async fn workspace_state(
        &self,
        p: &Principal,
        ws: &WorkspaceId,
        filter: &ElementFilter,
    ) -> Result<(i64, Vec<Element>)> {
        if let Some(at) = filter.when {
            let list = self.elements(p, ws, filter).await?;
            return Ok((self.store.cursor_at(ws, at).await?, list));
        }
        let head = || async { Ok::<_, Error>(self.store.last_cursor(ws).await?.unwrap_or(0)) };
        let mut tries = 0;
        loop {
            let before = head().await?;
            let (exact, list) = self.elements_read(p, ws, filter).await?;
            if let Some(cursor) = exact {
                return Ok((cursor, list));
            }
            tries += 1;
            if tries == 5 || head().await? == before {
                return Ok((before, list));
            }
        }
    }

    /// The elements attached to others (now or at `at`), for reading surfaces' attachments.
    pub async fn attached_elements(&self, p: &Principal, ws: &WorkspaceId, at: Option<i64>) -> Result<Vec<Element>> {
        let facts = self.authorize_elements_read(p, ws).await?;
        let query = ElementQuery { placement: Placement::Attached, ..Default::default() };
        let board = match at {
            None => self.boards.board(self.store.as_ref(), ws, facts.head).await?,
            Some(_) => None,
        };
        self.read_elements(board.as_deref(), ws, at, query).await
    }

    /// One element, now or at `at`, whatever its placement.
    pub async fn element(&self, p: &Principal, ws: &WorkspaceId, id: &ElementId, at: Option<i64>) -> Result<Element> {
        self.authorize_elements_read(p, ws).await?;
        self.element_at(ws, id, at).await?.ok_or(Error::NotFound("element"))
    }

    /// The first area the size of `proposed` that no element overlaps (touching is allowed),
    /// searched from it in `direction`, each step moving just past the elements in the way
    /// (read through the spatial index). `None` when the search leaves the canvas's range or
    /// takes more than 10,000 steps.
    pub async fn find_available_area(
        &self,
        p: &Principal,
        ws: &WorkspaceId,
        proposed: BoundingBox,
        direction: find::Direction,
    ) -> Result<Option<BoundingBox>> {
        self.authorize_elements_read(p, ws).await?;
        validate::area("proposedArea", &proposed)?;
        let mut area = proposed;
        for _ in 0..10_000 {
            let query = ElementQuery { overlaps: Some(area), ..Default::default() };
            let found = self.store.elements(ws, query).await?;
            let blocking: Vec<BoundingBox> =
                found.iter().filter_map(Element::top_level_box).filter(|b| b.overlaps(&area)).collect();
            if blocking.is_empty() {
                return Ok(Some(area));
            }
            area = area.past(&blocking, direction);
            if validate::area("area", &area).is_err() {
                return Ok(None);
            }
        }
        Ok(None)
    }

    /// One element, now or as it was at `at`.
    pub(crate) async fn element_at(
        &self,
        ws: &WorkspaceId,
        id: &ElementId,
        at: Option<i64>,
    ) -> Result<Option<Element>> {
        let one = ElementQuery::one(id);
        Ok(match at {
            Some(at) => self.store.elements_at(ws, at, one).await?,
            None => self.store.elements(ws, one).await?,
        }
        .pop())
    }

    /// Create an element of type `ty` from an input in the platform's JSON form (see
    /// [`element::input`](crate::element::input)); with `relative_to`, its position is
    /// relative to that element's.
    pub async fn create_element(
        &self,
        p: &Principal,
        ws: &WorkspaceId,
        ty: ElementType,
        input: Json,
        relative_to: Option<&ElementId>,
    ) -> Result<Element> {
        let el = self.new_element(p, ws, ty, input, relative_to).await?;
        self.store.insert_element(&el, &actor_of(p)).await?;
        Ok(el)
    }

    /// The element an input makes, checked and placed, not stored yet.
    pub(crate) async fn new_element(
        &self,
        p: &Principal,
        ws: &WorkspaceId,
        ty: ElementType,
        input: Json,
        relative_to: Option<&ElementId>,
    ) -> Result<Element> {
        self.authorize(p, ws, Permission::ElementCreate).await?;
        let mut change = element::input::change(ty, input).map_err(Error::BadInput)?;
        let names_surface = attach::normalize_surface(&mut change, ws);
        let mut el =
            Element::new(ElementId::generate(), ws.clone(), ty, &change, now_millis()).map_err(Error::BadInput)?;
        if names_surface && relative_to.is_some() {
            return Err(Error::bad_input("give either surface or relativeToOriginOf, not both"));
        }
        if let Some(surface) = &el.surface {
            self.check_surface(&el, surface).await?;
            self.frame_origin(ws, Some(surface), None, None).await?;
        }
        if let Some(origin) = relative_to {
            let Some(o) = self.store.elements(ws, ElementQuery::one(origin)).await?.pop() else {
                return Err(Error::bad_input(format!("relativeToOriginOf: there is no element {origin}")));
            };
            el = el.moved_by(-o.transform.x, -o.transform.y);
        }
        validate::element(&el)?;
        Ok(el)
    }

    /// Update an element of the expected type with an input in the platform's JSON form; the
    /// event records the change in the stored form, so subscribers see what changed.
    pub async fn update_element(
        &self,
        p: &Principal,
        ws: &WorkspaceId,
        id: &ElementId,
        expected: ElementType,
        input: Json,
    ) -> Result<Element> {
        self.authorize(p, ws, Permission::ElementUpdate).await?;
        let mut data = element::input::change(expected, input).map_err(Error::BadInput)?;
        if data.as_object().is_some_and(|o| o.is_empty()) {
            return Err(Error::bad_input("nothing to update: the input sets no field"));
        }
        // An attach or detach: where the element's frame starts before and after, checked
        // against the element as the write finds it.
        let frames = match attach::normalize_surface(&mut data, ws) {
            true => Some(self.surface_move(ws, id, &data).await?),
            false => None,
        };
        let keep_place = data.get("transform").is_none();
        let change = move |el: Element| -> Result<(Option<Element>, EventPayload)> {
            if el.element_type() != expected {
                return Err(Error::bad_input(format!(
                    "element {} is a {}, not a {}",
                    el.id,
                    el.element_type().as_str(),
                    expected.as_str()
                )));
            }
            let was_on = el.surface.clone();
            let mut el = el.merged(&data).map_err(Error::BadInput)?;
            let mut data = data.clone();
            if let Some(((surface_then, from), to)) = &frames {
                if was_on != *surface_then {
                    return Err(Error::Conflict("the element moved to another surface meanwhile; try again".into()));
                }
                if keep_place {
                    el = el.moved_by(to.0 - from.0, to.1 - from.1);
                }
                if let (Some(d), Json::Object(placement)) = (data.as_object_mut(), attach::placement_fields(&el)) {
                    d.extend(placement);
                }
            }
            el.updated_at = now_millis();
            validate::element(&el)?;
            let payload = EventPayload::ElementUpdated { element_id: el.id.clone(), element_type: expected, data };
            Ok((Some(el), payload))
        };
        match self.store.change_element(ws, id, &actor_of(p), &change).await? {
            Some((Some(el), _)) => Ok(el),
            _ => Err(Error::NotFound("element")),
        }
    }

    /// Add JSON-LD traits to an element (the platform's `TraitInput`, as JSON), merged into
    /// its traits field by field; the element's traits after it. `dry_run` changes nothing (and
    /// needs only read access).
    pub async fn update_traits(
        &self,
        p: &Principal,
        ws: &WorkspaceId,
        id: &ElementId,
        input: Json,
        dry_run: bool,
    ) -> Result<Json> {
        let add = element::input::traits(input).map_err(Error::BadInput)?;
        let merge = |traits: &Json| -> Result<Json> {
            let merged = find::merged_traits(traits, &add);
            validate::json_object("traits", &merged)?;
            Ok(merged)
        };
        if dry_run {
            self.authorize_elements_read(p, ws).await?;
            let el = self.store.elements(ws, ElementQuery::one(id)).await?.pop().ok_or(Error::NotFound("element"))?;
            return merge(&el.traits);
        }
        self.authorize(p, ws, Permission::ElementUpdate).await?;
        let change = |mut el: Element| -> Result<(Option<Element>, EventPayload)> {
            el.traits = merge(&el.traits)?;
            el.updated_at = now_millis();
            let payload = EventPayload::TraitsUpdated {
                element_id: el.id.clone(),
                element_type: el.element_type(),
                traits: el.traits.clone(),
            };
            Ok((Some(el), payload))
        };
        match self.store.change_element(ws, id, &actor_of(p), &change).await? {
            Some((Some(el), _)) => Ok(el.traits),
            _ => Err(Error::NotFound("element")),
        }
    }

    /// The platform's trait-matching playground: `input` when it contains everything `frame`
    /// asks for (see [`find::traits_match`]), else an empty document. Changes nothing.
    pub async fn match_traits(&self, p: &Principal, ws: &WorkspaceId, frame: Json, input: Json) -> Result<Json> {
        self.authorize_elements_read(p, ws).await?;
        let frame = element::input::traits(frame).map_err(Error::BadInput)?;
        let input = element::input::traits(input).map_err(Error::BadInput)?;
        Ok(if find::traits_match(&input, &frame) { input } else { json!({}) })
    }

    /// Delete an element, and first what is attached to it (the deepest first, each its own
    /// event, so that no state in between has an attachment without its surface).
    pub async fn delete_element(&self, p: &Principal, ws: &WorkspaceId, id: &ElementId) -> Result<()> {
        self.authorize(p, ws, Permission::ElementDelete).await?;
        let change = |el: Element| -> Result<(Option<Element>, EventPayload)> {
            Ok((None, EventPayload::ElementDeleted { element_id: el.id.clone(), element_type: el.element_type() }))
        };
        for attached in self.attached_under(ws, id).await? {
            self.store.change_element(ws, &attached, &actor_of(p), &change).await?;
        }
        match self.store.change_element(ws, id, &actor_of(p), &change).await? {
            Some(_) => Ok(()),
            None => Err(Error::NotFound("element")),
        }
    }
}
