#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::Value;

use super::*;

/// `RawItem::parse` accepts exactly what `from_slice::<Value>` accepts, with the same error.
fn assert_parity(text: &[u8]) {
    let raw = RawItem::parse(text);
    let value = serde_json::from_slice::<Value>(text);
    match (&raw, &value) {
        (Ok(raw), Ok(value)) => assert_eq!(&raw.to_value().unwrap(), value, "{text:?}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text:?}"),
        _ => panic!("disagreement on {text:?}: raw {raw:?}, value {value:?}"),
    }
}

#[test]
fn agrees_with_value_on_edge_cases() {
    let cases: &[&[u8]] = &[
        b"{\"a\":1}",
        b"  {\"a\" : [1, 2.5, -0, 1e3, true, null]}\r",
        b"\"\\ud800\"",
        b"\"\\ud83d\\ude00\"",
        b"\"\\uDC00x\"",
        b"1e400",
        b"-1e400",
        b"18446744073709551616",
        b"\"\xff\"",
        b"\"caf\xc3\xa9\"",
        b"{\"k\xc3\":1}",
        b"{1:2}",
        b"{\"a\":1,}",
        b"[1,]",
        b"[1 2]",
        b"{\"a\":1}x",
        b"",
        b"   ",
        b"\"\x01\"",
        b"\"\\q\"",
        b"01",
        b"nul",
        b"{\"a\":1,\"a\":2}",
    ];
    for case in cases {
        assert_parity(case);
    }
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert_parity(deep.as_bytes());
}

#[test]
fn text_is_trimmed_and_kept_verbatim() {
    let raw = RawItem::parse(b" \t{\"b\": 1, \"a\": \"\\u00e9\"} \r").unwrap();
    assert_eq!(raw.as_str(), "{\"b\": 1, \"a\": \"\\u00e9\"}");
    assert_eq!(
        raw.to_value().unwrap(),
        serde_json::json!({"b": 1, "a": "é"})
    );
    assert_eq!(raw.into_string(), "{\"b\": 1, \"a\": \"\\u00e9\"}");
}

#[test]
fn from_value_is_compact() {
    let raw = RawItem::from_value(&serde_json::json!({"z": [1, "x"], "a": null}));
    assert_eq!(raw.as_str(), "{\"z\":[1,\"x\"],\"a\":null}");
}

proptest! {
    #[test]
    fn agrees_with_value_on_json_like_bytes(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("{".to_owned()), Just("}".to_owned()), Just("[".to_owned()),
                Just("]".to_owned()), Just(",".to_owned()), Just(":".to_owned()),
                Just("\"".to_owned()), Just("\\".to_owned()), Just(" ".to_owned()),
                Just("\"k\"".to_owned()), Just("\\u".to_owned()), Just("d800".to_owned()),
                Just("e9".to_owned()), Just("-".to_owned()), Just("0".to_owned()),
                Just("1.5e".to_owned()), Just("999".to_owned()), Just("true".to_owned()),
                Just("null".to_owned()), Just("\u{e9}".to_owned()), Just("\n".to_owned()),
            ],
            0..24,
        ),
        invalid_byte in proptest::option::of(0x80u8..=0xff),
    ) {
        let mut text = parts.concat().into_bytes();
        if let Some(byte) = invalid_byte {
            text.insert(text.len() / 2, byte);
        }
        assert_parity(&text);
    }
}
