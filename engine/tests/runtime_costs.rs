//! Write amplification: keys written per transition, checked on the log's
//! own counters (the figures in docs/engine.md come from here).

#![allow(clippy::unwrap_used)]

mod runtime_support;

use runtime_support::engine;
use serde_json::json;
use shoal_engine::task::HandlerRegistry;
use shoal_storage::EventLog;

#[tokio::test(start_paused = true)]
async fn a_three_task_chain_writes_one_record_per_transition_and_three_row_ops() {
    let mut handlers = HandlerRegistry::new();
    handlers.register_async("noop", |input, _context| async move { Ok(input) });
    let (engine, log, _clock) = engine(handlers).await;
    let definition = json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "noop", "Next": "B"},
        "B": {"Type": "Task", "Resource": "noop", "Next": "C"},
        "C": {"Type": "Task", "Resource": "noop", "End": true}
    }});
    engine
        .register_state_machine("tasks", &definition.to_string())
        .await
        .unwrap();
    // The first start also reserves a block of execution ids (one row).
    let warm = engine
        .start_execution("tasks", None, json!({}))
        .await
        .unwrap();
    engine.wait_for_completion(warm).await.unwrap();
    let before = log.metrics();
    let id = engine
        .start_execution("tasks", None, json!({"i": 1}))
        .await
        .unwrap();
    engine.wait_for_completion(id).await.unwrap();
    let after = log.metrics();
    // Start (with A scheduled), then one record per task outcome.
    assert_eq!(after.records - before.records, 4);
    // RUNNING index row at start; delete + put of the final row at the end.
    assert_eq!(after.row_ops - before.row_ops, 3);
    let bytes = after.bytes_written - before.bytes_written;
    eprintln!("3-task chain: 4 records, 3 row ops, {bytes} record bytes");
}

#[tokio::test(start_paused = true)]
async fn a_pass_chain_writes_exactly_one_record_per_state() {
    let (engine, log, _clock) = engine(HandlerRegistry::new()).await;
    let mut states = serde_json::Map::new();
    for i in 0..100 {
        let next = if i == 99 {
            json!({"Type": "Pass", "End": true})
        } else {
            json!({"Type": "Pass", "Next": format!("S{}", i + 1)})
        };
        states.insert(format!("S{i}"), next);
    }
    let definition = json!({"StartAt": "S0", "States": states});
    engine
        .register_state_machine("chain", &definition.to_string())
        .await
        .unwrap();
    let warm = engine
        .start_execution("chain", None, json!({}))
        .await
        .unwrap();
    engine.wait_for_completion(warm).await.unwrap();
    let before = log.metrics();
    let id = engine
        .start_execution("chain", None, json!({}))
        .await
        .unwrap();
    engine.wait_for_completion(id).await.unwrap();
    let after = log.metrics();
    assert_eq!(after.records - before.records, 101);
    assert_eq!(after.row_ops - before.row_ops, 3);
    let bytes = after.bytes_written - before.bytes_written;
    eprintln!(
        "100-state Pass chain: 101 records, {} record bytes per transition",
        bytes / 101
    );
}
