//! The state machine, its branches (top level, Parallel branches, Map item
//! processors), the ordered state table, and the parser that builds them.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::choice::{self, ChoiceState};
use super::common::{check_query_language, reject_unsupported, MAX_SECONDS};
use super::fields::{Ctx, Fields};
use super::graph::validate_branch;
use super::map::{self, MapState};
use super::parallel::{self, ParallelState};
use super::pass::{self, PassState};
use super::task::{self, TaskState};
use super::terminal::{self, FailState, SucceedState};
use super::wait::{self, WaitState};
use crate::asl::definition_error::{DefinitionError, DefinitionErrorKind, InvalidDefinition};
use crate::asl::hash::{content_hash, ContentHash};

/// Longest allowed state name, in characters.
pub const MAX_STATE_NAME_CHARS: usize = 80;

/// One state of any type.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "states are built once at registration and only read; boxing would add indirection to every match"
)]
pub enum State {
    /// Pass.
    Pass(PassState),
    /// Task.
    Task(TaskState),
    /// Choice.
    Choice(ChoiceState),
    /// Wait.
    Wait(WaitState),
    /// Succeed.
    Succeed(SucceedState),
    /// Fail.
    Fail(FailState),
    /// Parallel.
    Parallel(ParallelState),
    /// Map.
    Map(MapState),
}

impl State {
    /// The `Type` as written in ASL, e.g. `"Task"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            State::Pass(_) => "Pass",
            State::Task(_) => "Task",
            State::Choice(_) => "Choice",
            State::Wait(_) => "Wait",
            State::Succeed(_) => "Succeed",
            State::Fail(_) => "Fail",
            State::Parallel(_) => "Parallel",
            State::Map(_) => "Map",
        }
    }

    /// The state's Next/End; `None` for Choice, Succeed and Fail.
    pub fn transition(&self) -> Option<&super::common::Transition> {
        match self {
            State::Pass(s) => Some(&s.transition),
            State::Task(s) => Some(&s.transition),
            State::Wait(s) => Some(&s.transition),
            State::Parallel(s) => Some(&s.transition),
            State::Map(s) => Some(&s.transition),
            State::Choice(_) | State::Succeed(_) | State::Fail(_) => None,
        }
    }
}

/// The states of one scope, in definition order, looked up by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct States {
    entries: Vec<(String, State)>,
    index: HashMap<String, usize>,
}

impl States {
    /// The state named `name`.
    pub fn get(&self, name: &str) -> Option<&State> {
        self.index.get(name).map(|&i| &self.entries[i].1)
    }

    /// The position of `name` in definition order.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// All states in definition order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &State)> {
        self.entries.iter().map(|(n, s)| (n.as_str(), s))
    }

    /// Number of states.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no states.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn insert(&mut self, name: String, state: State) {
        self.index.insert(name.clone(), self.entries.len());
        self.entries.push((name, state));
    }
}

/// A set of states with a start: a Parallel branch or a Map item processor
/// (and the body of the state machine itself).
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// Comment.
    pub comment: Option<String>,
    /// The first state.
    pub start_at: String,
    /// The states.
    pub states: States,
}

/// The query language of a definition; only JSONPath is supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    /// JSONPath (the default).
    #[default]
    JsonPath,
}

/// A parsed and validated state machine definition.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMachine {
    /// Comment.
    pub comment: Option<String>,
    /// The first state.
    pub start_at: String,
    /// The top-level states.
    pub states: States,
    /// TimeoutSeconds of the whole execution.
    pub timeout_seconds: Option<u64>,
    /// Version (the ASL version string, e.g. "1.0").
    pub version: Option<String>,
    /// QueryLanguage.
    pub query_language: QueryLanguage,
    source: String,
    hash: ContentHash,
}

impl StateMachine {
    /// Parses and validates an ASL document. On failure every error found is
    /// returned, each naming its state and field.
    pub fn from_json(text: &str) -> Result<Self, InvalidDefinition> {
        let value: Value = serde_json::from_str(text).map_err(|e| InvalidDefinition {
            errors: vec![DefinitionError {
                scope: Vec::new(),
                state: None,
                field: String::new(),
                kind: DefinitionErrorKind::InvalidJson(e.to_string()),
            }],
        })?;
        Self::build(&value, text.to_string())
    }

    /// Like [`StateMachine::from_json`] for an already parsed value.
    pub fn from_value(value: &Value) -> Result<Self, InvalidDefinition> {
        Self::build(value, value.to_string())
    }

    /// The definition as it was given (the JSON text, or the serialised value).
    pub fn source_json(&self) -> &str {
        &self.source
    }

    /// SHA-256 of a canonical serialisation (sorted keys, no whitespace):
    /// equal for definitions that differ only in layout or key order.
    pub fn content_hash(&self) -> &ContentHash {
        &self.hash
    }

    /// The top-level state named `name`.
    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.get(name)
    }

    fn build(value: &Value, source: String) -> Result<Self, InvalidDefinition> {
        let Some(obj) = value.as_object() else {
            return Err(InvalidDefinition {
                errors: vec![DefinitionError {
                    scope: Vec::new(),
                    state: None,
                    field: String::new(),
                    kind: DefinitionErrorKind::WrongType {
                        expected: "a JSON object",
                    },
                }],
            });
        };
        let mut ctx = Ctx::default();
        let mut top = Fields::new(obj, "");
        check_query_language(&mut top);
        let timeout_seconds = top.uint_at_least("TimeoutSeconds", 1);
        if timeout_seconds.is_some_and(|t| t > MAX_SECONDS) {
            top.error(
                "TimeoutSeconds",
                DefinitionErrorKind::InvalidValue {
                    reason: format!("must be at most {MAX_SECONDS}"),
                },
            );
        }
        let version = top.string("Version");
        ctx.report(None, top.errors);
        let branch = parse_branch(
            obj,
            &mut ctx,
            &["QueryLanguage", "TimeoutSeconds", "Version"],
        );
        if !ctx.errors.is_empty() {
            return Err(InvalidDefinition { errors: ctx.errors });
        }
        Ok(Self {
            comment: branch.comment,
            start_at: branch.start_at,
            states: branch.states,
            timeout_seconds,
            version,
            query_language: QueryLanguage::JsonPath,
            hash: content_hash(value),
            source,
        })
    }
}

/// Parses `StartAt`, `States` and `Comment` of `obj` (fields listed in
/// `others` are read by the caller) and validates the scope's graph.
pub(crate) fn parse_branch(obj: &Map<String, Value>, ctx: &mut Ctx, others: &[&str]) -> Branch {
    let mut f = Fields::new(obj, "");
    for other in others {
        let _ = f.take(other);
    }
    let comment = f.string("Comment");
    let start_at = f.required_target("StartAt").unwrap_or_default();
    let mut states = States::default();
    match f.object("States") {
        Some(map) if map.is_empty() => f.error("States", DefinitionErrorKind::EmptyStates),
        Some(map) => {
            for (name, value) in map {
                if let Some(state) = parse_state(name, value, ctx) {
                    states.insert(name.clone(), state);
                }
            }
        }
        None if !f.has("States") => f.error("States", DefinitionErrorKind::MissingField),
        None => {}
    }
    ctx.report(None, f.finish());
    let branch = Branch {
        comment,
        start_at,
        states,
    };
    validate_branch(&branch, obj, ctx);
    branch
}

fn parse_state(name: &str, value: &Value, ctx: &mut Ctx) -> Option<State> {
    if name.is_empty() {
        let kind = DefinitionErrorKind::InvalidValue {
            reason: "a state name must not be empty".into(),
        };
        ctx.report(Some(name), vec![("States".into(), kind)]);
    }
    if name.chars().count() > MAX_STATE_NAME_CHARS {
        ctx.report(
            Some(name),
            vec![("States".into(), DefinitionErrorKind::NameTooLong)],
        );
    }
    let Some(obj) = value.as_object() else {
        let kind = DefinitionErrorKind::WrongType {
            expected: "an object",
        };
        ctx.report(Some(name), vec![("States".into(), kind)]);
        return None;
    };
    let mut f = Fields::new(obj, "");
    check_query_language(&mut f);
    reject_unsupported(&mut f);
    let type_name = f.required_string("Type");
    let state = match type_name.as_deref() {
        Some("Pass") => Some(State::Pass(pass::parse(&mut f))),
        Some("Task") => Some(State::Task(task::parse(&mut f))),
        Some("Choice") => Some(State::Choice(choice::parse(&mut f))),
        Some("Wait") => Some(State::Wait(wait::parse(&mut f))),
        Some("Succeed") => Some(State::Succeed(terminal::parse_succeed(&mut f))),
        Some("Fail") => Some(State::Fail(terminal::parse_fail(&mut f))),
        Some("Parallel") => Some(State::Parallel(parallel::parse(&mut f, ctx, name))),
        Some("Map") => Some(State::Map(map::parse(&mut f, ctx, name))),
        Some(other) => {
            f.error(
                "Type",
                DefinitionErrorKind::UnknownStateType(other.to_string()),
            );
            ctx.report(Some(name), f.errors);
            return None;
        }
        None => {
            ctx.report(Some(name), f.errors);
            return None;
        }
    };
    ctx.report(Some(name), f.finish());
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_small_machine() {
        let sm = StateMachine::from_json(
            r#"{"StartAt": "A", "States": {
                "A": {"Type": "Pass", "Next": "B"},
                "B": {"Type": "Parallel", "Branches": [
                    {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}
                ], "End": true}
            }}"#,
        )
        .expect("valid definition");
        assert_eq!(sm.start_at, "A");
        assert_eq!(sm.states.len(), 2);
        assert!(matches!(sm.state("B"), Some(State::Parallel(p)) if p.branches.len() == 1));
    }

    #[test]
    fn nested_errors_name_their_scope() {
        let err = StateMachine::from_json(
            r#"{"StartAt": "P", "States": {
                "P": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Bar"}}}
                ]}
            }}"#,
        )
        .expect_err("unknown Next");
        assert_eq!(
            err.errors[0].to_string(),
            "Parallel \"P\" branch 1 > state \"X\", field \"Next\": no state named \"Bar\""
        );
    }
}
