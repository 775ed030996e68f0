//! The key layout inside the one sled tree. Every integer is big-endian, so
//! sled's byte order is numeric order and one stream is one contiguous range.
//!
//! | key                                         | value                          |
//! |---------------------------------------------|--------------------------------|
//! | `b'J'` ‖ block number `u64`                 | journal block (codec)          |
//! | `b'R'` ‖ stream `u64` ‖ first seq `u64`     | chunk of one stream (codec)    |
//! | `b'S'` ‖ keyspace `u8` ‖ row key            | row value (codec)              |
//! | `b'M'` ‖ `"format"`                         | [`FORMAT_MARKER`]              |

use crate::types::{Keyspace, Seq, StreamId};
use crate::validate::render_key;

const JOURNAL: u8 = b'J';
const CHUNK: u8 = b'R';
const ROW: u8 = b'S';

/// The key of the marker that says which layout a directory holds.
pub(crate) const FORMAT_KEY: &[u8] = b"Mformat";
/// The marker's value for this layout.
pub(crate) const FORMAT_MARKER: &[u8] = b"shoal-storage sled layout 1";

/// The prefix of every journal block key.
pub(crate) const JOURNAL_PREFIX: [u8; 1] = [JOURNAL];

pub(crate) fn journal_key(block: u64) -> [u8; 9] {
    let mut key = [0u8; 9];
    key[0] = JOURNAL;
    key[1..].copy_from_slice(&block.to_be_bytes());
    key
}

pub(crate) fn parse_journal_key(key: &[u8]) -> Option<u64> {
    match key {
        [JOURNAL, rest @ ..] => Some(u64::from_be_bytes(rest.try_into().ok()?)),
        _ => None,
    }
}

pub(crate) fn chunk_prefix(stream: StreamId) -> [u8; 9] {
    let mut key = [0u8; 9];
    key[0] = CHUNK;
    key[1..].copy_from_slice(&stream.0.to_be_bytes());
    key
}

pub(crate) fn chunk_key(stream: StreamId, first: Seq) -> [u8; 17] {
    let mut key = [0u8; 17];
    key[..9].copy_from_slice(&chunk_prefix(stream));
    key[9..].copy_from_slice(&first.0.to_be_bytes());
    key
}

pub(crate) fn parse_chunk_key(key: &[u8]) -> Option<(StreamId, Seq)> {
    match key {
        [CHUNK, rest @ ..] if rest.len() == 16 => {
            let stream = u64::from_be_bytes(rest[..8].try_into().ok()?);
            let first = u64::from_be_bytes(rest[8..].try_into().ok()?);
            Some((StreamId(stream), Seq(first)))
        }
        _ => None,
    }
}

pub(crate) fn row_key(space: Keyspace, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + key.len());
    out.push(ROW);
    out.push(space.0);
    out.extend_from_slice(key);
    out
}

/// Splits a stored row key into its keyspace and the caller's key.
pub(crate) fn parse_row_key(key: &[u8]) -> Option<(Keyspace, &[u8])> {
    match key {
        [ROW, space, rest @ ..] => Some((Keyspace(*space), rest)),
        _ => None,
    }
}

/// Names a stored key for error messages.
pub(crate) fn describe_key(key: &[u8]) -> String {
    if let Some(block) = parse_journal_key(key) {
        return format!("journal block {block}");
    }
    if let Some((stream, first)) = parse_chunk_key(key) {
        return format!("chunk of {stream} starting at {first}");
    }
    if let Some((space, row)) = parse_row_key(key) {
        return format!("row {} in {space}", render_key(row));
    }
    format!("key {}", render_key(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_back_and_sort_numerically() {
        assert_eq!(parse_journal_key(&journal_key(258)), Some(258));
        assert_eq!(
            parse_chunk_key(&chunk_key(StreamId(3), Seq(9))),
            Some((StreamId(3), Seq(9)))
        );
        assert!(chunk_key(StreamId(1), Seq(255)) < chunk_key(StreamId(1), Seq(256)));
        assert!(chunk_key(StreamId(1), Seq(u64::MAX)) < chunk_key(StreamId(2), Seq(0)));
        assert_eq!(
            describe_key(&row_key(Keyspace(4), b"a")),
            "row \"a\" in keyspace 4"
        );
    }
}
