//! Reader parsing throughput from the local store: JSONL, CSV and a JSON array.
//!
//! `cargo bench --bench reader_parse` — criterion reports time per file; throughput is given
//! both in bytes (MB/s) and in elements (items/s) by two benchmark groups, each reading every
//! file as `Value`s (`next_batch`: `JSONL`, `CSV`, `JSON`) and as JSON text (`next_raw_batch`:
//! `JSONL_raw`, ...), and a third group measures the JSONL ceilings (split + `Value`, split +
//! `RawItem` validation, split + `IgnoredAny`) in the same run.

// criterion_group! generates an undocumented pub fn.
#![allow(missing_docs)]

use std::io::Write;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::json;
use shoal_readers::{open_reader, ReaderOptions, ReaderSpec, Store};

/// Size of each generated file.
const FILE_BYTES: usize = 32 * 1024 * 1024;

struct Fixture {
    input_type: &'static str,
    key: &'static str,
    items: u64,
    bytes: u64,
}

fn generate(dir: &std::path::Path) -> Vec<Fixture> {
    let payload = "x".repeat(96);
    let mut jsonl = Vec::with_capacity(FILE_BYTES + 256);
    let mut csv = b"id,name,payload,note\n".to_vec();
    let mut array = b"[".to_vec();
    let mut counts = [0u64; 3];
    while jsonl.len() < FILE_BYTES {
        let id = counts[0];
        let _ = writeln!(jsonl, "{{\"id\":{id},\"name\":\"item-{id}\",\"payload\":\"{payload}\",\"tags\":[\"a\",\"b\"]}}");
        counts[0] += 1;
    }
    while csv.len() < FILE_BYTES {
        let id = counts[1];
        let _ = writeln!(csv, "{id},item-{id},{payload},\"quoted, with comma\"");
        counts[1] += 1;
    }
    while array.len() < FILE_BYTES {
        let id = counts[2];
        let sep = if id == 0 { "" } else { "," };
        let _ = write!(array, "{sep}{{\"id\":{id},\"name\":\"item-{id}\",\"payload\":\"{payload}\",\"tags\":[\"a\",\"b\"]}}");
        counts[2] += 1;
    }
    array.push(b']');
    let mut fixtures = Vec::new();
    for (input_type, key, body, items) in [
        ("JSONL", "items.jsonl", jsonl, counts[0]),
        ("CSV", "items.csv", csv, counts[1]),
        ("JSON", "items.json", array, counts[2]),
    ] {
        std::fs::write(dir.join(key), &body).expect("writing the bench fixture");
        fixtures.push(Fixture {
            input_type,
            key,
            items,
            bytes: body.len() as u64,
        });
    }
    fixtures
}

async fn read_everything(spec: &ReaderSpec, store: &Store, raw: bool) -> u64 {
    let mut reader = open_reader(spec, store.clone(), None, &ReaderOptions::new())
        .await
        .expect("reader opens");
    let mut count = 0;
    loop {
        let (items, exhausted) = match raw {
            true => {
                let batch = reader.next_raw_batch(1000).await.expect("batch reads");
                (batch.items.len(), batch.exhausted)
            }
            false => {
                let batch = reader.next_batch(1000).await.expect("batch reads");
                (batch.items.len(), batch.exhausted)
            }
        };
        count += items as u64;
        if exhausted {
            return count;
        }
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = generate(dir.path());
    let store = Store::local("bench", dir.path()).expect("local store");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    for (group_name, by_bytes) in [("reader_parse_bytes", true), ("reader_parse_items", false)] {
        let mut group = c.benchmark_group(group_name);
        group.sample_size(10);
        for (fixture, raw) in fixtures
            .iter()
            .flat_map(|fixture| [(fixture, false), (fixture, true)])
        {
            let spec: ReaderSpec = serde_json::from_value(json!({
                "Resource": "arn:aws:states:::s3:getObject",
                "Parameters": {"Bucket": "bench", "Key": fixture.key},
                "ReaderConfig": {"InputType": fixture.input_type}
            }))
            .expect("valid spec");
            group.throughput(if by_bytes {
                Throughput::Bytes(fixture.bytes)
            } else {
                Throughput::Elements(fixture.items)
            });
            let name = match raw {
                true => format!("{}_raw", fixture.input_type),
                false => fixture.input_type.to_owned(),
            };
            group.bench_with_input(BenchmarkId::from_parameter(name), &spec, |b, spec| {
                b.iter(|| {
                    let count = runtime.block_on(read_everything(spec, &store, raw));
                    assert_eq!(count, fixture.items);
                });
            });
        }
        group.finish();
    }
}

/// Ceilings measured in the same run, so a loaded machine still gives a meaningful ratio:
/// the JSONL file held in memory, split into lines, each parsed into a `Value` (what a
/// `next_batch` reader must at least do), validated into a `RawItem` (what `next_raw_batch`
/// must at least do) or only checked into `IgnoredAny` (a looser check: no UTF-8, escape or
/// number-range validation).
fn ceilings(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    generate(dir.path());
    let jsonl = std::fs::read(dir.path().join("items.jsonl")).expect("reading the fixture");
    let mut group = c.benchmark_group("reader_parse_ceilings");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(jsonl.len() as u64));
    group.bench_function("split_value", |b| {
        b.iter(|| {
            for line in jsonl.split(|byte| *byte == b'\n').filter(|l| !l.is_empty()) {
                let value: serde_json::Value = serde_json::from_slice(line).expect("valid line");
                std::hint::black_box(value);
            }
        });
    });
    group.bench_function("split_raw", |b| {
        b.iter(|| {
            for line in jsonl.split(|byte| *byte == b'\n').filter(|l| !l.is_empty()) {
                let raw = shoal_readers::RawItem::parse(line).expect("valid line");
                std::hint::black_box(raw);
            }
        });
    });
    group.bench_function("split_validate", |b| {
        b.iter(|| {
            for line in jsonl.split(|byte| *byte == b'\n').filter(|l| !l.is_empty()) {
                serde_json::from_slice::<serde::de::IgnoredAny>(line).expect("valid line");
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench, ceilings);
criterion_main!(benches);
