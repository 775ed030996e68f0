//! Tolerated failure: ToleratedFailureCount and ToleratedFailurePercentage
//! at, just under and just over their thresholds; the map run fails with
//! `States.ExceedToleratedFailureThreshold` only above them.

#![allow(clippy::unwrap_used)]

mod maprun_support;

use maprun_support::{engine_with, handlers, map_definition, run};
use serde_json::{json, Value};
use shoal_engine::maprun::{MapRunOptions, MapRunStatus};
use shoal_engine::{Engine, ExecutionId, ExecutionStatus};
use shoal_storage::MemoryLog;

/// Ten items, the first `failing` of which fail at once; the others take a
/// second, so a run that exceeds its threshold stops them.
fn ten_items(failing: usize) -> Value {
    Value::Array(
        (0..10)
            .map(
                |i| json!({"v": i, "fail": i < failing, "ms": if i < failing { 0 } else { 1_000 }}),
            )
            .collect(),
    )
}

async fn outcome(tolerance: Value, failing: usize) -> (Engine, ExecutionId) {
    let (handlers, _gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let id = run(&engine, &map_definition(tolerance), ten_items(failing)).await;
    (engine, id)
}

async fn succeeds(tolerance: Value, failing: usize) -> bool {
    let (engine, id) = outcome(tolerance, failing).await;
    let done = engine.describe_execution(id).unwrap();
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    let run = engine.describe_map_run(&arn).unwrap();
    let counts = run.execution_counts;
    assert_eq!(
        counts.succeeded + counts.failed + counts.aborted + counts.timed_out,
        counts.total,
        "every child ended: {run:?}"
    );
    assert_eq!(counts.total, 10);
    engine.shutdown().await;
    match done.status {
        ExecutionStatus::Succeeded => {
            assert_eq!(run.status, MapRunStatus::Succeeded);
            assert_eq!(counts.failed, failing as u64);
            true
        }
        ExecutionStatus::Failed => {
            assert_eq!(run.status, MapRunStatus::Failed);
            assert_eq!(
                done.error.as_deref(),
                Some("States.ExceedToleratedFailureThreshold")
            );
            assert_eq!(
                run.error.as_deref(),
                Some("States.ExceedToleratedFailureThreshold")
            );
            false
        }
        other => panic!("unexpected status {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn tolerated_failure_count_at_under_and_over() {
    let count = json!({"ToleratedFailureCount": 3});
    assert!(succeeds(count.clone(), 2).await, "under");
    assert!(succeeds(count.clone(), 3).await, "at");
    assert!(!succeeds(count, 4).await, "over");
}

#[tokio::test(start_paused = true)]
async fn tolerated_failure_percentage_at_under_and_over() {
    let percentage = json!({"ToleratedFailurePercentage": 30});
    assert!(succeeds(percentage.clone(), 2).await, "under");
    assert!(succeeds(percentage.clone(), 3).await, "at");
    assert!(!succeeds(percentage, 4).await, "over");
}

#[tokio::test(start_paused = true)]
async fn thresholds_from_paths_and_no_tolerance_by_default() {
    assert!(
        !succeeds(json!({}), 1).await,
        "no tolerance: one failure fails"
    );
    assert!(succeeds(json!({}), 0).await);
    let (handlers, _gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let definition = map_definition(json!({
        "ItemsPath": "$.items",
        "ToleratedFailureCountPath": "$.count",
        "ResultPath": "$.out"
    }));
    let id = run(
        &engine,
        &definition,
        json!({"count": 4, "items": ten_items(4)}),
    )
    .await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    let out = &done.output.unwrap()["out"];
    assert_eq!(out[0], json!({"Error": "Item.Failed", "Cause": "item 0"}));
    assert_eq!(out[9], json!(9));
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_map_run_is_caught_like_any_state_error() {
    let (handlers, _gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let mut definition = map_definition(json!({
        "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Caught"}]
    }));
    definition["States"]["M"]
        .as_object_mut()
        .unwrap()
        .remove("End");
    definition["States"]["M"]["Next"] = json!("Never");
    definition["States"]["Never"] = json!({"Type": "Fail", "Error": "Never"});
    definition["States"]["Caught"] = json!({"Type": "Pass", "Result": "caught", "End": true});
    let id = run(&engine, &definition, ten_items(1)).await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.output, Some(json!("caught")));
    let kinds: Vec<&str> = engine
        .get_execution_history(id, 0, usize::MAX)
        .unwrap()
        .iter()
        .map(|e| e.kind.name())
        .collect();
    assert!(
        kinds.contains(&"MapRunFailed") && kinds.contains(&"MapStateFailed"),
        "{kinds:?}"
    );
    engine.shutdown().await;
}
