//! [`SledLogOptions`]: the tunables of a [`super::SledLog`], with defaults
//! chosen on a 2-core machine (see docs/bench-log.md).

/// How a [`super::SledLog`] batches, bounds and compacts its writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SledLogOptions {
    pub(crate) queue_batches_max: usize,
    pub(crate) journal_block_bytes: usize,
    pub(crate) compact_after_bytes: usize,
    pub(crate) journal_bytes_max: usize,
    pub(crate) compaction: bool,
    pub(crate) seq_cache_streams: usize,
    pub(crate) cache_capacity_bytes: u64,
}

impl Default for SledLogOptions {
    fn default() -> Self {
        SledLogOptions {
            queue_batches_max: 65_536,
            journal_block_bytes: 4 * 1024,
            compact_after_bytes: 32 * 1024 * 1024,
            journal_bytes_max: 256 * 1024 * 1024,
            compaction: true,
            seq_cache_streams: 65_536,
            cache_capacity_bytes: 256 * 1024 * 1024,
        }
    }
}

impl SledLogOptions {
    /// Default options.
    pub fn new() -> SledLogOptions {
        SledLogOptions::default()
    }

    /// Batches that may wait for the committer; when full,
    /// [`crate::EventLog::commit`] blocks its caller until there is room
    /// (back-pressure). At least 1.
    pub fn with_queue_batches_max(mut self, batches: usize) -> Self {
        self.queue_batches_max = batches.max(1);
        self
    }

    /// Target size of one journal block. Small enough that a sled leaf of 16
    /// blocks stays under sled's inline limit (segment size / 4 = 128 KiB),
    /// so sled never moves a node into a separate blob file.
    pub fn with_journal_block_bytes(mut self, bytes: usize) -> Self {
        self.journal_block_bytes = bytes.max(256);
        self
    }

    /// Journal bytes (encoded) after which the compactor moves the journal
    /// into per-stream chunks.
    pub fn with_compact_after_bytes(mut self, bytes: usize) -> Self {
        self.compact_after_bytes = bytes.max(1);
        self
    }

    /// Journal bytes at which the committer stops accepting groups until the
    /// compactor catches up; bounds the memory of the journal index and the
    /// work of the next open.
    pub fn with_journal_bytes_max(mut self, bytes: usize) -> Self {
        self.journal_bytes_max = bytes.max(1);
        self
    }

    /// Turns the background compactor on (default) or off. With it off the
    /// journal only grows, and so does the memory holding its index: for
    /// tests and for measuring the journal alone.
    pub fn with_compaction(mut self, enabled: bool) -> Self {
        self.compaction = enabled;
        self
    }

    /// Streams whose last sequence number the committer remembers, so the
    /// sequence check of a recently written stream costs no read.
    pub fn with_seq_cache_streams(mut self, streams: usize) -> Self {
        self.seq_cache_streams = streams.max(1);
        self
    }

    /// sled's page cache size in bytes.
    pub fn with_cache_capacity_bytes(mut self, bytes: u64) -> Self {
        self.cache_capacity_bytes = bytes;
        self
    }
}
