//! The DISTRIBUTED-mode fields of a Map state: ItemReader, ItemBatcher,
//! ResultWriter and Label.

use serde_json::Value;

use super::common::{parse_integer_source, IntegerSource};
use super::fields::Fields;
use super::map::raw_object;
use super::reader_config::{check_parameters, check_reader_config};
use crate::asl::definition_error::DefinitionErrorKind;
use crate::asl::template::PayloadTemplate;

/// ItemReader resource reading one object (JSON, JSONL, CSV, manifest).
pub const S3_GET_OBJECT: &str = "arn:aws:states:::s3:getObject";
/// ItemReader resource listing the objects under a prefix.
pub const S3_LIST_OBJECTS_V2: &str = "arn:aws:states:::s3:listObjectsV2";
/// ResultWriter resource.
pub const S3_PUT_OBJECT: &str = "arn:aws:states:::s3:putObject";
/// Longest Label, in characters.
pub const MAX_LABEL_CHARS: usize = 40;

/// `ItemReader`: kept as JSON for the readers crate, Resource checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemReader {
    /// [`S3_GET_OBJECT`] or [`S3_LIST_OBJECTS_V2`].
    pub resource: String,
    /// Parameters as written (`{}` when absent); may hold `.$` members.
    pub parameters: Value,
    /// Parameters compiled, for evaluating `.$` members against the input.
    pub parameters_template: Option<PayloadTemplate>,
    /// ReaderConfig as written (`{}` when absent).
    pub reader_config: Value,
}

/// `ItemBatcher`.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemBatcher {
    /// MaxItemsPerBatch(Path).
    pub max_items_per_batch: Option<IntegerSource>,
    /// MaxInputBytesPerBatch(Path).
    pub max_input_bytes_per_batch: Option<IntegerSource>,
    /// BatchInput: added to every batch as `BatchInput`.
    pub batch_input: Option<PayloadTemplate>,
}

/// `WriterConfig.Transformation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transformation {
    /// Full execution records (the default).
    None,
    /// Only the outputs, as an array.
    Compact,
    /// Outputs flattened: arrays returned by children are concatenated.
    Flatten,
}

/// `WriterConfig.OutputType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputType {
    /// One JSON array per file (the default).
    Json,
    /// JSON Lines.
    Jsonl,
}

/// `WriterConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterConfig {
    /// Transformation.
    pub transformation: Transformation,
    /// OutputType.
    pub output_type: OutputType,
}

/// `ResultWriter`. Allowed combinations: WriterConfig alone; Resource with
/// Parameters; all three.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultWriter {
    /// [`S3_PUT_OBJECT`], when results are exported.
    pub resource: Option<String>,
    /// Parameters (`Bucket`, `Prefix`) as written.
    pub parameters: Option<Value>,
    /// WriterConfig.
    pub writer_config: Option<WriterConfig>,
}

/// Checks a Map Label: 1 to 40 characters, none of whitespace,
/// `< > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /` or control characters
/// (the characters Step Functions rejects in names that become ARN parts).
pub fn check_label(label: &str) -> Result<(), String> {
    if label.is_empty() {
        return Err("must not be empty".into());
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(format!("must be at most {MAX_LABEL_CHARS} characters"));
    }
    if let Some(c) = label
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(*c))
    {
        return Err(format!("must not contain {c:?}"));
    }
    Ok(())
}

pub(crate) fn parse_item_reader(f: &mut Fields<'_>) -> Option<ItemReader> {
    let obj = f.object("ItemReader")?;
    let mut r = Fields::new(obj, f.name("ItemReader"));
    let resource = r.required_string("Resource");
    if let Some(res) = &resource {
        if res != S3_GET_OBJECT && res != S3_LIST_OBJECTS_V2 {
            r.error(
                "Resource",
                DefinitionErrorKind::InvalidValue {
                    reason: format!("must be {S3_GET_OBJECT} or {S3_LIST_OBJECTS_V2}"),
                },
            );
        }
    }
    let parameters_template = r.template("Parameters");
    // Parameters are checked against a known resource only, so a bad
    // Resource does not also report the fields it would need.
    if let Some(res) = resource
        .as_deref()
        .filter(|r| *r == S3_GET_OBJECT || *r == S3_LIST_OBJECTS_V2)
    {
        check_parameters(&mut r, res, obj.get("Parameters"));
    }
    let parameters = obj
        .get("Parameters")
        .cloned()
        .unwrap_or(Value::Object(Default::default()));
    if let Some(config) = r.object("ReaderConfig") {
        check_reader_config(&mut r, config);
    }
    let reader_config = obj
        .get("ReaderConfig")
        .cloned()
        .unwrap_or(Value::Object(Default::default()));
    f.absorb(r.finish());
    Some(ItemReader {
        resource: resource?,
        parameters,
        parameters_template,
        reader_config,
    })
}

pub(crate) fn parse_item_batcher(f: &mut Fields<'_>) -> Option<ItemBatcher> {
    let obj = f.object("ItemBatcher")?;
    let mut b = Fields::new(obj, f.name("ItemBatcher"));
    let batcher = ItemBatcher {
        max_items_per_batch: parse_integer_source(&mut b, "MaxItemsPerBatch", 1, u64::MAX),
        max_input_bytes_per_batch: parse_integer_source(
            &mut b,
            "MaxInputBytesPerBatch",
            1,
            u64::MAX,
        ),
        batch_input: b.template("BatchInput"),
    };
    if !b.has("MaxItemsPerBatch")
        && !b.has("MaxItemsPerBatchPath")
        && !b.has("MaxInputBytesPerBatch")
        && !b.has("MaxInputBytesPerBatchPath")
    {
        b.error(
            "MaxItemsPerBatch",
            DefinitionErrorKind::OneOfRequired {
                fields: "MaxItemsPerBatch(Path), MaxInputBytesPerBatch(Path)".into(),
            },
        );
    }
    f.absorb(b.finish());
    Some(batcher)
}

fn parse_writer_config(f: &mut Fields<'_>) -> Option<WriterConfig> {
    let obj = f.object("WriterConfig")?;
    let mut w = Fields::new(obj, f.name("WriterConfig"));
    let transformation = match w.string("Transformation").as_deref() {
        None | Some("NONE") => Transformation::None,
        Some("COMPACT") => Transformation::Compact,
        Some("FLATTEN") => Transformation::Flatten,
        Some(other) => {
            w.error(
                "Transformation",
                DefinitionErrorKind::InvalidValue {
                    reason: format!("must be NONE, COMPACT or FLATTEN, got \"{other}\""),
                },
            );
            Transformation::None
        }
    };
    let output_type = match w.string("OutputType").as_deref() {
        None | Some("JSON") => OutputType::Json,
        Some("JSONL") => OutputType::Jsonl,
        Some(other) => {
            w.error(
                "OutputType",
                DefinitionErrorKind::InvalidValue {
                    reason: format!("must be JSON or JSONL, got \"{other}\""),
                },
            );
            OutputType::Json
        }
    };
    f.absorb(w.finish());
    Some(WriterConfig {
        transformation,
        output_type,
    })
}

pub(crate) fn parse_result_writer(f: &mut Fields<'_>) -> Option<ResultWriter> {
    let obj = f.object("ResultWriter")?;
    let mut w = Fields::new(obj, f.name("ResultWriter"));
    let resource = w.string("Resource");
    if let Some(res) = &resource {
        if res != S3_PUT_OBJECT {
            w.error(
                "Resource",
                DefinitionErrorKind::InvalidValue {
                    reason: format!("must be {S3_PUT_OBJECT}"),
                },
            );
        }
    }
    let parameters = raw_object(&mut w, "Parameters");
    let writer_config = parse_writer_config(&mut w);
    match (&resource, &parameters, &writer_config) {
        (Some(_), None, _) => w.error("Parameters", DefinitionErrorKind::MissingField),
        (None, Some(_), _) => w.error("Resource", DefinitionErrorKind::MissingField),
        (None, None, None) => w.error(
            "WriterConfig",
            DefinitionErrorKind::OneOfRequired {
                fields: "WriterConfig, or Resource with Parameters".into(),
            },
        ),
        _ => {}
    }
    if let Some(Value::Object(p)) = &parameters {
        if !p.contains_key("Bucket") && !p.contains_key("Bucket.$") {
            w.error("Parameters.Bucket", DefinitionErrorKind::MissingField);
        }
    }
    f.absorb(w.finish());
    Some(ResultWriter {
        resource,
        parameters,
        writer_config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_rules() {
        assert!(check_label("my-run_1").is_ok());
        assert!(check_label("").is_err());
        assert!(check_label(&"x".repeat(41)).is_err());
        assert!(check_label(&"x".repeat(40)).is_ok());
        for bad in ["a b", "a?", "a*", "a<", "a{", "a]", "a\u{1}"] {
            assert!(check_label(bad).is_err(), "{bad:?}");
        }
    }
}
