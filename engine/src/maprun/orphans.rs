//! Recovery of map runs left RUNNING after their parent ended: the
//! parent's stop (or timeout) was durable but a crash came before its map
//! run recorded the abort. Nothing replays an ended parent, so at engine
//! start every open run (keyspace [`OPEN_MAP_RUNS`]) whose parent is not
//! running gets a coordinator that only aborts it: unfinished children
//! get an `ExecutionAborted` record and the row is written ABORTED.

use std::sync::Arc;

use serde_json::Value;

use super::coordinator::launch_orphan;
use super::ids::MapRunKey;
use super::record::{decode_row, MapRunStatus, MAP_RUNS, OPEN_MAP_RUNS};
use crate::api::EngineError;
use crate::history::ExecutionId;
use crate::interpreter::{MapItems, MapRunSpec};
use crate::runtime::shared::Shared;

/// Open map runs listed per scan.
const OPEN_RUNS_PER_SCAN: usize = 1024;

/// Launches the abort of every orphaned open run; returns how many. Call
/// after the running executions were recovered (their runs are not
/// orphans).
pub(crate) fn close_orphans(shared: &Arc<Shared>) -> Result<usize, EngineError> {
    let mut after: Option<Vec<u8>> = None;
    let mut closed = 0;
    loop {
        let keys = shared
            .log
            .scan_rows(OPEN_MAP_RUNS, &[], after.as_deref(), OPEN_RUNS_PER_SCAN)
            .map_err(|e| EngineError::log("listing open map runs", e))?;
        let count = keys.len();
        for (key, _) in keys {
            after = Some(key.clone());
            let Some(run_key) = MapRunKey::from_row_key(&key) else {
                continue;
            };
            if shared.running.lock().contains_key(&run_key.parent) {
                continue;
            }
            let Some(bytes) = shared
                .log
                .get_row(MAP_RUNS, &key)
                .map_err(|e| EngineError::log("reading a map run", e))?
            else {
                continue;
            };
            let row = decode_row(&bytes, &format!("map run {key:?}"))
                .map_err(|e| EngineError::store("reading a map run", e))?;
            if row.status != MapRunStatus::Running {
                continue;
            }
            let spec = MapRunSpec {
                parent: ExecutionId(row.parent),
                parent_state_machine: String::new(),
                scope: Vec::new(),
                state: row.state.clone(),
                entered_event: run_key.entered_event,
                attempt: run_key.attempt,
                arn: row.arn.clone(),
                label: row.label.clone(),
                express: row.express,
                processor_json: String::new(),
                items: MapItems::Inline(Vec::new()),
                item_selector: None,
                effective_input: Value::Null,
                context: Value::Null,
                batcher: None,
                max_concurrency: row.max_concurrency,
                tolerated_failure_count: row.tolerated_failure_count,
                tolerated_failure_percentage: row.tolerated_failure_percentage,
                result_writer: None,
                redrive_count: row.redrive_count,
                results_discarded: false,
            };
            launch_orphan(shared, Arc::new(spec));
            closed += 1;
        }
        if count < OPEN_RUNS_PER_SCAN {
            return Ok(closed);
        }
    }
}
