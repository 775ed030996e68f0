//! [`EngineMetrics`]: a snapshot of what an engine is doing, from atomics.
//!
//! Reading it takes no lock on any hot path: it loads the runtime's
//! counters, the map-run registry's gauges, the task pool's queue lengths
//! and the log's [`LogStats`]. Fields are loaded one by one while the
//! engine runs, so within one snapshot a gauge and a counter may disagree
//! by the few events that happened between their loads; once the engine is
//! idle the snapshot is exact. `docs/observability.md` lists every field.
//!
//! Kinds, in each field's doc: a **counter** only grows over the life of
//! the engine (it starts at 0 when the engine is built, so it counts what
//! this process did, not the log's history); a **gauge** is the value now;
//! a **high-water mark** is the largest value a gauge has had.

use serde::Serialize;
use shoal_storage::LogStats;

use super::engine::Engine;
use crate::runtime::counters::RuntimeCounters;

/// A snapshot of an engine's counters and gauges; see the module doc for
/// counters vs gauges. Plain data: `Send + Sync`, `Copy`, serializable
/// (camelCase JSON).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineMetrics {
    /// Executions (top-level and map-run children alike).
    pub executions: ExecutionMetrics,
    /// Distributed Map runs.
    pub map_runs: MapRunGauges,
    /// Task attempts and the blocking pool.
    pub tasks: TaskMetrics,
    /// Gauge: durable timers armed and not yet fired or cancelled (Wait
    /// states, retry back-off, timeouts and heartbeats of token tasks).
    pub timers_pending: u64,
    /// The event log's counters.
    pub log: LogStats,
    /// Whether the engine stopped (shut down, or a log failure).
    pub stopped: bool,
}

/// Execution counters; every execution driver that starts ends in exactly
/// one of `succeeded`, `failed`, `timedOut`, `aborted` or `suspended`, so
/// `started = running + succeeded + failed + timedOut + aborted + suspended`
/// once the engine is idle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionMetrics {
    /// Counter: executions this engine began to drive: new ones (their
    /// Start durable) and ones resumed from the log (recovery, pending
    /// map-run children).
    pub started: u64,
    /// Gauge: executions being driven now.
    pub running: u64,
    /// Counter: executions whose success this engine made durable.
    pub succeeded: u64,
    /// Counter: executions whose failure this engine made durable.
    pub failed: u64,
    /// Counter: executions that timed out (`TimeoutSeconds`).
    pub timed_out: u64,
    /// Counter: executions aborted (stopped, or their map run aborted).
    pub aborted: u64,
    /// Counter: drivers that exited without an end (engine shutdown or a
    /// log failure); a later engine resumes those executions.
    pub suspended: u64,
    /// Counter: transitions after the Start transition that drivers
    /// stepped and made durable (one record each for STANDARD executions;
    /// EXPRESS children's are stepped in memory and not recorded).
    pub transitions: u64,
}

/// Distributed Map gauges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapRunGauges {
    /// Gauge: map runs whose coordinator runs now.
    pub running: u64,
    /// Gauge: children started and not ended, over every map run.
    pub children_in_flight: u64,
    /// High-water mark of `childrenInFlight` since the engine started.
    pub peak_children_in_flight: u64,
}

/// Task attempt counters and the blocking pool's queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskMetrics {
    /// Counter: task attempts invoked (re-invocations after a crash included).
    pub attempts_started: u64,
    /// Gauge: attempts invoked whose outcome has not come back.
    pub attempts_running: u64,
    /// Gauge: blocking jobs queued in the pool, not yet on a thread.
    pub blocking_queued: u64,
    /// Counter: blocking jobs the pool ran.
    pub blocking_jobs_run: u64,
    /// The pool's thread count.
    pub blocking_threads: u64,
}

impl Engine {
    /// A snapshot of the engine's counters and gauges (cheap: atomic
    /// loads, no I/O). See [`EngineMetrics`] for each field's meaning.
    pub fn metrics(&self) -> EngineMetrics {
        let shared = &self.inner.shared;
        let c = &shared.counters;
        let read = RuntimeCounters::read;
        let executions = ExecutionMetrics {
            started: read(&c.drivers_started),
            running: read(&c.drivers_running),
            succeeded: read(&c.succeeded),
            failed: read(&c.failed),
            timed_out: read(&c.timed_out),
            aborted: read(&c.aborted),
            suspended: read(&c.suspended),
            transitions: read(&c.transitions),
        };
        let map = shared.maprun.metrics();
        let pool = shared.runner.pool_stats();
        EngineMetrics {
            executions,
            map_runs: MapRunGauges {
                running: map.open_map_runs as u64,
                children_in_flight: map.in_flight as u64,
                peak_children_in_flight: map.peak_in_flight as u64,
            },
            tasks: TaskMetrics {
                attempts_started: read(&c.attempts_started),
                attempts_running: read(&c.attempts_running),
                blocking_queued: pool.queued_jobs as u64,
                blocking_jobs_run: pool.jobs_run,
                blocking_threads: pool.threads as u64,
            },
            timers_pending: read(&c.timers_pending),
            log: shared.log.stats(),
            stopped: *shared.stopping.borrow(),
        }
    }
}

// Checked at compile time: the snapshot can cross threads.
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<EngineMetrics>();
};
