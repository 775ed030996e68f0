//! The execution index row, typed reads of streams, and the store's error.

use shoal_storage::{EventLog, LogError, Seq, StreamId};

use super::records::{decode_transition, TransitionRecord};
use crate::history::ExecutionId;

/// Records read per `read_stream` call when replaying a stream.
const READ_PAGE_RECORDS: usize = 1024;

/// Where a stored value could not be used.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The log refused or failed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// A stored record or row could not be decoded.
    #[error("corrupt {what} at {location}: {detail}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// The key or stream position.
        location: String,
        /// What is wrong with it.
        detail: String,
    },
}

/// The index row of one execution. Its status is in the key; the row holds
/// what listing and describing need without reading the stream.
///
/// Byte layout: `[2][bincode 2 standard(ExecutionRow)]`; version 1 (still
/// read) lacked the two redrive fields.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct ExecutionRow {
    /// The execution's name.
    pub name: String,
    /// The state machine it runs.
    pub state_machine: String,
    /// When it started, ms since the epoch.
    pub started_ms: i64,
    /// When it ended, ms since the epoch.
    pub stopped_ms: Option<i64>,
    /// How many times it was redriven.
    pub redrive_count: u32,
    /// When it was last redriven, ms since the epoch.
    pub redriven_ms: Option<i64>,
}

/// Version 1 of the row, before redrive.
#[derive(bincode::Decode)]
struct ExecutionRowV1 {
    name: String,
    state_machine: String,
    started_ms: i64,
    stopped_ms: Option<i64>,
}

const ROW_FORMAT_VERSION: u8 = 2;

/// Encodes an index row.
pub fn encode_execution_row(row: &ExecutionRow) -> Vec<u8> {
    let mut out = vec![ROW_FORMAT_VERSION];
    // Strings and integers always encode; an error would be a bincode bug.
    if let Ok(body) = bincode::encode_to_vec(row, bincode::config::standard()) {
        out.extend_from_slice(&body);
    }
    out
}

/// Decodes an index row; `location` names the key for the error.
pub fn decode_execution_row(bytes: &[u8], location: &str) -> Result<ExecutionRow, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "execution row",
        location: location.to_string(),
        detail,
    };
    let config = shoal_storage::codec::decode_config();
    match bytes.split_first() {
        Some((&ROW_FORMAT_VERSION, body)) => {
            let (row, used) =
                bincode::decode_from_slice(body, config).map_err(|err| corrupt(err.to_string()))?;
            if used != body.len() {
                return Err(corrupt(format!("{} trailing bytes", body.len() - used)));
            }
            Ok(row)
        }
        Some((1, body)) => {
            let (row, used): (ExecutionRowV1, usize) =
                bincode::decode_from_slice(body, config).map_err(|err| corrupt(err.to_string()))?;
            if used != body.len() {
                return Err(corrupt(format!("{} trailing bytes", body.len() - used)));
            }
            Ok(ExecutionRow {
                name: row.name,
                state_machine: row.state_machine,
                started_ms: row.started_ms,
                stopped_ms: row.stopped_ms,
                redrive_count: 0,
                redriven_ms: None,
            })
        }
        Some((version, _)) => Err(corrupt(format!("unknown format version {version}"))),
        None => Err(corrupt("empty value".into())),
    }
}

/// Every transition record of `id`'s stream, in order. Sequence numbers
/// must run 1, 2, 3… without gaps; anything else is corruption.
pub fn read_transitions(
    log: &dyn EventLog,
    id: ExecutionId,
) -> Result<Vec<TransitionRecord>, StoreError> {
    let stream = StreamId(id.0);
    let mut out = Vec::new();
    let mut next = 1u64;
    loop {
        let page = log.read_stream(stream, Seq(next), READ_PAGE_RECORDS)?;
        let count = page.len();
        for record in page {
            let location = format!("{stream} {}", record.seq);
            if record.seq != Seq(next) {
                return Err(StoreError::Corrupt {
                    what: "transition record",
                    location,
                    detail: format!("expected seq {next}"),
                });
            }
            let transition =
                decode_transition(&record.payload).map_err(|detail| StoreError::Corrupt {
                    what: "transition record",
                    location,
                    detail,
                })?;
            out.push(transition);
            next += 1;
        }
        if count < READ_PAGE_RECORDS {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_and_bad_rows_name_their_key() {
        let row = ExecutionRow {
            name: "n".into(),
            state_machine: "sm".into(),
            started_ms: 5,
            stopped_ms: Some(9),
            redrive_count: 2,
            redriven_ms: Some(8),
        };
        let bytes = encode_execution_row(&row);
        let decoded = decode_execution_row(&bytes, "k").expect("round trip");
        assert_eq!(decoded, row);
        let mut bad = bytes;
        bad[0] = 7;
        let err = decode_execution_row(&bad, "key-7").expect_err("version 7");
        assert!(err.to_string().contains("key-7"), "{err}");
        assert!(decode_execution_row(&[], "k").is_err());
    }

    #[test]
    fn version_1_rows_decode_without_redrives() {
        let mut bytes = vec![1u8];
        let old = ("n".to_string(), "sm".to_string(), 5i64, Some(9i64));
        bytes.extend(bincode::encode_to_vec(&old, bincode::config::standard()).expect("encodes"));
        let row = decode_execution_row(&bytes, "k").expect("v1 decodes");
        assert_eq!(row.name, "n");
        assert_eq!(row.stopped_ms, Some(9));
        assert_eq!((row.redrive_count, row.redriven_ms), (0, None));
    }

    /// The `record_decode` fuzz target's finding, for index rows: a name
    /// whose stored length is 2^60 is a corrupt row, not a panic.
    #[test]
    fn a_corrupt_length_is_an_error_not_a_panic() {
        let bytes = [1, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0x10, b'n'];
        let err = decode_execution_row(&bytes, "key-9").expect_err("a 2^60-byte name");
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("key-9"), "{err}");
    }
}
