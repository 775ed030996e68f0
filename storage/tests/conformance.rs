//! One conformance suite for every [`EventLog`] backend: each generic test
//! below runs against `MemoryLog` (the reference), `SledLog`, and `SledLog`
//! with a compactor that runs after every few bytes (so reads merge the
//! journal with compacted chunks). The fault-injecting wrapper `FaultyLog`
//! runs it too, with no faults: around `SledLog`, and around `MemoryLog`
//! with every group commit delayed (a delay must not change any outcome).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use shoal_storage::fault::{FaultPlan, FaultyLog};
use shoal_storage::{
    EventLog, Keyspace, LogError, MemoryLog, Record, RecordKind, Seq, SledLog, SledLogOptions,
    StreamId, WriteBatch,
};

/// A backend under test that can be "rebooted".
trait Harness {
    type Log: EventLog;
    fn log(&self) -> &Arc<Self::Log>;
    /// Drops the log and opens it again on the same state.
    fn reopen(&mut self);
}

struct Memory(Arc<MemoryLog>);

impl Harness for Memory {
    type Log = MemoryLog;
    fn log(&self) -> &Arc<MemoryLog> {
        &self.0
    }
    fn reopen(&mut self) {
        let next = self.0.reopen();
        self.0 = Arc::new(next);
    }
}

struct Sled {
    dir: tempfile::TempDir,
    options: SledLogOptions,
    log: Option<Arc<SledLog>>,
}

impl Sled {
    fn new(options: SledLogOptions) -> Sled {
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(SledLog::open(dir.path(), options.clone()).unwrap());
        Sled {
            dir,
            options,
            log: Some(log),
        }
    }
}

impl Harness for Sled {
    type Log = SledLog;
    fn log(&self) -> &Arc<SledLog> {
        self.log.as_ref().unwrap()
    }
    fn reopen(&mut self) {
        let log = self.log.take().unwrap();
        drop(Arc::into_inner(log).expect("tests hold no other handle across a reopen"));
        self.log = Some(Arc::new(
            SledLog::open(self.dir.path(), self.options.clone()).unwrap(),
        ));
    }
}

/// `FaultyLog` with a plan that injects no failure, around `SledLog` or
/// `MemoryLog`.
struct Faulty<L: EventLog> {
    plan: FaultPlan,
    open: Box<dyn Fn(Option<L>) -> L>,
    log: Option<Arc<FaultyLog<L>>>,
}

impl<L: EventLog> Faulty<L> {
    fn new(plan: FaultPlan, open: Box<dyn Fn(Option<L>) -> L>) -> Faulty<L> {
        let log = FaultyLog::new(open(None), plan.clone()).unwrap();
        Faulty {
            plan,
            open,
            log: Some(Arc::new(log)),
        }
    }
}

impl<L: EventLog> Harness for Faulty<L> {
    type Log = FaultyLog<L>;
    fn log(&self) -> &Arc<FaultyLog<L>> {
        self.log.as_ref().unwrap()
    }
    fn reopen(&mut self) {
        let log = self.log.take().unwrap();
        let log = Arc::into_inner(log).expect("tests hold no other handle across a reopen");
        assert!(!log.is_poisoned());
        // Reopening the inner log needs the old one gone (sled locks its
        // directory); `open` gets it to take what it needs and drop it.
        let inner = (self.open)(Some(log.into_inner()));
        self.log = Some(Arc::new(FaultyLog::new(inner, self.plan.clone()).unwrap()));
    }
}

fn faulty_sled() -> Faulty<SledLog> {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let open = move |old: Option<SledLog>| {
        drop(old);
        SledLog::open(dir.path(), SledLogOptions::new()).unwrap()
    };
    Faulty::new(FaultPlan::new().with_seed(1), Box::new(open))
}

fn faulty_memory_delayed() -> Faulty<MemoryLog> {
    let open = |old: Option<MemoryLog>| old.map(|log| log.reopen()).unwrap_or_default();
    let plan = FaultPlan::new().with_commit_delay(std::time::Duration::from_micros(200));
    Faulty::new(plan, Box::new(open))
}

fn memory() -> Memory {
    Memory(Arc::new(MemoryLog::new()))
}

fn sled() -> Sled {
    Sled::new(SledLogOptions::new())
}

fn sled_compacting() -> Sled {
    Sled::new(
        SledLogOptions::new()
            .with_compact_after_bytes(1)
            .with_journal_block_bytes(256),
    )
}

fn record(stream: u64, seq: u64) -> Record {
    Record {
        stream: StreamId(stream),
        seq: Seq(seq),
        kind: RecordKind((seq % 7) as u8),
        payload: format!("payload of {stream}/{seq}").into_bytes(),
    }
}

fn commit_records(log: &impl EventLog, records: &[Record]) -> Result<(), LogError> {
    let mut batch = WriteBatch::new();
    for r in records {
        batch.append(r.stream, r.seq, r.kind, r.payload.clone());
    }
    log.commit(batch).wait().map(|_| ())
}

fn read_all(log: &impl EventLog, stream: u64) -> Vec<Record> {
    log.read_stream(StreamId(stream), Seq(0), usize::MAX)
        .unwrap()
}

fn round_trip(h: impl Harness) {
    let records = vec![record(1, 1), record(2, 1), record(1, 2), record(1, 3)];
    commit_records(h.log().as_ref(), &records).unwrap();
    assert_eq!(
        read_all(h.log().as_ref(), 1),
        vec![record(1, 1), record(1, 2), record(1, 3)]
    );
    assert_eq!(read_all(h.log().as_ref(), 2), vec![record(2, 1)]);
    assert_eq!(read_all(h.log().as_ref(), 3), vec![]);
    assert_eq!(h.log().last_seq(StreamId(1)).unwrap(), Some(Seq(3)));
    assert_eq!(h.log().last_seq(StreamId(3)).unwrap(), None);
}

fn ordering_across_commits_and_gaps(h: impl Harness) {
    let log = h.log().as_ref();
    for seq in [1, 2, 5, 9, 10, 100] {
        commit_records(log, &[record(7, seq)]).unwrap();
    }
    let seqs: Vec<u64> = read_all(log, 7).iter().map(|r| r.seq.0).collect();
    assert_eq!(seqs, vec![1, 2, 5, 9, 10, 100]);
}

fn paging_with_from_and_limit(h: impl Harness) {
    let log = h.log().as_ref();
    let all: Vec<Record> = (1..=120).map(|seq| record(3, seq * 2)).collect();
    for part in all.chunks(17) {
        commit_records(log, part).unwrap();
    }
    let mut paged = Vec::new();
    let mut from = Seq(0);
    loop {
        let page = log.read_stream(StreamId(3), from, 13).unwrap();
        assert!(page.len() <= 13);
        let Some(last) = page.last() else { break };
        from = Seq(last.seq.0 + 1);
        paged.extend(page);
    }
    assert_eq!(paged, all);
    // `from` between two sequence numbers starts at the next one.
    assert_eq!(
        log.read_stream(StreamId(3), Seq(51), 2).unwrap(),
        vec![record(3, 52), record(3, 54)]
    );
    assert_eq!(log.read_stream(StreamId(3), Seq(1), 0).unwrap(), vec![]);
    assert_eq!(log.read_stream(StreamId(3), Seq(241), 5).unwrap(), vec![]);
}

fn records_and_rows_commit_together(h: impl Harness) {
    let log = h.log().as_ref();
    let mut batch = WriteBatch::new();
    batch.append(StreamId(1), Seq(1), RecordKind(1), b"started".to_vec());
    batch.put(Keyspace(1), b"exec/1".to_vec(), b"RUNNING".to_vec());
    log.commit(batch).wait().unwrap();
    assert_eq!(
        log.get_row(Keyspace(1), b"exec/1").unwrap(),
        Some(b"RUNNING".to_vec())
    );

    // A batch with a sequence conflict applies neither its records nor its rows.
    let mut bad = WriteBatch::new();
    bad.put(Keyspace(1), b"exec/1".to_vec(), b"SUCCEEDED".to_vec());
    bad.put(Keyspace(1), b"exec/2".to_vec(), b"RUNNING".to_vec());
    bad.append(StreamId(2), Seq(1), RecordKind(1), b"other".to_vec());
    bad.append(StreamId(1), Seq(1), RecordKind(1), b"again".to_vec());
    let err = log.commit(bad).wait().unwrap_err();
    assert!(matches!(
        err,
        LogError::SequenceConflict {
            stream: StreamId(1),
            seq: Seq(1)
        }
    ));
    assert_eq!(
        log.get_row(Keyspace(1), b"exec/1").unwrap(),
        Some(b"RUNNING".to_vec())
    );
    assert_eq!(log.get_row(Keyspace(1), b"exec/2").unwrap(), None);
    assert_eq!(read_all(log, 2), vec![]);
    assert_eq!(read_all(log, 1).len(), 1);
}

fn sequence_conflicts_are_rejected_wholly(mut h: impl Harness) {
    commit_records(h.log().as_ref(), &[record(5, 10)]).unwrap();
    let cases: Vec<(Vec<Record>, u64)> = vec![
        (vec![record(5, 10)], 10),                // repeats the head
        (vec![record(5, 9)], 9),                  // below the head
        (vec![record(5, 12), record(5, 11)], 11), // decreasing within the batch
        (vec![record(6, 1), record(6, 1)], 1),    // repeated within the batch
    ];
    for round in 0..2 {
        for (records, seq) in &cases {
            let err = commit_records(h.log().as_ref(), records).unwrap_err();
            assert!(
                matches!(err, LogError::SequenceConflict { seq: Seq(s), .. } if s == *seq),
                "round {round}: {err}"
            );
        }
        assert_eq!(read_all(h.log().as_ref(), 5), vec![record(5, 10)]);
        assert_eq!(read_all(h.log().as_ref(), 6), vec![]);
        h.reopen(); // the second round checks against the reopened (cold) log
    }
    commit_records(h.log().as_ref(), &[record(5, 11)]).unwrap();
}

fn conflicting_batch_does_not_stop_its_group(h: impl Harness) {
    let log = h.log().clone();
    commit_records(log.as_ref(), &[record(1, 1)]).unwrap();
    // Queue several batches at once so they share a group commit.
    let tickets: Vec<_> = (0..20u64)
        .map(|i| {
            let mut batch = WriteBatch::new();
            let (stream, seq) = if i == 7 { (1, 1) } else { (100 + i, 1) };
            batch.append(StreamId(stream), Seq(seq), RecordKind(0), vec![i as u8]);
            batch.put(
                Keyspace(2),
                format!("row{i:02}").into_bytes(),
                vec![i as u8],
            );
            log.commit(batch)
        })
        .collect();
    for (i, ticket) in tickets.into_iter().enumerate() {
        let outcome = ticket.wait();
        assert_eq!(outcome.is_err(), i == 7, "batch {i}: {outcome:?}");
    }
    let rows = log.scan_rows(Keyspace(2), b"row", None, 100).unwrap();
    assert_eq!(rows.len(), 19);
    assert!(rows.iter().all(|(key, _)| key != b"row07"));
}

fn rows_put_delete_and_scan(h: impl Harness) {
    let log = h.log().as_ref();
    let mut batch = WriteBatch::new();
    for key in ["a/1", "a/2", "a/3", "b/1", "a"] {
        batch.put(
            Keyspace(1),
            key.as_bytes().to_vec(),
            format!("v{key}").into_bytes(),
        );
    }
    batch.put(Keyspace(2), b"a/1".to_vec(), b"other space".to_vec());
    batch.put(Keyspace(1), b"a/3".to_vec(), b"overwritten".to_vec()); // later op wins
    batch.delete(Keyspace(1), b"missing".to_vec()); // deleting an absent row is fine
    log.commit(batch).wait().unwrap();

    let keys = |rows: Vec<(Vec<u8>, Vec<u8>)>| {
        rows.into_iter()
            .map(|(k, _)| String::from_utf8(k).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(log.scan_rows(Keyspace(1), b"a/", None, 10).unwrap()),
        ["a/1", "a/2", "a/3"]
    );
    assert_eq!(
        keys(log.scan_rows(Keyspace(1), b"", None, 10).unwrap()),
        ["a", "a/1", "a/2", "a/3", "b/1"]
    );
    assert_eq!(
        keys(log.scan_rows(Keyspace(1), b"a/", Some(b"a/1"), 1).unwrap()),
        ["a/2"]
    );
    assert_eq!(
        keys(log.scan_rows(Keyspace(1), b"a/", Some(b"a/3"), 10).unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        keys(log.scan_rows(Keyspace(1), b"b", Some(b"a/9"), 10).unwrap()),
        ["b/1"]
    );
    assert_eq!(
        log.get_row(Keyspace(1), b"a/3").unwrap(),
        Some(b"overwritten".to_vec())
    );
    assert_eq!(
        log.get_row(Keyspace(2), b"a/1").unwrap(),
        Some(b"other space".to_vec())
    );
    assert_eq!(log.scan_rows(Keyspace(3), b"", None, 10).unwrap(), vec![]);

    let mut batch = WriteBatch::new();
    batch.delete(Keyspace(1), b"a/2".to_vec());
    batch.put(Keyspace(1), b"a/4".to_vec(), Vec::new());
    log.commit(batch).wait().unwrap();
    assert_eq!(log.get_row(Keyspace(1), b"a/2").unwrap(), None);
    assert_eq!(log.get_row(Keyspace(1), b"a/4").unwrap(), Some(Vec::new()));
    assert_eq!(
        keys(log.scan_rows(Keyspace(1), b"a/", None, 10).unwrap()),
        ["a/1", "a/3", "a/4"]
    );
}

fn reopen_preserves_everything_acknowledged(mut h: impl Harness) {
    let mut expected = Vec::new();
    for seq in 1..=300u64 {
        let batch_records = vec![record(seq % 5, seq), record(1000, seq)];
        commit_records(h.log().as_ref(), &batch_records).unwrap();
        expected.extend(batch_records);
        if seq % 100 == 0 {
            let mut rows = WriteBatch::new();
            rows.put(
                Keyspace(9),
                seq.to_be_bytes().to_vec(),
                b"checkpoint".to_vec(),
            );
            h.log().commit(rows).wait().unwrap();
        }
    }
    for _ in 0..2 {
        h.reopen();
        for stream in [0, 1, 2, 3, 4, 1000] {
            let want: Vec<Record> = expected
                .iter()
                .filter(|r| r.stream.0 == stream)
                .cloned()
                .collect();
            assert_eq!(read_all(h.log().as_ref(), stream), want, "stream {stream}");
            assert_eq!(
                h.log().last_seq(StreamId(stream)).unwrap(),
                want.last().map(|r| r.seq)
            );
        }
        assert_eq!(
            h.log().scan_rows(Keyspace(9), b"", None, 10).unwrap().len(),
            3
        );
    }
    commit_records(h.log().as_ref(), &[record(1000, 301)]).unwrap();
    assert!(matches!(
        commit_records(h.log().as_ref(), &[record(1000, 301)]),
        Err(LogError::SequenceConflict { .. })
    ));
}

fn many_tasks_commit_at_once(h: impl Harness) {
    const TASKS: u64 = 64;
    const COMMITS: u64 = 40;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let log = h.log().clone();
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for stream in 0..TASKS {
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                for seq in 1..=COMMITS {
                    let mut batch = WriteBatch::new();
                    let r = record(stream, seq);
                    batch.append(r.stream, r.seq, r.kind, r.payload);
                    batch.put(
                        Keyspace(4),
                        stream.to_be_bytes().to_vec(),
                        seq.to_be_bytes().to_vec(),
                    );
                    log.commit(batch).await.unwrap();
                    // Acknowledged means readable.
                    assert_eq!(log.last_seq(StreamId(stream)).unwrap(), Some(Seq(seq)));
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
    for stream in 0..TASKS {
        let want: Vec<Record> = (1..=COMMITS).map(|seq| record(stream, seq)).collect();
        assert_eq!(read_all(log.as_ref(), stream), want);
        let row = log.get_row(Keyspace(4), &stream.to_be_bytes()).unwrap();
        assert_eq!(row, Some(COMMITS.to_be_bytes().to_vec()));
    }
    let metrics = log.metrics();
    assert!(metrics.records >= TASKS * COMMITS, "{metrics:?}");
    assert!(
        metrics.commits >= 1 && metrics.commits <= TASKS * COMMITS,
        "{metrics:?}"
    );
}

fn oversized_payload_is_rejected(h: impl Harness) {
    let mut batch = WriteBatch::new();
    batch.append(
        StreamId(1),
        Seq(1),
        RecordKind(0),
        vec![0; shoal_storage::RECORD_PAYLOAD_BYTES_MAX + 1],
    );
    let err = h.log().commit(batch).wait().unwrap_err();
    assert!(matches!(err, LogError::TooLarge { .. }));
    assert_eq!(h.log().last_seq(StreamId(1)).unwrap(), None);
}

macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        mod memory_log {
            $( #[test] fn $test() { super::$test(super::memory()) } )*
        }
        mod sled_log {
            $( #[test] fn $test() { super::$test(super::sled()) } )*
        }
        mod sled_log_compacting {
            $( #[test] fn $test() { super::$test(super::sled_compacting()) } )*
        }
        mod faulty_sled_log {
            $( #[test] fn $test() { super::$test(super::faulty_sled()) } )*
        }
        mod faulty_memory_log_delayed {
            $( #[test] fn $test() { super::$test(super::faulty_memory_delayed()) } )*
        }
    };
}

conformance!(
    round_trip,
    ordering_across_commits_and_gaps,
    paging_with_from_and_limit,
    records_and_rows_commit_together,
    sequence_conflicts_are_rejected_wholly,
    conflicting_batch_does_not_stop_its_group,
    rows_put_delete_and_scan,
    reopen_preserves_everything_acknowledged,
    many_tasks_commit_at_once,
    oversized_payload_is_rejected,
);
