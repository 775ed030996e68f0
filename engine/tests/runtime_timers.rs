//! Durable timers: Wait states on paused time, and across a restart.

#![allow(clippy::unwrap_used)]

mod runtime_support;

use std::sync::Arc;
use std::time::Duration;

use runtime_support::{engine, engine_on, history, kinds, run, T0_MS};
use serde_json::json;
use shoal_engine::runtime::{Clock, TokioClock};
use shoal_engine::task::HandlerRegistry;
use shoal_engine::{ExecutionStatus, HistoryEventType};
use shoal_storage::MemoryLog;

fn one_hour_wait() -> serde_json::Value {
    json!({
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
            "Done": {"Type": "Pass", "End": true}
        }
    })
}

#[tokio::test(start_paused = true)]
async fn a_one_hour_wait_completes_on_paused_time() {
    let (engine, _log, clock) = engine(HandlerRegistry::new()).await;
    let id = run(&engine, &one_hour_wait(), json!({"x": 1})).await;
    let description = engine.describe_execution(id).unwrap();
    assert_eq!(description.status, ExecutionStatus::Succeeded);
    assert_eq!(description.output, Some(json!({"x": 1})));
    assert!(clock.now_ms() >= T0_MS + 3_600_000);
    let events = history(&engine, id);
    let exited = events
        .iter()
        .find(|e| e.kind == HistoryEventType::WaitStateExited)
        .unwrap();
    assert_eq!(exited.timestamp_ms, T0_MS + 3_600_000);
}

#[tokio::test(start_paused = true)]
async fn wait_until_timestamp_and_seconds_path() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    let definition = json!({
        "StartAt": "Until",
        "States": {
            "Until": {"Type": "Wait", "Timestamp": "2024-01-01T00:10:00Z", "Next": "For"},
            "For": {"Type": "Wait", "SecondsPath": "$.s", "End": true}
        }
    });
    let id = run(&engine, &definition, json!({"s": 30})).await;
    let events = history(&engine, id);
    let exits: Vec<i64> = events
        .iter()
        .filter(|e| e.kind == HistoryEventType::WaitStateExited)
        .map(|e| e.timestamp_ms - T0_MS)
        .collect();
    assert_eq!(exits, [600_000, 630_000]);
}

#[tokio::test(start_paused = true)]
async fn a_wait_survives_a_restart_and_fires_once() {
    let log = MemoryLog::new();
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(T0_MS));
    let first = engine_on(&log, HandlerRegistry::new(), Arc::clone(&clock)).await;
    first
        .register_state_machine("sm", &one_hour_wait().to_string())
        .await
        .unwrap();
    let id = first
        .start_execution("sm", Some("restart-me"), json!({"k": "v"}))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1800)).await;
    assert_eq!(
        first.describe_execution(id).unwrap().status,
        ExecutionStatus::Running
    );
    first.shutdown().await;
    drop(first);

    // Down for two hours: the timer came due while nothing ran.
    tokio::time::sleep(Duration::from_secs(7200)).await;
    let second = engine_on(&log, HandlerRegistry::new(), Arc::clone(&clock)).await;
    assert_eq!(second.recovered(), 1);
    let description = second.wait_for_completion(id).await.unwrap();
    assert_eq!(description.status, ExecutionStatus::Succeeded);
    assert_eq!(description.output, Some(json!({"k": "v"})));
    let events = history(&second, id);
    assert_eq!(
        kinds(&events),
        [
            "ExecutionStarted",
            "WaitStateEntered",
            "WaitStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    // It fired once, at reopen (9000 s after the start), not at 3600 s.
    assert_eq!(events[2].timestamp_ms, T0_MS + 9_000_000);

    // A third engine finds nothing to recover.
    let third = engine_on(&log, HandlerRegistry::new(), clock).await;
    assert_eq!(third.recovered(), 0);
    assert_eq!(history(&third, id).len(), events.len());
}

#[tokio::test(start_paused = true)]
async fn a_wait_restarted_before_it_is_due_fires_at_its_original_time() {
    let log = MemoryLog::new();
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(T0_MS));
    let first = engine_on(&log, HandlerRegistry::new(), Arc::clone(&clock)).await;
    first
        .register_state_machine("sm", &one_hour_wait().to_string())
        .await
        .unwrap();
    let id = first.start_execution("sm", None, json!({})).await.unwrap();
    tokio::time::sleep(Duration::from_secs(600)).await;
    first.shutdown().await;
    drop(first);
    let second = engine_on(&log, HandlerRegistry::new(), Arc::clone(&clock)).await;
    second.wait_for_completion(id).await.unwrap();
    let exited = history(&second, id)
        .into_iter()
        .find(|e| e.kind == HistoryEventType::WaitStateExited)
        .unwrap();
    assert_eq!(exited.timestamp_ms, T0_MS + 3_600_000);
}
