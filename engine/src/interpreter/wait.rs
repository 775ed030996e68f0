//! The Wait state: a durable timer at an absolute wall time.

use serde_json::Value;

use super::context::Ctx;
use super::dataflow;
use super::error::StepError;
use super::flow::{fail_state, finish_or_fail, inconsistent};
use super::state::{Phase, Scope, TimerPurpose};
use crate::asl::model::{State, WaitFor, WaitState};
use crate::asl::timestamp::parse_timestamp;
use crate::asl::StatesError;

/// Arms the Wait's timer (its fire time is absolute, so a restart neither
/// shortens nor lengthens the wait).
pub(crate) fn begin(
    ctx: &mut Ctx<'_>,
    scope: &mut Scope,
    def: &WaitState,
) -> Result<(), StatesError> {
    let Some(current) = scope.current.as_ref() else {
        return Err(StatesError::runtime("no current state to wait in"));
    };
    let context = dataflow::context_object(ctx.info, current, None, None);
    let input = dataflow::input_path(def.input_path.as_ref(), &current.input, &context)?;
    let fire_at_ms = match &def.wait {
        WaitFor::Seconds(seconds) => after(ctx.now_ms, *seconds),
        WaitFor::Timestamp(at) => unix_ms(*at),
        WaitFor::SecondsPath(path) => match path.resolve(&input, &context) {
            Some(Value::Number(n)) if n.as_u64().is_some() => {
                after(ctx.now_ms, n.as_u64().unwrap_or_default())
            }
            other => return Err(bad_path(path.as_str(), "a non-negative integer", other)),
        },
        WaitFor::TimestampPath(path) => match path.resolve(&input, &context) {
            Some(Value::String(text)) => match parse_timestamp(&text) {
                Some(at) => unix_ms(at),
                None => {
                    return Err(bad_path(
                        path.as_str(),
                        "a timestamp",
                        Some(Value::String(text)),
                    ))
                }
            },
            other => return Err(bad_path(path.as_str(), "a timestamp", other)),
        },
    };
    let timer = ctx.start_timer(fire_at_ms, TimerPurpose::Wait(scope.path.clone()));
    if let Some(current) = scope.current.as_mut() {
        current.phase = Phase::Wait(timer);
    }
    Ok(())
}

/// `Input::Continue` on a Wait whose timer could not be armed on entry.
pub(crate) fn run(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    def: &WaitState,
) -> Result<(), StepError> {
    let scope = root
        .descendant_mut(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    match begin(ctx, scope, def) {
        Ok(()) => Ok(()),
        Err(error) => fail_state(ctx, root, path, state, error),
    }
}

/// The Wait's timer fired: the state's output is its (path-filtered) input.
pub(crate) fn fired(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    def: &WaitState,
) -> Result<(), StepError> {
    let scope = root
        .descendant(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let current = scope
        .current
        .as_ref()
        .ok_or_else(|| inconsistent(ctx, path, "current state"))?;
    let context = dataflow::context_object(ctx.info, current, None, None);
    let output = dataflow::input_path(def.input_path.as_ref(), &current.input, &context)
        .and_then(|input| dataflow::output_path(def.output_path.as_ref(), input, &context));
    finish_or_fail(ctx, root, path, state, output)
}

fn after(now_ms: i64, seconds: u64) -> i64 {
    now_ms.saturating_add((seconds.min(i64::MAX as u64 / 1000) as i64) * 1000)
}

fn unix_ms(at: time::OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

fn bad_path(path: &str, expected: &str, found: Option<Value>) -> StatesError {
    StatesError::runtime(format!(
        "{path} must select {expected}, found {}",
        found
            .map(|v| v.to_string())
            .unwrap_or_else(|| "nothing".into())
    ))
}
