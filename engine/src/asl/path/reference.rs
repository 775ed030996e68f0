//! Reference paths: paths that address exactly one node, which can be read
//! and also written (ResultPath).
//!
//! Writing follows the ASL specification: a node at the path is replaced; a
//! missing object member is created, with intervening objects created as
//! needed. What cannot be done — a member of a non-object, an array index out
//! of range, an index into a missing node — is a `States.ResultPathMatchFailure`
//! for the caller to raise.

use std::fmt;

use serde_json::{Map, Value};

use super::json_path::{JsonPath, PathRoot, Segment, Selector};
use super::parse::PathSyntaxError;

/// One step of a reference path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceSegment {
    /// An object member.
    Field(String),
    /// An array element (non-negative).
    Index(usize),
}

/// A path that addresses one node of the state's data (`$`-rooted; only
/// names and non-negative indices).
#[derive(Debug, Clone, PartialEq)]
pub struct ReferencePath {
    segments: Vec<ReferenceSegment>,
    text: String,
}

/// Why a write through a reference path failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unable to apply path {path} to {found}: {reason}")]
pub struct ReferenceWriteError {
    /// The path as written.
    pub path: String,
    /// The JSON type found where the path needed a container.
    pub found: &'static str,
    /// What was attempted.
    pub reason: String,
}

impl ReferencePath {
    /// Parses a reference path: `$` followed by `.name`, `['name']` or `[n]`.
    pub fn parse(text: &str) -> Result<Self, PathSyntaxError> {
        let path = JsonPath::parse(text)?;
        let invalid = |reason: &str| PathSyntaxError {
            position: 0,
            reason: reason.to_string(),
        };
        if path.root() != PathRoot::Data {
            return Err(invalid(
                "a reference path cannot use the context object '$$'",
            ));
        }
        let mut segments = Vec::with_capacity(path.segments().len());
        for seg in path.segments() {
            match seg {
                Segment::Child(Selector::Name(n)) => {
                    segments.push(ReferenceSegment::Field(n.clone()))
                }
                Segment::Child(Selector::Index(i)) => match usize::try_from(*i) {
                    Ok(i) => segments.push(ReferenceSegment::Index(i)),
                    Err(_) => return Err(invalid("a reference path cannot use negative indices")),
                },
                _ => {
                    return Err(invalid(
                        "a reference path may only use names and indices (no '*', '..', slices or filters)",
                    ))
                }
            }
        }
        Ok(Self {
            segments,
            text: text.to_string(),
        })
    }

    /// The root path `$`.
    pub fn root() -> Self {
        Self {
            segments: Vec::new(),
            text: "$".into(),
        }
    }

    /// The steps after `$`.
    pub fn segments(&self) -> &[ReferenceSegment] {
        &self.segments
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The node at the path, if it exists.
    pub fn get<'v>(&self, data: &'v Value) -> Option<&'v Value> {
        let mut current = data;
        for seg in &self.segments {
            current = match (seg, current) {
                (ReferenceSegment::Field(n), Value::Object(map)) => map.get(n)?,
                (ReferenceSegment::Index(i), Value::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// Puts `value` at the path inside `data` (see the module doc for the rules).
    pub fn set(&self, data: &mut Value, value: Value) -> Result<(), ReferenceWriteError> {
        let mut current = data;
        for (depth, seg) in self.segments.iter().enumerate() {
            let is_last = depth + 1 == self.segments.len();
            current = match (seg, current) {
                (ReferenceSegment::Field(n), Value::Object(map)) => {
                    let next_is_index = matches!(
                        self.segments.get(depth + 1),
                        Some(ReferenceSegment::Index(_))
                    );
                    if !map.contains_key(n) {
                        if next_is_index {
                            return Err(self.error("object", format!("no array at field '{n}'")));
                        }
                        map.insert(n.clone(), Value::Object(Map::new()));
                    }
                    map.get_mut(n)
                        .ok_or_else(|| self.error("object", "lost field"))?
                }
                (ReferenceSegment::Index(i), Value::Array(items)) => {
                    let len = items.len();
                    items.get_mut(*i).ok_or_else(|| {
                        self.error("array", format!("index {i} out of range (length {len})"))
                    })?
                }
                (ReferenceSegment::Field(n), other) => {
                    let found = type_name(other);
                    return Err(
                        self.error(found, format!("cannot set field '{n}' on a non-object"))
                    );
                }
                (ReferenceSegment::Index(i), other) => {
                    let found = type_name(other);
                    return Err(self.error(found, format!("cannot set index {i} on a non-array")));
                }
            };
            if is_last {
                break;
            }
        }
        *current = value;
        Ok(())
    }

    fn error(&self, found: &'static str, reason: impl Into<String>) -> ReferenceWriteError {
        ReferenceWriteError {
            path: self.text.clone(),
            found,
            reason: reason.into(),
        }
    }
}

/// The JSON type name used in error messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl fmt::Display for ReferencePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(path: &str, mut data: Value, value: Value) -> Result<Value, ReferenceWriteError> {
        ReferencePath::parse(path)
            .expect("test path parses")
            .set(&mut data, value)
            .map(|()| data)
    }

    #[test]
    fn set_replaces_and_creates_intermediate_objects() {
        assert_eq!(set("$", json!({"a": 1}), json!(2)), Ok(json!(2)));
        assert_eq!(
            set("$.x.y", json!({"a": 1}), json!(2)),
            Ok(json!({"a": 1, "x": {"y": 2}}))
        );
        assert_eq!(
            set("$.a[1]", json!({"a": [0, 0]}), json!(5)),
            Ok(json!({"a": [0, 5]}))
        );
    }

    #[test]
    fn set_fails_where_it_cannot_apply() {
        assert!(set("$.a", json!("str"), json!(1)).is_err());
        assert!(set("$.a.b", json!({"a": 3}), json!(1)).is_err());
        assert!(set("$.a[3]", json!({"a": [0]}), json!(1)).is_err());
        assert!(set("$.a[0]", json!({}), json!(1)).is_err());
    }

    #[test]
    fn rejects_non_reference_paths() {
        for bad in ["$$.a", "$.a[*]", "$..a", "$.a[-1]", "$.a[0:1]", "$[?(@.a)]"] {
            assert!(ReferencePath::parse(bad).is_err(), "{bad}");
        }
    }
}
