//! Map run keys and child execution ids.
//!
//! A map run is named by its parent execution, the id of the Map state's
//! `MapStateEntered` event and the state's attempt ([`MapRunKey`]; a Retry
//! of the Map state starts a new run with the next attempt). All three are
//! fixed by the parent's recorded transitions, so a replayed parent finds
//! the same run. Its ARN carries them: `shoal:mapRun:<state machine>/<Label
//! or state>:<parent 16 hex>-<event 8 hex>` for attempt 0 (the form runs
//! had before retries started new runs, so their rows and ARNs still
//! match), with `-<attempt 4 hex>` appended for a later attempt.
//!
//! Child ids are computed, not allocated one by one: bit 63 set, then the
//! run's number (allocated once per run), then the child's index
//! ([`CHILD_INDEX_BITS`] bits). So "which children exist" is the map run
//! row's `next_child`, and no per-child index row is written.

use crate::history::ExecutionId;

/// Bits of a child id that hold the child's index (268,435,456 children per
/// run, above Step Functions' 100,000,000-item limit).
pub const CHILD_INDEX_BITS: u32 = 28;
const CHILD_BIT: u64 = 1 << 63;
const INDEX_MASK: u64 = (1 << CHILD_INDEX_BITS) - 1;
/// Largest run number that fits beside the index and the EXPRESS flag.
pub(crate) const RUN_NUMBER_MAX: u64 = (1 << (62 - CHILD_INDEX_BITS)) - 1;
/// Set in the run number of a run with EXPRESS children, so their ids
/// carry bit 62 and the driver knows not to record their transitions.
pub(crate) const EXPRESS_RUN: u64 = 1 << (62 - CHILD_INDEX_BITS);
/// The child index reserved for the stream of an EXPRESS run's inputs.
pub(crate) const INPUTS_INDEX: u64 = INDEX_MASK;

/// Identifies a map run: its parent execution, the event id of the Map
/// state's `MapStateEntered` and the state's attempt (0, then one more per
/// Retry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MapRunKey {
    /// The parent execution.
    pub parent: ExecutionId,
    /// `MapStateEntered`'s event id in the parent.
    pub entered_event: u64,
    /// The Map state's attempt: each Retry of the state starts a new run.
    pub attempt: u32,
}

impl MapRunKey {
    /// The row key: parent id then event id, both big-endian, then for an
    /// attempt above 0 the attempt (big-endian u32). So a prefix scan on
    /// the parent lists its runs in the order they started, and the runs of
    /// attempt 0 keep the 16-byte keys they had before retries existed.
    pub fn row_key(self) -> Vec<u8> {
        let mut key = Vec::with_capacity(20);
        key.extend_from_slice(&self.parent.0.to_be_bytes());
        key.extend_from_slice(&self.entered_event.to_be_bytes());
        if self.attempt > 0 {
            key.extend_from_slice(&self.attempt.to_be_bytes());
        }
        key
    }

    /// Reads a row key written by [`MapRunKey::row_key`].
    pub fn from_row_key(key: &[u8]) -> Option<MapRunKey> {
        let parent: [u8; 8] = key.get(..8)?.try_into().ok()?;
        let event: [u8; 8] = key.get(8..16)?.try_into().ok()?;
        let attempt = match key.len() {
            16 => 0,
            20 => u32::from_be_bytes(key.get(16..20)?.try_into().ok()?),
            _ => return None,
        };
        Some(MapRunKey {
            parent: ExecutionId(u64::from_be_bytes(parent)),
            entered_event: u64::from_be_bytes(event),
            attempt,
        })
    }

    /// The ARN's last part: `<parent 16 hex>-<event 8 hex>`, then
    /// `-<attempt 4 hex>` for an attempt above 0.
    pub fn arn_suffix(self) -> String {
        match self.attempt {
            0 => format!("{:016x}-{:08x}", self.parent.0, self.entered_event),
            attempt => format!(
                "{:016x}-{:08x}-{:04x}",
                self.parent.0, self.entered_event, attempt
            ),
        }
    }

    /// The key named by an ARN (its last `:`-separated part, as written by
    /// [`MapRunKey::arn_suffix`]).
    pub fn from_arn(arn: &str) -> Option<MapRunKey> {
        let tail = arn.rsplit(':').next()?;
        let (parent, rest) = tail.split_once('-')?;
        let (event, attempt) = match rest.split_once('-') {
            Some((event, attempt)) => (event, u32::from_str_radix(attempt, 16).ok()?),
            None => (rest, 0),
        };
        if parent.len() != 16 || event.is_empty() {
            return None;
        }
        Some(MapRunKey {
            parent: ExecutionId(u64::from_str_radix(parent, 16).ok()?),
            entered_event: u64::from_str_radix(event, 16).ok()?,
            attempt,
        })
    }
}

/// The id of child `index` of run number `run`.
pub(crate) fn child_id(run: u64, index: u64) -> ExecutionId {
    ExecutionId(CHILD_BIT | (run << CHILD_INDEX_BITS) | (index & INDEX_MASK))
}

/// True for the id of an EXPRESS child: its transitions are not recorded,
/// only its outcome (by its map run).
pub fn is_express_child(id: ExecutionId) -> bool {
    is_child(id) && id.0 & (EXPRESS_RUN << CHILD_INDEX_BITS) != 0
}

/// True for the id of a map run's child execution.
pub fn is_child(id: ExecutionId) -> bool {
    id.0 & CHILD_BIT != 0
}

/// The run number and child index of a child id.
pub(crate) fn split_child(id: ExecutionId) -> Option<(u64, u64)> {
    is_child(id).then_some(((id.0 & !CHILD_BIT) >> CHILD_INDEX_BITS, id.0 & INDEX_MASK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_ids_round_trip_and_never_collide_with_top_level_ids() {
        let id = child_id(7, 123_456);
        assert!(is_child(id));
        assert_eq!(split_child(id), Some((7, 123_456)));
        assert!(!is_child(ExecutionId(42)));
        assert_eq!(split_child(ExecutionId(42)), None);
        assert!(child_id(1, 0) < child_id(1, 1) && child_id(1, INDEX_MASK) < child_id(2, 0));
    }

    #[test]
    fn keys_round_trip_through_row_keys_and_arns() {
        let key = MapRunKey {
            parent: ExecutionId(0xabc),
            entered_event: 17,
            attempt: 0,
        };
        assert_eq!(key.row_key().len(), 16, "attempt 0 keeps the old key");
        assert_eq!(MapRunKey::from_row_key(&key.row_key()), Some(key));
        let arn = "shoal:mapRun:sm/Label:0000000000000abc-00000011";
        assert_eq!(format!("shoal:mapRun:sm/Label:{}", key.arn_suffix()), arn);
        assert_eq!(MapRunKey::from_arn(arn), Some(key));
        assert_eq!(MapRunKey::from_arn("nonsense"), None);
        assert_eq!(MapRunKey::from_arn("a:0000000000000abc-11-zz"), None);
        assert_eq!(MapRunKey::from_row_key(&[1, 2]), None);
        assert_eq!(MapRunKey::from_row_key(&[0; 18]), None);
    }

    #[test]
    fn later_attempts_get_their_own_keys_sorted_after_the_first() {
        let first = MapRunKey {
            parent: ExecutionId(0xabc),
            entered_event: 17,
            attempt: 0,
        };
        let retry = MapRunKey {
            attempt: 2,
            ..first
        };
        assert_eq!(MapRunKey::from_row_key(&retry.row_key()), Some(retry));
        assert_eq!(retry.arn_suffix(), "0000000000000abc-00000011-0002");
        let arn = format!("shoal:mapRun:sm/Map:{}", retry.arn_suffix());
        assert_eq!(MapRunKey::from_arn(&arn), Some(retry));
        assert!(first.row_key() < retry.row_key());
        let next_state = MapRunKey {
            entered_event: 18,
            ..first
        };
        assert!(retry.row_key() < next_state.row_key());
    }
}
