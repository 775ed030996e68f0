//! Unit tests of [`SledLog`]'s `stats()`: exact counts for sequential
//! commits, consistent ones for concurrent commits, and the poisoned flag.

use std::sync::Arc;

use crate::{EventLog, LogStats, RecordKind, Seq, SledLog, SledLogOptions, StreamId, WriteBatch};

fn batch(stream: u64, seq: u64, payload_bytes: usize) -> WriteBatch {
    let mut batch = WriteBatch::new();
    batch.append(
        StreamId(stream),
        Seq(seq),
        RecordKind(0),
        vec![7; payload_bytes],
    );
    batch
}

#[test]
fn sequential_commits_are_counted_exactly() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let log = SledLog::open(dir.path(), SledLogOptions::new()).expect("open");
    assert_eq!(log.stats(), LogStats::default());
    for seq in 1..=5 {
        log.commit(batch(1, seq, 100)).wait().expect("commit");
    }
    // A rejected batch is answered but not counted as acknowledged.
    log.commit(batch(1, 3, 100))
        .wait()
        .expect_err("sequence conflict");
    let stats = log.stats();
    assert_eq!(stats.batches, 5, "{stats:?}");
    assert_eq!(stats.records, 5, "{stats:?}");
    // One commit per group; the rejected batch formed a group that wrote
    // nothing, so it needed no sync.
    assert_eq!(stats.commits, 6, "{stats:?}");
    assert_eq!(stats.syncs, 5, "{stats:?}");
    assert_eq!(stats.last_group_batches, 1, "{stats:?}");
    assert_eq!(stats.max_group_batches, 1, "{stats:?}");
    assert_eq!(stats.queued_batches, 0, "{stats:?}");
    assert!(stats.bytes_written > 500, "{stats:?}");
    assert!(!stats.poisoned);
    // `stats` agrees with the costlier `metrics`.
    let metrics = log.metrics();
    assert_eq!(
        (metrics.commits, metrics.records, metrics.bytes_written),
        (stats.commits, stats.records, stats.bytes_written)
    );
}

#[test]
fn concurrent_commits_are_grouped_and_every_batch_is_counted() {
    const THREADS: u64 = 8;
    const COMMITS: u64 = 50;
    let dir = tempfile::tempdir().expect("temporary directory");
    let log = Arc::new(SledLog::open(dir.path(), SledLogOptions::new()).expect("open"));
    let threads: Vec<_> = (0..THREADS)
        .map(|stream| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for seq in 1..=COMMITS {
                    log.commit(batch(stream, seq, 16)).wait().expect("commit");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("committing thread");
    }
    let stats = log.stats();
    assert_eq!(stats.batches, THREADS * COMMITS, "{stats:?}");
    assert_eq!(stats.records, THREADS * COMMITS, "{stats:?}");
    assert_eq!(stats.syncs, stats.commits, "every group wrote: {stats:?}");
    assert!(stats.commits <= stats.batches, "{stats:?}");
    assert!(
        (1..=THREADS).contains(&stats.max_group_batches),
        "a group holds at most one batch per waiting thread: {stats:?}"
    );
    assert!(stats.last_group_batches <= stats.max_group_batches);
    assert_eq!(stats.queued_batches, 0, "{stats:?}");
}

#[test]
fn a_failed_sync_sets_the_poisoned_flag() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let log = SledLog::open(dir.path(), SledLogOptions::new()).expect("open");
    log.commit(batch(1, 1, 8)).wait().expect("first commit");
    log.shared.faults.fail_next_sync();
    log.commit(batch(1, 2, 8)).wait().expect_err("poisoned");
    let stats = log.stats();
    assert!(stats.poisoned);
    assert_eq!((stats.batches, stats.syncs), (1, 1), "{stats:?}");
}
