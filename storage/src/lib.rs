//! shoal-storage: the durable event log under shoal.
//!
//! The [`EventLog`] trait is the contract the engine relies on: atomic
//! batches of per-stream records and keyed state rows, acknowledged only when
//! durable. See the trait's documentation for the full contract.
//!
//! Two backends keep it: [`SledLog`], on disk in one sled database with
//! group commit, and [`MemoryLog`], the in-memory reference the conformance
//! and model tests compare against. [`codec`] holds every stored byte format.
//! [`fault::FaultyLog`] wraps either and injects write and sync failures and
//! slow commits, for testing what a caller does on a failing disk.
//!
//! ```
//! use shoal_storage::{EventLog, Keyspace, RecordKind, Seq, SledLog, SledLogOptions, StreamId, WriteBatch};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let log = SledLog::open(dir.path(), SledLogOptions::new())?;
//!
//! // One transition: two records of execution 7 and its index row, atomically.
//! let mut batch = WriteBatch::new();
//! batch.append(StreamId(7), Seq(1), RecordKind(1), br#"{"type":"ExecutionStarted"}"#.to_vec());
//! batch.append(StreamId(7), Seq(2), RecordKind(2), br#"{"type":"PassStateEntered"}"#.to_vec());
//! batch.put(Keyspace(1), b"exec/7".to_vec(), b"RUNNING".to_vec());
//! log.commit(batch).wait()?; // returns once the batch is fsynced
//!
//! let history = log.read_stream(StreamId(7), Seq(1), 100)?;
//! assert_eq!(history.len(), 2);
//! assert_eq!(history[1].payload, br#"{"type":"PassStateEntered"}"#);
//! assert_eq!(log.get_row(Keyspace(1), b"exec/7")?, Some(b"RUNNING".to_vec()));
//!
//! // Reopening recovers everything acknowledged.
//! drop(log);
//! let log = SledLog::open(dir.path(), SledLogOptions::new())?;
//! assert_eq!(log.last_seq(StreamId(7))?, Some(Seq(2)));
//! # Ok(())
//! # }
//! ```

pub mod baseline;
mod batch;
pub mod codec;
mod error;
pub mod fault;
mod log;
mod memory;
mod sled_log;
mod stats;
mod stream_hash;
mod types;
mod validate;

pub use batch::{RowOp, WriteBatch};
pub use error::LogError;
pub use log::{CommitNotifier, CommitReceipt, CommitTicket, EventLog, LogMetrics, Row};
pub use memory::MemoryLog;
pub use sled_log::{CommitTimings, JournalStats, SledLog, SledLogOptions};
pub use stats::LogStats;
pub use types::{Keyspace, Record, RecordKind, Seq, StreamId};
pub use validate::{RECORD_PAYLOAD_BYTES_MAX, ROW_KEY_BYTES_MAX, ROW_VALUE_BYTES_MAX};
