//! The Map state in INLINE mode: one nested scope per item, at most
//! `MaxConcurrency` at a time, results in item order.

use serde_json::Value;

use super::context::Ctx;
use super::dataflow;
use super::error::StepError;
use super::fan_out;
use super::flow::{fail_state, inconsistent};
use super::state::Scope;
use crate::asl::model::{IntegerSource, MapState, ProcessorMode, State};
use crate::asl::StatesError;

/// `Input::Continue` (or a retry) on a Map state: reads the items and
/// starts the first iterations.
pub(crate) fn run(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    def: &MapState,
) -> Result<(), StepError> {
    if def.processor.mode != ProcessorMode::Inline {
        return super::map_distributed::run(ctx, root, path, state, def);
    }
    match prepare(ctx, root, path, def)? {
        Ok((inputs, max_concurrency)) => {
            fan_out::start(ctx, root, path, inputs, true, max_concurrency)
        }
        Err(error) => fail_state(ctx, root, path, state, error),
    }
}

/// The item inputs (after ItemSelector) and the concurrency limit.
fn prepare(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    def: &MapState,
) -> Result<Result<(Vec<Value>, u32), StatesError>, StepError> {
    let scope = root
        .descendant(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let current = scope
        .current
        .as_ref()
        .ok_or_else(|| inconsistent(ctx, path, "current state"))?
        .clone();
    let context = dataflow::context_object(ctx.info, &current, None, None);
    let prepared = (|| {
        let effective = dataflow::input_path(def.input_path.as_ref(), &current.input, &context)?;
        let items = match def.items_path.resolve(&effective, &context) {
            Some(Value::Array(items)) => items,
            other => {
                return Err(StatesError::runtime(format!(
                    "ItemsPath {} must select an array, found {}",
                    def.items_path,
                    other
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "nothing".into())
                )))
            }
        };
        let max_concurrency = match &def.max_concurrency {
            None => 0,
            Some(IntegerSource::Literal(n)) => u32::try_from(*n).unwrap_or(u32::MAX),
            Some(IntegerSource::Path(p)) => match p.resolve(&effective, &context) {
                Some(Value::Number(n)) if n.as_u64().is_some() => {
                    u32::try_from(n.as_u64().unwrap_or_default()).unwrap_or(u32::MAX)
                }
                _ => return Err(StatesError::runtime(format!("{p} must select an integer"))),
            },
        };
        Ok((effective, items, max_concurrency))
    })();
    let (effective, items, max_concurrency) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => return Ok(Err(error)),
    };
    let mut inputs = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let input = match &def.item_selector {
            None => item,
            Some(selector) => {
                let item_context =
                    dataflow::context_object(ctx.info, &current, None, Some((index as u32, &item)));
                match dataflow::template(selector, &effective, &item_context, ctx) {
                    Ok(input) => input,
                    Err(error) => return Ok(Err(error)),
                }
            }
        };
        inputs.push(input);
    }
    Ok(Ok((inputs, max_concurrency)))
}
