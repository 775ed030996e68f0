//! `redrive_execution` of plain executions: restart from the state that
//! did not succeed with the input it had, `ExecutionRedriven` and
//! `$$.Execution.RedriveCount`, refusals, and a redrive that survives a
//! restart of the engine.

#![allow(clippy::unwrap_used)]

mod runtime_support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use runtime_support::{assert_ids_well_formed, engine, engine_on, history, kinds, run};
use serde_json::{json, Value};
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{
    EngineError, ExecutionStatus, HistoryEventType, NotRedrivableReason, RedriveStatus,
};

/// `First` (counted) then `Flaky` (fails until `healed`, records the
/// RedriveCount it saw) then a Pass.
struct Flaky {
    first_calls: Arc<AtomicUsize>,
    healed: Arc<AtomicBool>,
    seen_redrive_counts: Arc<Mutex<Vec<Value>>>,
}

fn flaky_handlers() -> (HandlerRegistry, Flaky) {
    let flaky = Flaky {
        first_calls: Arc::new(AtomicUsize::new(0)),
        healed: Arc::new(AtomicBool::new(false)),
        seen_redrive_counts: Arc::new(Mutex::new(Vec::new())),
    };
    let mut handlers = HandlerRegistry::new();
    let calls = Arc::clone(&flaky.first_calls);
    handlers.register_async("first", move |input, _| {
        calls.fetch_add(1, Ordering::SeqCst);
        async move { Ok(json!({"first": input["n"]})) }
    });
    let healed = Arc::clone(&flaky.healed);
    let seen = Arc::clone(&flaky.seen_redrive_counts);
    handlers.register_async("flaky", move |input: Value, _| {
        seen.lock().push(input["redrives"].clone());
        let ok = healed.load(Ordering::SeqCst);
        async move {
            if ok {
                Ok(json!("fixed"))
            } else {
                Err(TaskError::new("Broken", "not yet"))
            }
        }
    });
    (handlers, flaky)
}

fn flaky_definition() -> Value {
    json!({
        "StartAt": "First",
        "States": {
            "First": {"Type": "Task", "Resource": "first", "ResultPath": "$.first", "Next": "Flaky"},
            "Flaky": {
                "Type": "Task", "Resource": "flaky",
                "Parameters": {"redrives.$": "$$.Execution.RedriveCount", "first.$": "$.first"},
                "Retry": [{"ErrorEquals": ["Broken"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                "ResultPath": "$.flaky", "Next": "Done"
            },
            "Done": {"Type": "Pass", "End": true}
        }
    })
}

#[tokio::test(start_paused = true)]
async fn a_failed_task_is_redriven_with_its_input_and_earlier_states_are_not_rerun() {
    let (handlers, flaky) = flaky_handlers();
    let (engine, _log, _clock) = engine(handlers).await;
    let id = run(&engine, &flaky_definition(), json!({"n": 7})).await;
    let failed = engine.describe_execution(id).unwrap();
    assert_eq!(failed.status, ExecutionStatus::Failed);
    assert_eq!(failed.redrive_status, RedriveStatus::Redrivable);
    assert_eq!((failed.redrive_count, failed.redrive_date_ms), (0, None));

    flaky.healed.store(true, Ordering::SeqCst);
    let redriven_at = engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(
        done.output,
        Some(json!({"n": 7, "first": {"first": 7}, "flaky": "fixed"}))
    );
    assert_eq!(done.redrive_count, 1);
    assert_eq!(done.redrive_date_ms, Some(redriven_at));
    assert_eq!(done.redrive_status, RedriveStatus::NotRedrivable);
    assert_eq!(
        flaky.first_calls.load(Ordering::SeqCst),
        1,
        "First ran once"
    );
    // Two tries before the redrive (one retry), one after; the redriven
    // attempt saw RedriveCount 1.
    assert_eq!(
        *flaky.seen_redrive_counts.lock(),
        vec![json!(0), json!(0), json!(1)]
    );

    let events = history(&engine, id);
    assert_ids_well_formed(&events);
    let names = kinds(&events);
    let failed_at = names.iter().position(|k| *k == "ExecutionFailed").unwrap();
    assert_eq!(
        &names[failed_at..failed_at + 3],
        ["ExecutionFailed", "ExecutionRedriven", "TaskStateEntered"]
    );
    let redriven = &events[failed_at + 1];
    assert_eq!(redriven.details.redrive_count, Some(1));
    let entered = &events[failed_at + 2];
    assert_eq!(entered.details.name.as_deref(), Some("Flaky"));
    assert_eq!(
        entered.details.input.as_deref(),
        Some(r#"{"n":7,"first":{"first":7}}"#),
        "the state is entered again with the input it had"
    );
    assert_eq!(names.last(), Some(&"ExecutionSucceeded"));
}

#[tokio::test(start_paused = true)]
async fn succeeded_and_running_executions_are_not_redrivable() {
    let mut handlers = HandlerRegistry::new();
    handlers.register_async("ok", |input, _| async move { Ok(input) });
    let (engine, _log, _clock) = engine(handlers).await;
    let ok =
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "ok", "End": true}}});
    let id = run(&engine, &ok, json!({})).await;
    let refused = engine.redrive_execution(id).await.unwrap_err();
    assert!(
        matches!(
            refused,
            EngineError::ExecutionNotRedrivable {
                reason: NotRedrivableReason::Succeeded,
                ..
            }
        ),
        "{refused}"
    );

    let wait =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1000, "End": true}}});
    engine
        .register_state_machine("wait", &wait.to_string())
        .await
        .unwrap();
    let waiting = engine
        .start_execution("wait", None, json!({}))
        .await
        .unwrap();
    let refused = engine.redrive_execution(waiting).await.unwrap_err();
    assert!(
        matches!(
            refused,
            EngineError::ExecutionNotRedrivable {
                reason: NotRedrivableReason::Running,
                ..
            }
        ),
        "{refused}"
    );

    // Stopped: redrivable, and once redriven it is running again, so a
    // second redrive is refused; the Wait is entered again.
    engine
        .stop_execution(waiting, "Stop", "test")
        .await
        .unwrap();
    let stopped = engine.describe_execution(waiting).unwrap();
    assert_eq!(stopped.status, ExecutionStatus::Aborted);
    assert_eq!(stopped.redrive_status, RedriveStatus::Redrivable);
    engine.redrive_execution(waiting).await.unwrap();
    assert_eq!(
        engine.describe_execution(waiting).unwrap().status,
        ExecutionStatus::Running
    );
    let again = engine.redrive_execution(waiting).await.unwrap_err();
    assert!(
        matches!(again, EngineError::ExecutionNotRedrivable { .. }),
        "{again}"
    );
    let done = engine.wait_for_completion(waiting).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    let names = kinds(&history(&engine, waiting));
    assert_eq!(
        names,
        [
            "ExecutionStarted",
            "WaitStateEntered",
            "ExecutionAborted",
            "ExecutionRedriven",
            "WaitStateEntered",
            "WaitStateExited",
            "ExecutionSucceeded"
        ]
    );
    let missing = engine
        .redrive_execution(shoal_engine::ExecutionId(999_999))
        .await
        .unwrap_err();
    assert!(
        matches!(missing, EngineError::ExecutionNotFound { .. }),
        "{missing}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_redrive_is_durable_before_anything_runs_and_resumes_after_a_restart() {
    let (handlers, flaky) = flaky_handlers();
    let (engine, log, clock) = engine(handlers).await;
    let id = run(&engine, &flaky_definition(), json!({"n": 1})).await;
    // Redrive, then stop the engine before the redriven attempt can report:
    // the handler is still failing, but the engine is gone first.
    engine.redrive_execution(id).await.unwrap();
    engine.shutdown().await;

    let (handlers, reopened_flaky) = flaky_handlers();
    reopened_flaky.healed.store(true, Ordering::SeqCst);
    let reopened = engine_on(&log, handlers, clock).await;
    assert_eq!(reopened.recovered(), 1, "the redriven execution is RUNNING");
    let done = reopened.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.redrive_count, 1);
    assert_eq!(reopened_flaky.first_calls.load(Ordering::SeqCst), 0);
    let events = history(&reopened, id);
    assert_ids_well_formed(&events);
    let redrives = events
        .iter()
        .filter(|e| e.kind == HistoryEventType::ExecutionRedriven)
        .count();
    assert_eq!(redrives, 1, "{:?}", kinds(&events));
    drop(flaky);
}

#[tokio::test(start_paused = true)]
async fn a_parallel_and_an_inline_map_rerun_only_their_failed_branches_and_iterations() {
    let calls: Arc<Mutex<Vec<String>>> = Arc::default();
    let healed = Arc::new(AtomicBool::new(false));
    let mut handlers = HandlerRegistry::new();
    let (seen, ok) = (Arc::clone(&calls), Arc::clone(&healed));
    handlers.register_async("step", move |input: Value, _| {
        let name = input["name"].as_str().unwrap_or("?").to_string();
        seen.lock().push(name.clone());
        let fails = input["bad"] == json!(true) && !ok.load(Ordering::SeqCst);
        // The bad ones answer late, so their siblings succeed first.
        let late = input["bad"] == json!(true);
        async move {
            if late {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            if fails {
                Err(TaskError::new("Broken", name))
            } else {
                Ok(json!(name))
            }
        }
    });
    let (engine, _log, _clock) = engine(handlers).await;
    let branch = |name: &str, bad: bool| {
        json!({"StartAt": "S", "States": {"S": {"Type": "Task", "Resource": "step",
            "Parameters": {"name": name, "bad": bad}, "End": true}}})
    };
    let definition = json!({
        "StartAt": "Both",
        "States": {
            "Both": {"Type": "Parallel", "ResultPath": "$.both", "Next": "Each",
                     "Branches": [branch("a", false), branch("b", true), branch("c", false)]},
            "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.each", "End": true,
                     "ItemSelector": {"name.$": "$$.Map.Item.Value.n", "bad.$": "$$.Map.Item.Value.bad"},
                     "ItemProcessor": {"StartAt": "S", "States": {"S": {"Type": "Task", "Resource": "step", "End": true}}}}
        }
    });
    let items =
        json!([{"n": "i0", "bad": false}, {"n": "i1", "bad": true}, {"n": "i2", "bad": false}]);
    let id = run(&engine, &definition, json!({"items": items})).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().status,
        ExecutionStatus::Failed
    );
    let first: Vec<String> = calls.lock().drain(..).collect();
    assert!(first.contains(&"b".to_string()), "{first:?}");

    // Redrive 1: the Parallel runs only branch b (a and c keep their
    // results); the Map then fails at item i1 (still broken).
    healed.store(true, Ordering::SeqCst);
    engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    let output = done.output.unwrap();
    assert_eq!(output["both"], json!(["a", "b", "c"]));
    assert_eq!(output["each"], json!(["i0", "i1", "i2"]));
    let mut second: Vec<String> = calls.lock().drain(..).collect();
    second.sort();
    assert_eq!(
        second,
        ["b", "i0", "i1", "i2"],
        "a and c kept (first run: {first:?})"
    );
    assert_ids_well_formed(&history(&engine, id));

    // The inline Map alone: items i0 and i2 succeed, i1 fails; after the
    // redrive only i1 runs.
    healed.store(false, Ordering::SeqCst);
    let map_only =
        json!({"StartAt": "Each", "States": {"Each": definition["States"]["Each"].clone()}});
    engine
        .register_state_machine("map", &map_only.to_string())
        .await
        .unwrap();
    let map_id = engine
        .start_execution("map", None, json!({"items": items}))
        .await
        .unwrap();
    engine.wait_for_completion(map_id).await.unwrap();
    let before: Vec<String> = calls.lock().drain(..).collect();
    healed.store(true, Ordering::SeqCst);
    engine.redrive_execution(map_id).await.unwrap();
    let done = engine.wait_for_completion(map_id).await.unwrap();
    assert_eq!(done.output.unwrap()["each"], json!(["i0", "i1", "i2"]));
    let after: Vec<String> = calls.lock().drain(..).collect();
    assert_eq!(
        after,
        ["i1"],
        "only the failed iteration ran (before: {before:?})"
    );
}
