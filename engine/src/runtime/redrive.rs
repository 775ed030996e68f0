//! `redrive_execution`: one durable transition that reopens an ended
//! execution, then its driver.
//!
//! 1. Refuse children of map runs (their parent redrives them), executions
//!    that run (a driver or a RUNNING index row) and succeeded ones: Step
//!    Functions' `ExecutionNotRedrivable`.
//! 2. Wait until no map-run coordinator of the execution is live (a run
//!    still aborting its children after the parent ended), so the redriven
//!    map run is never claimed twice.
//! 3. Replay the stream and step `Input::Redrive` (pure).
//! 4. Commit ONE batch: the Redrive record at the next sequence number and
//!    the index row moved from the final status to RUNNING (with the
//!    redrive count and date). Nothing is done before it is durable.
//! 5. Spawn the driver with the transition's effects (enter the state
//!    again, or `StartMapRun` for a redriven map run).
//!
//! A crash after 4 leaves a RUNNING execution whose stream ends with the
//! Redrive record: recovery replays it and performs what it waits for, so
//! the redrive completes once. A second call while it runs is refused in 1.

use std::sync::Arc;

use shoal_storage::{Seq, StreamId, WriteBatch};

use super::executions::{replay, spawn_driver};
use super::shared::Shared;
use crate::api::{EngineError, ExecutionStatus};
use crate::history::ExecutionId;
use crate::interpreter::{self, Input, StampedInput};
use crate::store::{self, keys, TransitionRecord};

/// Redrives `id`; returns the redrive time (ms since the epoch) once the
/// redrive is durable. Callers serialise calls (the second one must see
/// the first one's driver).
pub(crate) async fn redrive(shared: &Arc<Shared>, id: ExecutionId) -> Result<i64, EngineError> {
    let refuse = |reason: &str| EngineError::ExecutionNotRedrivable {
        execution: id.to_string(),
        reason: reason.to_string(),
    };
    if crate::maprun::is_child(id) {
        return Err(refuse(
            "it is a map run's child execution; redrive the parent execution",
        ));
    }
    if shared.running.lock().contains_key(&id) {
        return Err(refuse("it is RUNNING"));
    }
    let (status, mut row) = crate::api::queries::index_row(shared.log.as_ref(), id)?;
    match status {
        ExecutionStatus::Running | ExecutionStatus::Succeeded => {
            return Err(refuse(&format!("it is {status}")));
        }
        ExecutionStatus::Failed | ExecutionStatus::Aborted | ExecutionStatus::TimedOut => {}
    }
    shared.maprun.wait_closed(id).await;
    let state = replay(shared, id)?;
    if !state.redrivable() {
        return Err(refuse("it has no state to restart from"));
    }
    let stamped = StampedInput {
        timestamp_ms: shared.clock.now_ms(),
        seed: rand::random::<u64>(),
        input: Input::Redrive,
    };
    let (next, output) = interpreter::step(&state, &stamped).map_err(|e| refuse(&e.to_string()))?;
    let record = TransitionRecord {
        input: stamped,
        events: output.events,
    };
    let payload = store::encode_transition(&record).map_err(|e| EngineError::InvalidArgument {
        what: "redrive",
        reason: format!("cannot be recorded: {e}"),
    })?;
    let mut batch = WriteBatch::new();
    batch.append(
        StreamId(id.0),
        Seq(next.transitions()),
        store::TRANSITION_KIND,
        payload,
    );
    row.stopped_ms = None;
    row.redrive_count = next.redrive_count();
    row.redriven_ms = next.redriven_ms();
    batch.delete(keys::EXECUTIONS, keys::execution_key(status, id));
    batch.put(
        keys::EXECUTIONS,
        keys::execution_key(ExecutionStatus::Running, id),
        store::encode_execution_row(&row),
    );
    shared
        .log
        .commit(batch)
        .await
        .map_err(|e| EngineError::log("redriving an execution", e))?;
    spawn_driver(shared, next, output.effects);
    Ok(record.input.timestamp_ms)
}
