//! Semantics of paths, payload templates, ResultPath, data flow, Choice,
//! Retry/Catch, Wait and Fail, mostly on the ASL specification's own examples.
#![allow(clippy::unwrap_used, missing_docs)]

use serde_json::{json, Value};
use shoal_engine::asl::choice::{evaluate, next_state};
use shoal_engine::asl::dataflow::states::{
    catcher_output, effective_input, fail_error, map_item_input, map_items, pass_output,
    passthrough_output, resolve_integer, state_output, wait_until,
};
use shoal_engine::asl::dataflow::{apply_result_path, check_payload_size, DataFlowEnv};
use shoal_engine::asl::error::{
    DATA_LIMIT_EXCEEDED, NO_CHOICE_MATCHED, PARAMETER_PATH_FAILURE, RESULT_PATH_MATCH_FAILURE,
    RUNTIME,
};
use shoal_engine::asl::model::{Catcher, MapState, State, TaskState};
use shoal_engine::asl::path::{JsonPath, ReferencePath};
use shoal_engine::asl::retry::{decide_retry, find_catcher, retry_delay_ms, RetryDecision};
use shoal_engine::asl::timestamp::parse_timestamp;
use shoal_engine::asl::{DataFlowOptions, SeededRandom, StateMachine, StatesError};

/// Parses a machine made of `states`, starting at `start`.
fn machine(start: &str, states: Value) -> StateMachine {
    StateMachine::from_value(&json!({"StartAt": start, "States": states}))
        .unwrap_or_else(|e| panic!("valid test machine: {e}"))
}

/// A one-state machine; returns that state.
fn single(state: Value) -> State {
    machine("S", json!({ "S": state }))
        .state("S")
        .unwrap()
        .clone()
}

fn task(state: Value) -> TaskState {
    match single(state) {
        State::Task(t) => t,
        other => panic!("not a task: {other:?}"),
    }
}

fn map(state: Value) -> MapState {
    match single(state) {
        State::Map(m) => m,
        other => panic!("not a map: {other:?}"),
    }
}

/// Runs `f` with a data-flow environment over `context`.
fn with_env<T>(context: &Value, f: impl FnOnce(&mut DataFlowEnv<'_>) -> T) -> T {
    let options = DataFlowOptions::default();
    let mut random = SeededRandom::new(7);
    let mut env = DataFlowEnv {
        context,
        random: &mut random,
        options: &options,
    };
    f(&mut env)
}

fn path(text: &str) -> JsonPath {
    JsonPath::parse(text).unwrap()
}

// ---------------------------------------------------------------- paths

#[test]
fn reference_path_examples_from_the_specification() {
    let data = json!({"foo": 123, "bar": ["a", "b", "c"], "car": {"cdr": true}});
    for (p, expected) in [
        ("$.foo", json!(123)),
        ("$.bar", json!(["a", "b", "c"])),
        ("$.car.cdr", json!(true)),
    ] {
        assert_eq!(
            ReferencePath::parse(p).unwrap().get(&data),
            Some(&expected),
            "{p}"
        );
    }
    // Every "acceptable Reference Path syntax" example of the specification parses.
    for p in [
        "$.store.book",
        "$.store\\.book",
        "$.\\stor\\e.boo\\k",
        "$.store.book.title",
        "$.foo.\\.bar",
        "$.foo\\@bar.baz\\[\\[.\\?pretty",
        "$.&Ж中.\u{10346}",
        "$.ledgers.branch[0].pending.count",
        "$.ledgers.branch[0]",
        "$.ledgers[0][22][315].foo",
        "$['store']['book']",
        "$['store'][0]['book']",
    ] {
        assert!(
            ReferencePath::parse(p).is_ok(),
            "{p} should be a reference path"
        );
    }
    let escaped = json!({"store.book": 1, "foo@bar": {"baz[[": {"?pretty": 2}}});
    assert_eq!(
        ReferencePath::parse("$.store\\.book")
            .unwrap()
            .get(&escaped),
        Some(&json!(1))
    );
    assert_eq!(
        ReferencePath::parse("$.foo\\@bar.baz\\[\\[.\\?pretty")
            .unwrap()
            .get(&escaped),
        Some(&json!(2))
    );
}

#[test]
fn multi_match_paths_yield_arrays() {
    let data = json!({"a": [1, 2, 3], "b": {"c": {"a": 9}}});
    assert_eq!(
        path("$.a[0,1]").resolve(&data, &Value::Null),
        Some(json!([1, 2]))
    );
    assert_eq!(
        path("$..a").resolve(&data, &Value::Null),
        Some(json!([[1, 2, 3], 9]))
    );
    assert_eq!(
        path("$.a[?(@ > 1)]").resolve(&data, &Value::Null),
        Some(json!([2, 3]))
    );
    assert_eq!(
        path("$.b.*").resolve(&data, &Value::Null),
        Some(json!([{"a": 9}]))
    );
    // A definite path that selects nothing is absent, an indefinite one is [].
    assert_eq!(path("$.zz").resolve(&data, &Value::Null), None);
    assert_eq!(
        path("$.zz[*]").resolve(&data, &Value::Null),
        Some(json!([]))
    );
    assert_eq!(
        path("$.abc.['def ghi']").resolve(&json!({"abc": {"def ghi": 1}}), &Value::Null),
        Some(json!(1))
    );
}

// ------------------------------------------------------ payload templates

#[test]
fn payload_template_example_from_the_specification() {
    let t = task(
        json!({"Type": "Task", "Resource": "X", "End": true, "Parameters": {
            "flagged": true,
            "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[-3:]"},
            "weekday.$": "$$.DayOfWeek",
            "formattedOutput.$": "States.Format('Today is {}', $$.DayOfWeek)"
        }}),
    );
    let input = json!({"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]});
    let context = json!({"DayOfWeek": "TUESDAY"});
    let effective = with_env(&context, |env| {
        effective_input(t.input_path.as_ref(), t.parameters.as_ref(), &input, env)
    })
    .unwrap();
    assert_eq!(
        effective,
        json!({"flagged": true, "parts": {"first": 0, "last3": [30, 40, 50]},
               "weekday": "TUESDAY", "formattedOutput": "Today is TUESDAY"})
    );
}

#[test]
fn templates_nest_through_arrays_and_fail_with_parameter_path_failure() {
    let t = task(
        json!({"Type": "Task", "Resource": "X", "End": true, "Parameters": {
            "list": [{"v.$": "$.a"}, "plain", ["x", {"w.$": "$$.Execution.Id"}]]
        }}),
    );
    let context = json!({"Execution": {"Id": "exec-1"}});
    let out = with_env(&context, |env| {
        effective_input(
            t.input_path.as_ref(),
            t.parameters.as_ref(),
            &json!({"a": 1}),
            env,
        )
    })
    .unwrap();
    assert_eq!(
        out,
        json!({"list": [{"v": 1}, "plain", ["x", {"w": "exec-1"}]]})
    );
    let err = with_env(&context, |env| {
        effective_input(
            t.input_path.as_ref(),
            t.parameters.as_ref(),
            &json!({}),
            env,
        )
    })
    .unwrap_err();
    assert_eq!(err.error, PARAMETER_PATH_FAILURE);
}

// ------------------------------------------------------------ ResultPath

#[test]
fn result_path_examples_from_the_specification() {
    let raw = json!({"master": {"detail": [1, 2, 3]}});
    let overwrite = ReferencePath::parse("$.master.detail").unwrap();
    assert_eq!(
        apply_result_path(Some(&overwrite), &raw, json!(6)).unwrap(),
        json!({"master": {"detail": 6}})
    );
    let create = ReferencePath::parse("$.master.result.sum").unwrap();
    assert_eq!(
        apply_result_path(Some(&create), &raw, json!(6)).unwrap(),
        json!({"master": {"detail": [1, 2, 3], "result": {"sum": 6}}})
    );
    let greeting = ReferencePath::parse("$.b.greeting").unwrap();
    assert_eq!(
        apply_result_path(Some(&greeting), &json!({"a": 1}), json!("Hi!")).unwrap(),
        json!({"a": 1, "b": {"greeting": "Hi!"}})
    );
    // The specification's runtime error: input "foo", ResultPath "$.x".
    let x = ReferencePath::parse("$.x").unwrap();
    let err = apply_result_path(Some(&x), &json!("foo"), json!(1)).unwrap_err();
    assert_eq!(err.error, RESULT_PATH_MATCH_FAILURE);
    // null discards the result; "$" replaces the input.
    assert_eq!(apply_result_path(None, &raw, json!(6)).unwrap(), raw);
    assert_eq!(
        apply_result_path(Some(&ReferencePath::root()), &raw, json!(6)).unwrap(),
        json!(6)
    );
}

#[test]
fn input_output_processing_example_from_the_specification() {
    let t = task(json!({"Type": "Task", "Resource": "add", "End": true,
        "InputPath": "$.numbers", "ResultPath": "$.sum"}));
    let raw = json!({"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}});
    let ctx = json!({});
    let effective = with_env(&ctx, |env| {
        effective_input(t.input_path.as_ref(), None, &raw, env)
    })
    .unwrap();
    assert_eq!(effective, json!({"val1": 3, "val2": 4}));
    let output = with_env(&ctx, |env| {
        state_output(
            None,
            t.result_path.as_ref(),
            t.output_path.as_ref(),
            &raw,
            json!(7),
            env,
        )
    })
    .unwrap();
    assert_eq!(
        output,
        json!({"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}, "sum": 7})
    );
}

#[test]
fn result_selector_then_result_path_then_output_path() {
    let t = task(json!({"Type": "Task", "Resource": "r", "End": true,
        "ResultSelector": {"id.$": "$.Payload.id", "fixed": 1},
        "ResultPath": "$.res", "OutputPath": "$.res"}));
    let raw = json!({"keep": true});
    let output = with_env(&json!({}), |env| {
        state_output(
            t.result_selector.as_ref(),
            t.result_path.as_ref(),
            t.output_path.as_ref(),
            &raw,
            json!({"Payload": {"id": 42, "noise": "x"}}),
            env,
        )
    })
    .unwrap();
    assert_eq!(output, json!({"id": 42, "fixed": 1}));
}

#[test]
fn null_paths_give_empty_objects() {
    let t = task(json!({"Type": "Task", "Resource": "r", "End": true,
        "InputPath": null, "ResultPath": null, "OutputPath": null}));
    let raw = json!({"a": 1});
    let ctx = json!({});
    assert_eq!(
        with_env(&ctx, |env| effective_input(
            t.input_path.as_ref(),
            None,
            &raw,
            env
        ))
        .unwrap(),
        json!({})
    );
    let out = with_env(&ctx, |env| {
        state_output(
            None,
            t.result_path.as_ref(),
            t.output_path.as_ref(),
            &raw,
            json!(5),
            env,
        )
    });
    assert_eq!(out.unwrap(), json!({}));
    let keep = task(json!({"Type": "Task", "Resource": "r", "End": true, "ResultPath": null}));
    let out = with_env(&ctx, |env| {
        state_output(
            None,
            keep.result_path.as_ref(),
            keep.output_path.as_ref(),
            &raw,
            json!(5),
            env,
        )
    });
    assert_eq!(out.unwrap(), raw);
}

#[test]
fn input_path_that_selects_nothing_is_a_runtime_error() {
    let t = task(json!({"Type": "Task", "Resource": "r", "End": true, "InputPath": "$.missing"}));
    let err = with_env(&json!({}), |env| {
        effective_input(t.input_path.as_ref(), None, &json!({}), env)
    })
    .unwrap_err();
    assert_eq!(err.error, RUNTIME);
}

#[test]
fn pass_state_example_from_the_specification() {
    let State::Pass(p) = single(json!({"Type": "Pass", "End": true,
        "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355}, "ResultPath": "$.coords"}))
    else {
        panic!("pass")
    };
    let out = with_env(&json!({}), |env| {
        pass_output(&p, &json!({"georefOf": "Home"}), env)
    })
    .unwrap();
    assert_eq!(
        out,
        json!({"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355}})
    );
    // Without Result, Parameters (or the input) is the result.
    let State::Pass(p) = single(
        json!({"Type": "Pass", "End": true, "Parameters": {"v.$": "$.a"}, "ResultPath": "$.p"}),
    ) else {
        panic!("pass")
    };
    let out = with_env(&json!({}), |env| pass_output(&p, &json!({"a": 2}), env)).unwrap();
    assert_eq!(out, json!({"a": 2, "p": {"v": 2}}));
}

#[test]
fn payload_limit_is_configurable() {
    let options = DataFlowOptions::default().with_payload_limit_bytes(10);
    assert_eq!(options.payload_limit_bytes(), 10);
    assert!(check_payload_size(&json!("12345678"), &options, "state output").is_ok());
    let err = check_payload_size(&json!("123456789"), &options, "state output").unwrap_err();
    assert_eq!(err.error, DATA_LIMIT_EXCEEDED);
    assert_eq!(DataFlowOptions::default().payload_limit_bytes(), 262_144);
    // Through a stage: an over-limit result fails the state.
    let t = task(json!({"Type": "Task", "Resource": "r", "End": true}));
    let mut random = SeededRandom::new(1);
    let ctx = json!({});
    let mut env = DataFlowEnv {
        context: &ctx,
        random: &mut random,
        options: &options,
    };
    let err = state_output(
        None,
        t.result_path.as_ref(),
        t.output_path.as_ref(),
        &json!({}),
        json!("a long result string"),
        &mut env,
    )
    .unwrap_err();
    assert_eq!(err.error, DATA_LIMIT_EXCEEDED);
}

// ------------------------------------------------------------------ Map

#[test]
fn map_example_from_the_specification() {
    let m = map(
        json!({"Type": "Map", "End": true, "InputPath": "$.detail", "ItemsPath": "$.shipped",
        "MaxConcurrency": 0,
        "ItemSelector": {"parcel.$": "$$.Map.Item.Value", "courier.$": "$.delivery-partner"},
        "ItemProcessor": {"StartAt": "Validate", "States": {"Validate": {"Type": "Task", "Resource": "ship-val", "End": true}}},
        "ResultPath": "$.detail.shipped"}),
    );
    let raw = json!({"ship-date": "2016-03-14T01:59:00Z", "detail": {"delivery-partner": "UQS", "shipped": [
        {"prod": "R31", "dest-code": 9511, "quantity": 1344},
        {"prod": "S39", "dest-code": 9511, "quantity": 40}]}});
    let ctx = json!({"Execution": {"Id": "e"}});
    let effective = with_env(&ctx, |env| {
        effective_input(m.input_path.as_ref(), None, &raw, env)
    })
    .unwrap();
    let items = map_items(&m, &effective, &ctx).unwrap();
    assert_eq!(items.len(), 2);
    let first = with_env(&ctx, |env| {
        map_item_input(&m, &effective, 0, &items[0], env)
    })
    .unwrap();
    assert_eq!(
        first,
        json!({"parcel": {"prod": "R31", "dest-code": 9511, "quantity": 1344}, "courier": "UQS"})
    );
    let results = json!([{"ok": 1}, {"ok": 2}]);
    let out = with_env(&ctx, |env| {
        state_output(
            None,
            m.result_path.as_ref(),
            m.output_path.as_ref(),
            &raw,
            results.clone(),
            env,
        )
    })
    .unwrap();
    assert_eq!(out["detail"]["shipped"], results);
    assert_eq!(out["ship-date"], "2016-03-14T01:59:00Z");
}

#[test]
fn map_items_must_be_an_array_and_index_is_in_the_context() {
    let m = map(
        json!({"Type": "Map", "End": true, "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}),
    );
    let ctx = json!({});
    assert_eq!(
        map_items(&m, &json!({"not": "array"}), &ctx)
            .unwrap_err()
            .error,
        RUNTIME
    );
    let items = map_items(&m, &json!(["a", "b"]), &ctx).unwrap();
    let second = with_env(&ctx, |env| {
        map_item_input(&m, &json!(["a", "b"]), 1, &items[1], env)
    })
    .unwrap();
    assert_eq!(second, json!({"i": 1, "v": "b"}));
}

// ---------------------------------------------------------------- Choice

fn dispatch_event() -> StateMachine {
    machine(
        "DispatchEvent",
        json!({
            "DispatchEvent": {"Type": "Choice", "Choices": [
                {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
                {"And": [
                    {"Variable": "$.value", "IsPresent": true},
                    {"Variable": "$.value", "IsNumeric": true},
                    {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                    {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"},
                {"Variable": "$.rating", "NumericGreaterThanPath": "$.auditThreshold", "Next": "StartAudit"}
            ], "Default": "RecordEvent"},
            "Public": {"Type": "Succeed"}, "ValueInTwenties": {"Type": "Succeed"},
            "StartAudit": {"Type": "Succeed"}, "RecordEvent": {"Type": "Succeed"}
        }),
    )
}

#[test]
fn choice_example_from_the_specification() {
    let sm = dispatch_event();
    let State::Choice(c) = sm.state("DispatchEvent").unwrap() else {
        panic!("choice")
    };
    let ctx = json!({});
    let go = |input: Value| evaluate(c, &input, &ctx).unwrap();
    assert_eq!(
        go(json!({"type": "Private", "value": 22})),
        Some("ValueInTwenties")
    );
    assert_eq!(go(json!({"type": "Public"})), Some("Public"));
    assert_eq!(
        go(json!({"type": "Private", "value": 35, "rating": 9, "auditThreshold": 5})),
        Some("StartAudit")
    );
    assert_eq!(
        go(json!({"type": "Private", "value": 35, "rating": 1, "auditThreshold": 5})),
        Some("RecordEvent")
    );
    // Type mismatch is false, not an error: "22" is not numeric.
    assert_eq!(
        go(json!({"type": "Private", "value": "22", "rating": 1, "auditThreshold": 5})),
        Some("RecordEvent")
    );
}

fn one_rule(rule: Value) -> StateMachine {
    let mut rule = rule;
    rule["Next"] = json!("Yes");
    machine(
        "C",
        json!({"C": {"Type": "Choice", "Choices": [rule], "Default": "No"},
        "Yes": {"Type": "Succeed"}, "No": {"Type": "Succeed"}}),
    )
}

fn holds(rule: Value, input: Value) -> bool {
    let sm = one_rule(rule);
    let State::Choice(c) = sm.state("C").unwrap() else {
        panic!("choice")
    };
    evaluate(c, &input, &json!({})).unwrap() == Some("Yes")
}

#[test]
fn every_comparison_operator() {
    let v = |x: Value| json!({"v": x, "w": x});
    let cases = [
        (
            json!({"Variable": "$.v", "StringEquals": "b"}),
            v(json!("b")),
            true,
        ),
        (
            json!({"Variable": "$.v", "StringLessThan": "b"}),
            v(json!("a")),
            true,
        ),
        (
            json!({"Variable": "$.v", "StringGreaterThan": "b"}),
            v(json!("c")),
            true,
        ),
        (
            json!({"Variable": "$.v", "StringLessThanEquals": "b"}),
            v(json!("b")),
            true,
        ),
        (
            json!({"Variable": "$.v", "StringGreaterThanEquals": "b"}),
            v(json!("a")),
            false,
        ),
        (
            json!({"Variable": "$.v", "NumericEquals": 1}),
            v(json!(1.0)),
            true,
        ),
        (
            json!({"Variable": "$.v", "NumericLessThan": 1}),
            v(json!(0.5)),
            true,
        ),
        (
            json!({"Variable": "$.v", "NumericGreaterThan": 1}),
            v(json!(1)),
            false,
        ),
        (
            json!({"Variable": "$.v", "NumericLessThanEquals": 1}),
            v(json!(1)),
            true,
        ),
        (
            json!({"Variable": "$.v", "NumericGreaterThanEquals": 1}),
            v(json!(2)),
            true,
        ),
        (
            json!({"Variable": "$.v", "BooleanEquals": false}),
            v(json!(false)),
            true,
        ),
        (
            json!({"Variable": "$.v", "BooleanEquals": false}),
            v(json!(0)),
            false,
        ),
        (
            json!({"Variable": "$.v", "TimestampEquals": "2020-01-01T00:00:00Z"}),
            v(json!("2020-01-01T01:00:00+01:00")),
            true,
        ),
        (
            json!({"Variable": "$.v", "TimestampLessThan": "2020-01-01T00:00:00Z"}),
            v(json!("2019-12-31T23:59:59Z")),
            true,
        ),
        (
            json!({"Variable": "$.v", "TimestampGreaterThan": "2020-01-01T00:00:00Z"}),
            v(json!("not a time")),
            false,
        ),
        (
            json!({"Variable": "$.v", "TimestampLessThanEquals": "2020-01-01T00:00:00Z"}),
            v(json!("2020-01-01T00:00:00Z")),
            true,
        ),
        (
            json!({"Variable": "$.v", "TimestampGreaterThanEquals": "2020-01-01T00:00:00Z"}),
            v(json!("2021-01-01T00:00:00Z")),
            true,
        ),
        (
            json!({"Variable": "$.v", "StringEqualsPath": "$.w"}),
            v(json!("x")),
            true,
        ),
        (
            json!({"Variable": "$.v", "NumericLessThanPath": "$.w"}),
            v(json!(3)),
            false,
        ),
        (
            json!({"Variable": "$.v", "NumericGreaterThanEqualsPath": "$.w"}),
            v(json!(3)),
            true,
        ),
        (
            json!({"Variable": "$.v", "BooleanEqualsPath": "$.w"}),
            v(json!(true)),
            true,
        ),
        (
            json!({"Variable": "$.v", "TimestampEqualsPath": "$.w"}),
            v(json!("2020-01-01T00:00:00Z")),
            true,
        ),
        (
            json!({"Variable": "$.v", "StringLessThanEqualsPath": "$.w"}),
            v(json!("q")),
            true,
        ),
        (
            json!({"Variable": "$.v", "IsNull": true}),
            v(json!(null)),
            true,
        ),
        (
            json!({"Variable": "$.v", "IsNull": false}),
            v(json!(null)),
            false,
        ),
        (
            json!({"Variable": "$.v", "IsNumeric": true}),
            v(json!(3)),
            true,
        ),
        (
            json!({"Variable": "$.v", "IsString": true}),
            v(json!("3")),
            true,
        ),
        (
            json!({"Variable": "$.v", "IsBoolean": true}),
            v(json!(true)),
            true,
        ),
        (
            json!({"Variable": "$.v", "IsTimestamp": true}),
            v(json!("2016-03-14T01:59:00Z")),
            true,
        ),
        (
            json!({"Variable": "$.v", "IsTimestamp": true}),
            v(json!("2016-03-14")),
            false,
        ),
        (
            json!({"Variable": "$.nope", "IsPresent": false}),
            v(json!(1)),
            true,
        ),
        (
            json!({"Variable": "$.v", "IsPresent": true}),
            v(json!(null)),
            true,
        ),
        (
            json!({"Or": [{"Variable": "$.v", "IsNull": true}, {"Variable": "$.v", "NumericEquals": 2}]}),
            v(json!(2)),
            true,
        ),
        (
            json!({"And": [{"Variable": "$.v", "IsString": true}, {"Not": {"Variable": "$.v", "StringEquals": "a"}}]}),
            v(json!("b")),
            true,
        ),
    ];
    for (i, (rule, input, expected)) in cases.into_iter().enumerate() {
        assert_eq!(holds(rule.clone(), input), expected, "case {i}: {rule}");
    }
}

#[test]
fn string_matches_examples_from_the_specification() {
    let m = |pattern: &str, s: &str| {
        holds(
            json!({"Variable": "$.s", "StringMatches": pattern}),
            json!({"s": s}),
        )
    };
    assert!(m("foo*.log", "foo23.log"));
    assert!(m("*.log", "zebra.log"));
    assert!(m("foo*.*", "foobar.zebra"));
    assert!(!m("foo*.log", "foo23.txt"));
    assert!(m("a\\*b", "a*b"));
    assert!(!m("a\\*b", "axb"));
    assert!(m("back\\\\slash", "back\\slash"));
    assert!(m("*", "x"));
    // A non-string never matches, not even "*".
    assert!(!holds(
        json!({"Variable": "$.s", "StringMatches": "*"}),
        json!({"s": 1})
    ));
}

#[test]
fn choice_errors() {
    let sm = one_rule(json!({"Variable": "$.missing", "StringEquals": "x"}));
    let State::Choice(c) = sm.state("C").unwrap() else {
        panic!("choice")
    };
    assert_eq!(
        evaluate(c, &json!({}), &json!({})).unwrap_err().error,
        RUNTIME
    );
    let sm = machine(
        "C",
        json!({"C": {"Type": "Choice", "Choices": [
        {"Variable": "$.a", "IsNull": true, "Next": "E"}]}, "E": {"Type": "Succeed"}}),
    );
    let State::Choice(c) = sm.state("C").unwrap() else {
        panic!("choice")
    };
    assert_eq!(evaluate(c, &json!({"a": 1}), &json!({})).unwrap(), None);
    assert_eq!(
        next_state(c, &json!({"a": 1}), &json!({}))
            .unwrap_err()
            .error,
        NO_CHOICE_MATCHED
    );
    assert_eq!(next_state(c, &json!({"a": null}), &json!({})).unwrap(), "E");
    // The Variable may read the context object.
    let sm = one_rule(json!({"Variable": "$$.Execution.Name", "StringEquals": "run-1"}));
    let State::Choice(c) = sm.state("C").unwrap() else {
        panic!("choice")
    };
    assert_eq!(
        evaluate(c, &json!({}), &json!({"Execution": {"Name": "run-1"}})).unwrap(),
        Some("Yes")
    );
}

#[test]
fn choice_output_is_input_path_then_output_path() {
    let State::Choice(c) = machine("C", json!({"C": {"Type": "Choice", "InputPath": "$.a", "OutputPath": "$.b",
        "Choices": [{"Variable": "$.b", "IsPresent": true, "Next": "E"}]}, "E": {"Type": "Succeed"}}))
        .state("C").unwrap().clone() else { panic!("choice") };
    let out = with_env(&json!({}), |env| {
        passthrough_output(
            c.input_path.as_ref(),
            c.output_path.as_ref(),
            &json!({"a": {"b": 5}}),
            env,
        )
    });
    assert_eq!(out.unwrap(), json!(5));
}

// ----------------------------------------------------------- Retry/Catch

fn retriers(retry: Value) -> TaskState {
    task(json!({"Type": "Task", "Resource": "X", "End": true, "Retry": retry}))
}

#[test]
fn retry_examples_from_the_specification() {
    let t = retriers(
        json!([{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 3, "MaxAttempts": 2, "BackoffRate": 2.0}]),
    );
    let r = &t.retry[0];
    assert_eq!(
        (retry_delay_ms(r, 1, 0.0), retry_delay_ms(r, 2, 0.0)),
        (3000, 6000)
    );
    let t = retriers(
        json!([{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 3, "MaxAttempts": 2, "BackoffRate": 2.0, "MaxDelaySeconds": 4}]),
    );
    assert_eq!(
        (
            retry_delay_ms(&t.retry[0], 1, 0.0),
            retry_delay_ms(&t.retry[0], 2, 0.0)
        ),
        (3000, 4000)
    );
    // Defaults: 1 s, x2.0, 3 attempts.
    let t = retriers(json!([{"ErrorEquals": ["E"]}]));
    let delays: Vec<u64> = (1..=3)
        .map(|a| retry_delay_ms(&t.retry[0], a, 0.0))
        .collect();
    assert_eq!(delays, vec![1000, 2000, 4000]);
    assert_eq!(
        decide_retry(&t.retry, &StatesError::new("E", ""), &[3], 0.0),
        RetryDecision::Exhausted
    );
    // FULL jitter: a fraction of the computed delay.
    let t =
        retriers(json!([{"ErrorEquals": ["E"], "IntervalSeconds": 10, "JitterStrategy": "FULL"}]));
    assert_eq!(retry_delay_ms(&t.retry[0], 1, 0.5), 5000);
    assert_eq!(retry_delay_ms(&t.retry[0], 2, 0.25), 5000);
}

#[test]
fn retry_everything_but_timeouts_example() {
    let t = retriers(
        json!([{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 0}, {"ErrorEquals": ["States.ALL"]}]),
    );
    assert_eq!(
        decide_retry(&t.retry, &StatesError::new("States.Timeout", ""), &[], 0.0),
        RetryDecision::Exhausted
    );
    assert!(matches!(
        decide_retry(&t.retry, &StatesError::new("Other", ""), &[], 0.0),
        RetryDecision::Retry {
            retrier: 1,
            attempt: 1,
            delay_ms: 1000
        }
    ));
    // Terminal errors are not retried by States.ALL.
    assert_eq!(
        decide_retry(&t.retry, &StatesError::new(RUNTIME, ""), &[], 0.0),
        RetryDecision::Exhausted
    );
    assert_eq!(
        decide_retry(
            &t.retry,
            &StatesError::new(DATA_LIMIT_EXCEEDED, ""),
            &[],
            0.0
        ),
        RetryDecision::Exhausted
    );
}

#[test]
fn complex_retry_scenario_from_the_specification() {
    let sm = machine(
        "X",
        json!({"X": {"Type": "Task", "Resource": "X", "Next": "Y",
        "Retry": [{"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 2},
                  {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Z"}]},
        "Y": {"Type": "Succeed"}, "Z": {"Type": "Succeed"}}),
    );
    let State::Task(t) = sm.state("X").unwrap() else {
        panic!("task")
    };
    let mut counters = vec![0u64; t.retry.len()];
    let mut waits = Vec::new();
    for name in ["ErrorA", "ErrorB", "ErrorC", "ErrorB"] {
        match decide_retry(&t.retry, &StatesError::new(name, ""), &counters, 0.0) {
            RetryDecision::Retry {
                retrier, delay_ms, ..
            } => {
                counters[retrier] += 1;
                waits.push(delay_ms);
            }
            RetryDecision::Exhausted => {
                let (_, catcher) = find_catcher(&t.catch, name).unwrap();
                assert_eq!(catcher.next, "Z");
                waits.push(u64::MAX);
            }
        }
    }
    assert_eq!(waits, vec![1000, 2000, 5000, u64::MAX]);
}

#[test]
fn catcher_result_path_example_from_the_specification() {
    let sm = machine(
        "T",
        json!({"T": {"Type": "Task", "Resource": "X", "End": true, "Catch": [
        {"ErrorEquals": ["java.lang.Exception"], "ResultPath": "$.error-info", "Next": "RecoveryState"},
        {"ErrorEquals": ["States.ALL"], "Next": "EndMachine"}]},
        "RecoveryState": {"Type": "Succeed"}, "EndMachine": {"Type": "Succeed"}}),
    );
    let State::Task(t) = sm.state("T").unwrap() else {
        panic!("task")
    };
    let input = json!({"order": 1});
    let error = StatesError::new("java.lang.Exception", "boom");
    let (_, c) = find_catcher(&t.catch, &error.error).unwrap();
    assert_eq!(c.next, "RecoveryState");
    assert_eq!(
        catcher_output(c, &input, &error).unwrap(),
        json!({"order": 1, "error-info": {"Error": "java.lang.Exception", "Cause": "boom"}})
    );
    let other = StatesError::new("Other", "x");
    let (_, c): (usize, &Catcher) = find_catcher(&t.catch, &other.error).unwrap();
    assert_eq!(c.next, "EndMachine");
    assert_eq!(
        catcher_output(c, &input, &other).unwrap(),
        json!({"Error": "Other", "Cause": "x"})
    );
    // States.TaskFailed in a catcher does not catch a timeout.
    let sm = machine(
        "T",
        json!({"T": {"Type": "Task", "Resource": "X", "End": true, "Catch": [
        {"ErrorEquals": ["States.TaskFailed"], "Next": "T"}]}}),
    );
    let State::Task(t) = sm.state("T").unwrap() else {
        panic!("task")
    };
    assert!(find_catcher(&t.catch, "States.Timeout").is_none());
    assert!(find_catcher(&t.catch, "Handler.Error").is_some());
}

// --------------------------------------------------------- Wait and Fail

#[test]
fn wait_deadlines() {
    let entered = parse_timestamp("2024-05-01T10:00:00Z").unwrap();
    let deadline = |state: Value, input: Value| {
        let State::Wait(w) = single(state) else {
            panic!("wait")
        };
        wait_until(&w, &input, &json!({}), entered)
    };
    assert_eq!(
        deadline(
            json!({"Type": "Wait", "Seconds": 10, "End": true}),
            json!({})
        )
        .unwrap(),
        parse_timestamp("2024-05-01T10:00:10Z").unwrap()
    );
    assert_eq!(
        deadline(
            json!({"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "End": true}),
            json!({})
        )
        .unwrap(),
        parse_timestamp("2016-03-14T01:59:00Z").unwrap()
    );
    assert_eq!(
        deadline(
            json!({"Type": "Wait", "SecondsPath": "$.s", "End": true}),
            json!({"s": 3600})
        )
        .unwrap(),
        parse_timestamp("2024-05-01T11:00:00Z").unwrap()
    );
    assert_eq!(
        deadline(
            json!({"Type": "Wait", "TimestampPath": "$.expirydate", "End": true}),
            json!({"expirydate": "2016-03-14T01:59:00Z"})
        )
        .unwrap(),
        parse_timestamp("2016-03-14T01:59:00Z").unwrap()
    );
    assert_eq!(
        deadline(
            json!({"Type": "Wait", "SecondsPath": "$.s", "End": true}),
            json!({"s": -1})
        )
        .unwrap_err()
        .error,
        RUNTIME
    );
    assert_eq!(
        deadline(
            json!({"Type": "Wait", "TimestampPath": "$.t", "End": true}),
            json!({"t": "soon"})
        )
        .unwrap_err()
        .error,
        RUNTIME
    );
}

#[test]
fn fail_error_and_cause() {
    let fail = |state: Value, input: Value| {
        let State::Fail(f) = single(state) else {
            panic!("fail")
        };
        with_env(&json!({}), |env| fail_error(&f, &input, env))
    };
    assert_eq!(
        fail(
            json!({"Type": "Fail", "Error": "ErrorA", "Cause": "Kaiju attack"}),
            json!({})
        )
        .unwrap(),
        StatesError::new("ErrorA", "Kaiju attack")
    );
    assert_eq!(
        fail(
            json!({"Type": "Fail", "ErrorPath": "$.Error", "CausePath": "$.Cause"}),
            json!({"Error": "E", "Cause": "C"})
        )
        .unwrap(),
        StatesError::new("E", "C")
    );
    assert_eq!(
        fail(
            json!({"Type": "Fail", "CausePath": "States.Format('cause: {}.', $.c)"}),
            json!({"c": "x"})
        )
        .unwrap(),
        StatesError::new("", "cause: x.")
    );
    assert_eq!(
        fail(json!({"Type": "Fail", "ErrorPath": "$.e"}), json!({"e": 1}))
            .unwrap_err()
            .error,
        RUNTIME
    );
}

#[test]
fn timeout_paths_resolve_against_the_input() {
    let t = task(
        json!({"Type": "Task", "Resource": "r", "End": true, "TimeoutSecondsPath": "$.t", "HeartbeatSeconds": 5}),
    );
    let timeout = t.timeout.as_ref().unwrap();
    assert_eq!(
        resolve_integer(timeout, &json!({"t": 30}), &json!({}), "TimeoutSeconds").unwrap(),
        30
    );
    assert_eq!(
        resolve_integer(timeout, &json!({"t": "30"}), &json!({}), "TimeoutSeconds")
            .unwrap_err()
            .error,
        RUNTIME
    );
    assert_eq!(
        resolve_integer(
            t.heartbeat.as_ref().unwrap(),
            &json!({}),
            &json!({}),
            "HeartbeatSeconds"
        )
        .unwrap(),
        5
    );
    let wait_token =
        task(json!({"Type": "Task", "Resource": "approve.waitForTaskToken", "End": true}));
    assert!(wait_token.wait_for_task_token);
    assert_eq!(wait_token.handler, "approve");
}
