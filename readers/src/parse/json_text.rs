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
    while let Some(at) = first_to_escape(&bytes[plain_from..]).map(|i| plain_from + i) {
        // `at` is an ASCII byte, so both slices end on character boundaries.
        out.push_str(&text[plain_from..at]);
        let byte = bytes[at];
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xf)]));
            }
        }
        plain_from = at + 1;
    }
    out.push_str(&text[plain_from..]);
    out.push('"');
}

/// Whether serde_json escapes `byte` in a string.
fn needs_escape(byte: &u8) -> bool {
    *byte < 0x20 || *byte == b'"' || *byte == b'\\'
}

/// Index of the first byte of `bytes` that needs an escape, looking at eight bytes at a time
/// (most fields need none, and a byte-by-byte loop was a third of a CSV row's cost).
fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in chunks.by_ref() {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(word);
        // "Byte has zero" and "byte below n" tricks: a set high bit flags a byte below 0x20,
        // equal to '"' or equal to '\\'. Bytes >= 0x80 are masked out by `!x` (every target is
        // ASCII); a borrow can only flag bytes above a truly flagged one, so the lowest flag is
        // exact.
        let below_space = x.wrapping_sub(ONES * 0x20);
        let quote = (x ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES);
        let backslash = (x ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
        let flags = (below_space | quote | backslash) & !x & HIGHS;
        if flags != 0 {
            return Some(at + (flags.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(needs_escape)
        .map(|i| at + i)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    proptest::proptest! {
        #[test]
        fn random_text_escapes_like_serde_json(text in "[\\x00-\\x7f\u{80}-\u{10ffff}]{0,40}") {
            let mut out = String::new();
            push_string(&mut out, &text);
            proptest::prop_assert_eq!(out, serde_json::to_string(&text).unwrap());
        }
    }

    #[test]
    fn escapes_exactly_like_serde_json() {
        let mut every_ascii: String = (0u8..0x80).map(char::from).collect();
        every_ascii.push_str("é€😀\u{2028}");
        let long = format!("{every_ascii}0123456789abcdef\"x\u{80}\u{ff}\\é\u{7}");
        for text in [
            every_ascii.as_str(),
            long.as_str(),
            "",
            "plain",
            "\"\\",
            "a\u{1f}b",
            "12345678\"",
            "1234567\n",
            "\u{e9}\u{e9}\u{e9}\u{e9}\"",
        ] {
            let mut out = String::new();
            push_string(&mut out, text);
            assert_eq!(out, serde_json::to_string(text).unwrap());
        }
    }
}
