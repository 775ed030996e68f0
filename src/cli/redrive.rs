//! `shoal redrive`: Step Functions' RedriveExecution from the command line.
//!
//! Opens the engine on the data directory (which also resumes its other
//! unfinished executions, as `shoal stop` does), redrives the execution
//! (durably, before anything runs), then waits for it with the same
//! progress display as `shoal resume` and prints its outcome as `shoal run`
//! does. Ctrl-C stops cleanly; `shoal resume` continues the redriven
//! execution.

use std::path::Path;

use super::error::CliError;
use super::open::{self, StoreArg};
use super::progress::{self, Progress};
use super::run::report;

/// `shoal redrive EXEC [--store NAME=URL ...]`.
pub async fn redrive(
    data_dir: &Path,
    exec: &str,
    stores: &[StoreArg],
    json: bool,
) -> Result<(), CliError> {
    open::open_log(data_dir, false)?;
    let engine = open::engine(data_dir, stores).await?;
    let redriven = async {
        let id = engine.inspector().resolve_execution(exec)?;
        engine.redrive_execution(id).await?;
        Ok::<_, CliError>(id)
    }
    .await;
    let id = match redriven {
        Ok(id) => id,
        Err(error) => {
            engine.shutdown().await;
            return Err(error);
        }
    };
    let progress = Progress::new(!json);
    let count = engine.describe_execution(id)?.redrive_count;
    progress.println(&format!("redriving execution {id} (redrive {count})"));
    let result = progress::wait_all(&engine, &[id], &progress, data_dir).await;
    if !matches!(result, Err(CliError::Interrupted)) {
        engine.shutdown().await;
    }
    let description = result?
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Storage(format!("execution {id} ended without a description")))?;
    let map_runs = engine.list_map_runs(description.id).unwrap_or_default();
    report(&description, map_runs, json)
}
