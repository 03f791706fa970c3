//! The bounded queue between the request path and the writer.
//!
//! A plain `sync_channel` hands over one message per wake-up: once a burst
//! has filled it, every message the writer takes wakes one blocked sender,
//! which sends one message and blocks again, two context switches per event
//! on a machine that has none to spare. Here the writer takes a whole batch
//! under one lock and wakes blocked senders once per batch, and a sender
//! wakes the writer only when the writer is waiting for work.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Why [`Queue::try_send`] refused a message; the message comes back.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TrySendError<T> {
    /// At capacity.
    Full(T),
    /// The receiver is gone.
    Closed(T),
}

/// Every sender is gone and nothing is left to take.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Disconnected;

struct State<T> {
    items: VecDeque<T>,
    receiver_waiting: bool,
    senders_waiting: usize,
    senders_gone: bool,
    receiver_gone: bool,
}

/// The sending side, shared by every clone of the log.
pub(crate) struct Queue<T> {
    state: Mutex<State<T>>,
    readable: Condvar,
    writable: Condvar,
    capacity: usize,
}

/// The writer's side. Dropping it (the writer stopped, even by a panic)
/// fails blocked and later sends instead of leaving them waiting.
pub(crate) struct Receiver<T>(Arc<Queue<T>>);

/// A queue holding at most `capacity` messages (at least one).
pub(crate) fn bounded<T>(capacity: usize) -> (Arc<Queue<T>>, Receiver<T>) {
    let queue = Arc::new(Queue {
        state: Mutex::new(State {
            items: VecDeque::new(),
            receiver_waiting: false,
            senders_waiting: 0,
            senders_gone: false,
            receiver_gone: false,
        }),
        readable: Condvar::new(),
        writable: Condvar::new(),
        capacity: capacity.max(1),
    });
    (queue.clone(), Receiver(queue))
}

impl<T> Queue<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Enqueues `item`, waiting while the queue is full. Gives it back if
    /// the receiver is gone.
    pub fn send(&self, item: T) -> Result<(), T> {
        let mut state = self.lock();
        loop {
            if state.receiver_gone {
                return Err(item);
            }
            if state.items.len() < self.capacity {
                break;
            }
            state.senders_waiting += 1;
            state = self
                .writable
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.senders_waiting -= 1;
        }
        self.push(state, item);
        Ok(())
    }

    /// Enqueues `item` if there is room now.
    pub fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        let state = self.lock();
        if state.receiver_gone {
            return Err(TrySendError::Closed(item));
        }
        if state.items.len() >= self.capacity {
            return Err(TrySendError::Full(item));
        }
        self.push(state, item);
        Ok(())
    }

    fn push(&self, mut state: MutexGuard<'_, State<T>>, item: T) {
        state.items.push_back(item);
        // Only the first sender after the receiver went to sleep wakes it.
        let wake = std::mem::take(&mut state.receiver_waiting);
        drop(state);
        if wake {
            self.readable.notify_one();
        }
    }

    /// The last sender is gone: the receiver takes what is left, then
    /// learns it is disconnected.
    pub fn close_senders(&self) {
        self.lock().senders_gone = true;
        self.readable.notify_all();
    }
}

impl<T> Receiver<T> {
    /// Waits until something is queued (at most `timeout`, if given), then
    /// moves up to `max` messages, oldest first, to the back of `out`.
    /// Returns how many it moved: 0 when the time ran out.
    pub fn take(
        &self,
        out: &mut VecDeque<T>,
        max: usize,
        timeout: Option<Duration>,
    ) -> Result<usize, Disconnected> {
        let queue = &self.0;
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut state = queue.lock();
        while state.items.is_empty() {
            if state.senders_gone {
                return Err(Disconnected);
            }
            state.receiver_waiting = true;
            state = match deadline {
                None => queue
                    .readable
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        state.receiver_waiting = false;
                        return Ok(0);
                    }
                    queue
                        .readable
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
            state.receiver_waiting = false;
        }
        Ok(Self::move_out(queue, state, out, max))
    }

    /// Moves up to `max` queued messages to `out` without waiting.
    pub fn try_take(&self, out: &mut VecDeque<T>, max: usize) -> usize {
        let queue = &self.0;
        Self::move_out(queue, queue.lock(), out, max)
    }

    fn move_out(
        queue: &Queue<T>,
        mut state: MutexGuard<'_, State<T>>,
        out: &mut VecDeque<T>,
        max: usize,
    ) -> usize {
        let n = state.items.len().min(max);
        if n == 0 {
            return 0;
        }
        if n == state.items.len() && out.is_empty() {
            // Everything: swap the buffers, and the queue reuses the
            // capacity the writer has emptied.
            std::mem::swap(&mut state.items, out);
        } else {
            out.extend(state.items.drain(..n));
        }
        let wake = state.senders_waiting > 0;
        drop(state);
        if wake {
            queue.writable.notify_all();
        }
        n
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.receiver_gone = true;
        // Dropped outside the lock: a message may hold a reply channel
        // whose waiter then learns that the writer stopped.
        let left = std::mem::take(&mut state.items);
        drop(state);
        self.0.writable.notify_all();
        drop(left);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn messages_come_out_in_order_up_to_the_asked_number() {
        let (queue, rx) = bounded(10);
        for i in 0..5 {
            queue.send(i).unwrap();
        }
        let mut out = VecDeque::new();
        assert_eq!(rx.take(&mut out, 3, None), Ok(3));
        assert_eq!(out, [0, 1, 2]);
        assert_eq!(rx.try_take(&mut out, 10), 2);
        assert_eq!(out, [0, 1, 2, 3, 4]);
        assert_eq!(rx.try_take(&mut out, 10), 0);
    }

    #[test]
    fn taking_everything_into_a_non_empty_buffer_keeps_what_it_held() {
        let (queue, rx) = bounded(4);
        queue.send(2).unwrap();
        let mut out = VecDeque::from([1]);
        assert_eq!(rx.try_take(&mut out, 10), 1);
        assert_eq!(out, [1, 2]);
    }

    #[test]
    fn a_full_queue_refuses_try_send_and_gives_the_message_back() {
        let (queue, rx) = bounded(2);
        queue.try_send(1).unwrap();
        queue.try_send(2).unwrap();
        assert_eq!(queue.try_send(3), Err(TrySendError::Full(3)));
        let mut out = VecDeque::new();
        assert_eq!(rx.try_take(&mut out, 1), 1);
        assert_eq!(queue.try_send(3), Ok(()));
        assert_eq!(rx.try_take(&mut out, 10), 2);
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn a_capacity_of_zero_holds_one() {
        let (queue, _rx) = bounded(0);
        queue.try_send(1).unwrap();
        assert_eq!(queue.try_send(2), Err(TrySendError::Full(2)));
    }

    #[test]
    fn a_blocked_sender_goes_on_once_the_receiver_takes() {
        let (queue, rx) = bounded(1);
        queue.send(0).unwrap();
        let (started, waiting) = mpsc::channel();
        let sender = {
            let queue = queue.clone();
            std::thread::spawn(move || {
                started.send(()).unwrap();
                queue.send(1)
            })
        };
        waiting.recv().unwrap();
        let mut out = VecDeque::new();
        // The sender may or may not be blocked yet; either way both arrive.
        while out.len() < 2 {
            rx.take(&mut out, 1, Some(Duration::from_secs(5))).unwrap();
        }
        assert_eq!(sender.join().unwrap(), Ok(()));
        assert_eq!(out, [0, 1]);
    }

    #[test]
    fn a_waiting_receiver_wakes_for_a_message_sent_later() {
        let (queue, rx) = bounded(4);
        let receiver = std::thread::spawn(move || {
            let mut out = VecDeque::new();
            let n = rx.take(&mut out, 10, None);
            (n, out)
        });
        queue.send(7).unwrap();
        let (n, out) = receiver.join().unwrap();
        assert_eq!(n, Ok(1));
        assert_eq!(out, [7]);
    }

    #[test]
    fn a_timed_take_of_an_empty_queue_waits_its_time_and_returns_nothing() {
        let (_queue, rx) = bounded::<u8>(4);
        let mut out = VecDeque::new();
        assert_eq!(rx.take(&mut out, 10, Some(Duration::ZERO)), Ok(0));
        let started = Instant::now();
        assert_eq!(
            rx.take(&mut out, 10, Some(Duration::from_millis(20))),
            Ok(0)
        );
        assert!(started.elapsed() >= Duration::from_millis(20));
        assert!(out.is_empty());
    }

    #[test]
    fn a_blocking_send_never_holds_more_than_the_capacity() {
        let (queue, rx) = bounded(2);
        queue.send(0).unwrap();
        queue.send(1).unwrap();
        let sender = {
            let queue = queue.clone();
            std::thread::spawn(move || queue.send(2))
        };
        // Either the sender is seen waiting, or it got past the bound.
        loop {
            let state = queue.lock();
            assert!(state.items.len() <= 2, "a send went past the capacity");
            if state.senders_waiting == 1 {
                break;
            }
            drop(state);
            std::thread::yield_now();
        }
        let mut out = VecDeque::new();
        assert_eq!(rx.try_take(&mut out, 1), 1);
        assert_eq!(sender.join().unwrap(), Ok(()));
        // The woken sender is no longer counted, so later takes wake no one.
        assert_eq!(queue.lock().senders_waiting, 0);
        assert_eq!(rx.try_take(&mut out, 10), 2);
        assert_eq!(out, [0, 1, 2]);
    }

    #[test]
    fn after_the_senders_go_the_receiver_drains_then_learns_it() {
        let (queue, rx) = bounded(4);
        queue.send(1).unwrap();
        queue.close_senders();
        let mut out = VecDeque::new();
        assert_eq!(rx.take(&mut out, 10, None), Ok(1));
        assert_eq!(rx.take(&mut out, 10, None), Err(Disconnected));
        assert_eq!(
            rx.take(&mut out, 10, Some(Duration::ZERO)),
            Err(Disconnected)
        );
    }

    #[test]
    fn a_receiver_waiting_when_the_senders_go_is_woken() {
        let (queue, rx) = bounded::<u8>(4);
        let receiver = std::thread::spawn(move || rx.take(&mut VecDeque::new(), 1, None));
        queue.close_senders();
        assert_eq!(receiver.join().unwrap(), Err(Disconnected));
    }

    #[test]
    fn once_the_receiver_is_gone_sends_fail_and_queued_messages_are_dropped() {
        let (queue, rx) = bounded(1);
        let (reply, replied) = mpsc::channel::<()>();
        queue.send(Some(reply)).unwrap();
        let blocked = {
            let queue = queue.clone();
            std::thread::spawn(move || queue.send(None).is_err())
        };
        drop(rx);
        // The queued message's reply channel is dropped with it.
        assert!(replied.recv().is_err());
        assert!(blocked.join().unwrap());
        assert!(queue.send(None).is_err());
        assert!(matches!(
            queue.try_send(None),
            Err(TrySendError::Closed(None))
        ));
    }
}
