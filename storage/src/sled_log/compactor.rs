//! The compactor thread: moves journal blocks into per-stream chunks, off
//! the acknowledgement path.
//!
//! 1. Wait until the committer reports the journal index is over
//!    `compact_after_bytes` (or the log shuts down).
//! 2. Plan: the oldest journal blocks (up to half of `journal_bytes_max`)
//!    and, per stream, their records.
//! 3. Write ONE sled batch: a chunk `R/<stream>/<first seq>` per stream and
//!    the removal of the planned journal blocks. The batch is atomic, so a
//!    crash leaves either the blocks or the chunks. No flush here: the
//!    records were already durable in the journal, and the committer's next
//!    flush persists this batch. If the process dies first, the blocks are
//!    still there, are reloaded at open and compacted again into the same
//!    chunk keys (chunks are idempotent by key).
//! 4. Drop the planned records from the journal index (after step 3, so
//!    readers never miss them), and wake a committer waiting for room.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::guard::{guarded, sled_error};
use super::keys::{chunk_key, journal_key};
use super::Shared;
use crate::codec::encode_chunk;
use crate::error::LogError;
use crate::types::Record;

/// Runs compaction passes when asked until the log shuts down.
pub(crate) fn run(shared: Arc<Shared>) {
    loop {
        {
            let mut signal = shared.journal.lock();
            while !signal.compact_requested && !signal.shutdown {
                shared.journal_changed.wait(&mut signal);
            }
            if signal.shutdown {
                return;
            }
            signal.compact_requested = false;
        }
        if shared.poison.check().is_err() {
            continue;
        }
        if let Err(err) = compact_pass(&shared) {
            // A failed write into sled leaves its state unknown: stop
            // acknowledging, as after a failed commit.
            shared
                .poison
                .set(format!("compaction failed: {err}"), false);
        }
        shared.journal_changed.notify_all();
    }
}

/// Compacts the oldest journal blocks into chunks; returns how many records
/// moved. Passes are serialized (a late, smaller pass must never overwrite a
/// larger chunk written by a newer one).
pub(crate) fn compact_pass(shared: &Shared) -> Result<usize, LogError> {
    let _one_pass = shared.compaction_pass.lock();
    let plan = shared
        .pending
        .read()
        .plan((shared.options.journal_bytes_max / 2).max(1));
    if plan.blocks.is_empty() {
        return Ok(0);
    }
    let mut batch = sled::Batch::default();
    let mut moved = 0;
    for (stream, records) in &plan.streams {
        let refs: Vec<&Record> = records.iter().collect();
        let first = records
            .first()
            .map(|record| record.seq)
            .expect("invariant: plans hold no empty stream");
        batch.insert(&chunk_key(*stream, first)[..], encode_chunk(&refs));
        moved += records.len();
    }
    for block in &plan.blocks {
        batch.remove(&journal_key(*block)[..]);
    }
    let location = || "sled log file".to_owned();
    guarded(location, || {
        shared
            .db
            .apply_batch(batch)
            .map_err(|e| sled_error(e, "writing compacted chunks", location))
    })?;
    shared.pending.write().remove(&plan);
    shared.counters.compactions.fetch_add(1, Ordering::Relaxed);
    Ok(moved)
}
