//! The Pass state: passes its input (or a fixed `Result`) to its output.

use serde_json::Value;

use super::common::{parse_transition, Transition};
use super::fields::Fields;
use crate::asl::path::{JsonPath, ReferencePath};
use crate::asl::template::PayloadTemplate;

/// `"Type": "Pass"`.
#[derive(Debug, Clone, PartialEq)]
pub struct PassState {
    /// Comment.
    pub comment: Option<String>,
    /// InputPath; `None` means `null` (the state sees `{}`).
    pub input_path: Option<JsonPath>,
    /// Parameters.
    pub parameters: Option<PayloadTemplate>,
    /// Result: used instead of the (effective) input as the state's result.
    pub result: Option<Value>,
    /// ResultPath; `None` means `null` (the output is the input).
    pub result_path: Option<ReferencePath>,
    /// OutputPath; `None` means `null` (the output is `{}`).
    pub output_path: Option<JsonPath>,
    /// Next or End.
    pub transition: Transition,
}

pub(crate) fn parse(f: &mut Fields<'_>) -> PassState {
    PassState {
        comment: f.string("Comment"),
        input_path: f.nullable_path("InputPath"),
        parameters: f.template("Parameters"),
        result: f.take("Result").cloned(),
        result_path: f.result_path("ResultPath"),
        output_path: f.nullable_path("OutputPath"),
        transition: parse_transition(f).unwrap_or(Transition::End),
    }
}
