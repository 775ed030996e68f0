//! Peak memory while streaming a large file: its own test binary, so VmHWM (the process's
//! peak resident set) measures this reading alone. The 100 MB versions run in CI; the 2 GB
//! versions are ignored (run: `cargo test --release -p shoal-readers --test rss -- --ignored --nocapture --test-threads 1`).
#![allow(clippy::unwrap_used)]

use std::io::{BufWriter, Write};

use serde_json::json;
use shoal_readers::{open_reader, ReaderOptions, ReaderSpec, Store};

const MIB: u64 = 1024 * 1024;
/// Target peak RSS of the whole test process.
const PEAK_LIMIT_BYTES: u64 = 64 * MIB;

fn vm_hwm_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Writes about `bytes` of JSONL or CSV to `path` without holding it in memory.
fn generate(path: &std::path::Path, bytes: u64, csv: bool) -> u64 {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut written = 0u64;
    let payload = "x".repeat(96);
    if csv {
        let header = "id,name,payload,note\n";
        out.write_all(header.as_bytes()).unwrap();
        written += header.len() as u64;
    }
    let mut id = 0u64;
    while written < bytes {
        let line = if csv {
            format!("{id},item-{id},{payload},\"quoted, with comma\"\n")
        } else {
            format!("{{\"id\":{id},\"name\":\"item-{id}\",\"payload\":\"{payload}\",\"tags\":[\"a\",\"b\"]}}\n")
        };
        out.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
        id += 1;
    }
    out.flush().unwrap();
    id
}

fn stream(bytes: u64, csv: bool) {
    let dir = tempfile::tempdir().unwrap();
    let name = if csv { "big.csv" } else { "big.jsonl" };
    let expected = generate(&dir.path().join(name), bytes, csv);
    let store = Store::local("local", dir.path()).unwrap();
    let input_type = if csv { "CSV" } else { "JSONL" };
    let spec: ReaderSpec = serde_json::from_value(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "Parameters": {"Bucket": "local", "Key": name},
        "ReaderConfig": {"InputType": input_type}
    }))
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let count = runtime.block_on(async {
        let mut reader = open_reader(&spec, store, None, &ReaderOptions::new())
            .await
            .unwrap();
        // Batches alternate between `Value`s and raw JSON text, so both paths are bounded.
        let mut count = 0u64;
        let mut raw = false;
        loop {
            let (items, exhausted) = match raw {
                true => {
                    let batch = reader.next_raw_batch(1000).await.unwrap();
                    (batch.items.len(), batch.exhausted)
                }
                false => {
                    let batch = reader.next_batch(1000).await.unwrap();
                    (batch.items.len(), batch.exhausted)
                }
            };
            raw = !raw;
            count += items as u64;
            if exhausted {
                return count;
            }
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let peak = vm_hwm_bytes();
    println!(
        "{input_type}: {count} items, {:.0} MB in {elapsed:.1} s ({:.0} MB/s), peak RSS (VmHWM) {:.1} MiB",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / elapsed,
        peak as f64 / MIB as f64
    );
    assert_eq!(count, expected);
    assert!(
        peak <= PEAK_LIMIT_BYTES,
        "peak RSS {peak} bytes is over {PEAK_LIMIT_BYTES}"
    );
}

#[test]
fn streaming_100_mb_stays_under_64_mib() {
    stream(50_000_000, false);
    stream(50_000_000, true);
}

#[test]
#[ignore = "2 GB each; run by hand in release mode"]
fn streaming_2_gb_stays_under_64_mib() {
    stream(2_000_000_000, false);
    stream(2_000_000_000, true);
}
