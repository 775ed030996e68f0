//! [`Admission`]: the bound on running executions
//! (`EngineBuilder::max_running_executions`).
//!
//! Every top-level execution holds one slot while its driver runs:
//!
//! 1. `start_execution` and `redrive_execution` wait for a slot before
//!    anything is recorded ([`Admission::acquire`]); a flood of them
//!    waits instead of growing memory.
//! 2. An execution recovered when the engine opens takes a slot without
//!    waiting ([`Admission::admit_recovered`]). It was running before the
//!    engine stopped; leaving it without a driver until a slot frees would
//!    stall its timers and task tokens, and a bound lowered between two
//!    runs could then never drain. When more executions are recovered
//!    than the bound allows, the surplus is recorded as *debt*.
//! 3. A slot is released when its driver exits (the execution's end is
//!    durable, or the engine stops) ([`hold_until_exit`]). A release first
//!    pays back one unit of debt, and only with no debt left does it free
//!    a permit: so after recovering 20 executions under a bound of 5, new
//!    starts wait until fewer than 5 of them still run.
//!
//! Map-run children are not counted here; they have their own bound
//! (`MapRunOptions::with_global_in_flight`).

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::Semaphore;

use super::shared::Shared;
use crate::history::ExecutionId;

/// Running-execution slots: a semaphore of `bound` permits plus the debt
/// of recovered executions admitted above it.
pub(crate) struct Admission {
    permits: Semaphore,
    /// Executions running above the bound (see the module doc, step 2).
    /// Locked around every change of the permits that depends on it.
    debt: Mutex<usize>,
}

/// One running execution's slot; dropping it releases the slot.
pub(crate) struct Slot {
    admission: Arc<Admission>,
}

impl Admission {
    /// `bound` slots (at least 1; at most what a semaphore can count).
    pub(crate) fn new(bound: usize) -> Arc<Admission> {
        Arc::new(Admission {
            permits: Semaphore::new(bound.clamp(1, Semaphore::MAX_PERMITS)),
            debt: Mutex::new(0),
        })
    }

    /// Waits for a free slot; `None` once the semaphore is closed.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Option<Slot> {
        let permit = self.permits.acquire().await.ok()?;
        // The slot, not the permit, gives it back (see `release`).
        permit.forget();
        Some(Slot {
            admission: Arc::clone(self),
        })
    }

    /// A slot for a recovered execution, now: a free permit if there is
    /// one, else one unit of debt.
    pub(crate) fn admit_recovered(self: &Arc<Self>) -> Slot {
        let mut debt = self.debt.lock();
        match self.permits.try_acquire() {
            Ok(permit) => permit.forget(),
            Err(_) => *debt += 1,
        }
        Slot {
            admission: Arc::clone(self),
        }
    }

    /// Executions counted above the bound right now.
    #[cfg(test)]
    fn debt(&self) -> usize {
        *self.debt.lock()
    }

    fn release(&self) {
        let mut debt = self.debt.lock();
        if *debt > 0 {
            *debt -= 1;
        } else {
            self.permits.add_permits(1);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.admission.release();
    }
}

/// Holds `slot` until the driver of execution `id` exits (its end is
/// durable, or the engine stops); released at once when no driver of
/// `id` runs.
pub(crate) fn hold_until_exit(shared: &Shared, id: ExecutionId, slot: Slot) {
    let sender = shared
        .running
        .lock()
        .get(&id)
        .map(|running| running.sender.clone());
    let Some(sender) = sender else {
        return; // Already ended: `slot` is released here.
    };
    tokio::spawn(async move {
        // Closed once the driver exited: ended durably, or stopped.
        sender.closed().await;
        drop(slot);
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn recovered_executions_above_the_bound_are_debt_paid_back_first() {
        let admission = Admission::new(2);
        let recovered: Vec<Slot> = (0..5).map(|_| admission.admit_recovered()).collect();
        assert_eq!(admission.debt(), 3);
        assert_eq!(admission.permits.available_permits(), 0);
        let mut recovered = recovered.into_iter();
        for debt_left in [2, 1, 0] {
            drop(recovered.next());
            assert_eq!(admission.debt(), debt_left);
            assert_eq!(admission.permits.available_permits(), 0);
        }
        drop(recovered.next());
        assert_eq!(admission.permits.available_permits(), 1);
        let started = admission.acquire().await.unwrap();
        assert_eq!(admission.permits.available_permits(), 0);
        drop(recovered);
        drop(started);
        assert_eq!(admission.permits.available_permits(), 2);
    }

    #[tokio::test]
    async fn acquire_waits_for_a_release() {
        let admission = Admission::new(1);
        let first = admission.acquire().await.unwrap();
        let waiting = tokio::spawn({
            let admission = Arc::clone(&admission);
            async move { admission.acquire().await.map(|_| ()) }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(first);
        assert!(matches!(waiting.await, Ok(Some(()))));
    }
}
