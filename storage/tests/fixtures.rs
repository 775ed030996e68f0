//! Golden files of format version 1 (`tests/fixtures/v1/`): bytes written
//! once (by an independent implementation of the documented layout) and
//! checked in. Every later build must decode them to exactly these values,
//! and the corrupted block to exactly this error.
#![allow(clippy::unwrap_used)]

use shoal_storage::codec::{
    decode_addressed_record, decode_chunk, decode_journal_block, CodecError,
};
use shoal_storage::{Record, RecordKind, Seq, StreamId};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/v1/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn record(stream: u64, seq: u64, kind: u8, payload: &[u8]) -> Record {
    Record {
        stream: StreamId(stream),
        seq: Seq(seq),
        kind: RecordKind(kind),
        payload: payload.to_vec(),
    }
}

fn block_records() -> Vec<Record> {
    vec![
        record(42, 1, 3, br#"{"type":"ExecutionStarted"}"#),
        record(300, 7, 1, &[0x00, 0x01, 0x02, 0xff]),
        record(42, 2, 4, b""),
    ]
}

#[test]
fn v1_record_decodes() {
    let bytes = fixture("record.bin");
    let (decoded, used) = decode_addressed_record(&bytes).unwrap();
    assert_eq!(decoded, block_records()[0]);
    assert_eq!(used, bytes.len());
}

#[test]
fn v1_journal_block_decodes() {
    assert_eq!(
        decode_journal_block(&fixture("block.bin")).unwrap(),
        block_records()
    );
}

#[test]
fn v1_chunk_decodes() {
    let expected = vec![
        record(9, 5, 2, b"first"),
        record(9, 6, 2, b"second"),
        record(9, 40, 3, b"after a gap"),
    ];
    assert_eq!(
        decode_chunk(StreamId(9), Seq(5), &fixture("chunk.bin")).unwrap(),
        expected
    );
}

#[test]
fn v1_corrupted_block_reports_the_exact_record_and_checksums() {
    // block_corrupt.bin is block.bin with bit 4 of the second record's third
    // payload byte flipped (file offset 60).
    let clean = fixture("block.bin");
    let corrupt = fixture("block_corrupt.bin");
    let differing: Vec<usize> = (0..clean.len())
        .filter(|i| clean[*i] != corrupt[*i])
        .collect();
    assert_eq!(differing, vec![60]);
    assert_eq!(
        decode_journal_block(&corrupt).unwrap_err(),
        CodecError::ChecksumMismatch {
            stream: StreamId(300),
            seq: Seq(7),
            stored: 0xa979_37b7,
            computed: 0x96bc_c636,
        }
    );
}

#[test]
fn encoder_still_writes_the_v1_bytes() {
    let mut block = shoal_storage::codec::JournalBlockBuilder::new();
    block_records().iter().for_each(|r| block.push(r));
    assert_eq!(block.finish(), fixture("block.bin"));
}
