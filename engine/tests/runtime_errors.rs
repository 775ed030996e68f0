//! Retry back-off and Catch routing, end to end on paused time.

#![allow(clippy::unwrap_used)]

mod runtime_support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use runtime_support::{assert_ids_well_formed, engine, history, kinds, run, T0_MS};
use serde_json::json;
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{ExecutionStatus, HistoryEventType};

/// A handler that fails with `error` `failures` times, then returns its input.
fn flaky(
    handlers: &mut HandlerRegistry,
    name: &str,
    error: &'static str,
    failures: u32,
) -> Arc<AtomicU32> {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&calls);
    handlers.register_async(name, move |input, _context| {
        let call = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            if call < failures {
                Err(TaskError::new(error, format!("failure {call}")))
            } else {
                Ok(input)
            }
        }
    });
    calls
}

#[tokio::test(start_paused = true)]
async fn retry_waits_interval_times_backoff_rate_on_the_clock() {
    let mut handlers = HandlerRegistry::new();
    let calls = flaky(&mut handlers, "flaky", "Transient", 2);
    let (engine, _log, _clock) = engine(handlers).await;
    let definition = json!({
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "flaky", "End": true,
            "Retry": [{"ErrorEquals": ["Other"], "MaxAttempts": 5},
                      {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "BackoffRate": 3.0, "MaxAttempts": 3}]}}
    });
    let id = run(&engine, &definition, json!({"v": 1})).await;
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let description = engine.describe_execution(id).unwrap();
    assert_eq!(description.status, ExecutionStatus::Succeeded);
    assert_eq!(description.output, Some(json!({"v": 1})));
    let events = history(&engine, id);
    assert_ids_well_formed(&events);
    let scheduled: Vec<i64> = events
        .iter()
        .filter(|e| e.kind == HistoryEventType::TaskScheduled)
        .map(|e| e.timestamp_ms - T0_MS)
        .collect();
    // Attempt 0 at once, retry 1 after 2 s, retry 2 after 2 * 3 = 6 s more.
    assert_eq!(scheduled, [0, 2_000, 8_000]);
    let attempts: Vec<Option<u32>> = events
        .iter()
        .filter(|e| e.kind == HistoryEventType::TaskScheduled)
        .map(|e| e.details.attempt)
        .collect();
    assert_eq!(attempts, [Some(0), Some(1), Some(2)]);
}

#[tokio::test(start_paused = true)]
async fn max_delay_caps_the_back_off_and_exhausted_retries_fail() {
    let mut handlers = HandlerRegistry::new();
    let calls = flaky(&mut handlers, "flaky", "Transient", 10);
    let (engine, _log, _clock) = engine(handlers).await;
    let definition = json!({
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "flaky", "End": true,
            "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 10, "BackoffRate": 10.0,
                       "MaxDelaySeconds": 30, "MaxAttempts": 2}]}}
    });
    let id = run(&engine, &definition, json!({})).await;
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let description = engine.describe_execution(id).unwrap();
    assert_eq!(description.status, ExecutionStatus::Failed);
    assert_eq!(description.error.as_deref(), Some("Transient"));
    let scheduled: Vec<i64> = history(&engine, id)
        .iter()
        .filter(|e| e.kind == HistoryEventType::TaskScheduled)
        .map(|e| e.timestamp_ms - T0_MS)
        .collect();
    assert_eq!(scheduled, [0, 10_000, 40_000]);
}

#[tokio::test(start_paused = true)]
async fn catch_routes_to_its_next_with_the_error_at_result_path() {
    let mut handlers = HandlerRegistry::new();
    flaky(&mut handlers, "broken", "Broken.Error", u32::MAX);
    let (engine, _log, _clock) = engine(handlers).await;
    let definition = json!({
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": "broken", "Next": "Unreached",
                  "Catch": [{"ErrorEquals": ["Other"], "Next": "Unreached"},
                            {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.failure", "Next": "Handled"}]},
            "Unreached": {"Type": "Fail", "Error": "Wrong"},
            "Handled": {"Type": "Pass", "End": true}
        }
    });
    let id = run(&engine, &definition, json!({"keep": 1})).await;
    let description = engine.describe_execution(id).unwrap();
    assert_eq!(description.status, ExecutionStatus::Succeeded);
    assert_eq!(
        description.output,
        Some(json!({"keep": 1, "failure": {"Error": "Broken.Error", "Cause": "failure 0"}}))
    );
    let events = history(&engine, id);
    assert_eq!(
        kinds(&events),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn timeout_is_retried_only_by_a_matching_retrier_and_caught_by_states_timeout() {
    let mut handlers = HandlerRegistry::new();
    handlers.register_async("slow", |_input, _context| async move {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        Ok(json!("late"))
    });
    let (engine, _log, _clock) = engine(handlers).await;
    let definition = json!({
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": "slow", "TimeoutSeconds": 5, "Next": "Unreached",
                  "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 3}],
                  "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "TimedOut"}]},
            "Unreached": {"Type": "Fail"},
            "TimedOut": {"Type": "Succeed"}
        }
    });
    let id = run(&engine, &definition, json!({"a": 1})).await;
    let description = engine.describe_execution(id).unwrap();
    assert_eq!(description.status, ExecutionStatus::Succeeded);
    assert_eq!(
        description.output,
        Some(
            json!({"Error": "States.Timeout", "Cause": "the task did not finish within its TimeoutSeconds"})
        )
    );
    let events = history(&engine, id);
    let timed_out = events
        .iter()
        .filter(|e| e.kind == HistoryEventType::TaskTimedOut)
        .count();
    assert_eq!(timed_out, 1, "States.TaskFailed does not retry a timeout");
}

#[tokio::test(start_paused = true)]
async fn full_jitter_never_waits_longer_than_the_computed_delay() {
    let mut handlers = HandlerRegistry::new();
    flaky(&mut handlers, "flaky", "Transient", 3);
    let (engine, _log, _clock) = engine(handlers).await;
    let definition = json!({
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "flaky", "End": true,
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 4, "BackoffRate": 2.0,
                       "JitterStrategy": "FULL", "MaxAttempts": 3}]}}
    });
    let id = run(&engine, &definition, json!({})).await;
    let times: Vec<i64> = history(&engine, id)
        .iter()
        .filter(|e| e.kind == HistoryEventType::TaskScheduled)
        .map(|e| e.timestamp_ms)
        .collect();
    let gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps.len(), 3);
    for (gap, cap) in gaps.iter().zip([4_000, 8_000, 16_000]) {
        assert!((0..=cap).contains(gap), "gap {gap} within [0, {cap}]");
    }
}
