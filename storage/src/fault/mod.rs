//! Fault injection: [`FaultyLog`] wraps any [`EventLog`](crate::EventLog)
//! and fails or delays its commits as a [`FaultPlan`] says, so the engine's
//! behaviour on a failing disk can be tested on the real backend.
//!
//! The wrapper is a backend of its own, not a flag inside one: it keeps the
//! [`EventLog`](crate::EventLog) contract (the conformance suite runs on it
//! with no faults) and, when a fault fires, behaves as the contract says a
//! failing log does.
//!
//! # Write path
//!
//! 1. `commit` refuses at once with [`LogError::Poisoned`](crate::LogError)
//!    once poisoned; otherwise it queues the batch in a bounded queue (a
//!    full queue blocks the caller: back-pressure).
//! 2. One forwarder thread takes every queued batch as a group, sleeps the
//!    plan's commit delay once per group, and numbers the batches 1, 2, 3…
//!    in queue order.
//! 3. A batch the plan fails poisons the wrapper *before* anything else
//!    happens, so no later batch reaches the inner log:
//!    - a **write failure** drops the batch; it never reaches the inner log;
//!    - a **sync failure** still hands the batch to the inner log and waits
//!      for it, then reports the failure. Its durability is unknown to the
//!      caller: after a reopen the batch may be present or absent (here it
//!      is present; a real disk may go either way), and the engine must
//!      cope with both.
//! 4. Every other batch goes to the inner log; tickets are answered in
//!    order with the inner log's outcome. An inner `Poisoned` or `Closed`
//!    poisons the wrapper too.
//!
//! # Reads after a fault
//!
//! Reads keep serving what is durable. After a sync failure the failed
//! batch is in the inner log but not acknowledged, so stream reads hide its
//! records (from its first sequence number on, per stream) and, if it wrote
//! rows, row reads refuse with `Poisoned`, as [`crate::SledLog`]'s do after
//! a failed fsync. Drop the wrapper and reopen the inner log to recover.
//!
//! ```
//! use shoal_storage::fault::{FaultPlan, FaultyLog};
//! use shoal_storage::{EventLog, LogError, MemoryLog, RecordKind, Seq, StreamId, WriteBatch};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let log = FaultyLog::new(MemoryLog::new(), FaultPlan::new().with_write_failure_at(2))?;
//! let batch = |seq| {
//!     let mut batch = WriteBatch::new();
//!     batch.append(StreamId(1), Seq(seq), RecordKind(0), b"event".to_vec());
//!     batch
//! };
//! log.commit(batch(1)).wait()?;
//! assert!(matches!(log.commit(batch(2)).wait(), Err(LogError::Poisoned { .. })));
//! assert!(matches!(log.commit(batch(3)).wait(), Err(LogError::Poisoned { .. })));
//! assert_eq!(log.read_stream(StreamId(1), Seq(0), 10)?.len(), 1);
//! # Ok(())
//! # }
//! ```

mod log;
mod plan;
#[cfg(test)]
mod tests;

pub use log::FaultyLog;
pub use plan::{FaultKind, FaultPlan, InjectedFault};
