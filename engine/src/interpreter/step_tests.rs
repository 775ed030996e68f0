//! `step_in_place` against `step`: same transitions, and a refused stale
//! input leaves the state untouched.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use super::*;
use crate::history::ExecutionId;

fn stamped(input: Input, timestamp_ms: i64) -> StampedInput {
    StampedInput {
        timestamp_ms,
        seed: 7,
        input,
    }
}

fn started() -> ExecutionState {
    let machine = StateMachine::from_json(
        r#"{"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "noop", "Next": "B"},
            "B": {"Type": "Pass", "End": true}
        }}"#,
    )
    .unwrap();
    let start_input = Input::Start {
        execution: ExecutionId(1),
        name: "e".into(),
        definition_hash: "h".into(),
        state_machine: "m".into(),
        input_json: r#"{"x": 1}"#.into(),
    };
    let (state, _) = start(
        Arc::new(machine),
        &stamped(start_input, 1_000),
        InterpreterOptions::default(),
    )
    .unwrap();
    state
}

fn task_succeeded(attempt: u32) -> Input {
    Input::TaskSucceeded {
        scope: Vec::new(),
        state: "A".into(),
        attempt,
        output_json: r#"{"y": 2}"#.into(),
    }
}

#[test]
fn a_stale_input_leaves_the_state_as_it_was() {
    let mut state = started();
    let before = format!("{state:?}");
    for input in [
        task_succeeded(3),
        Input::Continue { scope: Vec::new() },
        Input::TimerFired { timer: TimerId(9) },
        Input::Redrive,
    ] {
        let error = step_in_place(&mut state, &stamped(input, 2_000)).unwrap_err();
        assert!(error.leaves_state_unchanged(), "{error}");
        assert_eq!(format!("{state:?}"), before);
    }
}

#[test]
fn in_place_steps_match_cloning_steps_to_the_end() {
    // One definition for both (its Debug form has a hash map in it).
    let mut cloned = started();
    let mut in_place = cloned.clone();
    let inputs = [task_succeeded(0), Input::Continue { scope: Vec::new() }];
    for (i, input) in inputs.into_iter().enumerate() {
        let input = stamped(input, 2_000 + i as i64);
        let (next, expected) = step(&cloned, &input).unwrap();
        cloned = next;
        let output = step_in_place(&mut in_place, &input).unwrap();
        assert_eq!(output, expected);
        assert_eq!(format!("{in_place:?}"), format!("{cloned:?}"));
    }
    assert!(matches!(
        in_place.completion(),
        Some(Completion::Succeeded(_))
    ));
    let error = step_in_place(&mut in_place, &stamped(task_succeeded(0), 3_000)).unwrap_err();
    assert!(matches!(error, StepError::Finished { .. }));
}
