//! Starting executions, spawning their drivers, and recovering the
//! unfinished ones by replay.

use std::sync::Arc;

use shoal_storage::{Seq, StreamId, WriteBatch};

use super::admission::{self, Admission};
use super::definitions;
use super::driver::Driver;
use super::inbox::inbox;
use super::shared::{RunningExecution, Shared};
use super::trace;
use crate::api::{EngineError, ExecutionStatus};
use crate::history::ExecutionId;
use crate::interpreter::{self, Effect, ExecutionState, Input, StampedInput};
use crate::store::{self, keys, ExecutionRow, TransitionRecord};

/// Running executions listed per scan of the index at recovery.
const RECOVERY_SCAN_ROWS: usize = 1024;

/// Applies and durably records `Start` for a new execution (its record,
/// its RUNNING index row and, for a caller-chosen name, its name row, in
/// one batch), then spawns its driver.
pub(crate) async fn start(
    shared: &Arc<Shared>,
    id: ExecutionId,
    name: String,
    named: bool,
    state_machine: &str,
    hash: String,
    input_json: String,
) -> Result<(), EngineError> {
    let machine = definitions::machine(shared, &hash)?;
    let stamped = StampedInput {
        timestamp_ms: shared.clock.now_ms(),
        seed: rand::random::<u64>(),
        input: Input::Start {
            execution: id,
            name: name.clone(),
            definition_hash: hash,
            state_machine: state_machine.to_string(),
            input_json,
        },
    };
    let (state, output) = interpreter::start(machine, &stamped, shared.options).map_err(|e| {
        EngineError::InvalidArgument {
            what: "execution input",
            reason: e.to_string(),
        }
    })?;
    let record = TransitionRecord {
        input: stamped,
        events: output.events,
    };
    let payload = store::encode_transition(&record).map_err(|e| EngineError::InvalidArgument {
        what: "execution input",
        reason: format!("cannot be recorded: {e}"),
    })?;
    let mut batch = WriteBatch::new();
    batch.append(StreamId(id.0), Seq(1), store::TRANSITION_KIND, payload);
    let row = ExecutionRow {
        name: name.clone(),
        state_machine: state_machine.to_string(),
        started_ms: record.input.timestamp_ms,
        stopped_ms: None,
        redrive_count: 0,
        redriven_ms: None,
    };
    batch.put(
        keys::EXECUTIONS,
        keys::execution_key(ExecutionStatus::Running, id),
        store::encode_execution_row(&row),
    );
    if named {
        batch.put(keys::NAMES, name.as_bytes(), keys::u64_value(id.0));
    }
    // The Start effects (first task, timers) wait until this is durable.
    shared
        .log
        .commit(batch)
        .await
        .map_err(|e| shared.commit_failed("starting an execution", e))?;
    let span = trace::execution_span(&state);
    span.in_scope(|| {
        tracing::info!("execution started");
        trace::transition(&record.events);
    });
    spawn_driver_in(shared, state, output.effects, span);
    Ok(())
}

/// Registers and spawns the driver of a running execution.
pub(crate) fn spawn_driver(shared: &Arc<Shared>, state: ExecutionState, initial: Vec<Effect>) {
    let span = trace::execution_span(&state);
    spawn_driver_in(shared, state, initial, span);
}

/// [`spawn_driver`] inside `span` (the execution's span, already made).
fn spawn_driver_in(
    shared: &Arc<Shared>,
    state: ExecutionState,
    initial: Vec<Effect>,
    span: tracing::Span,
) {
    let (sender, receiver) = inbox();
    shared
        .running
        .lock()
        .insert(state.id(), RunningExecution::new(sender.clone()));
    shared.driver_started();
    shared.counters.driver_started();
    let driver = Box::new(Driver::new(Arc::clone(shared), state, receiver, sender));
    trace::spawn_in(span, driver.run(initial));
}

/// Rebuilds an execution's state by replaying its recorded inputs.
pub(crate) fn replay(shared: &Shared, id: ExecutionId) -> Result<ExecutionState, EngineError> {
    let records = store::read_transitions(shared.log.as_ref(), id)
        .map_err(|e| EngineError::store("replaying an execution", e))?;
    let mut records = records.into_iter();
    let first = records
        .next()
        .ok_or_else(|| EngineError::ExecutionNotFound {
            execution: id.to_string(),
        })?;
    let Input::Start {
        definition_hash, ..
    } = &first.input.input
    else {
        return Err(replay_error(id, "the first record is not Start".into()));
    };
    let machine = definitions::machine(shared, definition_hash)?;
    let (mut state, _) = interpreter::start(machine, &first.input, shared.options)
        .map_err(|e| replay_error(id, e.to_string()))?;
    for record in records {
        // In place: on an error the state is dropped anyway.
        interpreter::step_in_place(&mut state, &record.input)
            .map_err(|e| replay_error(id, e.to_string()))?;
    }
    Ok(state)
}

/// Replays every RUNNING execution and resumes it, each holding a slot
/// of `admission` taken without waiting; returns how many.
pub(crate) fn recover_all(
    shared: &Arc<Shared>,
    admission: &Arc<Admission>,
) -> Result<usize, EngineError> {
    let prefix = [ExecutionStatus::Running.code()];
    let mut after: Option<Vec<u8>> = None;
    let mut recovered = 0;
    loop {
        let rows = shared
            .log
            .scan_rows(
                keys::EXECUTIONS,
                &prefix,
                after.as_deref(),
                RECOVERY_SCAN_ROWS,
            )
            .map_err(|e| EngineError::log("listing running executions", e))?;
        let count = rows.len();
        for (key, _) in rows {
            let Some((_, id)) = keys::parse_execution_key(&key) else {
                continue;
            };
            let state = replay(shared, id)?;
            let effects = state.outstanding_effects();
            spawn_driver(shared, state, effects);
            admission::hold_until_exit(shared, id, admission.admit_recovered());
            recovered += 1;
            after = Some(key);
        }
        if count < RECOVERY_SCAN_ROWS {
            return Ok(recovered);
        }
    }
}

fn replay_error(id: ExecutionId, detail: String) -> EngineError {
    EngineError::Corrupt {
        operation: "replaying an execution",
        source: store::StoreError::Corrupt {
            what: "execution history",
            location: StreamId(id.0).to_string(),
            detail,
        },
    }
}
