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
//! 3. Recovery of the window: for each child between the row's watermark
//!    and `next_child`, the child's last record says whether it ended;
//!    the others are pending (they are resumed by replay in step 5).
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

mod api;
mod coordinator;
mod dispatch;
mod export;
mod express;
mod ids;
mod record;
mod registry;
mod results;
mod window;

pub use api::{MapRunCounts, MapRunDescription};
pub use dispatch::{DISPATCH_CHILDREN_MAX, QUEUED_BATCHES_MAX};
pub use express::INPUTS_KIND;
pub use ids::{is_child, is_express_child, MapRunKey, CHILD_INDEX_BITS};
pub use record::{decode_row, encode_row, Ended, MapRunRow, MapRunStatus, MAP_RUNS, NEXT_MAP_RUN};
pub use registry::{
    MapRunMetrics, MapRunOptions, MapRunUpdate, DEFAULT_GLOBAL_IN_FLIGHT, DEFAULT_MAX_CONCURRENCY,
};

pub(crate) use coordinator::launch;
pub(crate) use registry::Registry;
pub(crate) use results::child_row;
