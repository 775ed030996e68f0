//! Bad input and limits, each with its exact outcome (docs/RELIABILITY.md,
//! "Bad input and limits"): payloads over the limit, JSON nested deeper than
//! can be recorded, and definitions with 100,000 states.

#![allow(clippy::unwrap_used)]

mod runtime_support;

use std::sync::Arc;
use std::time::Instant;

use runtime_support::{engine, engine_on, history, kinds, run, T0_MS};
use serde_json::{json, Value};
use shoal_engine::api::ListExecutionsOptions;
use shoal_engine::runtime::{Clock, TokioClock};
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{Engine, EngineError, ExecutionStatus};
use shoal_storage::{EventLog, MemoryLog};

const LIMIT: usize = 262_144;

/// `echo` returns its input; `big` returns a string of `input.bytes` bytes;
/// `deep` returns an array nested `input.depth` levels.
fn handlers() -> HandlerRegistry {
    let mut handlers = HandlerRegistry::new();
    handlers.register_async("echo", |input, _| async move { Ok(input) });
    handlers.register_async("big", |input, _| async move {
        let bytes = input["bytes"].as_u64().unwrap_or(0) as usize;
        Ok(Value::String("x".repeat(bytes)))
    });
    handlers.register_async("deep", |input, _| async move {
        Ok(nested(input["depth"].as_u64().unwrap_or(0) as usize))
    });
    handlers.register_async("fail", |_, _| async move {
        Err::<Value, _>(TaskError::new("Boom", "always"))
    });
    handlers
}

/// `[[[...0...]]]`, `depth` arrays deep, built without recursion.
fn nested(depth: usize) -> Value {
    let mut value = json!(0);
    for _ in 0..depth {
        value = Value::Array(vec![value]);
    }
    value
}

/// `depth` opening brackets, `0`, `depth` closing brackets.
fn nested_text(depth: usize) -> String {
    format!("{}0{}", "[".repeat(depth), "]".repeat(depth))
}

fn task(resource: &str, extra: Value) -> Value {
    let mut state = json!({"Type": "Task", "Resource": resource, "End": true});
    for (k, v) in extra.as_object().unwrap() {
        state[k] = v.clone();
    }
    json!({"StartAt": "T", "States": {"T": state}})
}

async fn failure(engine: &Engine, definition: &Value, input: Value) -> (String, String) {
    let id = run(engine, definition, input).await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Failed, "{done:?}");
    (done.error.unwrap(), done.cause.unwrap())
}

#[tokio::test(start_paused = true)]
async fn execution_input_over_the_payload_limit_is_refused_at_start() {
    let (engine, log, _) = engine(handlers()).await;
    engine
        .register_state_machine("sm", &task("echo", json!({})).to_string())
        .await
        .unwrap();
    // {"s":"xxx…"}: 8 bytes of JSON around the string.
    let at_limit = json!({"s": "x".repeat(LIMIT - 8)});
    assert_eq!(at_limit.to_string().len(), LIMIT);
    let id = engine.start_execution("sm", None, at_limit).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    let before = log.metrics().records;
    let over = json!({"s": "x".repeat(LIMIT - 7)});
    let err = engine.start_execution("sm", None, over).await.unwrap_err();
    assert!(
        matches!(
            err,
            EngineError::InvalidArgument {
                what: "execution input",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "invalid execution input: 262145 bytes is over the payload limit of 262144 bytes"
    );
    assert_eq!(
        log.metrics().records,
        before,
        "nothing recorded for a refused start"
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn task_output_over_the_payload_limit_fails_with_data_limit_exceeded() {
    let (engine, _, _) = engine(handlers()).await;
    let (error, cause) = failure(&engine, &task("big", json!({})), json!({"bytes": LIMIT})).await;
    assert_eq!(error, "States.DataLimitExceeded");
    assert_eq!(
        cause,
        "The state result (262146 bytes) exceeds the maximum of 262144 bytes"
    );
    // States.ALL does not catch it (a terminal error in Step Functions); its own name does.
    let catch_all = task(
        "big",
        json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}]}),
    );
    let mut caught_by_name = catch_all.clone();
    caught_by_name["States"]["T"]["Catch"][0]["ErrorEquals"] = json!(["States.DataLimitExceeded"]);
    for definition in [catch_all, caught_by_name] {
        let mut definition = definition;
        definition["States"]["T"]["End"] = json!(true);
        definition["States"]["C"] = json!({"Type": "Pass", "Result": "caught", "End": true});
        let id = run(&engine, &definition, json!({"bytes": LIMIT})).await;
        let done = engine.describe_execution(id).unwrap();
        let by_name =
            definition["States"]["T"]["Catch"][0]["ErrorEquals"][0] == "States.DataLimitExceeded";
        if by_name {
            assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
            assert_eq!(done.output, Some(json!("caught")));
        } else {
            assert_eq!(done.status, ExecutionStatus::Failed, "{done:?}");
            assert_eq!(done.error.as_deref(), Some("States.DataLimitExceeded"));
        }
    }
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_configured_payload_limit_is_honoured() {
    let log: Arc<dyn EventLog> = Arc::new(MemoryLog::new());
    let engine = Engine::builder(log)
        .handlers(handlers())
        .clock(TokioClock::starting_at(T0_MS))
        .payload_limit_bytes(1_000)
        .build()
        .await
        .unwrap();
    // A string of n bytes is n + 2 bytes of JSON.
    let id = run(&engine, &task("big", json!({})), json!({"bytes": 998})).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().status,
        ExecutionStatus::Succeeded
    );
    let (error, cause) = failure(&engine, &task("big", json!({})), json!({"bytes": 999})).await;
    assert_eq!(error, "States.DataLimitExceeded");
    assert_eq!(
        cause,
        "The state result (1001 bytes) exceeds the maximum of 1000 bytes"
    );
    let err = engine
        .start_execution("sm", None, json!({"s": "x".repeat(1_000)}))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid execution input: 1008 bytes is over the payload limit of 1000 bytes"
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn inline_map_and_parallel_outputs_over_the_limit_fail_the_state() {
    let (engine, _, _) = engine(handlers()).await;
    // 20 results of 20,000 bytes: 400,000 bytes of Map output.
    let map = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "End": true,
        "ItemProcessor": {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "big", "End": true}}}
    }}});
    let items: Vec<Value> = (0..20).map(|_| json!({"bytes": 20_000})).collect();
    let (error, cause) = failure(&engine, &map, json!({ "items": items })).await;
    assert_eq!(error, "States.DataLimitExceeded");
    assert_eq!(
        cause,
        "The state result (400061 bytes) exceeds the maximum of 262144 bytes"
    );
    let branch =
        json!({"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "big", "End": true}}});
    let parallel = json!({"StartAt": "P", "States": {"P": {
        "Type": "Parallel", "Branches": [branch, branch], "End": true
    }}});
    let (error, cause) = failure(&engine, &parallel, json!({"bytes": 140_000})).await;
    assert_eq!(error, "States.DataLimitExceeded");
    assert_eq!(
        cause,
        "The state result (280007 bytes) exceeds the maximum of 262144 bytes"
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn deeply_nested_execution_input_is_refused_with_a_typed_error() {
    let (engine, _, _) = engine(handlers()).await;
    engine
        .register_state_machine("sm", &task("echo", json!({})).to_string())
        .await
        .unwrap();
    // 128 levels is serde_json's parse limit: the deepest input that can be replayed.
    let id = engine
        .start_execution("sm", None, nested(127))
        .await
        .unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    for depth in [200, 10_000] {
        let err = engine
            .start_execution("sm", None, nested(depth))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                EngineError::InvalidArgument {
                    what: "execution input",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "invalid execution input: nested more than 127 levels deep"
        );
    }
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn deeply_nested_task_output_fails_the_task() {
    let (engine, log, clock) = engine(handlers()).await;
    for depth in [200, 10_000] {
        let (error, cause) =
            failure(&engine, &task("deep", json!({})), json!({ "depth": depth })).await;
        assert_eq!(error, "States.DataLimitExceeded");
        assert_eq!(
            cause,
            "The state result is nested more than 127 levels deep"
        );
    }
    // The failed executions replay after a restart.
    engine.shutdown().await;
    let again = engine_on(&log, handlers(), clock).await;
    let page = again
        .list_executions(&ListExecutionsOptions::new().with_limit(10))
        .unwrap();
    assert_eq!(page.executions.len(), 2);
    for summary in page.executions {
        let events = history(&again, summary.id);
        assert_eq!(kinds(&events).last(), Some(&"ExecutionFailed"));
    }
    again.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn deeply_nested_definitions_are_invalid_not_a_stack_overflow() {
    let (engine, _, _) = engine(handlers()).await;
    let result = format!(
        r#"{{"StartAt":"P","States":{{"P":{{"Type":"Pass","Result":{},"End":true}}}}}}"#,
        nested_text(10_000)
    );
    let mut not = String::from(r#"{"Variable":"$.a","IsPresent":true}"#);
    for _ in 0..10_000 {
        not = format!(r#"{{"Not":{not}}}"#);
    }
    let choice = format!(
        r#"{{"StartAt":"C","States":{{"C":{{"Type":"Choice","Choices":[{{"And":[{not}],"Next":"S"}}]}},"S":{{"Type":"Succeed"}}}}}}"#
    );
    let mut branch = String::from(r#"{"StartAt":"S","States":{"S":{"Type":"Succeed"}}}"#);
    for _ in 0..10_000 {
        branch = format!(
            r#"{{"StartAt":"P","States":{{"P":{{"Type":"Parallel","Branches":[{branch}],"End":true}}}}}}"#
        );
    }
    for (what, text) in [("Result", result), ("Choice", choice), ("Parallel", branch)] {
        let err = engine
            .register_state_machine("deep", &text)
            .await
            .unwrap_err();
        assert!(
            matches!(err, EngineError::InvalidDefinition { .. }),
            "{what}: {err}"
        );
        println!("{what}: {err}");
        assert!(
            err.to_string().contains("recursion limit exceeded"),
            "{what}: {err}"
        );
    }
    engine.shutdown().await;
}

/// `n` Pass states in a chain, each adding nothing.
fn pass_chain(n: usize) -> String {
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let state = if i + 1 == n {
            json!({"Type": "Pass", "End": true})
        } else {
            json!({"Type": "Pass", "Next": format!("S{}", i + 1)})
        };
        states.insert(format!("S{i}"), state);
    }
    json!({"StartAt": "S0", "States": states}).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100000_state_definition_registers_and_runs() {
    let log = MemoryLog::new();
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(T0_MS));
    let engine = engine_on(&log, handlers(), clock).await;
    let states = 100_000;
    let text = pass_chain(states);
    let started = Instant::now();
    engine.register_state_machine("big", &text).await.unwrap();
    let registered = started.elapsed();
    let started = Instant::now();
    let id = engine
        .start_execution("big", None, json!({"k": 1}))
        .await
        .unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    let ran = started.elapsed();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.output, Some(json!({"k": 1})));
    assert_eq!(
        log.metrics().records,
        states as u64 + 1,
        "one record per state plus Start"
    );
    println!(
        "100,000-state Pass chain ({} bytes): parse + validate + register {registered:?}, run {ran:?}",
        text.len()
    );
    engine.shutdown().await;
}
