//! [`ListingReader`]: ListObjectsV2 over a prefix, one item per object, in key order.
//!
//! Items have Step Functions' shape and field order:
//! `{"Etag":"\"<md5>\"","Key":..,"LastModified":<epoch seconds>,"Size":<bytes>,"StorageClass":"STANDARD"}`.
//! object_store does not report the storage class, so it is always `STANDARD`.
//!
//! **Unrepresentable keys.** object_store fails a whole page when one key cannot be a `Path`
//! (an empty, `.` or `..` segment, or a control character). The reader then halves the page
//! size until the page before the bad key succeeds, so every object before it is yielded, and
//! with a one-key page it knows the key exactly (object_store's error carries it). By default
//! it then fails with [`ReaderError::UnrepresentableKey`] naming that key;
//! with [`UnrepresentableKeys::Skip`] it logs a warning and continues after the key.

use std::collections::VecDeque;

use futures::future::BoxFuture;
use serde_json::{json, Value};

use crate::checkpoint::{Checkpoint, Position};
use crate::error::ReaderError;
use crate::reader::{Batch, ItemReader};
use crate::store::{ListedObject, PageRequest, Store};

/// What a listing does with a key that object_store's `Path` cannot represent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnrepresentableKeys {
    /// Fail with [`ReaderError::UnrepresentableKey`] after yielding every object before it.
    #[default]
    Fail,
    /// Skip the key (with a `tracing` warning) and continue after it.
    Skip,
}

/// The ListObjectsV2 reader.
pub(crate) struct ListingReader {
    store: Store,
    prefix: String,
    page_size: usize,
    policy: UnrepresentableKeys,
    /// The request and page size of the loaded page.
    current: Option<(PageRequest, usize)>,
    page: VecDeque<ListedObject>,
    consumed: usize,
    /// After the loaded page: Some(request) for more, None when it was the last.
    next: Option<PageRequest>,
    items_read: u64,
    exhausted: bool,
}

impl ListingReader {
    /// A reader from the start (`resume` None) or from a listing checkpoint.
    pub(crate) async fn open(
        store: Store,
        prefix: String,
        page_size: usize,
        policy: UnrepresentableKeys,
        resume: Option<(PageRequest, usize, usize)>,
        items_read: u64,
    ) -> Result<Self, ReaderError> {
        let mut reader = Self {
            store,
            prefix,
            page_size: page_size.clamp(1, 1000),
            policy,
            current: None,
            page: VecDeque::new(),
            consumed: 0,
            next: Some(PageRequest::default()),
            items_read,
            exhausted: false,
        };
        if let Some((request, max_keys, index)) = resume {
            reader.load(request, max_keys).await?;
            let skip = index.min(reader.page.len());
            reader.page.drain(..skip);
            reader.consumed = skip;
        }
        Ok(reader)
    }

    /// Loads the page for `request`, halving the size around unrepresentable keys.
    async fn load(&mut self, mut request: PageRequest, mut size: usize) -> Result<(), ReaderError> {
        loop {
            match self.store.list_page(&self.prefix, &request, size).await {
                Ok(page) => {
                    self.page = page.objects.into();
                    self.consumed = 0;
                    self.next = page.next;
                    self.current = Some((request, size));
                    return Ok(());
                }
                Err(object_store::Error::InvalidPath { source }) => {
                    if size > 1 {
                        size /= 2;
                        continue;
                    }
                    let (key, detail) = bad_key(&source);
                    let key = key
                        .strip_prefix(self.store.key_prefix())
                        .unwrap_or(&key)
                        .to_owned();
                    // Skipping is impossible when the key is unknown, or when the same key
                    // comes back after skipping it (a store that lists a whole directory
                    // before applying the offset, like the local one): fail, never loop.
                    let again = request.start_after.as_deref() == Some(key.as_str());
                    if self.policy == UnrepresentableKeys::Fail || key.is_empty() || again {
                        return Err(ReaderError::UnrepresentableKey {
                            store: self.store.name().to_owned(),
                            prefix: self.prefix.clone(),
                            key,
                            detail,
                        });
                    }
                    tracing::warn!(store = self.store.name(), key = %key, "skipping a key object_store cannot represent");
                    request = PageRequest {
                        token: None,
                        start_after: Some(key),
                    };
                    size = self.page_size;
                }
                Err(e) => {
                    let object = self.store.describe(&self.prefix);
                    return Err(ReaderError::store(object, e));
                }
            }
        }
    }

    async fn next(&mut self, max_items: usize) -> Result<Batch, ReaderError> {
        let mut items = Vec::new();
        while !self.exhausted && items.len() < max_items.max(1) {
            if let Some(object) = self.page.pop_front() {
                self.consumed += 1;
                items.push(item(&object));
                continue;
            }
            match self.next.take() {
                Some(request) => self.load(request, self.page_size).await?,
                None => self.exhausted = true,
            }
        }
        if self.page.is_empty() && self.next.is_none() {
            self.exhausted = true;
        }
        self.items_read += items.len() as u64;
        let position = match (&self.current, self.exhausted) {
            (Some((request, max_keys)), false) => Position::Listing {
                request: request.clone(),
                max_keys: *max_keys,
                index: self.consumed,
            },
            (None, false) => Position::Start,
            (_, true) => Position::Done,
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

impl ItemReader for ListingReader {
    fn next_batch(&mut self, max_items: usize) -> BoxFuture<'_, Result<Batch, ReaderError>> {
        Box::pin(self.next(max_items))
    }
}

/// The Step Functions item for one listed object.
pub(crate) fn item(object: &ListedObject) -> Value {
    json!({
        "Etag": object.e_tag.clone().unwrap_or_default(),
        "Key": object.key,
        "LastModified": object.last_modified,
        "Size": object.size,
        "StorageClass": "STANDARD",
    })
}

/// The raw key and reason from object_store's path error.
fn bad_key(error: &object_store::path::Error) -> (String, String) {
    use object_store::path::Error as PathError;
    match error {
        PathError::EmptySegment { path } => (path.clone(), "empty path segment".into()),
        PathError::BadSegment { path, source } => (path.clone(), source.to_string()),
        other => (String::new(), other.to_string()),
    }
}
