//! The transition function: [`start`] and [`step`].

use std::sync::Arc;

use serde_json::Value;

use super::body::current_state;
use super::context::{json_text, Ctx};
use super::effect::{Completion, Effect};
use super::error::StepError;
use super::fan_out::abort_tree;
use super::flow::{self, Outcome};
use super::input::{Input, StampedInput, TimerId};
use super::state::{
    Book, ExecInfo, ExecutionState, InterpreterOptions, Phase, Scope, TimerPurpose,
};
use super::{choice, fail, map_inline, parallel, pass, succeed, task, wait};
use crate::asl::model::State;
use crate::asl::{StateMachine, StatesError};
use crate::history::{EventDetails, HistoryEvent, HistoryEventType as T};

/// What one transition produced: the events to record with its input, and
/// the effects to perform once the record is durable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepOutput {
    /// History events, ids increasing by 1.
    pub events: Vec<HistoryEvent>,
    /// Effects, in the order they were asked for.
    pub effects: Vec<Effect>,
}

/// Applies the first input of an execution, `Input::Start`, with the
/// definition it names. Pure: no I/O, no clock.
pub fn start(
    machine: Arc<StateMachine>,
    stamped: &StampedInput,
    options: InterpreterOptions,
) -> Result<(ExecutionState, StepOutput), StepError> {
    let Input::Start {
        execution,
        name,
        definition_hash,
        state_machine,
        input_json,
    } = &stamped.input
    else {
        return Err(StepError::BadStart {
            execution: "(unknown)".into(),
            detail: format!("the first input is {}, not Start", stamped.input.kind()),
        });
    };
    let input: Value = serde_json::from_str(input_json).map_err(|err| StepError::BadStart {
        execution: name.clone(),
        detail: format!("the recorded input is not JSON: {err}"),
    })?;
    let mut state = ExecutionState {
        info: ExecInfo {
            id: *execution,
            name: name.clone(),
            state_machine: state_machine.clone(),
            definition_hash: definition_hash.clone(),
            input: input.clone(),
            started_ms: stamped.timestamp_ms,
            options,
            redrive_count: 0,
            redriven_ms: None,
        },
        machine,
        completion: None,
        book: Book::default(),
        root: Scope::new(Vec::new(), 0),
    };
    let ExecutionState {
        info,
        machine,
        book,
        root,
        completion,
    } = &mut state;
    let mut ctx = Ctx::new(info, machine, book, stamped.timestamp_ms, stamped.seed);
    let details = EventDetails {
        name: Some(name.clone()),
        input: Some(json_text(&input)),
        ..EventDetails::default()
    };
    ctx.emit(root, T::ExecutionStarted, details);
    if let Some(seconds) = ctx.machine.timeout_seconds {
        let fire_at = ctx
            .now_ms
            .saturating_add((seconds as i64).saturating_mul(1000));
        ctx.start_timer(fire_at, TimerPurpose::Execution);
    }
    let start_at = ctx.machine.start_at.clone();
    flow::enter(&mut ctx, root, &[], start_at, input)?;
    let output = finish(ctx, completion);
    state.book.transitions = 1;
    Ok((state, output))
}

/// Applies one input to an execution and returns the new state with what
/// the transition produced. Pure: no I/O, no clock; the same state and
/// stamped input always give the same result, which is what replay after
/// a crash relies on. On error `state` is the one to keep. Clones the
/// state; [`step_in_place`] is the same transition without the clone.
pub fn step(
    state: &ExecutionState,
    stamped: &StampedInput,
) -> Result<(ExecutionState, StepOutput), StepError> {
    let mut next = state.clone();
    let output = step_in_place(&mut next, stamped)?;
    Ok((next, output))
}

/// [`step`] applied to `state` itself, so a transition does not copy the
/// whole execution state (its scopes, inputs and task specs) every time.
///
/// On `Ok` the state is exactly what [`step`] returns. On an error for
/// which [`StepError::leaves_state_unchanged`] holds (a stale or late
/// input, an ended execution, a refused redrive) the input was refused
/// before anything changed, and `state` is still valid. On any other error
/// (the history does not fit the definition) the transition may have
/// stopped half-way: the caller must drop `state` and rebuild it, e.g. by
/// replaying the recorded inputs.
pub fn step_in_place(
    state: &mut ExecutionState,
    stamped: &StampedInput,
) -> Result<StepOutput, StepError> {
    if matches!(
        stamped.input,
        Input::Redrive | Input::RedriveFromFailedStates
    ) {
        let (next, output) = super::redrive::redrive(state, stamped)?;
        *state = next;
        return Ok(output);
    }
    if state.completion.is_some() {
        return Err(StepError::Finished {
            input: stamped.input.kind(),
            execution: state.info.name.clone(),
        });
    }
    let ExecutionState {
        info,
        machine,
        book,
        root,
        completion,
    } = state;
    let mut ctx = Ctx::new(info, machine, book, stamped.timestamp_ms, stamped.seed);
    // Every check that can find the input stale runs before the first
    // change to the state (see `StepError::leaves_state_unchanged`).
    apply(&mut ctx, root, &stamped.input)?;
    let output = finish(ctx, completion);
    state.book.transitions += 1;
    Ok(output)
}

fn finish(ctx: Ctx<'_>, completion: &mut Option<Completion>) -> StepOutput {
    if ctx.completion.is_some() {
        *completion = ctx.completion;
    }
    StepOutput {
        events: ctx.events,
        effects: ctx.effects,
    }
}

fn apply(ctx: &mut Ctx<'_>, root: &mut Scope, input: &Input) -> Result<(), StepError> {
    match input {
        Input::Start { .. } => Err(StepError::BadStart {
            execution: ctx.info.name.clone(),
            detail: "Start came twice".into(),
        }),
        Input::Continue { scope } => continue_scope(ctx, root, scope),
        Input::TaskSucceeded {
            scope,
            state,
            attempt,
            output_json,
        } => {
            let def = running_task(ctx, root, scope, state, *attempt, input)?;
            let result = parse_json(ctx, output_json)?;
            let State::Task(task_def) = def else {
                return Err(stale(ctx, input, "not a Task state"));
            };
            task::succeeded(ctx, root, scope, def, task_def, result)
        }
        Input::TaskFailed {
            scope,
            state,
            attempt,
            error,
            cause,
            timed_out,
        } => {
            let def = running_task(ctx, root, scope, state, *attempt, input)?;
            let error = StatesError::new(error.clone(), cause.clone());
            task::failed(ctx, root, scope, def, error, *timed_out)
        }
        Input::TimerFired { timer } => timer_fired(ctx, root, *timer, input),
        Input::TokenSucceeded { token, output_json } => {
            let (path, def) = token_task(ctx, root, token, input)?;
            let result = parse_json(ctx, output_json)?;
            let State::Task(task_def) = def else {
                return Err(stale(ctx, input, "not a Task state"));
            };
            task::succeeded(ctx, root, &path, def, task_def, result)
        }
        Input::TokenFailed {
            token,
            error,
            cause,
        } => {
            let (path, def) = token_task(ctx, root, token, input)?;
            let error = StatesError::new(error.clone(), cause.clone());
            task::failed(ctx, root, &path, def, error, false)
        }
        Input::TokenHeartbeat { token } => {
            let (path, _) = token_task(ctx, root, token, input)?;
            let scope = root
                .descendant_mut(&path)
                .ok_or_else(|| stale(ctx, input, "task scope ended"))?;
            task::heartbeat(ctx, scope)
        }
        Input::MapRunCompleted {
            scope,
            state,
            output_json,
            error,
            cause,
        } => {
            let waiting = root
                .descendant(scope)
                .and_then(|s| s.current.as_ref())
                .is_some_and(|c| c.name == *state && matches!(c.phase, Phase::MapRun(_)));
            if !waiting {
                return Err(stale(ctx, input, "no map run is running there"));
            }
            let outcome = match output_json {
                Some(text) => Ok(parse_json(ctx, text)?),
                None => Err(StatesError::new(error.clone(), cause.clone())),
            };
            super::map_distributed::completed(ctx, root, scope, outcome)
        }
        Input::Redrive | Input::RedriveFromFailedStates => {
            Err(stale(ctx, input, "the execution is running"))
        }
        Input::Stop { error, cause } => {
            abort_tree(ctx, root);
            let error = StatesError::new(error.clone(), cause.clone());
            let details = flow::error_details(None, &error);
            ctx.emit(root, T::ExecutionAborted, details);
            keep_redrive_point(ctx, root);
            close(
                ctx,
                Completion::Aborted {
                    error: error.error,
                    cause: error.cause,
                },
            );
            Ok(())
        }
    }
}

/// `Input::Continue`: runs a state that was entered and waits for nothing.
fn continue_scope(ctx: &mut Ctx<'_>, root: &mut Scope, path: &[u32]) -> Result<(), StepError> {
    let input_kind = "Continue";
    let entered = root
        .descendant(path)
        .and_then(|scope| scope.current.as_ref())
        .is_some_and(|current| matches!(current.phase, Phase::Entered));
    if !entered {
        return Err(StepError::Stale {
            input: input_kind,
            execution: ctx.info.name.clone(),
            reason: format!("scope {path:?} has no state waiting to run"),
        });
    }
    run_current(ctx, root, path)
}

/// Runs the current state of the scope at `path` from its start.
fn run_current(ctx: &mut Ctx<'_>, root: &mut Scope, path: &[u32]) -> Result<(), StepError> {
    let machine = ctx.machine;
    let state = current_state(machine, root, path)
        .ok_or_else(|| flow::inconsistent(ctx, path, "current state"))?;
    match state {
        State::Pass(def) => pass::run(ctx, root, path, state, def),
        State::Task(def) => task::run(ctx, root, path, state, def),
        State::Choice(def) => choice::run(ctx, root, path, state, def),
        State::Wait(def) => wait::run(ctx, root, path, state, def),
        State::Succeed(def) => succeed::run(ctx, root, path, state, def),
        State::Fail(def) => fail::run(ctx, root, path, def),
        State::Parallel(def) => parallel::run(ctx, root, path, state, def),
        State::Map(def) => map_inline::run(ctx, root, path, state, def),
    }
}

fn timer_fired(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    timer: TimerId,
    input: &Input,
) -> Result<(), StepError> {
    let Some(entry) = ctx.book.timers.remove(&timer) else {
        return Err(stale(ctx, input, "timer is not armed"));
    };
    let machine = ctx.machine;
    let heartbeat = matches!(entry.purpose, TimerPurpose::TaskHeartbeat(_));
    match entry.purpose {
        TimerPurpose::Execution => {
            abort_tree(ctx, root);
            let error = StatesError::new(crate::asl::error::TIMEOUT, "execution timed out");
            ctx.emit(
                root,
                T::ExecutionTimedOut,
                flow::error_details(None, &error),
            );
            keep_redrive_point(ctx, root);
            close(ctx, Completion::TimedOut);
            Ok(())
        }
        TimerPurpose::Wait(path) => {
            let state = current_state(machine, root, &path)
                .ok_or_else(|| flow::inconsistent(ctx, &path, "Wait state"))?;
            let State::Wait(def) = state else {
                return Err(flow::inconsistent(ctx, &path, "Wait state"));
            };
            wait::fired(ctx, root, &path, state, def)
        }
        TimerPurpose::Retry(path) => {
            let scope = root
                .descendant_mut(&path)
                .ok_or_else(|| flow::inconsistent(ctx, &path, "scope"))?;
            if let Some(current) = scope.current.as_mut() {
                current.phase = Phase::Entered;
            }
            run_current(ctx, root, &path)
        }
        TimerPurpose::TaskTimeout(path) | TimerPurpose::TaskHeartbeat(path) => {
            let state = current_state(machine, root, &path)
                .ok_or_else(|| flow::inconsistent(ctx, &path, "Task state"))?;
            task::failed(ctx, root, &path, state, task::timer_error(heartbeat), true)
        }
    }
}

/// The execution's top-level scope ended with `outcome`.
pub(crate) fn end_execution(ctx: &mut Ctx<'_>, root: &mut Scope, outcome: Outcome) {
    match outcome {
        Ok(output) => {
            let details = EventDetails {
                output: Some(json_text(&output)),
                ..EventDetails::default()
            };
            ctx.emit(root, T::ExecutionSucceeded, details);
            close(ctx, Completion::Succeeded(output));
        }
        Err(error) => {
            ctx.emit(root, T::ExecutionFailed, flow::error_details(None, &error));
            close(
                ctx,
                Completion::Failed {
                    error: error.error,
                    cause: error.cause,
                },
            );
        }
    }
}

/// A stopped or timed-out execution keeps the top-level state it was in,
/// for a later redrive.
fn keep_redrive_point(ctx: &mut Ctx<'_>, root: &mut Scope) {
    ctx.book.redrive_point = root.current.take().map(super::state::RedrivePoint::of);
}

/// Records the end: disarms every timer left and asks for the index row.
fn close(ctx: &mut Ctx<'_>, completion: Completion) {
    let timers: Vec<TimerId> = ctx.book.timers.keys().copied().collect();
    for timer in timers {
        ctx.cancel_timer(timer);
    }
    ctx.effects.push(Effect::Complete(completion.clone()));
    ctx.completion = Some(completion);
}

/// The definition of the Task running attempt `attempt` at `path`, or a
/// stale-input error.
fn running_task<'m>(
    ctx: &Ctx<'m>,
    root: &Scope,
    path: &[u32],
    state: &str,
    attempt: u32,
    input: &Input,
) -> Result<&'m State, StepError> {
    let current = root
        .descendant(path)
        .and_then(|scope| scope.current.as_ref())
        .ok_or_else(|| stale(ctx, input, "scope ended"))?;
    let Phase::Task(task) = &current.phase else {
        return Err(stale(ctx, input, "no task is running"));
    };
    if current.name != state || task.spec.attempt != attempt || task.spec.task_token.is_some() {
        return Err(stale(ctx, input, "another attempt is running"));
    }
    current_state(ctx.machine, root, path).ok_or_else(|| flow::inconsistent(ctx, path, state))
}

/// The scope and definition of the token task waiting for `token`.
fn token_task<'m>(
    ctx: &Ctx<'m>,
    root: &Scope,
    token: &str,
    input: &Input,
) -> Result<(Vec<u32>, &'m State), StepError> {
    let path = find_token(root, token).ok_or_else(|| stale(ctx, input, "unknown task token"))?;
    let state = current_state(ctx.machine, root, &path)
        .ok_or_else(|| flow::inconsistent(ctx, &path, "task"))?;
    Ok((path, state))
}

fn find_token(scope: &Scope, token: &str) -> Option<Vec<u32>> {
    match &scope.current.as_ref()?.phase {
        Phase::Task(task) if task.spec.task_token.as_deref() == Some(token) => {
            Some(scope.path.clone())
        }
        Phase::FanOut(fan_out) => fan_out
            .running
            .values()
            .find_map(|child| find_token(child, token)),
        _ => None,
    }
}

fn parse_json(ctx: &Ctx<'_>, text: &str) -> Result<Value, StepError> {
    serde_json::from_str(text).map_err(|err| StepError::Inconsistent {
        execution: ctx.info.name.clone(),
        detail: format!("a recorded result is not JSON: {err}"),
    })
}

fn stale(ctx: &Ctx<'_>, input: &Input, reason: &str) -> StepError {
    StepError::Stale {
        input: input.kind(),
        execution: ctx.info.name.clone(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
#[path = "step_tests.rs"]
mod tests;
