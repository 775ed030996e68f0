//! The Amazon States Language: everything about a definition that needs no I/O.
//!
//! - [`model`]: the typed definition, parsed and validated by
//!   [`StateMachine::from_json`];
//! - [`path`]: JSONPath and reference paths, compiled at registration;
//! - [`intrinsic`]: `States.*` intrinsic functions;
//! - [`template`]: payload templates (`.$` members);
//! - [`error`]: runtime `States.*` errors and ErrorEquals matching;
//! - [`definition_error`]: registration-time errors.

pub mod definition_error;
pub mod error;
pub mod hash;
pub mod intrinsic;
pub mod model;
pub mod path;
pub mod template;
pub mod timestamp;

pub use definition_error::{DefinitionError, DefinitionErrorKind, InvalidDefinition, Scope};
pub use error::StatesError;
pub use hash::ContentHash;
pub use model::{State, StateMachine, Transition};
