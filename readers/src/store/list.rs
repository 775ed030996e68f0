//! One page of a ListObjectsV2-style listing, requested from a checkpointable position.
//!
//! A page is identified by a [`PageRequest`]: an opaque continuation token from the previous
//! page, or a start-after key (used at the start and after an unrepresentable key), plus the
//! page size. The same request against the same bucket returns the same page, which is what
//! lets a reader checkpoint "request + index within the page".

use std::collections::BinaryHeap;

use futures::StreamExt;
use object_store::list::PaginatedListOptions;
use object_store::path::Path;
use serde::{Deserialize, Serialize};

use super::Store;

/// Where a listing page starts. Small and serializable: part of the listing checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// The opaque continuation token returned with the previous page (server specific).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// List keys strictly after this key (ignored by S3 when `token` is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_after: Option<String>,
}

/// One listed object, with its key relative to the store's prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedObject {
    /// The key relative to the store prefix.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time, epoch seconds.
    pub last_modified: i64,
    /// The entity tag as the server sent it (quoted for S3), if any.
    pub e_tag: Option<String>,
}

/// A page of objects in key order and the request for the next page (None: listing done).
#[derive(Debug, Clone)]
pub struct ListPage {
    /// The objects of this page.
    pub objects: Vec<ListedObject>,
    /// The request for the following page, or None when this was the last page.
    pub next: Option<PageRequest>,
}

impl Store {
    /// Lists up to `max_keys` objects whose keys start with the raw string `prefix`.
    ///
    /// Errors are object_store's, unmapped, so that callers can recognise
    /// `Error::InvalidPath` (a key that `Path` cannot represent fails the whole page).
    pub async fn list_page(
        &self,
        prefix: &str,
        request: &PageRequest,
        max_keys: usize,
    ) -> Result<ListPage, object_store::Error> {
        let full_prefix = format!("{}{}", self.prefix, prefix);
        match &self.pages {
            Some(pages) => {
                let options = PaginatedListOptions {
                    offset: request
                        .start_after
                        .as_ref()
                        .map(|k| format!("{}{k}", self.prefix)),
                    max_keys: Some(max_keys),
                    page_token: request.token.clone(),
                    ..PaginatedListOptions::default()
                };
                let prefix_arg = (!full_prefix.is_empty()).then_some(full_prefix.as_str());
                let result = pages.list_paginated(prefix_arg, options).await?;
                let mut objects: Vec<ListedObject> = result
                    .result
                    .objects
                    .into_iter()
                    .filter_map(|m| self.listed(m))
                    .collect();
                objects.sort_by(|a, b| a.key.cmp(&b.key));
                let next = result.page_token.map(|token| PageRequest {
                    token: Some(token),
                    start_after: None,
                });
                Ok(ListPage { objects, next })
            }
            None => {
                self.list_page_generic(&full_prefix, request, max_keys)
                    .await
            }
        }
    }

    /// Emulates one page on stores without native paging: scans the prefix's directory from
    /// the start-after key and keeps the `max_keys` smallest keys (bounded memory, O(n) per page).
    async fn list_page_generic(
        &self,
        full_prefix: &str,
        request: &PageRequest,
        max_keys: usize,
    ) -> Result<ListPage, object_store::Error> {
        let start_after = match (&request.token, &request.start_after) {
            (Some(token), _) => Some(token.clone()),
            (None, Some(key)) => Some(key.clone()),
            (None, None) => None,
        };
        let dir = match full_prefix.rfind('/') {
            Some(i) => Path::parse(&full_prefix[..i])?,
            None => Path::default(),
        };
        let offset = start_after
            .as_ref()
            .map(|k| Path::parse(format!("{}{k}", self.prefix)));
        let mut stream = match offset {
            Some(offset) => self.inner.list_with_offset(Some(&dir), &offset?),
            None => self.inner.list(Some(&dir)),
        };
        // A max-heap of the smallest keys seen; the top is the largest kept key.
        let mut kept: BinaryHeap<OrderedByKey> = BinaryHeap::new();
        let mut more = false;
        while let Some(meta) = stream.next().await {
            let meta = meta?;
            if !meta.location.as_ref().starts_with(full_prefix) {
                continue;
            }
            let Some(object) = self.listed(meta) else {
                continue;
            };
            if let Some(after) = &start_after {
                if object.key.as_str() <= after.as_str() {
                    continue;
                }
            }
            kept.push(OrderedByKey(object));
            if kept.len() > max_keys {
                kept.pop();
                more = true;
            }
        }
        let objects: Vec<ListedObject> = kept.into_sorted_vec().into_iter().map(|o| o.0).collect();
        let next = match (more, objects.last()) {
            (true, Some(last)) => Some(PageRequest {
                token: None,
                start_after: Some(last.key.clone()),
            }),
            _ => None,
        };
        Ok(ListPage { objects, next })
    }

    /// Strips the store prefix; drops local entries that resolve outside the root.
    fn listed(&self, meta: object_store::ObjectMeta) -> Option<ListedObject> {
        let key = meta
            .location
            .as_ref()
            .strip_prefix(self.prefix.as_str())?
            .to_owned();
        if let Some(root) = &self.local_root {
            super::confine(root, &meta.location).ok()?;
        }
        Some(ListedObject {
            key,
            size: meta.size,
            last_modified: meta.last_modified.timestamp(),
            e_tag: meta.e_tag,
        })
    }
}

struct OrderedByKey(ListedObject);

impl PartialEq for OrderedByKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.key == other.0.key
    }
}
impl Eq for OrderedByKey {}
impl PartialOrd for OrderedByKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrderedByKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.key.cmp(&other.0.key)
    }
}
