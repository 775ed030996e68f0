//! The runtime: one driver (a tokio task) per running execution, durable
//! commits before effects, timers, and recovery by replay.
//!
//! # Write path (one transition)
//!
//! 1. An input reaches the execution's driver: a task outcome, a timer, an
//!    API call (stop, task token), or an internal `Continue`.
//! 2. The driver stamps it with the clock's time and a fresh random seed
//!    and calls the pure [`crate::interpreter::step`].
//! 3. It encodes the stamped input and the events produced as one record
//!    (`store::TransitionRecord`) at the stream's next sequence number, and
//!    adds it to the batch; if the transition ends the execution, the
//!    index-row move (RUNNING → final status) joins the same batch.
//! 4. Internal `Continue` inputs are stepped into the same batch (up to
//!    `TRANSITIONS_PER_BATCH_MAX`, `BATCH_RECORD_BYTES_MAX`), as are inputs
//!    already queued; nothing outside the driver sees them before the
//!    commit.
//! 5. The batch goes to `EventLog::commit` and the driver awaits its ticket.
//! 6. Only on `Ok`: callers waiting for an acknowledgement are answered,
//!    then effects run: task attempts are invoked, timers armed or
//!    cancelled, the completion published.
//! 7. On `Err` the engine stops (a poisoned log cannot acknowledge
//!    anything again); nothing of the batch is reported done.
//!
//! # Recovery path (`Engine::builder(..).build()`)
//!
//! 1. Read the execution-id reservation counter; ids below it are skipped.
//! 2. Scan the index for RUNNING rows.
//! 3. For each, read its stream and replay: `start` on the first record,
//!    `step` on each following one, with the recorded time and seed, which
//!    rebuilds the exact state (the definition comes from its hash row).
//! 4. Ask the state what it still waits for
//!    ([`crate::interpreter::ExecutionState::outstanding_effects`]): states
//!    entered but not yet run (Continue), task attempts with no recorded
//!    outcome (invoked again with the same idempotency key), and armed
//!    timers (at their absolute fire time; one that came due while down
//!    fires at once, and once, since its firing is a recorded transition).
//! 5. Spawn the driver with those effects.
//!
//! # Shutdown
//!
//! 1. Set the stopping flag: each driver finishes the batch it is
//!    committing, then cancels its timers and task attempts and exits.
//! 2. Wait until no driver runs; then stop the task runner's pool.

pub(crate) mod admission;
mod attempts;
mod clock;
pub(crate) mod counters;
pub(crate) mod definitions;
mod driver;
mod effects;
pub(crate) mod executions;
pub(crate) mod ids;
pub(crate) mod inbox;
pub(crate) mod redrive;
pub(crate) mod shared;
pub(crate) mod trace;

pub use clock::{Clock, SystemClock, TokioClock};
pub use driver::{BATCH_RECORD_BYTES_MAX, TRANSITIONS_PER_BATCH_MAX};
pub use ids::EXECUTION_IDS_PER_RESERVATION;
