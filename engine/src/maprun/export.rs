//! ResultWriter export: each child's record (input, outcome, times) read
//! back from its stream in child order and streamed through
//! `shoal_readers::ResultWriter` into `<Prefix>/<run id>/` of the bucket,
//! `manifest.json` last. Memory is the writer's open files, never the
//! whole result set.

use serde_json::{json, Value};
use shoal_readers::{Outcome, ResultRecord, ResultWriter, WriterConfig, WriterOptions};
use shoal_storage::{EventLog, Seq, StreamId};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::ids::child_id;
use super::record::MapRunRow;
use super::results::child_outcome;
use crate::api::EngineError;
use crate::asl::StatesError;
use crate::interpreter::Input;
use crate::store::{self, StoreError};

/// True when the ResultWriter exports (it names a Resource).
pub(crate) fn exports(result_writer: Option<&Value>) -> bool {
    result_writer.is_some_and(|writer| writer.get("Resource").is_some())
}

/// Writes every child's result; returns the Map output
/// `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}`.
pub(crate) async fn export(
    log: &dyn EventLog,
    stores: &shoal_readers::StoreRegistry,
    row: &MapRunRow,
    result_writer: &Value,
    run_failed: bool,
) -> Result<Result<Value, StatesError>, EngineError> {
    let failed = |cause: String| StatesError::new(shoal_readers::RESULT_WRITER_FAILED, cause);
    let parameters = result_writer
        .get("Parameters")
        .cloned()
        .unwrap_or(json!({}));
    let Some(bucket) = parameters.get("Bucket").and_then(Value::as_str) else {
        return Ok(Err(failed(
            "ResultWriter.Parameters.Bucket is required".into(),
        )));
    };
    let prefix = parameters
        .get("Prefix")
        .and_then(Value::as_str)
        .unwrap_or("");
    let config: WriterConfig = match result_writer.get("WriterConfig") {
        None => WriterConfig::default(),
        Some(value) => match serde_json::from_value(value.clone()) {
            Ok(config) => config,
            Err(e) => return Ok(Err(failed(format!("WriterConfig: {e}")))),
        },
    };
    let store = match stores.resolve(bucket) {
        Ok(store) => store,
        Err(e) => return Ok(Err(failed(e.to_string()))),
    };
    let run_id = row.arn.rsplit(':').next().unwrap_or("run");
    let mut writer = ResultWriter::new(
        store,
        bucket,
        prefix,
        run_id,
        &row.arn,
        config,
        WriterOptions::new(),
    );
    for index in 0..row.next_child {
        let record = child_record(log, row, index, run_failed)?;
        if let Err(e) = writer.push(&record).await {
            let (_, cause) = e.step_functions_error();
            return Ok(Err(failed(cause)));
        }
    }
    match writer.finish().await {
        Ok(details) => Ok(Ok(
            json!({"MapRunArn": row.arn, "ResultWriterDetails": details}),
        )),
        Err(e) => {
            let (_, cause) = e.step_functions_error();
            Ok(Err(failed(cause)))
        }
    }
}

/// Child `index` as a result record: input and start time from its first
/// record, outcome and stop time from its last.
fn child_record(
    log: &dyn EventLog,
    row: &MapRunRow,
    index: u64,
    run_failed: bool,
) -> Result<ResultRecord, EngineError> {
    let id = child_id(row.run, index);
    let stream = StreamId(id.0);
    let first = log
        .read_stream(stream, Seq(1), 1)
        .map_err(|e| EngineError::log("exporting map run results", e))?;
    let corrupt = |detail: String| {
        EngineError::store(
            "exporting map run results",
            StoreError::Corrupt {
                what: "map run child",
                location: stream.to_string(),
                detail,
            },
        )
    };
    let first = first
        .into_iter()
        .next()
        .ok_or_else(|| corrupt("no Start record".into()))?;
    let start = store::decode_transition(&first.payload).map_err(corrupt)?;
    let input = match &start.input.input {
        Input::Start { input_json, .. } => serde_json::from_str(input_json).unwrap_or(Value::Null),
        _ => return Err(corrupt("the first record is not Start".into())),
    };
    let outcome_now = child_outcome(log, id)?;
    let redrive_status = match &outcome_now {
        Some((status, _)) if run_failed && *status != super::window::SUCCEEDED => {
            "REDRIVABLE_BY_MAP_RUN"
        }
        _ => "NOT_REDRIVABLE",
    };
    let (outcome, stop_date) = match outcome_now {
        Some((status, result)) => {
            let stop = last_timestamp(log, stream)?;
            let outcome = match result {
                Ok(output) => {
                    Outcome::Succeeded(serde_json::from_str(&output).unwrap_or(Value::Null))
                }
                Err((error, cause)) => Outcome::Failed {
                    status: status_name(status).into(),
                    error,
                    cause,
                },
            };
            (outcome, stop.map(iso))
        }
        None => (Outcome::Pending, None),
    };
    Ok(ResultRecord {
        execution_arn: format!("shoal:execution:{}:{id}", row.child_state_machine),
        input,
        name: id.to_string(),
        outcome,
        // Only a redriven run has redriven children (whose whole stream
        // is then read to count them).
        redrive_count: if row.redrive_count > 0 {
            super::results::redrives_of(log, id)?.0
        } else {
            0
        },
        redrive_status: redrive_status.into(),
        start_date: iso(start.input.timestamp_ms),
        state_machine_arn: format!("shoal:stateMachine:{}", row.child_state_machine),
        stop_date,
    })
}

fn last_timestamp(log: &dyn EventLog, stream: StreamId) -> Result<Option<i64>, EngineError> {
    let read = |e| EngineError::log("exporting map run results", e);
    let Some(last) = log.last_seq(stream).map_err(read)? else {
        return Ok(None);
    };
    let records = log.read_stream(stream, last, 1).map_err(read)?;
    Ok(records
        .first()
        .and_then(|r| store::decode_transition(&r.payload).ok())
        .map(|t| t.input.timestamp_ms))
}

fn status_name(status: u8) -> &'static str {
    match status {
        super::window::TIMED_OUT => "TIMED_OUT",
        super::window::ABORTED => "ABORTED",
        _ => "FAILED",
    }
}

fn iso(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}
