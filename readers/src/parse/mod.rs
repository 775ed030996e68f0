//! Push parsers: each takes an object's decompressed bytes chunk by chunk and emits complete
//! records (items) with the position right after each, so that a reader can checkpoint after
//! any item. No parser holds more than one record (bounded by the per-record cap) plus the
//! records of the current chunk.

pub(crate) mod csv;
pub(crate) mod json_array;
mod json_text;
pub(crate) mod jsonl;

use std::collections::VecDeque;

use crate::checkpoint::FilePosition;
use crate::error::ReaderError;
use crate::item::Item;

/// One parsed item and the file position just after it.
#[derive(Debug)]
pub(crate) struct Record {
    /// The item, in the form the parser was set to produce when it read it.
    pub(crate) item: Item,
    /// Where the next record starts (offset, line, records consumed).
    pub(crate) end: FilePosition,
}

/// A push parser over one object's decompressed bytes.
pub(crate) trait RecordParser: Send {
    /// Whether later records are produced as validated text ([`Item::Raw`]) instead of
    /// `Value`s. Records already emitted keep their form.
    fn set_raw(&mut self, raw: bool);
    /// Consumes `data` (the bytes following everything fed before) and appends complete records.
    fn feed(&mut self, data: &[u8], out: &mut VecDeque<Record>) -> Result<(), ReaderError>;
    /// Called once at the end of the object: emits a last unterminated record or fails on a
    /// truncated one.
    fn finish(&mut self, out: &mut VecDeque<Record>) -> Result<(), ReaderError>;
}

/// 1-based line number after `line` plus the newlines in `bytes`.
pub(crate) fn count_lines(line: u64, bytes: &[u8]) -> u64 {
    line + memchr::memchr_iter(b'\n', bytes).count() as u64
}
