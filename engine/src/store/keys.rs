//! Row keyspaces and key encodings (big-endian, so keys sort by number).

use shoal_storage::Keyspace;

use crate::api::ExecutionStatus;
use crate::history::ExecutionId;

/// Execution index: key `[status byte][execution id u64 BE]`, value an
/// [`ExecutionRow`](super::ExecutionRow). Written at start (RUNNING) and
/// moved at completion (delete + put in the completion's batch), so a
/// prefix scan lists executions by status and recovery scans RUNNING only.
pub const EXECUTIONS: Keyspace = Keyspace(1);
/// Execution names: key the name's UTF-8 bytes, value the id (u64 BE).
pub const NAMES: Keyspace = Keyspace(2);
/// Definitions: key the content hash (hex), value the definition JSON.
pub const DEFINITIONS: Keyspace = Keyspace(3);
/// State machines: key the name, value the content hash of its definition.
pub const STATE_MACHINES: Keyspace = Keyspace(4);
/// Engine counters: [`NEXT_EXECUTION_ID`].
pub const META: Keyspace = Keyspace(5);

/// The first execution id not yet reserved (u64 BE).
pub const NEXT_EXECUTION_ID: &[u8] = b"next_execution_id";

/// The key of an execution's index row.
pub fn execution_key(status: ExecutionStatus, id: ExecutionId) -> Vec<u8> {
    let mut key = Vec::with_capacity(9);
    key.push(status.code());
    key.extend_from_slice(&id.0.to_be_bytes());
    key
}

/// Splits an index key into status and id.
pub fn parse_execution_key(key: &[u8]) -> Option<(ExecutionStatus, ExecutionId)> {
    let (&code, id) = key.split_first()?;
    let id: [u8; 8] = id.try_into().ok()?;
    Some((
        ExecutionStatus::from_code(code)?,
        ExecutionId(u64::from_be_bytes(id)),
    ))
}

/// A u64 as 8 big-endian bytes.
pub fn u64_value(value: u64) -> Vec<u8> {
    value.to_be_bytes().to_vec()
}

/// Reads a value written by [`u64_value`].
pub fn parse_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_keys_round_trip_and_sort_by_status_then_id() {
        let a = execution_key(ExecutionStatus::Running, ExecutionId(2));
        let b = execution_key(ExecutionStatus::Running, ExecutionId(10));
        let c = execution_key(ExecutionStatus::Succeeded, ExecutionId(1));
        assert!(a < b && b < c);
        assert_eq!(
            parse_execution_key(&b),
            Some((ExecutionStatus::Running, ExecutionId(10)))
        );
        assert_eq!(parse_execution_key(&[0xff; 9]), None);
        assert_eq!(parse_execution_key(&[1, 2]), None);
    }
}
