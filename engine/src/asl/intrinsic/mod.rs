//! Intrinsic functions (`States.Format(...)` and friends): parsing at
//! registration time and evaluation at run time.
//!
//! Evaluation is deterministic given its inputs: `States.MathRandom` and
//! `States.UUID` draw from a caller-supplied [`RandomSource`], so a runtime
//! that seeds it from the transition (e.g. execution id + event id) replays a
//! transition identically after a crash.

mod ast;
mod parse;

pub use ast::{IntrinsicArg, IntrinsicCall, IntrinsicFunction, StringLiteral};
pub use parse::{looks_like_intrinsic, IntrinsicSyntaxError};
