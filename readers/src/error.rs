//! Errors of the readers, the result writer and the store registry.
//!
//! Every variant names the object (`store:key`) and, where it applies, the line, record or byte
//! offset. None of them carries a credential: store errors are built from object_store's errors,
//! which name paths and endpoints, never keys or secrets, and the registry's own errors are
//! written here without the option values that hold secrets.
//!
//! [`ReaderError::step_functions_error`] and [`WriterError::step_functions_error`] give the
//! engine the Step Functions error name and cause to fail a Map state with.

/// The Step Functions error name for a failed item reader.
pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
/// The Step Functions error name for a failed result writer.
pub const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";

/// Step Functions' cause when a JSON source's root (or `ItemsPointer` target) is not an array.
pub const NON_ITERABLE_CAUSE: &str = "Attempting to map over non-iterable node.";
/// Step Functions' cause when CSV headers repeat a name.
pub const DUPLICATE_HEADERS_CAUSE: &str = "CSV headers cannot contain duplicates.";

/// Why reading items failed. Each variant names the object as `store:key`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReaderError {
    /// The `ItemReader` object is invalid; `field` is its JSON path, e.g. `ReaderConfig.CSVDelimiter`.
    #[error("invalid ItemReader field {field}: {message}")]
    InvalidSpec {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The object (or an inventory data file) does not exist.
    #[error("object {object} not found")]
    NotFound {
        /// `store:key` of the missing object.
        object: String,
    },
    /// The store failed (network, permissions, server error) while accessing `object`.
    #[error("store error on {object}: {source}")]
    Store {
        /// `store:key` (or `store:prefix` for listings).
        object: String,
        /// object_store's error.
        #[source]
        source: object_store::Error,
    },
    /// A listed key cannot be represented as an object_store `Path` (an empty, `.` or `..`
    /// segment, or a control character), so it can neither be yielded faithfully nor read.
    #[error(
        "listing {store}:{prefix}: key {key:?} cannot be represented as an object path ({detail})"
    )]
    UnrepresentableKey {
        /// The store name.
        store: String,
        /// The listed prefix.
        prefix: String,
        /// The raw key as the server returned it.
        key: String,
        /// Why object_store rejected it.
        detail: String,
    },
    /// A JSON value (line, array element or manifest) is malformed.
    #[error("malformed JSON in {object} at line {line}, byte offset {offset}: {message}")]
    Json {
        /// `store:key`.
        object: String,
        /// 1-based line of the value's first byte in the (decompressed) object.
        line: u64,
        /// Byte offset of the value's first byte in the (decompressed) object.
        offset: u64,
        /// serde_json's message or the splitter's finding.
        message: String,
    },
    /// A CSV record is invalid (not UTF-8, or a header problem other than duplicates).
    #[error("malformed CSV in {object} at record {record}, byte offset {offset}: {message}")]
    Csv {
        /// `store:key`.
        object: String,
        /// 1-based record number (the header row counts).
        record: u64,
        /// Byte offset of the record's first byte in the (decompressed) object.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// One record (line, element or CSV row) exceeds the per-record cap, e.g. an unclosed quote.
    #[error("record in {object} at {unit} {line}, byte offset {offset}, exceeds the {cap_bytes}-byte record limit (unclosed quote or missing line break?)")]
    RecordTooLarge {
        /// `store:key`.
        object: String,
        /// `"line"` (JSON, JSONL) or `"record"` (CSV: a quoted field may span lines).
        unit: &'static str,
        /// 1-based number of the line (or CSV record) the record starts on.
        line: u64,
        /// Byte offset of the record's first byte in the (decompressed) object.
        offset: u64,
        /// The configured cap.
        cap_bytes: usize,
    },
    /// The gzip stream is corrupt or truncated.
    #[error("bad gzip data in {object} near compressed byte offset {offset}: {message}")]
    Gzip {
        /// `store:key`.
        object: String,
        /// Compressed bytes consumed before the failure was seen.
        offset: u64,
        /// flate2's message.
        message: String,
    },
    /// An MD5 checksum does not match (inventory `manifest.checksum` or a data file's `MD5checksum`).
    #[error("checksum mismatch for {object}: expected MD5 {expected}, computed {actual}")]
    ChecksumMismatch {
        /// `store:key`.
        object: String,
        /// The checksum the manifest declares.
        expected: String,
        /// The checksum of the bytes read.
        actual: String,
    },
    /// The JSON root (or the `ItemsPointer` target) is not an array.
    #[error("{object}: Attempting to map over non-iterable node. ({detail})")]
    NonIterable {
        /// `store:key`.
        object: String,
        /// What was found instead.
        detail: String,
    },
    /// The CSV header names a column twice.
    #[error("{object}: CSV headers cannot contain duplicates. (duplicate {header:?})")]
    DuplicateHeaders {
        /// `store:key`.
        object: String,
        /// The repeated name.
        header: String,
    },
    /// An S3 Inventory manifest is invalid or uses an unsupported format.
    #[error("inventory manifest {object}: {message}")]
    Manifest {
        /// `store:key` of manifest.json.
        object: String,
        /// What is wrong.
        message: String,
    },
    /// The checkpoint does not belong to this reader (other source kind, or the source changed).
    #[error("checkpoint does not fit this reader: {message}")]
    Checkpoint {
        /// What does not fit.
        message: String,
    },
    /// A store URL or registry lookup failed.
    #[error(transparent)]
    Registry(#[from] StoreError),
}

impl ReaderError {
    /// The Step Functions error name (`States.ItemReaderFailed`) and the cause string.
    ///
    /// The cause is the exact Step Functions sentence where one exists (non-iterable root,
    /// duplicate CSV headers), else this error's message.
    pub fn step_functions_error(&self) -> (&'static str, String) {
        let cause = match self {
            Self::NonIterable { .. } => NON_ITERABLE_CAUSE.to_owned(),
            Self::DuplicateHeaders { .. } => DUPLICATE_HEADERS_CAUSE.to_owned(),
            other => other.to_string(),
        };
        (ITEM_READER_FAILED, cause)
    }

    /// Maps an object_store error on `object`, turning `NotFound` into [`ReaderError::NotFound`].
    pub(crate) fn store(object: String, source: object_store::Error) -> Self {
        match source {
            object_store::Error::NotFound { .. } => Self::NotFound { object },
            source => Self::Store { object, source },
        }
    }

    pub(crate) fn spec(field: &str, message: impl Into<String>) -> Self {
        Self::InvalidSpec {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Why writing results failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriterError {
    /// The store refused or failed a put of `object`.
    #[error("store error writing {object}: {source}")]
    Store {
        /// `store:key`.
        object: String,
        /// object_store's error.
        #[source]
        source: object_store::Error,
    },
    /// The `ResultWriter` configuration is invalid.
    #[error("invalid ResultWriter field {field}: {message}")]
    InvalidConfig {
        /// The offending field, e.g. `WriterConfig.OutputType`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A result record could not be encoded.
    #[error("cannot encode result record: {0}")]
    Encode(#[from] serde_json::Error),
    /// A key built from the prefix and run id is not a valid object path.
    #[error("invalid result key {key:?}: {message}")]
    InvalidKey {
        /// The key.
        key: String,
        /// Why it is invalid.
        message: String,
    },
}

impl WriterError {
    /// The Step Functions error name (`States.ResultWriterFailed`) and the cause string.
    pub fn step_functions_error(&self) -> (&'static str, String) {
        (RESULT_WRITER_FAILED, self.to_string())
    }
}

/// Why a store URL could not be parsed, built or resolved. Never contains a credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL is malformed or has an unsupported scheme.
    #[error("invalid store URL {url:?}: {message}")]
    InvalidUrl {
        /// The URL with any userinfo removed.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// object_store refused to build the store (message does not echo option values).
    #[error("cannot open store {name}: {message}")]
    Build {
        /// The registry name.
        name: String,
        /// What went wrong.
        message: String,
    },
    /// No store is registered under this name (an ItemReader `Bucket` that is not known).
    #[error("no store registered as {name:?} (known: {known})")]
    UnknownStore {
        /// The name looked up.
        name: String,
        /// The registered names, comma separated.
        known: String,
    },
    /// A key would leave a local store's root (`..`, absolute, or through a symlink).
    #[error("key {key:?} escapes the root of local store {name}")]
    Escapes {
        /// The store name.
        name: String,
        /// The offending key.
        key: String,
    },
    /// A key is not a valid object path.
    #[error("key {key:?} is not a valid object path: {message}")]
    InvalidKey {
        /// The offending key.
        key: String,
        /// Why object_store rejected it.
        message: String,
    },
}
