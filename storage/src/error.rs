//! The log's error type.

use crate::types::{Keyspace, Seq, StreamId};

/// Errors of the event log, sorted by what the caller can do about them.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// A previous failure to make data durable poisoned the log; nothing is
    /// acknowledged any more. Drop the log and reopen it.
    #[error(
        "event log is poisoned by an earlier durability failure ({cause}); reopen it to recover"
    )]
    Poisoned {
        /// What failed first.
        cause: String,
    },
    /// The log was closed, or its committer stopped, before answering.
    #[error("event log is closed")]
    Closed,
    /// A batch broke the single-writer sequence rule; nothing of it was applied.
    #[error("{stream}: {seq} conflicts with an existing or earlier record in the same batch")]
    SequenceConflict {
        /// The stream written.
        stream: StreamId,
        /// The offending sequence number.
        seq: Seq,
    },
    /// A record or row is larger than the backend accepts.
    #[error("{what} is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// What was too large (record or row, with its key).
        what: String,
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// Stored bytes failed their checksum or could not be decoded.
    #[error("corrupt data at {location}: {detail}")]
    Corrupt {
        /// The key or file where the damage is.
        location: String,
        /// What is wrong with it.
        detail: String,
    },
    /// A row keyspace the backend does not know about.
    #[error("{space} is reserved")]
    ReservedKeyspace {
        /// The keyspace asked for.
        space: Keyspace,
    },
    /// An I/O or backend failure that did not poison the log (e.g. opening).
    #[error("storage I/O failed during {operation}: {detail}")]
    Io {
        /// What the log was doing.
        operation: &'static str,
        /// The underlying error, rendered.
        detail: String,
    },
    /// A typed payload could not be encoded or decoded with bincode.
    #[error("payload of type {type_name} could not be encoded or decoded: {detail}")]
    Payload {
        /// The Rust type being encoded or decoded.
        type_name: &'static str,
        /// What bincode reported.
        detail: String,
    },
}
