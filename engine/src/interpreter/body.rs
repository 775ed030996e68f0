//! Finding the definition that belongs to a running scope: the top-level
//! states, a Parallel branch, or a Map item processor.

use super::state::{Phase, Scope};
use crate::asl::model::{State, States};
use crate::asl::StateMachine;

/// The states of one scope and where it starts.
#[derive(Clone, Copy)]
pub(crate) struct Body<'m> {
    pub start_at: &'m str,
    pub states: &'m States,
}

/// The body of the scope at `path` below `root`, walking the definition
/// alongside the running scopes.
pub(crate) fn body_of<'m>(
    machine: &'m StateMachine,
    root: &Scope,
    path: &[u32],
) -> Option<Body<'m>> {
    let mut body = Body {
        start_at: &machine.start_at,
        states: &machine.states,
    };
    let mut scope = root;
    for index in path {
        let current = scope.current.as_ref()?;
        let branch = match body.states.get(&current.name)? {
            State::Parallel(parallel) => parallel.branches.get(*index as usize)?,
            State::Map(map) => &map.processor.branch,
            _ => return None,
        };
        body = Body {
            start_at: &branch.start_at,
            states: &branch.states,
        };
        let Phase::FanOut(fan_out) = &current.phase else {
            return None;
        };
        scope = fan_out.running.get(index)?;
    }
    Some(body)
}

/// The definition of the current state of the scope at `path`.
pub(crate) fn current_state<'m>(
    machine: &'m StateMachine,
    root: &Scope,
    path: &[u32],
) -> Option<&'m State> {
    let body = body_of(machine, root, path)?;
    let name = &root.descendant(path)?.current.as_ref()?.name;
    body.states.get(name)
}
