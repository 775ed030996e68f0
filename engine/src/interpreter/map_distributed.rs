//! The Map state in DISTRIBUTED mode, as the parent execution sees it: one
//! transition evaluates the Map's fields into a [`MapRunSpec`], records
//! `MapStateStarted` and `MapRunStarted` and asks the runtime (through
//! `Effect::StartMapRun`) to run the map run; a later
//! `Input::MapRunCompleted` ends the state. The parent's history is the
//! same six events whatever the item count; the map run itself lives in
//! `crate::maprun`.

use std::sync::Arc;

use serde_json::Value;

use super::context::{json_text, state_details, Ctx};
use super::dataflow;
use super::effect::Effect;
use super::error::StepError;
use super::flow::{error_details, fail_state, inconsistent};
use super::input::ScopePath;
use super::state::{Phase, Scope};
use crate::asl::model::{ExecutionType, IntegerSource, MapState, NumberSource, State};
use crate::asl::StatesError;
use crate::history::{EventDetails, ExecutionId, HistoryEventType as T};
use crate::maprun::MapRunKey;

/// Where a map run's items come from.
#[derive(Debug, Clone, PartialEq)]
pub enum MapItems {
    /// The array `ItemsPath` selected (no ItemReader).
    Inline(Vec<Value>),
    /// The ItemReader with its Parameters evaluated, as
    /// `{"Resource", "Parameters", "ReaderConfig"}`.
    Reader(Value),
}

/// ItemBatcher with its paths evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct BatcherSpec {
    /// MaxItemsPerBatch (0 = no count limit).
    pub max_items: u64,
    /// MaxInputBytesPerBatch (0 = no byte limit).
    pub max_bytes: u64,
    /// BatchInput, evaluated against the effective input.
    pub batch_input: Option<Value>,
}

/// Everything a map run needs, evaluated once in the parent's transition
/// (so a replay after a crash produces the same spec).
#[derive(Debug, Clone, PartialEq)]
pub struct MapRunSpec {
    /// The parent execution.
    pub parent: ExecutionId,
    /// The parent's state machine name.
    pub parent_state_machine: String,
    /// The Map state's scope in the parent.
    pub scope: ScopePath,
    /// The Map state's name.
    pub state: String,
    /// The id of its `MapStateEntered` event (with `parent` and `attempt`,
    /// names the run).
    pub entered_event: u64,
    /// The Map state's attempt (0, one more per Retry): each attempt is a
    /// new map run, with its own row and ARN.
    pub attempt: u32,
    /// The map run's ARN.
    pub arn: String,
    /// `Label`.
    pub label: Option<String>,
    /// ProcessorConfig.ExecutionType EXPRESS.
    pub express: bool,
    /// The ItemProcessor as a state machine definition (JSON text).
    pub processor_json: String,
    /// The items.
    pub items: MapItems,
    /// `ItemSelector` (or `Parameters`) as written, compiled by the run.
    pub item_selector: Option<Value>,
    /// The Map state's effective input (`$` of ItemSelector).
    pub effective_input: Value,
    /// The Map state's context object (`$$`) without `Map.Item`.
    pub context: Value,
    /// ItemBatcher.
    pub batcher: Option<BatcherSpec>,
    /// MaxConcurrency (0 = the default for map runs).
    pub max_concurrency: u32,
    /// ToleratedFailureCount.
    pub tolerated_failure_count: Option<u64>,
    /// ToleratedFailurePercentage.
    pub tolerated_failure_percentage: Option<f64>,
    /// ResultWriter: `{"Resource"?, "Parameters"?, "WriterConfig"?}` as written.
    pub result_writer: Option<Value>,
    /// How many times the parent redrove this map run: the coordinator
    /// redrives the run's row up to this count (0: never redriven).
    pub redrive_count: u32,
    /// `"ResultPath": null` without a ResultSelector: the state's output
    /// is its input whatever the results, so a run without ResultWriter
    /// does not assemble them (it reports `null`), which keeps a run of a
    /// million children from building a results array only to drop it.
    pub results_discarded: bool,
}

/// `Input::Continue` on a DISTRIBUTED Map state.
pub(crate) fn run(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    state: &State,
    def: &MapState,
) -> Result<(), StepError> {
    let spec = match prepare(ctx, root, path, def)? {
        Ok(spec) => spec,
        Err(error) => return fail_state(ctx, root, path, state, error),
    };
    let scope = root
        .descendant_mut(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let mut details = state_details(&spec.state);
    details.length = Some(0);
    ctx.emit(scope, T::MapStateStarted, details);
    let details = EventDetails {
        map_run_arn: Some(spec.arn.clone()),
        ..EventDetails::default()
    };
    ctx.emit(scope, T::MapRunStarted, details);
    let spec = Arc::new(spec);
    let current = scope
        .current
        .as_mut()
        .ok_or_else(|| inconsistent(ctx, path, "current state"))?;
    current.phase = Phase::MapRun(Arc::clone(&spec));
    current.map_run = Some(Arc::clone(&spec));
    ctx.effects.push(Effect::StartMapRun(spec));
    Ok(())
}

/// `Input::MapRunCompleted`: the run ended with `output` (JSON text) or an
/// error; the Map state succeeds through ResultSelector / ResultPath /
/// OutputPath, or fails (Retry and Catch apply).
pub(crate) fn completed(
    ctx: &mut Ctx<'_>,
    root: &mut Scope,
    path: &[u32],
    outcome: Result<Value, StatesError>,
) -> Result<(), StepError> {
    let machine = ctx.machine;
    let state = super::body::current_state(machine, root, path)
        .ok_or_else(|| inconsistent(ctx, path, "Map state"))?;
    let State::Map(_) = state else {
        return Err(inconsistent(ctx, path, "Map state"));
    };
    let scope = root
        .descendant_mut(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let Some(current) = scope.current.as_mut() else {
        return Err(inconsistent(ctx, path, "current state"));
    };
    current.phase = Phase::Entered;
    let name = current.name.clone();
    match outcome {
        Ok(results) => {
            ctx.emit(scope, T::MapRunSucceeded, EventDetails::default());
            let mut details = state_details(&name);
            details.output = Some(json_text(&results));
            ctx.emit(scope, T::MapStateSucceeded, details);
            let Some(current) = scope.current.as_ref() else {
                return Err(inconsistent(ctx, path, "current state"));
            };
            let context = dataflow::context_object(ctx.info, current, None, None);
            dataflow::finish_with_result(ctx, root, path, state, results, &context)
        }
        Err(error) => {
            ctx.emit(scope, T::MapRunFailed, error_details(None, &error));
            ctx.emit(scope, T::MapStateFailed, error_details(Some(&name), &error));
            fail_state(ctx, root, path, state, error)
        }
    }
}

/// Evaluates the Map's fields; an `Err` inside fails the state.
fn prepare(
    ctx: &mut Ctx<'_>,
    root: &Scope,
    path: &[u32],
    def: &MapState,
) -> Result<Result<MapRunSpec, StatesError>, StepError> {
    let scope = root
        .descendant(path)
        .ok_or_else(|| inconsistent(ctx, path, "scope"))?;
    let current = scope
        .current
        .as_ref()
        .ok_or_else(|| inconsistent(ctx, path, "current state"))?
        .clone();
    let Some(raw) = raw_map_state(ctx.machine.source_json(), root, path) else {
        return Err(inconsistent(
            ctx,
            path,
            "Map state in the definition source",
        ));
    };
    let context = dataflow::context_object(ctx.info, &current, None, None);
    let effective = match dataflow::input_path(def.input_path.as_ref(), &current.input, &context) {
        Ok(effective) => effective,
        Err(error) => return Ok(Err(error)),
    };
    let evaluated = evaluate(ctx, def, &raw, &effective, &context);
    let (items, batcher, limits, processor_json) = match evaluated {
        Ok(evaluated) => evaluated,
        Err(error) => return Ok(Err(error)),
    };
    let shown = def.label.clone().unwrap_or_else(|| current.name.clone());
    // The attempt is in the key: a Retry starts a new run rather than
    // finding the ended one; the attempt is recorded state, so a replay
    // after a crash names the same run.
    let key = MapRunKey {
        parent: ctx.info.id,
        entered_event: current.entered_event,
        attempt: current.attempt,
    };
    let arn = format!(
        "shoal:mapRun:{}/{}:{}",
        ctx.info.state_machine,
        shown,
        key.arn_suffix()
    );
    Ok(Ok(MapRunSpec {
        parent: ctx.info.id,
        parent_state_machine: ctx.info.state_machine.clone(),
        scope: path.to_vec(),
        state: current.name.clone(),
        entered_event: current.entered_event,
        attempt: current.attempt,
        arn,
        label: def.label.clone(),
        express: def.processor.execution_type == Some(ExecutionType::Express),
        processor_json,
        items,
        item_selector: raw
            .get("ItemSelector")
            .or_else(|| raw.get("Parameters"))
            .cloned(),
        effective_input: effective,
        context,
        batcher,
        max_concurrency: limits.0,
        tolerated_failure_count: limits.1,
        tolerated_failure_percentage: limits.2,
        result_writer: raw.get("ResultWriter").cloned(),
        redrive_count: 0,
        results_discarded: def.result_path.is_none() && def.result_selector.is_none(),
    }))
}

type Limits = (u32, Option<u64>, Option<f64>);
type Evaluated = (MapItems, Option<BatcherSpec>, Limits, String);

fn evaluate(
    ctx: &mut Ctx<'_>,
    def: &MapState,
    raw: &Value,
    effective: &Value,
    context: &Value,
) -> Result<Evaluated, StatesError> {
    let items = match &def.item_reader {
        Some(reader) => {
            let parameters = match &reader.parameters_template {
                Some(template) => dataflow::template(template, effective, context, ctx)?,
                None => reader.parameters.clone(),
            };
            MapItems::Reader(serde_json::json!({
                "Resource": reader.resource,
                "Parameters": parameters,
                "ReaderConfig": reader.reader_config,
            }))
        }
        None => match def.items_path.resolve(effective, context) {
            Some(Value::Array(items)) => MapItems::Inline(items),
            other => {
                return Err(StatesError::runtime(format!(
                    "ItemsPath {} must select an array, found {}",
                    def.items_path,
                    other.map_or_else(|| "nothing".into(), |v| v.to_string())
                )))
            }
        },
    };
    let batcher = match &def.item_batcher {
        None => None,
        Some(batcher) => Some(BatcherSpec {
            max_items: integer(batcher.max_items_per_batch.as_ref(), effective, context)?
                .unwrap_or(0),
            max_bytes: integer(
                batcher.max_input_bytes_per_batch.as_ref(),
                effective,
                context,
            )?
            .unwrap_or(0),
            batch_input: match &batcher.batch_input {
                Some(template) => Some(dataflow::template(template, effective, context, ctx)?),
                None => None,
            },
        }),
    };
    let max_concurrency = integer(def.max_concurrency.as_ref(), effective, context)?
        .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX));
    let count = integer(def.tolerated_failure_count.as_ref(), effective, context)?;
    let percentage = match &def.tolerated_failure_percentage {
        None => None,
        Some(NumberSource::Literal(p)) => Some(*p),
        Some(NumberSource::Path(p)) => match p.resolve(effective, context).and_then(|v| v.as_f64())
        {
            Some(p) if (0.0..=100.0).contains(&p) => Some(p),
            _ => {
                return Err(StatesError::runtime(
                    "ToleratedFailurePercentage must be between 0 and 100.",
                ))
            }
        },
    };
    let processor = raw
        .get("ItemProcessor")
        .or_else(|| raw.get("Iterator"))
        .and_then(Value::as_object)
        .map(|object| {
            let mut object = object.clone();
            object.remove("ProcessorConfig");
            Value::Object(object).to_string()
        })
        .ok_or_else(|| StatesError::runtime("the Map state has no ItemProcessor"))?;
    Ok((
        items,
        batcher,
        (max_concurrency, count, percentage),
        processor,
    ))
}

fn integer(
    source: Option<&IntegerSource>,
    effective: &Value,
    context: &Value,
) -> Result<Option<u64>, StatesError> {
    match source {
        None => Ok(None),
        Some(IntegerSource::Literal(n)) => Ok(Some(*n)),
        Some(IntegerSource::Path(p)) => match p.resolve(effective, context) {
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
            Some(other) => Err(StatesError::runtime(format!(
                "{p} refers to value \"{other}\" which is not a valid integer"
            ))),
            None => Err(StatesError::runtime(format!("{p} selects nothing"))),
        },
    }
}

/// The Map state's own JSON in the definition source, walking the states
/// along `path` (Parallel branches, Map item processors).
fn raw_map_state(source: &str, root: &Scope, path: &[u32]) -> Option<Value> {
    let document: Value = serde_json::from_str(source).ok()?;
    let mut body = &document;
    let mut scope = root;
    for index in path {
        let current = scope.current.as_ref()?;
        let state = body.get("States")?.get(&current.name)?;
        body = match state.get("Type")?.as_str()? {
            "Parallel" => state.get("Branches")?.get(*index as usize)?,
            _ => state
                .get("ItemProcessor")
                .or_else(|| state.get("Iterator"))?,
        };
        let Phase::FanOut(fan_out) = &current.phase else {
            return None;
        };
        scope = fan_out.running.get(index)?;
    }
    let name = &scope.current.as_ref()?.name;
    body.get("States")?.get(name).cloned()
}
