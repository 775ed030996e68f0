//! Settings of a [`TaskRunner`](super::TaskRunner).

use std::num::NonZeroUsize;
use std::time::Duration;

/// How long an async handler may keep running after its task was cancelled
/// or timed out before its tokio task is aborted, unless set otherwise.
pub const DEFAULT_CANCEL_GRACE: Duration = Duration::from_secs(10);

/// Settings of a [`TaskRunner`](super::TaskRunner); build with
/// [`TaskRunnerOptions::default`] and the `with_*` setters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRunnerOptions {
    blocking_threads: usize,
    cancel_grace: Duration,
    thread_name_prefix: String,
}

impl Default for TaskRunnerOptions {
    /// `blocking_threads` = the machine's available parallelism (1 if it
    /// cannot be read), `cancel_grace` = [`DEFAULT_CANCEL_GRACE`], threads
    /// named `shoal-task-<n>`.
    fn default() -> TaskRunnerOptions {
        TaskRunnerOptions {
            blocking_threads: std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            cancel_grace: DEFAULT_CANCEL_GRACE,
            thread_name_prefix: "shoal-task".to_owned(),
        }
    }
}

impl TaskRunnerOptions {
    /// Number of OS threads in the blocking pool, fixed for the runner's
    /// life. 0 is taken as 1: a runner always has at least one thread.
    pub fn with_blocking_threads(mut self, blocking_threads: usize) -> Self {
        self.blocking_threads = blocking_threads.max(1);
        self
    }

    /// How long a cancelled or timed-out async handler may keep running (to
    /// clean up after seeing [`TaskContext::cancelled`](super::TaskContext::cancelled))
    /// before its tokio task is aborted. Zero aborts it at once. Blocking
    /// handlers cannot be aborted; this does not apply to them.
    pub fn with_cancel_grace(mut self, cancel_grace: Duration) -> Self {
        self.cancel_grace = cancel_grace;
        self
    }

    /// Prefix of the pool threads' names (`<prefix>-<index>`), as seen in
    /// debuggers and `top -H`.
    pub fn with_thread_name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.thread_name_prefix = prefix.into();
        self
    }

    /// The number of blocking-pool threads.
    pub fn blocking_threads(&self) -> usize {
        self.blocking_threads
    }

    /// The grace period of a cancelled async handler.
    pub fn cancel_grace(&self) -> Duration {
        self.cancel_grace
    }

    /// The pool threads' name prefix.
    pub fn thread_name_prefix(&self) -> &str {
        &self.thread_name_prefix
    }
}
