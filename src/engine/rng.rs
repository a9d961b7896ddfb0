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
//! of opening one, and above all its latency: the first draw waits for the
//! whole hash. The hash has two branches that run side by side. One folds
//! the entity into the seed's part (computed once per `Streams`) with a
//! single wide multiply, its 128-bit product's halves xor-ed together (the
//! mixing step of wyhash); the other mixes the purpose and index, packed
//! into one word. Their exclusive-or is the generator's counter, which
//! needs no further seeding, and the generator's own mix finishes every
//! output. A first draw thus waits for one multiply and one mix.

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

/// Multiplies the entity's word in `fold_multiply` (the first 64 bits of
/// the fractional part of √7, an odd number).
const ENTITY_SPREAD: u64 = 0xa54f_f53a_5f1d_36f1;

/// The 128-bit product of `x` and `k`, its high and low halves xor-ed: every
/// bit of `x` reaches bits of the result both above and below its own.
#[inline]
fn fold_multiply(x: u64, k: u64) -> u64 {
    let product = u128::from(x) * u128::from(k);
    (product >> 64) as u64 ^ product as u64
}

/// Spreads purposes apart before the index is added (the first 64 bits of
/// the fractional part of √3, an odd number). Two purposes `d` apart, for
/// any `d` below 2^20, land at least 2^43 apart, so (purpose, index) pairs
/// pack into distinct words whenever purposes are below 2^20 and indices
/// below 2^42 (a test checks this).
const PURPOSE_SPREAD: u64 = 0xbb67_ae85_84ca_a73b;

/// Hashes a sequence of keys into one well-mixed 64-bit value: one mix per
/// key, in order.
pub fn hash_keys(keys: &[u64]) -> u64 {
    keys.iter().fold(HASH_START, |acc, &key| mix64(acc ^ key))
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
    /// generator whose counter is `fold_multiply(seeded ^ entity,
    /// ENTITY_SPREAD) ^ mix64(purpose · PURPOSE_SPREAD + index)`, with
    /// `seeded = hash_keys(&[seed])`.
    /// `purpose` values are chosen by the caller (the model numbers its
    /// purposes); entity ids of different kinds should not share a purpose.
    #[inline]
    pub fn stream(&self, entity: u64, purpose: u64, index: u64) -> Stream {
        let draw = purpose.wrapping_mul(PURPOSE_SPREAD).wrapping_add(index);
        Stream::seed_from_u64(fold_multiply(self.seeded ^ entity, ENTITY_SPREAD) ^ mix64(draw))
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
    fn a_stream_is_the_splitmix_generator_at_the_documented_hash() {
        let streams = Streams::new(9);
        let counter = fold_multiply(hash_keys(&[9]) ^ 5, ENTITY_SPREAD)
            ^ mix64(6u64.wrapping_mul(PURPOSE_SPREAD).wrapping_add(7));
        let mut expected = Stream::seed_from_u64(counter);
        assert_eq!(streams.stream(5, 6, 7).next_u64(), expected.next_u64());
    }

    /// 3 · 2^63 = 2^64 + 2^63: high half 1, low half 2^63.
    #[test]
    fn fold_multiply_xors_the_halves_of_the_wide_product() {
        assert_eq!(fold_multiply(1 << 63, 3), (1 << 63) | 1);
        assert_eq!(fold_multiply(5, 7), 35);
    }

    /// Purposes `d` apart pack to words at least 2^43 apart (either way
    /// round), so no index below 2^42 can make two packed keys meet.
    #[test]
    fn purposes_below_2_pow_20_pack_apart_from_indices_below_2_pow_42() {
        let closest = (1..1u64 << 20)
            .map(|d| {
                let gap = d.wrapping_mul(PURPOSE_SPREAD);
                gap.min(gap.wrapping_neg())
            })
            .min()
            .unwrap();
        assert!(closest >= 1 << 43, "purposes pack only {closest} apart");
    }

    #[test]
    fn child_streams_differ_from_parent() {
        let parent = Streams::new(11);
        let child = parent.child(0);
        assert_ne!(parent.seed(), child.seed());
        assert_ne!(parent.child(1).seed(), child.seed());
    }
}
