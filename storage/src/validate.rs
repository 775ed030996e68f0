//! Checks every backend applies to a batch before accepting it: size limits
//! and the single-writer sequence rule (contract item 4).

use crate::batch::{RowOp, WriteBatch};
use crate::error::LogError;
use crate::types::{Seq, StreamId};

/// The largest record payload any backend accepts, in bytes.
///
/// Bounded so a record's length always fits the codec's `u32` length field
/// with room to spare, and so one record cannot stall a group commit.
pub const RECORD_PAYLOAD_BYTES_MAX: usize = 16 * 1024 * 1024;

/// The largest state-row key any backend accepts, in bytes.
pub const ROW_KEY_BYTES_MAX: usize = 4 * 1024;

/// The largest state-row value any backend accepts, in bytes.
pub const ROW_VALUE_BYTES_MAX: usize = 16 * 1024 * 1024;

/// The new last sequence number of each stream a batch writes.
pub(crate) type StreamHeads = crate::stream_hash::StreamMap<Seq>;

/// Per-batch heads: a batch writes few streams, so a linear list beats a
/// hash map (no hashing, one small allocation).
pub(crate) type BatchHeads = Vec<(StreamId, Seq)>;

/// Validates `batch` and returns, per stream it writes, its highest sequence
/// number.
///
/// `last_seq` answers the highest sequence number already accepted for a
/// stream (durable or earlier in the same group). The batch is rejected with
/// [`LogError::SequenceConflict`] when a stream's sequence numbers do not
/// strictly increase within the batch or do not exceed `last_seq`, and with
/// [`LogError::TooLarge`] when a record or row is over its limit.
pub(crate) fn check_batch(
    batch: &WriteBatch,
    last_seq: impl FnMut(StreamId) -> Result<Option<Seq>, LogError>,
) -> Result<BatchHeads, LogError> {
    check_sizes(batch)?;
    let mut heads = BatchHeads::new();
    let addresses = batch.records().iter().map(|r| (r.stream, r.seq));
    check_sequences(addresses, last_seq, &mut heads)?;
    Ok(heads)
}

/// The size half of [`check_batch`]: every row key, row value and record
/// payload within its limit. Needs nothing but the batch, so `SledLog` runs
/// it on the producer's thread.
pub(crate) fn check_sizes(batch: &WriteBatch) -> Result<(), LogError> {
    check_rows(batch.rows())?;
    for record in batch.records() {
        if record.payload.len() > RECORD_PAYLOAD_BYTES_MAX {
            return Err(LogError::TooLarge {
                what: format!("payload of record {} {}", record.stream, record.seq),
                size: record.payload.len(),
                limit: RECORD_PAYLOAD_BYTES_MAX,
            });
        }
    }
    Ok(())
}

/// The sequence half of [`check_batch`], over the batch's record addresses
/// in append order; fills `heads` (cleared first, so the committer reuses
/// one buffer for every batch).
pub(crate) fn check_sequences(
    addresses: impl IntoIterator<Item = (StreamId, Seq)>,
    mut last_seq: impl FnMut(StreamId) -> Result<Option<Seq>, LogError>,
    heads: &mut BatchHeads,
) -> Result<(), LogError> {
    heads.clear();
    for (stream, seq) in addresses {
        let slot = heads.iter().position(|(head, _)| *head == stream);
        let previous = match slot {
            Some(index) => Some(heads[index].1),
            None => last_seq(stream)?,
        };
        if previous.is_some_and(|previous| seq <= previous) {
            return Err(LogError::SequenceConflict { stream, seq });
        }
        match slot {
            Some(index) => heads[index].1 = seq,
            None => heads.push((stream, seq)),
        }
    }
    Ok(())
}

fn check_rows(rows: &[RowOp]) -> Result<(), LogError> {
    for row in rows {
        let (space, key, value_len) = match row {
            RowOp::Put { space, key, value } => (space, key, value.len()),
            RowOp::Delete { space, key } => (space, key, 0),
        };
        if key.len() > ROW_KEY_BYTES_MAX {
            return Err(LogError::TooLarge {
                what: format!("key of a row in {space}"),
                size: key.len(),
                limit: ROW_KEY_BYTES_MAX,
            });
        }
        if value_len > ROW_VALUE_BYTES_MAX {
            return Err(LogError::TooLarge {
                what: format!("value of row {} in {space}", render_key(key)),
                size: value_len,
                limit: ROW_VALUE_BYTES_MAX,
            });
        }
    }
    Ok(())
}

/// Renders a row key for an error message: text when it is printable ASCII,
/// hex otherwise, cut to a readable length.
pub(crate) fn render_key(key: &[u8]) -> String {
    const SHOWN_BYTES_MAX: usize = 64;
    let shown = &key[..key.len().min(SHOWN_BYTES_MAX)];
    let mut out = if shown.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("{:?}", String::from_utf8_lossy(shown))
    } else {
        shown.iter().fold(String::from("0x"), |mut acc, b| {
            acc.push_str(&format!("{b:02x}"));
            acc
        })
    };
    if key.len() > SHOWN_BYTES_MAX {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::RecordKind;

    fn none(_: StreamId) -> Result<Option<Seq>, LogError> {
        Ok(None)
    }

    #[test]
    fn increasing_sequences_are_accepted_and_heads_reported() {
        let mut batch = WriteBatch::new();
        batch.append(StreamId(1), Seq(1), RecordKind(0), vec![]);
        batch.append(StreamId(2), Seq(7), RecordKind(0), vec![]);
        batch.append(StreamId(1), Seq(3), RecordKind(0), vec![]);
        let heads = check_batch(&batch, none).expect("valid batch");
        assert_eq!(heads, vec![(StreamId(1), Seq(3)), (StreamId(2), Seq(7))]);
    }

    #[test]
    fn repeated_sequence_within_a_batch_is_a_conflict() {
        let mut batch = WriteBatch::new();
        batch.append(StreamId(1), Seq(2), RecordKind(0), vec![]);
        batch.append(StreamId(1), Seq(2), RecordKind(0), vec![]);
        let err = check_batch(&batch, none).expect_err("repeated seq");
        assert!(matches!(
            err,
            LogError::SequenceConflict {
                stream: StreamId(1),
                seq: Seq(2)
            }
        ));
    }

    #[test]
    fn sequence_not_above_the_stored_head_is_a_conflict() {
        let mut batch = WriteBatch::new();
        batch.append(StreamId(4), Seq(5), RecordKind(0), vec![]);
        let err = check_batch(&batch, |_| Ok(Some(Seq(5)))).expect_err("seq equal to head");
        assert!(matches!(
            err,
            LogError::SequenceConflict {
                stream: StreamId(4),
                seq: Seq(5)
            }
        ));
    }

    #[test]
    fn oversized_row_key_is_rejected() {
        let mut batch = WriteBatch::new();
        batch.put(
            crate::types::Keyspace(1),
            vec![0u8; ROW_KEY_BYTES_MAX + 1],
            b"v".to_vec(),
        );
        let err = check_batch(&batch, none).expect_err("key too long");
        assert!(matches!(
            err,
            LogError::TooLarge {
                limit: ROW_KEY_BYTES_MAX,
                ..
            }
        ));
    }

    #[test]
    fn binary_keys_render_as_hex() {
        assert_eq!(render_key(&[0, 255]), "0x00ff");
        assert_eq!(render_key(b"exec/1"), "\"exec/1\"");
    }
}
