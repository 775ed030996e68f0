//! Helpers shared by the runtime tests: engines on a MemoryLog with a
//! clock that follows tokio's (paused) time.

#![allow(dead_code)]

use std::sync::Arc;

use serde_json::Value;
use shoal_engine::runtime::{Clock, TokioClock};
use shoal_engine::task::HandlerRegistry;
use shoal_engine::{Engine, ExecutionId, HistoryEvent};
use shoal_storage::{EventLog, MemoryLog};

/// 2024-01-01T00:00:00Z in ms.
pub const T0_MS: i64 = 1_704_067_200_000;

/// An engine on `log` with `handlers` and a clock on tokio time.
pub async fn engine_on(
    log: &MemoryLog,
    handlers: HandlerRegistry,
    clock: Arc<dyn Clock>,
) -> Engine {
    let log: Arc<dyn EventLog> = Arc::new(log.reopen());
    Engine::builder(log)
        .handlers(handlers)
        .shared_clock(clock)
        .build()
        .await
        .expect("engine builds")
}

/// A fresh log, engine and clock.
pub async fn engine(handlers: HandlerRegistry) -> (Engine, MemoryLog, Arc<dyn Clock>) {
    let log = MemoryLog::new();
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(T0_MS));
    let engine = engine_on(&log, handlers, Arc::clone(&clock)).await;
    (engine, log, clock)
}

/// Registers `definition` as `name`, runs one execution with `input` and
/// returns its id once it ended.
pub async fn run(engine: &Engine, definition: &Value, input: Value) -> ExecutionId {
    engine
        .register_state_machine("sm", &definition.to_string())
        .await
        .expect("valid definition");
    let id = engine
        .start_execution("sm", None, input)
        .await
        .expect("started");
    engine.wait_for_completion(id).await.expect("completes");
    id
}

/// The full history of an execution.
pub fn history(engine: &Engine, id: ExecutionId) -> Vec<HistoryEvent> {
    engine
        .get_execution_history(id, 0, usize::MAX)
        .expect("history readable")
}

/// The names of the event types, in order.
pub fn kinds(events: &[HistoryEvent]) -> Vec<&'static str> {
    events.iter().map(|event| event.kind.name()).collect()
}

/// Asserts ids run 1, 2, 3… and each previous id is an earlier event.
pub fn assert_ids_well_formed(events: &[HistoryEvent]) {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(
            event.id.0,
            index as u64 + 1,
            "ids increase by one: {events:#?}"
        );
        assert!(
            event.previous_event_id.0 < event.id.0,
            "previous is earlier: {event:?}"
        );
    }
}
