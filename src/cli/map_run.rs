//! `shoal map-run ARN`: a map run's status and counters, read-only.
//!
//! Like the other inspection commands this reads the log without building
//! an engine (which would resume work): the map run's row gives the
//! settled counters below its watermark, and each child above the
//! watermark (at most MaxConcurrency of them) is looked up in its own
//! stream, as `Engine::describe_map_run` does.

use std::path::Path;

use serde::Serialize;
use shoal_engine::history::HistoryEventType as T;
use shoal_engine::maprun::{self, MapRunKey, MapRunRow, MapRunStatus, CHILD_INDEX_BITS, MAP_RUNS};
use shoal_engine::{ExecutionId, RedriveStatus};

use super::error::CliError;
use super::inspect::Inspector;
use super::views::{self, date};

/// `map-run --json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapRunView {
    /// The ARN.
    pub map_run_arn: String,
    /// The parent execution, `exec-<16 hex>`.
    pub execution_id: String,
    /// The Map state's name.
    pub state: String,
    /// `Label`.
    pub label: Option<String>,
    /// RUNNING, SUCCEEDED, FAILED or ABORTED.
    pub status: String,
    /// Start time, RFC 3339.
    pub start_date: String,
    /// End time, RFC 3339.
    pub stop_date: Option<String>,
    /// MaxConcurrency in force.
    pub max_concurrency: u32,
    /// ToleratedFailureCount in force.
    pub tolerated_failure_count: Option<u64>,
    /// ToleratedFailurePercentage in force.
    pub tolerated_failure_percentage: Option<f64>,
    /// Items read so far.
    pub items_read: u64,
    /// Child execution counters.
    pub execution_counts: Counts,
    /// How many times the run was redriven (through its parent).
    pub redrive_count: u32,
    /// When it was last redriven, RFC 3339.
    pub redrive_date: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// The cause.
    pub cause: Option<String>,
}

/// Child execution counters with Step Functions' names.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
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
    /// Created so far.
    pub total: u64,
    /// Failures a redrive of the parent would re-run (an ended FAILED or
    /// ABORTED run whose parent can be redriven).
    pub pending_redrive: u64,
    /// Failures nothing will re-run (the run or its parent succeeded).
    pub failures_not_redrivable: u64,
}

/// `shoal map-run ARN`.
pub fn map_run(data_dir: &Path, arn: &str, json: bool) -> Result<(), CliError> {
    let inspector = Inspector::open(data_dir)?;
    let row = read_row(&inspector, arn)?;
    let view = describe(&inspector, row)?;
    if json {
        views::print_json(&view);
        return Ok(());
    }
    let c = &view.execution_counts;
    let lines = [
        ("Map run", view.map_run_arn.clone()),
        ("Execution", view.execution_id.clone()),
        ("State", view.state.clone()),
        ("Status", view.status.clone()),
        ("Started", view.start_date.clone()),
        ("Stopped", view.stop_date.clone().unwrap_or_default()),
        ("Concurrency", view.max_concurrency.to_string()),
        ("Items read", view.items_read.to_string()),
        (
            "Redrives",
            match (&view.redrive_date, view.redrive_count) {
                (Some(date), count) => format!("{count} (last {date})"),
                (None, _) => String::new(),
            },
        ),
        (
            "Children",
            format!(
                "{} total · {} succeeded · {} failed · {} timed out · {} aborted · {} running",
                c.total, c.succeeded, c.failed, c.timed_out, c.aborted, c.running
            ),
        ),
        (
            "Redrive",
            if c.pending_redrive + c.failures_not_redrivable == 0 {
                String::new()
            } else {
                format!(
                    "{} pending redrive · {} not redrivable",
                    c.pending_redrive, c.failures_not_redrivable
                )
            },
        ),
        ("Error", view.error.clone().unwrap_or_default()),
        ("Cause", view.cause.clone().unwrap_or_default()),
    ];
    for (label, value) in lines.iter().filter(|(_, value)| !value.is_empty()) {
        println!("{label:<12} {value}");
    }
    Ok(())
}

/// The ARNs of `id`'s map runs, in the order they started.
pub fn list_arns(inspector: &Inspector, id: ExecutionId) -> Result<Vec<String>, CliError> {
    let rows = inspector
        .log()
        .scan_rows(MAP_RUNS, &id.0.to_be_bytes(), None, usize::MAX)
        .map_err(|e| CliError::Storage(format!("listing the map runs of {id}: {e}")))?;
    rows.into_iter()
        .map(|(_, value)| {
            maprun::decode_row(&value, &id.to_string())
                .map(|row| row.arn)
                .map_err(|e| CliError::Storage(e.to_string()))
        })
        .collect()
}

fn read_row(inspector: &Inspector, arn: &str) -> Result<MapRunRow, CliError> {
    let missing = || CliError::NotFound(format!("map run {arn:?} does not exist"));
    let key = MapRunKey::from_arn(arn).ok_or_else(missing)?;
    let bytes = inspector
        .log()
        .get_row(MAP_RUNS, &key.row_key())
        .map_err(|e| CliError::Storage(format!("reading map run {arn}: {e}")))?
        .ok_or_else(missing)?;
    let row = maprun::decode_row(&bytes, arn).map_err(|e| CliError::Storage(e.to_string()))?;
    if row.arn != arn {
        return Err(missing());
    }
    Ok(row)
}

fn describe(inspector: &Inspector, row: MapRunRow) -> Result<MapRunView, CliError> {
    let mut counts = Counts {
        succeeded: row.settled.succeeded,
        failed: row.settled.failed,
        timed_out: row.settled.timed_out,
        aborted: row.settled.aborted,
        total: row.next_child,
        running: 0,
        pending_redrive: 0,
        failures_not_redrivable: 0,
    };
    for index in row.watermark..row.next_child {
        // The documented child id layout: bit 63, run number, index.
        let id = ExecutionId((1 << 63) | (row.run << CHILD_INDEX_BITS) | index);
        match inspector.end_event(id)? {
            Some(T::ExecutionSucceeded) => counts.succeeded += 1,
            Some(T::ExecutionFailed) => counts.failed += 1,
            Some(T::ExecutionTimedOut) => counts.timed_out += 1,
            Some(T::ExecutionAborted) => counts.aborted += 1,
            _ => {}
        }
    }
    let ended = counts.succeeded + counts.failed + counts.timed_out + counts.aborted;
    counts.running = counts.total.saturating_sub(ended);
    let failures = counts.failed + counts.timed_out + counts.aborted;
    match row.status {
        MapRunStatus::Running => {}
        MapRunStatus::Failed | MapRunStatus::Aborted
            if parent_redrivable(inspector, ExecutionId(row.parent))? =>
        {
            counts.pending_redrive = failures;
        }
        _ => counts.failures_not_redrivable = failures,
    }
    Ok(MapRunView {
        map_run_arn: row.arn,
        execution_id: ExecutionId(row.parent).to_string(),
        state: row.state,
        label: row.label,
        status: row.status.name().to_string(),
        start_date: date(row.started_ms),
        stop_date: row.stopped_ms.map(date),
        max_concurrency: row.max_concurrency,
        tolerated_failure_count: row.tolerated_failure_count,
        tolerated_failure_percentage: row.tolerated_failure_percentage,
        items_read: row.items_read,
        execution_counts: counts,
        redrive_count: row.redrive_count,
        redrive_date: row.redriven_ms.map(date),
        error: row.error,
        cause: row.cause,
    })
}

/// True when the parent ended unsuccessfully, so redriving it redrives
/// this run.
fn parent_redrivable(inspector: &Inspector, parent: ExecutionId) -> Result<bool, CliError> {
    let status = match inspector.describe(parent) {
        Ok(description) => description.status,
        Err(CliError::NotFound(_)) => return Ok(false),
        Err(other) => return Err(other),
    };
    Ok(RedriveStatus::of(status, false) == RedriveStatus::Redrivable)
}
