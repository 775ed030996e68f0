//! The task attempts one driver has in flight, polled by the driver itself
//! (no tokio task of their own).
//!
//! Most executions run one task at a time (every map-run child with a
//! Task), so one attempt is held inline; a `FuturesUnordered` (two shared
//! allocations plus one per attempt) is made only when a second attempt
//! runs beside the first (Parallel branches, inline Map iterations).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::FuturesUnordered;
use futures::StreamExt;

use super::effects::TaskAttempt;
use crate::interpreter::Input;

/// A driver's attempts in flight.
#[derive(Default)]
pub(crate) enum Attempts {
    #[default]
    Idle,
    One(TaskAttempt),
    Many(FuturesUnordered<TaskAttempt>),
}

impl Attempts {
    /// Adds an attempt; it starts when next polled.
    pub(crate) fn push(&mut self, attempt: TaskAttempt) {
        *self = match std::mem::take(self) {
            Attempts::Idle => Attempts::One(attempt),
            Attempts::One(first) => {
                let set = FuturesUnordered::new();
                set.push(first);
                set.push(attempt);
                Attempts::Many(set)
            }
            Attempts::Many(set) => {
                set.push(attempt);
                Attempts::Many(set)
            }
        };
    }

    /// The next attempt to end: `Ready(Some(input))` with what to record
    /// (`None` for a cancelled attempt), `Ready(None)` when none is in
    /// flight, `Pending` with `cx` registered with every attempt.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Option<Input>>> {
        match self {
            Attempts::Idle => Poll::Ready(None),
            Attempts::One(attempt) => {
                let outcome = std::task::ready!(Pin::new(attempt).poll(cx));
                *self = Attempts::Idle;
                Poll::Ready(Some(outcome))
            }
            Attempts::Many(set) => match set.poll_next_unpin(cx) {
                Poll::Ready(None) => {
                    *self = Attempts::Idle;
                    Poll::Ready(None)
                }
                other => other,
            },
        }
    }

    /// Every attempt in flight (to find the one a `CancelTask` names).
    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = &TaskAttempt> + '_> {
        match self {
            Attempts::Idle => Box::new(std::iter::empty()),
            Attempts::One(attempt) => Box::new(std::iter::once(attempt)),
            Attempts::Many(set) => Box::new(set.iter()),
        }
    }

    pub(crate) fn is_idle(&self) -> bool {
        matches!(self, Attempts::Idle)
    }
}
