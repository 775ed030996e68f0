//! Helpers shared by the map run tests: an engine on a MemoryLog with a
//! paused-time clock, a `work` handler that sleeps, fails on request and
//! counts how many calls run at once, and DISTRIBUTED Map definitions.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use shoal_engine::maprun::MapRunOptions;
use shoal_engine::runtime::TokioClock;
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{Engine, ExecutionId};
use shoal_storage::{EventLog, MemoryLog};

/// Calls of `work` running now and at the peak.
#[derive(Clone, Default)]
pub struct Gauge {
    pub now: Arc<AtomicUsize>,
    pub peak: Arc<AtomicUsize>,
}

impl Gauge {
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// `work`: sleeps `input.ms` (default 0), fails with `Item.Failed` when
/// `input.fail` is true, else returns `input.v` (or the whole input).
pub fn handlers() -> (HandlerRegistry, Gauge) {
    let gauge = Gauge::default();
    let mut handlers = HandlerRegistry::new();
    let inner = gauge.clone();
    handlers.register_async("work", move |input, _context| {
        let gauge = inner.clone();
        async move {
            let now = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
            gauge.peak.fetch_max(now, Ordering::SeqCst);
            let ms = input["ms"].as_u64().unwrap_or(0);
            if ms > 0 {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            gauge.now.fetch_sub(1, Ordering::SeqCst);
            if input["fail"].as_bool() == Some(true) {
                return Err(TaskError::new(
                    "Item.Failed",
                    format!("item {}", input["v"]),
                ));
            }
            Ok(input.get("v").cloned().unwrap_or(input))
        }
    });
    (handlers, gauge)
}

pub async fn engine_with(
    log: &MemoryLog,
    handlers: HandlerRegistry,
    options: MapRunOptions,
) -> Engine {
    let log: Arc<dyn EventLog> = Arc::new(log.reopen());
    Engine::builder(log)
        .handlers(handlers)
        .clock(TokioClock::starting_at(1_700_000_000_000))
        .map_run_options(options)
        .build()
        .await
        .expect("engine builds")
}

/// A DISTRIBUTED Map state `M` (plus `extra` fields) whose processor is one
/// Task calling `work`.
pub fn map_definition(extra: Value) -> Value {
    let mut map = json!({
        "Type": "Map",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "W",
            "States": {"W": {"Type": "Task", "Resource": "work", "End": true}}
        },
        "End": true
    });
    for (k, v) in extra.as_object().unwrap() {
        map[k] = v.clone();
    }
    json!({"StartAt": "M", "States": {"M": map}})
}

/// Registers `definition` as `sm`, runs it on `input`, waits for the end.
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

/// Items `{"v": i, "ms": ms}` for i in 0..n.
pub fn items(n: usize, ms: u64) -> Value {
    Value::Array((0..n).map(|i| json!({"v": i, "ms": ms})).collect())
}
