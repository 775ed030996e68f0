//! [`LogStats`]: the cheap snapshot of a log's counters that the engine's
//! metrics and the CLI's progress line read while the log is busy.
//!
//! Unlike [`LogMetrics`], reading it never touches the disk: a backend
//! answers from atomics it already keeps, so it can be read on every
//! dispatch or progress tick.

use serde::Serialize;

use crate::log::LogMetrics;

/// A snapshot of a log's counters, read without locks or I/O.
///
/// *Counters* only grow over the life of an open log (a reopened log starts
/// again from zero); *gauges* say how things are right now. Fields are read
/// one by one, so a snapshot taken during a commit may show that commit's
/// records but not yet its group: compare counters across snapshots, never
/// fields of one snapshot for exact equality while the log is busy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogStats {
    /// Counter: group commits made durable.
    pub commits: u64,
    /// Counter: batches acknowledged `Ok` (a group holds one or more).
    pub batches: u64,
    /// Counter: records made durable.
    pub records: u64,
    /// Counter: encoded bytes handed to the backend.
    pub bytes_written: u64,
    /// Counter: `fsync` rounds (one per group that wrote anything); 0 for a
    /// backend without files.
    pub syncs: u64,
    /// Gauge: batches queued and not yet answered.
    pub queued_batches: u64,
    /// Gauge: batches in the most recent group.
    pub last_group_batches: u64,
    /// High-water mark: the most batches one group has held since open.
    pub max_group_batches: u64,
    /// Whether the log is poisoned (it refuses every commit until reopened).
    pub poisoned: bool,
}

impl From<LogMetrics> for LogStats {
    /// What a backend that keeps only [`LogMetrics`] can tell: group sizes,
    /// batches and syncs stay zero.
    fn from(metrics: LogMetrics) -> LogStats {
        LogStats {
            commits: metrics.commits,
            records: metrics.records,
            bytes_written: metrics.bytes_written,
            queued_batches: metrics.queued_batches,
            ..LogStats::default()
        }
    }
}
