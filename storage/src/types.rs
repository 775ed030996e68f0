//! Identifiers and the record type shared by every backend.

use std::fmt;

/// Identifies one stream of records, e.g. one execution's history.
///
/// Encoded big-endian in keys, so one stream's records form one contiguous,
/// ordered key range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId(pub u64);

/// The position of a record within its stream; assigned by the stream's
/// single writer, strictly increasing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seq(pub u64);

/// A namespace of state rows (execution index, map-run state, timers...).
///
/// The storage crate gives no meaning to the number; the caller does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Keyspace(pub u8);

/// The caller's tag for what a record's payload holds; stored and returned
/// unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordKind(pub u8);

/// One record of a stream: opaque payload bytes with their kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The stream the record belongs to.
    pub stream: StreamId,
    /// Its position in the stream.
    pub seq: Seq,
    /// The caller's tag for the payload.
    pub kind: RecordKind,
    /// The payload, exactly as appended.
    pub payload: Vec<u8>,
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stream {}", self.0)
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seq {}", self.0)
    }
}

impl fmt::Display for Keyspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "keyspace {}", self.0)
    }
}
