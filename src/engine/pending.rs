//! The pending entries under an event queue: values under distinct `u128`
//! keys, least key first, in the layout that suits how many there are.
//!
//! A few dozen entries live in one vector sorted by descending key, so the
//! least is the last one: popping it shortens the vector, and pushing moves
//! the entries below the new key up by one place.
//! That is the cheapest layout for a model with a handful of timers (a
//! queue of approvals, a hold model with few processes). The shift grows
//! with the count, so past `SORTED_MAX` entries a **radix heap**
//! (`radix_heap.rs`) takes over, and the vector only comes back once the
//! heap has shrunk to `SORTED_MIN`: a count that hovers near one threshold
//! does not move the entries back and forth.
//!
//! Keys are distinct, so both layouts pop the same sequence; which one
//! holds the entries never shows in a result.

use super::radix_heap::{Entry, RadixHeap};

/// Most entries the sorted vector holds; one more moves them to the heap.
const SORTED_MAX: usize = 32;
/// Entries left in the heap when they move back to the sorted vector.
const SORTED_MIN: usize = 8;

/// Values of type `V` under distinct `u128` keys, least key first.
pub(crate) struct Pending<V> {
    /// The entries, by descending key, while `in_heap` is zero.
    sorted: Vec<Entry<V>>,
    heap: RadixHeap<V>,
    /// Entries in `heap`: zero, or more than `SORTED_MIN`.
    in_heap: usize,
}

impl<V> Default for Pending<V> {
    fn default() -> Self {
        Pending { sorted: Vec::with_capacity(SORTED_MAX), heap: RadixHeap::default(), in_heap: 0 }
    }
}

impl<V> Pending<V> {
    #[inline]
    pub(crate) fn push(&mut self, key: u128, value: V) {
        if self.in_heap == 0 && self.sorted.len() < SORTED_MAX {
            self.insert_sorted(key, value);
        } else {
            self.push_to_heap(key, value);
        }
    }

    /// Pushes onto the heap, moving the sorted entries there first if the
    /// vector is full. Out of line: the vector's path stays short.
    #[inline(never)]
    fn push_to_heap(&mut self, key: u128, value: V) {
        if self.in_heap == 0 {
            self.move_to_heap();
        }
        self.heap.push(key, value);
        self.in_heap += 1;
    }

    /// Inserts into the sorted vector from its end: each entry with a
    /// lesser key moves up one place, and the new one takes the last place
    /// freed. A new event usually lands near the least keys, and a short
    /// shift of whole entries beats a search plus a call to copy memory.
    #[inline]
    fn insert_sorted(&mut self, key: u128, value: V) {
        self.sorted.push(Entry::new(key, value));
        let mut place = self.sorted.len() - 1;
        while place > 0 && self.sorted[place - 1].key() < key {
            self.sorted.swap(place - 1, place);
            place -= 1;
        }
    }

    /// The least key, without removing it.
    pub(crate) fn peek(&mut self) -> Option<u128> {
        if self.in_heap == 0 { self.sorted.last().map(Entry::key) } else { self.heap.peek() }
    }

    pub(crate) fn pop(&mut self) -> Option<(u128, V)> {
        self.pop_if(|_| true)
    }

    /// Removes the least key and its value if `wanted` says so of the key.
    #[inline]
    pub(crate) fn pop_if(&mut self, wanted: impl FnOnce(u128) -> bool) -> Option<(u128, V)> {
        if self.in_heap == 0 {
            let least = self.sorted.last()?;
            return if wanted(least.key()) { self.sorted.pop().map(Entry::into_parts) } else { None };
        }
        let popped = self.heap.pop_if(wanted)?;
        self.in_heap -= 1;
        if self.in_heap == SORTED_MIN {
            self.move_to_sorted();
        }
        Some(popped)
    }

    /// Moves every entry into the (empty) heap, least first, so the heap
    /// settles on the least key once and appends the rest.
    #[cold]
    fn move_to_heap(&mut self) {
        self.in_heap = self.sorted.len();
        for (key, value) in self.sorted.drain(..).rev().map(Entry::into_parts) {
            self.heap.push(key, value);
        }
    }

    /// Moves every entry from the heap back into the sorted vector.
    #[cold]
    fn move_to_sorted(&mut self) {
        self.sorted.extend(std::iter::from_fn(|| self.heap.pop()).map(|(key, value)| Entry::new(key, value)));
        self.sorted.reverse();
        self.in_heap = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::mix64;
    use std::collections::BTreeSet;

    /// Grows to `peak` entries and shrinks back to none, several times,
    /// popping one key for every two pushed on the way up and two for
    /// every one on the way down, against an ordered set. Keys are
    /// (time, sequence) as in the event queue, never below the last popped.
    fn check_waves(peak: usize) {
        let mut pending = Pending::default();
        let mut reference = BTreeSet::new();
        let mut sequence = 0u64;
        let mut push = |pending: &mut Pending<u64>, reference: &mut BTreeSet<u128>, floor: u128| {
            sequence += 1;
            let time = (floor >> 64) + u128::from(mix64(sequence) % 1_000);
            let key = time << 64 | u128::from(sequence);
            pending.push(key, key as u64);
            reference.insert(key);
        };
        let mut floor = 0;
        for _ in 0..4 {
            while reference.len() < peak {
                push(&mut pending, &mut reference, floor);
                push(&mut pending, &mut reference, floor);
                let (key, value) = pending.pop().expect("not empty");
                assert_eq!((Some(key), key as u64), (reference.pop_first(), value));
                floor = key;
            }
            while !reference.is_empty() {
                push(&mut pending, &mut reference, floor);
                for _ in 0..2 {
                    assert_eq!(pending.peek(), reference.first().copied());
                    let Some((key, _)) = pending.pop() else { break };
                    assert_eq!(Some(key), reference.pop_first());
                    floor = key;
                }
            }
            assert_eq!(pending.pop(), None);
        }
    }

    #[test]
    fn pops_in_key_order_below_between_and_above_the_thresholds() {
        for peak in [1, SORTED_MIN, SORTED_MAX, SORTED_MAX + 1, 4 * SORTED_MAX, 10_000] {
            check_waves(peak);
        }
    }

    #[test]
    fn pop_if_leaves_an_unwanted_key_in_both_layouts() {
        for count in [3, 3 * SORTED_MAX] {
            let mut pending = Pending::default();
            (1..=count as u128).for_each(|key| pending.push(key * 10, ()));
            assert_eq!(pending.pop_if(|key| key < 10), None);
            assert_eq!(pending.pop_if(|key| key <= 10), Some((10, ())));
            assert_eq!(pending.peek(), Some(20));
        }
    }
}
