//! The shape of `benches/engine_transitions.rs` scenario (b) as a plain
//! binary, for profilers (callgrind, perf) that cannot sit under criterion:
//! `N` concurrent executions of a 3-state Task chain with a no-op async
//! handler, on 2 tokio workers.
//!
//! ```text
//! cargo run --release -p shoal-engine --example task_chain_load -- 10000 [sled|memory] [pass]
//! valgrind --tool=callgrind target/release/examples/task_chain_load 2000 memory
//! ```
//!
//! `pass` runs scenario (a) instead: one execution of an `N`-state Pass
//! chain. Prints the durable transitions, wall time and transitions/s.
//! Instructions per transition: run two sizes under callgrind and divide
//! the difference in instructions by the difference in transitions, which
//! cancels the fixed cost of starting the engine.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use shoal_engine::task::HandlerRegistry;
use shoal_engine::Engine;
use shoal_storage::{EventLog, MemoryLog, SledLog, SledLogOptions};

fn task_chain() -> String {
    json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "noop", "Next": "B"},
        "B": {"Type": "Task", "Resource": "noop", "Next": "C"},
        "C": {"Type": "Task", "Resource": "noop", "End": true}
    }})
    .to_string()
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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args
        .get(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let memory = args.get(2).is_some_and(|s| s == "memory");
    let pass = args.get(3).is_some_and(|s| s == "pass");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    runtime.block_on(async {
        let log: Arc<dyn EventLog> = if memory {
            Arc::new(MemoryLog::new())
        } else {
            Arc::new(SledLog::open(dir.path(), SledLogOptions::new())?)
        };
        let mut handlers = HandlerRegistry::new();
        handlers.register_async("noop", |input, _context| async move { Ok(input) });
        let engine = Engine::builder(Arc::clone(&log))
            .handlers(handlers)
            .build()
            .await?;
        let definition = if pass {
            pass_chain(count)
        } else {
            task_chain()
        };
        engine.register_state_machine("m", &definition).await?;
        let before = log.metrics().records;
        let start = Instant::now();
        if pass {
            let id = engine.start_execution("m", None, json!({"x": 1})).await?;
            engine.wait_for_completion(id).await?;
        } else {
            let mut started = tokio::task::JoinSet::new();
            for i in 0..count {
                let engine = engine.clone();
                started.spawn(async move {
                    let id = engine.start_execution("m", None, json!({"i": i})).await?;
                    engine.wait_for_completion(id).await.map(|_| ())
                });
            }
            while let Some(joined) = started.join_next().await {
                joined??;
            }
        }
        let elapsed = start.elapsed();
        let records = log.metrics().records - before;
        println!(
            "{records} durable transitions in {:.3} s: {:.0}/s",
            elapsed.as_secs_f64(),
            records as f64 / elapsed.as_secs_f64()
        );
        engine.shutdown().await;
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    Ok(())
}
