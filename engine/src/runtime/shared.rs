//! [`Shared`]: the state every execution driver and the API handle share
//! (one `Arc`), and the messages drivers take.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use shoal_storage::{EventLog, LogError};
use tokio::sync::{oneshot, watch, Notify};

use super::clock::Clock;
use super::inbox::Mailbox;
use crate::api::{EngineError, ExecutionDescription};
use crate::asl::StateMachine;
use crate::history::ExecutionId;
use crate::interpreter::{Input, InterpreterOptions};
use crate::task::TaskRunner;

/// Inputs queued per execution before senders wait (task outcomes,
/// timers, API calls).
pub(crate) const EXECUTION_QUEUE_INPUTS: usize = 256;

/// One message to an execution's driver.
///
/// The input is boxed so a queued command (in an execution's inbox,
/// `runtime::inbox`) stays at three words whatever the input.
pub(crate) struct Command {
    pub input: Box<Input>,
    /// Answered once the transition is durable, or with why it was refused.
    pub ack: Option<oneshot::Sender<Result<(), EngineError>>>,
}

impl Command {
    /// A message nobody waits on.
    pub(crate) fn new(input: Input) -> Command {
        Command {
            input: Box::new(input),
            ack: None,
        }
    }

    /// A message whose sender waits for `ack`.
    pub(crate) fn with_ack(input: Input, ack: oneshot::Sender<Result<(), EngineError>>) -> Command {
        Command {
            input: Box::new(input),
            ack: Some(ack),
        }
    }
}

/// How to reach a running execution. Its driver owns the receiving end,
/// so `sender.closed()` resolves once the driver has exited: after its
/// completion is durable, or when the engine stops.
#[derive(Clone)]
pub(crate) struct RunningExecution {
    pub sender: Mailbox,
    /// Filled by the driver, once the end is durable and before it exits,
    /// when someone holds a clone of this (a `wait_for_completion`), so
    /// that waiter answers without reading the log back. Made by the
    /// first waiter ([`RunningExecution::waiter`]): most executions (every
    /// map-run child) have none, and 10,000 children in flight should not
    /// each hold an empty description.
    pub ended: Option<Arc<OnceLock<ExecutionDescription>>>,
}

impl RunningExecution {
    /// The entry of a driver that sends on `sender`.
    pub(crate) fn new(sender: Mailbox) -> RunningExecution {
        RunningExecution {
            sender,
            ended: None,
        }
    }

    /// A waiter's handle on the end the driver will publish.
    pub(crate) fn waiter(&mut self) -> Arc<OnceLock<ExecutionDescription>> {
        Arc::clone(self.ended.get_or_insert_with(Default::default))
    }
}

/// Why the engine stopped.
pub(crate) enum StopCause {
    /// Shutdown, or a failure that is not the log's.
    Reason(String),
    /// The event log failed (poisoned, or closed): callers get
    /// [`EngineError::Storage`] with the log's error.
    Log {
        operation: &'static str,
        error: LogError,
    },
}

/// Everything the drivers share.
pub(crate) struct Shared {
    pub log: Arc<dyn EventLog>,
    pub runner: TaskRunner,
    pub clock: Arc<dyn Clock>,
    pub options: InterpreterOptions,
    pub running: Mutex<HashMap<ExecutionId, RunningExecution>>,
    /// Parsed definitions by content hash.
    pub machines: Mutex<HashMap<String, Arc<StateMachine>>>,
    /// Set to true by shutdown; drivers stop after their current commit.
    pub stopping: watch::Sender<bool>,
    /// Why the engine stopped, once it has (shutdown or a log failure).
    pub failure: Mutex<Option<StopCause>>,
    /// Drivers alive; `drivers_idle` is notified when it drops to zero.
    pub drivers: AtomicUsize,
    pub drivers_idle: Notify,
    /// Map runs of DISTRIBUTED Map states (`crate::maprun`).
    pub maprun: crate::maprun::Registry,
    /// What `Engine::metrics` reports about executions, tasks and timers.
    pub counters: super::counters::RuntimeCounters,
}

impl Shared {
    /// The error to give callers once the engine stopped, if it has.
    pub(crate) fn stopped_error(&self) -> Option<EngineError> {
        self.failure.lock().as_ref().map(|cause| match cause {
            StopCause::Reason(reason) => EngineError::Stopped {
                reason: reason.clone(),
            },
            StopCause::Log { operation, error } => EngineError::log(operation, error.clone()),
        })
    }

    /// Records why the engine stops (first reason wins) and tells every
    /// driver to stop.
    pub(crate) fn stop(&self, reason: String) {
        self.stop_for(StopCause::Reason(reason));
    }

    /// The error for a failed commit during `operation`. A log that can no
    /// longer acknowledge anything (poisoned or closed) also stops the
    /// engine: nothing is dispatched and every waiter gets this error.
    pub(crate) fn commit_failed(&self, operation: &'static str, error: LogError) -> EngineError {
        if matches!(error, LogError::Poisoned { .. } | LogError::Closed) {
            tracing::error!("{operation} failed, the engine stops: {error}");
            self.stop_for(StopCause::Log {
                operation,
                error: error.clone(),
            });
        }
        EngineError::log(operation, error)
    }

    /// Stops the engine because `error` ended a background task (a map
    /// run's coordinator): a log failure keeps its type for the waiters.
    pub(crate) fn stop_on(&self, context: String, error: &EngineError) {
        if let EngineError::Storage { operation, source } = error {
            let _ = self.commit_failed(operation, source.clone());
        }
        // The first cause wins: a log failure recorded above stays.
        self.stop(format!("{context}: {error}"));
    }

    fn stop_for(&self, cause: StopCause) {
        {
            let mut failure = self.failure.lock();
            if failure.is_none() {
                *failure = Some(cause);
            }
        }
        self.stopping.send_replace(true);
        // Drivers read the flag when woken; wake every one that waits.
        for running in self.running.lock().values() {
            running.sender.wake();
        }
    }

    pub(crate) fn driver_started(&self) {
        self.drivers.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn driver_ended(&self) {
        if self.drivers.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.drivers_idle.notify_waiters();
        }
    }

    /// Waits until no driver runs.
    pub(crate) async fn drivers_done(&self) {
        loop {
            let idle = self.drivers_idle.notified();
            if self.drivers.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}
