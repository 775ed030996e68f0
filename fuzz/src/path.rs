//! `json_path`: JSONPath and reference-path text, compiled and evaluated.
//!
//! Input: the first line is the path text; the rest is the data JSON (a fixed
//! document when it does not parse). The context object `$$` is fixed.
//!
//! Properties: never a panic; a compiled path's canonical text compiles to
//! the same path; a definite path selects at most one node and `resolve`
//! agrees with `select`; a reference path that `set` accepts reads back
//! (`get`) the value it wrote.

use serde_json::{json, Value};
use shoal_engine::asl::path::{JsonPath, ReferencePath};

/// The `json_path` target.
pub fn json_path(data: &[u8]) {
    let (text, document) = super::split_line(data);
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let document: Value = serde_json::from_slice(document).unwrap_or_else(|_| {
        json!({"a": {"b": [1, {"c": "x"}, [2, 3]]}, "list": [{"v": 1}, {"v": 2, "w": null}], "k.y": true})
    });
    let context = json!({"Execution": {"Id": "e", "Input": {"x": 1}}, "Map": {"Item": {"Index": 2, "Value": [7]}}});
    if let Ok(path) = JsonPath::parse(text) {
        json_path_properties(text, &path, &document, &context);
    }
    if let Ok(path) = ReferencePath::parse(text) {
        reference_path_properties(&path, &document);
    }
}

fn json_path_properties(text: &str, path: &JsonPath, document: &Value, context: &Value) {
    let canonical = path.canonical();
    let again = JsonPath::parse(&canonical).expect("a canonical path parses");
    assert_eq!(
        again.segments(),
        path.segments(),
        "{text:?} -> {canonical:?}"
    );
    assert_eq!(again.root(), path.root());
    let selected = path.select(document, context);
    let resolved = path.resolve(document, context);
    if path.is_definite() {
        assert!(
            selected.len() <= 1,
            "definite {text:?} selected {selected:?}"
        );
        assert_eq!(resolved.as_ref(), selected.first().copied());
    }
    let by_ref = path.resolve_ref(document, context).map(|v| v.into_owned());
    assert_eq!(by_ref, resolved, "{text:?}: resolve_ref and resolve differ");
}

fn reference_path_properties(path: &ReferencePath, document: &Value) {
    let _ = path.get(document);
    let marker = json!({"written-by": "fuzz"});
    let mut target = document.clone();
    if path.set(&mut target, marker.clone()).is_ok() {
        assert_eq!(path.get(&target), Some(&marker), "{path}");
    }
}
