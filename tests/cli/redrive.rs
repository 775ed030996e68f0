//! `shoal redrive` through the binary: a Distributed Map whose children
//! fail until a file appears is redriven once it does; only the failed
//! children run again, and describe / map-run show the redrive.

use serde_json::{json, Value};

use crate::support::{path_str, Sandbox};

/// Eight items; items 2 and 5 fail until `heal` exists. Each call appends
/// the item's `v` to `calls`.
fn flaky_map(heal: &str, calls: &str) -> Value {
    let script = format!(
        "input=$(cat); echo \"$input\" >> '{calls}'; \
         case \"$input\" in *'\"bad\":true'*) [ -f '{heal}' ] || {{ echo broken >&2; exit 3; }};; esac; \
         printf '%s' \"$input\""
    );
    json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map",
        "ItemsPath": "$.items",
        "MaxConcurrency": 2,
        "ToleratedFailureCount": 1,
        "ItemSelector": {
            "Command": ["sh", "-c", script],
            "v.$": "$$.Map.Item.Value",
            "bad.$": "States.ArrayContains($.bad, $$.Map.Item.Value)"
        },
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Call",
            "States": {"Call": {"Type": "Task", "Resource": "shoal:command", "End": true}}
        },
        "End": true
    }}})
}

fn calls_of(path: &std::path::Path) -> Vec<u64> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut calls: Vec<u64> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|item| item["v"].as_u64())
        .collect();
    calls.sort_unstable();
    calls
}

#[test]
fn a_failed_map_run_is_redriven_from_the_command_line() {
    let sandbox = Sandbox::new();
    let heal = sandbox.file("healed.marker", "");
    std::fs::remove_file(&heal).unwrap();
    let calls = sandbox.file("calls.log", "");
    let def = sandbox.definition("flaky", &flaky_map(path_str(&heal), path_str(&calls)));
    let input = json!({"items": [0, 1, 2, 3, 4, 5, 6, 7], "bad": [2, 5]}).to_string();
    let failed = sandbox
        .shoal(&["run", path_str(&def), "--name", "job", "--input", &input])
        .expect_code(1);
    assert!(
        failed
            .stderr()
            .contains("States.ExceedToleratedFailureThreshold"),
        "{}",
        failed.stderr()
    );
    let described = sandbox
        .shoal(&["describe", "job", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(described["status"], "FAILED");
    assert_eq!(described["redriveStatus"], "REDRIVABLE");
    assert_eq!(described["redriveCount"], 0);
    let arn = described["mapRuns"][0].as_str().unwrap().to_string();
    let before = sandbox
        .shoal(&["map-run", &arn, "--json"])
        .expect_code(0)
        .json();
    let counts = &before["executionCounts"];
    let failures = counts["failed"].as_u64().unwrap()
        + counts["aborted"].as_u64().unwrap()
        + counts["timedOut"].as_u64().unwrap();
    assert_eq!(
        counts["pendingRedrive"].as_u64(),
        Some(failures),
        "{before}"
    );
    let calls_before = calls_of(&calls);
    let succeeded_before: Vec<u64> = (0..8)
        .filter(|v| child_status(&sandbox, *v) == "SUCCEEDED")
        .collect();
    assert!(!succeeded_before.contains(&2) && !succeeded_before.contains(&5));
    assert_eq!(
        sandbox
            .shoal(&["describe", &child(2), "--json"])
            .expect_code(0)
            .json()["redriveStatus"],
        "REDRIVABLE_BY_MAP_RUN"
    );

    std::fs::write(&heal, "").unwrap();
    let redriven = sandbox
        .shoal(&["redrive", "job", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(redriven["status"], "SUCCEEDED", "{redriven}");
    assert_eq!(redriven["redriveCount"], 1);
    assert!(redriven["redriveDate"].is_string(), "{redriven}");
    let outputs: Vec<u64> = redriven["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["v"].as_u64().unwrap())
        .collect();
    assert_eq!(
        outputs,
        (0..8).collect::<Vec<u64>>(),
        "results in item order"
    );
    // Items that succeeded before ran once; the others once more.
    let calls_after = calls_of(&calls);
    for v in 0..8u64 {
        let before = calls_before.iter().filter(|c| **c == v).count();
        let after = calls_after.iter().filter(|c| **c == v).count();
        if succeeded_before.contains(&v) {
            assert_eq!(after, before, "item {v} succeeded and must not run again");
        } else {
            assert_eq!(after, before + 1, "item {v} runs once more");
        }
    }
    let map_run = sandbox
        .shoal(&["map-run", &arn, "--json"])
        .expect_code(0)
        .json();
    assert_eq!(map_run["status"], "SUCCEEDED");
    assert_eq!(map_run["redriveCount"], 1);
    assert_eq!(map_run["executionCounts"]["succeeded"], 8);
    let human = sandbox.shoal(&["map-run", &arn]).expect_code(0).stdout();
    assert!(human.contains("Redrives"), "{human}");

    let history = sandbox
        .shoal(&["history", "job", "--json"])
        .expect_code(0)
        .json();
    let kinds: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"ExecutionRedriven") && kinds.contains(&"MapRunRedriven"),
        "{kinds:?}"
    );

    let again = sandbox.shoal(&["redrive", "job"]).expect_code(5);
    assert!(again.stderr().contains("SUCCEEDED"), "{}", again.stderr());
    sandbox.shoal(&["redrive", "nobody"]).expect_code(3);
}

/// The id of child `index` of the data directory's first map run (run
/// number 1; ids are bit 63, the run number, then the index).
fn child(index: u64) -> String {
    format!("exec-{:016x}", (1u64 << 63) | (1 << 28) | index)
}

/// The child's status, or `NOT_DISPATCHED` when the run never read its
/// item (no such execution).
fn child_status(sandbox: &Sandbox, index: u64) -> String {
    let described = sandbox.shoal(&["describe", &child(index), "--json"]);
    if described.code() == 3 {
        return "NOT_DISPATCHED".into();
    }
    described.expect_code(0).json()["status"]
        .as_str()
        .unwrap()
        .to_string()
}
