//! The Succeed state: ends its scope successfully.

use super::context::Ctx;
use super::dataflow;
use super::error::StepError;
use super::flow::{finish_or_fail, inconsistent};
use super::state::Scope;
use crate::asl::model::{State, SucceedState};

/// `Input::Continue` on a Succeed state.
pub(crate) fn run(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    def: &SucceedState,
) -> Result<(), StepError> {
    let scope = root
        .descendant(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let current = scope
        .current
        .as_ref()
        .ok_or_else(|| inconsistent(ctx, path, "current state"))?;
    let context = dataflow::context_object(ctx.info, current, None, None);
    let output = dataflow::input_path(def.input_path.as_ref(), &current.input, &context)
        .and_then(|input| dataflow::output_path(def.output_path.as_ref(), input, &context));
    // A Succeed state has no transition, so finishing ends the scope.
    finish_or_fail(ctx, root, path, state, output)
}
