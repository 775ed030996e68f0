//! `shoal validate` and the exit codes of usage errors.

use serde_json::json;

use crate::support::{path_str, Sandbox};

#[test]
fn a_valid_definition_passes_with_exit_0() {
    let sandbox = Sandbox::new();
    let def = sandbox.definition(
        "ok",
        &json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}),
    );
    let run = sandbox.shoal(&["validate", path_str(&def)]).expect_code(0);
    assert!(run.stdout().contains("valid"), "{}", run.stdout());
    let run = sandbox
        .shoal(&["validate", path_str(&def), "--json"])
        .expect_code(0);
    assert_eq!(run.json(), json!({"valid": true, "errors": []}));
}

#[test]
fn errors_name_the_state_and_field_with_exit_2() {
    let sandbox = Sandbox::new();
    let def = sandbox.definition(
        "bad",
        &json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "Nowhere"},
            "B": {"Type": "Task", "Resource": "shoal:noop", "TimeoutSeconds": -1, "End": true}
        }}),
    );
    let run = sandbox.shoal(&["validate", path_str(&def)]).expect_code(2);
    let stderr = run.stderr();
    assert!(stderr.contains("state \"A\", field \"Next\""), "{stderr}");
    assert!(stderr.contains("Nowhere"), "{stderr}");
    assert!(
        stderr.contains("state \"B\", field \"TimeoutSeconds\""),
        "{stderr}"
    );

    let run = sandbox
        .shoal(&["validate", path_str(&def), "--json"])
        .expect_code(2);
    let doc = run.json();
    assert_eq!(doc["valid"], json!(false));
    let errors = doc["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["state"] == "A" && e["field"] == "Next"),
        "{doc}"
    );
    assert!(errors.iter().all(|e| e["message"].is_string()), "{doc}");
}

#[test]
fn malformed_json_and_missing_files_and_bad_flags() {
    let sandbox = Sandbox::new();
    let def = sandbox.file("broken.json", "{\"StartAt\": ");
    let run = sandbox.shoal(&["validate", path_str(&def)]).expect_code(2);
    assert!(run.stderr().contains("broken.json"), "{}", run.stderr());
    sandbox
        .shoal(&["validate", "/nonexistent/def.json"])
        .expect_code(3);
    sandbox.shoal(&["run"]).expect_code(2);
    sandbox.shoal(&["list", "--status", "done"]).expect_code(2);
    sandbox.shoal(&["no-such-command"]).expect_code(2);
}

#[test]
fn run_refuses_an_invalid_definition_before_creating_anything() {
    let sandbox = Sandbox::new();
    let def = sandbox.definition(
        "bad",
        &json!({"StartAt": "Missing", "States": {"A": {"Type": "Pass", "End": true}}}),
    );
    let run = sandbox.shoal(&["run", path_str(&def)]).expect_code(2);
    assert!(run.stderr().contains("StartAt"), "{}", run.stderr());
    assert!(!sandbox.data_dir().exists());
    let ok = sandbox.definition(
        "ok",
        &json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}),
    );
    let run = sandbox
        .shoal(&["run", path_str(&ok), "--input", "{not json"])
        .expect_code(2);
    assert!(run.stderr().contains("--input"), "{}", run.stderr());
}

#[test]
fn every_command_has_help() {
    let sandbox = Sandbox::new();
    for command in [
        "validate", "run", "resume", "list", "describe", "history", "stop",
    ] {
        let run = sandbox.shoal(&[command, "--help"]).expect_code(0);
        assert!(
            run.stdout().contains("Usage: shoal"),
            "{command}: {}",
            run.stdout()
        );
    }
    let run = sandbox.shoal(&["--help"]).expect_code(0);
    assert!(run.stdout().contains("Exit codes"), "{}", run.stdout());
}
