//! The record frame: one record's kind, length, checksum and payload.

use super::varint::{get_varint, put_varint};
use super::{take, CodecError, FORMAT_VERSION};
use crate::types::{Record, RecordKind, Seq, StreamId};
use crate::validate::RECORD_PAYLOAD_BYTES_MAX;

/// Bytes of a record frame before its payload.
pub const RECORD_HEADER_BYTES: usize = 10;

/// Appends the frame of `record` to `out`.
///
/// Layout (format version 1), all integers big-endian:
///
/// | offset | size | field                                                     |
/// |--------|------|-----------------------------------------------------------|
/// | 0      | 1    | format version, `1`                                       |
/// | 1      | 1    | record kind ([`RecordKind`])                              |
/// | 2      | 4    | payload length `n`, `u32`                                 |
/// | 6      | 4    | CRC32C (Castagnoli) of `stream u64 ‖ seq u64 ‖ bytes 0..6 ‖ payload` |
/// | 10     | n    | payload                                                   |
///
/// The stream and sequence number are not stored in the frame (its
/// container addresses it) but are covered by the checksum, so a frame read
/// back under the wrong address fails its check instead of being returned as
/// someone else's record.
pub fn encode_record_frame(out: &mut Vec<u8>, record: &Record) {
    assert!(
        record.payload.len() <= RECORD_PAYLOAD_BYTES_MAX,
        "invariant: the committer rejects payloads over the limit before encoding"
    );
    let start = out.len();
    out.push(FORMAT_VERSION);
    out.push(record.kind.0);
    out.extend_from_slice(&(record.payload.len() as u32).to_be_bytes());
    let crc = frame_crc(
        record.stream,
        record.seq,
        &out[start..start + 6],
        &record.payload,
    );
    out.extend_from_slice(&crc.to_be_bytes());
    out.extend_from_slice(&record.payload);
}

/// Decodes the frame at the front of `input` as the record `(stream, seq)`,
/// returning it and the bytes used. The checksum is verified.
pub fn decode_record_frame(
    input: &[u8],
    stream: StreamId,
    seq: Seq,
) -> Result<(Record, usize), CodecError> {
    let header = take(input, RECORD_HEADER_BYTES, "record header")?;
    if header[0] != FORMAT_VERSION {
        return Err(CodecError::UnsupportedVersion {
            what: "record",
            found: header[0],
        });
    }
    let len = u32::from_be_bytes([header[2], header[3], header[4], header[5]]) as usize;
    let stored = u32::from_be_bytes([header[6], header[7], header[8], header[9]]);
    let payload = take(&input[RECORD_HEADER_BYTES..], len, "record payload")?;
    let computed = frame_crc(stream, seq, &header[..6], payload);
    if stored != computed {
        return Err(CodecError::ChecksumMismatch {
            stream,
            seq,
            stored,
            computed,
        });
    }
    let record = Record {
        stream,
        seq,
        kind: RecordKind(header[1]),
        payload: payload.to_vec(),
    };
    debug_assert_eq!(
        record.payload.len(),
        len,
        "decoded payload has its declared length"
    );
    Ok((record, RECORD_HEADER_BYTES + len))
}

/// Appends a record with its address: `stream` varint ‖ `seq` varint ‖ frame.
/// This is a journal block entry and the standalone form of a record.
pub fn encode_addressed_record(out: &mut Vec<u8>, record: &Record) {
    put_varint(out, record.stream.0);
    put_varint(out, record.seq.0);
    encode_record_frame(out, record);
}

/// Decodes an addressed record from the front of `input`, returning it and
/// the bytes used.
pub fn decode_addressed_record(input: &[u8]) -> Result<(Record, usize), CodecError> {
    let (stream, stream_len) = get_varint(input, "record stream id")?;
    let (seq, seq_len) = get_varint(&input[stream_len..], "record sequence number")?;
    let used = stream_len + seq_len;
    let (record, frame_len) = decode_record_frame(&input[used..], StreamId(stream), Seq(seq))?;
    Ok((record, used + frame_len))
}

fn frame_crc(stream: StreamId, seq: Seq, header: &[u8], payload: &[u8]) -> u32 {
    let mut crc = crc32c::crc32c(&stream.0.to_be_bytes());
    crc = crc32c::crc32c_append(crc, &seq.0.to_be_bytes());
    crc = crc32c::crc32c_append(crc, header);
    crc32c::crc32c_append(crc, payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(payload: &[u8]) -> Record {
        Record {
            stream: StreamId(300),
            seq: Seq(7),
            kind: RecordKind(3),
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn addressed_record_round_trips() {
        let mut out = Vec::new();
        encode_addressed_record(&mut out, &record(b"hello"));
        let (decoded, used) = decode_addressed_record(&out).expect("valid record");
        assert_eq!(decoded, record(b"hello"));
        assert_eq!(used, out.len());
    }

    #[test]
    fn frame_under_the_wrong_address_fails_its_checksum() {
        let mut out = Vec::new();
        encode_record_frame(&mut out, &record(b"x"));
        let err = decode_record_frame(&out, StreamId(300), Seq(8)).expect_err("wrong seq");
        assert!(matches!(
            err,
            CodecError::ChecksumMismatch { seq: Seq(8), .. }
        ));
    }

    #[test]
    fn every_single_byte_flip_is_detected() {
        let mut clean = Vec::new();
        encode_addressed_record(&mut clean, &record(b"payload bytes"));
        for index in 0..clean.len() {
            let mut bad = clean.clone();
            bad[index] ^= 0x01;
            assert!(
                decode_addressed_record(&bad).is_err(),
                "flip at byte {index} went unnoticed"
            );
        }
    }
}
