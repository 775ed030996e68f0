//! Model test: random appends, row puts/deletes, compactions and reboots
//! applied to a `SledLog` and to `MemoryLog` (the oracle); every outcome and,
//! after every step, the whole visible state must agree.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use shoal_storage::{
    EventLog, Keyspace, LogError, MemoryLog, RecordKind, Seq, SledLog, SledLogOptions, StreamId,
    WriteBatch,
};

const STREAMS: u64 = 4;
const SPACES: u8 = 2;

#[derive(Debug, Clone)]
enum Op {
    /// Appends `count` records to `stream`; `skip` > 0 leaves a gap, and
    /// `repeat` reuses the current head (a sequence conflict).
    Append {
        stream: u64,
        count: u64,
        skip: u64,
        repeat: bool,
        payload_len: usize,
        with_row: Option<(u8, u8)>,
    },
    Put {
        space: u8,
        key: u8,
        value: u8,
    },
    Delete {
        space: u8,
        key: u8,
    },
    Compact,
    Reboot,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..STREAMS, 1..4u64, 0..3u64, prop::bool::weighted(0.15), 0..300usize, prop::option::of((0..SPACES, 0..6u8)))
            .prop_map(|(stream, count, skip, repeat, payload_len, with_row)| Op::Append { stream, count, skip, repeat, payload_len, with_row }),
        2 => (0..SPACES, 0..6u8, any::<u8>()).prop_map(|(space, key, value)| Op::Put { space, key, value }),
        1 => (0..SPACES, 0..6u8).prop_map(|(space, key)| Op::Delete { space, key }),
        1 => Just(Op::Compact),
        1 => Just(Op::Reboot),
    ]
}

fn row_key(key: u8) -> Vec<u8> {
    vec![b'k', key]
}

fn batch_for(op: &Op, head: Option<Seq>) -> Option<WriteBatch> {
    let mut batch = WriteBatch::new();
    match op {
        Op::Append {
            stream,
            count,
            skip,
            repeat,
            payload_len,
            with_row,
        } => {
            let head = head.map_or(0, |seq| seq.0);
            let first = if *repeat && head > 0 {
                head
            } else {
                head + 1 + skip
            };
            for seq in first..first + count {
                let payload = (0..*payload_len)
                    .map(|i| (i as u64 + seq * 7 + stream) as u8)
                    .collect();
                batch.append(
                    StreamId(*stream),
                    Seq(seq),
                    RecordKind((seq % 3) as u8),
                    payload,
                );
            }
            if let Some((space, key)) = with_row {
                batch.put(
                    Keyspace(*space),
                    row_key(*key),
                    first.to_be_bytes().to_vec(),
                );
            }
        }
        Op::Put { space, key, value } => {
            batch.put(Keyspace(*space), row_key(*key), vec![*value; 3]);
        }
        Op::Delete { space, key } => {
            batch.delete(Keyspace(*space), row_key(*key));
        }
        Op::Compact | Op::Reboot => return None,
    }
    Some(batch)
}

fn same_outcome(sled: &Result<(), LogError>, memory: &Result<(), LogError>) -> bool {
    match (sled, memory) {
        (Ok(()), Ok(())) => true,
        (
            Err(LogError::SequenceConflict { stream: a, seq: b }),
            Err(LogError::SequenceConflict { stream: c, seq: d }),
        ) => a == c && b == d,
        _ => false,
    }
}

fn assert_same_state(sled: &SledLog, memory: &MemoryLog) {
    for stream in 0..STREAMS {
        let id = StreamId(stream);
        assert_eq!(
            sled.read_stream(id, Seq(0), usize::MAX).unwrap(),
            memory.read_stream(id, Seq(0), usize::MAX).unwrap()
        );
        assert_eq!(sled.last_seq(id).unwrap(), memory.last_seq(id).unwrap());
        assert_eq!(
            sled.read_stream(id, Seq(3), 2).unwrap(),
            memory.read_stream(id, Seq(3), 2).unwrap()
        );
    }
    for space in 0..SPACES {
        let space = Keyspace(space);
        assert_eq!(
            sled.scan_rows(space, b"", None, 100).unwrap(),
            memory.scan_rows(space, b"", None, 100).unwrap()
        );
        assert_eq!(
            sled.scan_rows(space, b"k", Some(b"k\x02"), 2).unwrap(),
            memory.scan_rows(space, b"k", Some(b"k\x02"), 2).unwrap()
        );
    }
}

fn options() -> SledLogOptions {
    // Tiny blocks and no background compaction: compaction happens when the
    // model says so, at chosen points between commits.
    SledLogOptions::new()
        .with_journal_block_bytes(256)
        .with_compaction(false)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn sled_log_behaves_like_the_memory_log(ops in prop::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let mut sled = SledLog::open(dir.path(), options()).unwrap();
        let memory = MemoryLog::new();
        for op in &ops {
            match op {
                Op::Reboot => {
                    drop(sled);
                    sled = SledLog::open(dir.path(), options()).unwrap();
                }
                Op::Compact => {
                    sled.compact_now().unwrap();
                }
                _ => {
                    let head = match op {
                        Op::Append { stream, .. } => memory.last_seq(StreamId(*stream)).unwrap(),
                        _ => None,
                    };
                    let batch = batch_for(op, head).unwrap();
                    let from_sled = sled.commit(batch.clone()).wait().map(|_| ());
                    let from_memory = memory.commit(batch).wait().map(|_| ());
                    prop_assert!(same_outcome(&from_sled, &from_memory), "{op:?}: sled {from_sled:?}, memory {from_memory:?}");
                }
            }
            assert_same_state(&sled, &memory);
        }
    }
}
