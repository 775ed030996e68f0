//! The engine on a failing disk: `FaultyLog<SledLog>` fails the Nth commit
//! (its write, or its sync) while task chains, STANDARD and EXPRESS
//! Distributed Maps run; or delays every commit.
//!
//! Checked for a failed commit: every waiter gets `EngineError::Storage`
//! with `LogError::Poisoned`; the engine refuses new work; every handler
//! call of a STANDARD execution belongs to a transition that is durable;
//! reopening the directory shows every acknowledged record unchanged (and,
//! after a failed write, nothing more); a fresh engine on it finishes every
//! execution with the outputs of a fault-free run. For delayed commits:
//! everything completes with the same outputs and the wrapper's queue stays
//! within its bound.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{json, Value};
use shoal_engine::task::HandlerRegistry;
use shoal_engine::{Engine, EngineError, ExecutionId, ExecutionStatus, HistoryEventType};
use shoal_storage::fault::{FaultKind, FaultPlan, FaultyLog};
use shoal_storage::{EventLog, LogError, RowOp, SledLog, SledLogOptions, WriteBatch};

/// One handler call: the execution id, its idempotency key, and whether it
/// ran in an EXPRESS child (whose transitions are not logged).
#[derive(Debug, Clone)]
struct Call {
    execution: String,
    key: String,
    express: bool,
}

type Calls = Arc<Mutex<Vec<Call>>>;

/// `work` and `express_work`: wait a few ms (so executions overlap), then
/// return `{"double": 2 v}`.
fn handlers(calls: &Calls) -> HandlerRegistry {
    let mut handlers = HandlerRegistry::new();
    for (resource, express) in [("work", false), ("express_work", true)] {
        let calls = Arc::clone(calls);
        handlers.register_async(resource, move |input: Value, context| {
            calls.lock().push(Call {
                execution: context.execution_id().to_string(),
                key: context.idempotency_key().to_string(),
                express,
            });
            async move {
                let v = input["v"].as_u64().unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(2 + v % 5 * 3)).await;
                Ok(json!({"double": v * 2}))
            }
        });
    }
    handlers
}

fn map_definition(execution_type: &str, resource: &str) -> Value {
    json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "MaxConcurrency": 6,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
            "StartAt": "W",
            "States": {"W": {"Type": "Task", "Resource": resource, "End": true}}
        },
        "End": true}}})
}

fn definitions() -> Vec<(&'static str, Value)> {
    let chain = json!({"StartAt": "First", "States": {
        "First": {"Type": "Task", "Resource": "work", "ResultPath": "$.first", "Next": "Shape"},
        "Shape": {"Type": "Pass", "Parameters": {"v.$": "$.v", "first.$": "$.first"},
                  "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Second"},
        "Second": {"Type": "Task", "Resource": "work", "ResultPath": "$.second", "End": true}}});
    vec![
        ("chain", chain),
        ("map", map_definition("STANDARD", "work")),
        ("express", map_definition("EXPRESS", "express_work")),
    ]
}

/// Execution name, state machine and input of the workload.
fn workload() -> Vec<(String, &'static str, Value)> {
    let items = |n: u64| Value::Array((0..n).map(|v| json!({"v": v})).collect());
    let mut out: Vec<_> = (0..6)
        .map(|i| (format!("chain-{i}"), "chain", json!({"v": i})))
        .collect();
    out.push(("map-0".into(), "map", items(40)));
    out.push(("map-1".into(), "map", items(25)));
    out.push(("express-0".into(), "express", items(40)));
    out
}

type Outcomes = BTreeMap<String, Result<(ExecutionStatus, Option<Value>), EngineError>>;

/// Registers the state machines, starts every execution of the workload at
/// once and waits for each; returns each one's end or error.
async fn run_workload(engine: &Engine) -> Outcomes {
    for (name, definition) in definitions() {
        let json = definition.to_string();
        if let Err(error) = engine.register_state_machine(name, &json).await {
            // An early fault: every start below then fails the same way.
            assert!(is_poisoned(&error), "{error}");
            break;
        }
    }
    let mut tasks = Vec::new();
    for (name, machine, input) in workload() {
        let engine = engine.clone();
        tasks.push(tokio::spawn(async move {
            let id = engine.start_execution(machine, Some(&name), input).await?;
            let done = engine.wait_for_completion(id).await?;
            Ok::<_, EngineError>((done.status, done.output))
        }));
    }
    let mut outcomes = BTreeMap::new();
    for ((name, _, _), task) in workload().into_iter().zip(tasks) {
        outcomes.insert(name, task.await.unwrap());
    }
    outcomes
}

async fn engine_on(log: Arc<dyn EventLog>, calls: &Calls) -> Engine {
    Engine::builder(log)
        .handlers(handlers(calls))
        .build()
        .await
        .unwrap()
}

fn open_sled(dir: &Path) -> SledLog {
    SledLog::open(dir, SledLogOptions::new()).unwrap()
}

/// Waits until the engine's tasks let go of `log`, then closes it (sled
/// locks its directory until then).
async fn close(log: Arc<FaultyLog<SledLog>>) -> FaultyLog<SledLog> {
    for _ in 0..1000 {
        if Arc::strong_count(&log) == 1 {
            return Arc::into_inner(log).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the stopped engine still holds the log after 10 s");
}

/// The fault-free outputs, and how many commits they took.
async fn reference() -> (Outcomes, u64) {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(FaultyLog::new(open_sled(dir.path()), FaultPlan::new()).unwrap());
    let calls = Calls::default();
    let engine = engine_on(log.clone(), &calls).await;
    let outcomes = run_workload(&engine).await;
    for (name, outcome) in &outcomes {
        let (status, _) = outcome.as_ref().unwrap();
        assert_eq!(*status, ExecutionStatus::Succeeded, "{name}");
    }
    engine.shutdown().await;
    drop(engine);
    let commits = close(log).await.commits_numbered();
    (outcomes, commits)
}

fn is_poisoned(error: &EngineError) -> bool {
    matches!(error, EngineError::Storage { source: LogError::Poisoned { cause }, .. }
        if cause.contains("injected"))
}

/// Fault points per kind: 1 in CI (a write fault at 3/4 of the run, a
/// sync fault at 1/2), `SHOAL_FAULT_ROUNDS=N` spreads N of them from the
/// start to near the end.
fn fault_points(commits: u64, kind: FaultKind) -> Vec<u64> {
    let rounds: u64 = std::env::var("SHOAL_FAULT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let offset = match kind {
        FaultKind::Write => 0.75,
        FaultKind::Sync => 0.5,
    };
    (0..rounds)
        .map(|round| {
            let share = if rounds == 1 {
                offset
            } else {
                0.02 + 0.83 * (round as f64 + offset) / rounds as f64
            };
            ((commits as f64 * share) as u64).max(1)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_stops_the_engine_and_a_reopen_finishes_every_execution() {
    let (expected, commits) = reference().await;
    for fail_at in fault_points(commits, FaultKind::Write) {
        fail_one_commit(FaultKind::Write, fail_at, &expected, commits).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sync_stops_the_engine_and_a_reopen_finishes_every_execution() {
    let (expected, commits) = reference().await;
    for fail_at in fault_points(commits, FaultKind::Sync) {
        fail_one_commit(FaultKind::Sync, fail_at, &expected, commits).await;
    }
}

async fn fail_one_commit(kind: FaultKind, fail_at: u64, expected: &Outcomes, commits: u64) {
    let plan = match kind {
        FaultKind::Write => FaultPlan::new().with_write_failure_at(fail_at),
        FaultKind::Sync => FaultPlan::new().with_sync_failure_at(fail_at),
    }
    .with_acknowledged_batches_recorded(true);
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(FaultyLog::new(open_sled(dir.path()), plan).unwrap());
    let calls = Calls::default();
    let engine = engine_on(log.clone(), &calls).await;
    let outcomes = run_workload(&engine).await;
    let Some(fault) = log.injected() else {
        // Commit counts vary from run to run (how transitions group): a
        // late fault point may lie beyond this run's last commit. Then it
        // was a fault-free run and must look like one.
        assert!(fail_at > commits / 2, "an early fault point always fires");
        for (name, outcome) in &outcomes {
            let done = outcome.as_ref().unwrap();
            assert_eq!(done, expected[name].as_ref().unwrap(), "{name}");
        }
        println!("{kind} failure at commit {fail_at}: beyond this run's commits, none injected");
        engine.shutdown().await;
        return;
    };
    assert_eq!((fault.commit, fault.kind), (fail_at, kind));
    let mut failed = 0;
    for (name, outcome) in &outcomes {
        match outcome {
            Ok(done) => assert_eq!(Ok(done), expected[name].as_ref().map_err(|_| ()), "{name}"),
            Err(error) => {
                assert!(is_poisoned(error), "{name}: {error}");
                failed += 1;
            }
        }
    }
    assert!(
        failed > 0,
        "some execution was still running at commit {fail_at}"
    );
    let refused = engine.start_execution("chain", Some("late"), json!({"v": 1}));
    let refused = refused.await.unwrap_err();
    assert!(is_poisoned(&refused), "{refused}");
    engine.shutdown().await;
    drop(engine);
    let log = close(log).await;
    let acknowledged = log.acknowledged();
    drop(log.into_inner());

    let reopened = open_sled(dir.path());
    check_acknowledged(&reopened, &acknowledged, kind == FaultKind::Write);
    let standard_calls: Vec<Call> = calls
        .lock()
        .iter()
        .filter(|c| !c.express)
        .cloned()
        .collect();
    let reopened = check_calls_were_durable(reopened, &standard_calls).await;
    println!(
        "{kind} failure at commit {fail_at} of ~{commits}: {failed} of {} executions \
         stopped, {} acknowledged batches verified, {} STANDARD handler calls durable",
        outcomes.len(),
        acknowledged.len(),
        standard_calls.len()
    );

    let calls = Calls::default();
    let reopened: Arc<dyn EventLog> = Arc::new(reopened);
    let engine = engine_on(reopened, &calls).await;
    let recovered = run_workload(&engine).await;
    for (name, outcome) in &recovered {
        let done = outcome.as_ref().unwrap();
        assert_eq!(
            done,
            expected[name].as_ref().unwrap(),
            "{name} after reopen"
        );
    }
    engine.shutdown().await;
}

/// Every acknowledged record is present and unchanged; after a failed
/// write (`exact`), no record beyond them is, and every row is as the
/// acknowledged batches left it.
fn check_acknowledged(log: &SledLog, acknowledged: &[WriteBatch], exact: bool) {
    let mut last = HashMap::new();
    let mut rows = BTreeMap::new();
    for batch in acknowledged {
        for record in batch.records() {
            let found = log.read_stream(record.stream, record.seq, 1).unwrap();
            assert_eq!(found.first(), Some(record), "acknowledged record lost");
            last.insert(record.stream, record.seq);
        }
        for op in batch.rows() {
            match op {
                RowOp::Put { space, key, value } => rows.insert((*space, key), Some(value)),
                RowOp::Delete { space, key } => rows.insert((*space, key), None),
            };
        }
    }
    for (stream, seq) in last {
        let durable = log.last_seq(stream).unwrap();
        if exact {
            assert_eq!(
                durable,
                Some(seq),
                "{stream}: nothing beyond the acknowledged"
            );
        } else {
            assert!(durable >= Some(seq), "{stream}");
        }
    }
    if exact {
        for ((space, key), value) in rows {
            assert_eq!(log.get_row(space, key).unwrap().as_ref(), value, "{space}");
        }
    }
}

/// Each handler call of a STANDARD execution has its TaskScheduled event in
/// the durable history. The history is read through an engine whose log
/// refuses its first commit, so recovery cannot add anything to it.
async fn check_calls_were_durable(log: SledLog, calls: &[Call]) -> SledLog {
    let plan = FaultPlan::new().with_write_failure_at(1);
    let log = Arc::new(FaultyLog::new(log, plan).unwrap());
    let inspector = engine_on(log.clone(), &Calls::default()).await;
    for call in calls {
        let id: ExecutionId = call.execution.parse().unwrap();
        let mut parts = call.key.rsplitn(3, ':');
        let attempt: u32 = parts.next().unwrap().parse().unwrap();
        let entered: u64 = parts.next().unwrap().parse().unwrap();
        let state = parts.next().unwrap().split_once(':').unwrap().1.to_string();
        let history = inspector.get_execution_history(id, 0, usize::MAX).unwrap();
        let scheduled = history.iter().any(|event| {
            event.kind == HistoryEventType::TaskScheduled
                && event.details.name.as_deref() == Some(state.as_str())
                && event.details.attempt == Some(attempt)
                && event.id.0 > entered
        });
        assert!(
            scheduled,
            "handler call {call:?} has no durable TaskScheduled"
        );
    }
    inspector.shutdown().await;
    drop(inspector);
    close(log).await.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_commits_slow_the_engine_down_and_everything_completes() {
    let (expected, _) = reference().await;
    let queue_max = 16;
    let plan = FaultPlan::new()
        .with_commit_delay(Duration::from_millis(3))
        .with_queue_batches_max(queue_max);
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(FaultyLog::new(open_sled(dir.path()), plan).unwrap());
    let engine = engine_on(log.clone(), &Calls::default()).await;
    let outcomes = run_workload(&engine).await;
    for (name, outcome) in &outcomes {
        assert_eq!(
            outcome.as_ref().unwrap(),
            expected[name].as_ref().unwrap(),
            "{name}"
        );
    }
    // Producers block on the full queue instead of the queue growing: the
    // depth is the queue, plus one sender per thread that commits (two
    // runtime workers and the test's own thread), plus one batch being
    // taken.
    let peak = log.queued_batches_peak();
    assert!(peak <= queue_max as u64 + 4, "queue peaked at {peak}");
    assert!(peak > 1, "commits queued up behind the delay: {peak}");
    assert_eq!(log.metrics().queued_batches, 0);
    engine.shutdown().await;
}
