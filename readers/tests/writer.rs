//! The result writer: layout, transformations, rolling, idempotent re-runs.

use serde_json::{json, Value};
use shoal_readers::{
    Outcome, OutputType, ResultRecord, ResultWriter, Store, Transformation, WriterConfig,
    WriterOptions,
};

use crate::common::*;

fn record(i: u32, outcome: Outcome) -> ResultRecord {
    ResultRecord {
        execution_arn: format!("arn:aws:states:us-east-1:1:execution:sm/run:{i}"),
        input: json!({"i": i}),
        name: format!("child-{i}"),
        outcome,
        redrive_count: 0,
        redrive_status: "NOT_REDRIVABLE".into(),
        start_date: "2024-01-01T00:00:00.000Z".into(),
        state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:sm/run".into(),
        stop_date: Some("2024-01-01T00:00:01.000Z".into()),
    }
}

fn records(n: u32) -> Vec<ResultRecord> {
    (0..n)
        .map(|i| match i % 4 {
            0 => record(
                i,
                Outcome::Failed {
                    status: "FAILED".into(),
                    error: "Boom".into(),
                    cause: "bad item".into(),
                },
            ),
            1 => record(i, Outcome::Pending),
            2 => record(i, Outcome::Succeeded(json!([i, i + 1]))),
            _ => record(i, Outcome::Succeeded(json!({"out": i}))),
        })
        .collect()
}

async fn write(store: &Store, config: WriterConfig, n: u32, file_bytes: usize) -> Value {
    let mut writer = ResultWriter::new(
        store.clone(),
        "results",
        "out/",
        "run-1",
        "arn:aws:states:us-east-1:1:mapRun:sm/label:run-1",
        config,
        WriterOptions::new().with_file_bytes_max(file_bytes),
    );
    for r in records(n) {
        writer.push(&r).await.unwrap();
    }
    writer.finish().await.unwrap()
}

async fn read_json(store: &Store, key: &str) -> Value {
    let bytes = store.get_small(key, 1 << 20).await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn check_layout(store: &Store) {
    let details = write(store, WriterConfig::default(), 12, 400).await;
    assert_eq!(
        details,
        json!({"Bucket": "results", "Key": "out/run-1/manifest.json"})
    );
    let manifest = read_json(store, "out/run-1/manifest.json").await;
    let top: Vec<&str> = manifest
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(top, ["DestinationBucket", "MapRunArn", "ResultFiles"]);
    let groups: Vec<&str> = manifest["ResultFiles"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(groups, ["FAILED", "PENDING", "SUCCEEDED"]);
    let succeeded = manifest["ResultFiles"]["SUCCEEDED"].as_array().unwrap();
    assert!(
        succeeded.len() >= 2,
        "files roll at the size bound: {manifest}"
    );
    assert_eq!(succeeded[0]["Key"], json!("out/run-1/SUCCEEDED_0.json"));
    let mut all = Vec::new();
    for file in succeeded {
        let key = file["Key"].as_str().unwrap();
        assert_eq!(
            store.head(key).await.unwrap().size,
            file["Size"].as_u64().unwrap()
        );
        all.extend(read_json(store, key).await.as_array().unwrap().clone());
    }
    assert_eq!(all.len(), 6);
    let first = &all[0];
    let fields: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "ExecutionArn",
            "Input",
            "InputDetails",
            "Name",
            "Output",
            "OutputDetails",
            "RedriveCount",
            "RedriveStatus",
            "StartDate",
            "StateMachineArn",
            "Status",
            "StopDate"
        ]
    );
    assert_eq!(first["Input"], json!("{\"i\":2}"));
    assert_eq!(first["Output"], json!("[2,3]"));
    let failed = read_json(
        store,
        manifest["ResultFiles"]["FAILED"][0]["Key"]
            .as_str()
            .unwrap(),
    )
    .await;
    assert_eq!(failed[0]["Error"], json!("Boom"));
    assert_eq!(failed[0]["Status"], json!("FAILED"));
}

#[test]
fn writes_the_step_functions_layout_in_memory() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(check_layout(&Store::memory("results")));
}

#[test]
fn writes_the_step_functions_layout_on_s3() {
    let Some(store) = s3_store(TEST_BUCKET) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(check_layout(&store.with_prefix(&unique_prefix("writer"))));
}

#[test]
fn compact_flatten_and_jsonl() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::memory("results");
        let config = WriterConfig {
            transformation: Transformation::Flatten,
            output_type: OutputType::Json,
        };
        write(&store, config, 8, 1 << 20).await;
        assert_eq!(
            read_json(&store, "out/run-1/SUCCEEDED_0.json").await,
            json!([2, 3, {"out": 3}, 6, 7, {"out": 7}])
        );
        let config = WriterConfig {
            transformation: Transformation::Compact,
            output_type: OutputType::Jsonl,
        };
        write(&store, config, 8, 1 << 20).await;
        let body = store
            .get_small("out/run-1/SUCCEEDED_0.json", 1 << 20)
            .await
            .unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            "[2,3]\n{\"out\":3}\n[6,7]\n{\"out\":7}\n"
        );
        // Failed records stay whole under COMPACT.
        let failed = store
            .get_small("out/run-1/FAILED_0.json", 1 << 20)
            .await
            .unwrap();
        let first: Value =
            serde_json::from_slice(failed.split(|b| *b == b'\n').next().unwrap()).unwrap();
        assert_eq!(first["Cause"], json!("bad item"));
        let parsed: WriterConfig =
            serde_json::from_value(json!({"Transformation": "FLATTEN", "OutputType": "JSONL"}))
                .unwrap();
        assert_eq!(
            parsed,
            WriterConfig {
                transformation: Transformation::Flatten,
                output_type: OutputType::Jsonl
            }
        );
    });
}

#[test]
fn reruns_overwrite_and_remove_stale_files() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::memory("results");
        write(&store, WriterConfig::default(), 40, 300).await;
        let before = read_json(&store, "out/run-1/manifest.json").await;
        write(&store, WriterConfig::default(), 40, 300).await;
        assert_eq!(read_json(&store, "out/run-1/manifest.json").await, before, "same records, same files");
        write(&store, WriterConfig::default(), 8, 300).await;
        let after = read_json(&store, "out/run-1/manifest.json").await;
        let listed = read_all(&spec(json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "results", "Prefix": "out/run-1/"}})), &store, 100, &Default::default()).await.unwrap();
        let in_manifest: usize = ["FAILED", "PENDING", "SUCCEEDED"].iter().map(|g| after["ResultFiles"][g].as_array().unwrap().len()).sum();
        assert_eq!(listed.len(), in_manifest + 1, "only the manifest's files and the manifest remain");
    });
}
