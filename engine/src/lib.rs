//! shoal-engine: the Amazon States Language model, the interpreter, durable
//! executions on an [`shoal_storage::EventLog`], and the public API.
//!
//! Module map (one concept per module):
//! - `asl`: the definition language: typed model, parsing, validation,
//!   reference paths, intrinsic functions, data flow, Choice rules. Pure code.
//! - `history`, `interpreter`, `store`, `runtime`, `api`: executions — events,
//!   the pure transition function, the log layout, the driver, the handle.

pub mod api;
pub mod asl;
pub mod history;
pub mod interpreter;
pub mod runtime;
pub mod store;
pub mod task;

pub use api::{Engine, EngineBuilder, EngineError, ExecutionStatus};
pub use history::{ExecutionId, HistoryEvent, HistoryEventType};
