//! Each state type end to end through the API on a MemoryLog.

#![allow(clippy::unwrap_used)]

mod runtime_support;

use runtime_support::{assert_ids_well_formed, engine, history, kinds, run};
use serde_json::json;
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::ExecutionStatus;

#[tokio::test(start_paused = true)]
async fn pass_chain_records_entered_and_exited_with_linked_ids() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    let definition = json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.a", "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a.x, 41)"}, "End": true}
        }
    });
    let id = run(&engine, &definition, json!({"in": true})).await;
    let description = engine.describe_execution(id).unwrap();
    assert_eq!(description.status, ExecutionStatus::Succeeded);
    assert_eq!(description.output, Some(json!({"sum": 42})));
    assert_eq!(description.input, json!({"in": true}));
    let events = history(&engine, id);
    assert_eq!(
        kinds(&events),
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_ids_well_formed(&events);
    assert_eq!(events[0].previous_event_id.0, 0);
    assert_eq!(events[3].previous_event_id.0, 3);
    assert_eq!(
        events[2].details.output.as_deref(),
        Some(r#"{"in":true,"a":{"x":1}}"#)
    );
}

#[tokio::test(start_paused = true)]
async fn task_runs_its_handler_and_applies_result_selector_and_path() {
    let mut handlers = HandlerRegistry::new();
    handlers.register_async("double", |input, context| async move {
        assert!(context.idempotency_key().contains(":Double:"));
        Ok(json!({"value": input["n"].as_i64().unwrap_or(0) * 2, "noise": 1}))
    });
    let (engine, _log, _clock) = engine(handlers).await;
    let definition = json!({
        "StartAt": "Double",
        "States": {
            "Double": {
                "Type": "Task", "Resource": "double",
                "Parameters": {"n.$": "$.n"},
                "ResultSelector": {"doubled.$": "$.value"},
                "ResultPath": "$.result",
                "End": true
            }
        }
    });
    let id = run(&engine, &definition, json!({"n": 21})).await;
    let description = engine.describe_execution(id).unwrap();
    assert_eq!(
        description.output,
        Some(json!({"n": 21, "result": {"doubled": 42}}))
    );
    let events = history(&engine, id);
    assert_eq!(
        kinds(&events),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_ids_well_formed(&events);
    assert_eq!(events[2].details.input.as_deref(), Some(r#"{"n":21}"#));
}

#[tokio::test(start_paused = true)]
async fn choice_routes_on_the_first_matching_rule_and_default() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    let definition = json!({
        "StartAt": "Route",
        "States": {
            "Route": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
                    {"And": [{"Variable": "$.n", "NumericGreaterThanEquals": 0},
                             {"Variable": "$.kind", "StringEquals": "small"}], "Next": "Small"}
                ],
                "Default": "Other"
            },
            "Big": {"Type": "Pass", "Result": "big", "End": true},
            "Small": {"Type": "Pass", "Result": "small", "End": true},
            "Other": {"Type": "Succeed"}
        }
    });
    engine
        .register_state_machine("sm", &definition.to_string())
        .await
        .unwrap();
    for (input, expected) in [
        (json!({"n": 11}), json!("big")),
        (json!({"n": 3, "kind": "small"}), json!("small")),
        (json!({"n": -1}), json!({"n": -1})),
    ] {
        let id = engine.start_execution("sm", None, input).await.unwrap();
        let description = engine.wait_for_completion(id).await.unwrap();
        assert_eq!(description.output, Some(expected));
    }
}

#[tokio::test(start_paused = true)]
async fn choice_without_match_fails_with_no_choice_matched() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    let definition = json!({
        "StartAt": "Route",
        "States": {
            "Route": {"Type": "Choice",
                      "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "Done"}]},
            "Done": {"Type": "Succeed"}
        }
    });
    let id = run(&engine, &definition, json!({"n": 2})).await;
    let description = engine.describe_execution(id).unwrap();
    assert_eq!(description.status, ExecutionStatus::Failed);
    assert_eq!(description.error.as_deref(), Some("States.NoChoiceMatched"));
}

#[tokio::test(start_paused = true)]
async fn fail_state_reports_error_and_cause() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    let definition = json!({
        "StartAt": "Boom",
        "States": {"Boom": {"Type": "Fail", "Error": "Custom.Error", "CausePath": "$.why"}}
    });
    let id = run(&engine, &definition, json!({"why": "because"})).await;
    let description = engine.describe_execution(id).unwrap();
    assert_eq!(description.status, ExecutionStatus::Failed);
    assert_eq!(description.error.as_deref(), Some("Custom.Error"));
    assert_eq!(description.cause.as_deref(), Some("because"));
    assert_eq!(
        kinds(&history(&engine, id)),
        ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    );
}

#[tokio::test(start_paused = true)]
async fn succeed_state_applies_input_and_output_paths() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    let definition = json!({
        "StartAt": "Done",
        "States": {"Done": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}}
    });
    let id = run(&engine, &definition, json!({"a": {"b": [1, 2]}})).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().output,
        Some(json!([1, 2]))
    );
}

#[tokio::test(start_paused = true)]
async fn task_failure_without_catch_fails_the_execution() {
    let mut handlers = HandlerRegistry::new();
    handlers.register_blocking("boom", |_input, _context| {
        Err(TaskError::new("My.Error", "it broke"))
    });
    let (engine, _log, _clock) = engine(handlers).await;
    let definition = json!({
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "boom", "End": true}}
    });
    let id = run(&engine, &definition, json!({})).await;
    let description = engine.describe_execution(id).unwrap();
    assert_eq!(description.status, ExecutionStatus::Failed);
    assert_eq!(description.error.as_deref(), Some("My.Error"));
    assert_eq!(description.cause.as_deref(), Some("it broke"));
    let events = history(&engine, id);
    assert_eq!(
        kinds(&events),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "ExecutionFailed"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_context_object_is_available_to_parameters() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    let definition = json!({
        "StartAt": "Ctx",
        "States": {"Ctx": {"Type": "Pass", "End": true, "Parameters": {
            "name.$": "$$.Execution.Name",
            "state.$": "$$.State.Name",
            "machine.$": "$$.StateMachine.Name",
            "input.$": "States.JsonToString($$.Execution.Input)"
        }}}
    });
    engine
        .register_state_machine("sm", &definition.to_string())
        .await
        .unwrap();
    let id = engine
        .start_execution("sm", Some("named"), json!({"a": 1}))
        .await
        .unwrap();
    let description = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(
        description.output,
        Some(json!({"name": "named", "state": "Ctx", "machine": "sm", "input": "{\"a\":1}"}))
    );
}
