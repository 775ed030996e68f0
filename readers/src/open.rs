//! [`open_reader`]: a boxed [`ItemReader`] from a [`ReaderSpec`], a [`Store`] and an optional
//! [`Checkpoint`], and the [`ReaderOptions`] that bound its memory.

use crate::checkpoint::{Checkpoint, Position};
use crate::error::ReaderError;
use crate::reader::{Exhausted, ItemReader, Limited};
use crate::source::file::FileReader;
use crate::source::inventory::InventoryReader;
use crate::source::listing::{ListingReader, UnrepresentableKeys};
use crate::spec::{ReaderSpec, SourceSpec};
use crate::store::Store;

/// Default cap on one record (JSON line, array element, CSV row): 1 MiB, four times
/// Step Functions' 256 KiB child input limit.
pub const DEFAULT_RECORD_CAP_BYTES: usize = 1024 * 1024;
/// Default listing page size (the ListObjectsV2 maximum).
pub const DEFAULT_LIST_PAGE_SIZE: usize = 1000;

/// Limits and policies of a reader.
#[derive(Debug, Clone)]
pub struct ReaderOptions {
    record_cap_bytes: usize,
    list_page_size: usize,
    unrepresentable_keys: UnrepresentableKeys,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        Self {
            record_cap_bytes: DEFAULT_RECORD_CAP_BYTES,
            list_page_size: DEFAULT_LIST_PAGE_SIZE,
            unrepresentable_keys: UnrepresentableKeys::Fail,
        }
    }
}

impl ReaderOptions {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }
    /// The largest record (line, element, CSV row) accepted; larger ones fail with
    /// [`ReaderError::RecordTooLarge`]. At least 16 bytes.
    pub fn with_record_cap_bytes(mut self, bytes: usize) -> Self {
        self.record_cap_bytes = bytes.max(16);
        self
    }
    /// Keys per ListObjectsV2 page, 1 to 1000.
    pub fn with_list_page_size(mut self, keys: usize) -> Self {
        self.list_page_size = keys.clamp(1, 1000);
        self
    }
    /// What a listing does with keys object_store cannot represent.
    pub fn with_unrepresentable_keys(mut self, policy: UnrepresentableKeys) -> Self {
        self.unrepresentable_keys = policy;
        self
    }
}

/// Builds the reader for `spec` over `store` (the store the spec's `Bucket` resolved to),
/// starting at `checkpoint` (None: from the start). `MaxItems` is applied on top.
pub async fn open_reader(
    spec: &ReaderSpec,
    store: Store,
    checkpoint: Option<&Checkpoint>,
    options: &ReaderOptions,
) -> Result<Box<dyn ItemReader>, ReaderError> {
    let start = Checkpoint::start();
    let checkpoint = checkpoint.unwrap_or(&start);
    let items_read = checkpoint.items_read;
    let mismatch = || ReaderError::Checkpoint {
        message: format!(
            "{:?} does not fit a {} reader",
            checkpoint.position,
            kind(&spec.source)
        ),
    };
    let cap = options.record_cap_bytes;
    let inner: Box<dyn ItemReader> = match (&spec.source, &checkpoint.position) {
        (_, Position::Done) => Box::new(Exhausted { items_read }),
        (SourceSpec::Listing { prefix, .. }, position) => {
            let resume = match position {
                Position::Start => None,
                Position::Listing {
                    request,
                    max_keys,
                    index,
                } => Some((request.clone(), *max_keys, *index)),
                _ => return Err(mismatch()),
            };
            let reader = ListingReader::open(
                store,
                prefix.clone(),
                options.list_page_size,
                options.unrepresentable_keys,
                resume,
                items_read,
            )
            .await?;
            Box::new(reader)
        }
        (SourceSpec::File { key, format, .. }, position) => {
            let resume = match position {
                Position::Start => None,
                Position::File(at) => Some(*at),
                _ => return Err(mismatch()),
            };
            Box::new(FileReader::open(&store, key, format, resume, items_read, cap).await?)
        }
        (SourceSpec::Inventory { key, .. }, position) => {
            let resume = match position {
                Position::Start => None,
                Position::Inventory {
                    manifest_md5,
                    file_index,
                    file,
                } => Some((manifest_md5.clone(), *file_index, *file)),
                _ => return Err(mismatch()),
            };
            Box::new(InventoryReader::open(store, key, resume, items_read, cap).await?)
        }
    };
    Ok(Box::new(Limited::new(inner, spec.max_items, items_read)))
}

fn kind(source: &SourceSpec) -> &'static str {
    match source {
        SourceSpec::Listing { .. } => "listing",
        SourceSpec::File { .. } => "file",
        SourceSpec::Inventory { .. } => "inventory",
    }
}
