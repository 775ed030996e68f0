//! The oracle outside the log: [`AckTap`] wraps the child's `EventLog` and
//! writes to a side file what it was asked to commit and what was
//! acknowledged, and [`AckFile`] reads that file back in the parent.
//!
//! Side file, one line per event, each written with one `write` call:
//!
//! ```text
//! Q <batch> <stream>:<seq>:<digest> ...   queued: before the inner commit is called
//! A <batch>                               acknowledged: after its ticket resolved Ok,
//!                                         before the engine is told
//! ```
//!
//! A SIGKILL can cut the last line; a line without its newline is ignored,
//! which can only under-count acknowledgements (the safe direction).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use shoal_storage::{
    CommitTicket, EventLog, Keyspace, LogError, LogMetrics, Record, RecordKind, Row, Seq, StreamId,
    WriteBatch,
};

/// FNV-1a of a record's kind and payload: enough to see a changed record.
pub fn digest(kind: RecordKind, payload: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in std::iter::once(kind.0).chain(payload.iter().copied()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// An `EventLog` that records queued and acknowledged batches in a side file.
pub struct AckTap {
    inner: Arc<dyn EventLog>,
    side: Arc<Mutex<(File, u64)>>,
    runtime: tokio::runtime::Handle,
}

impl AckTap {
    /// Wraps `inner`, appending to `side_file`; acknowledgements are
    /// forwarded by tasks spawned on `runtime`.
    pub fn new(
        inner: Arc<dyn EventLog>,
        side_file: &Path,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(side_file)
            .expect("side file opens");
        AckTap {
            inner,
            side: Arc::new(Mutex::new((file, 0))),
            runtime,
        }
    }
}

fn write_line(side: &Mutex<(File, u64)>, line: &str) {
    let mut guard = side.lock().expect("side file lock is never poisoned");
    guard.0.write_all(line.as_bytes()).expect("side file write");
}

impl EventLog for AckTap {
    fn commit(&self, batch: WriteBatch) -> CommitTicket {
        let mut line = String::with_capacity(32 + batch.records().len() * 40);
        let number = {
            let mut guard = self.side.lock().expect("side file lock is never poisoned");
            guard.1 += 1;
            let number = guard.1;
            line.push_str(&format!("Q {number}"));
            for record in batch.records() {
                let hash = digest(record.kind, &record.payload);
                line.push_str(&format!(" {}:{}:{hash:x}", record.stream.0, record.seq.0));
            }
            line.push('\n');
            // Written under the lock so Q lines are in commit-call order.
            guard.0.write_all(line.as_bytes()).expect("side file write");
            number
        };
        let inner = self.inner.commit(batch);
        let (ticket, notifier) = CommitTicket::pending();
        let side = self.side.clone();
        self.runtime.spawn(async move {
            let outcome = inner.await;
            if outcome.is_ok() {
                write_line(&side, &format!("A {number}\n"));
            }
            notifier.notify(outcome);
        });
        ticket
    }

    fn read_stream(
        &self,
        stream: StreamId,
        from: Seq,
        limit: usize,
    ) -> Result<Vec<Record>, LogError> {
        self.inner.read_stream(stream, from, limit)
    }

    fn last_seq(&self, stream: StreamId) -> Result<Option<Seq>, LogError> {
        self.inner.last_seq(stream)
    }

    fn get_row(&self, space: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>, LogError> {
        self.inner.get_row(space, key)
    }

    fn scan_rows(
        &self,
        space: Keyspace,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Row>, LogError> {
        self.inner.scan_rows(space, prefix, start_after, limit)
    }

    fn metrics(&self) -> LogMetrics {
        self.inner.metrics()
    }
}

/// One queued batch's records: `(stream, seq) -> digest`.
pub type BatchRecords = BTreeMap<(u64, u64), u64>;

/// A side file read back: every queued batch and which were acknowledged.
#[derive(Debug, Default)]
pub struct AckFile {
    /// Queued batches by number.
    pub queued: BTreeMap<u64, BatchRecords>,
    /// Numbers of the acknowledged batches.
    pub acked: BTreeSet<u64>,
}

impl AckFile {
    /// Parses `path` (missing: empty). Cut or unparsable lines are skipped.
    pub fn read(path: &Path) -> AckFile {
        let mut file = AckFile::default();
        let Ok(text) = std::fs::read_to_string(path) else {
            return file;
        };
        for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
            let mut parts = line.trim_end().split(' ');
            let (Some(tag), Some(Ok(number))) = (parts.next(), parts.next().map(str::parse)) else {
                continue;
            };
            match tag {
                "A" => {
                    file.acked.insert(number);
                }
                "Q" => {
                    let records = parts.filter_map(parse_record).collect();
                    file.queued.insert(number, records);
                }
                _ => {}
            }
        }
        file
    }

    /// Every acknowledged record: `(stream, seq) -> digest`.
    pub fn acknowledged(&self) -> BatchRecords {
        let mut out = BatchRecords::new();
        for number in &self.acked {
            if let Some(records) = self.queued.get(number) {
                out.extend(records.iter().map(|(k, v)| (*k, *v)));
            }
        }
        out
    }

    /// Queued batches that were not acknowledged (in flight at the kill).
    pub fn in_flight(&self) -> impl Iterator<Item = &BatchRecords> {
        self.queued
            .iter()
            .filter(|(number, _)| !self.acked.contains(number))
            .map(|(_, records)| records)
    }
}

fn parse_record(text: &str) -> Option<((u64, u64), u64)> {
    let mut parts = text.split(':');
    let stream = parts.next()?.parse().ok()?;
    let seq = parts.next()?.parse().ok()?;
    let hash = u64::from_str_radix(parts.next()?, 16).ok()?;
    Some(((stream, seq), hash))
}
