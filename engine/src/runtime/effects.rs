//! Performing effects: task attempts on the [`TaskRunner`](crate::task::TaskRunner)
//! and durable timers on tokio time. Both report back as inputs.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::FutureExt;
use tokio::task::AbortHandle;
use tracing::Instrument;

use super::counters::{GaugeGuard, RuntimeCounters};
use super::inbox::Mailbox;
use super::shared::{Command, Shared};
use crate::asl::dataflow::{drop_iteratively, nesting_exceeds, JSON_NESTING_LEVELS_MAX};
use crate::asl::error::DATA_LIMIT_EXCEEDED;
use crate::interpreter::{ExecutionState, Input, ScopePath, TaskSpec, TimerId};
use crate::task::{CancellationToken, TaskInvocation, TaskOutcome};

/// One task attempt in flight, polled by its execution's driver; resolves
/// to the input that reports its outcome (`None`: nothing to record).
///
/// A plain struct rather than an `async` block: a block that awaits the
/// runner's future stores it twice (as captured and as awaited), which
/// made each attempt ~1.1 KB; here the runner's future is boxed once.
pub(crate) struct TaskAttempt {
    /// Which attempt a `CancelTask` effect names.
    pub idempotency_key: String,
    /// Cancelling it makes the attempt resolve as cancelled.
    pub cancel: CancellationToken,
    outcome: Pin<Box<dyn Future<Output = TaskOutcome> + Send>>,
    /// Taken when the outcome arrives.
    target: Option<OutcomeTarget>,
    /// Counts the attempt as running until it resolves or is dropped.
    running: Option<GaugeGuard>,
}

impl Future for TaskAttempt {
    type Output = Option<Input>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Input>> {
        let outcome = std::task::ready!(self.outcome.as_mut().poll(cx));
        self.running = None;
        Poll::Ready(self.target.take().and_then(|target| target.input(outcome)))
    }
}

/// Prepares one task attempt; the handler starts when the driver first
/// polls it.
///
/// The attempt lives as long as the handler runs (10,000 per map run in
/// flight), so it keeps only what the outcome input needs
/// ([`OutcomeTarget`]); the input moves into the invocation.
pub(crate) fn task_attempt(
    shared: &Arc<Shared>,
    state: &ExecutionState,
    spec: TaskSpec,
) -> TaskAttempt {
    let TaskSpec {
        scope,
        state: state_name,
        attempt,
        resource,
        input,
        idempotency_key,
        task_token,
        timeout,
        heartbeat_timeout,
    } = spec;
    let span = tracing::debug_span!(
        "task_attempt",
        state = state_name.as_str(),
        attempt = attempt,
        resource = resource.as_str(),
    );
    let mut invocation = TaskInvocation::new(resource, input)
        .with_execution(state.id().to_string(), state.name())
        .with_state_name(state_name.clone())
        .with_attempt(attempt)
        .with_idempotency_key(idempotency_key.clone());
    match &task_token {
        // A token task's limits are durable timers of the execution; the
        // handler call itself is not bounded by them.
        Some(token) => invocation = invocation.with_task_token(token.clone()),
        None => {
            if let Some(timeout) = timeout {
                invocation = invocation.with_timeout(timeout);
            }
            if let Some(heartbeat) = heartbeat_timeout {
                invocation = invocation.with_heartbeat_timeout(heartbeat);
            }
        }
    }
    let target = OutcomeTarget {
        scope,
        state: state_name,
        attempt,
        task_token,
    };
    let cancel = CancellationToken::new();
    // The outcome's DEBUG event is emitted inside the attempt's span (when
    // someone listens; otherwise no span is stored).
    let outcome = shared
        .runner
        .invoke(invocation, cancel.clone())
        .inspect(trace_outcome);
    let outcome: Pin<Box<dyn Future<Output = TaskOutcome> + Send>> = if span.is_disabled() {
        Box::pin(outcome)
    } else {
        Box::pin(outcome.instrument(span))
    };
    RuntimeCounters::bump(&shared.counters.attempts_started);
    TaskAttempt {
        idempotency_key,
        cancel,
        outcome,
        target: Some(target),
        running: Some(GaugeGuard::hold(shared, |c| &c.attempts_running)),
    }
}

/// A DEBUG event for an attempt's outcome: its kind and, when it failed,
/// the error name (never the cause or the output: they may hold user data).
fn trace_outcome(outcome: &TaskOutcome) {
    match outcome {
        TaskOutcome::Succeeded(_) => tracing::debug!("task attempt succeeded"),
        TaskOutcome::Cancelled => tracing::debug!("task attempt cancelled"),
        TaskOutcome::TimedOut | TaskOutcome::HeartbeatTimedOut => {
            tracing::debug!(?outcome, "task attempt timed out")
        }
        TaskOutcome::Failed(error) => {
            tracing::debug!(error = error.error.as_str(), "task attempt failed")
        }
    }
}

/// Which attempt an outcome reports on.
struct OutcomeTarget {
    scope: ScopePath,
    state: String,
    attempt: u32,
    task_token: Option<String>,
}

impl OutcomeTarget {
    /// The input that reports `outcome`; `None` when there is nothing to
    /// record (a cancelled attempt, or a token task's handler returning:
    /// the token's callback completes that task).
    fn input(self, outcome: TaskOutcome) -> Option<Input> {
        if let Some(token) = self.task_token {
            return match outcome {
                TaskOutcome::Failed(error) => Some(Input::TokenFailed {
                    token,
                    error: error.error,
                    cause: error.cause,
                }),
                _ => None,
            };
        }
        let timed_out = matches!(
            outcome,
            TaskOutcome::TimedOut | TaskOutcome::HeartbeatTimedOut
        );
        match outcome {
            // A result too deep to parse back is refused before it is
            // serialized (which would recurse once per level).
            TaskOutcome::Succeeded(output) if nesting_exceeds(&output, JSON_NESTING_LEVELS_MAX) => {
                drop_iteratively(output);
                Some(Input::TaskFailed {
                    scope: self.scope,
                    state: self.state,
                    attempt: self.attempt,
                    error: DATA_LIMIT_EXCEEDED.to_string(),
                    cause: format!(
                        "The state result is nested more than {JSON_NESTING_LEVELS_MAX} levels deep"
                    ),
                    timed_out: false,
                })
            }
            TaskOutcome::Succeeded(output) => Some(Input::TaskSucceeded {
                scope: self.scope,
                state: self.state,
                attempt: self.attempt,
                output_json: output.to_string(),
            }),
            TaskOutcome::Cancelled => None,
            other => {
                let error = other.error()?;
                Some(Input::TaskFailed {
                    scope: self.scope,
                    state: self.state,
                    attempt: self.attempt,
                    error: error.error,
                    cause: error.cause,
                    timed_out,
                })
            }
        }
    }
}

/// Sleeps (on tokio time) until the clock reads `fire_at_ms`, then sends
/// `TimerFired`. A timer already due fires at once.
pub(crate) fn spawn_timer(
    shared: &Arc<Shared>,
    id: TimerId,
    fire_at_ms: i64,
    mailbox: Mailbox,
) -> AbortHandle {
    let clock = Arc::clone(&shared.clock);
    let pending = GaugeGuard::hold(shared, |c| &c.timers_pending);
    let handle = tokio::spawn(async move {
        // Counted down when the timer fires or its task is aborted.
        let _pending = pending;
        // Re-check after sleeping: a clock that jumps less than tokio time
        // (or a coarse timer wheel) must not fire early.
        loop {
            let remaining_ms = fire_at_ms.saturating_sub(clock.now_ms());
            if remaining_ms <= 0 {
                break;
            }
            tokio::time::sleep(clock.sleep_for(remaining_ms as u64)).await;
        }
        let input = Input::TimerFired { timer: id };
        let _ = mailbox.send(Command::new(input)).await;
    });
    handle.abort_handle()
}
