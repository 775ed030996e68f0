//! Typed payloads: bincode 2 (standard configuration) inside record bytes.
//!
//! bincode cannot carry `serde_json::Value` (it needs `deserialize_any`), so
//! callers keep JSON as bytes (`Vec<u8>` holding JSON text) inside their
//! bincode structs.

use bincode::config::{Configuration, Limit, LittleEndian, Varint};

use crate::error::LogError;
use crate::validate::RECORD_PAYLOAD_BYTES_MAX;

/// The most memory one decode may claim, in bytes.
///
/// bincode claims a container's element size times its stored length before
/// reading any element, so without a limit a corrupt length (a few bytes of
/// input) panics with "capacity overflow" or asks for terabytes. Real
/// payloads are at most [`RECORD_PAYLOAD_BYTES_MAX`] and their in-memory form
/// a small multiple of that: 16 times leaves room for every real record and
/// turns an absurd length into an error.
pub const DECODE_CLAIM_BYTES_MAX: usize = 16 * RECORD_PAYLOAD_BYTES_MAX;

/// The configuration every stored bincode value is decoded with: the standard
/// one (what encoders use) with the [`DECODE_CLAIM_BYTES_MAX`] limit.
pub type DecodeConfig = Configuration<LittleEndian, Varint, Limit<DECODE_CLAIM_BYTES_MAX>>;

/// See [`DecodeConfig`].
pub fn decode_config() -> DecodeConfig {
    bincode::config::standard().with_limit::<DECODE_CLAIM_BYTES_MAX>()
}

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Encodes `value` with bincode's derive-based `Encode`.
pub fn encode_payload<T: bincode::Encode>(value: &T) -> Result<Vec<u8>, LogError> {
    bincode::encode_to_vec(value, config()).map_err(|err| LogError::Payload {
        type_name: std::any::type_name::<T>(),
        detail: err.to_string(),
    })
}

/// Decodes a payload written by [`encode_payload`]; every byte must be used.
pub fn decode_payload<T: bincode::Decode<()>>(bytes: &[u8]) -> Result<T, LogError> {
    let (value, used) =
        bincode::decode_from_slice(bytes, decode_config()).map_err(|err| LogError::Payload {
            type_name: std::any::type_name::<T>(),
            detail: err.to_string(),
        })?;
    expect_all_used::<T>(bytes.len(), used)?;
    Ok(value)
}

/// Encodes `value` through serde with bincode.
pub fn encode_serde_payload<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, LogError> {
    bincode::serde::encode_to_vec(value, config()).map_err(|err| LogError::Payload {
        type_name: std::any::type_name::<T>(),
        detail: err.to_string(),
    })
}

/// Decodes a payload written by [`encode_serde_payload`]; every byte must be
/// used.
pub fn decode_serde_payload<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, LogError> {
    let (value, used) =
        bincode::serde::decode_from_slice(bytes, decode_config()).map_err(|err| {
            LogError::Payload {
                type_name: std::any::type_name::<T>(),
                detail: err.to_string(),
            }
        })?;
    expect_all_used::<T>(bytes.len(), used)?;
    Ok(value)
}

fn expect_all_used<T>(len: usize, used: usize) -> Result<(), LogError> {
    if used == len {
        return Ok(());
    }
    Err(LogError::Payload {
        type_name: std::any::type_name::<T>(),
        detail: format!("{} trailing bytes after the value", len - used),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(
        Debug, PartialEq, bincode::Encode, bincode::Decode, serde::Serialize, serde::Deserialize,
    )]
    struct Transition {
        state: String,
        input_json: Vec<u8>,
    }

    fn sample() -> Transition {
        Transition {
            state: "Hello".into(),
            input_json: br#"{"a":[1,2]}"#.to_vec(),
        }
    }

    #[test]
    fn bincode_and_serde_payloads_round_trip() {
        let bytes = encode_payload(&sample()).expect("encode");
        assert_eq!(
            decode_payload::<Transition>(&bytes).expect("decode"),
            sample()
        );
        let bytes = encode_serde_payload(&sample()).expect("encode");
        assert_eq!(
            decode_serde_payload::<Transition>(&bytes).expect("decode"),
            sample()
        );
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let mut bytes = encode_payload(&sample()).expect("encode");
        bytes.push(0);
        let err = decode_payload::<Transition>(&bytes).expect_err("trailing byte");
        assert!(matches!(err, LogError::Payload { .. }));
    }

    /// Found by the `record_decode` fuzz target: a length prefix of 2^60 made
    /// bincode panic with "capacity overflow" instead of returning an error.
    #[test]
    fn a_huge_length_prefix_is_an_error_not_a_panic() {
        let bytes = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0x10];
        let err = decode_payload::<Vec<u8>>(&bytes).expect_err("a 2^60-byte vector");
        assert!(matches!(err, LogError::Payload { .. }), "{err}");
        let err = decode_serde_payload::<Vec<u64>>(&bytes).expect_err("2^60 numbers");
        assert!(matches!(err, LogError::Payload { .. }), "{err}");
    }
}
