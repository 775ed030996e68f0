//! [`MemoryLog`]: the in-memory reference backend.
//!
//! It keeps the same contract as the disk backend with "durable" meaning
//! "in this process's memory": a commit is applied and acknowledged at once.
//! It is the oracle the property tests compare [`crate::SledLog`] against, and
//! a fast log for engine tests that do not exercise the disk.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::batch::{RowOp, WriteBatch};
use crate::error::LogError;
use crate::log::{CommitReceipt, CommitTicket, EventLog, LogMetrics, Row};
use crate::stats::LogStats;
use crate::types::{Keyspace, Record, Seq, StreamId};
use crate::validate::check_batch;

/// An [`EventLog`] held entirely in memory.
///
/// Clones share the same state. [`MemoryLog::reopen`] returns a fresh handle
/// onto the same state, which is what a process restart looks like for a log
/// whose every acknowledged commit is durable.
#[derive(Debug, Clone, Default)]
pub struct MemoryLog {
    state: Arc<Mutex<MemoryState>>,
}

#[derive(Debug, Default)]
struct MemoryState {
    streams: BTreeMap<StreamId, BTreeMap<Seq, Record>>,
    rows: BTreeMap<Keyspace, BTreeMap<Vec<u8>, Vec<u8>>>,
    metrics: LogMetrics,
    /// Batches acknowledged (each is its own group here).
    batches: u64,
}

impl MemoryLog {
    /// An empty log.
    pub fn new() -> MemoryLog {
        MemoryLog::default()
    }

    /// A new handle onto the same state: everything acknowledged so far is
    /// visible through it, as after reopening a disk log.
    pub fn reopen(&self) -> MemoryLog {
        MemoryLog {
            state: Arc::clone(&self.state),
        }
    }

    /// All records of every stream, in (stream, seq) order; for comparing a
    /// whole log against another in tests.
    pub fn all_records(&self) -> Vec<Record> {
        let state = self.state.lock();
        state
            .streams
            .values()
            .flat_map(|records| records.values().cloned())
            .collect()
    }

    fn apply(&self, batch: WriteBatch) -> Result<CommitReceipt, LogError> {
        let mut state = self.state.lock();
        check_batch(&batch, |stream| Ok(state.last_seq(stream)))?;
        let (records, rows) = batch.into_parts();
        let metrics = &mut state.metrics;
        metrics.commits += 1;
        metrics.records += records.len() as u64;
        metrics.row_ops += rows.len() as u64;
        metrics.bytes_written += records.iter().map(|r| r.payload.len() as u64).sum::<u64>();
        let group = metrics.commits;
        state.batches += 1;
        for record in records {
            state
                .streams
                .entry(record.stream)
                .or_default()
                .insert(record.seq, record);
        }
        for row in rows {
            match row {
                RowOp::Put { space, key, value } => {
                    state.rows.entry(space).or_default().insert(key, value);
                }
                RowOp::Delete { space, key } => {
                    if let Some(rows) = state.rows.get_mut(&space) {
                        rows.remove(&key);
                    }
                }
            }
        }
        Ok(CommitReceipt { group })
    }
}

impl MemoryState {
    fn last_seq(&self, stream: StreamId) -> Option<Seq> {
        self.streams
            .get(&stream)
            .and_then(|records| records.keys().next_back().copied())
    }
}

impl EventLog for MemoryLog {
    fn commit(&self, batch: WriteBatch) -> CommitTicket {
        CommitTicket::ready(self.apply(batch))
    }

    fn read_stream(
        &self,
        stream: StreamId,
        from: Seq,
        limit: usize,
    ) -> Result<Vec<Record>, LogError> {
        let state = self.state.lock();
        let Some(records) = state.streams.get(&stream) else {
            return Ok(Vec::new());
        };
        Ok(records
            .range(from..)
            .take(limit)
            .map(|(_, record)| record.clone())
            .collect())
    }

    fn last_seq(&self, stream: StreamId) -> Result<Option<Seq>, LogError> {
        Ok(self.state.lock().last_seq(stream))
    }

    fn get_row(&self, space: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>, LogError> {
        let state = self.state.lock();
        Ok(state
            .rows
            .get(&space)
            .and_then(|rows| rows.get(key))
            .cloned())
    }

    fn scan_rows(
        &self,
        space: Keyspace,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Row>, LogError> {
        let state = self.state.lock();
        let Some(rows) = state.rows.get(&space) else {
            return Ok(Vec::new());
        };
        let lower = match start_after {
            Some(after) if after >= prefix => Bound::Excluded(after.to_vec()),
            _ => Bound::Included(prefix.to_vec()),
        };
        Ok(rows
            .range((lower, Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix))
            .take(limit)
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect())
    }

    fn metrics(&self) -> LogMetrics {
        self.state.lock().metrics
    }

    /// Every batch is its own group and nothing is ever synced or queued.
    fn stats(&self) -> LogStats {
        let state = self.state.lock();
        let batches = state.batches;
        LogStats {
            batches,
            last_group_batches: batches.min(1),
            max_group_batches: batches.min(1),
            ..LogStats::from(state.metrics)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::RecordKind;

    #[test]
    fn reopen_sees_everything_committed() {
        let log = MemoryLog::new();
        let mut batch = WriteBatch::new();
        batch.append(StreamId(1), Seq(1), RecordKind(2), b"a".to_vec());
        batch.put(Keyspace(1), b"k".to_vec(), b"v".to_vec());
        log.commit(batch).wait().expect("memory commit");
        let reopened = log.reopen();
        assert_eq!(
            reopened
                .read_stream(StreamId(1), Seq(0), 10)
                .expect("read")
                .len(),
            1
        );
        assert_eq!(
            reopened.get_row(Keyspace(1), b"k").expect("get"),
            Some(b"v".to_vec())
        );
    }

    #[test]
    fn stats_count_acknowledged_batches_only() {
        let log = MemoryLog::new();
        assert_eq!(log.stats(), LogStats::default());
        for seq in 1..=3 {
            let mut batch = WriteBatch::new();
            batch.append(StreamId(1), Seq(seq), RecordKind(0), vec![0; 10]);
            log.commit(batch).wait().expect("memory commit");
        }
        let mut conflict = WriteBatch::new();
        conflict.append(StreamId(1), Seq(2), RecordKind(0), vec![]);
        log.commit(conflict).wait().expect_err("sequence conflict");
        let stats = log.stats();
        assert_eq!(stats.commits, 3);
        assert_eq!(stats.batches, 3);
        assert_eq!(stats.records, 3);
        assert_eq!(stats.bytes_written, 30);
        assert_eq!((stats.last_group_batches, stats.max_group_batches), (1, 1));
        assert_eq!((stats.syncs, stats.queued_batches), (0, 0));
        assert!(!stats.poisoned);
    }

    #[test]
    fn rejected_batch_applies_nothing() {
        let log = MemoryLog::new();
        let mut first = WriteBatch::new();
        first.append(StreamId(1), Seq(5), RecordKind(0), vec![]);
        log.commit(first).wait().expect("first commit");
        let mut bad = WriteBatch::new();
        bad.put(Keyspace(0), b"row".to_vec(), b"x".to_vec());
        bad.append(StreamId(2), Seq(1), RecordKind(0), vec![]);
        bad.append(StreamId(1), Seq(5), RecordKind(0), vec![]);
        let err = log.commit(bad).wait().expect_err("conflict");
        assert!(matches!(
            err,
            LogError::SequenceConflict {
                stream: StreamId(1),
                seq: Seq(5)
            }
        ));
        assert_eq!(log.get_row(Keyspace(0), b"row").expect("get"), None);
        assert_eq!(log.last_seq(StreamId(2)).expect("last"), None);
    }
}
