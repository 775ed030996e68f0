//! Content addressing of definitions: SHA-256 over a canonical JSON
//! serialisation (object keys sorted by their UTF-8 bytes, no whitespace,
//! numbers and strings as serde_json prints them).

use std::fmt;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// A definition's content hash: 64 lowercase hex digits of SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash(String);

impl ContentHash {
    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Writes `value` canonically into `out`.
pub fn canonical_json(value: &Value, out: &mut String) {
    let mut sink = StringSink(out);
    write_canonical(value, &mut sink);
}

/// The content hash of a JSON value.
pub fn content_hash(value: &Value) -> ContentHash {
    let mut sink = HashSink(Sha256::new());
    write_canonical(value, &mut sink);
    let digest = sink.0.finalize();
    ContentHash(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// Where canonical text goes: a string (for tests and debugging) or,
/// without building the text, straight into the hasher.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

struct StringSink<'a>(&'a mut String);

impl Sink for StringSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        // Only whole UTF-8 texts from serde_json and ASCII punctuation arrive here.
        self.0.push_str(&String::from_utf8_lossy(bytes));
    }
}

struct HashSink(Sha256);

impl Sink for HashSink {
    fn put(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

fn put_scalar(v: &impl serde::Serialize, sink: &mut dyn Sink) {
    // Serialising a string or number into a Vec cannot fail.
    let bytes = serde_json::to_vec(v).unwrap_or_default();
    sink.put(&bytes);
}

fn write_canonical(value: &Value, sink: &mut dyn Sink) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            sink.put(b"{");
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    sink.put(b",");
                }
                put_scalar(key, sink);
                sink.put(b":");
                if let Some(v) = map.get(*key) {
                    write_canonical(v, sink);
                }
            }
            sink.put(b"}");
        }
        Value::Array(items) => {
            sink.put(b"[");
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    sink.put(b",");
                }
                write_canonical(v, sink);
            }
            sink.put(b"]");
        }
        other => put_scalar(other, sink),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_layout_do_not_change_the_hash() {
        let a: Value =
            serde_json::from_str(r#"{"b": 1, "a": [1, {"y": 2, "x": 1}]}"#).expect("valid json");
        let b = json!({"a": [1, {"x": 1, "y": 2}], "b": 1});
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_ne!(content_hash(&a), content_hash(&json!({"b": 2})));
        assert_eq!(content_hash(&a).as_str().len(), 64);
    }

    #[test]
    fn streamed_hash_equals_hash_of_the_canonical_text() {
        let v = json!({"z": [1, 2.5, "é\"\n", null, true], "a": {"c": {}, "b": []}});
        let mut text = String::new();
        canonical_json(&v, &mut text);
        assert_eq!(
            text,
            r#"{"a":{"b":[],"c":{}},"z":[1,2.5,"é\"\n",null,true]}"#
        );
        let digest = Sha256::digest(text.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(content_hash(&v).as_str(), hex);
    }

    /// Stored definitions are addressed by this hash: it must never change
    /// for the same definition. If this fails, the canonical form changed.
    /// (Checked by hand: `printf '{"StartAt":"A","States":{"A":{"End":true,"Type":"Pass"}}}' | sha256sum`.)
    #[test]
    fn golden_hash_is_stable() {
        let v = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}});
        assert_eq!(content_hash(&v).as_str(), GOLDEN);
    }

    const GOLDEN: &str = "593fc9b65b6db7a704bef6feb8b3fd819c16698afa3dcf50dcf2536592e5a7f3";
}
