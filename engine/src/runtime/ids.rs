//! Execution ids: reserved in blocks, each block made durable before any
//! of its ids is used, so an id is never handed out twice across restarts.

use shoal_storage::{EventLog, WriteBatch};

use crate::api::EngineError;
use crate::history::ExecutionId;
use crate::store::keys;

/// Ids reserved per counter write (one extra row per this many starts).
pub const EXECUTION_IDS_PER_RESERVATION: u64 = 1024;

/// The block of ids being handed out.
#[derive(Debug)]
pub(crate) struct IdAllocator {
    next: u64,
    end: u64,
}

impl IdAllocator {
    /// Reads the reservation counter: every id below it may have been used.
    pub(crate) fn open(log: &dyn EventLog) -> Result<IdAllocator, EngineError> {
        let row = log
            .get_row(keys::META, keys::NEXT_EXECUTION_ID)
            .map_err(|e| EngineError::log("reading the execution-id counter", e))?;
        let next = match row {
            None => 1,
            Some(bytes) => keys::parse_u64(&bytes).ok_or_else(|| EngineError::Corrupt {
                operation: "reading the execution-id counter",
                source: crate::store::StoreError::Corrupt {
                    what: "execution-id counter",
                    location: "meta/next_execution_id".into(),
                    detail: format!("{} bytes, expected 8", bytes.len()),
                },
            })?,
        };
        Ok(IdAllocator { next, end: next })
    }

    /// The next id, reserving (durably) a new block when the current one is
    /// used up.
    pub(crate) async fn allocate(
        &mut self,
        log: &dyn EventLog,
    ) -> Result<ExecutionId, EngineError> {
        if self.next >= self.end {
            let end = self.next + EXECUTION_IDS_PER_RESERVATION;
            let mut batch = WriteBatch::new();
            batch.put(keys::META, keys::NEXT_EXECUTION_ID, keys::u64_value(end));
            log.commit(batch)
                .await
                .map_err(|e| EngineError::log("reserving execution ids", e))?;
            self.end = end;
        }
        let id = ExecutionId(self.next);
        self.next += 1;
        Ok(id)
    }
}
