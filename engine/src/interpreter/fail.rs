//! The Fail state: ends its scope with an error and cause.

use super::context::Ctx;
use super::dataflow;
use super::error::StepError;
use super::flow::{complete_scope, inconsistent};
use super::state::Scope;
use crate::asl::model::{FailState, FailText};
use crate::asl::StatesError;

/// `Input::Continue` on a Fail state.
pub(crate) fn run(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    def: &FailState,
) -> Result<(), StepError> {
    let scope = root
        .descendant(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let current = scope
        .current
        .as_ref()
        .ok_or_else(|| inconsistent(ctx, path, "current state"))?;
    let context = dataflow::context_object(ctx.info, current, None, None);
    let input = current.input.clone();
    let text = |ctx: &mut Ctx<'_>, field: &Option<FailText>| -> Result<String, StatesError> {
        match field {
            None => Ok(String::new()),
            Some(FailText::Literal(text)) => Ok(text.clone()),
            Some(FailText::Expression(expression)) => {
                dataflow::expression_text(expression, &input, &context, ctx)
            }
        }
    };
    let error =
        text(ctx, &def.error).and_then(|error| Ok(StatesError::new(error, text(ctx, &def.cause)?)));
    let error = error.unwrap_or_else(|failure| failure);
    complete_scope(ctx, root, path, Err(error))
}
