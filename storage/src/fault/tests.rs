//! Unit tests of each fault kind, on the in-memory and the sled backends.

use std::time::{Duration, Instant};

use super::{FaultKind, FaultPlan, FaultyLog, InjectedFault};
use crate::{
    EventLog, Keyspace, LogError, MemoryLog, RecordKind, Seq, SledLog, SledLogOptions, StreamId,
    WriteBatch,
};

const ROWS: Keyspace = Keyspace(2);

/// Record `seq` of stream 1 and the row `head` = seq.
fn batch(seq: u64) -> WriteBatch {
    let mut batch = WriteBatch::new();
    batch.append(StreamId(1), Seq(seq), RecordKind(0), vec![seq as u8; 3]);
    batch.put(ROWS, b"head".to_vec(), vec![seq as u8]);
    batch
}

fn poisoned_by(outcome: &Result<impl std::fmt::Debug, LogError>, needle: &str) -> bool {
    matches!(outcome, Err(LogError::Poisoned { cause }) if cause.contains(needle))
}

fn seqs(log: &impl EventLog) -> Vec<u64> {
    log.read_stream(StreamId(1), Seq(0), usize::MAX)
        .expect("records readable")
        .iter()
        .map(|record| record.seq.0)
        .collect()
}

#[test]
fn a_write_failure_drops_the_batch_and_poisons_every_later_commit() {
    let memory = MemoryLog::new();
    let plan = FaultPlan::new().with_write_failure_at(3);
    let log = FaultyLog::new(memory.reopen(), plan).expect("wrapper starts");
    for seq in 1..=2 {
        log.commit(batch(seq)).wait().expect("before the fault");
    }
    let failed = log.commit(batch(3)).wait();
    assert!(
        poisoned_by(&failed, "injected write failure at commit 3"),
        "{failed:?}"
    );
    let later = log.commit(batch(4)).wait();
    assert!(poisoned_by(&later, "commit 3"), "{later:?}");
    assert_eq!(
        log.injected(),
        Some(InjectedFault {
            commit: 3,
            kind: FaultKind::Write
        })
    );
    // Reads serve what is durable; nothing of the failed batch got through.
    assert_eq!(seqs(&log), [1, 2]);
    assert_eq!(
        log.get_row(ROWS, b"head").expect("rows readable"),
        Some(vec![2])
    );
    assert_eq!(log.last_seq(StreamId(1)).expect("last"), Some(Seq(2)));
    assert_eq!(seqs(&memory), [1, 2]);
    assert_eq!(log.commits_numbered(), 3);
    assert!(log.stats().poisoned);
    assert!(!memory.stats().poisoned);
}

#[test]
fn a_sync_failure_hands_the_batch_on_hides_it_and_reopen_may_show_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let sled = SledLog::open(dir.path(), SledLogOptions::new()).expect("open");
    let log = FaultyLog::new(sled, FaultPlan::new().with_sync_failure_at(2)).expect("wrapper");
    log.commit(batch(1)).wait().expect("first commit");
    let failed = log.commit(batch(2)).wait();
    assert!(
        poisoned_by(&failed, "injected sync failure at commit 2"),
        "{failed:?}"
    );
    assert!(poisoned_by(&log.commit(batch(3)).wait(), "commit 2"));
    // The failed batch reached the inner log but is not acknowledged: reads
    // through the wrapper hide its record and refuse rows, as SledLog does.
    assert_eq!(seqs(log.inner()), [1, 2]);
    assert_eq!(seqs(&log), [1]);
    assert_eq!(log.last_seq(StreamId(1)).expect("last"), Some(Seq(1)));
    assert!(poisoned_by(&log.get_row(ROWS, b"head"), "commit 2"));
    assert!(poisoned_by(&log.scan_rows(ROWS, b"", None, 10), "commit 2"));
    drop(log);
    // Its durability was unknown; with this wrapper it is present.
    let reopened = SledLog::open(dir.path(), SledLogOptions::new()).expect("reopen");
    assert_eq!(seqs(&reopened), [1, 2]);
    assert_eq!(reopened.get_row(ROWS, b"head").expect("row"), Some(vec![2]));
    reopened
        .commit(batch(3))
        .wait()
        .expect("a reopened log commits");
}

#[test]
fn a_sync_failure_without_rows_leaves_rows_readable() {
    let log = FaultyLog::new(MemoryLog::new(), FaultPlan::new().with_sync_failure_at(2))
        .expect("wrapper");
    log.commit(batch(1)).wait().expect("first commit");
    let mut records_only = WriteBatch::new();
    records_only.append(StreamId(1), Seq(2), RecordKind(0), vec![2]);
    records_only.append(StreamId(9), Seq(5), RecordKind(0), vec![5]);
    assert!(poisoned_by(&log.commit(records_only).wait(), "sync"));
    assert_eq!(log.get_row(ROWS, b"head").expect("rows"), Some(vec![1]));
    assert_eq!(seqs(&log), [1]);
    assert_eq!(log.last_seq(StreamId(9)).expect("last"), None);
    assert_eq!(
        log.inner().last_seq(StreamId(9)).expect("last"),
        Some(Seq(5))
    );
}

#[test]
fn probabilistic_failures_fire_at_the_planned_commit() {
    let plan = FaultPlan::new()
        .with_seed(42)
        .with_failure_probability(0.05, FaultKind::Write);
    let first = (1..).find(|n| plan.decide(*n).is_some()).expect("p > 0");
    let log = FaultyLog::new(MemoryLog::new(), plan).expect("wrapper");
    let mut acknowledged = 0;
    for seq in 1..=first + 5 {
        match log.commit(batch(seq)).wait() {
            Ok(_) => acknowledged += 1,
            Err(err) => {
                assert!(matches!(err, LogError::Poisoned { .. }), "{err}");
            }
        }
    }
    assert_eq!(acknowledged, first - 1);
    assert_eq!(log.injected().map(|fault| fault.commit), Some(first));
}

#[test]
fn validation_errors_pass_through_without_poisoning() {
    let log = FaultyLog::new(MemoryLog::new(), FaultPlan::new()).expect("wrapper");
    log.commit(batch(1)).wait().expect("first commit");
    let conflict = log.commit(batch(1)).wait();
    assert!(
        matches!(conflict, Err(LogError::SequenceConflict { .. })),
        "{conflict:?}"
    );
    assert!(!log.is_poisoned());
    log.commit(batch(2)).wait().expect("later commits go on");
}

#[test]
fn delayed_commits_take_at_least_the_delay_and_queue_meanwhile() {
    let delay = Duration::from_millis(30);
    let plan = FaultPlan::new().with_commit_delay(delay);
    let log = FaultyLog::new(MemoryLog::new(), plan).expect("wrapper");
    let started = Instant::now();
    log.commit(batch(1)).wait().expect("delayed commit");
    assert!(started.elapsed() >= delay);
    let tickets: Vec<_> = (2..=40).map(|seq| log.commit(batch(seq))).collect();
    for ticket in tickets {
        ticket.wait().expect("delayed commits succeed");
    }
    assert_eq!(seqs(&log).len(), 40);
    assert!(log.queued_batches_peak() >= 1);
    assert_eq!(log.metrics().queued_batches, 0);
    assert_eq!(log.stats().queued_batches, 0);
    assert!(!log.stats().poisoned);
}

#[test]
fn a_full_queue_blocks_the_producer_instead_of_growing() {
    let plan = FaultPlan::new()
        .with_commit_delay(Duration::from_millis(5))
        .with_queue_batches_max(4);
    let log = FaultyLog::new(MemoryLog::new(), plan).expect("wrapper");
    let tickets: Vec<_> = (1..=50).map(|seq| log.commit(batch(seq))).collect();
    for ticket in tickets {
        ticket.wait().expect("every commit answered");
    }
    // Queue (4), plus the one send that waits for room, plus one batch the
    // forwarder has taken but not yet counted out (its `recv` and the
    // decrement are two steps; on a loaded machine the producer's next
    // commit can count itself in between).
    assert!(
        log.queued_batches_peak() <= 6,
        "{}",
        log.queued_batches_peak()
    );
    assert_eq!(seqs(&log).len(), 50);
}

#[test]
fn acknowledged_batches_are_recorded_only_when_asked() {
    let plan = FaultPlan::new()
        .with_write_failure_at(3)
        .with_acknowledged_batches_recorded(true);
    let log = FaultyLog::new(MemoryLog::new(), plan).expect("wrapper");
    for seq in 1..=4 {
        let _ = log.commit(batch(seq)).wait();
    }
    assert_eq!(log.acknowledged(), vec![batch(1), batch(2)]);
    let quiet = FaultyLog::new(MemoryLog::new(), FaultPlan::new()).expect("wrapper");
    quiet.commit(batch(1)).wait().expect("commit");
    assert!(quiet.acknowledged().is_empty());
}

#[test]
fn dropping_the_wrapper_answers_every_queued_ticket() {
    let plan = FaultPlan::new().with_commit_delay(Duration::from_millis(20));
    let log = FaultyLog::new(MemoryLog::new(), plan).expect("wrapper");
    let tickets: Vec<_> = (1..=5).map(|seq| log.commit(batch(seq))).collect();
    drop(log);
    for ticket in tickets {
        ticket.wait().expect("answered before the forwarder exits");
    }
}
