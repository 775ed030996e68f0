//! The poison flag: set once by the first durability failure, never cleared.

use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use crate::error::LogError;

/// Whether the log failed to make data durable, and why.
#[derive(Debug, Default)]
pub(crate) struct Poison {
    poisoned: AtomicBool,
    /// Set when the failed group may have left row changes in sled's memory
    /// that are not known to be durable: row reads then refuse too.
    rows_uncertain: AtomicBool,
    cause: Mutex<Option<String>>,
}

impl Poison {
    /// Poisons the log; the first cause is kept.
    pub(crate) fn set(&self, cause: String, rows_uncertain: bool) {
        let mut slot = self.cause.lock();
        if slot.is_none() {
            tracing::error!(%cause, "event log poisoned");
            *slot = Some(cause);
        }
        if rows_uncertain {
            self.rows_uncertain.store(true, Ordering::Release);
        }
        self.poisoned.store(true, Ordering::Release);
    }

    /// Whether the log is poisoned.
    pub(crate) fn is_set(&self) -> bool {
        self.poisoned.load(Ordering::Acquire)
    }

    /// `Err(Poisoned)` once poisoned.
    pub(crate) fn check(&self) -> Result<(), LogError> {
        if self.poisoned.load(Ordering::Acquire) {
            return Err(self.error());
        }
        Ok(())
    }

    /// `Err(Poisoned)` when row reads might show a batch that is not durable.
    pub(crate) fn check_rows(&self) -> Result<(), LogError> {
        if self.rows_uncertain.load(Ordering::Acquire) {
            return Err(self.error());
        }
        Ok(())
    }

    /// The error every refused operation returns.
    pub(crate) fn error(&self) -> LogError {
        let cause = self
            .cause
            .lock()
            .clone()
            .unwrap_or_else(|| "unknown failure".to_owned());
        LogError::Poisoned { cause }
    }
}
