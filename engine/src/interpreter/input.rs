//! What drives an execution forward: [`Input`]s, each stamped with the time
//! and the random seed of its transition.

use crate::history::ExecutionId;

/// Branch and iteration indexes from the top level down to a nested scope
/// (a Parallel branch or an inline Map iteration); empty at the top level.
pub type ScopePath = Vec<u32>;

/// Identifies a durable timer within one execution; allocated in order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, bincode::Encode, bincode::Decode,
)]
pub struct TimerId(pub u64);

/// One event from outside the interpreter. Each accepted input is one
/// transition and one record in the log; replaying the recorded inputs
/// through [`super::step`] rebuilds the execution.
#[derive(Debug, Clone, PartialEq, bincode::Encode, bincode::Decode)]
pub enum Input {
    /// Begins the execution (always the first record of a stream).
    Start {
        /// The execution being started.
        execution: ExecutionId,
        /// Its name (unique among executions).
        name: String,
        /// Content hash of the definition it runs.
        definition_hash: String,
        /// Name the state machine was registered under.
        state_machine: String,
        /// The execution input, as JSON text.
        input_json: String,
    },
    /// Runs the current state of `scope` (a state that was entered and acts
    /// without waiting for anything outside).
    Continue {
        /// The scope whose current state runs.
        scope: ScopePath,
    },
    /// A task attempt returned a result.
    TaskSucceeded {
        /// The task's scope.
        scope: ScopePath,
        /// The Task state's name.
        state: String,
        /// The attempt that finished.
        attempt: u32,
        /// The result, as JSON text.
        output_json: String,
    },
    /// A task attempt failed or timed out.
    TaskFailed {
        /// The task's scope.
        scope: ScopePath,
        /// The Task state's name.
        state: String,
        /// The attempt that finished.
        attempt: u32,
        /// The error name (`States.Timeout` for a timeout).
        error: String,
        /// The cause.
        cause: String,
        /// True when the attempt timed out (recorded as `TaskTimedOut`).
        timed_out: bool,
    },
    /// A durable timer came due.
    TimerFired {
        /// The timer.
        timer: TimerId,
    },
    /// `send_task_success` for a `.waitForTaskToken` task.
    TokenSucceeded {
        /// The task token.
        token: String,
        /// The result, as JSON text.
        output_json: String,
    },
    /// `send_task_failure` for a `.waitForTaskToken` task.
    TokenFailed {
        /// The task token.
        token: String,
        /// The error name.
        error: String,
        /// The cause.
        cause: String,
    },
    /// `send_task_heartbeat` for a `.waitForTaskToken` task.
    TokenHeartbeat {
        /// The task token.
        token: String,
    },
    /// The map run of the DISTRIBUTED Map state at `scope` ended.
    MapRunCompleted {
        /// The Map state's scope.
        scope: ScopePath,
        /// The Map state's name.
        state: String,
        /// The results (JSON text) when the run succeeded.
        output_json: Option<String>,
        /// The error name when it failed.
        error: String,
        /// The cause when it failed.
        cause: String,
    },
    /// `stop_execution`.
    Stop {
        /// The error recorded with `ExecutionAborted`.
        error: String,
        /// The cause recorded with `ExecutionAborted`.
        cause: String,
    },
    /// `redrive_execution` as recorded by earlier versions: restarts an
    /// execution that failed, was stopped or timed out, from the top-level
    /// state it did not finish; inside a failed Parallel or inline Map the
    /// unsuccessful children run again each from its start. Replayed with
    /// that meaning; new redrives record [`Input::RedriveFromFailedStates`].
    Redrive,
    /// `redrive_execution`: as [`Input::Redrive`], but each unsuccessful
    /// child of a failed Parallel or inline Map restarts from the state it
    /// did not finish (recursively), as Step Functions does.
    /// (Last variant: the enum's bincode index is on disk.)
    RedriveFromFailedStates,
}

/// An input with what the transition may not read for itself: the wall
/// time and a random seed (task tokens, jitter, intrinsic randomness).
#[derive(Debug, Clone, PartialEq, bincode::Encode, bincode::Decode)]
pub struct StampedInput {
    /// Wall time of the transition, in ms since the Unix epoch.
    pub timestamp_ms: i64,
    /// Seed for every random choice the transition makes.
    pub seed: u64,
    /// The input.
    pub input: Input,
}

impl Input {
    /// A short name for errors and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Input::Start { .. } => "Start",
            Input::Continue { .. } => "Continue",
            Input::TaskSucceeded { .. } => "TaskSucceeded",
            Input::TaskFailed { .. } => "TaskFailed",
            Input::TimerFired { .. } => "TimerFired",
            Input::TokenSucceeded { .. } => "TokenSucceeded",
            Input::TokenFailed { .. } => "TokenFailed",
            Input::TokenHeartbeat { .. } => "TokenHeartbeat",
            Input::Stop { .. } => "Stop",
            Input::MapRunCompleted { .. } => "MapRunCompleted",
            Input::Redrive => "Redrive",
            Input::RedriveFromFailedStates => "RedriveFromFailedStates",
        }
    }
}
