//! A monotone priority queue of values under distinct `u128` keys: a
//! **radix heap**.
//!
//! A discrete-event queue is monotone — nothing is scheduled before the
//! event being handled — and a radix heap exploits that. It remembers
//! `last`, the most recently extracted least key, and keeps every key in
//! the bucket named by the highest bit in which it differs from `last`
//! (bucket 0: equal to it; bucket `b`: highest differing bit `b - 1`). All
//! keys of a lower bucket are less than all keys of a higher one, so the
//! least key lives in the lowest non-empty bucket. A short bucket is
//! searched for it by a scan; a long one is redistributed around it: its
//! least key becomes `last` and every other key moves to a strictly lower
//! bucket. When the key that leaves empties the lowest bucket, it becomes
//! `last` without moving any other key (they all differ from it at the same
//! highest bit as before).
//!
//! A key therefore moves at most 128 times in its life, and in practice a
//! handful; pushing is an append. Everything is sequential appends and
//! scans of contiguous vectors, so with millions of pending keys the cost
//! is set by memory bandwidth, not by a chain of cache misses per
//! operation as in an implicit heap.
//!
//! Keys below `last` cannot be placed; they only arrive when a user
//! schedules between a peek and the next pop (after a run stopped at a
//! horizon, say). The heap then rebuilds around the new least key — O(n),
//! and never on the run loop's path.

/// Buckets: one for keys equal to `last`, one per bit of a `u128`.
const BUCKETS: usize = 129;
/// Longest lowest bucket searched by a scan instead of redistributed (six
/// cache lines of entries).
const SCAN_LIMIT: usize = 16;

/// A key split in two words, so an entry is aligned to 8 bytes, not 16.
pub(super) struct Entry<V> {
    high: u64,
    low: u64,
    value: V,
}

impl<V> Entry<V> {
    #[inline]
    pub(super) fn new(key: u128, value: V) -> Self {
        Entry { high: (key >> 64) as u64, low: key as u64, value }
    }

    #[inline]
    pub(super) fn key(&self) -> u128 {
        (u128::from(self.high) << 64) | u128::from(self.low)
    }

    #[inline]
    pub(super) fn into_parts(self) -> (u128, V) {
        (self.key(), self.value)
    }
}

/// Values of type `V` under distinct `u128` keys, least key first.
pub(crate) struct RadixHeap<V> {
    buckets: Vec<Vec<Entry<V>>>,
    /// Bit `b - 1` set when bucket `b` (for `b >= 1`) holds entries.
    occupied: u128,
    last: u128,
}

impl<V> Default for RadixHeap<V> {
    fn default() -> Self {
        RadixHeap { buckets: (0..BUCKETS).map(|_| Vec::new()).collect(), occupied: 0, last: 0 }
    }
}

impl<V> RadixHeap<V> {
    #[inline]
    fn place(&mut self, entry: Entry<V>) {
        let bucket = (u128::BITS - (entry.key() ^ self.last).leading_zeros()) as usize;
        self.buckets[bucket].push(entry);
        if bucket > 0 {
            self.occupied |= 1 << (bucket - 1);
        }
    }

    pub(crate) fn push(&mut self, key: u128, value: V) {
        if key < self.last {
            self.rebuild_from(key);
        }
        self.place(Entry::new(key, value));
    }

    /// The least key, without removing it.
    pub(crate) fn peek(&mut self) -> Option<u128> {
        let (bucket, position) = self.locate_least()?;
        Some(self.buckets[bucket][position].key())
    }

    pub(crate) fn pop(&mut self) -> Option<(u128, V)> {
        self.pop_if(|_| true)
    }

    /// Removes the least key and its value if `wanted` says so of the key.
    pub(crate) fn pop_if(&mut self, wanted: impl FnOnce(u128) -> bool) -> Option<(u128, V)> {
        let (bucket, position) = self.locate_least()?;
        if !wanted(self.buckets[bucket][position].key()) {
            return None;
        }
        let entry = self.buckets[bucket].swap_remove(position);
        if bucket > 0 && self.buckets[bucket].is_empty() {
            // Every other key lies in a higher bucket and differs from the
            // new `last` at the same highest bit as from the old one.
            self.occupied &= !(1 << (bucket - 1));
            self.last = entry.key();
        }
        Some(entry.into_parts())
    }

    /// The bucket and position of the least key: in bucket 0 if it is not
    /// empty, else in the lowest non-empty bucket — found by a scan when
    /// that bucket is short, after redistributing it when it is long.
    /// `None` when the heap is empty.
    #[inline]
    fn locate_least(&mut self) -> Option<(usize, usize)> {
        if !self.buckets[0].is_empty() {
            return Some((0, 0));
        }
        if self.occupied == 0 {
            return None;
        }
        let bucket = self.occupied.trailing_zeros() as usize + 1;
        let entries = &self.buckets[bucket];
        if entries.len() <= SCAN_LIMIT {
            let least =
                (1..entries.len()).fold(0, |least, i| if entries[i].key() < entries[least].key() { i } else { least });
            return Some((bucket, least));
        }
        self.redistribute(bucket);
        Some((0, 0))
    }

    /// Empties `bucket` around its least key, which becomes `last` and
    /// lands in bucket 0; every other key moves to a lower bucket.
    fn redistribute(&mut self, bucket: usize) {
        self.occupied &= !(1 << (bucket - 1));
        let mut entries = std::mem::take(&mut self.buckets[bucket]);
        self.last = entries.iter().map(Entry::key).min().expect("an occupied bucket holds entries");
        for entry in entries.drain(..) {
            self.place(entry);
        }
        self.buckets[bucket] = entries;
    }

    /// Re-places every entry relative to `least`, a key below `last`.
    fn rebuild_from(&mut self, least: u128) {
        let mut entries = Vec::new();
        for bucket in &mut self.buckets {
            entries.append(bucket);
        }
        self.occupied = 0;
        self.last = least;
        for entry in entries {
            self.place(entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::mix64;

    fn drain(heap: &mut RadixHeap<u64>) -> Vec<u128> {
        std::iter::from_fn(|| heap.pop())
            .map(|(key, value)| {
                assert_eq!(key as u64, value, "the value travels with its key");
                key
            })
            .collect()
    }

    fn push(heap: &mut RadixHeap<u64>, key: u128) {
        heap.push(key, key as u64);
    }

    #[test]
    fn pops_in_increasing_order_with_interleaved_pushes() {
        let mut heap = RadixHeap::default();
        let mut reference = std::collections::BTreeSet::new();
        for i in 0..2_000u64 {
            let key = u128::from(mix64(i) % 10_000) << 64 | u128::from(i);
            push(&mut heap, key);
            reference.insert(key);
        }
        for i in 0..50_000u64 {
            let (least, _) = heap.pop().expect("kept non-empty");
            assert_eq!(Some(least), reference.pop_first());
            let later = least + (u128::from(mix64(i ^ 0xabc) % 5_000) << 64) + u128::from(i);
            push(&mut heap, later);
            reference.insert(later);
        }
        assert_eq!(drain(&mut heap), reference.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn a_key_below_the_last_extracted_one_is_still_ordered() {
        let mut heap = RadixHeap::default();
        push(&mut heap, 50);
        push(&mut heap, 90);
        assert_eq!(heap.peek(), Some(50));
        heap.pop();
        assert_eq!(heap.peek(), Some(90));
        push(&mut heap, 60);
        push(&mut heap, u128::from(u64::MAX));
        push(&mut heap, 0);
        assert_eq!(drain(&mut heap), vec![0, 60, 90, u128::from(u64::MAX)]);
        assert_eq!(heap.peek(), None);
    }
}
