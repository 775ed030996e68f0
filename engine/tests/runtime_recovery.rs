//! Restarts and failures: a task re-run with the same idempotency key, a
//! log failure stopping the engine, the execution's own TimeoutSeconds.

#![allow(clippy::unwrap_used)]

mod runtime_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use runtime_support::{engine, engine_on, history, kinds, T0_MS};
use serde_json::json;
use shoal_engine::runtime::{Clock, TokioClock};
use shoal_engine::task::HandlerRegistry;
use shoal_engine::{Engine, EngineError, ExecutionStatus};
use shoal_storage::{
    CommitTicket, EventLog, Keyspace, LogError, LogMetrics, MemoryLog, Record, Row, Seq, StreamId,
    WriteBatch,
};

#[tokio::test(start_paused = true)]
async fn an_interrupted_task_runs_again_with_the_same_idempotency_key() {
    let log = MemoryLog::new();
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(T0_MS));
    let keys = Arc::new(Mutex::new(Vec::new()));
    let registry = |hang: bool| {
        let keys = Arc::clone(&keys);
        let mut handlers = HandlerRegistry::new();
        handlers.register_async("work", move |input, context| {
            keys.lock().push(context.idempotency_key().to_string());
            async move {
                if hang {
                    std::future::pending::<()>().await;
                }
                Ok(input)
            }
        });
        handlers
    };
    let first = engine_on(&log, registry(true), Arc::clone(&clock)).await;
    let definition =
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "work", "End": true}}});
    first
        .register_state_machine("sm", &definition.to_string())
        .await
        .unwrap();
    let id = first
        .start_execution("sm", None, json!({"v": 7}))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    first.shutdown().await;
    drop(first);
    let second = engine_on(&log, registry(false), clock).await;
    assert_eq!(second.recovered(), 1);
    let description = second.wait_for_completion(id).await.unwrap();
    assert_eq!(description.output, Some(json!({"v": 7})));
    let keys = keys.lock().clone();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(keys[0], keys[1]);
    // One TaskScheduled: the re-run is the same attempt, not a new transition.
    let events = history(&second, id);
    assert_eq!(
        kinds(&events),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_state_machine_timeout_ends_the_execution() {
    let (engine, _log, _clock) = engine(HandlerRegistry::new()).await;
    let definition = json!({"TimeoutSeconds": 10, "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 100, "End": true}}});
    engine
        .register_state_machine("sm", &definition.to_string())
        .await
        .unwrap();
    let id = engine.start_execution("sm", None, json!({})).await.unwrap();
    let description = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(description.status, ExecutionStatus::TimedOut);
    let events = history(&engine, id);
    assert_eq!(
        kinds(&events),
        ["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"]
    );
    assert_eq!(events[2].timestamp_ms - events[0].timestamp_ms, 10_000);
}

/// A MemoryLog whose commits fail (as a poisoned log does) once `budget`
/// commits have succeeded.
struct FailingLog {
    inner: MemoryLog,
    budget: AtomicUsize,
}

impl EventLog for FailingLog {
    fn commit(&self, batch: WriteBatch) -> CommitTicket {
        let allowed = self
            .budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        if allowed {
            self.inner.commit(batch)
        } else {
            CommitTicket::ready(Err(LogError::Poisoned {
                cause: "injected fsync failure".into(),
            }))
        }
    }

    fn read_stream(
        &self,
        stream: StreamId,
        from: Seq,
        limit: usize,
    ) -> Result<Vec<Record>, LogError> {
        self.inner.read_stream(stream, from, limit)
    }

    fn last_seq(&self, stream: StreamId) -> Result<Option<Seq>, LogError> {
        self.inner.last_seq(stream)
    }

    fn get_row(&self, space: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>, LogError> {
        self.inner.get_row(space, key)
    }

    fn scan_rows(
        &self,
        space: Keyspace,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Row>, LogError> {
        self.inner.scan_rows(space, prefix, start_after, limit)
    }

    fn metrics(&self) -> LogMetrics {
        self.inner.metrics()
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_commit_stops_the_engine_and_reports_nothing_undurable() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let mut handlers = HandlerRegistry::new();
    handlers.register_async("work", move |input, _context| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move { Ok(input) }
    });
    let memory = MemoryLog::new();
    // Registration, the id reservation and the start succeed; the task's
    // outcome cannot be recorded.
    let log = Arc::new(FailingLog {
        inner: memory.reopen(),
        budget: AtomicUsize::new(3),
    });
    let engine = Engine::builder(log)
        .handlers(handlers)
        .clock(TokioClock::starting_at(T0_MS))
        .build()
        .await
        .unwrap();
    let definition = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "work", "Next": "U"},
        "U": {"Type": "Task", "Resource": "work", "End": true}}});
    engine
        .register_state_machine("sm", &definition.to_string())
        .await
        .unwrap();
    let id = engine.start_execution("sm", None, json!({})).await.unwrap();
    let waited = engine.wait_for_completion(id).await.unwrap_err();
    assert!(
        matches!(waited, EngineError::Storage { source: LogError::Poisoned { ref cause }, .. }
            if cause.contains("injected")),
        "{waited}"
    );
    let later = engine
        .start_execution("sm", None, json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(
            later,
            EngineError::Storage {
                source: LogError::Poisoned { .. },
                ..
            }
        ),
        "{later}"
    );
    // The second task never ran: its scheduling was never durable.
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        engine.describe_execution(id).unwrap().status,
        ExecutionStatus::Running
    );
}
