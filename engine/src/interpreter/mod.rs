//! The interpreter: a pure transition function from (execution state,
//! input) to (new state, history events, effects).
//!
//! No I/O and no clock reads: each [`StampedInput`] carries the wall time
//! and a random seed, so replaying the recorded inputs of an execution
//! through [`start`] and [`step`] rebuilds exactly the state it had. The
//! driver in [`crate::runtime`] records each transition and performs its
//! [`Effect`]s only once the record is durable.
//!
//! One module per state type (`pass`, `task`, `choice`, `wait`, `succeed`,
//! `fail`, `parallel`, `map_inline`); `flow` moves between states (Next,
//! End, Retry, Catch); `fan_out` runs Parallel branches and inline Map
//! iterations as nested scopes of the same execution. An input that does
//! not fit the state (a late task outcome, a cancelled timer) is a
//! [`StepError`], never silently ignored.

mod body;
mod choice;
mod context;
mod dataflow;
mod effect;
mod error;
mod fail;
mod fan_out;
mod flow;
mod input;
mod map_distributed;
mod map_inline;
mod outstanding;
mod parallel;
mod pass;
mod redrive;
mod state;
mod step;
mod succeed;
mod task;
mod wait;

pub use effect::{Completion, Effect, TaskSpec};
pub use error::StepError;
pub use input::{Input, ScopePath, StampedInput, TimerId};
pub use map_distributed::{BatcherSpec, MapItems, MapRunSpec};
pub use state::{ExecutionState, InterpreterOptions};
pub use step::{start, step, step_in_place, StepOutput};
