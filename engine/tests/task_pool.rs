//! The blocking pool seen through TaskRunner: a fixed set of threads, work
//! stealing, shutdown.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::Duration;

use serde_json::{json, Value};
use shoal_engine::task::{
    CancellationToken, HandlerRegistry, TaskInvocation, TaskOutcome, TaskRunner, TaskRunnerOptions,
};

/// Long enough never to fire on a healthy run; turns a hang into a failure.
const PATIENCE: Duration = Duration::from_secs(30);

fn call(resource: &str) -> TaskInvocation {
    TaskInvocation::new(resource, Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_run_on_at_most_blocking_threads_threads() {
    let threads = 3;
    let seen = Arc::new(Mutex::new(HashSet::<(ThreadId, String)>::new()));
    let recorder = Arc::clone(&seen);
    let mut registry = HandlerRegistry::new();
    registry.register_blocking("record", move |input, _| {
        let current = std::thread::current();
        let name = current.name().unwrap_or_default().to_owned();
        recorder.lock().unwrap().insert((current.id(), name));
        std::thread::sleep(Duration::from_millis(1));
        Ok(input)
    });
    let options = TaskRunnerOptions::default()
        .with_blocking_threads(threads)
        .with_thread_name_prefix("pool-test");
    let runner = TaskRunner::new(registry, options).unwrap();
    let calls = (0..200).map(|i| {
        let invocation = TaskInvocation::new("record", json!(i));
        runner.invoke(invocation, CancellationToken::new())
    });
    let outcomes = futures::future::join_all(calls).await;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        assert_eq!(outcome, TaskOutcome::Succeeded(json!(i)));
    }
    let seen = seen.lock().unwrap();
    assert!(
        seen.len() <= threads,
        "{} distinct threads for {threads}",
        seen.len()
    );
    assert!(
        seen.iter().all(|(_, name)| name.starts_with("pool-test-")),
        "{seen:?}"
    );
    let stats = runner.pool_stats();
    assert_eq!(stats.threads, threads);
    assert_eq!(stats.jobs_run, 200);
    runner.shutdown();
}

/// A handler on pool thread A invokes 20 more blocking tasks and blocks A
/// until they are done. Submitted from A, they sit in A's own deque, so the
/// only way they can run is being stolen by the other worker.
#[tokio::test]
async fn a_blocked_workers_queue_is_drained_by_stealing() {
    let runner_cell: Arc<OnceLock<TaskRunner>> = Arc::new(OnceLock::new());
    let leaf_threads = Arc::new(Mutex::new(HashSet::<ThreadId>::new()));
    let mut registry = HandlerRegistry::new();
    let recorder = Arc::clone(&leaf_threads);
    registry.register_blocking("leaf", move |input, _| {
        recorder.lock().unwrap().insert(std::thread::current().id());
        Ok(input)
    });
    let cell = Arc::clone(&runner_cell);
    registry.register_blocking("parent", move |_, _| {
        let runner = cell.get().expect("set before the first invoke");
        let leaves = (0..20).map(|i| {
            runner.invoke(
                TaskInvocation::new("leaf", json!(i)),
                CancellationToken::new(),
            )
        });
        // Polled here, on this pool thread: each leaf is submitted to our deque.
        let outcomes = futures::executor::block_on(futures::future::join_all(leaves));
        let all_ok = outcomes.iter().all(TaskOutcome::is_success);
        Ok(json!({ "all_ok": all_ok, "thread": format!("{:?}", std::thread::current().id()) }))
    });
    let options = TaskRunnerOptions::default().with_blocking_threads(2);
    let runner = runner_cell
        .get_or_init(|| TaskRunner::new(registry, options).unwrap())
        .clone();
    let outcome = tokio::time::timeout(
        PATIENCE,
        runner.invoke(call("parent"), CancellationToken::new()),
    )
    .await
    .expect("the leaves were stolen; without stealing this hangs");
    let TaskOutcome::Succeeded(result) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(result["all_ok"], json!(true));
    let leaf_threads = leaf_threads.lock().unwrap();
    assert_eq!(leaf_threads.len(), 1, "the one free sibling ran every leaf");
    let parent_thread = result["thread"].as_str().unwrap();
    assert!(leaf_threads
        .iter()
        .all(|id| format!("{id:?}") != parent_thread));
    assert!(runner.pool_stats().steals >= 1);
    runner.shutdown();
}

static EXITED_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Counts a thread's exit when its thread-locals are destroyed.
struct ExitCounter;

impl Drop for ExitCounter {
    fn drop(&mut self) {
        EXITED_THREADS.fetch_add(1, Ordering::SeqCst);
    }
}

thread_local! {
    static EXIT_COUNTER: RefCell<Option<ExitCounter>> = const { RefCell::new(None) };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_joins_every_pool_thread() {
    let threads = 3;
    // Each of the `threads` tasks waits for all the others: they can only
    // finish if each runs on its own pool thread at the same time.
    let barrier = Arc::new(Barrier::new(threads));
    let mut registry = HandlerRegistry::new();
    registry.register_blocking("meet", move |_, _| {
        EXIT_COUNTER.with(|counter| *counter.borrow_mut() = Some(ExitCounter));
        barrier.wait();
        Ok(Value::Null)
    });
    let options = TaskRunnerOptions::default().with_blocking_threads(threads);
    let runner = TaskRunner::new(registry, options).unwrap();
    let meetings = (0..threads).map(|_| runner.invoke(call("meet"), CancellationToken::new()));
    let outcomes = tokio::time::timeout(PATIENCE, futures::future::join_all(meetings))
        .await
        .expect("all pool threads run at once");
    assert!(outcomes.iter().all(TaskOutcome::is_success));
    assert_eq!(EXITED_THREADS.load(Ordering::SeqCst), 0);
    let shutdown_runner = runner.clone();
    tokio::task::spawn_blocking(move || shutdown_runner.shutdown())
        .await
        .unwrap();
    // Joined: every thread has exited and run its thread-local destructors.
    assert_eq!(EXITED_THREADS.load(Ordering::SeqCst), threads);
    let outcome = runner.invoke(call("meet"), CancellationToken::new()).await;
    assert_eq!(outcome, TaskOutcome::Cancelled);
}
