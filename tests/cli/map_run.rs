//! Distributed Map through the binary: `--store`, `map-run`, and resume.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{path_str, Sandbox};

/// A DISTRIBUTED Map over `items.jsonl` in store `data`, each item slept
/// on for `ms` and returned doubled.
fn jsonl_map(ms: u64, concurrency: u32) -> Value {
    json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map",
        "MaxConcurrency": concurrency,
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSONL"},
            "Parameters": {"Bucket": "data", "Key": "items.jsonl"}
        },
        "ItemSelector": {"v.$": "$$.Map.Item.Value.v", "Milliseconds": ms},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Nap",
            "States": {
                "Nap": {"Type": "Task", "Resource": "shoal:sleep", "Next": "Double"},
                "Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($.v, $.v)"}, "End": true}
            }
        },
        "End": true
    }}})
}

fn write_items(sandbox: &Sandbox, count: usize) -> String {
    let lines: String = (0..count).map(|i| format!("{{\"v\":{i}}}\n")).collect();
    let path = sandbox.file("items.jsonl", &lines);
    format!("data=file://{}", path.parent().unwrap().display())
}

fn expected(count: usize) -> Value {
    Value::Array((0..count).map(|i| json!({"v": 2 * i})).collect())
}

#[test]
fn a_map_run_over_a_local_store_is_described_and_counted() {
    let sandbox = Sandbox::new();
    let store = write_items(&sandbox, 50);
    let def = sandbox.definition("fanout", &jsonl_map(1, 10));
    let run = sandbox
        .shoal(&["run", path_str(&def), "--store", &store, "--name", "m"])
        .expect_code(0);
    assert_eq!(run.json(), expected(50));

    let described = sandbox
        .shoal(&["describe", "m", "--json"])
        .expect_code(0)
        .json();
    let arns = described["mapRuns"].as_array().unwrap();
    assert_eq!(arns.len(), 1, "{described}");
    let arn = arns[0].as_str().unwrap();
    let map_run = sandbox
        .shoal(&["map-run", arn, "--json"])
        .expect_code(0)
        .json();
    assert_eq!(map_run["mapRunArn"], arn);
    assert_eq!(map_run["status"], "SUCCEEDED");
    assert_eq!(map_run["executionId"], described["executionId"]);
    assert_eq!(map_run["maxConcurrency"], 10);
    assert_eq!(map_run["itemsRead"], 50);
    assert_eq!(map_run["executionCounts"]["succeeded"], 50);
    assert_eq!(map_run["executionCounts"]["total"], 50);
    assert_eq!(map_run["executionCounts"]["running"], 0);
    // A child is described and its history read by its id.
    let child = format!("exec-{:016x}", (1_u64 << 63) | (1 << 28));
    let described_child = sandbox
        .shoal(&["describe", &child, "--json"])
        .expect_code(0)
        .json();
    assert_eq!(described_child["status"], "SUCCEEDED", "{described_child}");
    assert_eq!(described_child["output"], json!({"v": 0}));
    let history = sandbox
        .shoal(&["history", &child, "--json"])
        .expect_code(0)
        .json();
    assert_eq!(history["events"][0]["type"], "ExecutionStarted");
    let text = sandbox.shoal(&["map-run", arn]).expect_code(0).stdout();
    assert!(text.contains("50 succeeded"), "{text}");
    sandbox
        .shoal(&["map-run", "shoal:mapRun:nope"])
        .expect_code(3);
}

#[test]
fn a_missing_store_fails_the_execution_with_item_reader_failed() {
    let sandbox = Sandbox::new();
    let def = sandbox.definition("fanout", &jsonl_map(1, 10));
    let run = sandbox.shoal(&["run", path_str(&def)]).expect_code(1);
    assert!(
        run.stderr().contains("States.ItemReaderFailed"),
        "{}",
        run.stderr()
    );
    sandbox
        .shoal(&["run", path_str(&def), "--store", "data=ftp://x"])
        .expect_code(2);
}

#[test]
fn kill_9_during_a_map_run_then_resume_completes_every_item_once() {
    let sandbox = Sandbox::new();
    let store = write_items(&sandbox, 200);
    let def = sandbox.definition("fanout", &jsonl_map(20, 16));
    let mut child =
        sandbox.spawn_started(&["run", path_str(&def), "--store", &store, "--name", "m"]);
    std::thread::sleep(Duration::from_millis(150));
    child.kill().unwrap();
    child.wait().unwrap();
    sandbox.shoal(&["resume", "--store", &store]).expect_code(0);
    let described = sandbox
        .shoal(&["describe", "m", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(described["status"], "SUCCEEDED", "{described}");
    assert_eq!(described["output"], expected(200));
    let arn = described["mapRuns"][0].as_str().unwrap();
    let map_run = sandbox
        .shoal(&["map-run", arn, "--json"])
        .expect_code(0)
        .json();
    assert_eq!(map_run["executionCounts"]["total"], 200, "{map_run}");
    assert_eq!(map_run["executionCounts"]["succeeded"], 200, "{map_run}");
}

#[test]
fn stores_are_remembered_in_the_data_directory_and_replaced_by_name() {
    let sandbox = Sandbox::new();
    let store = write_items(&sandbox, 5);
    let def = sandbox.definition("fanout", &jsonl_map(1, 5));
    sandbox
        .shoal(&["run", path_str(&def), "--store", &store])
        .expect_code(0);
    let remembered: Value = serde_json::from_str(
        &std::fs::read_to_string(sandbox.data_dir().join("stores.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(remembered["data"], store.trim_start_matches("data="));
    // A later run needs no --store ...
    let run = sandbox.shoal(&["run", path_str(&def)]).expect_code(0);
    assert_eq!(run.json(), expected(5));
    // ... and one given again replaces the remembered URL.
    let run = sandbox
        .shoal(&["run", path_str(&def), "--store", "data=memory://"])
        .expect_code(1);
    assert!(
        run.stderr().contains("States.ItemReaderFailed"),
        "{}",
        run.stderr()
    );
}
