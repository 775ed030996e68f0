//! [`Engine`]: the handle an embedding program holds.

use std::sync::Arc;

use serde_json::Value;
use shoal_storage::EventLog;
use tokio::sync::oneshot;

use super::builder::EngineBuilder;
use super::error::EngineError;
use super::types::{ExecutionDescription, StateMachineInfo};
use crate::asl::dataflow::{drop_iteratively, nesting_exceeds, JSON_NESTING_LEVELS_MAX};
use crate::history::{ExecutionId, HistoryEvent};
use crate::interpreter::Input;
use crate::runtime::admission::{self, Admission, Slot};
use crate::runtime::definitions;
use crate::runtime::executions;
use crate::runtime::ids::IdAllocator;
use crate::runtime::shared::{Command, Shared};
use crate::store::keys;

/// A running engine: `Send + Sync`, cheap to clone (one `Arc`).
///
/// Every method that reports something done reports it only once it is
/// durable in the log.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub shared: Arc<Shared>,
    pub ids: tokio::sync::Mutex<IdAllocator>,
    /// Serialises starts with a caller-chosen name (idempotency check).
    pub names: tokio::sync::Mutex<()>,
    /// Serialises redrives (the second sees the first one's driver).
    pub redrives: tokio::sync::Mutex<()>,
    /// One slot per running top-level execution (`runtime/admission.rs`).
    pub admission: Arc<Admission>,
    pub recovered: usize,
}

impl Engine {
    /// A builder on `log`; see [`EngineBuilder::build`].
    pub fn builder(log: Arc<dyn EventLog>) -> EngineBuilder {
        EngineBuilder::new(log)
    }

    /// How many unfinished executions `build` found and resumed.
    pub fn recovered(&self) -> usize {
        self.inner.recovered
    }

    /// The log the engine writes to.
    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.inner.shared.log
    }

    /// A read-only [`Inspector`](super::Inspector) on the engine's log.
    pub fn inspector(&self) -> super::Inspector {
        super::Inspector::new(Arc::clone(&self.inner.shared.log))
    }

    /// Validates a definition and stores it (content-addressed) under
    /// `name`. Registering again replaces what `name` points at; running
    /// executions keep the version they started with.
    pub async fn register_state_machine(
        &self,
        name: &str,
        definition_json: &str,
    ) -> Result<StateMachineInfo, EngineError> {
        self.check_running()?;
        definitions::register(&self.inner.shared, name, definition_json).await
    }

    /// Starts an execution of `state_machine` and returns once its start is
    /// durable. Idempotent on `name`: the same name with the same state
    /// machine and input returns the existing execution; with anything else
    /// it fails with [`EngineError::ExecutionAlreadyExists`]. Without a
    /// name, the execution is named after its id.
    pub async fn start_execution(
        &self,
        state_machine: &str,
        name: Option<&str>,
        input: Value,
    ) -> Result<ExecutionId, EngineError> {
        self.check_running()?;
        let shared = &self.inner.shared;
        let hash = definitions::hash_of(shared, state_machine)?;
        let (input, input_json) = checked_json(input, shared.options.payload_limit_bytes)?;
        let Some(name) = name else {
            let slot = self.admit().await?;
            let id = self
                .inner
                .ids
                .lock()
                .await
                .allocate(shared.log.as_ref())
                .await?;
            executions::start(
                shared,
                id,
                id.to_string(),
                false,
                state_machine,
                hash,
                input_json,
            )
            .await?;
            self.release_when_done(id, slot);
            return Ok(id);
        };
        check_name(name)?;
        let _named = self.inner.names.lock().await;
        let existing = shared
            .log
            .get_row(keys::NAMES, name.as_bytes())
            .map_err(|e| EngineError::log("looking up an execution name", e))?;
        if let Some(bytes) = existing {
            let id = keys::parse_u64(&bytes).map(ExecutionId).ok_or_else(|| {
                EngineError::InvalidArgument {
                    what: "execution name",
                    reason: format!("{name:?} has a damaged name row"),
                }
            })?;
            let first = super::queries::start_record(shared.log.as_ref(), id)?;
            let same = first.state_machine == state_machine && first.input == input;
            return if same {
                Ok(id)
            } else {
                Err(EngineError::ExecutionAlreadyExists {
                    name: name.to_string(),
                    existing: id.to_string(),
                })
            };
        }
        let slot = self.admit().await?;
        let id = self
            .inner
            .ids
            .lock()
            .await
            .allocate(shared.log.as_ref())
            .await?;
        executions::start(
            shared,
            id,
            name.to_string(),
            true,
            state_machine,
            hash,
            input_json,
        )
        .await?;
        self.release_when_done(id, slot);
        Ok(id)
    }

    /// Waits for a running-execution slot (the builder's
    /// `max_running_executions`).
    async fn admit(&self) -> Result<Slot, EngineError> {
        let slot = self
            .inner
            .admission
            .acquire()
            .await
            .ok_or_else(|| EngineError::Stopped {
                reason: "the admission semaphore is closed".into(),
            })?;
        self.check_running()?;
        Ok(slot)
    }

    /// Holds `slot` until the driver of execution `id` exits (its
    /// completion is durable, or the engine stops).
    fn release_when_done(&self, id: ExecutionId, slot: Slot) {
        admission::hold_until_exit(&self.inner.shared, id, slot);
    }

    /// The execution's status, input and (once ended) output or error.
    pub fn describe_execution(&self, id: ExecutionId) -> Result<ExecutionDescription, EngineError> {
        let shared = &self.inner.shared;
        super::queries::describe(shared.log.as_ref(), id, shared.clock.now_ms())
    }

    /// Executions by status then id, filtered and paged by `options`.
    pub fn list_executions(
        &self,
        options: &super::types::ListExecutionsOptions,
    ) -> Result<super::types::ExecutionPage, EngineError> {
        super::queries::list(self.inner.shared.log.as_ref(), options)
    }

    /// Up to `limit` history events with ids above `after_event_id` (0 for
    /// the start), in order.
    pub fn get_execution_history(
        &self,
        id: ExecutionId,
        after_event_id: u64,
        limit: usize,
    ) -> Result<Vec<HistoryEvent>, EngineError> {
        super::queries::history(self.inner.shared.log.as_ref(), id, after_event_id, limit)
    }

    /// Stops a running execution (`ExecutionAborted` with `error` and
    /// `cause`); returns once that is durable.
    pub async fn stop_execution(
        &self,
        id: ExecutionId,
        error: &str,
        cause: &str,
    ) -> Result<(), EngineError> {
        let input = Input::Stop {
            error: error.to_string(),
            cause: cause.to_string(),
        };
        self.send(id, input).await
    }

    /// Step Functions' RedriveExecution: restarts an execution that failed,
    /// was stopped or timed out, from the top-level state it did not
    /// finish, with the input that state had (states that succeeded are
    /// not run again). A DISTRIBUTED Map whose map run failed or was
    /// aborted redrives that same map run: only its unsuccessful children
    /// run again. Returns the redrive time (ms since the epoch) once the
    /// redrive is durable. [`EngineError::ExecutionNotRedrivable`] (with a
    /// [`NotRedrivableReason`](super::NotRedrivableReason)) for a running or
    /// succeeded execution, a map run's child, one that stopped more than
    /// 14 days ago or started more than a year ago (by the engine's clock).
    /// The redriven execution takes a running-execution slot: past
    /// `max_running_executions` this waits, before anything is recorded.
    pub async fn redrive_execution(&self, id: ExecutionId) -> Result<i64, EngineError> {
        self.check_running()?;
        let _one_at_a_time = self.inner.redrives.lock().await;
        crate::runtime::redrive::redrive(&self.inner.shared, &self.inner.admission, id).await
    }

    /// Waits until the execution ended durably and describes it.
    pub async fn wait_for_completion(
        &self,
        id: ExecutionId,
    ) -> Result<ExecutionDescription, EngineError> {
        let running = self
            .inner
            .shared
            .running
            .lock()
            .get_mut(&id)
            .map(|running| (running.sender.clone(), running.waiter()));
        if let Some((sender, ended)) = running {
            // Closed once the driver exited: ended durably, or stopped.
            sender.closed().await;
            if let Some(described) = ended.get() {
                return Ok(described.clone());
            }
            let described = self.describe_execution(id)?;
            if described.status == crate::api::ExecutionStatus::Running {
                return Err(self.stopped_error());
            }
            return Ok(described);
        }
        self.describe_execution(id)
    }

    /// Completes the `.waitForTaskToken` task waiting for `token` with
    /// `output`; returns once that is durable.
    pub async fn send_task_success(&self, token: &str, output: Value) -> Result<(), EngineError> {
        let (_, output_json) = checked_json(output, usize::MAX).map_err(|e| match e {
            EngineError::InvalidArgument { reason, .. } => EngineError::InvalidArgument {
                what: "task output",
                reason,
            },
            other => other,
        })?;
        let input = Input::TokenSucceeded {
            token: token.to_string(),
            output_json,
        };
        self.send_token(token, input).await
    }

    /// Fails the `.waitForTaskToken` task waiting for `token`.
    pub async fn send_task_failure(
        &self,
        token: &str,
        error: &str,
        cause: &str,
    ) -> Result<(), EngineError> {
        let input = Input::TokenFailed {
            token: token.to_string(),
            error: error.to_string(),
            cause: cause.to_string(),
        };
        self.send_token(token, input).await
    }

    /// Resets the heartbeat timer of the task waiting for `token`.
    pub async fn send_task_heartbeat(&self, token: &str) -> Result<(), EngineError> {
        let input = Input::TokenHeartbeat {
            token: token.to_string(),
        };
        self.send_token(token, input).await
    }

    /// Stops the engine: no new transitions start, commits in flight
    /// finish, timers and task attempts are cancelled (a later engine on
    /// the same log resumes them), then the task runner stops.
    pub async fn shutdown(&self) {
        let shared = &self.inner.shared;
        shared.stop("the engine was shut down".into());
        shared.drivers_done().await;
        let runner = shared.runner.clone();
        // Joining pool threads blocks; keep it off the async workers.
        let _ = tokio::task::spawn_blocking(move || runner.shutdown()).await;
    }

    async fn send_token(&self, token: &str, input: Input) -> Result<(), EngineError> {
        let not_found = || EngineError::TaskDoesNotExist {
            token: token.to_string(),
        };
        let id: ExecutionId = token
            .split('.')
            .next()
            .and_then(|prefix| prefix.parse().ok())
            .ok_or_else(not_found)?;
        match self.send(id, input).await {
            Err(
                EngineError::ExecutionNotRunning { .. } | EngineError::ExecutionNotFound { .. },
            ) => Err(not_found()),
            other => other,
        }
    }

    /// Sends an input to a running execution and waits until it is durable.
    async fn send(&self, id: ExecutionId, input: Input) -> Result<(), EngineError> {
        self.check_running()?;
        let running = self.inner.shared.running.lock().get(&id).cloned();
        let Some(running) = running else {
            // Ended, or never existed.
            self.describe_execution(id)?;
            return Err(EngineError::ExecutionNotRunning {
                execution: id.to_string(),
            });
        };
        let (ack, answer) = oneshot::channel();
        let command = Command::with_ack(input, ack);
        let not_running = || EngineError::ExecutionNotRunning {
            execution: id.to_string(),
        };
        running
            .sender
            .send(command)
            .await
            .map_err(|_| not_running())?;
        match answer.await {
            Ok(result) => result,
            // The driver exited (ended or engine stopped) before answering.
            Err(_) => Err(self
                .inner
                .shared
                .stopped_error()
                .unwrap_or_else(not_running)),
        }
    }

    fn check_running(&self) -> Result<(), EngineError> {
        match self.inner.shared.stopped_error() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn stopped_error(&self) -> EngineError {
        self.inner
            .shared
            .stopped_error()
            .unwrap_or_else(|| EngineError::Stopped {
                reason: "the execution's driver exited".into(),
            })
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("recovered", &self.inner.recovered)
            .field("running", &self.inner.shared.running.lock().len())
            .finish_non_exhaustive()
    }
}

/// Execution names: 1 to 80 characters, and not of the form reserved for
/// unnamed executions (`exec-<16 hex digits>`).
fn check_name(name: &str) -> Result<(), EngineError> {
    let reason = if name.is_empty() || name.chars().count() > 80 {
        "must be 1 to 80 characters"
    } else if name.parse::<ExecutionId>().is_ok() {
        "is reserved for unnamed executions (exec-<16 hex digits>)"
    } else {
        return Ok(());
    };
    Err(EngineError::InvalidArgument {
        what: "execution name",
        reason: format!("{name:?} {reason}"),
    })
}

/// `value` and its JSON text, refused before anything is recorded (as Step
/// Functions' StartExecution refuses it) when the text is over `limit_bytes`
/// or the value nests too deep to be parsed back on replay.
fn checked_json(value: Value, limit_bytes: usize) -> Result<(Value, String), EngineError> {
    if nesting_exceeds(&value, JSON_NESTING_LEVELS_MAX) {
        drop_iteratively(value);
        return Err(EngineError::InvalidArgument {
            what: "execution input",
            reason: format!("nested more than {JSON_NESTING_LEVELS_MAX} levels deep"),
        });
    }
    let text = value.to_string();
    if text.len() > limit_bytes {
        return Err(EngineError::InvalidArgument {
            what: "execution input",
            reason: format!(
                "{} bytes is over the payload limit of {limit_bytes} bytes",
                text.len()
            ),
        });
    }
    Ok((value, text))
}
