//! Random streams keyed by (seed, entity, purpose, index).
//!
//! Every draw in a run comes from a stream named by what it is for, not by
//! when it is made: `Streams::stream(entity, purpose, index)` hashes the run
//! seed with the three keys into the state of a counter-based generator
//! (SplitMix64: each output is a full-avalanche mix of a counter that
//! advances by a fixed odd step). Two runs that differ only in policy
//! therefore hand the same entity the same numbers for the same purpose,
//! whatever order their events fire in — the basis of common random
//! numbers. A draw made for one purpose never shifts the draws of another.
//!
//! Most streams are used for one or two draws, so what matters is the cost
//! of opening one: the seed's part of the hash is computed once per
//! `Streams`, each key then costs one mix, and the generator needs no
//! seeding beyond taking the hash as its counter. A single draw is four
//! mixes in all.

use rand::{RngExt, SeedableRng};
use rand_xoshiro::SplitMix64;

/// The generator every stream uses.
pub type Stream = SplitMix64;

/// SplitMix64's finaliser: a bijective 64-bit mixer with full avalanche.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The hash's starting value (the first 64 bits of the fractional part of √2).
const HASH_START: u64 = 0x6a09_e667_f3bc_c908;

/// Hashes `keys`, in order, on top of `acc`: one mix per key.
#[inline]
fn absorb(acc: u64, keys: &[u64]) -> u64 {
    keys.iter().fold(acc, |acc, &key| mix64(acc ^ key))
}

/// Hashes a sequence of keys into one well-mixed 64-bit value.
pub fn hash_keys(keys: &[u64]) -> u64 {
    absorb(HASH_START, keys)
}

/// The source of every random stream of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Streams {
    seed: u64,
    /// `hash_keys(&[seed])`: the part of every stream's hash that the seed
    /// alone decides.
    seeded: u64,
}

impl Streams {
    pub fn new(seed: u64) -> Self {
        Streams { seed, seeded: hash_keys(&[seed]) }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream for draw number `index` of `purpose` on `entity`: the
    /// generator whose counter is `hash_keys(&[seed, entity, purpose, index])`.
    /// `purpose` values are chosen by the caller (the model numbers its
    /// purposes); entity ids of different kinds should not share a purpose.
    #[inline]
    pub fn stream(&self, entity: u64, purpose: u64, index: u64) -> Stream {
        Stream::seed_from_u64(absorb(self.seeded, &[entity, purpose, index]))
    }

    /// A child `Streams` for a sub-run (a replication, a shard, the org
    /// generator), independent of the parent's own streams.
    pub fn child(&self, label: u64) -> Streams {
        Streams::new(hash_keys(&[self.seed, u64::MAX, label]))
    }

    /// One uniform draw in [0, 1) for (entity, purpose, index): the common
    /// case of a single Bernoulli decision.
    #[inline]
    pub fn uniform(&self, entity: u64, purpose: u64, index: u64) -> f64 {
        self.stream(entity, purpose, index).random::<f64>()
    }

    /// True with probability `p` for (entity, purpose, index).
    #[inline]
    pub fn chance(&self, entity: u64, purpose: u64, index: u64, p: f64) -> bool {
        self.uniform(entity, purpose, index) < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn same_keys_give_same_stream() {
        let streams = Streams::new(7);
        let a = streams.stream(3, 1, 0).next_u64();
        let b = streams.stream(3, 1, 0).next_u64();
        assert_eq!(a, b);
    }

    #[test]
    fn each_key_changes_the_stream() {
        let streams = Streams::new(7);
        let base = streams.stream(3, 1, 0).next_u64();
        assert_ne!(base, streams.stream(4, 1, 0).next_u64());
        assert_ne!(base, streams.stream(3, 2, 0).next_u64());
        assert_ne!(base, streams.stream(3, 1, 1).next_u64());
        assert_ne!(base, Streams::new(8).stream(3, 1, 0).next_u64());
    }

    #[test]
    fn uniform_draws_look_uniform() {
        let streams = Streams::new(1);
        let n = 20_000;
        let mean = (0..n).map(|i| streams.uniform(i, 0, 0)).sum::<f64>() / n as f64;
        // Standard error of the mean of U(0,1) is 0.2887/sqrt(n) ≈ 0.002.
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
    }

    /// Pearson correlation of two equally long samples.
    fn correlation(xs: &[f64], ys: &[f64]) -> f64 {
        let n = xs.len() as f64;
        let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
        let cov: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let vx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
        let vy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
        cov / (vx * vy).sqrt()
    }

    /// Neighbouring keys (the next entity, the next purpose, the next
    /// index) and a stream's successive draws must look independent. With
    /// 20 000 pairs the standard error of a correlation is 0.007; the bound
    /// is six of them.
    #[test]
    fn neighbouring_keys_and_successive_draws_are_uncorrelated() {
        let streams = Streams::new(42);
        let n = 20_000u64;
        let base: Vec<f64> = (0..n).map(|e| streams.uniform(e, 3, 0)).collect();
        let next_entity: Vec<f64> = (0..n).map(|e| streams.uniform(e + 1, 3, 0)).collect();
        let next_purpose: Vec<f64> = (0..n).map(|e| streams.uniform(e, 4, 0)).collect();
        let next_index: Vec<f64> = (0..n).map(|e| streams.uniform(e, 3, 1)).collect();
        let second_draw: Vec<f64> = (0..n)
            .map(|e| {
                let mut stream = streams.stream(e, 3, 0);
                stream.next_u64();
                stream.random::<f64>()
            })
            .collect();
        for (name, other) in
            [("entity", next_entity), ("purpose", next_purpose), ("index", next_index), ("draw", second_draw)]
        {
            let r = correlation(&base, &other);
            assert!(r.abs() < 0.042, "next {name}: correlation {r}");
        }
    }

    #[test]
    fn a_stream_is_the_splitmix_generator_at_the_keys_hash() {
        let streams = Streams::new(9);
        let mut expected = Stream::seed_from_u64(hash_keys(&[9, 5, 6, 7]));
        assert_eq!(streams.stream(5, 6, 7).next_u64(), expected.next_u64());
    }

    #[test]
    fn child_streams_differ_from_parent() {
        let parent = Streams::new(11);
        let child = parent.child(0);
        assert_ne!(parent.seed(), child.seed());
        assert_ne!(parent.child(1).seed(), child.seed());
    }
}
