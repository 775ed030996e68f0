//! `shoal run` and `shoal resume`: execute durably and wait.

use std::path::{Path, PathBuf};

use shoal_engine::api::{ExecutionDescription, ListExecutionsOptions};
use shoal_engine::{Engine, ExecutionStatus};

use super::definition;
use super::error::CliError;
use super::inspect_commands::print_description;
use super::open::{self, StoreArg};
use super::progress::{self, Progress};
use super::views::{self, cell, ExecutionView};

/// What `shoal run` was given.
pub struct RunRequest {
    /// The definition file.
    pub definition: PathBuf,
    /// `--input`.
    pub input: Option<String>,
    /// `--name`.
    pub name: Option<String>,
    /// `--state-machine`.
    pub state_machine: Option<String>,
    /// `--store`.
    pub stores: Vec<StoreArg>,
}

/// `shoal run`.
pub async fn run(data_dir: &Path, request: RunRequest, json: bool) -> Result<(), CliError> {
    let (text, _) = definition::load(&request.definition)?;
    let machine = definition::machine_name(&request.definition, request.state_machine.as_deref())?;
    let input = definition::input(request.input.as_deref())?;
    let engine = open::engine(data_dir, &request.stores).await?;
    let progress = Progress::new(!json);
    if engine.recovered() > 0 {
        progress.println(&format!(
            "note: {} unfinished execution(s) of earlier runs continue too (`shoal resume` waits for them)",
            engine.recovered()
        ));
    }
    let started = async {
        engine.register_state_machine(&machine, &text).await?;
        engine
            .start_execution(&machine, request.name.as_deref(), input)
            .await
    };
    let id = match started.await {
        Ok(id) => id,
        Err(error) => {
            engine.shutdown().await;
            return Err(error.into());
        }
    };
    progress.println(&format!("execution {id} of state machine {machine:?}"));
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

/// Prints a finished execution as `run` does: the output JSON, or the
/// description with `--json`; an unsuccessful end is an error (exit 1).
pub(super) fn report(
    description: &ExecutionDescription,
    map_runs: Vec<String>,
    json: bool,
) -> Result<(), CliError> {
    if json {
        print_description(description, map_runs, true);
    } else if let Some(output) = &description.output {
        views::print_json(output);
    }
    check_succeeded(description)
}

fn check_succeeded(d: &ExecutionDescription) -> Result<(), CliError> {
    if d.status == ExecutionStatus::Succeeded {
        return Ok(());
    }
    let who = if d.name == d.id.to_string() {
        d.name.clone()
    } else {
        format!("{} ({})", d.name, d.id)
    };
    Err(CliError::ExecutionFailed(format!(
        "execution {who} {}: {}{}",
        d.status,
        d.error.as_deref().unwrap_or("no error name"),
        d.cause
            .as_deref()
            .map(|c| format!(": {c}"))
            .unwrap_or_default()
    )))
}

/// `shoal resume`.
pub async fn resume(data_dir: &Path, stores: &[StoreArg], json: bool) -> Result<(), CliError> {
    open::open_log(data_dir, false)?;
    let engine = open::engine(data_dir, stores).await?;
    let ids = match running(&engine) {
        Ok(ids) => ids,
        Err(error) => {
            engine.shutdown().await;
            return Err(error);
        }
    };
    let progress = Progress::new(!json);
    progress.println(&format!("resuming {} unfinished execution(s)", ids.len()));
    let result = progress::wait_all(&engine, &ids, &progress, data_dir).await;
    if !matches!(result, Err(CliError::Interrupted)) {
        engine.shutdown().await;
    }
    let done = result?;
    if json {
        let views: Vec<ExecutionView> = done
            .iter()
            .map(|d| ExecutionView::new(d, engine.list_map_runs(d.id).unwrap_or_default()))
            .collect();
        views::print_json(&serde_json::json!({ "executions": views }));
    } else {
        let rows: Vec<Vec<String>> = done
            .iter()
            .map(|d| {
                let outcome = match (&d.output, &d.error) {
                    (Some(output), _) => output.to_string(),
                    (None, Some(error)) => format!("{error}: {}", d.cause.as_deref().unwrap_or("")),
                    (None, None) => String::new(),
                };
                vec![
                    d.id.to_string(),
                    d.name.clone(),
                    d.status.name().to_string(),
                    cell(&outcome, 80),
                ]
            })
            .collect();
        views::print_table(&["EXECUTION", "NAME", "STATUS", "OUTPUT / ERROR"], &rows);
    }
    let failed = done
        .iter()
        .filter(|d| d.status != ExecutionStatus::Succeeded)
        .count();
    if failed > 0 {
        return Err(CliError::ExecutionFailed(format!(
            "{failed} of {} resumed execution(s) did not succeed",
            done.len()
        )));
    }
    Ok(())
}

/// Every RUNNING execution (after recovery these are the resumed ones).
fn running(engine: &Engine) -> Result<Vec<shoal_engine::ExecutionId>, CliError> {
    let mut ids = Vec::new();
    let mut options = ListExecutionsOptions::new().with_status(ExecutionStatus::Running);
    loop {
        let page = engine.list_executions(&options)?;
        ids.extend(page.executions.iter().map(|e| e.id));
        match page.next_page {
            Some(next) => options = options.with_page(next),
            None => return Ok(ids),
        }
    }
}
