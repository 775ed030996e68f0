//! Damaged directories: flipped bytes and truncations in sled's files, a
//! missing file, and flipped bytes inside stored values. Whatever happens,
//! opening and reading must give a typed error or data that is exactly what
//! was written — never a panic, never wrong data. (sled recovering to an
//! earlier complete flush, i.e. returning less, is the documented policy for
//! damage sled itself detects; see docs/storage.md.)
#![allow(clippy::unwrap_used)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use shoal_storage::{
    EventLog, Keyspace, LogError, Record, RecordKind, Seq, SledLog, SledLogOptions, StreamId,
    WriteBatch,
};

const STREAMS: u64 = 8;
const RECORDS: u64 = 60;
const ROWS: Keyspace = Keyspace(3);

fn expected(stream: u64, seq: u64) -> Record {
    Record {
        stream: StreamId(stream),
        seq: Seq(seq),
        kind: RecordKind((seq % 4) as u8),
        payload: format!("record {stream}/{seq} ")
            .repeat(1 + (seq % 5) as usize)
            .into_bytes(),
    }
}

fn row_value(stream: u64) -> Vec<u8> {
    format!("head of {stream} is {RECORDS}").into_bytes()
}

fn options() -> SledLogOptions {
    SledLogOptions::new()
        .with_journal_block_bytes(512)
        .with_compaction(false)
}

/// Writes the reference log: half of each stream compacted into chunks, the
/// other half still in journal blocks, plus one row per stream.
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
        log.commit(batch).wait().unwrap();
        if seq == RECORDS / 2 {
            assert!(log.compact_now().unwrap() > 0);
        }
    }
}

/// Opens and reads everything; panics (failing the test) on a library panic
/// or on any returned record or row that differs from what was written.
fn check(dir: &Path, what: &str) -> Result<(), LogError> {
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<(), LogError> {
        let log = SledLog::open(dir, options())?;
        for stream in 0..STREAMS {
            for record in log.read_stream(StreamId(stream), Seq(0), usize::MAX)? {
                assert_eq!(
                    record,
                    expected(stream, record.seq.0),
                    "{what}: wrong record returned"
                );
            }
            if let Some(value) = log.get_row(ROWS, &stream.to_be_bytes())? {
                assert_eq!(value, row_value(stream), "{what}: wrong row returned");
            }
        }
        Ok(())
    }));
    match outcome {
        Ok(result) => result,
        Err(panic) => {
            let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
            panic!("{what}: panicked instead of returning an error: {message}");
        }
    }
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

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if std::fs::metadata(&path).unwrap().len() > 0 {
            out.push(path);
        }
    }
    out.sort();
    out
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

fn pristine() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    check(dir.path(), "pristine copy").unwrap();
    dir
}

#[test]
fn flipped_bytes_give_an_error_or_correct_data() {
    let original = pristine();
    let seed = std::env::var("SHOAL_CORRUPTION_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_cafe);
    let mut rng = Rng(seed);
    let (mut errors, mut clean) = (0, 0);
    for round in 0..48 {
        let copy = tempfile::tempdir().unwrap();
        copy_dir(original.path(), copy.path());
        let targets = files(copy.path());
        // Most rounds hit sled's log file, where the data is.
        let file = if round % 4 == 0 {
            &targets[rng.below(targets.len() as u64) as usize]
        } else {
            &copy.path().join("db")
        };
        let mut bytes = std::fs::read(file).unwrap();
        let flips = 1 + rng.below(3);
        let mut spots = Vec::new();
        for _ in 0..flips {
            let offset = rng.below(bytes.len() as u64) as usize;
            bytes[offset] ^= 1 + rng.below(255) as u8;
            spots.push(offset);
        }
        std::fs::write(file, bytes).unwrap();
        let what = format!(
            "round {round} (seed {seed}): {} flipped at {spots:?}",
            file.display()
        );
        match check(copy.path(), &what) {
            Ok(()) => clean += 1,
            Err(err) => {
                assert!(
                    matches!(err, LogError::Corrupt { .. } | LogError::Io { .. }),
                    "{what}: {err}"
                );
                errors += 1;
            }
        }
    }
    println!("flips: {errors} typed errors, {clean} opens with verified data");
}

#[test]
fn truncated_log_file_gives_an_error_or_correct_data() {
    let original = pristine();
    let mut rng = Rng(0x7121_3a7e);
    for round in 0..16 {
        let copy = tempfile::tempdir().unwrap();
        copy_dir(original.path(), copy.path());
        let file = copy.path().join("db");
        let len = std::fs::metadata(&file).unwrap().len();
        let keep = rng.below(len);
        std::fs::OpenOptions::new()
            .write(true)
            .open(&file)
            .unwrap()
            .set_len(keep)
            .unwrap();
        let what = format!("round {round}: db truncated to {keep} of {len} bytes");
        if let Err(err) = check(copy.path(), &what) {
            assert!(
                matches!(err, LogError::Corrupt { .. } | LogError::Io { .. }),
                "{what}: {err}"
            );
        }
    }
}

#[test]
fn missing_log_file_is_a_corrupt_error_naming_it() {
    let original = pristine();
    std::fs::remove_file(original.path().join("db")).unwrap();
    let err = check(original.path(), "db removed").unwrap_err();
    assert!(
        matches!(err, LogError::Corrupt { ref location, .. } if location.ends_with("db")),
        "{err}"
    );
}

#[test]
fn missing_conf_file_gives_an_error_or_correct_data() {
    let original = pristine();
    std::fs::remove_file(original.path().join("conf")).unwrap();
    if let Err(err) = check(original.path(), "conf removed") {
        assert!(
            matches!(err, LogError::Corrupt { .. } | LogError::Io { .. }),
            "{err}"
        );
    }
}

/// Rewrites the value of the first sled key starting with `prefix`, flipping
/// one bit near its end (inside a payload or row value).
fn flip_stored_value(dir: &Path, prefix: &[u8]) -> Vec<u8> {
    let db = sled::open(dir).unwrap();
    let (key, value) = db.scan_prefix(prefix).next().unwrap().unwrap();
    let mut value = value.to_vec();
    let at = value.len() - 2;
    value[at] ^= 0x04;
    db.insert(&key, value).unwrap();
    db.flush().unwrap();
    key.to_vec()
}

#[test]
fn flipped_journal_payload_fails_open_naming_the_block() {
    let original = pristine();
    flip_stored_value(original.path(), b"J");
    let err = SledLog::open(original.path(), options()).unwrap_err();
    assert!(
        matches!(err, LogError::Corrupt { ref location, ref detail }
            if location.starts_with("journal block") && detail.contains("checksum mismatch")),
        "{err}"
    );
}

#[test]
fn flipped_chunk_payload_fails_the_read_naming_the_chunk() {
    let original = pristine();
    let key = flip_stored_value(original.path(), b"R");
    let stream = u64::from_be_bytes(key[1..9].try_into().unwrap());
    let log = SledLog::open(original.path(), options()).unwrap();
    let err = log
        .read_stream(StreamId(stream), Seq(0), usize::MAX)
        .unwrap_err();
    assert!(
        matches!(err, LogError::Corrupt { ref location, ref detail }
            if location == &format!("chunk of stream {stream} starting at seq 1") && detail.contains("checksum mismatch")),
        "{err}"
    );
    // Other streams still read.
    let other = (stream + 1) % STREAMS;
    assert_eq!(
        log.read_stream(StreamId(other), Seq(0), usize::MAX)
            .unwrap()
            .len() as u64,
        RECORDS
    );
}

#[test]
fn flipped_row_value_fails_the_get_naming_the_row() {
    let original = pristine();
    let key = flip_stored_value(original.path(), b"S");
    let log = SledLog::open(original.path(), options()).unwrap();
    let err = log.get_row(ROWS, &key[2..]).unwrap_err();
    assert!(
        matches!(err, LogError::Corrupt { ref location, .. } if location.starts_with("row 0x")),
        "{err}"
    );
    let err = log.scan_rows(ROWS, b"", None, 100).unwrap_err();
    assert!(matches!(err, LogError::Corrupt { .. }), "{err}");
}
