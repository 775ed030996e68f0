//! The map run API on [`Engine`]: describe, list, update, children, metrics.

use super::ids::{child_id, MapRunKey};
use super::record::{decode_row, Ended, MapRunRow, MapRunStatus, MAP_RUNS};
use super::registry::{MapRunMetrics, MapRunUpdate, RunEvent};
use super::results::child_outcome;
use super::window::{ABORTED, FAILED, SUCCEEDED, TIMED_OUT};
use crate::api::{Engine, EngineError};
use crate::history::ExecutionId;
use shoal_storage::EventLog;

/// Counters of a map run, for items or for child executions, with Step
/// Functions' names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapRunCounts {
    /// Created, not started.
    pub pending: u64,
    /// Started, not ended.
    pub running: u64,
    /// Succeeded.
    pub succeeded: u64,
    /// Failed.
    pub failed: u64,
    /// Timed out.
    pub timed_out: u64,
    /// Aborted.
    pub aborted: u64,
    /// Every one created so far (or read, for items).
    pub total: u64,
    /// Results written by a ResultWriter (0: no export yet).
    pub results_written: u64,
    /// Failures a redrive cannot re-run.
    pub failures_not_redrivable: u64,
    /// Waiting for a redrive.
    pub pending_redrive: u64,
}

/// What `describe_map_run` returns.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapRunDescription {
    /// The ARN.
    pub map_run_arn: String,
    /// The parent execution.
    pub execution: ExecutionId,
    /// The Map state's name.
    pub state: String,
    /// `Label`.
    pub label: Option<String>,
    /// The status.
    pub status: MapRunStatus,
    /// When it started, ms since the epoch.
    pub start_ms: i64,
    /// When it ended.
    pub stop_ms: Option<i64>,
    /// MaxConcurrency in force.
    pub max_concurrency: u32,
    /// ToleratedFailureCount in force.
    pub tolerated_failure_count: Option<u64>,
    /// ToleratedFailurePercentage in force.
    pub tolerated_failure_percentage: Option<f64>,
    /// Item counters.
    pub item_counts: MapRunCounts,
    /// Child execution counters.
    pub execution_counts: MapRunCounts,
    /// EXPRESS children.
    pub express: bool,
    /// How many times it was redriven.
    pub redrive_count: u32,
    /// When it was last redriven, ms since the epoch.
    pub redrive_date_ms: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// The cause.
    pub cause: Option<String>,
}

impl Engine {
    /// Describes the map run `arn` from its durable row, with the counters
    /// of the children above its watermark read from their streams.
    pub fn describe_map_run(&self, arn: &str) -> Result<MapRunDescription, EngineError> {
        let log = self.inner.shared.log.as_ref();
        let row = read_row(log, arn)?;
        if let Some([items, executions]) = self.inner.shared.maprun.live_counts(arn) {
            return Ok(describe(&row, items, executions));
        }
        describe_from_log(log, &row, self.inner.shared.clock.now_ms())
    }

    /// The ARNs of the map runs of `execution`, in the order they started.
    pub fn list_map_runs(&self, execution: ExecutionId) -> Result<Vec<String>, EngineError> {
        list_arns(self.inner.shared.log.as_ref(), execution)
    }

    /// The child executions of map run `arn` (ids in item order) with
    /// their status name (`RUNNING` until ended).
    pub fn list_map_run_executions(
        &self,
        arn: &str,
    ) -> Result<Vec<(ExecutionId, &'static str)>, EngineError> {
        list_children(self.inner.shared.log.as_ref(), arn)
    }

    /// Changes a running map run's MaxConcurrency and tolerated failure;
    /// applied at once (admission uses the new limit from the next child
    /// on) and returns once the change is durable.
    pub async fn update_map_run(&self, arn: &str, update: MapRunUpdate) -> Result<(), EngineError> {
        if let Some(p) = update.tolerated_failure_percentage {
            if !(0.0..=100.0).contains(&p) {
                return Err(EngineError::InvalidArgument {
                    what: "toleratedFailurePercentage",
                    reason: format!("{p} is not between 0 and 100"),
                });
            }
        }
        let row = read_row(self.inner.shared.log.as_ref(), arn)?;
        let (ack, answer) = tokio::sync::oneshot::channel();
        let event = RunEvent::Update { update, ack };
        let not_running = || EngineError::MapRunNotRunning {
            arn: arn.to_string(),
            status: row.status.name(),
        };
        if !self.inner.shared.maprun.send(arn, event) {
            return Err(not_running());
        }
        answer.await.map_err(|_| not_running())?
    }

    /// Children in flight now and at the peak, and map runs open.
    pub fn map_run_metrics(&self) -> MapRunMetrics {
        self.inner.shared.maprun.metrics()
    }
}

/// The row of map run `arn`, checked to be that run's.
pub(crate) fn read_row(log: &dyn EventLog, arn: &str) -> Result<MapRunRow, EngineError> {
    let missing = || EngineError::MapRunDoesNotExist {
        arn: arn.to_string(),
    };
    let key = MapRunKey::from_arn(arn).ok_or_else(missing)?;
    let bytes = log
        .get_row(MAP_RUNS, &key.row_key())
        .map_err(|e| EngineError::log("reading a map run", e))?
        .ok_or_else(missing)?;
    let row = decode_row(&bytes, arn).map_err(|e| EngineError::store("reading a map run", e))?;
    if row.arn != arn {
        return Err(missing());
    }
    Ok(row)
}

/// The ARNs of the map runs of `execution`, in the order they started.
pub(crate) fn list_arns(
    log: &dyn EventLog,
    execution: ExecutionId,
) -> Result<Vec<String>, EngineError> {
    let prefix = execution.0.to_be_bytes();
    let rows = log
        .scan_rows(MAP_RUNS, &prefix, None, usize::MAX)
        .map_err(|e| EngineError::log("listing map runs", e))?;
    rows.into_iter()
        .map(|(key, value)| {
            decode_row(&value, &format!("{key:?}"))
                .map(|row| row.arn)
                .map_err(|e| EngineError::store("listing map runs", e))
        })
        .collect()
}

/// Describes a map run from the log alone: the row's settled counters
/// plus the children above its watermark, read from their streams;
/// `now_ms` decides whether the parent can still be redriven.
pub(crate) fn describe_from_log(
    log: &dyn EventLog,
    row: &MapRunRow,
    now_ms: i64,
) -> Result<MapRunDescription, EngineError> {
    let mut executions = row.settled;
    let mut items = row.settled_items;
    for index in row.watermark..row.next_child {
        if let Some((status, _)) = child_outcome(log, child_id(row.run, index))? {
            executions.add(status, 1);
            items.add(status, 1);
        }
    }
    // An ended run's failures wait for a redrive while its parent can
    // be redriven at its Map state; otherwise nothing will re-run them.
    let redrivable = row.status != MapRunStatus::Succeeded
        && row.status != MapRunStatus::Running
        && parent_redrivable(log, ExecutionId(row.parent), now_ms)?;
    let counts = |ended: Ended, total: u64| MapRunCounts {
        pending: 0,
        running: total.saturating_sub(ended.total()),
        succeeded: ended.succeeded,
        failed: ended.failed,
        timed_out: ended.timed_out,
        aborted: ended.aborted,
        total,
        pending_redrive: if redrivable { ended.failures() } else { 0 },
        failures_not_redrivable: if redrivable || row.status == MapRunStatus::Running {
            0
        } else {
            ended.failures()
        },
        ..MapRunCounts::default()
    };
    Ok(describe(
        row,
        counts(items, row.items_read.max(items.total())),
        counts(executions, row.next_child),
    ))
}

/// The children of map run `arn` in item order, with their status name.
pub(crate) fn list_children(
    log: &dyn EventLog,
    arn: &str,
) -> Result<Vec<(ExecutionId, &'static str)>, EngineError> {
    let row = read_row(log, arn)?;
    let mut out = Vec::with_capacity(usize::try_from(row.next_child).unwrap_or(0));
    for index in 0..row.next_child {
        let id = child_id(row.run, index);
        let status = match child_outcome(log, id)? {
            Some((SUCCEEDED, _)) => "SUCCEEDED",
            Some((FAILED, _)) => "FAILED",
            Some((TIMED_OUT, _)) => "TIMED_OUT",
            Some((ABORTED, _)) => "ABORTED",
            _ => "RUNNING",
        };
        out.push((id, status));
    }
    Ok(out)
}

fn parent_redrivable(
    log: &dyn EventLog,
    parent: ExecutionId,
    now_ms: i64,
) -> Result<bool, EngineError> {
    let (status, row) = match crate::api::queries::index_row(log, parent) {
        Ok(found) => found,
        Err(EngineError::ExecutionNotFound { .. }) => return Ok(false),
        Err(other) => return Err(other),
    };
    Ok(crate::api::redrivable::check(status, row.started_ms, row.stopped_ms, now_ms).is_ok())
}

fn describe(row: &MapRunRow, items: MapRunCounts, executions: MapRunCounts) -> MapRunDescription {
    MapRunDescription {
        map_run_arn: row.arn.clone(),
        execution: ExecutionId(row.parent),
        state: row.state.clone(),
        label: row.label.clone(),
        status: row.status,
        start_ms: row.started_ms,
        stop_ms: row.stopped_ms,
        max_concurrency: row.max_concurrency,
        tolerated_failure_count: row.tolerated_failure_count,
        tolerated_failure_percentage: row.tolerated_failure_percentage,
        item_counts: items,
        execution_counts: executions,
        express: row.express,
        redrive_count: row.redrive_count,
        redrive_date_ms: row.redriven_ms,
        error: row.error.clone(),
        cause: row.cause.clone(),
    }
}
