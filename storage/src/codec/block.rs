//! Journal blocks and stream chunks: many record frames under one sled key.

use super::record::{
    decode_addressed_record, decode_record_frame, encode_addressed_record, encode_record_frame,
    verify_record_frame,
};
use super::varint::{get_varint, put_varint};
use super::{take, CodecError, FORMAT_VERSION};
use crate::types::{Record, Seq, StreamId};

/// Type tag of a journal block.
pub const JOURNAL_BLOCK_TAG: u8 = b'J';
/// Type tag of a stream chunk.
pub const CHUNK_TAG: u8 = b'R';
/// Bytes of a block or chunk header.
pub const CONTAINER_HEADER_BYTES: usize = 6;

/// Builds one journal block: the records of one or more group commits, of
/// any streams, in commit order.
///
/// Layout (format version 1), integers big-endian:
///
/// | offset | size | field                                           |
/// |--------|------|-------------------------------------------------|
/// | 0      | 1    | format version, `1`                             |
/// | 1      | 1    | tag `b'J'`                                      |
/// | 2      | 4    | entry count `c`, `u32`, at least 1              |
/// | 6      | ...  | `c` addressed records: `stream` LEB128 ‖ `seq` LEB128 ‖ record frame |
///
/// The block ends exactly after its last entry. Each frame carries its own
/// CRC32C over its address and contents, so no block-wide checksum is needed.
#[derive(Debug)]
pub struct JournalBlockBuilder {
    bytes: Vec<u8>,
    count: u32,
}

impl Default for JournalBlockBuilder {
    fn default() -> Self {
        JournalBlockBuilder::new()
    }
}

impl JournalBlockBuilder {
    /// An empty block.
    pub fn new() -> JournalBlockBuilder {
        JournalBlockBuilder::with_capacity(4096)
    }

    /// An empty block with room for `bytes` bytes before it reallocates.
    pub fn with_capacity(bytes: usize) -> JournalBlockBuilder {
        let mut block = Vec::with_capacity(bytes.max(CONTAINER_HEADER_BYTES));
        block.extend_from_slice(&[FORMAT_VERSION, JOURNAL_BLOCK_TAG, 0, 0, 0, 0]);
        JournalBlockBuilder {
            bytes: block,
            count: 0,
        }
    }

    /// Adds `record` to the block.
    pub fn push(&mut self, record: &Record) {
        encode_addressed_record(&mut self.bytes, record);
        self.count += 1;
    }

    /// Appends one addressed record that is already encoded (by
    /// [`encode_addressed_record`], e.g. on the producer's thread), copying
    /// its bytes; returns the offset in the block where it starts.
    pub fn push_encoded(&mut self, entry: &[u8]) -> usize {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(entry);
        self.count += 1;
        start
    }

    /// Encoded size so far, in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True when no record was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The finished block bytes.
    pub fn finish(mut self) -> Vec<u8> {
        assert!(
            self.count > 0,
            "invariant: the committer never finishes an empty block"
        );
        self.bytes[2..6].copy_from_slice(&self.count.to_be_bytes());
        self.bytes
    }
}

/// Decodes a journal block into its records, verifying every checksum.
pub fn decode_journal_block(bytes: &[u8]) -> Result<Vec<Record>, CodecError> {
    let count = read_container_header(bytes, JOURNAL_BLOCK_TAG, "journal block")?;
    let mut records = Vec::with_capacity(count.min(1 << 16));
    let mut offset = CONTAINER_HEADER_BYTES;
    for _ in 0..count {
        let (record, used) = decode_addressed_record(&bytes[offset..])?;
        offset += used;
        records.push(record);
    }
    expect_end(bytes, offset, "journal block")?;
    Ok(records)
}

/// Where one record's frame lies inside a journal block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JournalEntry {
    pub(crate) stream: StreamId,
    pub(crate) seq: Seq,
    pub(crate) frame_offset: usize,
    pub(crate) frame_len: usize,
}

/// Checks a journal block (every record's checksum included) and returns
/// where each record's frame lies in it, without copying payloads.
pub(crate) fn scan_journal_block(bytes: &[u8]) -> Result<Vec<JournalEntry>, CodecError> {
    let count = read_container_header(bytes, JOURNAL_BLOCK_TAG, "journal block")?;
    let mut entries = Vec::with_capacity(count.min(1 << 16));
    let mut offset = CONTAINER_HEADER_BYTES;
    for _ in 0..count {
        let (stream, stream_len) = get_varint(&bytes[offset..], "record stream id")?;
        offset += stream_len;
        let (seq, seq_len) = get_varint(&bytes[offset..], "record sequence number")?;
        offset += seq_len;
        let (stream, seq) = (StreamId(stream), Seq(seq));
        let (_, _, frame_len) = verify_record_frame(&bytes[offset..], stream, seq)?;
        entries.push(JournalEntry {
            stream,
            seq,
            frame_offset: offset,
            frame_len,
        });
        offset += frame_len;
    }
    expect_end(bytes, offset, "journal block")?;
    Ok(entries)
}

/// Encodes a chunk (the layout of [`encode_chunk`]) from record frames that
/// are already encoded for this stream, e.g. copied out of journal blocks:
/// a frame's checksum covers its address, not its container, so it moves
/// unchanged. `frames` are `(seq, frame)` in increasing `seq` order.
pub(crate) fn encode_chunk_from_frames(frames: &[(Seq, &[u8])]) -> Vec<u8> {
    let (first, _) = frames
        .first()
        .expect("invariant: the compactor never writes an empty chunk");
    let size = CONTAINER_HEADER_BYTES
        + frames
            .iter()
            .map(|(_, frame)| frame.len() + 2)
            .sum::<usize>();
    let mut bytes = Vec::with_capacity(size);
    bytes.extend_from_slice(&[FORMAT_VERSION, CHUNK_TAG, 0, 0, 0, 0]);
    let mut previous = *first;
    for (index, (seq, frame)) in frames.iter().enumerate() {
        assert!(
            index == 0 || *seq > previous,
            "invariant: chunk sequence numbers increase"
        );
        put_varint(&mut bytes, seq.0 - previous.0);
        bytes.extend_from_slice(frame);
        previous = *seq;
    }
    bytes[2..6].copy_from_slice(&(frames.len() as u32).to_be_bytes());
    bytes
}

/// Encodes one stream's consecutive records as a chunk stored under
/// `R/<stream>/<seq of the first record>`.
///
/// Layout (format version 1), integers big-endian:
///
/// | offset | size | field                                          |
/// |--------|------|------------------------------------------------|
/// | 0      | 1    | format version, `1`                            |
/// | 1      | 1    | tag `b'R'`                                     |
/// | 2      | 4    | entry count `c`, `u32`, at least 1             |
/// | 6      | ...  | `c` entries: seq delta LEB128 ‖ record frame   |
///
/// The first entry's delta is from the first sequence number in the key (so
/// it is 0); each later delta is from the previous record and at least 1.
pub fn encode_chunk(records: &[&Record]) -> Vec<u8> {
    let first = records
        .first()
        .expect("invariant: the compactor never writes an empty chunk");
    let mut bytes = container_header(CHUNK_TAG);
    let mut previous = first.seq;
    for (index, record) in records.iter().enumerate() {
        assert!(
            record.stream == first.stream,
            "invariant: a chunk holds one stream"
        );
        assert!(
            index == 0 || record.seq > previous,
            "invariant: chunk sequence numbers increase"
        );
        put_varint(&mut bytes, record.seq.0 - previous.0);
        encode_record_frame(&mut bytes, record);
        previous = record.seq;
    }
    bytes[2..6].copy_from_slice(&(records.len() as u32).to_be_bytes());
    bytes
}

/// Decodes the chunk stored for `stream` at `first_seq`, verifying every
/// checksum and the sequence order.
pub fn decode_chunk(
    stream: StreamId,
    first_seq: Seq,
    bytes: &[u8],
) -> Result<Vec<Record>, CodecError> {
    let count = read_container_header(bytes, CHUNK_TAG, "chunk")?;
    let mut records: Vec<Record> = Vec::with_capacity(count.min(1 << 16));
    let mut offset = CONTAINER_HEADER_BYTES;
    let mut seq = first_seq;
    for index in 0..count {
        let (delta, used) = get_varint(&bytes[offset..], "chunk sequence delta")?;
        offset += used;
        seq = match seq.0.checked_add(delta) {
            Some(next) if index == 0 && delta == 0 => Seq(next),
            Some(next) if index > 0 && delta > 0 => Seq(next),
            _ => {
                return Err(CodecError::SequenceOrder {
                    stream,
                    previous: seq,
                })
            }
        };
        let (record, used) = decode_record_frame(&bytes[offset..], stream, seq)?;
        offset += used;
        records.push(record);
    }
    expect_end(bytes, offset, "chunk")?;
    debug_assert!(
        records.windows(2).all(|pair| pair[0].seq < pair[1].seq),
        "decoded chunk is ordered"
    );
    Ok(records)
}

fn container_header(tag: u8) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(4096);
    bytes.extend_from_slice(&[FORMAT_VERSION, tag, 0, 0, 0, 0]);
    bytes
}

fn read_container_header(bytes: &[u8], tag: u8, what: &'static str) -> Result<usize, CodecError> {
    let header = take(bytes, CONTAINER_HEADER_BYTES, what)?;
    if header[0] != FORMAT_VERSION {
        return Err(CodecError::UnsupportedVersion {
            what,
            found: header[0],
        });
    }
    if header[1] != tag {
        return Err(CodecError::WrongTag {
            what,
            expected: tag,
            found: header[1],
        });
    }
    let count = u32::from_be_bytes([header[2], header[3], header[4], header[5]]) as usize;
    if count == 0 {
        return Err(CodecError::Empty { what });
    }
    Ok(count)
}

fn expect_end(bytes: &[u8], offset: usize, what: &'static str) -> Result<(), CodecError> {
    match bytes.len() - offset {
        0 => Ok(()),
        count => Err(CodecError::TrailingBytes { what, count }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::RecordKind;

    fn record(stream: u64, seq: u64) -> Record {
        Record {
            stream: StreamId(stream),
            seq: Seq(seq),
            kind: RecordKind(1),
            payload: format!("{stream}:{seq}").into_bytes(),
        }
    }

    #[test]
    fn journal_block_round_trips() {
        let records = vec![record(1, 1), record(2, 1), record(1, 2)];
        let mut builder = JournalBlockBuilder::new();
        records.iter().for_each(|r| builder.push(r));
        assert_eq!(
            decode_journal_block(&builder.finish()).expect("valid block"),
            records
        );
    }

    #[test]
    fn scanned_frames_rebuild_the_same_chunk() {
        let records = [record(9, 4), record(9, 5), record(9, 40)];
        let mut builder = JournalBlockBuilder::new();
        for r in &records {
            let mut entry = Vec::new();
            encode_addressed_record(&mut entry, r);
            builder.push_encoded(&entry);
        }
        let block = builder.finish();
        let entries = scan_journal_block(&block).expect("valid block");
        let frames: Vec<(Seq, &[u8])> = entries
            .iter()
            .map(|entry| {
                let end = entry.frame_offset + entry.frame_len;
                (entry.seq, &block[entry.frame_offset..end])
            })
            .collect();
        let refs: Vec<&Record> = records.iter().collect();
        assert_eq!(encode_chunk_from_frames(&frames), encode_chunk(&refs));
    }

    #[test]
    fn scan_reports_a_damaged_frame() {
        let mut builder = JournalBlockBuilder::new();
        builder.push(&record(1, 1));
        let mut block = builder.finish();
        let last = block.len() - 1;
        block[last] ^= 0x40;
        let err = scan_journal_block(&block).expect_err("flipped payload bit");
        assert!(matches!(
            err,
            CodecError::ChecksumMismatch {
                stream: StreamId(1),
                seq: Seq(1),
                ..
            }
        ));
    }

    #[test]
    fn chunk_round_trips_with_gaps() {
        let records = [record(9, 4), record(9, 5), record(9, 40)];
        let refs: Vec<&Record> = records.iter().collect();
        let bytes = encode_chunk(&refs);
        assert_eq!(
            decode_chunk(StreamId(9), Seq(4), &bytes).expect("valid chunk"),
            records.to_vec()
        );
    }

    #[test]
    fn chunk_under_another_key_is_rejected() {
        let records = [record(9, 4)];
        let bytes = encode_chunk(&[&records[0]]);
        let err = decode_chunk(StreamId(9), Seq(5), &bytes).expect_err("wrong first seq");
        assert!(matches!(
            err,
            CodecError::ChecksumMismatch { seq: Seq(5), .. }
        ));
    }

    #[test]
    fn truncated_and_padded_blocks_are_errors() {
        let mut builder = JournalBlockBuilder::new();
        builder.push(&record(1, 1));
        let bytes = builder.finish();
        let err = decode_journal_block(&bytes[..bytes.len() - 1]).expect_err("truncated");
        assert!(matches!(
            err,
            CodecError::Truncated {
                what: "record payload",
                ..
            }
        ));
        let mut padded = bytes.clone();
        padded.push(0);
        let err = decode_journal_block(&padded).expect_err("padded");
        assert_eq!(
            err,
            CodecError::TrailingBytes {
                what: "journal block",
                count: 1
            }
        );
    }
}
