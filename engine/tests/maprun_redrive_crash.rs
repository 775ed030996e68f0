//! A redrive killed mid-way: a child process runs a DISTRIBUTED Map over
//! 2,000 items on a SledLog whose items `v % 10 == 3` fail until a marker
//! file exists (5 % tolerated, so the run fails once every item ran), then
//! writes the marker and redrives the parent. The parent process SIGKILLs
//! it at a random moment after it announced the redrive, reopens the
//! directory, redrives only if the redrive was not durable yet, and checks:
//! the parent redriven exactly once, its map run redriven once and
//! SUCCEEDED, every result in item order, no child redriven twice or after
//! it succeeded, and no STANDARD child transition repeated.
//!
//! Cycles alternate STANDARD and EXPRESS children.
//! `SHOAL_REDRIVE_CRASH_CYCLES` sets the cycles (default 4). The child is
//! this test binary re-run with `SHOAL_REDRIVE_CRASH_DIR` set.

#![allow(clippy::unwrap_used)]

mod crash_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crash_support::{kill, spawn_self, wait_for_line, Rng};

use serde_json::{json, Value};
use shoal_engine::maprun::{MapRunOptions, MapRunStatus};
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{Engine, ExecutionId, ExecutionStatus, HistoryEventType as T};
use shoal_readers::{Store, StoreRegistry};
use shoal_storage::{EventLog, SledLog, SledLogOptions};

const CHILD_DIR_ENV: &str = "SHOAL_REDRIVE_CRASH_DIR";
const CHILD_TYPE_ENV: &str = "SHOAL_REDRIVE_CRASH_TYPE";
const CYCLES_ENV: &str = "SHOAL_REDRIVE_CRASH_CYCLES";
const DEFAULT_CYCLES: usize = 4;
const ITEMS: u64 = 2_000;
/// Printed by the child just before it calls `redrive_execution`.
const REDRIVING: &str = "redriving";

fn healed_marker(dir: &Path) -> PathBuf {
    dir.join("healed")
}

fn handlers(dir: &Path) -> HandlerRegistry {
    let marker = healed_marker(dir);
    let mut handlers = HandlerRegistry::new();
    handlers.register_async("double", move |input, _context| {
        let healed = marker.exists();
        async move {
            tokio::time::sleep(Duration::from_micros(200)).await;
            let v = input["v"].as_u64().unwrap_or(0);
            if v % 10 == 3 && !healed {
                return Err(TaskError::new("Item.Failed", format!("item {v}")));
            }
            Ok(json!(v * 2))
        }
    });
    handlers
}

fn definition(execution_type: &str) -> Value {
    json!({"StartAt": "M", "States": {"M": {
        "Type": "Map",
        "MaxConcurrency": 200,
        "ToleratedFailurePercentage": 5,
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
        .handlers(handlers(dir))
        .map_run_options(MapRunOptions::new().with_stores(stores))
        .build()
        .await
        .expect("engine builds")
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

/// The child: runs the map to its failure, heals, announces and redrives.
#[test]
fn redrive_crash_child() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else {
        return;
    };
    let execution_type = std::env::var(CHILD_TYPE_ENV).unwrap_or_else(|_| "STANDARD".into());
    let dir = PathBuf::from(dir);
    runtime().block_on(async move {
        let engine = open_engine(&dir).await;
        engine
            .register_state_machine("sm", &definition(&execution_type).to_string())
            .await
            .unwrap();
        let id = engine
            .start_execution("sm", Some("redrive"), json!({}))
            .await
            .unwrap();
        let failed = engine.wait_for_completion(id).await.unwrap();
        assert_eq!(failed.status, ExecutionStatus::Failed, "{failed:?}");
        std::fs::write(healed_marker(&dir), "").unwrap();
        println!("{REDRIVING}");
        std::io::stdout().flush().unwrap();
        engine.redrive_execution(id).await.unwrap();
        engine.wait_for_completion(id).await.unwrap();
        engine.shutdown().await;
    });
}

fn check(engine: &Engine, id: ExecutionId, cycle: usize) {
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(
        done.status,
        ExecutionStatus::Succeeded,
        "cycle {cycle}: {done:?}"
    );
    assert_eq!(done.redrive_count, 1, "cycle {cycle}: redriven once");
    let expected: Vec<Value> = (0..ITEMS).map(|i| json!(i * 2)).collect();
    assert!(
        done.output == Some(Value::Array(expected)),
        "cycle {cycle}: results differ"
    );
    let parent = engine.get_execution_history(id, 0, usize::MAX).unwrap();
    let redrives = parent
        .iter()
        .filter(|e| matches!(e.kind, T::ExecutionRedriven | T::MapRunRedriven))
        .count();
    assert_eq!(
        redrives, 2,
        "cycle {cycle}: one ExecutionRedriven, one MapRunRedriven"
    );
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    let run = engine.describe_map_run(&arn).unwrap();
    assert_eq!(
        (
            run.status,
            run.redrive_count,
            run.execution_counts.succeeded
        ),
        (MapRunStatus::Succeeded, 1, ITEMS),
        "cycle {cycle}: {run:?}"
    );
    for (child, status) in engine.list_map_run_executions(&arn).unwrap() {
        assert_eq!(status, "SUCCEEDED", "cycle {cycle}: {child}");
        let events = engine.get_execution_history(child, 0, usize::MAX).unwrap();
        let mut redriven = 0;
        for (index, event) in events.iter().enumerate() {
            assert_eq!(event.id.0, index as u64 + 1, "cycle {cycle}: {child} ids");
            if event.kind == T::ExecutionRedriven {
                redriven += 1;
                let before = events[index - 1].kind;
                assert!(
                    matches!(
                        before,
                        T::ExecutionFailed | T::ExecutionAborted | T::ExecutionTimedOut
                    ),
                    "cycle {cycle}: {child} redriven after {before}"
                );
            }
        }
        assert!(
            redriven <= 1,
            "cycle {cycle}: {child} redriven {redriven} times"
        );
        let entered = events
            .iter()
            .filter(|e| e.kind == T::TaskStateEntered)
            .count();
        assert!(
            entered <= 1 + redriven,
            "cycle {cycle}: {child} repeated a transition"
        );
    }
}

#[test]
fn a_redrive_killed_mid_way_completes_once() {
    if std::env::var(CHILD_DIR_ENV).is_ok() {
        return;
    }
    let cycles: usize = std::env::var(CYCLES_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CYCLES);
    let mut rng = Rng::from_env("SHOAL_REDRIVE_CRASH_SEED");
    eprintln!("maprun_redrive_crash: {cycles} cycles, seed {}", rng.0);
    let runtime = runtime();
    // Status at reopen: FAILED (the redrive was not durable), RUNNING
    // (killed mid-redrive), SUCCEEDED (finished before the kill).
    let mut seen = [0usize; 3];
    for cycle in 0..cycles {
        let execution_type = if cycle % 2 == 0 {
            "STANDARD"
        } else {
            "EXPRESS"
        };
        let dir = tempfile::tempdir().unwrap();
        prepare(dir.path());
        let (mut child, mut stdout) = spawn_self(
            "redrive_crash_child",
            &[
                (CHILD_DIR_ENV, dir.path().display().to_string()),
                (CHILD_TYPE_ENV, execution_type.to_string()),
            ],
        );
        assert!(
            wait_for_line(&mut stdout, REDRIVING),
            "cycle {cycle}: the child reaches its redrive"
        );
        // One cycle in four kills at once (aiming before the redrive's
        // commit); the others within the redriven run.
        let delay_ms = if cycle % 4 == 3 { 0 } else { rng.below(300) };
        std::thread::sleep(Duration::from_millis(delay_ms));
        kill(&mut child);
        runtime.block_on(async {
            let engine = open_engine(dir.path()).await;
            let id = engine
                .start_execution("sm", Some("redrive"), json!({}))
                .await
                .unwrap();
            match engine.describe_execution(id).unwrap().status {
                ExecutionStatus::Failed => {
                    seen[0] += 1;
                    engine.redrive_execution(id).await.unwrap();
                }
                ExecutionStatus::Running => seen[1] += 1,
                _ => seen[2] += 1,
            }
            engine.wait_for_completion(id).await.unwrap();
            check(&engine, id, cycle);
            engine.shutdown().await;
        });
    }
    eprintln!(
        "maprun_redrive_crash: {cycles} cycles passed; at reopen {} FAILED (redrive not durable), \
         {} RUNNING (killed mid-redrive), {} SUCCEEDED",
        seen[0], seen[1], seen[2]
    );
}
