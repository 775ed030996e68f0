//! The Task state: schedule an attempt, take its outcome, time out token
//! tasks with durable timers.

use std::time::Duration;

use serde_json::Value;

use super::context::{json_text, splitmix64, state_details, Ctx};
use super::dataflow;
use super::effect::{Effect, TaskSpec};
use super::error::StepError;
use super::flow::{error_details, fail_state, inconsistent};
use super::state::{Phase, Scope, TaskPhase, TimerPurpose};
use crate::asl::error::{HEARTBEAT_TIMEOUT, TIMEOUT};
use crate::asl::model::{IntegerSource, State, TaskState};
use crate::asl::StatesError;
use crate::history::{EventDetails, HistoryEventType as T};

/// Starts the current attempt of the Task state `def` in `scope`: records
/// `TaskScheduled` and `TaskStarted` and asks the driver to run it.
pub(crate) fn begin(
    ctx: &mut Ctx<'_>,
    scope: &mut Scope,
    def: &TaskState,
) -> Result<(), StatesError> {
    let Some(current) = scope.current.as_ref() else {
        return Err(StatesError::runtime("no current state to schedule"));
    };
    let attempt = current.attempt;
    let token = def
        .wait_for_task_token
        .then(|| task_token(ctx, current.entered_event, attempt));
    let timeout_path = |source: &Option<IntegerSource>| match source {
        Some(IntegerSource::Path(path)) => Some(path.clone()),
        _ => None,
    };
    let (timeout_path, heartbeat_path) = (timeout_path(&def.timeout), timeout_path(&def.heartbeat));
    let needs_context = dataflow::reads_context(
        &[def.parameters.as_ref()],
        &[
            def.input_path.as_ref(),
            timeout_path.as_ref(),
            heartbeat_path.as_ref(),
        ],
    );
    let context = if needs_context {
        dataflow::context_object(ctx.info, current, token.as_deref(), None)
    } else {
        Value::Null
    };
    let input = dataflow::effective_input(
        def.input_path.as_ref(),
        def.parameters.as_ref(),
        &current.input,
        &context,
        ctx,
    )?;
    // `effective_input` already held `input` to the payload limit.
    let timeout_s = seconds(def.timeout.as_ref(), &input, &context)?;
    let heartbeat_s = seconds(def.heartbeat.as_ref(), &input, &context)?;
    let spec = TaskSpec {
        scope: scope.path.clone(),
        state: current.name.clone(),
        attempt,
        resource: def.handler.clone(),
        input,
        idempotency_key: format!(
            "{}:{}:{}:{}",
            ctx.info.id, current.name, current.entered_event, attempt
        ),
        task_token: token,
        timeout: timeout_s.map(Duration::from_secs),
        heartbeat_timeout: heartbeat_s.map(Duration::from_secs),
    };
    let scheduled = EventDetails {
        name: Some(spec.state.clone()),
        resource: Some(def.resource.clone()),
        input: Some(json_text(&spec.input)),
        attempt: Some(attempt),
        timeout_seconds: timeout_s,
        heartbeat_seconds: heartbeat_s,
        ..EventDetails::default()
    };
    ctx.emit(scope, T::TaskScheduled, scheduled);
    let mut started = state_details(&spec.state);
    started.resource = Some(def.resource.clone());
    ctx.emit(scope, T::TaskStarted, started);
    let (mut timeout_timer, mut heartbeat_timer) = (None, None);
    if spec.task_token.is_some() {
        let path = scope.path.clone();
        timeout_timer = timeout_s
            .map(|s| ctx.start_timer(at(ctx.now_ms, s), TimerPurpose::TaskTimeout(path.clone())));
        heartbeat_timer = heartbeat_s
            .map(|s| ctx.start_timer(at(ctx.now_ms, s), TimerPurpose::TaskHeartbeat(path.clone())));
    }
    ctx.effects.push(Effect::ScheduleTask(spec.clone()));
    if let Some(current) = scope.current.as_mut() {
        current.phase = Phase::Task(TaskPhase {
            spec,
            timeout_timer,
            heartbeat_timer,
        });
    }
    Ok(())
}

/// `Input::Continue` or a retry's timer on a Task state: schedule, or fail
/// the state when its input cannot be prepared.
pub(crate) fn run(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    def: &TaskState,
) -> Result<(), StepError> {
    let scope = root
        .descendant_mut(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    match begin(ctx, scope, def) {
        Ok(()) => Ok(()),
        Err(error) => fail_state(ctx, root, path, state, error),
    }
}

/// The running attempt of the Task at `path` returned `result`.
pub(crate) fn succeeded(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    def: &TaskState,
    result: Value,
) -> Result<(), StepError> {
    let scope = root
        .descendant_mut(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let phase = end_attempt(ctx, scope)?;
    let Some(current) = scope.current.as_ref() else {
        return Err(inconsistent(ctx, path, "current state"));
    };
    let mut details = state_details(&current.name);
    details.resource = Some(def.resource.clone());
    details.output = Some(json_text(&result));
    ctx.emit(scope, T::TaskSucceeded, details);
    let Some(current) = scope.current.as_ref() else {
        return Err(inconsistent(ctx, path, "current state"));
    };
    let needs_context =
        dataflow::reads_context(&[def.result_selector.as_ref()], &[def.output_path.as_ref()]);
    let context = if needs_context {
        dataflow::context_object(ctx.info, current, phase.spec.task_token.as_deref(), None)
    } else {
        Value::Null
    };
    dataflow::finish_with_result(ctx, root, path, state, result, &context)
}

/// The running attempt of the Task at `path` failed or timed out.
pub(crate) fn failed(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    error: StatesError,
    timed_out: bool,
) -> Result<(), StepError> {
    let scope = root
        .descendant_mut(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let phase = end_attempt(ctx, scope)?;
    if timed_out {
        // The handler may still be running (a token task's callback wait).
        ctx.effects.push(Effect::CancelTask {
            idempotency_key: phase.spec.idempotency_key.clone(),
        });
    }
    let kind = if timed_out {
        T::TaskTimedOut
    } else {
        T::TaskFailed
    };
    let mut details = error_details(Some(&phase.spec.state), &error);
    details.resource = Some(phase.spec.resource.clone());
    ctx.emit(scope, kind, details);
    fail_state(ctx, root, path, state, error)
}

/// A token task's heartbeat: pushes its heartbeat timer back.
pub(crate) fn heartbeat(ctx: &mut Ctx<'_>, scope: &mut Scope) -> Result<(), StepError> {
    let path = scope.path.clone();
    let Some(Phase::Task(phase)) = scope.current.as_mut().map(|c| &mut c.phase) else {
        return Err(inconsistent(ctx, &path, "running task"));
    };
    if let (Some(old), Some(limit)) = (phase.heartbeat_timer, phase.spec.heartbeat_timeout) {
        ctx.cancel_timer(old);
        let fire_at = ctx.now_ms.saturating_add(limit.as_millis() as i64);
        phase.heartbeat_timer = Some(ctx.start_timer(fire_at, TimerPurpose::TaskHeartbeat(path)));
    }
    Ok(())
}

/// The error a token task's timer raises.
pub(crate) fn timer_error(heartbeat: bool) -> StatesError {
    if heartbeat {
        StatesError::new(HEARTBEAT_TIMEOUT, "no heartbeat within HeartbeatSeconds")
    } else {
        StatesError::new(TIMEOUT, "the task did not finish within TimeoutSeconds")
    }
}

/// Takes the running attempt out of the scope, disarming its timers.
fn end_attempt(ctx: &mut Ctx<'_>, scope: &mut Scope) -> Result<TaskPhase, StepError> {
    let path = scope.path.clone();
    let Some(current) = scope.current.as_mut() else {
        return Err(inconsistent(ctx, &path, "current state"));
    };
    let Phase::Task(phase) = std::mem::replace(&mut current.phase, Phase::Entered) else {
        return Err(inconsistent(ctx, &path, "running task"));
    };
    for timer in [phase.timeout_timer, phase.heartbeat_timer]
        .into_iter()
        .flatten()
    {
        ctx.cancel_timer(timer);
    }
    Ok(phase)
}

/// A task token: the execution id (so `send_task_*` can route it) and 128
/// bits drawn from the transition's seed.
fn task_token(ctx: &mut Ctx<'_>, entered_event: u64, attempt: u32) -> String {
    let high = ctx.random_u64();
    let low = splitmix64(high ^ entered_event ^ (u64::from(attempt) << 32));
    format!("{}.{high:016x}{low:016x}", ctx.info.id)
}

fn seconds(
    source: Option<&IntegerSource>,
    input: &Value,
    context: &Value,
) -> Result<Option<u64>, StatesError> {
    match source {
        None => Ok(None),
        Some(IntegerSource::Literal(value)) => Ok(Some(*value)),
        Some(IntegerSource::Path(path)) => match path.resolve(input, context) {
            Some(Value::Number(n)) if n.as_u64().is_some_and(|s| s > 0) => Ok(n.as_u64()),
            other => Err(StatesError::runtime(format!(
                "{path} must select a positive integer, found {}",
                other
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "nothing".into())
            ))),
        },
    }
}

fn at(now_ms: i64, seconds: u64) -> i64 {
    now_ms.saturating_add((seconds as i64).saturating_mul(1000))
}
