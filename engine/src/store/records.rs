//! [`TransitionRecord`]: the payload of one record of an execution stream.

use shoal_storage::RecordKind;

use crate::history::HistoryEvent;
use crate::interpreter::StampedInput;

/// The record kind of a transition.
pub const TRANSITION_KIND: RecordKind = RecordKind(1);

/// First byte of every transition payload; bump when the layout changes
/// and keep a decoder for each older version (version 1: `records_v1`,
/// before `EventDetails::redrive_count`).
pub const RECORD_FORMAT_VERSION: u8 = 2;

/// One transition: what came in, and the history it wrote.
///
/// Byte layout: `[RECORD_FORMAT_VERSION][bincode 2 standard(TransitionRecord)]`.
#[derive(Debug, Clone, PartialEq, bincode::Encode, bincode::Decode)]
pub struct TransitionRecord {
    /// The input with its time and seed; replayed at recovery.
    pub input: StampedInput,
    /// The events the transition appended, for the history.
    pub events: Vec<HistoryEvent>,
}

/// What a record buffer starts with: most records (a Task transition's
/// is about 210 bytes) fit without growing.
const RECORD_CAPACITY_HINT_BYTES: usize = 256;

/// Encodes a record; fails only if bincode cannot encode the value.
pub fn encode_transition(
    record: &TransitionRecord,
) -> Result<Vec<u8>, bincode::error::EncodeError> {
    // Encoded straight after the version byte (no second buffer to copy
    // from); a typical record is a few hundred bytes.
    let mut out = Vec::with_capacity(RECORD_CAPACITY_HINT_BYTES);
    out.push(RECORD_FORMAT_VERSION);
    bincode::encode_into_std_write(record, &mut out, bincode::config::standard())?;
    Ok(out)
}

/// Decodes a payload written by [`encode_transition`]; the error says what
/// is wrong (unknown version, bad bincode, trailing bytes).
pub fn decode_transition(payload: &[u8]) -> Result<TransitionRecord, String> {
    let Some((&version, body)) = payload.split_first() else {
        return Err("empty payload".into());
    };
    if version == 1 {
        return super::records_v1::decode_v1(body);
    }
    if version != RECORD_FORMAT_VERSION {
        return Err(format!(
            "format version {version} is not supported (expected {RECORD_FORMAT_VERSION})"
        ));
    }
    let (record, used): (TransitionRecord, usize) =
        bincode::decode_from_slice(body, shoal_storage::codec::decode_config())
            .map_err(|err| err.to_string())?;
    if used != body.len() {
        return Err(format!("{} trailing bytes", body.len() - used));
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{EventDetails, EventId, HistoryEventType};
    use crate::interpreter::Input;

    fn sample() -> TransitionRecord {
        TransitionRecord {
            input: StampedInput {
                timestamp_ms: 1_700_000_000_000,
                seed: 42,
                input: Input::Continue { scope: vec![1, 2] },
            },
            events: vec![HistoryEvent {
                id: EventId(3),
                previous_event_id: EventId(2),
                timestamp_ms: 1_700_000_000_000,
                kind: HistoryEventType::PassStateExited,
                scope: vec![1, 2],
                details: EventDetails {
                    name: Some("P".into()),
                    output: Some("{\"a\":1}".into()),
                    ..EventDetails::default()
                },
            }],
        }
    }

    #[test]
    fn records_round_trip() {
        let bytes = encode_transition(&sample()).expect("encodable");
        assert_eq!(bytes[0], RECORD_FORMAT_VERSION);
        assert_eq!(decode_transition(&bytes), Ok(sample()));
    }

    #[test]
    fn damaged_records_are_errors() {
        let bytes = encode_transition(&sample()).expect("encodable");
        let mut wrong_version = bytes.clone();
        wrong_version[0] = 9;
        assert!(decode_transition(&wrong_version)
            .expect_err("version 9")
            .contains("format version 9"));
        assert!(decode_transition(&bytes[..bytes.len() - 3]).is_err());
        let mut trailing = bytes;
        trailing.push(0);
        assert!(decode_transition(&trailing)
            .expect_err("trailing")
            .contains("trailing"));
        assert!(decode_transition(&[]).is_err());
    }

    /// Found by the `record_decode` fuzz target (the input is kept in
    /// `fuzz/regressions/record_decode/`): a corrupt length inside the record
    /// made bincode panic with "capacity overflow" instead of failing.
    #[test]
    fn a_corrupt_length_is_an_error_not_a_panic() {
        let bytes = [
            0x01, 0x52, 0x00, 0x00, 0x00, 0xfd, 0xff, 0xf6, 0x02, 0x00, 0x00, 0x00, 0xfb, 0xf3,
            0xe5, 0x64, 0xad, 0x00, 0x00, 0x0b, 0x02, 0x94, 0x50, 0x5e, 0x61, 0x66, 0x1c, 0x65,
            0x72, 0x20, 0x03, 0x00, 0x00, 0x00, 0x1b, 0x99, 0x8b, 0x61, 0x20, 0x67, 0x61, 0x70,
        ];
        let err = decode_transition(&bytes).expect_err("a corrupt version-1 record");
        assert!(err.contains("LimitExceeded"), "{err}");
        let mut current = bytes;
        current[0] = RECORD_FORMAT_VERSION;
        let err = decode_transition(&current).expect_err("a corrupt current record");
        assert!(err.contains("LimitExceeded"), "{err}");
    }
}
