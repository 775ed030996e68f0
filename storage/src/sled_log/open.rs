//! Opening a directory: the recovery path.
//!
//! 1. A directory whose creation completed holds the marker file
//!    `shoal-log`; if it has no sled log file `db`, refuse it (a missing
//!    file must not look like an empty log).
//! 2. Open sled behind `catch_unwind`; sled replays its own log and stops at
//!    the last complete flush (a torn tail is dropped by sled). A config
//!    file sled cannot read (`Unsupported`) is `Corrupt` naming `conf`. A
//!    directory whose lock is held is retried for up to `LOCK_WAIT` (see
//!    `open_sled`), then refused as in use.
//! 3. Check the format key: in a new (or half-created, still empty)
//!    database write it; absent from an established log, or different, is
//!    `Corrupt`.
//! 4. `fsync` sled's files and the directory (sled may have created them),
//!    then create the marker file if it was missing, and `fsync` it.
//! 5. Load every journal block, verifying each record's CRC32C, into the
//!    journal index; a damaged block fails the open with `Corrupt` naming it.
//! 6. Start the committer, the publisher and the compactor.

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam::channel::bounded;
use parking_lot::{Condvar, Mutex, RwLock};

use super::blocks::JournalBlock;
use super::committer::{self, Committer};
use super::durable::{sync_dir, DurableFiles};
use super::guard::{guarded, sled_error};
use super::keys::{describe_key, parse_journal_key, FORMAT_KEY, FORMAT_MARKER, JOURNAL_PREFIX};
use super::pending::PendingIndex;
use super::seq_cache::SeqCache;
use super::{compactor, Counters, JournalSignal, Shared, SledLog, SledLogOptions};
use crate::codec::scan_journal_block;
use crate::error::LogError;

/// Durable groups that may wait for the publisher; the committer blocks
/// beyond that, so the pipeline stays bounded.
const PUBLISH_GROUPS_MAX: usize = 2;

/// The file whose presence says the directory's creation completed.
const MARKER_FILE: &str = "shoal-log";

/// How long an open waits for the directory's lock. sled 0.34 releases its
/// file lock from a background thread some moments after the last handle
/// is dropped (sled#1234, #1289), so a log closed and reopened at once in
/// one process can find it still held. A log open elsewhere holds it for
/// its whole life, far longer than this.
const LOCK_WAIT: Duration = Duration::from_secs(2);

pub(super) fn open(dir: &Path, options: SledLogOptions) -> Result<SledLog, LogError> {
    let io = |operation: &'static str| {
        move |err: std::io::Error| LogError::Io {
            operation,
            detail: format!("{}: {err}", dir.display()),
        }
    };
    std::fs::create_dir_all(dir).map_err(io("creating the log directory"))?;
    let log_file = dir.join("db");
    let marker_file = dir.join(MARKER_FILE);
    let established = marker_file.exists();
    if established && !log_file.exists() {
        return Err(LogError::Corrupt {
            location: log_file.display().to_string(),
            detail: "sled's log file is missing from an established log directory".to_owned(),
        });
    }
    let location = || log_file.display().to_string();
    let db = guarded(location, || {
        open_sled(dir, options.cache_capacity_bytes).map_err(|e| match e {
            sled::Error::Io(err) if lock_is_held(&err) => LogError::Io {
                operation: "opening the sled database",
                detail: format!(
                    "{} is in use: another process or another open log holds its lock \
                             (waited {} s): {err}",
                    dir.display(),
                    LOCK_WAIT.as_secs()
                ),
            },
            // sled checks its version in `conf` first.
            sled::Error::Unsupported(_) => sled_error(e, "opening the sled database", || {
                format!("{} (sled's config file)", dir.join("conf").display())
            }),
            // sled does not say which of its files failed a check.
            e @ sled::Error::Corruption { .. } => {
                sled_error(e, "opening the sled database", || {
                    format!("{} (sled's files: db, conf, snap.*, blobs/)", dir.display())
                })
            }
            e => sled_error(e, "opening the sled database", location),
        })
    })?;
    check_format(&db, established, &location)?;
    let files = DurableFiles::open(dir).map_err(io("syncing the log files at open"))?;
    if !established {
        // Written only once the format key is durable: from now on a missing
        // key or file means damage, not an interrupted creation.
        std::fs::write(&marker_file, FORMAT_MARKER).map_err(io("writing the log marker file"))?;
        std::fs::File::open(&marker_file)
            .and_then(|file| file.sync_all())
            .map_err(io("syncing the log marker file"))?;
        sync_dir(dir).map_err(io("syncing the log directory"))?;
    }
    let (pending, next_block) = load_journal(&db)?;
    let journal_bytes = pending.bytes() as u64;
    let (sender, receiver) = bounded(options.queue_batches_max);
    let seq_cache_streams = options.seq_cache_streams;
    let shared = Arc::new(Shared {
        dir: dir.to_path_buf(),
        db,
        options,
        pending: RwLock::new(pending),
        gate: RwLock::new(()),
        poison: Default::default(),
        counters: Counters::default(),
        journal: Mutex::new(JournalSignal::default()),
        journal_changed: Condvar::new(),
        compaction_pass: Mutex::new(()),
        published_group: AtomicU64::new(0),
        journal_bytes: AtomicU64::new(journal_bytes),
        #[cfg(test)]
        faults: Default::default(),
    });
    let (publish, published) = bounded(PUBLISH_GROUPS_MAX);
    let committer = Committer {
        shared: Arc::clone(&shared),
        queue: receiver,
        files,
        heads: SeqCache::new(seq_cache_streams),
        next_block,
        groups: 0,
        publish,
    };
    let spawn_io = io("starting the log threads");
    let committer = std::thread::Builder::new()
        .name("shoal-log-committer".into())
        .spawn(move || committer.run())
        .map_err(&spawn_io)?;
    let publisher_shared = Arc::clone(&shared);
    let publisher = std::thread::Builder::new()
        .name("shoal-log-publisher".into())
        .spawn(move || committer::publish(publisher_shared, published))
        .map_err(&spawn_io)?;
    let compactor_shared = Arc::clone(&shared);
    let compactor = std::thread::Builder::new()
        .name("shoal-log-compactor".into())
        .spawn(move || compactor::run(compactor_shared))
        .map_err(spawn_io)?;
    shared.request_compaction_if_due();
    Ok(SledLog {
        shared,
        queue: Some(sender),
        committer: Some(committer),
        publisher: Some(publisher),
        compactor: Some(compactor),
    })
}

/// Opens sled on `dir`, retrying while its lock is held for at most
/// `LOCK_WAIT`, with a backoff from 5 ms to 100 ms.
fn open_sled(dir: &Path, cache_capacity_bytes: u64) -> Result<sled::Db, sled::Error> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        let opened = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_capacity_bytes)
            .flush_every_ms(None)
            .open();
        match opened {
            Err(sled::Error::Io(err))
                if lock_is_held(&err) && started.elapsed() + pause <= LOCK_WAIT =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

/// Whether sled failed to take the directory's lock. sled 0.34 reports it
/// as an error of kind `Other` whose text starts "could not acquire lock"
/// and quotes the OS error (`EWOULDBLOCK`).
fn lock_is_held(err: &std::io::Error) -> bool {
    err.kind() == std::io::ErrorKind::WouldBlock
        || err.to_string().starts_with("could not acquire lock")
}

fn check_format(
    db: &sled::Db,
    established: bool,
    location: &dyn Fn() -> String,
) -> Result<(), LogError> {
    let (marker, empty) = guarded(location, || {
        let marker = db
            .get(FORMAT_KEY)
            .map_err(|e| sled_error(e, "reading the format marker", location))?;
        Ok((marker, db.is_empty()))
    })?;
    match marker {
        Some(found) if found.as_ref() == FORMAT_MARKER => Ok(()),
        Some(found) => Err(LogError::Corrupt {
            location: describe_key(FORMAT_KEY),
            detail: format!(
                "unknown layout marker {:?}",
                String::from_utf8_lossy(&found)
            ),
        }),
        None if established => Err(LogError::Corrupt {
            location: location(),
            detail: "the format key is gone from an established log: sled's log file is damaged"
                .to_owned(),
        }),
        None if !empty => Err(LogError::Corrupt {
            location: location(),
            detail: "a sled database that is not a shoal log".to_owned(),
        }),
        // A new directory, or one whose creation was interrupted before any
        // commit could have been acknowledged: (re)initialize it.
        None => guarded(location, || {
            db.insert(FORMAT_KEY, FORMAT_MARKER)
                .map_err(|e| sled_error(e, "writing the format marker", location))?;
            db.flush()
                .map_err(|e| sled_error(e, "writing the format marker", location))?;
            Ok(())
        }),
    }
}

/// Reads every journal block into a fresh index; returns it and the number
/// of the next block to write.
fn load_journal(db: &sled::Db) -> Result<(PendingIndex, u64), LogError> {
    guarded(
        || "journal blocks".to_owned(),
        || {
            let mut pending = PendingIndex::default();
            let mut next_block = 0;
            for item in db.scan_prefix(JOURNAL_PREFIX) {
                let (key, value) = item.map_err(|e| {
                    sled_error(e, "loading the journal", || "journal blocks".to_owned())
                })?;
                let corrupt = |detail: String| LogError::Corrupt {
                    location: describe_key(&key),
                    detail,
                };
                let block = parse_journal_key(&key)
                    .ok_or_else(|| corrupt("malformed journal key".to_owned()))?;
                let entries = scan_journal_block(&value).map_err(|err| corrupt(err.to_string()))?;
                pending.insert_block(JournalBlock {
                    number: block,
                    data: value,
                    entries,
                });
                next_block = block + 1;
            }
            Ok((pending, next_block))
        },
    )
}
