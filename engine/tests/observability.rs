//! Observability: the tracing spans and events an execution emits (caught
//! with a real `tracing-subscriber` fmt layer writing to memory), and the
//! `Engine::metrics` counters checked against what actually happened.

#![allow(clippy::unwrap_used)]

mod maprun_support;

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{Engine, EngineMetrics, ExecutionStatus};
use shoal_storage::{EventLog, SledLog, SledLogOptions};
use tracing::Level;

/// Everything the fmt layer wrote, shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A subscriber for this thread only (the tests run on a current-thread
/// runtime, so every task is polled here).
fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// `flaky` fails its first attempt, then returns its input.
fn flaky_handlers() -> HandlerRegistry {
    let calls = Arc::new(AtomicU32::new(0));
    let mut handlers = HandlerRegistry::new();
    handlers.register_async("flaky", move |input, _context| {
        let call = calls.fetch_add(1, Ordering::SeqCst);
        async move {
            if call == 0 {
                return Err(TaskError::new("Flaky.Once", "first attempt fails"));
            }
            Ok(input)
        }
    });
    handlers.register_async("fail", |_input, _context| async move {
        Err(TaskError::new("Always.Fails", "on purpose"))
    });
    handlers
}

async fn memory_engine(handlers: HandlerRegistry) -> Engine {
    let log = shoal_storage::MemoryLog::new();
    maprun_support::engine_with(&log, handlers, Default::default()).await
}

async fn sled_engine(dir: &std::path::Path, handlers: HandlerRegistry) -> Engine {
    let log: Arc<dyn EventLog> = Arc::new(SledLog::open(dir, SledLogOptions::new()).unwrap());
    Engine::builder(log)
        .handlers(handlers)
        .build()
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn an_execution_emits_spans_with_its_id_state_names_and_attempts() {
    let (captured, _guard) = capture();
    let engine = memory_engine(flaky_handlers()).await;
    let definition = json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Next": "Flaky"},
        "Flaky": {"Type": "Task", "Resource": "flaky", "Next": "Done",
                  "Retry": [{"ErrorEquals": ["Flaky.Once"], "IntervalSeconds": 1}]},
        "Done": {"Type": "Succeed"}
    }});
    let secret = "AKIAEXAMPLESECRETKEY";
    let id = maprun_support::run(&engine, &definition, json!({"awsSecret": secret})).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().status,
        ExecutionStatus::Succeeded
    );
    let text = captured.text();
    let span = format!("execution{{execution={id} name=\"{id}\" state_machine=\"sm\"}}");
    assert!(text.contains(&span), "no execution span {span} in:\n{text}");
    for state in ["Prepare", "Flaky", "Done"] {
        let entered = format!("state entered state=\"{state}\"");
        assert!(text.contains(&entered), "no {entered:?} in:\n{text}");
    }
    for attempt in [0, 1] {
        let attempt_span = format!("task_attempt{{state=\"Flaky\" attempt={attempt}");
        assert!(
            text.lines()
                .any(|line| line.contains(&span) && line.contains(&attempt_span)),
            "no {attempt_span} inside the execution span in:\n{text}"
        );
    }
    assert!(text.contains("task attempt failed error=\"Flaky.Once\""));
    assert!(text.contains("execution ended status=\"SUCCEEDED\""));
    assert!(!text.contains(secret), "the input leaked into the trace");
}

#[tokio::test(start_paused = true)]
async fn map_run_children_trace_inside_their_map_run_span() {
    let (captured, _guard) = capture();
    let (handlers, _gauge) = maprun_support::handlers();
    let engine = memory_engine(handlers).await;
    let definition = maprun_support::map_definition(json!({"MaxConcurrency": 2}));
    let id = maprun_support::run(&engine, &definition, maprun_support::items(3, 5)).await;
    let arn = &engine.list_map_runs(id).unwrap()[0];
    let text = captured.text();
    let map_span = format!("map_run{{map_run_arn=\"{arn}\" state=\"M\" express=false}}");
    for index in 0..3 {
        let child = format!("child_index={index}}}");
        assert!(
            text.lines()
                .any(|line| line.contains(&map_span) && line.contains(&child)),
            "no child {index} inside {map_span} in:\n{text}"
        );
    }
    assert!(text.contains("map run ended succeeded=true"));
}

#[tokio::test]
async fn metrics_count_executions_transitions_tasks_and_log_commits_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let engine = sled_engine(dir.path(), flaky_handlers()).await;
    assert_eq!(engine.metrics().executions, Default::default());
    let chain = json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "flaky", "Next": "B",
              "Retry": [{"ErrorEquals": ["Flaky.Once"], "IntervalSeconds": 1}]},
        "B": {"Type": "Pass", "Next": "C"},
        "C": {"Type": "Task", "Resource": "flaky", "End": true}
    }});
    let failing = json!({"StartAt": "F", "States": {
        "F": {"Type": "Task", "Resource": "fail", "End": true}
    }});
    engine
        .register_state_machine("chain", &chain.to_string())
        .await
        .unwrap();
    engine
        .register_state_machine("failing", &failing.to_string())
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            engine
                .start_execution("chain", None, json!({ "i": i }))
                .await
                .unwrap(),
        );
    }
    ids.push(
        engine
            .start_execution("failing", None, json!({}))
            .await
            .unwrap(),
    );
    for id in &ids {
        engine.wait_for_completion(*id).await.unwrap();
    }
    let metrics = engine.metrics();
    let e = metrics.executions;
    assert_eq!((e.started, e.running), (4, 0), "{metrics:?}");
    assert_eq!((e.succeeded, e.failed), (3, 1), "{metrics:?}");
    assert_eq!((e.aborted, e.timed_out, e.suspended), (0, 0, 0));
    // Per chain: A's outcome, B's Continue, C's outcome; the first
    // chain's A fails once more and its retry timer fires (2 more); the
    // failing one: F's outcome.
    let attempts = metrics.tasks.attempts_started;
    assert_eq!(attempts, 3 * 2 + 1 + 1, "one retry in all: {metrics:?}");
    assert_eq!(e.transitions, 3 * 3 + 2 + 1, "{metrics:?}");
    assert_eq!(metrics.tasks.attempts_running, 0);
    assert_eq!(metrics.timers_pending, 0);
    // One record per transition, Start included; every commit durable.
    let log = metrics.log;
    assert_eq!(log.records, e.started + e.transitions, "{metrics:?}");
    assert!(log.batches >= log.records / 4096 && log.batches <= log.records + 8);
    assert!(
        log.commits * log.max_group_batches >= log.batches,
        "{log:?}"
    );
    assert!(log.syncs <= log.commits && log.syncs > 0, "{log:?}");
    assert!(!log.poisoned && !metrics.stopped);
    let json = serde_json::to_value(metrics).unwrap();
    assert_eq!(json["executions"]["succeeded"], 3);
    assert_eq!(json["log"]["maxGroupBatches"], log.max_group_batches);
    engine.shutdown().await;
    assert!(engine.metrics().stopped);
}

#[tokio::test(start_paused = true)]
async fn timers_and_stops_show_in_the_gauges() {
    let engine = memory_engine(HandlerRegistry::new()).await;
    let waiting = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 3600, "End": true}
    }});
    engine
        .register_state_machine("waiting", &waiting.to_string())
        .await
        .unwrap();
    let id = engine
        .start_execution("waiting", None, json!({}))
        .await
        .unwrap();
    let metrics = wait_until(&engine, |m| m.timers_pending == 1).await;
    assert_eq!(metrics.executions.running, 1);
    engine.stop_execution(id, "Stop", "test").await.unwrap();
    engine.wait_for_completion(id).await.unwrap();
    let metrics = wait_until(&engine, |m| m.timers_pending == 0).await;
    assert_eq!(metrics.executions.aborted, 1);
    assert_eq!(metrics.executions.running, 0);
}

#[tokio::test(start_paused = true)]
async fn map_run_metrics_count_every_child() {
    let (handlers, _gauge) = maprun_support::handlers();
    let engine = memory_engine(handlers).await;
    let definition = maprun_support::map_definition(json!({"MaxConcurrency": 5}));
    maprun_support::run(&engine, &definition, maprun_support::items(20, 10)).await;
    let metrics = engine.metrics();
    assert_eq!(metrics.executions.started, 21, "{metrics:?}");
    assert_eq!(metrics.executions.succeeded, 21, "{metrics:?}");
    assert_eq!(metrics.tasks.attempts_started, 20);
    assert_eq!(metrics.map_runs.peak_children_in_flight, 5);
    assert_eq!(metrics.map_runs.children_in_flight, 0);
}

/// Yields (on paused time) until `done` holds for the metrics.
async fn wait_until(engine: &Engine, done: impl Fn(&EngineMetrics) -> bool) -> EngineMetrics {
    for _ in 0..10_000 {
        let metrics = engine.metrics();
        if done(&metrics) {
            return metrics;
        }
        tokio::task::yield_now().await;
    }
    panic!("metrics never got there: {:?}", engine.metrics());
}
