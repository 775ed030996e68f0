//! A cheap hasher for maps keyed by [`StreamId`] on the commit path.
//!
//! The committer and the publisher look up every record's stream several
//! times (group heads, the sequence-number cache, the journal index). With
//! std's SipHash-1-3 that hashing was a visible share of the committer's
//! instructions; stream ids are not attacker-chosen hash-flooding input
//! in an embedded log, so a folded 64×64→128 multiply is enough: every input
//! bit reaches both the low bits (bucket index) and the high bits (the
//! control tag hashbrown uses), also for ids that differ only in high bits.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::types::StreamId;

/// A `HashMap` keyed by stream id with [`StreamHasher`].
pub(crate) type StreamMap<V> = HashMap<StreamId, V, BuildHasherDefault<StreamHasher>>;

/// A `HashSet` of stream ids with [`StreamHasher`].
pub(crate) type StreamSet = HashSet<StreamId, BuildHasherDefault<StreamHasher>>;

/// Folded-multiply hasher; meant for one `u64` key per hash.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct StreamHasher {
    state: u64,
}

/// An odd constant with well-spread bits (the 64-bit golden ratio).
const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

impl StreamHasher {
    fn mix(&mut self, word: u64) {
        let product = u128::from(self.state ^ word) * u128::from(MULTIPLIER);
        self.state = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl Hasher for StreamHasher {
    fn finish(&self) -> u64 {
        self.state
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not reached for `StreamId` (it hashes one `u64`), but correct for
        // any key: fold the bytes in 8 at a time.
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.mix(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    fn hash(stream: u64) -> u64 {
        BuildHasherDefault::<StreamHasher>::default().hash_one(StreamId(stream))
    }

    #[test]
    fn ids_differing_only_in_high_bits_spread_over_low_bits() {
        let buckets: HashSet<u64> = (0..1024u64).map(|i| hash(i << 40) & 1023).collect();
        assert!(buckets.len() > 512, "only {} buckets used", buckets.len());
    }

    #[test]
    fn sequential_ids_spread_over_the_top_bits() {
        let tags: HashSet<u64> = (0..4096u64).map(|i| hash(i) >> 57).collect();
        assert!(tags.len() > 100, "only {} tags used", tags.len());
    }

    #[test]
    fn a_stream_map_finds_what_it_holds() {
        let mut map = StreamMap::default();
        for id in 0..10_000u64 {
            map.insert(StreamId(id * 7), id);
        }
        assert_eq!(map.get(&StreamId(700)), Some(&100));
        assert_eq!(map.get(&StreamId(701)), None);
    }
}
