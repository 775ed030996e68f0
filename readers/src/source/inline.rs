//! [`InlineArray`]: items from an array in the state input (`ItemsPath` / `Items`).

use futures::future::BoxFuture;
use serde_json::Value;

use crate::checkpoint::{Checkpoint, Position};
use crate::error::ReaderError;
use crate::reader::{Batch, ItemReader};

/// Reads an in-memory array; the checkpoint is just the next index.
pub struct InlineArray {
    items: std::vec::IntoIter<Value>,
    items_read: u64,
}

impl InlineArray {
    /// Reads `items` from the start, or after `checkpoint.items_read` items.
    pub fn new(items: Vec<Value>, checkpoint: Option<&Checkpoint>) -> Result<Self, ReaderError> {
        let items_read = match checkpoint.map(|c| (&c.position, c.items_read)) {
            None | Some((Position::Start, _)) => 0,
            Some((Position::Inline | Position::Done, n)) => n,
            Some((other, _)) => {
                return Err(ReaderError::Checkpoint {
                    message: format!("an inline array cannot resume from {other:?}"),
                })
            }
        };
        let mut iter = items.into_iter();
        let skip = usize::try_from(items_read).unwrap_or(usize::MAX);
        if skip > 0 {
            iter.nth(skip - 1);
        }
        Ok(Self {
            items: iter,
            items_read,
        })
    }
}

impl ItemReader for InlineArray {
    fn next_batch(&mut self, max_items: usize) -> BoxFuture<'_, Result<Batch, ReaderError>> {
        let items: Vec<Value> = self.items.by_ref().take(max_items.max(1)).collect();
        self.items_read += items.len() as u64;
        let exhausted = self.items.len() == 0;
        let batch = Batch {
            items,
            checkpoint: Checkpoint {
                items_read: self.items_read,
                position: if exhausted {
                    Position::Done
                } else {
                    Position::Inline
                },
            },
            exhausted,
        };
        Box::pin(async move { Ok(batch) })
    }
}
