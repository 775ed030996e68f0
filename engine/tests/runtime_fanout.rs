//! Parallel branches and inline Map iterations: nested scopes of one
//! execution, results in branch / item order.

#![allow(clippy::unwrap_used)]

mod runtime_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runtime_support::{assert_ids_well_formed, engine, history, kinds, run};
use serde_json::json;
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{ExecutionStatus, HistoryEventType};

/// `sleepy` sleeps `input.ms` then returns `input.v`; it records the
/// highest number of calls running at once.
fn sleepy(handlers: &mut HandlerRegistry) -> Arc<AtomicUsize> {
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (running_in, peak_in) = (Arc::clone(&running), Arc::clone(&peak));
    handlers.register_async("sleepy", move |input, _context| {
        let (running, peak) = (Arc::clone(&running_in), Arc::clone(&peak_in));
        async move {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let ms = input["ms"].as_u64().unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            running.fetch_sub(1, Ordering::SeqCst);
            if input["fail"].as_bool() == Some(true) {
                return Err(TaskError::new(
                    "Item.Failed",
                    format!("item {}", input["v"]),
                ));
            }
            Ok(input["v"].clone())
        }
    });
    peak
}

#[tokio::test(start_paused = true)]
async fn parallel_outputs_are_in_branch_order_whatever_finishes_first() {
    let mut handlers = HandlerRegistry::new();
    sleepy(&mut handlers);
    let (engine, _log, _clock) = engine(handlers).await;
    let branch = |ms: u64, v: &str| {
        json!({"StartAt": "S", "States": {"S": {"Type": "Task", "Resource": "sleepy",
            "Parameters": {"ms": ms, "v": v}, "End": true}}})
    };
    let definition = json!({
        "StartAt": "P",
        "States": {"P": {"Type": "Parallel", "End": true, "ResultPath": "$.results",
            "Branches": [branch(300, "slow"), branch(10, "fast"), branch(100, "mid")]}}
    });
    let id = run(&engine, &definition, json!({"keep": true})).await;
    let description = engine.describe_execution(id).unwrap();
    assert_eq!(
        description.output,
        Some(json!({"keep": true, "results": ["slow", "fast", "mid"]}))
    );
    let events = history(&engine, id);
    assert_ids_well_formed(&events);
    let names = kinds(&events);
    assert_eq!(
        names[..3],
        [
            "ExecutionStarted",
            "ParallelStateEntered",
            "ParallelStateStarted"
        ]
    );
    assert_eq!(
        names[names.len() - 3..],
        [
            "ParallelStateSucceeded",
            "ParallelStateExited",
            "ExecutionSucceeded"
        ]
    );
    // Each branch's first event follows ParallelStateStarted.
    let started = events[2].id;
    let firsts: Vec<_> = events
        .iter()
        .filter(|e| e.kind == HistoryEventType::TaskStateEntered)
        .collect();
    assert_eq!(firsts.len(), 3);
    assert!(firsts.iter().all(|e| e.previous_event_id == started));
    assert_eq!(
        firsts.iter().map(|e| e.scope.clone()).collect::<Vec<_>>(),
        [vec![0], vec![1], vec![2]]
    );
}

#[tokio::test(start_paused = true)]
async fn inline_map_keeps_item_order_and_honours_max_concurrency() {
    let mut handlers = HandlerRegistry::new();
    let peak = sleepy(&mut handlers);
    let (engine, _log, _clock) = engine(handlers).await;
    let definition = json!({
        "StartAt": "M",
        "States": {"M": {"Type": "Map", "End": true, "ItemsPath": "$.items", "MaxConcurrency": 2,
            "ItemSelector": {"ms.$": "$$.Map.Item.Value.ms", "v.$": "$$.Map.Item.Index"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "S",
                "States": {"S": {"Type": "Task", "Resource": "sleepy", "End": true}}}}}
    });
    let items: Vec<_> = [50, 10, 40, 5, 30]
        .iter()
        .map(|ms| json!({"ms": ms}))
        .collect();
    let id = run(&engine, &definition, json!({"items": items})).await;
    let description = engine.describe_execution(id).unwrap();
    assert_eq!(description.output, Some(json!([0, 1, 2, 3, 4])));
    assert_eq!(peak.load(Ordering::SeqCst), 2);
    let events = history(&engine, id);
    assert_ids_well_formed(&events);
    let count = |kind| events.iter().filter(|e| e.kind == kind).count();
    assert_eq!(count(HistoryEventType::MapIterationStarted), 5);
    assert_eq!(count(HistoryEventType::MapIterationSucceeded), 5);
    let started = events
        .iter()
        .find(|e| e.kind == HistoryEventType::MapStateStarted)
        .unwrap();
    assert_eq!(started.details.length, Some(5));
}

#[tokio::test(start_paused = true)]
async fn an_empty_map_succeeds_with_an_empty_array() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    let definition = json!({
        "StartAt": "M",
        "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "S", "States": {"S": {"Type": "Pass", "End": true}}}}}
    });
    let id = run(&engine, &definition, json!([])).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().output,
        Some(json!([]))
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_iteration_fails_the_map_and_its_catch_takes_over() {
    let mut handlers = HandlerRegistry::new();
    sleepy(&mut handlers);
    let (engine, _log, _clock) = engine(handlers).await;
    let definition = json!({
        "StartAt": "M",
        "States": {
            "M": {"Type": "Map", "Next": "Unreached",
                "Catch": [{"ErrorEquals": ["Item.Failed"], "Next": "Caught"}],
                "ItemProcessor": {"StartAt": "S",
                    "States": {"S": {"Type": "Task", "Resource": "sleepy", "End": true}}}},
            "Unreached": {"Type": "Fail"},
            "Caught": {"Type": "Pass", "End": true}
        }
    });
    let items =
        json!([{"ms": 1000, "v": 0}, {"ms": 10, "v": 1, "fail": true}, {"ms": 5000, "v": 2}]);
    let id = run(&engine, &definition, items).await;
    let description = engine.describe_execution(id).unwrap();
    assert_eq!(description.status, ExecutionStatus::Succeeded);
    assert_eq!(
        description.output,
        Some(json!({"Error": "Item.Failed", "Cause": "item 1"}))
    );
    let events = history(&engine, id);
    let names = kinds(&events);
    assert!(names.contains(&"MapIterationFailed"));
    assert!(names.contains(&"MapStateFailed"));
    // Siblings were cancelled: no iteration succeeded after the failure.
    let failed_at = names.iter().position(|n| *n == "MapStateFailed").unwrap();
    assert!(!names[failed_at..].contains(&"MapIterationSucceeded"));
}

#[tokio::test(start_paused = true)]
async fn nested_parallel_inside_map_runs_each_scope_separately() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    let definition = json!({
        "StartAt": "M",
        "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"a.$": "$"}, "End": true}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 5, "End": true}}}
                ]}}}}}
    });
    let id = run(&engine, &definition, json!([1, 2])).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().output,
        Some(json!([[{"a": 1}, 1], [{"a": 2}, 2]]))
    );
    assert_ids_well_formed(&history(&engine, id));
}
