//! TaskRunner::invoke: results, failures, panics, timeouts, heartbeats,
//! cancellation and the callback pattern, on tokio's paused time.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use serde_json::{json, Value};
use shoal_engine::task::{
    CancellationToken, HandlerRegistry, TaskContext, TaskError, TaskInvocation, TaskOutcome,
    TaskRunner, TaskRunnerOptions,
};
use tokio::time::Instant;

const HOUR: Duration = Duration::from_secs(3600);

fn runner(registry: HandlerRegistry) -> TaskRunner {
    let options = TaskRunnerOptions::default().with_blocking_threads(2);
    TaskRunner::new(registry, options).unwrap()
}

async fn invoke(runner: &TaskRunner, invocation: TaskInvocation) -> TaskOutcome {
    runner.invoke(invocation, CancellationToken::new()).await
}

fn failed_with(outcome: &TaskOutcome) -> &str {
    match outcome {
        TaskOutcome::Failed(error) => &error.error,
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[tokio::test]
async fn async_and_blocking_handlers_succeed_and_fail() {
    let mut registry = HandlerRegistry::new();
    registry
        .register_async("async:ok", |input, context: TaskContext| async move {
            Ok(json!({ "input": input, "state": context.state_name(), "attempt": context.attempt() }))
        })
        .register_async("async:err", |_, _| async { Err(TaskError::new("My.Error", "async no")) })
        .register_blocking("blocking:ok", |input, context| {
            Ok(json!({ "input": input, "key": context.idempotency_key() }))
        })
        .register_blocking("blocking:err", |_, _| Err(TaskError::new("My.Error", "blocking no")));
    let runner = runner(registry);
    let call = |resource: &str| {
        TaskInvocation::new(resource, json!(7))
            .with_execution("exec-1", "name-1")
            .with_state_name("Work")
            .with_attempt(2)
            .with_idempotency_key("key-1")
    };
    assert_eq!(
        invoke(&runner, call("async:ok")).await,
        TaskOutcome::Succeeded(json!({ "input": 7, "state": "Work", "attempt": 2 }))
    );
    assert_eq!(
        invoke(&runner, call("blocking:ok")).await,
        TaskOutcome::Succeeded(json!({ "input": 7, "key": "key-1" }))
    );
    let failed = invoke(&runner, call("async:err")).await;
    assert_eq!(
        failed,
        TaskOutcome::Failed(TaskError::new("My.Error", "async no"))
    );
    let failed = invoke(&runner, call("blocking:err")).await;
    assert_eq!(
        failed.error(),
        Some(TaskError::new("My.Error", "blocking no"))
    );
    runner.shutdown();
}

#[tokio::test]
async fn unknown_resource_fails_without_running_anything() {
    let runner = runner(HandlerRegistry::new());
    let outcome = invoke(&runner, TaskInvocation::new("nobody:home", Value::Null)).await;
    assert_eq!(failed_with(&outcome), TaskError::RESOURCE_NOT_FOUND);
    assert!(outcome.error().unwrap().cause.contains("nobody:home"));
}

#[tokio::test]
async fn panics_become_task_failed_and_the_runner_carries_on() {
    let mut registry = HandlerRegistry::new();
    registry
        .register_async("async:panic", |_, _| async { panic!("async boom") })
        .register_blocking("blocking:panic", |_, _| panic!("blocking boom"))
        .register_blocking("blocking:ok", |input, _| Ok(input));
    let options = TaskRunnerOptions::default().with_blocking_threads(1);
    let runner = TaskRunner::new(registry, options).unwrap();
    for resource in ["async:panic", "blocking:panic"] {
        let outcome = invoke(&runner, TaskInvocation::new(resource, Value::Null)).await;
        assert_eq!(failed_with(&outcome), "States.TaskFailed");
        assert!(
            outcome.error().unwrap().cause.contains("boom"),
            "{outcome:?}"
        );
    }
    // The only pool thread survived its handler's panic.
    let outcome = invoke(&runner, TaskInvocation::new("blocking:ok", json!(1))).await;
    assert_eq!(outcome, TaskOutcome::Succeeded(json!(1)));
    runner.shutdown();
}

#[tokio::test(start_paused = true)]
async fn a_one_hour_timeout_fires_on_paused_time_and_cancels_the_handler() {
    let saw_cancel = Arc::new(AtomicBool::new(false));
    let mut registry = HandlerRegistry::new();
    let flag = Arc::clone(&saw_cancel);
    registry.register_async("slow", move |_, context: TaskContext| {
        let flag = Arc::clone(&flag);
        async move {
            tokio::select! {
                () = tokio::time::sleep(2 * HOUR) => Ok(Value::Null),
                () = context.cancelled() => {
                    flag.store(true, Ordering::SeqCst);
                    Err(TaskError::new("Stopped", ""))
                }
            }
        }
    });
    let runner = runner(registry);
    let start = Instant::now();
    let outcome = invoke(
        &runner,
        TaskInvocation::new("slow", Value::Null).with_timeout(HOUR),
    )
    .await;
    assert_eq!(outcome, TaskOutcome::TimedOut);
    assert_eq!(outcome.error().unwrap().error, "States.Timeout");
    assert_eq!(start.elapsed(), HOUR);
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert!(
        saw_cancel.load(Ordering::SeqCst),
        "the handler saw its cancellation"
    );
}

/// An async handler that sends `beats` heartbeats `every` apart, then succeeds.
fn beating(registry: &mut HandlerRegistry, resource: &str, beats: u32, every: Duration) {
    registry.register_async(resource, move |_, context: TaskContext| async move {
        for _ in 0..beats {
            tokio::time::sleep(every).await;
            context.heartbeat();
        }
        Ok(json!("done"))
    });
}

#[tokio::test(start_paused = true)]
async fn heartbeats_keep_a_task_alive_and_their_absence_times_it_out() {
    let mut registry = HandlerRegistry::new();
    beating(&mut registry, "steady", 10, Duration::from_secs(30));
    beating(&mut registry, "late", 10, Duration::from_secs(90));
    let runner = runner(registry);
    let heartbeat = Duration::from_secs(60);
    let start = Instant::now();
    let steady = TaskInvocation::new("steady", Value::Null).with_heartbeat_timeout(heartbeat);
    assert_eq!(
        invoke(&runner, steady).await,
        TaskOutcome::Succeeded(json!("done"))
    );
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(300),
        "ten 30 s beats, never timed out"
    );

    let start = Instant::now();
    let late = TaskInvocation::new("late", Value::Null).with_heartbeat_timeout(heartbeat);
    let outcome = invoke(&runner, late).await;
    assert_eq!(outcome, TaskOutcome::HeartbeatTimedOut);
    assert_eq!(outcome.error().unwrap().error, "States.HeartbeatTimeout");
    assert_eq!(start.elapsed(), heartbeat);
}

/// Real time: on paused time tokio advances the clock whenever the runtime
/// is idle, and a handler busy on a pool thread does not count as activity.
/// Five beats 1 s apart against a 3 s heartbeat timeout: only heartbeats
/// sent from the pool thread keep this 5 s task alive.
#[tokio::test]
async fn a_blocking_handler_heartbeats_from_its_pool_thread() {
    let mut registry = HandlerRegistry::new();
    registry.register_blocking("beat", |_, context| {
        for _ in 0..5 {
            std::thread::sleep(Duration::from_secs(1));
            context.heartbeat();
        }
        Ok(json!("beat"))
    });
    let runner = runner(registry);
    let invocation =
        TaskInvocation::new("beat", Value::Null).with_heartbeat_timeout(Duration::from_secs(3));
    assert_eq!(
        invoke(&runner, invocation).await,
        TaskOutcome::Succeeded(json!("beat"))
    );
    runner.shutdown();
}

#[tokio::test(start_paused = true)]
async fn cancellation_resolves_at_once_and_reaches_the_handler() {
    let (observed_sender, observed_receiver) = tokio::sync::oneshot::channel::<String>();
    let observed_sender = Arc::new(parking_lot::Mutex::new(Some(observed_sender)));
    let mut registry = HandlerRegistry::new();
    registry.register_async("waits", move |_, context: TaskContext| {
        let observed_sender = Arc::clone(&observed_sender);
        async move {
            context.cancelled().await;
            if let Some(sender) = observed_sender.lock().take() {
                let _ = sender.send(context.execution_id().to_owned());
            }
            Ok(Value::Null)
        }
    });
    let runner = runner(registry);
    let token = CancellationToken::new();
    let invocation = TaskInvocation::new("waits", Value::Null).with_execution("exec-9", "n");
    let pending = tokio::spawn(runner.invoke(invocation, token.clone()));
    tokio::time::sleep(Duration::from_secs(5)).await;
    token.cancel();
    assert_eq!(pending.await.unwrap(), TaskOutcome::Cancelled);
    assert_eq!(observed_receiver.await.unwrap(), "exec-9");
    assert!(token.is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn an_async_handler_ignoring_cancellation_is_aborted_after_the_grace() {
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&dropped);
    let mut registry = HandlerRegistry::new();
    registry.register_async("stubborn", move |_, _| {
        let guard = SetOnDrop(Arc::clone(&flag));
        async move {
            let _guard = guard;
            std::future::pending::<()>().await;
            Ok(Value::Null)
        }
    });
    let grace = Duration::from_secs(10);
    let options = TaskRunnerOptions::default()
        .with_cancel_grace(grace)
        .with_blocking_threads(1);
    let runner = TaskRunner::new(registry, options).unwrap();
    let invocation = TaskInvocation::new("stubborn", Value::Null).with_timeout(HOUR);
    assert_eq!(invoke(&runner, invocation).await, TaskOutcome::TimedOut);
    tokio::time::sleep(grace / 2).await;
    assert!(!dropped.load(Ordering::SeqCst), "still within its grace");
    tokio::time::sleep(grace).await;
    assert!(dropped.load(Ordering::SeqCst), "aborted after its grace");
}

/// A blocking handler that blocks until the test releases it (at most 30 s),
/// telling the test when it has started, and counting how often it finished.
fn stuck_handler(
    registry: &mut HandlerRegistry,
) -> (
    mpsc::Sender<()>,
    tokio::sync::mpsc::UnboundedReceiver<()>,
    Arc<AtomicUsize>,
) {
    let (release_sender, release_receiver) = mpsc::channel::<()>();
    let release_receiver = Arc::new(parking_lot::Mutex::new(release_receiver));
    let (started_sender, started_receiver) = tokio::sync::mpsc::unbounded_channel();
    let finished = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&finished);
    registry.register_blocking("stuck", move |_, _| {
        let _ = started_sender.send(());
        let _ = release_receiver
            .lock()
            .recv_timeout(Duration::from_secs(30));
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(json!("too late"))
    });
    (release_sender, started_receiver, finished)
}

#[tokio::test]
async fn a_cancelled_blocking_handler_keeps_running_and_its_result_is_discarded() {
    let mut registry = HandlerRegistry::new();
    let (release, mut started, finished) = stuck_handler(&mut registry);
    let options = TaskRunnerOptions::default().with_blocking_threads(1);
    let runner = TaskRunner::new(registry, options).unwrap();
    let token = CancellationToken::new();
    let pending = tokio::spawn(invoke_owned(runner.clone(), "stuck", token.clone()));
    started.recv().await.unwrap();
    token.cancel();
    assert_eq!(pending.await.unwrap(), TaskOutcome::Cancelled);
    assert_eq!(
        finished.load(Ordering::SeqCst),
        0,
        "still running on its thread"
    );
    release.send(()).unwrap();
    // Shutdown joins the pool thread, which first finishes the handler.
    runner.shutdown();
    assert_eq!(finished.load(Ordering::SeqCst), 1);
}

/// Real time (see the heartbeat test above for why not paused time).
#[tokio::test]
async fn a_blocking_handler_times_out_while_it_blocks() {
    let mut registry = HandlerRegistry::new();
    let (release, _started, _finished) = stuck_handler(&mut registry);
    let runner = runner(registry);
    let invocation =
        TaskInvocation::new("stuck", Value::Null).with_timeout(Duration::from_millis(300));
    assert_eq!(invoke(&runner, invocation).await, TaskOutcome::TimedOut);
    release.send(()).unwrap();
    runner.shutdown();
}

#[tokio::test]
async fn a_blocking_job_cancelled_while_queued_never_runs() {
    let (release_sender, release_receiver) = mpsc::channel::<()>();
    let (started_sender, started_receiver) = tokio::sync::mpsc::unbounded_channel::<()>();
    let release_receiver = Arc::new(parking_lot::Mutex::new(release_receiver));
    let ran = Arc::new(AtomicUsize::new(0));
    let mut registry = HandlerRegistry::new();
    registry.register_blocking("hold", move |_, _| {
        let _ = started_sender.send(());
        let _ = release_receiver
            .lock()
            .recv_timeout(Duration::from_secs(30));
        Ok(Value::Null)
    });
    let counter = Arc::clone(&ran);
    registry.register_blocking("count", move |_, _| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(Value::Null)
    });
    let options = TaskRunnerOptions::default().with_blocking_threads(1);
    let runner = TaskRunner::new(registry, options).unwrap();
    let mut started_receiver = started_receiver;
    let hold = tokio::spawn(invoke_owned(
        runner.clone(),
        "hold",
        CancellationToken::new(),
    ));
    started_receiver.recv().await.unwrap();
    // The only thread is held: "count" waits in the queue, then is cancelled.
    let token = CancellationToken::new();
    let queued = tokio::spawn(invoke_owned(runner.clone(), "count", token.clone()));
    tokio::task::yield_now().await;
    token.cancel();
    assert_eq!(queued.await.unwrap(), TaskOutcome::Cancelled);
    release_sender.send(()).unwrap();
    assert_eq!(hold.await.unwrap(), TaskOutcome::Succeeded(Value::Null));
    runner.shutdown();
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "the cancelled job was skipped"
    );
}

async fn invoke_owned(
    runner: TaskRunner,
    resource: &'static str,
    token: CancellationToken,
) -> TaskOutcome {
    runner
        .invoke(TaskInvocation::new(resource, Value::Null), token)
        .await
}

#[tokio::test]
async fn wait_for_task_token_runs_the_base_handler_with_the_token() {
    let mut registry = HandlerRegistry::new();
    registry.register_async("queue:send", |_, context: TaskContext| async move {
        Ok(json!(context.task_token()))
    });
    let runner = runner(registry);
    let invocation =
        TaskInvocation::new("queue:send.waitForTaskToken", Value::Null).with_task_token("tok-1");
    assert_eq!(
        invoke(&runner, invocation).await,
        TaskOutcome::Succeeded(json!("tok-1"))
    );
    let plain = invoke(&runner, TaskInvocation::new("queue:send", Value::Null)).await;
    assert_eq!(plain, TaskOutcome::Succeeded(Value::Null));
}

#[tokio::test]
async fn after_shutdown_every_invoke_is_cancelled() {
    let runner = runner(HandlerRegistry::with_builtins());
    runner.shutdown();
    runner.shutdown();
    let outcome = invoke(&runner, TaskInvocation::new("shoal:noop", json!(1))).await;
    assert_eq!(outcome, TaskOutcome::Cancelled);
}

#[tokio::test(start_paused = true)]
async fn heartbeats_do_not_extend_the_overall_timeout() {
    let mut registry = HandlerRegistry::new();
    beating(&mut registry, "chatty", 1_000, Duration::from_secs(10));
    let runner = runner(registry);
    let start = Instant::now();
    let invocation = TaskInvocation::new("chatty", Value::Null)
        .with_heartbeat_timeout(Duration::from_secs(60))
        .with_timeout(Duration::from_secs(600));
    assert_eq!(invoke(&runner, invocation).await, TaskOutcome::TimedOut);
    assert_eq!(start.elapsed(), Duration::from_secs(600));
}

#[tokio::test(start_paused = true)]
async fn dropping_the_invoke_future_cancels_the_handler() {
    let (cancelled_sender, cancelled_receiver) = tokio::sync::oneshot::channel::<()>();
    let cancelled_sender = Arc::new(parking_lot::Mutex::new(Some(cancelled_sender)));
    let mut registry = HandlerRegistry::new();
    registry.register_async("waits", move |_, context: TaskContext| {
        let cancelled_sender = Arc::clone(&cancelled_sender);
        async move {
            context.cancelled().await;
            if let Some(sender) = cancelled_sender.lock().take() {
                let _ = sender.send(());
            }
            Ok(Value::Null)
        }
    });
    let runner = runner(registry);
    let call = runner.invoke(
        TaskInvocation::new("waits", Value::Null),
        CancellationToken::new(),
    );
    // Give up on it after a minute: the future is dropped mid-wait.
    let gave_up = tokio::time::timeout(Duration::from_secs(60), call).await;
    assert!(gave_up.is_err());
    cancelled_receiver
        .await
        .expect("the handler saw the cancellation");
}

#[tokio::test]
async fn an_async_handler_closure_that_panics_before_its_future_fails_the_task() {
    let mut registry = HandlerRegistry::new();
    registry.register_async("early", |input: Value, _| {
        assert!(input.is_null(), "early boom");
        async { Ok(Value::Null) }
    });
    let runner = runner(registry);
    let outcome = invoke(&runner, TaskInvocation::new("early", json!(1))).await;
    assert_eq!(failed_with(&outcome), "States.TaskFailed");
    assert!(outcome.error().unwrap().cause.contains("early boom"));
}
