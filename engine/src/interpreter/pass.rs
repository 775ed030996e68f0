//! The Pass state: its `Result` (or its effective input) becomes its result.

use super::context::Ctx;
use super::dataflow;
use super::error::StepError;
use super::flow::{fail_state, inconsistent};
use super::state::Scope;
use crate::asl::model::{PassState, State};

/// `Input::Continue` on a Pass state.
pub(crate) fn run(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    def: &PassState,
) -> Result<(), StepError> {
    let scope = root
        .descendant(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let current = scope
        .current
        .as_ref()
        .ok_or_else(|| inconsistent(ctx, path, "current state"))?;
    let needs_context = dataflow::reads_context(
        &[def.parameters.as_ref()],
        &[def.input_path.as_ref(), def.output_path.as_ref()],
    );
    let context = if needs_context {
        dataflow::context_object(ctx.info, current, None, None)
    } else {
        serde_json::Value::Null
    };
    let effective = dataflow::effective_input(
        def.input_path.as_ref(),
        def.parameters.as_ref(),
        &current.input,
        &context,
        ctx,
    );
    match effective {
        Ok(effective) => {
            let result = def.result.clone().unwrap_or(effective);
            dataflow::finish_with_result(ctx, root, path, state, result, &context)
        }
        Err(error) => fail_state(ctx, root, path, state, error),
    }
}
