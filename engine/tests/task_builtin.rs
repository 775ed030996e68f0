//! The built-in resources: shoal:noop, shoal:sleep, shoal:fail-at-rate.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{json, Value};
use shoal_engine::task::builtin::{FAIL_AT_RATE, INJECTED_FAILURE, INVALID_INPUT, NOOP, SLEEP};
use shoal_engine::task::{
    CancellationToken, HandlerRegistry, TaskInvocation, TaskOutcome, TaskRunner, TaskRunnerOptions,
};
use tokio::time::Instant;

fn runner() -> TaskRunner {
    let options = TaskRunnerOptions::default().with_blocking_threads(1);
    TaskRunner::new(HandlerRegistry::with_builtins(), options).unwrap()
}

async fn invoke(runner: &TaskRunner, invocation: TaskInvocation) -> TaskOutcome {
    runner.invoke(invocation, CancellationToken::new()).await
}

fn error_name(outcome: &TaskOutcome) -> Option<String> {
    outcome.error().map(|error| error.error)
}

#[tokio::test]
async fn noop_returns_its_input() {
    let input = json!({ "a": [1, 2, { "b": null }] });
    let outcome = invoke(&runner(), TaskInvocation::new(NOOP, input.clone())).await;
    assert_eq!(outcome, TaskOutcome::Succeeded(input));
}

#[tokio::test(start_paused = true)]
async fn sleep_waits_on_tokio_time_and_returns_its_input() {
    let input = json!({ "Milliseconds": 3_600_000, "item": 4 });
    let start = Instant::now();
    let outcome = invoke(&runner(), TaskInvocation::new(SLEEP, input.clone())).await;
    assert_eq!(outcome, TaskOutcome::Succeeded(input));
    assert_eq!(start.elapsed(), Duration::from_secs(3600));
}

#[tokio::test(start_paused = true)]
async fn sleep_stops_when_cancelled() {
    let runner = runner();
    let token = CancellationToken::new();
    let invocation = TaskInvocation::new(SLEEP, json!({ "Milliseconds": 3_600_000 }));
    let pending = tokio::spawn(runner.invoke(invocation, token.clone()));
    tokio::time::sleep(Duration::from_secs(1)).await;
    token.cancel();
    assert_eq!(pending.await.unwrap(), TaskOutcome::Cancelled);
}

#[tokio::test]
async fn sleep_rejects_input_without_milliseconds() {
    let outcome = invoke(
        &runner(),
        TaskInvocation::new(SLEEP, json!({ "Seconds": 1 })),
    )
    .await;
    assert_eq!(error_name(&outcome).as_deref(), Some(INVALID_INPUT));
    assert!(outcome.error().unwrap().cause.contains("Milliseconds"));
}

async fn fails(runner: &TaskRunner, rate: f64, key: &str, attempt: u32, per_attempt: bool) -> bool {
    let input = json!({ "Rate": rate, "PerAttempt": per_attempt });
    let invocation = TaskInvocation::new(FAIL_AT_RATE, input.clone())
        .with_idempotency_key(key)
        .with_attempt(attempt);
    match invoke(runner, invocation).await {
        TaskOutcome::Succeeded(output) => {
            assert_eq!(output, input);
            false
        }
        outcome => {
            assert_eq!(error_name(&outcome).as_deref(), Some(INJECTED_FAILURE));
            true
        }
    }
}

#[tokio::test]
async fn fail_at_rate_is_deterministic_per_idempotency_key() {
    let runner = runner();
    let keys: Vec<String> = (0..400).map(|i| format!("exec/Map/{i}")).collect();
    let mut first = Vec::new();
    for key in &keys {
        first.push(fails(&runner, 0.25, key, 0, false).await);
    }
    let failed = first.iter().filter(|failed| **failed).count();
    assert!(
        (60..140).contains(&failed),
        "{failed} of 400 failed at rate 0.25"
    );
    // A re-run (or a retry) of the same keys fails exactly the same ones.
    for (key, failed_before) in keys.iter().zip(&first) {
        assert_eq!(
            fails(&runner, 0.25, key, 1, false).await,
            *failed_before,
            "{key}"
        );
    }
    for key in keys.iter().take(50) {
        assert!(!fails(&runner, 0.0, key, 0, false).await);
        assert!(fails(&runner, 1.0, key, 0, false).await);
    }
}

#[tokio::test]
async fn fail_at_rate_per_attempt_lets_a_retry_succeed() {
    let runner = runner();
    let mut retry_differs = 0;
    for i in 0..100 {
        let key = format!("k{i}");
        let first = fails(&runner, 0.5, &key, 0, true).await;
        assert_eq!(
            fails(&runner, 0.5, &key, 0, true).await,
            first,
            "stable per attempt"
        );
        if fails(&runner, 0.5, &key, 1, true).await != first {
            retry_differs += 1;
        }
    }
    assert!(
        retry_differs > 20,
        "only {retry_differs} of 100 retries changed outcome"
    );
}

#[tokio::test]
async fn fail_at_rate_rejects_a_rate_outside_zero_to_one() {
    let runner = runner();
    for input in [
        json!({ "Rate": 1.5 }),
        json!({ "Rate": "half" }),
        json!({}),
        Value::Null,
    ] {
        let outcome = invoke(&runner, TaskInvocation::new(FAIL_AT_RATE, input)).await;
        assert_eq!(error_name(&outcome).as_deref(), Some(INVALID_INPUT));
        assert!(outcome.error().unwrap().cause.contains("Rate"));
    }
}
