//! Errors found when a definition is parsed and validated (registration time).
//!
//! Every error names where it was found: the chain of enclosing Parallel
//! branches / Map processors, the state (if any) and the field.

use std::fmt;

/// What is wrong with a definition. The `Display` text is the message after
/// the location, e.g. `no state named "Bar"`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DefinitionErrorKind {
    /// The document is not valid JSON (or not an object).
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// A field that this object does not define.
    #[error("unknown field")]
    UnknownField,
    /// A required field is absent.
    #[error("missing required field")]
    MissingField,
    /// A field has the wrong JSON type.
    #[error("expected {expected}")]
    WrongType {
        /// What the field must be, e.g. "a string".
        expected: &'static str,
    },
    /// A value outside what the field allows.
    #[error("invalid value: {reason}")]
    InvalidValue {
        /// Why the value is rejected.
        reason: String,
    },
    /// `Type` names no known state type.
    #[error("unknown state type \"{0}\"")]
    UnknownStateType(String),
    /// A transition target that is not a state of the same scope.
    #[error("no state named \"{0}\"")]
    UnknownTarget(String),
    /// No transition leads to this state.
    #[error("state is unreachable from StartAt")]
    Unreachable,
    /// A non-terminal state with neither `Next` nor `End`.
    #[error("state needs either \"Next\" or \"End\": true")]
    MissingTransition,
    /// A state with both `Next` and `End`.
    #[error("\"Next\" and \"End\" are mutually exclusive")]
    NextAndEnd,
    /// `States` is empty.
    #[error("\"States\" must contain at least one state")]
    EmptyStates,
    /// A field this state type forbids (Next/End on Choice, Succeed, Fail).
    #[error("not allowed on a {0} state")]
    NotAllowedOnType(&'static str),
    /// Two mutually exclusive fields are both present.
    #[error("conflicts with field \"{other}\"")]
    Conflicts {
        /// The other field.
        other: String,
    },
    /// None of a set of alternative fields is present.
    #[error("exactly one of {fields} is required")]
    OneOfRequired {
        /// The alternatives, e.g. `Seconds, Timestamp, SecondsPath, TimestampPath`.
        fields: String,
    },
    /// A path that does not parse, or is not allowed here.
    #[error("invalid path \"{path}\": {reason}")]
    InvalidPath {
        /// The path as written.
        path: String,
        /// Why it is rejected.
        reason: String,
    },
    /// An intrinsic function call that does not parse.
    #[error("invalid intrinsic function \"{text}\": {reason}")]
    InvalidIntrinsic {
        /// The call as written.
        text: String,
        /// Why it is rejected.
        reason: String,
    },
    /// `States.ALL` is not the only and last entry of the last Retrier/Catcher.
    #[error("\"States.ALL\" must appear alone in the last retrier/catcher")]
    StatesAllNotLast,
    /// A Choice rule with no comparison operator, or more than one.
    #[error("a choice rule needs exactly one comparison operator, found {found}")]
    ChoiceRuleOperators {
        /// How many were found.
        found: usize,
    },
    /// HeartbeatSeconds is not smaller than TimeoutSeconds.
    #[error("HeartbeatSeconds must be smaller than TimeoutSeconds")]
    HeartbeatNotBelowTimeout,
    /// A state name longer than 80 characters.
    #[error("state name longer than 80 characters")]
    NameTooLong,
    /// A Map field that only a DISTRIBUTED processor may use.
    #[error("only allowed when ProcessorConfig.Mode is DISTRIBUTED")]
    RequiresDistributedMode,
    /// A feature shoal does not implement (e.g. JSONata).
    #[error("not supported: {0}")]
    Unsupported(String),
}

/// One step of the nesting that leads to a state inside a branch/processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Inside branch `index` (1-based, as people count) of Parallel state `state`.
    ParallelBranch {
        /// The Parallel state.
        state: String,
        /// 1-based branch number.
        index: usize,
    },
    /// Inside the ItemProcessor (or Iterator) of Map state `state`.
    MapProcessor {
        /// The Map state.
        state: String,
    },
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::ParallelBranch { state, index } => {
                write!(f, "Parallel \"{state}\" branch {index}")
            }
            Scope::MapProcessor { state } => write!(f, "Map \"{state}\" processor"),
        }
    }
}

/// One problem in a definition, with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct DefinitionError {
    /// Enclosing branches/processors, outermost first; empty at top level.
    pub scope: Vec<Scope>,
    /// The state the error is in; `None` for top-level fields.
    pub state: Option<String>,
    /// The field, dotted for nested fields (e.g. `Retry[0].MaxAttempts`).
    pub field: String,
    /// What is wrong.
    pub kind: DefinitionErrorKind,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for scope in &self.scope {
            write!(f, "{scope} > ")?;
        }
        if let Some(state) = &self.state {
            write!(f, "state \"{state}\", ")?;
        }
        write!(f, "field \"{}\": {}", self.field, self.kind)
    }
}

impl std::error::Error for DefinitionError {}

/// All problems found in a definition (never empty). `Display` shows the
/// first and how many more there are.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidDefinition {
    /// Every error, in document order.
    pub errors: Vec<DefinitionError>,
}

impl InvalidDefinition {
    /// The first error found.
    pub fn first(&self) -> Option<&DefinitionError> {
        self.errors.first()
    }
}

impl fmt::Display for InvalidDefinition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.split_first() {
            None => write!(f, "invalid definition"),
            Some((first, [])) => write!(f, "invalid definition: {first}"),
            Some((first, rest)) => write!(
                f,
                "invalid definition: {first} (and {} more error(s))",
                rest.len()
            ),
        }
    }
}

impl std::error::Error for InvalidDefinition {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_scope_state_and_field() {
        let e = DefinitionError {
            scope: vec![Scope::ParallelBranch {
                state: "P".into(),
                index: 1,
            }],
            state: Some("X".into()),
            field: "Next".into(),
            kind: DefinitionErrorKind::UnknownTarget("Bar".into()),
        };
        assert_eq!(
            e.to_string(),
            "Parallel \"P\" branch 1 > state \"X\", field \"Next\": no state named \"Bar\""
        );
    }
}
