//! Intrinsic functions (`States.Format(...)` and friends): parsing at
//! registration time and evaluation at run time.
//!
//! Evaluation is deterministic given its inputs: `States.MathRandom` and
//! `States.UUID` draw from a caller-supplied [`RandomSource`], so a runtime
//! that seeds it from the transition (e.g. execution id + event id) replays a
//! transition identically after a crash.
//!
//! Behaviour worth knowing (see `docs/asl.md`): integer arguments that are not
//! integers are rounded to the nearest integer; a path argument that selects
//! nothing is a `States.IntrinsicFailure`; calls nest at most 10 deep.

mod arrays;
mod ast;
mod encoding;
mod eval;
mod json;
mod math;
mod parse;
mod random;

pub use arrays::ARRAY_RANGE_MAX_ITEMS;
pub use ast::{IntrinsicArg, IntrinsicCall, IntrinsicFunction, StringLiteral};
pub use encoding::MAX_INPUT_CHARS;
pub use eval::IntrinsicContext;
pub(crate) use parse::parse_json_number;
pub use parse::{looks_like_intrinsic, IntrinsicSyntaxError, MAX_NESTING};
pub use random::{RandomSource, SeededRandom};
