//! `shoal list`, `shoal describe` and `shoal history`: read-only commands.

use std::path::Path;

use shoal_engine::api::{ExecutionDescription, ListExecutionsOptions};
use shoal_engine::ExecutionStatus;

use super::error::CliError;
use super::inspect;
use super::views::{self, cell, ExecutionView, HistoryView, ListView, SummaryView};

/// `shoal list`.
pub fn list(
    data_dir: &Path,
    status: Option<ExecutionStatus>,
    state_machine: Option<&str>,
    limit: usize,
    json: bool,
) -> Result<(), CliError> {
    let inspector = inspect::open(data_dir)?;
    let mut options = ListExecutionsOptions::new().with_limit(limit.max(1));
    if let Some(status) = status {
        options = options.with_status(status);
    }
    if let Some(name) = state_machine {
        options = options.with_state_machine(name);
    }
    let executions = inspector.list_executions(&options)?.executions;
    if json {
        views::print_json(&ListView {
            executions: executions.iter().map(SummaryView::from).collect(),
        });
        return Ok(());
    }
    let rows: Vec<Vec<String>> = executions
        .iter()
        .map(|e| {
            vec![
                e.id.to_string(),
                e.name.clone(),
                e.state_machine.clone(),
                e.status.name().to_string(),
                views::date(e.started_ms),
                e.stopped_ms.map(views::date).unwrap_or_default(),
            ]
        })
        .collect();
    views::print_table(
        &[
            "EXECUTION",
            "NAME",
            "STATE MACHINE",
            "STATUS",
            "STARTED",
            "STOPPED",
        ],
        &rows,
    );
    Ok(())
}

/// `shoal describe EXEC`.
pub fn describe(data_dir: &Path, exec: &str, json: bool) -> Result<(), CliError> {
    let inspector = inspect::open(data_dir)?;
    let description = inspector.describe_execution(inspector.resolve_execution(exec)?)?;
    let map_runs = inspector.list_map_runs(description.id)?;
    print_description(&description, map_runs, json);
    Ok(())
}

/// Prints one execution as `describe` does.
pub fn print_description(d: &ExecutionDescription, map_runs: Vec<String>, json: bool) {
    if json {
        views::print_json(&ExecutionView::new(d, map_runs));
        return;
    }
    let mut rows = vec![
        vec!["Execution".into(), d.id.to_string()],
        vec!["Name".into(), d.name.clone()],
        vec!["State machine".into(), d.state_machine.clone()],
        vec!["Status".into(), d.status.name().to_string()],
        vec!["Started".into(), views::date(d.started_ms)],
    ];
    if let Some(stopped) = d.stopped_ms {
        rows.push(vec!["Stopped".into(), views::date(stopped)]);
    }
    rows.push(vec!["Input".into(), d.input.to_string()]);
    if let Some(output) = &d.output {
        rows.push(vec!["Output".into(), output.to_string()]);
    }
    if let Some(error) = &d.error {
        rows.push(vec!["Error".into(), error.clone()]);
    }
    if let Some(cause) = &d.cause {
        rows.push(vec!["Cause".into(), cause.clone()]);
    }
    if d.redrive_count > 0 {
        rows.push(vec!["Redrives".into(), d.redrive_count.to_string()]);
    }
    if let Some(redriven) = d.redrive_date_ms {
        rows.push(vec!["Redriven".into(), views::date(redriven)]);
    }
    if d.redrive_status != shoal_engine::RedriveStatus::NotRedrivable {
        rows.push(vec!["Redrive status".into(), redrive_status(d)]);
    }
    for arn in map_runs {
        rows.push(vec!["Map run".into(), arn]);
    }
    for row in rows {
        println!("{:<14} {}", row[0], row[1]);
    }
}

/// `REDRIVABLE`, `NOT_REDRIVABLE` or `REDRIVABLE_BY_MAP_RUN`.
pub fn redrive_status(d: &ExecutionDescription) -> String {
    serde_json::to_value(d.redrive_status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `shoal history EXEC`.
pub fn history(data_dir: &Path, exec: &str, json: bool) -> Result<(), CliError> {
    let inspector = inspect::open(data_dir)?;
    let id = inspector.resolve_execution(exec)?;
    let events = inspector.get_execution_history(id, 0, usize::MAX)?;
    if json {
        views::print_json(&HistoryView {
            execution_id: id.to_string(),
            events: &events,
        });
        return Ok(());
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|event| {
            let details = serde_json::to_string(&event.details).unwrap_or_default();
            vec![
                event.id.0.to_string(),
                event.previous_event_id.0.to_string(),
                event.kind.name().to_string(),
                views::date(event.timestamp_ms),
                cell(&details, 100),
            ]
        })
        .collect();
    views::print_table(&["ID", "PREV", "TYPE", "TIMESTAMP", "DETAILS"], &rows);
    Ok(())
}
