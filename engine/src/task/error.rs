//! Task failures as Step Functions names them, and the runner's own errors.

use std::fmt;

/// A task's failure: a Step Functions error name and a human-readable cause.
///
/// `error` is what `Retry` / `Catch` `ErrorEquals` match against (for example
/// `"States.Timeout"` or a handler's own `"MyService.Throttled"`); `cause` is
/// free text recorded in the history (`TaskFailed.cause`). A handler returns
/// one in `Err` to fail its task; the runner produces the `States.*` ones.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TaskError {
    /// The error name, matched by `ErrorEquals`.
    pub error: String,
    /// Why it failed, for people reading the history.
    pub cause: String,
}

/// What a task handler returns: its result JSON, or the error that fails it.
pub type TaskResult = Result<serde_json::Value, TaskError>;

impl TaskError {
    /// `States.Timeout`: the task ran longer than its `TimeoutSeconds`.
    pub const TIMEOUT: &'static str = "States.Timeout";
    /// `States.HeartbeatTimeout`: no heartbeat within `HeartbeatSeconds`.
    pub const HEARTBEAT_TIMEOUT: &'static str = "States.HeartbeatTimeout";
    /// `States.TaskFailed`: a task failed without a more specific name. The
    /// runner uses it for a handler that panicked (Step Functions reports an
    /// unhandled exception of a Lambda task with a catchable name, so a panic
    /// stays retryable and catchable by `States.ALL` / `States.TaskFailed`).
    pub const TASK_FAILED: &'static str = "States.TaskFailed";
    /// `shoal.ResourceNotFound`: no handler is registered for the `Resource`
    /// (the analogue of Lambda's `ResourceNotFoundException`; catchable).
    pub const RESOURCE_NOT_FOUND: &'static str = "shoal.ResourceNotFound";

    /// A failure with the given error name and cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> TaskError {
        TaskError {
            error: error.into(),
            cause: cause.into(),
        }
    }

    /// `States.Timeout` with the given cause.
    pub fn timeout(cause: impl Into<String>) -> TaskError {
        TaskError::new(Self::TIMEOUT, cause)
    }

    /// `States.HeartbeatTimeout` with the given cause.
    pub fn heartbeat_timeout(cause: impl Into<String>) -> TaskError {
        TaskError::new(Self::HEARTBEAT_TIMEOUT, cause)
    }

    /// `States.TaskFailed` with the given cause.
    pub fn task_failed(cause: impl Into<String>) -> TaskError {
        TaskError::new(Self::TASK_FAILED, cause)
    }

    /// `shoal.ResourceNotFound` naming the resource that has no handler.
    pub fn resource_not_found(resource: &str) -> TaskError {
        TaskError::new(
            Self::RESOURCE_NOT_FOUND,
            format!("no task handler is registered for resource {resource:?}"),
        )
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.cause.is_empty() {
            f.write_str(&self.error)
        } else {
            write!(f, "{}: {}", self.error, self.cause)
        }
    }
}

impl std::error::Error for TaskError {}

/// Why a [`TaskRunner`](super::TaskRunner) could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaskRunnerError {
    /// The operating system refused to start a blocking-pool thread.
    #[error("could not start blocking task thread {index}: {source}")]
    SpawnThread {
        /// Index of the thread that failed to start (0-based).
        index: usize,
        /// The error from the operating system.
        #[source]
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_joins_error_and_cause() {
        let error = TaskError::timeout("ran 5 s");
        assert_eq!(error.to_string(), "States.Timeout: ran 5 s");
        assert_eq!(TaskError::new("X", "").to_string(), "X");
        assert_eq!(
            TaskError::resource_not_found("a:b").error,
            "shoal.ResourceNotFound"
        );
    }
}
