//! Runs one task attempt: dispatch, timeouts, heartbeats, cancellation.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::oneshot;

use super::attempt::{outcome_of, panicked, Attempt, Completion};
use super::cancel::CancellationToken;
use super::context::TaskContext;
use super::error::{TaskError, TaskRunnerError};
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
    /// The handler is looked up now and started when the returned future is
    /// first polled, which must be inside a tokio runtime (it spawns async
    /// handlers and uses tokio time, so paused test time applies). Contract:
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
    /// On `TimedOut`, `HeartbeatTimedOut` and `Cancelled` the future resolves
    /// as soon as the timer or token fires, and the handler is told to stop
    /// ([`TaskContext::is_cancelled`] becomes true; `cancel` itself is never
    /// cancelled by the runner). An async handler that has not returned
    /// after the runner's `cancel_grace` is aborted; a blocking handler
    /// cannot be interrupted and keeps its pool thread until it returns (its
    /// result is then discarded); a blocking job still queued is skipped.
    /// Dropping the future also tells the handler to stop.
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
        // Prepared here rather than in the future, so the future (alive as
        // long as the task runs) does not carry the whole invocation.
        let prepared = self.inner.prepare(invocation, cancel);
        let inner = Arc::clone(&self.inner);
        async move {
            let mut attempt = match prepared.and_then(|prepared| inner.start(prepared)) {
                Ok(attempt) => attempt,
                Err(outcome) => return outcome,
            };
            attempt.supervise().await
        }
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

/// An attempt whose handler was found (protocol step 1), not yet started.
struct Prepared {
    handler: Handler,
    input: serde_json::Value,
    context: TaskContext,
    timeout: Option<std::time::Duration>,
    heartbeat_timeout: Option<std::time::Duration>,
}

impl Inner {
    /// Protocol step 1: look up the handler and build the context. `Err` is
    /// an outcome reached without running anything.
    fn prepare(
        &self,
        mut invocation: TaskInvocation,
        cancel: CancellationToken,
    ) -> Result<Prepared, TaskOutcome> {
        let Some(handler) = self.registry.resolve(&invocation.resource).cloned() else {
            return Err(TaskOutcome::Failed(TaskError::resource_not_found(
                &invocation.resource,
            )));
        };
        Ok(Prepared {
            handler,
            context: TaskContext::take_from(&mut invocation, cancel),
            input: invocation.input,
            timeout: invocation.timeout,
            heartbeat_timeout: invocation.heartbeat_timeout,
        })
    }

    /// Protocol step 2: spawn or queue the handler, unless the runner is
    /// shut down or the caller already cancelled.
    fn start(&self, prepared: Prepared) -> Result<Attempt, TaskOutcome> {
        let Prepared {
            handler,
            input,
            context,
            timeout,
            heartbeat_timeout,
        } = prepared;
        if self.shut_down.load(Ordering::SeqCst) || context.is_cancelled() {
            return Err(TaskOutcome::Cancelled);
        }
        let completion = match handler {
            Handler::Async(handler) => {
                // The closure itself (not only its future) may panic.
                let call = catch_unwind(AssertUnwindSafe(|| handler(input, context.clone())));
                let future =
                    call.map_err(|payload| TaskOutcome::Failed(panicked(payload.as_ref())))?;
                Completion::Async(tokio::spawn(future))
            }
            Handler::Blocking(handler) => {
                let (sender, receiver) = oneshot::channel();
                let job_context = context.clone();
                let job = Box::new(move || {
                    // Protocol step 5: a job cancelled while queued does not run.
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
                    return Err(TaskOutcome::Cancelled);
                }
                Completion::Blocking(receiver)
            }
        };
        Ok(Attempt {
            completion,
            context,
            timeout,
            heartbeat_timeout,
            cancel_grace: self.options.cancel_grace(),
            armed: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The invoke future lives, inside the runtime's task, for as long as a
    /// task is in flight (10,000 per map run), so its size is a budget:
    /// 496 bytes when written; it was 1,496 before the attempt was prepared
    /// outside the future.
    #[tokio::test]
    async fn the_invoke_future_stays_small() {
        let runner = TaskRunner::new(
            HandlerRegistry::with_builtins(),
            TaskRunnerOptions::default(),
        )
        .expect("threads start");
        let invocation = TaskInvocation::new("shoal:noop", serde_json::Value::Null);
        let future = runner.invoke(invocation, CancellationToken::new());
        let size = std::mem::size_of_val(&future);
        assert!(size <= 640, "invoke future is {size} bytes");
        runner.shutdown();
    }
}
