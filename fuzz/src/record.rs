//! `record_decode`: arbitrary bytes through every decoder of what the log
//! stores, the storage crate's frames and containers (behind CRC-32C) and
//! the engine's payloads and rows (behind those checksums, so fed directly).
//!
//! Properties: never a panic or an unbounded allocation; whatever decodes
//! re-encodes to something that decodes to the same value.

use shoal_engine::maprun::{decode_row, encode_row};
use shoal_engine::store::keys::parse_execution_key;
use shoal_engine::store::{
    decode_execution_row, decode_transition, encode_execution_row, encode_transition,
};
use shoal_storage::codec::{
    decode_addressed_record, decode_chunk, decode_journal_block, decode_record_frame,
    decode_row_value, encode_addressed_record, encode_row_value,
};
use shoal_storage::{Keyspace, Seq, StreamId};

/// The `record_decode` target.
pub fn record_decode(data: &[u8]) {
    storage_formats(data);
    engine_payloads(data);
}

fn storage_formats(data: &[u8]) {
    let _ = decode_record_frame(data, StreamId(7), Seq(1));
    let _ = decode_journal_block(data);
    let _ = decode_chunk(StreamId(7), Seq(1), data);
    if let Ok((record, used)) = decode_addressed_record(data) {
        assert!(used <= data.len());
        let mut again = Vec::new();
        encode_addressed_record(&mut again, &record);
        let (decoded, _) = decode_addressed_record(&again).expect("a re-encoded record decodes");
        assert_eq!(decoded, record);
    }
    let key = b"fuzz-key";
    if let Ok(value) = decode_row_value(Keyspace(3), key, data) {
        let again = encode_row_value(Keyspace(3), key, &value);
        assert_eq!(
            decode_row_value(Keyspace(3), key, &again).expect("a re-encoded row decodes"),
            value
        );
    }
}

fn engine_payloads(data: &[u8]) {
    if let Ok(record) = decode_transition(data) {
        let again = encode_transition(&record).expect("a decoded transition encodes");
        assert_eq!(
            decode_transition(&again).expect("a re-encoded transition decodes"),
            record
        );
    }
    if let Ok(row) = decode_execution_row(data, "fuzz") {
        let again = encode_execution_row(&row);
        assert_eq!(
            decode_execution_row(&again, "fuzz").expect("a re-encoded row decodes"),
            row
        );
    }
    if let Ok(row) = decode_row(data, "fuzz") {
        let again = encode_row(&row);
        assert_eq!(
            decode_row(&again, "fuzz").expect("a re-encoded map run row decodes"),
            row
        );
    }
    let _ = parse_execution_key(data);
}
