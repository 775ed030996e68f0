//! One running task attempt, as the invoke future watches it: its result,
//! its timers, the caller's cancellation, and what to do when it is left.

use std::any::Any;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::{AbortHandle, JoinHandle};
use tokio::time::{Instant, Sleep};

use super::context::TaskContext;
use super::error::{TaskError, TaskResult};
use super::invocation::TaskOutcome;

/// Where the handler's result will come from.
pub(crate) enum Completion {
    /// The tokio task running an async handler.
    Async(JoinHandle<TaskResult>),
    /// The oneshot a blocking job sends its outcome on. The sender is
    /// dropped unsent only when the job was dropped by shutdown or skipped
    /// as cancelled.
    Blocking(oneshot::Receiver<TaskOutcome>),
}

impl Completion {
    fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<TaskOutcome> {
        match self {
            Completion::Async(handle) => Pin::new(handle).poll(cx).map(|joined| match joined {
                Ok(result) => outcome_of(result),
                Err(error) if error.is_panic() => {
                    TaskOutcome::Failed(panicked(error.into_panic().as_ref()))
                }
                Err(_) => TaskOutcome::Cancelled,
            }),
            Completion::Blocking(receiver) => Pin::new(receiver)
                .poll(cx)
                .map(|received| received.unwrap_or(TaskOutcome::Cancelled)),
        }
    }
}

/// A started attempt. Kept small on purpose: it lives inside the invoke
/// future of every task in flight (10,000 per map run).
pub(crate) struct Attempt {
    pub(crate) completion: Completion,
    pub(crate) context: TaskContext,
    pub(crate) timeout: Option<Duration>,
    pub(crate) heartbeat_timeout: Option<Duration>,
    pub(crate) cancel_grace: Duration,
    /// True until the attempt ends normally or is abandoned; a drop while
    /// armed (the invoke future was dropped) abandons it.
    pub(crate) armed: bool,
}

/// Why the invoke future stopped waiting for the handler.
enum Stop {
    Cancelled,
    TimedOut,
    HeartbeatTimedOut,
}

impl Attempt {
    /// Waits for the handler's outcome while enforcing the timeouts and the
    /// caller's cancellation (protocol step 5). Timers are allocated only
    /// when the attempt has them.
    pub(crate) async fn supervise(&mut self) -> TaskOutcome {
        let start = Instant::now();
        let sleep = |limit: Duration| Box::pin(tokio::time::sleep_until(start + limit));
        let mut deadline: Option<Pin<Box<Sleep>>> = self.timeout.map(sleep);
        let mut heartbeat_deadline: Option<Pin<Box<Sleep>>> = self.heartbeat_timeout.map(sleep);
        let context = self.context.clone();
        let mut caller_cancelled = pin!(context.caller_cancelled());
        // Boxed, and only with a heartbeat timeout: most tasks have none, and
        // this future lives as long as the task.
        let mut heartbeat = heartbeat_deadline
            .is_some()
            .then(|| Box::pin(context.next_heartbeat()));
        let heartbeat_timeout = self.heartbeat_timeout;
        let completion = &mut self.completion;
        let waited = poll_fn(|cx| {
            // The result first: a handler that finished wins a tie.
            if let Poll::Ready(outcome) = completion.poll_outcome(cx) {
                return Poll::Ready(Ok(outcome));
            }
            if caller_cancelled.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(Stop::Cancelled));
            }
            if let Some(deadline) = &mut deadline {
                if deadline.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(Stop::TimedOut));
                }
            }
            if let (Some(deadline), Some(heartbeat), Some(limit)) =
                (&mut heartbeat_deadline, &mut heartbeat, heartbeat_timeout)
            {
                // A heartbeat restarts the timer; `Notify` keeps at most one
                // permit, so this loop ends.
                while heartbeat.as_mut().poll(cx).is_ready() {
                    deadline.as_mut().reset(Instant::now() + limit);
                    heartbeat.set(context.next_heartbeat());
                }
                if deadline.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(Stop::HeartbeatTimedOut));
                }
            }
            Poll::Pending
        })
        .await;
        match waited {
            Ok(outcome) => {
                self.armed = false;
                outcome
            }
            Err(stop) => {
                self.abandon();
                match stop {
                    Stop::Cancelled => TaskOutcome::Cancelled,
                    Stop::TimedOut => TaskOutcome::TimedOut,
                    Stop::HeartbeatTimedOut => TaskOutcome::HeartbeatTimedOut,
                }
            }
        }
    }

    /// Stops waiting: tells the handler to stop, and aborts an async one
    /// that is still running after the grace period. A queued blocking job
    /// then skips its handler; a running one cannot be stopped.
    fn abandon(&mut self) {
        self.armed = false;
        self.context.cancel_attempt();
        if let Completion::Async(handle) = &self.completion {
            abort_after(handle.abort_handle(), self.cancel_grace);
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if self.armed {
            self.abandon();
        }
    }
}

/// Aborts a handler's tokio task after `grace`: from a small timer task
/// when a runtime is at hand, at once otherwise (a drop outside any
/// runtime has nothing to wait on).
fn abort_after(abort: AbortHandle, grace: Duration) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) if !grace.is_zero() => {
            runtime.spawn(async move {
                tokio::time::sleep(grace).await;
                abort.abort();
            });
        }
        _ => abort.abort(),
    }
}

pub(crate) fn outcome_of(result: TaskResult) -> TaskOutcome {
    match result {
        Ok(value) => TaskOutcome::Succeeded(value),
        Err(error) => TaskOutcome::Failed(error),
    }
}

/// `States.TaskFailed` with the panic's message, when it has one.
pub(crate) fn panicked(payload: &(dyn Any + Send)) -> TaskError {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    TaskError::task_failed(format!("the task handler panicked: {message}"))
}
