//! Invalid definitions: each case asserts the exact error kind and the
//! scope, state and field it names — and that it is the only error, so one
//! mistake does not cascade into noise.
#![allow(clippy::unwrap_used, missing_docs)]

use serde_json::{json, Value};
use shoal_engine::asl::{DefinitionErrorKind as K, StateMachine};

/// A machine whose StartAt is `start`.
fn machine(start: &str, states: Value) -> Value {
    json!({"StartAt": start, "States": states})
}

fn pass_end() -> Value {
    json!({"Type": "Pass", "End": true})
}

fn task(extra: Value) -> Value {
    let mut t = json!({"Type": "Task", "Resource": "work", "End": true});
    for (k, v) in extra.as_object().unwrap() {
        t[k] = v.clone();
    }
    t
}

fn map_state(extra: Value) -> Value {
    let mut m = json!({"Type": "Map", "End": true, "ItemProcessor": {
        "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}});
    for (k, v) in extra.as_object().unwrap() {
        m[k] = v.clone();
    }
    m
}

fn distributed_map(extra: Value) -> Value {
    let mut m = map_state(extra);
    m["ItemProcessor"]["ProcessorConfig"] =
        json!({"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"});
    m
}

struct Case {
    name: &'static str,
    definition: Value,
    scope: &'static str,
    state: Option<&'static str>,
    field: &'static str,
    kind: fn(&K) -> bool,
}

fn case(
    name: &'static str,
    definition: Value,
    state: Option<&'static str>,
    field: &'static str,
    kind: fn(&K) -> bool,
) -> Case {
    Case {
        name,
        definition,
        scope: "",
        state,
        field,
        kind,
    }
}

/// Checks one case; on mismatch returns what was wrong.
fn check(case: &Case) -> Result<(), String> {
    let err = match StateMachine::from_value(&case.definition) {
        Ok(_) => return Err(format!("{}: accepted", case.name)),
        Err(e) => e,
    };
    if err.errors.len() != 1 {
        return Err(format!(
            "{}: expected one error, got {:#?}",
            case.name, err.errors
        ));
    }
    let e = &err.errors[0];
    let scope: Vec<String> = e.scope.iter().map(|s| s.to_string()).collect();
    let ok = scope.join(" > ") == case.scope
        && e.state.as_deref() == case.state
        && e.field == case.field
        && (case.kind)(&e.kind);
    if ok {
        Ok(())
    } else {
        Err(format!("{}: got {e} ({:?})", case.name, e.kind))
    }
}

fn transition_cases() -> Vec<Case> {
    vec![
        case(
            "unknown Next",
            machine("A", json!({"A": {"Type": "Pass", "Next": "Nope"}})),
            Some("A"),
            "Next",
            |k| matches!(k, K::UnknownTarget(t) if t == "Nope"),
        ),
        case(
            "unknown Default",
            machine(
                "C",
                json!({"C": {"Type": "Choice", "Default": "Nope",
            "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "E"}]}, "E": pass_end()}),
            ),
            Some("C"),
            "Default",
            |k| matches!(k, K::UnknownTarget(t) if t == "Nope"),
        ),
        case(
            "unknown choice Next",
            machine(
                "C",
                json!({"C": {"Type": "Choice", "Default": "E",
            "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "Nope"}]}, "E": pass_end()}),
            ),
            Some("C"),
            "Choices[0].Next",
            |k| matches!(k, K::UnknownTarget(_)),
        ),
        case(
            "unknown Catch Next",
            machine(
                "T",
                json!({"T": task(json!({"Catch": [
            {"ErrorEquals": ["States.ALL"], "Next": "Nope"}]}))}),
            ),
            Some("T"),
            "Catch[0].Next",
            |k| matches!(k, K::UnknownTarget(t) if t == "Nope"),
        ),
        case(
            "unreachable state",
            machine("A", json!({"A": pass_end(), "B": pass_end()})),
            Some("B"),
            "States",
            |k| matches!(k, K::Unreachable),
        ),
        case(
            "neither Next nor End",
            machine("A", json!({"A": {"Type": "Pass"}})),
            Some("A"),
            "Next",
            |k| matches!(k, K::MissingTransition),
        ),
        case(
            "End false without Next",
            machine("A", json!({"A": {"Type": "Pass", "End": false}})),
            Some("A"),
            "Next",
            |k| matches!(k, K::MissingTransition),
        ),
        case(
            "both Next and End",
            machine(
                "A",
                json!({"A": {"Type": "Pass", "Next": "A", "End": true}}),
            ),
            Some("A"),
            "End",
            |k| matches!(k, K::NextAndEnd),
        ),
        case(
            "StartAt missing",
            json!({"States": {"A": pass_end()}}),
            None,
            "StartAt",
            |k| matches!(k, K::MissingField),
        ),
        case(
            "StartAt unknown",
            machine("Z", json!({"A": pass_end()})),
            None,
            "StartAt",
            |k| matches!(k, K::UnknownTarget(t) if t == "Z"),
        ),
        case(
            "empty States",
            machine("A", json!({})),
            None,
            "States",
            |k| matches!(k, K::EmptyStates),
        ),
        case(
            "Succeed with Next",
            machine("A", json!({"A": {"Type": "Succeed", "Next": "A"}})),
            Some("A"),
            "Next",
            |k| matches!(k, K::NotAllowedOnType("Succeed")),
        ),
        case(
            "Fail with End",
            machine("A", json!({"A": {"Type": "Fail", "End": true}})),
            Some("A"),
            "End",
            |k| matches!(k, K::NotAllowedOnType("Fail")),
        ),
        case(
            "Choice with End",
            machine(
                "C",
                json!({"C": {"Type": "Choice", "End": true,
            "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "E"}]}, "E": pass_end()}),
            ),
            Some("C"),
            "End",
            |k| matches!(k, K::NotAllowedOnType("Choice")),
        ),
    ]
}

fn path_cases() -> Vec<Case> {
    vec![
        case(
            "InputPath without $",
            machine(
                "A",
                json!({"A": {"Type": "Pass", "End": true, "InputPath": "foo"}}),
            ),
            Some("A"),
            "InputPath",
            |k| matches!(k, K::InvalidPath { path, .. } if path == "foo"),
        ),
        case(
            "ResultPath with wildcard",
            machine(
                "A",
                json!({"A": {"Type": "Pass", "End": true, "ResultPath": "$.a[*]"}}),
            ),
            Some("A"),
            "ResultPath",
            |k| matches!(k, K::InvalidPath { .. }),
        ),
        case(
            "ResultPath into context",
            machine(
                "A",
                json!({"A": {"Type": "Pass", "End": true, "ResultPath": "$$.a"}}),
            ),
            Some("A"),
            "ResultPath",
            |k| matches!(k, K::InvalidPath { .. }),
        ),
        case(
            "OutputPath unterminated bracket",
            machine(
                "A",
                json!({"A": {"Type": "Pass", "End": true, "OutputPath": "$.a['b"}}),
            ),
            Some("A"),
            "OutputPath",
            |k| matches!(k, K::InvalidPath { .. }),
        ),
        case(
            "ItemsPath indefinite",
            machine(
                "M",
                json!({"M": map_state(json!({"ItemsPath": "$..items"}))}),
            ),
            Some("M"),
            "ItemsPath",
            |k| matches!(k, K::InvalidPath { .. }),
        ),
        case(
            "Parameters .$ bad path",
            machine(
                "A",
                json!({"A": {"Type": "Pass", "End": true,
            "Parameters": {"x": {"y.$": "nope"}}}}),
            ),
            Some("A"),
            "Parameters.x.y.$",
            |k| matches!(k, K::InvalidPath { .. }),
        ),
        case(
            "Parameters .$ not a string",
            machine(
                "A",
                json!({"A": {"Type": "Pass", "End": true,
            "Parameters": {"y.$": 3}}}),
            ),
            Some("A"),
            "Parameters.y.$",
            |k| matches!(k, K::WrongType { .. }),
        ),
        case(
            "intrinsic syntax",
            machine(
                "A",
                json!({"A": {"Type": "Pass", "End": true,
            "Parameters": {"y.$": "States.Format('x', $.a"}}}),
            ),
            Some("A"),
            "Parameters.y.$",
            |k| matches!(k, K::InvalidIntrinsic { .. }),
        ),
        case(
            "unknown intrinsic",
            machine(
                "A",
                json!({"A": {"Type": "Pass", "End": true,
            "Parameters": {"y.$": "States.Frobnicate()"}}}),
            ),
            Some("A"),
            "Parameters.y.$",
            |k| matches!(k, K::InvalidIntrinsic { .. }),
        ),
        case(
            "intrinsic arity",
            machine(
                "A",
                json!({"A": {"Type": "Pass", "End": true,
            "Parameters": {"y.$": "States.ArrayLength($.a, $.b)"}}}),
            ),
            Some("A"),
            "Parameters.y.$",
            |k| matches!(k, K::InvalidIntrinsic { .. }),
        ),
        case(
            "intrinsic open escape",
            machine(
                "A",
                json!({"A": {"Type": "Pass", "End": true,
            "Parameters": {"y.$": "States.Format('a\\nb')"}}}),
            ),
            Some("A"),
            "Parameters.y.$",
            |k| matches!(k, K::InvalidIntrinsic { .. }),
        ),
        case(
            "SecondsPath indefinite",
            machine(
                "W",
                json!({"W": {"Type": "Wait", "End": true, "SecondsPath": "$.a[*]"}}),
            ),
            Some("W"),
            "SecondsPath",
            |k| matches!(k, K::InvalidPath { .. }),
        ),
        case(
            "ErrorPath bad path",
            machine("F", json!({"F": {"Type": "Fail", "ErrorPath": "error"}})),
            Some("F"),
            "ErrorPath",
            |k| matches!(k, K::InvalidPath { .. }),
        ),
    ]
}

fn retry_cases() -> Vec<Case> {
    let retry = |r: Value| machine("T", json!({"T": task(json!({"Retry": [r]}))}));
    vec![
        case(
            "MaxAttempts negative",
            retry(json!({"ErrorEquals": ["E"], "MaxAttempts": -1})),
            Some("T"),
            "Retry[0].MaxAttempts",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "BackoffRate below 1",
            retry(json!({"ErrorEquals": ["E"], "BackoffRate": 0.5})),
            Some("T"),
            "Retry[0].BackoffRate",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "IntervalSeconds zero",
            retry(json!({"ErrorEquals": ["E"], "IntervalSeconds": 0})),
            Some("T"),
            "Retry[0].IntervalSeconds",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "MaxDelaySeconds zero",
            retry(json!({"ErrorEquals": ["E"], "MaxDelaySeconds": 0})),
            Some("T"),
            "Retry[0].MaxDelaySeconds",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "JitterStrategy unknown",
            retry(json!({"ErrorEquals": ["E"], "JitterStrategy": "SOME"})),
            Some("T"),
            "Retry[0].JitterStrategy",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "IntervalSeconds not an integer",
            retry(json!({"ErrorEquals": ["E"], "IntervalSeconds": 1.5})),
            Some("T"),
            "Retry[0].IntervalSeconds",
            |k| matches!(k, K::WrongType { .. }),
        ),
        case(
            "States.ALL not alone",
            retry(json!({"ErrorEquals": ["States.ALL", "E"]})),
            Some("T"),
            "Retry[0].ErrorEquals",
            |k| matches!(k, K::StatesAllNotLast),
        ),
        case(
            "States.ALL not last",
            machine(
                "T",
                json!({"T": task(json!({"Retry": [
            {"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}]}))}),
            ),
            Some("T"),
            "Retry[0].ErrorEquals",
            |k| matches!(k, K::StatesAllNotLast),
        ),
        case(
            "empty ErrorEquals",
            retry(json!({"ErrorEquals": []})),
            Some("T"),
            "Retry[0].ErrorEquals",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "ErrorEquals missing",
            retry(json!({"MaxAttempts": 1})),
            Some("T"),
            "Retry[0].ErrorEquals",
            |k| matches!(k, K::MissingField),
        ),
        case(
            "unknown retrier field",
            retry(json!({"ErrorEquals": ["E"], "Backoff": 2})),
            Some("T"),
            "Retry[0].Backoff",
            |k| matches!(k, K::UnknownField),
        ),
        case(
            "Catch without Next",
            machine(
                "T",
                json!({"T": task(json!({"Catch": [
            {"ErrorEquals": ["States.ALL"]}]}))}),
            ),
            Some("T"),
            "Catch[0].Next",
            |k| matches!(k, K::MissingField),
        ),
        case(
            "Catch States.ALL not last",
            machine(
                "T",
                json!({"T": task(json!({"Catch": [
            {"ErrorEquals": ["States.ALL"], "Next": "T"}, {"ErrorEquals": ["E"], "Next": "T"}]}))}),
            ),
            Some("T"),
            "Catch[0].ErrorEquals",
            |k| matches!(k, K::StatesAllNotLast),
        ),
        case(
            "HeartbeatSeconds not below TimeoutSeconds",
            machine(
                "T",
                json!({"T": task(json!({
            "TimeoutSeconds": 10, "HeartbeatSeconds": 10}))}),
            ),
            Some("T"),
            "HeartbeatSeconds",
            |k| matches!(k, K::HeartbeatNotBelowTimeout),
        ),
        case(
            "TimeoutSeconds and TimeoutSecondsPath",
            machine(
                "T",
                json!({"T": task(json!({
            "TimeoutSeconds": 10, "TimeoutSecondsPath": "$.t"}))}),
            ),
            Some("T"),
            "TimeoutSecondsPath",
            |k| matches!(k, K::Conflicts { other } if other == "TimeoutSeconds"),
        ),
        case(
            "TimeoutSeconds wrong type",
            machine("T", json!({"T": task(json!({"TimeoutSeconds": "10"}))})),
            Some("T"),
            "TimeoutSeconds",
            |k| matches!(k, K::WrongType { .. }),
        ),
        case(
            "Task without Resource",
            machine("T", json!({"T": {"Type": "Task", "End": true}})),
            Some("T"),
            "Resource",
            |k| matches!(k, K::MissingField),
        ),
    ]
}

fn choice_wait_fail_cases() -> Vec<Case> {
    let choice = |rule: Value| {
        machine(
            "C",
            json!({"C": {"Type": "Choice", "Choices": [rule], "Default": "E"},
        "E": pass_end()}),
        )
    };
    vec![
        case(
            "Choice without Choices",
            machine(
                "C",
                json!({"C": {"Type": "Choice", "Default": "E"}, "E": pass_end()}),
            ),
            Some("C"),
            "Choices",
            |k| matches!(k, K::MissingField),
        ),
        case(
            "Choice with empty Choices",
            machine(
                "C",
                json!({"C": {"Type": "Choice", "Choices": [], "Default": "E"}, "E": pass_end()}),
            ),
            Some("C"),
            "Choices",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "rule without operator",
            choice(json!({"Variable": "$.a", "Next": "E"})),
            Some("C"),
            "Choices[0].Variable",
            |k| matches!(k, K::ChoiceRuleOperators { found: 0 }),
        ),
        case(
            "rule with two operators",
            choice(json!({"Variable": "$.a", "StringEquals": "x", "IsNull": true, "Next": "E"})),
            Some("C"),
            "Choices[0].IsNull",
            |k| matches!(k, K::ChoiceRuleOperators { found: 2 }),
        ),
        case(
            "rule without Variable",
            choice(json!({"StringEquals": "x", "Next": "E"})),
            Some("C"),
            "Choices[0].Variable",
            |k| matches!(k, K::MissingField),
        ),
        case(
            "rule with wrong literal type",
            choice(json!({"Variable": "$.a", "NumericEquals": "1", "Next": "E"})),
            Some("C"),
            "Choices[0].NumericEquals",
            |k| matches!(k, K::WrongType { .. }),
        ),
        case(
            "rule with bad timestamp",
            choice(json!({"Variable": "$.a", "TimestampEquals": "2020-01-01", "Next": "E"})),
            Some("C"),
            "Choices[0].TimestampEquals",
            |k| matches!(k, K::WrongType { .. }),
        ),
        case(
            "BooleanLessThan is not an operator",
            choice(json!({"Variable": "$.a", "BooleanLessThan": true, "Next": "E"})),
            Some("C"),
            "Choices[0].BooleanLessThan",
            |k| matches!(k, K::UnknownField),
        ),
        case(
            "nested rule with Next",
            choice(json!({"Not": {"Variable": "$.a", "IsNull": true, "Next": "E"}, "Next": "E"})),
            Some("C"),
            "Choices[0].Not.Next",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "top-level rule without Next",
            choice(json!({"Variable": "$.a", "IsNull": true})),
            Some("C"),
            "Choices[0].Next",
            |k| matches!(k, K::MissingField),
        ),
        case(
            "Wait with nothing",
            machine("W", json!({"W": {"Type": "Wait", "End": true}})),
            Some("W"),
            "Seconds",
            |k| matches!(k, K::OneOfRequired { .. }),
        ),
        case(
            "Wait with two",
            machine(
                "W",
                json!({"W": {"Type": "Wait", "End": true, "Seconds": 1, "TimestampPath": "$.t"}}),
            ),
            Some("W"),
            "TimestampPath",
            |k| matches!(k, K::Conflicts { other } if other == "Seconds"),
        ),
        case(
            "Wait with bad Timestamp",
            machine(
                "W",
                json!({"W": {"Type": "Wait", "End": true, "Timestamp": "tomorrow"}}),
            ),
            Some("W"),
            "Timestamp",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "Fail with Error and ErrorPath",
            machine(
                "F",
                json!({"F": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}}),
            ),
            Some("F"),
            "ErrorPath",
            |k| matches!(k, K::Conflicts { other } if other == "Error"),
        ),
        case(
            "Fail with Cause and CausePath",
            machine(
                "F",
                json!({"F": {"Type": "Fail", "Cause": "c", "CausePath": "$.c"}}),
            ),
            Some("F"),
            "CausePath",
            |k| matches!(k, K::Conflicts { other } if other == "Cause"),
        ),
    ]
}

fn parallel_map_cases() -> Vec<Case> {
    vec![
        case(
            "Parallel without Branches",
            machine("P", json!({"P": {"Type": "Parallel", "End": true}})),
            Some("P"),
            "Branches",
            |k| matches!(k, K::MissingField),
        ),
        case(
            "Parallel with empty Branches",
            machine(
                "P",
                json!({"P": {"Type": "Parallel", "End": true, "Branches": []}}),
            ),
            Some("P"),
            "Branches",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "Map without ItemProcessor",
            machine("M", json!({"M": {"Type": "Map", "End": true}})),
            Some("M"),
            "ItemProcessor",
            |k| matches!(k, K::MissingField),
        ),
        case(
            "Map with ItemProcessor and Iterator",
            machine(
                "M",
                json!({"M": map_state(json!({"Iterator":
            {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}))}),
            ),
            Some("M"),
            "Iterator",
            |k| matches!(k, K::Conflicts { .. }),
        ),
        case(
            "MaxConcurrency negative",
            machine("M", json!({"M": map_state(json!({"MaxConcurrency": -1}))})),
            Some("M"),
            "MaxConcurrency",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "ItemSelector and Parameters",
            machine(
                "M",
                json!({"M": map_state(json!({"ItemSelector": {}, "Parameters": {}}))}),
            ),
            Some("M"),
            "Parameters",
            |k| matches!(k, K::Conflicts { other } if other == "ItemSelector"),
        ),
        case(
            "Label too long",
            machine(
                "M",
                json!({"M": distributed_map(json!({"Label": "x".repeat(41)}))}),
            ),
            Some("M"),
            "Label",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "Label with a space",
            machine(
                "M",
                json!({"M": distributed_map(json!({"Label": "my label"}))}),
            ),
            Some("M"),
            "Label",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "ToleratedFailurePercentage over 100",
            machine(
                "M",
                json!({"M": distributed_map(json!({"ToleratedFailurePercentage": 101}))}),
            ),
            Some("M"),
            "ToleratedFailurePercentage",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "ToleratedFailureCount negative",
            machine(
                "M",
                json!({"M": distributed_map(json!({"ToleratedFailureCount": -2}))}),
            ),
            Some("M"),
            "ToleratedFailureCount",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "ItemReader without Resource",
            machine(
                "M",
                json!({"M": distributed_map(json!({"ItemReader": {"Parameters": {"Bucket": "b"}}}))}),
            ),
            Some("M"),
            "ItemReader.Resource",
            |k| matches!(k, K::MissingField),
        ),
        case(
            "ItemReader with another Resource",
            machine(
                "M",
                json!({"M": distributed_map(json!({"ItemReader": {"Resource": "arn:aws:states:::s3:putObject"}}))}),
            ),
            Some("M"),
            "ItemReader.Resource",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "ResultWriter Resource without Parameters",
            machine(
                "M",
                json!({"M": distributed_map(json!({"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject"}}))}),
            ),
            Some("M"),
            "ResultWriter.Parameters",
            |k| matches!(k, K::MissingField),
        ),
        case(
            "ResultWriter empty",
            machine(
                "M",
                json!({"M": distributed_map(json!({"ResultWriter": {}}))}),
            ),
            Some("M"),
            "ResultWriter.WriterConfig",
            |k| matches!(k, K::OneOfRequired { .. }),
        ),
        case(
            "ResultWriter bad Transformation",
            machine(
                "M",
                json!({"M": distributed_map(json!({"ResultWriter": {"WriterConfig": {"Transformation": "SQUASH"}}}))}),
            ),
            Some("M"),
            "ResultWriter.WriterConfig.Transformation",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "ItemBatcher without limits",
            machine(
                "M",
                json!({"M": distributed_map(json!({"ItemBatcher": {"BatchInput": {}}}))}),
            ),
            Some("M"),
            "ItemBatcher.MaxItemsPerBatch",
            |k| matches!(k, K::OneOfRequired { .. }),
        ),
        case(
            "DISTRIBUTED-only field in INLINE mode",
            machine(
                "M",
                json!({"M": map_state(json!({"ToleratedFailureCount": 1}))}),
            ),
            Some("M"),
            "ToleratedFailureCount",
            |k| matches!(k, K::RequiresDistributedMode),
        ),
        case(
            "ExecutionType in INLINE mode",
            machine(
                "M",
                json!({"M": {"Type": "Map", "End": true, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE", "ExecutionType": "EXPRESS"},
            "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}}),
            ),
            Some("M"),
            "ItemProcessor.ProcessorConfig.ExecutionType",
            |k| matches!(k, K::RequiresDistributedMode),
        ),
        case(
            "DISTRIBUTED without ExecutionType",
            machine(
                "M",
                json!({"M": {"Type": "Map", "End": true, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED"},
            "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}}),
            ),
            Some("M"),
            "ItemProcessor.ProcessorConfig.ExecutionType",
            |k| matches!(k, K::MissingField),
        ),
        case(
            "unknown Mode",
            machine(
                "M",
                json!({"M": {"Type": "Map", "End": true, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "SIDEWAYS"},
            "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}}),
            ),
            Some("M"),
            "ItemProcessor.ProcessorConfig.Mode",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
    ]
}

fn structure_cases() -> Vec<Case> {
    let long_name: &'static str = Box::leak("N".repeat(81).into_boxed_str());
    vec![
        case(
            "state name over 80 characters",
            json!({"StartAt": long_name, "States": {long_name: pass_end()}}),
            Some(long_name),
            "States",
            |k| matches!(k, K::NameTooLong),
        ),
        case(
            "unknown Type",
            machine("A", json!({"A": {"Type": "Teleport", "End": true}})),
            Some("A"),
            "Type",
            |k| matches!(k, K::UnknownStateType(t) if t == "Teleport"),
        ),
        case(
            "missing Type",
            machine("A", json!({"A": {"End": true}})),
            Some("A"),
            "Type",
            |k| matches!(k, K::MissingField),
        ),
        case(
            "unknown state field",
            machine("A", json!({"A": {"Type": "Pass", "End": true, "Reslt": 1}})),
            Some("A"),
            "Reslt",
            |k| matches!(k, K::UnknownField),
        ),
        case(
            "Result on a Task",
            machine("T", json!({"T": task(json!({"Result": 1}))})),
            Some("T"),
            "Result",
            |k| matches!(k, K::UnknownField),
        ),
        case(
            "unknown top-level field",
            json!({"StartAt": "A", "States": {"A": pass_end()}, "Timeout": 3}),
            None,
            "Timeout",
            |k| matches!(k, K::UnknownField),
        ),
        case(
            "JSONata at top level",
            json!({"StartAt": "A", "QueryLanguage": "JSONata", "States": {"A": pass_end()}}),
            None,
            "QueryLanguage",
            |k| matches!(k, K::Unsupported(_)),
        ),
        case(
            "JSONata in a state",
            machine(
                "A",
                json!({"A": {"Type": "Pass", "End": true, "QueryLanguage": "JSONata"}}),
            ),
            Some("A"),
            "QueryLanguage",
            |k| matches!(k, K::Unsupported(_)),
        ),
        case(
            "Assign variables",
            machine(
                "A",
                json!({"A": {"Type": "Pass", "End": true, "Assign": {"x": 1}}}),
            ),
            Some("A"),
            "Assign",
            |k| matches!(k, K::Unsupported(_)),
        ),
        case(
            "top-level TimeoutSeconds zero",
            json!({"StartAt": "A", "TimeoutSeconds": 0, "States": {"A": pass_end()}}),
            None,
            "TimeoutSeconds",
            |k| matches!(k, K::InvalidValue { .. }),
        ),
        case(
            "state not an object",
            machine("A", json!({"A": 3})),
            Some("A"),
            "States",
            |k| matches!(k, K::WrongType { .. }),
        ),
    ]
}

fn nested_cases() -> Vec<Case> {
    vec![
        Case {
            name: "unknown Next inside a Parallel branch",
            definition: machine(
                "P",
                json!({"P": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "X", "States": {"X": pass_end()}},
                {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Bar"}}}]}}),
            ),
            scope: "Parallel \"P\" branch 2",
            state: Some("X"),
            field: "Next",
            kind: |k| matches!(k, K::UnknownTarget(t) if t == "Bar"),
        },
        Case {
            name: "branch may not jump out of itself",
            definition: machine(
                "P",
                json!({"P": {"Type": "Parallel", "Next": "After", "Branches": [
                {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "After"}}}]}, "After": pass_end()}),
            ),
            scope: "Parallel \"P\" branch 1",
            state: Some("X"),
            field: "Next",
            kind: |k| matches!(k, K::UnknownTarget(t) if t == "After"),
        },
        Case {
            name: "bad path inside a Map processor inside a branch",
            definition: machine(
                "P",
                json!({"P": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "M", "States": {"M": map_state(json!({"ItemProcessor": {"StartAt": "I",
                    "States": {"I": {"Type": "Pass", "End": true, "OutputPath": "x"}}}}))}}]}}),
            ),
            scope: "Parallel \"P\" branch 1 > Map \"M\" processor",
            state: Some("I"),
            field: "OutputPath",
            kind: |k| matches!(k, K::InvalidPath { .. }),
        },
        Case {
            name: "StartAt unknown inside a processor",
            definition: machine(
                "M",
                json!({"M": map_state(json!({"ItemProcessor": {"StartAt": "Q",
                "States": {"I": {"Type": "Pass", "End": true}}}}))}),
            ),
            scope: "Map \"M\" processor",
            state: None,
            field: "StartAt",
            kind: |k| matches!(k, K::UnknownTarget(t) if t == "Q"),
        },
    ]
}

#[test]
fn every_invalid_definition_names_its_error() {
    let cases: Vec<Case> = [
        transition_cases(),
        path_cases(),
        retry_cases(),
        choice_wait_fail_cases(),
        parallel_map_cases(),
        structure_cases(),
        nested_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let failures: Vec<String> = cases.iter().filter_map(|c| check(c).err()).collect();
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn empty_state_names_are_rejected() {
    // The empty StartAt/Next that must name it are reported too.
    let err = StateMachine::from_value(&json!({"StartAt": "", "States": {"": pass_end()}}))
        .expect_err("empty name");
    assert!(
        err.errors
            .iter()
            .any(|e| e.state.as_deref() == Some("") && matches!(e.kind, K::InvalidValue { .. })),
        "{err:?}"
    );
}

#[test]
fn invalid_json_is_reported() {
    let err = StateMachine::from_json("{\"StartAt\": ").expect_err("truncated JSON");
    assert!(matches!(err.errors[0].kind, K::InvalidJson(_)));
    let err = StateMachine::from_json("[1]").expect_err("not an object");
    assert!(matches!(err.errors[0].kind, K::WrongType { .. }));
}

#[test]
fn all_errors_are_reported_at_once() {
    let def = machine(
        "A",
        json!({
            "A": {"Type": "Pass", "Next": "Nope", "InputPath": "bad"},
            "B": {"Type": "Wait", "End": true}
        }),
    );
    let err = StateMachine::from_value(&def).expect_err("three problems");
    let fields: Vec<(Option<&str>, &str)> = err
        .errors
        .iter()
        .map(|e| (e.state.as_deref(), e.field.as_str()))
        .collect();
    assert!(fields.contains(&(Some("A"), "InputPath")), "{fields:?}");
    assert!(fields.contains(&(Some("A"), "Next")), "{fields:?}");
    assert!(fields.contains(&(Some("B"), "Seconds")), "{fields:?}");
    assert!(err.to_string().contains("more error"), "{err}");
}
