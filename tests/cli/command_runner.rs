//! The `shoal:command` resource through the binary: success, failure,
//! timeout, invalid output and heartbeats.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{path_str, Sandbox};

fn one_command(parameters: Value, extra: Value) -> Value {
    let mut task =
        json!({"Type": "Task", "Resource": "shoal:command", "Parameters": parameters, "End": true});
    if let (Some(task), Some(extra)) = (task.as_object_mut(), extra.as_object()) {
        task.extend(extra.clone());
    }
    json!({"StartAt": "Run", "States": {"Run": task}})
}

#[test]
fn a_succeeding_command_gets_the_input_on_stdin_and_returns_its_stdout() {
    let sandbox = Sandbox::new();
    let def = sandbox.definition(
        "cat",
        &one_command(
            json!({"Command": ["cat"], "item.$": "$.item", "n": 2}),
            json!({}),
        ),
    );
    let run = sandbox
        .shoal(&["run", path_str(&def), "--input", r#"{"item": "a"}"#])
        .expect_code(0);
    assert_eq!(run.json(), json!({"item": "a", "n": 2}));

    // `Input` replaces the stdin document; the environment names the task.
    let def = sandbox.definition(
        "env",
        &one_command(
            json!({"Command": ["sh", "-c", "read doc; printf '{\"stdin\": %s, \"state\": \"%s\", \"attempt\": %s}' \"$doc\" \"$SHOAL_STATE_NAME\" \"$SHOAL_ATTEMPT\""],
                   "Input": [1, 2]}),
            json!({}),
        ),
    );
    let run = sandbox.shoal(&["run", path_str(&def)]).expect_code(0);
    assert_eq!(
        run.json(),
        json!({"stdin": [1, 2], "state": "Run", "attempt": 0})
    );
}

#[test]
fn a_failing_command_fails_the_task_with_its_status_and_stderr() {
    let sandbox = Sandbox::new();
    let def = sandbox.definition(
        "fail",
        &one_command(
            json!({"Command": ["sh", "-c", "echo first >&2; echo 'disk full' >&2; exit 3"]}),
            json!({}),
        ),
    );
    let run = sandbox
        .shoal(&["run", path_str(&def), "--name", "f"])
        .expect_code(1);
    assert!(
        run.stderr().contains("shoal.CommandFailed"),
        "{}",
        run.stderr()
    );
    let described = sandbox
        .shoal(&["describe", "f", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(described["error"], "shoal.CommandFailed");
    let cause = described["cause"].as_str().unwrap();
    assert!(cause.contains("exited with status 3"), "{cause}");
    assert!(cause.contains("first\ndisk full"), "{cause}");

    let def = sandbox.definition(
        "missing",
        &one_command(json!({"Command": ["/nonexistent/program"]}), json!({})),
    );
    let run = sandbox.shoal(&["run", path_str(&def)]).expect_code(1);
    assert!(run.stderr().contains("could not start"), "{}", run.stderr());
}

#[test]
fn a_command_printing_invalid_json_fails_with_invalid_command_output() {
    let sandbox = Sandbox::new();
    let def = sandbox.definition(
        "garbage",
        &one_command(json!({"Command": ["echo", "not json"]}), json!({})),
    );
    let run = sandbox
        .shoal(&["run", path_str(&def), "--name", "g"])
        .expect_code(1);
    assert!(
        run.stderr().contains("shoal.InvalidCommandOutput"),
        "{}",
        run.stderr()
    );
    let described = sandbox
        .shoal(&["describe", "g", "--json"])
        .expect_code(0)
        .json();
    assert!(
        described["cause"].as_str().unwrap().contains("not json"),
        "{described}"
    );
}

#[test]
fn a_command_past_its_timeout_is_killed_and_the_task_times_out() {
    let sandbox = Sandbox::new();
    let marker = sandbox.data_dir().with_file_name("survived");
    let script = format!("sleep 5; touch {}", marker.display());
    let def = sandbox.definition(
        "slow",
        &one_command(
            json!({"Command": ["sh", "-c", script]}),
            json!({"TimeoutSeconds": 1}),
        ),
    );
    let started = Instant::now();
    let run = sandbox
        .shoal(&["run", path_str(&def), "--name", "t"])
        .expect_code(1);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(run.stderr().contains("States.Timeout"), "{}", run.stderr());
    // The whole process group was killed: the shell never gets to `touch`.
    std::thread::sleep(Duration::from_secs(6).saturating_sub(started.elapsed()));
    assert!(!marker.exists(), "the command outlived its timeout");
}

#[test]
fn heartbeat_lines_keep_a_long_command_alive() {
    let sandbox = Sandbox::new();
    let script =
        "for i in 1 2 3 4 5 6; do echo HEARTBEAT >&2; sleep 0.4; done; echo '{\"ok\": true}'";
    let def = sandbox.definition(
        "beats",
        &one_command(
            json!({"Command": ["sh", "-c", script]}),
            json!({"HeartbeatSeconds": 1}),
        ),
    );
    let run = sandbox.shoal(&["run", path_str(&def)]).expect_code(0);
    assert_eq!(run.json(), json!({"ok": true}));

    let silent = "sleep 3; echo '{}'";
    let def = sandbox.definition(
        "silent",
        &one_command(
            json!({"Command": ["sh", "-c", silent]}),
            json!({"HeartbeatSeconds": 1}),
        ),
    );
    let run = sandbox.shoal(&["run", path_str(&def)]).expect_code(1);
    assert!(
        run.stderr().contains("States.HeartbeatTimeout"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_command_killed_by_a_signal_fails_and_empty_or_oversized_stdout_is_handled() {
    let sandbox = Sandbox::new();
    let def = sandbox.definition(
        "signal",
        &one_command(json!({"Command": ["sh", "-c", "kill -TERM $$"]}), json!({})),
    );
    let run = sandbox.shoal(&["run", path_str(&def)]).expect_code(1);
    assert!(
        run.stderr().contains("shoal.CommandFailed") && run.stderr().contains("signal 15"),
        "{}",
        run.stderr()
    );

    // Exit 0 with nothing on stdout is a `null` result.
    let def = sandbox.definition(
        "quiet",
        &one_command(json!({"Command": ["true"]}), json!({})),
    );
    let run = sandbox.shoal(&["run", path_str(&def)]).expect_code(0);
    assert_eq!(run.json(), Value::Null);

    // More than 256 KiB on stdout is refused, not buffered without bound.
    let def = sandbox.definition(
        "flood",
        &one_command(
            json!({"Command": ["sh", "-c", "head -c 300000 /dev/zero | tr '\\000' a"]}),
            json!({}),
        ),
    );
    let run = sandbox.shoal(&["run", path_str(&def)]).expect_code(1);
    assert!(
        run.stderr().contains("shoal.InvalidCommandOutput")
            && run.stderr().contains("more than 262144 bytes"),
        "{}",
        run.stderr()
    );
}

/// A failing command is retried by the state's Retry (SHOAL_ATTEMPT counts
/// up) and finally caught by its Catch.
#[test]
fn retry_and_catch_apply_to_a_failing_command() {
    let sandbox = Sandbox::new();
    let attempts = sandbox.data_dir().with_file_name("attempts");
    let script = format!(
        "echo \"$SHOAL_ATTEMPT $SHOAL_IDEMPOTENCY_KEY\" >> {}; echo 'upstream said no' >&2; exit 1",
        attempts.display()
    );
    let definition = json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "shoal:command",
                 "Parameters": {"Command": ["sh", "-c", script]},
                 "Retry": [{"ErrorEquals": ["shoal.CommandFailed"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1.0}],
                 "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Fallback"}],
                 "End": true},
        "Fallback": {"Type": "Pass", "Parameters": {"error.$": "$.failure.Error", "fallback": true}, "End": true}
    }});
    let def = sandbox.definition("retry", &definition);
    let run = sandbox.shoal(&["run", path_str(&def)]).expect_code(0);
    assert_eq!(
        run.json(),
        json!({"error": "shoal.CommandFailed", "fallback": true})
    );
    let lines = std::fs::read_to_string(&attempts).unwrap();
    let lines: Vec<(&str, &str)> = lines
        .lines()
        .map(|line| line.split_once(' ').unwrap())
        .collect();
    let numbers: Vec<&str> = lines.iter().map(|(attempt, _)| *attempt).collect();
    assert_eq!(numbers, ["0", "1", "2"], "one try and two retries");
    // Each retry is a new attempt with its own key; a re-run of the same
    // attempt after a crash repeats its key (the crash-resume example
    // checks that).
    let mut keys: Vec<&str> = lines.iter().map(|(_, key)| *key).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), 3, "{lines:?}");
}
