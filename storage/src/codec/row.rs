//! State-row values: the caller's bytes behind a version byte and a checksum.

use super::{take, CodecError, FORMAT_VERSION};
use crate::types::Keyspace;

/// Bytes a row value gains when stored.
pub const ROW_HEADER_BYTES: usize = 5;

/// Encodes a row value for storage.
///
/// Layout (format version 1): `version u8 = 1` ‖ CRC32C `u32` big-endian of
/// `keyspace u8 ‖ key ‖ version ‖ value` ‖ `value`. The key is covered so a
/// value found under the wrong key fails its check.
pub fn encode_row_value(space: Keyspace, key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ROW_HEADER_BYTES + value.len());
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&row_crc(space, key, value).to_be_bytes());
    out.extend_from_slice(value);
    out
}

/// Decodes a stored row value of `key` in `space`, verifying its checksum.
pub fn decode_row_value(space: Keyspace, key: &[u8], stored: &[u8]) -> Result<Vec<u8>, CodecError> {
    let header = take(stored, ROW_HEADER_BYTES, "row header")?;
    if header[0] != FORMAT_VERSION {
        return Err(CodecError::UnsupportedVersion {
            what: "row",
            found: header[0],
        });
    }
    let stored_crc = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
    let value = &stored[ROW_HEADER_BYTES..];
    let computed = row_crc(space, key, value);
    if stored_crc != computed {
        return Err(CodecError::RowChecksumMismatch {
            stored: stored_crc,
            computed,
        });
    }
    Ok(value.to_vec())
}

fn row_crc(space: Keyspace, key: &[u8], value: &[u8]) -> u32 {
    let mut crc = crc32c::crc32c(&[space.0]);
    crc = crc32c::crc32c_append(crc, key);
    crc = crc32c::crc32c_append(crc, &[FORMAT_VERSION]);
    crc32c::crc32c_append(crc, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_round_trips_and_detects_a_moved_value() {
        let stored = encode_row_value(Keyspace(2), b"exec/1", b"{\"status\":\"RUNNING\"}");
        let value = decode_row_value(Keyspace(2), b"exec/1", &stored).expect("valid row");
        assert_eq!(value, b"{\"status\":\"RUNNING\"}");
        let err = decode_row_value(Keyspace(2), b"exec/2", &stored).expect_err("wrong key");
        assert!(matches!(err, CodecError::RowChecksumMismatch { .. }));
    }
}
