//! `log_append`: durable records/s and acknowledgement latency of the event
//! log with 1, 16, 256 and 10,000 concurrent producers (100-byte payloads,
//! one stream per producer), side by side with raw sled (one key per record,
//! same group commit, flush + fsync per group).
//!
//! Criterion measures the time of one *round* (every producer commits its
//! share of records, one record per commit, awaiting each acknowledgement);
//! after it, a table of records/s and p50/p99 latency over all rounds is
//! printed, followed by the disk bytes per record after 1M records.
//! `SHOAL_BENCH_SKIP_DISK=1` skips the disk figure;
//! `SHOAL_BENCH_BLOCK_BYTES=N` sets the journal block size of every log
//! (default: `SledLogOptions`' own). Run one case with a criterion filter,
//! e.g. `cargo bench --bench log_append -- sled_log/10000`.
//! `SHOAL_BENCH_FIXED_ROUNDS=N` skips criterion and runs exactly N rounds of
//! the 10,000-producer case on the log (a fixed amount of work, for
//! instruction counts under callgrind), then prints what was committed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use shoal_storage::baseline::RawSledBaseline;
use shoal_storage::{
    EventLog, Record, RecordKind, Seq, SledLog, SledLogOptions, StreamId, WriteBatch,
};
use stats::Stats;

const PAYLOAD_BYTES: usize = 100;
/// (producers, records each producer commits per round)
const LOADS: [(u64, u64); 4] = [(1, 100), (16, 40), (256, 20), (10_000, 5)];

/// Which log a round runs against.
#[derive(Clone)]
enum Target {
    Log(Arc<SledLog>),
    Raw(Arc<RawSledBaseline>),
}

impl Target {
    async fn append(&self, record: Record) {
        let outcome = match self {
            Target::Log(log) => {
                let mut batch = WriteBatch::new();
                batch.append(record.stream, record.seq, record.kind, record.payload);
                log.commit(batch).await
            }
            Target::Raw(raw) => raw.append(vec![record]).await,
        };
        outcome.expect("benchmark commits succeed");
    }
}

fn payload(stream: u64, seq: u64) -> Vec<u8> {
    let mut bytes = vec![0u8; PAYLOAD_BYTES];
    let seed = stream.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ seq;
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = (seed.rotate_left(index as u32 % 64) as u8) ^ index as u8;
    }
    bytes
}

/// Runs one round; returns its duration and appends per-commit latencies (µs).
async fn round(
    target: &Target,
    producers: u64,
    per_producer: u64,
    next_seq: u64,
    latencies: &mut Vec<u32>,
) -> Duration {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(producers as usize);
    for stream in 0..producers {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let mut own = Vec::with_capacity(per_producer as usize);
            for seq in next_seq..next_seq + per_producer {
                let record = Record {
                    stream: StreamId(stream),
                    seq: Seq(seq),
                    kind: RecordKind(1),
                    payload: payload(stream, seq),
                };
                let begun = Instant::now();
                target.append(record).await;
                own.push(begun.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
            }
            own
        }));
    }
    for task in tasks {
        latencies.extend(task.await.expect("producer task finishes"));
    }
    started.elapsed()
}

mod stats {
    //! Totals of one benchmark case across criterion's rounds.
    #[derive(Default)]
    pub struct Stats {
        pub records: u64,
        pub elapsed: std::time::Duration,
        pub latencies_us: Vec<u32>,
    }

    impl Stats {
        pub fn percentile(&mut self, share: f64) -> u32 {
            if self.latencies_us.is_empty() {
                return 0;
            }
            self.latencies_us.sort_unstable();
            let index = ((self.latencies_us.len() - 1) as f64 * share).round() as usize;
            self.latencies_us[index]
        }
    }
}

fn bench_backend(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    make: &dyn Fn(&std::path::Path) -> Target,
    table: &mut Vec<(String, u64, Stats)>,
) {
    let mut group = c.benchmark_group(format!("log_append/{name}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (producers, per_producer) in LOADS {
        let dir = tempfile::tempdir().expect("temporary directory");
        let target = make(dir.path());
        let mut stats = Stats::default();
        let mut next_seq = 1;
        group.throughput(Throughput::Elements(producers * per_producer));
        group.bench_function(BenchmarkId::from_parameter(producers), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let elapsed = runtime.block_on(round(
                        &target,
                        producers,
                        per_producer,
                        next_seq,
                        &mut stats.latencies_us,
                    ));
                    next_seq += per_producer;
                    stats.records += producers * per_producer;
                    stats.elapsed += elapsed;
                    total += elapsed;
                }
                total
            })
        });
        if let Target::Log(log) = &target {
            let t = log.commit_timings();
            let ms = |nanos: u64| nanos as f64 / 1e6;
            println!(
                "{name}/{producers}: {} groups, {:.0} records/group; committer ms: group {:.0}, apply {:.0}, flush {:.0}, fsync {:.0}, back-pressure {:.0}",
                t.groups,
                stats.records as f64 / t.groups.max(1) as f64,
                ms(t.group_nanos),
                ms(t.apply_nanos),
                ms(t.flush_nanos),
                ms(t.sync_nanos),
                ms(t.backpressure_nanos)
            );
        }
        drop(target);
        table.push((name.to_owned(), producers, stats));
    }
    group.finish();
}

fn print_table(table: &mut [(String, u64, Stats)]) {
    println!("\n| backend | producers | durable records/s | p50 ack (µs) | p99 ack (µs) |");
    println!("|---|---:|---:|---:|---:|");
    for (name, producers, stats) in table.iter_mut() {
        let per_second = stats.records as f64 / stats.elapsed.as_secs_f64().max(1e-9);
        let (p50, p99) = (stats.percentile(0.50), stats.percentile(0.99));
        println!("| {name} | {producers} | {per_second:.0} | {p50} | {p99} |");
    }
}

/// Writes `records` records from 1,000 producers and reports bytes on disk
/// per record after the log is closed.
fn disk_bytes_per_record(
    runtime: &tokio::runtime::Runtime,
    options: SledLogOptions,
    records: u64,
) -> (f64, u64) {
    const PRODUCERS: u64 = 1_000;
    let dir = tempfile::tempdir().expect("temporary directory");
    let log = Arc::new(SledLog::open(dir.path(), options).expect("open log"));
    let target = Target::Log(Arc::clone(&log));
    let mut ignored = Vec::new();
    runtime.block_on(round(
        &target,
        PRODUCERS,
        records / PRODUCERS,
        1,
        &mut ignored,
    ));
    let journal = log.journal_stats().records;
    drop(target);
    drop(Arc::into_inner(log).expect("the bench holds the only handle"));
    let bytes = dir_bytes(dir.path());
    (bytes as f64 / records as f64, journal)
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| match entry.metadata() {
                    Ok(meta) if meta.is_dir() => dir_bytes(&entry.path()),
                    Ok(meta) => meta.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// The options every benchmarked log opens with.
fn log_options() -> SledLogOptions {
    let options = SledLogOptions::new();
    match std::env::var("SHOAL_BENCH_BLOCK_BYTES")
        .ok()
        .and_then(|bytes| bytes.parse().ok())
    {
        Some(bytes) => options.with_journal_block_bytes(bytes),
        None => options,
    }
}

/// Runs `rounds` rounds of 10,000 producers × 5 records against a fresh
/// log: the same work whatever the machine's speed.
fn fixed_rounds(runtime: &tokio::runtime::Runtime, rounds: u64) {
    let (producers, per_producer) = LOADS[3];
    let dir = tempfile::tempdir().expect("temporary directory");
    let log = Arc::new(SledLog::open(dir.path(), log_options()).expect("open log"));
    let target = Target::Log(Arc::clone(&log));
    let mut latencies = Vec::new();
    let mut elapsed = Duration::ZERO;
    for round_index in 0..rounds {
        let next_seq = 1 + round_index * per_producer;
        elapsed += runtime.block_on(round(
            &target,
            producers,
            per_producer,
            next_seq,
            &mut latencies,
        ));
    }
    let records = rounds * producers * per_producer;
    let journal = log.journal_stats();
    println!(
        "fixed rounds: {records} records in {} groups, {:.0} records/s; journal {} records, {} compaction passes",
        log.commit_timings().groups,
        records as f64 / elapsed.as_secs_f64().max(1e-9),
        journal.records,
        journal.compactions
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Some(rounds) = std::env::var("SHOAL_BENCH_FIXED_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
    {
        fixed_rounds(&runtime, rounds);
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    let mut table = Vec::new();
    let log = |dir: &std::path::Path| {
        Target::Log(Arc::new(
            SledLog::open(dir, log_options()).expect("open log"),
        ))
    };
    let raw = |dir: &std::path::Path| {
        Target::Raw(Arc::new(RawSledBaseline::open(dir).expect("open raw sled")))
    };
    bench_backend(&mut criterion, &runtime, "sled_log", &log, &mut table);
    bench_backend(&mut criterion, &runtime, "raw_sled", &raw, &mut table);
    criterion.final_summary();
    print_table(&mut table);
    let test_mode = std::env::args().any(|arg| arg == "--test" || arg == "--list");
    if !test_mode && std::env::var_os("SHOAL_BENCH_SKIP_DISK").is_none() {
        const RECORDS: u64 = 1_000_000;
        for (label, options) in [
            ("compaction on (default)", log_options()),
            (
                "compaction off (journal only)",
                log_options().with_compaction(false),
            ),
        ] {
            let (per_record, journal) = disk_bytes_per_record(&runtime, options, RECORDS);
            println!("disk bytes per {PAYLOAD_BYTES}-byte record after {RECORDS} records, {label}: {per_record:.1} ({journal} records still in the journal)");
        }
    }
}
