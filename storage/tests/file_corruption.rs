//! File-level damage to a whole log directory, each case in a child
//! process: bytes flipped at random offsets of every file (`db`, `conf`,
//! `blobs/*`, `snap.*`, the `shoal-log` marker), every file truncated at a
//! random offset, and each of `db`, `conf`, `blobs/`, `shoal-log` missing.
//! The reference log has been reopened once (so sled wrote a snapshot and
//! grew its log file to a 512 KiB segment); offsets fall in the written
//! part of each file.
//!
//! For every case the child opens the damaged copy and reads every record
//! and row. Allowed outcomes: the open or a read fails with a typed
//! `LogError` (`Corrupt` naming what is wrong, or `Io`); or every record and
//! row returned is exactly what was written (possibly fewer of them when
//! sled itself dropped a damaged tail: the documented policy in
//! docs/storage.md). A panic, wrong data, or a hang fails the test. A child
//! killed by a signal (sled 0.34 aborting, e.g. on a huge allocation) is why
//! each case runs in its own process; it fails the test too unless
//! `SHOAL_CORRUPTION_ALLOW_ABORT=1` (used to survey sled).
//!
//! Knobs: `SHOAL_CORRUPTION_CASES=N` (default 40: every file flipped and
//! truncated, every missing file, then random cases), `SHOAL_CORRUPTION_SEED`,
//! `SHOAL_CORRUPTION_VERBOSE=1` (print each error), and
//! `SHOAL_CORRUPTION_KEEP=<dir>` (keep a copy of the pristine log).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shoal_storage::{
    EventLog, Keyspace, LogError, Record, RecordKind, Seq, SledLog, SledLogOptions, StreamId,
    WriteBatch,
};

const CHILD_ENV: &str = "SHOAL_FILE_CORRUPTION_CHILD";
const STREAMS: u64 = 6;
const RECORDS: u64 = 40;
const ROWS: Keyspace = Keyspace(3);
/// A stream holding one record large enough for sled to keep it in a blob.
const BIG_STREAM: u64 = 99;
const BIG_BYTES: usize = 300 * 1024;
const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

fn expected(stream: u64, seq: u64) -> Record {
    let payload = if stream == BIG_STREAM {
        (0..BIG_BYTES).map(|i| (i % 251) as u8).collect()
    } else {
        format!("record {stream}/{seq} ")
            .repeat(1 + (seq % 5) as usize)
            .into_bytes()
    };
    Record {
        stream: StreamId(stream),
        seq: Seq(seq),
        kind: RecordKind((seq % 4) as u8),
        payload,
    }
}

fn row_value(stream: u64) -> Vec<u8> {
    if stream == BIG_STREAM {
        return (0..BIG_BYTES).map(|i| (i % 241) as u8).collect();
    }
    format!("head of {stream} is {RECORDS}").into_bytes()
}

fn options() -> SledLogOptions {
    SledLogOptions::new()
        .with_journal_block_bytes(512)
        .with_compaction(false)
}

/// The reference log: half of each stream in chunks, half in journal
/// blocks, one row per stream, and a big record and row (sled blobs).
fn build(dir: &Path) {
    let log = SledLog::open(dir, options()).unwrap();
    for seq in 1..=RECORDS {
        let mut batch = WriteBatch::new();
        for stream in 0..STREAMS {
            let r = expected(stream, seq);
            batch.append(r.stream, r.seq, r.kind, r.payload);
            if seq == RECORDS {
                batch.put(ROWS, stream.to_be_bytes().to_vec(), row_value(stream));
            }
        }
        if seq == RECORDS / 2 {
            let big = expected(BIG_STREAM, 1);
            batch.append(big.stream, big.seq, big.kind, big.payload);
            batch.put(
                ROWS,
                BIG_STREAM.to_be_bytes().to_vec(),
                row_value(BIG_STREAM),
            );
        }
        log.commit(batch).wait().unwrap();
        if seq == RECORDS / 2 {
            assert!(log.compact_now().unwrap() > 0);
        }
    }
}

/// Reads everything; `Ok(true)` when all of it is there, `Ok(false)` when
/// some is missing; panics (caught by the child) on wrong data.
fn read_back(dir: &Path) -> Result<bool, LogError> {
    let log = SledLog::open(dir, options())?;
    let mut complete = true;
    for stream in (0..STREAMS).chain([BIG_STREAM]) {
        let records = log.read_stream(StreamId(stream), Seq(0), usize::MAX)?;
        for record in &records {
            if *record != expected(stream, record.seq.0) {
                println!("OUTCOME wrong record {stream}/{}", record.seq.0);
                std::process::exit(0);
            }
        }
        let want = if stream == BIG_STREAM { 1 } else { RECORDS };
        complete &= records.len() as u64 == want;
        match log.get_row(ROWS, &stream.to_be_bytes())? {
            Some(value) if value != row_value(stream) => {
                println!("OUTCOME wrong row {stream}");
                std::process::exit(0);
            }
            Some(_) => {}
            None => complete = false,
        }
    }
    Ok(complete)
}

/// The child: one `OUTCOME <class> <detail>` line on stdout.
#[test]
fn corruption_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return; // only meaningful when started by `file_level_corruption`
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| read_back(Path::new(&dir))));
    let line = match outcome {
        Ok(Ok(true)) => "complete".to_owned(),
        Ok(Ok(false)) => "shorter".to_owned(),
        Ok(Err(err @ LogError::Corrupt { .. })) => format!("corrupt {err}"),
        Ok(Err(err @ LogError::Io { .. })) => format!("io {err}"),
        Ok(Err(err)) => format!("other-error {err}"),
        Err(_) => "panic".to_owned(),
    };
    println!("OUTCOME {}", line.replace('\n', " "));
}

/// What is done to the copy.
#[derive(Debug, Clone)]
enum Damage {
    Flip { file: String, offsets: Vec<u64> },
    Truncate { file: String, keep: u64 },
    Remove { file: String },
}

impl Damage {
    fn kind(&self) -> &'static str {
        match self {
            Damage::Flip { .. } => "flip",
            Damage::Truncate { .. } => "truncate",
            Damage::Remove { .. } => "missing",
        }
    }

    /// The file, with blob and snapshot numbers folded into one class.
    fn target(&self) -> String {
        let (Damage::Flip { file, .. } | Damage::Truncate { file, .. } | Damage::Remove { file }) =
            self;
        if file.starts_with("blobs/") {
            "blobs/*".into()
        } else if file.starts_with("snap.") {
            "snap.*".into()
        } else {
            file.clone()
        }
    }

    fn apply(&self, dir: &Path, rng: &mut Rng) {
        match self {
            Damage::Flip { file, offsets } => {
                let path = dir.join(file);
                let mut bytes = std::fs::read(&path).unwrap();
                for offset in offsets {
                    bytes[*offset as usize] ^= 1 + rng.below(255) as u8;
                }
                std::fs::write(&path, bytes).unwrap();
            }
            Damage::Truncate { file, keep } => {
                let handle = std::fs::OpenOptions::new().write(true).open(dir.join(file));
                handle.unwrap().set_len(*keep).unwrap();
            }
            Damage::Remove { file } => {
                let path = dir.join(file);
                if path.is_dir() {
                    std::fs::remove_dir_all(path).unwrap();
                } else {
                    std::fs::remove_file(path).unwrap();
                }
            }
        }
    }
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }
}

/// Files under `dir` with their written length (up to the last non-zero
/// byte), relative, sorted; files of zeros are left out.
fn files(dir: &Path, under: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path, under));
            continue;
        }
        // sled preallocates its log file in 512 KiB segments: damage is
        // aimed at the written part (up to the last non-zero byte), where
        // it can hit data, not at the zero tail.
        let bytes = std::fs::read(&path).unwrap();
        let len = bytes
            .iter()
            .rposition(|b| *b != 0)
            .map_or(0, |at| at as u64 + 1);
        if len > 0 {
            let relative = path.strip_prefix(under).unwrap();
            out.push((relative.to_string_lossy().into_owned(), len));
        }
    }
    out.sort();
    out
}

/// Every file flipped and truncated once, every removable file removed,
/// then random flips and truncations up to `count` cases.
fn plan(dir: &Path, count: usize, rng: &mut Rng) -> Vec<Damage> {
    let files = files(dir, dir);
    let flip = |(file, len): &(String, u64), rng: &mut Rng| Damage::Flip {
        file: file.clone(),
        offsets: (0..1 + rng.below(3)).map(|_| rng.below(*len)).collect(),
    };
    let truncate = |(file, len): &(String, u64), rng: &mut Rng| Damage::Truncate {
        file: file.clone(),
        keep: rng.below(*len),
    };
    let mut cases = Vec::new();
    for file in &files {
        cases.push(flip(file, rng));
        cases.push(truncate(file, rng));
    }
    for file in ["db", "conf", "blobs", "shoal-log"] {
        if dir.join(file).exists() {
            cases.push(Damage::Remove { file: file.into() });
        }
    }
    while cases.len() < count {
        // Most random cases hit sled's log file, where the data is.
        let file = if rng.below(4) == 0 {
            &files[rng.below(files.len() as u64) as usize]
        } else {
            files.iter().find(|(name, _)| name == "db").unwrap()
        };
        let damage = if rng.below(2) == 0 {
            flip(file, rng)
        } else {
            truncate(file, rng)
        };
        cases.push(damage);
    }
    cases
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.metadata().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs the child on `dir`; returns its outcome class and detail.
fn run_child(dir: &Path) -> (String, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "corruption_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CHILD_TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            return ("hang".into(), format!("no answer in {CHILD_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    // The harness may print the test's name on the same line first.
    let outcome = stdout
        .lines()
        .find_map(|l| l.split_once("OUTCOME ").map(|(_, rest)| rest));
    match outcome {
        Some(line) => {
            let (class, detail) = line.split_once(' ').unwrap_or((line, ""));
            (class.to_owned(), detail.to_owned())
        }
        None => ("abort".into(), format!("child ended with {status}")),
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn file_level_corruption() {
    let cases = env_number("SHOAL_CORRUPTION_CASES", 40) as usize;
    let seed = env_number("SHOAL_CORRUPTION_SEED", 0xf11e_c0de);
    let allow_abort = std::env::var_os("SHOAL_CORRUPTION_ALLOW_ABORT").is_some();
    let verbose = std::env::var_os("SHOAL_CORRUPTION_VERBOSE").is_some();
    let pristine = tempfile::tempdir().unwrap();
    build(pristine.path());
    if let Some(keep) = std::env::var_os("SHOAL_CORRUPTION_KEEP") {
        copy_dir(pristine.path(), Path::new(&keep));
    }
    let (class, detail) = run_child(pristine.path());
    assert_eq!(class, "complete", "pristine copy: {detail}");
    assert!(pristine
        .path()
        .join("blobs")
        .read_dir()
        .unwrap()
        .next()
        .is_some());
    let mut rng = Rng(seed | 1);
    let mut tally: BTreeMap<(String, String), BTreeMap<String, usize>> = BTreeMap::new();
    let mut failures = Vec::new();
    for (index, damage) in plan(pristine.path(), cases, &mut rng)
        .into_iter()
        .enumerate()
    {
        let copy = tempfile::tempdir().unwrap();
        let dir: PathBuf = copy.path().join("log");
        copy_dir(pristine.path(), &dir);
        damage.apply(&dir, &mut rng);
        let (class, detail) = run_child(&dir);
        let cell = tally
            .entry((damage.kind().into(), damage.target()))
            .or_default();
        *cell.entry(class.clone()).or_default() += 1;
        if verbose && !detail.is_empty() {
            println!(
                "  case {index} {} {}: {class} {detail}",
                damage.kind(),
                damage.target()
            );
        }
        let allowed = match class.as_str() {
            "complete" | "shorter" | "corrupt" | "io" => true,
            "abort" => allow_abort,
            _ => false,
        };
        if !allowed {
            failures.push(format!(
                "case {index} (seed {seed}) {damage:?}: {class} {detail}"
            ));
        }
    }
    println!("file-level corruption, {cases} cases, seed {seed}:");
    for ((kind, target), outcomes) in &tally {
        println!("  {kind:<9} {target:<10} {outcomes:?}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
