//! [`Registry`]: the engine's map runs in flight — how a finished child
//! reaches its run, how an API call reaches a live run — plus the
//! in-flight metrics and the options ([`MapRunOptions`]).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use shoal_readers::StoreRegistry;
use tokio::sync::{mpsc, oneshot, Notify};

use super::ids::{is_express_child, split_child};
use super::window::{ABORTED, FAILED, SUCCEEDED, TIMED_OUT};
use crate::api::EngineError;
use crate::interpreter::{Completion, ExecutionState};

/// MaxConcurrency of a DISTRIBUTED Map that sets none (or 0).
pub const DEFAULT_MAX_CONCURRENCY: u32 = 10_000;
/// Default bound on children in flight across every map run of an engine.
pub const DEFAULT_GLOBAL_IN_FLIGHT: usize = 20_000;

/// Options of map runs, given to [`crate::EngineBuilder::map_run_options`].
#[derive(Debug, Clone)]
pub struct MapRunOptions {
    pub(crate) stores: Arc<StoreRegistry>,
    pub(crate) global_in_flight: usize,
    pub(crate) redrives_max: u32,
}

impl Default for MapRunOptions {
    fn default() -> Self {
        MapRunOptions {
            stores: Arc::new(StoreRegistry::new()),
            global_in_flight: DEFAULT_GLOBAL_IN_FLIGHT,
            redrives_max: super::MAP_RUN_REDRIVES_MAX,
        }
    }
}

impl MapRunOptions {
    /// Default options: no stores, [`DEFAULT_GLOBAL_IN_FLIGHT`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The stores an ItemReader's or ResultWriter's `Bucket` names.
    pub fn with_stores(mut self, stores: StoreRegistry) -> Self {
        self.stores = Arc::new(stores);
        self
    }

    /// At most this many children in flight across all map runs (at least 1).
    pub fn with_global_in_flight(mut self, children: usize) -> Self {
        self.global_in_flight = children.max(1);
        self
    }

    /// How many times one map run can be redriven (default
    /// [`MAP_RUN_REDRIVES_MAX`](super::MAP_RUN_REDRIVES_MAX), Step
    /// Functions' hard limit of 1000); the redrive after that fails the Map
    /// state with `States.Runtime`. A lower bound suits tests.
    pub fn with_redrives_max(mut self, redrives: u32) -> Self {
        self.redrives_max = redrives;
        self
    }
}

/// A live map run's changes: [`crate::Engine::update_map_run`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MapRunUpdate {
    /// New MaxConcurrency (0 = the default, 10,000).
    pub max_concurrency: Option<u32>,
    /// New ToleratedFailureCount.
    pub tolerated_failure_count: Option<u64>,
    /// New ToleratedFailurePercentage (0 to 100).
    pub tolerated_failure_percentage: Option<f64>,
}

/// Children in flight and map runs open, now and at the peak.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapRunMetrics {
    /// Children started and not ended, across map runs.
    pub in_flight: usize,
    /// The largest `in_flight` seen since the engine started.
    pub peak_in_flight: usize,
    /// Map runs whose coordinator is running.
    pub open_map_runs: usize,
}

/// What a run's coordinator is told.
pub(crate) enum RunEvent {
    /// Child `index` ended with a status of [`super::window`]; an EXPRESS
    /// child brings its outcome record (payload for Seq 1 of its stream).
    ChildDone {
        index: u64,
        status: u8,
        record: Option<Vec<u8>>,
    },
    /// `update_map_run`; answered once the change is durable.
    Update {
        update: MapRunUpdate,
        ack: oneshot::Sender<Result<(), EngineError>>,
    },
    /// The parent was stopped.
    Stop,
}

/// The engine's live map runs.
pub(crate) struct Registry {
    pub options: MapRunOptions,
    /// By run number.
    runs: Mutex<HashMap<u64, mpsc::UnboundedSender<RunEvent>>>,
    /// Run numbers by ARN, for API calls.
    arns: Mutex<HashMap<String, (u64, mpsc::UnboundedSender<RunEvent>)>>,
    /// Serialises run-number allocation.
    pub creating: tokio::sync::Mutex<()>,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    /// Counters of live runs (items, executions), by ARN.
    live: Mutex<HashMap<String, [super::api::MapRunCounts; 2]>>,
    /// Runs waiting for global slots, served in turn.
    queue: Mutex<VecDeque<u64>>,
    /// Notified when a child ends (a global slot may be free).
    pub slot_freed: Notify,
    /// Notified when a coordinator closes.
    closed: Notify,
}

impl Registry {
    pub(crate) fn new(options: MapRunOptions) -> Registry {
        Registry {
            options,
            runs: Mutex::new(HashMap::new()),
            arns: Mutex::new(HashMap::new()),
            creating: tokio::sync::Mutex::new(()),
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            queue: Mutex::new(VecDeque::new()),
            live: Mutex::new(HashMap::new()),
            slot_freed: Notify::new(),
            closed: Notify::new(),
        }
    }

    /// Claims the ARN for a new coordinator, before its run number is
    /// known, so API calls (a stop) reach it from the start; `None` if a
    /// coordinator already runs for it.
    pub(crate) fn claim(&self, arn: &str) -> Option<mpsc::UnboundedReceiver<RunEvent>> {
        let mut arns = self.arns.lock();
        if arns.contains_key(arn) {
            return None;
        }
        let (sender, receiver) = mpsc::unbounded_channel();
        arns.insert(arn.to_string(), (u64::MAX, sender));
        Some(receiver)
    }

    /// Attaches the run number to a claimed ARN, so children reach it.
    pub(crate) fn attach(&self, arn: &str, run: u64) {
        let mut arns = self.arns.lock();
        if let Some(entry) = arns.get_mut(arn) {
            entry.0 = run;
            self.runs.lock().insert(run, entry.1.clone());
        }
    }

    /// Publishes a live run's counters (items, executions).
    pub(crate) fn publish(&self, arn: &str, counts: [super::api::MapRunCounts; 2]) {
        self.live.lock().insert(arn.to_string(), counts);
    }

    /// A live run's counters, if it is live.
    pub(crate) fn live_counts(&self, arn: &str) -> Option<[super::api::MapRunCounts; 2]> {
        self.live.lock().get(arn).copied()
    }

    /// The coordinator of `arn` ended.
    pub(crate) fn close(&self, arn: &str) {
        self.live.lock().remove(arn);
        if let Some((run, _)) = self.arns.lock().remove(arn) {
            self.runs.lock().remove(&run);
        }
        self.closed.notify_waiters();
    }

    /// Waits until no coordinator of a map run of `parent` is live (a run
    /// that still aborts its children after its parent ended).
    pub(crate) async fn wait_closed(&self, parent: crate::history::ExecutionId) {
        loop {
            let closed = self.closed.notified();
            let live = self.arns.lock().keys().any(|arn| {
                super::ids::MapRunKey::from_arn(arn).is_some_and(|key| key.parent == parent)
            });
            if !live {
                return;
            }
            closed.await;
        }
    }

    /// Sends `event` to the live run `arn`; false if it is not live.
    pub(crate) fn send(&self, arn: &str, event: RunEvent) -> bool {
        match self.arns.lock().get(arn) {
            Some((_, sender)) => sender.send(event).is_ok(),
            None => false,
        }
    }

    /// The parent of `arn` was stopped.
    pub(crate) fn stop(&self, arn: &str) {
        self.send(arn, RunEvent::Stop);
    }

    /// A child execution ended (durably, for a STANDARD child): tell its
    /// run. An EXPRESS child's outcome travels with the message as the
    /// record its run will write.
    pub(crate) fn child_done(&self, state: &ExecutionState, completion: &Completion, now_ms: i64) {
        let id = state.id();
        let Some((run, index)) = split_child(id) else {
            return;
        };
        let status = match completion {
            Completion::Succeeded(_) => SUCCEEDED,
            Completion::Failed { .. } => FAILED,
            Completion::TimedOut => TIMED_OUT,
            Completion::Aborted { .. } => ABORTED,
        };
        let record = is_express_child(id).then(|| {
            let facts = super::express::ChildFacts {
                id,
                definition_hash: state.definition_hash(),
                state_machine: state.state_machine(),
                input_json: state.input().to_string(),
                started_ms: state.started_ms(),
            };
            super::express::outcome_record(facts, completion, now_ms)
        });
        if let Some(sender) = self.runs.lock().get(&run) {
            let _ = sender.send(RunEvent::ChildDone {
                index,
                status,
                record,
            });
        }
    }

    /// Reserves up to `want` global in-flight slots for run `run` and
    /// returns how many it got; each is given back by
    /// [`Registry::finished`]. Fair between runs: a run that cannot have
    /// all it wants queues up, only the run at the head of the queue is
    /// served, and one served only in part goes to the back, so runs that
    /// share the bound take turns.
    pub(crate) fn reserve(&self, run: u64, want: usize) -> usize {
        let mut queue = self.queue.lock();
        if queue.front().is_some_and(|&head| head != run) {
            if !queue.contains(&run) {
                queue.push_back(run);
            }
            return 0;
        }
        let bound = self.options.global_in_flight;
        let mut current = self.in_flight.load(Ordering::SeqCst);
        let take = loop {
            let take = want.min(bound.saturating_sub(current));
            if take == 0 {
                break 0;
            }
            match self.in_flight.compare_exchange(
                current,
                current + take,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => {
                    self.peak.fetch_max(current + take, Ordering::SeqCst);
                    break take;
                }
                Err(now) => current = now,
            }
        };
        if queue.front() == Some(&run) {
            queue.pop_front();
        }
        if take < want {
            queue.push_back(run);
        }
        take
    }

    /// Run `run` wants no slot now: it leaves the queue (waking the others).
    pub(crate) fn leave(&self, run: u64) {
        let mut queue = self.queue.lock();
        let before = queue.len();
        queue.retain(|&queued| queued != run);
        if queue.len() != before {
            self.slot_freed.notify_waiters();
        }
    }

    /// Counts `count` children ended (or abandoned at shutdown).
    pub(crate) fn finished(&self, count: usize) {
        self.in_flight.fetch_sub(count, Ordering::SeqCst);
        self.slot_freed.notify_waiters();
    }

    pub(crate) fn metrics(&self) -> MapRunMetrics {
        MapRunMetrics {
            in_flight: self.in_flight.load(Ordering::SeqCst),
            peak_in_flight: self.peak.load(Ordering::SeqCst),
            open_map_runs: self.arns.lock().len(),
        }
    }
}
