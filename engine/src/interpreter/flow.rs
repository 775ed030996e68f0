//! Moving between states: entering a state, leaving it for the next one,
//! and a state's failure with Retry and Catch.

use serde_json::Value;

use super::body::body_of;
use super::context::{json_text, state_details, Ctx};
use super::dataflow;
use super::error::StepError;
use super::fan_out;
use super::state::{Current, Phase, Scope, TimerPurpose};
use super::{task, wait};
use crate::asl::error::error_equals_matches;
use crate::asl::model::{Catcher, Retrier, State, Transition};
use crate::asl::StatesError;
use crate::history::{EventDetails, HistoryEventType as T};

/// What a transition does to a scope when its state ends.
pub(crate) type Outcome = Result<Value, StatesError>;

/// Enters state `name` of the scope at `path` with `input`.
///
/// Task and Wait states act at once (schedule the attempt, arm the timer);
/// every other state, and a Task or Wait whose input processing fails,
/// acts in its own transition, asked for with an `Effect::Continue`, so one
/// transition never runs an unbounded chain of states.
pub(crate) fn enter(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    name: String,
    input: Value,
) -> Result<(), StepError> {
    let machine = ctx.machine;
    let body = body_of(machine, root, path).ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let state = body
        .states
        .get(&name)
        .ok_or_else(|| inconsistent(ctx, path, &name))?;
    let scope = root
        .descendant_mut(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let mut details = state_details(&name);
    details.input = Some(json_text(&input));
    let entered_event = ctx.emit(scope, entered_kind(state), details);
    scope.current = Some(Current {
        name,
        input,
        entered_event,
        entered_ms: ctx.now_ms,
        retries: vec![0; retriers(state).len()],
        attempt: 0,
        phase: Phase::Entered,
        map_run: None,
        failed_children: None,
        redrive_children: None,
    });
    let began = match state {
        State::Task(def) => task::begin(ctx, scope, def).is_ok(),
        State::Wait(def) => wait::begin(ctx, scope, def).is_ok(),
        _ => false,
    };
    if !began {
        ctx.effects.push(super::Effect::Continue(path.to_vec()));
    }
    Ok(())
}

/// The state at `path` produced `output`: records its exit and moves on.
pub(crate) fn finish_state(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    output: Value,
) -> Result<(), StepError> {
    if let Err(error) = dataflow::check_payload(&output, ctx.info.options.payload_limit_bytes) {
        return fail_state(ctx, root, path, state, error);
    }
    let scope = root
        .descendant_mut(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let name = scope
        .current
        .as_ref()
        .map(|c| c.name.clone())
        .unwrap_or_default();
    if let Some(kind) = exited_kind(state) {
        let mut details = state_details(&name);
        details.output = Some(json_text(&output));
        ctx.emit(scope, kind, details);
    }
    match state.transition() {
        Some(Transition::Next(next)) => enter(ctx, root, path, next.clone(), output),
        Some(Transition::End) | None => complete_scope(ctx, root, path, Ok(output)),
    }
}

/// The state at `path` ends with `output`: it finishes, or, when its data
/// flow failed, fails with that error (for its Retry and Catch).
pub(crate) fn finish_or_fail(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    output: Result<Value, StatesError>,
) -> Result<(), StepError> {
    match output {
        Ok(output) => finish_state(ctx, root, path, state, output),
        Err(error) => fail_state(ctx, root, path, state, error),
    }
}

/// The state at `path` failed with `error`: retry it, catch it, or fail
/// its scope.
pub(crate) fn fail_state(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    error: StatesError,
) -> Result<(), StepError> {
    let scope = root
        .descendant_mut(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let Some(current) = scope.current.as_mut() else {
        return Err(inconsistent(ctx, path, "current state"));
    };
    let retry = retriers(state);
    let matched = retry
        .iter()
        .enumerate()
        .find(|(_, retrier)| error_equals_matches(&retrier.error_equals, &error.error));
    if let Some((index, retrier)) = matched {
        let used = current.retries.get(index).copied().unwrap_or(u32::MAX);
        if u64::from(used) < retrier.max_attempts {
            let delay_ms = dataflow::retry_delay_ms(retrier, used, ctx.random_unit());
            if let Some(slot) = current.retries.get_mut(index) {
                *slot += 1;
            }
            current.attempt += 1;
            let fire_at_ms = ctx.now_ms.saturating_add(delay_ms);
            let timer = ctx.start_timer(fire_at_ms, TimerPurpose::Retry(path.to_vec()));
            current.phase = Phase::Backoff(timer);
            return Ok(());
        }
    }
    let caught = catchers(state)
        .iter()
        .find(|catcher| error_equals_matches(&catcher.error_equals, &error.error));
    if let Some(catcher) = caught {
        let mut output = current.input.clone();
        if let Some(result_path) = &catcher.result_path {
            if let Err(write) = result_path.set(&mut output, error.to_output()) {
                let failure = StatesError::result_path(write.to_string());
                return complete_scope(ctx, root, path, Err(failure));
            }
        }
        return enter(ctx, root, path, catcher.next.clone(), output);
    }
    complete_scope(ctx, root, path, Err(error))
}

/// The scope at `path` ended: the execution ends (top level) or the
/// Parallel / Map state that owns the scope takes its outcome.
pub(crate) fn complete_scope(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    outcome: Outcome,
) -> Result<(), StepError> {
    let scope = root
        .descendant_mut(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let ended = scope.current.take();
    match path.split_last() {
        None => {
            if outcome.is_err() {
                ctx.book.redrive_point = ended.map(super::state::RedrivePoint::of);
            }
            super::step::end_execution(ctx, root, outcome);
            Ok(())
        }
        Some((index, parent)) => fan_out::child_done(ctx, root, parent, *index, outcome, ended),
    }
}

fn retriers(state: &State) -> &[Retrier] {
    match state {
        State::Task(def) => &def.retry,
        State::Parallel(def) => &def.retry,
        State::Map(def) => &def.retry,
        _ => &[],
    }
}

fn catchers(state: &State) -> &[Catcher] {
    match state {
        State::Task(def) => &def.catch,
        State::Parallel(def) => &def.catch,
        State::Map(def) => &def.catch,
        _ => &[],
    }
}

fn entered_kind(state: &State) -> T {
    match state {
        State::Pass(_) => T::PassStateEntered,
        State::Task(_) => T::TaskStateEntered,
        State::Choice(_) => T::ChoiceStateEntered,
        State::Wait(_) => T::WaitStateEntered,
        State::Succeed(_) => T::SucceedStateEntered,
        State::Fail(_) => T::FailStateEntered,
        State::Parallel(_) => T::ParallelStateEntered,
        State::Map(_) => T::MapStateEntered,
    }
}

/// The exit event of a state type; Fail states have none.
pub(crate) fn exited_kind(state: &State) -> Option<T> {
    match state {
        State::Pass(_) => Some(T::PassStateExited),
        State::Task(_) => Some(T::TaskStateExited),
        State::Choice(_) => Some(T::ChoiceStateExited),
        State::Wait(_) => Some(T::WaitStateExited),
        State::Succeed(_) => Some(T::SucceedStateExited),
        State::Parallel(_) => Some(T::ParallelStateExited),
        State::Map(_) => Some(T::MapStateExited),
        State::Fail(_) => None,
    }
}

/// Details carrying an error and cause.
pub(crate) fn error_details(name: Option<&str>, error: &StatesError) -> EventDetails {
    EventDetails {
        name: name.map(str::to_string),
        error: Some(error.error.clone()),
        cause: Some(error.cause.clone()),
        ..EventDetails::default()
    }
}

pub(crate) fn inconsistent(ctx: &Ctx<'_>, path: &[u32], what: &str) -> StepError {
    StepError::Inconsistent {
        execution: ctx.info.name.clone(),
        detail: format!("no {what} at scope {path:?}"),
    }
}
