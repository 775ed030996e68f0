//! Durable state transitions per second on a SledLog in a temp dir:
//! (a) one execution walking a 10,000-state Pass chain;
//! (b) 10,000 concurrent executions of a 3-state Task chain with a no-op
//!     async handler.
//!
//! Throughput is counted in transitions = records the engine made durable
//! (one per transition), read from the log's own counters.
//!
//! `SHOAL_BENCH_MEMORY_LOG=1` runs the same scenarios on a MemoryLog, which
//! separates the engine's own cost from the disk's.

// criterion_group! and criterion_main! generate undocumented items.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::json;
use shoal_engine::task::HandlerRegistry;
use shoal_engine::Engine;
use shoal_storage::{EventLog, MemoryLog, SledLog, SledLogOptions};

const CHAIN_STATES: usize = 10_000;
const CONCURRENT_EXECUTIONS: usize = 10_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn pass_chain(states: usize) -> String {
    let mut map = serde_json::Map::new();
    for i in 0..states {
        let state = if i + 1 == states {
            json!({"Type": "Pass", "End": true})
        } else {
            json!({"Type": "Pass", "Next": format!("S{}", i + 1)})
        };
        map.insert(format!("S{i}"), state);
    }
    json!({"StartAt": "S0", "States": map}).to_string()
}

fn task_chain() -> String {
    json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "noop", "Next": "B"},
        "B": {"Type": "Task", "Resource": "noop", "Next": "C"},
        "C": {"Type": "Task", "Resource": "noop", "End": true}
    }})
    .to_string()
}

async fn engine_in(dir: &std::path::Path) -> (Engine, Arc<dyn EventLog>) {
    let log: Arc<dyn EventLog> = if std::env::var_os("SHOAL_BENCH_MEMORY_LOG").is_some() {
        Arc::new(MemoryLog::new())
    } else {
        Arc::new(SledLog::open(dir, SledLogOptions::new()).expect("sled log opens"))
    };
    let mut handlers = HandlerRegistry::new();
    handlers.register_async("noop", |input, _context| async move { Ok(input) });
    let engine = Engine::builder(Arc::clone(&log))
        .handlers(handlers)
        .build()
        .await
        .expect("engine builds");
    (engine, log)
}

fn pass_chain_bench(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let (engine, log) = rt.block_on(engine_in(dir.path()));
    rt.block_on(engine.register_state_machine("chain", &pass_chain(CHAIN_STATES)))
        .expect("valid chain");
    let mut group = c.benchmark_group("engine_transitions");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    // One Start record plus one per Pass state.
    group.throughput(Throughput::Elements(CHAIN_STATES as u64 + 1));
    group.bench_function("pass_chain_10k_one_execution", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let before = log.metrics().records;
                    let start = Instant::now();
                    let id = engine
                        .start_execution("chain", None, json!({"x": 1}))
                        .await
                        .expect("starts");
                    engine.wait_for_completion(id).await.expect("completes");
                    total += start.elapsed();
                    let records = log.metrics().records - before;
                    assert_eq!(
                        records,
                        CHAIN_STATES as u64 + 1,
                        "one record per transition"
                    );
                }
                total
            })
        })
    });
    group.finish();
    rt.block_on(engine.shutdown());
}

fn concurrent_tasks_bench(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let (engine, log) = rt.block_on(engine_in(dir.path()));
    rt.block_on(engine.register_state_machine("tasks", &task_chain()))
        .expect("valid chain");
    let mut group = c.benchmark_group("engine_transitions");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    // Start (+ first task scheduled) and one record per task outcome.
    let per_execution = 4u64;
    group.throughput(Throughput::Elements(
        CONCURRENT_EXECUTIONS as u64 * per_execution,
    ));
    group.bench_function("task_chain_3_states_10k_concurrent", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let before = log.metrics().records;
                    let start = Instant::now();
                    let mut started = tokio::task::JoinSet::new();
                    for i in 0..CONCURRENT_EXECUTIONS {
                        let engine = engine.clone();
                        started.spawn(async move {
                            let id = engine
                                .start_execution("tasks", None, json!({"i": i}))
                                .await
                                .expect("starts");
                            engine.wait_for_completion(id).await.expect("completes");
                        });
                    }
                    while let Some(joined) = started.join_next().await {
                        joined.expect("execution task");
                    }
                    total += start.elapsed();
                    let records = log.metrics().records - before;
                    assert_eq!(records, CONCURRENT_EXECUTIONS as u64 * per_execution);
                }
                total
            })
        })
    });
    group.finish();
    rt.block_on(engine.shutdown());
}

criterion_group!(benches, pass_chain_bench, concurrent_tasks_bench);
criterion_main!(benches);
