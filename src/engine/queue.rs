//! The pending-event set: a priority queue ordered by (time, insertion
//! sequence) with O(1) cancellation.
//!
//! Payloads live in a slab of reusable slots; the heap holds only small
//! `(time, sequence, slot)` keys. Cancelling frees the slot and bumps its
//! generation, so the stale heap key is skipped when it surfaces and an
//! `EventId` held after its event fired or was cancelled can never cancel
//! another event. Once the slab and heap have grown to the peak number of
//! pending events, scheduling allocates nothing.

use super::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A handle to a scheduled event, for cancelling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventId {
    slot: u32,
    generation: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    time: SimTime,
    sequence: u64,
    slot: u32,
}

impl Ord for Key {
    /// Reversed, so the max-heap pops the earliest (time, sequence) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.sequence).cmp(&(self.time, self.sequence))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

struct Slot<E> {
    generation: u32,
    event: Option<E>,
}

/// Pending events of type `E`, popped in (time, insertion sequence) order.
pub struct EventQueue<E> {
    heap: BinaryHeap<Key>,
    slots: Vec<Slot<E>>,
    free_slots: Vec<u32>,
    next_sequence: u64,
    pending: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue { heap: BinaryHeap::new(), slots: Vec::new(), free_slots: Vec::new(), next_sequence: 0, pending: 0 }
    }

    /// Number of events scheduled and neither fired nor cancelled.
    pub fn len(&self) -> usize {
        self.pending
    }

    pub fn is_empty(&self) -> bool {
        self.pending == 0
    }

    /// Schedules `event` at `time`; among equal times, earlier calls fire first.
    pub fn schedule(&mut self, time: SimTime, event: E) -> EventId {
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.slots[slot as usize].event = Some(event);
                slot
            }
            None => {
                let slot = u32::try_from(self.slots.len()).expect("more than 2^32 pending events");
                self.slots.push(Slot { generation: 0, event: Some(event) });
                slot
            }
        };
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.heap.push(Key { time, sequence, slot });
        self.pending += 1;
        EventId { slot, generation: self.slots[slot as usize].generation }
    }

    /// Cancels a pending event. Returns false if it already fired or was
    /// already cancelled.
    pub fn cancel(&mut self, id: EventId) -> bool {
        match self.slots.get_mut(id.slot as usize) {
            Some(slot) if slot.generation == id.generation && slot.event.is_some() => {
                slot.event = None;
                self.pending -= 1;
                true
            }
            _ => false,
        }
    }

    /// Time of the next live event, if any (drops cancelled keys on the way).
    pub fn peek_time(&mut self) -> Option<SimTime> {
        while let Some(key) = self.heap.peek() {
            if self.slots[key.slot as usize].event.is_some() {
                return Some(key.time);
            }
            let key = self.heap.pop().expect("peeked key");
            self.release(key.slot);
        }
        None
    }

    /// Removes and returns the earliest live event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        while let Some(key) = self.heap.pop() {
            let taken = self.slots[key.slot as usize].event.take();
            self.release(key.slot);
            if let Some(event) = taken {
                self.pending -= 1;
                return Some((key.time, event));
            }
        }
        None
    }

    fn release(&mut self, slot: u32) {
        let entry = &mut self.slots[slot as usize];
        entry.generation = entry.generation.wrapping_add(1);
        self.free_slots.push(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(us: u64) -> SimTime {
        SimTime::from_micros(us)
    }

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut queue = EventQueue::new();
        queue.schedule(t(5), 'a');
        queue.schedule(t(1), 'b');
        queue.schedule(t(5), 'c');
        queue.schedule(t(1), 'd');
        let order: Vec<char> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
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
    fn stale_id_cannot_cancel_a_reused_slot() {
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
}
