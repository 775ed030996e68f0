//! Every `--json` output parses and has exactly the fields docs/cli.md
//! documents: a field added or renamed must be documented there (and here).

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::support::{path_str, Sandbox};

const DESCRIPTION: &[&str] = &[
    "executionId",
    "name",
    "stateMachine",
    "definitionHash",
    "status",
    "input",
    "output",
    "error",
    "cause",
    "startDate",
    "stopDate",
    "mapRuns",
    "redriveCount",
    "redriveDate",
    "redriveStatus",
    "redriveStatusReason",
];
const LIST_ENTRY: &[&str] = &[
    "executionId",
    "name",
    "stateMachine",
    "status",
    "startDate",
    "stopDate",
];
const EVENT: &[&str] = &["id", "previousEventId", "timestampMs", "type", "details"];
const EVENT_DETAILS: &[&str] = &[
    "name",
    "input",
    "output",
    "error",
    "cause",
    "resource",
    "attempt",
    "index",
    "length",
    "timeoutSeconds",
    "heartbeatSeconds",
    "mapRunArn",
    "redriveCount",
];
const MAP_RUN: &[&str] = &[
    "mapRunArn",
    "executionId",
    "state",
    "label",
    "status",
    "startDate",
    "stopDate",
    "maxConcurrency",
    "toleratedFailureCount",
    "toleratedFailurePercentage",
    "itemsRead",
    "executionCounts",
    "redriveCount",
    "redriveDate",
    "error",
    "cause",
];
const EXECUTION_COUNTS: &[&str] = &[
    "running",
    "succeeded",
    "failed",
    "timedOut",
    "aborted",
    "total",
    "pendingRedrive",
    "failuresNotRedrivable",
];

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

fn assert_fields(what: &str, value: &Value, documented: &[&str]) {
    let documented: BTreeSet<String> = documented.iter().map(|k| k.to_string()).collect();
    assert_eq!(
        keys(value),
        documented,
        "{what}: fields differ from docs/cli.md: {value}"
    );
}

/// A Map over three items (one fails, tolerated) and then a Parallel, so
/// that history has map-run, task and branch events.
fn workflow() -> Value {
    json!({"StartAt": "Each", "States": {
        "Each": {
            "Type": "Map", "Label": "Adder", "MaxConcurrency": 2, "ToleratedFailureCount": 1,
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"},
                           "Parameters": {"Bucket": "data", "Key": "items.jsonl"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Add", "States": {"Add": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($.v, 1)"}, "End": true}}},
            "ResultPath": "$.results", "Next": "Both"},
        "Both": {"Type": "Parallel", "ResultPath": null, "End": true, "Branches": [
            {"StartAt": "Echo", "States": {"Echo": {"Type": "Task", "Resource": "shoal:noop", "TimeoutSeconds": 5, "End": true}}}]}
    }})
}

#[test]
fn every_inspection_command_prints_the_documented_fields() {
    let sandbox = Sandbox::new();
    let items = sandbox.file("items.jsonl", "{\"v\":1}\n{\"v\":2}\n{\"v\":\"x\"}\n");
    let store = format!("data=file://{}", items.parent().unwrap().display());
    let def = sandbox.definition("adder", &workflow());

    let ran = sandbox
        .shoal(&[
            "run",
            path_str(&def),
            "--store",
            &store,
            "--name",
            "j",
            "--json",
        ])
        .expect_code(0)
        .json();
    assert_fields("run --json", &ran, DESCRIPTION);
    assert_eq!(ran["output"]["results"][1], json!({"v": 3}));

    let described = sandbox
        .shoal(&["describe", "j", "--json"])
        .expect_code(0)
        .json();
    assert_fields("describe --json", &described, DESCRIPTION);
    assert_eq!(described, ran, "run --json prints the describe shape");

    let listed = sandbox.shoal(&["list", "--json"]).expect_code(0).json();
    assert_fields("list --json", &listed, &["executions"]);
    assert_fields("list entry", &listed["executions"][0], LIST_ENTRY);

    let history = sandbox
        .shoal(&["history", "j", "--json"])
        .expect_code(0)
        .json();
    assert_fields("history --json", &history, &["executionId", "events"]);
    let mut scoped = 0;
    for event in history["events"].as_array().unwrap() {
        // `scope` is there only for events inside Parallel branches and inline Map iterations.
        let mut fields = EVENT.to_vec();
        if event.get("scope").is_some() {
            scoped += 1;
            fields.push("scope");
        }
        assert_fields("history event", event, &fields);
        let allowed: BTreeSet<String> = EVENT_DETAILS.iter().map(|k| k.to_string()).collect();
        assert!(
            keys(&event["details"]).is_subset(&allowed),
            "undocumented detail in {event}"
        );
    }
    assert!(scoped > 0, "the Parallel branch's events carry a scope");

    let arn = described["mapRuns"][0].as_str().unwrap();
    let map_run = sandbox
        .shoal(&["map-run", arn, "--json"])
        .expect_code(0)
        .json();
    assert_fields("map-run --json", &map_run, MAP_RUN);
    assert_fields(
        "executionCounts",
        &map_run["executionCounts"],
        EXECUTION_COUNTS,
    );
    assert_eq!(map_run["label"], "Adder");
    assert_eq!(map_run["toleratedFailureCount"], 1);
    assert_eq!(map_run["executionCounts"]["failed"], 1);

    let valid = sandbox
        .shoal(&["validate", path_str(&def), "--json"])
        .expect_code(0)
        .json();
    assert_fields("validate --json", &valid, &["valid", "errors"]);
}

#[test]
fn resume_stop_and_validate_print_the_documented_fields() {
    let sandbox = Sandbox::new();
    let def = sandbox.definition(
        "waits",
        &json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}),
    );
    let mut child = sandbox.spawn_started(&["run", path_str(&def), "--name", "short"]);
    child.kill().unwrap();
    child.wait().unwrap();
    let resumed = sandbox.shoal(&["resume", "--json"]).expect_code(0).json();
    assert_fields("resume --json", &resumed, &["executions"]);
    assert_fields("resume entry", &resumed["executions"][0], DESCRIPTION);
    assert_eq!(resumed["executions"][0]["name"], "short");

    let sandbox = Sandbox::new();
    let def = sandbox.definition(
        "waits",
        &json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}),
    );
    let mut child = sandbox.spawn_started(&["run", path_str(&def), "--name", "long"]);
    child.kill().unwrap();
    child.wait().unwrap();
    let stopped = sandbox
        .shoal(&["stop", "long", "--json"])
        .expect_code(0)
        .json();
    assert_fields("stop --json", &stopped, DESCRIPTION);

    let bad = sandbox.definition(
        "bad",
        &json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}),
    );
    let invalid = sandbox
        .shoal(&["validate", path_str(&bad), "--json"])
        .expect_code(2)
        .json();
    assert_fields("validate --json", &invalid, &["valid", "errors"]);
    assert_fields(
        "validate error",
        &invalid["errors"][0],
        &["state", "field", "message"],
    );
}
