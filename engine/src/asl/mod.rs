//! The Amazon States Language: everything about a definition that needs no I/O.
//!
//! - [`model`]: the typed definition, parsed and validated by
//!   [`StateMachine::from_json`] (every error names scope, state and field);
//! - [`path`]: JSONPath and reference paths, compiled at registration;
//! - [`template`]: payload templates (`.$` members) and expressions;
//! - [`intrinsic`]: `States.*` intrinsic functions (deterministic randomness);
//! - [`dataflow`]: InputPath → Parameters → ResultSelector → ResultPath →
//!   OutputPath, payload limits, the context object `$$`;
//! - [`choice`]: Choice rule evaluation;
//! - [`retry`]: Retry back-off arithmetic and Retry/Catch matching;
//! - [`error`]: runtime `States.*` errors and ErrorEquals rules;
//! - [`definition_error`]: registration-time errors;
//! - [`hash`]: content addressing of definitions; [`timestamp`]: ASL timestamps.

pub mod choice;
pub mod dataflow;
pub mod definition_error;
pub mod error;
pub mod hash;
pub mod intrinsic;
pub mod model;
pub mod path;
pub mod retry;
pub mod template;
pub mod timestamp;

pub use dataflow::{ContextObject, DataFlowEnv, DataFlowOptions};
pub use definition_error::{DefinitionError, DefinitionErrorKind, InvalidDefinition, Scope};
pub use error::StatesError;
pub use hash::ContentHash;
pub use intrinsic::{RandomSource, SeededRandom};
pub use model::{State, StateMachine, Transition};
