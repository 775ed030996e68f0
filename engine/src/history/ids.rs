//! Identifiers of executions and of their history events.

use std::fmt;
use std::str::FromStr;

/// Identifies one execution; also the id of the log stream that holds its
/// history. Allocated by the engine, never reused.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    bincode::Encode,
    bincode::Decode,
)]
#[serde(transparent)]
pub struct ExecutionId(pub u64);

/// The id of one history event: 1-based, +1 per event of an execution.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    bincode::Encode,
    bincode::Decode,
)]
#[serde(transparent)]
pub struct EventId(pub u64);

impl fmt::Display for ExecutionId {
    /// `exec-<16 lowercase hex digits>`. Written by hand: every task
    /// attempt formats its execution id (idempotency key, context), and
    /// `write!` with a width spec costs several times as much.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = *b"exec-0000000000000000";
        for (i, byte) in text[5..].iter_mut().enumerate() {
            let shift = 60 - 4 * i;
            *byte = DIGITS[((self.0 >> shift) & 0xf) as usize];
        }
        // Only ASCII digits and letters were written.
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

/// Why a string is not an [`ExecutionId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not an execution id (expected exec-<16 hex digits>)")]
pub struct ParseExecutionIdError {
    /// The text that was given.
    pub text: String,
}

impl FromStr for ExecutionId {
    type Err = ParseExecutionIdError;

    /// Parses the [`fmt::Display`] form `exec-<16 hex digits>`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParseExecutionIdError {
            text: text.to_string(),
        };
        let hex = text.strip_prefix("exec-").ok_or_else(error)?;
        if hex.len() != 16 {
            return Err(error());
        }
        u64::from_str_radix(hex, 16)
            .map(ExecutionId)
            .map_err(|_| error())
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event {}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_id_round_trips_through_its_text_form() {
        let id = ExecutionId(0xabc);
        assert_eq!(id.to_string(), "exec-0000000000000abc");
        assert_eq!(id.to_string().parse::<ExecutionId>(), Ok(id));
        assert!("exec-12".parse::<ExecutionId>().is_err());
        assert!("0000000000000abc".parse::<ExecutionId>().is_err());
        assert_eq!(ExecutionId(u64::MAX).to_string(), "exec-ffffffffffffffff");
        assert_eq!(ExecutionId(0).to_string(), "exec-0000000000000000");
        assert_eq!(
            ExecutionId(0x0123_4567_89ab_cdef).to_string(),
            "exec-0123456789abcdef"
        );
    }
}
