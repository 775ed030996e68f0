//! [`Window`]: the children of a map run from its watermark on, one byte of
//! status and the item count each, plus live counters. Children below the
//! watermark are only counters (in the row), so memory follows the span of
//! unfinished children, not the item count.

use std::collections::VecDeque;

use super::record::{Ended, MapRunRow};
use crate::interpreter::Completion;

/// Created, not started (waits for a concurrency slot).
pub(crate) const PENDING: u8 = 0;
/// Started, not ended.
pub(crate) const RUNNING: u8 = 1;
/// Ended: succeeded.
pub(crate) const SUCCEEDED: u8 = 2;
/// Ended: failed.
pub(crate) const FAILED: u8 = 3;
/// Ended: timed out.
pub(crate) const TIMED_OUT: u8 = 4;
/// Ended: aborted.
pub(crate) const ABORTED: u8 = 5;

/// The window status of a child that ended with `completion`.
pub(crate) fn status_code(completion: &Completion) -> u8 {
    match completion {
        Completion::Succeeded(_) => SUCCEEDED,
        Completion::Failed { .. } => FAILED,
        Completion::TimedOut => TIMED_OUT,
        Completion::Aborted { .. } => ABORTED,
    }
}

#[derive(Debug, Default)]
pub(crate) struct Window {
    /// Index of the first child in `slots` (the row's watermark).
    base: u64,
    /// (status, items) per child from `base`.
    slots: VecDeque<(u8, u32)>,
    /// Every child (settled or not) that ended, by outcome.
    pub ended: Ended,
    /// Their items.
    pub ended_items: Ended,
    /// Children started and not ended.
    pub running: u64,
    /// Items of the running children.
    pub running_items: u64,
    /// Items of the pending children.
    pub pending_items: u64,
    /// Children created and not started, oldest first.
    pub pending: VecDeque<u64>,
    /// EXPRESS: (inputs record seq, child index after its last child) of
    /// the inputs records that may still hold an unfinished child.
    pub input_ranges: VecDeque<(u64, u64)>,
}

impl Window {
    /// An empty window above the row's watermark, counting what it settled.
    pub(crate) fn after(row: &MapRunRow) -> Window {
        Window {
            base: row.watermark,
            ended: row.settled,
            ended_items: row.settled_items,
            ..Window::default()
        }
    }

    /// Index of the next child to add.
    pub(crate) fn next_index(&self) -> u64 {
        self.base + self.slots.len() as u64
    }

    /// Adds the next child with `status` and `items` items.
    pub(crate) fn push(&mut self, status: u8, items: u32) {
        let index = self.next_index();
        self.slots.push_back((status, items));
        match status {
            PENDING => {
                self.pending.push_back(index);
                self.pending_items += u64::from(items);
            }
            RUNNING => {
                self.running += 1;
                self.running_items += u64::from(items);
            }
            _ => {
                self.ended.add(status, 1);
                self.ended_items.add(status, u64::from(items));
            }
        }
    }

    /// The status of child `index`, if it is in the window.
    #[cfg(test)]
    pub(crate) fn status(&self, index: u64) -> Option<u8> {
        self.status_of_slot(index)
    }

    /// A pending child (already taken off `pending`) was started.
    pub(crate) fn started(&mut self, index: u64) {
        if self.set(index, RUNNING) == Some(PENDING) {
            let items = u64::from(self.items(index));
            self.running += 1;
            self.running_items += items;
            self.pending_items = self.pending_items.saturating_sub(items);
        }
    }

    /// Child `index` ended with `status`; false if it was not running or
    /// pending (a duplicate report).
    pub(crate) fn ended(&mut self, index: u64, status: u8) -> bool {
        let items = self.items(index);
        match self.set(index, status) {
            Some(RUNNING) => {
                self.running = self.running.saturating_sub(1);
                self.running_items = self.running_items.saturating_sub(u64::from(items));
            }
            Some(PENDING) => {
                self.pending.retain(|&i| i != index);
                self.pending_items = self.pending_items.saturating_sub(u64::from(items));
            }
            Some(old) => {
                // Already ended: keep the first outcome.
                self.set(index, old);
                return false;
            }
            None => return false,
        }
        self.ended.add(status, 1);
        self.ended_items.add(status, u64::from(items));
        true
    }

    /// A pending child already taken off `pending` (to be started) turned
    /// out to have ended before a crash, with `status`; false if it was
    /// not pending.
    pub(crate) fn ended_unqueued(&mut self, index: u64, status: u8) -> bool {
        if self.status_of_slot(index) != Some(PENDING) {
            return false;
        }
        let items = self.items(index);
        self.set(index, status);
        self.pending_items = self.pending_items.saturating_sub(u64::from(items));
        self.ended.add(status, 1);
        self.ended_items.add(status, u64::from(items));
        true
    }

    /// Moves the ended prefix below a new watermark into the row's settled
    /// counters.
    pub(crate) fn settle(&mut self, row: &mut MapRunRow) {
        while let Some(&(status, items)) = self.slots.front() {
            if status == PENDING || status == RUNNING {
                break;
            }
            row.settled.add(status, 1);
            row.settled_items.add(status, u64::from(items));
            self.slots.pop_front();
            self.base += 1;
        }
        row.watermark = self.base;
        while self
            .input_ranges
            .front()
            .is_some_and(|&(_, end)| end <= self.base)
        {
            self.input_ranges.pop_front();
        }
        row.input_floor = self
            .input_ranges
            .front()
            .map_or(row.input_records + 1, |&(seq, _)| seq);
    }

    /// Indexes of the running children.
    pub(crate) fn running_indexes(&self) -> Vec<u64> {
        self.indexes_with(RUNNING)
    }

    fn indexes_with(&self, wanted: u8) -> Vec<u64> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| slot.0 == wanted)
            .map(|(offset, _)| self.base + offset as u64)
            .collect()
    }

    fn status_of_slot(&self, index: u64) -> Option<u8> {
        let offset = usize::try_from(index.checked_sub(self.base)?).ok()?;
        self.slots.get(offset).map(|slot| slot.0)
    }

    fn items(&self, index: u64) -> u32 {
        let offset = index.saturating_sub(self.base) as usize;
        self.slots.get(offset).map_or(0, |slot| slot.1)
    }

    fn set(&mut self, index: u64, status: u8) -> Option<u8> {
        let offset = usize::try_from(index.checked_sub(self.base)?).ok()?;
        let slot = self.slots.get_mut(offset)?;
        Some(std::mem::replace(&mut slot.0, status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watermark_moves_over_the_ended_prefix_only() {
        let mut window = Window::default();
        window.push(RUNNING, 1);
        window.push(RUNNING, 2);
        window.push(PENDING, 1);
        assert_eq!(window.running, 2);
        assert!(window.ended(1, FAILED));
        assert!(!window.ended(1, SUCCEEDED), "a second report is ignored");
        assert_eq!(window.ended.failed, 1);
        assert_eq!(window.ended_items.failed, 2);
        assert!(window.ended(0, SUCCEEDED));
        assert_eq!(window.pending.pop_front(), Some(2));
        window.started(2);
        assert_eq!(window.running, 1);
        assert!(window.pending.is_empty());
        assert_eq!(window.status(2), Some(RUNNING));
        assert_eq!(window.running_indexes(), vec![2]);
    }

    #[test]
    fn a_pending_child_found_ended_at_its_start_counts_once() {
        let mut window = Window::default();
        window.push(PENDING, 2);
        window.push(PENDING, 1);
        assert_eq!(window.pending.pop_front(), Some(0));
        assert!(window.ended_unqueued(0, FAILED));
        assert!(!window.ended_unqueued(0, SUCCEEDED), "counted once");
        assert_eq!((window.ended.failed, window.ended_items.failed), (1, 2));
        assert_eq!(window.pending_items, 1);
        assert_eq!(window.pending, [1]);
        assert_eq!(window.status(0), Some(FAILED));
    }
}
