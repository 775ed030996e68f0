//! Crash-resume: a child process runs a fixed workload on a SledLog and is
//! SIGKILLed at a random moment; the parent reopens the directory, lets
//! everything finish, and checks every output against an uninterrupted run
//! and every history for duplicated transitions.
//!
//! `SHOAL_CRASH_CYCLES` sets the number of kill/reopen cycles (default 50).
//! The child is this test binary re-run with `SHOAL_CRASH_CHILD_DIR` set,
//! executing only `crash_resume_child`.

#![allow(clippy::unwrap_used)]

#[path = "crash_support/mod.rs"]
mod crash_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{Engine, ExecutionId, ExecutionStatus};
use shoal_storage::{EventLog, SledLog, SledLogOptions};

use crash_support::{check_history, kill, now_ms, spawn_self, wait_for_line, Rng, ScaledClock};

const CHILD_DIR_ENV: &str = "SHOAL_CRASH_CHILD_DIR";
const CYCLES_ENV: &str = "SHOAL_CRASH_CYCLES";
const DEFAULT_CYCLES: usize = 50;
/// Clock speed-up: a 1 s Wait or retry interval lasts 1 ms of real time.
const CLOCK_SCALE: i64 = 1000;
const EXECUTIONS_PER_MACHINE: usize = 4;
/// What the child prints once the engine is open and about to start work.
const READY_LINE: &str = "crash-resume-child-ready";

fn handlers() -> HandlerRegistry {
    let mut handlers = HandlerRegistry::new();
    // Fails its first attempt, then answers from its input and attempt only,
    // so a re-run after a crash gives the same output.
    handlers.register_async("flaky", |input, context| async move {
        tokio::time::sleep(Duration::from_micros(300)).await;
        if context.attempt() == 0 {
            return Err(TaskError::new("Transient", "first attempts fail"));
        }
        Ok(json!({"in": input, "attempt": context.attempt()}))
    });
    handlers.register_blocking("add", |input, _context| {
        Ok(json!(
            input["a"].as_i64().unwrap_or(0) + input["b"].as_i64().unwrap_or(0)
        ))
    });
    handlers
}

fn retry() -> Value {
    json!([{"ErrorEquals": ["Transient"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 3}])
}

fn machines() -> Vec<(&'static str, Value)> {
    let chain = json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "flaky", "Retry": retry(), "ResultPath": "$.a", "Next": "W"},
        "W": {"Type": "Wait", "Seconds": 2, "Next": "B"},
        "B": {"Type": "Task", "Resource": "add", "Parameters": {"a.$": "$.n", "b.$": "$.a.attempt"},
              "ResultPath": "$.sum", "Next": "C"},
        "C": {"Type": "Pass", "Parameters": {"n.$": "$.n", "sum.$": "$.sum", "a.$": "$.a"}, "End": true}
    }});
    let branch = |tag: &str| {
        json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "flaky", "Retry": retry(),
                  "Parameters": {"tag": tag, "n.$": "$.n"}, "Next": "W"},
            "W": {"Type": "Wait", "Seconds": 1, "End": true}
        }})
    };
    let parallel = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [branch("left"), branch("right")], "End": true}
    }});
    let map = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "End": true,
              "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
              "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "T", "States": {
                  "T": {"Type": "Task", "Resource": "flaky", "Retry": retry(), "Next": "Done"},
                  "Done": {"Type": "Pass", "End": true}}}}
    }});
    vec![("chain", chain), ("parallel", parallel), ("map", map)]
}

/// The fixed set of executions: (state machine, name, input).
fn workload() -> Vec<(&'static str, String, Value)> {
    let mut out = Vec::new();
    for i in 0..EXECUTIONS_PER_MACHINE {
        out.push(("chain", format!("chain-{i}"), json!({"n": i})));
        out.push(("parallel", format!("parallel-{i}"), json!({"n": i})));
        let items: Vec<Value> = (0..5).map(|k| json!(k * 10 + i)).collect();
        out.push(("map", format!("map-{i}"), json!({"items": items})));
    }
    out
}

/// Registers the machines, starts (idempotently) every execution and waits
/// for all of them; returns their final descriptions by name.
async fn run_workload(
    log: Arc<dyn EventLog>,
    announce_ready: bool,
) -> (Engine, BTreeMap<String, (ExecutionId, Value)>, Duration) {
    let clock = ScaledClock {
        base_ms: 1_704_067_200_000,
        epoch_ms: now_ms(),
        scale: CLOCK_SCALE,
    };
    let engine = Engine::builder(log)
        .handlers(handlers())
        .clock(clock)
        .build()
        .await
        .expect("engine opens");
    for (name, definition) in machines() {
        engine
            .register_state_machine(name, &definition.to_string())
            .await
            .expect("valid definition");
    }
    if announce_ready {
        // The parent times its kill from this line.
        println!("{READY_LINE}");
        let _ = std::io::Write::flush(&mut std::io::stdout());
    }
    let work_started = Instant::now();
    let mut ids = Vec::new();
    for (machine, name, input) in workload() {
        let id = engine
            .start_execution(machine, Some(&name), input)
            .await
            .expect("start is idempotent");
        ids.push((name, id));
    }
    let mut outputs = BTreeMap::new();
    for (name, id) in ids {
        let description = engine.wait_for_completion(id).await.expect("completes");
        assert_eq!(
            description.status,
            ExecutionStatus::Succeeded,
            "{name}: {description:?}"
        );
        outputs.insert(name, (id, description.output.unwrap_or(Value::Null)));
    }
    (engine, outputs, work_started.elapsed())
}

fn open_log(dir: &Path) -> Arc<dyn EventLog> {
    Arc::new(SledLog::open(dir, SledLogOptions::new()).expect("sled log opens"))
}

/// The child's entry point: does nothing unless the parent set the env var.
#[test]
fn crash_resume_child() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let (engine, _, _) = run_workload(open_log(Path::new(&dir)), true).await;
        engine.shutdown().await;
    });
}

#[test]
fn crash_resume_outputs_match_an_uninterrupted_run() {
    if std::env::var(CHILD_DIR_ENV).is_ok() {
        return;
    }
    let cycles: usize = std::env::var(CYCLES_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CYCLES);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (expected, reference) = runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let (engine, outputs, work) = run_workload(open_log(dir.path()), false).await;
        engine.shutdown().await;
        (outputs, work)
    });
    eprintln!("crash_resume: the uninterrupted workload's executions take {reference:?}");
    // Most kills land while the work runs: a random delay within the
    // workload's length after the child says it is ready. One in eight lands
    // early instead (during start-up, opening or recovery).
    let work_ms = reference.as_millis() as u64 + 1;
    let mut rng = Rng::from_env("SHOAL_CRASH_SEED");
    eprintln!("crash_resume: {cycles} cycles, SHOAL_CRASH_SEED={}", rng.0);
    let mut killed_mid_run = 0;
    let mut recovered = 0;
    for cycle in 0..cycles {
        let dir = tempfile::tempdir().unwrap();
        // Create the log before any kill: a kill during SledLog's very first
        // open can leave a directory without its format marker (a storage
        // limitation reported separately; not what this test measures).
        drop(open_log(dir.path()));
        // One or two kills per cycle, each after a random delay.
        let kills = 1 + rng.next() % 2;
        for _ in 0..kills {
            let envs = [(CHILD_DIR_ENV, dir.path().display().to_string())];
            // Stdout is kept open until the kill, so the child never writes
            // to a closed pipe.
            let (mut child, mut output) = spawn_self("crash_resume_child", &envs);
            let delay_ms = if rng.next() % 8 == 0 {
                rng.next() % 50
            } else {
                wait_for_line(&mut output, READY_LINE);
                rng.next() % work_ms
            };
            std::thread::sleep(Duration::from_millis(delay_ms));
            killed_mid_run += usize::from(kill(&mut child));
            drop(output);
        }
        runtime.block_on(async {
            let (engine, outputs, _) = run_workload(open_log(dir.path()), false).await;
            recovered += engine.recovered();
            for (name, (id, output)) in &outputs {
                let (_, wanted) = &expected[name];
                assert_eq!(output, wanted, "cycle {cycle}: output of {name} differs");
                let events = engine.get_execution_history(*id, 0, usize::MAX).unwrap();
                check_history(name, &events);
            }
            engine.shutdown().await;
        });
    }
    eprintln!(
        "crash_resume: {cycles} cycles passed; {killed_mid_run} kills hit a running child; \
         {recovered} unfinished executions recovered and finished"
    );
}
