//! Evaluation of a parsed intrinsic call: arguments are resolved (paths
//! against the data or the context object, nested calls first), then the
//! function runs. Failures are `States.IntrinsicFailure`.

use serde_json::Value;

use super::ast::{IntrinsicArg, IntrinsicCall, IntrinsicFunction};
use super::random::RandomSource;
use super::{arrays, encoding, json, math};
use crate::asl::error::StatesError;
use crate::asl::path::type_name;

/// What an intrinsic call is evaluated against.
pub struct IntrinsicContext<'a> {
    /// `$`: the data the enclosing field sees.
    pub data: &'a Value,
    /// `$$`: the context object.
    pub context: &'a Value,
    /// Randomness for MathRandom (unseeded) and UUID.
    pub random: &'a mut dyn RandomSource,
}

/// An evaluated argument; string literals keep their raw text for Format.
pub(crate) struct Arg {
    pub(crate) value: Value,
    /// `Some(raw)` when the argument was a string literal.
    pub(crate) raw: Option<String>,
}

impl IntrinsicCall {
    /// Evaluates the call.
    pub fn evaluate(&self, cx: &mut IntrinsicContext<'_>) -> Result<Value, StatesError> {
        let mut args = Vec::with_capacity(self.args.len());
        for arg in &self.args {
            args.push(resolve(self.function, arg, cx)?);
        }
        dispatch(self.function, args, cx)
    }
}

fn resolve(
    function: IntrinsicFunction,
    arg: &IntrinsicArg,
    cx: &mut IntrinsicContext<'_>,
) -> Result<Arg, StatesError> {
    let value = match arg {
        IntrinsicArg::String(s) => {
            return Ok(Arg {
                value: Value::String(s.value()),
                raw: Some(s.raw.clone()),
            })
        }
        IntrinsicArg::Number(n) => Value::Number(n.clone()),
        IntrinsicArg::Bool(b) => Value::Bool(*b),
        IntrinsicArg::Null => Value::Null,
        IntrinsicArg::Path(p) => p.resolve(cx.data, cx.context).ok_or_else(|| {
            StatesError::intrinsic(format!(
                "{}: the path {} selects nothing in the input",
                function.name(),
                p.as_str()
            ))
        })?,
        IntrinsicArg::Call(c) => c.evaluate(cx)?,
    };
    Ok(Arg { value, raw: None })
}

fn dispatch(
    f: IntrinsicFunction,
    args: Vec<Arg>,
    cx: &mut IntrinsicContext<'_>,
) -> Result<Value, StatesError> {
    use IntrinsicFunction as F;
    match f {
        F::Format => json::format(args),
        F::StringToJson => json::string_to_json(&args),
        F::JsonToString => Ok(Value::String(arg(f, &args, 0)?.to_string())),
        F::JsonMerge => json::json_merge(&args),
        F::Array => Ok(Value::Array(args.into_iter().map(|a| a.value).collect())),
        F::ArrayPartition => arrays::partition(&args),
        F::ArrayContains => arrays::contains(&args),
        F::ArrayRange => arrays::range(&args),
        F::ArrayGetItem => arrays::get_item(&args),
        F::ArrayLength => arrays::length(&args),
        F::ArrayUnique => arrays::unique(&args),
        F::Base64Encode => encoding::base64_encode(&args),
        F::Base64Decode => encoding::base64_decode(&args),
        F::Hash => encoding::hash(&args),
        F::StringSplit => encoding::string_split(&args),
        F::MathRandom => math::random(&args, cx.random),
        F::MathAdd => math::add(&args),
        F::Uuid => Ok(math::uuid(cx.random)),
    }
}

/// Argument `i` (the parser checked arity, so it exists for valid calls).
pub(crate) fn arg(f: IntrinsicFunction, args: &[Arg], i: usize) -> Result<&Value, StatesError> {
    args.get(i)
        .map(|a| &a.value)
        .ok_or_else(|| StatesError::intrinsic(format!("{}: missing argument {}", f.name(), i + 1)))
}

fn bad(f: IntrinsicFunction, i: usize, expected: &str, got: &Value) -> StatesError {
    StatesError::intrinsic(format!(
        "{}: argument {} must be {expected}, got {}",
        f.name(),
        i + 1,
        type_name(got)
    ))
}

/// Argument `i` as a string.
pub(crate) fn string_arg(
    f: IntrinsicFunction,
    args: &[Arg],
    i: usize,
) -> Result<&str, StatesError> {
    let v = arg(f, args, i)?;
    v.as_str().ok_or_else(|| bad(f, i, "a string", v))
}

/// Argument `i` as an array.
pub(crate) fn array_arg(
    f: IntrinsicFunction,
    args: &[Arg],
    i: usize,
) -> Result<&Vec<Value>, StatesError> {
    let v = arg(f, args, i)?;
    v.as_array().ok_or_else(|| bad(f, i, "an array", v))
}

/// Argument `i` as an integer; non-integers are rounded to the nearest
/// integer, as the developer guide says for these functions.
pub(crate) fn integer_arg(
    f: IntrinsicFunction,
    args: &[Arg],
    i: usize,
) -> Result<i64, StatesError> {
    let v = arg(f, args, i)?;
    if let Some(n) = v.as_i64() {
        return Ok(n);
    }
    match v.as_f64() {
        Some(x) if x.is_finite() && x.abs() < 9.0e15 => Ok(x.round() as i64),
        _ => Err(bad(f, i, "an integer", v)),
    }
}
