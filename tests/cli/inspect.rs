//! run → describe → history → list round trips, stop, and their exit codes.

use serde_json::{json, Value};

use crate::support::{path_str, Sandbox};

fn chain() -> Value {
    json!({"StartAt": "Add", "States": {
        "Add": {"Type": "Pass", "Result": 42, "ResultPath": "$.answer", "Next": "Echo"},
        "Echo": {"Type": "Task", "Resource": "shoal:noop", "End": true}
    }})
}

#[test]
fn run_describe_history_list_round_trip() {
    let sandbox = Sandbox::new();
    let def = sandbox.definition("chain", &chain());
    let run = sandbox
        .shoal(&[
            "run",
            path_str(&def),
            "--input",
            r#"{"q": "life"}"#,
            "--name",
            "first",
        ])
        .expect_code(0);
    assert_eq!(run.json(), json!({"q": "life", "answer": 42}));

    let described = sandbox
        .shoal(&["describe", "first", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(described["name"], "first");
    assert_eq!(described["stateMachine"], "chain");
    assert_eq!(described["status"], "SUCCEEDED");
    assert_eq!(described["input"], json!({"q": "life"}));
    assert_eq!(described["output"], json!({"q": "life", "answer": 42}));
    assert_eq!(described["error"], Value::Null);
    let id = described["executionId"].as_str().unwrap().to_string();
    assert!(id.starts_with("exec-"), "{id}");
    assert!(described["startDate"].as_str().unwrap().ends_with('Z'));
    assert!(described["stopDate"].is_string());
    // The id works wherever the name does.
    let by_id = sandbox
        .shoal(&["describe", &id, "--json"])
        .expect_code(0)
        .json();
    assert_eq!(by_id, described);

    let history = sandbox
        .shoal(&["history", "first", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(history["executionId"], id.as_str());
    let events = history["events"].as_array().unwrap();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"));
    assert!(
        types.contains(&"TaskScheduled") && types.contains(&"TaskSucceeded"),
        "{types:?}"
    );
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event["id"], json!(index + 1));
        assert!(event["previousEventId"].as_u64().unwrap() <= index as u64);
        assert!(event["timestampMs"].is_i64());
        assert!(event["details"].is_object());
    }
    let table = sandbox.shoal(&["history", "first"]).expect_code(0).stdout();
    assert!(
        table.starts_with("ID") && table.contains("TaskSucceeded"),
        "{table}"
    );

    let listed = sandbox.shoal(&["list", "--json"]).expect_code(0).json();
    let executions = listed["executions"].as_array().unwrap();
    assert_eq!(executions.len(), 1);
    assert_eq!(executions[0]["executionId"], id.as_str());
    assert_eq!(executions[0]["status"], "SUCCEEDED");
    let none = sandbox
        .shoal(&["list", "--status", "failed", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(none, json!({"executions": []}));
    let table = sandbox.shoal(&["list"]).expect_code(0).stdout();
    assert!(
        table.contains("first") && table.contains("SUCCEEDED"),
        "{table}"
    );
}

#[test]
fn a_named_run_is_idempotent_and_a_conflicting_one_is_refused() {
    let sandbox = Sandbox::new();
    let def = sandbox.definition("chain", &chain());
    let first = sandbox
        .shoal(&["run", path_str(&def), "--name", "n", "--json"])
        .expect_code(0)
        .json();
    let again = sandbox
        .shoal(&["run", path_str(&def), "--name", "n", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(first["executionId"], again["executionId"]);
    let run = sandbox
        .shoal(&["run", path_str(&def), "--name", "n", "--input", "[1]"])
        .expect_code(5);
    assert!(run.stderr().contains("already exists"), "{}", run.stderr());
    let listed = sandbox.shoal(&["list", "--json"]).expect_code(0).json();
    assert_eq!(listed["executions"].as_array().unwrap().len(), 1);
}

#[test]
fn a_failed_execution_exits_1_with_error_and_cause() {
    let sandbox = Sandbox::new();
    let def = sandbox.definition(
        "fails",
        &json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "My.Error", "Cause": "it broke"}}}),
    );
    let run = sandbox
        .shoal(&["run", path_str(&def), "--name", "x"])
        .expect_code(1);
    assert!(
        run.stderr().contains("FAILED: My.Error: it broke"),
        "{}",
        run.stderr()
    );
    assert_eq!(run.stdout(), "");
    let described = sandbox
        .shoal(&["describe", "x", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(described["status"], "FAILED");
    assert_eq!(described["error"], "My.Error");
    assert_eq!(described["cause"], "it broke");
}

#[test]
fn unknown_executions_and_data_dirs_exit_3() {
    let sandbox = Sandbox::new();
    let run = sandbox.shoal(&["list"]).expect_code(3);
    assert!(
        run.stderr().contains("no shoal data directory"),
        "{}",
        run.stderr()
    );
    let def = sandbox.definition("chain", &chain());
    sandbox.shoal(&["run", path_str(&def)]).expect_code(0);
    sandbox.shoal(&["describe", "nope"]).expect_code(3);
    sandbox
        .shoal(&["history", "exec-00000000000000ff"])
        .expect_code(3);
    sandbox.shoal(&["stop", "nope"]).expect_code(3);
}

#[test]
fn stop_aborts_an_execution_left_running() {
    let sandbox = Sandbox::new();
    let def = sandbox.definition(
        "waits",
        &json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}),
    );
    let mut child = sandbox.spawn_started(&["run", path_str(&def), "--name", "long"]);
    child.kill().unwrap();
    child.wait().unwrap();
    let described = sandbox
        .shoal(&["describe", "long", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(described["status"], "RUNNING");
    let stopped = sandbox
        .shoal(&[
            "stop",
            "long",
            "--error",
            "Ops.Cancelled",
            "--cause",
            "not needed",
            "--json",
        ])
        .expect_code(0)
        .json();
    assert_eq!(stopped["status"], "ABORTED");
    let described = sandbox
        .shoal(&["describe", "long", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(described["status"], "ABORTED");
    assert_eq!(described["error"], "Ops.Cancelled");
    assert_eq!(described["cause"], "not needed");
    // Stopping it again conflicts with its state.
    sandbox.shoal(&["stop", "long"]).expect_code(5);
    // Nothing is left to resume.
    sandbox.shoal(&["resume"]).expect_code(0);
}
