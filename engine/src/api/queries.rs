//! Reads that answer the API from the log: describe, history, listing.

use serde_json::Value;
use shoal_storage::{EventLog, Seq, StreamId};

use super::error::EngineError;
use super::types::{
    ExecutionDescription, ExecutionPage, ExecutionStatus, ExecutionSummary, ListExecutionsOptions,
    PageToken, DEFAULT_PAGE_SIZE,
};
use crate::history::{ExecutionId, HistoryEvent, HistoryEventType};
use crate::interpreter::{Completion, ExecutionState, Input};
use crate::store::{self, keys, ExecutionRow, StoreError, TransitionRecord};

/// What the Start record of an execution says.
pub(crate) struct StartRecord {
    pub state_machine: String,
    pub definition_hash: String,
    pub input: Value,
}

/// Reads and decodes one record of `id`'s stream.
fn record_at(
    log: &dyn EventLog,
    id: ExecutionId,
    seq: u64,
) -> Result<TransitionRecord, EngineError> {
    let stream = StreamId(id.0);
    let records = log
        .read_stream(stream, Seq(seq), 1)
        .map_err(|e| EngineError::log("reading an execution", e))?;
    let record = records
        .into_iter()
        .next()
        .ok_or_else(|| EngineError::ExecutionNotFound {
            execution: id.to_string(),
        })?;
    store::decode_transition(&record.payload).map_err(|detail| {
        EngineError::store(
            "reading an execution",
            StoreError::Corrupt {
                what: "transition record",
                location: format!("{stream} {}", record.seq),
                detail,
            },
        )
    })
}

/// The Start record of `id`.
pub(crate) fn start_record(
    log: &dyn EventLog,
    id: ExecutionId,
) -> Result<StartRecord, EngineError> {
    let record = record_at(log, id, 1)?;
    let Input::Start {
        state_machine,
        definition_hash,
        input_json,
        ..
    } = record.input.input
    else {
        return Err(EngineError::store(
            "reading an execution",
            StoreError::Corrupt {
                what: "transition record",
                location: format!("{} seq 1", StreamId(id.0)),
                detail: "the first record is not Start".into(),
            },
        ));
    };
    let input = serde_json::from_str(&input_json).unwrap_or(Value::Null);
    Ok(StartRecord {
        state_machine,
        definition_hash,
        input,
    })
}

/// The index row of `id` and its status.
pub(crate) fn index_row(
    log: &dyn EventLog,
    id: ExecutionId,
) -> Result<(ExecutionStatus, ExecutionRow), EngineError> {
    for status in ExecutionStatus::ALL {
        let key = keys::execution_key(status, id);
        let row = log
            .get_row(keys::EXECUTIONS, &key)
            .map_err(|e| EngineError::log("reading the execution index", e))?;
        if let Some(bytes) = row {
            let row = store::decode_execution_row(&bytes, &format!("executions/{status}/{id}"))
                .map_err(|e| EngineError::store("reading the execution index", e))?;
            return Ok((status, row));
        }
    }
    Err(EngineError::ExecutionNotFound {
        execution: id.to_string(),
    })
}

/// `describe_execution`; `now_ms` decides the redrive status.
pub(crate) fn describe(
    log: &dyn EventLog,
    id: ExecutionId,
    now_ms: i64,
) -> Result<ExecutionDescription, EngineError> {
    let (status, row) = if crate::maprun::is_child(id) {
        // Map run children have no index row; their stream says it all.
        crate::maprun::child_row(log, id)?
    } else {
        index_row(log, id)?
    };
    let start = start_record(log, id)?;
    let child = crate::maprun::is_child(id);
    let (redrive_status, redrive_status_reason) =
        super::redrivable::status_at(status, child, row.started_ms, row.stopped_ms, now_ms);
    let mut description = ExecutionDescription {
        id,
        name: row.name,
        state_machine: start.state_machine,
        definition_hash: start.definition_hash,
        status,
        input: start.input,
        output: None,
        error: None,
        cause: None,
        started_ms: row.started_ms,
        stopped_ms: row.stopped_ms,
        redrive_count: row.redrive_count,
        redrive_date_ms: row.redriven_ms,
        redrive_status,
        redrive_status_reason,
    };
    if status == ExecutionStatus::Running {
        return Ok(description);
    }
    let last = log
        .last_seq(StreamId(id.0))
        .map_err(|e| EngineError::log("reading an execution", e))?
        .unwrap_or(Seq(1));
    let record = record_at(log, id, last.0)?;
    let end = record.events.iter().rev().find(|event| {
        matches!(
            event.kind,
            HistoryEventType::ExecutionSucceeded
                | HistoryEventType::ExecutionFailed
                | HistoryEventType::ExecutionAborted
                | HistoryEventType::ExecutionTimedOut
        )
    });
    if let Some(event) = end {
        description.output = event
            .details
            .output
            .as_deref()
            .map(|text| serde_json::from_str(text).unwrap_or(Value::Null));
        description.error = event.details.error.clone();
        description.cause = event.details.cause.clone();
    }
    Ok(description)
}

/// What [`describe`] would read back (at `now_ms`) for an execution whose
/// end (`completion` at `stopped_ms`) was just made durable, built from its
/// state instead of the log; `None` where the log's answer could differ (a
/// map run's child, a timeout whose error text lives only in its event).
pub(crate) fn ended_description(
    state: &ExecutionState,
    completion: &Completion,
    stopped_ms: i64,
    now_ms: i64,
) -> Option<ExecutionDescription> {
    if crate::maprun::is_child(state.id()) {
        return None;
    }
    let (status, output, error, cause) = match completion {
        Completion::Succeeded(output) => {
            (ExecutionStatus::Succeeded, Some(output.clone()), None, None)
        }
        Completion::Failed { error, cause } => (
            ExecutionStatus::Failed,
            None,
            Some(error.clone()),
            Some(cause.clone()),
        ),
        Completion::Aborted { error, cause } => (
            ExecutionStatus::Aborted,
            None,
            Some(error.clone()),
            Some(cause.clone()),
        ),
        Completion::TimedOut => return None,
    };
    let (redrive_status, redrive_status_reason) =
        super::redrivable::status_at(status, false, state.started_ms(), Some(stopped_ms), now_ms);
    Some(ExecutionDescription {
        id: state.id(),
        name: state.name().to_string(),
        state_machine: state.state_machine().to_string(),
        definition_hash: state.definition_hash().to_string(),
        status,
        input: state.input().clone(),
        output,
        error,
        cause,
        started_ms: state.started_ms(),
        stopped_ms: Some(stopped_ms),
        redrive_count: state.redrive_count(),
        redrive_date_ms: state.redriven_ms(),
        redrive_status,
        redrive_status_reason,
    })
}

/// `get_execution_history`.
pub(crate) fn history(
    log: &dyn EventLog,
    id: ExecutionId,
    after_event_id: u64,
    limit: usize,
) -> Result<Vec<HistoryEvent>, EngineError> {
    let records =
        store::read_transitions(log, id).map_err(|e| EngineError::store("reading a history", e))?;
    if records.is_empty() {
        return Err(EngineError::ExecutionNotFound {
            execution: id.to_string(),
        });
    }
    Ok(records
        .into_iter()
        .flat_map(|record| record.events)
        .filter(|event| event.id.0 > after_event_id)
        .take(limit)
        .collect())
}

/// `list_executions`.
pub(crate) fn list(
    log: &dyn EventLog,
    options: &ListExecutionsOptions,
) -> Result<ExecutionPage, EngineError> {
    let limit = options.limit.unwrap_or(DEFAULT_PAGE_SIZE).max(1);
    let prefix: Vec<u8> = options.status.map(|s| vec![s.code()]).unwrap_or_default();
    let mut after = options.page.as_ref().map(|page| page.0.clone());
    let mut executions = Vec::new();
    loop {
        let rows = log
            .scan_rows(keys::EXECUTIONS, &prefix, after.as_deref(), limit)
            .map_err(|e| EngineError::log("listing executions", e))?;
        let exhausted = rows.len() < limit;
        for (key, value) in rows {
            after = Some(key.clone());
            let Some((status, id)) = keys::parse_execution_key(&key) else {
                continue;
            };
            let row = store::decode_execution_row(&value, &format!("executions/{status}/{id}"))
                .map_err(|e| EngineError::store("listing executions", e))?;
            if options
                .state_machine
                .as_ref()
                .is_some_and(|name| *name != row.state_machine)
            {
                continue;
            }
            executions.push(ExecutionSummary {
                id,
                name: row.name,
                state_machine: row.state_machine,
                status,
                started_ms: row.started_ms,
                stopped_ms: row.stopped_ms,
            });
            if executions.len() == limit {
                return Ok(ExecutionPage {
                    executions,
                    next_page: after.map(PageToken),
                });
            }
        }
        if exhausted {
            return Ok(ExecutionPage {
                executions,
                next_page: None,
            });
        }
    }
}
