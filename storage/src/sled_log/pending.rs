//! The journal index: records that are durable in journal blocks but not yet
//! compacted into per-stream chunks, held in memory so reads can find them.
//!
//! The committer adds a group's blocks only after the group is durable, so
//! everything here is readable. The compactor removes blocks only after
//! their records are in sled as chunks. Its size is bounded by
//! `SledLogOptions::journal_bytes_max` (the committer waits above it).

use std::collections::{BTreeMap, HashSet};

use crate::stream_hash::StreamMap;

use crate::types::{Record, Seq, StreamId};

#[derive(Debug)]
struct PendingRecord {
    record: Record,
    block: u64,
}

#[derive(Debug, Default)]
struct BlockInfo {
    streams: Vec<StreamId>,
    bytes: usize,
}

/// Records of journal blocks that still exist in sled, by stream and block.
///
/// A stream's records are a `Vec` in sequence order (they arrive in order
/// and leave from the front), not a `BTreeMap`: most streams of a map run
/// hold one or two records here, and a B-tree leaf costs ~700 bytes for
/// one entry where a `Vec` of exact capacity costs ~60.
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

impl PendingIndex {
    /// Adds the durable block `block` (encoded in `bytes` bytes) and its records.
    pub(crate) fn insert_block(&mut self, block: u64, bytes: usize, records: Vec<Record>) {
        let mut info = BlockInfo {
            streams: Vec::new(),
            bytes,
        };
        self.records += records.len();
        for record in records {
            info.streams.push(record.stream);
            let stream = self
                .streams
                .entry(record.stream)
                .or_insert_with(|| Vec::with_capacity(1));
            debug_assert!(
                stream
                    .last()
                    .is_none_or(|last| last.record.seq < record.seq),
                "journal records arrive in order"
            );
            stream.push(PendingRecord { record, block });
        }
        self.bytes += bytes;
        self.blocks.insert(block, info);
    }

    /// Up to `limit` records of `stream` with `seq >= from`, ascending.
    pub(crate) fn read(&self, stream: StreamId, from: Seq, limit: usize) -> Vec<Record> {
        let Some(records) = self.streams.get(&stream) else {
            return Vec::new();
        };
        let start = records.partition_point(|pending| pending.record.seq < from);
        records[start..]
            .iter()
            .take(limit)
            .map(|pending| pending.record.clone())
            .collect()
    }

    /// The highest sequence number of `stream` in the journal.
    pub(crate) fn last_seq(&self, stream: StreamId) -> Option<Seq> {
        self.streams
            .get(&stream)?
            .last()
            .map(|pending| pending.record.seq)
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
        let mut streams = HashSet::new();
        for (block, info) in &self.blocks {
            if !plan.blocks.is_empty() && planned_bytes + info.bytes > bytes_max {
                break;
            }
            planned_bytes += info.bytes;
            plan.blocks.push(*block);
            plan.last_block = *block;
            streams.extend(info.streams.iter().copied());
        }
        plan.streams = streams.into_iter().collect();
        plan.streams.sort_unstable();
        plan
    }

    /// The records of `stream` in blocks up to `last_block`: a prefix of
    /// the stream's journal records, since older blocks hold older records.
    pub(crate) fn records_up_to(&self, stream: StreamId, last_block: u64) -> Vec<Record> {
        let Some(records) = self.streams.get(&stream) else {
            return Vec::new();
        };
        records
            .iter()
            .take_while(|pending| pending.block <= last_block)
            .map(|pending| pending.record.clone())
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
                self.bytes -= info.bytes;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::RecordKind;

    fn record(stream: u64, seq: u64) -> Record {
        Record {
            stream: StreamId(stream),
            seq: Seq(seq),
            kind: RecordKind(0),
            payload: vec![seq as u8],
        }
    }

    #[test]
    fn compaction_takes_the_oldest_blocks_and_keeps_newer_records() {
        let mut index = PendingIndex::default();
        index.insert_block(1, 10, vec![record(1, 1), record(2, 1)]);
        index.insert_block(2, 10, vec![record(1, 2)]);
        let plan = index.plan(10);
        assert_eq!(plan.blocks, vec![1]);
        assert_eq!(plan.streams, vec![StreamId(1), StreamId(2)]);
        assert_eq!(
            index.records_up_to(StreamId(1), plan.last_block),
            vec![record(1, 1)]
        );
        index.remove_records(&plan.streams, plan.last_block);
        index.remove_blocks(&plan.blocks);
        assert_eq!(index.read(StreamId(1), Seq(0), 10), vec![record(1, 2)]);
        assert_eq!(index.last_seq(StreamId(2)), None);
        assert_eq!((index.bytes(), index.records()), (10, 1));
    }
}
