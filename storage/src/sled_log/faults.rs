//! Test-only fault injection for the committer, and the poisoning tests.

use std::sync::atomic::{AtomicBool, Ordering};

use super::committer::Failure;

/// One-shot faults the next group commit runs into.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    fail_sync: AtomicBool,
    panic: AtomicBool,
}

impl Faults {
    pub(crate) fn fail_next_sync(&self) {
        self.fail_sync.store(true, Ordering::SeqCst);
    }

    pub(crate) fn panic_next_group(&self) {
        self.panic.store(true, Ordering::SeqCst);
    }

    pub(crate) fn maybe_fail_sync(&self) -> Result<(), Failure> {
        if self.fail_sync.swap(false, Ordering::SeqCst) {
            return Err(Failure {
                cause: "fsync of the log files failed: injected EIO".to_owned(),
                rows_uncertain: true,
            });
        }
        Ok(())
    }

    pub(crate) fn maybe_panic(&self) {
        if self.panic.swap(false, Ordering::SeqCst) {
            panic!("injected committer panic");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        EventLog, Keyspace, LogError, RecordKind, Seq, SledLog, SledLogOptions, StreamId,
        WriteBatch,
    };

    fn batch(seq: u64) -> WriteBatch {
        let mut batch = WriteBatch::new();
        batch.append(StreamId(1), Seq(seq), RecordKind(0), vec![seq as u8]);
        batch.put(Keyspace(1), b"head".to_vec(), vec![seq as u8]);
        batch
    }

    fn is_poisoned(outcome: &Result<impl std::fmt::Debug, LogError>, needle: &str) -> bool {
        matches!(outcome, Err(LogError::Poisoned { cause }) if cause.contains(needle))
    }

    #[test]
    fn failed_sync_poisons_every_later_commit_and_reopen_recovers() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let log = SledLog::open(dir.path(), SledLogOptions::new()).expect("open");
        log.commit(batch(1)).wait().expect("first commit");
        log.shared.faults.fail_next_sync();
        let failed = log.commit(batch(2)).wait();
        assert!(is_poisoned(&failed, "injected EIO"), "{failed:?}");
        let later = log.commit(batch(3)).wait();
        assert!(is_poisoned(&later, "injected EIO"), "{later:?}");
        // Records: only what was acknowledged; rows: refused, since sled may
        // show the failed group's rows without their being durable.
        let records = log
            .read_stream(StreamId(1), Seq(0), 10)
            .expect("records still readable");
        assert_eq!(records.len(), 1);
        assert!(is_poisoned(
            &log.get_row(Keyspace(1), b"head"),
            "injected EIO"
        ));
        assert!(is_poisoned(&log.compact_now(), "injected EIO"));
        drop(log);
        let log = SledLog::open(dir.path(), SledLogOptions::new()).expect("reopen");
        assert!(log.last_seq(StreamId(1)).expect("last seq") >= Some(Seq(1)));
        let next = log
            .last_seq(StreamId(1))
            .expect("last seq")
            .map_or(1, |seq| seq.0 + 1);
        log.commit(batch(next))
            .wait()
            .expect("a reopened log commits again");
    }

    #[test]
    fn panicking_committer_poisons_the_log() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let log = SledLog::open(dir.path(), SledLogOptions::new()).expect("open");
        log.commit(batch(1)).wait().expect("first commit");
        log.shared.faults.panic_next_group();
        let failed = log.commit(batch(2)).wait();
        assert!(
            is_poisoned(&failed, "injected committer panic"),
            "{failed:?}"
        );
        let later = log.commit(batch(3)).wait();
        assert!(is_poisoned(&later, "panicked"), "{later:?}");
        assert_eq!(
            log.read_stream(StreamId(1), Seq(0), 10)
                .expect("records readable")
                .len(),
            1
        );
    }
}
