//! Crash-resume of map runs: a child process runs a DISTRIBUTED Map over
//! 20,000 items (a JSONL file on a local store) on a SledLog and is
//! SIGKILLed at a random moment; the parent reopens the directory and lets
//! it finish, then checks: every item's result present exactly once and in
//! order, exactly 20,000 children (none started twice), no child history
//! with a repeated transition, the parent history the fixed six map events,
//! and the map run's counters consistent.
//!
//! Cycles alternate STANDARD and EXPRESS item processors.
//! `SHOAL_CRASH_CYCLES` sets the number of cycles (default 30). The child
//! is this test binary re-run with `SHOAL_MAPRUN_CRASH_DIR` set.

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

use crash_support::{kill, spawn_self, Rng};

const CHILD_DIR_ENV: &str = "SHOAL_MAPRUN_CRASH_DIR";
const CHILD_TYPE_ENV: &str = "SHOAL_MAPRUN_CRASH_TYPE";
const CYCLES_ENV: &str = "SHOAL_CRASH_CYCLES";
const DEFAULT_CYCLES: usize = 30;
const ITEMS: u64 = 20_000;

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
        run_to_end(&engine, &execution_type).await;
        engine.shutdown().await;
    });
}

/// Everything the finished run must satisfy.
fn check(engine: &Engine, id: ExecutionId, cycle: usize, express: bool) {
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(
        done.status,
        ExecutionStatus::Succeeded,
        "cycle {cycle}: {done:?}"
    );
    let expected: Vec<Value> = (0..ITEMS).map(|i| json!(i * 2)).collect();
    assert!(
        done.output == Some(Value::Array(expected)),
        "cycle {cycle}: results differ"
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
        "cycle {cycle}"
    );
    let arns = engine.list_map_runs(id).unwrap();
    assert_eq!(arns.len(), 1, "cycle {cycle}: one map run");
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
        "cycle {cycle}: {run:?}"
    );
    assert_eq!(run.item_counts.total, ITEMS, "cycle {cycle}");
    let children = engine.list_map_run_executions(&arns[0]).unwrap();
    assert_eq!(
        children.len() as u64,
        ITEMS,
        "cycle {cycle}: none started twice"
    );
    for (child, status) in children {
        assert_eq!(status, "SUCCEEDED");
        let events = engine.get_execution_history(child, 0, usize::MAX).unwrap();
        if express {
            // Only the outcome is recorded: one record, two events.
            let kinds: Vec<&str> = events.iter().map(|e| e.kind.name()).collect();
            assert_eq!(
                kinds,
                ["ExecutionStarted", "ExecutionSucceeded"],
                "cycle {cycle}"
            );
            continue;
        }
        let mut entered = 0;
        for (index, event) in events.iter().enumerate() {
            assert_eq!(event.id.0, index as u64 + 1, "cycle {cycle}: {child} ids");
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
            "cycle {cycle}: {child} repeated a transition"
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
    let runtime = runtime();
    let reference = Instant::now();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        prepare(dir.path());
        let engine = open_engine(dir.path()).await;
        let id = run_to_end(&engine, "STANDARD").await;
        eprintln!("maprun_crash: run {} ms", reference.elapsed().as_millis());
        check(&engine, id, usize::MAX, false);
        engine.shutdown().await;
    });
    let full_ms = reference.elapsed().as_millis() as u64;
    eprintln!("maprun_crash: an uninterrupted run (with checks) takes {full_ms} ms");
    let mut rng = Rng::from_env("SHOAL_CRASH_SEED");
    eprintln!("maprun_crash: {cycles} cycles, SHOAL_CRASH_SEED={}", rng.0);
    let mut killed_mid_run = 0;
    for cycle in 0..cycles {
        let execution_type = if cycle % 2 == 0 {
            "STANDARD"
        } else {
            "EXPRESS"
        };
        let dir = tempfile::tempdir().unwrap();
        prepare(dir.path());
        drop(SledLog::open(dir.path().join("log"), SledLogOptions::new()).unwrap());
        let kills = 1 + rng.next() % 2;
        for _ in 0..kills {
            let envs = [
                (CHILD_DIR_ENV, dir.path().display().to_string()),
                (CHILD_TYPE_ENV, execution_type.to_owned()),
            ];
            let (mut child, output) = spawn_self("maprun_crash_child", &envs);
            let delay_ms = 20 + rng.next() % full_ms.clamp(100, 3_000);
            std::thread::sleep(Duration::from_millis(delay_ms));
            killed_mid_run += usize::from(kill(&mut child));
            drop(output);
        }
        runtime.block_on(async {
            let engine = open_engine(dir.path()).await;
            let id = run_to_end(&engine, execution_type).await;
            check(&engine, id, cycle, execution_type == "EXPRESS");
            engine.shutdown().await;
        });
    }
    eprintln!("maprun_crash: {cycles} cycles passed; {killed_mid_run} kills hit a running child");
}
