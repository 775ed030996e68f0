//! What inspection commands print: the JSON documents (`--json`) and the
//! human tables. Field names follow Step Functions' (camelCase).

use serde::Serialize;
use serde_json::Value;
use shoal_engine::api::{ExecutionDescription, ExecutionSummary};
use shoal_engine::HistoryEvent;

/// `describe --json`, and each entry of `run --json` / `resume --json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionView {
    /// `exec-<16 hex digits>`.
    pub execution_id: String,
    /// The execution's name.
    pub name: String,
    /// The state machine's name.
    pub state_machine: String,
    /// The definition version (content hash) it runs.
    pub definition_hash: String,
    /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
    pub status: String,
    /// The input.
    pub input: Value,
    /// The output (SUCCEEDED only).
    pub output: Option<Value>,
    /// The error (FAILED, TIMED_OUT, ABORTED).
    pub error: Option<String>,
    /// The cause of the error.
    pub cause: Option<String>,
    /// Start time, RFC 3339.
    pub start_date: String,
    /// End time, RFC 3339.
    pub stop_date: Option<String>,
    /// The ARNs of its Distributed Map runs, in the order they started.
    pub map_runs: Vec<String>,
    /// How many times it was redriven.
    pub redrive_count: u32,
    /// When it was last redriven, RFC 3339.
    pub redrive_date: Option<String>,
    /// REDRIVABLE, NOT_REDRIVABLE or REDRIVABLE_BY_MAP_RUN.
    pub redrive_status: shoal_engine::RedriveStatus,
    /// Why NOT_REDRIVABLE, in Step Functions' words (`redriveStatusReason`).
    pub redrive_status_reason: Option<String>,
}

impl ExecutionView {
    /// The view of `d`, whose map runs are `map_runs`.
    pub fn new(d: &ExecutionDescription, map_runs: Vec<String>) -> Self {
        ExecutionView {
            execution_id: d.id.to_string(),
            name: d.name.clone(),
            state_machine: d.state_machine.clone(),
            definition_hash: d.definition_hash.clone(),
            status: d.status.name().to_string(),
            input: d.input.clone(),
            output: d.output.clone(),
            error: d.error.clone(),
            cause: d.cause.clone(),
            start_date: date(d.started_ms),
            stop_date: d.stopped_ms.map(date),
            map_runs,
            redrive_count: d.redrive_count,
            redrive_date: d.redrive_date_ms.map(date),
            redrive_status: d.redrive_status,
            redrive_status_reason: d.redrive_status_reason.map(|reason| reason.to_string()),
        }
    }
}

/// One entry of `list --json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryView {
    /// `exec-<16 hex digits>`.
    pub execution_id: String,
    /// The execution's name.
    pub name: String,
    /// The state machine's name.
    pub state_machine: String,
    /// The status.
    pub status: String,
    /// Start time, RFC 3339.
    pub start_date: String,
    /// End time, RFC 3339.
    pub stop_date: Option<String>,
}

impl From<&ExecutionSummary> for SummaryView {
    fn from(s: &ExecutionSummary) -> Self {
        SummaryView {
            execution_id: s.id.to_string(),
            name: s.name.clone(),
            state_machine: s.state_machine.clone(),
            status: s.status.name().to_string(),
            start_date: date(s.started_ms),
            stop_date: s.stopped_ms.map(date),
        }
    }
}

/// `list --json`.
#[derive(Debug, Serialize)]
pub struct ListView {
    /// The executions, by status then id.
    pub executions: Vec<SummaryView>,
}

/// `history --json`: the engine's events as they serialize
/// (`id`, `previousEventId`, `timestampMs`, `type`, `scope`, `details`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryView<'a> {
    /// The execution.
    pub execution_id: String,
    /// Every event, in order.
    pub events: &'a [HistoryEvent],
}

/// `ms` since the epoch as RFC 3339 (UTC, milliseconds).
pub fn date(ms: i64) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// Prints `value` as one JSON document on stdout.
pub fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        // Every view is plain data; a failure here would be a serde bug.
        Err(error) => eprintln!("error: cannot serialize the output: {error}"),
    }
}

/// Prints rows as a left-aligned table with a header, two spaces apart.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// A JSON text shortened for one table cell.
pub fn cell(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339_with_milliseconds() {
        assert_eq!(date(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(date(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(cell("abcdef", 4), "abc…");
        assert_eq!(cell("abc", 4), "abc");
    }
}
