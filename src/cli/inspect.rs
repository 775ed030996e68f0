//! [`Inspector`]: read-only answers from a data directory's log.
//!
//! The inspection commands (`list`, `describe`, `history`) must not resume
//! anything: building an [`Engine`](shoal_engine::Engine) recovers and
//! continues every unfinished execution, which would run task handlers as a
//! side effect of looking. So they read the log through the engine's
//! public record and row layout (`shoal_engine::store`) instead, giving the
//! same answers as `describe_execution`, `list_executions` and
//! `get_execution_history`.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use shoal_engine::api::{ExecutionDescription, ExecutionSummary};
use shoal_engine::history::HistoryEventType;
use shoal_engine::interpreter::Input;
use shoal_engine::store::{self, keys, TransitionRecord};
use shoal_engine::{ExecutionId, ExecutionStatus, HistoryEvent, RedriveStatus};
use shoal_storage::{EventLog, Seq, StreamId};

use super::error::CliError;
use super::open;

/// A read-only view of one data directory.
pub struct Inspector {
    log: Arc<dyn EventLog>,
}

impl Inspector {
    /// Opens the log of `data_dir`; a missing directory is `NotFound`.
    pub fn open(data_dir: &Path) -> Result<Inspector, CliError> {
        let log = open::open_log(data_dir, false)?;
        Ok(Inspector { log })
    }

    /// A view of a log already open (for example an engine's).
    pub fn from_log(log: Arc<dyn EventLog>) -> Inspector {
        Inspector { log }
    }

    /// The log being read.
    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.log
    }

    /// The type of the event that ended `id` (its last record's
    /// `Execution{Succeeded,Failed,TimedOut,Aborted}`), or `None` while it runs.
    pub fn end_event(&self, id: ExecutionId) -> Result<Option<HistoryEventType>, CliError> {
        let Some(last) = self
            .log
            .last_seq(StreamId(id.0))
            .map_err(|e| CliError::Storage(format!("reading {id}: {e}")))?
        else {
            return Ok(None);
        };
        let record = self.record_at(id, last.0)?;
        Ok(record
            .events
            .iter()
            .rev()
            .map(|e| e.kind)
            .find(|kind| is_end(*kind)))
    }

    /// The id of `exec`: an `exec-<16 hex>` id or an execution name.
    pub fn resolve(&self, exec: &str) -> Result<ExecutionId, CliError> {
        if let Ok(id) = exec.parse::<ExecutionId>() {
            return Ok(id);
        }
        let row = self
            .log
            .get_row(keys::NAMES, exec.as_bytes())
            .map_err(|e| CliError::Storage(format!("looking up execution {exec:?}: {e}")))?;
        row.as_deref()
            .and_then(keys::parse_u64)
            .map(ExecutionId)
            .ok_or_else(|| CliError::NotFound(format!("execution {exec:?} does not exist")))
    }

    /// What `describe_execution` answers.
    pub fn describe(&self, id: ExecutionId) -> Result<ExecutionDescription, CliError> {
        let (status, row) = self.index_row(id)?;
        let first = self.record_at(id, 1)?;
        let Input::Start {
            state_machine,
            definition_hash,
            input_json,
            ..
        } = first.input.input
        else {
            return Err(corrupt(id, 1, "the first record is not Start"));
        };
        let mut description = ExecutionDescription {
            id,
            name: row.name,
            state_machine,
            definition_hash,
            status,
            input: serde_json::from_str(&input_json).unwrap_or(Value::Null),
            output: None,
            error: None,
            cause: None,
            started_ms: row.started_ms,
            stopped_ms: row.stopped_ms,
            redrive_count: row.redrive_count,
            redrive_date_ms: row.redriven_ms,
            redrive_status: RedriveStatus::of(status, shoal_engine::maprun::is_child(id)),
        };
        if status == ExecutionStatus::Running {
            return Ok(description);
        }
        let last = self
            .log
            .last_seq(StreamId(id.0))
            .map_err(|e| CliError::Storage(format!("reading {id}: {e}")))?
            .unwrap_or(Seq(1));
        let record = self.record_at(id, last.0)?;
        let end = record.events.iter().rev().find(|event| is_end(event.kind));
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

    /// Executions by status then id, optionally filtered, at most `limit`.
    pub fn list(
        &self,
        status: Option<ExecutionStatus>,
        state_machine: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ExecutionSummary>, CliError> {
        const PAGE_ROWS: usize = 512;
        let prefix: Vec<u8> = status.map(|s| vec![s.code()]).unwrap_or_default();
        let mut after: Option<Vec<u8>> = None;
        let mut out = Vec::new();
        loop {
            let rows = self
                .log
                .scan_rows(keys::EXECUTIONS, &prefix, after.as_deref(), PAGE_ROWS)
                .map_err(|e| CliError::Storage(format!("listing executions: {e}")))?;
            let exhausted = rows.len() < PAGE_ROWS;
            for (key, value) in rows {
                after = Some(key.clone());
                let Some((status, id)) = keys::parse_execution_key(&key) else {
                    continue;
                };
                let row = store::decode_execution_row(&value, &format!("executions/{status}/{id}"))
                    .map_err(|e| CliError::Storage(format!("listing executions: {e}")))?;
                if state_machine.is_some_and(|name| name != row.state_machine) {
                    continue;
                }
                out.push(ExecutionSummary {
                    id,
                    name: row.name,
                    state_machine: row.state_machine,
                    status,
                    started_ms: row.started_ms,
                    stopped_ms: row.stopped_ms,
                });
                if out.len() == limit {
                    return Ok(out);
                }
            }
            if exhausted {
                return Ok(out);
            }
        }
    }

    /// Every history event of `id`, in order.
    pub fn history(&self, id: ExecutionId) -> Result<Vec<HistoryEvent>, CliError> {
        self.index_row(id)?;
        let records = store::read_transitions(self.log.as_ref(), id)
            .map_err(|e| CliError::Storage(format!("reading the history of {id}: {e}")))?;
        Ok(records
            .into_iter()
            .flat_map(|record| record.events)
            .collect())
    }

    fn index_row(
        &self,
        id: ExecutionId,
    ) -> Result<(ExecutionStatus, store::ExecutionRow), CliError> {
        if shoal_engine::maprun::is_child(id) {
            return self.child_row(id);
        }
        for status in ExecutionStatus::ALL {
            let key = keys::execution_key(status, id);
            let row = self
                .log
                .get_row(keys::EXECUTIONS, &key)
                .map_err(|e| CliError::Storage(format!("reading the execution index: {e}")))?;
            if let Some(bytes) = row {
                let row = store::decode_execution_row(&bytes, &format!("executions/{status}/{id}"))
                    .map_err(|e| CliError::Storage(e.to_string()))?;
                return Ok((status, row));
            }
        }
        Err(CliError::NotFound(format!("execution {id} does not exist")))
    }

    /// A map run's child has no index row (its run's row accounts for it):
    /// its status comes from its last record, its name is its id.
    fn child_row(
        &self,
        id: ExecutionId,
    ) -> Result<(ExecutionStatus, store::ExecutionRow), CliError> {
        let first = self.record_at(id, 1)?;
        let Input::Start { state_machine, .. } = first.input.input else {
            return Err(corrupt(id, 1, "the first record is not Start"));
        };
        let status = match self.end_event(id)? {
            None => ExecutionStatus::Running,
            Some(HistoryEventType::ExecutionSucceeded) => ExecutionStatus::Succeeded,
            Some(HistoryEventType::ExecutionTimedOut) => ExecutionStatus::TimedOut,
            Some(HistoryEventType::ExecutionAborted) => ExecutionStatus::Aborted,
            Some(_) => ExecutionStatus::Failed,
        };
        let stopped_ms = match status {
            ExecutionStatus::Running => None,
            _ => self.last_timestamp_ms(id)?,
        };
        let (redrive_count, redriven_ms) = self.redrives(id)?;
        let row = store::ExecutionRow {
            name: id.to_string(),
            state_machine,
            started_ms: first.input.timestamp_ms,
            stopped_ms,
            redrive_count,
            redriven_ms,
        };
        Ok((status, row))
    }

    /// A child's redrives (count, last time): its `ExecutionRedriven`
    /// events, since children have no index row to hold them.
    fn redrives(&self, id: ExecutionId) -> Result<(u32, Option<i64>), CliError> {
        let records = store::read_transitions(self.log.as_ref(), id)
            .map_err(|e| CliError::Storage(format!("reading the history of {id}: {e}")))?;
        let redriven: Vec<i64> = records
            .iter()
            .flat_map(|record| record.events.iter())
            .filter(|event| event.kind == HistoryEventType::ExecutionRedriven)
            .map(|event| event.timestamp_ms)
            .collect();
        Ok((redriven.len() as u32, redriven.last().copied()))
    }

    fn last_timestamp_ms(&self, id: ExecutionId) -> Result<Option<i64>, CliError> {
        let Some(last) = self
            .log
            .last_seq(StreamId(id.0))
            .map_err(|e| CliError::Storage(format!("reading {id}: {e}")))?
        else {
            return Ok(None);
        };
        Ok(Some(self.record_at(id, last.0)?.input.timestamp_ms))
    }

    fn record_at(&self, id: ExecutionId, seq: u64) -> Result<TransitionRecord, CliError> {
        let records = self
            .log
            .read_stream(StreamId(id.0), Seq(seq), 1)
            .map_err(|e| CliError::Storage(format!("reading {id}: {e}")))?;
        let record = records
            .into_iter()
            .next()
            .ok_or_else(|| CliError::NotFound(format!("execution {id} has no record {seq}")))?;
        store::decode_transition(&record.payload).map_err(|detail| corrupt(id, seq, &detail))
    }
}

fn is_end(kind: HistoryEventType) -> bool {
    matches!(
        kind,
        HistoryEventType::ExecutionSucceeded
            | HistoryEventType::ExecutionFailed
            | HistoryEventType::ExecutionAborted
            | HistoryEventType::ExecutionTimedOut
    )
}

fn corrupt(id: ExecutionId, seq: u64, detail: &str) -> CliError {
    CliError::Storage(format!(
        "corrupt transition record of {id} at seq {seq}: {detail}"
    ))
}
