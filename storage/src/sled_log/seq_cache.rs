//! The committer's memory of each recently written stream's last sequence
//! number, so checking a batch's sequence numbers rarely needs a read.

use crate::stream_hash::StreamMap;

use crate::types::{Seq, StreamId};

/// A bounded map with two generations: when the young one is full it
/// becomes the old one and the previous old one is dropped. A hit in the
/// old generation moves the entry back to the young one, so streams in use
/// stay cached: an LRU approximation with O(1) work per operation.
#[derive(Debug)]
pub(crate) struct SeqCache {
    young: StreamMap<Seq>,
    old: StreamMap<Seq>,
    generation_streams: usize,
}

impl SeqCache {
    /// A cache holding at least `streams` streams (and at most twice that).
    pub(crate) fn new(streams: usize) -> SeqCache {
        SeqCache {
            young: StreamMap::default(),
            old: StreamMap::default(),
            generation_streams: streams.max(1),
        }
    }

    /// The cached last sequence number of `stream`, if cached.
    pub(crate) fn get(&mut self, stream: StreamId) -> Option<Seq> {
        if let Some(seq) = self.young.get(&stream) {
            return Some(*seq);
        }
        let seq = self.old.remove(&stream)?;
        self.insert(stream, seq);
        Some(seq)
    }

    /// Records `seq` as the last sequence number of `stream`.
    pub(crate) fn insert(&mut self, stream: StreamId, seq: Seq) {
        if self.young.len() >= self.generation_streams && !self.young.contains_key(&stream) {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(stream, seq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recently_used_streams_survive_a_generation_change() {
        let mut cache = SeqCache::new(2);
        cache.insert(StreamId(1), Seq(1));
        cache.insert(StreamId(2), Seq(2));
        cache.insert(StreamId(3), Seq(3)); // 1 and 2 become old
        assert_eq!(cache.get(StreamId(1)), Some(Seq(1))); // promoted
        cache.insert(StreamId(4), Seq(4)); // young {3,1} full: 2 is dropped
        assert_eq!(cache.get(StreamId(2)), None);
        assert_eq!(cache.get(StreamId(1)), Some(Seq(1)));
        assert_eq!(cache.get(StreamId(4)), Some(Seq(4)));
    }
}
