//! Redrive inside a failed Parallel or inline Map: as in Step Functions,
//! each unsuccessful branch restarts from the state it did not finish (the
//! one that failed, or where its sibling's failure aborted it), with that
//! state's input, recursively through nested Parallels; the states before
//! it and the branches that succeeded are not run again. A Redrive
//! recorded by an earlier version (`Input::Redrive`) keeps its meaning on
//! replay: the unsuccessful branches run again from their start. A
//! Parallel running when the execution was stopped keeps its finished
//! branches the same way.

#![allow(clippy::unwrap_used)]

mod runtime_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use runtime_support::{assert_ids_well_formed, engine, engine_on, history, run};
use serde_json::{json, Value};
use shoal_engine::asl::StateMachine;
use shoal_engine::interpreter::{self, Input, InterpreterOptions, StampedInput};
use shoal_engine::store::{self, keys, ExecutionRow, TransitionRecord};
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{ExecutionId, ExecutionStatus};
use shoal_storage::{EventLog, MemoryLog, Seq, StreamId, WriteBatch};

/// `step`: records its `name` (and `after`, a value from an earlier state),
/// sleeps `ms`, fails while `bad` and not healed, returns its name.
#[derive(Clone, Default)]
struct Steps {
    calls: Arc<Mutex<Vec<(String, Value)>>>,
    healed: Arc<AtomicBool>,
}

impl Steps {
    fn handlers(&self) -> HandlerRegistry {
        let steps = self.clone();
        let mut handlers = HandlerRegistry::new();
        handlers.register_async("step", move |input: Value, _| {
            let steps = steps.clone();
            async move {
                let name = input["name"].as_str().unwrap().to_string();
                steps
                    .calls
                    .lock()
                    .push((name.clone(), input["after"].clone()));
                let ms = input["ms"].as_u64().unwrap_or(0);
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                if input["bad"] == json!(true) && !steps.healed.load(Ordering::SeqCst) {
                    return Err(TaskError::new("Broken", name));
                }
                Ok(json!(name))
            }
        });
        handlers
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.calls.lock().drain(..).map(|(n, _)| n).collect();
        names.sort();
        names
    }
}

/// A Task state `name` calling `step` (with `extra` parameters), its
/// result at `$.<name>`.
fn task(name: &str, extra: Value, next: Option<&str>) -> Value {
    let mut parameters = json!({"name": name});
    for (k, v) in extra.as_object().unwrap() {
        parameters[k] = v.clone();
    }
    let mut state = json!({"Type": "Task", "Resource": "step", "Parameters": parameters,
                           "ResultPath": format!("$.{name}")});
    match next {
        Some(next) => state["Next"] = json!(next),
        None => state["End"] = json!(true),
    }
    state
}

/// Branch A: A1, A2 (fails, reads A1's result), A3. Branch B: B0, B1
/// (slow: aborted when A2 fails), B2. Branch C: C1.
fn three_branches() -> Value {
    json!({"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A1", "States": {
            "A1": task("A1", json!({}), Some("A2")),
            "A2": task("A2", json!({"bad": true, "ms": 10, "after.$": "$.A1"}), Some("A3")),
            "A3": task("A3", json!({}), None)}},
        {"StartAt": "B0", "States": {
            "B0": task("B0", json!({}), Some("B1")),
            "B1": task("B1", json!({"ms": 1000, "after.$": "$.B0"}), Some("B2")),
            "B2": task("B2", json!({}), None)}},
        {"StartAt": "C1", "States": {"C1": task("C1", json!({}), None)}}
    ]}}})
}

fn three_branches_output() -> Value {
    json!([
        {"A1": "A1", "A2": "A2", "A3": "A3"},
        {"B0": "B0", "B1": "B1", "B2": "B2"},
        {"C1": "C1"}
    ])
}

#[tokio::test(start_paused = true)]
async fn failed_and_aborted_branches_restart_from_the_state_they_did_not_finish() {
    let steps = Steps::default();
    let (engine, _log, _clock) = engine(steps.handlers()).await;
    let id = run(&engine, &three_branches(), json!({})).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().status,
        ExecutionStatus::Failed
    );
    assert_eq!(steps.names(), ["A1", "A2", "B0", "B1", "C1"]);

    steps.healed.store(true, Ordering::SeqCst);
    engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.output, Some(three_branches_output()));
    let calls = steps.calls.lock().clone();
    let mut names: Vec<&str> = calls.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["A2", "A3", "B1", "B2"], "A1, B0 and C1 kept");
    for (name, after) in &calls {
        match name.as_str() {
            "A2" => assert_eq!(after, &json!("A1"), "A2 got its recorded input"),
            "B1" => assert_eq!(after, &json!("B0"), "B1 got its recorded input"),
            _ => {}
        }
    }
    assert_ids_well_formed(&history(&engine, id));
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_nested_parallel_restarts_only_its_failed_branch_at_its_failed_state() {
    let steps = Steps::default();
    let (engine, _log, _clock) = engine(steps.handlers()).await;
    let definition = json!({"StartAt": "Outer", "States": {"Outer": {
    "Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "X1", "States": {
            "X1": task("X1", json!({}), Some("Inner")),
            "Inner": {"Type": "Parallel", "ResultPath": "$.Inner", "Next": "X2", "Branches": [
                {"StartAt": "P1", "States": {
                    "P1": task("P1", json!({}), Some("P2")),
                    "P2": task("P2", json!({"bad": true, "after.$": "$.P1"}), None)}},
                {"StartAt": "Q1", "States": {"Q1": task("Q1", json!({}), None)}}
            ]},
            "X2": task("X2", json!({}), None)}},
        {"StartAt": "Y1", "States": {"Y1": task("Y1", json!({}), None)}}
    ]}}});
    let id = run(&engine, &definition, json!({})).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().status,
        ExecutionStatus::Failed
    );
    assert_eq!(steps.names(), ["P1", "P2", "Q1", "X1", "Y1"]);

    steps.healed.store(true, Ordering::SeqCst);
    engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(steps.names(), ["P2", "X2"], "only P2 and what follows");
    assert_eq!(
        done.output,
        Some(json!([
            {"X1": "X1", "X2": "X2", "Inner": [
                {"X1": "X1", "P1": "P1", "P2": "P2"},
                {"X1": "X1", "Q1": "Q1"}
            ]},
            {"Y1": "Y1"}
        ]))
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_inline_map_iteration_restarts_at_its_failed_state() {
    let steps = Steps::default();
    let (engine, _log, _clock) = engine(steps.handlers()).await;
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "End": true,
        "ItemProcessor": {"StartAt": "S1", "States": {
            "S1": task("S1", json!({"item.$": "$.n"}), Some("S2")),
            "S2": task("S2", json!({"bad.$": "$.bad", "ms.$": "$.ms", "after.$": "$.S1"}), None)}}}}});
    // The bad item fails late, so the others have succeeded by then.
    let items = json!([
        {"n": 0, "bad": false, "ms": 0},
        {"n": 1, "bad": true, "ms": 10},
        {"n": 2, "bad": false, "ms": 0}
    ]);
    let id = run(&engine, &definition, json!({"items": items})).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().status,
        ExecutionStatus::Failed
    );
    steps.names();

    steps.healed.store(true, Ordering::SeqCst);
    engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    let calls = steps.calls.lock().clone();
    assert_eq!(calls, [("S2".to_string(), json!("S1"))], "item 1's S2 only");
    let output = done.output.unwrap();
    assert_eq!(output.as_array().unwrap().len(), 3);
    assert_eq!(output[1]["S2"], json!("S2"));
    engine.shutdown().await;
}

/// Branch A: A1, then A2 (slow); branch B: B1. Stopped while A2 runs.
fn stopped_in_a2() -> Value {
    json!({"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A1", "States": {
            "A1": task("A1", json!({}), Some("A2")),
            "A2": task("A2", json!({"ms": 60_000, "after.$": "$.A1"}), None)}},
        {"StartAt": "B1", "States": {"B1": task("B1", json!({}), None)}}
    ]}}})
}

async fn start_and_stop_in_a2(engine: &shoal_engine::Engine, steps: &Steps) -> ExecutionId {
    engine
        .register_state_machine("sm", &stopped_in_a2().to_string())
        .await
        .unwrap();
    let id = engine.start_execution("sm", None, json!({})).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    engine.stop_execution(id, "Stop", "test").await.unwrap();
    let stopped = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(stopped.status, ExecutionStatus::Aborted);
    assert_eq!(steps.names(), ["A1", "A2", "B1"]);
    id
}

#[tokio::test(start_paused = true)]
async fn a_stopped_parallel_reruns_only_its_unfinished_branch_from_where_it_stopped() {
    let steps = Steps::default();
    let (engine, _log, _clock) = engine(steps.handlers()).await;
    let id = start_and_stop_in_a2(&engine, &steps).await;
    engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(
        done.output,
        Some(json!([{"A1": "A1", "A2": "A2"}, {"B1": "B1"}]))
    );
    assert_eq!(steps.names(), ["A2"], "A1 and B1 kept");
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_earlier_versions_redrive_of_a_stopped_parallel_reruns_every_branch() {
    let steps = Steps::default();
    let (engine, log, clock) = engine(steps.handlers()).await;
    let id = start_and_stop_in_a2(&engine, &steps).await;
    engine.shutdown().await;
    record_old_redrive(&log, id, &stopped_in_a2(), ExecutionStatus::Aborted).await;
    let reopened = engine_on(&log, steps.handlers(), clock).await;
    let done = reopened.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(steps.names(), ["A1", "A2", "B1"], "every branch again");
    reopened.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_redrive_recorded_by_an_earlier_version_reruns_branches_from_their_start() {
    let steps = Steps::default();
    let (engine, log, clock) = engine(steps.handlers()).await;
    let definition = three_branches();
    let id = run(&engine, &definition, json!({})).await;
    engine.shutdown().await;
    steps.names();

    // What an earlier version made durable for redrive_execution.
    record_old_redrive(&log, id, &definition, ExecutionStatus::Failed).await;
    steps.healed.store(true, Ordering::SeqCst);
    let reopened = engine_on(&log, steps.handlers(), clock).await;
    assert_eq!(reopened.recovered(), 1);
    let done = reopened.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.output, Some(three_branches_output()));
    assert_eq!(
        steps.names(),
        ["A1", "A2", "A3", "B0", "B1", "B2"],
        "A and B from their start, C kept"
    );
    reopened.shutdown().await;
}

/// Replays `id`, steps `Input::Redrive` and commits its record with the
/// index row moved from `status` to RUNNING.
async fn record_old_redrive(
    log: &MemoryLog,
    id: ExecutionId,
    definition: &Value,
    status: ExecutionStatus,
) {
    let machine = Arc::new(StateMachine::from_json(&definition.to_string()).unwrap());
    let mut records = store::read_transitions(log, id).unwrap().into_iter();
    let first = records.next().unwrap();
    let (mut state, _) =
        interpreter::start(machine, &first.input, InterpreterOptions::default()).unwrap();
    for record in records {
        state = interpreter::step(&state, &record.input).unwrap().0;
    }
    let last = history_end_ms(log, id);
    let stamped = StampedInput {
        timestamp_ms: last + 1,
        seed: 7,
        input: Input::Redrive,
    };
    let (next, output) = interpreter::step(&state, &stamped).unwrap();
    let record = TransitionRecord {
        input: stamped,
        events: output.events,
    };
    let mut batch = WriteBatch::new();
    batch.append(
        StreamId(id.0),
        Seq(next.transitions()),
        store::TRANSITION_KIND,
        store::encode_transition(&record).unwrap(),
    );
    batch.delete(keys::EXECUTIONS, keys::execution_key(status, id));
    let row = ExecutionRow {
        name: id.to_string(),
        state_machine: "sm".into(),
        started_ms: state.started_ms(),
        stopped_ms: None,
        redrive_count: 1,
        redriven_ms: Some(last + 1),
    };
    batch.put(
        keys::EXECUTIONS,
        keys::execution_key(ExecutionStatus::Running, id),
        store::encode_execution_row(&row),
    );
    log.commit(batch).await.unwrap();
}

/// The time of the last recorded transition of `id`.
fn history_end_ms(log: &MemoryLog, id: ExecutionId) -> i64 {
    let last = log.last_seq(StreamId(id.0)).unwrap().unwrap();
    let records = log.read_stream(StreamId(id.0), last, 1).unwrap();
    store::decode_transition(&records[0].payload)
        .unwrap()
        .input
        .timestamp_ms
}
