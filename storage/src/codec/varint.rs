//! LEB128 unsigned varints: stream ids and sequence numbers inside blocks and
//! chunks, where most values are small and a fixed `u64` would cost 8 bytes.

use super::CodecError;

/// The longest encoding of a `u64`: ceil(64 / 7) bytes.
pub(crate) const VARINT_BYTES_MAX: usize = 10;

/// Appends `value` as LEB128: 7 bits per byte, low bits first, high bit set on
/// every byte but the last.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Bytes [`put_varint`] uses for `value`.
pub(crate) fn varint_len(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Reads one LEB128 value from the front of `input`, returning it and the
/// bytes it used. `what` names the field for the error.
pub(crate) fn get_varint(input: &[u8], what: &'static str) -> Result<(u64, usize), CodecError> {
    let mut value: u64 = 0;
    for (index, byte) in input.iter().enumerate().take(VARINT_BYTES_MAX) {
        let bits = u64::from(byte & 0x7f);
        let shift = 7 * index as u32;
        // The tenth byte may only carry the single top bit of a u64.
        if index == VARINT_BYTES_MAX - 1 && (byte & 0xfe) != 0 {
            return Err(CodecError::BadVarint { what });
        }
        value |= bits << shift;
        if byte & 0x80 == 0 {
            return Ok((value, index + 1));
        }
    }
    if input.len() < VARINT_BYTES_MAX {
        Err(CodecError::Truncated {
            what,
            needed: input.len() + 1,
            available: input.len(),
        })
    } else {
        Err(CodecError::BadVarint { what })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_len_matches_the_encoding() {
        for value in [0, 1, 127, 128, 16_383, 16_384, u64::MAX >> 1, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert_eq!(varint_len(value), out.len(), "value {value}");
        }
    }

    #[test]
    fn round_trips_edge_values() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert!(out.len() <= VARINT_BYTES_MAX);
            assert_eq!(
                get_varint(&out, "test").expect("valid varint"),
                (value, out.len())
            );
        }
    }

    #[test]
    fn overlong_and_truncated_inputs_are_errors() {
        let err = get_varint(&[0x80; 11], "seq").expect_err("overlong");
        assert_eq!(err, CodecError::BadVarint { what: "seq" });
        let err = get_varint(&[0x80, 0x80], "seq").expect_err("truncated");
        assert!(matches!(err, CodecError::Truncated { what: "seq", .. }));
    }
}
