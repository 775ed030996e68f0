//! [`RawItem`]: an item as validated JSON text, and the validation that makes it one.
//!
//! Most consumers of items (the engine's Distributed Map without an ItemSelector) only need an
//! item's JSON text: they record it in the log and the child parses it once when it starts.
//! Building a `serde_json::Value` in the reader (with `preserve_order`, an IndexMap per object
//! and a `String` per key) and rendering it back to text costs several times more than the
//! reader's own work, so file readers can hand out the text instead
//! ([`ItemReader::next_raw_batch`](crate::ItemReader::next_raw_batch)).
//!
//! Validation walks the text with serde_json's own parser through a visitor that keeps
//! nothing, so a text is accepted exactly when `serde_json::from_slice::<Value>` would accept
//! it, and fails with the same message at the same position (numbers out of range, lone
//! surrogates, invalid UTF-8 and the nesting limit included): an item is never accepted raw
//! and refused later as a `Value`.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// The bytes JSON allows around a value.
const JSON_WHITESPACE: &[char] = &[' ', '\t', '\n', '\r'];

/// One item as JSON text: a single JSON value, without surrounding whitespace, that
/// `serde_json::from_str::<Value>` accepts.
///
/// The text is the item as the source spells it (a JSON Lines line, an array element) or, for
/// sources that build their items (CSV, listings, inventories, inline arrays), the compact
/// rendering `Value::to_string` gives. Parsing it gives the same `Value` that
/// [`ItemReader::next_batch`](crate::ItemReader::next_batch) yields for that item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawItem(Box<str>);

impl RawItem {
    /// Validates `text` as one JSON value (surrounding JSON whitespace is allowed and
    /// dropped). Fails with serde_json's error, the same one `from_slice::<Value>` gives.
    pub fn parse(text: &[u8]) -> Result<Self, serde_json::Error> {
        // UTF-8 is checked once for the whole text (fast for ASCII), so that serde_json parses
        // it as a `str` and skips checking each string again. Text that is not UTF-8 goes
        // through the byte parser, which fails exactly where `from_slice::<Value>` fails.
        let Ok(text) = std::str::from_utf8(text) else {
            serde_json::from_slice::<Valid>(text)?;
            return Err(serde::de::Error::custom(
                "text that is not UTF-8 passed JSON validation (parser disagreement)",
            ));
        };
        serde_json::from_str::<Valid>(text)?;
        Ok(Self(Box::from(text.trim_matches(JSON_WHITESPACE))))
    }

    /// The compact text of `value` (what `value.to_string()` gives).
    pub fn from_value(value: &Value) -> Self {
        Self(value.to_string().into_boxed_str())
    }

    /// Wraps text this crate rendered itself as compact JSON (CSV rows).
    pub(crate) fn from_rendered(text: String) -> Self {
        Self(text.into_boxed_str())
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The JSON text, without a copy.
    pub fn into_string(self) -> String {
        self.0.into_string()
    }

    /// Parses the text into a `Value`. Cannot fail for a `RawItem` (it was validated by the
    /// same parser); the `Result` keeps a parser disagreement an error rather than a panic.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

impl fmt::Display for RawItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An item as a parser produced it: a `Value` or validated text.
#[derive(Debug)]
pub(crate) enum Item {
    /// Built as a `Value` (the `next_batch` path, listings, inline arrays).
    Value(Value),
    /// Validated or rendered text (the `next_raw_batch` path).
    Raw(RawItem),
}

impl Item {
    /// The item as a `Value` (parsing raw text).
    pub(crate) fn into_value(self) -> Result<Value, serde_json::Error> {
        match self {
            Item::Value(value) => Ok(value),
            Item::Raw(raw) => raw.to_value(),
        }
    }

    /// The item as text (rendering a `Value`).
    pub(crate) fn into_raw(self) -> RawItem {
        match self {
            Item::Value(value) => RawItem::from_value(&value),
            Item::Raw(raw) => raw,
        }
    }
}

/// Accepts any JSON value and keeps nothing. Driven through `deserialize_any`, like `Value`,
/// so serde_json parses every string (escapes, UTF-8) and number (range) exactly as it does
/// for a `Value`; only the allocations are skipped.
struct Valid;

impl<'de> Deserialize<'de> for Valid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValidVisitor)
    }
}

struct ValidVisitor;

impl<'de> Visitor<'de> for ValidVisitor {
    type Value = Valid;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_str<E>(self, _: &str) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_unit<E>(self) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Valid, A::Error> {
        while seq.next_element::<Valid>()?.is_some() {}
        Ok(Valid)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Valid, A::Error> {
        // Keys go through `deserialize_str`, as `Value`'s do.
        while map.next_key::<ValidKey>()?.is_some() {
            map.next_value::<Valid>()?;
        }
        Ok(Valid)
    }
}

/// An object key: parsed as a string, kept as nothing.
struct ValidKey;

impl<'de> Deserialize<'de> for ValidKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = ValidKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_str<E>(self, _: &str) -> Result<ValidKey, E> {
        Ok(ValidKey)
    }
}

#[cfg(test)]
mod tests;
