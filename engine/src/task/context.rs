//! What a task handler knows about the task it runs, and how it talks back.

use std::sync::Arc;

use tokio::sync::Notify;

use super::cancel::{CancelSignal, CancellationToken};
use super::invocation::TaskInvocation;

/// The handler's view of one task attempt.
///
/// Cheap to clone (one `Arc`); `Send + Sync`, so a handler may move it into
/// spawned work. All methods may be called from any thread, including a
/// blocking-pool thread outside the tokio runtime.
#[derive(Clone, Debug)]
pub struct TaskContext {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    execution_id: String,
    execution_name: String,
    state_name: String,
    attempt: u32,
    idempotency_key: String,
    task_token: Option<String>,
    /// Signalled by `heartbeat`; the runner's timer loop consumes it. A
    /// `Notify` keeps one permit, so a heartbeat sent while the runner is
    /// not waiting is not lost.
    heartbeat: Notify,
    /// This attempt's own signal: timeouts and a dropped invoke future.
    attempt_cancel: CancelSignal,
    /// The caller's signal (for example `stop_execution`).
    caller_cancel: CancellationToken,
}

impl TaskContext {
    /// Builds the context the runner hands to the handler for `invocation`,
    /// cancelled when `cancel` is. The runner does this itself; it is public
    /// so a handler can be unit-tested without a runner.
    pub fn from_invocation(invocation: &TaskInvocation, cancel: CancellationToken) -> TaskContext {
        TaskContext::new(
            invocation.execution_id.clone(),
            invocation.execution_name.clone(),
            invocation.state_name.clone(),
            invocation.attempt,
            invocation.idempotency_key.clone(),
            invocation.task_token.clone(),
            cancel,
        )
    }

    /// Like [`from_invocation`](Self::from_invocation), but moves the ids out
    /// of `invocation` (leaving them empty) instead of copying them: the
    /// runner's path, one allocation per attempt fewer per string.
    pub(crate) fn take_from(
        invocation: &mut TaskInvocation,
        cancel: CancellationToken,
    ) -> TaskContext {
        TaskContext::new(
            std::mem::take(&mut invocation.execution_id),
            std::mem::take(&mut invocation.execution_name),
            std::mem::take(&mut invocation.state_name),
            invocation.attempt,
            std::mem::take(&mut invocation.idempotency_key),
            invocation.task_token.take(),
            cancel,
        )
    }

    fn new(
        execution_id: String,
        execution_name: String,
        state_name: String,
        attempt: u32,
        idempotency_key: String,
        task_token: Option<String>,
        caller_cancel: CancellationToken,
    ) -> TaskContext {
        TaskContext {
            inner: Arc::new(Inner {
                execution_id,
                execution_name,
                state_name,
                attempt,
                idempotency_key,
                task_token,
                heartbeat: Notify::new(),
                attempt_cancel: CancelSignal::default(),
                caller_cancel,
            }),
        }
    }

    /// The id of the execution this task belongs to.
    pub fn execution_id(&self) -> &str {
        &self.inner.execution_id
    }

    /// The name of the execution (unique among its state machine's executions).
    pub fn execution_name(&self) -> &str {
        &self.inner.execution_name
    }

    /// The name of the Task state being run.
    pub fn state_name(&self) -> &str {
        &self.inner.state_name
    }

    /// 0 for the first try, 1 for the first `Retry`, and so on. A re-run of
    /// the same attempt after a crash has the same number.
    pub fn attempt(&self) -> u32 {
        self.inner.attempt
    }

    /// A key supplied by the runtime that is the same when this attempt is
    /// run again after a crash, so a handler can make its side effect
    /// idempotent (handlers run at least once).
    pub fn idempotency_key(&self) -> &str {
        &self.inner.idempotency_key
    }

    /// The task token of a `.waitForTaskToken` task, which the handler hands
    /// to whoever later calls `send_task_success` / `send_task_failure`.
    /// `None` for an ordinary task.
    pub fn task_token(&self) -> Option<&str> {
        self.inner.task_token.as_deref()
    }

    /// Tells the runner the task is alive: restarts the `HeartbeatSeconds`
    /// timer. Has no effect when the task has no heartbeat timeout.
    pub fn heartbeat(&self) {
        self.inner.heartbeat.notify_one();
    }

    /// True once the task should stop: the caller cancelled it, it timed
    /// out, or the runner stopped waiting for it. A blocking handler should
    /// check this between units of work; its result is discarded anyway.
    pub fn is_cancelled(&self) -> bool {
        self.inner.attempt_cancel.is_cancelled() || self.inner.caller_cancel.is_cancelled()
    }

    /// Completes when [`is_cancelled`](Self::is_cancelled) becomes true. An
    /// async handler selects on it to stop early and clean up.
    pub async fn cancelled(&self) {
        tokio::select! {
            () = self.inner.attempt_cancel.cancelled() => {}
            () = self.inner.caller_cancel.cancelled() => {}
        }
    }

    /// Waits for the next heartbeat (runner side of [`heartbeat`](Self::heartbeat)).
    pub(crate) async fn next_heartbeat(&self) {
        self.inner.heartbeat.notified().await;
    }

    /// Cancels this attempt only (not the caller's token).
    pub(crate) fn cancel_attempt(&self) {
        self.inner.attempt_cancel.cancel();
    }

    /// Completes when the caller's token is cancelled.
    pub(crate) async fn caller_cancelled(&self) {
        self.inner.caller_cancel.cancelled().await;
    }
}
