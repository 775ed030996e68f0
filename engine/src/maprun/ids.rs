//! Map run keys and child execution ids.
//!
//! A map run is named by its parent execution and the id of the Map state's
//! `MapStateEntered` event ([`MapRunKey`]): both are fixed by the parent's
//! recorded transition, so a replayed parent finds the same run. Its ARN
//! carries both: `shoal:mapRun:<state machine>/<Label or state>:<parent
//! 16 hex>-<event 8 hex>`.
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

/// Identifies a map run: its parent execution and the event id of the Map
/// state's `MapStateEntered`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MapRunKey {
    /// The parent execution.
    pub parent: ExecutionId,
    /// `MapStateEntered`'s event id in the parent.
    pub entered_event: u64,
}

impl MapRunKey {
    /// The row key: parent id then event id, both big-endian (so a prefix
    /// scan on the parent lists its runs in order).
    pub fn row_key(self) -> [u8; 16] {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&self.parent.0.to_be_bytes());
        key[8..].copy_from_slice(&self.entered_event.to_be_bytes());
        key
    }

    /// Reads a row key written by [`MapRunKey::row_key`].
    pub fn from_row_key(key: &[u8]) -> Option<MapRunKey> {
        let parent: [u8; 8] = key.get(..8)?.try_into().ok()?;
        let event: [u8; 8] = key.get(8..16)?.try_into().ok()?;
        Some(MapRunKey {
            parent: ExecutionId(u64::from_be_bytes(parent)),
            entered_event: u64::from_be_bytes(event),
        })
    }

    /// The key named by an ARN (its last `:`-separated part).
    pub fn from_arn(arn: &str) -> Option<MapRunKey> {
        let tail = arn.rsplit(':').next()?;
        let (parent, event) = tail.split_once('-')?;
        if parent.len() != 16 || event.is_empty() {
            return None;
        }
        Some(MapRunKey {
            parent: ExecutionId(u64::from_str_radix(parent, 16).ok()?),
            entered_event: u64::from_str_radix(event, 16).ok()?,
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
        };
        assert_eq!(MapRunKey::from_row_key(&key.row_key()), Some(key));
        let arn = "shoal:mapRun:sm/Label:0000000000000abc-00000011";
        assert_eq!(MapRunKey::from_arn(arn), Some(key));
        assert_eq!(MapRunKey::from_arn("nonsense"), None);
        assert_eq!(MapRunKey::from_row_key(&[1, 2]), None);
    }
}
