//! The committer thread: group commit, the only writer of new records.
//!
//! 1. Block on the bounded queue for one batch, then drain every batch
//!    queued behind it: that is the group.
//! 2. If the journal index is over `journal_bytes_max`, wait for the
//!    compactor (the queue fills meanwhile, and producers block: back-pressure).
//! 3. Validate each batch's sequence numbers (against the group so far, the
//!    head cache, or a read; sizes were checked by the producer in
//!    `SledLog::commit`); a rejected batch gets its error and the rest of
//!    the group goes on without it.
//! 4. Copy the accepted records' journal entries (encoded and checksummed
//!    by their producers, `prepared.rs`) into journal blocks, and put blocks
//!    and row operations into ONE sled `Batch`. Each block's bytes are
//!    shared with the publisher's journal index, not copied (`blocks.rs`).
//! 5. Holding the visibility gate when the group writes rows: apply the
//!    batch, `Db::flush`, `fsync` sled's files; release the gate.
//! 6. Hand the group to the publisher thread (bounded channel), which adds
//!    its blocks to the journal index and then resolves every ticket, while
//!    the committer goes on with the next group (a pipeline of two). A
//!    small group with nothing queued at the publisher is published by the
//!    committer itself, which saves a thread hand-off of latency.
//! 7. Any failure or panic in 3-5 poisons the log; every ticket of the group
//!    and every later one resolves `Poisoned`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam::channel::{Receiver, Sender};

use super::blocks::{BlockAssembler, JournalBlock};
use super::durable::DurableFiles;
use super::guard::{guarded, panic_message, sled_error};
use super::keys::{journal_key, row_key};
use super::prepared::PreparedBatch;
use super::seq_cache::SeqCache;
use super::Shared;
use crate::batch::RowOp;
use crate::codec::encode_row_value;
use crate::error::LogError;
use crate::log::{CommitNotifier, CommitReceipt};
use crate::types::{Seq, StreamId};
use crate::validate::{check_sequences, BatchHeads, StreamHeads};

/// A batch waiting for the committer (encoded already by its producer),
/// with the notifier of its ticket.
pub(crate) type Queued = (PreparedBatch, CommitNotifier);

/// Largest group the committer publishes itself when the publisher is idle.
const INLINE_PUBLISH_BATCHES_MAX: usize = 256;

/// Most batches taken into one group; bounds the work between two fsyncs.
const GROUP_BATCHES_MAX: usize = 65_536;

/// Why a group could not be made durable.
pub(crate) struct Failure {
    pub(crate) cause: String,
    pub(crate) rows_uncertain: bool,
}

/// What one batch's ticket resolves to.
pub(crate) type Outcome = Result<CommitReceipt, LogError>;

/// A durable group handed to the publisher: its blocks enter the journal
/// index, then its tickets are answered.
pub(crate) struct Published {
    pub(crate) group: u64,
    pub(crate) blocks: Vec<JournalBlock>,
    pub(crate) answers: Vec<(CommitNotifier, Outcome)>,
}

/// Runs the publisher: makes each durable group readable (journal index),
/// then resolves its tickets, while the committer already works on the next
/// group. Exits when the committer is gone.
pub(crate) fn publish(shared: Arc<Shared>, groups: Receiver<Published>) {
    for published in groups {
        publish_group(&shared, published);
    }
}

/// Makes one durable group readable, then answers its tickets.
fn publish_group(shared: &Shared, published: Published) {
    {
        let mut pending = shared.pending.write();
        for block in published.blocks {
            pending.insert_block(block);
        }
        shared
            .journal_bytes
            .store(pending.bytes() as u64, Ordering::Release);
    }
    shared
        .published_group
        .store(published.group, Ordering::Release);
    shared.request_compaction_if_due();
    for (notifier, outcome) in published.answers {
        notifier.notify(outcome);
    }
}

/// State owned by the committer thread.
pub(crate) struct Committer {
    pub(crate) shared: Arc<Shared>,
    pub(crate) queue: Receiver<Queued>,
    pub(crate) files: DurableFiles,
    pub(crate) heads: SeqCache,
    pub(crate) next_block: u64,
    pub(crate) groups: u64,
    pub(crate) publish: Sender<Published>,
}

impl Committer {
    /// Runs until every sender of the queue is dropped and the queue is empty.
    pub(crate) fn run(mut self) {
        while let Ok(first) = self.queue.recv() {
            // Sized from the queue's length: `try_iter` gives no size hint,
            // and growing a vector of thousands of batches by doubling was a
            // tenth of the committer's instructions.
            let queued = self.queue.len().min(GROUP_BATCHES_MAX - 1);
            let mut group = Vec::with_capacity(queued + 1);
            group.push(first);
            group.extend(self.queue.try_iter().take(GROUP_BATCHES_MAX - 1));
            self.shared
                .counters
                .queued
                .fetch_sub(group.len() as u64, Ordering::Relaxed);
            let waited = Instant::now();
            self.wait_for_journal_room();
            let started = Instant::now();
            add_nanos(&self.shared.counters.backpressure_nanos, started - waited);
            self.commit_group(group);
            add_nanos(&self.shared.counters.group_nanos, started.elapsed());
        }
    }

    fn wait_for_journal_room(&self) {
        let shared = &self.shared;
        if !shared.options.compaction {
            return;
        }
        let mut signal = shared.journal.lock();
        while shared.journal_bytes.load(Ordering::Acquire)
            >= shared.options.journal_bytes_max as u64
            && !signal.shutdown
            && shared.poison.check().is_ok()
        {
            signal.compact_requested = true;
            shared.journal_changed.notify_all();
            shared
                .journal_changed
                .wait_for(&mut signal, Duration::from_millis(50));
        }
    }

    fn commit_group(&mut self, group: Vec<Queued>) {
        let (batches, notifiers): (Vec<PreparedBatch>, Vec<CommitNotifier>) =
            group.into_iter().unzip();
        if let Err(err) = self.shared.poison.check() {
            notifiers
                .into_iter()
                .for_each(|notifier| notifier.notify(Err(err.clone())));
            return;
        }
        let failure = match catch_unwind(AssertUnwindSafe(|| self.write_group(batches))) {
            Ok(Ok((blocks, outcomes))) => {
                let published = Published {
                    group: self.groups,
                    blocks,
                    answers: notifiers.into_iter().zip(outcomes).collect(),
                };
                // A small group with nothing ahead of it at the publisher is
                // published here: a thread hand-off would only add latency.
                let caught_up =
                    self.shared.published_group.load(Ordering::Acquire) + 1 == self.groups;
                if caught_up && published.answers.len() <= INLINE_PUBLISH_BATCHES_MAX {
                    publish_group(&self.shared, published);
                    return;
                }
                match self.publish.send(published) {
                    Ok(()) => return,
                    Err(unsent) => {
                        let failure = Failure {
                            cause: "the publisher thread stopped".to_owned(),
                            rows_uncertain: false,
                        };
                        self.shared
                            .poison
                            .set(failure.cause, failure.rows_uncertain);
                        let err = self.shared.poison.error();
                        for (notifier, _) in unsent.0.answers {
                            notifier.notify(Err(err.clone()));
                        }
                        return;
                    }
                }
            }
            Ok(Err(failure)) => failure,
            Err(panic) => Failure {
                cause: format!("the committer panicked: {}", panic_message(panic.as_ref())),
                rows_uncertain: true,
            },
        };
        self.shared
            .poison
            .set(failure.cause, failure.rows_uncertain);
        let err = self.shared.poison.error();
        notifiers
            .into_iter()
            .for_each(|notifier| notifier.notify(Err(err.clone())));
    }

    fn write_group(
        &mut self,
        batches: Vec<PreparedBatch>,
    ) -> Result<(Vec<JournalBlock>, Vec<Outcome>), Failure> {
        #[cfg(test)]
        self.shared.faults.maybe_panic();
        let mut outcomes = Vec::with_capacity(batches.len());
        let mut group_heads =
            StreamHeads::with_capacity_and_hasher(batches.len(), Default::default());
        let mut sled_batch = sled::Batch::default();
        let mut blocks =
            BlockAssembler::new(self.next_block, self.shared.options.journal_block_bytes);
        let mut row_ops = 0u64;
        let mut heads = BatchHeads::new();
        for batch in batches {
            let addresses = batch.records().map(|meta| (meta.stream, meta.seq));
            let checked = check_sequences(
                addresses,
                |stream| self.head(stream, &group_heads),
                &mut heads,
            );
            match checked {
                Err(err) => outcomes.push(Err(err)),
                Ok(()) => {
                    group_heads.extend(heads.iter().copied());
                    blocks.push_batch(&batch);
                    row_ops += batch.rows.len() as u64;
                    batch
                        .rows
                        .into_iter()
                        .for_each(|row| add_row(&mut sled_batch, row));
                    outcomes.push(Ok(()));
                }
            }
        }
        let record_count = blocks.records() as u64;
        let blocks = blocks.finish();
        let mut bytes = 0u64;
        for block in &blocks {
            bytes += block.data.len() as u64;
            sled_batch.insert(&journal_key(block.number)[..], block.data.clone());
        }
        self.next_block += blocks.len() as u64;
        let group = self.groups + 1;
        {
            let shared = Arc::clone(&self.shared);
            let _gate = (row_ops > 0).then(|| shared.gate.write());
            if record_count > 0 || row_ops > 0 {
                self.make_durable(sled_batch, row_ops > 0)?;
            }
        }
        self.groups = group;
        group_heads
            .into_iter()
            .for_each(|(stream, seq)| self.heads.insert(stream, seq));
        let counters = &self.shared.counters;
        let accepted = outcomes.iter().filter(|outcome| outcome.is_ok()).count() as u64;
        counters.batches.fetch_add(accepted, Ordering::Relaxed);
        counters
            .last_group_batches
            .store(outcomes.len() as u64, Ordering::Relaxed);
        counters
            .max_group_batches
            .fetch_max(outcomes.len() as u64, Ordering::Relaxed);
        counters.commits.fetch_add(1, Ordering::Relaxed);
        counters.records.fetch_add(record_count, Ordering::Relaxed);
        counters.row_ops.fetch_add(row_ops, Ordering::Relaxed);
        counters.bytes_written.fetch_add(bytes, Ordering::Relaxed);
        let outcomes = outcomes
            .into_iter()
            .map(|outcome| outcome.map(|()| CommitReceipt { group }))
            .collect();
        Ok((blocks, outcomes))
    }

    /// The last sequence number of `stream` before this batch.
    fn head(
        &mut self,
        stream: StreamId,
        group_heads: &StreamHeads,
    ) -> Result<Option<Seq>, LogError> {
        if let Some(seq) = group_heads.get(&stream) {
            return Ok(Some(*seq));
        }
        if let Some(seq) = self.heads.get(stream) {
            return Ok(Some(seq));
        }
        // The journal index must hold every earlier group before it can
        // answer for a stream the cache forgot.
        self.wait_until_published(self.groups);
        let seq = self.shared.last_seq(stream)?;
        if let Some(seq) = seq {
            self.heads.insert(stream, seq);
        }
        Ok(seq)
    }

    fn wait_until_published(&self, group: u64) {
        while self.shared.published_group.load(Ordering::Acquire) < group {
            if self.publish_done() {
                return; // the publisher is gone; the log is poisoned by then
            }
            std::thread::sleep(Duration::from_micros(50));
        }
    }

    fn publish_done(&self) -> bool {
        self.shared.poison.check().is_err()
    }

    fn make_durable(&mut self, sled_batch: sled::Batch, rows: bool) -> Result<(), Failure> {
        let failure = |err: LogError| Failure {
            cause: err.to_string(),
            rows_uncertain: rows,
        };
        let db = &self.shared.db;
        let counters = &self.shared.counters;
        let location = || "sled log file".to_owned();
        let started = Instant::now();
        guarded(location, || {
            db.apply_batch(sled_batch)
                .map_err(|e| sled_error(e, "applying a group", location))
        })
        .map_err(failure)?;
        let applied = Instant::now();
        guarded(location, || {
            db.flush()
                .map_err(|e| sled_error(e, "flushing a group", location))
        })
        .map_err(failure)?;
        let flushed = Instant::now();
        #[cfg(test)]
        self.shared.faults.maybe_fail_sync()?;
        self.files.sync().map_err(|err| Failure {
            cause: format!("fsync of the log files failed: {err}"),
            rows_uncertain: rows,
        })?;
        add_nanos(&counters.apply_nanos, applied - started);
        add_nanos(&counters.flush_nanos, flushed - applied);
        add_nanos(&counters.sync_nanos, flushed.elapsed());
        counters.syncs.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn add_nanos(counter: &AtomicU64, elapsed: Duration) {
    counter.fetch_add(elapsed.as_nanos() as u64, Ordering::Relaxed);
}

fn add_row(sled_batch: &mut sled::Batch, row: RowOp) {
    match row {
        RowOp::Put { space, key, value } => {
            sled_batch.insert(row_key(space, &key), encode_row_value(space, &key, &value));
        }
        RowOp::Delete { space, key } => sled_batch.remove(row_key(space, &key)),
    }
}
