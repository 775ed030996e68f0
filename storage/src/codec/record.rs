//! The record frame: one record's kind, length, checksum and payload.

use super::varint::{get_varint, put_varint, varint_len};
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
    let len = (record.payload.len() as u32).to_be_bytes();
    let header = [
        FORMAT_VERSION,
        record.kind.0,
        len[0],
        len[1],
        len[2],
        len[3],
    ];
    let crc = frame_crc(record.stream, record.seq, header, &record.payload);
    out.reserve(RECORD_HEADER_BYTES + record.payload.len());
    out.extend_from_slice(&header);
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
    let (kind, payload, used) = verify_record_frame(input, stream, seq)?;
    let record = Record {
        stream,
        seq,
        kind,
        payload: payload.to_vec(),
    };
    Ok((record, used))
}

/// Checks the frame at the front of `input` as the record `(stream, seq)`
/// (version, length, checksum) without copying it; returns its kind, its
/// payload and the frame's length.
pub(crate) fn verify_record_frame(
    input: &[u8],
    stream: StreamId,
    seq: Seq,
) -> Result<(RecordKind, &[u8], usize), CodecError> {
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
    let frame_header = [
        header[0], header[1], header[2], header[3], header[4], header[5],
    ];
    let computed = frame_crc(stream, seq, frame_header, payload);
    if stored != computed {
        return Err(CodecError::ChecksumMismatch {
            stream,
            seq,
            stored,
            computed,
        });
    }
    Ok((RecordKind(header[1]), payload, RECORD_HEADER_BYTES + len))
}

/// The kind and payload of a frame this process encoded or verified
/// already (the journal index keeps verified frames): no checks.
pub(crate) fn trusted_frame_parts(frame: &[u8]) -> (RecordKind, &[u8]) {
    debug_assert!(frame.len() >= RECORD_HEADER_BYTES, "a frame has its header");
    let kind = RecordKind(frame.get(1).copied().unwrap_or_default());
    (kind, frame.get(RECORD_HEADER_BYTES..).unwrap_or_default())
}

/// Encoded length of the addressed record of `record`: what
/// [`encode_addressed_record`] appends.
pub(crate) fn addressed_record_len(record: &Record) -> usize {
    varint_len(record.stream.0)
        + varint_len(record.seq.0)
        + RECORD_HEADER_BYTES
        + record.payload.len()
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

fn frame_crc(stream: StreamId, seq: Seq, header: [u8; 6], payload: &[u8]) -> u32 {
    // One call over the fixed-size prefix instead of three: each call of
    // the crc32c crate has a fixed cost that shows at 100-byte payloads.
    let mut prefix = [0u8; 8 + 8 + 6];
    prefix[..8].copy_from_slice(&stream.0.to_be_bytes());
    prefix[8..16].copy_from_slice(&seq.0.to_be_bytes());
    prefix[16..].copy_from_slice(&header);
    crc32c::crc32c_append(crc32c::crc32c(&prefix), payload)
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
