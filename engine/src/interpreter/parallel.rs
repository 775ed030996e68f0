//! The Parallel state: every branch runs on the same effective input; the
//! result is the array of branch outputs in branch order.

use super::context::Ctx;
use super::dataflow;
use super::error::StepError;
use super::fan_out;
use super::flow::{fail_state, inconsistent};
use super::state::Scope;
use crate::asl::model::{ParallelState, State};

/// `Input::Continue` (or a retry) on a Parallel state: starts its branches.
pub(crate) fn run(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    def: &ParallelState,
) -> Result<(), StepError> {
    let scope = root
        .descendant(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let current = scope
        .current
        .as_ref()
        .ok_or_else(|| inconsistent(ctx, path, "current state"))?;
    let context = dataflow::context_object(ctx.info, current, None, None);
    let raw = current.input.clone();
    let effective = dataflow::effective_input(
        def.input_path.as_ref(),
        def.parameters.as_ref(),
        &raw,
        &context,
        ctx,
    );
    match effective {
        Ok(input) => {
            let inputs = vec![input; def.branches.len()];
            fan_out::start(ctx, root, path, inputs, false, 0)
        }
        Err(error) => fail_state(ctx, root, path, state, error),
    }
}
