//! Bad input, each with its exact error (object, line or offset named).

use bytes::Bytes;
use serde_json::{json, Value};
use shoal_readers::{ReaderError, ReaderOptions, ReaderSpec, Store, ITEM_READER_FAILED};

use crate::common::*;

struct Case {
    name: &'static str,
    files: Vec<(String, Vec<u8>)>,
    spec: Value,
    expected: &'static str,
}

fn object(key: &str, config: Value) -> Value {
    json!({"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": key}, "ReaderConfig": config})
}

fn file(key: &str, body: impl Into<Vec<u8>>) -> (String, Vec<u8>) {
    (key.to_owned(), body.into())
}

fn inventory_case(
    mutate: impl Fn(&mut Value, &mut Vec<(String, Vec<u8>)>),
) -> Vec<(String, Vec<u8>)> {
    use md5::{Digest, Md5};
    let data = gzip(b"\"src\",\"a+b\",\"1\"\n");
    let md5: String = Md5::digest(&data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut manifest = json!({"fileFormat": "CSV", "fileSchema": "Bucket, Key, Size", "files": [{"key": "inv/data/1.csv.gz", "size": data.len(), "MD5checksum": md5}]});
    let mut files = vec![file("inv/data/1.csv.gz", data)];
    mutate(&mut manifest, &mut files);
    files.push(file(
        "inv/manifest.json",
        serde_json::to_vec(&manifest).unwrap(),
    ));
    files
}

fn cases() -> Vec<Case> {
    let mut unclosed = b"a,b\n1,\"never closed".to_vec();
    unclosed.extend(std::iter::repeat_n(b'x', 64 * 1024));
    let mut truncated_gzip = gzip(&b"{\"a\":1}\n".repeat(1000));
    truncated_gzip.truncate(truncated_gzip.len() - 12);
    let inventory = object("inv/manifest.json", json!({"ManifestType": "S3_INVENTORY"}));
    vec![
        Case {
            name: "jsonl malformed line",
            files: vec![file("x.jsonl", "{\"a\":1}\n{\"a\":}\n")],
            spec: object("x.jsonl", json!({"InputType": "JSONL"})),
            expected: "",
        },
        Case {
            name: "jsonl malformed gzip line",
            files: vec![file("x.jsonl.gz", gzip(b"1\n2\n[\n"))],
            spec: object("x.jsonl.gz", json!({"InputType": "JSONL"})),
            expected: "",
        },
        Case {
            name: "jsonl line over the cap",
            files: vec![file("x.jsonl", vec![b'1'; 5000])],
            spec: object("x.jsonl", json!({"InputType": "JSONL"})),
            expected: "",
        },
        Case {
            name: "json root object",
            files: vec![file("x.json", "{\"a\":[1]}")],
            spec: object("x.json", json!({"InputType": "JSON"})),
            expected: "",
        },
        Case {
            name: "json root string",
            files: vec![file("x.json", " \"abc\"")],
            spec: object("x.json", json!({"InputType": "JSON"})),
            expected: "",
        },
        Case {
            name: "json pointer missing",
            files: vec![file("x.json", "{\"a\":[1]}")],
            spec: object("x.json", json!({"InputType": "JSON", "ItemsPointer": "/b"})),
            expected: "",
        },
        Case {
            name: "json pointer at an object",
            files: vec![file("x.json", "{\"a\":{\"b\":1}}")],
            spec: object("x.json", json!({"InputType": "JSON", "ItemsPointer": "/a"})),
            expected: "",
        },
        Case {
            name: "json truncated array",
            files: vec![file("x.json", "[1,\n2")],
            spec: object("x.json", json!({"InputType": "JSON"})),
            expected: "",
        },
        Case {
            name: "json bad element",
            files: vec![file("x.json", "[1,\n{\"a\" 1}]")],
            spec: object("x.json", json!({"InputType": "JSON"})),
            expected: "",
        },
        Case {
            name: "json missing comma",
            files: vec![file("x.json", "[1 2]")],
            spec: object("x.json", json!({"InputType": "JSON"})),
            expected: "",
        },
        Case {
            name: "json trailing comma",
            files: vec![file("x.json", "[1,]")],
            spec: object("x.json", json!({"InputType": "JSON"})),
            expected: "",
        },
        Case {
            name: "json empty object",
            files: vec![file("x.json", "")],
            spec: object("x.json", json!({"InputType": "JSON"})),
            expected: "",
        },
        Case {
            name: "csv duplicate first-row headers",
            files: vec![file("x.csv", "a,b,a\n1,2,3\n")],
            spec: object("x.csv", json!({"InputType": "CSV"})),
            expected: "",
        },
        Case {
            name: "csv duplicate given headers",
            files: vec![file("x.csv", "1,2\n")],
            spec: object(
                "x.csv",
                json!({"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["h", "h"]}),
            ),
            expected: "",
        },
        Case {
            name: "csv unclosed quote hits the record cap",
            files: vec![file("x.csv", unclosed)],
            spec: object("x.csv", json!({"InputType": "CSV"})),
            expected: "",
        },
        Case {
            name: "csv field not utf-8",
            files: vec![file("x.csv", b"a\nok\n\xff\xfe\n".to_vec())],
            spec: object("x.csv", json!({"InputType": "CSV"})),
            expected: "",
        },
        Case {
            name: "gz suffix but not gzip",
            files: vec![file("x.csv.gz", "a,b\n1,2\n")],
            spec: object("x.csv.gz", json!({"InputType": "CSV"})),
            expected: "",
        },
        Case {
            name: "truncated gzip",
            files: vec![file("x.jsonl.gz", truncated_gzip)],
            spec: object("x.jsonl.gz", json!({"InputType": "JSONL"})),
            expected: "",
        },
        Case {
            name: "missing object",
            files: vec![],
            spec: object("nope.json", json!({"InputType": "JSON"})),
            expected: "",
        },
        Case {
            name: "inventory data file checksum mismatch",
            files: inventory_case(|m, _| {
                m["files"][0]["MD5checksum"] = json!("00000000000000000000000000000000")
            }),
            spec: inventory.clone(),
            expected: "",
        },
        Case {
            name: "inventory manifest checksum mismatch",
            files: inventory_case(|_, f| {
                f.push(file(
                    "inv/manifest.checksum",
                    "0123456789abcdef0123456789abcdef\n",
                ))
            }),
            spec: inventory.clone(),
            expected: "",
        },
        Case {
            name: "inventory missing data file",
            files: inventory_case(|_, f| f.clear()),
            spec: inventory.clone(),
            expected: "",
        },
        Case {
            name: "inventory parquet",
            files: inventory_case(|m, _| m["fileFormat"] = json!("Parquet")),
            spec: inventory.clone(),
            expected: "",
        },
        Case {
            name: "inventory manifest not json",
            files: vec![file("inv/manifest.json", "{\"files\": [")],
            spec: inventory.clone(),
            expected: "",
        },
        Case {
            name: "inventory bad key encoding",
            files: inventory_case(|m, f| {
                let data = gzip(b"\"src\",\"bad%zz\",\"1\"\n");
                m["files"][0]["MD5checksum"] = Value::Null;
                f[0].1 = data;
            }),
            spec: inventory,
            expected: "",
        },
    ]
}

async fn run_case(case: &Case) -> ReaderError {
    let store = Store::memory("b");
    for (key, body) in &case.files {
        store.put(key, Bytes::from(body.clone())).await.unwrap();
    }
    let spec: ReaderSpec = serde_json::from_value(case.spec.clone()).unwrap();
    let options = ReaderOptions::new().with_record_cap_bytes(1024);
    match read_all(&spec, &store, 7, &options).await {
        Ok(items) => panic!("{}: expected an error, read {items:?}", case.name),
        Err(e) => e,
    }
}

#[test]
fn bad_files_fail_with_exact_errors() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let expected = expected_messages();
    let cases = cases();
    assert!(cases.len() >= 20);
    let mut mismatches = Vec::new();
    for case in &cases {
        let error = runtime.block_on(run_case(case));
        let (name, _cause) = error.step_functions_error();
        assert_eq!(name, ITEM_READER_FAILED);
        let want = expected
            .iter()
            .find(|(n, _)| *n == case.name)
            .map(|(_, m)| *m)
            .unwrap_or(case.expected);
        if error.to_string() != want {
            mismatches.push(format!("(\"{}\", {:?}),", case.name, error.to_string()));
        }
    }
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches.join("\n")
    );
}

fn expected_messages() -> Vec<(&'static str, &'static str)> {
    vec![
        ("jsonl malformed line", "malformed JSON in b:x.jsonl at line 2, byte offset 8: expected value at line 1 column 6"),
        ("jsonl malformed gzip line", "malformed JSON in b:x.jsonl.gz at line 3, byte offset 4: EOF while parsing a list at line 1 column 1"),
        ("jsonl line over the cap", "record in b:x.jsonl at line 1, byte offset 0, exceeds the 1024-byte record limit (unclosed quote or missing line break?)"),
        ("json root object", "b:x.json: Attempting to map over non-iterable node. (the selected value starts with '{')"),
        ("json root string", "b:x.json: Attempting to map over non-iterable node. (the selected value starts with '\"')"),
        ("json pointer missing", "b:x.json: Attempting to map over non-iterable node. (ItemsPointer \"/b\" does not exist)"),
        ("json pointer at an object", "b:x.json: Attempting to map over non-iterable node. (the selected value starts with '{')"),
        ("json truncated array", "malformed JSON in b:x.json at line 2, byte offset 5: unexpected end of data: the array is not closed"),
        ("json bad element", "malformed JSON in b:x.json at line 2, byte offset 4: expected `:` at line 1 column 6"),
        ("json missing comma", "malformed JSON in b:x.json at line 1, byte offset 3: expected ',' or ']' after an array element, found '2'"),
        ("json trailing comma", "malformed JSON in b:x.json at line 1, byte offset 3: expected an array element, found ']'"),
        ("json empty object", "b:x.json: Attempting to map over non-iterable node. (the object is empty)"),
        ("csv duplicate first-row headers", "b:x.csv: CSV headers cannot contain duplicates. (duplicate \"a\")"),
        ("csv duplicate given headers", "b:x.csv: CSV headers cannot contain duplicates. (duplicate \"h\")"),
        ("csv unclosed quote hits the record cap", "record in b:x.csv at record 2, byte offset 4, exceeds the 1024-byte record limit (unclosed quote or missing line break?)"),
        ("csv field not utf-8", "malformed CSV in b:x.csv at record 3, byte offset 5: field 1 is not UTF-8: invalid utf-8 sequence of 1 bytes from index 0"),
        ("gz suffix but not gzip", "bad gzip data in b:x.csv.gz near compressed byte offset 0: the object ends in .gz but does not start with the gzip magic bytes 1f 8b"),
        ("truncated gzip", "bad gzip data in b:x.jsonl.gz near compressed byte offset 83: incomplete deflate stream"),
        ("missing object", "object b:nope.json not found"),
        ("inventory data file checksum mismatch", "checksum mismatch for b:inv/data/1.csv.gz: expected MD5 00000000000000000000000000000000, computed 3efdf5c14c37a9bacf4af85413674a18"),
        ("inventory manifest checksum mismatch", "checksum mismatch for b:inv/manifest.json: expected MD5 0123456789abcdef0123456789abcdef, computed 1b608ef366f79902c06dfa5c19aa16b5"),
        ("inventory missing data file", "object b:inv/data/1.csv.gz not found"),
        ("inventory parquet", "inventory manifest b:inv/manifest.json: unsupported inventory format \"Parquet\": only CSV inventories are supported"),
        ("inventory manifest not json", "inventory manifest b:inv/manifest.json: not a valid manifest.json: EOF while parsing a list at line 1 column 11"),
        ("inventory bad key encoding", "malformed CSV in b:inv/data/1.csv.gz at record 1, byte offset 0: Key \"bad%zz\" is not valid form-URL-encoded UTF-8"),
    ]
}

#[test]
fn step_functions_causes_are_exact() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cases = cases();
    let root = cases.iter().find(|c| c.name == "json root object").unwrap();
    assert_eq!(
        runtime.block_on(run_case(root)).step_functions_error().1,
        "Attempting to map over non-iterable node."
    );
    let dup = cases
        .iter()
        .find(|c| c.name == "csv duplicate first-row headers")
        .unwrap();
    assert_eq!(
        runtime.block_on(run_case(dup)).step_functions_error().1,
        "CSV headers cannot contain duplicates."
    );
}

#[test]
fn bad_specs_name_the_field() {
    let cases = [
        (json!({"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b"}}), "invalid ItemReader field Parameters.Key: required for s3:getObject"),
        (json!({"Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"Bucket": "b"}}), "invalid ItemReader field Resource: \"arn:aws:states:::lambda:invoke\" is not arn:aws:states:::s3:listObjectsV2 or arn:aws:states:::s3:getObject"),
        (object("k", json!({"InputType": "CSV", "CSVDelimiter": "COLON"})), "invalid ItemReader field ReaderConfig.CSVDelimiter: \"COLON\" is not COMMA, PIPE, SEMICOLON, SPACE or TAB"),
        (object("k", json!({"InputType": "CSV", "CSVHeaderLocation": "GIVEN"})), "invalid ItemReader field ReaderConfig.CSVHeaders: required (non-empty) with CSVHeaderLocation GIVEN"),
        (object("k", json!({"InputType": "JSON", "MaxItems": -1})), "invalid ItemReader field ReaderConfig.MaxItems: field MaxItems must be positive"),
        (object("k", json!({"InputType": "JSON", "MaxItems": 100000001})), "invalid ItemReader field ReaderConfig.MaxItems: must be at most 100000000"),
        (object("k", json!({"InputType": "PARQUET"})), "invalid ItemReader field ReaderConfig.InputType: unsupported format PARQUET"),
        (object("k", json!({"ManifestType": "S3_INVENTORY", "InputType": "CSV"})), "invalid ItemReader field ReaderConfig.InputType: must not be set with ManifestType S3_INVENTORY"),
        (object("k", json!({"InputType": "JSONL", "CSVDelimiter": "PIPE"})), "invalid ItemReader field ReaderConfig.CSVDelimiter: not valid for JSONL"),
        (object("k", json!({"InputType": "JSON", "Bogus": 1})), "invalid ItemReader field ReaderConfig.Bogus: unknown ReaderConfig field"),
        (object("k", json!({"InputType": "JSON", "ItemsPointer": "a/b"})), ""),
    ];
    for (value, expected) in cases {
        match serde_json::from_value::<ReaderSpec>(value.clone()) {
            Err(e) if !expected.is_empty() => assert_eq!(e.to_string(), expected),
            Err(e) => panic!("{value}: unexpected spec error {e}"),
            Ok(spec) if expected.is_empty() => {
                // A bad pointer is found when the reader opens.
                let runtime = tokio::runtime::Runtime::new().unwrap();
                let store = Store::memory("b");
                runtime.block_on(store.put("k", Bytes::from("[]"))).unwrap();
                let err = runtime
                    .block_on(read_all(&spec, &store, 1, &ReaderOptions::new()))
                    .unwrap_err();
                assert_eq!(err.to_string(), "invalid ItemReader field ReaderConfig.ItemsPointer: \"a/b\" is not a JSON Pointer (it must be empty or start with '/')");
            }
            Ok(spec) => panic!("{value}: accepted as {spec:?}"),
        }
    }
}

#[test]
fn checkpoints_of_another_source_are_refused() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::memory("b");
        put(&store, "a/1", "x").await;
        put(&store, "a/2", "x").await;
        let listing = spec(json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b", "Prefix": "a/"}}));
        let mut reader = shoal_readers::open_reader(&listing, store.clone(), None, &ReaderOptions::new()).await.unwrap();
        let batch = reader.next_batch(1).await.unwrap();
        let file = get_object("a/1", json!({"InputType": "JSONL"}));
        let err = shoal_readers::open_reader(&file, store, Some(&batch.checkpoint), &ReaderOptions::new()).await.err().unwrap();
        assert!(matches!(err, ReaderError::Checkpoint { .. }), "{err}");
    });
}
