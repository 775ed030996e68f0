//! The JSON and generic intrinsics: Format, StringToJson, JsonMerge
//! (JsonToString is in `eval`).

use serde_json::Value;

use super::ast::IntrinsicFunction as F;
use super::eval::{arg, string_arg, Arg};
use crate::asl::error::StatesError;

/// `States.Format(template, args...)`: each `{}` is replaced by the next
/// argument (strings without quotes; numbers, booleans and null as JSON
/// text; arrays and objects are an error, as the specification says). In a literal
/// template `\{` and `\}` are literal braces; the number of `{}` must equal
/// the number of remaining arguments.
pub(crate) fn format(args: Vec<Arg>) -> Result<Value, StatesError> {
    let mut iter = args.into_iter();
    let Some(template) = iter.next() else {
        return Err(StatesError::intrinsic(
            "States.Format: missing the template",
        ));
    };
    let Value::String(plain) = &template.value else {
        return Err(StatesError::intrinsic(
            "States.Format: the template (argument 1) must be a string",
        ));
    };
    let rest: Vec<Value> = iter.map(|a| a.value).collect();
    let mut out = String::new();
    let mut next = rest.iter();
    let mut used = 0usize;
    let text: Vec<char> = template.raw.as_deref().unwrap_or(plain).chars().collect();
    let escapes = template.raw.is_some();
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            '\\' if escapes && i + 1 < text.len() => {
                out.push(text[i + 1]);
                i += 2;
                continue;
            }
            '{' if text.get(i + 1) == Some(&'}') => {
                let Some(v) = next.next() else {
                    return Err(StatesError::intrinsic(format!(
                        "States.Format: the template has more {{}} than the {} argument(s) given",
                        rest.len()
                    )));
                };
                used += 1;
                match v {
                    Value::String(s) => out.push_str(s),
                    Value::Array(_) | Value::Object(_) => {
                        return Err(StatesError::intrinsic(format!(
                            "States.Format: argument {} must be a string, number, boolean or null, not an array or object",
                            used + 1
                        )))
                    }
                    other => out.push_str(&other.to_string()),
                }
                i += 2;
                continue;
            }
            c => out.push(c),
        }
        i += 1;
    }
    if used != rest.len() {
        return Err(StatesError::intrinsic(format!(
            "States.Format: the template has {used} {{}} but {} argument(s) were given",
            rest.len()
        )));
    }
    Ok(Value::String(out))
}

pub(crate) fn string_to_json(args: &[Arg]) -> Result<Value, StatesError> {
    let text = string_arg(F::StringToJson, args, 0)?;
    serde_json::from_str(text)
        .map_err(|e| StatesError::intrinsic(format!("States.StringToJson: invalid JSON text: {e}")))
}

pub(crate) fn json_merge(args: &[Arg]) -> Result<Value, StatesError> {
    let left = arg(F::JsonMerge, args, 0)?;
    let right = arg(F::JsonMerge, args, 1)?;
    let deep = arg(F::JsonMerge, args, 2)?;
    match deep {
        Value::Bool(false) => {}
        Value::Bool(true) => {
            return Err(StatesError::intrinsic(
                "States.JsonMerge: only shallow merging is supported; argument 3 must be false",
            ))
        }
        _ => {
            return Err(StatesError::intrinsic(
                "States.JsonMerge: argument 3 must be the boolean false",
            ))
        }
    }
    let (Value::Object(l), Value::Object(r)) = (left, right) else {
        return Err(StatesError::intrinsic(
            "States.JsonMerge: arguments 1 and 2 must be objects",
        ));
    };
    let mut merged = l.clone();
    for (k, v) in r {
        merged.insert(k.clone(), v.clone());
    }
    Ok(Value::Object(merged))
}
