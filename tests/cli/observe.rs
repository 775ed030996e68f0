//! `--log-level` and `--metrics`: the engine's spans and its final metrics
//! go to stderr, and `--json` stdout stays one clean document.

use serde_json::{json, Value};

use crate::support::{path_str, Sandbox};

fn chain() -> Value {
    json!({"StartAt": "Add", "States": {
        "Add": {"Type": "Pass", "Result": 42, "ResultPath": "$.answer", "Next": "Echo"},
        "Echo": {"Type": "Task", "Resource": "shoal:noop", "End": true}
    }})
}

#[test]
fn log_level_traces_to_stderr_and_metrics_count_the_run() {
    let sandbox = Sandbox::new();
    let def = sandbox.definition("chain", &chain());
    let run = sandbox
        .shoal(&[
            "run",
            path_str(&def),
            "--input",
            r#"{"token": "s3cr3t-value"}"#,
            "--json",
            "--metrics",
            "--log-level",
            "shoal_engine=debug,warn",
        ])
        .expect_code(0);
    let described = run.json();
    let id = described["executionId"].as_str().unwrap();
    let stderr = run.stderr();
    let span = format!("execution{{execution={id}");
    for state in ["Add", "Echo"] {
        let entered = format!("state entered state=\"{state}\"");
        assert!(
            stderr
                .lines()
                .any(|line| line.contains(&span) && line.contains(&entered)),
            "no {entered:?} in {span} on stderr:\n{stderr}"
        );
    }
    assert!(!stderr.contains("s3cr3t-value"), "input leaked:\n{stderr}");
    let metrics_line = stderr
        .lines()
        .find(|line| line.starts_with("{\"metrics\""))
        .unwrap_or_else(|| panic!("no metrics line on stderr:\n{stderr}"));
    let metrics: Value = serde_json::from_str(metrics_line).unwrap();
    let executions = &metrics["metrics"]["executions"];
    assert_eq!(executions["started"], 1);
    assert_eq!(executions["succeeded"], 1);
    // Add's Continue and Echo's outcome after Start: 3 records in all.
    assert_eq!(executions["transitions"], 2);
    assert_eq!(metrics["metrics"]["log"]["records"], 3);
    assert_eq!(metrics["metrics"]["tasks"]["attemptsStarted"], 1);
}

#[test]
fn a_bad_log_level_is_a_usage_error() {
    let sandbox = Sandbox::new();
    let run = sandbox
        .shoal(&["list", "--log-level", "shoal_engine=loud"])
        .expect_code(2);
    assert!(run.stderr().contains("--log-level"), "{}", run.stderr());
}
