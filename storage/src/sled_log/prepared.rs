//! A batch as the committer receives it: its records already encoded as
//! journal entries, CRC32C included, on the producer's thread.
//!
//! The committer is one thread for the whole log; everything it does per
//! record limits throughput. Encoding and checksumming depend on nothing
//! but the record, so [`PreparedBatch::prepare`] does them in
//! `SledLog::commit`, spread over the producers' threads, and the committer
//! only copies the bytes into journal blocks. The producer also frees the
//! payloads there, where they were allocated.

use crate::batch::{RowOp, WriteBatch};
use crate::codec::{addressed_record_len, encode_addressed_record, RECORD_HEADER_BYTES};
use crate::error::LogError;
use crate::types::{Seq, StreamId};
use crate::validate::check_sizes;

/// One record of a prepared batch: its address and where its journal entry
/// and frame lie in [`PreparedBatch::entries`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntryMeta {
    pub(crate) stream: StreamId,
    pub(crate) seq: Seq,
    /// Bytes of the whole entry (address varints and frame).
    pub(crate) entry_len: usize,
    /// Bytes of the frame, the entry's tail.
    pub(crate) frame_len: usize,
}

/// A [`WriteBatch`] whose sizes are checked and whose records are encoded.
///
/// The first record's metadata is held inline: most batches (one engine
/// transition) carry one record, and a `Vec` would cost an allocation on
/// the producer and a `free` on the committer for each of them.
#[derive(Debug, Default)]
pub(crate) struct PreparedBatch {
    first: Option<EntryMeta>,
    rest: Vec<EntryMeta>,
    /// The journal entries of `records`, back to back, in order.
    pub(crate) entries: Vec<u8>,
    pub(crate) rows: Vec<RowOp>,
}

impl PreparedBatch {
    /// Checks the sizes of `batch` (row keys and values, payloads) and
    /// encodes its records. Sequence numbers are checked by the committer,
    /// which alone knows every stream's last one.
    pub(crate) fn prepare(batch: WriteBatch) -> Result<PreparedBatch, LogError> {
        check_sizes(&batch)?;
        let (records, rows) = batch.into_parts();
        let capacity = records.iter().map(addressed_record_len).sum();
        let mut entries = Vec::with_capacity(capacity);
        let mut first = None;
        let mut rest = Vec::with_capacity(records.len().saturating_sub(1));
        for record in &records {
            let start = entries.len();
            encode_addressed_record(&mut entries, record);
            let meta = EntryMeta {
                stream: record.stream,
                seq: record.seq,
                entry_len: entries.len() - start,
                frame_len: RECORD_HEADER_BYTES + record.payload.len(),
            };
            match first {
                None => first = Some(meta),
                Some(_) => rest.push(meta),
            }
        }
        Ok(PreparedBatch {
            first,
            rest,
            entries,
            rows,
        })
    }

    /// The records' metadata, in order.
    pub(crate) fn records(&self) -> impl Iterator<Item = &EntryMeta> {
        self.first.iter().chain(&self.rest)
    }

    /// The journal entries of the records, one slice each, in order.
    pub(crate) fn entry_slices(&self) -> impl Iterator<Item = (&EntryMeta, &[u8])> {
        let mut offset = 0;
        self.records().map(move |meta| {
            let entry = &self.entries[offset..offset + meta.entry_len];
            offset += meta.entry_len;
            (meta, entry)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::decode_addressed_record;
    use crate::types::{Keyspace, RecordKind};
    use crate::validate::RECORD_PAYLOAD_BYTES_MAX;

    #[test]
    fn entries_decode_back_to_the_records() {
        let mut batch = WriteBatch::new();
        batch.append(StreamId(300), Seq(1), RecordKind(2), b"first".to_vec());
        batch.append(StreamId(1), Seq(99_999), RecordKind(3), Vec::new());
        batch.put(Keyspace(1), b"k".to_vec(), b"v".to_vec());
        let expected = batch.records().to_vec();
        let prepared = PreparedBatch::prepare(batch).expect("valid batch");
        assert_eq!(prepared.rows.len(), 1);
        let decoded: Vec<_> = prepared
            .entry_slices()
            .map(|(meta, entry)| {
                let (record, used) = decode_addressed_record(entry).expect("valid entry");
                assert_eq!(
                    (used, meta.stream, meta.seq),
                    (entry.len(), record.stream, record.seq)
                );
                assert_eq!(meta.frame_len, 10 + record.payload.len());
                record
            })
            .collect();
        assert_eq!(decoded, expected);
    }

    #[test]
    fn an_oversized_payload_is_refused_before_encoding() {
        let mut batch = WriteBatch::new();
        batch.append(
            StreamId(1),
            Seq(1),
            RecordKind(0),
            vec![0; RECORD_PAYLOAD_BYTES_MAX + 1],
        );
        let err = PreparedBatch::prepare(batch).expect_err("too large");
        assert!(matches!(
            err,
            LogError::TooLarge {
                limit: RECORD_PAYLOAD_BYTES_MAX,
                ..
            }
        ));
    }
}
