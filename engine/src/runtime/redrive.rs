//! `redrive_execution`: one durable transition that reopens an ended
//! execution, then its driver.
//!
//! 1. Refuse children of map runs (their parent redrives them), executions
//!    that run (a driver or a RUNNING index row), succeeded ones, and
//!    those past Step Functions' redrivable period (14 days after the stop)
//!    or maximum execution time (a year after the start), by the engine's
//!    clock (`api/redrivable.rs`): `ExecutionNotRedrivable` with the reason.
//! 2. Wait until no map-run coordinator of the execution is live (a run
//!    still aborting its children after the parent ended), so the redriven
//!    map run is never claimed twice.
//! 3. Replay the stream; refuse it when it has no state to restart from.
//! 4. Wait for a running-execution slot (`runtime/admission.rs`).
//! 5. Step `Input::RedriveFromFailedStates` (pure) and commit ONE batch: the Redrive
//!    record at the next sequence number and the index row moved from the
//!    final status to RUNNING (with the redrive count and date). Nothing is
//!    done before it is durable.
//! 6. Spawn the driver with the transition's effects (enter the state
//!    again, or `StartMapRun` for a redriven map run); it holds the slot
//!    until it exits.
//!
//! A crash after 5 leaves a RUNNING execution whose stream ends with the
//! Redrive record: recovery replays it and performs what it waits for, so
//! the redrive completes once. A second call while it runs is refused in 1.

use std::sync::Arc;

use shoal_storage::{Seq, StreamId, WriteBatch};

use super::admission::{self, Admission};
use super::executions::{replay, spawn_driver};
use super::shared::Shared;
use crate::api::redrivable;
use crate::api::{EngineError, ExecutionStatus, NotRedrivableReason};
use crate::history::ExecutionId;
use crate::interpreter::{self, Input, StampedInput};
use crate::store::{self, keys, TransitionRecord};

/// Redrives `id`; returns the redrive time (ms since the epoch) once the
/// redrive is durable. Callers serialise calls (the second one must see
/// the first one's driver).
pub(crate) async fn redrive(
    shared: &Arc<Shared>,
    admission: &Arc<Admission>,
    id: ExecutionId,
) -> Result<i64, EngineError> {
    let refuse = |reason: NotRedrivableReason| EngineError::ExecutionNotRedrivable {
        execution: id.to_string(),
        reason,
    };
    if crate::maprun::is_child(id) {
        return Err(refuse(NotRedrivableReason::MapRunChild));
    }
    if shared.running.lock().contains_key(&id) {
        return Err(refuse(NotRedrivableReason::Running));
    }
    let (status, mut row) = crate::api::queries::index_row(shared.log.as_ref(), id)?;
    redrivable::check(
        status,
        row.started_ms,
        row.stopped_ms,
        shared.clock.now_ms(),
    )
    .map_err(refuse)?;
    shared.maprun.wait_closed(id).await;
    let state = replay(shared, id)?;
    if !state.redrivable() {
        return Err(refuse(NotRedrivableReason::NoRedrivePoint));
    }
    let slot = admission
        .acquire()
        .await
        .ok_or_else(|| EngineError::Stopped {
            reason: "the admission semaphore is closed".into(),
        })?;
    if let Some(stopped) = shared.stopped_error() {
        return Err(stopped);
    }
    let stamped = StampedInput {
        timestamp_ms: shared.clock.now_ms(),
        seed: rand::random::<u64>(),
        input: Input::RedriveFromFailedStates,
    };
    let (next, output) = interpreter::step(&state, &stamped).map_err(|e| {
        tracing::warn!("redrive of {id} refused by the interpreter: {e}");
        refuse(NotRedrivableReason::NoRedrivePoint)
    })?;
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
    admission::hold_until_exit(shared, id, slot);
    Ok(record.input.timestamp_ms)
}
