//! `Inspector`: the read-only entry point answers like the engine and
//! resumes nothing (no handler runs, no record is written).

#![allow(clippy::unwrap_used)]

mod maprun_support;

use std::sync::Arc;

use serde_json::json;
use shoal_engine::api::{Inspector, ListExecutionsOptions};
use shoal_engine::ExecutionStatus;
use shoal_storage::{EventLog, MemoryLog};

#[tokio::test(start_paused = true)]
async fn the_inspector_answers_like_the_engine_and_resumes_nothing() {
    let log = MemoryLog::new();
    let (handlers, _gauge) = maprun_support::handlers();
    let engine = maprun_support::engine_with(&log, handlers, Default::default()).await;
    let map = maprun_support::map_definition(json!({"MaxConcurrency": 2}));
    let done = maprun_support::run(&engine, &map, maprun_support::items(4, 1)).await;
    let waiting = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 60, "Next": "T"},
        "T": {"Type": "Task", "Resource": "work", "End": true}
    }});
    engine
        .register_state_machine("waiting", &waiting.to_string())
        .await
        .unwrap();
    let open = engine
        .start_execution("waiting", Some("still-open"), json!({}))
        .await
        .unwrap();
    let arn = engine.list_map_runs(done).unwrap().remove(0);
    let expected = (
        engine.describe_execution(done).unwrap(),
        engine.get_execution_history(done, 0, usize::MAX).unwrap(),
        engine.describe_map_run(&arn).unwrap(),
        engine.list_map_run_executions(&arn).unwrap(),
    );
    engine.shutdown().await;

    let reopened: Arc<dyn EventLog> = Arc::new(log.reopen());
    let records_before = reopened.stats().records;
    let inspector = Inspector::new(Arc::clone(&reopened));
    assert_eq!(inspector.describe_execution(done).unwrap(), expected.0);
    assert_eq!(
        inspector
            .get_execution_history(done, 0, usize::MAX)
            .unwrap(),
        expected.1
    );
    assert_eq!(inspector.describe_map_run(&arn).unwrap(), expected.2);
    assert_eq!(inspector.list_map_run_executions(&arn).unwrap(), expected.3);
    assert_eq!(inspector.list_map_runs(done).unwrap(), vec![arn]);
    assert_eq!(inspector.resolve_execution("still-open").unwrap(), open);
    let running = inspector
        .list_executions(&ListExecutionsOptions::new().with_status(ExecutionStatus::Running))
        .unwrap();
    assert_eq!(running.executions.len(), 1);
    assert_eq!(running.executions[0].id, open);
    assert!(inspector.resolve_execution("missing").is_err());

    // Time passes far beyond the Wait: an engine would have fired it and
    // recorded the transition; the inspector starts nothing, writes nothing.
    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    assert_eq!(reopened.stats().records, records_before);
    assert_eq!(
        inspector.describe_execution(open).unwrap().status,
        ExecutionStatus::Running
    );
}
