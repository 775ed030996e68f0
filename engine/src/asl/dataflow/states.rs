//! The data-flow stages chained per state type. The runtime calls these;
//! each returns the `States.*` error the state fails with.

use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use super::{
    apply_output_path, apply_output_path_owned, apply_result_path, apply_template,
    check_payload_size, evaluate_expression, select_ref, with_map_item, DataFlowEnv,
};
use crate::asl::error::StatesError;
use crate::asl::model::{
    Catcher, FailState, FailText, IntegerSource, MapState, NumberSource, PassState, WaitFor,
    WaitState,
};
use crate::asl::path::{type_name, JsonPath, ReferencePath};
use crate::asl::template::PayloadTemplate;
use crate::asl::timestamp::parse_timestamp;

/// InputPath, then Parameters (when present): what a Task's handler, a
/// Parallel's branches or a Pass's Result logic receive. The raw input and
/// the effective input are both checked against the payload limit.
pub fn effective_input(
    input_path: Option<&JsonPath>,
    parameters: Option<&PayloadTemplate>,
    raw_input: &Value,
    env: &mut DataFlowEnv<'_>,
) -> Result<Value, StatesError> {
    check_payload_size(raw_input, env.options, "state input")?;
    let effective = match (input_path, parameters) {
        (None, None) => Value::Object(Map::new()),
        (None, Some(t)) => apply_template(t, &Value::Object(Map::new()), env)?,
        (Some(p), t) => {
            // Borrow the selection: Parameters only reads it.
            let selected = select_ref(p, raw_input, env.context, "InputPath")?;
            match t {
                Some(t) => apply_template(t, &selected, env)?,
                None => selected.into_owned(),
            }
        }
    };
    check_payload_size(&effective, env.options, "effective input")?;
    Ok(effective)
}

/// ResultSelector (on the result), then ResultPath (into the raw input),
/// then OutputPath: the state's output after its work produced `result`.
pub fn state_output(
    result_selector: Option<&PayloadTemplate>,
    result_path: Option<&ReferencePath>,
    output_path: Option<&JsonPath>,
    raw_input: &Value,
    result: Value,
    env: &mut DataFlowEnv<'_>,
) -> Result<Value, StatesError> {
    check_payload_size(&result, env.options, "state result")?;
    let selected = match result_selector {
        Some(t) => apply_template(t, &result, env)?,
        None => result,
    };
    let combined = apply_result_path(result_path, raw_input, selected)?;
    let output = apply_output_path_owned(output_path, combined, env.context)?;
    check_payload_size(&output, env.options, "state output")?;
    Ok(output)
}

/// The output of a state without a result (Choice, Wait, Succeed):
/// OutputPath applied to the InputPath-selected input.
pub fn passthrough_output(
    input_path: Option<&JsonPath>,
    output_path: Option<&JsonPath>,
    raw_input: &Value,
    env: &mut DataFlowEnv<'_>,
) -> Result<Value, StatesError> {
    check_payload_size(raw_input, env.options, "state input")?;
    let Some(input_path) = input_path else {
        return apply_output_path(output_path, &Value::Object(Map::new()), env.context);
    };
    let selected = select_ref(input_path, raw_input, env.context, "InputPath")?;
    match output_path {
        Some(p) if p.is_data_root() => Ok(selected.into_owned()),
        _ => apply_output_path(output_path, &selected, env.context),
    }
}

/// A Pass state's output: its `Result` (or its effective input) placed by
/// ResultPath, then OutputPath.
pub fn pass_output(
    state: &PassState,
    raw_input: &Value,
    env: &mut DataFlowEnv<'_>,
) -> Result<Value, StatesError> {
    let effective = effective_input(
        state.input_path.as_ref(),
        state.parameters.as_ref(),
        raw_input,
        env,
    )?;
    let result = state.result.clone().unwrap_or(effective);
    state_output(
        None,
        state.result_path.as_ref(),
        state.output_path.as_ref(),
        raw_input,
        result,
        env,
    )
}

/// The input of the Catch target: the error output `{"Error", "Cause"}`
/// placed into the raw state input by the catcher's ResultPath (no
/// OutputPath is applied, as the specification says).
pub fn catcher_output(
    catcher: &Catcher,
    raw_input: &Value,
    error: &StatesError,
) -> Result<Value, StatesError> {
    apply_result_path(catcher.result_path.as_ref(), raw_input, error.to_output())
}

/// The items of a Map state without ItemReader: ItemsPath applied to the
/// effective input (InputPath only; a Map's `Parameters` is its legacy
/// ItemSelector). Not an array is `States.Runtime`.
pub fn map_items(
    state: &MapState,
    effective_input: &Value,
    context: &Value,
) -> Result<Vec<Value>, StatesError> {
    match state.items_path.resolve(effective_input, context) {
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(StatesError::runtime(format!(
            "ItemsPath '{}' selects a {}, not an array",
            state.items_path.as_str(),
            type_name(&other)
        ))),
        None => Err(StatesError::runtime(format!(
            "ItemsPath '{}' selects nothing in the input",
            state.items_path.as_str()
        ))),
    }
}

/// The input of one Map iteration: the item itself, or the ItemSelector
/// evaluated on the Map's effective input with `$$.Map.Item.{Index,Value}`
/// added to the context.
pub fn map_item_input(
    state: &MapState,
    effective_input: &Value,
    index: u64,
    item: &Value,
    env: &mut DataFlowEnv<'_>,
) -> Result<Value, StatesError> {
    let Some(selector) = &state.item_selector else {
        return Ok(item.clone());
    };
    let context = with_map_item(env.context, index, item);
    let mut item_env = DataFlowEnv {
        context: &context,
        random: &mut *env.random,
        options: env.options,
    };
    let input = apply_template(selector, effective_input, &mut item_env)?;
    check_payload_size(&input, env.options, "item input")?;
    Ok(input)
}

/// Resolves an `X`/`XPath` integer (TimeoutSeconds, HeartbeatSeconds,
/// MaxConcurrency, ...) against `data`; a path that selects nothing or a
/// value that is not a non-negative integer is `States.Runtime`.
pub fn resolve_integer(
    source: &IntegerSource,
    data: &Value,
    context: &Value,
    field: &str,
) -> Result<u64, StatesError> {
    match source {
        IntegerSource::Literal(v) => Ok(*v),
        IntegerSource::Path(p) => {
            let value = p.resolve(data, context);
            value.as_ref().and_then(Value::as_u64).ok_or_else(|| {
                StatesError::runtime(format!(
                    "{field}Path '{}' must select a non-negative integer, found {}",
                    p.as_str(),
                    value.as_ref().map_or("nothing", type_name)
                ))
            })
        }
    }
}

/// Resolves an `X`/`XPath` number (ToleratedFailurePercentage).
pub fn resolve_number(
    source: &NumberSource,
    data: &Value,
    context: &Value,
    field: &str,
) -> Result<f64, StatesError> {
    match source {
        NumberSource::Literal(v) => Ok(*v),
        NumberSource::Path(p) => {
            let value = p.resolve(data, context);
            value.as_ref().and_then(Value::as_f64).ok_or_else(|| {
                StatesError::runtime(format!(
                    "{field}Path '{}' must select a number, found {}",
                    p.as_str(),
                    value.as_ref().map_or("nothing", type_name)
                ))
            })
        }
    }
}

/// When a Wait state that was entered at `entered` ends. `data` is the
/// state's InputPath-selected input. A bad SecondsPath/TimestampPath value
/// is `States.Runtime`.
pub fn wait_until(
    state: &WaitState,
    data: &Value,
    context: &Value,
    entered: OffsetDateTime,
) -> Result<OffsetDateTime, StatesError> {
    let seconds = |s: u64| {
        let s = i64::try_from(s).unwrap_or(i64::MAX);
        entered.checked_add(Duration::seconds(s)).ok_or_else(|| {
            StatesError::runtime(format!("Wait of {s} seconds overflows the calendar"))
        })
    };
    match &state.wait {
        WaitFor::Seconds(s) => seconds(*s),
        WaitFor::Timestamp(t) => Ok(*t),
        WaitFor::SecondsPath(p) => {
            let s = resolve_integer(&IntegerSource::Path(p.clone()), data, context, "Seconds")?;
            seconds(s)
        }
        WaitFor::TimestampPath(p) => {
            let value = p.resolve(data, context);
            value
                .as_ref()
                .and_then(Value::as_str)
                .and_then(parse_timestamp)
                .ok_or_else(|| {
                    StatesError::runtime(format!(
                        "TimestampPath '{}' must select an RFC 3339 timestamp string",
                        p.as_str()
                    ))
                })
        }
    }
}

fn fail_text(
    text: Option<&FailText>,
    raw_input: &Value,
    env: &mut DataFlowEnv<'_>,
    field: &str,
) -> Result<String, StatesError> {
    match text {
        None => Ok(String::new()),
        Some(FailText::Literal(s)) => Ok(s.clone()),
        Some(FailText::Expression(e)) => match evaluate_expression(e, raw_input, env) {
            Ok(Value::String(s)) => Ok(s),
            Ok(other) => Err(StatesError::runtime(format!(
                "{field}Path must produce a string, got {}",
                type_name(&other)
            ))),
            Err(e) => Err(StatesError::runtime(format!("{field}Path failed: {e}"))),
        },
    }
}

/// The error a Fail state raises (`Ok`), or the `States.Runtime` error when
/// ErrorPath/CausePath cannot be evaluated to strings (`Err`).
pub fn fail_error(
    state: &FailState,
    raw_input: &Value,
    env: &mut DataFlowEnv<'_>,
) -> Result<StatesError, StatesError> {
    let error = fail_text(state.error.as_ref(), raw_input, env, "Error")?;
    let cause = fail_text(state.cause.as_ref(), raw_input, env, "Cause")?;
    Ok(StatesError::new(error, cause))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::intrinsic::SeededRandom;
    use crate::asl::DataFlowOptions;
    use serde_json::json;

    fn run<T>(f: impl FnOnce(&mut DataFlowEnv<'_>) -> T) -> T {
        let context = json!({"Execution": {"Id": "e"}});
        let options = DataFlowOptions::default();
        let mut random = SeededRandom::new(3);
        f(&mut DataFlowEnv {
            context: &context,
            random: &mut random,
            options: &options,
        })
    }

    #[test]
    fn null_input_path_feeds_parameters_an_empty_object() {
        let t = PayloadTemplate::compile(&json!({"id.$": "$$.Execution.Id", "all.$": "$"}))
            .expect("valid template");
        let out = run(|env| effective_input(None, Some(&t), &json!({"a": 1}), env));
        assert_eq!(out, Ok(json!({"id": "e", "all": {}})));
    }

    #[test]
    fn output_path_selects_from_the_combined_value() {
        let rp = ReferencePath::parse("$.r").expect("valid path");
        let op = JsonPath::parse("$.r.x").expect("valid path");
        let out = run(|env| {
            state_output(
                None,
                Some(&rp),
                Some(&op),
                &json!({"a": 1}),
                json!({"x": 5}),
                env,
            )
        });
        assert_eq!(out, Ok(json!(5)));
        let op = JsonPath::parse("$.nothing").expect("valid path");
        let out = run(|env| state_output(None, None, Some(&op), &json!({}), json!(1), env));
        assert_eq!(
            out.map_err(|e| e.error),
            Err(crate::asl::error::RUNTIME.to_string())
        );
    }

    #[test]
    fn passthrough_keeps_the_selected_input() {
        let ip = JsonPath::parse("$.a").expect("valid path");
        let root = JsonPath::data_root();
        let out = run(|env| passthrough_output(Some(&ip), Some(&root), &json!({"a": [1]}), env));
        assert_eq!(out, Ok(json!([1])));
        let out = run(|env| passthrough_output(None, Some(&root), &json!({"a": [1]}), env));
        assert_eq!(out, Ok(json!({})));
    }
}
