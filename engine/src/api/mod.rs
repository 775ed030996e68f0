//! The public API: [`Engine`], named after the Step Functions actions.

mod builder;
mod engine;
mod error;
mod inspector;
mod metrics;
pub(crate) mod queries;
pub(crate) mod redrivable;
mod types;

pub use builder::{EngineBuilder, PAYLOAD_LIMIT_BYTES_MAX, RUNNING_EXECUTIONS_MAX_DEFAULT};
pub use engine::Engine;
pub use error::EngineError;
pub use inspector::Inspector;
pub use metrics::{EngineMetrics, ExecutionMetrics, MapRunGauges, TaskMetrics};
pub use redrivable::{NotRedrivableReason, EXECUTION_TIME_MAX_MS, REDRIVABLE_PERIOD_MS};
pub use types::{
    ExecutionDescription, ExecutionPage, ExecutionStatus, ExecutionSummary, ListExecutionsOptions,
    PageToken, RedriveStatus, StateMachineInfo, DEFAULT_PAGE_SIZE,
};
