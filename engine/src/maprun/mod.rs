//! Map runs: the DISTRIBUTED Map state.
//!
//! A DISTRIBUTED Map state's transition in the parent records
//! `MapStateStarted` and `MapRunStarted` and asks for the map run
//! (`Effect::StartMapRun` with the evaluated [`MapRunSpec`](crate::interpreter::MapRunSpec)).
//! The run is a coordinator task with its own durable row
//! ([`MapRunRow`], keyspace [`MAP_RUNS`]); each item (or ItemBatcher batch)
//! becomes a child execution with its own stream, running the ItemProcessor
//! as a state machine registered by content hash.
//! EXPRESS children (module `express`) record no transitions: their inputs
//! go in one record per dispatch, their outcomes in batched records.
//! When every child ended, the coordinator sends `Input::MapRunCompleted` to the parent, which
//! records `MapRunSucceeded`/`MapRunFailed`, `MapStateSucceeded`/`Failed`
//! and `MapStateExited`: six parent events whatever the item count.
//! A Retry of the Map state starts a new run: the state's attempt is part
//! of the run's key and ARN ([`MapRunKey`]), so the ended run is left as
//! it is and a replayed parent names the same run for the same attempt.
//!
//! # Protocol
//!
//! Spawn (a parent transition asked for the run, durably):
//! 1. The parent's driver performs `StartMapRun` after the transition's
//!    commit; `launch` claims the ARN in the `Registry` (a second claim
//!    — e.g. a duplicate effect — does nothing) and spawns the coordinator,
//!    counted as a driver so shutdown waits for it.
//! 2. The coordinator reads the row. None: it parses the ItemProcessor,
//!    allocates a run number and commits, in one batch, the definition row,
//!    the run-number counter and the new row. A row already ended: it
//!    reports the outcome again (the parent had not recorded it) and stops.
//! 3. Recovery of the window: every child between the row's watermark and
//!    `next_child` is pending. A STANDARD child's replay in step 5 says
//!    whether it had ended (then it only counts), so no child is read
//!    before the first ones run again; for EXPRESS and batched children
//!    the last record (and first) is read here.
//! 4. The reader is opened at the row's checkpoint.
//!
//! Admit (loop):
//! 5. While the run has fewer running children than MaxConcurrency, it
//!    reserves global slots (the engine's in-flight bound, an atomic
//!    counter; none free: it waits for a child to end anywhere). Runs that
//!    cannot get all they want queue up and are served in turn (a run
//!    served in part goes to the back; a run that wants nothing leaves the
//!    queue), so runs sharing the bound are treated fairly. Pending
//!    children are started first, by replaying their stream and spawning
//!    a driver with the outstanding effects.
//! 6. Otherwise it dispatches: reads items for at most the free slots
//!    (and [`DISPATCH_CHILDREN_MAX`]), applies ItemSelector with
//!    `$$.Map.Item.Index/Value` and ItemBatcher, steps each child's `Start`,
//!    and commits ONE batch: every child's Start record (child id = run
//!    bits + child index, no index row) and the row with the reader
//!    checkpoint, `items_read`, `next_child` and the watermark. Only after
//!    the commit are the children spawned; those beyond the free slots
//!    (byte-limited batches) wait as pending.
//! 7. It waits for a child end (a child's driver reports it through the
//!    registry after the completion is durable), an update, a stop, or a
//!    freed global slot. Ends move the watermark over the ended prefix.
//!    After each event the tolerated failure is checked; exceeded, the run
//!    stops dispatching and stops its running children.
//!
//! Cancel:
//! 8. A parent stopped while waiting emits `StopMapRun`: the coordinator
//!    sends `Stop` to each running child, records `ExecutionAborted` for
//!    pending ones, waits for the running ones to end, writes the row
//!    ABORTED and reports nothing.
//!
//! Finish:
//! 9. With no child running and nothing left to dispatch, the row is
//!    written with its final status and counters, then the outcome
//!    (results assembled from the children's last records in child order,
//!    stopped at the payload limit with `States.DataLimitExceeded`) is sent
//!    to the parent as `MapRunCompleted`, which records it as a transition.
//!
//! Shutdown:
//! 10. On the engine's stopping flag the coordinator exits at once without
//!     writing; children's drivers exit after their current commit. A later
//!     engine replays the parent, whose outstanding `StartMapRun` starts at
//!     step 1 again: no item is lost (the checkpoint is in the same commit
//!     as the children it covers) and none is started twice (children are
//!     resumed by replay, never re-created).
//!
//! Orphans (module `orphans`):
//! 11. A run is listed in [`OPEN_MAP_RUNS`] from its creation (or redrive)
//!     to its final row, in the same commits. At engine start, after the
//!     running executions are recovered, an open run whose parent is not
//!     running (its stop or timeout was durable, then a crash came before
//!     step 8) gets a coordinator that recovers its window (step 3), ends
//!     it as in step 8 without reading items, and writes the row ABORTED.
//!
//! Redrive (module `redrive`; the parent was redriven at this Map state,
//! so the spec's `redrive_count` is above the row's):
//! R0. A row already redriven `MapRunOptions::with_redrives_max` times
//!     (default [`MAP_RUN_REDRIVES_MAX`], Step Functions' 1000) is not
//!     redriven: the Map state fails with `States.Runtime`, nothing written.
//! R1. The coordinator reads every child's last record, 0 to `next_child`.
//!     Succeeded children keep their result. Each failed, aborted or
//!     timed-out child gets a Redrive record at the end of its stream:
//!     STANDARD children the interpreter's `Input::RedriveFromFailedStates` (it restarts
//!     from its own unsuccessful state), EXPRESS children an
//!     `ExecutionRedriven` marker (it runs again from the start on its
//!     recorded input; its new outcome record follows the marker).
//! R2. Those records are committed in batches of at most 1,024 children;
//!     the last commit writes the row RUNNING with the new redrive count
//!     and date, the watermark at the first child not succeeded and the
//!     settled counters below it, and the run back in [`OPEN_MAP_RUNS`].
//!     A crash before it leaves the old count: the next launch redrives
//!     again, and children already reopened are simply not ended.
//! R3. Steps 3 to 9 as for any run: reopened children are pending (their
//!     last record is not terminal) and start as slots allow; items never
//!     dispatched are read from the checkpoint (a run whose reader failed
//!     before dispatching anything starts from the first item).
//! R4. The tolerated failure is judged over the whole run again: the
//!     settled and re-run children's outcomes, the total once the reader
//!     is exhausted.
//! R5. A run whose row does not exist yet (the parent ended before step 2)
//!     is created with the spec's redrive count: it starts afresh. A
//!     SUCCEEDED run (the parent failed after it, in ResultSelector or
//!     ResultPath) is not redriven; its outcome is reported again.

mod api;
mod coordinator;
mod dispatch;
mod export;
mod express;
mod ids;
mod orphans;
mod record;
mod redrive;
mod registry;
mod results;
mod window;

pub use api::{MapRunCounts, MapRunDescription};
pub use dispatch::{DISPATCH_CHILDREN_MAX, QUEUED_BATCHES_MAX};
pub use express::INPUTS_KIND;
pub use ids::{is_child, is_express_child, MapRunKey, CHILD_INDEX_BITS};
pub use record::{
    decode_row, encode_row, Ended, MapRunRow, MapRunStatus, MAP_RUNS, NEXT_MAP_RUN, OPEN_MAP_RUNS,
};
pub use redrive::MAP_RUN_REDRIVES_MAX;
pub use registry::{
    MapRunMetrics, MapRunOptions, MapRunUpdate, DEFAULT_GLOBAL_IN_FLIGHT, DEFAULT_MAX_CONCURRENCY,
};

pub(crate) use api::{describe_from_log, list_arns, list_children, read_row};
pub(crate) use coordinator::launch;
pub(crate) use ids::split_child;
pub(crate) use orphans::close_orphans;
pub(crate) use registry::Registry;
pub(crate) use results::child_row;
