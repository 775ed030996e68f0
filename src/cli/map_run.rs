//! `shoal map-run ARN`: a map run's status and counters, read-only.
//!
//! Like the other inspection commands this reads the log through the
//! engine's read-only `Inspector` (building an engine would resume work):
//! the map run's row gives the settled counters below its watermark, and
//! each child above the watermark is looked up in its own stream.

use std::path::Path;

use serde::Serialize;
use shoal_engine::maprun::MapRunDescription;

use super::error::CliError;
use super::inspect;
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
    let view = MapRunView::from(inspect::open(data_dir)?.describe_map_run(arn)?);
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

impl From<MapRunDescription> for MapRunView {
    fn from(d: MapRunDescription) -> MapRunView {
        let c = d.execution_counts;
        MapRunView {
            map_run_arn: d.map_run_arn,
            execution_id: d.execution.to_string(),
            state: d.state,
            label: d.label,
            status: d.status.name().to_string(),
            start_date: date(d.start_ms),
            stop_date: d.stop_ms.map(date),
            max_concurrency: d.max_concurrency,
            tolerated_failure_count: d.tolerated_failure_count,
            tolerated_failure_percentage: d.tolerated_failure_percentage,
            items_read: d.item_counts.total,
            execution_counts: Counts {
                running: c.running,
                succeeded: c.succeeded,
                failed: c.failed,
                timed_out: c.timed_out,
                aborted: c.aborted,
                total: c.total,
                pending_redrive: c.pending_redrive,
                failures_not_redrivable: c.failures_not_redrivable,
            },
            redrive_count: d.redrive_count,
            redrive_date: d.redrive_date_ms.map(date),
            error: d.error,
            cause: d.cause,
        }
    }
}
