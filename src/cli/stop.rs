//! `shoal stop`: abort a running execution.
//!
//! The log belongs to one process at a time, so this stops executions of a
//! data directory no other `shoal` process has open (one left by a crash or
//! a Ctrl-C). Opening the engine resumes the unfinished executions; they
//! pause again when the command ends, and `shoal resume` continues them.

use std::path::Path;

use super::error::CliError;
use super::inspect_commands::print_description;
use super::open::{self, StoreArg};

/// What `ExecutionAborted` records.
pub struct Reason<'a> {
    /// `--error`.
    pub error: &'a str,
    /// `--cause`.
    pub cause: &'a str,
}

/// `shoal stop EXEC [--error E] [--cause C] [--store NAME=URL ...]`.
pub async fn stop(
    data_dir: &Path,
    exec: &str,
    reason: Reason<'_>,
    stores: &[StoreArg],
    json: bool,
) -> Result<(), CliError> {
    open::open_log(data_dir, false)?;
    let engine = open::engine(data_dir, stores).await?;
    let stopped = async {
        let id = engine.inspector().resolve_execution(exec)?;
        engine
            .stop_execution(id, reason.error, reason.cause)
            .await?;
        Ok::<_, CliError>(engine.describe_execution(id)?)
    }
    .await;
    engine.shutdown().await;
    let description = stopped?;
    if json {
        let map_runs = engine.list_map_runs(description.id).unwrap_or_default();
        print_description(&description, map_runs, true);
    } else {
        eprintln!("stopped {} ({})", description.name, description.id);
    }
    Ok(())
}
