//! The array intrinsics: ArrayPartition, ArrayContains, ArrayRange,
//! ArrayGetItem, ArrayLength, ArrayUnique (States.Array is in `eval`).

use serde_json::Value;

use super::ast::IntrinsicFunction as F;
use super::eval::{arg, array_arg, integer_arg, Arg};
use crate::asl::error::StatesError;

/// Largest array States.ArrayRange may build.
pub const ARRAY_RANGE_MAX_ITEMS: usize = 1000;

pub(crate) fn partition(args: &[Arg]) -> Result<Value, StatesError> {
    let items = array_arg(F::ArrayPartition, args, 0)?;
    let size = integer_arg(F::ArrayPartition, args, 1)?;
    let size = usize::try_from(size)
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| {
            StatesError::intrinsic(format!(
                "States.ArrayPartition: the chunk size must be a positive integer, got {size}"
            ))
        })?;
    Ok(Value::Array(
        items
            .chunks(size)
            .map(|c| Value::Array(c.to_vec()))
            .collect(),
    ))
}

pub(crate) fn contains(args: &[Arg]) -> Result<Value, StatesError> {
    let items = array_arg(F::ArrayContains, args, 0)?;
    let needle = arg(F::ArrayContains, args, 1)?;
    Ok(Value::Bool(items.iter().any(|v| json_equal(v, needle))))
}

pub(crate) fn range(args: &[Arg]) -> Result<Value, StatesError> {
    let start = integer_arg(F::ArrayRange, args, 0)?;
    let end = integer_arg(F::ArrayRange, args, 1)?;
    let step = integer_arg(F::ArrayRange, args, 2)?;
    if step == 0 {
        return Err(StatesError::intrinsic(
            "States.ArrayRange: the step must not be 0",
        ));
    }
    let mut out = Vec::new();
    let mut v = start;
    while (step > 0 && v <= end) || (step < 0 && v >= end) {
        if out.len() == ARRAY_RANGE_MAX_ITEMS {
            return Err(StatesError::intrinsic(format!(
                "States.ArrayRange: the result would have more than {ARRAY_RANGE_MAX_ITEMS} items"
            )));
        }
        out.push(Value::from(v));
        match v.checked_add(step) {
            Some(n) => v = n,
            None => break,
        }
    }
    Ok(Value::Array(out))
}

pub(crate) fn get_item(args: &[Arg]) -> Result<Value, StatesError> {
    let items = array_arg(F::ArrayGetItem, args, 0)?;
    let index = integer_arg(F::ArrayGetItem, args, 1)?;
    usize::try_from(index)
        .ok()
        .and_then(|i| items.get(i))
        .cloned()
        .ok_or_else(|| {
            StatesError::intrinsic(format!(
                "States.ArrayGetItem: index {index} is out of bounds for an array of length {}",
                items.len()
            ))
        })
}

pub(crate) fn length(args: &[Arg]) -> Result<Value, StatesError> {
    Ok(Value::from(array_arg(F::ArrayLength, args, 0)?.len()))
}

pub(crate) fn unique(args: &[Arg]) -> Result<Value, StatesError> {
    let items = array_arg(F::ArrayUnique, args, 0)?;
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for v in items {
        if !out.iter().any(|o| json_equal(o, v)) {
            out.push(v.clone());
        }
    }
    Ok(Value::Array(out))
}

/// JSON equality where numbers compare by value (1 equals 1.0).
pub(crate) fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}
