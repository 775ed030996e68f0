//! [`RawSledBaseline`]: what a log costs without packing, for benchmarks.
//!
//! The same group commit as [`crate::SledLog`] (one thread drains a bounded
//! queue, applies one sled batch, `flush`es and `fsync`s the log file), but
//! each record is its own sled key `stream u64 BE ‖ seq u64 BE` holding the
//! raw payload: no journal, no checksum, no validation. `benches/log_append.rs`
//! runs it side by side with `SledLog`; it is not a log to build on.

use std::fs::File;
use std::path::Path;
use std::thread::JoinHandle;

use crossbeam::channel::{bounded, Receiver, Sender};

use crate::error::LogError;
use crate::log::{CommitNotifier, CommitReceipt, CommitTicket};
use crate::types::Record;

type Queued = (Vec<Record>, CommitNotifier);

/// Raw sled with group commit and one key per record (a benchmark baseline).
#[derive(Debug)]
pub struct RawSledBaseline {
    queue: Option<Sender<Queued>>,
    committer: Option<JoinHandle<()>>,
}

impl RawSledBaseline {
    /// Opens (creating) a sled database in `path`.
    pub fn open(path: &Path) -> Result<RawSledBaseline, LogError> {
        let io = |err: std::io::Error| LogError::Io {
            operation: "opening the raw sled baseline",
            detail: err.to_string(),
        };
        let db = sled::Config::new()
            .path(path)
            .flush_every_ms(None)
            .open()
            .map_err(|err| LogError::Io {
                operation: "opening the raw sled baseline",
                detail: err.to_string(),
            })?;
        let file = File::open(path.join("db")).map_err(io)?;
        let (sender, receiver) = bounded(65_536);
        let committer = std::thread::Builder::new()
            .name("raw-sled-committer".into())
            .spawn(move || run(db, file, receiver))
            .map_err(io)?;
        Ok(RawSledBaseline {
            queue: Some(sender),
            committer: Some(committer),
        })
    }

    /// Queues `records`; the ticket resolves once they are flushed and fsynced.
    pub fn append(&self, records: Vec<Record>) -> CommitTicket {
        let (ticket, notifier) = CommitTicket::pending();
        match &self.queue {
            Some(queue) if queue.send((records, notifier)).is_ok() => ticket,
            _ => CommitTicket::ready(Err(LogError::Closed)),
        }
    }
}

fn run(db: sled::Db, file: File, queue: Receiver<Queued>) {
    let mut group = 0;
    while let Ok(first) = queue.recv() {
        let mut queued = vec![first];
        queued.extend(queue.try_iter());
        let mut batch = sled::Batch::default();
        for (records, _) in &queued {
            for record in records {
                let mut key = [0u8; 16];
                key[..8].copy_from_slice(&record.stream.0.to_be_bytes());
                key[8..].copy_from_slice(&record.seq.0.to_be_bytes());
                batch.insert(&key[..], record.payload.as_slice());
            }
        }
        group += 1;
        let outcome = db
            .apply_batch(batch)
            .and_then(|()| db.flush().map(|_| ()))
            .map_err(|err| err.to_string())
            .and_then(|()| file.sync_all().map_err(|err| err.to_string()))
            .map(|()| CommitReceipt { group })
            .map_err(|cause| LogError::Poisoned { cause });
        for (_, notifier) in queued {
            notifier.notify(outcome.clone());
        }
    }
}

impl Drop for RawSledBaseline {
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(committer) = self.committer.take() {
            let _ = committer.join();
        }
    }
}
