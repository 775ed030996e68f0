//! The journal index: records that are durable in journal blocks but not yet
//! compacted into per-stream chunks, held in memory so reads can find them.
//!
//! The committer adds a group's blocks only after the group is durable, so
//! everything here is readable. The compactor removes blocks only after
//! their records are in sled as chunks. Its size is bounded by
//! `SledLogOptions::journal_bytes_max` (the committer waits above it).

use sled::IVec;
use std::collections::BTreeMap;

use super::blocks::{frame_in, JournalBlock};
use crate::codec::trusted_frame_parts;
use crate::stream_hash::{StreamMap, StreamSet};
use crate::types::{Record, Seq, StreamId};

/// One record in the index: where its frame lies in its block's bytes.
#[derive(Debug, Clone, Copy)]
struct PendingRecord {
    seq: Seq,
    block: u64,
    frame_offset: u32,
    frame_len: u32,
}

#[derive(Debug)]
struct BlockInfo {
    streams: Vec<StreamId>,
    /// The block's bytes, shared with sled's value and the compactor.
    data: IVec,
}

/// Records of journal blocks that still exist in sled, by stream and block.
///
/// The index keeps each block's encoded bytes once (the same allocation
/// sled was given) and, per stream, only where its frames lie: no per-record
/// payload allocation. A stream's records are a `Vec` in sequence order
/// (they arrive in order and leave from the front), not a `BTreeMap`: most
/// streams of a map run hold one or two records here.
#[derive(Debug, Default)]
pub(crate) struct PendingIndex {
    streams: StreamMap<Vec<PendingRecord>>,
    blocks: BTreeMap<u64, BlockInfo>,
    bytes: usize,
    records: usize,
}

/// One compaction pass's input: which blocks it retires (all numbered up
/// to `last_block`), and the streams with records in them, ascending.
#[derive(Debug, Default)]
pub(crate) struct CompactionPlan {
    pub(crate) blocks: Vec<u64>,
    pub(crate) last_block: u64,
    pub(crate) streams: Vec<StreamId>,
}

/// A record's frame for the compactor: a share of its block's bytes.
#[derive(Debug, Clone)]
pub(crate) struct FrameRef {
    pub(crate) seq: Seq,
    data: IVec,
    offset: u32,
    len: u32,
}

impl FrameRef {
    /// The record's frame, as encoded in the journal.
    pub(crate) fn frame(&self) -> &[u8] {
        frame_in(&self.data, self.offset as usize, self.len as usize)
    }
}

impl PendingIndex {
    /// Adds a durable journal block and its records.
    pub(crate) fn insert_block(&mut self, block: JournalBlock) {
        let mut streams = Vec::with_capacity(block.entries.len());
        self.records += block.entries.len();
        for entry in &block.entries {
            streams.push(entry.stream);
            let stream = self
                .streams
                .entry(entry.stream)
                .or_insert_with(|| Vec::with_capacity(1));
            debug_assert!(
                stream.last().is_none_or(|last| last.seq < entry.seq),
                "journal records arrive in order"
            );
            // Frames lie within a block, and a block is far below 4 GiB
            // (the target size plus at most one 16 MiB record).
            stream.push(PendingRecord {
                seq: entry.seq,
                block: block.number,
                frame_offset: entry.frame_offset as u32,
                frame_len: entry.frame_len as u32,
            });
        }
        self.bytes += block.data.len();
        self.blocks.insert(
            block.number,
            BlockInfo {
                streams,
                data: block.data,
            },
        );
    }

    /// Up to `limit` records of `stream` with `seq >= from`, ascending.
    pub(crate) fn read(&self, stream: StreamId, from: Seq, limit: usize) -> Vec<Record> {
        let Some(records) = self.streams.get(&stream) else {
            return Vec::new();
        };
        let start = records.partition_point(|pending| pending.seq < from);
        records[start..]
            .iter()
            .take(limit)
            .filter_map(|pending| {
                let info = self.blocks.get(&pending.block)?;
                let frame = frame_in(
                    &info.data,
                    pending.frame_offset as usize,
                    pending.frame_len as usize,
                );
                let (kind, payload) = trusted_frame_parts(frame);
                Some(Record {
                    stream,
                    seq: pending.seq,
                    kind,
                    payload: payload.to_vec(),
                })
            })
            .collect()
    }

    /// The highest sequence number of `stream` in the journal.
    pub(crate) fn last_seq(&self, stream: StreamId) -> Option<Seq> {
        self.streams.get(&stream)?.last().map(|pending| pending.seq)
    }

    /// Encoded bytes of the journal blocks indexed.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Records indexed.
    pub(crate) fn records(&self) -> usize {
        self.records
    }

    /// Plans the compaction of the oldest blocks, at most `bytes_max` of
    /// them (at least one).
    pub(crate) fn plan(&self, bytes_max: usize) -> CompactionPlan {
        let mut plan = CompactionPlan::default();
        let mut planned_bytes = 0;
        let mut streams = StreamSet::default();
        for (block, info) in &self.blocks {
            if !plan.blocks.is_empty() && planned_bytes + info.data.len() > bytes_max {
                break;
            }
            planned_bytes += info.data.len();
            plan.blocks.push(*block);
            plan.last_block = *block;
            streams.extend(info.streams.iter().copied());
        }
        plan.streams = streams.into_iter().collect();
        plan.streams.sort_unstable();
        plan
    }

    /// The frames of `stream` in blocks up to `last_block`: a prefix of the
    /// stream's journal records, since older blocks hold older records.
    pub(crate) fn frames_up_to(&self, stream: StreamId, last_block: u64) -> Vec<FrameRef> {
        let Some(records) = self.streams.get(&stream) else {
            return Vec::new();
        };
        records
            .iter()
            .take_while(|pending| pending.block <= last_block)
            .filter_map(|pending| {
                let info = self.blocks.get(&pending.block)?;
                Some(FrameRef {
                    seq: pending.seq,
                    data: info.data.clone(),
                    offset: pending.frame_offset,
                    len: pending.frame_len,
                })
            })
            .collect()
    }

    /// Forgets the records of `streams` in blocks up to `last_block`, which
    /// are now stored as chunks.
    pub(crate) fn remove_records(&mut self, streams: &[StreamId], last_block: u64) {
        for stream in streams {
            let Some(records) = self.streams.get_mut(stream) else {
                continue;
            };
            // Blocks grow with the sequence numbers, so the compacted
            // records are a prefix.
            let compacted = records.partition_point(|pending| pending.block <= last_block);
            self.records -= compacted;
            records.drain(..compacted);
            if records.is_empty() {
                self.streams.remove(stream);
            } else if records.capacity() > 2 * records.len() {
                records.shrink_to_fit();
            }
        }
    }

    /// Forgets the blocks of `plan` once their records are removed.
    pub(crate) fn remove_blocks(&mut self, blocks: &[u64]) {
        for block in blocks {
            if let Some(info) = self.blocks.remove(block) {
                self.bytes -= info.data.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::WriteBatch;
    use crate::sled_log::blocks::BlockAssembler;
    use crate::sled_log::prepared::PreparedBatch;
    use crate::types::RecordKind;

    fn record(stream: u64, seq: u64) -> Record {
        Record {
            stream: StreamId(stream),
            seq: Seq(seq),
            kind: RecordKind(0),
            payload: vec![seq as u8],
        }
    }

    /// One journal block numbered `number` holding `records`.
    fn block(number: u64, records: &[Record]) -> JournalBlock {
        let mut batch = WriteBatch::new();
        for r in records {
            batch.append(r.stream, r.seq, r.kind, r.payload.clone());
        }
        let mut assembler = BlockAssembler::new(number, 1 << 20);
        assembler.push_batch(&PreparedBatch::prepare(batch).expect("valid batch"));
        let mut blocks = assembler.finish();
        assert_eq!(blocks.len(), 1);
        blocks.remove(0)
    }

    #[test]
    fn compaction_takes_the_oldest_blocks_and_keeps_newer_records() {
        let mut index = PendingIndex::default();
        let first = block(1, &[record(1, 1), record(2, 1)]);
        let first_bytes = first.data.len();
        index.insert_block(first);
        let second = block(2, &[record(1, 2)]);
        let second_bytes = second.data.len();
        index.insert_block(second);
        let plan = index.plan(first_bytes);
        assert_eq!(plan.blocks, vec![1]);
        assert_eq!(plan.streams, vec![StreamId(1), StreamId(2)]);
        let frames = index.frames_up_to(StreamId(1), plan.last_block);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].seq, Seq(1));
        assert_eq!(trusted_frame_parts(frames[0].frame()).1, &[1u8][..]);
        index.remove_records(&plan.streams, plan.last_block);
        index.remove_blocks(&plan.blocks);
        assert_eq!(index.read(StreamId(1), Seq(0), 10), vec![record(1, 2)]);
        assert_eq!(index.last_seq(StreamId(2)), None);
        assert_eq!((index.bytes(), index.records()), (second_bytes, 1));
    }
}
