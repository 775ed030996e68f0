//! The API around executions: idempotent start, stop, listing, history
//! as JSON, and the `.waitForTaskToken` callbacks.

#![allow(clippy::unwrap_used)]

mod runtime_support;

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use runtime_support::{engine, history, kinds};
use serde_json::json;
use shoal_engine::api::ListExecutionsOptions;
use shoal_engine::task::HandlerRegistry;
use shoal_engine::{EngineError, ExecutionStatus, HistoryEventType};

fn wait_forever() -> String {
    json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 99999999, "End": true}}})
        .to_string()
}

#[tokio::test(start_paused = true)]
async fn start_is_idempotent_on_name_and_input() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    engine
        .register_state_machine("sm", &wait_forever())
        .await
        .unwrap();
    let first = engine
        .start_execution("sm", Some("job-1"), json!({"a": 1}))
        .await
        .unwrap();
    let again = engine
        .start_execution("sm", Some("job-1"), json!({"a": 1}))
        .await
        .unwrap();
    assert_eq!(first, again);
    let clash = engine
        .start_execution("sm", Some("job-1"), json!({"a": 2}))
        .await
        .unwrap_err();
    assert!(
        matches!(clash, EngineError::ExecutionAlreadyExists { ref name, .. } if name == "job-1")
    );
    let reserved = engine
        .start_execution("sm", Some(&first.to_string()), json!({}))
        .await
        .unwrap_err();
    assert!(matches!(
        reserved,
        EngineError::InvalidArgument {
            what: "execution name",
            ..
        }
    ));
    let missing = engine
        .start_execution("nope", None, json!({}))
        .await
        .unwrap_err();
    assert!(matches!(missing, EngineError::StateMachineNotFound { ref name } if name == "nope"));
}

#[tokio::test(start_paused = true)]
async fn invalid_definitions_are_refused_with_the_asl_errors() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    let bad = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Missing"}}});
    let error = engine
        .register_state_machine("bad", &bad.to_string())
        .await
        .unwrap_err();
    assert!(matches!(error, EngineError::InvalidDefinition { ref name, .. } if name == "bad"));
    assert!(error.to_string().contains("Missing"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn stop_execution_aborts_and_cancels_its_work() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    engine
        .register_state_machine("sm", &wait_forever())
        .await
        .unwrap();
    let id = engine.start_execution("sm", None, json!({})).await.unwrap();
    engine
        .stop_execution(id, "User.Stop", "enough")
        .await
        .unwrap();
    let description = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(description.status, ExecutionStatus::Aborted);
    assert_eq!(description.error.as_deref(), Some("User.Stop"));
    assert_eq!(description.cause.as_deref(), Some("enough"));
    assert_eq!(
        kinds(&history(&engine, id)),
        ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    );
    let again = engine.stop_execution(id, "x", "y").await.unwrap_err();
    assert!(matches!(again, EngineError::ExecutionNotRunning { .. }));
}

#[tokio::test(start_paused = true)]
async fn list_executions_filters_by_status_and_state_machine_and_pages() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    engine
        .register_state_machine("waits", &wait_forever())
        .await
        .unwrap();
    let quick = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    engine
        .register_state_machine("quick", &quick.to_string())
        .await
        .unwrap();
    let mut quick_ids = Vec::new();
    for _ in 0..3 {
        let id = engine
            .start_execution("quick", None, json!({}))
            .await
            .unwrap();
        engine.wait_for_completion(id).await.unwrap();
        quick_ids.push(id);
    }
    let waiting = engine
        .start_execution("waits", Some("w"), json!({}))
        .await
        .unwrap();
    let running = engine
        .list_executions(&ListExecutionsOptions::new().with_status(ExecutionStatus::Running))
        .unwrap();
    assert_eq!(running.executions.len(), 1);
    assert_eq!(running.executions[0].id, waiting);
    assert_eq!(running.executions[0].name, "w");
    let by_machine = engine
        .list_executions(&ListExecutionsOptions::new().with_state_machine("quick"))
        .unwrap();
    assert_eq!(
        by_machine
            .executions
            .iter()
            .map(|e| e.id)
            .collect::<Vec<_>>(),
        quick_ids
    );
    let first_page = engine
        .list_executions(&ListExecutionsOptions::new().with_limit(2))
        .unwrap();
    assert_eq!(first_page.executions.len(), 2);
    let rest = engine
        .list_executions(
            &ListExecutionsOptions::new()
                .with_limit(2)
                .with_page(first_page.next_page.clone().unwrap()),
        )
        .unwrap();
    assert_eq!(rest.executions.len(), 2);
    assert!(rest
        .executions
        .iter()
        .all(|e| !first_page.executions.contains(e)));
}

#[tokio::test(start_paused = true)]
async fn history_events_serialize_with_step_functions_names() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    let quick = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    engine
        .register_state_machine("quick", &quick.to_string())
        .await
        .unwrap();
    let id = engine
        .start_execution("quick", None, json!({"a": 1}))
        .await
        .unwrap();
    engine.wait_for_completion(id).await.unwrap();
    let events = engine.get_execution_history(id, 1, 2).unwrap();
    let json = serde_json::to_value(&events).unwrap();
    assert_eq!(json[0]["type"], "PassStateEntered");
    assert_eq!(json[0]["id"], 2);
    assert_eq!(json[0]["previousEventId"], 1);
    assert_eq!(json[0]["details"]["name"], "P");
    assert_eq!(json[0]["details"]["input"], r#"{"a":1}"#);
    assert_eq!(json.as_array().unwrap().len(), 2);
}

/// A Task that hands its token to the test and waits for the callback.
fn callback_machine(heartbeat: Option<u64>) -> String {
    let mut task = json!({"Type": "Task", "Resource": "hand-off.waitForTaskToken",
        "Parameters": {"token.$": "$$.Task.Token"}, "End": true,
        "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timeout", "Next": "TimedOut"}]});
    if let Some(seconds) = heartbeat {
        task["HeartbeatSeconds"] = json!(seconds);
        task["TimeoutSeconds"] = json!(seconds * 100);
    }
    json!({"StartAt": "T", "States": {"T": task, "TimedOut": {"Type": "Pass", "End": true}}})
        .to_string()
}

fn hand_off(tokens: &Arc<Mutex<Vec<String>>>) -> HandlerRegistry {
    let mut handlers = HandlerRegistry::new();
    let tokens = Arc::clone(tokens);
    handlers.register_async("hand-off", move |input, context| {
        let tokens = Arc::clone(&tokens);
        async move {
            assert_eq!(input["token"].as_str(), context.task_token());
            tokens
                .lock()
                .push(context.task_token().unwrap_or_default().to_string());
            Ok(json!("ignored"))
        }
    });
    handlers
}

async fn token_of(tokens: &Arc<Mutex<Vec<String>>>) -> String {
    for _ in 0..100 {
        if let Some(token) = tokens.lock().last().cloned() {
            return token;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the handler never received a token");
}

#[tokio::test(start_paused = true)]
async fn wait_for_task_token_completes_on_send_task_success() {
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let (engine, _log, _clock) = engine(hand_off(&tokens)).await;
    engine
        .register_state_machine("cb", &callback_machine(None))
        .await
        .unwrap();
    let id = engine.start_execution("cb", None, json!({})).await.unwrap();
    let token = token_of(&tokens).await;
    assert!(token.starts_with(&id.to_string()));
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().status,
        ExecutionStatus::Running
    );
    engine
        .send_task_success(&token, json!({"ok": true}))
        .await
        .unwrap();
    let description = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(description.output, Some(json!({"ok": true})));
    let late = engine
        .send_task_success(&token, json!(1))
        .await
        .unwrap_err();
    assert!(matches!(late, EngineError::TaskDoesNotExist { .. }));
    let bogus = engine.send_task_heartbeat("nonsense").await.unwrap_err();
    assert!(matches!(bogus, EngineError::TaskDoesNotExist { .. }));
}

#[tokio::test(start_paused = true)]
async fn wait_for_task_token_fails_on_send_task_failure() {
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let (engine, _log, _clock) = engine(hand_off(&tokens)).await;
    engine
        .register_state_machine("cb", &callback_machine(None))
        .await
        .unwrap();
    let id = engine.start_execution("cb", None, json!({})).await.unwrap();
    let token = token_of(&tokens).await;
    engine
        .send_task_failure(&token, "Remote.Failed", "it did not work")
        .await
        .unwrap();
    let description = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(description.status, ExecutionStatus::Failed);
    assert_eq!(description.error.as_deref(), Some("Remote.Failed"));
}

#[tokio::test(start_paused = true)]
async fn heartbeats_keep_a_token_task_alive_until_they_stop() {
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let (engine, _log, _clock) = engine(hand_off(&tokens)).await;
    engine
        .register_state_machine("cb", &callback_machine(Some(10)))
        .await
        .unwrap();
    let id = engine.start_execution("cb", None, json!({})).await.unwrap();
    let token = token_of(&tokens).await;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(8)).await;
        engine.send_task_heartbeat(&token).await.unwrap();
    }
    assert_eq!(
        engine.describe_execution(id).unwrap().status,
        ExecutionStatus::Running
    );
    let description = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(description.status, ExecutionStatus::Succeeded);
    assert_eq!(
        description.output.unwrap()["timeout"]["Error"],
        json!("States.HeartbeatTimeout")
    );
    let events = history(&engine, id);
    let timed_out = events
        .iter()
        .find(|e| e.kind == HistoryEventType::TaskTimedOut)
        .unwrap();
    // Started at 0 (+ the handler's polling), last heartbeat at ~40 s, limit 10 s.
    assert!(timed_out.timestamp_ms - events[0].timestamp_ms >= 50_000);
}
