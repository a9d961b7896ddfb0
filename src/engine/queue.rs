//! The pending-event set: a priority queue ordered by (time, insertion
//! sequence) with cancellation.
//!
//! # Layout
//!
//! Every event is stored beside its 128-bit key, which sorts the way events
//! must fire:
//!
//! ```text
//!  127            64 63                       0
//! +----------------+--------------------------+
//! |  time (µs)     |  insertion sequence      |
//! +----------------+--------------------------+
//! ```
//!
//! Time first, then the insertion sequence (FIFO ties). Sequences are 64
//! bits and never reused, so keys are unique and never run out.
//!
//! Nothing is scheduled before the current time, and a new event's
//! sequence exceeds every earlier one, so keys arrive in monotone order
//! relative to the last one popped. The entries live in `pending.rs`: a
//! short sorted vector while a few dozen are pending, a **radix heap**
//! (`radix_heap.rs`) beyond, where scheduling is an append and popping
//! scans short contiguous buckets — no chain of cache misses per
//! operation, as in an implicit binary or d-ary heap, once millions are
//! pending. The payload travels with its key, so popping reads no other
//! memory.
//!
//! An `EventId` is the event's key. Fired events' keys increase (a new
//! event's key exceeds the clock's and every earlier sequence), so an id at
//! or below the last fired key names an event that fired or was cancelled
//! before it; any other id names a pending event, unless it is among the
//! cancelled keys, kept until an event fires past them. A cancelled key is
//! skipped when it surfaces. Models rarely cancel, so that set is small and
//! the hot path only checks that it is empty. Once the buckets have grown
//! to the peak number of pending events, scheduling allocates nothing.

use super::pending::Pending;
use super::time::SimTime;
use std::collections::BTreeSet;

/// A handle to a scheduled event, for cancelling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventId {
    key: u128,
}

fn key_of(time: SimTime, sequence: u64) -> u128 {
    (u128::from(time.as_micros()) << 64) | u128::from(sequence)
}

fn time_of(key: u128) -> SimTime {
    SimTime::from_micros((key >> 64) as u64)
}

/// Pending events of type `E`, popped in (time, insertion sequence) order.
pub struct EventQueue<E> {
    entries: Pending<E>,
    next_sequence: u64,
    /// The key of the last event that fired.
    last_fired: Option<u128>,
    /// Cancelled keys above `last_fired` (still in the heap or dropped).
    cancelled: BTreeSet<u128>,
    pending: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            entries: Pending::default(),
            next_sequence: 0,
            last_fired: None,
            cancelled: BTreeSet::new(),
            pending: 0,
        }
    }

    /// Number of events scheduled and neither fired nor cancelled.
    pub fn len(&self) -> usize {
        self.pending
    }

    pub fn is_empty(&self) -> bool {
        self.pending == 0
    }

    /// Schedules `event` at `time`; among equal times, earlier calls fire first.
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) -> EventId {
        let key = key_of(time, self.next_sequence);
        self.next_sequence += 1;
        self.entries.push(key, event);
        self.pending += 1;
        EventId { key }
    }

    /// Cancels a pending event. Returns false if it already fired or was
    /// already cancelled.
    pub fn cancel(&mut self, id: EventId) -> bool {
        let passed = self.last_fired.is_some_and(|fired| id.key <= fired);
        if passed || !self.cancelled.insert(id.key) {
            return false;
        }
        self.pending -= 1;
        true
    }

    #[inline]
    fn is_cancelled(&self, key: u128) -> bool {
        !self.cancelled.is_empty() && self.cancelled.contains(&key)
    }

    /// Time of the next live event, if any (drops cancelled keys on the way).
    pub fn peek_time(&mut self) -> Option<SimTime> {
        while let Some(key) = self.entries.peek() {
            if !self.is_cancelled(key) {
                return Some(time_of(key));
            }
            self.entries.pop();
        }
        None
    }

    /// Removes and returns the earliest live event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_through(SimTime::NEVER)
    }

    /// Removes and returns the earliest live event if it is due no later
    /// than `horizon` (one search of the queue, where a peek and a pop would
    /// take two).
    pub fn pop_through(&mut self, horizon: SimTime) -> Option<(SimTime, E)> {
        loop {
            let (key, event) = self.entries.pop_if(|key| time_of(key) <= horizon)?;
            if self.is_cancelled(key) {
                continue;
            }
            self.fired(key);
            return Some((time_of(key), event));
        }
    }

    /// Records that `key` fired: every cancelled key below it has been
    /// dropped and no later event can be scheduled below it, so they are
    /// forgotten.
    #[inline]
    fn fired(&mut self, key: u128) {
        self.last_fired = Some(key);
        self.pending -= 1;
        while self.cancelled.first().is_some_and(|&cancelled| cancelled < key) {
            self.cancelled.pop_first();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    fn t(us: u64) -> SimTime {
        SimTime::from_micros(us)
    }

    fn drain<E>(queue: &mut EventQueue<E>) -> Vec<(SimTime, E)> {
        std::iter::from_fn(|| queue.pop()).collect()
    }

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut queue = EventQueue::new();
        queue.schedule(t(5), 'a');
        queue.schedule(t(1), 'b');
        queue.schedule(t(5), 'c');
        queue.schedule(t(1), 'd');
        let order: Vec<char> = drain(&mut queue).into_iter().map(|(_, e)| e).collect();
        assert_eq!(order, vec!['b', 'd', 'a', 'c']);
    }

    #[test]
    fn cancelled_events_never_fire() {
        let mut queue = EventQueue::new();
        let a = queue.schedule(t(1), 'a');
        queue.schedule(t(2), 'b');
        assert!(queue.cancel(a));
        assert!(!queue.cancel(a), "second cancel is a no-op");
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.pop(), Some((t(2), 'b')));
        assert_eq!(queue.pop(), None);
    }

    #[test]
    fn an_id_of_a_fired_event_cancels_nothing() {
        let mut queue = EventQueue::new();
        let a = queue.schedule(t(1), 'a');
        assert_eq!(queue.pop(), Some((t(1), 'a')));
        let b = queue.schedule(t(2), 'b');
        assert!(!queue.cancel(a));
        assert!(queue.cancel(b));
        assert!(queue.is_empty());
    }

    #[test]
    fn peek_skips_cancelled_keys() {
        let mut queue = EventQueue::new();
        let a = queue.schedule(t(1), 'a');
        queue.schedule(t(3), 'b');
        queue.cancel(a);
        assert_eq!(queue.peek_time(), Some(t(3)));
    }

    #[test]
    fn extreme_times_keep_their_order() {
        let mut queue = EventQueue::new();
        queue.schedule(SimTime::NEVER, 'z');
        queue.schedule(SimTime::ZERO, 'a');
        queue.schedule(SimTime::NEVER, 'y');
        assert_eq!(drain(&mut queue), vec![(SimTime::ZERO, 'a'), (SimTime::NEVER, 'z'), (SimTime::NEVER, 'y')]);
    }

    /// Pseudo-random times with many ties, against a stable sort.
    #[test]
    fn matches_a_stable_sort_at_every_heap_size() {
        for n in [1usize, 2, 3, 4, 5, 6, 15, 16, 17, 64, 65, 1_000, 100_000] {
            let mut queue = EventQueue::new();
            let times: Vec<u64> = (0..n as u64).map(|i| crate::engine::rng::mix64(i) % 37).collect();
            for (i, &time) in times.iter().enumerate() {
                queue.schedule(t(time), i);
            }
            let mut expected: Vec<(SimTime, usize)> = times.iter().enumerate().map(|(i, &time)| (t(time), i)).collect();
            expected.sort_by_key(|&(time, _)| time);
            assert_eq!(drain(&mut queue), expected, "n = {n}");
        }
    }

    /// The hold model at a size where the descent warms its cache lines,
    /// against an ordered set of (time, sequence) as the reference.
    #[test]
    fn hold_model_matches_an_ordered_set() {
        let mut queue = EventQueue::new();
        let mut reference = std::collections::BTreeSet::new();
        let initial = (0..(1usize << 16) as u64).map(|i| crate::engine::rng::mix64(i) % 100_000);
        let increments = (0..100_000u64).map(|i| crate::engine::rng::mix64(i) % 1_000);
        for (sequence, time) in initial.enumerate() {
            queue.schedule(t(time), sequence);
            reference.insert((time, sequence));
        }
        for (sequence, increment) in (1usize << 16..).zip(increments) {
            let (time, event) = queue.pop().expect("hold keeps the queue full");
            assert_eq!(Some((time.as_micros(), event)), reference.pop_first());
            queue.schedule(time + SimDuration::from_micros(increment), sequence);
            reference.insert((time.as_micros() + increment, sequence));
        }
    }

    #[test]
    fn an_event_scheduled_after_a_peek_before_the_peeked_one_fires_first() {
        let mut queue = EventQueue::new();
        queue.schedule(t(1), 'a');
        queue.schedule(t(9), 'c');
        assert_eq!(queue.pop(), Some((t(1), 'a')));
        assert_eq!(queue.peek_time(), Some(t(9)));
        let b = queue.schedule(t(5), 'b');
        assert_eq!(queue.pop(), Some((t(5), 'b')));
        assert!(!queue.cancel(b), "already fired");
        assert_eq!(drain(&mut queue), vec![(t(9), 'c')]);
    }

    /// Dropping a cancelled key does not move the clock: an event may still
    /// be scheduled below it, and stays cancellable.
    #[test]
    fn an_event_below_a_dropped_cancelled_key_can_be_cancelled() {
        let mut queue = EventQueue::new();
        let late = queue.schedule(t(2), 'a');
        assert!(queue.cancel(late));
        assert_eq!(queue.pop(), None);
        let early = queue.schedule(t(0), 'b');
        assert!(!queue.cancel(late), "already cancelled");
        assert!(queue.cancel(early));
        assert!(queue.is_empty());
        assert_eq!(queue.pop(), None);
    }
}
