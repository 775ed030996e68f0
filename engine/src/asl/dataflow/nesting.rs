//! How deeply a JSON payload may nest, checked without unbounded recursion.
//!
//! Payloads are recorded as JSON text and parsed back on replay, and
//! serde_json refuses to parse text nested 128 levels or deeper (its
//! recursion limit). A value deeper than [`JSON_NESTING_LEVELS_MAX`] could be
//! recorded but never read back, and serializing or dropping a value tens of
//! thousands of levels deep recurses once per level, which can overflow a
//! thread's stack. So the engine refuses such values where they enter it (a
//! start input, a task handler's result) and treats them like an oversized
//! payload inside the data flow; this module measures without
//! recursing deeper than the bound, and drops without recursing.

use serde_json::Value;

/// The deepest nesting of arrays and objects a payload may have: 127, the
/// most serde_json parses back (a scalar is 0 levels, `[1]` is 1).
pub const JSON_NESTING_LEVELS_MAX: usize = 127;

/// True when `value` nests arrays/objects more than `levels` deep, and
/// stops at the first level past the bound. Up to
/// [`JSON_NESTING_LEVELS_MAX`] levels it recurses (at most `levels + 1`
/// frames, whatever the value's depth) and allocates nothing: it runs on
/// every payload of every transition. A larger bound walks with an
/// explicit stack instead.
pub fn nesting_exceeds(value: &Value, levels: usize) -> bool {
    if levels <= JSON_NESTING_LEVELS_MAX {
        exceeds_within(value, levels)
    } else {
        exceeds_with_stack(value, levels)
    }
}

/// Recursion bounded by `remaining`: a container with no level left is
/// too deep, so the walk never goes below `remaining + 1` frames.
fn exceeds_within(value: &Value, remaining: usize) -> bool {
    match value {
        Value::Array(items) => {
            remaining == 0 || items.iter().any(|v| exceeds_within(v, remaining - 1))
        }
        Value::Object(members) => {
            remaining == 0 || members.values().any(|v| exceeds_within(v, remaining - 1))
        }
        _ => false,
    }
}

fn exceeds_with_stack(value: &Value, levels: usize) -> bool {
    let mut stack: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(members) => Box::new(members.values()),
            _ => continue,
        };
        if depth + 1 > levels {
            return true;
        }
        stack.extend(children.map(|child| (child, depth + 1)));
    }
    false
}

/// Drops `value` without recursing, however deep it is (serde_json's own
/// drop recurses once per level).
pub fn drop_iteratively(value: Value) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(members) => stack.extend(members.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(depth: usize) -> Value {
        let mut value = json!(0);
        for i in 0..depth {
            value = if i % 2 == 0 {
                Value::Array(vec![value])
            } else {
                // Not json!: it would serialize `value` (recursively) to embed it.
                let mut members = serde_json::Map::new();
                members.insert("k".to_owned(), value);
                Value::Object(members)
            };
        }
        value
    }

    #[test]
    fn depth_counts_arrays_and_objects() {
        assert!(!nesting_exceeds(&json!(1), 0));
        assert!(nesting_exceeds(&json!([]), 0));
        assert!(!nesting_exceeds(&json!([1, {"a": [2]}]), 3));
        assert!(nesting_exceeds(&json!([1, {"a": [2]}]), 2));
    }

    #[test]
    fn the_bound_matches_what_serde_json_parses_back() {
        for depth in [JSON_NESTING_LEVELS_MAX, JSON_NESTING_LEVELS_MAX + 1] {
            let value = nested(depth);
            let parses = serde_json::from_str::<Value>(&value.to_string()).is_ok();
            assert_eq!(
                parses,
                !nesting_exceeds(&value, JSON_NESTING_LEVELS_MAX),
                "{depth}"
            );
        }
    }

    #[test]
    fn the_stack_walk_agrees_with_the_bounded_recursion() {
        for depth in [0, 1, 5, 127, 128, 300] {
            let value = nested(depth);
            for levels in [0, 1, 4, 5, 6, 126, 127] {
                assert_eq!(
                    exceeds_within(&value, levels),
                    exceeds_with_stack(&value, levels),
                    "depth {depth}, levels {levels}"
                );
            }
        }
        assert!(!nesting_exceeds(&nested(300), 1_000));
        assert!(nesting_exceeds(&nested(300), 200));
    }

    #[test]
    fn a_million_levels_are_measured_and_dropped_without_recursion() {
        let value = nested(1_000_000);
        assert!(nesting_exceeds(&value, JSON_NESTING_LEVELS_MAX));
        drop_iteratively(value);
    }
}
