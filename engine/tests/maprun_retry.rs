//! Retry of a DISTRIBUTED Map state: each attempt is a new map run (its own
//! ARN and row; the failed run stays listed FAILED), a Retry exhausted ends
//! in the Catch or the execution's failure with the run's error, and a
//! parent replayed after a restart finds the same runs by the same ARNs.

#![allow(clippy::unwrap_used)]

mod maprun_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use maprun_support::{engine_with, run};
use parking_lot::Mutex;
use serde_json::{json, Value};
use shoal_engine::maprun::{MapRunOptions, MapRunStatus};
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{Engine, ExecutionId, ExecutionStatus, HistoryEventType as T};
use shoal_storage::{EventLog, MemoryLog, SledLog, SledLogOptions};

const THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";

/// `item`: counts calls per item `v`. Item `flaky` fails on its first call
/// (or on every call when `always`, until `healed`); with `hang` set, item `flaky + 1`
/// (first called by the second run) never returns on its first call and
/// raises `hung`.
#[derive(Clone, Default)]
struct Items {
    calls: Arc<Mutex<BTreeMap<u64, usize>>>,
    hung: Arc<AtomicBool>,
    /// Set: `always` no longer fails.
    healed: Arc<AtomicBool>,
}

impl Items {
    fn handlers(&self, flaky: u64, always: bool, hang: bool) -> HandlerRegistry {
        let items = self.clone();
        let mut handlers = HandlerRegistry::new();
        handlers.register_async("item", move |input: Value, _| {
            let items = items.clone();
            async move {
                let v = input["v"].as_u64().unwrap_or(u64::MAX);
                let calls = {
                    let mut calls = items.calls.lock();
                    let count = calls.entry(v).or_default();
                    *count += 1;
                    *count
                };
                if hang && v == flaky + 1 && calls == 1 {
                    items.hung.store(true, Ordering::SeqCst);
                    std::future::pending::<()>().await;
                }
                let always = always && !items.healed.load(Ordering::SeqCst);
                if v == flaky && (always || calls == 1) {
                    return Err(TaskError::new("Item.Failed", format!("item {v}")));
                }
                Ok(json!(v))
            }
        });
        handlers
    }

    fn calls(&self) -> Vec<usize> {
        self.calls.lock().values().copied().collect()
    }
}

/// A DISTRIBUTED Map over `$.items`, one child at a time (so a run stops
/// right after its failing child), no failure tolerated, with `retry` and
/// `catch` as written; a Catch goes to the Pass state `Caught` (present
/// only with a Catch, as an unreachable state is invalid).
fn definition(retry: Value, catch: Value) -> Value {
    let with_catch = catch != json!([]);
    let mut definition = json!({
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "W",
                    "States": {"W": {"Type": "Task", "Resource": "item", "End": true}}
                },
                "Retry": retry,
                "Catch": catch,
                "End": true
            }
        }
    });
    if with_catch {
        definition["States"]["Caught"] = json!({"Type": "Pass", "End": true});
    }
    definition
}

fn five_items() -> Value {
    json!({"items": (0..5).map(|v| json!({"v": v})).collect::<Vec<_>>()})
}

/// Each run's status and error, in the order `list_map_runs` gives them.
fn runs(engine: &Engine, id: ExecutionId) -> Vec<(MapRunStatus, Option<String>)> {
    engine
        .list_map_runs(id)
        .unwrap()
        .iter()
        .map(|arn| {
            let run = engine.describe_map_run(arn).unwrap();
            (run.status, run.error)
        })
        .collect()
}

/// The ARNs of the parent's `MapRunStarted` events, in order.
fn started_arns(engine: &Engine, id: ExecutionId) -> Vec<String> {
    engine
        .get_execution_history(id, 0, usize::MAX)
        .unwrap()
        .into_iter()
        .filter(|event| event.kind == T::MapRunStarted)
        .map(|event| event.details.map_run_arn.unwrap())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_a_threshold_failure_starts_a_new_run_that_succeeds() {
    let items = Items::default();
    let log = MemoryLog::new();
    let engine = engine_with(&log, items.handlers(2, false, false), MapRunOptions::new()).await;
    let retry = json!([{"ErrorEquals": [THRESHOLD], "MaxAttempts": 2, "IntervalSeconds": 1}]);
    let id = run(&engine, &definition(retry, json!([])), five_items()).await;

    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.output, Some(json!([0, 1, 2, 3, 4])));
    let threshold = Some(THRESHOLD.to_string());
    assert_eq!(
        runs(&engine, id),
        [
            (MapRunStatus::Failed, threshold),
            (MapRunStatus::Succeeded, None)
        ]
    );
    // The first run stopped at its failing item 2; the second ran all five.
    assert_eq!(items.calls(), [2, 2, 2, 1, 1]);
    let arns = engine.list_map_runs(id).unwrap();
    assert_ne!(arns[0], arns[1]);
    assert_eq!(started_arns(&engine, id), arns);
    let kinds: Vec<T> = engine
        .get_execution_history(id, 0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            T::ExecutionStarted,
            T::MapStateEntered,
            T::MapStateStarted,
            T::MapRunStarted,
            T::MapRunFailed,
            T::MapStateFailed,
            T::MapStateStarted,
            T::MapRunStarted,
            T::MapRunSucceeded,
            T::MapStateSucceeded,
            T::MapStateExited,
            T::ExecutionSucceeded
        ]
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_exhausted_retry_goes_to_the_catch_with_the_last_runs_error() {
    let items = Items::default();
    let log = MemoryLog::new();
    let engine = engine_with(&log, items.handlers(2, true, false), MapRunOptions::new()).await;
    let retry = json!([{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "IntervalSeconds": 1}]);
    let catch = json!([{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}]);
    let id = run(&engine, &definition(retry, catch), five_items()).await;

    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    let output = done.output.unwrap();
    assert_eq!(output["error"]["Error"], json!(THRESHOLD));
    let failed = (MapRunStatus::Failed, Some(THRESHOLD.to_string()));
    assert_eq!(runs(&engine, id), vec![failed; 3], "a run and two retries");
    assert_eq!(items.calls(), [3, 3, 3]);
    let arns = engine.list_map_runs(id).unwrap();
    assert_eq!(started_arns(&engine, id), arns);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_exhausted_retry_without_catch_fails_the_execution_with_the_runs_error() {
    let items = Items::default();
    let log = MemoryLog::new();
    let engine = engine_with(&log, items.handlers(0, true, false), MapRunOptions::new()).await;
    let retry = json!([{"ErrorEquals": [THRESHOLD], "MaxAttempts": 1, "IntervalSeconds": 1}]);
    let id = run(&engine, &definition(retry, json!([])), five_items()).await;

    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some(THRESHOLD));
    assert_eq!(runs(&engine, id).len(), 2);
    assert_eq!(items.calls(), [2], "each run stopped at its first item");
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_retry_that_does_not_match_starts_no_second_run() {
    let items = Items::default();
    let log = MemoryLog::new();
    let engine = engine_with(&log, items.handlers(0, false, false), MapRunOptions::new()).await;
    let retry = json!([{"ErrorEquals": ["States.ItemReaderFailed"], "MaxAttempts": 3}]);
    let id = run(&engine, &definition(retry, json!([])), five_items()).await;

    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.error.as_deref(), Some(THRESHOLD));
    assert_eq!(runs(&engine, id).len(), 1);
    engine.shutdown().await;
}

/// A redrive reopens the latest run; a Retry after a redriven run that
/// failed again starts a run with a fresh attempt, not one already ended.
#[tokio::test(start_paused = true)]
async fn a_redrive_after_an_exhausted_retry_redrives_the_latest_run() {
    let items = Items::default();
    let log = MemoryLog::new();
    let engine = engine_with(&log, items.handlers(2, true, false), MapRunOptions::new()).await;
    let retry = json!([{"ErrorEquals": [THRESHOLD], "MaxAttempts": 1, "IntervalSeconds": 1}]);
    let id = run(&engine, &definition(retry, json!([])), five_items()).await;
    let failed = || engine.describe_execution(id).unwrap().status == ExecutionStatus::Failed;
    assert!(failed());
    assert_eq!(engine.list_map_runs(id).unwrap().len(), 2);

    // Still failing: the second run is redriven, fails, and the Retry
    // (its count reset by the redrive) starts a third run.
    engine.redrive_execution(id).await.unwrap();
    engine.wait_for_completion(id).await.unwrap();
    assert!(failed());
    let arns = engine.list_map_runs(id).unwrap();
    assert_eq!(started_arns(&engine, id), arns);
    let redrives: Vec<u32> = arns
        .iter()
        .map(|arn| engine.describe_map_run(arn).unwrap().redrive_count)
        .collect();
    assert_eq!(redrives, [0, 1, 0]);

    items.healed.store(true, Ordering::SeqCst);
    engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.output, Some(json!([0, 1, 2, 3, 4])));
    assert_eq!(engine.list_map_runs(id).unwrap(), arns, "no new run");
    let statuses: Vec<(MapRunStatus, u32)> = arns
        .iter()
        .map(|arn| {
            let run = engine.describe_map_run(arn).unwrap();
            (run.status, run.redrive_count)
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (MapRunStatus::Failed, 0),
            (MapRunStatus::Failed, 1),
            (MapRunStatus::Succeeded, 1)
        ]
    );
    // Runs 1 to 3 each stopped at item 2 (the first redrive re-ran only
    // item 2); the last redrive re-ran item 2 and dispatched 3 and 4.
    assert_eq!(items.calls(), [3, 3, 5, 1, 1]);
    engine.shutdown().await;
}

async fn sled_engine(dir: &Path, handlers: HandlerRegistry) -> Engine {
    let log: Arc<dyn EventLog> =
        Arc::new(SledLog::open(dir.join("log"), SledLogOptions::new()).expect("sled log opens"));
    Engine::builder(log)
        .handlers(handlers)
        .build()
        .await
        .expect("engine builds")
}

/// The engine stops while the retry's run is in flight; the reopened
/// engine replays the parent, which names the same second run (no third
/// run is created) and finishes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_during_the_retry_resumes_the_same_second_run() {
    let dir = tempfile::tempdir().unwrap();
    let items = Items::default();
    let first = sled_engine(dir.path(), items.handlers(2, false, true)).await;
    let retry = json!([{"ErrorEquals": [THRESHOLD], "MaxAttempts": 2, "IntervalSeconds": 1}]);
    first
        .register_state_machine("sm", &definition(retry, json!([])).to_string())
        .await
        .unwrap();
    let id = first
        .start_execution("sm", None, five_items())
        .await
        .unwrap();
    for _ in 0..1_000 {
        if items.hung.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        items.hung.load(Ordering::SeqCst),
        "the second run reached item 3: {:?} {:?} {:?}",
        items.calls(),
        runs(&first, id),
        first.describe_execution(id)
    );
    let before = first.list_map_runs(id).unwrap();
    assert_eq!(before.len(), 2);
    assert_eq!(started_arns(&first, id), before);
    first.shutdown().await;
    drop(first);

    let second = sled_engine(dir.path(), items.handlers(2, false, false)).await;
    let done = second.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.output, Some(json!([0, 1, 2, 3, 4])));
    assert_eq!(second.list_map_runs(id).unwrap(), before);
    assert_eq!(started_arns(&second, id), before);
    assert_eq!(
        runs(&second, id),
        [
            (MapRunStatus::Failed, Some(THRESHOLD.to_string())),
            (MapRunStatus::Succeeded, None)
        ]
    );
    // Items 0 to 2 ran once per run; item 3 ran again after the restart
    // (its call hung), item 4 once.
    assert_eq!(items.calls(), [2, 2, 2, 2, 1]);
    second.shutdown().await;
}
