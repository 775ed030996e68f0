//! [`ExecutionState`]: everything the interpreter knows about one
//! execution, rebuilt after a crash by replaying its recorded inputs.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::effect::{Completion, TaskSpec};
use super::input::{ScopePath, TimerId};
use crate::asl::StateMachine;
use crate::history::ExecutionId;

/// Settings a transition needs that are not part of the definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterpreterOptions {
    /// Largest state input/output in bytes (`States.DataLimitExceeded`).
    pub payload_limit_bytes: usize,
}

impl Default for InterpreterOptions {
    fn default() -> Self {
        InterpreterOptions {
            payload_limit_bytes: 256 * 1024,
        }
    }
}

/// One execution: its identity, definition, scopes and timers.
#[derive(Debug, Clone)]
pub struct ExecutionState {
    pub(crate) info: ExecInfo,
    pub(crate) machine: Arc<StateMachine>,
    pub(crate) completion: Option<Completion>,
    pub(crate) book: Book,
    pub(crate) root: Scope,
}

/// What never changes after `Start`.
#[derive(Debug, Clone)]
pub(crate) struct ExecInfo {
    pub id: ExecutionId,
    pub name: String,
    pub state_machine: String,
    pub definition_hash: String,
    pub input: Value,
    pub started_ms: i64,
    pub options: InterpreterOptions,
    /// Redrives applied so far (`$$.Execution.RedriveCount`).
    pub redrive_count: u32,
    /// When the last redrive happened.
    pub redriven_ms: Option<i64>,
}

/// Counters and timers shared by every scope of an execution.
#[derive(Debug, Clone, Default)]
pub(crate) struct Book {
    /// Id of the last event appended (0 before `ExecutionStarted`).
    pub last_event: u64,
    /// Transitions applied so far (the next record's sequence number - 1).
    pub transitions: u64,
    pub next_timer: u64,
    pub timers: BTreeMap<TimerId, Timer>,
    /// Where a redrive restarts: the top-level state that was running when
    /// the execution failed, was stopped or timed out.
    pub redrive_point: Option<RedrivePoint>,
}

/// The top-level state an ended execution did not finish: a redrive enters
/// it again with the same input, or (a DISTRIBUTED Map whose map run was
/// started) redrives its map run.
#[derive(Debug, Clone)]
pub(crate) struct RedrivePoint {
    pub name: String,
    pub input: Value,
    pub entered_event: u64,
    pub entered_ms: i64,
    pub retriers: usize,
    pub map_run: Option<Arc<super::map_distributed::MapRunSpec>>,
    /// A failed Parallel or inline Map's children (see `Current`).
    pub fan_out: Option<Box<KeptChildren>>,
}

/// What a Parallel or inline Map that failed, or was running when the
/// execution was stopped or timed out, keeps for a redrive.
#[derive(Debug, Clone)]
pub(crate) struct KeptChildren {
    /// Each child's output if it succeeded.
    pub results: Vec<Option<Value>>,
    /// Each unsuccessful child that had started: the state it did not
    /// finish (the one that failed, or where it was aborted), where a
    /// redrive restarts it. `None`: it succeeded, or never started (it
    /// runs from its start).
    pub points: Vec<Option<RedrivePoint>>,
    /// Kept from a fan-out still running when the execution was stopped
    /// or timed out. Earlier versions kept nothing then, so a redrive
    /// recorded as `Input::Redrive` ignores it.
    pub stopped: bool,
}

impl KeptChildren {
    /// What `fan_out` keeps as it ends unsuccessfully: its results, and
    /// for each child not succeeded the state it runs (still in
    /// `running`) or the restart point it has not started from yet.
    pub(crate) fn of(fan_out: &mut FanOut, stopped: bool) -> KeptChildren {
        let results = std::mem::take(&mut fan_out.results);
        let mut points = fan_out
            .resume
            .take()
            .map(<[Option<RedrivePoint>]>::into_vec)
            .unwrap_or_default();
        points.resize(results.len(), None);
        for (index, child) in std::mem::take(&mut fan_out.running) {
            if let Some(point) = points.get_mut(index as usize) {
                *point = child.current.map(RedrivePoint::of);
            }
        }
        KeptChildren {
            results,
            points,
            stopped,
        }
    }
}

impl RedrivePoint {
    /// The point of the state `current` (being ended, or aborted). A
    /// Parallel or inline Map still running keeps its children too.
    pub(crate) fn of(current: Current) -> RedrivePoint {
        let fan_out = match current.phase {
            Phase::FanOut(mut running) => Some(Box::new(KeptChildren::of(&mut running, true))),
            _ => current.failed_children,
        };
        RedrivePoint {
            name: current.name,
            input: current.input,
            entered_event: current.entered_event,
            entered_ms: current.entered_ms,
            retriers: current.retries.len(),
            map_run: current.map_run,
            fan_out,
        }
    }
}

/// A durable timer: when it fires and what it is for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Timer {
    pub fire_at_ms: i64,
    pub purpose: TimerPurpose,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TimerPurpose {
    /// A Wait state's delay.
    Wait(ScopePath),
    /// The back-off before a retry.
    Retry(ScopePath),
    /// `TimeoutSeconds` of a `.waitForTaskToken` task.
    TaskTimeout(ScopePath),
    /// `HeartbeatSeconds` of a `.waitForTaskToken` task.
    TaskHeartbeat(ScopePath),
    /// The state machine's `TimeoutSeconds`.
    Execution,
}

/// A top-level body, a Parallel branch or a Map iteration.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub path: ScopePath,
    /// The event the next event of this scope follows.
    pub last_event: u64,
    /// The state running now; `None` once the scope finished.
    pub current: Option<Current>,
}

/// The state a scope is in.
#[derive(Debug, Clone)]
pub(crate) struct Current {
    pub name: String,
    /// The raw state input.
    pub input: Value,
    pub entered_event: u64,
    pub entered_ms: i64,
    /// Retries used so far, per Retrier of the state.
    pub retries: Vec<u32>,
    /// Attempt number of a Task (0-based).
    pub attempt: u32,
    pub phase: Phase,
    /// The map run this DISTRIBUTED Map state started (kept after its
    /// outcome, so a redrive can redrive the same run).
    pub map_run: Option<Arc<super::map_distributed::MapRunSpec>>,
    /// A Parallel or inline Map that failed: its children's results (the
    /// succeeded ones) and where the others stopped, kept for a redrive.
    pub failed_children: Option<Box<KeptChildren>>,
    /// Set by a redrive: what the next start of the fan-out keeps (the
    /// children that succeeded are not run again; the others restart
    /// where they stopped).
    pub redrive_children: Option<Box<KeptChildren>>,
}

#[derive(Debug, Clone)]
pub(crate) enum Phase {
    /// Entered; an `Input::Continue` runs it.
    Entered,
    /// A task attempt is running.
    Task(TaskPhase),
    /// Waiting for a retry's back-off timer.
    Backoff(TimerId),
    /// A Wait state's timer.
    Wait(TimerId),
    /// Parallel branches or inline Map iterations are running.
    FanOut(FanOut),
    /// A DISTRIBUTED Map state waits for its map run.
    MapRun(Arc<super::map_distributed::MapRunSpec>),
}

#[derive(Debug, Clone)]
pub(crate) struct TaskPhase {
    pub spec: TaskSpec,
    pub timeout_timer: Option<TimerId>,
    pub heartbeat_timer: Option<TimerId>,
}

/// The children of a Parallel or inline Map state.
#[derive(Debug, Clone)]
pub(crate) struct FanOut {
    /// Children started and not finished, by index.
    pub running: BTreeMap<u32, Scope>,
    /// Outputs by index, `None` until that child succeeded.
    pub results: Vec<Option<Value>>,
    /// The input of each child not yet started (Map) or every child (Parallel).
    pub inputs: Vec<Value>,
    /// Index of the next child to start.
    pub next_index: u32,
    /// At most this many children run at once (0 = no limit).
    pub max_concurrency: u32,
    /// The event the children's first events follow.
    pub started_event: u64,
    /// True for a Map state (iteration events), false for Parallel.
    pub is_map: bool,
    /// After a redrive: where each unsuccessful child restarts (taken
    /// when it starts); `None` when every child starts from its start.
    pub resume: Option<Box<[Option<RedrivePoint>]>>,
}

impl Scope {
    pub(crate) fn new(path: ScopePath, last_event: u64) -> Scope {
        Scope {
            path,
            last_event,
            current: None,
        }
    }
}

impl ExecutionState {
    /// The execution's id.
    pub fn id(&self) -> ExecutionId {
        self.info.id
    }

    /// The execution's name.
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// The name of the state machine it runs.
    pub fn state_machine(&self) -> &str {
        &self.info.state_machine
    }

    /// The execution input.
    pub fn input(&self) -> &Value {
        &self.info.input
    }

    /// When it started, in ms since the epoch.
    pub fn started_ms(&self) -> i64 {
        self.info.started_ms
    }

    /// How it ended, once it has.
    pub fn completion(&self) -> Option<&Completion> {
        self.completion.as_ref()
    }

    /// Id of the last history event.
    pub fn last_event_id(&self) -> u64 {
        self.book.last_event
    }

    /// Number of transitions applied (= records in its stream).
    pub fn transitions(&self) -> u64 {
        self.book.transitions
    }

    /// Content hash of the definition it runs.
    pub fn definition_hash(&self) -> &str {
        &self.info.definition_hash
    }

    /// How many times it was redriven.
    pub fn redrive_count(&self) -> u32 {
        self.info.redrive_count
    }

    /// When it was last redriven, ms since the epoch.
    pub fn redriven_ms(&self) -> Option<i64> {
        self.info.redriven_ms
    }

    /// True when it ended failed, aborted or timed out with a state to
    /// restart from, so `Input::Redrive` applies.
    pub fn redrivable(&self) -> bool {
        let unsuccessful = matches!(
            self.completion,
            Some(Completion::Failed { .. } | Completion::Aborted { .. } | Completion::TimedOut)
        );
        unsuccessful && self.book.redrive_point.is_some()
    }
}

impl Scope {
    /// The running descendant at `path` (relative to this scope).
    pub(crate) fn descendant_mut(&mut self, path: &[u32]) -> Option<&mut Scope> {
        let mut scope = self;
        for index in path {
            let current = scope.current.as_mut()?;
            let Phase::FanOut(fan_out) = &mut current.phase else {
                return None;
            };
            scope = fan_out.running.get_mut(index)?;
        }
        Some(scope)
    }

    /// The running descendant at `path` (relative to this scope).
    pub(crate) fn descendant(&self, path: &[u32]) -> Option<&Scope> {
        let mut scope = self;
        for index in path {
            let current = scope.current.as_ref()?;
            let Phase::FanOut(fan_out) = &current.phase else {
                return None;
            };
            scope = fan_out.running.get(index)?;
        }
        Some(scope)
    }
}
