//! Runs one task attempt: dispatch, timeouts, heartbeats, cancellation.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::cancel::CancellationToken;
use super::context::TaskContext;
use super::error::{TaskError, TaskResult, TaskRunnerError};
use super::invocation::{TaskInvocation, TaskOutcome};
use super::options::TaskRunnerOptions;
use super::pool::{BlockingPool, PoolStats};
use super::registry::{Handler, HandlerRegistry};

/// Runs task attempts with the handlers of a [`HandlerRegistry`].
///
/// Cheap to clone (one `Arc`); `Send + Sync`. Async handlers run as tokio
/// tasks; blocking handlers on a fixed pool of `blocking_threads` threads
/// started by [`TaskRunner::new`] (see the [`task`](super) module doc for
/// the protocol). When the last clone is dropped the pool is told to stop
/// without being joined; call [`TaskRunner::shutdown`] to join it.
#[derive(Clone)]
pub struct TaskRunner {
    inner: Arc<Inner>,
}

struct Inner {
    registry: HandlerRegistry,
    options: TaskRunnerOptions,
    pool: BlockingPool,
    shut_down: AtomicBool,
}

impl TaskRunner {
    /// Starts a runner and its blocking pool. Fails only if the operating
    /// system refuses to start a thread.
    pub fn new(
        registry: HandlerRegistry,
        options: TaskRunnerOptions,
    ) -> Result<TaskRunner, TaskRunnerError> {
        let pool = BlockingPool::start(options.blocking_threads(), options.thread_name_prefix())?;
        Ok(TaskRunner {
            inner: Arc::new(Inner {
                registry,
                options,
                pool,
                shut_down: AtomicBool::new(false),
            }),
        })
    }

    /// Runs one attempt of `invocation` and resolves to its outcome.
    ///
    /// Nothing happens until the returned future is first polled, which
    /// must be inside a tokio runtime (it spawns async handlers and uses
    /// tokio time, so paused test time applies). Contract:
    /// - no handler for the resource: `Failed` with `shoal.ResourceNotFound`,
    ///   without running anything;
    /// - the handler returns: `Succeeded` / `Failed` with its value;
    /// - the handler panics: `Failed` with `States.TaskFailed` and the panic
    ///   message as cause; nothing else is affected;
    /// - `invocation.timeout` passes first: `TimedOut`; no heartbeat within
    ///   `invocation.heartbeat_timeout` (from the start or the previous
    ///   heartbeat): `HeartbeatTimedOut`;
    /// - `cancel` fires first (or already had), or the runner is shut down:
    ///   `Cancelled`.
    ///
    /// In the last three cases the future resolves at once and the handler
    /// is told to stop ([`TaskContext::is_cancelled`] becomes true; `cancel`
    /// itself is never cancelled by the runner). An async handler that has
    /// not returned after the runner's `cancel_grace` is aborted; a blocking
    /// handler cannot be interrupted and keeps its pool thread until it
    /// returns (its result is then discarded); a blocking job still queued is
    /// skipped. Dropping the future also tells the handler to stop.
    ///
    /// `.waitForTaskToken`: the handler receives the token in its context;
    /// this future resolves with the handler's own outcome (its return value
    /// is normally ignored). Waiting for `send_task_success` /
    /// `send_task_failure`, and the task's timeouts while waiting, are the
    /// runtime's business, so it passes here only the limits that should
    /// bound the handler call itself.
    ///
    /// Paused time (tests): tokio advances a paused clock whenever the
    /// runtime is idle, and a blocking handler busy on a pool thread does
    /// not count as activity, so a blocking handler's timeouts fire at once
    /// there. Test blocking handlers' timers on real time.
    pub fn invoke(
        &self,
        invocation: TaskInvocation,
        cancel: CancellationToken,
    ) -> impl Future<Output = TaskOutcome> + Send + 'static {
        let inner = Arc::clone(&self.inner);
        async move { inner.run(invocation, cancel).await }
    }

    /// The registry this runner dispatches with.
    pub fn registry(&self) -> &HandlerRegistry {
        &self.inner.registry
    }

    /// The options this runner was built with.
    pub fn options(&self) -> &TaskRunnerOptions {
        &self.inner.options
    }

    /// The blocking pool's counters since start.
    pub fn pool_stats(&self) -> PoolStats {
        self.inner.pool.stats()
    }

    /// Stops the runner: every later [`invoke`](Self::invoke) resolves to
    /// `Cancelled` without running anything; blocking jobs still queued are
    /// dropped (their invocations resolve to `Cancelled`); then it blocks
    /// the calling thread until every pool thread has finished the handler
    /// it is running and exited. Async handlers already running are not
    /// touched (they belong to the tokio runtime). Idempotent. Because it
    /// may wait for a long blocking handler, do not call it on a tokio
    /// worker thread that other work depends on.
    pub fn shutdown(&self) {
        self.inner.shut_down.store(true, Ordering::SeqCst);
        self.inner.pool.shutdown();
    }
}

impl std::fmt::Debug for TaskRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskRunner")
            .field("registry", &self.inner.registry)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// Where the handler's result will come from.
enum Completion {
    Async(JoinHandle<TaskResult>),
    Blocking(oneshot::Receiver<TaskOutcome>),
}

impl Completion {
    /// Cancel-safe: polling through `&mut` loses nothing when dropped.
    async fn wait(&mut self) -> TaskOutcome {
        match self {
            Completion::Async(handle) => match handle.await {
                Ok(result) => outcome_of(result),
                Err(error) if error.is_panic() => {
                    TaskOutcome::Failed(panicked(error.into_panic().as_ref()))
                }
                Err(_) => TaskOutcome::Cancelled,
            },
            // The sender is dropped unsent only when the job was dropped by
            // shutdown or skipped as cancelled.
            Completion::Blocking(receiver) => receiver.await.unwrap_or(TaskOutcome::Cancelled),
        }
    }
}

/// Tells the handler to stop if the invoke future is dropped before it ends.
struct CancelOnDrop(Option<TaskContext>);

impl CancelOnDrop {
    /// The attempt ended normally: nothing to signal.
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(context) = &self.0 {
            context.cancel_attempt();
        }
    }
}

impl Inner {
    async fn run(
        self: Arc<Self>,
        mut invocation: TaskInvocation,
        cancel: CancellationToken,
    ) -> TaskOutcome {
        if self.shut_down.load(Ordering::SeqCst) || cancel.is_cancelled() {
            return TaskOutcome::Cancelled;
        }
        let Some(handler) = self.registry.resolve(&invocation.resource).cloned() else {
            return TaskOutcome::Failed(TaskError::resource_not_found(&invocation.resource));
        };
        let context = TaskContext::take_from(&mut invocation, cancel);
        let cancel_on_drop = CancelOnDrop(Some(context.clone()));
        let timeout = invocation.timeout;
        let heartbeat_timeout = invocation.heartbeat_timeout;
        let completion = match handler {
            Handler::Async(handler) => {
                let handler_future = handler(invocation.input, context.clone());
                let grace = self.options.cancel_grace();
                Completion::Async(tokio::spawn(with_grace(
                    handler_future,
                    context.clone(),
                    grace,
                )))
            }
            Handler::Blocking(handler) => {
                let (sender, receiver) = oneshot::channel();
                let job_context = context.clone();
                let input = invocation.input;
                let job = Box::new(move || {
                    // Protocol step 5: a job cancelled while queued
                    // does not run.
                    if job_context.is_cancelled() {
                        return;
                    }
                    let result = catch_unwind(AssertUnwindSafe(|| handler(input, job_context)));
                    let outcome = match result {
                        Ok(result) => outcome_of(result),
                        Err(payload) => TaskOutcome::Failed(panicked(payload.as_ref())),
                    };
                    // The invoker may have stopped waiting; then the result is
                    // discarded by design.
                    let _ = sender.send(outcome);
                });
                if self.pool.submit(job).is_err() {
                    return TaskOutcome::Cancelled;
                }
                Completion::Blocking(receiver)
            }
        };
        let outcome = supervise(completion, &context, timeout, heartbeat_timeout).await;
        // `supervise` already cancelled the attempt if it stopped waiting.
        cancel_on_drop.disarm();
        outcome
    }
}

/// Runs an async handler until it returns or, once its task is cancelled,
/// for at most `grace` more.
async fn with_grace(
    handler: impl Future<Output = TaskResult>,
    context: TaskContext,
    grace: Duration,
) -> TaskResult {
    tokio::select! {
        biased;
        result = handler => result,
        () = async {
            context.cancelled().await;
            tokio::time::sleep(grace).await;
        } => Err(TaskError::task_failed("aborted after its cancellation grace period")),
    }
}

/// Waits for the handler's outcome while enforcing the timeouts and the
/// caller's cancellation (protocol step 5).
async fn supervise(
    mut completion: Completion,
    context: &TaskContext,
    timeout: Option<Duration>,
    heartbeat_timeout: Option<Duration>,
) -> TaskOutcome {
    let deadline = timeout.map(|timeout| Instant::now() + timeout);
    let mut heartbeat_deadline = heartbeat_timeout.map(|timeout| Instant::now() + timeout);
    let outcome = loop {
        tokio::select! {
            biased;
            outcome = completion.wait() => return outcome,
            () = context.caller_cancelled() => break TaskOutcome::Cancelled,
            () = sleep_until(deadline) => break TaskOutcome::TimedOut,
            () = sleep_until(heartbeat_deadline) => break TaskOutcome::HeartbeatTimedOut,
            () = context.next_heartbeat(), if heartbeat_timeout.is_some() => {
                heartbeat_deadline = heartbeat_timeout.map(|timeout| Instant::now() + timeout);
            }
        }
    };
    context.cancel_attempt();
    outcome
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn outcome_of(result: TaskResult) -> TaskOutcome {
    match result {
        Ok(value) => TaskOutcome::Succeeded(value),
        Err(error) => TaskOutcome::Failed(error),
    }
}

/// `States.TaskFailed` with the panic's message, when it has one.
fn panicked(payload: &(dyn Any + Send)) -> TaskError {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    TaskError::task_failed(format!("the task handler panicked: {message}"))
}
