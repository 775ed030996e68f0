//! [`Effect`]s: what the driver does after a transition is durable.

use std::time::Duration;

use super::input::{ScopePath, TimerId};

/// One task attempt to run, with everything needed to run it again after a
/// crash with the same idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSpec {
    /// The task's scope.
    pub scope: ScopePath,
    /// The Task state's name.
    pub state: String,
    /// 0 for the first try, +1 per retry.
    pub attempt: u32,
    /// The handler name (Resource without `.waitForTaskToken`).
    pub resource: String,
    /// The effective input.
    pub input: serde_json::Value,
    /// `execution:state:entered-event:attempt`; stable across a crash.
    pub idempotency_key: String,
    /// The task token of a `.waitForTaskToken` task.
    pub task_token: Option<String>,
    /// `TimeoutSeconds` (enforced by the runner for ordinary tasks, by a
    /// durable timer for token tasks).
    pub timeout: Option<Duration>,
    /// `HeartbeatSeconds` (same split).
    pub heartbeat_timeout: Option<Duration>,
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Completion {
    /// The output.
    Succeeded(serde_json::Value),
    /// The error and cause.
    Failed {
        /// The error name.
        error: String,
        /// The cause.
        cause: String,
    },
    /// Stopped by `stop_execution`.
    Aborted {
        /// The error given to stop.
        error: String,
        /// The cause given to stop.
        cause: String,
    },
    /// The state machine's `TimeoutSeconds` passed.
    TimedOut,
}

/// Something the driver performs once the transition that asked for it is
/// durable.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Feed `Input::Continue { scope }` as the next transition.
    Continue(ScopePath),
    /// Run a task attempt; report its outcome as an input.
    ScheduleTask(TaskSpec),
    /// Cancel a running task attempt (its outcome will be stale).
    CancelTask {
        /// The attempt's idempotency key.
        idempotency_key: String,
    },
    /// Fire `Input::TimerFired { id }` at `fire_at_ms` (absolute wall time).
    StartTimer {
        /// The timer.
        id: TimerId,
        /// When it comes due, in ms since the epoch.
        fire_at_ms: i64,
    },
    /// The timer is no longer wanted.
    CancelTimer(TimerId),
    /// The execution ended; its index row goes in the same batch.
    Complete(Completion),
    /// Start (or, after a restart, resume) the map run of a DISTRIBUTED
    /// Map state; its end comes back as `Input::MapRunCompleted`.
    StartMapRun(std::sync::Arc<super::map_distributed::MapRunSpec>),
    /// Stop the map run (the parent execution was stopped or timed out).
    StopMapRun {
        /// The map run's ARN.
        arn: String,
    },
}
