//! App popularity: the Zipf sampler of `rand_distr` 0.6 (`Zipf::new(n, s)`,
//! rejection from a continuous envelope), reproduced draw for draw and value
//! for value, with the powers it raises to precomputed.
//!
//! Each attempt of the original draws `p` and `y` uniform, computes
//! `inv_b = inv_cdf(p)` (a `powf`, or an `exp` when `s = 1`), takes
//! `x = floor(inv_b + 1)`, and accepts `x` when `y < x^-s · inv_b^s` (two
//! more `powf`s). Here `inv_b` is a monotone function of a key the original
//! computes with cheap operations (`inv_b = key^q`, or `e^key` when
//! `s = 1`), and a table of keys cuts `inv_b` into cells, `SUBDIVISIONS` to
//! each unit, over the first `MAX_TABLED_RANKS` ranks. Each cell knows its
//! rank and bounds of the acceptance ratio over it, so most attempts end
//! with a binary search and a comparison:
//!
//! - `x` is the cell's rank unless the key lies within a relative
//!   `RANK_MARGIN` of a key where `inv_b` is an integer (where rounding
//!   could tip `floor` either way);
//! - `y` below the cell's lower bound of the ratio accepts, `y` at or above
//!   its upper bound rejects; the bounds are the ratio at the cell's ends
//!   widened by a relative `RATIO_MARGIN`;
//! - anything else (a key near an integer, `y` between the bounds, a key
//!   beyond the table) takes the original's path, with `x^-s` from a table
//!   built with the same `powf`.
//!
//! Outside those margins the original's floating-point results lie within
//! a few units in the last place (amplified at most `1 / |1 - s|` times)
//! of the exact ones, far inside the margins, so every decision is the
//! same. The cells are used only for exponents where that holds
//! (`s ≤ MAX_CELLED_EXPONENT`, and `s = 1` or `|1 - s| ≥ MIN_GAP_TO_ONE`).
//! Tests compare draws and stream states against `rand_distr`'s sampler.

use rand::{Rng, RngExt};

/// Most ranks covered by cells and by the table of powers.
const MAX_TABLED_RANKS: u32 = 256;
/// Cells per unit of `inv_b`.
const SUBDIVISIONS: u32 = 16;
/// Largest exponent with cells: up to it every tabled power is normal.
const MAX_CELLED_EXPONENT: f64 = 100.0;
/// Nearest an exponent other than 1 comes to 1 with cells: bounds how far
/// an error in a key is amplified in `inv_b` (by `|q| = 1 / |1 - s|`).
const MIN_GAP_TO_ONE: f64 = 1e-6;
/// Relative half-width of the band around an integer's key where the rank
/// is computed rather than looked up.
const RANK_MARGIN: f64 = 1e-10;
/// Relative widening of a cell's ratio bounds.
const RATIO_MARGIN: f64 = 1e-8;

/// Zipf's law over ranks `1..=n` with exponent `s`.
pub struct ZipfSampler {
    s: f64,
    /// `t` and `q` as `rand_distr` defines them.
    t: f64,
    q: f64,
    /// `x^-s` for rank `x` at index `x` (index 0 unused).
    power: Vec<f64>,
    /// Oriented keys at which `inv_b = 1 + i / SUBDIVISIONS` (ascending).
    edges: Vec<f64>,
    /// Cell `i` lies between edges `i` and `i + 1`.
    cells: Vec<Cell>,
    /// +1 if `inv_b` grows with the key, −1 if it shrinks.
    orientation: f64,
}

/// The rank of a cell and bounds of its acceptance ratio.
#[derive(Clone, Copy)]
struct Cell {
    rank: u32,
    accept_below: f64,
    reject_from: f64,
}

impl ZipfSampler {
    /// `n ≥ 1` ranks, finite exponent `s ≥ 0` (as validated by the caller).
    pub fn new(n: u32, s: f64) -> ZipfSampler {
        let n_float = f64::from(n);
        let q = if s != 1.0 { 1.0 / (1.0 - s) } else { 0.0 };
        let t = if s != 1.0 { (n_float.powf(1.0 - s) - s) * q } else { 1.0 + n_float.ln() };
        let ranks = n.min(MAX_TABLED_RANKS);
        let power: Vec<f64> = (0..=ranks).map(|x| f64::from(x).powf(-s)).collect();
        let celled = s <= MAX_CELLED_EXPONENT && (s == 1.0 || (1.0 - s).abs() >= MIN_GAP_TO_ONE);
        let n_edges = if celled && ranks > 1 { (ranks - 1) * SUBDIVISIONS + 1 } else { 0 };
        let orientation = if s > 1.0 { -1.0 } else { 1.0 };
        let edges = (0..n_edges).map(|edge| orientation * key_at(edge_value(edge), s)).collect();
        let cells = (1..n_edges).map(|end| cell(&power, end - 1, s)).collect();
        ZipfSampler { s, t, q, power, edges, cells, orientation }
    }

    /// One rank, drawing from `rng` exactly as `rand_distr::Zipf` does.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        loop {
            let p: f64 = rng.random();
            let y: f64 = rng.random();
            if let Some(x) = self.attempt(p, y) {
                return x;
            }
        }
    }

    /// The outcome of one attempt with uniforms `p` and `y`: the rank if
    /// accepted.
    fn attempt(&self, p: f64, y: f64) -> Option<u32> {
        let pt = p * self.t;
        if pt <= 1.0 {
            return self.decide(pt, y);
        }
        let key = if self.s != 1.0 { pt * (1.0 - self.s) + self.s } else { pt - 1.0 };
        match self.cell_of_key(key) {
            Some(cell) if y < cell.accept_below => Some(cell.rank),
            Some(cell) if y >= cell.reject_from => None,
            _ => self.decide(self.inv_b(key), y),
        }
    }

    /// `inv_b` from the key, as `rand_distr`'s `inv_cdf` computes it.
    fn inv_b(&self, key: f64) -> f64 {
        if self.s != 1.0 { key.powf(self.q) } else { key.exp() }
    }

    /// The original acceptance test for `inv_b`.
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

    /// The cell holding `key`, unless the key is beyond the edges or
    /// within the band of an integer's edge.
    fn cell_of_key(&self, key: f64) -> Option<&Cell> {
        let oriented = self.orientation * key;
        let below = self.edges.partition_point(|&edge| edge <= oriented);
        if below == 0 || below == self.edges.len() {
            return None;
        }
        let clear_of = |edge: usize| {
            edge as u32 % SUBDIVISIONS != 0 || (oriented - self.edges[edge]).abs() > self.rank_margin(self.edges[edge])
        };
        (clear_of(below - 1) && clear_of(below)).then(|| &self.cells[below - 1])
    }

    /// Half-width of the band around an integer's edge: relative for
    /// `s ≠ 1` (where `inv_b = key^q`), absolute for `s = 1` (`e^key`).
    fn rank_margin(&self, edge: f64) -> f64 {
        if self.s != 1.0 { RANK_MARGIN * edge.abs() } else { RANK_MARGIN }
    }
}

/// The value of `inv_b` at edge `edge`: `1 + edge / SUBDIVISIONS` (exact).
fn edge_value(edge: u32) -> f64 {
    1.0 + f64::from(edge) / f64::from(SUBDIVISIONS)
}

/// The key at which `inv_b` equals `value`: `value^(1-s)`, or `ln value`
/// when `s = 1`.
fn key_at(value: f64, s: f64) -> f64 {
    if s != 1.0 { value.powf(1.0 - s) } else { value.ln() }
}

/// Cell `index`: `inv_b` in `[a, b)` between its edges, rank
/// `floor(a) + 1`, and the ratio `x^-s inv_b^s` bounded by its values at
/// `a` and `b`, widened by `RATIO_MARGIN` (no bound where the numbers are
/// not normal).
fn cell(power: &[f64], index: u32, s: f64) -> Cell {
    let rank = index / SUBDIVISIONS + 2;
    let ratio_at = |value: f64| power[rank as usize] * value.powf(s);
    let (low, high) = (ratio_at(edge_value(index)), ratio_at(edge_value(index + 1)));
    Cell {
        rank,
        accept_below: if low.is_normal() { low * (1.0 - RATIO_MARGIN) } else { 0.0 },
        reject_from: if high.is_normal() { high * (1.0 + RATIO_MARGIN) } else { f64::INFINITY },
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
        let ours = ZipfSampler::new(n, s);
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

    /// Where a key falls in a cell, the cell's rank and ratio bounds agree
    /// with the original's arithmetic; keys are taken at every edge, a few
    /// units in the last place either side, and just outside the bands.
    #[test]
    fn cells_agree_with_the_original_near_every_edge() {
        for s in [0.0, 0.3, 0.999_999, 1.0, 1.000_001, 1.1, 2.0, 7.5, 100.0] {
            let sampler = ZipfSampler::new(300, s);
            for edge in 0..sampler.edges.len() as u32 {
                let key = key_at(edge_value(edge), s);
                let nudged = (-40..=40i64).map(|ulps| f64::from_bits((key.to_bits() as i64 + ulps) as u64));
                let offsets =
                    [1e-11, 1e-10, 2e-10, 1e-9, 1e-6].into_iter().flat_map(|r| [key * (1.0 + r), key * (1.0 - r)]);
                for key in nudged.chain(offsets) {
                    check_cell(&sampler, key);
                }
            }
        }
    }

    fn check_cell(sampler: &ZipfSampler, key: f64) {
        let Some(cell) = sampler.cell_of_key(key) else { return };
        let inv_b = sampler.inv_b(key);
        let x = floor_of_at_least_one(inv_b + 1.0);
        assert_eq!(cell.rank, x as u32, "s {}, key {key:e}", sampler.s);
        let ratio = sampler.power_of(x) * inv_b.powf(sampler.s);
        assert!(cell.accept_below <= ratio && ratio < cell.reject_from, "s {}, key {key:e}", sampler.s);
    }

    /// With the default popularity (40 apps, exponent 1.1) nearly every
    /// attempt is decided without a `powf`.
    #[test]
    fn most_attempts_end_in_a_table() {
        let sampler = ZipfSampler::new(40, 1.1);
        let streams = Streams::new(3);
        let attempts = 20_000;
        let slow = (0..attempts)
            .filter(|&entity| {
                let mut rng = streams.stream(entity, 0, 0);
                let (p, y): (f64, f64) = (rng.random(), rng.random());
                let pt = p * sampler.t;
                let key = pt * (1.0 - sampler.s) + sampler.s;
                let decided = |cell: &Cell| y < cell.accept_below || y >= cell.reject_from;
                pt > 1.0 && !sampler.cell_of_key(key).is_some_and(decided)
            })
            .count();
        assert!(slow * 20 < attempts as usize, "{slow} of {attempts} attempts computed");
    }

    #[test]
    fn floor_by_truncation_is_floor() {
        for v in [1.0, 1.5, 2.0 - f64::EPSILON, 2.0, 1e15 + 0.5, 4_503_599_627_370_495.5, 1e300] {
            assert_eq!(floor_of_at_least_one(v), v.floor());
        }
    }
}
