//! The map run row ([`MapRunRow`]): everything about a map run that is not
//! in its children's streams, rewritten in the same commit as each
//! dispatch, and its codec.
//!
//! Byte layout: `[1][JSON(MapRunRow)]` in keyspace [`MAP_RUNS`] under
//! [`MapRunKey::row_key`](super::ids::MapRunKey::row_key). JSON because the
//! reader checkpoint is a serde value and the row is small (a few hundred
//! bytes whatever the item count).

use serde::{Deserialize, Serialize};
use shoal_readers::Checkpoint;
use shoal_storage::Keyspace;

use crate::store::StoreError;

/// Map run rows.
pub const MAP_RUNS: Keyspace = Keyspace(6);
/// Map runs not ended: key the row key, empty value. Put when a run is
/// created or redriven, deleted with its final row, so recovery finds a
/// run left RUNNING by a crash after its parent ended (and aborts it)
/// without scanning every map run.
pub const OPEN_MAP_RUNS: Keyspace = Keyspace(7);
/// Meta row: the next map run number (u64 BE), in `store::keys::META`.
pub const NEXT_MAP_RUN: &[u8] = b"next_map_run";
const ROW_FORMAT_VERSION: u8 = 1;

/// A map run's status, as Step Functions names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MapRunStatus {
    /// Children are being dispatched or are running.
    Running,
    /// Every child ended and the failures stayed within the tolerance.
    Succeeded,
    /// The tolerance was exceeded, the reader or the result failed.
    Failed,
    /// The parent execution was stopped.
    Aborted,
}

impl MapRunStatus {
    /// `"RUNNING"`, `"SUCCEEDED"`, `"FAILED"`, `"ABORTED"`.
    pub fn name(self) -> &'static str {
        match self {
            MapRunStatus::Running => "RUNNING",
            MapRunStatus::Succeeded => "SUCCEEDED",
            MapRunStatus::Failed => "FAILED",
            MapRunStatus::Aborted => "ABORTED",
        }
    }
}

/// Children (or items) that ended, by how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ended {
    /// Succeeded.
    pub succeeded: u64,
    /// Failed.
    pub failed: u64,
    /// Timed out.
    pub timed_out: u64,
    /// Aborted.
    pub aborted: u64,
}

impl Ended {
    /// Failed, timed out or aborted: what the tolerance counts.
    pub fn failures(&self) -> u64 {
        self.failed + self.timed_out + self.aborted
    }

    /// Every ended one.
    pub fn total(&self) -> u64 {
        self.succeeded + self.failures()
    }

    pub(crate) fn add(&mut self, status: u8, count: u64) {
        match status {
            super::window::SUCCEEDED => self.succeeded += count,
            super::window::FAILED => self.failed += count,
            super::window::TIMED_OUT => self.timed_out += count,
            super::window::ABORTED => self.aborted += count,
            _ => {}
        }
    }
}

/// The durable state of one map run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapRunRow {
    /// The ARN.
    pub arn: String,
    /// The run number (the middle bits of its children's ids).
    pub run: u64,
    /// The parent execution's id.
    pub parent: u64,
    /// The Map state's name.
    pub state: String,
    /// `Label`.
    pub label: Option<String>,
    /// Content hash of the item processor definition.
    pub processor_hash: String,
    /// The state machine name the children report.
    pub child_state_machine: String,
    /// EXPRESS children.
    pub express: bool,
    /// The status.
    pub status: MapRunStatus,
    /// When the run was created, ms since the epoch.
    pub started_ms: i64,
    /// When it ended.
    pub stopped_ms: Option<i64>,
    /// MaxConcurrency in force (resolved: never 0).
    pub max_concurrency: u32,
    /// ToleratedFailureCount in force.
    pub tolerated_failure_count: Option<u64>,
    /// ToleratedFailurePercentage in force.
    pub tolerated_failure_percentage: Option<f64>,
    /// The reader's checkpoint after the last dispatched item.
    pub checkpoint: Option<Checkpoint>,
    /// True once the reader has no more items.
    pub exhausted: bool,
    /// Items read and dispatched (the next item's index).
    pub items_read: u64,
    /// Children created (the next child's index).
    pub next_child: u64,
    /// Every child below this index has ended and is counted in `settled`.
    pub watermark: u64,
    /// Children below the watermark, by outcome.
    pub settled: Ended,
    /// Items of the children below the watermark, by outcome.
    pub settled_items: Ended,
    /// EXPRESS runs: inputs records written (one per dispatch).
    #[serde(default)]
    pub input_records: u64,
    /// EXPRESS runs: the first inputs record that may hold a child not
    /// yet ended (recovery reads from here).
    #[serde(default)]
    pub input_floor: u64,
    /// How many times the run was redriven.
    #[serde(default)]
    pub redrive_count: u32,
    /// When it was last redriven, ms since the epoch.
    #[serde(default)]
    pub redriven_ms: Option<i64>,
    /// Why the run failed or was aborted.
    pub error: Option<String>,
    /// The cause.
    pub cause: Option<String>,
}

/// Encodes a row.
pub fn encode_row(row: &MapRunRow) -> Vec<u8> {
    let mut out = vec![ROW_FORMAT_VERSION];
    // Strings, numbers and a serde checkpoint always serialise.
    if let Ok(body) = serde_json::to_vec(row) {
        out.extend_from_slice(&body);
    }
    out
}

/// Decodes a row; `location` names it for the error.
pub fn decode_row(bytes: &[u8], location: &str) -> Result<MapRunRow, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "map run row",
        location: location.to_string(),
        detail,
    };
    match bytes.split_first() {
        Some((&ROW_FORMAT_VERSION, body)) => {
            serde_json::from_slice(body).map_err(|e| corrupt(e.to_string()))
        }
        Some((version, _)) => Err(corrupt(format!("unknown format version {version}"))),
        None => Err(corrupt("empty value".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_and_damage_names_the_row() {
        let row = MapRunRow {
            arn: "a".into(),
            run: 3,
            parent: 9,
            state: "M".into(),
            label: None,
            processor_hash: "h".into(),
            child_state_machine: "sm/M".into(),
            express: false,
            status: MapRunStatus::Running,
            started_ms: 1,
            stopped_ms: None,
            max_concurrency: 10,
            tolerated_failure_count: Some(2),
            tolerated_failure_percentage: None,
            checkpoint: Some(Checkpoint::start()),
            exhausted: false,
            items_read: 5,
            next_child: 5,
            watermark: 2,
            settled: Ended::default(),
            settled_items: Ended::default(),
            input_records: 0,
            input_floor: 1,
            redrive_count: 1,
            redriven_ms: Some(3),
            error: None,
            cause: None,
        };
        let bytes = encode_row(&row);
        assert_eq!(decode_row(&bytes, "k").expect("round trip"), row);
        let err = decode_row(&[7, b'{'], "run-7").expect_err("version 7");
        assert!(err.to_string().contains("run-7"), "{err}");
        assert!(decode_row(&[], "k").is_err());
    }
}
