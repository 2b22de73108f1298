//! Exactly-once bookkeeping for runs whose writers tag every event with a sequence number.
//!
//! Writes go round-robin over the workspaces (sequence number `seq` goes to workspace
//! `seq % workspaces`), and a workspace's cursors are dense (1, 2, 3, …; the contract). The
//! [`Ledger`] records which writes were acknowledged and, as subscribers report them, which
//! cursor carried which sequence number: two subscribers that disagree about a cursor, or a
//! sequence number seen at two cursors, is a fault. Each subscriber keeps a [`Track`]: its
//! cursors must go up by exactly one, across reconnects. Together: a subscriber whose track is
//! clean and spans from the workspace's first event to at least the cursor of every write
//! acknowledged before it was checked received each of those events exactly once, in order.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

pub struct Ledger {
    workspaces: usize,
    /// Per workspace, indexed by cursor: the sequence number + 1 seen there (0: not seen yet).
    by_cursor: Vec<Vec<AtomicU64>>,
    /// Indexed by sequence number: the cursor it was seen at (0: not seen yet).
    cursor_of: Vec<AtomicI64>,
    acked: Vec<AtomicBool>,
    faults: Faults,
}

/// Fault messages: all counted, the first few kept.
#[derive(Default)]
pub struct Faults {
    count: AtomicU64,
    first: Mutex<Vec<String>>,
}

impl Faults {
    pub fn add(&self, what: String) {
        self.count.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut first) = self.first.lock() {
            if first.len() < 10 {
                first.push(what);
            }
        }
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    pub fn first(&self) -> Vec<String> {
        self.first.lock().map(|f| f.clone()).unwrap_or_default()
    }
}

impl Ledger {
    /// Room for `max_writes` writes; a workspace's log may also hold `extra` events of its own
    /// (collaborators added when it was seeded).
    pub fn new(workspaces: usize, max_writes: usize, extra: usize) -> Self {
        let per_workspace = max_writes / workspaces.max(1) + extra + 2;
        Ledger {
            workspaces,
            by_cursor: (0..workspaces).map(|_| (0..per_workspace).map(|_| AtomicU64::new(0)).collect()).collect(),
            cursor_of: (0..max_writes).map(|_| AtomicI64::new(0)).collect(),
            acked: (0..max_writes).map(|_| AtomicBool::new(false)).collect(),
            faults: Faults::default(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.acked.len()
    }

    pub fn workspace_of(&self, seq: u64) -> usize {
        seq as usize % self.workspaces
    }

    pub fn ack(&self, seq: u64) {
        if let Some(a) = self.acked.get(seq as usize) {
            a.store(true, Ordering::Relaxed);
        }
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// A subscriber of workspace `ws` received sequence number `seq` at `cursor`.
    pub fn observe(&self, ws: usize, cursor: i64, seq: u64) {
        if self.workspace_of(seq) != ws {
            return self
                .faults
                .add(format!("workspace {ws} delivered write {seq} of workspace {}", self.workspace_of(seq)));
        }
        let (Some(slot), Some(at)) = (self.by_cursor[ws].get(cursor.max(0) as usize), self.cursor_of.get(seq as usize))
        else {
            return self.faults.add(format!("workspace {ws}: cursor {cursor} or write {seq} out of range"));
        };
        match slot.compare_exchange(0, seq + 1, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => {
                if let Err(other) = at.compare_exchange(0, cursor, Ordering::AcqRel, Ordering::Acquire) {
                    self.faults.add(format!("write {seq} seen at cursors {other} and {cursor}"));
                }
            }
            Err(other) if other != seq + 1 => self.faults.add(format!(
                "workspace {ws} cursor {cursor}: write {} for one subscriber, {seq} for another",
                other - 1
            )),
            Err(_) => {}
        }
    }

    /// The acknowledged writes of workspace `ws` so far.
    pub fn acked_in(&self, ws: usize) -> Vec<u64> {
        (ws..self.acked.len())
            .step_by(self.workspaces)
            .filter(|&s| self.acked[s].load(Ordering::Relaxed))
            .map(|s| s as u64)
            .collect()
    }

    /// The highest cursor among `seqs`; `Err(n)` while `n` of them were seen by nobody yet.
    pub fn last_cursor_of(&self, seqs: &[u64]) -> Result<Option<i64>, usize> {
        let cursors: Vec<i64> = seqs.iter().map(|&s| self.cursor_of[s as usize].load(Ordering::Acquire)).collect();
        match cursors.iter().filter(|&&c| c == 0).count() {
            0 => Ok(cursors.into_iter().max()),
            unseen => Err(unseen),
        }
    }

    /// The first cursor of workspace `ws` that carried a write (None if none was seen).
    pub fn first_cursor(&self, ws: usize) -> Option<i64> {
        self.by_cursor[ws].iter().position(|s| s.load(Ordering::Acquire) != 0).map(|c| c as i64)
    }

    /// The workspace-wide checks, once writing is over: every acknowledged write was seen, no
    /// write was seen that was not acknowledged, and no cursor between the first and the last
    /// went unseen. Returns (acknowledged, seen) and adds a fault per problem.
    pub fn settle(&self) -> (u64, u64) {
        let (mut acked, mut seen) = (0, 0);
        for (seq, a) in self.acked.iter().enumerate() {
            let is_acked = a.load(Ordering::Relaxed);
            let is_seen = self.cursor_of[seq].load(Ordering::Acquire) != 0;
            acked += u64::from(is_acked);
            seen += u64::from(is_seen);
            if is_acked && !is_seen {
                self.faults.add(format!("acknowledged write {seq} reached no subscriber"));
            }
            if is_seen && !is_acked {
                self.faults.add(format!("write {seq} was delivered but never acknowledged"));
            }
        }
        for (ws, slots) in self.by_cursor.iter().enumerate() {
            let filled: Vec<bool> = slots.iter().map(|s| s.load(Ordering::Acquire) != 0).collect();
            let (Some(first), Some(last)) = (filled.iter().position(|&f| f), filled.iter().rposition(|&f| f)) else {
                continue;
            };
            let holes = filled[first..=last].iter().filter(|&&f| !f).count();
            if holes > 0 {
                self.faults.add(format!("workspace {ws}: {holes} cursors between {first} and {last} reached nobody"));
            }
        }
        (acked, seen)
    }
}

/// One subscriber's cursors, across its reconnects.
#[derive(Debug, Default, Clone)]
pub struct Track {
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub count: u64,
    /// Cursors that did not follow the previous one by exactly one (duplicates, reordering or
    /// gaps), and the first few as (previous, received).
    pub breaks: u64,
    pub first_breaks: Vec<(i64, i64)>,
}

impl Track {
    pub fn receive(&mut self, cursor: i64) {
        match self.last {
            Some(last) if cursor != last + 1 => {
                self.breaks += 1;
                if self.first_breaks.len() < 3 {
                    self.first_breaks.push((last, cursor));
                }
            }
            Some(_) => {}
            None => self.first = Some(cursor),
        }
        self.last = Some(cursor);
        self.count += 1;
    }

    /// Where to resume after a disconnect.
    pub fn resume(&self, start: Option<i64>) -> Option<i64> {
        self.last.or(start)
    }
}
