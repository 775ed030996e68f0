//! Redrive of a DISTRIBUTED Map's map run through its parent: a run that
//! failed by threshold re-runs exactly its failed and aborted children
//! (STANDARD from their failed state, EXPRESS from the start), dispatches
//! the items it never read, and ends with every result in item order; a
//! run whose reader failed starts afresh; a run left RUNNING by a crash
//! after its parent's stop is closed ABORTED at reopen.

#![allow(clippy::unwrap_used)]

mod maprun_support;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use maprun_support::{engine_with, map_definition, run};
use parking_lot::Mutex;
use serde_json::{json, Value};
use shoal_engine::asl::StateMachine;
use shoal_engine::interpreter::{self, Input, InterpreterOptions, StampedInput};
use shoal_engine::maprun::{MapRunOptions, MapRunStatus, MAP_RUNS};
use shoal_engine::store::{self, keys, ExecutionRow, TransitionRecord};
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{Engine, ExecutionId, ExecutionStatus, HistoryEventType};
use shoal_readers::{Store, StoreRegistry};
use shoal_storage::{EventLog, MemoryLog, Seq, StreamId, WriteBatch};

/// `item`: counts calls per item `v`; fails for the chosen items until
/// healed; items with `ms` sleep first.
#[derive(Clone)]
struct Items {
    calls: Arc<Mutex<BTreeMap<u64, usize>>>,
    failing: Arc<HashSet<u64>>,
    healed: Arc<AtomicBool>,
}

impl Items {
    fn new(failing: &[u64]) -> (HandlerRegistry, Items) {
        let items = Items {
            calls: Arc::default(),
            failing: Arc::new(failing.iter().copied().collect()),
            healed: Arc::default(),
        };
        let mut handlers = HandlerRegistry::new();
        let inner = items.clone();
        handlers.register_async("item", move |input: Value, _| {
            let items = inner.clone();
            async move {
                let v = input["v"].as_u64().unwrap_or(u64::MAX);
                *items.calls.lock().entry(v).or_default() += 1;
                let ms = input["ms"].as_u64().unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                if items.failing.contains(&v) && !items.healed.load(Ordering::SeqCst) {
                    return Err(TaskError::new("Item.Failed", format!("item {v}")));
                }
                Ok(json!(v))
            }
        });
        (handlers, items)
    }

    fn calls(&self) -> BTreeMap<u64, usize> {
        self.calls.lock().clone()
    }
}

/// 40 items; the failing ones fail at once, the others take 10 ms.
fn forty(failing: &[u64]) -> Value {
    Value::Array(
        (0..40u64)
            .map(|v| json!({"v": v, "ms": if failing.contains(&v) { 0 } else { 10 }}))
            .collect(),
    )
}

fn definition(express: bool) -> Value {
    let mut definition = map_definition(json!({
        "MaxConcurrency": 4,
        "ToleratedFailureCount": 2,
    }));
    let processor = &mut definition["States"]["M"]["ItemProcessor"];
    processor["States"]["W"]["Resource"] = json!("item");
    if express {
        processor["ProcessorConfig"]["ExecutionType"] = json!("EXPRESS");
    }
    definition
}

/// Each child's status, by item index (no ItemBatcher: child = item).
fn statuses(engine: &Engine, arn: &str) -> Vec<&'static str> {
    let children = engine.list_map_run_executions(arn).unwrap();
    children.into_iter().map(|(_, status)| status).collect()
}

/// Runs the 40 items with items 5, 12, 18 and 30 failing (count 2
/// tolerated): the run fails on the third failure with children running
/// and items not yet read. Redrives once healed and checks that exactly
/// the unsuccessful children and the unread items run again.
async fn redrive_after_threshold(express: bool) {
    let failing = [5, 12, 18, 30];
    let (handlers, items) = Items::new(&failing);
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let id = run(&engine, &definition(express), forty(&failing)).await;
    let failed = engine.describe_execution(id).unwrap();
    assert_eq!(failed.status, ExecutionStatus::Failed);
    assert_eq!(
        failed.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    let before = engine.describe_map_run(&arn).unwrap();
    assert_eq!(before.status, MapRunStatus::Failed);
    let counts = before.execution_counts;
    assert!(counts.failed >= 3, "{before:?}");
    assert_eq!(
        counts.pending_redrive,
        counts.failed + counts.aborted + counts.timed_out
    );
    assert_eq!(counts.failures_not_redrivable, 0);
    assert!(
        counts.total < 40,
        "the run stopped reading items: {before:?}"
    );
    let first_statuses = statuses(&engine, &arn);
    let first_calls = items.calls();

    items.healed.store(true, Ordering::SeqCst);
    engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.output, Some(json!((0..40).collect::<Vec<u64>>())));

    let calls = items.calls();
    for v in 0..40u64 {
        let before = first_calls.get(&v).copied().unwrap_or(0);
        let after = calls.get(&v).copied().unwrap_or(0);
        let expected = match first_statuses.get(v as usize) {
            Some(&"SUCCEEDED") => 0,
            // Failed, aborted, or never dispatched: exactly one more call.
            _ => 1,
        };
        assert_eq!(
            after - before,
            expected,
            "item {v} ({:?}) ran {before} then {after} times",
            first_statuses.get(v as usize)
        );
    }
    let after = engine.describe_map_run(&arn).unwrap();
    assert_eq!(after.status, MapRunStatus::Succeeded);
    assert_eq!(after.redrive_count, 1);
    assert!(after.redrive_date_ms.is_some());
    assert_eq!(after.execution_counts.succeeded, 40);
    assert_eq!(after.execution_counts.total, 40);
    assert_eq!(after.execution_counts.pending_redrive, 0);
    assert_eq!(after.item_counts.succeeded, 40);

    let parent: Vec<&str> = parent_kinds(&engine, id);
    let failed_at = parent.iter().position(|k| *k == "ExecutionFailed").unwrap();
    assert_eq!(
        &parent[failed_at..],
        [
            "ExecutionFailed",
            "ExecutionRedriven",
            "MapRunRedriven",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
    // A re-run child's history says it was redriven.
    let redriven_child = first_statuses.iter().position(|s| *s == "FAILED").unwrap();
    let (child, _) = engine.list_map_run_executions(&arn).unwrap()[redriven_child];
    let child_events = engine.get_execution_history(child, 0, usize::MAX).unwrap();
    assert!(
        child_events
            .iter()
            .any(|e| e.kind == HistoryEventType::ExecutionRedriven),
        "{child_events:?}"
    );
    assert_eq!(engine.describe_execution(child).unwrap().redrive_count, 1);
    engine.shutdown().await;
}

fn parent_kinds(engine: &Engine, id: ExecutionId) -> Vec<&'static str> {
    engine
        .get_execution_history(id, 0, usize::MAX)
        .unwrap()
        .iter()
        .map(|e| e.kind.name())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn redrive_after_a_threshold_failure_reruns_exactly_the_failed_standard_children() {
    redrive_after_threshold(false).await;
}

#[tokio::test(start_paused = true)]
async fn redrive_after_a_threshold_failure_reruns_exactly_the_failed_express_children() {
    redrive_after_threshold(true).await;
}

#[tokio::test(start_paused = true)]
async fn a_redriven_run_is_judged_again_and_can_be_redriven_again() {
    let failing = [5, 12, 18, 30];
    let (handlers, items) = Items::new(&failing);
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let id = run(&engine, &definition(false), forty(&failing)).await;
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();

    // Not healed: the re-run children fail again and the threshold (over
    // the whole run) fails the run again.
    let succeeded_first: Vec<u64> = statuses(&engine, &arn)
        .iter()
        .enumerate()
        .filter(|(_, s)| **s == "SUCCEEDED")
        .map(|(i, _)| i as u64)
        .collect();
    let calls_first = items.calls();
    engine.redrive_execution(id).await.unwrap();
    let again = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(again.status, ExecutionStatus::Failed);
    assert_eq!(
        again.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
    let run_again = engine.describe_map_run(&arn).unwrap();
    assert_eq!(
        (run_again.status, run_again.redrive_count),
        (MapRunStatus::Failed, 1)
    );
    for v in &succeeded_first {
        assert_eq!(
            items.calls().get(v),
            calls_first.get(v),
            "succeeded item {v} ran again"
        );
    }

    items.healed.store(true, Ordering::SeqCst);
    engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.redrive_count, 2);
    assert_eq!(done.output, Some(json!((0..40).collect::<Vec<u64>>())));
    let run_done = engine.describe_map_run(&arn).unwrap();
    assert_eq!(
        (run_done.status, run_done.redrive_count),
        (MapRunStatus::Succeeded, 2)
    );
    let redriven: Vec<Option<u32>> = engine
        .get_execution_history(id, 0, usize::MAX)
        .unwrap()
        .iter()
        .filter(|e| e.kind == HistoryEventType::MapRunRedriven)
        .map(|e| e.details.redrive_count)
        .collect();
    assert_eq!(redriven, [Some(1), Some(2)]);
    engine.shutdown().await;
}

#[tokio::test]
async fn a_run_whose_reader_failed_starts_afresh_on_redrive() {
    let store = Store::memory("mem");
    let mut stores = StoreRegistry::new();
    stores.insert("mem", store.clone());
    let (handlers, _items) = Items::new(&[]);
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new().with_stores(stores)).await;
    let mut definition = definition(false);
    definition["States"]["M"]["ItemReader"] = json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": "mem", "Key": "later.json"}
    });
    definition["States"]["M"]["ItemSelector"] = json!({"v.$": "$$.Map.Item.Value"});
    let id = run(&engine, &definition, json!({})).await;
    let failed = engine.describe_execution(id).unwrap();
    assert_eq!(failed.error.as_deref(), Some("States.ItemReaderFailed"));

    store
        .put("later.json", Bytes::from("[3,1,2]"))
        .await
        .unwrap();
    engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.output, Some(json!([3, 1, 2])));
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_run_left_running_by_a_crash_after_its_parent_stopped_is_aborted_at_reopen() {
    let (handlers, _items) = Items::new(&[]);
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let slow = Value::Array((0..20u64).map(|v| json!({"v": v, "ms": 60_000})).collect());
    engine
        .register_state_machine("sm", &definition(false).to_string())
        .await
        .unwrap();
    let id = engine.start_execution("sm", None, slow).await.unwrap();
    while engine.map_run_metrics().in_flight < 4 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    // The engine stops with the run in flight; then the parent's stop is
    // made durable as the engine would have, and the process "crashes"
    // before the map run sees it.
    engine.shutdown().await;
    stop_as_if_then_crashed(&log, id, &definition(false)).await;
    let key = shoal_engine::maprun::MapRunKey::from_arn(&arn).unwrap();
    let stored = log.get_row(MAP_RUNS, &key.row_key()).unwrap().unwrap();
    let row = shoal_engine::maprun::decode_row(&stored, "row").unwrap();
    assert_eq!(row.status, MapRunStatus::Running, "the orphan to recover");

    let (handlers, items) = Items::new(&[]);
    let reopened = engine_with(&log, handlers, MapRunOptions::new()).await;
    assert_eq!(reopened.recovered(), 0, "the parent ended");
    let aborted = loop {
        let run = reopened.describe_map_run(&arn).unwrap();
        if run.status != MapRunStatus::Running {
            break run;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    assert_eq!(aborted.status, MapRunStatus::Aborted);
    let counts = aborted.execution_counts;
    assert_eq!(counts.running, 0, "{aborted:?}");
    assert_eq!(counts.aborted + counts.succeeded, counts.total);
    assert!(items.calls().is_empty(), "nothing ran after the reopen");

    // The stopped parent can still be redriven: the same run finishes.
    items.healed.store(true, Ordering::SeqCst);
    reopened.redrive_execution(id).await.unwrap();
    let done = reopened.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.output, Some(json!((0..20).collect::<Vec<u64>>())));
    reopened.shutdown().await;
}

/// Appends `Stop` to the RUNNING execution `id` and moves its index row to
/// ABORTED, in one commit: what `stop_execution` makes durable before the
/// map run acts on it.
async fn stop_as_if_then_crashed(log: &MemoryLog, id: ExecutionId, definition: &Value) {
    let records = store::read_transitions(log, id).unwrap();
    let machine = Arc::new(StateMachine::from_json(&definition.to_string()).unwrap());
    let mut records = records.into_iter();
    let first = records.next().unwrap();
    let (mut state, _) =
        interpreter::start(machine, &first.input, InterpreterOptions::default()).unwrap();
    for record in records {
        state = interpreter::step(&state, &record.input).unwrap().0;
    }
    let stamped = StampedInput {
        timestamp_ms: state.started_ms() + 1,
        seed: 1,
        input: Input::Stop {
            error: "Stop".into(),
            cause: "test".into(),
        },
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
    batch.delete(
        keys::EXECUTIONS,
        keys::execution_key(ExecutionStatus::Running, id),
    );
    let row = ExecutionRow {
        name: id.to_string(),
        state_machine: "sm".into(),
        started_ms: state.started_ms(),
        stopped_ms: Some(state.started_ms() + 1),
        redrive_count: 0,
        redriven_ms: None,
    };
    batch.put(
        keys::EXECUTIONS,
        keys::execution_key(ExecutionStatus::Aborted, id),
        store::encode_execution_row(&row),
    );
    log.commit(batch).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn result_writer_records_carry_the_redrive_status_and_count() {
    let store = Store::memory("out");
    let mut stores = StoreRegistry::new();
    stores.insert("out", store.clone());
    let failing = [5, 12, 18, 30];
    let (handlers, items) = Items::new(&failing);
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new().with_stores(stores)).await;
    let mut definition = definition(false);
    definition["States"]["M"]["ResultWriter"] = json!({
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": "out", "Prefix": "results"}
    });
    let id = run(&engine, &definition, forty(&failing)).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().status,
        ExecutionStatus::Failed
    );
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    let run_id = arn.rsplit(':').next().unwrap();
    let manifest_key = format!("results/{run_id}/manifest.json");
    let records = |kind: &'static str| {
        let store = store.clone();
        let manifest_key = manifest_key.clone();
        async move {
            let manifest: Value =
                serde_json::from_slice(&store.get_small(&manifest_key, 1 << 20).await.unwrap())
                    .unwrap();
            let mut out = Vec::new();
            for file in manifest["ResultFiles"][kind].as_array().unwrap() {
                let key = file["Key"].as_str().unwrap();
                let text = store.get_small(key, 1 << 22).await.unwrap();
                let file: Value = serde_json::from_slice(&text).unwrap();
                out.extend(file.as_array().unwrap().iter().cloned());
            }
            out
        }
    };
    let failed = records("FAILED").await;
    assert!(!failed.is_empty());
    for record in &failed {
        assert_eq!(record["RedriveStatus"], "REDRIVABLE_BY_MAP_RUN", "{record}");
        assert_eq!(record["RedriveCount"], 0, "{record}");
    }

    items.healed.store(true, Ordering::SeqCst);
    engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    let succeeded = records("SUCCEEDED").await;
    assert_eq!(succeeded.len(), 40);
    let redriven = succeeded
        .iter()
        .filter(|record| record["RedriveCount"] == 1)
        .count();
    assert!(redriven >= 3, "the failed children were redriven once");
    assert!(succeeded
        .iter()
        .all(|record| record["RedriveStatus"] == "NOT_REDRIVABLE"));
    engine.shutdown().await;
}
