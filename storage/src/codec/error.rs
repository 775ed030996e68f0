//! [`CodecError`]: exactly what is wrong with a stored byte string.

use crate::types::{Seq, StreamId};

/// Why stored bytes could not be decoded. Mapped into
/// [`crate::LogError::Corrupt`] with the sled key as the location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// A format version this build does not know.
    #[error("unsupported {what} format version {found}")]
    UnsupportedVersion {
        /// What was being decoded (record, block, chunk, row).
        what: &'static str,
        /// The version byte found.
        found: u8,
    },
    /// A container's type tag is not the one expected at this key.
    #[error("expected a {what} (tag {expected:#04x}), found tag {found:#04x}")]
    WrongTag {
        /// The container expected.
        what: &'static str,
        /// The tag expected.
        expected: u8,
        /// The tag found.
        found: u8,
    },
    /// The bytes end before a field or payload is complete.
    #[error("truncated {what}: needs {needed} bytes, {available} available")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// A varint longer than a `u64` allows.
    #[error("malformed varint in {what}")]
    BadVarint {
        /// The field being read.
        what: &'static str,
    },
    /// A record's CRC32C does not match its contents.
    #[error("checksum mismatch in record {stream} {seq}: stored {stored:#010x}, computed {computed:#010x}")]
    ChecksumMismatch {
        /// The record's stream (as addressed by its container).
        stream: StreamId,
        /// The record's sequence number (as addressed by its container).
        seq: Seq,
        /// The checksum stored with the record.
        stored: u32,
        /// The checksum of the bytes read.
        computed: u32,
    },
    /// A row value's CRC32C does not match its key and contents.
    #[error("row checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    RowChecksumMismatch {
        /// The checksum stored with the row.
        stored: u32,
        /// The checksum of the bytes read.
        computed: u32,
    },
    /// Sequence numbers in a chunk do not strictly increase (or overflow).
    #[error("{stream}: sequence order broken after {previous}")]
    SequenceOrder {
        /// The chunk's stream.
        stream: StreamId,
        /// The last good sequence number before the break.
        previous: Seq,
    },
    /// Bytes left over after the declared number of entries.
    #[error("{count} unexpected bytes after the last {what} entry")]
    TrailingBytes {
        /// The container.
        what: &'static str,
        /// How many bytes are left over.
        count: usize,
    },
    /// A container that declares no entries (never written by this codec).
    #[error("empty {what}")]
    Empty {
        /// The container.
        what: &'static str,
    },
}
