//! shoal-storage: the durable event log under shoal.
//!
//! The [`EventLog`] trait is the contract the engine relies on: atomic
//! batches of per-stream records and keyed state rows, acknowledged only when
//! durable. See the trait's documentation for the full contract.

pub mod baseline;
mod batch;
pub mod codec;
mod error;
mod log;
mod memory;
mod sled_log;
mod types;
mod validate;

pub use batch::{RowOp, WriteBatch};
pub use error::LogError;
pub use log::{CommitNotifier, CommitReceipt, CommitTicket, EventLog, LogMetrics, Row};
pub use memory::MemoryLog;
pub use sled_log::{JournalStats, SledLog, SledLogOptions};
pub use types::{Keyspace, Record, RecordKind, Seq, StreamId};
pub use validate::{RECORD_PAYLOAD_BYTES_MAX, ROW_KEY_BYTES_MAX, ROW_VALUE_BYTES_MAX};
