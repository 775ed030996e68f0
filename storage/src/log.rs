//! The [`EventLog`] contract: what every backend promises its callers.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use crate::batch::WriteBatch;
use crate::error::LogError;
use crate::stats::LogStats;
use crate::types::{Keyspace, Record, Seq, StreamId};

/// An append-only, durable log of per-stream records plus keyed state rows.
///
/// A *stream* is the ordered history of one execution (or any other owner the
/// caller chooses); a *state row* is a key/value pair in a [`Keyspace`] that the
/// caller needs to find without scanning streams (indexes, checkpoints, timers).
///
/// # Contract
///
/// Every backend MUST provide the following; the conformance suite in
/// `tests/conformance.rs` checks it for each backend.
///
/// 1. **Atomicity.** Everything in one [`WriteBatch`] (records of any number of
///    streams, row puts and deletes) becomes visible and durable together, or
///    not at all, including across a crash.
/// 2. **Durability before acknowledgement.** A [`CommitTicket`] resolves to
///    `Ok` only after the batch is on stable storage (for a disk backend:
///    written, flushed and `fsync`ed). A batch whose ticket resolved `Ok`
///    survives any later crash. A ticket that resolves `Err`, or is dropped
///    because the process died, promises nothing either way.
/// 3. **Read-your-acknowledged-writes.** Reads observe only durable batches:
///    a batch becomes visible no earlier than its ticket can resolve `Ok`, and
///    every batch whose ticket resolved `Ok` is visible to every later read.
/// 4. **Ordering.** Batches are applied in the order [`EventLog::commit`] was
///    called. Within a stream, records are returned in ascending [`Seq`].
///    The caller assigns sequence numbers and MUST be the single writer of a
///    stream; a batch that repeats an existing `(stream, seq)` or does not
///    increase `seq` within a stream is rejected with
///    [`LogError::SequenceConflict`] and nothing of it is applied.
/// 5. **Poisoning.** If making data durable fails (a failed `fsync`, a failed
///    write, a panicking committer), the log is poisoned: that batch and every
///    later one resolves [`LogError::Poisoned`]. Retrying an `fsync` is wrong,
///    so the only way forward is to drop the log and open it again, which
///    recovers the last durable state. [`crate::fault::FaultyLog`] injects
///    such failures around any backend, for testing callers.
/// 6. **Corruption is an error.** A record or row that fails its checksum or
///    cannot be decoded is reported as [`LogError::Corrupt`] naming the key;
///    it is never skipped and never a panic.
pub trait EventLog: Send + Sync + 'static {
    /// Queues `batch` for the next group commit and returns a ticket that
    /// resolves once the batch is durable (or the log failed).
    ///
    /// Validation errors (sequence conflicts, oversized records, a poisoned
    /// log) are reported through the ticket, so callers have one place to
    /// handle failure.
    fn commit(&self, batch: WriteBatch) -> CommitTicket;

    /// Returns up to `limit` records of `stream` with `seq >= from`, in
    /// ascending sequence order. An unknown stream yields an empty vector.
    fn read_stream(
        &self,
        stream: StreamId,
        from: Seq,
        limit: usize,
    ) -> Result<Vec<Record>, LogError>;

    /// Returns the highest sequence number written to `stream`, if any.
    fn last_seq(&self, stream: StreamId) -> Result<Option<Seq>, LogError>;

    /// Returns the value of the row `key` in `space`, if present.
    fn get_row(&self, space: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>, LogError>;

    /// Returns up to `limit` rows of `space` whose key starts with `prefix`,
    /// in ascending key order, starting strictly after `start_after` when it
    /// is given (for paging).
    fn scan_rows(
        &self,
        space: Keyspace,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Row>, LogError>;

    /// A snapshot of the log's counters (commits, records, bytes, queue
    /// depth) and its size on disk, which may cost a directory listing.
    fn metrics(&self) -> LogMetrics;

    /// A snapshot of the log's counters that MUST be cheap (no I/O, no lock a
    /// committer holds for long): callers read it on hot paths (dispatch
    /// back-pressure, progress, engine metrics). The default derives it from
    /// [`EventLog::metrics`]; backends SHOULD override it.
    fn stats(&self) -> LogStats {
        LogStats::from(self.metrics())
    }
}

/// One state row as returned by [`EventLog::scan_rows`]: `(key, value)`.
pub type Row = (Vec<u8>, Vec<u8>);

/// Counters a log keeps about itself, for benchmarks and back-pressure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogMetrics {
    /// Group commits made durable since open.
    pub commits: u64,
    /// Records made durable since open.
    pub records: u64,
    /// Row puts and deletes made durable since open.
    pub row_ops: u64,
    /// Encoded bytes handed to the backend since open.
    pub bytes_written: u64,
    /// Batches queued and not yet durable right now.
    pub queued_batches: u64,
    /// Size on disk of the backend's files, where it has any.
    pub disk_bytes: u64,
}

/// What a durable commit reports back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitReceipt {
    /// The number of the group commit that made this batch durable; strictly
    /// increasing over the life of an open log.
    pub group: u64,
}

/// Resolves when the batch it was returned for is durable, or the log failed.
///
/// Await it from async code, or call [`CommitTicket::wait`] from a thread that
/// is not driving a tokio runtime.
#[must_use = "a commit is not acknowledged until its ticket resolves"]
#[derive(Debug)]
pub struct CommitTicket {
    state: TicketState,
}

#[derive(Debug)]
enum TicketState {
    Ready(Option<Result<CommitReceipt, LogError>>),
    Waiting(oneshot::Receiver<Result<CommitReceipt, LogError>>),
}

/// The sending half of a [`CommitTicket`], held by a backend's committer.
#[derive(Debug)]
pub struct CommitNotifier(oneshot::Sender<Result<CommitReceipt, LogError>>);

impl CommitNotifier {
    /// Resolves the ticket. A ticket whose caller went away is ignored.
    pub fn notify(self, outcome: Result<CommitReceipt, LogError>) {
        // The receiver may have been dropped (caller stopped waiting): fine.
        let _ = self.0.send(outcome);
    }
}

impl CommitTicket {
    /// A ticket paired with the notifier that will resolve it.
    pub fn pending() -> (CommitTicket, CommitNotifier) {
        let (sender, receiver) = oneshot::channel();
        let ticket = CommitTicket {
            state: TicketState::Waiting(receiver),
        };
        (ticket, CommitNotifier(sender))
    }

    /// A ticket that is already resolved, e.g. with a validation error.
    pub fn ready(outcome: Result<CommitReceipt, LogError>) -> CommitTicket {
        CommitTicket {
            state: TicketState::Ready(Some(outcome)),
        }
    }

    /// Blocks the current thread until the commit resolves.
    ///
    /// Must not be called from inside an async task (it would block a
    /// runtime worker); await the ticket there instead.
    pub fn wait(self) -> Result<CommitReceipt, LogError> {
        match self.state {
            TicketState::Ready(outcome) => outcome.unwrap_or(Err(LogError::Closed)),
            TicketState::Waiting(receiver) => {
                receiver.blocking_recv().unwrap_or(Err(LogError::Closed))
            }
        }
    }
}

impl Future for CommitTicket {
    type Output = Result<CommitReceipt, LogError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match &mut this.state {
            TicketState::Ready(outcome) => {
                Poll::Ready(outcome.take().unwrap_or(Err(LogError::Closed)))
            }
            TicketState::Waiting(receiver) => match Pin::new(receiver).poll(cx) {
                Poll::Ready(Ok(outcome)) => Poll::Ready(outcome),
                // The committer dropped the notifier without answering: the
                // log was closed or its committer died.
                Poll::Ready(Err(_)) => Poll::Ready(Err(LogError::Closed)),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}
