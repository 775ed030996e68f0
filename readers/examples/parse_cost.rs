//! Reader parsing cost next to its ceilings, for instruction counts (callgrind) and for MiB/s
//! ratios measured in one run on a shared machine.
//!
//! ```sh
//! cargo run --release -p shoal-readers --example parse_cost -- gen /tmp/rp 32
//! cargo run --release -p shoal-readers --example parse_cost -- all /tmp/rp 5
//! valgrind --tool=callgrind cargo-built-binary jsonl /tmp/rp 1    # instructions
//! ```
//!
//! Modes: `jsonl`, `csv`, `json` read the generated files through `open_reader` from the local
//! store (batches of 1000, like the bench) as `Value`s; `jsonl-raw`, `csv-raw`, `json-raw` the
//! same as JSON text (`next_raw_batch`). Ceilings over the JSONL file held in memory:
//! `split-value` (memchr line split + `serde_json::from_slice::<Value>`), `split-value-held`
//! (the same, keeping the values of the last 1000 lines alive), `split-raw` (the same,
//! validating into a `RawItem`, held like the values), `split-ignored`
//! (the same, validating into `IgnoredAny`: the cost of checking the JSON without building a
//! `Value`) and `memchr` (counting newlines only).

#![allow(missing_docs)]

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde_json::json;
use shoal_readers::{open_reader, ReaderOptions, ReaderSpec, Store};

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, dir, n] = args.as_slice() else {
        return Err("usage: parse_cost gen|all|jsonl[-raw]|csv[-raw]|json[-raw]|split-value[-held]|split-raw|split-ignored|memchr <dir> <MiB|repeats>".into());
    };
    let dir = Path::new(dir);
    let n: usize = n.parse()?;
    if mode == "gen" {
        return generate(dir, n * 1024 * 1024);
    }
    let modes: Vec<&str> = match mode.as_str() {
        "all" => vec![
            "memchr",
            "split-ignored",
            "split-raw",
            "split-value",
            "split-value-held",
            "jsonl",
            "jsonl-raw",
            "csv",
            "csv-raw",
            "json",
            "json-raw",
        ],
        one => vec![one],
    };
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    for mode in modes {
        let mut rates = Vec::new();
        let mut items = 0;
        let mut bytes = 0;
        for _ in 0..n.max(1) {
            let started = Instant::now();
            (items, bytes) = run(mode, dir, &runtime)?;
            rates.push(bytes as f64 / started.elapsed().as_secs_f64() / (1024.0 * 1024.0));
        }
        rates.sort_by(f64::total_cmp);
        println!(
            "{mode:>14}: {:8.1} MiB/s median of {} ({items} items, {bytes} bytes)",
            rates[rates.len() / 2],
            rates.len()
        );
    }
    Ok(())
}

/// Runs one mode once; returns (items, bytes).
fn run(mode: &str, dir: &Path, runtime: &tokio::runtime::Runtime) -> Result<(u64, u64), Failure> {
    let (key, input_type) = match mode.trim_end_matches("-raw") {
        "jsonl" => ("items.jsonl", "JSONL"),
        "csv" => ("items.csv", "CSV"),
        "json" => ("items.json", "JSON"),
        _ => return ceiling(mode, &std::fs::read(dir.join("items.jsonl"))?),
    };
    let raw = mode.ends_with("-raw");
    let bytes = std::fs::metadata(dir.join(key))?.len();
    let spec: ReaderSpec = serde_json::from_value(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "Parameters": {"Bucket": "bench", "Key": key},
        "ReaderConfig": {"InputType": input_type}
    }))?;
    let store = Store::local("bench", dir)?;
    let items = runtime.block_on(async {
        let mut reader = open_reader(&spec, store, None, &ReaderOptions::new()).await?;
        let mut count = 0u64;
        loop {
            let (items, exhausted) = match raw {
                true => {
                    let batch = reader.next_raw_batch(1000).await?;
                    (batch.items.len(), batch.exhausted)
                }
                false => {
                    let batch = reader.next_batch(1000).await?;
                    (batch.items.len(), batch.exhausted)
                }
            };
            count += items as u64;
            if exhausted {
                return Ok::<_, Failure>(count);
            }
        }
    })?;
    Ok((items, bytes))
}

fn ceiling(mode: &str, data: &[u8]) -> Result<(u64, u64), Failure> {
    let mut items = 0u64;
    let mut start = 0;
    let mut held = Vec::with_capacity(1000);
    let mut held_raw = Vec::with_capacity(1000);
    for end in memchr::memchr_iter(b'\n', data) {
        let line = &data[start..end];
        start = end + 1;
        match mode {
            "memchr" => {}
            "split-value" => drop(std::hint::black_box(serde_json::from_slice::<
                serde_json::Value,
            >(line)?)),
            // Values kept in batches of 1000 like a reader's batch: the allocator works harder.
            "split-value-held" => {
                held.push(serde_json::from_slice::<serde_json::Value>(line)?);
                if held.len() == 1000 {
                    held.clear();
                }
            }
            "split-raw" => {
                held_raw.push(shoal_readers::RawItem::parse(line)?);
                if held_raw.len() == 1000 {
                    held_raw.clear();
                }
            }
            "split-ignored" => {
                serde_json::from_slice::<serde::de::IgnoredAny>(line)?;
            }
            other => return Err(format!("unknown mode {other}").into()),
        }
        items += 1;
    }
    Ok((items, data.len() as u64))
}

/// The bench's fixtures (benches/reader_parse.rs), `bytes` long each.
fn generate(dir: &Path, bytes: usize) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)?;
    let payload = "x".repeat(96);
    let mut jsonl = Vec::with_capacity(bytes + 256);
    let mut csv = b"id,name,payload,note\n".to_vec();
    let mut array = b"[".to_vec();
    let mut id = 0u64;
    while jsonl.len() < bytes {
        writeln!(jsonl, "{{\"id\":{id},\"name\":\"item-{id}\",\"payload\":\"{payload}\",\"tags\":[\"a\",\"b\"]}}")?;
        id += 1;
    }
    id = 0;
    while csv.len() < bytes {
        writeln!(csv, "{id},item-{id},{payload},\"quoted, with comma\"")?;
        id += 1;
    }
    id = 0;
    while array.len() < bytes {
        let sep = if id == 0 { "" } else { "," };
        write!(array, "{sep}{{\"id\":{id},\"name\":\"item-{id}\",\"payload\":\"{payload}\",\"tags\":[\"a\",\"b\"]}}")?;
        id += 1;
    }
    array.push(b']');
    std::fs::write(dir.join("items.jsonl"), jsonl)?;
    std::fs::write(dir.join("items.csv"), csv)?;
    std::fs::write(dir.join("items.json"), array)?;
    Ok(())
}
