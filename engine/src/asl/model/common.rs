//! Fields shared by several state types: transitions, Retry, Catch, and
//! "value or path" pairs such as `TimeoutSeconds` / `TimeoutSecondsPath`.

use super::fields::Fields;
use crate::asl::definition_error::DefinitionErrorKind;
use crate::asl::error::STATES_ALL;
use crate::asl::path::{JsonPath, ReferencePath};

/// Where a state goes when it completes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// `"Next": name`.
    Next(String),
    /// `"End": true`.
    End,
}

/// An integer given literally or read from the input through a path
/// (`X` / `XPath` field pairs).
#[derive(Debug, Clone, PartialEq)]
pub enum IntegerSource {
    /// The literal value.
    Literal(u64),
    /// A reference path evaluated against the state's effective input.
    Path(JsonPath),
}

/// A number given literally or through a path (ToleratedFailurePercentage).
#[derive(Debug, Clone, PartialEq)]
pub enum NumberSource {
    /// The literal value.
    Literal(f64),
    /// A reference path evaluated against the state's effective input.
    Path(JsonPath),
}

/// `JitterStrategy` of a Retrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JitterStrategy {
    /// No jitter: the computed delay is used as is (the default).
    #[default]
    None,
    /// Full jitter: a random delay between 0 and the computed delay.
    Full,
}

/// One entry of `Retry`.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrier {
    /// Error names this retrier handles (see [`crate::asl::error`] for matching).
    pub error_equals: Vec<String>,
    /// Seconds before the first retry (default 1, at least 1).
    pub interval_seconds: u64,
    /// Maximum number of retries (default 3; 0 means never retry).
    pub max_attempts: u64,
    /// Multiplier of the interval per attempt (default 2.0, at least 1.0).
    pub backoff_rate: f64,
    /// Cap on the delay, in seconds.
    pub max_delay_seconds: Option<u64>,
    /// Jitter applied to the delay.
    pub jitter_strategy: JitterStrategy,
    /// The retrier's Comment.
    pub comment: Option<String>,
}

/// One entry of `Catch`.
#[derive(Debug, Clone, PartialEq)]
pub struct Catcher {
    /// Error names this catcher handles.
    pub error_equals: Vec<String>,
    /// The state to go to.
    pub next: String,
    /// Where the error output goes in the state input; `None` = `null`
    /// (discard: the output is the state input). Default `$`.
    pub result_path: Option<ReferencePath>,
    /// The catcher's Comment.
    pub comment: Option<String>,
}

/// Default Retrier values from the ASL specification.
pub const DEFAULT_INTERVAL_SECONDS: u64 = 1;
/// Default `MaxAttempts`.
pub const DEFAULT_MAX_ATTEMPTS: u64 = 3;
/// Default `BackoffRate`.
pub const DEFAULT_BACKOFF_RATE: f64 = 2.0;
/// Largest allowed value of second-valued fields (99999999, as Step Functions).
pub const MAX_SECONDS: u64 = 99_999_999;

/// Reads `Next`/`End` of a non-terminal state.
pub(crate) fn parse_transition(f: &mut Fields<'_>) -> Option<Transition> {
    let next = f.target("Next");
    let end = f.bool("End");
    match (next, end) {
        (Some(_), Some(true)) => {
            f.error("End", DefinitionErrorKind::NextAndEnd);
            None
        }
        (Some(n), _) => Some(Transition::Next(n)),
        (None, Some(true)) => Some(Transition::End),
        (None, _) => {
            if !f.has("Next") {
                f.error("Next", DefinitionErrorKind::MissingTransition);
            }
            None
        }
    }
}

/// Rejects `Next`/`End` on terminal states and on Choice.
pub(crate) fn forbid_transition(f: &mut Fields<'_>, type_name: &'static str) {
    for field in ["Next", "End"] {
        if f.take(field).is_some() {
            f.error(field, DefinitionErrorKind::NotAllowedOnType(type_name));
        }
    }
}

/// Reads an `X` / `XPath` pair; both present is an error.
pub(crate) fn parse_integer_source(
    f: &mut Fields<'_>,
    field: &str,
    min: u64,
    max: u64,
) -> Option<IntegerSource> {
    let path_field = format!("{field}Path");
    if f.has(field) && f.has(&path_field) {
        f.error(
            &path_field,
            DefinitionErrorKind::Conflicts {
                other: field.to_string(),
            },
        );
    }
    if let Some(path) = f.path(&path_field, true) {
        let _ = f.take(field);
        return Some(IntegerSource::Path(path));
    }
    let value = f.uint_at_least(field, min)?;
    if value > max {
        f.error(
            field,
            DefinitionErrorKind::InvalidValue {
                reason: format!("must be at most {max}, got {value}"),
            },
        );
        return None;
    }
    Some(IntegerSource::Literal(value))
}

fn parse_error_equals(f: &mut Fields<'_>) -> Vec<String> {
    let Some(list) = f.array("ErrorEquals") else {
        if !f.has("ErrorEquals") {
            f.error("ErrorEquals", DefinitionErrorKind::MissingField);
        }
        return Vec::new();
    };
    if list.is_empty() {
        f.error(
            "ErrorEquals",
            DefinitionErrorKind::InvalidValue {
                reason: "must list at least one error name".into(),
            },
        );
    }
    let mut names = Vec::with_capacity(list.len());
    for v in list {
        match v.as_str() {
            Some(s) => names.push(s.to_string()),
            None => f.error(
                "ErrorEquals",
                DefinitionErrorKind::WrongType {
                    expected: "an array of strings",
                },
            ),
        }
    }
    names
}

/// Checks the `States.ALL` rule over a whole Retry or Catch list:
/// it must be alone in its ErrorEquals and in the last entry.
fn check_states_all(f: &mut Fields<'_>, field: &str, lists: &[Vec<String>]) {
    for (i, list) in lists.iter().enumerate() {
        let has_all = list.iter().any(|e| e == STATES_ALL);
        if has_all && (list.len() > 1 || i + 1 != lists.len()) {
            f.error(
                &format!("{field}[{i}].ErrorEquals"),
                DefinitionErrorKind::StatesAllNotLast,
            );
        }
    }
}

/// Reads `Retry`.
pub(crate) fn parse_retry(f: &mut Fields<'_>) -> Vec<Retrier> {
    let Some(items) = f.array("Retry") else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let prefix = f.name(&format!("Retry[{i}]"));
        let Some(obj) = item.as_object() else {
            f.error(
                &format!("Retry[{i}]"),
                DefinitionErrorKind::WrongType {
                    expected: "an object",
                },
            );
            continue;
        };
        let mut r = Fields::new(obj, prefix);
        let retrier = parse_retrier(&mut r);
        f.absorb(r.finish());
        out.push(retrier);
    }
    let lists: Vec<Vec<String>> = out.iter().map(|r| r.error_equals.clone()).collect();
    check_states_all(f, "Retry", &lists);
    out
}

fn parse_retrier(r: &mut Fields<'_>) -> Retrier {
    let error_equals = parse_error_equals(r);
    let interval_seconds = r
        .uint_at_least("IntervalSeconds", 1)
        .unwrap_or(DEFAULT_INTERVAL_SECONDS);
    let max_attempts = r
        .uint_at_least("MaxAttempts", 0)
        .unwrap_or(DEFAULT_MAX_ATTEMPTS);
    let backoff_rate = match r.number("BackoffRate") {
        Some(b) if b < 1.0 => {
            r.error(
                "BackoffRate",
                DefinitionErrorKind::InvalidValue {
                    reason: format!("must be at least 1.0, got {b}"),
                },
            );
            DEFAULT_BACKOFF_RATE
        }
        Some(b) => b,
        None => DEFAULT_BACKOFF_RATE,
    };
    let max_delay_seconds = r.uint_at_least("MaxDelaySeconds", 1);
    let jitter_strategy = match r.string("JitterStrategy").as_deref() {
        None | Some("NONE") => JitterStrategy::None,
        Some("FULL") => JitterStrategy::Full,
        Some(other) => {
            r.error(
                "JitterStrategy",
                DefinitionErrorKind::InvalidValue {
                    reason: format!("must be FULL or NONE, got \"{other}\""),
                },
            );
            JitterStrategy::None
        }
    };
    Retrier {
        error_equals,
        interval_seconds,
        max_attempts,
        backoff_rate,
        max_delay_seconds,
        jitter_strategy,
        comment: r.string("Comment"),
    }
}

/// Reads `Catch`.
pub(crate) fn parse_catch(f: &mut Fields<'_>) -> Vec<Catcher> {
    let Some(items) = f.array("Catch") else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let prefix = f.name(&format!("Catch[{i}]"));
        let Some(obj) = item.as_object() else {
            f.error(
                &format!("Catch[{i}]"),
                DefinitionErrorKind::WrongType {
                    expected: "an object",
                },
            );
            continue;
        };
        let mut c = Fields::new(obj, prefix);
        let error_equals = parse_error_equals(&mut c);
        let next = c.required_target("Next").unwrap_or_default();
        let result_path = c.result_path("ResultPath");
        let comment = c.string("Comment");
        f.absorb(c.finish());
        out.push(Catcher {
            error_equals,
            next,
            result_path,
            comment,
        });
    }
    let lists: Vec<Vec<String>> = out.iter().map(|c| c.error_equals.clone()).collect();
    check_states_all(f, "Catch", &lists);
    out
}

/// Reads the state's `QueryLanguage`: only JSONPath is supported.
pub(crate) fn check_query_language(f: &mut Fields<'_>) {
    match f.string("QueryLanguage").as_deref() {
        None | Some("JSONPath") => {}
        Some("JSONata") => f.error(
            "QueryLanguage",
            DefinitionErrorKind::Unsupported("JSONata query language".into()),
        ),
        Some(other) => f.error(
            "QueryLanguage",
            DefinitionErrorKind::InvalidValue {
                reason: format!("must be JSONPath or JSONata, got \"{other}\""),
            },
        ),
    }
}

/// Reports JSONata-only and variable fields clearly instead of as unknown.
pub(crate) fn reject_unsupported(f: &mut Fields<'_>) {
    for (field, what) in [
        ("Arguments", "JSONata field Arguments"),
        ("Output", "JSONata field Output"),
        ("Items", "JSONata field Items"),
        ("Assign", "variables (Assign)"),
    ] {
        if f.take(field).is_some() {
            f.error(field, DefinitionErrorKind::Unsupported(what.into()));
        }
    }
}
