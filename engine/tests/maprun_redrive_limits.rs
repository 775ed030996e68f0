//! Step Functions' hard limit of 1000 redrives of one Map Run
//! (`MAP_RUN_REDRIVES_MAX`, `MapRunOptions::with_redrives_max`): a run
//! whose only child keeps failing is redriven through its parent up to the
//! limit; the next redrive of the parent fails the Map state with
//! `States.Runtime`, leaves the run FAILED with its count at the limit,
//! and runs no child. CI runs it with a limit of 5; the default limit of
//! 1000 takes about a minute (`cargo test -- --ignored`).

#![allow(clippy::unwrap_used)]

mod maprun_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use maprun_support::{engine_with, map_definition, run};
use serde_json::{json, Value};
use shoal_engine::maprun::{MapRunOptions, MapRunStatus, MAP_RUN_REDRIVES_MAX};
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::ExecutionStatus;
use shoal_storage::MemoryLog;

#[tokio::test(start_paused = true)]
async fn the_redrive_past_the_limit_fails_with_states_runtime() {
    redrives_up_to(5).await;
}

#[tokio::test(start_paused = true)]
#[ignore = "1000 redrives take about a minute in a debug build"]
async fn the_1001st_redrive_of_a_map_run_fails_with_states_runtime() {
    redrives_up_to(MAP_RUN_REDRIVES_MAX).await;
}

async fn redrives_up_to(limit: u32) {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut handlers = HandlerRegistry::new();
    let counted = Arc::clone(&calls);
    handlers.register_async("broken", move |_input: Value, _| {
        counted.fetch_add(1, Ordering::SeqCst);
        async move { Err::<Value, _>(TaskError::new("Item.Failed", "always")) }
    });
    let options = if limit == MAP_RUN_REDRIVES_MAX {
        MapRunOptions::new() // the default
    } else {
        MapRunOptions::new().with_redrives_max(limit)
    };
    let engine = engine_with(&MemoryLog::new(), handlers, options).await;
    let mut definition = map_definition(json!({}));
    definition["States"]["M"]["ItemProcessor"]["States"]["W"]["Resource"] = json!("broken");
    let id = run(&engine, &definition, json!([{"v": 0}])).await;
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    for redrive in 1..=limit {
        engine.redrive_execution(id).await.unwrap();
        let done = engine.wait_for_completion(id).await.unwrap();
        assert_eq!(done.status, ExecutionStatus::Failed);
        assert_eq!(
            done.error.as_deref(),
            Some("States.ExceedToleratedFailureThreshold"),
            "redrive {redrive}"
        );
    }
    let run_before = engine.describe_map_run(&arn).unwrap();
    assert_eq!(run_before.redrive_count, limit);
    assert_eq!(calls.load(Ordering::SeqCst), 1 + limit as usize);

    engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("States.Runtime"), "{done:?}");
    assert!(
        done.cause
            .as_deref()
            .unwrap_or("")
            .contains(&format!("redriven {limit} times")),
        "{done:?}"
    );
    let run_after = engine.describe_map_run(&arn).unwrap();
    assert_eq!(run_after.status, MapRunStatus::Failed);
    assert_eq!(run_after.redrive_count, limit);
    assert_eq!(engine.list_map_runs(id).unwrap().len(), 1, "no new run");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1 + limit as usize,
        "no child ran"
    );
    assert_eq!(done.redrive_count, limit + 1);
    engine.shutdown().await;
}
