//! How executions sit in the [`EventLog`](shoal_storage::EventLog): record
//! and row layouts, their codecs, and typed reads.
//!
//! # Layout
//!
//! - **Stream** `StreamId(execution id)`: one record per transition, at
//!   `Seq` 1, 2, 3…, kind [`TRANSITION_KIND`]. Payload: a format-version
//!   byte ([`RECORD_FORMAT_VERSION`]) then bincode 2 (standard config) of
//!   [`TransitionRecord`] = the stamped input and the history events it
//!   produced. JSON values travel as JSON text inside.
//! - **Rows** (see [`keys`]): the execution index (status byte + id, written
//!   at start and at completion only), execution names (for idempotent
//!   start), definitions by content hash, state-machine names, and the
//!   execution-id reservation counter.
//!
//! Nothing else is written per transition: a transition that neither starts
//! nor ends an execution is exactly one record.

pub mod keys;
mod records;
mod records_v1;
mod rows;

pub use records::{
    decode_transition, encode_transition, TransitionRecord, RECORD_FORMAT_VERSION, TRANSITION_KIND,
};
pub use rows::{
    decode_execution_row, encode_execution_row, read_transitions, ExecutionRow, StoreError,
};
