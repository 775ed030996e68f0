//! shoal-readers: item readers and the result writer of shoal's Distributed Map, on
//! [`object_store`].
//!
//! - [`ReaderSpec`] is an ASL `ItemReader` (after Parameters are evaluated); [`open_reader`]
//!   turns it, a [`Store`] and an optional [`Checkpoint`] into a `Box<dyn` [`ItemReader`]`>`.
//! - Sources: ListObjectsV2 over a prefix, a JSON array (streamed, `ItemsPointer`), JSON Lines,
//!   CSV (each optionally gzip), an S3 Inventory manifest, and [`InlineArray`] for `ItemsPath`.
//! - Every batch carries a small serde [`Checkpoint`]; a reader rebuilt from it continues with
//!   the next item. Memory is bounded by the batch, one listing page or one record.
//! - Items come as `serde_json::Value`s ([`ItemReader::next_batch`]) or as validated JSON text
//!   ([`RawItem`], [`ItemReader::next_raw_batch`]), which file readers produce several times
//!   faster because no `Value` is built.
//! - [`ResultWriter`] writes `SUCCEEDED_n.json` / `FAILED_n.json` / `PENDING_n.json` and
//!   `manifest.json` in Step Functions' ResultWriter layout.
//! - [`StoreRegistry`] opens `s3://`, `file://` and `memory://` stores by name.
//! - Errors map to `States.ItemReaderFailed` / `States.ResultWriterFailed`.
//!
//! This crate knows nothing of the engine or its log; see `docs/readers.md` for the user guide.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use shoal_readers::{open_reader, ReaderOptions, ReaderSpec, Store};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Store::memory("data");
//! store.put("items.jsonl", Bytes::from("{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n")).await?;
//!
//! let spec: ReaderSpec = serde_json::from_value(serde_json::json!({
//!     "Resource": "arn:aws:states:::s3:getObject",
//!     "Parameters": {"Bucket": "data", "Key": "items.jsonl"},
//!     "ReaderConfig": {"InputType": "JSONL"}
//! }))?;
//! let mut reader = open_reader(&spec, store.clone(), None, &ReaderOptions::new()).await?;
//! let first = reader.next_batch(2).await?;
//! assert_eq!(first.items, vec![serde_json::json!({"id":1}), serde_json::json!({"id":2})]);
//!
//! // A fresh reader built from the checkpoint continues with the third item.
//! let mut resumed = open_reader(&spec, store, Some(&first.checkpoint), &ReaderOptions::new()).await?;
//! let rest = resumed.next_batch(10).await?;
//! assert_eq!(rest.items, vec![serde_json::json!({"id":3})]);
//! assert!(rest.exhausted);
//! # Ok(())
//! # }
//! ```

mod checkpoint;
mod error;
mod item;
mod open;
mod parse;
mod reader;
mod source;
mod spec;
mod store;
mod writer;

pub use checkpoint::{Checkpoint, FilePosition, Position};
pub use error::{
    ReaderError, StoreError, WriterError, DUPLICATE_HEADERS_CAUSE, ITEM_READER_FAILED,
    NON_ITERABLE_CAUSE, RESULT_WRITER_FAILED,
};
pub use item::RawItem;
pub use open::{open_reader, ReaderOptions, DEFAULT_LIST_PAGE_SIZE, DEFAULT_RECORD_CAP_BYTES};
pub use reader::{Batch, ItemReader, RawBatch, MAX_ITEMS_LIMIT};
pub use source::inline::InlineArray;
pub use source::inventory::MANIFEST_LIMIT_BYTES;
pub use source::listing::UnrepresentableKeys;
pub use spec::{CsvFormat, FileFormat, ReaderSpec, SourceSpec, GET_OBJECT, LIST_OBJECTS_V2};
pub use store::{
    open_url, ListPage, ListedObject, PageRequest, S3Options, Store, StoreRegistry, StoreUrl,
    S3_RETRIES_MAX, S3_RETRY_TIMEOUT,
};
pub use writer::{
    Outcome, OutputType, ResultRecord, ResultWriter, Transformation, WriterConfig, WriterOptions,
    DEFAULT_FILE_BYTES_MAX,
};
