//! Valid definitions parse into the expected model; content hashing and the
//! kept source.
#![allow(clippy::unwrap_used, missing_docs)]

use serde_json::json;
use shoal_engine::asl::model::{
    ExecutionType, IntegerSource, JitterStrategy, NumberSource, OutputType, ProcessorMode, State,
    Transformation, Transition, WaitFor, S3_GET_OBJECT, S3_PUT_OBJECT,
};
use shoal_engine::asl::StateMachine;

const HELLO: &str = r#"{
  "Comment": "A Hello World example",
  "StartAt": "Hello",
  "TimeoutSeconds": 3600,
  "Version": "1.0",
  "QueryLanguage": "JSONPath",
  "States": {
    "Hello": {"Type": "Task", "Resource": "greet.waitForTaskToken", "Next": "Choose",
      "TimeoutSeconds": 300, "HeartbeatSeconds": 60,
      "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 0},
                {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxDelaySeconds": 30, "JitterStrategy": "FULL"}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}]},
    "Choose": {"Type": "Choice", "Choices": [
        {"Variable": "$.ok", "BooleanEquals": true, "Next": "Later"}], "Default": "Failed"},
    "Later": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Both"},
    "Both": {"Type": "Parallel", "Next": "Done", "ResultSelector": {"first.$": "$[0]"}, "Branches": [
      {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": true}}},
      {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}]},
    "Done": {"Type": "Succeed", "OutputPath": "$.first"},
    "Failed": {"Type": "Fail", "Error": "Oops", "CausePath": "$.error.Cause"}
  }
}"#;

#[test]
fn every_state_type_parses() {
    let sm = StateMachine::from_json(HELLO).unwrap();
    assert_eq!(sm.comment.as_deref(), Some("A Hello World example"));
    assert_eq!(
        (
            sm.start_at.as_str(),
            sm.timeout_seconds,
            sm.version.as_deref()
        ),
        ("Hello", Some(3600), Some("1.0"))
    );
    let names: Vec<&str> = sm.states.iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["Hello", "Choose", "Later", "Both", "Done", "Failed"],
        "definition order is kept"
    );
    let State::Task(t) = sm.state("Hello").unwrap() else {
        panic!("task")
    };
    assert!(t.wait_for_task_token);
    assert_eq!(t.handler, "greet");
    assert_eq!(t.timeout, Some(IntegerSource::Literal(300)));
    assert_eq!(t.retry.len(), 2);
    assert_eq!(
        (
            t.retry[0].max_attempts,
            t.retry[0].interval_seconds,
            t.retry[0].backoff_rate
        ),
        (0, 1, 2.0)
    );
    assert_eq!(
        (t.retry[1].max_delay_seconds, t.retry[1].jitter_strategy),
        (Some(30), JitterStrategy::Full)
    );
    assert_eq!(t.catch[0].result_path.as_ref().unwrap().as_str(), "$.error");
    assert_eq!(t.transition, Transition::Next("Choose".into()));
    let State::Wait(w) = sm.state("Later").unwrap() else {
        panic!("wait")
    };
    assert!(matches!(&w.wait, WaitFor::SecondsPath(p) if p.as_str() == "$.delay"));
    let State::Parallel(p) = sm.state("Both").unwrap() else {
        panic!("parallel")
    };
    assert_eq!(p.branches.len(), 2);
    assert_eq!(p.branches[1].start_at, "B");
    assert!(sm.state("Done").unwrap().transition().is_none());
    assert_eq!(sm.state("Failed").unwrap().type_name(), "Fail");
}

#[test]
fn distributed_map_parses_every_field() {
    let def = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": true, "Label": "my-run",
        "ItemReader": {"Resource": S3_GET_OBJECT,
            "Parameters": {"Bucket": "b", "Key.$": "$.key"},
            "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItems": 10}},
        "ItemSelector": {"row.$": "$$.Map.Item.Value"},
        "ItemBatcher": {"MaxItemsPerBatchPath": "$.batch", "MaxInputBytesPerBatch": 262144, "BatchInput": {"run.$": "$$.Execution.Id"}},
        "MaxConcurrencyPath": "$.concurrency",
        "ToleratedFailurePercentage": 5.5,
        "ToleratedFailureCountPath": "$.failures",
        "ResultWriter": {"Resource": S3_PUT_OBJECT, "Parameters": {"Bucket": "out", "Prefix": "runs"},
            "WriterConfig": {"Transformation": "COMPACT", "OutputType": "JSONL"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "work", "End": true}}}
    }}});
    let sm = StateMachine::from_value(&def).unwrap();
    let State::Map(m) = sm.state("M").unwrap() else {
        panic!("map")
    };
    assert_eq!(m.processor.mode, ProcessorMode::Distributed);
    assert_eq!(m.processor.execution_type, Some(ExecutionType::Express));
    let reader = m.item_reader.as_ref().unwrap();
    assert_eq!(reader.resource, S3_GET_OBJECT);
    assert_eq!(reader.reader_config["MaxItems"], 10);
    assert_eq!(reader.parameters["Key.$"], "$.key");
    assert!(reader.parameters_template.is_some());
    let batcher = m.item_batcher.as_ref().unwrap();
    assert!(matches!(
        batcher.max_items_per_batch,
        Some(IntegerSource::Path(_))
    ));
    assert_eq!(
        batcher.max_input_bytes_per_batch,
        Some(IntegerSource::Literal(262_144))
    );
    assert!(matches!(m.max_concurrency, Some(IntegerSource::Path(_))));
    assert_eq!(
        m.tolerated_failure_percentage,
        Some(NumberSource::Literal(5.5))
    );
    assert!(matches!(
        m.tolerated_failure_count,
        Some(IntegerSource::Path(_))
    ));
    assert_eq!(m.label.as_deref(), Some("my-run"));
    let writer = m.result_writer.as_ref().unwrap();
    let config = writer.writer_config.unwrap();
    assert_eq!(
        (config.transformation, config.output_type),
        (Transformation::Compact, OutputType::Jsonl)
    );
    assert_eq!(writer.parameters.as_ref().unwrap()["Prefix"], "runs");
}

#[test]
fn legacy_iterator_and_parameters_are_accepted() {
    let sm = StateMachine::from_value(&json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": true, "ItemsPath": "$.items", "MaxConcurrency": 2,
        "Parameters": {"v.$": "$$.Map.Item.Value"},
        "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}))
    .unwrap();
    let State::Map(m) = sm.state("M").unwrap() else {
        panic!("map")
    };
    assert_eq!(m.processor.mode, ProcessorMode::Inline);
    assert!(m.item_selector.is_some());
    assert_eq!(m.max_concurrency, Some(IntegerSource::Literal(2)));
    assert_eq!(m.items_path.as_str(), "$.items");
}

#[test]
fn content_hash_ignores_layout_and_key_order_but_not_content() {
    let a = StateMachine::from_json(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#)
        .unwrap();
    let b = StateMachine::from_json(
        "{\n  \"States\": {\"A\": {\"End\": true, \"Type\": \"Pass\"}},\n  \"StartAt\": \"A\"\n}",
    )
    .unwrap();
    let c = StateMachine::from_json(
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"End":true}}}"#,
    )
    .unwrap();
    assert_eq!(a.content_hash(), b.content_hash());
    assert_ne!(a.content_hash(), c.content_hash());
    assert_eq!(a.content_hash().as_str().len(), 64);
    // The source is kept as given, for storing.
    assert!(b.source_json().starts_with("{\n  \"States\""));
    let again = StateMachine::from_json(b.source_json()).unwrap();
    assert_eq!(again, b);
}
