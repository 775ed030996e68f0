//! A DISTRIBUTED Map inside a Parallel branch: when the branch fails at
//! that Map state, redriving the parent redrives the same map run (not a
//! new one), as at the top level: only its failed children run again.

#![allow(clippy::unwrap_used)]

mod maprun_support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use maprun_support::{engine_with, map_definition, run};
use parking_lot::Mutex;
use serde_json::{json, Value};
use shoal_engine::maprun::{MapRunOptions, MapRunStatus};
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{ExecutionStatus, HistoryEventType};
use shoal_storage::MemoryLog;

#[tokio::test(start_paused = true)]
async fn a_distributed_map_in_a_failed_branch_redrives_its_own_map_run() {
    let calls: Arc<Mutex<BTreeMap<u64, usize>>> = Arc::default();
    let healed = Arc::new(AtomicBool::new(false));
    let mut handlers = HandlerRegistry::new();
    let (seen, ok) = (Arc::clone(&calls), Arc::clone(&healed));
    handlers.register_async("item", move |input: Value, _| {
        let v = input["v"].as_u64().unwrap();
        *seen.lock().entry(v).or_default() += 1;
        let fail = v % 4 == 1 && !ok.load(Ordering::SeqCst);
        async move {
            if fail {
                Err(TaskError::new("Item.Failed", format!("item {v}")))
            } else {
                Ok(json!(v))
            }
        }
    });
    let engine = engine_with(&MemoryLog::new(), handlers, MapRunOptions::new()).await;
    let mut map = map_definition(json!({"MaxConcurrency": 2}))["States"]["M"].clone();
    map["ItemProcessor"]["States"]["W"]["Resource"] = json!("item");
    let definition = json!({"StartAt": "Both", "States": {"Both": {
    "Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "M", "States": {"M": map}},
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "other", "End": true}}}
    ]}}});
    let items: Vec<Value> = (0..12u64).map(|v| json!({"v": v})).collect();
    let id = run(&engine, &definition, Value::Array(items)).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().status,
        ExecutionStatus::Failed
    );
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    assert_eq!(
        engine.describe_map_run(&arn).unwrap().status,
        MapRunStatus::Failed
    );
    let first = calls.lock().clone();
    let first_statuses = engine.list_map_run_executions(&arn).unwrap();

    healed.store(true, Ordering::SeqCst);
    engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(
        done.output,
        Some(json!([(0..12).collect::<Vec<u64>>(), "other"]))
    );
    assert_eq!(
        engine.list_map_runs(id).unwrap(),
        [arn.as_str()],
        "the same run"
    );
    let after = engine.describe_map_run(&arn).unwrap();
    assert_eq!(after.status, MapRunStatus::Succeeded);
    assert_eq!(after.redrive_count, 1);
    let calls = calls.lock().clone();
    for v in 0..12u64 {
        let before = first.get(&v).copied().unwrap_or(0);
        let now = calls.get(&v).copied().unwrap_or(0);
        match first_statuses.get(v as usize) {
            // Succeeded children keep their result.
            Some((_, "SUCCEEDED")) => assert_eq!(now, before, "item {v}"),
            // Failed, aborted or never dispatched: exactly once more.
            _ => assert_eq!(now, before + 1, "item {v}"),
        }
    }
    let kinds: Vec<HistoryEventType> = engine
        .get_execution_history(id, 0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert!(kinds.contains(&HistoryEventType::MapRunRedriven));
    engine.shutdown().await;
}
