//! Compact JSON text for items this crate builds itself (CSV and inventory rows): byte for
//! byte what `serde_json::Value::to_string` renders for the same object, without building
//! the `Value` (an IndexMap and a `String` per key and field).

/// Appends `text` as a JSON string, quoted and escaped as serde_json escapes it: `"` and `\`
/// with a backslash, `\b \t \n \f \r` by name, other control bytes as `\u00xx` (lower-case
/// hex), everything else (DEL and non-ASCII included) verbatim.
pub(crate) fn push_string(out: &mut String, text: &str) {
    out.push('"');
    let bytes = text.as_bytes();
    let mut plain_from = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0c => "\\f",
            b'\r' => "\\r",
            0x00..=0x1f => "",
            _ => continue,
        };
        // `at` is an ASCII byte, so both slices end on character boundaries.
        out.push_str(&text[plain_from..at]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        } else {
            out.push_str(escape);
        }
        plain_from = at + 1;
    }
    out.push_str(&text[plain_from..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn escapes_exactly_like_serde_json() {
        let mut every_ascii: String = (0u8..0x80).map(char::from).collect();
        every_ascii.push_str("é€😀\u{2028}");
        for text in [every_ascii.as_str(), "", "plain", "\"\\", "a\u{1f}b"] {
            let mut out = String::new();
            push_string(&mut out, text);
            assert_eq!(out, serde_json::to_string(text).unwrap());
        }
    }
}
