//! Choice evaluation (pure): which rule matches the state's input.
//!
//! Rules are tried in order; the first whose condition holds gives `Next`.
//! A comparison whose Variable holds a value of the wrong type is false (for
//! example NumericEquals on a string). A Variable, or the path of a `...Path`
//! operator, that selects nothing is `States.Runtime` — except for
//! `IsPresent`, which is exactly the test for that.

use std::cmp::Ordering;

use serde_json::Value;

use crate::asl::error::{StatesError, NO_CHOICE_MATCHED};
use crate::asl::model::{
    ChoiceState, CompareOp, Condition, Operand, PatternPart, Test, TypeTest, ValueKind,
};
use crate::asl::timestamp::parse_timestamp;

/// The `Next` of the first matching rule, or the `Default`, or `None` when
/// neither exists (the caller then fails with `States.NoChoiceMatched`, see
/// [`next_state`]). `input` is the state's InputPath-selected input.
pub fn evaluate<'s>(
    state: &'s ChoiceState,
    input: &Value,
    context: &Value,
) -> Result<Option<&'s str>, StatesError> {
    for rule in &state.choices {
        if condition_holds(&rule.condition, input, context)? {
            return Ok(Some(rule.next.as_str()));
        }
    }
    Ok(state.default.as_deref())
}

/// Like [`evaluate`], with no match being `States.NoChoiceMatched`.
pub fn next_state<'s>(
    state: &'s ChoiceState,
    input: &Value,
    context: &Value,
) -> Result<&'s str, StatesError> {
    evaluate(state, input, context)?.ok_or_else(no_choice_matched)
}

/// The `States.NoChoiceMatched` error.
pub fn no_choice_matched() -> StatesError {
    StatesError::new(
        NO_CHOICE_MATCHED,
        "No Choice rule matched and there is no Default",
    )
}

/// Whether one condition holds.
pub fn condition_holds(
    condition: &Condition,
    input: &Value,
    context: &Value,
) -> Result<bool, StatesError> {
    match condition {
        Condition::And(all) => {
            for c in all {
                if !condition_holds(c, input, context)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Condition::Or(any) => {
            for c in any {
                if condition_holds(c, input, context)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Condition::Not(c) => Ok(!condition_holds(c, input, context)?),
        Condition::Data { variable, test } => {
            let value = variable.resolve(input, context);
            if let Test::Is {
                test: TypeTest::Present,
                expected,
            } = test
            {
                return Ok(value.is_some() == *expected);
            }
            let value = value.ok_or_else(|| {
                StatesError::runtime(format!(
                    "Invalid path '{}': the choice state's condition path references an undefined value",
                    variable.as_str()
                ))
            })?;
            run_test(test, &value, input, context)
        }
    }
}

fn run_test(
    test: &Test,
    value: &Value,
    input: &Value,
    context: &Value,
) -> Result<bool, StatesError> {
    match test {
        Test::Is { test, expected } => Ok(type_test(*test, value) == *expected),
        Test::StringMatches(pattern) => Ok(value.as_str().is_some_and(|s| glob_match(pattern, s))),
        Test::Compare { kind, op, operand } => {
            let right = match operand {
                Operand::Literal(v) => v.clone(),
                Operand::Path(p) => p.resolve(input, context).ok_or_else(|| {
                    StatesError::runtime(format!(
                        "Invalid path '{}': the choice state's comparison path references an undefined value",
                        p.as_str()
                    ))
                })?,
            };
            Ok(compare(*kind, value, &right).is_some_and(|ord| op_holds(*op, ord)))
        }
    }
}

fn type_test(test: TypeTest, value: &Value) -> bool {
    match test {
        TypeTest::Null => value.is_null(),
        TypeTest::Present => true,
        TypeTest::Numeric => value.is_number(),
        TypeTest::String => value.is_string(),
        TypeTest::Boolean => value.is_boolean(),
        TypeTest::Timestamp => value.as_str().and_then(parse_timestamp).is_some(),
    }
}

fn op_holds(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Equals => ord == Ordering::Equal,
        CompareOp::LessThan => ord == Ordering::Less,
        CompareOp::GreaterThan => ord == Ordering::Greater,
        CompareOp::LessThanEquals => ord != Ordering::Greater,
        CompareOp::GreaterThanEquals => ord != Ordering::Less,
    }
}

/// Orders two values as `kind`; `None` when either is not of that kind.
fn compare(kind: ValueKind, left: &Value, right: &Value) -> Option<Ordering> {
    match kind {
        ValueKind::String => Some(left.as_str()?.cmp(right.as_str()?)),
        ValueKind::Boolean => {
            let (l, r) = (left.as_bool()?, right.as_bool()?);
            Some(if l == r {
                Ordering::Equal
            } else {
                Ordering::Less
            })
        }
        ValueKind::Numeric => {
            if let (Some(l), Some(r)) = (left.as_i64(), right.as_i64()) {
                return Some(l.cmp(&r));
            }
            left.as_f64()?.partial_cmp(&right.as_f64()?)
        }
        ValueKind::Timestamp => {
            let l = parse_timestamp(left.as_str()?)?;
            let r = parse_timestamp(right.as_str()?)?;
            Some(l.cmp(&r))
        }
    }
}

/// Matches `text` against a StringMatches pattern (`*` = any run).
pub fn glob_match(pattern: &[PatternPart], text: &str) -> bool {
    // Classic greedy wildcard matching with backtracking to the last star.
    let mut rest = text;
    let mut parts = pattern.iter().peekable();
    let mut star = false;
    while let Some(part) = parts.next() {
        match part {
            PatternPart::Star => star = true,
            PatternPart::Text(t) => {
                let is_last = parts.peek().is_none();
                if !star {
                    match rest.strip_prefix(t.as_str()) {
                        Some(r) => rest = r,
                        None => return false,
                    }
                } else if is_last {
                    return rest.ends_with(t.as_str());
                } else {
                    match rest.find(t.as_str()) {
                        Some(i) => rest = &rest[i + t.len()..],
                        None => return false,
                    }
                }
                star = false;
            }
        }
    }
    star || rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::model::parse_pattern;

    #[test]
    fn glob_matching() {
        let m = |p: &str, t: &str| glob_match(&parse_pattern(p).expect("valid pattern"), t);
        assert!(m("log-*.txt", "log-2024.txt"));
        assert!(m("*.log", "a.log"));
        assert!(m("*", ""));
        assert!(m("a*b*c", "aXbYc"));
        assert!(m("a*b*c", "abbc"));
        assert!(!m("a*b*c", "acb"));
        assert!(m("\\*x", "*x"));
        assert!(!m("\\*x", "ax"));
        assert!(m("exact", "exact"));
        assert!(!m("exact", "exactly"));
        assert!(m("*a*a", "aaa"));
    }
}
