//! [`FaultyLog`]: the wrapper, its forwarder thread and its read filter.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam::channel::{bounded, Receiver, Sender};
use parking_lot::Mutex;

use super::plan::{FaultKind, FaultPlan, InjectedFault};
use crate::batch::WriteBatch;
use crate::error::LogError;
use crate::log::{CommitNotifier, CommitTicket, EventLog, LogMetrics, Row};
use crate::stats::LogStats;
use crate::types::{Keyspace, Record, Seq, StreamId};

type Queued = (WriteBatch, CommitNotifier);

/// An [`EventLog`] that forwards to an inner log and injects the faults of
/// a [`FaultPlan`]; see the [module documentation](super).
pub struct FaultyLog<L: EventLog> {
    state: Arc<State<L>>,
    queue: Option<Sender<Queued>>,
    forwarder: Option<JoinHandle<()>>,
}

/// Shared by the handle and the forwarder thread.
struct State<L> {
    inner: L,
    plan: FaultPlan,
    poison: Mutex<Option<Poisoning>>,
    /// Commits numbered so far (the number of the last one).
    numbered: AtomicU64,
    queued: AtomicU64,
    queued_peak: AtomicU64,
    acknowledged: Mutex<Vec<WriteBatch>>,
}

/// Why the wrapper is poisoned and what its reads must hide.
struct Poisoning {
    cause: String,
    injected: Option<InjectedFault>,
    /// Per stream, the first sequence number of a batch whose sync failed:
    /// that record and later ones are hidden until a reopen.
    hidden_from: HashMap<StreamId, Seq>,
    /// The failed batch carried rows: row reads refuse, as
    /// [`crate::SledLog`]'s do, since they could show an unacknowledged row.
    rows_uncertain: bool,
}

impl<L: EventLog> FaultyLog<L> {
    /// Wraps `inner` and starts the forwarder thread.
    ///
    /// Fails with [`LogError::Io`] only if the thread cannot be started.
    pub fn new(inner: L, plan: FaultPlan) -> Result<FaultyLog<L>, LogError> {
        let (sender, receiver) = bounded(plan.queue_batches_max);
        let state = Arc::new(State {
            inner,
            plan,
            poison: Mutex::new(None),
            numbered: AtomicU64::new(0),
            queued: AtomicU64::new(0),
            queued_peak: AtomicU64::new(0),
            acknowledged: Mutex::new(Vec::new()),
        });
        let forwarder_state = Arc::clone(&state);
        let forwarder = std::thread::Builder::new()
            .name("shoal-faulty-log".into())
            .spawn(move || forward(&forwarder_state, &receiver))
            .map_err(|err| LogError::Io {
                operation: "starting the faulty log's forwarder",
                detail: err.to_string(),
            })?;
        Ok(FaultyLog {
            state,
            queue: Some(sender),
            forwarder: Some(forwarder),
        })
    }

    /// The wrapped log.
    pub fn inner(&self) -> &L {
        &self.state.inner
    }

    /// The fault injected so far, if any (at most one: it poisons the log).
    pub fn injected(&self) -> Option<InjectedFault> {
        self.state.poison.lock().as_ref().and_then(|p| p.injected)
    }

    /// True once a fault (injected, or reported by the inner log) poisoned
    /// the wrapper.
    pub fn is_poisoned(&self) -> bool {
        self.state.poison.lock().is_some()
    }

    /// How many commits were numbered (handed on, or failed by the plan).
    pub fn commits_numbered(&self) -> u64 {
        self.state.numbered.load(Ordering::Acquire)
    }

    /// The most batches that waited in the wrapper's queue at once.
    pub fn queued_batches_peak(&self) -> u64 {
        self.state.queued_peak.load(Ordering::Acquire)
    }

    /// Stops the forwarder (every queued ticket is answered first) and
    /// returns the wrapped log, e.g. to close and reopen it.
    pub fn into_inner(mut self) -> L {
        self.stop_forwarder();
        let state = Arc::clone(&self.state);
        drop(self);
        match Arc::try_unwrap(state) {
            Ok(state) => state.inner,
            Err(_) => unreachable!("the forwarder exited and the handle is gone: one Arc is left"),
        }
    }

    fn stop_forwarder(&mut self) {
        // Closing the queue lets the forwarder answer what is queued and exit.
        drop(self.queue.take());
        if let Some(forwarder) = self.forwarder.take() {
            if forwarder.join().is_err() {
                tracing::error!("the faulty log's forwarder thread panicked");
            }
        }
    }

    /// Copies of every batch acknowledged `Ok`, in order; empty unless the
    /// plan has [`FaultPlan::with_acknowledged_batches_recorded`].
    pub fn acknowledged(&self) -> Vec<WriteBatch> {
        self.state.acknowledged.lock().clone()
    }
}

impl<L> State<L> {
    fn poisoned_error(&self) -> Option<LogError> {
        self.poison.lock().as_ref().map(|p| LogError::Poisoned {
            cause: p.cause.clone(),
        })
    }

    /// Poisons the wrapper; the first cause is kept.
    fn poison(&self, poisoning: Poisoning) {
        let mut slot = self.poison.lock();
        if slot.is_none() {
            tracing::warn!(cause = %poisoning.cause, "faulty log poisoned");
            *slot = Some(poisoning);
        }
    }
}

/// The forwarder: takes each queued group, waits the plan's delay, numbers
/// the batches in order, fails or hands on each, then answers every ticket
/// in order once the inner log answered.
fn forward<L: EventLog>(state: &State<L>, queue: &Receiver<Queued>) {
    while let Ok(first) = queue.recv() {
        // Counted out one by one as taken, so the depth never overstates
        // the queue by more than one batch.
        state.queued.fetch_sub(1, Ordering::AcqRel);
        let mut group = vec![first];
        while let Ok(next) = queue.try_recv() {
            state.queued.fetch_sub(1, Ordering::AcqRel);
            group.push(next);
        }
        if !state.plan.commit_delay.is_zero() {
            std::thread::sleep(state.plan.commit_delay);
        }
        let mut waiting = Vec::with_capacity(group.len());
        for (batch, notifier) in group {
            if let Some(err) = state.poisoned_error() {
                // Answered in order, after the batches ahead of it.
                waiting.push(Waiting::Fail(None, notifier, err));
                continue;
            }
            let commit = state.numbered.fetch_add(1, Ordering::AcqRel) + 1;
            match state.plan.decide(commit) {
                Some(kind) => waiting.push(inject(state, commit, kind, batch, notifier)),
                None => {
                    let copy = state.plan.record_acknowledged.then(|| batch.clone());
                    let ticket = state.inner.commit(batch);
                    waiting.push(Waiting::Forward(ticket, notifier, copy));
                }
            }
        }
        for entry in waiting {
            answer(state, entry);
        }
    }
}

/// A ticket handed to the inner log and how to answer its caller.
enum Waiting {
    /// Answer with the inner log's outcome; keep the copy if `Ok`.
    Forward(CommitTicket, CommitNotifier, Option<WriteBatch>),
    /// Wait for the inner log (the batch reached it), then answer `err`.
    Fail(Option<CommitTicket>, CommitNotifier, LogError),
}

/// Poisons the wrapper for commit `commit` and, for a sync failure, still
/// hands the batch to the inner log. The poison is set first, so no later
/// batch follows it and reads hide it from the start.
fn inject<L: EventLog>(
    state: &State<L>,
    commit: u64,
    kind: FaultKind,
    batch: WriteBatch,
    notifier: CommitNotifier,
) -> Waiting {
    let fault = InjectedFault { commit, kind };
    let mut poisoning = Poisoning {
        cause: fault.to_string(),
        injected: Some(fault),
        hidden_from: HashMap::new(),
        rows_uncertain: false,
    };
    if kind == FaultKind::Sync {
        for record in batch.records() {
            let first = poisoning
                .hidden_from
                .entry(record.stream)
                .or_insert(record.seq);
            *first = (*first).min(record.seq);
        }
        poisoning.rows_uncertain = !batch.rows().is_empty();
    }
    let err = LogError::Poisoned {
        cause: poisoning.cause.clone(),
    };
    state.poison(poisoning);
    let ticket = (kind == FaultKind::Sync).then(|| state.inner.commit(batch));
    Waiting::Fail(ticket, notifier, err)
}

fn answer<L: EventLog>(state: &State<L>, entry: Waiting) {
    match entry {
        Waiting::Forward(ticket, notifier, copy) => {
            let outcome = ticket.wait();
            match &outcome {
                Ok(_) => {
                    if let Some(copy) = copy {
                        state.acknowledged.lock().push(copy);
                    }
                }
                Err(err @ (LogError::Poisoned { .. } | LogError::Closed)) => {
                    state.poison(Poisoning {
                        cause: format!("the inner log failed: {err}"),
                        injected: None,
                        hidden_from: HashMap::new(),
                        rows_uncertain: false,
                    });
                }
                // Validation errors (conflicts, sizes) poison nothing.
                Err(_) => {}
            }
            notifier.notify(outcome);
        }
        Waiting::Fail(ticket, notifier, err) => {
            if let Some(ticket) = ticket {
                // Its outcome is exactly what the caller must not learn.
                let _ = ticket.wait();
            }
            notifier.notify(Err(err));
        }
    }
}

impl<L: EventLog> EventLog for FaultyLog<L> {
    fn commit(&self, batch: WriteBatch) -> CommitTicket {
        if let Some(err) = self.state.poisoned_error() {
            return CommitTicket::ready(Err(err));
        }
        let Some(queue) = &self.queue else {
            return CommitTicket::ready(Err(LogError::Closed));
        };
        let (ticket, notifier) = CommitTicket::pending();
        let depth = self.state.queued.fetch_add(1, Ordering::AcqRel) + 1;
        self.state.queued_peak.fetch_max(depth, Ordering::AcqRel);
        // Blocks while the queue is full: back-pressure, as in SledLog.
        if queue.send((batch, notifier)).is_err() {
            self.state.queued.fetch_sub(1, Ordering::AcqRel);
            return CommitTicket::ready(Err(LogError::Closed));
        }
        ticket
    }

    fn read_stream(
        &self,
        stream: StreamId,
        from: Seq,
        limit: usize,
    ) -> Result<Vec<Record>, LogError> {
        let mut records = self.state.inner.read_stream(stream, from, limit)?;
        if let Some(hidden) = self.hidden_from(stream) {
            records.retain(|record| record.seq < hidden);
        }
        Ok(records)
    }

    fn last_seq(&self, stream: StreamId) -> Result<Option<Seq>, LogError> {
        if self.hidden_from(stream).is_none() {
            return self.state.inner.last_seq(stream);
        }
        // Rare (one stream of one failed batch): a full read is fine.
        let records = self.read_stream(stream, Seq(0), usize::MAX)?;
        Ok(records.last().map(|record| record.seq))
    }

    fn get_row(&self, space: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>, LogError> {
        self.check_rows()?;
        self.state.inner.get_row(space, key)
    }

    fn scan_rows(
        &self,
        space: Keyspace,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Row>, LogError> {
        self.check_rows()?;
        self.state
            .inner
            .scan_rows(space, prefix, start_after, limit)
    }

    fn metrics(&self) -> LogMetrics {
        let mut metrics = self.state.inner.metrics();
        metrics.queued_batches += self.state.queued.load(Ordering::Acquire);
        metrics
    }

    fn stats(&self) -> LogStats {
        let mut stats = self.state.inner.stats();
        stats.queued_batches += self.state.queued.load(Ordering::Acquire);
        stats.poisoned |= self.is_poisoned();
        stats
    }
}

impl<L: EventLog> FaultyLog<L> {
    fn hidden_from(&self, stream: StreamId) -> Option<Seq> {
        let poison = self.state.poison.lock();
        poison.as_ref()?.hidden_from.get(&stream).copied()
    }

    fn check_rows(&self) -> Result<(), LogError> {
        match self.state.poison.lock().as_ref() {
            Some(p) if p.rows_uncertain => Err(LogError::Poisoned {
                cause: p.cause.clone(),
            }),
            _ => Ok(()),
        }
    }
}

impl<L: EventLog> std::fmt::Debug for FaultyLog<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultyLog")
            .field("plan", &self.state.plan)
            .field("commits_numbered", &self.commits_numbered())
            .field("injected", &self.injected())
            .finish_non_exhaustive()
    }
}

impl<L: EventLog> Drop for FaultyLog<L> {
    fn drop(&mut self) {
        self.stop_forwarder();
    }
}
