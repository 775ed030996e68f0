//! The Choice state: its rules, their comparison operators, and parsing.
//! Evaluation lives in [`crate::asl::choice`].

use serde_json::{Map, Value};

use super::common::forbid_transition;
use super::fields::Fields;
use crate::asl::definition_error::DefinitionErrorKind;
use crate::asl::path::JsonPath;
use crate::asl::timestamp::parse_timestamp;

/// The type a comparison operator works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// `String*` operators.
    String,
    /// `Numeric*` operators.
    Numeric,
    /// `Boolean*` operators (only Equals exists).
    Boolean,
    /// `Timestamp*` operators.
    Timestamp,
}

/// The comparison of a `<Kind><Op>[Path]` operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `Equals`
    Equals,
    /// `LessThan`
    LessThan,
    /// `GreaterThan`
    GreaterThan,
    /// `LessThanEquals`
    LessThanEquals,
    /// `GreaterThanEquals`
    GreaterThanEquals,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A literal from the definition (already type-checked).
    Literal(Value),
    /// A `...Path` operator: a value read from the input.
    Path(JsonPath),
}

/// The `Is*` type tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeTest {
    /// `IsNull`
    Null,
    /// `IsPresent`
    Present,
    /// `IsNumeric`
    Numeric,
    /// `IsString`
    String,
    /// `IsBoolean`
    Boolean,
    /// `IsTimestamp`
    Timestamp,
}

/// A piece of a `StringMatches` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternPart {
    /// Literal text (escapes resolved).
    Text(String),
    /// `*`: any run of characters, possibly empty.
    Star,
}

/// What a data-test rule checks about its Variable.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `<Kind><Op>` or `<Kind><Op>Path`.
    Compare {
        /// Operand type.
        kind: ValueKind,
        /// Operator.
        op: CompareOp,
        /// Right-hand side.
        operand: Operand,
    },
    /// `StringMatches` with `*` wildcards (`\*` is a literal star, `\\` a backslash).
    StringMatches(Vec<PatternPart>),
    /// `Is<Type>: expected`.
    Is {
        /// Which test.
        test: TypeTest,
        /// The boolean written in the definition.
        expected: bool,
    },
}

/// A boolean expression of a Choice rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// All must hold.
    And(Vec<Condition>),
    /// Any must hold.
    Or(Vec<Condition>),
    /// Must not hold.
    Not(Box<Condition>),
    /// A test of the value at `variable`.
    Data {
        /// The Variable path (data `$` or context `$$`).
        variable: JsonPath,
        /// The test.
        test: Test,
    },
}

/// A top-level Choice rule: a condition and where to go when it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceRule {
    /// The condition.
    pub condition: Condition,
    /// Target state.
    pub next: String,
    /// Comment.
    pub comment: Option<String>,
}

/// `"Type": "Choice"`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceState {
    /// Comment.
    pub comment: Option<String>,
    /// InputPath; `None` means `null`.
    pub input_path: Option<JsonPath>,
    /// OutputPath; `None` means `null`.
    pub output_path: Option<JsonPath>,
    /// Rules, tried in order.
    pub choices: Vec<ChoiceRule>,
    /// Default target when no rule matches.
    pub default: Option<String>,
}

const KINDS: [(&str, ValueKind); 4] = [
    ("String", ValueKind::String),
    ("Numeric", ValueKind::Numeric),
    ("Boolean", ValueKind::Boolean),
    ("Timestamp", ValueKind::Timestamp),
];
const OPS: [(&str, CompareOp); 5] = [
    ("Equals", CompareOp::Equals),
    ("LessThanEquals", CompareOp::LessThanEquals),
    ("GreaterThanEquals", CompareOp::GreaterThanEquals),
    ("LessThan", CompareOp::LessThan),
    ("GreaterThan", CompareOp::GreaterThan),
];
const TYPE_TESTS: [(&str, TypeTest); 6] = [
    ("IsNull", TypeTest::Null),
    ("IsPresent", TypeTest::Present),
    ("IsNumeric", TypeTest::Numeric),
    ("IsString", TypeTest::String),
    ("IsBoolean", TypeTest::Boolean),
    ("IsTimestamp", TypeTest::Timestamp),
];

/// Splits an operator name into kind, op and whether it is a `Path` variant.
fn comparison_operator(name: &str) -> Option<(ValueKind, CompareOp, bool)> {
    let (kind_name, kind) = KINDS.iter().find(|(k, _)| name.starts_with(k))?;
    let rest = &name[kind_name.len()..];
    let (base, is_path) = match rest.strip_suffix("Path") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    let (_, op) = OPS.iter().find(|(o, _)| *o == base)?;
    if *kind == ValueKind::Boolean && *op != CompareOp::Equals {
        return None;
    }
    Some((*kind, *op, is_path))
}

/// True for every operator field a data-test rule can carry.
fn is_operator(name: &str) -> bool {
    name == "StringMatches"
        || comparison_operator(name).is_some()
        || TYPE_TESTS.iter().any(|(t, _)| *t == name)
}

/// Parses a StringMatches pattern: `*` matches any run of characters, `\\*`
/// is a literal star and `\\\\` a literal backslash; any other backslash is
/// an error (the specification calls it an open escape).
pub fn parse_pattern(pattern: &str) -> Result<Vec<PatternPart>, String> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n @ ('*' | '\\')) => text.push(n),
                Some(n) => {
                    return Err(format!(
                        "invalid escape \"\\{n}\" (only \\* and \\\\ are allowed)"
                    ))
                }
                None => return Err("a trailing backslash escapes nothing".into()),
            },
            '*' => {
                if !text.is_empty() {
                    parts.push(PatternPart::Text(std::mem::take(&mut text)));
                }
                parts.push(PatternPart::Star);
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        parts.push(PatternPart::Text(text));
    }
    Ok(parts)
}

pub(crate) fn parse(f: &mut Fields<'_>) -> ChoiceState {
    forbid_transition(f, "Choice");
    let mut choices = Vec::new();
    match f.array("Choices") {
        Some(rules) if rules.is_empty() => f.error(
            "Choices",
            DefinitionErrorKind::InvalidValue {
                reason: "must contain at least one rule".into(),
            },
        ),
        Some(rules) => {
            for (i, rule) in rules.iter().enumerate() {
                let field = format!("Choices[{i}]");
                if let Some(r) = parse_top_rule(f, rule, &field) {
                    choices.push(r);
                }
            }
        }
        None if !f.has("Choices") => f.error("Choices", DefinitionErrorKind::MissingField),
        None => {}
    }
    ChoiceState {
        comment: f.string("Comment"),
        input_path: f.nullable_path("InputPath"),
        output_path: f.nullable_path("OutputPath"),
        choices,
        default: f.target("Default"),
    }
}

fn parse_top_rule(f: &mut Fields<'_>, rule: &Value, field: &str) -> Option<ChoiceRule> {
    let Some(obj) = rule.as_object() else {
        f.error(
            field,
            DefinitionErrorKind::WrongType {
                expected: "an object",
            },
        );
        return None;
    };
    let mut r = Fields::new(obj, f.name(field));
    let next = r.required_target("Next");
    let comment = r.string("Comment");
    let condition = parse_condition(&mut r, obj);
    f.absorb(r.finish());
    Some(ChoiceRule {
        condition: condition?,
        next: next?,
        comment,
    })
}

fn parse_nested(f: &mut Fields<'_>, value: &Value, field: &str) -> Option<Condition> {
    let Some(obj) = value.as_object() else {
        f.error(
            field,
            DefinitionErrorKind::WrongType {
                expected: "an object",
            },
        );
        return None;
    };
    let mut r = Fields::new(obj, f.name(field));
    if r.take("Next").is_some() {
        r.error(
            "Next",
            DefinitionErrorKind::InvalidValue {
                reason: "only top-level choice rules may have Next".into(),
            },
        );
    }
    let _ = r.string("Comment");
    let condition = parse_condition(&mut r, obj);
    f.absorb(r.finish());
    condition
}

fn parse_condition(r: &mut Fields<'_>, obj: &Map<String, Value>) -> Option<Condition> {
    let boolean_ops: Vec<&str> = ["And", "Or", "Not"]
        .into_iter()
        .filter(|k| obj.contains_key(*k))
        .collect();
    let data_ops: Vec<&String> = obj.keys().filter(|k| is_operator(k)).collect();
    let found = boolean_ops.len() + data_ops.len();
    // With no operator but an unrecognised field, that field is the
    // (misspelled) operator: its UnknownField error says more than a count.
    let has_unknown = obj
        .keys()
        .any(|k| !matches!(k.as_str(), "Variable" | "Next" | "Comment") && !is_operator(k));
    if found == 0 && has_unknown {
        let _ = r.take("Variable");
        return None;
    }
    if found != 1 {
        let field = data_ops
            .get(1)
            .map(|s| s.as_str())
            .or(boolean_ops.get(1).copied())
            .unwrap_or("Variable");
        r.error(field, DefinitionErrorKind::ChoiceRuleOperators { found });
        // Mark operators used so they are not also reported as unknown.
        for op in boolean_ops
            .iter()
            .copied()
            .chain(data_ops.iter().map(|s| s.as_str()))
        {
            r.take(op);
        }
        let _ = r.take("Variable");
        return None;
    }
    if let Some(&op) = boolean_ops.first() {
        if r.has("Variable") {
            r.take("Variable");
            r.error(
                "Variable",
                DefinitionErrorKind::NotAllowedOnType("And/Or/Not rule"),
            );
        }
        return parse_boolean(r, op);
    }
    let op = data_ops.first()?.as_str();
    let variable = match r.path("Variable", true) {
        Some(v) => Some(v),
        None => {
            if !r.has("Variable") {
                r.error("Variable", DefinitionErrorKind::MissingField);
            }
            None
        }
    };
    let test = parse_test(r, op);
    Some(Condition::Data {
        variable: variable?,
        test: test?,
    })
}

fn parse_boolean(r: &mut Fields<'_>, op: &str) -> Option<Condition> {
    let value = r.take(op)?;
    if op == "Not" {
        return parse_nested(r, value, "Not").map(|c| Condition::Not(Box::new(c)));
    }
    let Some(items) = value.as_array() else {
        r.error(
            op,
            DefinitionErrorKind::WrongType {
                expected: "an array of rules",
            },
        );
        return None;
    };
    if items.is_empty() {
        r.error(
            op,
            DefinitionErrorKind::InvalidValue {
                reason: "must contain at least one rule".into(),
            },
        );
        return None;
    }
    let mut conditions = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        conditions.push(parse_nested(r, item, &format!("{op}[{i}]")));
    }
    let conditions: Option<Vec<Condition>> = conditions.into_iter().collect();
    Some(match op {
        "And" => Condition::And(conditions?),
        _ => Condition::Or(conditions?),
    })
}

fn literal_error(r: &mut Fields<'_>, op: &str, expected: &'static str) -> Option<Test> {
    r.error(op, DefinitionErrorKind::WrongType { expected });
    None
}

fn parse_test(r: &mut Fields<'_>, op: &str) -> Option<Test> {
    if let Some((_, test)) = TYPE_TESTS.iter().find(|(t, _)| *t == op) {
        let expected = r.bool(op)?;
        return Some(Test::Is {
            test: *test,
            expected,
        });
    }
    if op == "StringMatches" {
        let pattern = r.string(op)?;
        return match parse_pattern(&pattern) {
            Ok(parts) => Some(Test::StringMatches(parts)),
            Err(reason) => {
                r.error(op, DefinitionErrorKind::InvalidValue { reason });
                None
            }
        };
    }
    let (kind, cmp, is_path) = comparison_operator(op)?;
    if is_path {
        let path = r.path(op, true)?;
        return Some(Test::Compare {
            kind,
            op: cmp,
            operand: Operand::Path(path),
        });
    }
    let value = r.take(op)?;
    let ok = match kind {
        ValueKind::String => value.is_string(),
        ValueKind::Numeric => value.is_number(),
        ValueKind::Boolean => value.is_boolean(),
        ValueKind::Timestamp => value.as_str().and_then(parse_timestamp).is_some(),
    };
    if !ok {
        let expected = match kind {
            ValueKind::String => "a string",
            ValueKind::Numeric => "a number",
            ValueKind::Boolean => "a boolean",
            ValueKind::Timestamp => "an RFC 3339 timestamp string",
        };
        return literal_error(r, op, expected);
    }
    Some(Test::Compare {
        kind,
        op: cmp,
        operand: Operand::Literal(value.clone()),
    })
}

/// Errors of a parsed rule list (used by tests of this module).
#[cfg(test)]
fn parse_rules(json: Value) -> (ChoiceState, Vec<super::fields::FieldError>) {
    let obj = json.as_object().cloned().unwrap_or_default();
    let mut f = Fields::new(&obj, "");
    let _ = f.take("Type");
    let state = parse(&mut f);
    let errors = f.finish();
    (state, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operator_names_split() {
        assert_eq!(
            comparison_operator("NumericLessThanEqualsPath"),
            Some((ValueKind::Numeric, CompareOp::LessThanEquals, true))
        );
        assert_eq!(comparison_operator("BooleanLessThan"), None);
        assert_eq!(comparison_operator("StringEqual"), None);
    }

    #[test]
    fn nested_rules_parse() {
        let (state, errors) = parse_rules(json!({"Type": "Choice", "Choices": [
            {"Not": {"Variable": "$.a", "StringEquals": "x"}, "Next": "A"},
            {"And": [{"Variable": "$.n", "NumericGreaterThan": 1},
                     {"Variable": "$.t", "TimestampLessThan": "2020-01-01T00:00:00Z"}], "Next": "B"}
        ], "Default": "C"}));
        assert_eq!(errors, vec![]);
        assert_eq!(state.choices.len(), 2);
        assert!(matches!(state.choices[1].condition, Condition::And(ref v) if v.len() == 2));
    }

    #[test]
    fn rule_operator_count_is_checked() {
        let (_, errors) = parse_rules(json!({"Type": "Choice", "Choices": [
            {"Variable": "$.a", "Next": "A"},
            {"Variable": "$.a", "StringEquals": "x", "IsNull": false, "Next": "A"}
        ]}));
        assert_eq!(errors.len(), 2);
        assert!(matches!(
            errors[0].1,
            DefinitionErrorKind::ChoiceRuleOperators { found: 0 }
        ));
        assert!(matches!(
            errors[1].1,
            DefinitionErrorKind::ChoiceRuleOperators { found: 2 }
        ));
    }

    #[test]
    fn patterns_handle_escapes() {
        assert!(parse_pattern("a\\b").is_err());
        assert!(parse_pattern("a\\").is_err());
        assert_eq!(
            parse_pattern("a*\\*b\\\\"),
            Ok(vec![
                PatternPart::Text("a".into()),
                PatternPart::Star,
                PatternPart::Text("*b\\".into())
            ])
        );
    }
}
