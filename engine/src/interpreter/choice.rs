//! The Choice state: the first rule that holds names the next state.

use super::context::{json_text, state_details, Ctx};
use super::dataflow;
use super::error::StepError;
use super::flow::{enter, fail_state, inconsistent};
use super::state::Scope;
use crate::asl::error::NO_CHOICE_MATCHED;
use crate::asl::model::{ChoiceState, State};
use crate::asl::StatesError;
use crate::history::HistoryEventType;

/// `Input::Continue` on a Choice state.
pub(crate) fn run(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    def: &ChoiceState,
) -> Result<(), StepError> {
    let scope = root
        .descendant(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let current = scope
        .current
        .as_ref()
        .ok_or_else(|| inconsistent(ctx, path, "current state"))?;
    let context = dataflow::context_object(ctx.info, current, None, None);
    let name = current.name.clone();
    let chosen =
        dataflow::input_path(def.input_path.as_ref(), &current.input, &context).and_then(|input| {
            let next = dataflow::choose(def, &input, &context)?.ok_or_else(|| {
                StatesError::new(
                    NO_CHOICE_MATCHED,
                    format!("no Choice rule of state {name:?} matched and it has no Default"),
                )
            })?;
            let output = dataflow::output_path(def.output_path.as_ref(), input, &context)?;
            Ok((next.to_string(), output))
        });
    let (next, output) = match chosen {
        Ok(chosen) => chosen,
        Err(error) => return fail_state(ctx, root, path, state, error),
    };
    let scope = root
        .descendant_mut(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let mut details = state_details(&name);
    details.output = Some(json_text(&output));
    ctx.emit(scope, HistoryEventType::ChoiceStateExited, details);
    enter(ctx, root, path, next, output)
}
