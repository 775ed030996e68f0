//! Whether a state reads the context object (`$$`), so a runtime can skip
//! building it (which copies the execution input) for states that do not.

use super::choice::{Condition, Operand, Test};
use super::common::{IntegerSource, NumberSource};
use super::machine::State;
use super::terminal::FailText;
use super::wait::WaitFor;
use crate::asl::intrinsic::{IntrinsicArg, IntrinsicCall};
use crate::asl::path::{JsonPath, PathRoot};
use crate::asl::template::{Expression, PayloadTemplate};

fn path(p: &JsonPath) -> bool {
    p.root() == PathRoot::Context
}

fn opt_path(p: Option<&JsonPath>) -> bool {
    p.is_some_and(path)
}

fn call(c: &IntrinsicCall) -> bool {
    c.args.iter().any(|a| match a {
        IntrinsicArg::Path(p) => path(p),
        IntrinsicArg::Call(inner) => call(inner),
        _ => false,
    })
}

fn expression(e: &Expression) -> bool {
    match e {
        Expression::Path(p) => path(p),
        Expression::Intrinsic(c) => call(c),
    }
}

/// True when the template has a `.$` member reading `$$`.
pub fn template_uses_context(t: &PayloadTemplate) -> bool {
    match t {
        PayloadTemplate::Literal(_) => false,
        PayloadTemplate::Expression(e) => expression(e),
        PayloadTemplate::Array(items) => items.iter().any(template_uses_context),
        PayloadTemplate::Object(members) => members.iter().any(|(_, t)| template_uses_context(t)),
    }
}

fn template(t: Option<&PayloadTemplate>) -> bool {
    t.is_some_and(template_uses_context)
}

fn integer(s: Option<&IntegerSource>) -> bool {
    matches!(s, Some(IntegerSource::Path(p)) if path(p))
}

fn number(s: Option<&NumberSource>) -> bool {
    matches!(s, Some(NumberSource::Path(p)) if path(p))
}

fn condition(c: &Condition) -> bool {
    match c {
        Condition::And(all) | Condition::Or(all) => all.iter().any(condition),
        Condition::Not(inner) => condition(inner),
        Condition::Data { variable, test } => {
            path(variable)
                || matches!(test, Test::Compare { operand: Operand::Path(p), .. } if path(p))
        }
    }
}

fn fail_text(t: Option<&FailText>) -> bool {
    matches!(t, Some(FailText::Expression(e)) if expression(e))
}

impl State {
    /// True when one of this state's own fields reads the context object
    /// (`$$`): a path, a `.$` member, an intrinsic argument, a Choice
    /// Variable, a `...Path` field. States inside Parallel branches or Map
    /// processors are not included: ask them. A Map's ItemSelector counts
    /// (it usually reads `$$.Map.Item`).
    pub fn uses_context_object(&self) -> bool {
        match self {
            State::Pass(s) => {
                opt_path(s.input_path.as_ref())
                    || opt_path(s.output_path.as_ref())
                    || template(s.parameters.as_ref())
            }
            State::Task(s) => {
                opt_path(s.input_path.as_ref())
                    || opt_path(s.output_path.as_ref())
                    || template(s.parameters.as_ref())
                    || template(s.result_selector.as_ref())
                    || integer(s.timeout.as_ref())
                    || integer(s.heartbeat.as_ref())
            }
            State::Choice(s) => {
                opt_path(s.input_path.as_ref())
                    || opt_path(s.output_path.as_ref())
                    || s.choices.iter().any(|r| condition(&r.condition))
            }
            State::Wait(s) => {
                opt_path(s.input_path.as_ref())
                    || opt_path(s.output_path.as_ref())
                    || matches!(&s.wait, WaitFor::SecondsPath(p) | WaitFor::TimestampPath(p) if path(p))
            }
            State::Succeed(s) => {
                opt_path(s.input_path.as_ref()) || opt_path(s.output_path.as_ref())
            }
            State::Fail(s) => fail_text(s.error.as_ref()) || fail_text(s.cause.as_ref()),
            State::Parallel(s) => {
                opt_path(s.input_path.as_ref())
                    || opt_path(s.output_path.as_ref())
                    || template(s.parameters.as_ref())
                    || template(s.result_selector.as_ref())
            }
            State::Map(s) => {
                opt_path(s.input_path.as_ref())
                    || opt_path(s.output_path.as_ref())
                    || path(&s.items_path)
                    || template(s.item_selector.as_ref())
                    || template(s.result_selector.as_ref())
                    || integer(s.max_concurrency.as_ref())
                    || integer(s.tolerated_failure_count.as_ref())
                    || number(s.tolerated_failure_percentage.as_ref())
                    || s.item_reader
                        .as_ref()
                        .is_some_and(|r| template(r.parameters_template.as_ref()))
                    || s.item_batcher.as_ref().is_some_and(|b| {
                        template(b.batch_input.as_ref())
                            || integer(b.max_items_per_batch.as_ref())
                            || integer(b.max_input_bytes_per_batch.as_ref())
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::asl::StateMachine;
    use serde_json::json;

    /// Parses `state` as "S" in a machine that reaches both it and "E".
    fn uses(state: serde_json::Value) -> bool {
        let start = json!({"Type": "Choice", "Default": "E",
            "Choices": [{"Variable": "$.x", "IsNull": true, "Next": "S"}]});
        let sm = StateMachine::from_value(&json!({"StartAt": "Start",
            "States": {"Start": start, "S": state, "E": {"Type": "Succeed"}}}))
        .unwrap_or_else(|e| panic!("valid: {e}"));
        sm.state("S").map(|s| s.uses_context_object()) == Some(true)
    }

    #[test]
    fn finds_context_references() {
        assert!(!uses(
            json!({"Type": "Pass", "Next": "E", "Parameters": {"a.$": "$.x"}})
        ));
        assert!(uses(
            json!({"Type": "Pass", "Next": "E", "Parameters": {"a": [{"b.$": "$$.Execution.Id"}]}})
        ));
        assert!(uses(
            json!({"Type": "Pass", "Next": "E", "Parameters": {"a.$": "States.Format('{}', States.Array($$.State.Name))"}})
        ));
        assert!(uses(json!({"Type": "Choice", "Default": "E", "Choices": [
            {"Not": {"Variable": "$.a", "StringEqualsPath": "$$.Execution.Name"}, "Next": "E"}]})));
        assert!(!uses(json!({"Type": "Choice", "Default": "E", "Choices": [
            {"Variable": "$.a", "IsNull": true, "Next": "E"}]})));
        assert!(uses(
            json!({"Type": "Task", "Resource": "r", "Next": "E", "TimeoutSecondsPath": "$$.Execution.Input.t"})
        ));
        assert!(uses(
            json!({"Type": "Fail", "CausePath": "$$.Execution.Id"})
        ));
        assert!(!uses(json!({"Type": "Wait", "Seconds": 1, "Next": "E"})));
    }
}
