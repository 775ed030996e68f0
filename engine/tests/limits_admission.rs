//! `max_running_executions` counts every top-level execution: those
//! started, those recovered when the engine opens and those redriven
//! (engine/src/runtime/admission.rs). Recovered executions all resume at
//! once, even above the bound; new starts then wait until fewer than the
//! bound still run. A redrive waits for a slot like a start, and holds it.

#![allow(clippy::unwrap_used)]

mod runtime_support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runtime_support::T0_MS;
use serde_json::{json, Value};
use shoal_engine::runtime::{Clock, TokioClock};
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{Engine, ExecutionId, ExecutionStatus};
use shoal_storage::{EventLog, MemoryLog};
use tokio::sync::watch;

/// `gated`: holds until the gate's value is above the input's `n`, then
/// returns it; counts how many run at once. `flaky`: fails until healed.
#[derive(Clone)]
struct Gates {
    open_below: Arc<watch::Sender<u64>>,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    healed: Arc<AtomicBool>,
}

impl Gates {
    fn new() -> Gates {
        Gates {
            open_below: Arc::new(watch::channel(0).0),
            running: Arc::default(),
            peak: Arc::default(),
            healed: Arc::default(),
        }
    }

    fn handlers(&self) -> HandlerRegistry {
        let mut handlers = HandlerRegistry::new();
        let gates = self.clone();
        handlers.register_async("gated", move |input: Value, context| {
            let gates = gates.clone();
            async move {
                let n = input["n"].as_u64().unwrap();
                let running = Running::enter(&gates);
                let mut gate = gates.open_below.subscribe();
                let opened = tokio::select! {
                    opened = gate.wait_for(|open_below| *open_below > n) => opened.is_ok(),
                    () = context.cancelled() => false,
                };
                drop(running);
                if !opened {
                    return Err(TaskError::new("Gate.Closed", "cancelled"));
                }
                if input["flaky"] == true && !gates.healed.load(Ordering::SeqCst) {
                    return Err(TaskError::new("Flaky.Failed", "not healed yet"));
                }
                Ok(input)
            }
        });
        let healed = Arc::clone(&self.healed);
        handlers.register_async("flaky", move |input: Value, _| {
            let healed = healed.load(Ordering::SeqCst);
            async move {
                if healed {
                    Ok(input)
                } else {
                    Err(TaskError::new("Flaky.Failed", "not healed yet"))
                }
            }
        });
        handlers
    }

    /// Lets every `gated` task with `n` below `below` finish.
    fn open_below(&self, below: u64) {
        self.open_below.send_replace(below);
    }
}

/// Counts a `gated` call as running until dropped (also when the engine
/// cancels the call by dropping its future).
struct Running(Arc<AtomicUsize>);

impl Running {
    fn enter(gates: &Gates) -> Running {
        let now = gates.running.fetch_add(1, Ordering::SeqCst) + 1;
        gates.peak.fetch_max(now, Ordering::SeqCst);
        Running(Arc::clone(&gates.running))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn engine_on(log: &MemoryLog, gates: &Gates, bound: usize) -> Engine {
    let log: Arc<dyn EventLog> = Arc::new(log.reopen());
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(T0_MS));
    let engine = Engine::builder(log)
        .handlers(gates.handlers())
        .shared_clock(clock)
        .max_running_executions(bound)
        .build()
        .await
        .unwrap();
    let gated = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "gated", "End": true}}});
    let flaky = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "flaky", "End": true}}});
    engine
        .register_state_machine("gated", &gated.to_string())
        .await
        .unwrap();
    engine
        .register_state_machine("flaky", &flaky.to_string())
        .await
        .unwrap();
    engine
}

async fn start(engine: &Engine, machine: &str, n: u64) -> ExecutionId {
    engine
        .start_execution(machine, None, json!({"n": n}))
        .await
        .unwrap()
}

/// Lets the engine's tasks run until nothing is ready (paused time:
/// sleeping advances the clock only once every task is idle).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

#[tokio::test(start_paused = true)]
async fn twenty_recovered_executions_under_a_bound_of_five_all_resume_and_hold_new_starts() {
    let log = MemoryLog::new();
    let gates = Gates::new();
    let first = engine_on(&log, &gates, 100).await;
    let mut ids = Vec::new();
    for n in 0..20 {
        ids.push(start(&first, "gated", n).await);
    }
    settle().await;
    assert_eq!(gates.running.load(Ordering::SeqCst), 20);
    first.shutdown().await;
    settle().await;
    assert_eq!(gates.running.load(Ordering::SeqCst), 0, "shutdown cancels");
    gates.peak.store(0, Ordering::SeqCst);

    let engine = engine_on(&log, &gates, 5).await;
    assert_eq!(engine.recovered(), 20);
    settle().await;
    assert_eq!(
        gates.peak.load(Ordering::SeqCst),
        20,
        "every recovered execution resumed at once, above the bound"
    );
    let probe = tokio::spawn({
        let engine = engine.clone();
        async move { start(&engine, "gated", 1_000).await }
    });
    // Let 15 of the 20 end: 5 still run, as many as the bound, so the
    // new start still waits.
    gates.open_below(15);
    for id in &ids[..15] {
        let done = engine.wait_for_completion(*id).await.unwrap();
        assert_eq!(done.status, ExecutionStatus::Succeeded);
    }
    settle().await;
    assert!(!probe.is_finished(), "a start waits while 5 recovered run");
    assert_eq!(gates.running.load(Ordering::SeqCst), 5);

    // One more ends: 4 run, so the start is admitted.
    gates.open_below(16);
    engine.wait_for_completion(ids[15]).await.unwrap();
    let probe = tokio::time::timeout(Duration::from_secs(60), probe)
        .await
        .expect("admitted once fewer than the bound run")
        .unwrap();
    gates.open_below(u64::MAX);
    for id in ids[16..].iter().chain([&probe]) {
        let done = engine.wait_for_completion(*id).await.unwrap();
        assert_eq!(done.status, ExecutionStatus::Succeeded);
    }
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_redrive_waits_for_a_slot_and_then_holds_one() {
    let log = MemoryLog::new();
    let gates = Gates::new();
    let engine = engine_on(&log, &gates, 1).await;
    let failed = start(&engine, "flaky", 0).await;
    let done = engine.wait_for_completion(failed).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Failed);

    // The only slot is taken: the redrive waits, and records nothing.
    let holder = start(&engine, "gated", 0).await;
    let redrive = tokio::spawn({
        let engine = engine.clone();
        async move { engine.redrive_execution(failed).await }
    });
    settle().await;
    assert!(!redrive.is_finished(), "the redrive waits for a slot");
    assert_eq!(
        engine.describe_execution(failed).unwrap().status,
        ExecutionStatus::Failed
    );
    gates.open_below(1);
    engine.wait_for_completion(holder).await.unwrap();
    redrive.await.unwrap().unwrap();
    let redriven = engine.wait_for_completion(failed).await.unwrap();
    assert_eq!(redriven.status, ExecutionStatus::Failed, "still flaky");

    // A redriven execution holds the slot while it runs: a start waits.
    gates.healed.store(false, Ordering::SeqCst);
    let second = engine
        .start_execution("gated", None, json!({"n": 5, "flaky": true}))
        .await
        .unwrap();
    gates.open_below(6);
    assert_eq!(
        engine.wait_for_completion(second).await.unwrap().status,
        ExecutionStatus::Failed
    );
    gates.open_below(0);
    gates.healed.store(true, Ordering::SeqCst);
    engine.redrive_execution(second).await.unwrap();
    let waiting = tokio::spawn({
        let engine = engine.clone();
        async move { start(&engine, "gated", 0).await }
    });
    settle().await;
    assert!(
        !waiting.is_finished(),
        "the redriven execution holds the slot"
    );
    gates.open_below(6);
    assert_eq!(
        engine.wait_for_completion(second).await.unwrap().status,
        ExecutionStatus::Succeeded
    );
    let started = tokio::time::timeout(Duration::from_secs(60), waiting)
        .await
        .expect("admitted once the redriven execution ended")
        .unwrap();
    gates.open_below(u64::MAX);
    engine.wait_for_completion(started).await.unwrap();
    engine.shutdown().await;
}
