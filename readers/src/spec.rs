//! [`ReaderSpec`]: an ASL `ItemReader` object (after the engine evaluated its `Parameters`),
//! validated into what to read.
//!
//! ```json
//! {"Resource": "arn:aws:states:::s3:getObject",
//!  "Parameters": {"Bucket": "data", "Key": "items.csv"},
//!  "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN",
//!                   "CSVHeaders": ["id", "name"], "CSVDelimiter": "PIPE", "MaxItems": 100}}
//! ```
//!
//! Every validation error names the field (`ReaderConfig.CSVDelimiter`, `Parameters.Key`, ...).
//! `Arguments` (JSONata) is accepted as a synonym of `Parameters`. Without a `ReaderConfig`,
//! `s3:getObject` reads a JSON array.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::ReaderError;
use crate::reader::MAX_ITEMS_LIMIT;

/// `Resource` of a ListObjectsV2 reader.
pub const LIST_OBJECTS_V2: &str = "arn:aws:states:::s3:listObjectsV2";
/// `Resource` of a single-object reader (JSON, JSONL, CSV, inventory manifest).
pub const GET_OBJECT: &str = "arn:aws:states:::s3:getObject";

/// A validated `ItemReader`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Value")]
pub struct ReaderSpec {
    /// What to read.
    pub source: SourceSpec,
    /// `ReaderConfig.MaxItems`: 0 means no limit (the 100,000,000 cap still applies).
    pub max_items: u64,
}

/// The source of items.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceSpec {
    /// `s3:listObjectsV2` over `prefix` (a raw string prefix, "" for the whole bucket).
    Listing {
        /// The store name (`Parameters.Bucket`).
        bucket: String,
        /// `Parameters.Prefix`.
        prefix: String,
    },
    /// `s3:getObject` of one JSON, JSONL or CSV object.
    File {
        /// The store name.
        bucket: String,
        /// The object key.
        key: String,
        /// How to parse it.
        format: FileFormat,
    },
    /// `s3:getObject` of an S3 Inventory `manifest.json`.
    Inventory {
        /// The store name (the inventory's destination bucket).
        bucket: String,
        /// The manifest's key.
        key: String,
    },
}

impl SourceSpec {
    /// The store name the engine resolves through the registry.
    pub fn bucket(&self) -> &str {
        match self {
            Self::Listing { bucket, .. }
            | Self::File { bucket, .. }
            | Self::Inventory { bucket, .. } => bucket,
        }
    }
}

/// How a single object is parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileFormat {
    /// A JSON array; `items_pointer` (RFC 6901, "" = root) selects a nested one.
    Json {
        /// `ReaderConfig.ItemsPointer`.
        items_pointer: String,
    },
    /// JSON Lines.
    Jsonl,
    /// CSV.
    Csv(CsvFormat),
}

/// CSV settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFormat {
    /// The delimiter byte (`,` `|` `;` ` ` or tab).
    pub delimiter: u8,
    /// `Some` for `CSVHeaderLocation: GIVEN`, `None` to read the header from the first row.
    pub headers: Option<Vec<String>>,
}

impl TryFrom<Value> for ReaderSpec {
    type Error = ReaderError;

    fn try_from(value: Value) -> Result<Self, ReaderError> {
        let Value::Object(reader) = value else {
            return Err(ReaderError::spec("ItemReader", "must be an object"));
        };
        for field in reader.keys() {
            if !["Resource", "Parameters", "Arguments", "ReaderConfig"].contains(&field.as_str()) {
                return Err(ReaderError::spec(field, "unknown ItemReader field"));
            }
        }
        let resource = reader
            .get("Resource")
            .and_then(Value::as_str)
            .ok_or_else(|| ReaderError::spec("Resource", "required string"))?;
        let (params_field, params) = match (reader.get("Parameters"), reader.get("Arguments")) {
            (Some(Value::Object(p)), None) => ("Parameters", p.clone()),
            (None, Some(Value::Object(p))) => ("Arguments", p.clone()),
            (None, None) => {
                return Err(ReaderError::spec(
                    "Parameters",
                    "required (Bucket and Key or Prefix)",
                ))
            }
            _ => {
                return Err(ReaderError::spec(
                    "Parameters",
                    "must be one object (Parameters or Arguments, not both)",
                ))
            }
        };
        let config = match reader.get("ReaderConfig") {
            None => Map::new(),
            Some(Value::Object(c)) => c.clone(),
            Some(_) => return Err(ReaderError::spec("ReaderConfig", "must be an object")),
        };
        let config = Config::parse(config)?;
        let bucket = string_param(&params, params_field, "Bucket")?
            .ok_or_else(|| ReaderError::spec(&format!("{params_field}.Bucket"), "required"))?;
        if params.contains_key("VersionId") {
            return Err(ReaderError::spec(
                &format!("{params_field}.VersionId"),
                "object versions are not supported",
            ));
        }
        let source = match resource {
            LIST_OBJECTS_V2 => config.listing(
                bucket,
                string_param(&params, params_field, "Prefix")?.unwrap_or_default(),
            )?,
            GET_OBJECT => {
                let key = string_param(&params, params_field, "Key")?.ok_or_else(|| {
                    ReaderError::spec(&format!("{params_field}.Key"), "required for s3:getObject")
                })?;
                config.object(bucket, key)?
            }
            other => {
                return Err(ReaderError::spec(
                    "Resource",
                    format!("{other:?} is not {LIST_OBJECTS_V2} or {GET_OBJECT}"),
                ))
            }
        };
        Ok(Self {
            source,
            max_items: config.max_items,
        })
    }
}

fn string_param(
    params: &Map<String, Value>,
    field: &str,
    name: &str,
) -> Result<Option<String>, ReaderError> {
    match params.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ReaderError::spec(
            &format!("{field}.{name}"),
            "must be a string",
        )),
    }
}

/// The `ReaderConfig` fields, type-checked.
struct Config {
    input_type: Option<String>,
    manifest_type: Option<String>,
    header_location: Option<String>,
    headers: Option<Vec<String>>,
    delimiter: Option<String>,
    items_pointer: Option<String>,
    transformation: Option<String>,
    max_items: u64,
}

impl Config {
    fn parse(mut config: Map<String, Value>) -> Result<Self, ReaderError> {
        let mut text = |name: &str| -> Result<Option<String>, ReaderError> {
            match config.remove(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(ReaderError::spec(
                    &format!("ReaderConfig.{name}"),
                    "must be a string",
                )),
            }
        };
        let input_type = text("InputType")?;
        let manifest_type = text("ManifestType")?;
        let header_location = text("CSVHeaderLocation")?;
        let delimiter = text("CSVDelimiter")?;
        let items_pointer = text("ItemsPointer")?;
        let transformation = text("Transformation")?;
        let headers = match config.remove("CSVHeaders") {
            None => None,
            Some(value) => Some(serde_json::from_value::<Vec<String>>(value).map_err(|_| {
                ReaderError::spec("ReaderConfig.CSVHeaders", "must be an array of strings")
            })?),
        };
        let max_items = match config.remove("MaxItems") {
            None => 0,
            Some(Value::Number(n)) => match (n.as_u64(), n.as_i64()) {
                (Some(v), _) if v <= MAX_ITEMS_LIMIT => v,
                (Some(_), _) => {
                    return Err(ReaderError::spec(
                        "ReaderConfig.MaxItems",
                        format!("must be at most {MAX_ITEMS_LIMIT}"),
                    ))
                }
                (None, Some(_)) => {
                    return Err(ReaderError::spec(
                        "ReaderConfig.MaxItems",
                        "field MaxItems must be positive",
                    ))
                }
                (None, None) => {
                    return Err(ReaderError::spec(
                        "ReaderConfig.MaxItems",
                        "must be an integer",
                    ))
                }
            },
            Some(_) => {
                return Err(ReaderError::spec(
                    "ReaderConfig.MaxItems",
                    "must be an integer",
                ))
            }
        };
        if let Some(field) = config.keys().next() {
            return Err(ReaderError::spec(
                &format!("ReaderConfig.{field}"),
                "unknown ReaderConfig field",
            ));
        }
        Ok(Self {
            input_type,
            manifest_type,
            header_location,
            headers,
            delimiter,
            items_pointer,
            transformation,
            max_items,
        })
    }

    fn listing(&self, bucket: String, prefix: String) -> Result<SourceSpec, ReaderError> {
        if let Some(t) = self.transformation.as_deref().filter(|t| *t != "NONE") {
            return Err(ReaderError::spec(
                "ReaderConfig.Transformation",
                format!("{t:?} is not supported (only NONE)"),
            ));
        }
        for (field, set) in [
            ("InputType", self.input_type.is_some()),
            ("ManifestType", self.manifest_type.is_some()),
            ("ItemsPointer", self.items_pointer.is_some()),
        ] {
            if set {
                return Err(ReaderError::spec(
                    &format!("ReaderConfig.{field}"),
                    "not valid for s3:listObjectsV2 without LOAD_AND_FLATTEN",
                ));
            }
        }
        self.reject_csv_fields("a listing")?;
        Ok(SourceSpec::Listing { bucket, prefix })
    }

    fn object(&self, bucket: String, key: String) -> Result<SourceSpec, ReaderError> {
        if let Some(t) = &self.transformation {
            return Err(ReaderError::spec(
                "ReaderConfig.Transformation",
                format!("{t:?} applies to s3:listObjectsV2 only"),
            ));
        }
        match (self.manifest_type.as_deref(), self.input_type.as_deref()) {
            (Some("S3_INVENTORY"), None) | (None, Some("MANIFEST")) => {
                self.reject_csv_fields("an inventory manifest")?;
                return Ok(SourceSpec::Inventory { bucket, key });
            }
            (Some("S3_INVENTORY"), Some(_)) => {
                return Err(ReaderError::spec(
                    "ReaderConfig.InputType",
                    "must not be set with ManifestType S3_INVENTORY",
                ))
            }
            (Some(other), _) => {
                return Err(ReaderError::spec(
                    "ReaderConfig.ManifestType",
                    format!("{other:?} is not supported (S3_INVENTORY)"),
                ))
            }
            (None, _) => {}
        }
        let format = match self.input_type.as_deref().unwrap_or("JSON") {
            "JSON" => {
                self.reject_csv_fields("JSON")?;
                FileFormat::Json {
                    items_pointer: self.items_pointer.clone().unwrap_or_default(),
                }
            }
            "JSONL" => {
                self.reject_csv_fields("JSONL")?;
                FileFormat::Jsonl
            }
            "CSV" => FileFormat::Csv(self.csv()?),
            "PARQUET" => {
                return Err(ReaderError::spec(
                    "ReaderConfig.InputType",
                    "unsupported format PARQUET",
                ))
            }
            other => {
                return Err(ReaderError::spec(
                    "ReaderConfig.InputType",
                    format!("{other:?} is not CSV, JSON, JSONL or MANIFEST"),
                ))
            }
        };
        if self.items_pointer.is_some() && !matches!(format, FileFormat::Json { .. }) {
            return Err(ReaderError::spec(
                "ReaderConfig.ItemsPointer",
                "applies to InputType JSON only",
            ));
        }
        Ok(SourceSpec::File {
            bucket,
            key,
            format,
        })
    }

    fn csv(&self) -> Result<CsvFormat, ReaderError> {
        let delimiter = match self.delimiter.as_deref().unwrap_or("COMMA") {
            "COMMA" => b',',
            "PIPE" => b'|',
            "SEMICOLON" => b';',
            "SPACE" => b' ',
            "TAB" => b'\t',
            other => {
                return Err(ReaderError::spec(
                    "ReaderConfig.CSVDelimiter",
                    format!("{other:?} is not COMMA, PIPE, SEMICOLON, SPACE or TAB"),
                ))
            }
        };
        let headers = match (
            self.header_location.as_deref().unwrap_or("FIRST_ROW"),
            &self.headers,
        ) {
            ("FIRST_ROW", None) => None,
            ("FIRST_ROW", Some(_)) => {
                return Err(ReaderError::spec(
                    "ReaderConfig.CSVHeaders",
                    "only allowed with CSVHeaderLocation GIVEN",
                ))
            }
            ("GIVEN", Some(h)) if !h.is_empty() => Some(h.clone()),
            ("GIVEN", _) => {
                return Err(ReaderError::spec(
                    "ReaderConfig.CSVHeaders",
                    "required (non-empty) with CSVHeaderLocation GIVEN",
                ))
            }
            (other, _) => {
                return Err(ReaderError::spec(
                    "ReaderConfig.CSVHeaderLocation",
                    format!("{other:?} is not FIRST_ROW or GIVEN"),
                ))
            }
        };
        Ok(CsvFormat { delimiter, headers })
    }

    fn reject_csv_fields(&self, what: &str) -> Result<(), ReaderError> {
        for (field, set) in [
            ("CSVHeaderLocation", self.header_location.is_some()),
            ("CSVHeaders", self.headers.is_some()),
            ("CSVDelimiter", self.delimiter.is_some()),
        ] {
            if set {
                return Err(ReaderError::spec(
                    &format!("ReaderConfig.{field}"),
                    format!("not valid for {what}"),
                ));
            }
        }
        Ok(())
    }
}
