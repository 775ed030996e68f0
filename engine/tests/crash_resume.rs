//! Crash-resume: a child process runs a fixed workload on a SledLog and is
//! SIGKILLed at a random moment; the parent reopens the directory, lets
//! everything finish, and checks every output against an uninterrupted run
//! and every history for duplicated transitions.
//!
//! `SHOAL_CRASH_CYCLES` sets the number of kill/reopen cycles (default 50).
//! The child is this test binary re-run with `SHOAL_CRASH_CHILD_DIR` set,
//! executing only `crash_resume_child`.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use shoal_engine::runtime::Clock;
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{Engine, ExecutionId, ExecutionStatus, HistoryEvent, HistoryEventType};
use shoal_storage::{EventLog, SledLog, SledLogOptions};

const CHILD_DIR_ENV: &str = "SHOAL_CRASH_CHILD_DIR";
const CYCLES_ENV: &str = "SHOAL_CRASH_CYCLES";
const DEFAULT_CYCLES: usize = 50;
/// Clock speed-up: a 1 s Wait or retry interval lasts 1 ms of real time.
const CLOCK_SCALE: i64 = 1000;
const EXECUTIONS_PER_MACHINE: usize = 4;
/// What the child prints once the engine is open and about to start work.
const READY_LINE: &str = "crash-resume-child-ready";

/// Wall time running `CLOCK_SCALE` times faster than real time.
struct ScaledClock {
    base_ms: i64,
    start: Instant,
}

impl Clock for ScaledClock {
    fn now_ms(&self) -> i64 {
        self.base_ms + self.start.elapsed().as_millis() as i64 * CLOCK_SCALE
    }

    fn sleep_for(&self, clock_ms: u64) -> Duration {
        Duration::from_micros((clock_ms * 1000 / CLOCK_SCALE as u64).max(200))
    }
}

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
        start: Instant::now(),
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

/// Checks one history: ids 1, 2, 3…; one terminal event, last; each state
/// entered once per scope; task attempts never repeated.
fn check_history(name: &str, events: &[HistoryEvent]) {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(
            event.id.0,
            index as u64 + 1,
            "{name}: ids must increase by one"
        );
        assert!(event.previous_event_id < event.id, "{name}: {event:?}");
    }
    let terminal = events.iter().filter(|e| is_terminal(e.kind)).count();
    assert_eq!(terminal, 1, "{name}: one terminal event");
    assert!(
        is_terminal(events.last().unwrap().kind),
        "{name}: terminal event last"
    );
    let mut entered: HashMap<(Vec<u32>, String, &'static str), usize> = HashMap::new();
    let mut attempts: HashMap<(Vec<u32>, String, u32), usize> = HashMap::new();
    for event in events {
        let state = event.details.name.clone().unwrap_or_default();
        if event.kind.name().ends_with("StateEntered") {
            *entered
                .entry((event.scope.clone(), state.clone(), event.kind.name()))
                .or_default() += 1;
        }
        if event.kind == HistoryEventType::TaskScheduled {
            let attempt = event.details.attempt.unwrap_or(u32::MAX);
            *attempts
                .entry((event.scope.clone(), state, attempt))
                .or_default() += 1;
        }
    }
    for (key, count) in entered {
        assert_eq!(count, 1, "{name}: {key:?} entered {count} times");
    }
    for (key, count) in attempts {
        assert_eq!(count, 1, "{name}: attempt {key:?} scheduled {count} times");
    }
}

fn is_terminal(kind: HistoryEventType) -> bool {
    matches!(
        kind,
        HistoryEventType::ExecutionSucceeded
            | HistoryEventType::ExecutionFailed
            | HistoryEventType::ExecutionAborted
            | HistoryEventType::ExecutionTimedOut
    )
}

/// A small deterministic generator for kill delays (no global randomness
/// needed; the seed is printed so a failing cycle can be rerun).
fn next_random(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
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
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("crash_resume: {cycles} cycles, seed {seed}");
    let exe = std::env::current_exe().unwrap();
    let mut killed_mid_run = 0;
    let mut recovered = 0;
    for cycle in 0..cycles {
        let dir = tempfile::tempdir().unwrap();
        // Create the log before any kill: a kill during SledLog's very first
        // open can leave a directory without its format marker (a storage
        // limitation reported separately; not what this test measures).
        drop(open_log(dir.path()));
        // One or two kills per cycle, each after a random delay.
        let kills = 1 + next_random(&mut seed) % 2;
        for _ in 0..kills {
            let mut child = Command::new(&exe)
                .args([
                    "crash_resume_child",
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_DIR_ENV, dir.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // Kept open until the kill, so the child never writes to a closed pipe.
            let mut output = BufReader::new(child.stdout.take().unwrap());
            let delay_ms = if next_random(&mut seed) % 8 == 0 {
                next_random(&mut seed) % 50
            } else {
                let mut line = String::new();
                while output.read_line(&mut line).unwrap_or(0) > 0 && !line.contains(READY_LINE) {
                    line.clear();
                }
                next_random(&mut seed) % work_ms
            };
            std::thread::sleep(Duration::from_millis(delay_ms));
            if child.try_wait().unwrap().is_none() {
                killed_mid_run += 1;
            }
            // SIGKILL on Unix: no destructor, no flush, no graceful anything.
            let _ = child.kill();
            child.wait().unwrap();
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
