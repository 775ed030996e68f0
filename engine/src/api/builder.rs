//! [`EngineBuilder`]: configure, then build (which recovers).

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use parking_lot::Mutex;
use shoal_storage::EventLog;
use tokio::sync::{watch, Notify};

use super::engine::{Engine, Inner};
use super::error::EngineError;
use crate::interpreter::InterpreterOptions;
use crate::runtime::admission::Admission;
use crate::runtime::executions;
use crate::runtime::ids::IdAllocator;
use crate::runtime::shared::Shared;
use crate::runtime::{Clock, SystemClock};
use crate::task::{HandlerRegistry, TaskRunner, TaskRunnerOptions};

/// The largest payload limit an engine accepts: a quarter of the log's
/// record limit, because one transition record can carry a state's input,
/// its output and the effects that pass them on.
pub const PAYLOAD_LIMIT_BYTES_MAX: usize = shoal_storage::RECORD_PAYLOAD_BYTES_MAX / 4;

/// Builds an [`Engine`] on an event log.
pub struct EngineBuilder {
    log: Arc<dyn EventLog>,
    handlers: HandlerRegistry,
    clock: Arc<dyn Clock>,
    options: InterpreterOptions,
    runner_options: TaskRunnerOptions,
    maprun: crate::maprun::MapRunOptions,
    running_executions_max: usize,
}

/// How many executions started by [`Engine::start_execution`] may run at
/// once by default (about 18 KB each while parked in a Task, so ~2 GB).
pub const RUNNING_EXECUTIONS_MAX_DEFAULT: usize = 100_000;

impl EngineBuilder {
    pub(crate) fn new(log: Arc<dyn EventLog>) -> EngineBuilder {
        EngineBuilder {
            log,
            handlers: HandlerRegistry::with_builtins(),
            clock: Arc::new(SystemClock),
            options: InterpreterOptions::default(),
            runner_options: TaskRunnerOptions::default(),
            maprun: crate::maprun::MapRunOptions::default(),
            running_executions_max: RUNNING_EXECUTIONS_MAX_DEFAULT,
        }
    }

    /// At most this many top-level executions run at once (default
    /// [`RUNNING_EXECUTIONS_MAX_DEFAULT`]; at least 1): those started by
    /// [`Engine::start_execution`], redriven by
    /// [`Engine::redrive_execution`], and recovered when the engine opens.
    /// A start or redrive past the bound waits, before anything is
    /// recorded, until one of them ends: back-pressure on a flood of starts
    /// instead of unbounded memory. Recovered executions never wait (every
    /// one resumes at once); when there are more than the bound, starts
    /// and redrives wait until fewer than the bound still run.
    /// Map-run children have their own bound
    /// ([`MapRunOptions::with_global_in_flight`](crate::maprun::MapRunOptions::with_global_in_flight)).
    pub fn max_running_executions(mut self, executions: usize) -> Self {
        self.running_executions_max = executions.max(1);
        self
    }

    /// The task handlers Task states can name (default: the built-ins).
    pub fn handlers(mut self, handlers: HandlerRegistry) -> Self {
        self.handlers = handlers;
        self
    }

    /// The wall clock (default [`SystemClock`]); use
    /// [`TokioClock`](crate::runtime::TokioClock) on paused test time.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The same clock shared with other engines (restart tests).
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Largest state input/output in bytes (default 256 KiB); larger fails
    /// the state with `States.DataLimitExceeded`. At most
    /// [`PAYLOAD_LIMIT_BYTES_MAX`]: [`build`](Self::build) refuses more, since
    /// a payload the log cannot record would stop the engine instead of
    /// failing the state.
    pub fn payload_limit_bytes(mut self, bytes: usize) -> Self {
        self.options.payload_limit_bytes = bytes;
        self
    }

    /// Options of the task runner (blocking threads, cancel grace).
    pub fn task_runner_options(mut self, options: TaskRunnerOptions) -> Self {
        self.runner_options = options;
        self
    }

    /// Options of map runs (DISTRIBUTED Map states): the stores ItemReader
    /// and ResultWriter buckets resolve to, the global in-flight bound.
    pub fn map_run_options(mut self, options: crate::maprun::MapRunOptions) -> Self {
        self.maprun = options;
        self
    }

    /// Starts the engine: reads the log, replays every unfinished execution
    /// and resumes it in the background ([`Engine::recovered`] says how
    /// many). Must be called inside a tokio runtime.
    pub async fn build(self) -> Result<Engine, EngineError> {
        if self.options.payload_limit_bytes > PAYLOAD_LIMIT_BYTES_MAX {
            return Err(EngineError::InvalidArgument {
                what: "payload limit",
                reason: format!(
                    "{} bytes is over the most a transition record can carry, {PAYLOAD_LIMIT_BYTES_MAX} bytes",
                    self.options.payload_limit_bytes
                ),
            });
        }
        let ids = IdAllocator::open(self.log.as_ref())?;
        let runner = TaskRunner::new(self.handlers, self.runner_options)?;
        let (stopping, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            log: self.log,
            runner,
            clock: self.clock,
            options: self.options,
            running: Mutex::new(HashMap::new()),
            machines: Mutex::new(HashMap::new()),
            stopping,
            failure: Mutex::new(None),
            drivers: AtomicUsize::new(0),
            drivers_idle: Notify::new(),
            maprun: crate::maprun::Registry::new(self.maprun),
            counters: Default::default(),
        });
        let admission = Admission::new(self.running_executions_max);
        let recovered = match executions::recover_all(&shared, &admission)
            .and_then(|recovered| crate::maprun::close_orphans(&shared).map(|_| recovered))
        {
            Ok(recovered) => recovered,
            Err(error) => {
                shared.stop(format!("recovery failed: {error}"));
                return Err(error);
            }
        };
        Ok(Engine {
            inner: Arc::new(Inner {
                shared,
                ids: tokio::sync::Mutex::new(ids),
                names: tokio::sync::Mutex::new(()),
                redrives: tokio::sync::Mutex::new(()),
                admission,
                recovered,
            }),
        })
    }
}
