//! The workspaces' current elements, kept in memory so that reading a board reads no element
//! from the database while it has not changed.
//!
//! Exact, not eventually consistent: an entry is a workspace's elements at one cursor, and a
//! request uses it only if that cursor is at least the workspace's `last_cursor` read with the
//! request's access facts. Every change to a workspace's elements commits with a bump of that
//! cursor and an event naming the element, on every node, so an entry at the head is the
//! database's state; nothing has to tell this node that something changed. An entry behind
//! the head is brought forward by reading only what the events since its cursor changed
//! (`Store::board_changes`), or read again whole when it is far behind. Both reads take the
//! cursor in the same statement as the rows, so an entry's elements are exactly those at its
//! cursor.
//!
//! Memory is bounded: at most the configured number of elements in all (by default
//! [`DEFAULT_MAX_ELEMENTS`]) and [`MAX_BOARDS`] boards, the least recently used going first; a
//! board larger than [`MAX_BOARD`] or than the whole cache is not kept, and is read from the
//! database (its spatial index) as before. A bound of 0 keeps nothing.

use crate::element::{BoundingBox, Element};
use crate::error::Result;
use crate::ids::{ElementId, WorkspaceId};
use crate::ports::{BoardChanges, BoardRead, ElementQuery, Store};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// The most elements kept in all, unless configured otherwise (`board_cache`). Measured on
/// text elements: about 1.8 KiB of memory each, so 100,000 are about 180 MiB.
pub const DEFAULT_MAX_ELEMENTS: usize = 100_000;
/// The largest board kept (and never more than the whole cache).
pub const MAX_BOARD: usize = 100_000;
/// The most workspaces kept (boards and the marks of boards too large).
pub const MAX_BOARDS: usize = 10_000;
/// An entry this many events behind the head is read again whole, not brought forward.
const MAX_CATCH_UP: i64 = 1_000;

/// A workspace's elements at one cursor, by `zIndex` then oldest first.
#[derive(Debug)]
pub struct Board {
    pub cursor: i64,
    elements: Vec<Placed>,
}

#[derive(Debug, Clone)]
struct Placed {
    /// The element's key in creation order.
    order: i64,
    /// Its box as a top-level element (none while attached), computed once.
    top_level_box: Option<BoundingBox>,
    element: Arc<Element>,
}

impl Placed {
    fn new(order: i64, element: Element) -> Self {
        Placed { order, top_level_box: element.top_level_box(), element: Arc::new(element) }
    }
}

impl Board {
    fn read(read: BoardRead) -> Self {
        let elements = read.elements.into_iter().map(|(order, e)| Placed::new(order, e)).collect();
        Board { cursor: read.cursor, elements }
    }

    /// This board with `changes` applied: changed elements replaced (or gone), in order again.
    fn with(&self, changes: BoardChanges) -> Self {
        let changed: HashSet<&ElementId> = changes.changed.iter().map(|(id, _)| id).collect();
        let mut elements: Vec<Placed> =
            self.elements.iter().filter(|p| !changed.contains(&p.element.id)).cloned().collect();
        elements.extend(changes.changed.into_iter().filter_map(|(_, now)| now).map(|(o, e)| Placed::new(o, e)));
        elements.sort_by_key(|p| (p.element.z_index, p.order));
        Board { cursor: changes.cursor, elements }
    }

    /// The elements `query` reads, in order.
    pub fn select(&self, query: &ElementQuery<'_>) -> Vec<Element> {
        self.elements
            .iter()
            .filter(|p| query.matches_at(&p.element, p.top_level_box))
            .map(|p| Element::clone(&p.element))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.elements.len()
    }

    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }
}

enum Entry {
    Kept(Arc<Board>),
    /// Larger than [`MAX_BOARD`] when last read.
    TooLarge,
}

pub struct Boards {
    inner: Mutex<Inner>,
    /// The most elements kept in all.
    max_elements: usize,
}

impl Default for Boards {
    fn default() -> Self {
        Boards::new(DEFAULT_MAX_ELEMENTS)
    }
}

#[derive(Default)]
struct Inner {
    /// Each workspace's entry and when it was last used (a tick of `clock`).
    entries: HashMap<WorkspaceId, (u64, Entry)>,
    /// The elements kept in all.
    total: usize,
    clock: u64,
}

impl Boards {
    /// A cache of at most `max_elements` elements (0: none).
    pub fn new(max_elements: usize) -> Self {
        Boards { inner: Mutex::default(), max_elements }
    }

    /// The workspace's elements at `head` or later: from memory when kept there, else read
    /// and kept. `None` for a board too large to keep (or a workspace gone), and always when
    /// the cache is off.
    pub async fn board(&self, store: &dyn Store, ws: &WorkspaceId, head: i64) -> Result<Option<Arc<Board>>> {
        if self.max_elements == 0 {
            return Ok(None);
        }
        let known = self.entry(ws);
        let board = match known {
            Some(Entry::TooLarge) => return Ok(None),
            Some(Entry::Kept(b)) if b.cursor >= head => return Ok(Some(b)),
            Some(Entry::Kept(b)) if head - b.cursor <= MAX_CATCH_UP => match store.board_changes(ws, b.cursor).await? {
                Some(changes) => Board::with(&b, changes),
                None => return Ok(None),
            },
            _ => match store.board(ws, MAX_BOARD.min(self.max_elements)).await? {
                Some(read) => Board::read(read),
                None => {
                    self.keep(ws, Entry::TooLarge);
                    return Ok(None);
                }
            },
        };
        let board = Arc::new(board);
        self.keep(ws, Entry::Kept(board.clone()));
        Ok(Some(board))
    }

    fn entry(&self, ws: &WorkspaceId) -> Option<Entry> {
        let mut inner = self.inner.lock().ok()?;
        inner.clock += 1;
        let now = inner.clock;
        let (used, entry) = inner.entries.get_mut(ws)?;
        *used = now;
        Some(match entry {
            Entry::Kept(b) => Entry::Kept(b.clone()),
            Entry::TooLarge => Entry::TooLarge,
        })
    }

    /// Keep `entry` unless a newer one is kept already; then drop the least recently used
    /// boards while more than the bound's elements or [`MAX_BOARDS`] boards are kept.
    fn keep(&self, ws: &WorkspaceId, entry: Entry) {
        let Ok(mut inner) = self.inner.lock() else { return };
        let size = |e: &Entry| match e {
            Entry::Kept(b) => b.len(),
            Entry::TooLarge => 0,
        };
        let newer_kept = match (inner.entries.get(ws), &entry) {
            (Some((_, Entry::Kept(old))), Entry::Kept(new)) => old.cursor >= new.cursor,
            _ => false,
        };
        if newer_kept {
            return;
        }
        inner.clock += 1;
        let (now, added) = (inner.clock, size(&entry));
        if let Some((_, old)) = inner.entries.insert(ws.clone(), (now, entry)) {
            inner.total -= size(&old);
        }
        inner.total += added;
        while inner.total > self.max_elements || inner.entries.len() > MAX_BOARDS {
            let Some(oldest) = inner.entries.iter().min_by_key(|(_, (used, _))| *used).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some((_, gone)) = inner.entries.remove(&oldest) {
                inner.total -= size(&gone);
            }
        }
    }
}
