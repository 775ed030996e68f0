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
fn every_command_has_help_with_examples_and_exit_codes() {
    let sandbox = Sandbox::new();
    let help = sandbox.shoal(&["--help"]).expect_code(0).stdout();
    // Every command `shoal --help` lists, so that a new one gets its text too.
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|command| !["help", "bench"].contains(command))
        .collect();
    assert!(commands.len() >= 8, "{commands:?} in {help}");
    for command in commands {
        let help = sandbox.shoal(&[command, "--help"]).expect_code(0).stdout();
        for part in ["Usage: shoal", "Examples:", "Exit codes", "--data-dir"] {
            assert!(
                help.contains(part),
                "{command} --help lacks {part:?} (add an after_help from src/cli/help.rs): {help}"
            );
        }
    }
    for command in [["bench", "map"], ["bench", "recover"]] {
        let help = sandbox
            .shoal(&[command[0], command[1], "--help"])
            .expect_code(0)
            .stdout();
        assert!(
            help.contains("Examples:") && help.contains("Exit codes"),
            "{command:?}: {help}"
        );
    }
    let help = sandbox.shoal(&["--help"]).expect_code(0).stdout();
    for part in [
        "Exit codes",
        "130",
        "$SHOAL_DATA_DIR",
        "./.shoal",
        "shoal:command",
    ] {
        assert!(help.contains(part), "shoal --help lacks {part:?}: {help}");
    }
    // A Step Functions user finds the actions they know.
    for action in ["StartExecution", "DescribeExecution", "GetExecutionHistory"] {
        assert!(help.contains(action), "{help}");
    }
}

/// One bad definition per kind of mistake; each error names the state
/// (`null` for top-level fields) and the field, as `validate --json` shows.
#[test]
fn each_kind_of_mistake_is_named_by_state_and_field() {
    let pass = |extra: serde_json::Value| {
        let mut state = json!({"Type": "Pass", "End": true});
        state
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"StartAt": "A", "States": {"A": state}})
    };
    let task = |extra: serde_json::Value| {
        let mut state = json!({"Type": "Task", "Resource": "shoal:noop", "End": true});
        state
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"StartAt": "A", "States": {"A": state}})
    };
    let distributed = |extra: serde_json::Value| {
        let mut state = json!({"Type": "Map", "End": true, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}});
        state
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"StartAt": "A", "States": {"A": state}})
    };
    let cases = [
        (
            pass(json!({"Parameters": {"x.$": "$.a[["}})),
            "A",
            "Parameters.x.$",
            "invalid path",
        ),
        (
            pass(json!({"Parameters": {"x.$": "States.Nope($.a)"}})),
            "A",
            "Parameters.x.$",
            "States.Nope",
        ),
        (pass(json!({"Bogus": 1})), "A", "Bogus", "unknown field"),
        (
            task(json!({"Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]})),
            "A",
            "Retry[0].BackoffRate",
            "at least 1.0",
        ),
        (
            task(json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Gone"}]})),
            "A",
            "Catch[0].Next",
            "Gone",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Task", "End": true}}}),
            "A",
            "Resource",
            "missing",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Default": "A"}}}),
            "A",
            "Choices",
            "missing",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Wait", "End": true}}}),
            "A",
            "Seconds",
            "exactly one of",
        ),
        (
            distributed(json!({"ToleratedFailurePercentage": 150})),
            "A",
            "ToleratedFailurePercentage",
            "between 0 and 100",
        ),
        (
            distributed(
                json!({"ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "XML"}, "Parameters": {"Bucket": "b", "Key": "k"}}}),
            ),
            "A",
            "ItemReader.ReaderConfig.InputType",
            "XML",
        ),
    ];
    let sandbox = Sandbox::new();
    for (index, (definition, state, field, words)) in cases.iter().enumerate() {
        let path = sandbox.definition(&format!("bad-{index}"), definition);
        let doc = sandbox
            .shoal(&["validate", path_str(&path), "--json"])
            .expect_code(2)
            .json();
        let errors = doc["errors"].as_array().unwrap();
        assert!(
            errors.iter().any(|e| e["state"] == *state
                && e["field"] == *field
                && e["message"].as_str().unwrap().contains(words)),
            "case {index}: expected state {state:?}, field {field:?} mentioning {words:?}: {doc}"
        );
        let text = sandbox
            .shoal(&["validate", path_str(&path)])
            .expect_code(2)
            .stderr();
        assert!(
            text.contains(&format!("state \"{state}\", field \"{field}\"")),
            "case {index}: {text}"
        );
    }

    // A top-level field has no state; a nested state names its Map.
    let path = sandbox.definition(
        "jsonata",
        &json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}),
    );
    let doc = sandbox
        .shoal(&["validate", path_str(&path), "--json"])
        .expect_code(2)
        .json();
    assert_eq!(doc["errors"][0]["state"], serde_json::Value::Null, "{doc}");
    assert_eq!(doc["errors"][0]["field"], "QueryLanguage", "{doc}");
    let path = sandbox.definition(
        "nested",
        &json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Q"}}}}}}),
    );
    let text = sandbox
        .shoal(&["validate", path_str(&path)])
        .expect_code(2)
        .stderr();
    assert!(
        text.contains("Map \"M\"") && text.contains("state \"P\", field \"Next\""),
        "{text}"
    );
}
