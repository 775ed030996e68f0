//! Children of a Parallel or inline Map state: nested scopes of the same
//! execution, started in index order (at most `max_concurrency` at a time),
//! their results kept in index order.

use std::collections::BTreeMap;

use serde_json::Value;

use super::body::{body_of, current_state};
use super::context::{json_text, state_details, Ctx};
use super::dataflow;
use super::effect::Effect;
use super::error::StepError;
use super::flow::{error_details, fail_state, inconsistent, Outcome};
use super::state::{Current, FanOut, KeptChildren, Phase, RedrivePoint, Scope};
use crate::history::{EventDetails, HistoryEventType as T};

/// Starts the children of the state at `path`, one per entry of `inputs`.
pub(crate) fn start(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    inputs: Vec<Value>,
    is_map: bool,
    max_concurrency: u32,
) -> Result<(), StepError> {
    let scope = root
        .descendant_mut(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let name = scope
        .current
        .as_ref()
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let mut details = state_details(&name);
    let kind = if is_map {
        details.length = Some(inputs.len() as u32);
        T::MapStateStarted
    } else {
        T::ParallelStateStarted
    };
    let started_event = ctx.emit(scope, kind, details);
    let count = inputs.len();
    let current = scope
        .current
        .as_mut()
        .ok_or_else(|| inconsistent(ctx, path, "current state"))?;
    current.failed_children = None;
    // After a redrive, the children that succeeded keep their results and
    // are not run again, and the others restart where they stopped (only
    // if the children are the same in number).
    let (results, resume) = match current.redrive_children.take() {
        Some(kept) if kept.results.len() == count => {
            let KeptChildren {
                results, points, ..
            } = *kept;
            let resume = points
                .iter()
                .any(Option::is_some)
                .then(|| points.into_boxed_slice());
            (results, resume)
        }
        _ => (vec![None; count], None),
    };
    let done = results.iter().filter(|r| r.is_some()).count();
    current.phase = Phase::FanOut(FanOut {
        running: BTreeMap::new(),
        results,
        inputs,
        next_index: 0,
        max_concurrency,
        started_event,
        is_map,
        resume,
    });
    if count == done {
        return all_done(ctx, root, path);
    }
    while start_next(ctx, root, path)? {}
    Ok(())
}

/// Starts the next child if the concurrency limit allows; false when none
/// was started.
fn start_next(ctx: &mut Ctx<'_>, root: &mut Scope, path: &[u32]) -> Result<bool, StepError> {
    let machine = ctx.machine;
    let scope = root
        .descendant_mut(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let Some(Phase::FanOut(fan_out)) = scope.current.as_mut().map(|c| &mut c.phase) else {
        return Err(inconsistent(ctx, path, "Parallel or Map state"));
    };
    skip_kept(fan_out);
    let index = fan_out.next_index;
    let limit = fan_out.max_concurrency as usize;
    if index as usize >= fan_out.inputs.len() || (limit > 0 && fan_out.running.len() >= limit) {
        return Ok(false);
    }
    fan_out.next_index += 1;
    let input = std::mem::take(&mut fan_out.inputs[index as usize]);
    let mut resume_at = fan_out
        .resume
        .as_mut()
        .and_then(|points| points.get_mut(index as usize))
        .and_then(Option::take);
    let mut child_path = path.to_vec();
    child_path.push(index);
    let mut child = Scope::new(child_path.clone(), fan_out.started_event);
    if fan_out.is_map {
        let details = EventDetails {
            name: scope.current.as_ref().map(|c| c.name.clone()),
            index: Some(index),
            ..EventDetails::default()
        };
        ctx.emit(&mut child, T::MapIterationStarted, details);
    }
    // A redriven child stopped in a DISTRIBUTED Map whose run started:
    // that run is redriven, as at the top level.
    let run_point = resume_at.take_if(|point| point.map_run.is_some());
    let run_redriven = run_point.is_some();
    if let Some(point) = run_point {
        if let Some(spec) = point.map_run.clone() {
            super::redrive::redrive_map_run(ctx, &mut child, point, &spec);
        }
    }
    let Some(Phase::FanOut(fan_out)) = scope.current.as_mut().map(|c| &mut c.phase) else {
        return Err(inconsistent(ctx, path, "Parallel or Map state"));
    };
    fan_out.running.insert(index, child);
    if run_redriven {
        return Ok(true);
    }
    if let Some(point) = resume_at {
        // A redriven child: its unfinished state again, with its input.
        super::flow::enter(ctx, root, &child_path, point.name, point.input)?;
        if let Some(current) = root
            .descendant_mut(&child_path)
            .and_then(|child| child.current.as_mut())
        {
            current.redrive_children = point.fan_out;
        }
        return Ok(true);
    }
    let start_at = body_of(machine, root, &child_path)
        .ok_or_else(|| inconsistent(ctx, &child_path, "branch"))?
        .start_at
        .to_string();
    super::flow::enter(ctx, root, &child_path, start_at, input)?;
    Ok(true)
}

/// Moves `next_index` past children that already have a result: those
/// that succeeded before a redrive are kept, not run again.
fn skip_kept(fan_out: &mut FanOut) {
    while fan_out
        .results
        .get(fan_out.next_index as usize)
        .is_some_and(Option::is_some)
    {
        fan_out.next_index += 1;
    }
}

/// Child `index` of the state at `parent` ended with `outcome`; `ended`
/// is the state it was in (where a redrive restarts it if it failed).
pub(crate) fn child_done(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    parent: &[u32],
    index: u32,
    outcome: Outcome,
    ended: Option<Current>,
) -> Result<(), StepError> {
    let machine = ctx.machine;
    let state = current_state(machine, root, parent)
        .ok_or_else(|| inconsistent(ctx, parent, "Parallel or Map state"))?;
    let scope = root
        .descendant_mut(parent)
        .ok_or_else(|| inconsistent(ctx, parent, "scope"))?;
    let name = scope
        .current
        .as_ref()
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let Some(Phase::FanOut(fan_out)) = scope.current.as_mut().map(|c| &mut c.phase) else {
        return Err(inconsistent(ctx, parent, "Parallel or Map state"));
    };
    let Some(mut child) = fan_out.running.remove(&index) else {
        return Err(inconsistent(ctx, parent, "child"));
    };
    let is_map = fan_out.is_map;
    match outcome {
        Ok(output) => {
            if let Some(slot) = fan_out.results.get_mut(index as usize) {
                *slot = Some(output);
            }
            if is_map {
                let details = EventDetails {
                    name: Some(name),
                    index: Some(index),
                    ..EventDetails::default()
                };
                ctx.emit(&mut child, T::MapIterationSucceeded, details);
            }
            skip_kept(fan_out);
            let finished =
                fan_out.running.is_empty() && fan_out.next_index as usize >= fan_out.inputs.len();
            if finished {
                return all_done(ctx, root, parent);
            }
            while start_next(ctx, root, parent)? {}
            Ok(())
        }
        Err(error) => {
            if is_map {
                let mut details = error_details(Some(&name), &error);
                details.index = Some(index);
                ctx.emit(&mut child, T::MapIterationFailed, details);
            }
            for sibling in fan_out.running.values() {
                abort_tree(ctx, sibling);
            }
            let mut kept = Box::new(KeptChildren::of(fan_out, false));
            if let Some(point) = kept.points.get_mut(index as usize) {
                *point = ended.map(RedrivePoint::of);
            }
            let kind = if is_map {
                T::MapStateFailed
            } else {
                T::ParallelStateFailed
            };
            ctx.emit(scope, kind, error_details(Some(&name), &error));
            if let Some(current) = scope.current.as_mut() {
                current.phase = Phase::Entered;
                current.failed_children = Some(kept);
            }
            fail_state(ctx, root, parent, state, error)
        }
    }
}

/// Every child succeeded: the results array goes through ResultSelector,
/// ResultPath and OutputPath.
fn all_done(ctx: &mut Ctx<'_>, root: &mut Scope, path: &[u32]) -> Result<(), StepError> {
    let machine = ctx.machine;
    let state = current_state(machine, root, path)
        .ok_or_else(|| inconsistent(ctx, path, "Parallel or Map state"))?;
    let scope = root
        .descendant_mut(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let Some(current) = scope.current.as_mut() else {
        return Err(inconsistent(ctx, path, "current state"));
    };
    let Phase::FanOut(fan_out) = std::mem::replace(&mut current.phase, Phase::Entered) else {
        return Err(inconsistent(ctx, path, "Parallel or Map state"));
    };
    let results = Value::Array(
        fan_out
            .results
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect(),
    );
    let name = current.name.clone();
    let kind = if fan_out.is_map {
        T::MapStateSucceeded
    } else {
        T::ParallelStateSucceeded
    };
    let mut details = state_details(&name);
    details.output = Some(json_text(&results));
    ctx.emit(scope, kind, details);
    let Some(current) = scope.current.as_ref() else {
        return Err(inconsistent(ctx, path, "current state"));
    };
    let context = dataflow::context_object(ctx.info, current, None, None);
    dataflow::finish_with_result(ctx, root, path, state, results, &context)
}

/// Cancels everything a scope and its descendants wait for: timers and
/// running task attempts.
pub(crate) fn abort_tree(ctx: &mut Ctx<'_>, scope: &Scope) {
    let Some(current) = scope.current.as_ref() else {
        return;
    };
    match &current.phase {
        Phase::Entered => {}
        Phase::Task(task) => {
            for timer in [task.timeout_timer, task.heartbeat_timer]
                .into_iter()
                .flatten()
            {
                ctx.cancel_timer(timer);
            }
            ctx.effects.push(Effect::CancelTask {
                idempotency_key: task.spec.idempotency_key.clone(),
            });
        }
        Phase::Backoff(timer) | Phase::Wait(timer) => ctx.cancel_timer(*timer),
        Phase::MapRun(spec) => ctx.effects.push(Effect::StopMapRun {
            arn: spec.arn.clone(),
        }),
        Phase::FanOut(fan_out) => {
            for child in fan_out.running.values() {
                abort_tree(ctx, child);
            }
        }
    }
}
