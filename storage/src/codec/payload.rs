//! Typed payloads: bincode 2 (standard configuration) inside record bytes.
//!
//! bincode cannot carry `serde_json::Value` (it needs `deserialize_any`), so
//! callers keep JSON as bytes (`Vec<u8>` holding JSON text) inside their
//! bincode structs.

use crate::error::LogError;

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
        bincode::decode_from_slice(bytes, config()).map_err(|err| LogError::Payload {
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
        bincode::serde::decode_from_slice(bytes, config()).map_err(|err| LogError::Payload {
            type_name: std::any::type_name::<T>(),
            detail: err.to_string(),
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
}
