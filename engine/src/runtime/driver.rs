//! The driver of one execution: takes inputs, steps the interpreter,
//! commits each transition's record, and only then performs its effects.

use std::collections::{HashMap, VecDeque};
use std::future::poll_fn;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::task::{Context, Poll};

use shoal_storage::{Seq, StreamId, WriteBatch};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use super::attempts::Attempts;
use super::effects;
use super::inbox::{InboxReceiver, Mailbox};
use super::shared::{Command, RunningExecution, Shared};
use super::trace;
use crate::api::{EngineError, ExecutionStatus};
use crate::interpreter::{
    step_in_place, Completion, Effect, ExecutionState, Input, StampedInput, StepError, TimerId,
};
use crate::store::{self, keys, ExecutionRow, TransitionRecord};

/// Transitions one driver commits together at most. Large, because a chain
/// of internal transitions (Pass states) pays one fsync per batch.
pub const TRANSITIONS_PER_BATCH_MAX: usize = 4096;

/// Record bytes after which a driver stops adding to its batch, so large
/// payloads cannot build an unbounded batch.
pub const BATCH_RECORD_BYTES_MAX: usize = 1024 * 1024;

/// A running execution's driver (one tokio task).
///
/// Its task attempts run inside it (`attempts`), not as tasks of their
/// own: the driver polls them beside its inbox, so an execution waiting on
/// a handler costs one tokio task (the driver) plus the handler's.
pub(crate) struct Driver {
    pub shared: Arc<Shared>,
    pub state: ExecutionState,
    receiver: InboxReceiver,
    mailbox: Mailbox,
    internal: VecDeque<Input>,
    timers: HashMap<TimerId, AbortHandle>,
    /// Task attempts in flight.
    attempts: Attempts,
}

/// What one batch of transitions left to do after it is durable.
#[derive(Default)]
struct Pending {
    record_bytes: usize,
    /// Transitions stepped into this batch (for the metrics).
    transitions: u64,
    effects: Vec<Effect>,
    acks: Vec<oneshot::Sender<Result<(), EngineError>>>,
    completion: Option<Completion>,
    /// When the transition that ended the execution happened.
    ended_ms: i64,
    /// A refused input may have left the state half-applied: the batch
    /// ends there and the state is rebuilt once the batch is durable.
    broken: bool,
}

impl Driver {
    pub(crate) fn new(
        shared: Arc<Shared>,
        state: ExecutionState,
        receiver: InboxReceiver,
        mailbox: Mailbox,
    ) -> Driver {
        Driver {
            shared,
            state,
            receiver,
            mailbox,
            internal: VecDeque::new(),
            timers: HashMap::new(),
            attempts: Attempts::Idle,
        }
    }

    /// Runs until the execution ends, the engine stops, or the log fails.
    /// `initial` are effects of transitions already durable (the start, or
    /// what a replayed execution still waits for).
    ///
    /// Takes the driver boxed: an `async fn` keeps its arguments and the
    /// locals they move into as separate fields, so a driver passed by
    /// value was stored twice in the task (2.5 KB per execution).
    pub(crate) async fn run(mut self: Box<Self>, initial: Vec<Effect>) {
        for effect in initial {
            self.perform(effect);
        }
        self.start_attempts();
        let mut ended = false;
        loop {
            if self.stopping() {
                break;
            }
            let first = match self.internal.pop_front() {
                Some(input) => Command::new(input),
                None => match poll_fn(|cx| self.poll_next(cx)).await {
                    Some(command) => command,
                    None => break,
                },
            };
            // Boxed: this future lives as long as the execution (10,000
            // of them asleep in a map run), and the batch and its commit
            // are needed only while one is being written.
            if let ControlFlow::Break(completed) = Box::pin(self.write_batch(first)).await {
                ended = completed;
                break;
            }
        }
        self.stop_work();
        if !ended {
            self.shared.counters.driver_ended(None);
        }
        // Dropping the receiver (when this returns) tells
        // `wait_for_completion` the execution is done or the engine stopped.
        self.shared.driver_ended();
    }

    fn stopping(&self) -> bool {
        *self.shared.stopping.borrow()
    }

    /// The next input: a queued command or a task attempt's outcome;
    /// `None` once the engine is stopping (`Shared::stop` wakes every
    /// driver through its mailbox).
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Command>> {
        // Registered before the flag and the queue are read: a stop or a
        // send after this wakes the driver.
        self.receiver.register(cx);
        if self.stopping() {
            return Poll::Ready(None);
        }
        if let Some(command) = self.receiver.try_recv() {
            return Poll::Ready(Some(command));
        }
        loop {
            match self.attempts.poll_next(cx) {
                Poll::Ready(Some(Some(input))) => return Poll::Ready(Some(Command::new(input))),
                // Cancelled: nothing to record.
                Poll::Ready(Some(None)) => {}
                Poll::Ready(None) | Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Polls attempts just scheduled once, so their handlers start now
    /// rather than after the transitions queued before the next wait; an
    /// outcome already there is queued as an input.
    fn start_attempts(&mut self) {
        if self.attempts.is_idle() {
            return;
        }
        // The real waker is registered by `poll_next` before the driver
        // sleeps; a noop one is enough to start the handlers.
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        while let Poll::Ready(Some(outcome)) = self.attempts.poll_next(&mut cx) {
            if let Some(input) = outcome {
                self.internal.push_back(input);
            }
        }
    }

    /// Steps `first` and the inputs queued behind it into one batch,
    /// commits it, then answers callers and performs the effects.
    /// `Break(true)` when the execution ended, `Break(false)` when the log
    /// failed.
    async fn write_batch(&mut self, first: Command) -> ControlFlow<bool> {
        let mut batch = WriteBatch::new();
        let mut pending = Pending::default();
        self.apply(first, &mut batch, &mut pending);
        let mut applied = 1;
        while applied < TRANSITIONS_PER_BATCH_MAX
            && pending.record_bytes < BATCH_RECORD_BYTES_MAX
            && pending.completion.is_none()
            && !pending.broken
        {
            let next = match self.internal.pop_front() {
                Some(input) => Command::new(input),
                None => match self.receiver.try_recv() {
                    Some(command) => command,
                    None => break,
                },
            };
            self.apply(next, &mut batch, &mut pending);
            applied += 1;
        }
        if !batch.is_empty() {
            if let Err(error) = self.shared.log.commit(batch).await {
                let operation = "committing a transition";
                let failed = self.shared.commit_failed(operation, error.clone());
                // Any failed commit stops the engine (a poisoned log
                // already did, and its cause wins); nothing of the batch
                // is reported done.
                self.shared
                    .stop(format!("{failed} (execution {})", self.state.name()));
                for ack in pending.acks {
                    let _ = ack.send(Err(EngineError::log(operation, error.clone())));
                }
                return ControlFlow::Break(false);
            }
        }
        self.shared
            .counters
            .transitions
            .fetch_add(pending.transitions, std::sync::atomic::Ordering::Relaxed);
        for ack in pending.acks {
            let _ = ack.send(Ok(()));
        }
        if pending.broken && !self.rebuild() {
            return ControlFlow::Break(false);
        }
        // Once the engine stops (a failed commit elsewhere, or shutdown)
        // nothing new is dispatched: these effects are durable, and the
        // next engine on the log performs them at recovery.
        if !self.stopping() {
            for effect in pending.effects {
                self.perform(effect);
            }
            self.start_attempts();
        }
        if self.internal.is_empty() && self.internal.capacity() > 0 {
            // A driver mostly sleeps between batches: do not keep a
            // queue's worth of inputs allocated meanwhile.
            self.internal = VecDeque::new();
        }
        if let Some(completion) = pending.completion {
            trace::ended(self.state.id(), &completion);
            // Counted before waiters are woken (when the driver's receiver
            // is dropped), so a caller of `wait_for_completion` sees it in
            // the metrics.
            self.shared
                .counters
                .driver_ended(Some(status_of(&completion)));
            let entry = self.shared.running.lock().remove(&self.state.id());
            if let Some(entry) = entry {
                self.publish_end(entry, &completion, pending.ended_ms);
            }
            let now_ms = self.shared.clock.now_ms();
            self.shared
                .maprun
                .child_done(&self.state, &completion, now_ms);
            return ControlFlow::Break(true);
        }
        ControlFlow::Continue(())
    }

    /// Steps one input and adds its record (and any index rows) to `batch`.
    fn apply(&mut self, command: Command, batch: &mut WriteBatch, pending: &mut Pending) {
        let stamped = StampedInput {
            timestamp_ms: self.shared.clock.now_ms(),
            seed: rand::random::<u64>(),
            input: *command.input,
        };
        // In place: cloning the state per transition cost more than the
        // transition itself. A refusal that may have left it half-applied
        // marks the batch broken (see `rebuild`).
        let output = match step_in_place(&mut self.state, &stamped) {
            Ok(output) => output,
            Err(error) => {
                refuse(command.ack, &stamped.input, &self.state, &error);
                pending.broken |= !error.leaves_state_unchanged();
                return;
            }
        };
        pending.transitions += 1;
        trace::transition(&output.events);
        let id = self.state.id();
        if crate::maprun::is_express_child(id) {
            // EXPRESS children keep their history in memory; their map run
            // records only the outcome.
            if let Some(ack) = command.ack {
                pending.acks.push(ack);
            }
            self.take_effects(output.effects, stamped.timestamp_ms, batch, pending);
            return;
        }
        let record = TransitionRecord {
            input: stamped,
            events: output.events,
        };
        let payload = match store::encode_transition(&record) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::error!(execution = %self.state.id(), "cannot encode a transition: {error}");
                if let Some(ack) = command.ack {
                    let _ = ack.send(Err(EngineError::InvalidArgument {
                        what: "input",
                        reason: format!("cannot be recorded: {error}"),
                    }));
                }
                // The state already took the transition the log will not
                // have.
                pending.broken = true;
                return;
            }
        };
        pending.record_bytes += payload.len();
        batch.append(
            StreamId(id.0),
            Seq(self.state.transitions()),
            store::TRANSITION_KIND,
            payload,
        );
        if let Some(ack) = command.ack {
            pending.acks.push(ack);
        }
        self.take_effects(output.effects, record.input.timestamp_ms, batch, pending);
    }

    /// After a broken batch is durable: a refused input may have left the
    /// state half-applied, so it is rebuilt by replaying the log, which
    /// holds every transition before that input. `false` when it cannot
    /// be (an EXPRESS child keeps no history in the log, or the read
    /// failed): the driver exits, and the execution resumes when the
    /// engine is next opened (an EXPRESS child is re-run by its map run).
    fn rebuild(&mut self) -> bool {
        let id = self.state.id();
        match super::executions::replay(&self.shared, id) {
            Ok(state) => {
                self.state = state;
                true
            }
            Err(error) => {
                tracing::error!(execution = %id, "cannot rebuild the state, the driver stops: {error}");
                self.shared.running.lock().remove(&id);
                false
            }
        }
    }

    /// Sorts a transition's effects: internal continues, the completion
    /// (with its index row), and the rest to perform after the commit.
    fn take_effects(
        &mut self,
        effects: Vec<Effect>,
        now_ms: i64,
        batch: &mut WriteBatch,
        pending: &mut Pending,
    ) {
        for effect in effects {
            match effect {
                // Internal: the next transition, recorded after this one.
                Effect::Continue(scope) => self.internal.push_back(Input::Continue { scope }),
                Effect::Complete(completion) => {
                    self.index_completion(batch, &completion, now_ms);
                    pending.completion = Some(completion);
                    pending.ended_ms = now_ms;
                }
                other => pending.effects.push(other),
            }
        }
    }

    /// Hands the durable end to whoever waits in `wait_for_completion`
    /// (they hold clones of `entry`), so they need not read it back from
    /// the log. Nobody waiting: nothing is built.
    fn publish_end(&self, entry: RunningExecution, completion: &Completion, ended_ms: i64) {
        let RunningExecution { sender, ended } = entry;
        drop(sender);
        let Some(ended) = ended else {
            return;
        };
        if Arc::strong_count(&ended) > 1 {
            if let Some(description) = crate::api::queries::ended_description(
                &self.state,
                completion,
                ended_ms,
                self.shared.clock.now_ms(),
            ) {
                let _ = ended.set(description);
            }
        }
    }

    /// Moves the index row from RUNNING to the final status, in the same
    /// batch as the record that ends the execution.
    fn index_completion(&self, batch: &mut WriteBatch, completion: &Completion, now_ms: i64) {
        let id = self.state.id();
        if crate::maprun::is_child(id) {
            // A map run's children have no index rows: the map run row
            // says which exist.
            return;
        }
        let row = ExecutionRow {
            name: self.state.name().to_string(),
            state_machine: self.state.state_machine().to_string(),
            started_ms: self.state.started_ms(),
            stopped_ms: Some(now_ms),
            redrive_count: self.state.redrive_count(),
            redriven_ms: self.state.redriven_ms(),
        };
        batch.delete(
            keys::EXECUTIONS,
            keys::execution_key(ExecutionStatus::Running, id),
        );
        batch.put(
            keys::EXECUTIONS,
            keys::execution_key(status_of(completion), id),
            store::encode_execution_row(&row),
        );
    }

    /// Performs an effect whose transition is durable.
    fn perform(&mut self, effect: Effect) {
        match effect {
            Effect::Continue(scope) => self.internal.push_back(Input::Continue { scope }),
            Effect::ScheduleTask(spec) => {
                let attempt = effects::task_attempt(&self.shared, &self.state, spec);
                self.attempts.push(attempt);
            }
            Effect::CancelTask { idempotency_key } => {
                // Resolves as `Cancelled`, which records nothing.
                for attempt in self.attempts.iter() {
                    if attempt.idempotency_key == idempotency_key {
                        attempt.cancel.cancel();
                    }
                }
            }
            Effect::StartTimer { id, fire_at_ms } => {
                let handle =
                    effects::spawn_timer(&self.shared, id, fire_at_ms, self.mailbox.clone());
                if let Some(old) = self.timers.insert(id, handle) {
                    old.abort();
                }
            }
            Effect::CancelTimer(id) => {
                if let Some(handle) = self.timers.remove(&id) {
                    handle.abort();
                }
            }
            Effect::StartMapRun(spec) => {
                crate::maprun::launch(&self.shared, spec, self.mailbox.clone());
            }
            Effect::StopMapRun { arn } => self.shared.maprun.stop(&arn),
            Effect::Complete(_) => {}
        }
    }

    /// Stops timers and running task attempts when the driver exits; a
    /// later recovery arms and runs them again.
    fn stop_work(&mut self) {
        for (_, handle) in self.timers.drain() {
            handle.abort();
        }
        // Dropping an attempt abandons it: its handler is told to stop.
        self.attempts = Attempts::Idle;
    }
}

/// The index status of a completion.
pub(crate) fn status_of(completion: &Completion) -> ExecutionStatus {
    match completion {
        Completion::Succeeded(_) => ExecutionStatus::Succeeded,
        Completion::Failed { .. } => ExecutionStatus::Failed,
        Completion::Aborted { .. } => ExecutionStatus::Aborted,
        Completion::TimedOut => ExecutionStatus::TimedOut,
    }
}

/// Answers a refused input's caller; stale inputs without a caller (late
/// task outcomes, cancelled timers) are normal and only traced.
fn refuse(
    ack: Option<oneshot::Sender<Result<(), EngineError>>>,
    input: &Input,
    state: &ExecutionState,
    error: &StepError,
) {
    match error {
        StepError::Stale { .. } | StepError::Finished { .. } => {
            tracing::debug!(execution = %state.id(), "{error}");
        }
        _ => tracing::error!(execution = %state.id(), "{error}"),
    }
    let Some(ack) = ack else {
        return;
    };
    let reply = match input {
        Input::TokenSucceeded { token, .. }
        | Input::TokenFailed { token, .. }
        | Input::TokenHeartbeat { token } => EngineError::TaskDoesNotExist {
            token: token.clone(),
        },
        _ => EngineError::ExecutionNotRunning {
            execution: state.id().to_string(),
        },
    };
    let _ = ack.send(Err(reply));
}
