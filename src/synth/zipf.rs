//! App popularity: the Zipf sampler of `rand_distr` 0.6 (`Zipf::new(n, s)`,
//! rejection from a continuous envelope), reproduced draw for draw and value
//! for value, with its outcomes tabulated where they are certain.
//!
//! Each attempt of the original draws `p` and `y` uniform, computes
//! `inv_b = inv_cdf(p)` (a `powf`, or an `exp` when `s = 1`), takes
//! `x = floor(inv_b + 1)`, and accepts `x` when `y < x^-s · inv_b^s` (two
//! more `powf`s). `inv_cdf` is monotone in `p`, and so is the
//! floating-point arithmetic that computes it up to a few units in the last
//! place (ulps). So the range of `p` is cut into buckets, and a bucket
//! whose two ends give `inv_b` clear of any integer (by a relative
//! `RANK_MARGIN`) has one rank for every `p` in it, and the ratio bounded
//! by its values at the ends (widened by a relative `RATIO_MARGIN`). An
//! attempt whose `y` is below that bound accepts the rank, one at or above
//! the upper bound rejects, and only the rest (a bucket straddling an
//! integer, `y` between the bounds) is computed as the original computes
//! it, with `x^-s` from a table built with the same `powf`.
//!
//! The margins are millions of ulps wide, so every decision is the
//! original's. Tests compare ranks and stream states against `rand_distr`
//! and check every bucket against the original arithmetic.

use rand::{Rng, RngExt};

/// Most ranks whose power `x^-s` is tabulated.
const MAX_TABLED_RANKS: u32 = 1_024;
/// Fewest and most buckets (both powers of two).
const MIN_BUCKETS: usize = 64;
const MAX_BUCKETS: usize = 2_048;
/// Draws expected per bucket: sizes the table so that building it costs a
/// small share of the draws it saves.
const DRAWS_PER_BUCKET: usize = 32;
/// Largest exponent with ratio bounds: the bounds' error grows with `s`.
const MAX_BOUNDED_EXPONENT: f64 = 1e4;
/// Relative distance from an integer that `inv_b` at both ends of a bucket
/// must keep for the bucket to have one rank.
const RANK_MARGIN: f64 = 1e-12;
/// Relative widening of a bucket's ratio bounds.
const RATIO_MARGIN: f64 = 1e-8;
/// The spacing of `f64` uniform draws in `[0, 1)`: `k · 2^-53`.
const DRAW_STEP: f64 = 1.0 / 9_007_199_254_740_992.0;

/// Zipf's law over ranks `1..=n` with exponent `s`.
pub struct ZipfSampler {
    s: f64,
    /// `t` and `q` as `rand_distr` defines them.
    t: f64,
    q: f64,
    /// `x^-s` for rank `x` at index `x` (index 0 unused).
    power: Vec<f64>,
    /// Bucket `i` holds the draws `p` in `[i, i + 1) / buckets.len()`.
    buckets: Vec<Bucket>,
    /// A draw's bucket is its 64 random bits shifted right by this much.
    bucket_shift: u32,
}

/// A bucket's rank and bounds of its acceptance ratio; a bucket without a
/// single rank has bounds that decide nothing (`0` and infinity).
#[derive(Clone, Copy)]
struct Bucket {
    rank: u32,
    accept_below: f64,
    reject_from: f64,
}

impl Bucket {
    const UNDECIDED: Bucket = Bucket { rank: 0, accept_below: 0.0, reject_from: f64::INFINITY };
}

impl ZipfSampler {
    /// `n ≥ 1` ranks, finite exponent `s ≥ 0` (as validated by the caller),
    /// tabulated for about `expected_draws` draws.
    pub fn new(n: u32, s: f64, expected_draws: usize) -> ZipfSampler {
        let n_float = f64::from(n);
        let q = if s != 1.0 { 1.0 / (1.0 - s) } else { 0.0 };
        let t = if s != 1.0 { (n_float.powf(1.0 - s) - s) * q } else { 1.0 + n_float.ln() };
        let power = (0..=n.min(MAX_TABLED_RANKS)).map(|x| f64::from(x).powf(-s)).collect();
        let count = (expected_draws / DRAWS_PER_BUCKET).next_power_of_two().clamp(MIN_BUCKETS, MAX_BUCKETS);
        let bucket_shift = u64::BITS - count.trailing_zeros();
        let mut sampler = ZipfSampler { s, t, q, power, buckets: Vec::new(), bucket_shift };
        sampler.buckets = (0..count).map(|index| sampler.bucket(index, count)).collect();
        sampler
    }

    /// One rank, drawing from `rng` exactly as `rand_distr::Zipf` does.
    /// `p` is made from 64 random bits as `rand`'s `f64` uniform makes it
    /// (the top 53 bits times 2^-53), so its bucket is in its top bits.
    /// Inlined into its one caller, the grant loop, where the fast path
    /// (a bucket lookup and a compare) is most of the org's generation.
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        loop {
            let bits: u64 = rng.random();
            let p = (bits >> 11) as f64 * DRAW_STEP;
            let y: f64 = rng.random();
            let bucket = &self.buckets[(bits >> self.bucket_shift) as usize];
            if y < bucket.accept_below {
                return bucket.rank;
            }
            if y >= bucket.reject_from {
                continue;
            }
            if let Some(x) = self.decide(self.inv_cdf(p), y) {
                return x;
            }
        }
    }

    /// `rand_distr`'s `inv_cdf`, operation for operation.
    fn inv_cdf(&self, p: f64) -> f64 {
        let pt = p * self.t;
        if pt <= 1.0 {
            pt
        } else if self.s != 1.0 {
            (pt * (1.0 - self.s) + self.s).powf(self.q)
        } else {
            (pt - 1.0).exp()
        }
    }

    /// The original acceptance test for `inv_b`: the rank if accepted.
    fn decide(&self, inv_b: f64, y: f64) -> Option<u32> {
        let x = floor_of_at_least_one(inv_b + 1.0);
        let mut ratio = self.power_of(x);
        if x > 1.0 {
            ratio *= inv_b.powf(self.s);
        }
        (y < ratio).then_some(x as u32)
    }

    /// `x^-s`, from the table when tabulated.
    fn power_of(&self, x: f64) -> f64 {
        match self.power.get(x as usize) {
            Some(&power) => power,
            None => x.powf(-self.s),
        }
    }

    /// Bucket `index` of `count`: from `inv_b` at its first and last draw,
    /// its rank and ratio bounds when every draw in it has the same rank.
    fn bucket(&self, index: usize, count: usize) -> Bucket {
        let first = index as f64 / count as f64;
        let last = (index + 1) as f64 / count as f64 - DRAW_STEP;
        let straddles_branch = (first * self.t <= 1.0) != (last * self.t <= 1.0);
        let (low, high) = (self.inv_cdf(first), self.inv_cdf(last));
        let below = floor_of_at_least_one(low + 1.0) - 1.0;
        let one_rank = low >= below * (1.0 + RANK_MARGIN) && high <= (below + 1.0) * (1.0 - RANK_MARGIN);
        let rank = below + 1.0;
        let power = self.power.get(rank as usize).copied().unwrap_or(0.0);
        if straddles_branch || !one_rank || !power.is_normal() || self.s > MAX_BOUNDED_EXPONENT {
            return Bucket::UNDECIDED;
        }
        let ratio_at = |inv_b: f64| if rank > 1.0 { power * inv_b.powf(self.s) } else { power };
        let (low_ratio, high_ratio) = (ratio_at(low), ratio_at(high));
        Bucket {
            rank: rank as u32,
            accept_below: if low_ratio.is_normal() { low_ratio * (1.0 - RATIO_MARGIN) } else { 0.0 },
            reject_from: if high_ratio.is_normal() { high_ratio * (1.0 + RATIO_MARGIN) } else { f64::INFINITY },
        }
    }
}

/// `v.floor()` for `v ≥ 1`, by truncation where that is exact.
fn floor_of_at_least_one(v: f64) -> f64 {
    if v < 4_503_599_627_370_496.0 { v as u64 as f64 } else { v.floor() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Streams;
    use proptest::prelude::*;
    use rand_distr::{Distribution, Zipf};

    /// Draws of `ZipfSampler` and `rand_distr::Zipf` from twin streams: the
    /// same ranks, and the streams left in the same state.
    fn same_draws(n: u32, s: f64, seed: u64, draws: u64) {
        let streams = Streams::new(seed);
        let reference = Zipf::new(f64::from(n), s).unwrap();
        let ours = ZipfSampler::new(n, s, draws as usize);
        for entity in 0..draws {
            let (mut a, mut b) = (streams.stream(entity, 1, 0), streams.stream(entity, 1, 0));
            let expected = reference.sample(&mut a) as u32;
            assert_eq!(ours.sample(&mut b), expected, "n {n}, s {s}, seed {seed}, entity {entity}");
            assert_eq!(a.next_u64(), b.next_u64(), "stream state after the draw");
        }
    }

    #[test]
    fn matches_rand_distr_on_the_edge_exponents() {
        for s in [0.0, 0.5, 1.0, 1.000_001, 0.999_999, 1.1, 2.0, 3.5, 50.0, 2e4] {
            for n in [1, 2, 40, 700, 65_535] {
                same_draws(n, s, 7, 3_000);
            }
        }
    }

    proptest! {
        #[test]
        fn matches_rand_distr(n in 1u32..2_000, s in 0.0f64..6.0, seed in any::<u64>()) {
            same_draws(n, s, seed, 500);
        }
    }

    /// Every draw of a bucket with a rank has that rank and a ratio within
    /// its bounds, by the original arithmetic: checked at both ends of every
    /// bucket, a few steps in from them, and at random draws inside.
    #[test]
    fn buckets_agree_with_the_original() {
        let streams = Streams::new(11);
        for s in [0.0, 0.3, 0.999_999, 1.0, 1.000_001, 1.1, 2.0, 7.5, 100.0] {
            for n in [2, 40, 3_000] {
                let sampler = ZipfSampler::new(n, s, 1 << 20);
                let count = sampler.buckets.len();
                for (index, bucket) in sampler.buckets.iter().enumerate() {
                    let first = index as f64 / count as f64;
                    let last = (index + 1) as f64 / count as f64 - DRAW_STEP;
                    let steps = (0..8).flat_map(|k| [first + k as f64 * DRAW_STEP, last - k as f64 * DRAW_STEP]);
                    let mut rng = streams.stream(index as u64, 0, 0);
                    let inside = (0..16).map(|_| first + rng.random::<f64>() / count as f64);
                    for p in steps.chain(inside).filter(|p| (first..=last).contains(p)) {
                        check_bucket(&sampler, bucket, p);
                    }
                }
            }
        }
    }

    fn check_bucket(sampler: &ZipfSampler, bucket: &Bucket, p: f64) {
        if bucket.rank == 0 {
            return;
        }
        let inv_b = sampler.inv_cdf(p);
        let x = floor_of_at_least_one(inv_b + 1.0);
        assert_eq!(bucket.rank, x as u32, "s {}, p {p:e}", sampler.s);
        let ratio = if x > 1.0 { sampler.power_of(x) * inv_b.powf(sampler.s) } else { sampler.power_of(x) };
        assert!(bucket.accept_below <= ratio && ratio < bucket.reject_from, "s {}, p {p:e}", sampler.s);
    }

    /// With the default popularity (40 apps, exponent 1.1) and a table for
    /// 500 000 draws, nearly every attempt is decided by its bucket.
    #[test]
    fn most_attempts_end_in_a_bucket() {
        let sampler = ZipfSampler::new(40, 1.1, 500_000);
        let streams = Streams::new(3);
        let attempts = 20_000;
        let computed = (0..attempts)
            .filter(|&entity| {
                let mut rng = streams.stream(entity, 0, 0);
                let (p, y): (f64, f64) = (rng.random(), rng.random());
                let bucket = &sampler.buckets[(p * sampler.buckets.len() as f64) as usize];
                !(y < bucket.accept_below || y >= bucket.reject_from)
            })
            .count();
        assert!(computed * 25 < attempts as usize, "{computed} of {attempts} attempts computed");
    }

    #[test]
    fn floor_by_truncation_is_floor() {
        for v in [1.0, 1.5, 2.0 - f64::EPSILON, 2.0, 1e15 + 0.5, 4_503_599_627_370_495.5, 1e300] {
            assert_eq!(floor_of_at_least_one(v), v.floor());
        }
    }
}
