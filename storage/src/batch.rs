//! [`WriteBatch`]: everything one transition changes, committed atomically.

use crate::types::{Keyspace, Record, RecordKind, Seq, StreamId};

/// A put or delete of one state row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOp {
    /// Sets `key` in `space` to `value`.
    Put {
        /// The row's keyspace.
        space: Keyspace,
        /// The row's key.
        key: Vec<u8>,
        /// The new value.
        value: Vec<u8>,
    },
    /// Removes `key` from `space`; deleting an absent row is not an error.
    Delete {
        /// The row's keyspace.
        space: Keyspace,
        /// The row's key.
        key: Vec<u8>,
    },
}

/// Records and row operations that become durable together or not at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    records: Vec<Record>,
    rows: Vec<RowOp>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> WriteBatch {
        WriteBatch::default()
    }

    /// Appends a record to `stream` at `seq`.
    pub fn append(
        &mut self,
        stream: StreamId,
        seq: Seq,
        kind: RecordKind,
        payload: Vec<u8>,
    ) -> &mut Self {
        self.records.push(Record {
            stream,
            seq,
            kind,
            payload,
        });
        self
    }

    /// Sets a state row.
    pub fn put(
        &mut self,
        space: Keyspace,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
    ) -> &mut Self {
        self.rows.push(RowOp::Put {
            space,
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// Removes a state row.
    pub fn delete(&mut self, space: Keyspace, key: impl Into<Vec<u8>>) -> &mut Self {
        self.rows.push(RowOp::Delete {
            space,
            key: key.into(),
        });
        self
    }

    /// Moves everything from `other` to the end of this batch.
    pub fn extend(&mut self, other: WriteBatch) -> &mut Self {
        self.records.extend(other.records);
        self.rows.extend(other.rows);
        self
    }

    /// The records, in append order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The row operations, in the order they were added; a later operation
    /// on the same key wins.
    pub fn rows(&self) -> &[RowOp] {
        &self.rows
    }

    /// Splits the batch into its records and row operations.
    pub fn into_parts(self) -> (Vec<Record>, Vec<RowOp>) {
        (self.records, self.rows)
    }

    /// True when the batch holds nothing.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.rows.is_empty()
    }
}
