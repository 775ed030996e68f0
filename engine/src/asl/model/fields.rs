//! A reader over one JSON object of a definition that records which fields
//! were used, converts types, and collects errors (with the field name) so
//! that one pass reports everything, including unknown fields.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::asl::definition_error::{DefinitionError, DefinitionErrorKind, Scope};
use crate::asl::path::{JsonPath, ReferencePath};
use crate::asl::template::PayloadTemplate;

/// A field-relative error: (field, kind).
pub(crate) type FieldError = (String, DefinitionErrorKind);

/// Collects errors of a whole definition and knows the current nesting.
#[derive(Default)]
pub(crate) struct Ctx {
    pub(crate) errors: Vec<DefinitionError>,
    pub(crate) scope: Vec<Scope>,
}

impl Ctx {
    /// Records field errors found in `state` (None = top level of the scope).
    pub(crate) fn report(&mut self, state: Option<&str>, errors: Vec<FieldError>) {
        for (field, kind) in errors {
            self.errors.push(DefinitionError {
                scope: self.scope.clone(),
                state: state.map(str::to_string),
                field,
                kind,
            });
        }
    }
}

/// Reads the fields of one object.
pub(crate) struct Fields<'a> {
    obj: &'a Map<String, Value>,
    used: HashSet<&'a str>,
    prefix: String,
    pub(crate) errors: Vec<FieldError>,
}

fn wrong(expected: &'static str) -> DefinitionErrorKind {
    DefinitionErrorKind::WrongType { expected }
}

impl<'a> Fields<'a> {
    /// Reads `obj`; error field names get `prefix.` in front (empty = none).
    pub(crate) fn new(obj: &'a Map<String, Value>, prefix: impl Into<String>) -> Self {
        Self {
            obj,
            used: HashSet::new(),
            prefix: prefix.into(),
            errors: Vec::new(),
        }
    }

    /// The full field name for error messages.
    pub(crate) fn name(&self, field: &str) -> String {
        if self.prefix.is_empty() {
            field.to_string()
        } else {
            format!("{}.{field}", self.prefix)
        }
    }

    /// Records an error on `field`.
    pub(crate) fn error(&mut self, field: &str, kind: DefinitionErrorKind) {
        let name = self.name(field);
        self.errors.push((name, kind));
    }

    /// Adds errors found by a nested reader (already fully named).
    pub(crate) fn absorb(&mut self, errors: Vec<FieldError>) {
        self.errors.extend(errors);
    }

    /// True when the field is present (even if null).
    pub(crate) fn has(&self, field: &str) -> bool {
        self.obj.contains_key(field)
    }

    /// The raw value, marking the field used.
    pub(crate) fn take(&mut self, field: &str) -> Option<&'a Value> {
        let (key, value) = self.obj.get_key_value(field)?;
        self.used.insert(key.as_str());
        Some(value)
    }

    /// Like [`Fields::take`] but records `MissingField` when absent.
    pub(crate) fn require(&mut self, field: &str) -> Option<&'a Value> {
        let v = self.take(field);
        if v.is_none() {
            self.error(field, DefinitionErrorKind::MissingField);
        }
        v
    }

    fn typed<T>(
        &mut self,
        field: &str,
        v: Option<&'a Value>,
        expected: &'static str,
        f: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Option<T> {
        let v = v?;
        let out = f(v);
        if out.is_none() {
            self.error(field, wrong(expected));
        }
        out
    }

    /// An optional string.
    pub(crate) fn string(&mut self, field: &str) -> Option<String> {
        let v = self.take(field);
        self.typed(field, v, "a string", |v| v.as_str().map(str::to_string))
    }

    /// A required string.
    pub(crate) fn required_string(&mut self, field: &str) -> Option<String> {
        let v = self.require(field);
        self.typed(field, v, "a string", |v| v.as_str().map(str::to_string))
    }

    /// An optional state name (Next, Default, StartAt): a string that, when
    /// empty, is reported here as naming no state (the graph check skips
    /// empty names, which stand for a missing field).
    pub(crate) fn target(&mut self, field: &str) -> Option<String> {
        let name = self.string(field)?;
        if name.is_empty() {
            self.error(field, DefinitionErrorKind::UnknownTarget(String::new()));
        }
        Some(name)
    }

    /// A required state name (see [`Fields::target`]).
    pub(crate) fn required_target(&mut self, field: &str) -> Option<String> {
        if !self.has(field) {
            self.error(field, DefinitionErrorKind::MissingField);
            return None;
        }
        self.target(field)
    }

    /// An optional boolean.
    pub(crate) fn bool(&mut self, field: &str) -> Option<bool> {
        let v = self.take(field);
        self.typed(field, v, "a boolean", Value::as_bool)
    }

    /// An optional integer that must be at least `min`.
    pub(crate) fn int_at_least(&mut self, field: &str, min: i64) -> Option<i64> {
        let v = self.take(field);
        let n = self.typed(field, v, "an integer", |v| {
            v.as_i64()
                .or_else(|| v.as_u64().map(|u| i64::try_from(u).unwrap_or(i64::MAX)))
        })?;
        if n < min {
            self.error(
                field,
                DefinitionErrorKind::InvalidValue {
                    reason: format!("must be at least {min}, got {n}"),
                },
            );
            return None;
        }
        Some(n)
    }

    /// An optional non-negative integer that must be at least `min`.
    pub(crate) fn uint_at_least(&mut self, field: &str, min: u64) -> Option<u64> {
        let min_i = i64::try_from(min).unwrap_or(i64::MAX);
        self.int_at_least(field, min_i)
            .and_then(|n| u64::try_from(n).ok())
    }

    /// An optional number.
    pub(crate) fn number(&mut self, field: &str) -> Option<f64> {
        let v = self.take(field);
        self.typed(field, v, "a number", Value::as_f64)
    }

    /// An optional object.
    pub(crate) fn object(&mut self, field: &str) -> Option<&'a Map<String, Value>> {
        let v = self.take(field);
        self.typed(field, v, "an object", Value::as_object)
    }

    /// An optional array.
    pub(crate) fn array(&mut self, field: &str) -> Option<&'a Vec<Value>> {
        let v = self.take(field);
        self.typed(field, v, "an array", Value::as_array)
    }

    /// An optional JSONPath; with `definite`, it must select a single value.
    pub(crate) fn path(&mut self, field: &str, definite: bool) -> Option<JsonPath> {
        let text = self.string(field)?;
        match JsonPath::parse(&text) {
            Ok(p) if definite && !p.is_definite() => {
                self.error(
                    field,
                    DefinitionErrorKind::InvalidPath {
                        path: text,
                        reason: "must be a reference path selecting a single value".into(),
                    },
                );
                None
            }
            Ok(p) => Some(p),
            Err(e) => {
                self.error(
                    field,
                    DefinitionErrorKind::InvalidPath {
                        path: text,
                        reason: e.to_string(),
                    },
                );
                None
            }
        }
    }

    /// InputPath/OutputPath: absent gives `$`, `null` gives `None`.
    pub(crate) fn nullable_path(&mut self, field: &str) -> Option<JsonPath> {
        match self.obj.get(field) {
            None => Some(JsonPath::data_root()),
            Some(Value::Null) => {
                self.take(field);
                None
            }
            Some(_) => self
                .path(field, false)
                .or_else(|| Some(JsonPath::data_root())),
        }
    }

    /// ResultPath: absent gives `$`, `null` gives `None` (discard the result).
    pub(crate) fn result_path(&mut self, field: &str) -> Option<ReferencePath> {
        match self.obj.get(field) {
            None => Some(ReferencePath::root()),
            Some(Value::Null) => {
                self.take(field);
                None
            }
            Some(_) => {
                let text = self.string(field)?;
                match ReferencePath::parse(&text) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        self.error(
                            field,
                            DefinitionErrorKind::InvalidPath {
                                path: text,
                                reason: e.to_string(),
                            },
                        );
                        Some(ReferencePath::root())
                    }
                }
            }
        }
    }

    /// An optional payload template (Parameters, ResultSelector, ...).
    pub(crate) fn template(&mut self, field: &str) -> Option<PayloadTemplate> {
        let v = self.take(field)?;
        if !v.is_object() {
            self.error(field, wrong("an object"));
            return None;
        }
        match PayloadTemplate::compile(v) {
            Ok(t) => Some(t),
            Err(e) => {
                let name = format!("{}.{}", self.name(field), e.at);
                self.errors.push((name, e.kind));
                None
            }
        }
    }

    /// Ends reading: every field not taken is reported as unknown.
    pub(crate) fn finish(mut self) -> Vec<FieldError> {
        let unknown: Vec<String> = self
            .obj
            .keys()
            .filter(|k| !self.used.contains(k.as_str()))
            .cloned()
            .collect();
        for key in unknown {
            self.error(&key, DefinitionErrorKind::UnknownField);
        }
        self.errors
    }
}
