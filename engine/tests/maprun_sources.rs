//! Map runs reading through shoal-readers (a JSONL file on a local store,
//! a JSON array in a memory store) and `update_map_run` applied live.

#![allow(clippy::unwrap_used)]

mod maprun_support;

use std::time::Duration;

use bytes::Bytes;
use maprun_support::{engine_with, handlers, items, map_definition, run};
use serde_json::{json, Value};
use shoal_engine::maprun::{MapRunOptions, MapRunStatus, MapRunUpdate};
use shoal_engine::ExecutionStatus;
use shoal_readers::{Store, StoreRegistry};
use shoal_storage::MemoryLog;

#[tokio::test]
async fn a_jsonl_file_on_a_local_store_feeds_the_map_run() {
    let dir = tempfile::tempdir().unwrap();
    let lines: String = (0..250).map(|i| format!("{{\"v\":{i}}}\n")).collect();
    std::fs::write(dir.path().join("items.jsonl"), lines).unwrap();
    let mut stores = StoreRegistry::new();
    stores.insert("data", Store::local("data", dir.path()).unwrap());
    let (handlers, _gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new().with_stores(stores)).await;
    let definition = map_definition(json!({
        "MaxConcurrency": 7,
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSONL"},
            "Parameters": {"Bucket": "data", "Key.$": "$.key"}
        }
    }));
    let id = run(&engine, &definition, json!({"key": "items.jsonl"})).await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(
        done.output,
        Some(Value::Array((0..250).map(|i| json!(i)).collect()))
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn a_missing_bucket_or_object_fails_with_item_reader_failed() {
    let mut stores = StoreRegistry::new();
    let store = Store::memory("mem");
    store
        .put("list.json", Bytes::from("[1,2,3]"))
        .await
        .unwrap();
    stores.insert("mem", store);
    let (handlers, _gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new().with_stores(stores)).await;
    let reader = |bucket: &str, key: &str| {
        map_definition(json!({
            "ItemSelector": {"v.$": "$$.Map.Item.Value"},
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket": bucket, "Key": key}
            }
        }))
    };
    let id = run(&engine, &reader("mem", "list.json"), json!({})).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().output,
        Some(json!([1, 2, 3]))
    );
    for (bucket, key) in [("nowhere", "list.json"), ("mem", "absent.json")] {
        let id = run(&engine, &reader(bucket, key), json!({})).await;
        let done = engine.describe_execution(id).unwrap();
        assert_eq!(done.status, ExecutionStatus::Failed);
        assert_eq!(
            done.error.as_deref(),
            Some("States.ItemReaderFailed"),
            "{done:?}"
        );
    }
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn update_map_run_raises_max_concurrency_while_it_runs() {
    let (handlers, gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new()).await;
    let definition = map_definition(json!({"MaxConcurrency": 5}));
    engine
        .register_state_machine("sm", &definition.to_string())
        .await
        .unwrap();
    let id = engine
        .start_execution("sm", None, items(200, 1_000))
        .await
        .unwrap();
    while engine.map_run_metrics().in_flight < 5 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(gauge.peak(), 5, "MaxConcurrency 5 before the update");
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    let live = engine.describe_map_run(&arn).unwrap();
    assert_eq!(live.status, MapRunStatus::Running);
    assert_eq!(live.execution_counts.running, 5, "{live:?}");
    assert_eq!(live.item_counts.running, 5, "{live:?}");
    assert!(live.execution_counts.succeeded >= 5, "{live:?}");
    assert!(
        live.execution_counts.total < 200,
        "items are read only as far as the window needs: {live:?}"
    );
    let update = MapRunUpdate {
        max_concurrency: Some(30),
        tolerated_failure_count: Some(1),
        ..MapRunUpdate::default()
    };
    engine.update_map_run(&arn, update).await.unwrap();
    let described = engine.describe_map_run(&arn).unwrap();
    assert_eq!(described.max_concurrency, 30);
    assert_eq!(described.tolerated_failure_count, Some(1));
    engine.wait_for_completion(id).await.unwrap();
    assert_eq!(gauge.peak(), 30);
    assert_eq!(engine.map_run_metrics().peak_in_flight, 30);
    let described = engine.describe_map_run(&arn).unwrap();
    assert_eq!(described.status, MapRunStatus::Succeeded);
    let late = engine.update_map_run(&arn, MapRunUpdate::default()).await;
    assert!(late.is_err(), "an ended map run cannot be updated");
    engine.shutdown().await;
}

#[tokio::test]
async fn result_writer_exports_every_child_and_returns_the_manifest_reference() {
    let store = Store::memory("out");
    let mut stores = StoreRegistry::new();
    stores.insert("out", store.clone());
    let (handlers, _gauge) = handlers();
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new().with_stores(stores)).await;
    let definition = map_definition(json!({
        "ToleratedFailureCount": 5,
        "ResultWriter": {
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": "out", "Prefix": "results"},
            "WriterConfig": {"Transformation": "COMPACT", "OutputType": "JSON"}
        }
    }));
    let input: Vec<Value> = (0..10)
        .map(|i| json!({"v": i, "fail": i % 4 == 0}))
        .collect();
    let id = run(&engine, &definition, Value::Array(input)).await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    let output = done.output.unwrap();
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    assert_eq!(output["MapRunArn"], json!(arn));
    assert_eq!(output["ResultWriterDetails"]["Bucket"], json!("out"));
    let key = output["ResultWriterDetails"]["Key"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        key.starts_with("results/") && key.ends_with("/manifest.json"),
        "{key}"
    );
    let manifest: Value =
        serde_json::from_slice(&store.get_small(&key, 1 << 20).await.unwrap()).unwrap();
    let succeeded = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
        .as_str()
        .unwrap();
    let outputs: Value =
        serde_json::from_slice(&store.get_small(succeeded, 1 << 20).await.unwrap()).unwrap();
    assert_eq!(outputs, json!([1, 2, 3, 5, 6, 7, 9]));
    let failed = manifest["ResultFiles"]["FAILED"][0]["Key"]
        .as_str()
        .unwrap();
    let failures: Value =
        serde_json::from_slice(&store.get_small(failed, 1 << 20).await.unwrap()).unwrap();
    assert_eq!(failures.as_array().unwrap().len(), 3);
    engine.shutdown().await;
}

/// Items reach the map run as their JSON text (no `Value` built in the
/// reader); a line spelled with spaces and escapes must still start a child
/// whose input, and whose `ExecutionStarted` event, are exactly what they
/// were when items were `Value`s: the compact rendering.
#[tokio::test]
async fn items_spelled_loosely_start_children_with_compact_inputs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("items.jsonl"),
        " {\"v\" : 1, \"s\": \"caf\\u00e9\", \"n\": 1.50E1} \r\n{\"v\":2,\"k\":[ 1 , 2 ]}\n",
    )
    .unwrap();
    let expected = [
        (
            json!({"v": 1, "s": "café", "n": 15.0}),
            r#"{"v":1,"s":"café","n":15.0}"#,
        ),
        (json!({"v": 2, "k": [1, 2]}), r#"{"v":2,"k":[1,2]}"#),
    ];
    for execution_type in ["STANDARD", "EXPRESS"] {
        let mut stores = StoreRegistry::new();
        stores.insert("data", Store::local("data", dir.path()).unwrap());
        let (handlers, _gauge) = handlers();
        let log = MemoryLog::new();
        let engine = engine_with(&log, handlers, MapRunOptions::new().with_stores(stores)).await;
        let mut definition = map_definition(json!({
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSONL"},
                "Parameters": {"Bucket": "data", "Key": "items.jsonl"}
            }
        }));
        definition["States"]["M"]["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] =
            json!(execution_type);
        let id = run(&engine, &definition, json!({})).await;
        let done = engine.describe_execution(id).unwrap();
        assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
        assert_eq!(done.output, Some(json!([1, 2])));
        let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
        let mut children = engine.list_map_run_executions(&arn).unwrap();
        children.sort();
        assert_eq!(children.len(), 2);
        for ((child, _), (value, text)) in children.iter().zip(&expected) {
            assert_eq!(&engine.describe_execution(*child).unwrap().input, value);
            let history = engine.get_execution_history(*child, 0, usize::MAX).unwrap();
            assert_eq!(history[0].kind.name(), "ExecutionStarted");
            assert_eq!(
                history[0].details.input.as_deref(),
                Some(*text),
                "{execution_type}"
            );
        }
        engine.shutdown().await;
    }
}
