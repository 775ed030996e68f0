//! Data flow through a state, one function per stage, in the order the ASL
//! specification applies them:
//!
//! 1. [`apply_input_path`] — raw input → InputPath (`null` gives `{}`);
//! 2. [`apply_template`] — Parameters / ItemSelector (and ResultSelector on
//!    a result): `.$` members from paths, `$$` and intrinsic functions;
//! 3. the task runs (not here);
//! 4. [`apply_template`] with the result — ResultSelector;
//! 5. [`apply_result_path`] — places the result into the raw input (`null`
//!    discards it);
//! 6. [`apply_output_path`] — OutputPath (`null` gives `{}`).
//!
//! [`check_payload_size`] enforces the payload limit and the nesting bound
//! (`States.DataLimitExceeded`). The per-state helpers in [`states`] chain
//! these for each state type. Nothing here does I/O or reads a clock.

mod context;
pub mod nesting;
pub mod states;

pub use context::{with_map_item, ContextObject};
pub use nesting::{drop_iteratively, nesting_exceeds, JSON_NESTING_LEVELS_MAX};

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::asl::error::{StatesError, DATA_LIMIT_EXCEEDED};
use crate::asl::intrinsic::{IntrinsicContext, RandomSource};
use crate::asl::path::{JsonPath, ReferencePath};
use crate::asl::template::{Expression, PayloadTemplate};

/// Step Functions' payload limit: 256 KiB of serialized JSON.
pub const DEFAULT_PAYLOAD_LIMIT_BYTES: usize = 262_144;

/// Options of the data flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFlowOptions {
    payload_limit_bytes: usize,
}

impl Default for DataFlowOptions {
    fn default() -> Self {
        Self {
            payload_limit_bytes: DEFAULT_PAYLOAD_LIMIT_BYTES,
        }
    }
}

impl DataFlowOptions {
    /// The default options (256 KiB payload limit).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the largest serialized size, in bytes, of a state's input,
    /// effective input, result or output.
    pub fn with_payload_limit_bytes(mut self, bytes: usize) -> Self {
        self.payload_limit_bytes = bytes;
        self
    }

    /// The payload limit in bytes.
    pub fn payload_limit_bytes(&self) -> usize {
        self.payload_limit_bytes
    }
}

/// What the stages that evaluate expressions need besides the data.
pub struct DataFlowEnv<'a> {
    /// The context object (`$$`), e.g. from [`ContextObject::to_value`].
    pub context: &'a Value,
    /// Randomness for intrinsic functions (seed it per transition).
    pub random: &'a mut dyn RandomSource,
    /// Limits.
    pub options: &'a DataFlowOptions,
}

/// Fails with `States.DataLimitExceeded` when `value` serializes to more
/// than the limit, or nests deeper than [`JSON_NESTING_LEVELS_MAX`] (it could
/// not be parsed back); `what` names the payload in the cause.
pub fn check_payload_size(
    value: &Value,
    options: &DataFlowOptions,
    what: &str,
) -> Result<(), StatesError> {
    // Depth first: measuring the size serializes, which recurses per level.
    if nesting_exceeds(value, JSON_NESTING_LEVELS_MAX) {
        return Err(StatesError::new(
            DATA_LIMIT_EXCEEDED,
            format!("The {what} is nested more than {JSON_NESTING_LEVELS_MAX} levels deep"),
        ));
    }
    let size = serialized_len(value);
    if size > options.payload_limit_bytes {
        return Err(StatesError::new(
            DATA_LIMIT_EXCEEDED,
            format!(
                "The {what} ({size} bytes) exceeds the maximum of {} bytes",
                options.payload_limit_bytes
            ),
        ));
    }
    Ok(())
}

/// The length of `value`'s compact JSON text, without building the string.
fn serialized_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing into a counter cannot fail; on the impossible error count nothing more.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// The value `path` selects, borrowed when possible; a definite path that
/// selects nothing is `States.Runtime` naming `field`.
pub(crate) fn select_ref<'v>(
    path: &JsonPath,
    data: &'v Value,
    context: &'v Value,
    field: &str,
) -> Result<Cow<'v, Value>, StatesError> {
    path.resolve_ref(data, context).ok_or_else(|| {
        StatesError::runtime(format!(
            "Invalid path '{}' in {field}: no value at this path in the input",
            path.as_str()
        ))
    })
}

/// InputPath: `None` (JSON `null`) gives `{}`; a definite path that selects
/// nothing is `States.Runtime`.
pub fn apply_input_path(
    path: Option<&JsonPath>,
    raw_input: &Value,
    context: &Value,
) -> Result<Value, StatesError> {
    match path {
        None => Ok(Value::Object(Map::new())),
        Some(p) => select_ref(p, raw_input, context, "InputPath").map(Cow::into_owned),
    }
}

/// OutputPath: `None` (JSON `null`) gives `{}`; a definite path that selects
/// nothing is `States.Runtime`.
pub fn apply_output_path(
    path: Option<&JsonPath>,
    data: &Value,
    context: &Value,
) -> Result<Value, StatesError> {
    match path {
        None => Ok(Value::Object(Map::new())),
        Some(p) => select_ref(p, data, context, "OutputPath").map(Cow::into_owned),
    }
}

/// [`apply_output_path`] on an owned value: the common `$` costs no copy.
pub fn apply_output_path_owned(
    path: Option<&JsonPath>,
    data: Value,
    context: &Value,
) -> Result<Value, StatesError> {
    match path {
        Some(p) if p.is_data_root() => Ok(data),
        _ => apply_output_path(path, &data, context),
    }
}

/// ResultPath: `None` (JSON `null`) keeps the raw input; `$` gives the
/// result; otherwise the result is placed into a copy of the raw input
/// (`States.ResultPathMatchFailure` when it cannot be).
pub fn apply_result_path(
    path: Option<&ReferencePath>,
    raw_input: &Value,
    result: Value,
) -> Result<Value, StatesError> {
    let Some(path) = path else {
        return Ok(raw_input.clone());
    };
    if path.segments().is_empty() {
        return Ok(result);
    }
    let mut output = raw_input.clone();
    path.set(&mut output, result)
        .map_err(|e| StatesError::result_path(e.to_string()))?;
    Ok(output)
}

/// Evaluates one `.$` expression against `data`.
pub fn evaluate_expression(
    expr: &Expression,
    data: &Value,
    env: &mut DataFlowEnv<'_>,
) -> Result<Value, StatesError> {
    match expr {
        Expression::Path(p) => p.resolve(data, env.context).ok_or_else(|| {
            StatesError::parameter_path(format!(
                "The JSONPath '{}' could not be found in the input",
                p.as_str()
            ))
        }),
        Expression::Intrinsic(call) => call.evaluate(&mut IntrinsicContext {
            data,
            context: env.context,
            random: &mut *env.random,
        }),
    }
}

/// Builds a payload from a template (Parameters, ItemSelector,
/// ResultSelector, BatchInput) against `data`. A `.$` path that selects
/// nothing is `States.ParameterPathFailure`; an intrinsic that fails is
/// `States.IntrinsicFailure`.
pub fn apply_template(
    template: &PayloadTemplate,
    data: &Value,
    env: &mut DataFlowEnv<'_>,
) -> Result<Value, StatesError> {
    match template {
        PayloadTemplate::Literal(v) => Ok(v.clone()),
        PayloadTemplate::Expression(e) => evaluate_expression(e, data, env),
        PayloadTemplate::Array(items) => items
            .iter()
            .map(|t| apply_template(t, data, env))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        PayloadTemplate::Object(members) => {
            let mut out = Map::with_capacity(members.len());
            for (name, t) in members {
                out.insert(name.clone(), apply_template(t, data, env)?);
            }
            Ok(Value::Object(out))
        }
    }
}
