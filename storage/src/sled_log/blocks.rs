//! Assembling a group's journal blocks from entries its producers encoded.
//!
//! A block's bytes are built once and then shared, not copied: the same
//! reference-counted `IVec` becomes sled's value and the journal index's
//! copy of the records, and the compactor later copies record
//! frames out of it unchanged into chunks.

use sled::IVec;

use super::prepared::PreparedBatch;
use crate::codec::{JournalBlockBuilder, JournalEntry};

/// A journal block of one group commit, ready for sled and the index.
#[derive(Debug, Clone)]
pub(crate) struct JournalBlock {
    /// Its number, the key's `u64`.
    pub(crate) number: u64,
    /// The encoded block, exactly as stored.
    pub(crate) data: IVec,
    /// Where each record's frame lies in `data`, in block order.
    pub(crate) entries: Vec<JournalEntry>,
}

/// The `len` bytes at `offset` in `data`: a frame the index located when it
/// was encoded or verified (empty if that invariant were ever broken,
/// rather than a panic; the reader then sees an empty payload).
pub(crate) fn frame_in(data: &[u8], offset: usize, len: usize) -> &[u8] {
    debug_assert!(
        offset + len <= data.len(),
        "an indexed frame lies in its block"
    );
    data.get(offset..offset + len).unwrap_or_default()
}

/// Packs the entries of accepted batches into blocks of about `target`
/// bytes, numbered from the first free block number.
#[derive(Debug)]
pub(crate) struct BlockAssembler {
    next_number: u64,
    target: usize,
    builder: JournalBlockBuilder,
    entries: Vec<JournalEntry>,
    done: Vec<JournalBlock>,
    records: usize,
}

impl BlockAssembler {
    /// An assembler whose first block is `first_number`.
    pub(crate) fn new(first_number: u64, target: usize) -> BlockAssembler {
        BlockAssembler {
            next_number: first_number,
            target,
            builder: JournalBlockBuilder::with_capacity(target + 512),
            entries: Vec::with_capacity(target.min(1 << 16) / 128),
            done: Vec::new(),
            records: 0,
        }
    }

    /// Adds every record of `batch`; a block is closed as soon as it
    /// reaches the target size, so a block ends on a record boundary.
    pub(crate) fn push_batch(&mut self, batch: &PreparedBatch) {
        for (meta, entry) in batch.entry_slices() {
            let start = self.builder.push_encoded(entry);
            self.entries.push(JournalEntry {
                stream: meta.stream,
                seq: meta.seq,
                frame_offset: start + meta.entry_len - meta.frame_len,
                frame_len: meta.frame_len,
            });
            self.records += 1;
            if self.builder.len() >= self.target {
                self.close_block();
            }
        }
    }

    /// Records added so far.
    pub(crate) fn records(&self) -> usize {
        self.records
    }

    /// The blocks, the last one closed here if it holds any record.
    pub(crate) fn finish(mut self) -> Vec<JournalBlock> {
        if !self.builder.is_empty() {
            self.close_block();
        }
        self.done
    }

    fn close_block(&mut self) {
        // The next block likely holds about as many records as this one:
        // sizing its entry list now (with room to spare, as record sizes
        // vary) saves the reallocations of growing it.
        let expected = 2 * self.entries.len() + 8;
        let fresh = JournalBlockBuilder::with_capacity(self.target + 512);
        let data = IVec::from(std::mem::replace(&mut self.builder, fresh).finish());
        self.done.push(JournalBlock {
            number: self.next_number,
            data,
            entries: std::mem::replace(&mut self.entries, Vec::with_capacity(expected)),
        });
        self.next_number += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::WriteBatch;
    use crate::codec::decode_journal_block;
    use crate::types::{RecordKind, Seq, StreamId};

    #[test]
    fn blocks_close_at_the_target_and_locate_every_frame() {
        let mut batch = WriteBatch::new();
        for seq in 1..=10 {
            batch.append(
                StreamId(seq % 3),
                Seq(seq),
                RecordKind(1),
                vec![seq as u8; 40],
            );
        }
        let expected = batch.records().to_vec();
        let prepared = PreparedBatch::prepare(batch).expect("valid batch");
        let mut assembler = BlockAssembler::new(7, 200);
        assembler.push_batch(&prepared);
        assert_eq!(assembler.records(), 10);
        let blocks = assembler.finish();
        assert_eq!(blocks.len(), 3, "four records of ~53 bytes reach 200 bytes");
        assert_eq!(
            blocks.iter().map(|b| b.number).collect::<Vec<_>>(),
            vec![7, 8, 9]
        );
        let mut decoded = Vec::new();
        for block in &blocks {
            let records = decode_journal_block(&block.data).expect("valid block");
            for (record, entry) in records.iter().zip(&block.entries) {
                assert_eq!((record.stream, record.seq), (entry.stream, entry.seq));
                let frame = frame_in(&block.data, entry.frame_offset, entry.frame_len);
                assert!(frame.ends_with(&record.payload));
            }
            decoded.extend(records);
        }
        assert_eq!(decoded, expected);
    }
}
