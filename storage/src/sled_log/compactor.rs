//! The compactor thread: moves journal blocks into per-stream chunks, off
//! the acknowledgement path.
//!
//! 1. Wait until the committer reports the journal index is over
//!    `compact_after_bytes` (or the log shuts down).
//! 2. Plan: the oldest journal blocks (up to half of `journal_bytes_max`)
//!    and, per stream, their records.
//! 3. For each slice of 256 streams: take their planned records' frames
//!    from the index (shares of the journal blocks' bytes, no copy), write
//!    them unchanged (no re-encoding, no new checksum: a frame's CRC covers
//!    its address, not its container) as chunks `R/<stream>/<first seq>` of
//!    about 4 KiB in one sled batch, then drop those records from the index (after the write, so
//!    readers never miss them). Small batches keep sled's write lock short
//!    for the committer.
//! 4. Then remove the planned journal blocks in one sled batch, and wake a
//!    committer waiting for room.
//!
//! No flush here: the records were already durable in the journal, and the
//! committer's next flush persists these batches (sled recovers its log as a
//! prefix, so the block removal never survives without the chunks). If the
//! process dies before step 4 is durable, the blocks are still there, are
//! reloaded at open and compacted again: the stream's first journal record
//! is the same, so the chunk key is the same and the rewrite is idempotent
//! (a superset of the old chunk replaces it); reads merge duplicates.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::guard::{guarded, sled_error};
use super::keys::{chunk_key, journal_key};
use super::pending::FrameRef;
use super::Shared;
use crate::codec::{encode_chunk_from_frames, RECORD_HEADER_BYTES};
use crate::error::LogError;
use crate::types::Seq;

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

/// Target encoded size of one chunk. Like journal blocks, chunks stay small
/// enough that a sled leaf of 16 of them is under sled's 128 KiB inline
/// limit, so sled never writes them to (unsynced) blob files.
const CHUNK_BYTES_TARGET: usize = 4 * 1024;

/// Splits one stream's frames into chunks of about [`CHUNK_BYTES_TARGET`].
/// Greedy from the first record, so compacting a longer run of the same
/// records again (after a crash) yields the same chunk keys for the prefix.
fn split_chunks(frames: &[FrameRef]) -> Vec<Vec<(Seq, &[u8])>> {
    let mut pieces = Vec::new();
    let mut piece: Vec<(Seq, &[u8])> = Vec::new();
    let mut piece_bytes = 0;
    for frame in frames {
        let frame_bytes = frame.frame();
        let payload_len = frame_bytes.len().saturating_sub(RECORD_HEADER_BYTES);
        if !piece.is_empty() && piece_bytes + payload_len > CHUNK_BYTES_TARGET {
            pieces.push(std::mem::take(&mut piece));
            piece_bytes = 0;
        }
        piece_bytes += frame_bytes.len() + 2;
        piece.push((frame.seq, frame_bytes));
    }
    if !piece.is_empty() {
        pieces.push(piece);
    }
    pieces
}

/// Streams per sled batch of chunks: bounds how long one compactor write
/// holds sled's write lock, which the committer's next group waits for.
const CHUNKS_PER_BATCH: usize = 256;

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
    let location = || "sled log file".to_owned();
    let mut moved = 0;
    for streams in plan.streams.chunks(CHUNKS_PER_BATCH) {
        let mut batch = sled::Batch::default();
        for stream in streams {
            let frames = shared.pending.read().frames_up_to(*stream, plan.last_block);
            for piece in split_chunks(&frames) {
                let first = piece[0].0;
                batch.insert(
                    &chunk_key(*stream, first)[..],
                    encode_chunk_from_frames(&piece),
                );
            }
            moved += frames.len();
        }
        guarded(location, || {
            shared
                .db
                .apply_batch(batch)
                .map_err(|e| sled_error(e, "writing compacted chunks", location))
        })?;
        // The chunks are in sled: readers find these records there now.
        shared
            .pending
            .write()
            .remove_records(streams, plan.last_block);
    }
    // Blocks go last: a crash before this leaves blocks and chunks, and the
    // reopened log compacts the blocks again into the same chunk keys.
    let mut batch = sled::Batch::default();
    for block in &plan.blocks {
        batch.remove(&journal_key(*block)[..]);
    }
    guarded(location, || {
        shared
            .db
            .apply_batch(batch)
            .map_err(|e| sled_error(e, "removing compacted journal blocks", location))
    })?;
    {
        let mut pending = shared.pending.write();
        pending.remove_blocks(&plan.blocks);
        shared
            .journal_bytes
            .store(pending.bytes() as u64, Ordering::Release);
    }
    shared.counters.compactions.fetch_add(1, Ordering::Relaxed);
    Ok(moved)
}
