//! Tracing: the spans and events the runtime emits (the library only
//! emits; the embedding program installs a subscriber).
//!
//! Spans: `execution` (one per execution's driver), `task_attempt` (one
//! per attempt, inside its execution's span) and `map_run` (the
//! coordinator, inside its parent's span; the children's `execution` spans
//! are inside it). Events: state entered/exited and task outcomes at
//! DEBUG, every history event at TRACE, an execution's end at INFO
//! (DEBUG for a map run's child, so a large map does not flood INFO).
//! `docs/observability.md` lists every field.
//!
//! Cost without a subscriber: each span or event macro first checks its
//! callsite's cached interest (one atomic load), and [`spawn_in`] wraps a
//! future in a span only when the span is enabled, so an execution or task
//! attempt carries no span bytes unless someone listens.
//!
//! No payload is ever recorded: inputs, outputs, parameters and causes may
//! hold user data or credentials. Fields are ids, names, attempt numbers,
//! error names and counts.

use std::future::Future;

use tracing::{Instrument, Level, Span};

use crate::history::{ExecutionId, HistoryEvent, HistoryEventType as T};
use crate::interpreter::{Completion, ExecutionState};

/// Spawns `future` on tokio inside `span`, or bare when `span` is disabled
/// (then the task stores no span at all).
pub(crate) fn spawn_in<F>(span: Span, future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    if span.is_disabled() {
        tokio::spawn(future);
    } else {
        tokio::spawn(future.instrument(span));
    }
}

/// The span of one execution's driver. Map-run children get DEBUG spans
/// with their run number and child index; top-level executions INFO spans
/// with their name and state machine.
pub(crate) fn execution_span(state: &ExecutionState) -> Span {
    let id = state.id();
    match crate::maprun::split_child(id) {
        Some((run, index)) => tracing::debug_span!(
            "execution",
            execution = %id,
            map_run = run,
            child_index = index,
        ),
        None => tracing::info_span!(
            "execution",
            execution = %id,
            name = state.name(),
            state_machine = state.state_machine(),
        ),
    }
}

/// Events for the history events one transition produced: every event at
/// TRACE, state entries and exits (with the state's name) and task
/// failures at DEBUG.
pub(crate) fn transition(events: &[HistoryEvent]) {
    if !tracing::enabled!(Level::DEBUG) {
        return;
    }
    for event in events {
        let kind = event.kind;
        let state = event.details.name.as_deref().unwrap_or("");
        tracing::trace!(
            event_id = event.id.0,
            event_type = kind.name(),
            "history event"
        );
        match kind {
            T::TaskFailed | T::TaskTimedOut | T::MapRunFailed => tracing::debug!(
                event_type = kind.name(),
                error = event.details.error.as_deref().unwrap_or(""),
                "task or map run failed"
            ),
            _ if is_state_entry(kind) => {
                tracing::debug!(state, event_type = kind.name(), "state entered")
            }
            _ if is_state_exit(kind) => {
                tracing::debug!(state, event_type = kind.name(), "state exited")
            }
            _ => {}
        }
    }
}

/// The execution `id` ended durably with `completion`.
pub(crate) fn ended(id: ExecutionId, completion: &Completion) {
    let (status, error) = match completion {
        Completion::Succeeded(_) => ("SUCCEEDED", ""),
        Completion::Failed { error, .. } => ("FAILED", error.as_str()),
        Completion::Aborted { error, .. } => ("ABORTED", error.as_str()),
        Completion::TimedOut => ("TIMED_OUT", "States.Timeout"),
    };
    if crate::maprun::is_child(id) {
        tracing::debug!(status, error, "execution ended");
    } else {
        tracing::info!(status, error, "execution ended");
    }
}

fn is_state_entry(kind: T) -> bool {
    matches!(
        kind,
        T::PassStateEntered
            | T::TaskStateEntered
            | T::ChoiceStateEntered
            | T::WaitStateEntered
            | T::SucceedStateEntered
            | T::FailStateEntered
            | T::ParallelStateEntered
            | T::MapStateEntered
    )
}

fn is_state_exit(kind: T) -> bool {
    matches!(
        kind,
        T::PassStateExited
            | T::TaskStateExited
            | T::ChoiceStateExited
            | T::WaitStateExited
            | T::SucceedStateExited
            | T::ParallelStateExited
            | T::MapStateExited
            | T::TaskStateAborted
            | T::ParallelStateAborted
            | T::MapStateAborted
    )
}
