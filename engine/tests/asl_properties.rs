//! Property tests for the path evaluator and the intrinsic parser.
#![allow(clippy::unwrap_used, missing_docs)]

use proptest::prelude::*;
use serde_json::{Map, Value};
use shoal_engine::asl::choice::glob_match;
use shoal_engine::asl::intrinsic::{IntrinsicArg, IntrinsicCall, IntrinsicFunction, StringLiteral};
use shoal_engine::asl::model::parse_pattern;
use shoal_engine::asl::path::{JsonPath, ReferencePath};

/// Arbitrary JSON values of bounded size.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[a-z ]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z.' \\\\\\[\\]]{1,5}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// `['name']` with the escapes the parser understands.
fn quoted(name: &str) -> String {
    let mut out = String::from("['");
    for c in name.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push_str("']");
    out
}

/// Walks `value` following `choices`, returning the path text (bracket
/// notation) and the node it leads to.
fn walk<'v>(value: &'v Value, choices: &[usize]) -> (String, &'v Value) {
    let mut text = String::from("$");
    let mut node = value;
    for &c in choices {
        match node {
            Value::Object(map) if !map.is_empty() => {
                let (k, v) = map.iter().nth(c % map.len()).unwrap();
                text.push_str(&quoted(k));
                node = v;
            }
            Value::Array(items) if !items.is_empty() => {
                let i = c % items.len();
                text.push_str(&format!("[{i}]"));
                node = &items[i];
            }
            _ => break,
        }
    }
    (text, node)
}

/// Canonical path texts (as `JsonPath::canonical` prints them).
fn canonical_path() -> impl Strategy<Value = String> {
    let plain = "[a-zA-Z_][a-zA-Z0-9_-]{0,5}";
    let segment = prop_oneof![
        plain.prop_map(|n| format!(".{n}")),
        "[a-z '\\\\.\\[\\]$@]{1,5}"
            .prop_filter("not plain", |n| {
                !n.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                    || n.chars()
                        .any(|c| !(c.is_alphanumeric() || c == '_' || c == '-'))
            })
            .prop_map(|n| quoted(&n)),
        (-5i64..30).prop_map(|i| format!("[{i}]")),
        Just("[*]".to_string()),
        (prop::option::of(-5i64..5), prop::option::of(-5i64..5)).prop_map(|(a, b)| {
            format!(
                "[{}:{}]",
                a.map(|v| v.to_string()).unwrap_or_default(),
                b.map(|v| v.to_string()).unwrap_or_default()
            )
        }),
        plain.prop_map(|n| format!("..{n}")),
        Just("..[*]".to_string()),
        Just("[?(@.a < 3 && @['b c'])]".to_string()),
    ];
    (prop::bool::ANY, prop::collection::vec(segment, 0..6)).prop_map(|(context, segs)| {
        let root = if context { "$$" } else { "$" };
        format!("{root}{}", segs.concat())
    })
}

fn string_literal() -> impl Strategy<Value = IntrinsicArg> {
    "[a-z '{}\\\\,()$.]{0,8}".prop_map(|s| IntrinsicArg::String(StringLiteral::from_value(&s)))
}

fn number() -> impl Strategy<Value = IntrinsicArg> {
    prop_oneof![
        any::<i64>().prop_map(|n| IntrinsicArg::Number(n.into())),
        (-1.0e6f64..1.0e6)
            .prop_map(|f| IntrinsicArg::Number(serde_json::Number::from_f64(f).unwrap())),
    ]
}

fn path_arg() -> impl Strategy<Value = IntrinsicArg> {
    canonical_path().prop_map(|p| IntrinsicArg::Path(JsonPath::parse(&p).unwrap()))
}

fn leaf_arg() -> BoxedStrategy<IntrinsicArg> {
    prop_oneof![
        string_literal(),
        number(),
        any::<bool>().prop_map(IntrinsicArg::Bool),
        Just(IntrinsicArg::Null),
        path_arg(),
    ]
    .boxed()
}

fn call_with(args: BoxedStrategy<IntrinsicArg>) -> impl Strategy<Value = IntrinsicCall> {
    let functions: Vec<IntrinsicFunction> = IntrinsicFunction::all().collect();
    (
        prop::sample::select(functions),
        prop::collection::vec(args, 0..4),
    )
        .prop_map(|(function, mut args)| {
            let (min, max) = function.arity();
            while args.len() < min {
                args.push(IntrinsicArg::Null);
            }
            args.truncate(max.min(args.len().max(min)));
            IntrinsicCall { function, args }
        })
}

fn intrinsic_call() -> impl Strategy<Value = IntrinsicCall> {
    let nested = call_with(leaf_arg()).prop_map(IntrinsicArg::Call);
    call_with(prop_oneof![3 => leaf_arg(), 1 => nested].boxed())
}

proptest! {
    #[test]
    fn get_after_set_returns_what_was_set(mut value in json_value(), names in prop::collection::vec("[a-z' .\\\\]{1,4}", 1..4), new in json_value()) {
        let text: String = std::iter::once("$".to_string()).chain(names.iter().map(|n| quoted(n))).collect();
        let path = ReferencePath::parse(&text).unwrap();
        if path.set(&mut value, new.clone()).is_ok() {
            prop_assert_eq!(path.get(&value), Some(&new));
        } else {
            // Failing only happens when a non-object stands in the way.
            prop_assert!(!value.is_object() || names.len() > 1);
        }
    }

    #[test]
    fn set_on_an_object_with_fresh_names_always_succeeds(names in prop::collection::vec("[a-z]{1,4}", 1..5), new in json_value()) {
        let mut value = Value::Object(Map::new());
        let text: String = std::iter::once("$".to_string()).chain(names.iter().map(|n| format!(".{n}"))).collect();
        let path = ReferencePath::parse(&text).unwrap();
        prop_assert!(path.set(&mut value, new.clone()).is_ok());
        prop_assert_eq!(path.get(&value), Some(&new));
    }

    #[test]
    fn a_path_to_a_node_selects_that_node(value in json_value(), choices in prop::collection::vec(any::<usize>(), 0..6)) {
        let (text, expected) = walk(&value, &choices);
        let path = JsonPath::parse(&text).unwrap();
        prop_assert!(path.is_definite());
        let got = path.resolve(&value, &Value::Null);
        prop_assert_eq!(got.as_ref(), Some(expected));
        prop_assert_eq!(ReferencePath::parse(&text).unwrap().get(&value), Some(expected));
    }

    #[test]
    fn wildcard_selects_every_child(value in json_value()) {
        let path = JsonPath::parse("$[*]").unwrap();
        let expected: Vec<Value> = match &value {
            Value::Array(items) => items.clone(),
            Value::Object(map) => map.values().cloned().collect(),
            _ => Vec::new(),
        };
        prop_assert_eq!(path.resolve(&value, &Value::Null), Some(Value::Array(expected)));
    }

    #[test]
    fn canonical_paths_round_trip(text in canonical_path()) {
        let path = JsonPath::parse(&text).unwrap();
        prop_assert_eq!(path.canonical(), text.clone());
        let again = JsonPath::parse(&path.canonical()).unwrap();
        prop_assert_eq!(again.segments(), path.segments());
        prop_assert_eq!(again.root(), path.root());
    }

    #[test]
    fn intrinsic_parse_print_parse(call in intrinsic_call()) {
        let printed = call.to_string();
        let parsed = IntrinsicCall::parse(&printed).unwrap();
        prop_assert_eq!(&parsed, &call);
        prop_assert_eq!(parsed.to_string(), printed);
    }

    #[test]
    fn string_literals_round_trip(s in "\\PC{0,12}") {
        prop_assert_eq!(StringLiteral::from_value(&s).value(), s);
    }

    #[test]
    fn star_free_patterns_match_only_themselves(text in "[a-z]{0,6}", other in "[a-z]{0,6}") {
        let pattern = parse_pattern(&text.replace('\\', "\\\\")).unwrap();
        prop_assert!(glob_match(&pattern, &text));
        prop_assert_eq!(glob_match(&pattern, &other), text == other);
    }

    #[test]
    fn star_patterns_match_prefix_and_suffix(prefix in "[a-z]{0,3}", middle in "[a-z*]{0,5}", suffix in "[a-z]{0,3}") {
        let pattern = parse_pattern(&format!("{prefix}*{suffix}")).unwrap();
        let text = format!("{prefix}{middle}{suffix}");
        prop_assert!(glob_match(&pattern, &text));
    }
}

/// JSON built from ASL's own vocabulary, so random definitions reach deep
/// into the parser instead of failing at the first field.
fn asl_like_value() -> impl Strategy<Value = Value> {
    let words = prop::sample::select(vec![
        "Type",
        "Pass",
        "Task",
        "Choice",
        "Wait",
        "Succeed",
        "Fail",
        "Parallel",
        "Map",
        "Next",
        "End",
        "StartAt",
        "States",
        "A",
        "B",
        "Resource",
        "Parameters",
        "x.$",
        "ResultPath",
        "InputPath",
        "OutputPath",
        "Retry",
        "Catch",
        "ErrorEquals",
        "States.ALL",
        "Choices",
        "Variable",
        "StringEquals",
        "And",
        "Not",
        "Default",
        "Seconds",
        "SecondsPath",
        "Branches",
        "ItemProcessor",
        "ProcessorConfig",
        "Mode",
        "DISTRIBUTED",
        "ItemReader",
        "Label",
        "$",
        "$.a",
        "$$.Map.Item.Value",
        "States.Format('{}', $.a)",
        "MaxAttempts",
        "BackoffRate",
        "TimeoutSeconds",
        "HeartbeatSeconds",
        "Error",
        "ErrorPath",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..5).prop_map(Value::from),
        words.clone().prop_map(|w| Value::String(w.to_string())),
    ];
    leaf.prop_recursive(6, 80, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(words.clone().prop_map(str::to_string), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

proptest! {
    #[test]
    fn parsers_never_panic_on_arbitrary_text(text in "\\PC{0,40}", asl in "[$@.\\[\\]()'?*:,!=<>&|0-9a-z\\\\ -]{0,30}") {
        for t in [&text, &asl, &format!("${asl}"), &format!("States.Format({asl})")] {
            let _ = JsonPath::parse(t);
            let _ = ReferencePath::parse(t);
            let _ = IntrinsicCall::parse(t);
            let _ = parse_pattern(t);
            let _ = shoal_engine::asl::StateMachine::from_json(t);
        }
    }

    #[test]
    fn definitions_never_panic(definition in asl_like_value()) {
        if let Ok(sm) = shoal_engine::asl::StateMachine::from_value(&definition) {
            prop_assert_eq!(sm.content_hash().as_str().len(), 64);
        }
    }

    #[test]
    fn evaluation_never_panics(text in canonical_path(), value in json_value()) {
        let path = JsonPath::parse(&text).unwrap();
        let _ = path.resolve(&value, &value);
        let _ = path.resolve_ref(&value, &value);
    }
}
