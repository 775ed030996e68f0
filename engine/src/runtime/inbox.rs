//! An execution's inbox: the bounded queue of [`Command`]s its driver
//! takes (timer firings, API calls, a map run's `Stop` or outcome).
//!
//! It replaces a tokio `mpsc` channel, whose shared state (two
//! cache-padded halves) and first block of 32 slots took ~1.3 KB per
//! execution; with 10,000 map-run children in flight, each with an inbox
//! that is almost always empty, that was a tenth of their memory. This one
//! is one allocation of ~150 bytes plus the queued commands.
//!
//! Protocol:
//! 1. A sender locks the queue; if the inbox is closed it gets its command
//!    back; if fewer than [`EXECUTION_QUEUE_INPUTS`] wait it pushes and
//!    wakes the driver; otherwise it waits for `changed` (space freed or
//!    closed) and tries again. So the queue is bounded.
//! 2. The driver registers its waker, then pops: a push after the
//!    registration wakes it, one before is popped (no lost wake-up).
//! 3. The driver's [`InboxReceiver`] closes the inbox when dropped: queued
//!    commands are dropped (their callers' acknowledgements fail) and every
//!    sender or [`Mailbox::closed`] waiter is woken.

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::Context;

use futures::task::AtomicWaker;
use parking_lot::Mutex;
use tokio::sync::Notify;

use super::shared::{Command, EXECUTION_QUEUE_INPUTS};

struct Inbox {
    queue: Mutex<Queue>,
    /// The driver's waker (step 2).
    driver: AtomicWaker,
    /// Space freed or the inbox closed (steps 1 and 3).
    changed: Notify,
}

struct Queue {
    commands: VecDeque<Command>,
    closed: bool,
}

/// What one attempt to queue a command did.
enum Push {
    Queued,
    Full(Command),
    Closed(Command),
}

/// The sending side of an execution's inbox; cheap to clone (one `Arc`).
#[derive(Clone)]
pub(crate) struct Mailbox {
    inbox: Arc<Inbox>,
}

/// The driver's side: taking commands. Closes the inbox when dropped.
pub(crate) struct InboxReceiver {
    inbox: Arc<Inbox>,
}

/// A new open, empty inbox.
pub(crate) fn inbox() -> (Mailbox, InboxReceiver) {
    let inbox = Arc::new(Inbox {
        queue: Mutex::new(Queue {
            commands: VecDeque::new(),
            closed: false,
        }),
        driver: AtomicWaker::new(),
        changed: Notify::new(),
    });
    (
        Mailbox {
            inbox: Arc::clone(&inbox),
        },
        InboxReceiver { inbox },
    )
}

impl Mailbox {
    /// Queues `command`, waiting while the inbox is full; `Err` with the
    /// command when the driver has exited.
    pub(crate) async fn send(&self, command: Command) -> Result<(), Command> {
        let mut command = command;
        loop {
            let changed = self.inbox.changed.notified();
            tokio::pin!(changed);
            // Registered before looking, so a pop or close in between wakes it.
            changed.as_mut().enable();
            match self.try_push(command) {
                Push::Queued => return Ok(()),
                Push::Closed(refused) => return Err(refused),
                Push::Full(kept) => command = kept,
            }
            changed.await;
        }
    }

    fn try_push(&self, command: Command) -> Push {
        let mut queue = self.inbox.queue.lock();
        if queue.closed {
            return Push::Closed(command);
        }
        if queue.commands.len() >= EXECUTION_QUEUE_INPUTS {
            return Push::Full(command);
        }
        queue.commands.push_back(command);
        drop(queue);
        self.inbox.driver.wake();
        Push::Queued
    }

    /// Wakes the driver without a command (it then looks at the engine's
    /// stopping flag).
    pub(crate) fn wake(&self) {
        self.inbox.driver.wake();
    }

    /// Resolves once the driver has exited (its execution ended durably,
    /// or the engine stopped).
    pub(crate) async fn closed(&self) {
        loop {
            let changed = self.inbox.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.inbox.queue.lock().closed {
                return;
            }
            changed.await;
        }
    }
}

impl InboxReceiver {
    /// The next queued command, if any.
    pub(crate) fn try_recv(&self) -> Option<Command> {
        let mut queue = self.inbox.queue.lock();
        let full = queue.commands.len() >= EXECUTION_QUEUE_INPUTS;
        let command = queue.commands.pop_front();
        if queue.commands.is_empty() && queue.commands.capacity() > 0 {
            // Mostly empty between bursts: hold no buffer meanwhile.
            queue.commands = VecDeque::new();
        }
        drop(queue);
        if full && command.is_some() {
            self.inbox.changed.notify_waiters();
        }
        command
    }

    /// Registers `cx`'s waker so [`Mailbox::wake`] and sends wake it.
    pub(crate) fn register(&self, cx: &Context<'_>) {
        self.inbox.driver.register(cx.waker());
    }
}

impl Drop for InboxReceiver {
    fn drop(&mut self) {
        let dropped = {
            let mut queue = self.inbox.queue.lock();
            queue.closed = true;
            std::mem::take(&mut queue.commands)
        };
        // Outside the lock: dropping a command fails its caller's ack.
        drop(dropped);
        self.inbox.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::task::Poll;

    use super::*;
    use crate::interpreter::{Input, TimerId};

    /// The next command, as the driver takes it: waker registered, then
    /// the queue read.
    async fn recv(receiver: &InboxReceiver) -> Command {
        std::future::poll_fn(|cx| {
            receiver.register(cx);
            match receiver.try_recv() {
                Some(command) => Poll::Ready(command),
                None => Poll::Pending,
            }
        })
        .await
    }

    fn timer(n: u64) -> Command {
        Command::new(Input::TimerFired { timer: TimerId(n) })
    }

    fn timer_of(command: &Command) -> u64 {
        match *command.input {
            Input::TimerFired { timer } => timer.0,
            _ => panic!("only timers are sent here"),
        }
    }

    #[tokio::test]
    async fn commands_arrive_in_order_and_wake_the_driver() {
        let (mailbox, receiver) = inbox();
        let waiter = tokio::spawn(async move {
            let first = recv(&receiver).await;
            let second = recv(&receiver).await;
            (timer_of(&first), timer_of(&second))
        });
        tokio::task::yield_now().await;
        assert!(mailbox.send(timer(1)).await.is_ok());
        assert!(mailbox.send(timer(2)).await.is_ok());
        assert_eq!(waiter.await.unwrap(), (1, 2));
    }

    #[tokio::test]
    async fn a_full_inbox_makes_the_sender_wait_until_space_frees() {
        let (mailbox, receiver) = inbox();
        for n in 0..EXECUTION_QUEUE_INPUTS as u64 {
            assert!(mailbox.send(timer(n)).await.is_ok());
        }
        let sender = mailbox.clone();
        let blocked = tokio::spawn(async move { sender.send(timer(999)).await.is_ok() });
        tokio::task::yield_now().await;
        assert!(
            !blocked.is_finished(),
            "the send waits while the inbox is full"
        );
        assert_eq!(timer_of(&receiver.try_recv().unwrap()), 0);
        assert!(blocked.await.unwrap(), "space freed: the send went through");
        let mut last = 0;
        while let Some(command) = receiver.try_recv() {
            last = timer_of(&command);
        }
        assert_eq!(last, 999);
    }

    #[tokio::test]
    async fn dropping_the_receiver_closes_and_refuses_later_sends() {
        let (mailbox, receiver) = inbox();
        let (ack, answer) = tokio::sync::oneshot::channel();
        let queued = Command::with_ack(Input::TimerFired { timer: TimerId(1) }, ack);
        assert!(mailbox.send(queued).await.is_ok());
        let watcher = mailbox.clone();
        let closed = tokio::spawn(async move { watcher.closed().await });
        tokio::task::yield_now().await;
        assert!(!closed.is_finished());
        drop(receiver);
        closed.await.unwrap();
        assert!(
            answer.await.is_err(),
            "a queued command's caller learns it was dropped"
        );
        assert!(mailbox.send(timer(2)).await.is_err());
    }
}
