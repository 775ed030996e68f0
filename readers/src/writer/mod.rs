//! [`ResultWriter`]: Step Functions' ResultWriter layout on any object store.
//!
//! Records are pushed one by one and grouped by outcome into
//! `<Prefix>/<run id>/SUCCEEDED_<n>.json`, `FAILED_<n>.json` and `PENDING_<n>.json`, each file
//! closed once it reaches the size bound. [`ResultWriter::finish`] writes the remaining files,
//! then `manifest.json`, so a manifest always describes complete files, and only then removes
//! the result files an earlier attempt (a crash, or a map run's earlier export before a redrive)
//! left that the new manifest does not list. So no manifest, old or new, ever lists a removed
//! file; a crash before the removal leaves unlisted files that the next attempt removes:
//!
//! ```json
//! {"DestinationBucket":"b","MapRunArn":"arn:...","ResultFiles":{
//!   "FAILED":[{"Key":"p/run/FAILED_0.json","Size":123}],"PENDING":[],"SUCCEEDED":[...]}}
//! ```
//!
//! Idempotence: file names depend only on the order of pushed records, so a re-run after a crash
//! that pushes the same records overwrites the same keys; nothing is appended or duplicated.
//! Memory: one open file buffer per group, so at most about three times the size bound.

mod record;

use bytes::Bytes;
use futures::StreamExt;
use object_store::ObjectStoreExt;
use serde_json::{json, Value};

use crate::error::WriterError;
use crate::store::Store;

use record::Group;
pub use record::{Outcome, OutputType, ResultRecord, Transformation, WriterConfig};

/// Default size bound of one result file.
pub const DEFAULT_FILE_BYTES_MAX: usize = 16 * 1024 * 1024;

/// Writer limits.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    file_bytes_max: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self {
            file_bytes_max: DEFAULT_FILE_BYTES_MAX,
        }
    }
}

impl WriterOptions {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }
    /// A file is closed once it holds at least this many bytes (one entry may overshoot).
    pub fn with_file_bytes_max(mut self, bytes: usize) -> Self {
        self.file_bytes_max = bytes.max(1);
        self
    }
}

#[derive(Default)]
struct OpenFile {
    body: Vec<u8>,
    entries: usize,
    written: Vec<(String, u64)>,
}

/// Streams result records into result files and a manifest.
pub struct ResultWriter {
    store: Store,
    bucket: String,
    directory: String,
    map_run_arn: String,
    config: WriterConfig,
    options: WriterOptions,
    files: [OpenFile; 3],
}

impl ResultWriter {
    /// A writer for map run `run_id` into `<prefix>/<run_id>/` of `store`; `bucket` is the name
    /// written as `DestinationBucket`.
    pub fn new(
        store: Store,
        bucket: &str,
        prefix: &str,
        run_id: &str,
        map_run_arn: &str,
        config: WriterConfig,
        options: WriterOptions,
    ) -> Self {
        let prefix = prefix.trim_matches('/');
        let directory = match prefix.is_empty() {
            true => run_id.to_owned(),
            false => format!("{prefix}/{run_id}"),
        };
        Self {
            store,
            bucket: bucket.to_owned(),
            directory,
            map_run_arn: map_run_arn.to_owned(),
            config,
            options,
            files: Default::default(),
        }
    }

    /// The key of `manifest.json`.
    pub fn manifest_key(&self) -> String {
        format!("{}/manifest.json", self.directory)
    }

    /// Adds one record; may write a full file.
    pub async fn push(&mut self, record: &ResultRecord) -> Result<(), WriterError> {
        let group = record.group();
        for entry in record.entries(self.config.transformation) {
            self.append(group, &entry)?;
        }
        if self.files[group as usize].body.len() >= self.options.file_bytes_max {
            self.flush(group).await?;
        }
        Ok(())
    }

    fn append(&mut self, group: Group, entry: &Value) -> Result<(), WriterError> {
        let output_type = self.config.output_type;
        let file = &mut self.files[group as usize];
        match output_type {
            OutputType::Json => file.body.push(if file.entries == 0 { b'[' } else { b',' }),
            OutputType::Jsonl if file.entries > 0 => file.body.push(b'\n'),
            OutputType::Jsonl => {}
        }
        serde_json::to_writer(&mut file.body, entry)?;
        file.entries += 1;
        Ok(())
    }

    async fn flush(&mut self, group: Group) -> Result<(), WriterError> {
        let output_type = self.config.output_type;
        let index = self.files[group as usize].written.len();
        let key = format!("{}/{}_{index}.json", self.directory, group.name());
        let file = &mut self.files[group as usize];
        if file.entries == 0 {
            return Ok(());
        }
        match output_type {
            OutputType::Json => file.body.push(b']'),
            OutputType::Jsonl => file.body.push(b'\n'),
        }
        let body = Bytes::from(std::mem::take(&mut file.body));
        file.entries = 0;
        let size = body.len() as u64;
        self.store
            .put(&key, body)
            .await
            .map_err(|source| WriterError::Store {
                object: self.store.describe(&key),
                source,
            })?;
        self.files[group as usize].written.push((key, size));
        Ok(())
    }

    /// Writes the remaining files and `manifest.json`, then deletes stale result files of an
    /// earlier attempt; returns the ResultWriterDetails `{"Bucket","Key"}` of the manifest.
    pub async fn finish(mut self) -> Result<Value, WriterError> {
        for group in Group::ALL {
            self.flush(group).await?;
        }
        let mut result_files = serde_json::Map::new();
        for group in Group::ALL {
            let files: Vec<Value> = self.files[group as usize]
                .written
                .iter()
                .map(|(key, size)| json!({"Key": key, "Size": size}))
                .collect();
            result_files.insert(group.name().to_owned(), Value::Array(files));
        }
        let manifest = json!({
            "DestinationBucket": self.bucket,
            "MapRunArn": self.map_run_arn,
            "ResultFiles": result_files,
        });
        let key = self.manifest_key();
        let body = Bytes::from(serde_json::to_vec(&manifest)?);
        self.store
            .put(&key, body)
            .await
            .map_err(|source| WriterError::Store {
                object: self.store.describe(&key),
                source,
            })?;
        // After the manifest: the previous manifest stays true until it is replaced.
        self.remove_stale().await?;
        Ok(json!({"Bucket": self.bucket, "Key": key}))
    }

    /// Deletes `<GROUP>_<n>.json` files in the run directory that this attempt did not write.
    async fn remove_stale(&self) -> Result<(), WriterError> {
        let directory = format!("{}{}", self.store.key_prefix(), self.directory);
        let path = self
            .store
            .path(&self.directory)
            .map_err(|e| WriterError::InvalidKey {
                key: self.directory.clone(),
                message: e.to_string(),
            })?;
        let mut listing = self.store.object_store().list(Some(&path));
        let mut stale = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|source| WriterError::Store {
                object: self.store.describe(&self.directory),
                source,
            })?;
            let Some(name) = meta
                .location
                .as_ref()
                .strip_prefix(&format!("{directory}/"))
            else {
                continue;
            };
            let ours = Group::ALL.iter().any(|g| {
                self.files[*g as usize]
                    .written
                    .iter()
                    .any(|(k, _)| k.ends_with(&format!("/{name}")))
            });
            let result_file = Group::ALL
                .iter()
                .any(|g| name.starts_with(&format!("{}_", g.name())) && name.ends_with(".json"));
            if result_file && !ours {
                stale.push(meta.location);
            }
        }
        for location in stale {
            self.store
                .object_store()
                .delete(&location)
                .await
                .map_err(|source| WriterError::Store {
                    object: self.store.describe(location.as_ref()),
                    source,
                })?;
        }
        Ok(())
    }
}
