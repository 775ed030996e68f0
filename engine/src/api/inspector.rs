//! [`Inspector`]: the engine's read-only entry point.
//!
//! Building an [`Engine`](super::Engine) recovers and resumes every
//! unfinished execution, so looking at a data directory through one would
//! run task handlers as a side effect. An `Inspector` answers the same
//! queries — describe, list, history, map runs — from the log alone, with
//! the same code the engine uses: it replays nothing, dispatches nothing and
//! writes nothing. While an engine runs on the same log, it shows what is
//! durable (a live map run's counters as of its children's last records).

use std::sync::Arc;

use shoal_storage::EventLog;

use super::error::EngineError;
use super::queries;
use super::types::{ExecutionDescription, ExecutionPage, ListExecutionsOptions};
use crate::history::{ExecutionId, HistoryEvent};
use crate::maprun::MapRunDescription;
use crate::runtime::{Clock, SystemClock};
use crate::store::keys;

/// Read-only queries on an event log; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Inspector {
    log: Arc<dyn EventLog>,
}

impl Inspector {
    /// An inspector on `log`. Reads nothing yet and never writes.
    pub fn new(log: Arc<dyn EventLog>) -> Inspector {
        Inspector { log }
    }

    /// The log being read.
    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.log
    }

    /// The id of `name_or_id`: an `exec-<16 hex>` id as is (whether or not
    /// it exists), else the execution with that caller-chosen name.
    pub fn resolve_execution(&self, name_or_id: &str) -> Result<ExecutionId, EngineError> {
        if let Ok(id) = name_or_id.parse::<ExecutionId>() {
            return Ok(id);
        }
        let row = self
            .log
            .get_row(keys::NAMES, name_or_id.as_bytes())
            .map_err(|e| EngineError::log("looking up an execution name", e))?;
        row.as_deref()
            .and_then(keys::parse_u64)
            .map(ExecutionId)
            .ok_or_else(|| EngineError::ExecutionNotFound {
                execution: name_or_id.to_string(),
            })
    }

    /// As [`Engine::describe_execution`](super::Engine::describe_execution).
    pub fn describe_execution(&self, id: ExecutionId) -> Result<ExecutionDescription, EngineError> {
        queries::describe(self.log.as_ref(), id, SystemClock.now_ms())
    }

    /// As [`Engine::list_executions`](super::Engine::list_executions).
    pub fn list_executions(
        &self,
        options: &ListExecutionsOptions,
    ) -> Result<ExecutionPage, EngineError> {
        queries::list(self.log.as_ref(), options)
    }

    /// As [`Engine::get_execution_history`](super::Engine::get_execution_history).
    pub fn get_execution_history(
        &self,
        id: ExecutionId,
        after_event_id: u64,
        limit: usize,
    ) -> Result<Vec<HistoryEvent>, EngineError> {
        queries::history(self.log.as_ref(), id, after_event_id, limit)
    }

    /// As [`Engine::describe_map_run`](super::Engine::describe_map_run), from
    /// the durable records only.
    pub fn describe_map_run(&self, arn: &str) -> Result<MapRunDescription, EngineError> {
        let row = crate::maprun::read_row(self.log.as_ref(), arn)?;
        crate::maprun::describe_from_log(self.log.as_ref(), &row, SystemClock.now_ms())
    }

    /// As [`Engine::list_map_runs`](super::Engine::list_map_runs).
    pub fn list_map_runs(&self, execution: ExecutionId) -> Result<Vec<String>, EngineError> {
        crate::maprun::list_arns(self.log.as_ref(), execution)
    }

    /// As [`Engine::list_map_run_executions`](super::Engine::list_map_run_executions).
    pub fn list_map_run_executions(
        &self,
        arn: &str,
    ) -> Result<Vec<(ExecutionId, &'static str)>, EngineError> {
        crate::maprun::list_children(self.log.as_ref(), arn)
    }
}

impl std::fmt::Debug for Inspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inspector").finish_non_exhaustive()
    }
}
