//! Confidence intervals: the Clopper–Pearson interval for a proportion, the
//! Student-t interval for a mean, the quantiles they need, and the
//! intervals of a ratio of sums over replications (a rate, a mean wait)
//! whose variance is measured across replications, the replication being
//! the independent unit (rates ratio-t or Korn–Graubard, means Hall's
//! skewness-corrected t).

use super::significance::student_t_two_sided_p;
use serde::{Deserialize, Serialize};
use statrs::function::beta::beta_reg;
use statrs::function::erf::erfc_inv;

/// Standard-normal quantile for a two-sided 95 % interval, `Φ⁻¹(0.975)`.
pub const Z95: f64 = 1.959963984540054;

/// Standard-normal quantile for a two-sided 99.9 % interval, `Φ⁻¹(0.9995)`.
pub const Z999: f64 = 3.2905267314919255;

/// Student's t quantile `t(0.975, df)` for `df` = 1 ..= 30, indexed by `df - 1`.
const STUDENT_T_975_BY_DEGREES_OF_FREEDOM: [f64; 30] = [
    12.706204736,
    4.302652730,
    3.182446305,
    2.776445105,
    2.570581836,
    2.446911851,
    2.364624252,
    2.306004135,
    2.262157163,
    2.228138852,
    2.200985160,
    2.178812830,
    2.160368656,
    2.144786688,
    2.131449546,
    2.119905299,
    2.109815578,
    2.100922040,
    2.093024054,
    2.085963447,
    2.079613845,
    2.073873068,
    2.068657610,
    2.063898562,
    2.059538553,
    2.055529439,
    2.051830516,
    2.048407142,
    2.045229642,
    2.042272456,
];

/// The confidence of a two-sided interval, `1 − alpha`: 95 % for every
/// interval a summary writes; higher for the looks of a sequential run,
/// which spend their share of a 5 % error rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Level {
    alpha: f64,
}

impl Level {
    pub const NINETY_FIVE: Level = Level { alpha: 0.05 };

    /// The level `1 − alpha`, for `alpha` strictly between 0 and 1.
    pub fn with_alpha(alpha: f64) -> Level {
        assert!(alpha > 0.0 && alpha < 1.0, "a two-sided level needs 0 < alpha < 1, got {alpha}");
        Level { alpha }
    }

    /// The chance the interval misses, both tails together.
    pub fn alpha(self) -> f64 {
        self.alpha
    }

    /// `95 %`, `99.62 %`.
    pub fn label(self) -> String {
        let percent = format!("{:.2}", 100.0 * (1.0 - self.alpha));
        format!("{} %", percent.trim_end_matches('0').trim_end_matches('.'))
    }

    /// The standard-normal quantile `Φ⁻¹(1 − alpha / 2)`: [`Z95`] at 95 %.
    pub fn normal(self) -> f64 {
        if self == Level::NINETY_FIVE {
            return Z95;
        }
        std::f64::consts::SQRT_2 * erfc_inv(self.alpha)
    }

    /// Student's t quantile `t(1 − alpha / 2, df)`: the table of
    /// [`student_t_975`] at 95 %, otherwise the root of the two-sided tail
    /// probability by bisection (to 1e-12 relative). `df = 0` gives infinity.
    pub fn student_t(self, degrees_of_freedom: u64) -> f64 {
        if self == Level::NINETY_FIVE || degrees_of_freedom == 0 {
            return student_t_975(degrees_of_freedom);
        }
        let tail = |t: f64| student_t_two_sided_p(t, degrees_of_freedom as f64);
        let (mut low, mut high) = (0.0, 1.0);
        while tail(high) > self.alpha {
            (low, high) = (high, high * 2.0);
        }
        while high - low > 1e-12 * high {
            let middle = (low + high) / 2.0;
            if tail(middle) > self.alpha { low = middle } else { high = middle }
        }
        (low + high) / 2.0
    }
}

/// The Clopper–Pearson ("exact") bounds of a rate `rate` observed on
/// `trials` (which may be fractional: an effective sample size), missing
/// with chance `alpha` in both tails together: the `alpha / 2` quantile of
/// Beta(x, n − x + 1) and the `1 − alpha / 2` quantile of Beta(x + 1, n − x)
/// for `x = rate · n`. Exactly 0 at a rate of 0 and exactly 1 at a rate of
/// 1; with no hit the high bound is `1 − (alpha / 2)^(1 / n)`.
fn clopper_pearson_bounds(rate: f64, trials: f64, alpha: f64) -> (f64, f64) {
    let hits = rate * trials;
    let misses = trials - hits;
    let low = if rate <= 0.0 { 0.0 } else { beta_quantile(hits, misses + 1.0, alpha / 2.0) };
    let high = if rate >= 1.0 { 1.0 } else { beta_quantile(hits + 1.0, misses, 1.0 - alpha / 2.0) };
    (low.clamp(0.0, rate), high.clamp(rate, 1.0))
}

/// The `probability` quantile of Beta(a, b), by bisection on the
/// regularised incomplete beta function to 1e-13 relative (statrs'
/// `inv_beta_reg` does not return for a shape of 10⁷, an org's trials).
/// Mass near 1 is found as 1 − the quantile of Beta(b, a), where the
/// bisection has its precision. Accurate while the smaller shape is below
/// about 10⁵ (statrs' continued fraction); the Korn–Graubard form sees
/// fewer than 1 000 effective hits or misses.
fn beta_quantile(a: f64, b: f64, probability: f64) -> f64 {
    if a > b {
        return 1.0 - beta_quantile(b, a, 1.0 - probability);
    }
    let (mut low, mut high) = (0.0_f64, 1.0_f64);
    for _ in 0..BISECTION_STEPS {
        let middle = 0.5 * (low + high);
        if beta_reg(a, b, middle) < probability {
            low = middle
        } else {
            high = middle
        }
        if high - low <= 1e-13 * high {
            break;
        }
    }
    0.5 * (low + high)
}

/// Enough halvings to reach 1e-13 relative below the smallest bound a
/// rate over 2⁶⁴ trials can have.
const BISECTION_STEPS: usize = 200;

/// The Clopper–Pearson interval of `successes` out of `trials` at 95 %,
/// as `(low, high)`; `None` without trials or with `successes > trials`.
#[cfg(test)]
pub fn clopper_pearson_interval(successes: u64, trials: u64) -> Option<(f64, f64)> {
    if trials == 0 || successes > trials {
        return None;
    }
    Some(clopper_pearson_bounds(successes as f64 / trials as f64, trials as f64, Level::NINETY_FIVE.alpha))
}

/// The Korn–Graubard interval of a rate near 0 or 1 whose variance was
/// measured across `replications`: Clopper–Pearson on the effective sample
/// size `n_eff = trials / design effect`, shrunk by `(z / t(R − 1))²` so
/// that the few replications behind the variance widen it as the t
/// quantile widens a t interval (Korn & Graubard 1998; R's
/// `svyciprop(method = "beta")`). Unlike a Wilson bound, it stays
/// conservative when a handful of members (or one rare replication) make
/// all the hits or misses.
fn korn_graubard_bounds(rate: f64, effective_trials: f64, replications: usize, level: Level) -> (f64, f64) {
    let shrink = (level.normal() / level.student_t(replications as u64 - 1)).powi(2);
    clopper_pearson_bounds(rate, effective_trials * shrink, level.alpha)
}

/// Fewest replications, among those with trials (or served requests) for
/// a figure, that its interval is computed from; below it the interval is
/// null with the reason. Measured with `benches/coverage.sh`: at 10 the
/// member-level rates cover 95 % (`docs/statistics.md`).
pub const MIN_REPLICATIONS: usize = 10;

/// Fewest replications with trials for the interval of a rate whose hits
/// come in whole batches (a re-bind batch rolled back as one): each
/// replication is then one draw of a few batches, a mixture with mass at
/// 0, and the interval needs more of them. Measured with
/// `benches/coverage.sh` on subsidiary-split (`results/replications.md`):
/// at 10 the re-bind race covered 90 % and an objective 1 % on its passing
/// side failed 9 % of the time.
pub const MIN_BATCH_REPLICATIONS: usize = 20;

/// A rate takes the Korn–Graubard form when fewer than this many
/// effective hits (or effective misses) stand behind it: `min(p, 1 − p) · n_eff`.
/// Below it the beta bounds' asymmetry matters (measured by
/// `benches/coverage.sh`: the race unions near 0.95 covered 92–93 % with
/// ratio-t, 95–96 % with Korn–Graubard); above it the two agree and the
/// t interval is cheaper and within the bisection's precision.
const EXACT_BELOW_EFFECTIVE_COUNT: f64 = 1000.0;

/// Which interval a ratio over replications got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IntervalMethod {
    /// `estimate ± t(0.975, R − 1) · se`, the standard error from the
    /// linearised ratio estimator across the R replications.
    RatioT,
    /// The Korn–Graubard interval: Clopper–Pearson on the effective sample
    /// size (trials divided by the design effect), shrunk for the
    /// replications' degrees of freedom: for rates near 0 or 1.
    KornGraubard,
    /// Hall's skewness-corrected t: the t interval stretched toward the
    /// side the replications' residuals are skewed to; for means (waits,
    /// latencies, uses per grant), whose replications skew right when a
    /// few of them congest, and for rates whose hits come in whole
    /// batches (clamped to [0, 1]), whose replications skew as their
    /// batches fall.
    HallT,
}

impl IntervalMethod {
    /// As results spell it: `ratio-t`, `korn-graubard`, `hall-t`.
    pub fn name(self) -> &'static str {
        match self {
            IntervalMethod::RatioT => "ratio-t",
            IntervalMethod::KornGraubard => "korn-graubard",
            IntervalMethod::HallT => "hall-t",
        }
    }
}

/// A ratio of sums over replications (Σ numerator / Σ denominator) with
/// its 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatioInterval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    pub method: IntervalMethod,
    /// Replications with a positive denominator: the R of the interval.
    pub replications: usize,
    /// Across-replication variance over the binomial variance of the
    /// pooled trials, floored at 1; rates only.
    pub design_effect: Option<f64>,
}

/// The ratio of sums of `pairs` (numerator, denominator > 0) and the
/// linearised estimate of its variance: residuals `d = y − r·x`,
/// `var = Σ d² / ((R − 1) · R · x̄²)`. Needs two pairs or more.
fn ratio_and_variance(pairs: &[(f64, f64)]) -> (f64, f64) {
    let count = pairs.len() as f64;
    let numerator: f64 = pairs.iter().map(|pair| pair.0).sum();
    let denominator: f64 = pairs.iter().map(|pair| pair.1).sum();
    let ratio = numerator / denominator;
    let mean_denominator = denominator / count;
    let squared_residuals: f64 = pairs.iter().map(|&(y, x)| (y - ratio * x).powi(2)).sum();
    (ratio, squared_residuals / ((count - 1.0) * count * mean_denominator * mean_denominator))
}

/// The skewness of the linearised residuals `d = y − ratio · x` of `pairs`,
/// `(Σd³ / R) / (Σd² / R)^{3/2}`; 0 when they have no spread.
fn residual_skewness(pairs: &[(f64, f64)], ratio: f64) -> f64 {
    let count = pairs.len() as f64;
    let residuals = pairs.iter().map(|&(y, x)| y - ratio * x);
    let (squares, cubes) = residuals.fold((0.0, 0.0), |(squares, cubes), d| (squares + d * d, cubes + d * d * d));
    if squares > 0.0 { (cubes / count) / (squares / count).powf(1.5) } else { 0.0 }
}

/// Hall's (1992) skewness-corrected t bounds of `estimate`: the
/// studentised statistic T is mapped by `g(T) = T + γ(1 + 2T²)/(6√R) +
/// γ²T³/(27R)`, monotone, so that g(T) is nearly symmetric, and the bounds
/// are `estimate − se · g⁻¹(±quantile)`. Across replications whose values
/// are skewed (a queue that congests in a few of them) the symmetric t
/// interval misses on one side only; this one reaches further toward the
/// skewed side. With γ = 0 it is the t interval.
fn skew_corrected_bounds(
    estimate: f64,
    standard_error: f64,
    skewness: f64,
    replications: usize,
    quantile: f64,
) -> (f64, f64) {
    let root_r = (replications as f64).sqrt();
    let g_inverse = |t: f64| {
        if skewness.abs() < 1e-12 {
            return t;
        }
        let a = 1.0 + skewness / root_r * (t - skewness / (6.0 * root_r));
        3.0 * root_r / skewness * (a.cbrt() - 1.0)
    };
    (estimate - standard_error * g_inverse(quantile), estimate - standard_error * g_inverse(-quantile))
}

/// The fewest replications an interval is computed from, and why, when
/// the figure needs more than [`MIN_REPLICATIONS`]: it ends the null
/// reason (`needs at least 40 replications with finished batches; got 10:
/// {why}`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Minimum {
    pub replications: usize,
    pub why: Option<&'static str>,
}

impl Minimum {
    /// [`MIN_REPLICATIONS`], which needs no explanation.
    pub const DEFAULT: Minimum = Minimum { replications: MIN_REPLICATIONS, why: None };
}

/// The pairs with a positive denominator, or why there are too few:
/// `needs at least 10 replications with {what}; got 4`.
fn usable_pairs(
    pairs: impl Iterator<Item = (f64, f64)>,
    what: &str,
    minimum: Minimum,
) -> Result<Vec<(f64, f64)>, String> {
    let usable: Vec<(f64, f64)> = pairs.filter(|pair| pair.1 > 0.0).collect();
    if usable.len() < minimum.replications {
        let reason = format!("needs at least {} replications with {what}; got {}", minimum.replications, usable.len());
        return Err(match minimum.why {
            Some(why) => format!("{reason}: {why}"),
            None => reason,
        });
    }
    Ok(usable)
}

/// How the hits of a rate cluster inside a replication, which decides its
/// interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grain {
    /// Hits are members' (or grants') own outcomes, correlated through
    /// shared decisions but many per replication: ratio-t, or
    /// Korn–Graubard near 0 or 1.
    Members,
    /// Hits come in whole batches, a few per replication: Hall's
    /// skewness-corrected t on the replications, clamped to [0, 1], from
    /// at least [`MIN_BATCH_REPLICATIONS`].
    Batches,
}

impl Grain {
    /// [`Grain::Batches`] when the hits come in whole batches.
    pub fn of(in_batches: bool) -> Grain {
        if in_batches { Grain::Batches } else { Grain::Members }
    }
}

/// The pooled rate of `pairs` (hits, trials), its linearised variance and
/// its design effect: that variance over the binomial variance
/// `p(1 − p) / Σ trials`, floored at 1, so that replications that happen
/// to agree still get the binomial width.
fn rate_variance_and_design_effect(pairs: &[(f64, f64)]) -> (f64, f64, f64) {
    let (rate, variance) = ratio_and_variance(pairs);
    let trials: f64 = pairs.iter().map(|pair| pair.1).sum();
    let binomial_variance = rate * (1.0 - rate) / trials;
    let design_effect = if binomial_variance > 0.0 { (variance / binomial_variance).max(1.0) } else { 1.0 };
    (rate, binomial_variance, design_effect)
}

/// The rate Σ hits / Σ trials over replications, given as (hits, trials)
/// per replication, with its 95 % interval across replications.
///
/// Replications without trials do not count. The design effect is the
/// linearised variance over the binomial variance `p(1 − p) / Σ trials`,
/// floored at 1, so that replications that happen to agree still get the
/// binomial width. The interval is ratio-t unless fewer than 1 000 effective
/// hits or misses stand behind the rate or the t interval would leave
/// [0, 1]; then Korn–Graubard: Clopper–Pearson on `n_eff = Σ trials /
/// design effect`, shrunk by `(z / t)²`. The error says why there is no
/// interval.
pub fn rate_over_replications(per_replication: &[(u64, u64)], level: Level) -> Result<RatioInterval, String> {
    let pairs = per_replication.iter().map(|&(hits, trials)| (hits as f64, trials as f64));
    let pairs = usable_pairs(pairs, "trials", Minimum::DEFAULT)?;
    let (rate, binomial_variance, design_effect) = rate_variance_and_design_effect(&pairs);
    let trials: f64 = pairs.iter().map(|pair| pair.1).sum();
    let effective_trials = trials / design_effect;
    let quantile = level.student_t(pairs.len() as u64 - 1);
    let half_width = quantile * (design_effect * binomial_variance).sqrt();
    let near_an_edge = rate.min(1.0 - rate) * effective_trials < EXACT_BELOW_EFFECTIVE_COUNT
        || rate - half_width < 0.0
        || rate + half_width > 1.0;
    let ((low, high), method) = if near_an_edge {
        (korn_graubard_bounds(rate, effective_trials, pairs.len(), level), IntervalMethod::KornGraubard)
    } else {
        ((rate - half_width, rate + half_width), IntervalMethod::RatioT)
    };
    let design_effect = Some(design_effect);
    Ok(RatioInterval { estimate: rate, low, high, method, replications: pairs.len(), design_effect })
}

/// The rate Σ hits / Σ trials of a rate whose hits come in whole batches
/// ([`Grain::Batches`]), with its 95 % interval across replications:
/// Hall's skewness-corrected t on the linearised residuals, clamped to
/// [0, 1]. A replication of such a rate is a mixture (no batch raced, one,
/// two) skewed as its batches fall, which the binomial shape of
/// Korn–Graubard does not follow: on subsidiary-split's re-bind race
/// (residual skew −0.9) Korn–Graubard's interval missed on the low side
/// only. Needs [`MIN_BATCH_REPLICATIONS`] replications with trials.
///
/// At a rate of exactly 0 no replication raced and there is no spread to
/// scale: the high bound is then `1 − (alpha / 2)^(1 / R)`, which holds for
/// any rate in [0, 1] (a mean rate m makes a replication race with chance
/// at least m, so R replications without one have chance at most
/// (1 − m)^R); at exactly 1 the low bound is `(alpha / 2)^(1 / R)`.
pub fn batch_rate_over_replications(per_replication: &[(u64, u64)], level: Level) -> Result<RatioInterval, String> {
    let minimum = Minimum {
        replications: MIN_BATCH_REPLICATIONS,
        why: Some("its hits come in whole batches, a few per replication"),
    };
    let pairs = per_replication.iter().map(|&(hits, trials)| (hits as f64, trials as f64));
    let pairs = usable_pairs(pairs, "trials", minimum)?;
    let (rate, binomial_variance, design_effect) = rate_variance_and_design_effect(&pairs);
    let none_missed = (level.alpha() / 2.0).powf(1.0 / pairs.len() as f64);
    let (low, high) = if rate <= 0.0 {
        (0.0, 1.0 - none_missed)
    } else if rate >= 1.0 {
        (none_missed, 1.0)
    } else {
        let standard_error = (design_effect * binomial_variance).sqrt();
        let quantile = level.student_t(pairs.len() as u64 - 1);
        let skewness = residual_skewness(&pairs, rate);
        skew_corrected_bounds(rate, standard_error, skewness, pairs.len(), quantile)
    };
    Ok(RatioInterval {
        estimate: rate,
        low: low.clamp(0.0, rate),
        high: high.clamp(rate, 1.0),
        method: IntervalMethod::HallT,
        replications: pairs.len(),
        design_effect: Some(design_effect),
    })
}

/// The mean Σ total / Σ count over replications, given as (total, count)
/// per replication (a wait summed over the requests served), with its
/// 95 % interval across replications: the ratio-t interval, corrected for
/// the replications' skew as Hall's ([`IntervalMethod::HallT`]); the low
/// bound is clamped at 0, these totals being non-negative. Replications with a count of 0 do
/// not count; `what` names the count in the reason when there are too few.
/// When every replication's own mean is the same there is no spread to
/// build an interval from: a zero-width interval would claim a certainty
/// that R replications cannot give (a peak of 200 calls a minute in ten
/// replications, 206 on average over thousands), so the reason says so.
pub fn mean_over_replications(
    per_replication: &[(f64, u64)],
    what: &str,
    level: Level,
) -> Result<RatioInterval, String> {
    mean_over_replications_needing(per_replication, what, Minimum::DEFAULT, level)
}

/// [`mean_over_replications`] for a mean that needs `minimum` replications
/// with a count rather than [`MIN_REPLICATIONS`].
pub fn mean_over_replications_needing(
    per_replication: &[(f64, u64)],
    what: &str,
    minimum: Minimum,
    level: Level,
) -> Result<RatioInterval, String> {
    let pairs = usable_pairs(per_replication.iter().map(|&(total, count)| (total, count as f64)), what, minimum)?;
    let first = pairs[0].0 / pairs[0].1;
    if pairs.iter().all(|&(total, count)| total / count == first) {
        return Err(format!(
            "all {} replications agree exactly: no spread across them to build an interval from",
            pairs.len()
        ));
    }
    let (mean, variance) = ratio_and_variance(&pairs);
    let quantile = level.student_t(pairs.len() as u64 - 1);
    let skewness = residual_skewness(&pairs, mean);
    let (low, high) = skew_corrected_bounds(mean, variance.sqrt(), skewness, pairs.len(), quantile);
    Ok(RatioInterval {
        estimate: mean,
        low: low.max(0.0),
        high,
        method: IntervalMethod::HallT,
        replications: pairs.len(),
        design_effect: None,
    })
}

/// A sample mean with its two-sided 95 % Student-t confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanInterval {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    /// Number of values the mean was taken over.
    pub n: usize,
}

/// Mean of `values` with a two-sided 95 % interval from Student's t with
/// `n - 1` degrees of freedom and the sample standard deviation.
///
/// `None` when there are fewer than two values or any value is not finite.
pub fn mean_ci95(values: &[f64]) -> Option<MeanInterval> {
    if values.len() < 2 || !values.iter().all(|value| value.is_finite()) {
        return None;
    }
    let n = values.len();
    let mean = sample_mean(values);
    let standard_error = (sample_variance(values, mean) / n as f64).sqrt();
    let half_width = student_t_975(n as u64 - 1) * standard_error;
    Some(MeanInterval { mean, low: mean - half_width, high: mean + half_width, n })
}

fn sample_mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Unbiased sample variance (divisor `n - 1`); needs at least two values.
fn sample_variance(values: &[f64], mean: f64) -> f64 {
    let squared_deviations: f64 = values.iter().map(|value| (value - mean).powi(2)).sum();
    squared_deviations / (values.len() - 1) as f64
}

/// Student's t quantile `t(0.975, df)`: the multiplier of a two-sided 95 %
/// interval with `df` degrees of freedom.
///
/// Exact table values (to 1e-9) for `df` ≤ 30; above that the
/// Cornish-Fisher expansion around [`Z95`], whose error is below 3e-8 there
/// and shrinks towards [`Z95`] as `df` grows. `df = 0` has no finite
/// quantile and gives infinity.
pub fn student_t_975(degrees_of_freedom: u64) -> f64 {
    match degrees_of_freedom {
        0 => f64::INFINITY,
        1..=30 => STUDENT_T_975_BY_DEGREES_OF_FREEDOM[degrees_of_freedom as usize - 1],
        _ => cornish_fisher_student_t(Z95, degrees_of_freedom as f64),
    }
}

/// Student's t quantile from the normal quantile `z` by the Cornish-Fisher
/// expansion to fourth order in `1 / df` (Abramowitz & Stegun 26.7.5).
fn cornish_fisher_student_t(z: f64, degrees_of_freedom: f64) -> f64 {
    let z2 = z * z;
    let g1 = z * (z2 + 1.0) / 4.0;
    let g2 = z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
    let g3 = z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
    let g4 = z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92160.0;
    let inverse_df = 1.0 / degrees_of_freedom;
    z + inverse_df * (g1 + inverse_df * (g2 + inverse_df * (g3 + inverse_df * g4)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn assert_close(actual: f64, expected: f64, tolerance: f64) {
        assert!((actual - expected).abs() <= tolerance, "{actual} differs from {expected} by more than {tolerance}");
    }

    fn assert_interval_close(actual: Option<(f64, f64)>, expected: (f64, f64)) {
        let (low, high) = actual.expect("interval exists");
        assert_close(low, expected.0, 1e-6);
        assert_close(high, expected.1, 1e-6);
    }

    #[test]
    fn clopper_pearson_matches_published_values() {
        // scipy.stats.beta.ppf(0.025, k, n − k + 1) and ppf(0.975, k + 1, n − k).
        assert_interval_close(clopper_pearson_interval(0, 10), (0.0, 0.308497108));
        assert_interval_close(clopper_pearson_interval(5, 10), (0.187086028, 0.812913972));
        assert_interval_close(clopper_pearson_interval(10, 10), (0.691502892, 1.0));
        assert_interval_close(clopper_pearson_interval(1, 1000), (0.000025317, 0.005558924));
        assert_interval_close(clopper_pearson_interval(81, 263), (0.252736746, 0.367621923));
    }

    #[test]
    fn clopper_pearson_bounds_are_exact_at_the_extremes() {
        assert_eq!(clopper_pearson_interval(0, 7).map(|(low, _)| low), Some(0.0));
        assert_eq!(clopper_pearson_interval(7, 7).map(|(_, high)| high), Some(1.0));
        // No hit: Beta(1, n) has the closed-form quantile 1 − (1 − q)^(1/n).
        let (_, high) = clopper_pearson_interval(0, 7).expect("trials > 0");
        assert_close(high, 1.0 - 0.025_f64.powf(1.0 / 7.0), 1e-12);
    }

    #[test]
    fn clopper_pearson_is_none_without_trials_or_with_too_many_successes() {
        assert_eq!(clopper_pearson_interval(0, 0), None);
        assert_eq!(clopper_pearson_interval(3, 2), None);
    }

    #[test]
    fn wider_confidence_gives_a_wider_interval() {
        let (low95, high95) = clopper_pearson_bounds(0.3, 100.0, 0.05);
        let (low999, high999) = clopper_pearson_bounds(0.3, 100.0, 0.001);
        assert!(low999 < low95 && high95 < high999);
    }

    #[test]
    fn the_normal_quantile_of_a_level() {
        assert_eq!(Level::NINETY_FIVE.normal(), Z95);
        assert_close(Level::with_alpha(0.001).normal(), Z999, 1e-9);
        assert_close(Level::with_alpha(0.3173105078629141).normal(), 1.0, 1e-9);
    }

    #[test]
    fn student_t_matches_table_values() {
        assert_close(student_t_975(1), 12.706, 5e-4);
        assert_close(student_t_975(10), 2.228, 5e-4);
        assert_close(student_t_975(30), 2.042272456, 1e-9);
    }

    #[test]
    fn student_t_beyond_the_table_matches_published_quantiles() {
        assert_close(student_t_975(31), 2.039513446, 1e-7);
        assert_close(student_t_975(40), 2.021075390, 1e-7);
        assert_close(student_t_975(60), 2.000297822, 1e-7);
        assert_close(student_t_975(120), 1.979930405, 1e-7);
        assert_close(student_t_975(1_000_000), Z95, 1e-5);
    }

    #[test]
    fn levels_other_than_95_invert_the_t_distribution() {
        assert_close(Level::with_alpha(0.01).student_t(9), 3.249835542, 1e-8);
        assert_close(Level::with_alpha(0.001).student_t(9), 4.780912586, 1e-8);
        assert_close(Level::with_alpha(0.05).student_t(9), student_t_975(9), 1e-9);
        assert_close(Level::with_alpha(0.01).student_t(1_000_000), 2.575829304, 1e-5);
        assert_eq!(Level::NINETY_FIVE.student_t(12), student_t_975(12), "95 % reads the table, exactly");
        assert_eq!((Level::NINETY_FIVE.label(), Level::with_alpha(0.0038).label()), ("95 %".into(), "99.62 %".into()));
    }

    #[test]
    fn student_t_decreases_with_degrees_of_freedom() {
        let quantiles: Vec<f64> = (1..=200).map(student_t_975).collect();
        assert!(quantiles.windows(2).all(|pair| pair[0] > pair[1]));
        assert!(quantiles.iter().all(|&quantile| quantile > Z95));
    }

    #[test]
    fn student_t_without_degrees_of_freedom_is_infinite() {
        assert_eq!(student_t_975(0), f64::INFINITY);
    }

    #[test]
    fn mean_interval_of_known_sample() {
        // mean 3, sample variance 2.5, standard error sqrt(0.5), t(4) = 2.776445105.
        let interval = mean_ci95(&[1.0, 2.0, 3.0, 4.0, 5.0]).expect("five values");
        let half_width = 2.776445105 * 0.5_f64.sqrt();
        assert_eq!(interval.n, 5);
        assert_close(interval.mean, 3.0, 1e-12);
        assert_close(interval.low, 3.0 - half_width, 1e-9);
        assert_close(interval.high, 3.0 + half_width, 1e-9);
    }

    #[test]
    fn mean_interval_of_constant_sample_has_zero_width() {
        let interval = mean_ci95(&[4.5; 3]).expect("three values");
        assert_eq!((interval.low, interval.mean, interval.high), (4.5, 4.5, 4.5));
    }

    #[test]
    fn mean_interval_needs_two_finite_values() {
        assert_eq!(mean_ci95(&[]), None);
        assert_eq!(mean_ci95(&[1.0]), None);
        assert_eq!(mean_ci95(&[1.0, f64::NAN]), None);
        assert_eq!(mean_ci95(&[1.0, f64::INFINITY]), None);
    }

    const T9: f64 = 2.262157163;

    #[test]
    fn rate_over_replications_matches_a_hand_computed_ratio_t_interval() {
        // p = 25 000 / 100 000; residuals h − 2 500 give Σd² = 75 000, so
        // var = 75 000 / (9 · 10 · 10 000²) and se = 0.00288675135; design
        // effect var / (0.25 · 0.75 / 100 000) = 4.444; 0.25 · n_eff = 5 625
        // ≥ 1 000 effective hits: ratio-t.
        let hits = [2350, 2550, 2450, 2650, 2500, 2400, 2600, 2450, 2550, 2500];
        let counts: Vec<(u64, u64)> = hits.iter().map(|&h| (h, 10_000)).collect();
        let interval = rate_over_replications(&counts, Level::NINETY_FIVE).expect("ten replications");
        assert_eq!((interval.method, interval.replications), (IntervalMethod::RatioT, 10));
        assert_close(interval.estimate, 0.25, 1e-15);
        assert_close(interval.design_effect.unwrap(), 4.444444444, 1e-9);
        assert_close(interval.low, 0.25 - T9 * 0.00288675135, 1e-9);
        assert_close(interval.high, 0.256530285, 1e-9);
        // The same spread on a hundredth of the trials leaves 56 effective
        // hits: the beta bounds of Korn–Graubard, wider above than below.
        let counts: Vec<(u64, u64)> = [10, 30, 20, 40, 25, 15, 35, 20, 30, 25].iter().map(|&h| (h, 100)).collect();
        let interval = rate_over_replications(&counts, Level::NINETY_FIVE).expect("ten replications");
        assert_eq!(interval.method, IntervalMethod::KornGraubard);
        assert!(interval.high - 0.25 > 0.25 - interval.low, "{interval:?}");
    }

    #[test]
    fn agreeing_replications_get_the_binomial_width_not_zero() {
        // p(1 − p) / n = 0.25 / 100 000; t₉ · √ of it = 0.0035767845.
        let interval = rate_over_replications(&[(5_000, 10_000); 10], Level::NINETY_FIVE).expect("ten replications");
        assert_eq!((interval.method, interval.design_effect), (IntervalMethod::RatioT, Some(1.0)));
        assert_close(interval.low, 0.4964232155, 1e-9);
        assert_close(interval.high, 0.5035767845, 1e-9);
    }

    #[test]
    fn rates_near_zero_take_korn_graubard_on_the_effective_trials() {
        // 3 hits in 1000: 0.003 · n_eff = 3 < 10, design effect floored at
        // 1; n* = 1000 · (z / t₉)² = 750.672720, x* = 0.003 · n*; bounds from
        // scipy.stats.beta.ppf(0.025, x*, n* − x* + 1) and ppf(0.975, x* + 1, n* − x*).
        let hits = [0, 1, 0, 0, 1, 0, 0, 0, 1, 0];
        let counts: Vec<(u64, u64)> = hits.iter().map(|&h| (h, 100)).collect();
        let interval = rate_over_replications(&counts, Level::NINETY_FIVE).expect("ten replications");
        assert_eq!((interval.method, interval.design_effect), (IntervalMethod::KornGraubard, Some(1.0)));
        assert_close(interval.low, 0.000433738, 1e-8);
        assert_close(interval.high, 0.010116781, 1e-8);
        // None at all: the low bound is exactly 0, the high one 1 − 0.025^(1/n*).
        let shrunk_trials = 1000.0 * (Z95 / T9).powi(2);
        let none = rate_over_replications(&[(0, 100); 10], Level::NINETY_FIVE).expect("ten replications");
        assert_eq!((none.method, none.low), (IntervalMethod::KornGraubard, 0.0));
        assert_close(none.high, 1.0 - 0.025_f64.powf(1.0 / shrunk_trials), 1e-12);
        let all = rate_over_replications(&[(100, 100); 10], Level::NINETY_FIVE).expect("ten replications");
        assert_eq!(all.high, 1.0);
        assert_close(all.low, 0.025_f64.powf(1.0 / shrunk_trials), 1e-12);
    }

    #[test]
    fn one_member_in_one_replication_missing_a_rate_near_one_does_not_exclude_a_rarer_truth() {
        // 20 000 trials, a single miss: Wilson on them puts the high bound
        // at 0.99999 and so excluded a truth of 1 − 4e-6 (a miss in a fifth
        // of runs); Clopper–Pearson's high bound for one miss is
        // 1 − Beta⁻¹(0.025; 1, n*) ≈ 1 − 0.0253 / n*.
        let mut counts = vec![(2000, 2000); 9];
        counts.push((1999, 2000));
        let interval = rate_over_replications(&counts, Level::NINETY_FIVE).expect("ten replications");
        assert_eq!(interval.method, IntervalMethod::KornGraubard);
        assert!(interval.high > 1.0 - 4e-6, "high bound {}", interval.high);
        assert!(interval.low < 0.99995 && interval.low > 0.999);
    }

    #[test]
    fn a_t_interval_that_would_leave_the_unit_interval_becomes_korn_graubard() {
        // p = 0.1 on 10 000 trials (1 000 effective hits), but the spread
        // across replications is so large that p − t · se < 0.
        let counts = [(1000, 1000), (0, 1000), (0, 1000), (0, 1000), (0, 1000), (0, 1000), (0, 1000), (0, 1000)];
        let counts: Vec<(u64, u64)> = counts.into_iter().chain([(0, 1000), (0, 1000)]).collect();
        let interval = rate_over_replications(&counts, Level::NINETY_FIVE).expect("ten replications");
        assert_eq!(interval.method, IntervalMethod::KornGraubard);
        assert!(0.0 < interval.low && interval.low < 0.1 && 0.1 < interval.high && interval.high < 1.0);
    }

    #[test]
    fn too_few_replications_with_trials_give_no_interval_and_say_why() {
        // Replications without trials do not count towards the minimum.
        let mut counts = vec![(3, 10); 9];
        counts.extend([(0, 0); 5]);
        let reason = rate_over_replications(&counts, Level::NINETY_FIVE).unwrap_err();
        assert_eq!(reason, "needs at least 10 replications with trials; got 9");
        counts.push((1, 10));
        assert_eq!(rate_over_replications(&counts, Level::NINETY_FIVE).map(|ci| ci.replications), Ok(10));
        let waits = [(5.0, 1); 3];
        let reason = mean_over_replications(&waits, "requests served", Level::NINETY_FIVE).unwrap_err();
        assert_eq!(reason, "needs at least 10 replications with requests served; got 3");
    }

    /// Twenty replications of a re-bind race: 1 000 members in each, hits
    /// in whole batches of 100 — none in four, one batch in six, two in
    /// ten: a mixture skewed to the left.
    fn batched_race() -> Vec<(u64, u64)> {
        let batches = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2];
        batches.iter().map(|batches| (100 * batches, 1000)).collect()
    }

    #[test]
    fn a_batched_rate_needs_twenty_replications_and_says_why() {
        let race = batched_race();
        let reason = batch_rate_over_replications(&race[..19], Level::NINETY_FIVE).unwrap_err();
        assert_eq!(
            reason,
            "needs at least 20 replications with trials; got 19: its hits come in whole batches, a few per replication"
        );
        // A member-level rate on the same ten replications gets its interval.
        assert!(rate_over_replications(&race[..10], Level::NINETY_FIVE).is_ok());
    }

    #[test]
    fn a_batched_rate_leans_the_way_its_replications_skew_where_korn_graubard_leans_the_other() {
        let race = batched_race();
        let batched = batch_rate_over_replications(&race, Level::NINETY_FIVE).expect("twenty replications");
        let member_level = rate_over_replications(&race, Level::NINETY_FIVE).expect("twenty replications");
        assert_eq!((batched.method, member_level.method), (IntervalMethod::HallT, IntervalMethod::KornGraubard));
        assert_eq!((batched.estimate, batched.design_effect), (member_level.estimate, member_level.design_effect));
        let rate = 0.13;
        assert_close(batched.estimate, rate, 1e-12);
        assert!(residual_skewness(&race.iter().map(|&(h, t)| (h as f64, t as f64)).collect::<Vec<_>>(), rate) < 0.0);
        // Skewed left: Hall's reaches further down than up; the beta shape
        // of a rate near 0 reaches further up than down.
        assert!(rate - batched.low > batched.high - rate, "{batched:?}");
        assert!(rate - member_level.low < member_level.high - rate, "{member_level:?}");
        assert!(batched.low < member_level.low, "{batched:?} against {member_level:?}");
    }

    #[test]
    fn a_batched_rate_stays_in_the_unit_interval() {
        // Nearly every replication has no race and one has all: the t
        // interval would reach below 0.
        let mut race = vec![(0, 1000); 19];
        race.push((1000, 1000));
        let interval = batch_rate_over_replications(&race, Level::NINETY_FIVE).expect("twenty replications");
        assert!(0.0 <= interval.low && interval.low <= 0.05 && 0.05 <= interval.high && interval.high <= 1.0);
    }

    #[test]
    fn a_batched_rate_that_never_or_always_hit_has_a_bound_from_its_replications_not_zero_width() {
        // 20 replications without a race: 1 − 0.025^(1/20) = 0.1684, whatever
        // the members in each (the replication, not the member, is the unit).
        let none = batch_rate_over_replications(&[(0, 5000); 20], Level::NINETY_FIVE).expect("twenty replications");
        assert_eq!((none.estimate, none.low), (0.0, 0.0));
        assert_close(none.high, 1.0 - 0.025_f64.powf(1.0 / 20.0), 1e-12);
        let all = batch_rate_over_replications(&[(300, 300); 20], Level::NINETY_FIVE).expect("twenty replications");
        assert_eq!((all.estimate, all.high), (1.0, 1.0));
        assert_close(all.low, 0.025_f64.powf(1.0 / 20.0), 1e-12);
    }

    #[test]
    fn a_mean_can_need_more_replications_than_the_default_and_says_why() {
        let latencies: Vec<(f64, u64)> = (1..=39).map(|i| (i as f64 * 3.0, 3)).collect();
        let minimum = Minimum { replications: 40, why: Some("a rare tail") };
        let reason = mean_over_replications_needing(&latencies, "finished batches", minimum, Level::NINETY_FIVE);
        assert_eq!(reason.unwrap_err(), "needs at least 40 replications with finished batches; got 39: a rare tail");
        assert!(mean_over_replications(&latencies, "finished batches", Level::NINETY_FIVE).is_ok());
        let mut latencies = latencies;
        latencies.push((1.0, 1));
        assert!(mean_over_replications_needing(&latencies, "finished batches", minimum, Level::NINETY_FIVE).is_ok());
    }

    #[test]
    fn replications_that_agree_exactly_give_a_mean_without_an_interval() {
        let peaks = [(200.0, 1); 10];
        let reason = mean_over_replications(&peaks, "replications", Level::NINETY_FIVE).unwrap_err();
        assert_eq!(reason, "all 10 replications agree exactly: no spread across them to build an interval from");
        // Equal means from unequal counts agree too; one other value is a spread.
        let waits: Vec<(f64, u64)> = (1..=10).map(|count| (3.0 * count as f64, count)).collect();
        assert!(mean_over_replications(&waits, "requests served", Level::NINETY_FIVE).is_err());
        let mut peaks = peaks.to_vec();
        peaks[9] = (260.0, 1);
        let interval = mean_over_replications(&peaks, "replications", Level::NINETY_FIVE).expect("a spread");
        assert!(interval.low < 206.0 && 206.0 < interval.high);
    }

    #[test]
    fn mean_over_replications_matches_a_hand_computed_ratio_t_interval() {
        // 182 / 30 with var = Σ (y − r·x)² / (9 · 10 · 3²) = 0.434282579.
        let waits = [(10.0, 2), (30.0, 3), (20.0, 2), (12.0, 3), (25.0, 5), (8.0, 2), (18.0, 3), (20.0, 4), (15.0, 3)];
        let waits: Vec<(f64, u64)> = waits.into_iter().chain([(24.0, 3), (0.0, 0)]).collect();
        let interval = mean_over_replications(&waits, "requests served", Level::NINETY_FIVE).expect("ten replications");
        assert_eq!((interval.method, interval.replications, interval.design_effect), (IntervalMethod::HallT, 10, None));
        assert_close(interval.estimate, 6.066666667, 1e-9);
        // The residuals are skewed to the right (γ = 0.835989970): Hall's
        // bounds r − se · g⁻¹(±t₉), g⁻¹(t) = (3√R/γ)(∛(1 + γ(t − γ/(6√R))/√R) − 1),
        // reach further up than t's [4.575902386, 7.557430947] and less far down.
        assert_close(interval.low, 4.823167437, 1e-8);
        assert_close(interval.high, 8.079731828, 1e-8);
    }

    #[test]
    fn skew_corrected_bounds_are_the_t_bounds_without_skew_and_lean_with_it() {
        let (low, high) = skew_corrected_bounds(10.0, 1.0, 0.0, 10, T9);
        assert_eq!((low, high), (10.0 - T9, 10.0 + T9));
        for skewness in [-2.0, -0.5, 0.5, 2.0] {
            let (low, high) = skew_corrected_bounds(10.0, 1.0, skewness, 10, T9);
            let (reach_down, reach_up) = (10.0 - low, high - 10.0);
            assert!(low < 10.0 && 10.0 < high, "γ = {skewness}: [{low}, {high}]");
            assert_eq!(reach_up > reach_down, skewness > 0.0, "γ = {skewness}: [{low}, {high}]");
        }
        // Replications a congested few of which pull the mean up: skewness > 0.
        let pairs = [(1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (9.0, 1.0)];
        assert!(residual_skewness(&pairs, 13.0 / 5.0) > 1.0);
        assert_eq!(residual_skewness(&[(2.0, 1.0); 4], 2.0), 0.0);
    }

    proptest! {
        #[test]
        fn clopper_pearson_bounds_are_the_beta_quantiles_asked_for(
            trials in 1u64..=1_000_000_000,
            fewer in 0u64..=10_000,
            near_one in any::<bool>(),
            alpha in prop_oneof![Just(0.05), Just(0.001), 0.0001f64..0.5],
        ) {
            // Korn–Graubard takes this form only with fewer than 1 000
            // effective hits or misses; ten thousand covers it with room.
            let fewer = fewer.min(trials);
            let hits = if near_one { trials - fewer } else { fewer };
            let (n, x) = (trials as f64, hits as f64);
            let (low, high) = clopper_pearson_bounds(x / n, n, alpha);
            prop_assert!(0.0 <= low && low <= x / n && x / n <= high && high <= 1.0);
            // P(Beta(x, n − x + 1) ≤ low) = alpha / 2 and P(Beta(x + 1, n − x) ≤ high) = 1 − alpha / 2.
            if hits > 0 {
                let tail = beta_reg(x, n - x + 1.0, low);
                prop_assert!((tail - alpha / 2.0).abs() < 1e-6 * alpha.max(1e-3), "low tail {tail}");
            }
            if hits < trials {
                let tail = beta_reg(n - x, x + 1.0, 1.0 - high);
                prop_assert!((tail - alpha / 2.0).abs() < 1e-6 * alpha.max(1e-3), "high tail {tail}");
            }
        }
    }
}
