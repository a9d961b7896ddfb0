//! The pending-event set: a priority queue ordered by (time, insertion
//! sequence) with O(1) cancellation.
//!
//! # Layout
//!
//! Payloads live in a slab of reusable slots; the heap holds only 16-byte
//! keys, each one `u128` that sorts the way events must fire:
//!
//! ```text
//!  127            64 63         32 31          0
//! +----------------+-------------+-------------+
//! |  time (µs)     |  sequence   |  slot       |
//! +----------------+-------------+-------------+
//! ```
//!
//! Time first, then the insertion sequence (FIFO ties), then the slab slot
//! of the payload, which never decides the order because sequences are
//! unique. The sequence is 32 bits; when it runs out, the pending keys are
//! renumbered in order (a sort, once per 2^32 schedules).
//!
//! The heap is an implicit **4-ary min-heap**: the children of node `i` are
//! `4i + 1 ..= 4i + 4`. Its keys are stored in 64-byte-aligned groups of
//! four, one cache line each, shifted so that the four children of node `i`
//! are exactly group `i + 1` (node `i` lives in group `(i + 3) / 4`, lane
//! `(i + 3) % 4`; the root is lane 3 of group 0). Finding the least child
//! therefore touches one cache line. Lanes past the end hold `Key::VACANT`,
//! which is greater than every real key, so a partly filled last group
//! needs no special case.
//!
//! Popping uses Floyd's bottom-up sift-down: the hole left by the root
//! moves down along the least children to a leaf (three comparisons per
//! level, none against the moved key), and the heap's last key is then
//! sifted up from there — usually only a step or two, since a last key is
//! typically late. On the way down, the four groups of grandchildren (which
//! are contiguous) are touched one level ahead, so with millions of
//! pending events the descent overlaps its cache misses instead of taking
//! them one after another.
//!
//! Cancelling frees the slot and bumps its generation, so the stale heap
//! key is skipped when it surfaces and an `EventId` held after its event
//! fired or was cancelled can never cancel another event. Once the slab and
//! heap have grown to the peak number of pending events, scheduling
//! allocates nothing (but for the rare renumbering).

use super::time::SimTime;

/// A handle to a scheduled event, for cancelling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventId {
    slot: u32,
    generation: u32,
}

/// One heap entry: time, sequence and slot packed so that integer order is
/// firing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key(u128);

impl Key {
    /// Fills the lanes past the end of the heap; greater than any real key
    /// (real sequences stay below `u32::MAX`).
    const VACANT: Key = Key(u128::MAX);

    fn new(time: SimTime, sequence: u32, slot: u32) -> Key {
        Key((u128::from(time.as_micros()) << 64) | (u128::from(sequence) << 32) | u128::from(slot))
    }

    fn time(self) -> SimTime {
        SimTime::from_micros((self.0 >> 64) as u64)
    }

    fn slot(self) -> u32 {
        self.0 as u32
    }

    fn with_sequence(self, sequence: u32) -> Key {
        Key::new(self.time(), sequence, self.slot())
    }
}

/// Keys per group, and children per node.
const ARITY: usize = 4;
/// Where the sequence runs out: at most this many schedules between
/// renumberings. Below `u32::MAX`, so no real key equals `Key::VACANT`.
const SEQUENCE_LIMIT: u32 = u32::MAX;

/// Heap size from which the descent warms the next level's cache lines:
/// below it (512 KiB of keys) the heap stays in cache and warming only
/// costs instructions.
const WARM_FROM: usize = 1 << 15;

/// Four keys in one cache line: the children of one node.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Group([Key; ARITY]);

impl Group {
    const VACANT: Group = Group([Key::VACANT; ARITY]);

    /// The lane of the least key (the first of equal ones).
    #[inline]
    fn least_lane(&self) -> usize {
        let [a, b, c, d] = self.0;
        let (ab, lane_ab) = if b < a { (b, 1) } else { (a, 0) };
        let (cd, lane_cd) = if d < c { (d, 3) } else { (c, 2) };
        if cd < ab { lane_cd } else { lane_ab }
    }
}

/// An implicit 4-ary min-heap of keys in cache-line groups (see the module
/// documentation for the layout).
#[derive(Default)]
struct Heap {
    groups: Vec<Group>,
    len: usize,
}

impl Heap {
    /// Group and lane of node `index`.
    #[inline]
    fn position(index: usize) -> (usize, usize) {
        let shifted = index + (ARITY - 1);
        (shifted / ARITY, shifted % ARITY)
    }

    #[inline]
    fn get(&self, index: usize) -> Key {
        let (group, lane) = Heap::position(index);
        self.groups[group].0[lane]
    }

    #[inline]
    fn set(&mut self, index: usize, key: Key) {
        let (group, lane) = Heap::position(index);
        self.groups[group].0[lane] = key;
    }

    fn peek(&self) -> Option<Key> {
        (self.len > 0).then(|| self.get(0))
    }

    fn push(&mut self, key: Key) {
        let index = self.len;
        if Heap::position(index).0 == self.groups.len() {
            self.groups.push(Group::VACANT);
        }
        self.len += 1;
        self.sift_up(index, key);
    }

    fn pop(&mut self) -> Option<Key> {
        let least = self.peek()?;
        self.len -= 1;
        let last = self.get(self.len);
        self.set(self.len, Key::VACANT);
        if self.len > 0 {
            let leaf = self.move_hole_to_leaf();
            self.sift_up(leaf, last);
        }
        Some(least)
    }

    /// Moves the hole at the root down along the least children until it
    /// reaches a node without children; returns where it ended.
    #[inline]
    fn move_hole_to_leaf(&mut self) -> usize {
        let warm = self.len >= WARM_FROM;
        let mut hole = 0;
        while ARITY * hole + 1 < self.len {
            if warm {
                self.warm_grandchildren(hole);
            }
            let children = &self.groups[hole + 1];
            let lane = children.least_lane();
            let least = children.0[lane];
            self.set(hole, least);
            hole = ARITY * hole + 1 + lane;
        }
        hole
    }

    /// Reads the grandchildren of `hole` — the four contiguous groups
    /// `4 hole + 2 ..= 4 hole + 5`, one of which holds the next level's
    /// children — so their cache lines are already on the way when the
    /// descent gets there. No comparison depends on these loads, so they
    /// overlap with this level's work: a software prefetch in safe code.
    #[inline]
    fn warm_grandchildren(&self, hole: usize) {
        let first = ARITY * hole + 2;
        if let Some(groups) = self.groups.get(first..first + ARITY) {
            std::hint::black_box(groups.iter().fold(0, |seen, group| seen ^ group.0[0].0));
        }
    }

    /// Puts `key` at the hole `index` or above it, moving greater parents down.
    #[inline]
    fn sift_up(&mut self, mut index: usize, key: Key) {
        while index > 0 {
            let parent = (index - 1) / ARITY;
            let above = self.get(parent);
            if above <= key {
                break;
            }
            self.set(index, above);
            index = parent;
        }
        self.set(index, key);
    }

    /// Gives the keys fresh sequences `0..len` in their current order and
    /// returns the next free sequence. A sorted array is a valid heap.
    fn renumber(&mut self) -> u32 {
        let next = u32::try_from(self.len).ok().filter(|&n| n < SEQUENCE_LIMIT).expect("too many pending keys");
        let mut keys: Vec<Key> = (0..self.len).map(|index| self.get(index)).collect();
        keys.sort_unstable();
        for (sequence, key) in (0..next).zip(keys) {
            self.set(sequence as usize, key.with_sequence(sequence));
        }
        next
    }
}

struct Slot<E> {
    generation: u32,
    event: Option<E>,
}

/// Pending events of type `E`, popped in (time, insertion sequence) order.
pub struct EventQueue<E> {
    heap: Heap,
    slots: Vec<Slot<E>>,
    free_slots: Vec<u32>,
    next_sequence: u32,
    pending: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue { heap: Heap::default(), slots: Vec::new(), free_slots: Vec::new(), next_sequence: 0, pending: 0 }
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
        let slot = self.occupy(event);
        if self.next_sequence == SEQUENCE_LIMIT {
            self.next_sequence = self.heap.renumber();
        }
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.heap.push(Key::new(time, sequence, slot));
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
            if self.slots[key.slot() as usize].event.is_some() {
                return Some(key.time());
            }
            self.heap.pop();
            self.release(key.slot());
        }
        None
    }

    /// Removes and returns the earliest live event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        while let Some(key) = self.heap.pop() {
            let taken = self.slots[key.slot() as usize].event.take();
            self.release(key.slot());
            if let Some(event) = taken {
                self.pending -= 1;
                return Some((key.time(), event));
            }
        }
        None
    }

    /// Puts `event` in a free slot (or a new one) and returns the slot.
    fn occupy(&mut self, event: E) -> u32 {
        match self.free_slots.pop() {
            Some(slot) => {
                self.slots[slot as usize].event = Some(event);
                slot
            }
            None => {
                let slot = u32::try_from(self.slots.len()).expect("more than 2^32 pending events");
                self.slots.push(Slot { generation: 0, event: Some(event) });
                slot
            }
        }
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

    #[test]
    fn extreme_times_and_slots_keep_their_order() {
        let mut queue = EventQueue::new();
        queue.schedule(SimTime::NEVER, 'z');
        queue.schedule(SimTime::ZERO, 'a');
        queue.schedule(SimTime::NEVER, 'y');
        assert_eq!(drain(&mut queue), vec![(SimTime::ZERO, 'a'), (SimTime::NEVER, 'z'), (SimTime::NEVER, 'y')]);
    }

    /// Pseudo-random times with many ties, against a stable sort.
    #[test]
    fn matches_a_stable_sort_at_every_heap_size() {
        for n in [1usize, 2, 3, 4, 5, 6, 15, 16, 17, 64, 65, 1_000, WARM_FROM + 1_000] {
            let mut queue = EventQueue::new();
            let times: Vec<u64> = (0..n as u64).map(|i| crate::engine::mix64(i) % 37).collect();
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
        let initial = (0..(2 * WARM_FROM) as u64).map(|i| crate::engine::mix64(i) % 100_000);
        let increments = (0..100_000u64).map(|i| crate::engine::mix64(i) % 1_000);
        for (sequence, time) in initial.enumerate() {
            queue.schedule(t(time), sequence);
            reference.insert((time, sequence));
        }
        for (sequence, increment) in (2 * WARM_FROM..).zip(increments) {
            let (time, event) = queue.pop().expect("hold keeps the queue full");
            assert_eq!(Some((time.as_micros(), event)), reference.pop_first());
            queue.schedule(time + SimDuration::from_micros(increment), sequence);
            reference.insert((time.as_micros() + increment, sequence));
        }
    }

    #[test]
    fn renumbering_keeps_fifo_ties_across_the_sequence_limit() {
        let mut queue = EventQueue::new();
        queue.schedule(t(9), 0);
        let cancelled = queue.schedule(t(4), 1);
        queue.schedule(t(4), 2);
        queue.cancel(cancelled);
        queue.next_sequence = SEQUENCE_LIMIT - 2;
        for i in 3..10 {
            queue.schedule(t(4 + (i % 2) * 5), i);
        }
        assert!(queue.next_sequence < 16, "renumbered");
        let order: Vec<u64> = drain(&mut queue).into_iter().map(|(_, e)| e).collect();
        assert_eq!(order, vec![2, 4, 6, 8, 0, 3, 5, 7, 9]);
    }
}
