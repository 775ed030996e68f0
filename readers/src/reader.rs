//! The [`ItemReader`] trait and [`Batch`], plus the `MaxItems` cap shared by every source.

use futures::future::BoxFuture;
use serde_json::Value;

use crate::checkpoint::{Checkpoint, Position};
use crate::error::ReaderError;
use crate::item::RawItem;

/// The largest `MaxItems` Step Functions accepts (and the cap when it is 0 = unlimited).
pub const MAX_ITEMS_LIMIT: u64 = 100_000_000;

/// Items and the position after them: `Value`s ([`ItemReader::next_batch`]) or JSON text
/// ([`RawBatch`], [`ItemReader::next_raw_batch`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Batch<T = Value> {
    /// At most the requested number of items, in source order.
    pub items: Vec<T>,
    /// The checkpoint after the last item of `items`: a reader rebuilt from it yields the
    /// item after that one first.
    pub checkpoint: Checkpoint,
    /// True when no item follows (the source is exhausted or `MaxItems` is reached). A batch
    /// can be exhausted and still carry items.
    pub exhausted: bool,
}

/// A batch of items as validated JSON text.
pub type RawBatch = Batch<RawItem>;

impl Batch {
    /// The same batch with every item rendered as compact JSON text.
    pub fn into_raw(self) -> RawBatch {
        Batch {
            items: self.items.iter().map(RawItem::from_value).collect(),
            checkpoint: self.checkpoint,
            exhausted: self.exhausted,
        }
    }
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
/// - `next_batch` and `next_raw_batch` are two views of one stream: calls may be mixed, and
///   give the same items, checkpoints and errors in either form.
pub trait ItemReader: Send {
    /// Reads the next batch of at most `max_items` items (0 is treated as 1).
    fn next_batch(&mut self, max_items: usize) -> BoxFuture<'_, Result<Batch, ReaderError>>;

    /// Like [`ItemReader::next_batch`], with each item as JSON text that parses to the `Value`
    /// `next_batch` would give. File readers (JSON Lines, JSON arrays, CSV) produce the text
    /// without building `Value`s: a JSON item is validated and kept as the source spells it,
    /// a CSV row is rendered compactly. The default renders `next_batch`'s `Value`s.
    fn next_raw_batch(&mut self, max_items: usize) -> BoxFuture<'_, Result<RawBatch, ReaderError>> {
        Box::pin(async move { Ok(self.next_batch(max_items).await?.into_raw()) })
    }
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

    fn done<T>(&self) -> Batch<T> {
        Batch {
            items: Vec::new(),
            checkpoint: Checkpoint {
                items_read: self.items_read,
                position: Position::Done,
            },
            exhausted: true,
        }
    }

    /// How many items the next batch may carry (0: `MaxItems` is reached).
    fn want(&self, max_items: usize) -> usize {
        let left = self.limit.saturating_sub(self.items_read);
        (max_items.max(1) as u64).min(left) as usize
    }

    async fn next(&mut self, max_items: usize) -> Result<Batch, ReaderError> {
        let want = self.want(max_items);
        if want == 0 {
            return Ok(self.done());
        }
        let batch = self.inner.next_batch(want).await?;
        Ok(self.cap(want, batch))
    }

    async fn next_raw(&mut self, max_items: usize) -> Result<RawBatch, ReaderError> {
        let want = self.want(max_items);
        if want == 0 {
            return Ok(self.done());
        }
        let batch = self.inner.next_raw_batch(want).await?;
        Ok(self.cap(want, batch))
    }

    /// Counts `batch` (at most `want` items) and ends the stream at `MaxItems`.
    fn cap<T>(&mut self, want: usize, mut batch: Batch<T>) -> Batch<T> {
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
        batch
    }
}

impl ItemReader for Limited {
    fn next_batch(&mut self, max_items: usize) -> BoxFuture<'_, Result<Batch, ReaderError>> {
        Box::pin(self.next(max_items))
    }

    fn next_raw_batch(&mut self, max_items: usize) -> BoxFuture<'_, Result<RawBatch, ReaderError>> {
        Box::pin(self.next_raw(max_items))
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
