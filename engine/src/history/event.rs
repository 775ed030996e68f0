//! [`HistoryEvent`]: one entry of an execution's history.

use super::ids::EventId;

/// The type of a history event, with Step Functions' names.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, bincode::Encode, bincode::Decode,
)]
#[non_exhaustive]
pub enum HistoryEventType {
    /// The execution began; details carry its input.
    ExecutionStarted,
    /// The execution's last state succeeded; details carry its output.
    ExecutionSucceeded,
    /// The execution failed with an error and cause.
    ExecutionFailed,
    /// `stop_execution` ended the execution.
    ExecutionAborted,
    /// The state machine's `TimeoutSeconds` passed.
    ExecutionTimedOut,
    /// A Pass state received its input.
    PassStateEntered,
    /// A Pass state produced its output.
    PassStateExited,
    /// A Task state received its input.
    TaskStateEntered,
    /// A task attempt was scheduled (details: resource, parameters).
    TaskScheduled,
    /// A task attempt began running.
    TaskStarted,
    /// A task attempt returned a result.
    TaskSucceeded,
    /// A task attempt failed (details: error, cause).
    TaskFailed,
    /// A task attempt timed out (`States.Timeout` / `States.HeartbeatTimeout`).
    TaskTimedOut,
    /// A Task state produced its output.
    TaskStateExited,
    /// A Task state was stopped with its execution.
    TaskStateAborted,
    /// A Choice state received its input.
    ChoiceStateEntered,
    /// A Choice state chose its next state.
    ChoiceStateExited,
    /// A Wait state received its input.
    WaitStateEntered,
    /// A Wait state's delay passed.
    WaitStateExited,
    /// A Succeed state received its input.
    SucceedStateEntered,
    /// A Succeed state produced its output.
    SucceedStateExited,
    /// A Fail state received its input.
    FailStateEntered,
    /// A Parallel state received its input.
    ParallelStateEntered,
    /// A Parallel state started its branches.
    ParallelStateStarted,
    /// Every branch of a Parallel state succeeded.
    ParallelStateSucceeded,
    /// A branch of a Parallel state failed.
    ParallelStateFailed,
    /// A Parallel state produced its output.
    ParallelStateExited,
    /// A Parallel state was stopped with its execution.
    ParallelStateAborted,
    /// A Map state received its input.
    MapStateEntered,
    /// A Map state started its iterations (details: length).
    MapStateStarted,
    /// Every iteration of a Map state succeeded.
    MapStateSucceeded,
    /// An iteration of a Map state failed.
    MapStateFailed,
    /// A Map state produced its output.
    MapStateExited,
    /// A Map state was stopped with its execution.
    MapStateAborted,
    /// One iteration of an inline Map started (details: index).
    MapIterationStarted,
    /// One iteration of an inline Map succeeded.
    MapIterationSucceeded,
    /// One iteration of an inline Map failed.
    MapIterationFailed,
    /// One iteration of an inline Map was stopped.
    MapIterationAborted,
    /// A DISTRIBUTED Map state started its map run (details: mapRunArn).
    MapRunStarted,
    /// The map run succeeded.
    MapRunSucceeded,
    /// The map run failed (details: error, cause).
    MapRunFailed,
    /// The map run was stopped with its execution.
    MapRunAborted,
    /// `redrive_execution` restarted the ended execution (details:
    /// redriveCount). Appended last: the enum's bincode index is on disk.
    ExecutionRedriven,
    /// The redriven execution redrove the map run of its DISTRIBUTED Map
    /// state (details: mapRunArn, redriveCount).
    MapRunRedriven,
}

impl HistoryEventType {
    /// The Step Functions name, e.g. `"TaskStateEntered"`.
    pub fn name(self) -> &'static str {
        use HistoryEventType as T;
        match self {
            T::ExecutionStarted => "ExecutionStarted",
            T::ExecutionSucceeded => "ExecutionSucceeded",
            T::ExecutionFailed => "ExecutionFailed",
            T::ExecutionAborted => "ExecutionAborted",
            T::ExecutionTimedOut => "ExecutionTimedOut",
            T::PassStateEntered => "PassStateEntered",
            T::PassStateExited => "PassStateExited",
            T::TaskStateEntered => "TaskStateEntered",
            T::TaskScheduled => "TaskScheduled",
            T::TaskStarted => "TaskStarted",
            T::TaskSucceeded => "TaskSucceeded",
            T::TaskFailed => "TaskFailed",
            T::TaskTimedOut => "TaskTimedOut",
            T::TaskStateExited => "TaskStateExited",
            T::TaskStateAborted => "TaskStateAborted",
            T::ChoiceStateEntered => "ChoiceStateEntered",
            T::ChoiceStateExited => "ChoiceStateExited",
            T::WaitStateEntered => "WaitStateEntered",
            T::WaitStateExited => "WaitStateExited",
            T::SucceedStateEntered => "SucceedStateEntered",
            T::SucceedStateExited => "SucceedStateExited",
            T::FailStateEntered => "FailStateEntered",
            T::ParallelStateEntered => "ParallelStateEntered",
            T::ParallelStateStarted => "ParallelStateStarted",
            T::ParallelStateSucceeded => "ParallelStateSucceeded",
            T::ParallelStateFailed => "ParallelStateFailed",
            T::ParallelStateExited => "ParallelStateExited",
            T::ParallelStateAborted => "ParallelStateAborted",
            T::MapStateEntered => "MapStateEntered",
            T::MapStateStarted => "MapStateStarted",
            T::MapStateSucceeded => "MapStateSucceeded",
            T::MapStateFailed => "MapStateFailed",
            T::MapStateExited => "MapStateExited",
            T::MapStateAborted => "MapStateAborted",
            T::MapIterationStarted => "MapIterationStarted",
            T::MapIterationSucceeded => "MapIterationSucceeded",
            T::MapIterationFailed => "MapIterationFailed",
            T::MapIterationAborted => "MapIterationAborted",
            T::MapRunStarted => "MapRunStarted",
            T::MapRunSucceeded => "MapRunSucceeded",
            T::MapRunFailed => "MapRunFailed",
            T::MapRunAborted => "MapRunAborted",
            T::ExecutionRedriven => "ExecutionRedriven",
            T::MapRunRedriven => "MapRunRedriven",
        }
    }
}

impl std::fmt::Display for HistoryEventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What an event says beyond its type; unused fields are `None`.
///
/// JSON payloads (`input`, `output`) are kept as JSON text, exactly as the
/// state saw or produced them.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, bincode::Encode, bincode::Decode,
)]
#[serde(rename_all = "camelCase")]
pub struct EventDetails {
    /// The state's name (state events) or the execution's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The input, as JSON text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// The output or result, as JSON text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// The error name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The error's cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// A task's `Resource`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The index of a Parallel branch or a Map iteration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// The number of items of a Map state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// A task's attempt number (0 for the first try).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// A task's `TimeoutSeconds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// A task's `HeartbeatSeconds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_seconds: Option<u64>,
    /// The map run of a DISTRIBUTED Map state (`MapRunStarted`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map_run_arn: Option<String>,
    /// How many times the execution (`ExecutionRedriven`) or the map run
    /// (`MapRunRedriven`) has been redriven, this redrive included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redrive_count: Option<u32>,
}

/// One entry of an execution's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    /// 1-based, +1 per event of the execution.
    pub id: EventId,
    /// The event this one follows causally; 0 for `ExecutionStarted`.
    pub previous_event_id: EventId,
    /// When the transition that produced it happened, in ms since the epoch.
    pub timestamp_ms: i64,
    /// The type.
    #[serde(rename = "type")]
    pub kind: HistoryEventType,
    /// Branch and iteration indexes leading to the scope that produced the
    /// event; empty at the top level.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<u32>,
    /// Details.
    pub details: EventDetails,
}
