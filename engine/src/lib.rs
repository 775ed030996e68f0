//! shoal-engine: the Amazon States Language model, the interpreter, durable
//! executions on an [`shoal_storage::EventLog`], and the public API.
//!
//! Build an [`Engine`] on a log, register task handlers and a state
//! machine, start an execution and wait for its durable completion:
//!
//! ```
//! use std::sync::Arc;
//! use serde_json::json;
//! use shoal_engine::task::HandlerRegistry;
//! use shoal_engine::{Engine, ExecutionStatus};
//! use shoal_storage::MemoryLog;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut handlers = HandlerRegistry::new();
//! handlers.register_async("greet", |input, _context| async move {
//!     Ok(json!(format!("hello, {}", input["who"].as_str().unwrap_or("world"))))
//! });
//! let engine = Engine::builder(Arc::new(MemoryLog::new()))
//!     .handlers(handlers)
//!     .build()
//!     .await?;
//! let definition = json!({
//!     "StartAt": "Greet",
//!     "States": {
//!         "Greet": {"Type": "Task", "Resource": "greet", "ResultPath": "$.greeting", "Next": "Done"},
//!         "Done": {"Type": "Succeed"}
//!     }
//! });
//! engine.register_state_machine("hello", &definition.to_string()).await?;
//! let id = engine.start_execution("hello", Some("first"), json!({"who": "shoal"})).await?;
//! let done = engine.wait_for_completion(id).await?;
//! assert_eq!(done.status, ExecutionStatus::Succeeded);
//! assert_eq!(done.output, Some(json!({"who": "shoal", "greeting": "hello, shoal"})));
//! engine.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! The contract (see `docs/engine.md`): a transition is recorded exactly
//! once and acted on only after it is durable; a task handler runs at least
//! once (after a crash it is invoked again with the same idempotency key);
//! a durable timer fires once; an API call that reports something done
//! reports it only once it is durable.
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
pub mod maprun;
pub mod runtime;
pub mod store;
pub mod task;

pub use api::{
    Engine, EngineBuilder, EngineError, EngineMetrics, ExecutionStatus, NotRedrivableReason,
    RedriveStatus,
};
pub use history::{ExecutionId, HistoryEvent, HistoryEventType};
