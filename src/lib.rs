//! shoal: an embeddable durable workflow engine.
//!
//! This facade re-exports the three crates that make up shoal:
//! - [`storage`]: the durable event log ([`storage::EventLog`]) on sled;
//! - [`engine`]: the Amazon States Language engine;
//! - [`readers`]: item readers and the result writer on `object_store`.

pub use shoal_engine as engine;
pub use shoal_readers as readers;
pub use shoal_storage as storage;
