//! `shoal bench recover`: how fast a killed map run comes back.
//!
//! 1. Writes `--in-flight` JSON Lines items and a DISTRIBUTED Map definition
//!    (MaxConcurrency = the item count, each child sleeps until a wall-clock
//!    deadline `--sleep-ms` after this step, `shoal:sleep` with `UntilMs`,
//!    then returns `{"i": n}`) into a fresh directory.
//! 2. Runs `shoal run` on it in a child process, waits `--kill-after-ms`
//!    after the execution started (long enough for every child to be
//!    dispatched: they are all asleep, in flight), and SIGKILLs it; then
//!    waits until the deadline has passed, so the children's re-invoked
//!    attempts return at once and the figures below time the recovery,
//!    not a sleep.
//! 3. In this process: opens the log (`open_s`), builds the engine, which
//!    replays the parent and relaunches its map run (`recovered_s`), and
//!    polls the log's record counter until the first transition recorded
//!    by the reopened engine is durable (`first_transition_s`), then waits
//!    for the parent (`complete_s`). All are measured from the start of
//!    the open.
//! 4. Counts, from the parent's output, items with no result (`lost`) and
//!    items with more than one, plus children beyond the item count
//!    (`duplicated`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};
use shoal_engine::maprun::MapRunOptions;
use shoal_engine::Engine;
use shoal_readers::{Store, StoreRegistry};
use shoal_storage::{EventLog, SledLog, SledLogOptions};

use super::error::CliError;
use super::views;

/// How long after the children's deadline the log is reopened, ms.
const DEADLINE_MARGIN_MS: u64 = 50;

/// The system clock in ms since the epoch.
fn epoch_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

/// What `bench recover` measures.
#[derive(Debug, Serialize)]
pub struct RecoverReport {
    /// Children in the map run (all asleep, in flight, at the kill).
    pub in_flight: u64,
    /// How long each child sleeps, ms: until this long after the run was
    /// prepared.
    pub sleep_ms: u64,
    /// Opening the log after the kill, seconds.
    pub open_s: f64,
    /// Open to the end of `build`: every unfinished execution replayed and
    /// its outstanding work (the children's task attempts) re-invoked, seconds.
    pub recovered_s: f64,
    /// Open to the first transition the reopened engine made durable,
    /// seconds (the children's deadline has passed by then, so their
    /// re-invoked attempts return at once).
    pub first_transition_s: f64,
    /// Open to the parent's durable completion, seconds.
    pub complete_s: f64,
    /// Items without a result in the output.
    pub lost: u64,
    /// Items with more than one result, plus children beyond the item count.
    pub duplicated: u64,
    /// The parent's final status.
    pub status: String,
}

/// `bench recover` options.
#[derive(Debug, Clone)]
pub struct RecoverBench {
    /// `--in-flight`.
    pub in_flight: u64,
    /// `--sleep-ms`.
    pub sleep_ms: u64,
    /// `--kill-after-ms`.
    pub kill_after_ms: u64,
    /// `--keep`.
    pub keep: bool,
}

/// Runs the benchmark under `base` and prints the report.
pub async fn recover(bench: RecoverBench, base: &Path, json: bool) -> Result<(), CliError> {
    let dir = base.join(format!("shoal-bench-recover-{}", std::process::id()));
    let result = run(&bench, &dir).await;
    if !bench.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let report = result?;
    if json {
        views::print_json(&report);
    } else if let Ok(Value::Object(fields)) = serde_json::to_value(&report) {
        for (key, value) in fields {
            println!("{key:<20} {value}");
        }
    }
    if report.lost > 0 || report.duplicated > 0 || report.status != "SUCCEEDED" {
        return Err(CliError::ExecutionFailed(format!(
            "recovery lost {} and duplicated {} item(s); the run ended {}",
            report.lost, report.duplicated, report.status
        )));
    }
    Ok(())
}

async fn run(bench: &RecoverBench, dir: &Path) -> Result<RecoverReport, CliError> {
    let io = |e: std::io::Error| CliError::Storage(format!("preparing {}: {e}", dir.display()));
    let items_dir = dir.join("items");
    std::fs::create_dir_all(&items_dir).map_err(io)?;
    let items: String = (0..bench.in_flight)
        .map(|i| format!("{{\"i\":{i}}}\n"))
        .collect();
    std::fs::write(items_dir.join("items.jsonl"), items).map_err(io)?;
    let deadline_ms = epoch_ms() + bench.sleep_ms;
    let definition = json!({"StartAt": "Map", "States": {"Map": {
        "Type": "Map",
        "MaxConcurrency": bench.in_flight,
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSONL"},
            "Parameters": {"Bucket": "data", "Key": "items.jsonl"}
        },
        "ItemSelector": {"i.$": "$$.Map.Item.Value.i", "UntilMs": deadline_ms},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Nap",
            "States": {
                "Nap": {"Type": "Task", "Resource": "shoal:sleep", "Next": "Result"},
                "Result": {"Type": "Pass", "Parameters": {"i.$": "$.i"}, "End": true}
            }
        },
        "End": true
    }}});
    let def_path = dir.join("recover.json");
    std::fs::write(&def_path, definition.to_string()).map_err(io)?;
    let data_dir = dir.join("data");
    run_and_kill(bench, &data_dir, &def_path, &items_dir)?;
    // Past the deadline, a re-invoked attempt returns at once.
    let wait_ms = (deadline_ms + DEADLINE_MARGIN_MS).saturating_sub(epoch_ms());
    std::thread::sleep(Duration::from_millis(wait_ms));

    let mut stores = StoreRegistry::new();
    stores.insert(
        "data",
        Store::local("data", &items_dir).map_err(|e| CliError::Storage(e.to_string()))?,
    );
    let started = Instant::now();
    let log: Arc<dyn EventLog> = Arc::new(
        SledLog::open(data_dir.join("log"), SledLogOptions::new())
            .map_err(|e| CliError::log(&data_dir, e))?,
    );
    let open_s = started.elapsed().as_secs_f64();
    let baseline = log.stats().records;
    let engine = Engine::builder(log.clone())
        .handlers(shoal::builtin_handlers())
        .map_run_options(MapRunOptions::new().with_stores(stores))
        .build()
        .await?;
    let recovered_s = started.elapsed().as_secs_f64();
    if engine.recovered() == 0 {
        engine.shutdown().await;
        return Err(CliError::Usage(
            "the run ended (or never started) before the kill: raise --sleep-ms or lower --kill-after-ms".into(),
        ));
    }
    let measured = async {
        while log.stats().records == baseline {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        let first_transition_s = started.elapsed().as_secs_f64();
        let id = engine.inspector().resolve_execution("recover")?;
        let done = engine.wait_for_completion(id).await?;
        let complete_s = started.elapsed().as_secs_f64();
        let children = engine
            .list_map_runs(id)?
            .first()
            .map(|arn| engine.describe_map_run(arn))
            .transpose()?
            .map_or(0, |run| run.execution_counts.total);
        Ok::<_, CliError>((first_transition_s, complete_s, done, children))
    }
    .await;
    engine.shutdown().await;
    let (first_transition_s, complete_s, done, children) = measured?;
    let (lost, duplicated) = count_results(done.output.as_ref(), bench.in_flight);
    Ok(RecoverReport {
        in_flight: bench.in_flight,
        sleep_ms: bench.sleep_ms,
        open_s,
        recovered_s,
        first_transition_s,
        complete_s,
        lost,
        duplicated: duplicated + children.saturating_sub(bench.in_flight),
        status: done.status.name().to_string(),
    })
}

/// Starts `shoal run` in a child process and SIGKILLs it `kill_after_ms`
/// after it reported its execution started.
fn run_and_kill(
    bench: &RecoverBench,
    data_dir: &Path,
    def_path: &Path,
    items_dir: &Path,
) -> Result<(), CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Storage(format!("cannot find the shoal executable: {e}")))?;
    let mut child = Command::new(exe)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("run")
        .arg(def_path)
        .arg("--name")
        .arg("recover")
        .arg("--store")
        .arg(format!("data=file://{}", items_dir.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| CliError::Storage(format!("cannot start shoal run: {e}")))?;
    // The name row appears once the start is durable; the log is locked by
    // the child, so wait for its files rather than reading them.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !data_dir.join("log").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(bench.kill_after_ms));
    let killed = child.kill();
    let _ = child.wait();
    killed.map_err(|e| CliError::Storage(format!("cannot kill shoal run: {e}")))
}

/// (items without a result, items with more than one) in `output`.
fn count_results(output: Option<&Value>, items: u64) -> (u64, u64) {
    let mut seen = vec![0_u32; usize::try_from(items).unwrap_or(0)];
    for result in output.and_then(Value::as_array).into_iter().flatten() {
        let index = result["i"].as_u64().and_then(|i| usize::try_from(i).ok());
        if let Some(slot) = index.and_then(|i| seen.get_mut(i)) {
            *slot += 1;
        }
    }
    let lost = seen.iter().filter(|&&n| n == 0).count() as u64;
    let duplicated = seen.iter().filter(|&&n| n > 1).count() as u64;
    (lost, duplicated)
}
