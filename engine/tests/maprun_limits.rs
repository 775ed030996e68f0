//! Map run edges: results over the payload limit fail with
//! `States.DataLimitExceeded` (not an out-of-memory), stopping the parent
//! aborts the map run and its children, children are described like any
//! execution, and the global in-flight bound holds across two map runs.

#![allow(clippy::unwrap_used)]

mod maprun_support;

use std::sync::Arc;
use std::time::Duration;

use maprun_support::{engine_with, handlers, items, map_definition, run};
use serde_json::{json, Value};
use shoal_engine::maprun::{MapRunOptions, MapRunStatus};
use shoal_engine::runtime::TokioClock;
use shoal_engine::{Engine, ExecutionStatus};
use shoal_storage::{EventLog, MemoryLog};

#[tokio::test]
async fn a_payload_limit_the_log_cannot_record_is_refused_at_build() {
    let log: Arc<dyn EventLog> = Arc::new(MemoryLog::new());
    let over = shoal_engine::api::PAYLOAD_LIMIT_BYTES_MAX + 1;
    let refused = Engine::builder(log.clone())
        .payload_limit_bytes(over)
        .build()
        .await;
    assert!(matches!(
        refused,
        Err(shoal_engine::EngineError::InvalidArgument {
            what: "payload limit",
            ..
        })
    ));
    let at_the_bound = Engine::builder(log)
        .payload_limit_bytes(shoal_engine::api::PAYLOAD_LIMIT_BYTES_MAX)
        .build()
        .await;
    assert!(at_the_bound.is_ok());
}

#[tokio::test(start_paused = true)]
async fn results_over_the_payload_limit_fail_with_data_limit_exceeded() {
    let (handlers, _gauge) = handlers();
    let log: Arc<dyn EventLog> = Arc::new(MemoryLog::new());
    let engine = Engine::builder(log)
        .handlers(handlers)
        .clock(TokioClock::starting_at(1_700_000_000_000))
        .payload_limit_bytes(2_000)
        .build()
        .await
        .unwrap();
    // 100 outputs of 30 bytes: 3,000 bytes of results, over 2,000 (the
    // start input itself must stay under the limit, or the start is refused).
    let input: Vec<Value> = (0..100).map(|i| json!(i)).collect();
    let selector = json!({"ItemSelector": {"v": "0".repeat(28)}});
    let id = run(&engine, &map_definition(selector), Value::Array(input)).await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(
        done.error.as_deref(),
        Some("States.DataLimitExceeded"),
        "{done:?}"
    );
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    let run = engine.describe_map_run(&arn).unwrap();
    assert_eq!(run.status, MapRunStatus::Failed);
    assert_eq!(run.execution_counts.succeeded, 100);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn stopping_the_parent_aborts_the_map_run_and_its_children() {
    let (handlers, gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let definition = map_definition(json!({"MaxConcurrency": 10}));
    engine
        .register_state_machine("sm", &definition.to_string())
        .await
        .unwrap();
    let id = engine
        .start_execution("sm", None, items(100, 60_000))
        .await
        .unwrap();
    while gauge.now.load(std::sync::atomic::Ordering::SeqCst) < 10 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    engine.stop_execution(id, "Stop", "test").await.unwrap();
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    let mut run = engine.describe_map_run(&arn).unwrap();
    while run.status == MapRunStatus::Running {
        tokio::time::sleep(Duration::from_millis(10)).await;
        run = engine.describe_map_run(&arn).unwrap();
    }
    assert_eq!(run.status, MapRunStatus::Aborted);
    assert_eq!(run.execution_counts.aborted, 10, "{run:?}");
    assert_eq!(
        run.execution_counts.total, 10,
        "no child dispatched after the stop"
    );
    let children = engine.list_map_run_executions(&arn).unwrap();
    let child = engine.describe_execution(children[0].0).unwrap();
    assert_eq!(child.status, ExecutionStatus::Aborted);
    assert_eq!(child.state_machine, "sm/M");
    assert_eq!(
        engine.describe_execution(id).unwrap().status,
        ExecutionStatus::Aborted
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_global_bound_holds_across_map_runs() {
    let (handlers, gauge) = handlers();
    let log = MemoryLog::new();
    let options = MapRunOptions::new().with_global_in_flight(25);
    let engine = engine_with(&log, handlers, options).await;
    let definition = map_definition(json!({"MaxConcurrency": 20}));
    engine
        .register_state_machine("sm", &definition.to_string())
        .await
        .unwrap();
    let a = engine
        .start_execution("sm", None, items(60, 1_000))
        .await
        .unwrap();
    let b = engine
        .start_execution("sm", None, items(60, 1_000))
        .await
        .unwrap();
    for id in [a, b] {
        let done = engine.wait_for_completion(id).await.unwrap();
        assert_eq!(done.status, ExecutionStatus::Succeeded);
        assert_eq!(done.output.unwrap().as_array().unwrap().len(), 60);
    }
    assert_eq!(gauge.peak(), 25);
    assert_eq!(engine.map_run_metrics().peak_in_flight, 25);
    assert_eq!(engine.map_run_metrics().in_flight, 0);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn map_runs_sharing_the_global_bound_take_turns() {
    let (handlers, gauge) = handlers();
    let log = MemoryLog::new();
    let options = MapRunOptions::new().with_global_in_flight(10);
    let engine = engine_with(&log, handlers, options).await;
    let definition = map_definition(json!({"MaxConcurrency": 10}));
    engine
        .register_state_machine("sm", &definition.to_string())
        .await
        .unwrap();
    // Alone, each run needs 4 rounds of 1 s; served one after the other the
    // second would end 4 s after the first. Taking turns, they end together.
    let a = engine
        .start_execution("sm", None, items(40, 1_000))
        .await
        .unwrap();
    let b = engine
        .start_execution("sm", None, items(40, 1_000))
        .await
        .unwrap();
    let a = engine.wait_for_completion(a).await.unwrap();
    let b = engine.wait_for_completion(b).await.unwrap();
    assert_eq!(
        (a.status, b.status),
        (ExecutionStatus::Succeeded, ExecutionStatus::Succeeded)
    );
    let (end_a, end_b) = (a.stopped_ms.unwrap(), b.stopped_ms.unwrap());
    assert!(
        (end_a - end_b).abs() <= 1_500,
        "runs ended {end_a} and {end_b}: one was served before the other"
    );
    assert_eq!(gauge.peak(), 10);
    engine.shutdown().await;
}
