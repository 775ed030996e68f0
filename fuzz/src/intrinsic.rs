//! `intrinsic_eval`: a `States.*` call with fuzzed arguments, parsed and
//! evaluated against a fuzzed input.
//!
//! Input: byte 0 picks the function; the rest up to the first `\n` is the
//! argument list (or, when it starts with `States.`, a whole call, so nested
//! calls and trailing text get fuzzed too); the remainder is the input JSON
//! (a fixed object when it does not parse).
//!
//! Properties: never a panic; a parsed call prints to text that parses,
//! prints the same again and evaluates to the same result; evaluation is
//! deterministic for a given random seed, and a failure is a `States.*` error.

use serde_json::{json, Value};
use shoal_engine::asl::intrinsic::{
    IntrinsicCall, IntrinsicContext, IntrinsicFunction, SeededRandom,
};

/// The `intrinsic_eval` target.
pub fn intrinsic_eval(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (arguments, input) = super::split_line(rest);
    let Ok(arguments) = std::str::from_utf8(arguments) else {
        return;
    };
    let text = if arguments.trim_start().starts_with("States.") {
        arguments.to_owned()
    } else {
        let functions: Vec<IntrinsicFunction> = IntrinsicFunction::all().collect();
        let function = functions[usize::from(selector) % functions.len()];
        format!("{}({arguments})", function.name())
    };
    let Ok(call) = IntrinsicCall::parse(&text) else {
        return;
    };
    // Printing normalises paths to their canonical text, which is part of a
    // path's equality, so the printed call must print the same again and
    // evaluate the same as the original, not compare equal to it.
    let printed = call.to_string();
    let reparsed = IntrinsicCall::parse(&printed).expect("a printed call parses");
    assert_eq!(
        reparsed.to_string(),
        printed,
        "{text:?} printed as {printed:?}"
    );

    let data: Value = serde_json::from_slice(input)
        .unwrap_or_else(|_| json!({"a": [1, 2.5, "x"], "s": "a,b", "n": 3}));
    let context =
        json!({"Execution": {"Id": "exec-1", "Input": {}}, "Map": {"Item": {"Index": 0}}});
    let seed = u64::from(selector);
    let first = evaluate(&call, &data, &context, seed);
    let second = evaluate(&call, &data, &context, seed);
    assert_eq!(first, second, "{text:?} is not deterministic");
    // A cause may quote the path as written; the error name may not change.
    let printed_result = evaluate(&reparsed, &data, &context, seed);
    assert_eq!(
        first.as_ref().map_err(|e| &e.error),
        printed_result.as_ref().map_err(|e| &e.error),
        "{text:?} and {printed:?} differ"
    );
    if let Err(error) = first {
        assert!(error.error.starts_with("States."), "{error:?}");
    }
}

fn evaluate(
    call: &IntrinsicCall,
    data: &Value,
    context: &Value,
    seed: u64,
) -> Result<Value, shoal_engine::asl::StatesError> {
    call.evaluate(&mut IntrinsicContext {
        data,
        context,
        random: &mut SeededRandom::new(seed),
    })
}
