//! Crash-resume of map runs: a child process runs a DISTRIBUTED Map over
//! 20,000 items (a JSONL file on a local store) on a SledLog and is
//! SIGKILLed at a random moment; the next child process reopens the same
//! directory, resumes the same run, and is killed again. After the kill
//! cycles the test reopens the directory itself, lets the run finish, then
//! checks: every item's result present exactly once and in order, exactly
//! 20,000 children (none started twice), no child history with a repeated
//! transition, the parent history the fixed six map events, and the map
//! run's counters consistent.
//!
//! One long run per item processor type (STANDARD, then EXPRESS), each
//! killed `SHOAL_CRASH_CYCLES` times (default 30): the cycles share the
//! run instead of each running 20,000 children to the end, so every kill
//! lands in a run with work left (recovery, dispatch, children in flight)
//! and the whole test costs two runs and two checks. Each kill comes a
//! random 0-[`KILL_WINDOW_MS`] ms after the child says its engine is open
//! (one in eight without waiting for that: during start-up and recovery).
//! The child is this test binary re-run with `SHOAL_MAPRUN_CRASH_DIR` set.

#![allow(clippy::unwrap_used)]

#[path = "crash_support/mod.rs"]
mod crash_support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use shoal_engine::maprun::{MapRunOptions, MapRunStatus};
use shoal_engine::task::HandlerRegistry;
use shoal_engine::{Engine, ExecutionId, ExecutionStatus, HistoryEventType};
use shoal_readers::{Store, StoreRegistry};
use shoal_storage::{EventLog, SledLog, SledLogOptions};

use crash_support::{kill, spawn_self, wait_for_line, Rng};

const CHILD_DIR_ENV: &str = "SHOAL_MAPRUN_CRASH_DIR";
const CHILD_TYPE_ENV: &str = "SHOAL_MAPRUN_CRASH_TYPE";
const CYCLES_ENV: &str = "SHOAL_CRASH_CYCLES";
const DEFAULT_CYCLES: usize = 30;
const ITEMS: u64 = 20_000;
/// The child prints this once its engine is open (recovery under way).
const READY_LINE: &str = "maprun-crash-child-ready";
/// A kill comes at most this long after the ready line.
const KILL_WINDOW_MS: u64 = 400;

fn handlers() -> HandlerRegistry {
    let mut handlers = HandlerRegistry::new();
    handlers.register_async("double", |input, _context| async move {
        tokio::time::sleep(Duration::from_micros(200)).await;
        Ok(json!(input["v"].as_u64().unwrap_or(0) * 2))
    });
    handlers
}

fn definition(execution_type: &str) -> Value {
    json!({"StartAt": "M", "States": {"M": {
        "Type": "Map",
        "MaxConcurrency": 500,
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSONL"},
            "Parameters": {"Bucket": "data", "Key": "items.jsonl"}
        },
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
            "StartAt": "D",
            "States": {"D": {"Type": "Task", "Resource": "double", "End": true}}
        },
        "End": true
    }}})
}

async fn open_engine(dir: &Path) -> Engine {
    let log: Arc<dyn EventLog> =
        Arc::new(SledLog::open(dir.join("log"), SledLogOptions::new()).expect("sled log opens"));
    let mut stores = StoreRegistry::new();
    stores.insert("data", Store::local("data", dir.join("data")).unwrap());
    Engine::builder(log)
        .handlers(handlers())
        .payload_limit_bytes(4 * 1024 * 1024)
        .map_run_options(MapRunOptions::new().with_stores(stores))
        .build()
        .await
        .expect("engine builds")
}

/// Starts (idempotently, by name) the map execution and waits for it.
async fn run_to_end(engine: &Engine, execution_type: &str) -> ExecutionId {
    engine
        .register_state_machine("sm", &definition(execution_type).to_string())
        .await
        .unwrap();
    let id = engine
        .start_execution("sm", Some("crash"), json!({}))
        .await
        .unwrap();
    engine.wait_for_completion(id).await.unwrap();
    id
}

fn prepare(dir: &Path) {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let lines: String = (0..ITEMS).map(|i| format!("{{\"v\":{i}}}\n")).collect();
    std::fs::write(dir.join("data").join("items.jsonl"), lines).unwrap();
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The child's entry point: does nothing unless the parent set the env var.
#[test]
fn maprun_crash_child() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else {
        return;
    };
    let execution_type = std::env::var(CHILD_TYPE_ENV).unwrap_or_else(|_| "STANDARD".into());
    runtime().block_on(async move {
        let engine = open_engine(Path::new(&dir)).await;
        // The parent times its kill from this line.
        println!("{READY_LINE}");
        let _ = std::io::Write::flush(&mut std::io::stdout());
        run_to_end(&engine, &execution_type).await;
        engine.shutdown().await;
    });
}

/// Everything the finished run must satisfy.
fn check(engine: &Engine, id: ExecutionId, label: &str, express: bool) {
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{label}: {done:?}");
    let expected: Vec<Value> = (0..ITEMS).map(|i| json!(i * 2)).collect();
    assert!(
        done.output == Some(Value::Array(expected)),
        "{label}: results differ"
    );
    let parent: Vec<&str> = engine
        .get_execution_history(id, 0, usize::MAX)
        .unwrap()
        .iter()
        .map(|e| e.kind.name())
        .collect();
    assert_eq!(
        parent,
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ],
        "{label}"
    );
    let arns = engine.list_map_runs(id).unwrap();
    assert_eq!(arns.len(), 1, "{label}: one map run");
    let run = engine.describe_map_run(&arns[0]).unwrap();
    assert_eq!(run.status, MapRunStatus::Succeeded);
    let counts = run.execution_counts;
    assert_eq!(
        (
            counts.total,
            counts.succeeded,
            counts.failed,
            counts.aborted,
            counts.running
        ),
        (ITEMS, ITEMS, 0, 0, 0),
        "{label}: {run:?}"
    );
    assert_eq!(run.item_counts.total, ITEMS, "{label}");
    let children = engine.list_map_run_executions(&arns[0]).unwrap();
    assert_eq!(children.len() as u64, ITEMS, "{label}: none started twice");
    for (child, status) in children {
        assert_eq!(status, "SUCCEEDED");
        let events = engine.get_execution_history(child, 0, usize::MAX).unwrap();
        if express {
            // Only the outcome is recorded: one record, two events.
            let kinds: Vec<&str> = events.iter().map(|e| e.kind.name()).collect();
            assert_eq!(kinds, ["ExecutionStarted", "ExecutionSucceeded"], "{label}");
            continue;
        }
        let mut entered = 0;
        for (index, event) in events.iter().enumerate() {
            assert_eq!(event.id.0, index as u64 + 1, "{label}: {child} ids");
            if event.kind == HistoryEventType::TaskStateEntered {
                entered += 1;
            }
        }
        let starts = events
            .iter()
            .filter(|e| e.kind == HistoryEventType::ExecutionStarted)
            .count();
        assert_eq!(
            (starts, entered),
            (1, 1),
            "{label}: {child} repeated a transition"
        );
    }
}

#[test]
fn maprun_crash_every_item_exactly_once() {
    if std::env::var(CHILD_DIR_ENV).is_ok() {
        return;
    }
    let cycles: usize = std::env::var(CYCLES_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CYCLES);
    let mut rng = Rng::from_env("SHOAL_CRASH_SEED");
    eprintln!(
        "maprun_crash: {cycles} kills per run, SHOAL_CRASH_SEED={}",
        rng.0
    );
    let runtime = runtime();
    for execution_type in ["STANDARD", "EXPRESS"] {
        let started = Instant::now();
        let dir = tempfile::tempdir().unwrap();
        prepare(dir.path());
        drop(SledLog::open(dir.path().join("log"), SledLogOptions::new()).unwrap());
        let mut killed_mid_run = 0;
        for _ in 0..cycles {
            if kill_cycle(dir.path(), execution_type, &mut rng) {
                killed_mid_run += 1;
            }
        }
        let killed_ms = started.elapsed().as_millis();
        runtime.block_on(async {
            let engine = open_engine(dir.path()).await;
            let id = run_to_end(&engine, execution_type).await;
            check(&engine, id, execution_type, execution_type == "EXPRESS");
            engine.shutdown().await;
        });
        eprintln!(
            "maprun_crash: {execution_type}: {cycles} kills ({killed_mid_run} hit a running \
             child) in {killed_ms} ms, finished and checked in {} ms",
            started.elapsed().as_millis()
        );
    }
}

/// Starts a child process on `dir` and SIGKILLs it after a random delay;
/// true if it was still running then.
fn kill_cycle(dir: &Path, execution_type: &str, rng: &mut Rng) -> bool {
    let envs = [
        (CHILD_DIR_ENV, dir.display().to_string()),
        (CHILD_TYPE_ENV, execution_type.to_owned()),
    ];
    // The output is kept open until the kill, so the child never writes
    // to a closed pipe.
    let (mut child, mut output) = spawn_self("maprun_crash_child", &envs);
    if rng.below(8) != 0 {
        wait_for_line(&mut output, READY_LINE);
    }
    std::thread::sleep(Duration::from_millis(rng.below(KILL_WINDOW_MS)));
    let running = kill(&mut child);
    drop(output);
    running
}
