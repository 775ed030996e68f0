//! Payload templates (Parameters, ItemSelector, ResultSelector, BatchInput)
//! and `.$` expressions, compiled at registration time.
//!
//! A member whose name ends in `.$` takes its value from an [`Expression`]: a
//! path into the state's data (`$...`), into the context object (`$$...`), or
//! an intrinsic function call. The `.$` suffix is removed from the name in the
//! output. Templates nest through objects and arrays.

use serde_json::Value;

use super::definition_error::DefinitionErrorKind;
use super::intrinsic::{looks_like_intrinsic, IntrinsicCall};
use super::path::JsonPath;

/// A value computed at run time: a path (data or context) or an intrinsic call.
#[derive(Debug, Clone, PartialEq)]
pub enum Expression {
    /// `$...` or `$$...`.
    Path(JsonPath),
    /// `States.Xxx(...)`.
    Intrinsic(IntrinsicCall),
}

impl Expression {
    /// Parses a `.$` value (or an ErrorPath/CausePath): an intrinsic call when
    /// it starts with `States.`, else a path.
    pub fn parse(text: &str) -> Result<Self, DefinitionErrorKind> {
        if looks_like_intrinsic(text) {
            IntrinsicCall::parse(text)
                .map(Expression::Intrinsic)
                .map_err(|e| DefinitionErrorKind::InvalidIntrinsic {
                    text: text.to_string(),
                    reason: e.to_string(),
                })
        } else {
            JsonPath::parse(text).map(Expression::Path).map_err(|e| {
                DefinitionErrorKind::InvalidPath {
                    path: text.to_string(),
                    reason: e.to_string(),
                }
            })
        }
    }
}

/// A compiled payload template.
#[derive(Debug, Clone, PartialEq)]
pub enum PayloadTemplate {
    /// A JSON value copied as is (no `.$` member anywhere inside).
    Literal(Value),
    /// An object; member names have the `.$` suffix removed.
    Object(Vec<(String, PayloadTemplate)>),
    /// An array of templates.
    Array(Vec<PayloadTemplate>),
    /// A value computed from an expression.
    Expression(Expression),
}

/// A template that does not compile: where inside it (dotted, e.g.
/// `a.b.$` or `list[0].x.$`) and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("at \"{at}\": {kind}")]
pub struct TemplateError {
    /// The member's location inside the template.
    pub at: String,
    /// The problem.
    pub kind: DefinitionErrorKind,
}

fn template_error(at: String, kind: DefinitionErrorKind) -> TemplateError {
    TemplateError { at, kind }
}

impl PayloadTemplate {
    /// Compiles `value`; on error returns the location inside the template
    /// (e.g. `a.b.$`) and what is wrong.
    pub fn compile(value: &Value) -> Result<Self, TemplateError> {
        compile_at(value, "")
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn compile_at(value: &Value, at: &str) -> Result<PayloadTemplate, TemplateError> {
    if !contains_dynamic(value) {
        return Ok(PayloadTemplate::Literal(value.clone()));
    }
    match value {
        Value::Object(map) => {
            let mut members = Vec::with_capacity(map.len());
            for (name, v) in map {
                let here = join(at, name);
                if let Some(base) = name.strip_suffix(".$") {
                    let Value::String(text) = v else {
                        return Err(template_error(
                            here,
                            DefinitionErrorKind::WrongType {
                                expected:
                                    "a string (path or intrinsic function) for a \".$\" field",
                            },
                        ));
                    };
                    let expr =
                        Expression::parse(text).map_err(|k| template_error(here.clone(), k))?;
                    members.push((base.to_string(), PayloadTemplate::Expression(expr)));
                } else {
                    members.push((name.clone(), compile_at(v, &here)?));
                }
                let last = members.len() - 1;
                if members[..last].iter().any(|(n, _)| *n == members[last].0) {
                    return Err(template_error(
                        here,
                        DefinitionErrorKind::InvalidValue {
                            reason: format!(
                                "duplicate field \"{}\" once \".$\" is removed",
                                members[last].0
                            ),
                        },
                    ));
                }
            }
            Ok(PayloadTemplate::Object(members))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| compile_at(v, &format!("{at}[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(PayloadTemplate::Array),
        other => Ok(PayloadTemplate::Literal(other.clone())),
    }
}

fn contains_dynamic(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.ends_with(".$") || contains_dynamic(v)),
        Value::Array(items) => items.iter().any(contains_dynamic),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn static_values_stay_literal() {
        let t = PayloadTemplate::compile(&json!({"a": [1, {"b": 2}]})).expect("valid template");
        assert!(matches!(t, PayloadTemplate::Literal(_)));
    }

    #[test]
    fn dynamic_members_compile_and_errors_name_the_member() {
        let t = PayloadTemplate::compile(&json!({"a": {"b.$": "$.x"}, "c": 1})).expect("valid");
        assert!(matches!(t, PayloadTemplate::Object(ref m) if m.len() == 2));
        let err = PayloadTemplate::compile(&json!({"a": {"b.$": "x"}})).expect_err("bad path");
        assert_eq!(err.at, "a.b.$");
        let err = PayloadTemplate::compile(&json!({"l": [{"b.$": 3}]})).expect_err("not a string");
        assert_eq!(err.at, "l[0].b.$");
        let err = PayloadTemplate::compile(&json!({"a": 1, "a.$": "$.x"})).expect_err("duplicate");
        assert_eq!(err.at, "a.$");
        let err =
            PayloadTemplate::compile(&json!({"f.$": "States.Bogus()"})).expect_err("bad call");
        assert!(matches!(
            err.kind,
            DefinitionErrorKind::InvalidIntrinsic { .. }
        ));
    }
}
