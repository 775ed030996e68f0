//! Task execution: the handlers a Task state's `Resource` names, and the
//! runner that invokes them with timeouts, heartbeats and cancellation.
//!
//! The runtime builds one [`TaskRunner`] from a [`HandlerRegistry`] and calls
//! [`TaskRunner::invoke`] once per task attempt, after the attempt's
//! scheduling is durable; it records the [`TaskOutcome`] it gets back.
//! Async handlers run as tokio tasks (tokio's scheduler is work-stealing);
//! blocking handlers run on a fixed pool of threads that steal work from
//! each other ([crossbeam-deque]), never one OS thread per call.
//!
//! ```
//! use shoal_engine::task::{CancellationToken, HandlerRegistry, TaskInvocation, TaskOutcome,
//!     TaskRunner, TaskRunnerOptions};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut registry = HandlerRegistry::with_builtins();
//! registry.register_blocking("demo:double", |input, _context| {
//!     Ok(serde_json::json!(input.as_i64().unwrap_or(0) * 2))
//! });
//! let runner = TaskRunner::new(registry, TaskRunnerOptions::default().with_blocking_threads(2))?;
//! let invocation = TaskInvocation::new("demo:double", serde_json::json!(21));
//! let outcome = runner.invoke(invocation, CancellationToken::new()).await;
//! assert_eq!(outcome, TaskOutcome::Succeeded(serde_json::json!(42)));
//! runner.shutdown();
//! # Ok(())
//! # }
//! ```
//!
//! # Protocol
//!
//! 1. **Invoke.** [`TaskRunner::invoke`] looks up the handler (an unknown
//!    resource resolves at once to `Failed` with `shoal.ResourceNotFound`)
//!    and builds the [`TaskContext`]: the attempt's ids plus two
//!    cancellation signals, the caller's token and the attempt's own. The
//!    handler starts on the returned future's first poll (unless the runner
//!    is shut down or the caller's token is already cancelled: `Cancelled`).
//! 2. **Spawn.** An async handler becomes a tokio task. A blocking handler
//!    becomes a job (handler call, panic catch, oneshot send) pushed to the
//!    global `Injector`, or, when submitted from a pool thread, to that
//!    thread's own deque. The submitter then wakes one idle worker, if any.
//! 3. **Find and steal.** A worker takes the oldest job of its own FIFO
//!    deque; if empty, it moves a batch (about half, capped by crossbeam)
//!    from the injector into its deque and runs the first; if that is empty
//!    too, it steals a batch from each sibling in turn, starting after
//!    itself, so a worker blocked in a long handler has its queued jobs
//!    drained by the others. A contended queue (`Steal::Retry`) is looked at
//!    again rather than treated as empty.
//! 4. **Park and unpark.** A worker that found nothing registers itself in
//!    the idle list (under its lock), looks at every queue once more, and
//!    only then parks. A submitter pushes first and takes the idle lock
//!    second, so one of the two sees the other: no wakeup is lost, and no
//!    worker spins. A worker picked to be woken that found a job on its own
//!    passes the wakeup on to another idle worker.
//! 5. **Supervise and cancel.** The invoke future waits for the result (the
//!    tokio task's join handle, or the job's oneshot) while watching the
//!    caller's token, the `timeout` deadline and the heartbeat deadline
//!    (reset by every [`TaskContext::heartbeat`]), all on tokio time. When
//!    one fires first it cancels the attempt's own token and resolves at
//!    once to `Cancelled`, `TimedOut` or `HeartbeatTimedOut`. The async
//!    handler sees [`TaskContext::cancelled`] and a small timer task aborts
//!    it after the runner's `cancel_grace`; a queued blocking job sees the token when a
//!    worker takes it and does not run; a running blocking handler cannot
//!    be interrupted: it keeps its thread until it returns and its result
//!    is discarded. Dropping the invoke future cancels the attempt too.
//! 6. **Panics.** A blocking handler's panic is caught on its worker by
//!    `catch_unwind`; an async handler's panic ends its tokio task and comes
//!    back as a `JoinError`. Both resolve to `Failed` with
//!    `States.TaskFailed` and the panic message; the thread and the runner
//!    carry on.
//! 7. **Shutdown.** [`TaskRunner::shutdown`] sets the pool's flag, drops
//!    the jobs in the injector, and unparks every worker. A worker checks
//!    the flag before each job and before parking, drops the jobs left in
//!    its deque and exits; one running a handler finishes it first.
//!    `shutdown` then joins the threads. Dropped jobs and every later
//!    invoke resolve to `Cancelled`. A job submitted while the flag is
//!    being set is drained by whichever of the two sides comes second.
//!
//! # Paused time
//!
//! Timers are tokio timers, so tests can run on paused time. tokio advances
//! a paused clock whenever the runtime has nothing to do, and a blocking
//! handler busy on a pool thread does not count as something to do: on
//! paused time a blocking handler's timeouts fire at once. Test those on
//! real time.
//!
//! # Bounds
//!
//! The injector and the worker deques are unbounded types, bounded by who
//! feeds them: every job is a task attempt the runtime admitted, and the
//! runtime's admission semaphore (its global in-flight bound, and each map
//! run's `MaxConcurrency` under it) caps attempts in flight, so the queues
//! together never hold more jobs than that cap. Each attempt costs one
//! context allocation, a oneshot channel and a boxed job (or a tokio task),
//! plus the invoke future itself (under 640 bytes, checked by a test).
//! The idle list holds at most one entry per pool thread.
//!
//! [crossbeam-deque]: https://docs.rs/crossbeam-deque

mod attempt;
pub mod builtin;
mod cancel;
mod context;
mod error;
mod invocation;
mod options;
mod pool;
mod registry;
mod runner;

pub use cancel::CancellationToken;
pub use context::TaskContext;
pub use error::{TaskError, TaskResult, TaskRunnerError};
pub use invocation::{TaskInvocation, TaskOutcome};
pub use options::{TaskRunnerOptions, DEFAULT_CANCEL_GRACE};
pub use pool::PoolStats;
pub use registry::{HandlerRegistry, WAIT_FOR_TASK_TOKEN_SUFFIX};
pub use runner::TaskRunner;
