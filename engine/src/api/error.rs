//! [`EngineError`]: what went wrong, sorted by what the caller does.

use shoal_storage::LogError;

use crate::asl::InvalidDefinition;
use crate::store::StoreError;
use crate::task::TaskRunnerError;

/// Errors of the engine's API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// No state machine of that name is registered.
    #[error("state machine {name:?} is not registered")]
    StateMachineNotFound {
        /// The name asked for.
        name: String,
    },
    /// No execution with that id (or name).
    #[error("execution {execution} does not exist")]
    ExecutionNotFound {
        /// The id or name asked for.
        execution: String,
    },
    /// The definition failed validation; every problem names its state and field.
    #[error("state machine {name:?} has an invalid definition: {source}")]
    InvalidDefinition {
        /// The state machine's name.
        name: String,
        /// The problems found.
        #[source]
        source: InvalidDefinition,
    },
    /// An argument is malformed (a name, an input that is not JSON...).
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// Which argument.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// An execution with this name exists with another input or state machine.
    #[error("execution named {name:?} already exists ({existing}) with a different input or state machine")]
    ExecutionAlreadyExists {
        /// The name.
        name: String,
        /// The existing execution's id.
        existing: String,
    },
    /// The execution has ended; it cannot be stopped or sent to.
    #[error("execution {execution} is not running")]
    ExecutionNotRunning {
        /// The execution's id.
        execution: String,
    },
    /// Step Functions' `ExecutionNotRedrivable`: the execution is running or
    /// succeeded (only failed, aborted and timed-out executions can be
    /// redriven), is a map run's child (redrive its parent), stopped more
    /// than 14 days ago or started more than a year ago; `reason` says which.
    #[error("execution {execution} cannot be redriven: {reason}")]
    ExecutionNotRedrivable {
        /// The execution's id.
        execution: String,
        /// Why.
        reason: super::NotRedrivableReason,
    },
    /// No map run has this ARN.
    #[error("map run {arn:?} does not exist")]
    MapRunDoesNotExist {
        /// The ARN given.
        arn: String,
    },
    /// The map run is not running (update) or did not fail (redrive).
    #[error("map run {arn:?} is {status}")]
    MapRunNotRunning {
        /// The ARN given.
        arn: String,
        /// Its status.
        status: &'static str,
    },
    /// The task token is unknown, or its task already ended.
    #[error("task token {token:?} does not match a waiting task")]
    TaskDoesNotExist {
        /// The token given.
        token: String,
    },
    /// The event log failed; see [`LogError`]. With
    /// [`LogError::Poisoned`] (or `Closed`) the engine has stopped: every
    /// later call and every waiter gets this error; build a new engine on
    /// the reopened log, which recovers the last durable state.
    #[error("event log failed during {operation}: {source}")]
    Storage {
        /// What the engine was doing.
        operation: &'static str,
        /// The log's error.
        #[source]
        source: LogError,
    },
    /// Stored data could not be read back.
    #[error("stored data is unreadable during {operation}: {source}")]
    Corrupt {
        /// What the engine was doing.
        operation: &'static str,
        /// The store's error.
        #[source]
        source: StoreError,
    },
    /// The engine stopped (shutdown, or a failure other than the log's; a
    /// poisoned log gives [`EngineError::Storage`]); build a new one.
    #[error("engine is stopped: {reason}")]
    Stopped {
        /// Why.
        reason: String,
    },
    /// The task runner could not start.
    #[error("task runner could not start: {0}")]
    TaskRunner(#[from] TaskRunnerError),
}

impl EngineError {
    pub(crate) fn store(operation: &'static str, error: StoreError) -> EngineError {
        match error {
            StoreError::Log(source) => EngineError::Storage { operation, source },
            other => EngineError::Corrupt {
                operation,
                source: other,
            },
        }
    }

    pub(crate) fn log(operation: &'static str, source: LogError) -> EngineError {
        EngineError::Storage { operation, source }
    }
}
