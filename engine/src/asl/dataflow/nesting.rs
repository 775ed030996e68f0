//! How deeply a JSON payload may nest, checked without recursion.
//!
//! Payloads are recorded as JSON text and parsed back on replay, and
//! serde_json refuses to parse text nested 128 levels or deeper (its
//! recursion limit). A value deeper than [`JSON_NESTING_LEVELS_MAX`] could be
//! recorded but never read back, and serializing or dropping a value tens of
//! thousands of levels deep recurses once per level, which can overflow a
//! thread's stack. So the engine refuses such values where they enter it (a
//! start input, a task handler's result) and treats them like an oversized
//! payload inside the data flow; this module measures without recursing.

use serde_json::Value;

/// The deepest nesting of arrays and objects a payload may have: 127, the
/// most serde_json parses back (a scalar is 0 levels, `[1]` is 1).
pub const JSON_NESTING_LEVELS_MAX: usize = 127;

/// True when `value` nests arrays/objects more than `levels` deep. Walks
/// with an explicit stack and stops at the first level past the bound.
pub fn nesting_exceeds(value: &Value, levels: usize) -> bool {
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
    fn a_million_levels_are_measured_and_dropped_without_recursion() {
        let value = nested(1_000_000);
        assert!(nesting_exceeds(&value, JSON_NESTING_LEVELS_MAX));
        drop_iteratively(value);
    }
}
