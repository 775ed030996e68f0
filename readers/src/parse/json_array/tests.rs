#![allow(clippy::unwrap_used)]
use std::collections::VecDeque;

use serde_json::{json, Value};

use super::*;

fn run(text: &str, pointer: &str, chunk: usize) -> Result<Vec<Record>, ReaderError> {
    let mut parser = JsonArrayParser::new("m:a.json".into(), pointer, 1024)?;
    let mut out = VecDeque::new();
    for piece in text.as_bytes().chunks(chunk) {
        parser.feed(piece, &mut out)?;
    }
    parser.finish(&mut out)?;
    Ok(out.into_iter().collect())
}

fn values(text: &str, pointer: &str) -> Vec<Value> {
    let whole: Vec<Value> = run(text, pointer, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|r| r.item.into_value().unwrap())
        .collect();
    for chunk in 1..8 {
        let split: Vec<Value> = run(text, pointer, chunk)
            .unwrap()
            .into_iter()
            .map(|r| r.item.into_value().unwrap())
            .collect();
        assert_eq!(split, whole, "chunk size {chunk}");
    }
    whole
}

#[test]
fn splits_every_kind_of_element() {
    let text =
        r#" [ 1, -2.5e3 ,"a,]\"\\" , {"k":[1,{"x":"}"}]}, [[]], true,null ,false ]  trailing"#;
    assert_eq!(
        values(text, ""),
        vec![
            json!(1),
            json!(-2.5e3),
            json!("a,]\"\\"),
            json!({"k":[1,{"x":"}"}]}),
            json!([[]]),
            json!(true),
            json!(null),
            json!(false)
        ]
    );
}

#[test]
fn empty_array_and_numbers_at_the_end() {
    assert!(values("[]", "").is_empty());
    assert_eq!(values("[7]", ""), vec![json!(7)]);
}

#[test]
fn items_pointer_selects_nested_arrays() {
    let text = r#"{"skip":{"items":[0]},"a\/b":1,"data":{"list":["x",{"items":[9]}],"items":[{"n":1},{"n":2}]}}"#;
    assert_eq!(
        values(text, "/data/items"),
        vec![json!({"n":1}), json!({"n":2})]
    );
    assert_eq!(values(text, "/data/list/1/items"), vec![json!(9)]);
}

#[test]
fn non_arrays_are_not_iterable() {
    for (text, pointer) in [
        ("{\"a\":1}", ""),
        ("\"x\"", ""),
        ("{\"a\":{}}", "/a"),
        ("{\"a\":[]}", "/b"),
        ("[1]", "/x"),
        ("", ""),
    ] {
        let err = run(text, pointer, 3).unwrap_err();
        assert!(
            matches!(err, ReaderError::NonIterable { .. }),
            "{text} {pointer}: {err}"
        );
    }
}

#[test]
fn malformed_elements_name_line_and_offset() {
    let err = run("[1,\n {\"a\":}]", "", 2).unwrap_err();
    assert!(
        matches!(
            err,
            ReaderError::Json {
                line: 2,
                offset: 5,
                ..
            }
        ),
        "{err}"
    );
    let err = run("[1 2]", "", 2).unwrap_err();
    assert!(matches!(err, ReaderError::Json { offset: 3, .. }), "{err}");
    let err = run("[1,", "", 2).unwrap_err();
    assert!(matches!(err, ReaderError::Json { .. }), "{err}");
}

#[test]
fn resumes_after_an_element() {
    let text = "[{\"a\":1},\n{\"a\":2}, {\"a\":3}]";
    let records = run(text, "", 4).unwrap();
    let at = records[0].end;
    let mut parser = JsonArrayParser::after_element("m:a".into(), at, 1024);
    let mut out = VecDeque::new();
    parser
        .feed(&text.as_bytes()[at.offset as usize..], &mut out)
        .unwrap();
    parser.finish(&mut out).unwrap();
    let rest: Vec<Value> = out
        .into_iter()
        .map(|r| r.item.into_value().unwrap())
        .collect();
    assert_eq!(rest, vec![json!({"a":2}), json!({"a":3})]);
}

#[test]
fn element_cap_bounds_memory() {
    let mut parser = JsonArrayParser::new("m:a".into(), "", 16).unwrap();
    let mut out = VecDeque::new();
    let err = parser
        .feed(b"[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &mut out)
        .unwrap_err();
    assert!(
        matches!(
            err,
            ReaderError::RecordTooLarge {
                offset: 1,
                cap_bytes: 16,
                ..
            }
        ),
        "{err}"
    );
}
