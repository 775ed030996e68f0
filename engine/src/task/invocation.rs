//! One request to run a task attempt, and how it ended.

use std::time::Duration;

use super::error::TaskError;

/// Everything the runner needs to run one attempt of a Task state.
///
/// The runtime fills it from the state (`Resource`, the effective input after
/// `InputPath`/`Parameters`, `TimeoutSeconds`, `HeartbeatSeconds`) and from
/// its log (ids, attempt number, idempotency key, task token).
#[derive(Clone, Debug, PartialEq)]
pub struct TaskInvocation {
    /// The state's `Resource`: the name a handler was registered under,
    /// optionally followed by `.waitForTaskToken` (see
    /// [`HandlerRegistry`](super::HandlerRegistry) for the lookup rule).
    pub resource: String,
    /// The task's effective input.
    pub input: serde_json::Value,
    /// Id of the execution the task belongs to.
    pub execution_id: String,
    /// Name of that execution.
    pub execution_name: String,
    /// Name of the Task state.
    pub state_name: String,
    /// 0 for the first try, +1 per `Retry`.
    pub attempt: u32,
    /// Stable across a crash re-run of this attempt; chosen by the runtime.
    pub idempotency_key: String,
    /// The token of a `.waitForTaskToken` task, `None` otherwise.
    pub task_token: Option<String>,
    /// `TimeoutSeconds`: the whole attempt, measured from the first poll of
    /// the invoke future (queueing for a blocking thread included). `None`
    /// means no limit.
    pub timeout: Option<Duration>,
    /// `HeartbeatSeconds`: the longest gap allowed between the start and
    /// the first heartbeat and between heartbeats. `None` means no limit.
    pub heartbeat_timeout: Option<Duration>,
}

impl TaskInvocation {
    /// An invocation of `resource` with `input`; ids and key empty, attempt
    /// 0, no token and no timeouts. Set the rest with the `with_*` methods.
    pub fn new(resource: impl Into<String>, input: serde_json::Value) -> TaskInvocation {
        TaskInvocation {
            resource: resource.into(),
            input,
            execution_id: String::new(),
            execution_name: String::new(),
            state_name: String::new(),
            attempt: 0,
            idempotency_key: String::new(),
            task_token: None,
            timeout: None,
            heartbeat_timeout: None,
        }
    }

    /// Sets the execution's id and name.
    pub fn with_execution(mut self, id: impl Into<String>, name: impl Into<String>) -> Self {
        self.execution_id = id.into();
        self.execution_name = name.into();
        self
    }

    /// Sets the Task state's name.
    pub fn with_state_name(mut self, state_name: impl Into<String>) -> Self {
        self.state_name = state_name.into();
        self
    }

    /// Sets the attempt number (0 for the first try).
    pub fn with_attempt(mut self, attempt: u32) -> Self {
        self.attempt = attempt;
        self
    }

    /// Sets the idempotency key.
    pub fn with_idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = key.into();
        self
    }

    /// Sets the `.waitForTaskToken` task token.
    pub fn with_task_token(mut self, token: impl Into<String>) -> Self {
        self.task_token = Some(token.into());
        self
    }

    /// Sets `TimeoutSeconds` (as a duration).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets `HeartbeatSeconds` (as a duration).
    pub fn with_heartbeat_timeout(mut self, heartbeat_timeout: Duration) -> Self {
        self.heartbeat_timeout = Some(heartbeat_timeout);
        self
    }
}

/// How one task attempt ended, as the runtime records it.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskOutcome {
    /// The handler returned `Ok` with this result (`TaskSucceeded`).
    Succeeded(serde_json::Value),
    /// The handler returned `Err`, panicked (`States.TaskFailed`), or no
    /// handler is registered (`shoal.ResourceNotFound`) (`TaskFailed`).
    Failed(TaskError),
    /// The attempt exceeded its `timeout` (`TaskTimedOut`, `States.Timeout`).
    TimedOut,
    /// No heartbeat arrived within `heartbeat_timeout`
    /// (`TaskTimedOut`, `States.HeartbeatTimeout`).
    HeartbeatTimedOut,
    /// The caller's cancellation token fired, or the runner was shut down,
    /// before the handler finished. Not an error of the task: the runtime
    /// records it as it records the stop (for example `TaskStateAborted`).
    Cancelled,
}

impl TaskOutcome {
    /// The error to match against `Retry` / `Catch`, or `None` for
    /// `Succeeded` and `Cancelled`.
    pub fn error(&self) -> Option<TaskError> {
        match self {
            TaskOutcome::Succeeded(_) | TaskOutcome::Cancelled => None,
            TaskOutcome::Failed(error) => Some(error.clone()),
            TaskOutcome::TimedOut => Some(TaskError::timeout(
                "the task did not finish within its TimeoutSeconds",
            )),
            TaskOutcome::HeartbeatTimedOut => Some(TaskError::heartbeat_timeout(
                "the task sent no heartbeat within its HeartbeatSeconds",
            )),
        }
    }

    /// True for [`TaskOutcome::Succeeded`].
    pub fn is_success(&self) -> bool {
        matches!(self, TaskOutcome::Succeeded(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_map_to_states_error_names() {
        let name = |outcome: TaskOutcome| outcome.error().map(|error| error.error);
        assert_eq!(
            name(TaskOutcome::TimedOut).as_deref(),
            Some("States.Timeout")
        );
        assert_eq!(
            name(TaskOutcome::HeartbeatTimedOut).as_deref(),
            Some("States.HeartbeatTimeout")
        );
        assert_eq!(name(TaskOutcome::Cancelled), None);
        assert_eq!(name(TaskOutcome::Succeeded(serde_json::json!(1))), None);
    }
}
