//! Fixtures shared by the integration tests: stores (memory, local, the real S3 server),
//! file builders and the read-everything / read-with-crashes drivers.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use shoal_readers::{
    open_reader, Batch, Checkpoint, ItemReader, ReaderError, ReaderOptions, ReaderSpec, S3Options,
    Store, StoreUrl,
};

/// The buckets scripts/s3-server.sh creates for the tests.
pub const TEST_BUCKET: &str = "shoal-test";
pub const INVENTORY_BUCKET: &str = "shoal-inventory";

/// An S3 store on the real server, or None (with a message) when no server is configured.
/// In CI (env `CI` set) a missing server is a failure, not a skip.
pub fn s3_store(bucket: &str) -> Option<Store> {
    if std::env::var_os("AWS_ENDPOINT").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but AWS_ENDPOINT is not: start scripts/s3-server.sh and source its env file"
        );
        eprintln!("SKIPPED (no S3 server): set AWS_ENDPOINT etc. via `bash scripts/s3-server.sh start; . $S3_STATE/env`");
        return None;
    }
    let options = S3Options::new().with_retry(2, Duration::from_secs(10));
    let url = StoreUrl::parse(&format!("s3://{bucket}")).expect("valid URL");
    Some(
        shoal_readers::open_url(bucket, &url, &options)
            .expect("S3 store builds from the AWS_* environment"),
    )
}

/// A prefix unique to this process and call, so that runs against a shared server never meet.
pub fn unique_prefix(label: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "t{}-{}-{}-{}/",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed),
        label
    )
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder
        .write_all(data)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

pub async fn put(store: &Store, key: &str, body: impl Into<Bytes>) {
    store.put(key, body.into()).await.expect("fixture upload");
}

pub fn spec(value: Value) -> ReaderSpec {
    serde_json::from_value(value).expect("valid ItemReader")
}

pub fn get_object(key: &str, config: Value) -> ReaderSpec {
    spec(serde_json::json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "Parameters": {"Bucket": "b", "Key": key},
        "ReaderConfig": config,
    }))
}

/// The next batch as `Value`s, read through `next_raw_batch` (each item's text parsed) when
/// `raw`, else through `next_batch`: the drivers below alternate, so every test that reads
/// through them checks that both views give the same items, checkpoints and errors.
pub async fn next_values(
    reader: &mut Box<dyn ItemReader>,
    batch: usize,
    raw: bool,
) -> Result<Batch, ReaderError> {
    if !raw {
        return reader.next_batch(batch).await;
    }
    let next = reader.next_raw_batch(batch).await?;
    Ok(Batch {
        items: next
            .items
            .iter()
            .map(|item| item.to_value().expect("a RawItem parses"))
            .collect(),
        checkpoint: next.checkpoint,
        exhausted: next.exhausted,
    })
}

/// Reads everything in batches of `batch` without interruption (alternating `next_batch` and
/// `next_raw_batch`, starting with `next_raw_batch`).
pub async fn read_all(
    spec: &ReaderSpec,
    store: &Store,
    batch: usize,
    options: &ReaderOptions,
) -> Result<Vec<Value>, ReaderError> {
    let mut reader = open_reader(spec, store.clone(), None, options).await?;
    let mut items = Vec::new();
    let mut raw = true;
    loop {
        let next = next_values(&mut reader, batch, raw).await?;
        raw = !raw;
        assert!(
            next.exhausted || !next.items.is_empty(),
            "a non-exhausted batch must carry items"
        );
        assert!(next.items.len() <= batch.max(1));
        items.extend(next.items);
        assert_eq!(next.checkpoint.items_read, items.len() as u64);
        if next.exhausted {
            return Ok(items);
        }
    }
}

/// Reads everything, dropping the reader and rebuilding it from the (JSON round-tripped)
/// checkpoint after every `every` batches (alternating `next_batch` and `next_raw_batch`).
pub async fn read_with_crashes(
    spec: &ReaderSpec,
    store: &Store,
    batch: usize,
    every: usize,
    options: &ReaderOptions,
) -> Result<Vec<Value>, ReaderError> {
    let mut checkpoint: Option<Checkpoint> = None;
    let mut items = Vec::new();
    let mut calls = 0usize;
    loop {
        let mut reader = open_reader(spec, store.clone(), checkpoint.as_ref(), options).await?;
        for _ in 0..every.max(1) {
            calls += 1;
            let next = next_values(&mut reader, batch, calls % 2 == 1).await?;
            items.extend(next.items);
            let text = serde_json::to_string(&next.checkpoint).expect("checkpoints serialize");
            assert!(text.len() < 1024, "checkpoint too large: {text}");
            checkpoint = Some(serde_json::from_str(&text).expect("checkpoints deserialize"));
            if next.exhausted {
                let again = open_reader(spec, store.clone(), checkpoint.as_ref(), options)
                    .await?
                    .next_batch(batch)
                    .await?;
                assert!(
                    again.exhausted && again.items.is_empty(),
                    "a Done checkpoint yields nothing"
                );
                return Ok(items);
            }
        }
    }
}

/// JSONL text of `values`.
pub fn jsonl(values: &[Value]) -> String {
    values.iter().map(|v| format!("{v}\n")).collect()
}

/// CSV text with a header row; every field quoted when `quote_all`.
pub fn csv_text(
    headers: &[&str],
    rows: &[Vec<String>],
    quote_all: bool,
    delimiter: u8,
    header_row: bool,
) -> Vec<u8> {
    let style = if quote_all {
        csv::QuoteStyle::Always
    } else {
        csv::QuoteStyle::Necessary
    };
    let mut writer = csv::WriterBuilder::new()
        .quote_style(style)
        .delimiter(delimiter)
        .flexible(true)
        .from_writer(Vec::new());
    if header_row {
        writer.write_record(headers).expect("in-memory CSV");
    }
    for row in rows {
        writer.write_record(row).expect("in-memory CSV");
    }
    writer.into_inner().expect("in-memory CSV")
}

/// Writes an S3 Inventory report (gzip CSV data files, manifest.json, manifest.checksum) under
/// `dir` and returns the manifest key. `files` holds the rows of each data file.
pub async fn write_inventory(
    store: &Store,
    dir: &str,
    schema: &[&str],
    files: &[Vec<Vec<String>>],
) -> String {
    use md5::{Digest, Md5};
    let mut entries = Vec::new();
    for (i, rows) in files.iter().enumerate() {
        let body = gzip(&csv_text(schema, rows, true, b',', false));
        let key = format!("{dir}data/file-{i}.csv.gz");
        let md5: String = Md5::digest(&body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        entries.push(serde_json::json!({"key": key, "size": body.len(), "MD5checksum": md5}));
        put(store, &key, body).await;
    }
    let manifest = serde_json::json!({
        "sourceBucket": "example-source-bucket",
        "destinationBucket": "arn:aws:s3:::example-inventory-destination-bucket",
        "version": "2016-11-30",
        "creationTimestamp": "1514944800000",
        "fileFormat": "CSV",
        "fileSchema": schema.join(", "),
        "files": entries,
    });
    let body = serde_json::to_vec_pretty(&manifest).expect("JSON");
    let md5: String = Md5::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let key = format!("{dir}manifest.json");
    put(store, &key, body).await;
    put(
        store,
        &format!("{dir}manifest.checksum"),
        format!("{md5}\n"),
    )
    .await;
    key
}

/// Form-URL-encodes an inventory key like S3 does (space → `+`, reserved bytes → `%XX`).
pub fn form_encode(key: &str) -> String {
    let mut out = String::new();
    for byte in key.bytes() {
        match byte {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}
