//! Values the public API takes and returns.

use serde_json::Value;

use crate::history::ExecutionId;

/// An execution's status, with Step Functions' names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    /// Still running (or waiting to be resumed after a restart).
    Running,
    /// Ended with an output.
    Succeeded,
    /// Ended with an error.
    Failed,
    /// The state machine's `TimeoutSeconds` passed.
    TimedOut,
    /// Stopped by `stop_execution`.
    Aborted,
}

impl ExecutionStatus {
    /// Every status, in key order.
    pub const ALL: [ExecutionStatus; 5] = [
        ExecutionStatus::Running,
        ExecutionStatus::Succeeded,
        ExecutionStatus::Failed,
        ExecutionStatus::TimedOut,
        ExecutionStatus::Aborted,
    ];

    /// The byte that prefixes index keys of this status.
    pub fn code(self) -> u8 {
        match self {
            ExecutionStatus::Running => 1,
            ExecutionStatus::Succeeded => 2,
            ExecutionStatus::Failed => 3,
            ExecutionStatus::TimedOut => 4,
            ExecutionStatus::Aborted => 5,
        }
    }

    /// The status of an index-key prefix byte.
    pub fn from_code(code: u8) -> Option<ExecutionStatus> {
        ExecutionStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The Step Functions name, e.g. `"SUCCEEDED"`.
    pub fn name(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
        }
    }
}

impl std::fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether an execution can be redriven now, with Step Functions' names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RedriveStatus {
    /// `redrive_execution` would restart it (failed, aborted, timed out).
    Redrivable,
    /// Running or succeeded.
    NotRedrivable,
    /// An unsuccessful child of a map run: redriving its parent's map run
    /// re-runs it.
    RedrivableByMapRun,
}

impl RedriveStatus {
    /// The redrive status of an execution with `status`; `map_run_child`
    /// for a map run's child execution.
    pub fn of(status: ExecutionStatus, map_run_child: bool) -> RedriveStatus {
        match status {
            ExecutionStatus::Running | ExecutionStatus::Succeeded => RedriveStatus::NotRedrivable,
            _ if map_run_child => RedriveStatus::RedrivableByMapRun,
            _ => RedriveStatus::Redrivable,
        }
    }
}

/// A registered state machine.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StateMachineInfo {
    /// The name it was registered under.
    pub name: String,
    /// SHA-256 of its canonical definition: executions pin this version.
    pub definition_hash: String,
}

/// What `describe_execution` returns.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExecutionDescription {
    /// The id.
    pub id: ExecutionId,
    /// The name.
    pub name: String,
    /// The state machine's name.
    pub state_machine: String,
    /// The definition version it runs.
    pub definition_hash: String,
    /// The status.
    pub status: ExecutionStatus,
    /// The input.
    pub input: Value,
    /// The output, when it succeeded.
    pub output: Option<Value>,
    /// The error, when it failed or was aborted.
    pub error: Option<String>,
    /// The cause, when it failed or was aborted.
    pub cause: Option<String>,
    /// When it started, ms since the epoch.
    pub started_ms: i64,
    /// When it ended, ms since the epoch.
    pub stopped_ms: Option<i64>,
    /// How many times it was redriven.
    pub redrive_count: u32,
    /// When it was last redriven, ms since the epoch.
    pub redrive_date_ms: Option<i64>,
    /// Whether it can be redriven now (by the clock of the engine, or of
    /// the machine for an [`Inspector`](super::Inspector)).
    pub redrive_status: RedriveStatus,
    /// Why not, when `redrive_status` is `NotRedrivable` (Step Functions'
    /// `redriveStatusReason`).
    pub redrive_status_reason: Option<super::NotRedrivableReason>,
}

/// One entry of `list_executions`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExecutionSummary {
    /// The id.
    pub id: ExecutionId,
    /// The name.
    pub name: String,
    /// The state machine's name.
    pub state_machine: String,
    /// The status.
    pub status: ExecutionStatus,
    /// When it started, ms since the epoch.
    pub started_ms: i64,
    /// When it ended, ms since the epoch.
    pub stopped_ms: Option<i64>,
}

/// Where a listing continues; opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToken(pub(crate) Vec<u8>);

/// Filters and paging of `list_executions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListExecutionsOptions {
    pub(crate) status: Option<ExecutionStatus>,
    pub(crate) state_machine: Option<String>,
    pub(crate) limit: Option<usize>,
    pub(crate) page: Option<PageToken>,
}

impl ListExecutionsOptions {
    /// All executions, first page of [`DEFAULT_PAGE_SIZE`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Only executions with this status.
    pub fn with_status(mut self, status: ExecutionStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only executions of this state machine.
    pub fn with_state_machine(mut self, name: impl Into<String>) -> Self {
        self.state_machine = Some(name.into());
        self
    }

    /// At most this many per page.
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Continue after a previous page.
    pub fn with_page(mut self, page: PageToken) -> Self {
        self.page = Some(page);
        self
    }
}

/// Page size when none is given.
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// One page of `list_executions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionPage {
    /// The executions, by status then id.
    pub executions: Vec<ExecutionSummary>,
    /// Set when more may follow.
    pub next_page: Option<PageToken>,
}
