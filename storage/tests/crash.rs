//! Crash test: a child process appends as fast as it can and prints every
//! acknowledged `(stream, seq)`; the parent SIGKILLs it at a random moment,
//! reopens the log and checks that every acknowledged record is present and
//! intact, every stream is a gap-free prefix `1..=n`, and each stream's state
//! row (written in the same batch as its records) names exactly `n`.
//!
//! The child is this test binary re-executed with `SHOAL_CRASH_CHILD=<dir>`
//! running only `crash_child`. Cycles: 50 by default, `SHOAL_CRASH_CYCLES=N`
//! for long soaks; `SHOAL_CRASH_SEED` replays a run.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use shoal_storage::{
    EventLog, Keyspace, RecordKind, Seq, SledLog, SledLogOptions, StreamId, WriteBatch,
};

const CHILD_ENV: &str = "SHOAL_CRASH_CHILD";
const STREAMS: u64 = 48;
const HEADS: Keyspace = Keyspace(7);

fn payload(stream: u64, seq: u64) -> Vec<u8> {
    let len = 20 + ((stream * 31 + seq * 17) % 180) as usize;
    (0..len)
        .map(|i| (stream as usize * 7 + seq as usize * 13 + i) as u8)
        .collect()
}

fn kind(seq: u64) -> RecordKind {
    RecordKind((seq % 5) as u8)
}

fn options() -> SledLogOptions {
    // Small thresholds so crashes also land in the middle of compactions.
    SledLogOptions::new()
        .with_compact_after_bytes(64 * 1024)
        .with_journal_block_bytes(2048)
}

/// The child: appends from many tasks until killed.
#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return; // only meaningful when started by `crash_cycles`
    };
    let log = Arc::new(SledLog::open(Path::new(&dir), options()).unwrap());
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for stream in 0..STREAMS {
            let (log, stdout) = (log.clone(), stdout.clone());
            tasks.push(tokio::spawn(async move {
                let mut next = log
                    .last_seq(StreamId(stream))
                    .unwrap()
                    .map_or(1, |seq| seq.0 + 1);
                loop {
                    let count = 1 + (next + stream) % 3;
                    let mut batch = WriteBatch::new();
                    for seq in next..next + count {
                        batch.append(StreamId(stream), Seq(seq), kind(seq), payload(stream, seq));
                    }
                    let last = next + count - 1;
                    batch.put(
                        HEADS,
                        stream.to_be_bytes().to_vec(),
                        last.to_be_bytes().to_vec(),
                    );
                    log.commit(batch).await.unwrap();
                    let mut out = stdout.lock().unwrap();
                    writeln!(out, "ACK {stream} {last}").unwrap();
                    out.flush().unwrap();
                    next = last + 1;
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
}

/// A tiny deterministic generator; the seed is printed so a failure replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

#[test]
fn crash_cycles() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let cycles: u64 = std::env::var("SHOAL_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let seed = std::env::var("SHOAL_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("crash test: {cycles} cycles, SHOAL_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged: HashMap<u64, u64> = HashMap::new();
    let mut total_acks = 0u64;
    for cycle in 0..cycles {
        let acks = run_child_and_kill(dir.path(), Duration::from_millis(30 + rng.below(400)));
        total_acks += acks.len() as u64;
        for (stream, seq) in acks {
            let head = acknowledged.entry(stream).or_default();
            *head = (*head).max(seq);
        }
        verify(dir.path(), &acknowledged, cycle);
    }
    let records: u64 = acknowledged.values().sum();
    println!("crash test passed: {cycles} cycles, {total_acks} acknowledged commits, {records} records verified");
}

/// Starts the child, kills it with SIGKILL after `delay`, and returns every
/// acknowledgement it printed.
fn run_child_and_kill(dir: &Path, delay: Duration) -> Vec<(u64, u64)> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut acks = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // A line cut by the kill has no newline and may not parse: ignored,
            // which only under-counts acknowledgements (safe direction).
            let mut parts = line.strip_prefix("ACK ").unwrap_or("").split(' ');
            if let (Some(Ok(stream)), Some(Ok(seq))) =
                (parts.next().map(str::parse), parts.next().map(str::parse))
            {
                acks.push((stream, seq));
            }
        }
        acks
    });
    let started = Instant::now();
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    assert!(started.elapsed() >= delay);
    reader.join().unwrap()
}

fn verify(dir: &Path, acknowledged: &HashMap<u64, u64>, cycle: u64) {
    let log = SledLog::open(dir, options())
        .unwrap_or_else(|err| panic!("cycle {cycle}: reopen failed: {err}"));
    for stream in 0..STREAMS {
        let records = log
            .read_stream(StreamId(stream), Seq(0), usize::MAX)
            .unwrap();
        for (index, record) in records.iter().enumerate() {
            let seq = index as u64 + 1;
            assert_eq!(
                record.seq,
                Seq(seq),
                "cycle {cycle}: stream {stream} has a gap before {seq}"
            );
            assert_eq!(
                record.kind,
                kind(seq),
                "cycle {cycle}: stream {stream} seq {seq} kind"
            );
            assert!(
                record.payload == payload(stream, seq),
                "cycle {cycle}: stream {stream} seq {seq} payload differs"
            );
        }
        let present = records.len() as u64;
        let acked = acknowledged.get(&stream).copied().unwrap_or(0);
        assert!(
            present >= acked,
            "cycle {cycle}: stream {stream} lost acknowledged records: {present} < {acked}"
        );
        assert_eq!(
            log.last_seq(StreamId(stream)).unwrap(),
            (present > 0).then_some(Seq(present))
        );
        let head = log.get_row(HEADS, &stream.to_be_bytes()).unwrap();
        let head = head
            .map(|bytes| u64::from_be_bytes(bytes.try_into().unwrap()))
            .unwrap_or(0);
        assert_eq!(
            head, present,
            "cycle {cycle}: stream {stream} row and records disagree (not atomic)"
        );
    }
}
