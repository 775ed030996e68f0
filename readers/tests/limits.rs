//! Limits and hostile input, each with its exact outcome (docs/RELIABILITY.md, "Bad input and
//! limits"): 10 MB records against the per-record cap, items nested 10,000 levels deep, and keys
//! with `..`, control characters or invalid UTF-8 in local directories and S3 listings.

use std::os::unix::ffi::OsStrExt;

use bytes::Bytes;
use serde_json::json;
use shoal_readers::{
    ReaderError, ReaderOptions, Store, StoreError, DEFAULT_RECORD_CAP_BYTES, ITEM_READER_FAILED,
};

use crate::common::*;

const TEN_MB: usize = 10 * 1024 * 1024;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// A local store over a fresh directory holding `files`.
fn local_with(files: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let store = Store::local("b", dir.path()).unwrap();
    (dir, store)
}

#[test]
fn ten_megabyte_records_fail_with_the_record_cap_naming_object_and_line() {
    let mut jsonl = b"{\"a\":1}\n{\"a\":2}\n{\"s\":\"".to_vec();
    jsonl.extend(std::iter::repeat_n(b'x', TEN_MB));
    jsonl.extend_from_slice(b"\"}\n{\"a\":3}\n");
    let mut csv = b"h1,h2\n1,2\n3,".to_vec();
    csv.extend(std::iter::repeat_n(b'y', TEN_MB));
    csv.extend_from_slice(b"\n5,6\n");
    let mut array = b"[1,\n2,\n\"".to_vec();
    array.extend(std::iter::repeat_n(b'z', TEN_MB));
    array.extend_from_slice(b"\"]");
    let (_dir, store) = local_with(&[("big.jsonl", jsonl), ("big.csv", csv), ("big.json", array)]);
    let cases = [
        ("big.jsonl", "JSONL", "record in b:big.jsonl at line 3, byte offset 16, exceeds the 1048576-byte record limit (unclosed quote or missing line break?)"),
        ("big.csv", "CSV", "record in b:big.csv at record 3, byte offset 10, exceeds the 1048576-byte record limit (unclosed quote or missing line break?)"),
        ("big.json", "JSON", "record in b:big.json at line 3, byte offset 7, exceeds the 1048576-byte record limit (unclosed quote or missing line break?)"),
    ];
    let runtime = runtime();
    for (key, format, expected) in cases {
        let spec = get_object(key, json!({"InputType": format}));
        let err = runtime
            .block_on(read_all(&spec, &store, 100, &ReaderOptions::new()))
            .unwrap_err();
        assert!(
            matches!(
                err,
                ReaderError::RecordTooLarge {
                    cap_bytes: DEFAULT_RECORD_CAP_BYTES,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.to_string(), expected);
        assert_eq!(err.step_functions_error().0, ITEM_READER_FAILED);
    }
}

#[test]
fn records_within_a_raised_cap_are_read() {
    let big = "x".repeat(TEN_MB);
    let jsonl = format!("{{\"a\":1}}\n\"{big}\"\n");
    let csv = format!("h\n{big}\n");
    let (_dir, store) = local_with(&[("big.jsonl", jsonl.into()), ("big.csv", csv.into())]);
    let options = ReaderOptions::new().with_record_cap_bytes(TEN_MB + 16);
    let runtime = runtime();
    let items = runtime
        .block_on(read_all(
            &get_object("big.jsonl", json!({"InputType": "JSONL"})),
            &store,
            10,
            &options,
        ))
        .unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].as_str().map(str::len), Some(TEN_MB));
    let items = runtime
        .block_on(read_all(
            &get_object("big.csv", json!({"InputType": "CSV"})),
            &store,
            10,
            &options,
        ))
        .unwrap();
    assert_eq!(items[0]["h"].as_str().map(str::len), Some(TEN_MB));
}

fn nested_text(depth: usize) -> String {
    format!("{}0{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn items_nested_ten_thousand_levels_fail_with_a_typed_error() {
    let deep = nested_text(10_000);
    let (_dir, store) = local_with(&[
        ("deep.jsonl", format!("1\n{deep}\n").into()),
        ("deep.json", format!("[1,\n{deep}]").into()),
        (
            "skipped.json",
            format!("{{\"skip\": {deep}, \"items\": [1, 2]}}").into(),
        ),
        ("ok.jsonl", format!("{}\n", nested_text(127)).into()),
    ]);
    let runtime = runtime();
    let read = |key: &str, config| {
        runtime.block_on(read_all(
            &get_object(key, config),
            &store,
            10,
            &ReaderOptions::new(),
        ))
    };
    let err = read("deep.jsonl", json!({"InputType": "JSONL"})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed JSON in b:deep.jsonl at line 2, byte offset 2: recursion limit exceeded at line 1 column 128"
    );
    let err = read("deep.json", json!({"InputType": "JSON"})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed JSON in b:deep.json at line 2, byte offset 4: recursion limit exceeded at line 1 column 128"
    );
    // Members off the ItemsPointer path are skipped without parsing, however deep.
    let items = read(
        "skipped.json",
        json!({"InputType": "JSON", "ItemsPointer": "/items"}),
    )
    .unwrap();
    assert_eq!(items, vec![json!(1), json!(2)]);
    // 127 levels (serde_json's limit is 128) is an ordinary item.
    assert_eq!(
        read("ok.jsonl", json!({"InputType": "JSONL"}))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn keys_with_dot_dot_absolute_or_control_characters_are_refused() {
    let (_dir, local) = local_with(&[]);
    let memory = Store::memory("m");
    for store in [&local, &memory] {
        for key in ["../x", "a/../../x", "/etc/passwd"] {
            let err = store.path(key).unwrap_err();
            if store.name() == "b" || key.contains("..") {
                assert!(matches!(err, StoreError::Escapes { .. }), "{key}: {err}");
            } else {
                assert!(matches!(err, StoreError::InvalidKey { .. }), "{key}: {err}");
            }
        }
        let err = store.path("a\u{1}b").unwrap_err();
        assert!(matches!(err, StoreError::InvalidKey { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "key \"a\\u{1}b\" is not a valid object path: Error parsing Path \"a\u{1}b\": Encountered illegal character sequence \"\u{1}\" whilst parsing path segment \"a\u{1}b\""
        );
    }
    assert_eq!(
        memory.path("/etc/passwd").unwrap_err().to_string(),
        "key \"/etc/passwd\" is not a valid object path: absolute key"
    );
}

/// Lists a fresh directory holding `a.json`, `c.json` and a file named `odd` (raw bytes).
fn list_dir_with(
    odd: &[u8],
    options: &ReaderOptions,
) -> Result<Vec<serde_json::Value>, ReaderError> {
    let dir = tempfile::tempdir().unwrap();
    for name in [b"a.json".as_slice(), b"c.json", odd] {
        std::fs::write(dir.path().join(std::ffi::OsStr::from_bytes(name)), "1").unwrap();
    }
    let store = Store::local("b", dir.path()).unwrap();
    let listing = spec(
        json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b", "Prefix": ""}}),
    );
    runtime().block_on(read_all(&listing, &store, 10, options))
}

#[test]
fn local_listings_with_control_characters_or_invalid_utf8_in_file_names() {
    let err = list_dir_with(b"b\x01.json", &ReaderOptions::new()).unwrap_err();
    assert!(
        matches!(err, ReaderError::UnrepresentableKey { .. }),
        "{err}"
    );
    assert_eq!(err.step_functions_error().0, ITEM_READER_FAILED);
    println!("control character: {err}");
    let err = list_dir_with(b"b\xff.json", &ReaderOptions::new()).unwrap_err();
    assert_eq!(err.step_functions_error().0, ITEM_READER_FAILED);
    println!("invalid UTF-8: {err}");
    // Skip cannot get past a name the local store's directory walk fails on:
    // the same error, not an endless listing (regression: it looped).
    let skip =
        ReaderOptions::new().with_unrepresentable_keys(shoal_readers::UnrepresentableKeys::Skip);
    for odd in [b"b\x01.json".as_slice(), b"b\xff.json"] {
        let err = list_dir_with(odd, &skip).unwrap_err();
        assert!(
            matches!(err, ReaderError::UnrepresentableKey { .. }),
            "{err}"
        );
    }
    let _ = Bytes::new();
}
