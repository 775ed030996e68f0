//! [`InventoryReader`]: the objects listed by an S3 Inventory report (CSV format).
//!
//! 1. `manifest.json` is read whole (it is small; capped at [`MANIFEST_LIMIT_BYTES`]) and, when a
//!    sibling `manifest.checksum` exists, its MD5 is compared with it.
//! 2. `fileSchema` gives the columns (split on `,`, trimmed); `fileFormat` must be `CSV`
//!    (ORC and Parquet fail with an "unsupported" error).
//! 3. Each data file (gzip CSV, no header row) is streamed in manifest order; every value is a
//!    string and the `Key` column is form-URL-decoded (`+` is a space, then `%XX`).
//! 4. Each data file's MD5 (`MD5checksum`) is computed while it streams and compared when the
//!    file ends. **Items of a file are yielded before its checksum is known**: checking first
//!    would mean reading every data file twice or buffering it whole. A mismatch fails the
//!    reader at the end of that file, so the map run fails with `States.ItemReaderFailed`;
//!    gzip's own CRC-32, checked at the end of each gzip member, already rejects most
//!    corruption earlier.
//!
//! The checkpoint records the manifest's MD5 (a manifest changed between runs is refused), the
//! data file index and the position in the file. Resuming re-streams that data file from byte
//! 0 (gzip cannot seek, and the MD5 needs every byte).

use futures::future::BoxFuture;
use md5::{Digest, Md5};
use serde::Deserialize;

use super::bytes::{hex, ObjectBytes};
use super::file::RecordStream;
use crate::checkpoint::{Checkpoint, FilePosition, Position};
use crate::error::ReaderError;
use crate::item::{Item, RawItem};
use crate::parse::csv::CsvParser;
use crate::reader::{Batch, ItemReader, RawBatch};
use crate::store::Store;

/// Largest manifest.json accepted.
pub const MANIFEST_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Deserialize)]
struct Manifest {
    #[serde(rename = "fileFormat")]
    file_format: String,
    #[serde(rename = "fileSchema")]
    file_schema: String,
    files: Vec<DataFile>,
}

#[derive(Debug, Clone, Deserialize)]
struct DataFile {
    key: String,
    #[serde(rename = "MD5checksum", default)]
    md5: Option<String>,
}

/// The inventory reader.
pub(crate) struct InventoryReader {
    store: Store,
    manifest_md5: String,
    columns: Vec<String>,
    files: Vec<DataFile>,
    file_index: usize,
    stream: Option<RecordStream>,
    position: FilePosition,
    items_read: u64,
    exhausted: bool,
    cap_bytes: usize,
}

impl InventoryReader {
    /// Reads and checks the manifest; `resume` is (manifest MD5, file index, position).
    pub(crate) async fn open(
        store: Store,
        manifest_key: &str,
        resume: Option<(String, usize, FilePosition)>,
        items_read: u64,
        cap_bytes: usize,
    ) -> Result<Self, ReaderError> {
        let object = store.describe(manifest_key);
        let body = store.get_small(manifest_key, MANIFEST_LIMIT_BYTES).await?;
        let manifest_md5 = hex(&Md5::digest(&body));
        verify_checksum_file(&store, manifest_key, &manifest_md5).await?;
        let manifest: Manifest =
            serde_json::from_slice(&body).map_err(|e| ReaderError::Manifest {
                object: object.clone(),
                message: format!("not a valid manifest.json: {e}"),
            })?;
        if !manifest.file_format.eq_ignore_ascii_case("CSV") {
            return Err(ReaderError::Manifest {
                object,
                message: format!(
                    "unsupported inventory format {:?}: only CSV inventories are supported",
                    manifest.file_format
                ),
            });
        }
        let columns: Vec<String> = manifest
            .file_schema
            .split(',')
            .map(|c| c.trim().to_owned())
            .collect();
        let (file_index, position) = match resume {
            None => (0, FilePosition::default()),
            Some((md5, _, _)) if md5 != manifest_md5 => {
                return Err(ReaderError::Checkpoint {
                    message: format!("manifest {object} changed since the checkpoint (MD5 {md5} then, {manifest_md5} now)"),
                })
            }
            Some((_, index, position)) => (index, position),
        };
        Ok(Self {
            store,
            manifest_md5,
            columns,
            files: manifest.files,
            file_index,
            stream: None,
            position,
            items_read,
            exhausted: false,
            cap_bytes,
        })
    }

    async fn open_file(&mut self, file: &DataFile) -> Result<RecordStream, ReaderError> {
        let object = self.store.describe(&file.key);
        let bytes =
            ObjectBytes::open(&self.store, &file.key, self.position.offset, None, true).await?;
        let parser = CsvParser::new(
            object,
            b',',
            Some(self.columns.clone()),
            self.position,
            self.cap_bytes,
            true,
        )?;
        Ok(RecordStream::new(bytes, Box::new(parser)))
    }

    /// The next batch; `raw` and `convert` as in the file reader (rows become JSON text
    /// directly in raw mode).
    async fn next<T>(
        &mut self,
        max_items: usize,
        raw: bool,
        convert: fn(Item) -> Result<T, serde_json::Error>,
    ) -> Result<Batch<T>, ReaderError> {
        let mut items = Vec::new();
        while !self.exhausted && items.len() < max_items.max(1) {
            let Some(file) = self.files.get(self.file_index).cloned() else {
                self.exhausted = true;
                break;
            };
            let mut stream = match self.stream.take() {
                Some(stream) => stream,
                None => self.open_file(&file).await?,
            };
            match stream.next(raw).await? {
                Some(record) => {
                    self.position = record.end;
                    items.push(convert(record.item).map_err(|e| ReaderError::Json {
                        object: self.store.describe(&file.key),
                        line: record.end.line,
                        offset: record.end.offset,
                        message: format!("validated item does not parse: {e}"),
                    })?);
                    self.stream = Some(stream);
                }
                None => {
                    self.verify_file(&file, &stream)?;
                    self.file_index += 1;
                    self.position = FilePosition::default();
                }
            }
        }
        self.items_read += items.len() as u64;
        let position = match self.exhausted {
            true => Position::Done,
            false => Position::Inventory {
                manifest_md5: self.manifest_md5.clone(),
                file_index: self.file_index,
                file: self.position,
            },
        };
        Ok(Batch {
            items,
            checkpoint: Checkpoint {
                items_read: self.items_read,
                position,
            },
            exhausted: self.exhausted,
        })
    }

    fn verify_file(&self, file: &DataFile, stream: &RecordStream) -> Result<(), ReaderError> {
        let (Some(expected), Some(actual)) = (&file.md5, stream.bytes().md5_hex()) else {
            return Ok(());
        };
        if expected.trim().eq_ignore_ascii_case(&actual) {
            return Ok(());
        }
        Err(ReaderError::ChecksumMismatch {
            object: self.store.describe(&file.key),
            expected: expected.trim().to_owned(),
            actual,
        })
    }
}

impl ItemReader for InventoryReader {
    fn next_batch(&mut self, max_items: usize) -> BoxFuture<'_, Result<Batch, ReaderError>> {
        Box::pin(self.next(max_items, false, Item::into_value))
    }

    fn next_raw_batch(&mut self, max_items: usize) -> BoxFuture<'_, Result<RawBatch, ReaderError>> {
        Box::pin(self.next(max_items, true, |item| Ok::<RawItem, _>(item.into_raw())))
    }
}

/// Compares `manifest.checksum` beside the manifest (when it exists) with the manifest's MD5.
async fn verify_checksum_file(
    store: &Store,
    manifest_key: &str,
    actual: &str,
) -> Result<(), ReaderError> {
    let checksum_key = match manifest_key.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/manifest.checksum"),
        None => "manifest.checksum".to_owned(),
    };
    let expected = match store.get_small(&checksum_key, 1024).await {
        Ok(body) => String::from_utf8_lossy(&body).trim().to_ascii_lowercase(),
        Err(ReaderError::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    if expected == actual {
        return Ok(());
    }
    Err(ReaderError::ChecksumMismatch {
        object: store.describe(manifest_key),
        expected,
        actual: actual.to_owned(),
    })
}
