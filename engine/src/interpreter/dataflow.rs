//! The interpreter's view of the ASL data flow (`crate::asl::dataflow`):
//! builds the context object from the execution, and feeds the
//! transition's seeded randomness to intrinsic functions.

use serde_json::Value;
use time::OffsetDateTime;

use super::context::Ctx;
use super::error::StepError;
use super::flow::{finish_or_fail, inconsistent};
use super::state::{Current, ExecInfo, Scope};
use crate::asl::dataflow::{self as asl_flow, states, ContextObject, DataFlowEnv, DataFlowOptions};
use crate::asl::intrinsic::{IntrinsicArg, IntrinsicCall, SeededRandom};
use crate::asl::model::{ChoiceState, Retrier, State};
use crate::asl::path::{JsonPath, PathRoot, ReferencePath};
use crate::asl::template::{Expression, PayloadTemplate};
use crate::asl::StatesError;

/// The context object (`$$`) of the current state.
pub(crate) fn context_object(
    info: &ExecInfo,
    current: &Current,
    task_token: Option<&str>,
    map_item: Option<(u32, &Value)>,
) -> Value {
    ContextObject {
        execution_id: info.id.to_string(),
        execution_name: info.name.clone(),
        execution_input: info.input.clone(),
        execution_start_time: time_of(info.started_ms),
        role_arn: None,
        redrive_count: u64::from(info.redrive_count),
        state_name: current.name.clone(),
        state_entered_time: time_of(current.entered_ms),
        retry_count: u64::from(current.attempt),
        state_machine_id: format!("shoal:stateMachine:{}", info.state_machine),
        state_machine_name: info.state_machine.clone(),
        task_token: task_token.map(str::to_string),
        map_item: map_item.map(|(index, value)| (u64::from(index), value.clone())),
    }
    .to_value()
}

/// InputPath then Parameters.
pub(crate) fn effective_input(
    input_path: Option<&JsonPath>,
    parameters: Option<&PayloadTemplate>,
    raw: &Value,
    context: &Value,
    ctx: &mut Ctx<'_>,
) -> Result<Value, StatesError> {
    let (mut random, options) = env_parts(ctx);
    let mut env = DataFlowEnv {
        context,
        random: &mut random,
        options: &options,
    };
    states::effective_input(input_path, parameters, raw, &mut env)
}

/// ResultSelector, ResultPath, OutputPath.
pub(crate) fn apply_result(
    raw: &Value,
    result: Value,
    result_selector: Option<&PayloadTemplate>,
    result_path: Option<&ReferencePath>,
    output_path: Option<&JsonPath>,
    context: &Value,
    ctx: &mut Ctx<'_>,
) -> Result<Value, StatesError> {
    let (mut random, options) = env_parts(ctx);
    let mut env = DataFlowEnv {
        context,
        random: &mut random,
        options: &options,
    };
    states::state_output(
        result_selector,
        result_path,
        output_path,
        raw,
        result,
        &mut env,
    )
}

/// The state at `path` produced `result`: its ResultSelector, ResultPath
/// and OutputPath (Pass: ResultPath and OutputPath) are applied against
/// its raw input, then it finishes with the output, or fails with the
/// data-flow error (which its Retry and Catch see). `context` is `$$`
/// (`Value::Null` when the fields do not read it). Every state that has a
/// result ends through here.
pub(crate) fn finish_with_result(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    result: Value,
    context: &Value,
) -> Result<(), StepError> {
    let (selector, result_path, output_path) = match state {
        State::Task(def) => (&def.result_selector, &def.result_path, &def.output_path),
        State::Parallel(def) => (&def.result_selector, &def.result_path, &def.output_path),
        State::Map(def) => (&def.result_selector, &def.result_path, &def.output_path),
        State::Pass(def) => (&None, &def.result_path, &def.output_path),
        _ => return Err(inconsistent(ctx, path, "state with a result")),
    };
    // Borrowed, not cloned: the scopes are only read until the output is
    // known.
    let raw = &root
        .descendant(path)
        .and_then(|scope| scope.current.as_ref())
        .ok_or_else(|| inconsistent(ctx, path, "current state"))?
        .input;
    let output = apply_result(
        raw,
        result,
        selector.as_ref(),
        result_path.as_ref(),
        output_path.as_ref(),
        context,
        ctx,
    );
    finish_or_fail(ctx, root, path, state, output)
}

/// InputPath alone.
pub(crate) fn input_path(
    path: Option<&JsonPath>,
    raw: &Value,
    context: &Value,
) -> Result<Value, StatesError> {
    asl_flow::apply_input_path(path, raw, context)
}

/// OutputPath alone.
pub(crate) fn output_path(
    path: Option<&JsonPath>,
    value: Value,
    context: &Value,
) -> Result<Value, StatesError> {
    asl_flow::apply_output_path(path, &value, context)
}

/// A payload template (ItemSelector) against `data`.
pub(crate) fn template(
    template: &PayloadTemplate,
    data: &Value,
    context: &Value,
    ctx: &mut Ctx<'_>,
) -> Result<Value, StatesError> {
    let (mut random, options) = env_parts(ctx);
    let mut env = DataFlowEnv {
        context,
        random: &mut random,
        options: &options,
    };
    asl_flow::apply_template(template, data, &mut env)
}

/// A Fail state's ErrorPath / CausePath, as text.
pub(crate) fn expression_text(
    expression: &Expression,
    data: &Value,
    context: &Value,
    ctx: &mut Ctx<'_>,
) -> Result<String, StatesError> {
    let (mut random, options) = env_parts(ctx);
    let mut env = DataFlowEnv {
        context,
        random: &mut random,
        options: &options,
    };
    match asl_flow::evaluate_expression(expression, data, &mut env)? {
        Value::String(text) => Ok(text),
        other => Err(StatesError::runtime(format!(
            "ErrorPath/CausePath must select a string, found {other}"
        ))),
    }
}

/// The Next of the first Choice rule that holds, or the Default.
pub(crate) fn choose<'d>(
    def: &'d ChoiceState,
    input: &Value,
    context: &Value,
) -> Result<Option<&'d str>, StatesError> {
    crate::asl::choice::evaluate(def, input, context)
}

/// The back-off before retry number `used + 1`, in ms.
pub(crate) fn retry_delay_ms(retrier: &Retrier, used: u32, random_unit: f64) -> i64 {
    let delay = crate::asl::retry::retry_delay_ms(retrier, u64::from(used) + 1, random_unit);
    i64::try_from(delay).unwrap_or(i64::MAX)
}

/// `States.DataLimitExceeded` when `value` is larger than `limit_bytes`.
pub(crate) fn check_payload(value: &Value, limit_bytes: usize) -> Result<(), StatesError> {
    let options = DataFlowOptions::new().with_payload_limit_bytes(limit_bytes);
    asl_flow::check_payload_size(value, &options, "state output")
}

fn env_parts(ctx: &mut Ctx<'_>) -> (SeededRandom, DataFlowOptions) {
    let random = SeededRandom::new(ctx.random_u64());
    let options =
        DataFlowOptions::new().with_payload_limit_bytes(ctx.info.options.payload_limit_bytes);
    (random, options)
}

fn time_of(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Whether evaluating these templates and paths may read `$$`. When not,
/// callers pass `null` instead of building the context object, which
/// formats timestamps and clones the execution input on every state.
pub(crate) fn reads_context(
    templates: &[Option<&PayloadTemplate>],
    paths: &[Option<&JsonPath>],
) -> bool {
    templates
        .iter()
        .flatten()
        .any(|t| template_reads_context(t))
        || paths
            .iter()
            .flatten()
            .any(|p| p.root() == PathRoot::Context)
}

fn template_reads_context(template: &PayloadTemplate) -> bool {
    match template {
        PayloadTemplate::Literal(_) => false,
        PayloadTemplate::Object(members) => members.iter().any(|(_, t)| template_reads_context(t)),
        PayloadTemplate::Array(items) => items.iter().any(template_reads_context),
        PayloadTemplate::Expression(Expression::Path(path)) => path.root() == PathRoot::Context,
        PayloadTemplate::Expression(Expression::Intrinsic(call)) => call_reads_context(call),
    }
}

fn call_reads_context(call: &IntrinsicCall) -> bool {
    call.args.iter().any(|arg| match arg {
        IntrinsicArg::Path(path) => path.root() == PathRoot::Context,
        IntrinsicArg::Call(inner) => call_reads_context(inner),
        _ => false,
    })
}
