//! [`FaultPlan`]: which commits a [`super::FaultyLog`] fails or delays,
//! decided from a seed and the commit's number only, so a plan replays
//! exactly whatever the timing of the callers.

use std::fmt;
use std::time::Duration;

/// How an injected commit failure looks to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// The write failed: the batch never reached the inner log, so it is
    /// absent after a reopen.
    Write,
    /// The sync failed: the batch reached the inner log but its durability
    /// is unknown to the caller, so it may be present or absent after a
    /// reopen (with this wrapper it is present, since the inner log made it
    /// durable; a real disk may go either way).
    Sync,
}

/// One fault a [`super::FaultyLog`] injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InjectedFault {
    /// The number of the failed commit (1 for the first commit the wrapper
    /// handed on, counting only commits made before the log was poisoned).
    pub commit: u64,
    /// What failed.
    pub kind: FaultKind,
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultKind::Write => "write",
            FaultKind::Sync => "sync",
        })
    }
}

impl fmt::Display for InjectedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "injected {} failure at commit {}",
            self.kind, self.commit
        )
    }
}

/// A seeded, deterministic plan of faults for a [`super::FaultyLog`].
///
/// Commits are numbered from 1 in the order they reach the wrapper's
/// forwarder (the order [`crate::EventLog::commit`] was called). The first
/// failure poisons the wrapper, so at most one fault is ever injected.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultPlan {
    pub(crate) seed: u64,
    pub(crate) fail_at: Option<(u64, FaultKind)>,
    pub(crate) failure_probability: Option<(f64, FaultKind)>,
    pub(crate) commit_delay: Duration,
    pub(crate) queue_batches_max: usize,
    pub(crate) record_acknowledged: bool,
}

impl Default for FaultPlan {
    fn default() -> Self {
        FaultPlan {
            seed: 0x5eed,
            fail_at: None,
            failure_probability: None,
            commit_delay: Duration::ZERO,
            queue_batches_max: 1024,
            record_acknowledged: false,
        }
    }
}

impl FaultPlan {
    /// A plan that injects nothing: the wrapper only forwards.
    pub fn new() -> FaultPlan {
        FaultPlan::default()
    }

    /// The seed of the probabilistic failures.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Fails the write of commit number `commit` (1-based): the batch is
    /// dropped before the inner log sees it.
    pub fn with_write_failure_at(mut self, commit: u64) -> Self {
        self.fail_at = Some((commit, FaultKind::Write));
        self
    }

    /// Fails the sync of commit number `commit` (1-based): the batch is
    /// handed to the inner log, then reported failed.
    pub fn with_sync_failure_at(mut self, commit: u64) -> Self {
        self.fail_at = Some((commit, FaultKind::Sync));
        self
    }

    /// Fails each commit with probability `probability` (0.0 to 1.0),
    /// drawn from the seed and the commit's number.
    pub fn with_failure_probability(mut self, probability: f64, kind: FaultKind) -> Self {
        self.failure_probability = Some((probability.clamp(0.0, 1.0), kind));
        self
    }

    /// Delays every group of commits by `delay` before it reaches the inner
    /// log, as a slow device would: callers see commits take longer and the
    /// wrapper's queue fill, which is what back-pressure must cope with.
    pub fn with_commit_delay(mut self, delay: Duration) -> Self {
        self.commit_delay = delay;
        self
    }

    /// Batches that may wait in the wrapper's queue; when it is full,
    /// `commit` blocks its caller (as [`crate::SledLog`]'s does). At least 1;
    /// default 1,024.
    pub fn with_queue_batches_max(mut self, batches: usize) -> Self {
        self.queue_batches_max = batches.max(1);
        self
    }

    /// Keeps a copy of every acknowledged batch, for tests that check that
    /// each acknowledged record survived (see
    /// [`super::FaultyLog::acknowledged`]). Off by default: it holds every
    /// payload in memory.
    pub fn with_acknowledged_batches_recorded(mut self, record: bool) -> Self {
        self.record_acknowledged = record;
        self
    }

    /// The fault, if any, planned for commit number `commit`.
    pub(crate) fn decide(&self, commit: u64) -> Option<FaultKind> {
        if let Some((at, kind)) = self.fail_at {
            if at == commit {
                return Some(kind);
            }
        }
        let (probability, kind) = self.failure_probability?;
        let draw = mix(self.seed ^ commit.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        // The top 53 bits as a uniform number in [0, 1).
        let uniform = (draw >> 11) as f64 / (1u64 << 53) as f64;
        (uniform < probability).then_some(kind)
    }
}

/// SplitMix64's finalizer: a well-mixed 64-bit value from any input.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_commit_fails_with_its_kind_only() {
        let plan = FaultPlan::new().with_sync_failure_at(3);
        let decided: Vec<_> = (1..=5).map(|n| plan.decide(n)).collect();
        assert_eq!(decided, [None, None, Some(FaultKind::Sync), None, None]);
    }

    #[test]
    fn probabilistic_failures_replay_from_the_seed_at_about_the_rate() {
        let plan = FaultPlan::new()
            .with_seed(7)
            .with_failure_probability(0.1, FaultKind::Write);
        let failing: Vec<u64> = (1..=10_000).filter(|n| plan.decide(*n).is_some()).collect();
        let again: Vec<u64> = (1..=10_000).filter(|n| plan.decide(*n).is_some()).collect();
        assert_eq!(failing, again);
        assert!((800..1200).contains(&failing.len()), "{}", failing.len());
        let other = plan.clone().with_seed(8);
        let moved: Vec<u64> = (1..=10_000)
            .filter(|n| other.decide(*n).is_some())
            .collect();
        assert_ne!(failing, moved);
    }

    #[test]
    fn probability_bounds_mean_never_and_always() {
        let never = FaultPlan::new().with_failure_probability(0.0, FaultKind::Write);
        let always = FaultPlan::new().with_failure_probability(1.0, FaultKind::Sync);
        assert!((1..=1000).all(|n| never.decide(n).is_none()));
        assert!((1..=1000).all(|n| always.decide(n) == Some(FaultKind::Sync)));
    }
}
