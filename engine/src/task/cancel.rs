//! A cooperative cancellation signal shared by the runtime and task handlers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// A one-way, cloneable cancellation flag.
///
/// Every clone observes the same flag. [`CancellationToken::cancel`] sets it
/// for good (it is never reset) and wakes every task waiting in
/// [`CancellationToken::cancelled`]. Checking it is one atomic load, so a
/// blocking handler may poll [`CancellationToken::is_cancelled`] in a loop.
///
/// The runtime passes one to [`TaskRunner::invoke`](super::TaskRunner::invoke)
/// (for example one per execution, cancelled by `stop_execution`); the handler
/// sees it through [`TaskContext`](super::TaskContext).
#[derive(Clone, Debug, Default)]
pub struct CancellationToken {
    inner: Arc<CancelSignal>,
}

/// The flag and its waiters, without the `Arc`: a [`TaskContext`](super::TaskContext)
/// keeps its attempt's own signal inline (one allocation less per attempt).
#[derive(Debug, Default)]
pub(crate) struct CancelSignal {
    cancelled: AtomicBool,
    notify: Notify,
}

impl CancelSignal {
    /// Sets the flag and wakes every waiter.
    pub(crate) fn cancel(&self) {
        // SeqCst pairs with the load in `cancelled` after the waiter has
        // registered, so either the waiter sees the flag or it is notified.
        self.cancelled.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Completes once the flag is set (at once if it already is).
    pub(crate) async fn cancelled(&self) {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        // Register as a waiter before reading the flag: a `cancel` between
        // the two is then seen by one or the other, never lost.
        notified.as_mut().enable();
        if self.is_cancelled() {
            return;
        }
        notified.await;
    }
}

impl CancellationToken {
    /// A token that is not cancelled.
    pub fn new() -> CancellationToken {
        CancellationToken::default()
    }

    /// Sets the flag and wakes every waiter. Idempotent; callable from any
    /// thread, inside or outside a tokio runtime.
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// True once [`cancel`](Self::cancel) has been called on any clone.
    pub fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }

    /// Completes when the token is cancelled (at once if it already is).
    /// Cancel-safe: dropping the future loses nothing.
    pub async fn cancelled(&self) {
        self.inner.cancelled().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancel_wakes_a_waiter_and_sticks() {
        let token = CancellationToken::new();
        assert!(!token.is_cancelled());
        let waiter = tokio::spawn({
            let token = token.clone();
            async move { token.cancelled().await }
        });
        tokio::task::yield_now().await;
        token.cancel();
        waiter.await.expect("the waiter task does not panic");
        assert!(token.is_cancelled());
        // Already cancelled: completes at once.
        token.cancelled().await;
    }
}
