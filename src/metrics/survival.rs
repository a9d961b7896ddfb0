//! Latency percentiles with right-censoring: a Kaplan–Meier survival
//! estimate over finished latencies and the censoring times of batches
//! still unfinished at the horizon, and a seeded bootstrap over
//! replications for the 95 % interval of each percentile: the *expanded*
//! percentile interval (Hesterberg 2015), whose tails are taken at
//! Φ(−√(R/(R−1))·t₀.₉₇₅,R−1) instead of 2.5 % so that the plain percentile
//! interval's narrowness with few replications R is corrected, and those
//! tails then moved by the bias correction and the acceleration of BCa
//! (Efron 1987; the acceleration from leaving out one replication at a
//! time), so that the skew of a tail percentile over few replications does
//! not leave the interval too low.
//!
//! Times are the bucket values of the latency histograms (3 significant
//! digits), so a table built from merged histograms equals one built from
//! the samples, and the estimate does not depend on how replications were
//! split into shards. At a tie, finished batches count before censored ones
//! (a batch censored at t was still at risk at t).

use super::interval::Level;
use super::latency::LatencyHistogram;
use crate::engine::Streams;
use statrs::function::erf::erfc_inv;

/// Resamples behind every bootstrap interval.
pub const BOOTSTRAP_RESAMPLES: usize = 2_000;

/// Fewest replications a bootstrap interval is computed from.
pub const MIN_BOOTSTRAP_REPLICATIONS: usize = 10;

/// The purpose the bootstrap's draws are keyed by ("kmboot").
const BOOTSTRAP_PURPOSE: u64 = 0x6b6d_626f_6f74;

/// Survival is compared with 1 − q within this, so that without censoring
/// the estimate gives exactly the histogram's own percentile.
const EPSILON: f64 = 1e-9;

/// Finished and censored batches at each distinct time, in increasing time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LifeTable {
    rows: Vec<Row>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Row {
    time_ms: u64,
    finished: u64,
    censored: u64,
}

/// A Kaplan–Meier percentile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KmQuantile {
    /// The smallest time at which the estimated share finished reaches q.
    At(u64),
    /// Survival stays above 1 − q up to the largest censoring time: the
    /// percentile lies beyond what the horizon lets one see.
    Beyond,
}

impl LifeTable {
    /// The table of `finished` latencies and `censored` censoring times.
    pub fn new(finished: &LatencyHistogram, censored: &LatencyHistogram) -> LifeTable {
        let mut rows: Vec<Row> =
            finished.buckets().map(|(time_ms, count)| Row { time_ms, finished: count, censored: 0 }).collect();
        rows.extend(censored.buckets().map(|(time_ms, count)| Row { time_ms, finished: 0, censored: count }));
        rows.sort_by_key(|row| row.time_ms);
        rows.dedup_by(|later, earlier| {
            let same = later.time_ms == earlier.time_ms;
            if same {
                earlier.finished += later.finished;
                earlier.censored += later.censored;
            }
            same
        });
        LifeTable { rows }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The percentiles `quantiles` (each in (0, 1], increasing); `None`
    /// for an empty table.
    pub fn quantiles(&self, quantiles: &[f64]) -> Option<Vec<KmQuantile>> {
        let mut found = Vec::with_capacity(quantiles.len());
        let total = self.rows.iter().map(|row| row.finished + row.censored).sum();
        km_quantiles(
            self.rows.iter().map(|row| (row.time_ms, row.finished, row.censored)),
            total,
            quantiles,
            &mut found,
        );
        (!self.is_empty()).then_some(found)
    }
}

/// Walks `rows` (time, finished, censored) in increasing time, `total`
/// batches in all, and pushes the Kaplan–Meier percentile of each of
/// `quantiles` (increasing) to `out`. Every row is consumed.
fn km_quantiles(rows: impl Iterator<Item = (u64, u64, u64)>, total: u64, quantiles: &[f64], out: &mut Vec<KmQuantile>) {
    let mut at_risk = total;
    let mut survival = 1.0;
    let mut next = 0;
    for (time_ms, finished, censored) in rows {
        if finished > 0 {
            survival *= 1.0 - finished as f64 / at_risk as f64;
            while next < quantiles.len() && survival <= 1.0 - quantiles[next] + EPSILON {
                out.push(KmQuantile::At(time_ms));
                next += 1;
            }
        }
        at_risk -= finished + censored;
    }
    out.extend(quantiles[next..].iter().map(|_| KmQuantile::Beyond));
}

/// A 95 % interval bound: a time, or beyond the horizon.
pub type IntervalBound = Option<u64>;

/// The bootstrap over replications: which replications each resample
/// draws (with replacement), the same for every latency of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Bootstrap {
    /// Per resample, how many times each replication was drawn.
    weights: Vec<Vec<u64>>,
    /// The confidence of the intervals.
    level: Level,
}

impl Bootstrap {
    /// [`BOOTSTRAP_RESAMPLES`] resamples of `replications` replications,
    /// drawn from streams keyed by the run's `seed` and a fixed purpose: the
    /// same for any thread count or shard split.
    pub fn new(seed: u64, replications: usize, level: Level) -> Bootstrap {
        let streams = Streams::new(seed);
        let weights = (0..BOOTSTRAP_RESAMPLES as u64)
            .map(|resample| {
                let mut drawn = vec![0; replications];
                for draw in 0..replications as u64 {
                    let u = streams.uniform(resample, BOOTSTRAP_PURPOSE, draw);
                    drawn[((u * replications as f64) as usize).min(replications - 1)] += 1;
                }
                drawn
            })
            .collect();
        Bootstrap { weights, level }
    }

    /// The level of the intervals.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The 2.5 % and 97.5 % points of each percentile of `quantiles` over
    /// the resamples of `tables` (one per replication, in index order), or
    /// why there is none.
    pub fn intervals(&self, tables: &[LifeTable], quantiles: &[f64]) -> Result<Vec<[IntervalBound; 2]>, String> {
        if tables.len() < MIN_BOOTSTRAP_REPLICATIONS {
            return Err(format!(
                "an interval needs at least {MIN_BOOTSTRAP_REPLICATIONS} replications, this run has {}",
                tables.len()
            ));
        }
        let pooled = Pooled::new(tables);
        let mut scratch = Scratch::new(pooled.times_ms.len(), quantiles.len());
        let mut draws: Vec<Vec<KmQuantile>> = vec![Vec::with_capacity(self.weights.len()); quantiles.len()];
        for weights in &self.weights {
            // A resample of replications that all had no batch has no percentile.
            if let Some(found) = scratch.quantiles(&pooled, weights, quantiles) {
                draws.iter_mut().zip(found).for_each(|(values, &value)| values.push(value));
            }
        }
        let everyone = vec![1; tables.len()];
        let points = scratch.quantiles(&pooled, &everyone, quantiles).map(<[KmQuantile]>::to_vec);
        let jackknife: Vec<Vec<KmQuantile>> = (0..tables.len())
            .map(|left_out| {
                let mut weights = everyone.clone();
                weights[left_out] = 0;
                scratch.quantiles(&pooled, &weights, quantiles).map_or_else(Vec::new, <[KmQuantile]>::to_vec)
            })
            .collect();
        let tail = expanded_tail(tables.len(), self.level);
        Ok(draws
            .iter_mut()
            .enumerate()
            .map(|(slot, values)| {
                let point = points.as_ref().map(|points| points[slot]);
                let left_out: Vec<KmQuantile> =
                    jackknife.iter().filter_map(|values| values.get(slot).copied()).collect();
                let tails = point.map_or((tail, 1.0 - tail), |point| bca_tails(values, point, &left_out, tail));
                percentile_interval(values, tails)
            })
            .collect())
    }
}

/// The reusable counts of one resample's table on the pooled time axis.
struct Scratch {
    finished: Vec<u64>,
    censored: Vec<u64>,
    found: Vec<KmQuantile>,
}

impl Scratch {
    fn new(times: usize, quantiles: usize) -> Scratch {
        Scratch { finished: vec![0; times], censored: vec![0; times], found: Vec::with_capacity(quantiles) }
    }

    /// The percentiles of the replications of `pooled` drawn `weights`
    /// times each; `None` when they hold no batch.
    fn quantiles(&mut self, pooled: &Pooled, weights: &[u64], quantiles: &[f64]) -> Option<&[KmQuantile]> {
        let total = pooled.resample(weights, &mut self.finished, &mut self.censored);
        // The walk takes every slot's counts, leaving the axis zeroed for
        // the next resample.
        let rows = pooled.times_ms.iter().zip(self.finished.iter_mut()).zip(self.censored.iter_mut());
        let rows = rows.map(|((&t, f), c)| (t, std::mem::take(f), std::mem::take(c)));
        self.found.clear();
        km_quantiles(rows.filter(|&(_, f, c)| f + c > 0), total, quantiles, &mut self.found);
        (total > 0).then_some(self.found.as_slice())
    }
}

/// The bias-corrected and accelerated (BCa, Efron 1987) tails of the
/// interval, applied to the expanded tail `tail`: `z₀` from the share of
/// `draws` below the estimate `point` (ties count half), the acceleration
/// from the skewness of the leave-one-replication-out estimates
/// `left_out`. A tail percentile over ten replications is skewed (a
/// congested replication moves it far up, an uncongested one a little
/// down); the plain percentile interval then sits too low. Without a
/// usable bias (every draw on one side) the tails stay as they are; with
/// a percentile beyond the horizon among the estimates, the acceleration
/// is 0.
fn bca_tails(draws: &[KmQuantile], point: KmQuantile, left_out: &[KmQuantile], tail: f64) -> (f64, f64) {
    if draws.is_empty() {
        return (tail, 1.0 - tail);
    }
    let below = draws.iter().filter(|&&value| value < point).count() as f64;
    let ties = draws.iter().filter(|&&value| value == point).count() as f64;
    let share_below = (below + ties / 2.0) / draws.len() as f64;
    if share_below <= 0.0 || share_below >= 1.0 {
        return (tail, 1.0 - tail);
    }
    let bias = normal_quantile(share_below);
    let acceleration = jackknife_acceleration(left_out);
    let adjusted = |z: f64| {
        let shifted = bias + z;
        let denominator = 1.0 - acceleration * shifted;
        if denominator <= 0.0 { if z < 0.0 { 0.0 } else { 1.0 } } else { normal_cdf(bias + shifted / denominator) }
    };
    let z_tail = normal_quantile(tail);
    (adjusted(z_tail), adjusted(-z_tail))
}

/// `Σ (θ̄ − θᵢ)³ / (6 (Σ (θ̄ − θᵢ)²)^{3/2})` over the leave-one-out
/// estimates θᵢ; 0 when one lies beyond the horizon or they all agree.
fn jackknife_acceleration(left_out: &[KmQuantile]) -> f64 {
    let values: Option<Vec<f64>> = left_out
        .iter()
        .map(|value| match value {
            KmQuantile::At(ms) => Some(*ms as f64),
            KmQuantile::Beyond => None,
        })
        .collect();
    let Some(values) = values.filter(|values| values.len() > 1) else { return 0.0 };
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let squares: f64 = values.iter().map(|value| (mean - value).powi(2)).sum();
    let cubes: f64 = values.iter().map(|value| (mean - value).powi(3)).sum();
    if squares > 0.0 { cubes / (6.0 * squares.powf(1.5)) } else { 0.0 }
}

/// Φ⁻¹(p) for p in (0, 1).
fn normal_quantile(probability: f64) -> f64 {
    -std::f64::consts::SQRT_2 * erfc_inv(2.0 * probability)
}

/// The share in each tail of the expanded percentile interval for
/// `replications` resampled: Φ(−√(R/(R−1))·t₀.₉₇₅,R−1) (0.85 % for 10).
fn expanded_tail(replications: usize, level: Level) -> f64 {
    let r = replications as f64;
    normal_cdf(-(r / (r - 1.0)).sqrt() * level.student_t(replications as u64 - 1))
}

/// Φ(x), from the complementary error function (Numerical Recipes'
/// `erfcc`, fractional error below 1.2e-7).
fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 { 1.0 - 0.5 * erfc } else { 0.5 * erfc }
}

/// The `low` and `high` order statistics of `values` (sorted here).
fn percentile_interval(values: &mut [KmQuantile], (low, high): (f64, f64)) -> [IntervalBound; 2] {
    values.sort_unstable();
    let at = |share: f64| {
        let rank = ((share * values.len() as f64).ceil() as usize).clamp(1, values.len().max(1)) - 1;
        match values.get(rank) {
            Some(KmQuantile::At(ms)) => Some(*ms),
            Some(KmQuantile::Beyond) | None => None,
        }
    };
    [at(low), at(high)]
}

/// Every replication's table on one shared time axis.
struct Pooled {
    times_ms: Vec<u64>,
    /// Per replication: (slot on the axis, finished, censored).
    entries: Vec<Vec<(usize, u64, u64)>>,
}

impl Pooled {
    fn new(tables: &[LifeTable]) -> Pooled {
        let mut times_ms: Vec<u64> = tables.iter().flat_map(|t| t.rows.iter().map(|row| row.time_ms)).collect();
        times_ms.sort_unstable();
        times_ms.dedup();
        let slot = |time: u64| times_ms.binary_search(&time).expect("every time is on the axis");
        let entries = tables
            .iter()
            .map(|table| table.rows.iter().map(|row| (slot(row.time_ms), row.finished, row.censored)).collect())
            .collect();
        Pooled { times_ms, entries }
    }

    /// Adds the replications into `finished` and `censored` (zero on
    /// entry), `weights` times each, and returns how many batches that is.
    fn resample(&self, weights: &[u64], finished: &mut [u64], censored: &mut [u64]) -> u64 {
        let mut total = 0;
        for (entries, &weight) in self.entries.iter().zip(weights).filter(|(_, w)| **w > 0) {
            for &(slot, f, c) in entries {
                finished[slot] += weight * f;
                censored[slot] += weight * c;
                total += weight * (f + c);
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram_ms(values_ms: &[u64]) -> LatencyHistogram {
        let mut histogram = LatencyHistogram::new();
        values_ms.iter().for_each(|&ms| histogram.record_micros(ms * 1_000));
        histogram
    }

    fn table(finished_ms: &[u64], censored_ms: &[u64]) -> LifeTable {
        LifeTable::new(&histogram_ms(finished_ms), &histogram_ms(censored_ms))
    }

    #[test]
    fn kaplan_meier_matches_a_hand_computed_example_with_ties_and_censoring() {
        // Finished at 1, 2, 2, 4, 6; censored at 2, 3, 5 (n = 8).
        // t=1: S = 7/8 = 0.875; t=2: at risk 7 (the batch censored at 2 is
        // still at risk), 2 finish: S = 0.875·5/7 = 0.625; one censored at 3;
        // t=4: at risk 3: S = 0.625·2/3 = 0.41667; one censored at 5;
        // t=6: at risk 1: S = 0.
        let km = table(&[1, 2, 2, 4, 6], &[2, 3, 5]);
        let found = km.quantiles(&[0.1, 0.125, 0.3, 0.375, 0.5, 0.58, 0.6, 1.0]).expect("batches");
        let at = KmQuantile::At;
        assert_eq!(found, [at(1), at(1), at(2), at(2), at(4), at(4), at(6), at(6)]);
    }

    #[test]
    fn a_percentile_the_censoring_hides_is_beyond_the_horizon() {
        // Finished at 1 and 2, censored at 10 twice: S falls to 0.5 and stays.
        let km = table(&[1, 2], &[10, 10]);
        let found = km.quantiles(&[0.25, 0.5, 0.9]).expect("batches");
        assert_eq!(found, [KmQuantile::At(1), KmQuantile::At(2), KmQuantile::Beyond]);
        assert_eq!(table(&[], &[]).quantiles(&[0.5]), None);
    }

    #[test]
    fn without_censoring_it_is_the_histogram_percentile() {
        let values: Vec<u64> = (1..=5_000).map(|i| i * 37 % 100_003).collect();
        let histogram = histogram_ms(&values);
        let summary = histogram.summary().expect("samples");
        let km = LifeTable::new(&histogram, &LatencyHistogram::new());
        let found = km.quantiles(&[0.5, 0.9, 0.99, 0.999, 1.0]).expect("batches");
        let expected = [summary.p50, summary.p90, summary.p99, summary.p999, summary.max].map(KmQuantile::At);
        assert_eq!(found, expected);
    }

    #[test]
    fn exponential_latencies_censored_at_a_fixed_time_give_the_median_ln2_mean() {
        // 200 000 exponential latencies of mean 1 000 s, censored at 1 500 s
        // (22 % censored): the KM median is ln 2 · mean = 693 s.
        let (mean_ms, cutoff_ms) = (1_000_000.0_f64, 1_500_000_u64);
        let streams = Streams::new(42);
        let (mut finished, mut censored) = (LatencyHistogram::new(), LatencyHistogram::new());
        for i in 0..200_000 {
            let latency_ms = (-mean_ms * (1.0 - streams.uniform(i, 1, 0)).ln()) as u64;
            match latency_ms < cutoff_ms {
                true => finished.record_micros(latency_ms * 1_000),
                false => censored.record_micros(cutoff_ms * 1_000),
            }
        }
        let km = LifeTable::new(&finished, &censored);
        let [median, p90] = km.quantiles(&[0.5, 0.9]).expect("batches")[..] else { panic!("two quantiles") };
        let KmQuantile::At(median_ms) = median else { panic!("median is seen") };
        let expected = std::f64::consts::LN_2 * mean_ms;
        assert!((median_ms as f64 - expected).abs() < 0.01 * expected, "median {median_ms} ms, expected {expected}");
        assert_eq!(p90, KmQuantile::Beyond, "p90 = 2 303 s lies beyond the 1 500 s censoring");
    }

    #[test]
    fn the_expanded_tails_shrink_towards_two_and_a_half_percent() {
        assert!((normal_cdf(-1.959_963_985) - 0.025).abs() < 1e-7);
        assert!((normal_cdf(1.0) - 0.841_344_746).abs() < 1e-7);
        assert!(
            (expanded_tail(10, Level::NINETY_FIVE) - 0.008_54).abs() < 1e-4,
            "{}",
            expanded_tail(10, Level::NINETY_FIVE)
        );
        assert!(
            expanded_tail(10, Level::NINETY_FIVE) < expanded_tail(30, Level::NINETY_FIVE)
                && expanded_tail(1000, Level::NINETY_FIVE) < 0.025
        );
        assert!((expanded_tail(100_000, Level::NINETY_FIVE) - 0.025).abs() < 1e-4);
    }

    #[test]
    fn bca_leaves_a_symmetric_unskewed_bootstrap_as_it_is() {
        let draws: Vec<KmQuantile> = (0..=200).map(|ms| KmQuantile::At(900 + ms)).collect();
        let left_out: Vec<KmQuantile> = [990, 1010, 995, 1005, 1000].map(KmQuantile::At).to_vec();
        assert_eq!(jackknife_acceleration(&left_out), 0.0);
        let (low, high) = bca_tails(&draws, KmQuantile::At(1000), &left_out, 0.025);
        assert!((low - 0.025).abs() < 1e-6 && (high - 0.975).abs() < 1e-6, "{low} {high}");
    }

    #[test]
    fn bca_moves_both_tails_up_when_one_replication_carries_the_tail() {
        // Leaving out the congested replication drops the estimate far;
        // leaving out any other moves it a little: a positive acceleration.
        let left_out: Vec<KmQuantile> =
            [1010, 1012, 1008, 1011, 1009, 1010, 1013, 1007, 1010, 800].map(KmQuantile::At).to_vec();
        let acceleration = jackknife_acceleration(&left_out);
        assert!(acceleration > 0.1, "{acceleration}");
        let draws: Vec<KmQuantile> = (0..=200).map(|ms| KmQuantile::At(900 + ms)).collect();
        let (low, high) = bca_tails(&draws, KmQuantile::At(1000), &left_out, 0.025);
        assert!(low > 0.025 && high > 0.975, "{low} {high}");
        // Beyond the horizon there is no skewness to measure.
        assert_eq!(jackknife_acceleration(&[KmQuantile::At(5), KmQuantile::Beyond]), 0.0);
    }

    #[test]
    fn the_normal_quantile_inverts_the_normal_cdf() {
        for p in [0.001, 0.025, 0.3, 0.5, 0.9, 0.975] {
            assert!((normal_cdf(normal_quantile(p)) - p).abs() < 1e-6, "{p}");
        }
    }

    fn replications(count: u64) -> Vec<LifeTable> {
        (0..count).map(|r| table(&[100 + r, 200 + 3 * r, 400 + 7 * r], &[500 + 11 * r])).collect()
    }

    #[test]
    fn the_bootstrap_is_seeded_and_needs_ten_replications() {
        let tables = replications(12);
        let once =
            Bootstrap::new(9, 12, Level::NINETY_FIVE).intervals(&tables, &[0.5, 0.9]).expect("enough replications");
        let again =
            Bootstrap::new(9, 12, Level::NINETY_FIVE).intervals(&tables, &[0.5, 0.9]).expect("enough replications");
        assert_eq!(once, again);
        let [low, high] = once[0];
        assert!(low.unwrap() <= high.unwrap(), "{once:?}");
        assert_eq!(once[1], [None, None], "a quarter of every replication is censored after its last finish");
        assert_ne!(Bootstrap::new(10, 12, Level::NINETY_FIVE), Bootstrap::new(9, 12, Level::NINETY_FIVE));
        let error = Bootstrap::new(9, 9, Level::NINETY_FIVE).intervals(&replications(9), &[0.5]).expect_err("too few");
        assert!(error.contains("at least 10 replications"), "{error}");
    }

    #[test]
    fn the_pooled_estimate_is_the_same_from_merged_histograms() {
        // Two shards' histograms merged give the table of all samples.
        let (mut finished, mut censored) = (histogram_ms(&[5, 7]), histogram_ms(&[9]));
        finished.merge(&histogram_ms(&[5, 12]));
        censored.merge(&histogram_ms(&[20]));
        assert_eq!(LifeTable::new(&finished, &censored), table(&[5, 5, 7, 12], &[9, 20]));
    }
}
