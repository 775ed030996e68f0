//! The [`ItemReader`] trait and [`Batch`], plus the `MaxItems` cap shared by every source.

use futures::future::BoxFuture;
use serde_json::Value;

use crate::checkpoint::{Checkpoint, Position};
use crate::error::ReaderError;

/// The largest `MaxItems` Step Functions accepts (and the cap when it is 0 = unlimited).
pub const MAX_ITEMS_LIMIT: u64 = 100_000_000;

/// Items and the position after them.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// At most the requested number of items, in source order.
    pub items: Vec<Value>,
    /// The checkpoint after the last item of `items`: a reader rebuilt from it yields the
    /// item after that one first.
    pub checkpoint: Checkpoint,
    /// True when no item follows (the source is exhausted or `MaxItems` is reached). A batch
    /// can be exhausted and still carry items.
    pub exhausted: bool,
}

/// A resumable, batched stream of items.
///
/// Contract:
/// - `next_batch(n)` with `n >= 1` returns between 1 and `n` items unless the source is
///   exhausted, in which case it returns the remaining (possibly zero) items with
///   `exhausted == true`; every later call returns an empty exhausted batch.
/// - Items come in source order (listing: key order; files: record order; inventory: data files
///   in manifest order, rows in file order) and none is skipped or repeated.
/// - The returned checkpoint is valid only once the caller has consumed the batch: a reader
///   built from it (with the same spec and store) continues with the next item.
/// - An `Err` leaves the reader unusable; rebuild it from the last checkpoint to retry.
/// - Memory is bounded by the batch size, one listing page or one record, whatever the source size.
pub trait ItemReader: Send {
    /// Reads the next batch of at most `max_items` items (0 is treated as 1).
    fn next_batch(&mut self, max_items: usize) -> BoxFuture<'_, Result<Batch, ReaderError>>;
}

/// Applies `MaxItems` on top of a source reader.
pub(crate) struct Limited {
    inner: Box<dyn ItemReader>,
    /// Total items allowed (already capped at [`MAX_ITEMS_LIMIT`]).
    limit: u64,
    items_read: u64,
}

impl Limited {
    pub(crate) fn new(inner: Box<dyn ItemReader>, max_items: u64, items_read: u64) -> Self {
        let limit = if max_items == 0 {
            MAX_ITEMS_LIMIT
        } else {
            max_items.min(MAX_ITEMS_LIMIT)
        };
        Self {
            inner,
            limit,
            items_read,
        }
    }

    fn done(&self) -> Batch {
        Batch {
            items: Vec::new(),
            checkpoint: Checkpoint {
                items_read: self.items_read,
                position: Position::Done,
            },
            exhausted: true,
        }
    }

    async fn next(&mut self, max_items: usize) -> Result<Batch, ReaderError> {
        let left = self.limit.saturating_sub(self.items_read);
        if left == 0 {
            return Ok(self.done());
        }
        let want = (max_items.max(1) as u64).min(left) as usize;
        let mut batch = self.inner.next_batch(want).await?;
        batch.items.truncate(want);
        self.items_read += batch.items.len() as u64;
        batch.checkpoint.items_read = self.items_read;
        if self.items_read >= self.limit {
            batch.exhausted = true;
            batch.checkpoint.position = Position::Done;
        }
        if batch.exhausted {
            batch.checkpoint.position = Position::Done;
        }
        Ok(batch)
    }
}

impl ItemReader for Limited {
    fn next_batch(&mut self, max_items: usize) -> BoxFuture<'_, Result<Batch, ReaderError>> {
        Box::pin(self.next(max_items))
    }
}

/// A reader that yields nothing (rebuilt from a `Done` checkpoint).
pub(crate) struct Exhausted {
    pub(crate) items_read: u64,
}

impl ItemReader for Exhausted {
    fn next_batch(&mut self, _max_items: usize) -> BoxFuture<'_, Result<Batch, ReaderError>> {
        let batch = Batch {
            items: Vec::new(),
            checkpoint: Checkpoint {
                items_read: self.items_read,
                position: Position::Done,
            },
            exhausted: true,
        };
        Box::pin(async move { Ok(batch) })
    }
}
