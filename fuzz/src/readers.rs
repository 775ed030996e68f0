//! `reader_json`, `reader_jsonl`, `reader_csv`, `reader_inventory`: object
//! bytes read through the real reader path ([`open_reader`] over an in-memory
//! object store, on a current-thread tokio runtime), and read again from one
//! of the reader's own checkpoints.
//!
//! Each input starts with two control bytes, then target-specific parts:
//! - byte 0: bits 0-2 batch size - 1; bit 3 gzip the object(s); bit 4 a
//!   64-byte record cap (else the default); bit 5 name the object `*.gz`
//!   without compressing it; bit 6 set `ReaderConfig.MaxItems`;
//! - byte 1: which checkpoint to resume from, and MaxItems (`% 7 + 1`).
//!
//! Properties: never a panic; every batch either carries items or ends the
//! source; `items_read` counts the items; a reader rebuilt from any
//! checkpoint (after a JSON round trip, as the engine stores it) yields
//! exactly the remaining items and then the same outcome (the same error,
//! naming the same object and position, when the full read failed).

use std::sync::OnceLock;

use bytes::Bytes;
use flate2::write::GzEncoder;
use md5::{Digest, Md5};
use serde_json::{json, Value};
use shoal_readers::{open_reader, Checkpoint, ReaderOptions, ReaderSpec, Store, GET_OBJECT};

/// Batches read before a reader is declared stuck (inputs are a few KB).
const BATCHES_MAX: usize = 100_000;
/// Data files an inventory input is cut into, at most.
const INVENTORY_FILES_MAX: usize = 8;

/// The `reader_json` target: `[ctl][ctl]ItemsPointer\nbody` (an empty pointer
/// line leaves `ItemsPointer` out).
pub fn reader_json(data: &[u8]) {
    let Some((control, rest)) = Control::parse(data) else {
        return;
    };
    let (pointer, body) = super::split_line(rest);
    let mut config = json!({"InputType": "JSON"});
    if !pointer.is_empty() {
        config["ItemsPointer"] = Value::String(String::from_utf8_lossy(pointer).into_owned());
    }
    run_file(&control, "items.json", config, body);
}

/// The `reader_jsonl` target: `[ctl][ctl]body`.
pub fn reader_jsonl(data: &[u8]) {
    let Some((control, body)) = Control::parse(data) else {
        return;
    };
    run_file(&control, "items.jsonl", json!({"InputType": "JSONL"}), body);
}

/// The `reader_csv` target: `[ctl][ctl][csv]header line\nbody`. The third byte:
/// bits 0-2 pick the delimiter (COMMA, PIPE, SEMICOLON, SPACE, TAB); bit 3
/// gives the header line as `CSVHeaders` (split on the delimiter, GIVEN),
/// else the header line is the file's first row (FIRST_ROW).
pub fn reader_csv(data: &[u8]) {
    let Some((control, rest)) = Control::parse(data) else {
        return;
    };
    let Some((&csv, rest)) = rest.split_first() else {
        return;
    };
    const DELIMITERS: [(&str, char); 5] = [
        ("COMMA", ','),
        ("PIPE", '|'),
        ("SEMICOLON", ';'),
        ("SPACE", ' '),
        ("TAB", '\t'),
    ];
    let (name, delimiter) = DELIMITERS[usize::from(csv & 7) % DELIMITERS.len()];
    let mut config = json!({"InputType": "CSV", "CSVDelimiter": name});
    let body = if csv & 8 != 0 {
        let (header, body) = super::split_line(rest);
        let header = String::from_utf8_lossy(header);
        let headers: Vec<&str> = header.split(delimiter).collect();
        config["CSVHeaderLocation"] = json!("GIVEN");
        config["CSVHeaders"] = json!(headers);
        body
    } else {
        config["CSVHeaderLocation"] = json!("FIRST_ROW");
        rest
    };
    run_file(&control, "items.csv", config, body);
}

/// The `reader_inventory` target: `[ctl][ctl][inv]parts`, parts cut at 0xFF
/// bytes. The third byte: bit 0 set: the first part is `manifest.json`
/// verbatim and the others are the data files `d/0`, `d/1`, ...; clear: the
/// first part (up to `\n`) is `fileSchema` and every part is a data file
/// listed in a manifest built here. Bits 1-2: each file's `MD5checksum` is
/// left out (0), right (1) or wrong (2, 3); bit 3 writes a correct
/// `manifest.checksum`, bit 4 a wrong one; bit 5 asks for `ManifestType
/// S3_INVENTORY` instead of `InputType MANIFEST`.
pub fn reader_inventory(data: &[u8]) {
    let Some((control, rest)) = Control::parse(data) else {
        return;
    };
    let Some((&inventory, rest)) = rest.split_first() else {
        return;
    };
    let mut parts: Vec<&[u8]> = rest.split(|b| *b == 0xFF).collect();
    parts.truncate(INVENTORY_FILES_MAX + 1);
    let mut objects = Vec::new();
    let manifest = if inventory & 1 != 0 {
        let manifest = parts.remove(0).to_vec();
        for (index, part) in parts.iter().enumerate() {
            objects.push((format!("d/{index}"), control.encode(part)));
        }
        manifest
    } else {
        let (schema, first) = super::split_line(parts[0]);
        parts[0] = first;
        let mut files = Vec::new();
        for (index, part) in parts.iter().enumerate() {
            let key = format!("d/{index}.csv{}", if control.gzip { ".gz" } else { "" });
            let body = control.encode(part);
            let mut file = json!({"key": key, "size": body.len()});
            match (inventory >> 1) & 3 {
                0 => {}
                1 => file["MD5checksum"] = json!(md5_hex(&body)),
                _ => file["MD5checksum"] = json!("00112233445566778899aabbccddeeff"),
            }
            files.push(file);
            objects.push((key, body));
        }
        let manifest = json!({
            "sourceBucket": "source", "destinationBucket": "arn:aws:s3:::data",
            "version": "2016-11-30", "fileFormat": "CSV",
            "fileSchema": String::from_utf8_lossy(schema), "files": files,
        });
        manifest.to_string().into_bytes()
    };
    if inventory & 8 != 0 {
        objects.push(("inv/manifest.checksum".into(), md5_hex(&manifest).into()));
    } else if inventory & 16 != 0 {
        objects.push(("inv/manifest.checksum".into(), Bytes::from("0badc0de")));
    }
    objects.push(("inv/manifest.json".into(), Bytes::from(manifest)));
    let config = match inventory & 32 != 0 {
        true => json!({"ManifestType": "S3_INVENTORY"}),
        false => json!({"InputType": "MANIFEST"}),
    };
    run(&control, "inv/manifest.json", config, objects);
}

/// The two control bytes every reader target starts with.
struct Control {
    batch: usize,
    gzip: bool,
    small_cap: bool,
    gz_name: bool,
    max_items: u64,
    resume: usize,
}

impl Control {
    fn parse(data: &[u8]) -> Option<(Self, &[u8])> {
        let (&[first, second], rest) = data.split_first_chunk::<2>()?;
        let control = Self {
            batch: usize::from(first & 7) + 1,
            gzip: first & 8 != 0,
            small_cap: first & 16 != 0,
            gz_name: first & 32 != 0,
            max_items: match first & 64 != 0 {
                true => u64::from(second % 7) + 1,
                false => 0,
            },
            resume: usize::from(second),
        };
        Some((control, rest))
    }

    /// The object's stored bytes: `body`, gzip-compressed when asked.
    fn encode(&self, body: &[u8]) -> Bytes {
        if !self.gzip {
            return Bytes::copy_from_slice(body);
        }
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut encoder, body).expect("writing to a Vec cannot fail");
        Bytes::from(encoder.finish().expect("finishing into a Vec cannot fail"))
    }

    fn options(&self) -> ReaderOptions {
        match self.small_cap {
            true => ReaderOptions::new().with_record_cap_bytes(64),
            false => ReaderOptions::new(),
        }
    }
}

fn run_file(control: &Control, key: &str, config: Value, body: &[u8]) {
    let key = match control.gzip || control.gz_name {
        true => format!("{key}.gz"),
        false => key.to_owned(),
    };
    let objects = vec![(key.clone(), control.encode(body))];
    run(control, &key, config, objects);
}

/// Reads the source whole, then again from one of its checkpoints.
fn run(control: &Control, key: &str, mut config: Value, objects: Vec<(String, Bytes)>) {
    if control.max_items > 0 {
        config["MaxItems"] = json!(control.max_items);
    }
    let spec = json!({
        "Resource": GET_OBJECT,
        "Parameters": {"Bucket": "data", "Key": key},
        "ReaderConfig": config,
    });
    let Ok(spec) = serde_json::from_value::<ReaderSpec>(spec) else {
        return;
    };
    runtime().block_on(async {
        let store = Store::memory("data");
        for (key, body) in objects {
            store
                .put(&key, body)
                .await
                .expect("an in-memory put succeeds");
        }
        let options = control.options();
        let full = read(&spec, &store, None, control.batch, &options).await;
        if full.checkpoints.is_empty() {
            return;
        }
        let checkpoint = &full.checkpoints[control.resume % full.checkpoints.len()];
        let stored = serde_json::to_value(checkpoint).expect("a checkpoint serialises");
        let checkpoint: Checkpoint =
            serde_json::from_value(stored).expect("a stored checkpoint deserialises");
        let skipped = usize::try_from(checkpoint.items_read).expect("a small item count");
        let resumed = read(&spec, &store, Some(&checkpoint), control.batch, &options).await;
        assert_eq!(
            resumed.items,
            full.items[skipped..],
            "items after {checkpoint:?}"
        );
        assert_eq!(resumed.error, full.error, "outcome after {checkpoint:?}");
    });
}

/// What one read of a source produced.
struct Read {
    items: Vec<Value>,
    /// The checkpoint after each batch.
    checkpoints: Vec<Checkpoint>,
    /// The error that ended the read, as text (None: the source was exhausted).
    error: Option<String>,
}

async fn read(
    spec: &ReaderSpec,
    store: &Store,
    from: Option<&Checkpoint>,
    batch: usize,
    options: &ReaderOptions,
) -> Read {
    let mut out = Read {
        items: Vec::new(),
        checkpoints: Vec::new(),
        error: None,
    };
    let start = from.map_or(0, |c| c.items_read);
    let mut reader = match open_reader(spec, store.clone(), from, options).await {
        Ok(reader) => reader,
        Err(e) => {
            out.error = Some(e.to_string());
            return out;
        }
    };
    for _ in 0..BATCHES_MAX {
        match reader.next_batch(batch).await {
            Ok(next) => {
                assert!(next.items.len() <= batch, "a batch larger than asked");
                assert!(
                    next.exhausted || !next.items.is_empty(),
                    "an empty batch that does not end the source"
                );
                out.items.extend(next.items);
                let count = start + out.items.len() as u64;
                assert_eq!(next.checkpoint.items_read, count, "items_read");
                out.checkpoints.push(next.checkpoint);
                if next.exhausted {
                    return out;
                }
            }
            Err(e) => {
                out.error = Some(e.to_string());
                return out;
            }
        }
    }
    panic!("the reader did not end after {BATCHES_MAX} batches");
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime builds")
    })
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
