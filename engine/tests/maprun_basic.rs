//! DISTRIBUTED Map: results in item order, the parent's fixed history,
//! ItemSelector context values, ItemBatcher limits, MaxConcurrency
//! measured, describe / list map runs.

#![allow(clippy::unwrap_used)]

mod maprun_support;

use maprun_support::{engine_with, handlers, items, map_definition, run};
use serde_json::{json, Value};
use shoal_engine::maprun::{MapRunOptions, MapRunStatus};
use shoal_engine::ExecutionStatus;
use shoal_storage::{EventLog, MemoryLog};

#[tokio::test(start_paused = true)]
async fn results_come_in_item_order_and_the_parent_history_does_not_grow() {
    let (handlers, _gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    // Later items finish first.
    let input: Vec<Value> = (0..50)
        .map(|i| json!({"v": i, "ms": 500 - i * 10}))
        .collect();
    let definition = map_definition(json!({"Label": "order", "MaxConcurrency": 50}));
    let id = run(&engine, &definition, Value::Array(input)).await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(
        done.output,
        Some(Value::Array((0..50).map(|i| json!(i)).collect()))
    );
    let history = engine.get_execution_history(id, 0, usize::MAX).unwrap();
    let kinds: Vec<&str> = history.iter().map(|e| e.kind.name()).collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
    let arn = history[3].details.map_run_arn.clone().unwrap();
    assert!(arn.contains("sm/order:"), "{arn}");
    assert_eq!(history[2].details.length, Some(0));
    assert_eq!(engine.list_map_runs(id).unwrap(), vec![arn.clone()]);
    let run = engine.describe_map_run(&arn).unwrap();
    assert_eq!(run.status, MapRunStatus::Succeeded);
    assert_eq!(run.execution, id);
    assert_eq!(run.max_concurrency, 50);
    assert_eq!(run.execution_counts.succeeded, 50);
    assert_eq!(run.execution_counts.total, 50);
    assert_eq!(run.item_counts.succeeded, 50);
    assert_eq!(run.execution_counts.running, 0);
    let children = engine.list_map_run_executions(&arn).unwrap();
    assert_eq!(children.len(), 50);
    assert!(children.iter().all(|(_, status)| *status == "SUCCEEDED"));
    // Each child has its own history.
    let child = engine
        .get_execution_history(children[7].0, 0, usize::MAX)
        .unwrap();
    assert_eq!(child.first().unwrap().kind.name(), "ExecutionStarted");
    assert_eq!(child.last().unwrap().kind.name(), "ExecutionSucceeded");
    assert_eq!(child.last().unwrap().details.output.as_deref(), Some("7"));
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn item_selector_sees_the_item_index_value_and_the_state_input() {
    let (handlers, _gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let definition = map_definition(json!({
        "ItemsPath": "$.list",
        "ItemSelector": {
            "v": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "tag.$": "$.tag"}
        },
        "ResultPath": "$.out"
    }));
    let input = json!({"tag": "t", "list": ["a", "b", "c"]});
    let id = run(&engine, &definition, input).await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(
        done.output.unwrap()["out"],
        json!([
            {"index": 0, "value": "a", "tag": "t"},
            {"index": 1, "value": "b", "tag": "t"},
            {"index": 2, "value": "c", "tag": "t"}
        ])
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn item_batcher_groups_by_count_and_by_bytes_with_batch_input() {
    let (handlers, _gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let by_count = map_definition(json!({
        "ItemBatcher": {"MaxItemsPerBatch": 3, "BatchInput": {"b.$": "$.b"}},
        "ItemsPath": "$.list"
    }));
    let list: Vec<Value> = (0..7).map(|i| json!(i)).collect();
    let id = run(&engine, &by_count, json!({"b": 9, "list": list})).await;
    let output = engine.describe_execution(id).unwrap().output.unwrap();
    assert_eq!(
        output,
        json!([
            {"BatchInput": {"b": 9}, "Items": [0, 1, 2]},
            {"BatchInput": {"b": 9}, "Items": [3, 4, 5]},
            {"BatchInput": {"b": 9}, "Items": [6]}
        ])
    );
    // Each item "xxxx" is 6 bytes plus a separator: 3 fit in 21 bytes, 4 do not.
    let by_bytes = map_definition(json!({
        "ItemBatcher": {"MaxInputBytesPerBatch": 21},
        "ItemsPath": "$.list"
    }));
    let list: Vec<Value> = (0..7).map(|_| json!("xxxx")).collect();
    let id = run(&engine, &by_bytes, json!({"list": list})).await;
    let output = engine.describe_execution(id).unwrap().output.unwrap();
    let sizes: Vec<usize> = output
        .as_array()
        .unwrap()
        .iter()
        .map(|batch| batch["Items"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![3, 3, 1]);
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    let run = engine.describe_map_run(&arn).unwrap();
    assert_eq!(run.execution_counts.total, 3);
    assert_eq!(run.item_counts.total, 7);
    engine.shutdown().await;
}

async fn peak_for(max_concurrency: Option<u64>, count: usize) -> (usize, usize) {
    let (handlers, gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let extra = match max_concurrency {
        Some(n) => json!({"MaxConcurrency": n}),
        None => json!({}),
    };
    let id = run(&engine, &map_definition(extra), items(count, 1_000)).await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    let peak_children = engine.map_run_metrics().peak_in_flight;
    engine.shutdown().await;
    (gauge.peak(), peak_children)
}

#[tokio::test(start_paused = true)]
async fn max_concurrency_is_reached_and_never_passed() {
    assert_eq!(peak_for(Some(1), 5).await, (1, 1));
    assert_eq!(peak_for(Some(40), 200).await, (40, 40));
}

#[tokio::test(start_paused = true)]
async fn ten_thousand_children_run_at_once_by_default() {
    assert_eq!(peak_for(None, 12_000).await, (10_000, 10_000));
}

#[tokio::test(start_paused = true)]
async fn express_children_record_only_their_inputs_and_outcomes() {
    let (handlers, gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let mut definition = map_definition(json!({"MaxConcurrency": 8}));
    definition["States"]["M"]["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] =
        json!("EXPRESS");
    let before = log.metrics().records;
    let id = run(&engine, &definition, items(40, 100)).await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(
        done.output,
        Some(Value::Array((0..40).map(|i| json!(i)).collect()))
    );
    assert_eq!(gauge.peak(), 8);
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    let run = engine.describe_map_run(&arn).unwrap();
    assert!(run.express);
    assert_eq!(run.execution_counts.succeeded, 40);
    let children = engine.list_map_run_executions(&arn).unwrap();
    assert!(children
        .iter()
        .all(|(id, _)| shoal_engine::maprun::is_express_child(*id)));
    let kinds: Vec<&str> = engine
        .get_execution_history(children[3].0, 0, usize::MAX)
        .unwrap()
        .iter()
        .map(|e| e.kind.name())
        .collect();
    assert_eq!(kinds, ["ExecutionStarted", "ExecutionSucceeded"]);
    let child = engine.describe_execution(children[3].0).unwrap();
    assert_eq!(child.input, json!({"v": 3, "ms": 100}));
    assert_eq!(child.output, Some(json!(3)));
    // The parent's records, one per child outcome, and one inputs record
    // per dispatch: far fewer than a STANDARD child's three transitions.
    let records = log.metrics().records - before;
    assert!(
        (40..60).contains(&records),
        "{records} records for 40 EXPRESS children"
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_empty_item_list_succeeds_with_no_children() {
    let (handlers, _gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let id = run(&engine, &map_definition(json!({})), json!([])).await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.output, Some(json!([])));
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    assert_eq!(
        engine
            .describe_map_run(&arn)
            .unwrap()
            .execution_counts
            .total,
        0
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_distributed_map_inside_a_parallel_branch_runs_its_own_processor() {
    let (handlers, _gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let inner = map_definition(json!({"ItemSelector": {"v.$": "$$.Map.Item.Index"}}));
    let definition = json!({
        "StartAt": "P",
        "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "Skip", "States": {"Skip": {"Type": "Pass", "End": true}}},
            inner
        ]}}
    });
    let id = run(&engine, &definition, json!(["a", "b", "c"])).await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.output, Some(json!([["a", "b", "c"], [0, 1, 2]])));
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn result_path_null_skips_the_results_and_keeps_the_input() {
    let (handlers, _gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let definition = map_definition(json!({"ResultPath": null}));
    let input = json!([{"v": 1, "ms": 1}, {"v": 2, "ms": 1}]);
    let id = run(&engine, &definition, input.clone()).await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.output, Some(input));
    let history = engine.get_execution_history(id, 0, usize::MAX).unwrap();
    let succeeded = history
        .iter()
        .find(|e| e.kind.name() == "MapStateSucceeded")
        .unwrap();
    assert_eq!(succeeded.details.output.as_deref(), Some("null"));
    let arn = engine.list_map_runs(id).unwrap().remove(0);
    let run = engine.describe_map_run(&arn).unwrap();
    assert_eq!(run.execution_counts.succeeded, 2);
    engine.shutdown().await;
}
