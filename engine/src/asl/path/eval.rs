//! Evaluating a compiled JSONPath against a JSON value.

use std::borrow::Cow;

use serde_json::Value;

use super::json_path::{JsonPath, PathRoot, Segment, Selector};

impl JsonPath {
    /// Every node the path selects, in document order. `data` answers `$`,
    /// `context` answers `$$`.
    pub fn select<'v>(&self, data: &'v Value, context: &'v Value) -> Vec<&'v Value> {
        let root = match self.root {
            PathRoot::Data => data,
            PathRoot::Context => context,
        };
        let mut current = vec![root];
        for segment in &self.segments {
            let mut next = Vec::new();
            for node in current {
                match segment {
                    Segment::Child(sel) => apply(sel, node, &mut next),
                    Segment::Descendant(sel) => {
                        let mut all = Vec::new();
                        descendants(node, &mut all);
                        for n in all {
                            apply(sel, n, &mut next);
                        }
                    }
                }
            }
            current = next;
        }
        current
    }

    /// The path's value as Step Functions computes it: for a definite path the
    /// single selected value (`None` when it does not exist); for an
    /// indefinite path, always `Some` array of the matches (possibly empty).
    pub fn resolve(&self, data: &Value, context: &Value) -> Option<Value> {
        let found = self.select(data, context);
        if self.is_definite() {
            found.first().map(|v| (*v).clone())
        } else {
            Some(Value::Array(found.into_iter().cloned().collect()))
        }
    }
}

impl JsonPath {
    /// Like [`JsonPath::resolve`] but borrows the selected value when the
    /// path is definite, so callers that only read it avoid a copy.
    pub fn resolve_ref<'v>(&self, data: &'v Value, context: &'v Value) -> Option<Cow<'v, Value>> {
        if self.segments.is_empty() {
            return Some(Cow::Borrowed(match self.root {
                PathRoot::Data => data,
                PathRoot::Context => context,
            }));
        }
        let found = self.select(data, context);
        if self.is_definite() {
            found.first().map(|v| Cow::Borrowed(*v))
        } else {
            Some(Cow::Owned(Value::Array(
                found.into_iter().cloned().collect(),
            )))
        }
    }

    /// True for the plain data root `$` (the identity path).
    pub fn is_data_root(&self) -> bool {
        self.root == PathRoot::Data && self.segments.is_empty()
    }
}

/// Follows a relative path of names and indices from `node`.
pub(super) fn select_relative<'v>(path: &[Segment], node: &'v Value) -> Option<&'v Value> {
    let mut current = node;
    for seg in path {
        let mut out = Vec::with_capacity(1);
        match seg {
            Segment::Child(sel) => apply(sel, current, &mut out),
            Segment::Descendant(_) => return None,
        }
        current = out.first().copied()?;
    }
    Some(current)
}

fn descendants<'v>(node: &'v Value, out: &mut Vec<&'v Value>) {
    out.push(node);
    match node {
        Value::Array(items) => items.iter().for_each(|v| descendants(v, out)),
        Value::Object(map) => map.values().for_each(|v| descendants(v, out)),
        _ => {}
    }
}

/// Resolves a possibly negative index against `len`.
fn normalize(index: i64, len: usize) -> Option<usize> {
    let len_i = i64::try_from(len).ok()?;
    let i = if index < 0 { len_i + index } else { index };
    if (0..len_i).contains(&i) {
        usize::try_from(i).ok()
    } else {
        None
    }
}

fn clamp_bound(bound: i64, len: usize) -> usize {
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let b = if bound < 0 { len_i + bound } else { bound };
    usize::try_from(b.clamp(0, len_i)).unwrap_or(len)
}

fn apply<'v>(sel: &Selector, node: &'v Value, out: &mut Vec<&'v Value>) {
    match (sel, node) {
        (Selector::Name(n), Value::Object(map)) => out.extend(map.get(n)),
        (Selector::Names(names), Value::Object(map)) => {
            out.extend(names.iter().filter_map(|n| map.get(n)));
        }
        (Selector::Index(i), Value::Array(items)) => {
            out.extend(normalize(*i, items.len()).and_then(|i| items.get(i)));
        }
        (Selector::Indices(list), Value::Array(items)) => out.extend(
            list.iter()
                .filter_map(|i| normalize(*i, items.len()).and_then(|i| items.get(i))),
        ),
        (Selector::Wildcard, Value::Array(items)) => out.extend(items.iter()),
        (Selector::Wildcard, Value::Object(map)) => out.extend(map.values()),
        (Selector::Slice { start, end }, Value::Array(items)) => {
            let s = start.map_or(0, |b| clamp_bound(b, items.len()));
            let e = end.map_or(items.len(), |b| clamp_bound(b, items.len()));
            if s < e {
                out.extend(items[s..e].iter());
            }
        }
        (Selector::Filter(expr), Value::Array(items)) => {
            out.extend(items.iter().filter(|v| expr.matches(v)));
        }
        (Selector::Filter(expr), Value::Object(map)) => {
            out.extend(map.values().filter(|v| expr.matches(v)));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(path: &str, data: &Value) -> Option<Value> {
        JsonPath::parse(path)
            .expect("test path parses")
            .resolve(data, &Value::Null)
    }

    #[test]
    fn definite_and_indefinite() {
        let data = json!({"a": {"b": [1, 2, 3, 4]}, "c": "x"});
        assert_eq!(eval("$.a.b[1]", &data), Some(json!(2)));
        assert_eq!(eval("$.a.b[-1]", &data), Some(json!(4)));
        assert_eq!(eval("$.a.b[9]", &data), None);
        assert_eq!(eval("$.nope", &data), None);
        assert_eq!(eval("$.a.b[1:3]", &data), Some(json!([2, 3])));
        assert_eq!(eval("$.a.b[-2:]", &data), Some(json!([3, 4])));
        assert_eq!(eval("$.a.b[*]", &data), Some(json!([1, 2, 3, 4])));
        assert_eq!(eval("$..c", &data), Some(json!(["x"])));
        assert_eq!(eval("$.zz[*]", &data), Some(json!([])));
    }

    #[test]
    fn filters_select_matching_elements() {
        let data = json!({"items": [{"p": 1, "t": "a"}, {"p": 5}, {"p": 3, "t": "b"}]});
        assert_eq!(eval("$.items[?(@.p < 4)].p", &data), Some(json!([1, 3])));
        assert_eq!(eval("$.items[?(@.t)].t", &data), Some(json!(["a", "b"])));
        assert_eq!(
            eval("$.items[?(@.t == 'b' || @.p == 5)].p", &data),
            Some(json!([5, 3]))
        );
        assert_eq!(eval("$.items[?(!(@.t))].p", &data), Some(json!([5])));
    }
}
