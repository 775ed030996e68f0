//! Children's outcomes read back from their streams: a child's last record
//! says whether (and how) it ended, so neither recovery nor result assembly
//! keeps results in memory or replays finished children.

use serde_json::Value;
use shoal_storage::{EventLog, StreamId};

use super::ids::child_id;
use super::record::MapRunRow;
use super::window::{ABORTED, FAILED, SUCCEEDED, TIMED_OUT};
use crate::api::EngineError;
use crate::asl::StatesError;
use crate::history::{ExecutionId, HistoryEventType as T};
use crate::store::{self, StoreError};

/// How a child ended: its output (JSON text), or its error and cause.
pub(crate) type ChildOutcome = Result<String, (String, String)>;

/// The status (see `window`) and outcome of child `id`, or `None` while it
/// has not ended.
pub(crate) fn child_outcome(
    log: &dyn EventLog,
    id: ExecutionId,
) -> Result<Option<(u8, ChildOutcome)>, EngineError> {
    let stream = StreamId(id.0);
    let read = |e| EngineError::log("reading a map run child", e);
    let Some(last) = log.last_seq(stream).map_err(read)? else {
        if super::ids::is_express_child(id) {
            // An EXPRESS child's only record is its outcome.
            return Ok(None);
        }
        return Err(EngineError::store(
            "reading a map run child",
            StoreError::Corrupt {
                what: "map run child",
                location: stream.to_string(),
                detail: "the child was dispatched but its stream is empty".into(),
            },
        ));
    };
    let records = log.read_stream(stream, last, 1).map_err(read)?;
    let Some(record) = records.into_iter().next() else {
        return Ok(None);
    };
    let transition = store::decode_transition(&record.payload).map_err(|detail| {
        EngineError::store(
            "reading a map run child",
            StoreError::Corrupt {
                what: "transition record",
                location: format!("{stream} {}", record.seq),
                detail,
            },
        )
    })?;
    for event in transition.events.iter().rev() {
        let details = &event.details;
        let failure = || {
            Err((
                details.error.clone().unwrap_or_default(),
                details.cause.clone().unwrap_or_default(),
            ))
        };
        let found = match event.kind {
            T::ExecutionSucceeded => (
                SUCCEEDED,
                Ok(details.output.clone().unwrap_or_else(|| "null".into())),
            ),
            T::ExecutionFailed => (FAILED, failure()),
            T::ExecutionTimedOut => (TIMED_OUT, failure()),
            T::ExecutionAborted => (ABORTED, failure()),
            _ => continue,
        };
        return Ok(Some(found));
    }
    Ok(None)
}

/// The run's output without a ResultWriter: every child's output in child
/// order (a failed child contributes `{"Error", "Cause"}`), built as text
/// and abandoned with `States.DataLimitExceeded` as soon as it passes
/// `limit_bytes`.
pub(crate) fn assemble(
    log: &dyn EventLog,
    row: &MapRunRow,
    limit_bytes: usize,
) -> Result<Result<String, StatesError>, EngineError> {
    let mut out = String::from("[");
    for index in 0..row.next_child {
        let id = child_id(row.run, index);
        let text = match child_outcome(log, id)? {
            Some((_, Ok(output))) => output,
            Some((_, Err((error, cause)))) => {
                serde_json::json!({"Error": error, "Cause": cause}).to_string()
            }
            None => Value::Null.to_string(),
        };
        if index > 0 {
            out.push(',');
        }
        out.push_str(&text);
        if out.len() + 1 > limit_bytes {
            return Ok(Err(StatesError::new(
                crate::asl::error::DATA_LIMIT_EXCEEDED,
                format!(
                    "the map run's results exceed the payload limit of {limit_bytes} bytes \
                     after {} of {} children; use a ResultWriter",
                    index + 1,
                    row.next_child
                ),
            )));
        }
    }
    out.push(']');
    Ok(Ok(out))
}

/// What the execution index would say of child `id` (which has no index
/// row): its status from its last record, its times from its first and
/// last records.
pub(crate) fn child_row(
    log: &dyn EventLog,
    id: ExecutionId,
) -> Result<(crate::api::ExecutionStatus, crate::store::ExecutionRow), EngineError> {
    use crate::api::ExecutionStatus as S;
    let stream = StreamId(id.0);
    let read = |e| EngineError::log("reading a map run child", e);
    let not_found = || EngineError::ExecutionNotFound {
        execution: id.to_string(),
    };
    let first = log
        .read_stream(stream, shoal_storage::Seq(1), 1)
        .map_err(read)?
        .into_iter()
        .next()
        .ok_or_else(not_found)?;
    let decode = |payload: &[u8], seq| {
        store::decode_transition(payload).map_err(|detail| {
            EngineError::store(
                "reading a map run child",
                StoreError::Corrupt {
                    what: "transition record",
                    location: format!("{stream} {seq}"),
                    detail,
                },
            )
        })
    };
    let start = decode(&first.payload, first.seq)?;
    let crate::interpreter::Input::Start { state_machine, .. } = &start.input.input else {
        return Err(not_found());
    };
    let (status, stopped_ms) = match child_outcome(log, id)? {
        None => (S::Running, None),
        Some((status, _)) => {
            let last = log.last_seq(stream).map_err(read)?.unwrap_or(first.seq);
            let record = log.read_stream(stream, last, 1).map_err(read)?;
            let stopped = match record.first() {
                Some(r) => Some(decode(&r.payload, r.seq)?.input.timestamp_ms),
                None => None,
            };
            let status = match status {
                SUCCEEDED => S::Succeeded,
                FAILED => S::Failed,
                TIMED_OUT => S::TimedOut,
                _ => S::Aborted,
            };
            (status, stopped)
        }
    };
    let (redrive_count, redriven_ms) = redrives_of(log, id)?;
    let row = crate::store::ExecutionRow {
        name: id.to_string(),
        state_machine: state_machine.clone(),
        started_ms: start.input.timestamp_ms,
        stopped_ms,
        redrive_count,
        redriven_ms,
    };
    Ok((status, row))
}

/// How many times child `id` was redriven and when last: its
/// `ExecutionRedriven` events (a child's history is short; children have
/// no index row to keep the count in).
pub(crate) fn redrives_of(
    log: &dyn EventLog,
    id: ExecutionId,
) -> Result<(u32, Option<i64>), EngineError> {
    let records = store::read_transitions(log, id)
        .map_err(|e| EngineError::store("reading a map run child", e))?;
    let mut count = 0;
    let mut last = None;
    for event in records.iter().flat_map(|r| r.events.iter()) {
        if event.kind == T::ExecutionRedriven {
            count += 1;
            last = Some(event.timestamp_ms);
        }
    }
    Ok((count, last))
}
