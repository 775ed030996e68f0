//! The Parallel state: runs every branch on the same input.

use super::common::{parse_catch, parse_retry, parse_transition, Catcher, Retrier, Transition};
use super::fields::{Ctx, Fields};
use super::machine::{parse_branch, Branch};
use crate::asl::definition_error::{DefinitionErrorKind, Scope};
use crate::asl::path::{JsonPath, ReferencePath};
use crate::asl::template::PayloadTemplate;

/// `"Type": "Parallel"`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParallelState {
    /// Comment.
    pub comment: Option<String>,
    /// InputPath; `None` means `null`.
    pub input_path: Option<JsonPath>,
    /// Parameters.
    pub parameters: Option<PayloadTemplate>,
    /// The branches, in order; the result is the array of their outputs.
    pub branches: Vec<Branch>,
    /// ResultSelector.
    pub result_selector: Option<PayloadTemplate>,
    /// ResultPath; `None` means `null`.
    pub result_path: Option<ReferencePath>,
    /// OutputPath; `None` means `null`.
    pub output_path: Option<JsonPath>,
    /// Retry.
    pub retry: Vec<Retrier>,
    /// Catch.
    pub catch: Vec<Catcher>,
    /// Next or End.
    pub transition: Transition,
}

pub(crate) fn parse(f: &mut Fields<'_>, ctx: &mut Ctx, name: &str) -> ParallelState {
    let mut branches = Vec::new();
    match f.array("Branches") {
        Some(list) if list.is_empty() => f.error(
            "Branches",
            DefinitionErrorKind::InvalidValue {
                reason: "must contain at least one branch".into(),
            },
        ),
        Some(list) => {
            for (i, value) in list.iter().enumerate() {
                let Some(obj) = value.as_object() else {
                    f.error(
                        &format!("Branches[{i}]"),
                        DefinitionErrorKind::WrongType {
                            expected: "an object",
                        },
                    );
                    continue;
                };
                ctx.scope.push(Scope::ParallelBranch {
                    state: name.to_string(),
                    index: i + 1,
                });
                let branch = parse_branch(obj, ctx, &[]);
                ctx.scope.pop();
                branches.push(branch);
            }
        }
        None if !f.has("Branches") => f.error("Branches", DefinitionErrorKind::MissingField),
        None => {}
    }
    ParallelState {
        comment: f.string("Comment"),
        input_path: f.nullable_path("InputPath"),
        parameters: f.template("Parameters"),
        branches,
        result_selector: f.template("ResultSelector"),
        result_path: f.result_path("ResultPath"),
        output_path: f.nullable_path("OutputPath"),
        retry: parse_retry(f),
        catch: parse_catch(f),
        transition: parse_transition(f).unwrap_or(Transition::End),
    }
}
