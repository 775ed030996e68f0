//! [`RuntimeCounters`]: the atomics behind [`crate::api::EngineMetrics`].
//!
//! Every update is one relaxed atomic add on a path that already does far
//! more (a driver's batch, a timer task, a task attempt), and no update
//! takes a lock. Drivers count once per batch, not per transition.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::api::ExecutionStatus;

/// Counters and gauges the runtime keeps; see `EngineMetrics` for what
/// each one means.
#[derive(Debug, Default)]
pub(crate) struct RuntimeCounters {
    pub drivers_started: AtomicU64,
    pub drivers_running: AtomicU64,
    pub succeeded: AtomicU64,
    pub failed: AtomicU64,
    pub timed_out: AtomicU64,
    pub aborted: AtomicU64,
    pub suspended: AtomicU64,
    pub transitions: AtomicU64,
    pub timers_pending: AtomicU64,
    pub attempts_started: AtomicU64,
    pub attempts_running: AtomicU64,
}

impl RuntimeCounters {
    /// Adds one to `counter`.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads `counter`.
    pub(crate) fn read(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// A driver began: one more started and running.
    pub(crate) fn driver_started(&self) {
        Self::bump(&self.drivers_started);
        Self::bump(&self.drivers_running);
    }

    /// A driver exited, with the execution's final status if it ended
    /// durably (`None`: it stopped unfinished, e.g. at shutdown).
    pub(crate) fn driver_ended(&self, status: Option<ExecutionStatus>) {
        let counter = match status {
            Some(ExecutionStatus::Succeeded) => &self.succeeded,
            Some(ExecutionStatus::Failed) => &self.failed,
            Some(ExecutionStatus::TimedOut) => &self.timed_out,
            Some(ExecutionStatus::Aborted) => &self.aborted,
            Some(ExecutionStatus::Running) | None => &self.suspended,
        };
        Self::bump(counter);
        self.drivers_running.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Holds one unit of a gauge (a pending timer, a running task attempt)
/// and gives it back when dropped, so an aborted tokio task still counts
/// down.
pub(crate) struct GaugeGuard {
    counters: Arc<super::shared::Shared>,
    gauge: fn(&RuntimeCounters) -> &AtomicU64,
}

impl GaugeGuard {
    /// Raises the gauge `gauge` of `shared`'s counters by one until the
    /// guard is dropped.
    pub(crate) fn hold(
        shared: &Arc<super::shared::Shared>,
        gauge: fn(&RuntimeCounters) -> &AtomicU64,
    ) -> GaugeGuard {
        gauge(&shared.counters).fetch_add(1, Ordering::Relaxed);
        GaugeGuard {
            counters: Arc::clone(shared),
            gauge,
        }
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        (self.gauge)(&self.counters.counters).fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gauge_guard_adds_two_words_to_a_task_and_a_span_is_not_stored() {
        // What the metrics add to each task attempt and timer task; spans
        // are added only while a subscriber listens (`trace::spawn_in`).
        let word = std::mem::size_of::<usize>();
        assert_eq!(std::mem::size_of::<GaugeGuard>(), 2 * word);
        assert!(tracing::Span::none().is_disabled());
    }

    #[test]
    fn every_driver_exit_is_counted_once_and_running_returns_to_zero() {
        let counters = RuntimeCounters::default();
        for _ in 0..5 {
            counters.driver_started();
        }
        counters.driver_ended(Some(ExecutionStatus::Succeeded));
        counters.driver_ended(Some(ExecutionStatus::Failed));
        counters.driver_ended(Some(ExecutionStatus::TimedOut));
        counters.driver_ended(Some(ExecutionStatus::Aborted));
        counters.driver_ended(None);
        let read = RuntimeCounters::read;
        assert_eq!(read(&counters.drivers_started), 5);
        assert_eq!(read(&counters.drivers_running), 0);
        let ended = [
            &counters.succeeded,
            &counters.failed,
            &counters.timed_out,
            &counters.aborted,
            &counters.suspended,
        ];
        assert!(ended.iter().all(|counter| read(counter) == 1));
    }
}
