//! [`Store`]: one named object store as the readers and the writer see it.
//!
//! A `Store` wraps an `Arc<dyn ObjectStore>` with what the plain trait does not give:
//! - a name used in every error (`name:key`), and a key prefix when the URL had one
//!   (`s3://bucket/some/prefix` → keys are relative to `some/prefix/`);
//! - checkpointable one-page-at-a-time listing ([`Store::list_page`]): S3 through
//!   `PaginatedListStore::list_paginated` (ListObjectsV2 continuation tokens), other stores
//!   through `list_with_offset` keeping the smallest `max_keys` keys after the offset;
//! - confinement of local-file stores to their root ([`Store::path`] rejects absolute keys and
//!   `..` segments, and canonicalises the file to refuse symlinks that point outside the root).
//!
//! Keys are turned into paths with `Path::parse`, which keeps the key byte for byte (`Path::from`
//! would percent-encode characters such as `~*%` and address a different object).

mod file_stream;
mod list;
mod registry;
mod url;

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::list::PaginatedListStore;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    GetOptions, GetRange, GetResultPayload, ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload,
};

use crate::error::{ReaderError, StoreError};

pub use list::{ListPage, ListedObject, PageRequest};
pub use registry::{open_url, S3Options, StoreRegistry, S3_RETRIES_MAX, S3_RETRY_TIMEOUT};
pub use url::StoreUrl;

/// A named object store with an optional key prefix; cheap to clone.
#[derive(Clone)]
pub struct Store {
    name: Arc<str>,
    inner: Arc<dyn ObjectStore>,
    pages: Option<Arc<dyn PaginatedListStore>>,
    prefix: String,
    local_root: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    // The inner store is left out on purpose: an S3 client's Debug can show its credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .field("paginated", &self.pages.is_some())
            .field("local_root", &self.local_root)
            .finish()
    }
}

impl Store {
    /// Wraps any object store. Listing uses `list_with_offset` (see [`Store::list_page`]).
    pub fn new(name: impl Into<String>, inner: Arc<dyn ObjectStore>) -> Self {
        Self {
            name: Arc::from(name.into()),
            inner,
            pages: None,
            prefix: String::new(),
            local_root: None,
        }
    }

    /// A fresh in-memory store (the reference backend in tests).
    pub fn memory(name: impl Into<String>) -> Self {
        Self::new(name, Arc::new(InMemory::new()))
    }

    /// Wraps a store that also pages ListObjectsV2-style (S3, GCS, Azure).
    pub fn paginated<S>(name: impl Into<String>, inner: Arc<S>) -> Self
    where
        S: ObjectStore + PaginatedListStore,
    {
        let mut store = Self::new(name, inner.clone());
        store.pages = Some(inner);
        store
    }

    /// A local directory; every key resolves inside `root`, which must exist.
    pub fn local(name: impl Into<String>, root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let name = name.into();
        let root: PathBuf = root.into();
        let canonical = root.canonicalize().map_err(|e| StoreError::Build {
            name: name.clone(),
            message: format!("root {}: {e}", root.display()),
        })?;
        let fs =
            object_store::local::LocalFileSystem::new_with_prefix(&canonical).map_err(|e| {
                StoreError::Build {
                    name: name.clone(),
                    message: e.to_string(),
                }
            })?;
        let mut store = Self::new(name, Arc::new(fs));
        store.local_root = Some(canonical);
        Ok(store)
    }

    /// Puts every key under `prefix` (a trailing `/` is added when missing).
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        let trimmed = prefix.trim_matches('/');
        self.prefix = if trimmed.is_empty() {
            String::new()
        } else {
            format!("{trimmed}/")
        };
        self
    }

    /// The registry name, used in errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The underlying object store (keys passed to it must include [`Store::key_prefix`]).
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.inner
    }

    /// The prefix every key is placed under ("" or ending in `/`).
    pub fn key_prefix(&self) -> &str {
        &self.prefix
    }

    /// `name:key`, how errors name an object.
    pub fn describe(&self, key: &str) -> String {
        format!("{}:{}", self.name, key)
    }

    /// The object path for `key`: `Path::parse(prefix + key)`, confined for local stores.
    pub fn path(&self, key: &str) -> Result<Path, StoreError> {
        if key.starts_with('/') {
            return Err(self.reject(key, "absolute key"));
        }
        let full = format!("{}{}", self.prefix, key);
        let path = Path::parse(&full).map_err(|e| match e {
            object_store::path::Error::BadSegment { .. } if key.split('/').any(|s| s == "..") => {
                self.reject(key, "")
            }
            e => StoreError::InvalidKey {
                key: key.to_owned(),
                message: e.to_string(),
            },
        })?;
        if let Some(root) = &self.local_root {
            confine(root, &path).map_err(|()| self.reject(key, ""))?;
        }
        Ok(path)
    }

    fn reject(&self, key: &str, why: &str) -> StoreError {
        if self.local_root.is_some() || why.is_empty() {
            StoreError::Escapes {
                name: self.name.to_string(),
                key: key.to_owned(),
            }
        } else {
            StoreError::InvalidKey {
                key: key.to_owned(),
                message: why.to_owned(),
            }
        }
    }

    /// Streams the object's bytes from `offset` on; returns the stream and the object size.
    pub async fn get_stream(
        &self,
        key: &str,
        offset: u64,
    ) -> Result<(BoxStream<'static, object_store::Result<Bytes>>, u64), ReaderError> {
        let path = self.path(key)?;
        let range = (offset > 0).then_some(GetRange::Offset(offset));
        let options = GetOptions {
            range,
            ..GetOptions::default()
        };
        let result = self
            .inner
            .get_opts(&path, options)
            .await
            .map_err(|e| ReaderError::store(self.describe(key), e))?;
        let size = result.meta.size;
        let stream = match result.payload {
            GetResultPayload::File(file, path) => {
                file_stream::local_file_stream(file, path, result.range)
            }
            GetResultPayload::Stream(stream) => stream,
        };
        Ok((stream, size))
    }

    /// The object's metadata.
    pub async fn head(&self, key: &str) -> Result<ObjectMeta, ReaderError> {
        let path = self.path(key)?;
        self.inner
            .head(&path)
            .await
            .map_err(|e| ReaderError::store(self.describe(key), e))
    }

    /// Reads a whole small object, refusing objects larger than `limit_bytes`.
    pub async fn get_small(&self, key: &str, limit_bytes: u64) -> Result<Bytes, ReaderError> {
        let path = self.path(key)?;
        let result = self
            .inner
            .get(&path)
            .await
            .map_err(|e| ReaderError::store(self.describe(key), e))?;
        if result.meta.size > limit_bytes {
            return Err(ReaderError::Manifest {
                object: self.describe(key),
                message: format!(
                    "{} bytes is over the {limit_bytes}-byte limit",
                    result.meta.size
                ),
            });
        }
        result
            .bytes()
            .await
            .map_err(|e| ReaderError::store(self.describe(key), e))
    }

    /// Writes (creates or overwrites) `key`.
    pub async fn put(&self, key: &str, body: Bytes) -> Result<(), object_store::Error> {
        let path = self.path(key).map_err(|e| object_store::Error::Generic {
            store: "shoal",
            source: Box::new(e),
        })?;
        self.inner.put(&path, PutPayload::from_bytes(body)).await?;
        Ok(())
    }
}

/// Checks that `path` under `root` resolves inside `root`, following symlinks.
///
/// The deepest existing ancestor is canonicalised, so a key that does not exist yet (a write)
/// is checked through the directories that do. `..` never reaches here (`Path::parse` refuses it).
fn confine(root: &std::path::Path, path: &Path) -> Result<(), ()> {
    let mut candidate = root.to_path_buf();
    for part in path.parts() {
        candidate.push(part.as_ref());
    }
    let mut probe = candidate.as_path();
    loop {
        match probe.canonicalize() {
            Ok(real) => {
                return if real.starts_with(root) {
                    Ok(())
                } else {
                    Err(())
                }
            }
            Err(_) => match probe.parent() {
                Some(parent) if parent.starts_with(root) => probe = parent,
                _ => return Err(()),
            },
        }
    }
}
