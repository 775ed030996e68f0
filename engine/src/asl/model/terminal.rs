//! The terminal states: Succeed and Fail.

use super::common::forbid_transition;
use super::fields::Fields;
use crate::asl::definition_error::DefinitionErrorKind;
use crate::asl::path::JsonPath;
use crate::asl::template::Expression;

/// `"Type": "Succeed"`.
#[derive(Debug, Clone, PartialEq)]
pub struct SucceedState {
    /// Comment.
    pub comment: Option<String>,
    /// InputPath; `None` means `null`.
    pub input_path: Option<JsonPath>,
    /// OutputPath; `None` means `null`.
    pub output_path: Option<JsonPath>,
}

/// Where a Fail state's Error or Cause comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum FailText {
    /// A literal string (`Error` / `Cause`).
    Literal(String),
    /// A path or intrinsic evaluated on the state input (`ErrorPath` / `CausePath`).
    Expression(Expression),
}

/// `"Type": "Fail"`.
#[derive(Debug, Clone, PartialEq)]
pub struct FailState {
    /// Comment.
    pub comment: Option<String>,
    /// Error or ErrorPath.
    pub error: Option<FailText>,
    /// Cause or CausePath.
    pub cause: Option<FailText>,
}

pub(crate) fn parse_succeed(f: &mut Fields<'_>) -> SucceedState {
    forbid_transition(f, "Succeed");
    SucceedState {
        comment: f.string("Comment"),
        input_path: f.nullable_path("InputPath"),
        output_path: f.nullable_path("OutputPath"),
    }
}

fn fail_text(f: &mut Fields<'_>, field: &str) -> Option<FailText> {
    let path_field = format!("{field}Path");
    if f.has(field) && f.has(&path_field) {
        f.error(
            &path_field,
            DefinitionErrorKind::Conflicts {
                other: field.to_string(),
            },
        );
    }
    if let Some(text) = f.string(&path_field) {
        let _ = f.take(field);
        return match Expression::parse(&text) {
            Ok(expr) => Some(FailText::Expression(expr)),
            Err(kind) => {
                f.error(&path_field, kind);
                None
            }
        };
    }
    f.string(field).map(FailText::Literal)
}

pub(crate) fn parse_fail(f: &mut Fields<'_>) -> FailState {
    forbid_transition(f, "Fail");
    FailState {
        comment: f.string("Comment"),
        error: fail_text(f, "Error"),
        cause: fail_text(f, "Cause"),
    }
}
