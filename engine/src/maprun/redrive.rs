//! Redriving a map run (protocol steps R1–R5 in the module doc of
//! `maprun`): the parent was redriven at its DISTRIBUTED Map state, so the
//! spec asks for a higher redrive count than the row has.
//!
//! Every child from 0 to `next_child` is read (its last record):
//! succeeded children keep their result, and so do STANDARD children that
//! ended more than 14 days ago (Step Functions' redrivable period: their
//! failure is permanent); each other failed, aborted or
//! timed-out child gets a Redrive record at the end of its stream
//! (STANDARD: the interpreter's `Input::RedriveFromFailedStates`, so it restarts from its
//! own unsuccessful state; EXPRESS: an `ExecutionRedriven` marker, after
//! which it runs again from the start on its recorded input). A child
//! whose last record is not terminal then counts as pending, so the
//! window's usual recovery starts it. The row goes back to RUNNING with
//! the new redrive count, the watermark at the first child that is not
//! succeeded, and its settled counters recomputed; items never dispatched
//! are read from the checkpoint as usual.

use shoal_storage::{EventLog, Seq, StreamId, WriteBatch};

use super::ids::{child_id, is_express_child, MapRunKey};
use super::record::{encode_row, Ended, MapRunRow, MapRunStatus, MAP_RUNS, OPEN_MAP_RUNS};
use super::results::child_outcome;
use super::window::SUCCEEDED;
use crate::api::EngineError;
use crate::asl::StatesError;
use crate::history::{EventDetails, EventId, ExecutionId, HistoryEvent, HistoryEventType as T};
use crate::interpreter::{self, Input, MapRunSpec, StampedInput};
use crate::runtime::executions;
use crate::runtime::shared::Shared;
use crate::store::{self, StoreError, TransitionRecord};

/// How many times one map run can be redriven by default: Step Functions'
/// hard limit of 1000 redrives of a given Map Run
/// (`MapRunOptions::with_redrives_max`). The redrive after that fails the
/// Map state with `States.Runtime` and leaves the run as it was.
pub const MAP_RUN_REDRIVES_MAX: u32 = 1000;

/// `Ok` when `row` may be redriven once more under `redrives_max`, else
/// the `States.Runtime` error the Map state fails with.
pub(crate) fn redrive_allowed(row: &MapRunRow, redrives_max: u32) -> Result<(), StatesError> {
    if row.redrive_count < redrives_max {
        return Ok(());
    }
    Err(StatesError::runtime(format!(
        "map run {} was redriven {} times, the most a map run can be ({redrives_max})",
        row.arn, row.redrive_count
    )))
}

/// Redrive records committed per batch at most (the row goes last, so a
/// crash between batches redrives the rest on the next launch).
const REDRIVE_CHILDREN_PER_COMMIT: usize = 1024;

/// Redrives `row` to `spec.redrive_count`; returns the row now RUNNING and
/// the indexes of the children redriven.
pub(crate) async fn redrive_row(
    shared: &Shared,
    spec: &MapRunSpec,
    key: MapRunKey,
    mut row: MapRunRow,
) -> Result<(MapRunRow, Vec<u64>), EngineError> {
    let log = shared.log.as_ref();
    let batched = spec.batcher.is_some();
    let mut first_open: Option<u64> = None;
    let mut settled = (Ended::default(), Ended::default());
    let mut redriven = Vec::new();
    let mut batch = WriteBatch::new();
    let mut in_batch = 0;
    for index in 0..row.next_child {
        let id = child_id(row.run, index);
        match child_outcome(log, id)? {
            Some((SUCCEEDED, _)) => {
                if first_open.is_none() {
                    settled.0.add(SUCCEEDED, 1);
                    settled
                        .1
                        .add(SUCCEEDED, u64::from(child_items(log, id, batched)?));
                }
            }
            Some(_) => {
                first_open.get_or_insert(index);
                if past_redrivable_period(shared, id)? {
                    continue; // Stays as it ended, as in Step Functions.
                }
                let Some((seq, payload)) = redrive_record(shared, id, row.redrive_count)? else {
                    continue;
                };
                batch.append(StreamId(id.0), seq, store::TRANSITION_KIND, payload);
                redriven.push(index);
                in_batch += 1;
                if in_batch == REDRIVE_CHILDREN_PER_COMMIT {
                    commit(shared, std::mem::take(&mut batch)).await?;
                    in_batch = 0;
                }
            }
            None => {
                first_open.get_or_insert(index);
            }
        }
    }
    row.status = MapRunStatus::Running;
    row.stopped_ms = None;
    row.error = None;
    row.cause = None;
    row.redrive_count = spec.redrive_count;
    row.redriven_ms = Some(shared.clock.now_ms());
    row.watermark = first_open.unwrap_or(row.next_child);
    row.settled = settled.0;
    row.settled_items = settled.1;
    batch.put(MAP_RUNS, key.row_key(), encode_row(&row));
    batch.put(OPEN_MAP_RUNS, key.row_key(), Vec::new());
    commit(shared, batch).await?;
    Ok((row, redriven))
}

/// True for a STANDARD child that ended more than 14 days ago
/// (`REDRIVABLE_PERIOD_MS`): Step Functions does not redrive it, its
/// outcome is permanent. EXPRESS children always run again.
fn past_redrivable_period(shared: &Shared, id: ExecutionId) -> Result<bool, EngineError> {
    if is_express_child(id) {
        return Ok(false);
    }
    let (_, last) = last_record(shared.log.as_ref(), id)?;
    let ended_ms = last.input.timestamp_ms;
    Ok(shared.clock.now_ms().saturating_sub(ended_ms) > crate::api::REDRIVABLE_PERIOD_MS)
}

async fn commit(shared: &Shared, batch: WriteBatch) -> Result<(), EngineError> {
    shared
        .log
        .commit(batch)
        .await
        .map_err(|e| EngineError::log("redriving a map run", e))?;
    Ok(())
}

/// The record that reopens an ended child, at its stream's next sequence
/// number; `None` when the child cannot be redriven (no state to restart
/// from: it stays as it ended).
fn redrive_record(
    shared: &Shared,
    id: ExecutionId,
    run_redrives: u32,
) -> Result<Option<(Seq, Vec<u8>)>, EngineError> {
    let stamped = StampedInput {
        timestamp_ms: shared.clock.now_ms(),
        seed: rand::random::<u64>(),
        input: Input::RedriveFromFailedStates,
    };
    let record = if is_express_child(id) {
        let (last_seq, last) = last_record(shared.log.as_ref(), id)?;
        let last_event = last.events.last().map_or(0, |e| e.id.0);
        let redriven = HistoryEvent {
            id: EventId(last_event + 1),
            previous_event_id: EventId(last_event),
            timestamp_ms: stamped.timestamp_ms,
            kind: T::ExecutionRedriven,
            scope: Vec::new(),
            details: EventDetails {
                redrive_count: Some(run_redrives + 1),
                ..EventDetails::default()
            },
        };
        let record = TransitionRecord {
            input: stamped,
            events: vec![redriven],
        };
        (Seq(last_seq.0 + 1), record)
    } else {
        let state = executions::replay(shared, id)?;
        let Ok((next, output)) = interpreter::step(&state, &stamped) else {
            return Ok(None);
        };
        let record = TransitionRecord {
            input: stamped,
            events: output.events,
        };
        (Seq(next.transitions()), record)
    };
    let (seq, record) = record;
    let payload = store::encode_transition(&record).map_err(|e| {
        corrupt(
            id,
            format!("a redrive record cannot be encoded: {e}"),
            "map run child",
        )
    })?;
    Ok(Some((seq, payload)))
}

/// The last record of child `id` and its sequence number.
pub(crate) fn last_record(
    log: &dyn EventLog,
    id: ExecutionId,
) -> Result<(Seq, TransitionRecord), EngineError> {
    let stream = StreamId(id.0);
    let read = |e| EngineError::log("reading a map run child", e);
    let last = log
        .last_seq(stream)
        .map_err(read)?
        .ok_or_else(|| corrupt(id, "the stream is empty".into(), "map run child"))?;
    record_at(log, id, last)
}

/// Record `seq` of child `id`.
pub(crate) fn record_at(
    log: &dyn EventLog,
    id: ExecutionId,
    seq: Seq,
) -> Result<(Seq, TransitionRecord), EngineError> {
    let stream = StreamId(id.0);
    let records = log
        .read_stream(stream, seq, 1)
        .map_err(|e| EngineError::log("reading a map run child", e))?;
    let record = records
        .into_iter()
        .next()
        .ok_or_else(|| corrupt(id, format!("no record {seq}"), "map run child"))?;
    let decoded = store::decode_transition(&record.payload)
        .map_err(|detail| corrupt(id, detail, "transition record"))?;
    Ok((record.seq, decoded))
}

/// How many items child `id` carries: 1, or the length of its `Items`
/// with an ItemBatcher (read from its Start record).
pub(crate) fn child_items(
    log: &dyn EventLog,
    id: ExecutionId,
    batched: bool,
) -> Result<u32, EngineError> {
    if !batched {
        return Ok(1);
    }
    let (_, first) = record_at(log, id, Seq(1))?;
    let Input::Start { input_json, .. } = &first.input.input else {
        return Ok(1);
    };
    let input: serde_json::Value = serde_json::from_str(input_json).unwrap_or_default();
    let items = input
        .get("Items")
        .and_then(serde_json::Value::as_array)
        .map_or(1, Vec::len);
    Ok(u32::try_from(items).unwrap_or(u32::MAX))
}

/// Shifts the event ids of an EXPRESS outcome record (written with ids 1
/// and 2) to follow `last_event`, for a child that runs again after a
/// redrive; its record then goes after the redrive marker.
pub(crate) fn follow_events(record: Vec<u8>, last_event: u64) -> Vec<u8> {
    let Ok(mut decoded) = store::decode_transition(&record) else {
        return record;
    };
    for event in &mut decoded.events {
        event.id = EventId(event.id.0 + last_event);
        event.previous_event_id = EventId(event.previous_event_id.0 + last_event);
    }
    store::encode_transition(&decoded).unwrap_or(record)
}

fn corrupt(id: ExecutionId, detail: String, what: &'static str) -> EngineError {
    EngineError::store(
        "redriving a map run",
        StoreError::Corrupt {
            what,
            location: StreamId(id.0).to_string(),
            detail,
        },
    )
}
