//! Registration-time checks of an ItemReader's Parameters and ReaderConfig.
//!
//! Both stay JSON for the readers crate, which owns their meaning; here only
//! the fields Step Functions documents are checked (values, types, required
//! combinations), and unknown ReaderConfig fields are left to the reader.

use serde_json::{Map, Value};

use super::common::parse_integer_source;
use super::fields::Fields;
use super::map_distributed::S3_GET_OBJECT;
use crate::asl::definition_error::DefinitionErrorKind;

/// Largest `ReaderConfig.MaxItems` (100,000,000 items per map run).
pub const MAX_ITEMS_LIMIT: u64 = 100_000_000;

const ENUMS: [(&str, &[&str]); 4] = [
    (
        "InputType",
        &["CSV", "JSON", "JSONL", "MANIFEST", "PARQUET"],
    ),
    ("CSVHeaderLocation", &["FIRST_ROW", "GIVEN"]),
    (
        "CSVDelimiter",
        &["COMMA", "PIPE", "SEMICOLON", "TAB", "SPACE"],
    ),
    ("ManifestType", &["ATHENA_DATA", "S3_INVENTORY"]),
];

fn has_member(params: &Map<String, Value>, name: &str) -> bool {
    params.contains_key(name) || params.contains_key(&format!("{name}.$"))
}

/// Checks `Parameters`: Bucket always, Key for `s3:getObject`.
pub(crate) fn check_parameters(r: &mut Fields<'_>, resource: &str, params: Option<&Value>) {
    let empty = Map::new();
    let params = params.and_then(Value::as_object).unwrap_or(&empty);
    if !has_member(params, "Bucket") {
        r.error("Parameters.Bucket", DefinitionErrorKind::MissingField);
    }
    if resource == S3_GET_OBJECT && !has_member(params, "Key") {
        r.error("Parameters.Key", DefinitionErrorKind::MissingField);
    }
}

/// Checks the documented ReaderConfig fields; other fields pass through.
pub(crate) fn check_reader_config(r: &mut Fields<'_>, config: &Map<String, Value>) {
    let mut c = Fields::new(config, r.name("ReaderConfig"));
    for (field, allowed) in ENUMS {
        if let Some(value) = c.string(field) {
            if !allowed.contains(&value.as_str()) {
                c.error(
                    field,
                    DefinitionErrorKind::InvalidValue {
                        reason: format!("must be one of {}, got \"{value}\"", allowed.join(", ")),
                    },
                );
            }
        }
    }
    let _ = parse_integer_source(&mut c, "MaxItems", 0, MAX_ITEMS_LIMIT);
    let given = config.get("CSVHeaderLocation").and_then(Value::as_str) == Some("GIVEN");
    match c.array("CSVHeaders") {
        Some(headers) if headers.iter().any(|h| !h.is_string()) => c.error(
            "CSVHeaders",
            DefinitionErrorKind::WrongType {
                expected: "an array of strings",
            },
        ),
        Some(_) if !given => c.error(
            "CSVHeaders",
            DefinitionErrorKind::InvalidValue {
                reason: "only allowed when CSVHeaderLocation is GIVEN".into(),
            },
        ),
        None if given && !c.has("CSVHeaders") => {
            c.error("CSVHeaders", DefinitionErrorKind::MissingField)
        }
        _ => {}
    }
    // Unknown ReaderConfig fields belong to the reader: keep only real errors.
    r.absorb(c.errors);
}
