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

/// A STANDARD child that ended more than 14 days before the redrive is not
/// redriven (Step Functions: its outcome is permanent), even though its
/// parent, which ended later, is redrivable.
#[tokio::test(start_paused = true)]
async fn a_child_that_ended_over_14_days_before_the_redrive_stays_failed() {
    let calls: Arc<parking_lot::Mutex<Vec<u64>>> = Arc::default();
    let healed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut handlers = HandlerRegistry::new();
    let (seen, ok) = (Arc::clone(&calls), Arc::clone(&healed));
    handlers.register_async("item", move |input: Value, _| {
        let v = input["v"].as_u64().unwrap();
        let first_call = !seen.lock().contains(&v);
        seen.lock().push(v);
        let healed = ok.load(Ordering::SeqCst);
        async move {
            if v == 1 && first_call {
                // Fails 20 days after item 0 did.
                tokio::time::sleep(std::time::Duration::from_secs(20 * 86_400)).await;
            }
            if healed {
                Ok(json!(v))
            } else {
                Err(TaskError::new("Item.Failed", format!("item {v}")))
            }
        }
    });
    let engine = engine_with(&MemoryLog::new(), handlers, MapRunOptions::new()).await;
    let mut definition = map_definition(json!({"ToleratedFailureCount": 1}));
    definition["States"]["M"]["ItemProcessor"]["States"]["W"]["Resource"] = json!("item");
    let id = run(&engine, &definition, json!([{"v": 0}, {"v": 1}])).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().status,
        ExecutionStatus::Failed
    );

    healed.store(true, Ordering::SeqCst);
    engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(
        done.status,
        ExecutionStatus::Succeeded,
        "item 0's failure is tolerated: {done:?}"
    );
    let mut calls = calls.lock().clone();
    calls.sort_unstable();
    assert_eq!(calls, [0, 1, 1], "item 0 not redriven, item 1 redriven");
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    let counts = engine.describe_map_run(&arn).unwrap().execution_counts;
    assert_eq!((counts.succeeded, counts.failed), (1, 1), "{counts:?}");
    engine.shutdown().await;
}
