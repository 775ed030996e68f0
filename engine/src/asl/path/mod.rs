//! Paths: JSONPath (InputPath, OutputPath, ItemsPath, `.$` values, Choice
//! `Variable`, `*Path` fields) and reference paths (ResultPath).
//!
//! Paths are parsed once, when a definition is registered, into a compiled
//! [`JsonPath`]; evaluation never re-parses text.
//!
//! Supported JSONPath subset (documented in `docs/asl.md`):
//! - roots `$` (the state's data) and `$$` (the context object);
//! - `.name`, `['name']` / `["name"]` (with `\'` `\"` `\\` escapes),
//!   `['a','b']` unions of names;
//! - `[n]` indices, negative counting from the end, `[0,2]` unions;
//! - `.*` / `[*]` wildcards, `[start:end]` slices (either bound optional,
//!   negative allowed), `..` deep scan before any selector;
//! - `[?(expr)]` filters: `@`-relative paths (existence test), comparisons
//!   `== != < <= > >=` against numbers, strings, booleans and null, combined
//!   with `&&`, `||`, `!` and parentheses.
//!
//! A path made only of names and indices is *definite*: it selects at most one
//! value. Any other path is *indefinite* and its result is the array of all
//! matches (possibly empty), as Step Functions returns it.

mod eval;
mod filter;
mod json_path;
mod parse;
mod reference;

pub use filter::{FilterExpr, FilterOp, FilterOperand};
pub use json_path::{JsonPath, PathRoot, Segment, Selector};
pub use parse::PathSyntaxError;
pub use reference::{type_name, ReferencePath, ReferenceSegment, ReferenceWriteError};
