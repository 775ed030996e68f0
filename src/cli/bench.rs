//! `shoal bench map`: a whole-process Distributed Map benchmark.
//!
//! 1. Writes `--items` JSON Lines items (`{"i": n}`) to a memory store or to
//!    a file in a fresh directory, outside the timed part.
//! 2. Builds an engine on a SledLog in a fresh data directory with the
//!    built-in handlers and registers a DISTRIBUTED Map over the items
//!    (MaxConcurrency `--concurrency`, children `--child`, one Task running
//!    `--handler`). `"ResultPath": null` drops the results from the
//!    output, so the run does not assemble them and the engine keeps its
//!    default payload limit whatever the item count.
//! 3. Times start → durable completion, then reads the log's counters
//!    (records = transitions), the engine's peak of children in flight, the
//!    process's peak RSS (VmHWM) and the log's size on disk.
//! 4. Memory per in-flight child: a sampler reads the resident set (VmRSS)
//!    just before the start and again once the run has all the children it
//!    can have in flight (MaxConcurrency, or every item); with a
//!    `sleep-ms:N` handler long enough that they are all asleep then, the
//!    difference divided by the children is what each one holds (its
//!    driver, task attempt, handler, and its share of the dispatch).

use std::path::{Path, PathBuf};
use std::time::Instant;

use bytes::Bytes;
use serde::Serialize;
use serde_json::{json, Value};
use shoal_engine::maprun::MapRunOptions;
use shoal_engine::{Engine, ExecutionStatus};
use shoal_readers::{Store, StoreRegistry};
use shoal_storage::{EventLog, SledLog, SledLogOptions};

use super::error::CliError;
use super::views;

/// How often the in-flight sampler looks at the engine's counter.
const SAMPLE_EVERY: std::time::Duration = std::time::Duration::from_millis(2);
/// How long the end of the run waits for the sampler's answer.
const SAMPLE_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

/// What `bench map` measures; `--json` prints it as one object.
#[derive(Debug, Serialize)]
pub struct MapBenchReport {
    /// Items mapped.
    pub items: u64,
    /// MaxConcurrency.
    pub concurrency: u32,
    /// `standard` or `express`.
    pub child: String,
    /// `memory` or `jsonl`.
    pub source: String,
    /// `noop` or `sleep-ms:N`.
    pub handler: String,
    /// Start to durable completion, seconds.
    pub wall_s: f64,
    /// Items per second of wall time.
    pub items_per_s: f64,
    /// Transition records written during the run.
    pub transitions: u64,
    /// Transitions per second of wall time.
    pub transitions_per_s: f64,
    /// Log commits (fsyncs) during the run.
    pub commits: u64,
    /// Most children in flight at once (the engine's own peak counter).
    pub max_in_flight: usize,
    /// Peak resident set size of the process (VmHWM), bytes.
    pub peak_rss_bytes: u64,
    /// Resident set (VmRSS) just before the start, bytes.
    pub rss_before_bytes: u64,
    /// Resident set when the run first had every child it can have in
    /// flight (`min(items, concurrency)`), bytes; `None` if it never had.
    pub rss_in_flight_bytes: Option<u64>,
    /// `(rss_in_flight_bytes - rss_before_bytes) / in-flight children`:
    /// meaningful with a `sleep-ms:N` handler that keeps them all asleep.
    pub rss_per_in_flight_child_bytes: Option<u64>,
    /// Size of the log directory on disk after the run, bytes.
    pub log_bytes: u64,
    /// The parent execution's status.
    pub status: String,
    /// Its error, when it did not succeed.
    pub error: Option<String>,
    /// Its cause.
    pub cause: Option<String>,
}

/// `bench map` options.
#[derive(Debug, Clone)]
pub struct MapBench {
    /// `--items`.
    pub items: u64,
    /// `--concurrency`.
    pub concurrency: u32,
    /// `--child`.
    pub child: String,
    /// `--source`.
    pub source: String,
    /// `--handler`.
    pub handler: String,
    /// `--log-cache-mib`: sled's page cache; `None` keeps the log's default.
    pub log_cache_mib: Option<u64>,
    /// `--keep`: leave the data directory in place.
    pub keep: bool,
}

/// Runs the benchmark in a fresh directory under `data_dir` (or the
/// system's temporary directory) and prints the report.
pub async fn map(bench: MapBench, data_dir: Option<PathBuf>, json: bool) -> Result<(), CliError> {
    let base = data_dir.unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("shoal-bench-{}-{}", std::process::id(), now_ms()));
    let result = run_map(&bench, &dir).await;
    if !bench.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let report = result?;
    if json {
        views::print_json(&report);
    } else if let Ok(Value::Object(fields)) = serde_json::to_value(&report) {
        for (key, value) in fields {
            println!("{key:<18} {value}");
        }
    }
    if report.status != ExecutionStatus::Succeeded.name() {
        return Err(CliError::ExecutionFailed(format!(
            "the benchmark's execution ended {}: {}: {}",
            report.status,
            report.error.as_deref().unwrap_or(""),
            report.cause.as_deref().unwrap_or("")
        )));
    }
    Ok(())
}

async fn run_map(bench: &MapBench, dir: &Path) -> Result<MapBenchReport, CliError> {
    let (resource, selector) = handler(&bench.handler)?;
    let execution_type = match bench.child.as_str() {
        "standard" => "STANDARD",
        "express" => "EXPRESS",
        other => {
            return Err(CliError::Usage(format!(
                "--child {other:?}: standard or express"
            )))
        }
    };
    let store = items_store(bench, dir).await?;
    let mut stores = StoreRegistry::new();
    stores.insert("bench", store);
    let log_dir = dir.join("log");
    std::fs::create_dir_all(&log_dir)
        .map_err(|e| CliError::Storage(format!("cannot create {}: {e}", log_dir.display())))?;
    let mut options = SledLogOptions::new();
    if let Some(mib) = bench.log_cache_mib {
        options = options.with_cache_capacity_bytes(mib.saturating_mul(1024 * 1024));
    }
    let log =
        std::sync::Arc::new(SledLog::open(&log_dir, options).map_err(|e| CliError::log(dir, e))?);
    let engine = Engine::builder(log.clone())
        .handlers(shoal::builtin_handlers())
        .map_run_options(MapRunOptions::new().with_stores(stores))
        .build()
        .await?;
    let definition = json!({"StartAt": "Map", "States": {"Map": {
        "Type": "Map",
        "MaxConcurrency": bench.concurrency,
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSONL"},
            "Parameters": {"Bucket": "bench", "Key": "items.jsonl"}
        },
        "ItemSelector": selector,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
            "StartAt": "Work",
            "States": {"Work": {"Type": "Task", "Resource": resource, "End": true}}
        },
        "ResultPath": null,
        "End": true
    }}});
    let full = usize::try_from(bench.items.min(u64::from(bench.concurrency))).unwrap_or(0);
    let measured = async {
        engine
            .register_state_machine("bench-map", &definition.to_string())
            .await?;
        let before = log.metrics();
        let rss_before = rss_bytes("VmRSS:");
        let mut sampler = tokio::spawn(rss_at_in_flight(engine.clone(), full));
        let started = Instant::now();
        let id = engine.start_execution("bench-map", None, json!({})).await?;
        let done = engine.wait_for_completion(id).await?;
        let wall_s = started.elapsed().as_secs_f64();
        // The children ended, so the sampler has returned or is about to.
        let rss_in_flight = tokio::time::timeout(SAMPLE_WAIT, &mut sampler)
            .await
            .ok()
            .and_then(Result::ok)
            .flatten();
        sampler.abort();
        Ok::<_, CliError>((wall_s, before, done, rss_before, rss_in_flight))
    }
    .await;
    let peak = engine.map_run_metrics().peak_in_flight;
    engine.shutdown().await;
    let (wall_s, before, done, rss_before, rss_in_flight) = measured?;
    let per_child = rss_in_flight
        .filter(|_| full > 0)
        .map(|rss| rss.saturating_sub(rss_before) / full as u64);
    let after = log.metrics();
    let transitions = after.records.saturating_sub(before.records);
    let wall = wall_s.max(1e-9);
    Ok(MapBenchReport {
        items: bench.items,
        concurrency: bench.concurrency,
        child: bench.child.clone(),
        source: bench.source.clone(),
        handler: bench.handler.clone(),
        wall_s,
        items_per_s: bench.items as f64 / wall,
        transitions,
        transitions_per_s: transitions as f64 / wall,
        commits: after.commits.saturating_sub(before.commits),
        max_in_flight: peak,
        peak_rss_bytes: rss_bytes("VmHWM:"),
        rss_before_bytes: rss_before,
        rss_in_flight_bytes: rss_in_flight,
        rss_per_in_flight_child_bytes: per_child,
        log_bytes: directory_bytes(&log_dir),
        status: done.status.name().to_string(),
        error: done.error,
        cause: done.cause,
    })
}

/// The Task resource and the ItemSelector for `--handler`.
fn handler(text: &str) -> Result<(&'static str, Value), CliError> {
    if text == "noop" {
        return Ok(("shoal:noop", json!({"i.$": "$$.Map.Item.Value.i"})));
    }
    let ms = text
        .strip_prefix("sleep-ms:")
        .and_then(|ms| ms.parse::<u64>().ok())
        .ok_or_else(|| CliError::Usage(format!("--handler {text:?}: noop or sleep-ms:N")))?;
    Ok((
        "shoal:sleep",
        json!({"i.$": "$$.Map.Item.Value.i", "Milliseconds": ms}),
    ))
}

/// The store holding `items.jsonl`: in memory, or a directory beside the log.
async fn items_store(bench: &MapBench, dir: &Path) -> Result<Store, CliError> {
    let mut text = String::with_capacity(usize::try_from(bench.items).unwrap_or(0) * 12);
    for i in 0..bench.items {
        text.push_str(&format!("{{\"i\":{i}}}\n"));
    }
    match bench.source.as_str() {
        "memory" => {
            let store = Store::memory("bench");
            store
                .put("items.jsonl", Bytes::from(text))
                .await
                .map_err(|e| CliError::Storage(format!("writing the items: {e}")))?;
            Ok(store)
        }
        "jsonl" => {
            let items_dir = dir.join("items");
            std::fs::create_dir_all(&items_dir)
                .and_then(|()| std::fs::write(items_dir.join("items.jsonl"), text))
                .map_err(|e| CliError::Storage(format!("writing the items: {e}")))?;
            Store::local("bench", &items_dir).map_err(|e| CliError::Storage(e.to_string()))
        }
        other => Err(CliError::Usage(format!(
            "--source {other:?}: memory or jsonl"
        ))),
    }
}

/// The largest VmRSS sampled (every [`SAMPLE_EVERY`]) while `full`
/// children were in flight; `None` when the run never got there. The
/// engine counts a child in flight from its slot's reservation, a moment
/// before its driver exists, so the largest sample is the one taken with
/// every driver alive.
async fn rss_at_in_flight(engine: Engine, full: usize) -> Option<u64> {
    let mut largest = None;
    loop {
        let in_flight = engine.map_run_metrics().in_flight;
        if full > 0 && in_flight >= full {
            largest = largest.max(Some(rss_bytes("VmRSS:")));
        } else if largest.is_some() {
            return largest;
        }
        tokio::time::sleep(SAMPLE_EVERY).await;
    }
}

/// A size field (`VmRSS:`, `VmHWM:`) of /proc/self/status in bytes (0
/// where there is no procfs).
fn rss_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}

fn directory_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => directory_bytes(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}
