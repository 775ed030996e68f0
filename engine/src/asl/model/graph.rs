//! Graph checks of one scope: StartAt and every transition target name a
//! state of the same scope, and every state is reachable from StartAt.
//! Transitions never cross scopes (a branch cannot jump out of itself).

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::common::Transition;
use super::fields::{Ctx, FieldError};
use super::machine::{Branch, State};
use crate::asl::definition_error::DefinitionErrorKind;

/// Every transition target of `state`, with the field that names it.
pub(crate) fn targets(state: &State) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    if let Some(Transition::Next(n)) = state.transition() {
        out.push(("Next".to_string(), n.as_str()));
    }
    let catchers = match state {
        State::Task(s) => s.catch.as_slice(),
        State::Parallel(s) => s.catch.as_slice(),
        State::Map(s) => s.catch.as_slice(),
        _ => &[],
    };
    for (i, c) in catchers.iter().enumerate() {
        out.push((format!("Catch[{i}].Next"), c.next.as_str()));
    }
    if let State::Choice(c) = state {
        for (i, rule) in c.choices.iter().enumerate() {
            out.push((format!("Choices[{i}].Next"), rule.next.as_str()));
        }
        if let Some(d) = &c.default {
            out.push(("Default".to_string(), d.as_str()));
        }
    }
    out
}

pub(crate) fn validate_branch(branch: &Branch, obj: &Map<String, Value>, ctx: &mut Ctx) {
    // States that failed to parse are absent from `branch.states` but still
    // exist as names: use the raw names so one error does not cascade.
    let names: HashSet<&str> = obj
        .get("States")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if names.is_empty() {
        return;
    }
    if !branch.start_at.is_empty() && !names.contains(branch.start_at.as_str()) {
        ctx.report(
            None,
            vec![(
                "StartAt".into(),
                DefinitionErrorKind::UnknownTarget(branch.start_at.clone()),
            )],
        );
    }
    for (name, state) in branch.states.iter() {
        let errors: Vec<FieldError> = targets(state)
            .into_iter()
            .filter(|(_, target)| !target.is_empty() && !names.contains(target))
            .map(|(field, target)| {
                (
                    field,
                    DefinitionErrorKind::UnknownTarget(target.to_string()),
                )
            })
            .collect();
        ctx.report(Some(name), errors);
    }
    // Reachability only makes sense when every state parsed.
    if branch.states.len() != names.len() || !names.contains(branch.start_at.as_str()) {
        return;
    }
    let mut seen: HashSet<&str> = HashSet::new();
    let mut stack = vec![branch.start_at.as_str()];
    while let Some(name) = stack.pop() {
        if !seen.insert(name) {
            continue;
        }
        if let Some(state) = branch.states.get(name) {
            stack.extend(targets(state).into_iter().map(|(_, t)| t));
        }
    }
    for (name, _) in branch.states.iter() {
        if !seen.contains(name) {
            ctx.report(
                Some(name),
                vec![("States".into(), DefinitionErrorKind::Unreachable)],
            );
        }
    }
}
