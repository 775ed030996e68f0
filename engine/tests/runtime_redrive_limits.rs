//! Step Functions' redrive eligibility by time (engine/src/api/redrivable.rs),
//! on the engine's injected clock (tokio's paused time, so 14 days pass at
//! once): an execution can be redriven until 14 days after its latest
//! stop, and not once a year has passed since it started. A refusal names
//! its reason, records nothing, and `describe_execution` says the same.

#![allow(clippy::unwrap_used)]

mod runtime_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runtime_support::{engine, history, run};
use serde_json::{json, Value};
use shoal_engine::api::{EXECUTION_TIME_MAX_MS, REDRIVABLE_PERIOD_MS};
use shoal_engine::runtime::Clock;
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{EngineError, ExecutionStatus, NotRedrivableReason, RedriveStatus};

/// `flaky` fails until `healed`.
fn flaky() -> (HandlerRegistry, Arc<AtomicBool>) {
    let healed = Arc::new(AtomicBool::new(false));
    let mut handlers = HandlerRegistry::new();
    let inner = Arc::clone(&healed);
    handlers.register_async("flaky", move |input: Value, _| {
        let ok = inner.load(Ordering::SeqCst);
        async move {
            if ok {
                Ok(input)
            } else {
                Err(TaskError::new("Broken", "not yet"))
            }
        }
    });
    (handlers, healed)
}

fn flaky_task() -> Value {
    json!({"StartAt": "F", "States": {"F": {"Type": "Task", "Resource": "flaky", "End": true}}})
}

/// Sleeps (paused time) until `clock` reads `at_ms`.
async fn sleep_until(clock: &Arc<dyn Clock>, at_ms: i64) {
    let now = clock.now_ms();
    assert!(at_ms >= now, "{at_ms} is in the past ({now})");
    tokio::time::sleep(Duration::from_millis((at_ms - now) as u64)).await;
    assert_eq!(clock.now_ms(), at_ms);
}

#[tokio::test(start_paused = true)]
async fn the_redrivable_period_ends_14_days_after_the_latest_stop() {
    let (handlers, _healed) = flaky();
    let (engine, _log, clock) = engine(handlers).await;
    let id = run(&engine, &flaky_task(), json!({})).await;
    let first_stop = engine.describe_execution(id).unwrap().stopped_ms.unwrap();

    // Day 13: redriven, and it fails again: the period restarts.
    sleep_until(&clock, first_stop + 13 * 86_400_000).await;
    engine.redrive_execution(id).await.unwrap();
    let again = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(again.status, ExecutionStatus::Failed);
    let stop = again.stopped_ms.unwrap();
    assert!(stop >= first_stop + 13 * 86_400_000);

    // Exactly 14 days after the latest stop: still redrivable.
    sleep_until(&clock, stop + REDRIVABLE_PERIOD_MS).await;
    let described = engine.describe_execution(id).unwrap();
    assert_eq!(described.redrive_status, RedriveStatus::Redrivable);
    assert_eq!(described.redrive_status_reason, None);

    // One millisecond later: refused, with the reason, nothing recorded.
    tokio::time::sleep(Duration::from_millis(1)).await;
    let events = history(&engine, id).len();
    let refused = engine.redrive_execution(id).await.unwrap_err();
    assert!(
        matches!(
            refused,
            EngineError::ExecutionNotRedrivable {
                reason: NotRedrivableReason::RedrivablePeriodExceeded,
                ..
            }
        ),
        "{refused}"
    );
    assert!(
        refused
            .to_string()
            .ends_with("Execution redrivable period exceeded"),
        "{refused}"
    );
    assert_eq!(history(&engine, id).len(), events, "nothing recorded");
    let described = engine.describe_execution(id).unwrap();
    assert_eq!(described.status, ExecutionStatus::Failed);
    assert_eq!(described.redrive_status, RedriveStatus::NotRedrivable);
    assert_eq!(
        described.redrive_status_reason,
        Some(NotRedrivableReason::RedrivablePeriodExceeded)
    );
    assert_eq!(described.redrive_count, 1);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_execution_started_more_than_a_year_ago_is_not_redrivable() {
    let (handlers, healed) = flaky();
    let (engine, _log, clock) = engine(handlers).await;
    // Waits 365 days, then fails: redrivable for 0 ms more of its year.
    let year_wait = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": EXECUTION_TIME_MAX_MS / 1000, "Next": "F"},
        "F": {"Type": "Task", "Resource": "flaky", "End": true}}});
    let id = run(&engine, &year_wait, json!({})).await;
    let failed = engine.describe_execution(id).unwrap();
    assert_eq!(failed.status, ExecutionStatus::Failed);
    assert!(clock.now_ms() > failed.started_ms + EXECUTION_TIME_MAX_MS - 1000);
    sleep_until(&clock, failed.started_ms + EXECUTION_TIME_MAX_MS + 1).await;
    healed.store(true, Ordering::SeqCst);
    let refused = engine.redrive_execution(id).await.unwrap_err();
    assert!(
        matches!(
            refused,
            EngineError::ExecutionNotRedrivable {
                reason: NotRedrivableReason::MaxExecutionTimeExceeded,
                ..
            }
        ),
        "{refused}"
    );
    assert_eq!(
        engine.describe_execution(id).unwrap().redrive_status_reason,
        Some(NotRedrivableReason::MaxExecutionTimeExceeded)
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_succeeded_execution_is_refused_in_step_functions_words() {
    let (handlers, healed) = flaky();
    let (engine, _log, _clock) = engine(handlers).await;
    healed.store(true, Ordering::SeqCst);
    let id = run(&engine, &flaky_task(), json!({})).await;
    let described = engine.describe_execution(id).unwrap();
    assert_eq!(described.status, ExecutionStatus::Succeeded);
    assert_eq!(
        described.redrive_status_reason,
        Some(NotRedrivableReason::Succeeded)
    );
    let refused = engine.redrive_execution(id).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .ends_with("Execution is SUCCEEDED and cannot be redriven"),
        "{refused}"
    );
    engine.shutdown().await;
}
