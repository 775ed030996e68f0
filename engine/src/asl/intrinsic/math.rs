//! Math and identifier intrinsics: MathRandom, MathAdd, UUID.

use serde_json::Value;

use super::ast::IntrinsicFunction as F;
use super::eval::{integer_arg, Arg};
use super::random::{RandomSource, SeededRandom};
use crate::asl::error::StatesError;

/// `States.MathRandom(start, end[, seed])`: an integer in `[start, end)`.
/// With a seed the result depends only on the seed (as AWS documents);
/// without one it comes from the caller's random source.
pub(crate) fn random(args: &[Arg], source: &mut dyn RandomSource) -> Result<Value, StatesError> {
    let start = integer_arg(F::MathRandom, args, 0)?;
    let end = integer_arg(F::MathRandom, args, 1)?;
    if start >= end {
        return Err(StatesError::intrinsic(format!(
            "States.MathRandom: start ({start}) must be less than end ({end})"
        )));
    }
    let span = u64::try_from(i128::from(end) - i128::from(start)).unwrap_or(u64::MAX);
    let word = if args.len() > 2 {
        let seed = integer_arg(F::MathRandom, args, 2)?;
        SeededRandom::new(u64::from_ne_bytes(seed.to_ne_bytes())).next_u64()
    } else {
        source.next_u64()
    };
    let offset = i128::from(word % span);
    let value = i64::try_from(i128::from(start) + offset).unwrap_or(start);
    Ok(Value::from(value))
}

/// The range of MathAdd operands and results (32-bit signed, as AWS).
const MATH_ADD_RANGE: std::ops::RangeInclusive<i64> = -2_147_483_648..=2_147_483_647;

/// `States.MathAdd(a, b)`: the sum of two integers in the 32-bit range.
pub(crate) fn add(args: &[Arg]) -> Result<Value, StatesError> {
    let a = integer_arg(F::MathAdd, args, 0)?;
    let b = integer_arg(F::MathAdd, args, 1)?;
    for v in [a, b] {
        if !MATH_ADD_RANGE.contains(&v) {
            return Err(StatesError::intrinsic(format!(
                "States.MathAdd: {v} is outside -2147483648..2147483647"
            )));
        }
    }
    Ok(Value::from(a + b))
}

/// `States.UUID()`: a version 4 UUID built from the caller's random source.
pub(crate) fn uuid(source: &mut dyn RandomSource) -> Value {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&source.next_u64().to_be_bytes());
    bytes[8..].copy_from_slice(&source.next_u64().to_be_bytes());
    Value::String(
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string(),
    )
}
