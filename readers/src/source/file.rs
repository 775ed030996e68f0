//! Readers over one object: JSON array, JSON Lines or CSV, each optionally gzip.
//!
//! [`RecordStream`] couples an [`ObjectBytes`] stream with a push parser; [`FileReader`] turns
//! its records into batches with file checkpoints. Resuming rebuilds the parser at the
//! checkpoint's offset: JSON Lines and CSV restart at a record boundary (CSV re-reads its
//! header row first when the header comes from the file), a JSON array restarts just after an
//! element inside the array.

use std::collections::VecDeque;

use bytes::Bytes;
use futures::future::BoxFuture;

use super::bytes::ObjectBytes;
use crate::checkpoint::{Checkpoint, FilePosition, Position};
use crate::error::ReaderError;
use crate::item::{Item, RawItem};
use crate::parse::csv::CsvParser;
use crate::parse::json_array::JsonArrayParser;
use crate::parse::jsonl::JsonlParser;
use crate::parse::{Record, RecordParser};
use crate::reader::{Batch, ItemReader, RawBatch};
use crate::spec::FileFormat;
use crate::store::Store;

/// Decompressed bytes handed to a parser at once (bounds the records queued per feed).
const FEED_BYTES: usize = 64 * 1024;

/// Records of one object, pulled one at a time.
pub(crate) struct RecordStream {
    bytes: ObjectBytes,
    parser: Box<dyn RecordParser>,
    queue: VecDeque<Record>,
    pending: Bytes,
    ended: bool,
}

impl RecordStream {
    pub(crate) fn new(bytes: ObjectBytes, parser: Box<dyn RecordParser>) -> Self {
        Self {
            bytes,
            parser,
            queue: VecDeque::new(),
            pending: Bytes::new(),
            ended: false,
        }
    }

    /// The byte source (for its gzip flag and MD5).
    pub(crate) fn bytes(&self) -> &ObjectBytes {
        &self.bytes
    }

    /// The next record, or None at the end of the object. `raw`: records parsed from here on
    /// are validated text rather than `Value`s (records already queued keep their form).
    pub(crate) async fn next(&mut self, raw: bool) -> Result<Option<Record>, ReaderError> {
        self.parser.set_raw(raw);
        loop {
            if let Some(record) = self.queue.pop_front() {
                return Ok(Some(record));
            }
            if self.ended {
                return Ok(None);
            }
            if self.pending.is_empty() {
                match self.bytes.next_chunk().await? {
                    Some(chunk) => self.pending = chunk,
                    None => {
                        self.parser.finish(&mut self.queue)?;
                        self.ended = true;
                    }
                }
                continue;
            }
            let slice = self.pending.split_to(self.pending.len().min(FEED_BYTES));
            self.parser.feed(&slice, &mut self.queue)?;
        }
    }
}

/// Reads the header row of a CSV object (for resuming after it).
pub(crate) async fn read_csv_header(
    store: &Store,
    key: &str,
    delimiter: u8,
    gzip: bool,
    cap_bytes: usize,
) -> Result<Vec<String>, ReaderError> {
    let object = store.describe(key);
    let mut bytes = ObjectBytes::open(store, key, 0, Some(gzip), false).await?;
    let mut parser = CsvParser::new(
        object,
        delimiter,
        None,
        FilePosition::default(),
        cap_bytes,
        false,
    )?;
    let mut scratch = VecDeque::new();
    while parser.headers().is_none() {
        match bytes.next_chunk().await? {
            Some(mut chunk) => {
                while !chunk.is_empty() && parser.headers().is_none() {
                    let slice = chunk.split_to(chunk.len().min(FEED_BYTES));
                    parser.feed(&slice, &mut scratch)?;
                    scratch.clear();
                }
            }
            None => {
                parser.finish(&mut scratch)?;
                break;
            }
        }
    }
    Ok(parser.headers().map(<[String]>::to_vec).unwrap_or_default())
}

/// Batches over one JSON, JSONL or CSV object.
pub(crate) struct FileReader {
    object: String,
    stream: RecordStream,
    position: FilePosition,
    items_read: u64,
    exhausted: bool,
}

impl FileReader {
    /// Opens `key` from the start or from a file checkpoint position.
    pub(crate) async fn open(
        store: &Store,
        key: &str,
        format: &FileFormat,
        resume: Option<FilePosition>,
        items_read: u64,
        cap_bytes: usize,
    ) -> Result<Self, ReaderError> {
        let object = store.describe(key);
        let (offset, gzip) = match resume {
            Some(p) => (p.offset, Some(p.gzip)),
            None => (0, None),
        };
        let bytes = ObjectBytes::open(store, key, offset, gzip, false).await?;
        let start = resume.unwrap_or(FilePosition {
            line: 1,
            ..FilePosition::default()
        });
        let parser: Box<dyn RecordParser> = match format {
            FileFormat::Jsonl => Box::new(JsonlParser::new(object, start, cap_bytes)),
            FileFormat::Json { items_pointer } => match resume {
                Some(at) => Box::new(JsonArrayParser::after_element(object, at, cap_bytes)),
                None => Box::new(JsonArrayParser::new(object, items_pointer, cap_bytes)?),
            },
            FileFormat::Csv(csv) => {
                let headers = match (&csv.headers, resume) {
                    (Some(given), _) => Some(given.clone()),
                    (None, Some(_)) => Some(
                        read_csv_header(store, key, csv.delimiter, bytes.is_gzip(), cap_bytes)
                            .await?,
                    ),
                    (None, None) => None,
                };
                Box::new(CsvParser::new(
                    object,
                    csv.delimiter,
                    headers,
                    start,
                    cap_bytes,
                    false,
                )?)
            }
        };
        let mut position = start;
        position.gzip = bytes.is_gzip();
        Ok(Self {
            object: store.describe(key),
            stream: RecordStream::new(bytes, parser),
            position,
            items_read,
            exhausted: false,
        })
    }

    /// The next batch; `raw` picks the form the parser produces, `convert` turns each record's
    /// item into `T` (a no-op unless a record was queued in the other form).
    async fn next<T>(
        &mut self,
        max_items: usize,
        raw: bool,
        convert: fn(Item) -> Result<T, serde_json::Error>,
    ) -> Result<Batch<T>, ReaderError> {
        // Reserved up front (bounded: a caller may ask for far more than it will get).
        let mut items = Vec::with_capacity(max_items.clamp(1, 4096));
        while !self.exhausted && items.len() < max_items.max(1) {
            match self.stream.next(raw).await? {
                Some(record) => {
                    self.position.offset = record.end.offset;
                    self.position.line = record.end.line;
                    self.position.records = record.end.records;
                    items.push(convert(record.item).map_err(|e| ReaderError::Json {
                        object: self.object.clone(),
                        line: record.end.line,
                        offset: record.end.offset,
                        message: format!("validated item does not parse: {e}"),
                    })?);
                }
                None => self.exhausted = true,
            }
        }
        self.items_read += items.len() as u64;
        let position = match self.exhausted {
            true => Position::Done,
            false => Position::File(self.position),
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
}

impl ItemReader for FileReader {
    fn next_batch(&mut self, max_items: usize) -> BoxFuture<'_, Result<Batch, ReaderError>> {
        Box::pin(self.next(max_items, false, Item::into_value))
    }

    fn next_raw_batch(&mut self, max_items: usize) -> BoxFuture<'_, Result<RawBatch, ReaderError>> {
        Box::pin(self.next(max_items, true, |item| Ok::<RawItem, _>(item.into_raw())))
    }
}
