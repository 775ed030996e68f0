//! The on-disk byte formats of the log, one place for all of them.
//!
//! - [`encode_record_frame`]: one record (version, kind, length, CRC32C,
//!   payload); [`encode_addressed_record`] prefixes its stream and sequence.
//! - [`JournalBlockBuilder`]: records of recent group commits, any streams.
//! - [`encode_chunk`]: consecutive records of one stream, after compaction.
//! - [`encode_row_value`]: a state row's value with its checksum.
//! - [`encode_payload`] and friends: bincode 2 payloads for typed records.
//!
//! Every format starts with [`FORMAT_VERSION`], so a later release can read
//! an older log. Golden files for version 1 live in `tests/fixtures/v1/`.

mod block;
mod error;
mod payload;
mod record;
mod row;
mod varint;

pub use block::{
    decode_chunk, decode_journal_block, encode_chunk, JournalBlockBuilder, CHUNK_TAG,
    CONTAINER_HEADER_BYTES, JOURNAL_BLOCK_TAG,
};
pub(crate) use block::{encode_chunk_from_frames, scan_journal_block, JournalEntry};
pub use error::CodecError;
pub use payload::{
    decode_config, decode_payload, decode_serde_payload, encode_payload, encode_serde_payload,
    DecodeConfig, DECODE_CLAIM_BYTES_MAX,
};
pub(crate) use record::{addressed_record_len, trusted_frame_parts};
pub use record::{
    decode_addressed_record, decode_record_frame, encode_addressed_record, encode_record_frame,
    RECORD_HEADER_BYTES,
};
pub use row::{decode_row_value, encode_row_value, ROW_HEADER_BYTES};

/// The format version written by this build, first byte of every stored
/// record, block, chunk and row value.
pub const FORMAT_VERSION: u8 = 1;

/// The first `len` bytes of `input`, or a [`CodecError::Truncated`] naming
/// `what`.
fn take<'a>(input: &'a [u8], len: usize, what: &'static str) -> Result<&'a [u8], CodecError> {
    input.get(..len).ok_or(CodecError::Truncated {
        what,
        needed: len,
        available: input.len(),
    })
}
