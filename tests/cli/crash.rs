//! kill -9 and Ctrl-C during `shoal run`, then `shoal resume`: the output
//! is the same as an uninterrupted run's.

use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

use crate::support::{path_str, Sandbox};

/// About two seconds of Tasks, a Wait and Passes, with a deterministic output.
fn workflow() -> Value {
    json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"n.$": "$.n", "Milliseconds": 400}, "Next": "Nap1"},
        "Nap1": {"Type": "Task", "Resource": "shoal:sleep", "ResultSelector": {"slept.$": "$.Milliseconds"}, "ResultPath": "$.first", "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Nap2"},
        "Nap2": {"Type": "Task", "Resource": "shoal:sleep", "ResultSelector": {"slept.$": "$.Milliseconds"}, "ResultPath": "$.second", "Next": "Sum"},
        "Sum": {"Type": "Pass", "Parameters": {"total.$": "States.MathAdd($.first.slept, $.second.slept)", "n.$": "$.n"}, "Next": "Echo"},
        "Echo": {"Type": "Task", "Resource": "shoal:noop", "End": true}
    }})
}

fn uninterrupted_output() -> Value {
    let sandbox = Sandbox::new();
    let def = sandbox.definition("crashy", &workflow());
    sandbox
        .shoal(&["run", path_str(&def), "--input", r#"{"n": 7}"#])
        .expect_code(0)
        .json()
}

#[test]
fn kill_9_during_run_then_resume_gives_the_uninterrupted_output() {
    let expected = uninterrupted_output();
    assert_eq!(expected, json!({"total": 800, "n": 7}));
    for delay_ms in [0_u64, 250, 700, 1300, 1800] {
        let sandbox = Sandbox::new();
        let def = sandbox.definition("crashy", &workflow());
        let mut child = sandbox.spawn_started(&[
            "run",
            path_str(&def),
            "--input",
            r#"{"n": 7}"#,
            "--name",
            "c",
        ]);
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let resumed = sandbox.shoal(&["resume", "--json"]);
        let described = sandbox
            .shoal(&["describe", "c", "--json"])
            .expect_code(0)
            .json();
        assert_eq!(
            described["status"], "SUCCEEDED",
            "killed after {delay_ms} ms: {described}"
        );
        assert_eq!(described["output"], expected, "killed after {delay_ms} ms");
        // The run may have finished before the kill; otherwise resume waited for it.
        let resumed = resumed.expect_code(0).json();
        for execution in resumed["executions"].as_array().unwrap() {
            assert_eq!(execution["output"], expected);
        }
        assert_no_repeated_transitions(&sandbox);
    }
}

/// Each state entered once and each task scheduled once: nothing re-decided.
fn assert_no_repeated_transitions(sandbox: &Sandbox) {
    let history = sandbox
        .shoal(&["history", "c", "--json"])
        .expect_code(0)
        .json();
    let events = history["events"].as_array().unwrap();
    let mut entered = Vec::new();
    for event in events {
        let kind = event["type"].as_str().unwrap();
        if kind.ends_with("StateEntered") || kind == "TaskScheduled" {
            entered.push(format!("{kind}:{}", event["details"]["name"]));
        }
    }
    let mut unique = entered.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), entered.len(), "{entered:?}");
}

#[test]
fn ctrl_c_stops_cleanly_and_resume_finishes() {
    let expected = uninterrupted_output();
    let sandbox = Sandbox::new();
    let def = sandbox.definition("crashy", &workflow());
    let child = sandbox.spawn_started(&[
        "run",
        path_str(&def),
        "--input",
        r#"{"n": 7}"#,
        "--name",
        "c",
    ]);
    std::thread::sleep(Duration::from_millis(600));
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap());
    kill(pid, Signal::SIGINT).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    let described = sandbox
        .shoal(&["describe", "c", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(described["status"], "RUNNING");
    let resumed = sandbox.shoal(&["resume", "--json"]).expect_code(0).json();
    assert_eq!(resumed["executions"][0]["output"], expected);
    assert_no_repeated_transitions(&sandbox);
}

#[test]
fn a_second_ctrl_c_exits_at_once_and_resume_still_finishes() {
    let expected = uninterrupted_output();
    let sandbox = Sandbox::new();
    let def = sandbox.definition("crashy", &workflow());
    let child = sandbox.spawn_started(&[
        "run",
        path_str(&def),
        "--input",
        r#"{"n": 7}"#,
        "--name",
        "c",
    ]);
    std::thread::sleep(Duration::from_millis(300));
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap());
    kill(pid, Signal::SIGINT).unwrap();
    // The second signal lands during the clean stop, or after the process
    // exited (then kill fails with ESRCH): exit 130 either way.
    std::thread::sleep(Duration::from_millis(20));
    let _ = kill(pid, Signal::SIGINT);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    let resumed = sandbox.shoal(&["resume", "--json"]).expect_code(0).json();
    assert_eq!(resumed["executions"][0]["output"], expected);
    assert_no_repeated_transitions(&sandbox);
}
