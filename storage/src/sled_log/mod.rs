//! [`SledLog`]: the event log on disk, in one sled tree.
//!
//! Write path: callers' batches go through a bounded queue to one committer
//! thread (group commit, see `committer.rs`); records land in journal blocks
//! (about one sled key per 30 records), which a compactor thread later moves
//! into per-stream chunks (`compactor.rs`). Key layout: `keys.rs`. Byte
//! formats: [`crate::codec`].
//!
//! Visibility (contract item 3): a group's records enter the in-memory
//! journal index only after the group is durable, so stream reads cannot see
//! them earlier. Rows are read from sled, which shows a batch as soon as it
//! is applied; so the committer holds the *visibility gate* (a `RwLock`) in
//! write mode from applying a group with rows until it is durable, and row
//! reads take it in read mode. A row read may therefore wait for one fsync.

mod blocks;
mod committer;
mod compactor;
mod durable;
#[cfg(test)]
mod faults;
mod guard;
mod keys;
mod open;
mod options;
mod pending;
mod poison;
mod prepared;
mod read;
mod seq_cache;
#[cfg(test)]
mod stats_tests;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam::channel::Sender;
use parking_lot::{Condvar, Mutex, RwLock};

pub use options::SledLogOptions;

use self::committer::Queued;
use self::pending::PendingIndex;
use self::poison::Poison;
use self::prepared::PreparedBatch;
use crate::batch::WriteBatch;
use crate::error::LogError;
use crate::log::{CommitTicket, EventLog, LogMetrics, Row};
use crate::stats::LogStats;
use crate::types::{Keyspace, Record, Seq, StreamId};

/// An [`EventLog`] stored in a sled database directory.
///
/// Opening starts three threads (committer, publisher, compactor); dropping
/// the log waits for every queued batch to be answered and stops both.
#[derive(Debug)]
pub struct SledLog {
    shared: Arc<Shared>,
    queue: Option<Sender<Queued>>,
    committer: Option<JoinHandle<()>>,
    publisher: Option<JoinHandle<()>>,
    compactor: Option<JoinHandle<()>>,
}

/// The size of the journal: what the compactor has not moved yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalStats {
    /// Records in journal blocks.
    pub records: u64,
    /// Encoded bytes of the journal blocks.
    pub bytes: u64,
    /// Compaction passes since open.
    pub compactions: u64,
}

/// Where the committer's time went since open, in nanoseconds; for
/// benchmarks and tuning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitTimings {
    /// Group commits made durable.
    pub groups: u64,
    /// Whole group commits (validation, encoding, apply, flush, fsync, notify).
    pub group_nanos: u64,
    /// sled `apply_batch`.
    pub apply_nanos: u64,
    /// sled `flush`.
    pub flush_nanos: u64,
    /// `fsync` of sled's files.
    pub sync_nanos: u64,
    /// Waiting for the compactor because the journal was full.
    pub backpressure_nanos: u64,
}

/// State shared by the handle, the committer and the compactor.
pub(crate) struct Shared {
    pub(crate) dir: PathBuf,
    pub(crate) db: sled::Db,
    pub(crate) options: SledLogOptions,
    pub(crate) pending: RwLock<PendingIndex>,
    /// Held in write mode while a group with rows is applied but not durable.
    pub(crate) gate: RwLock<()>,
    pub(crate) poison: Poison,
    pub(crate) counters: Counters,
    pub(crate) journal: Mutex<JournalSignal>,
    pub(crate) journal_changed: Condvar,
    pub(crate) compaction_pass: Mutex<()>,
    /// Encoded bytes of the journal index, readable without its lock.
    pub(crate) journal_bytes: AtomicU64,
    /// The last group the publisher made readable.
    pub(crate) published_group: AtomicU64,
    /// Failures the unit tests inject into the committer (compiled only in
    /// tests; a real fsync failure cannot be provoked on demand).
    #[cfg(test)]
    pub(crate) faults: faults::Faults,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) commits: AtomicU64,
    pub(crate) records: AtomicU64,
    pub(crate) row_ops: AtomicU64,
    pub(crate) bytes_written: AtomicU64,
    pub(crate) queued: AtomicU64,
    pub(crate) compactions: AtomicU64,
    pub(crate) batches: AtomicU64,
    pub(crate) syncs: AtomicU64,
    pub(crate) last_group_batches: AtomicU64,
    pub(crate) max_group_batches: AtomicU64,
    pub(crate) group_nanos: AtomicU64,
    pub(crate) apply_nanos: AtomicU64,
    pub(crate) flush_nanos: AtomicU64,
    pub(crate) sync_nanos: AtomicU64,
    pub(crate) backpressure_nanos: AtomicU64,
}

/// What the committer and the compactor tell each other.
#[derive(Debug, Default)]
pub(crate) struct JournalSignal {
    pub(crate) compact_requested: bool,
    pub(crate) shutdown: bool,
}

impl Shared {
    /// Wakes the compactor when the journal has grown past its threshold.
    pub(crate) fn request_compaction_if_due(&self) {
        if !self.options.compaction
            || self.journal_bytes.load(Ordering::Acquire) < self.options.compact_after_bytes as u64
        {
            return;
        }
        self.journal.lock().compact_requested = true;
        self.journal_changed.notify_all();
    }
}

impl SledLog {
    /// Opens (creating if needed) the log in directory `path`.
    ///
    /// Fails with [`LogError::Corrupt`] naming the file or key when the
    /// directory holds damaged or foreign data (never a panic), and with
    /// [`LogError::Io`] when the files cannot be opened (e.g. another
    /// process, or another `SledLog` in this one, holds the log: an open
    /// waits up to 2 s for the directory's lock, because sled releases it
    /// some moments after a log is dropped).
    pub fn open(path: impl AsRef<Path>, options: SledLogOptions) -> Result<SledLog, LogError> {
        open::open(path.as_ref(), options)
    }

    /// The directory the log lives in.
    pub fn path(&self) -> &Path {
        &self.shared.dir
    }

    /// Runs one compaction pass now, in the calling thread, and returns the
    /// number of records moved from the journal into chunks.
    pub fn compact_now(&self) -> Result<usize, LogError> {
        self.shared.poison.check()?;
        compactor::compact_pass(&self.shared)
    }

    /// Where the committer spent its time since open.
    pub fn commit_timings(&self) -> CommitTimings {
        let counters = &self.shared.counters;
        CommitTimings {
            groups: counters.commits.load(Ordering::Relaxed),
            group_nanos: counters.group_nanos.load(Ordering::Relaxed),
            apply_nanos: counters.apply_nanos.load(Ordering::Relaxed),
            flush_nanos: counters.flush_nanos.load(Ordering::Relaxed),
            sync_nanos: counters.sync_nanos.load(Ordering::Relaxed),
            backpressure_nanos: counters.backpressure_nanos.load(Ordering::Relaxed),
        }
    }

    /// The current size of the journal.
    pub fn journal_stats(&self) -> JournalStats {
        let pending = self.shared.pending.read();
        JournalStats {
            records: pending.records() as u64,
            bytes: pending.bytes() as u64,
            compactions: self.shared.counters.compactions.load(Ordering::Relaxed),
        }
    }
}

impl EventLog for SledLog {
    fn commit(&self, batch: WriteBatch) -> CommitTicket {
        if let Err(err) = self.shared.poison.check() {
            return CommitTicket::ready(Err(err));
        }
        let Some(queue) = &self.queue else {
            return CommitTicket::ready(Err(LogError::Closed));
        };
        // Encoding and checksumming here spreads them over the producers'
        // threads; the single committer only copies the bytes.
        let batch = match PreparedBatch::prepare(batch) {
            Ok(prepared) => prepared,
            Err(err) => return CommitTicket::ready(Err(err)),
        };
        let (ticket, notifier) = CommitTicket::pending();
        self.shared.counters.queued.fetch_add(1, Ordering::Relaxed);
        // Blocks while the queue is full: that is the back-pressure.
        if queue.send((batch, notifier)).is_err() {
            self.shared.counters.queued.fetch_sub(1, Ordering::Relaxed);
            return CommitTicket::ready(Err(LogError::Closed));
        }
        ticket
    }

    fn read_stream(
        &self,
        stream: StreamId,
        from: Seq,
        limit: usize,
    ) -> Result<Vec<Record>, LogError> {
        self.shared.read_stream(stream, from, limit)
    }

    fn last_seq(&self, stream: StreamId) -> Result<Option<Seq>, LogError> {
        self.shared.last_seq(stream)
    }

    fn get_row(&self, space: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>, LogError> {
        self.shared.get_row(space, key)
    }

    fn scan_rows(
        &self,
        space: Keyspace,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Row>, LogError> {
        self.shared.scan_rows(space, prefix, start_after, limit)
    }

    fn metrics(&self) -> LogMetrics {
        let counters = &self.shared.counters;
        LogMetrics {
            commits: counters.commits.load(Ordering::Relaxed),
            records: counters.records.load(Ordering::Relaxed),
            row_ops: counters.row_ops.load(Ordering::Relaxed),
            bytes_written: counters.bytes_written.load(Ordering::Relaxed),
            queued_batches: counters.queued.load(Ordering::Relaxed),
            disk_bytes: durable::disk_bytes(&self.shared.dir),
        }
    }

    fn stats(&self) -> LogStats {
        let counters = &self.shared.counters;
        LogStats {
            commits: counters.commits.load(Ordering::Relaxed),
            batches: counters.batches.load(Ordering::Relaxed),
            records: counters.records.load(Ordering::Relaxed),
            bytes_written: counters.bytes_written.load(Ordering::Relaxed),
            syncs: counters.syncs.load(Ordering::Relaxed),
            queued_batches: counters.queued.load(Ordering::Relaxed),
            last_group_batches: counters.last_group_batches.load(Ordering::Relaxed),
            max_group_batches: counters.max_group_batches.load(Ordering::Relaxed),
            poisoned: self.shared.poison.is_set(),
        }
    }
}

impl Drop for SledLog {
    fn drop(&mut self) {
        // Closing the queue lets the committer answer what is queued and exit.
        drop(self.queue.take());
        if let Some(committer) = self.committer.take() {
            if committer.join().is_err() {
                tracing::error!("the committer thread of the sled log panicked outside its guard");
            }
        }
        // The committer dropped its end of the publisher's channel on exit.
        if let Some(publisher) = self.publisher.take() {
            if publisher.join().is_err() {
                tracing::error!("the publisher thread of the sled log panicked");
            }
        }
        self.shared.journal.lock().shutdown = true;
        self.shared.journal_changed.notify_all();
        if let Some(compactor) = self.compactor.take() {
            if compactor.join().is_err() {
                tracing::error!("the compactor thread of the sled log panicked");
            }
        }
    }
}
