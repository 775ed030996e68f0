//! `Input::Redrive`: Step Functions' RedriveExecution as a transition.
//!
//! An execution that failed, was stopped or timed out kept its redrive
//! point (the top-level state it did not finish, with that state's input).
//! Redrive reopens the execution: `ExecutionRedriven{redriveCount}`, the
//! state machine's `TimeoutSeconds` armed again from now, then either
//!
//! - the state is entered again with the same input (a fresh entry: new
//!   `…StateEntered`, retries from zero; a Parallel or inline Map that
//!   failed, or was running at a stop or timeout, then runs only the
//!   branches or iterations that did not succeed and keeps the others'
//!   results: with `Input::RedriveFromFailedStates` each restarts from the
//!   state it did not finish, recursively, as Step Functions does; with
//!   `Input::Redrive`, as earlier versions recorded it, each from its
//!   start, and after a stop or timeout every child runs again), or
//! - for a DISTRIBUTED Map whose map run was started, the same map run is
//!   redriven: `MapRunRedriven{mapRunArn, redriveCount}` and a
//!   `StartMapRun` with the spec's `redrive_count` one higher, which tells
//!   the coordinator to redrive the run's unsuccessful children.
//!
//! States that succeeded before the point are not run again: their
//! output is the point's input.

use std::sync::Arc;

use super::context::Ctx;
use super::effect::Effect;
use super::error::StepError;
use super::flow;
use super::input::{Input, StampedInput};
use super::map_distributed::MapRunSpec;
use super::state::{Current, ExecutionState, Phase, RedrivePoint, Scope, TimerPurpose};
use super::step::StepOutput;
use crate::history::{EventDetails, HistoryEventType as T};

/// Puts `scope` back in the DISTRIBUTED Map state of `point` whose map
/// run `spec` started: `MapRunRedriven` and a `StartMapRun` that asks
/// for the same run with a redrive count one higher (the coordinator
/// then redrives its unsuccessful children).
pub(crate) fn redrive_map_run(
    ctx: &mut Ctx<'_>,
    scope: &mut Scope,
    point: RedrivePoint,
    spec: &MapRunSpec,
) {
    let mut spec = spec.clone();
    spec.redrive_count += 1;
    let details = EventDetails {
        map_run_arn: Some(spec.arn.clone()),
        redrive_count: Some(spec.redrive_count),
        ..EventDetails::default()
    };
    ctx.emit(scope, T::MapRunRedriven, details);
    let spec = Arc::new(spec);
    scope.current = Some(Current {
        name: point.name,
        input: point.input,
        entered_event: point.entered_event,
        entered_ms: point.entered_ms,
        retries: vec![0; point.retriers],
        // The redriven run is this attempt's; a Retry after it must start
        // a run with a fresh attempt, not reopen one of the runs before it.
        attempt: spec.attempt,
        phase: Phase::MapRun(Arc::clone(&spec)),
        map_run: Some(Arc::clone(&spec)),
        failed_children: None,
        redrive_children: None,
    });
    ctx.effects.push(Effect::StartMapRun(spec));
}

/// Applies `Input::Redrive` or `Input::RedriveFromFailedStates` to an
/// ended execution.
pub(crate) fn redrive(
    state: &ExecutionState,
    stamped: &StampedInput,
) -> Result<(ExecutionState, StepOutput), StepError> {
    let refuse = |reason: &str| StepError::NotRedrivable {
        execution: state.info.name.clone(),
        reason: reason.to_string(),
    };
    if state.completion.is_none() {
        return Err(refuse("it is running"));
    }
    if !state.redrivable() {
        return Err(refuse("it succeeded, or has no state to restart from"));
    }
    let mut next = state.clone();
    next.completion = None;
    next.info.redrive_count += 1;
    next.info.redriven_ms = Some(stamped.timestamp_ms);
    let point = next
        .book
        .redrive_point
        .take()
        .ok_or_else(|| refuse("it has no state to restart from"))?;
    let ExecutionState {
        info,
        machine,
        book,
        root,
        ..
    } = &mut next;
    let mut ctx = Ctx::new(info, machine, book, stamped.timestamp_ms, stamped.seed);
    let details = EventDetails {
        redrive_count: Some(ctx.info.redrive_count),
        ..EventDetails::default()
    };
    ctx.emit(root, T::ExecutionRedriven, details);
    if let Some(seconds) = ctx.machine.timeout_seconds {
        let fire_at = ctx
            .now_ms
            .saturating_add((seconds as i64).saturating_mul(1000));
        ctx.start_timer(fire_at, TimerPurpose::Execution);
    }
    match point.map_run.clone() {
        Some(spec) => redrive_map_run(&mut ctx, root, point, &spec),
        None => {
            flow::enter(&mut ctx, root, &[], point.name, point.input)?;
            // A Parallel or inline Map runs only the children that did
            // not succeed; recorded as `Input::Redrive` (earlier versions)
            // each from its start, else each from where it stopped.
            let mut kept = point.fan_out;
            if matches!(stamped.input, Input::Redrive) {
                // Earlier versions kept only a failed fan-out's results.
                kept = kept.filter(|kept| !kept.stopped).map(|mut kept| {
                    kept.points.clear();
                    kept
                });
            }
            if let Some(current) = root.current.as_mut() {
                current.redrive_children = kept;
            }
        }
    }
    let output = StepOutput {
        events: std::mem::take(&mut ctx.events),
        effects: std::mem::take(&mut ctx.effects),
    };
    drop(ctx);
    next.book.transitions += 1;
    Ok((next, output))
}
