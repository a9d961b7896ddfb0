//! Confidence intervals: the Wilson score interval for a proportion, the
//! Student-t interval for a mean, and the quantiles they need.

use serde::{Deserialize, Serialize};

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

/// Wilson score interval for `successes` out of `trials`, as `(low, high)`.
///
/// `z` is the standard-normal quantile of the wanted confidence, such as
/// [`Z95`]. The bounds lie in `[0, 1]`; the low bound is exactly 0 when
/// there were no successes and the high bound exactly 1 when every trial
/// succeeded. `None` when there were no trials or `successes > trials`.
pub fn wilson_interval(successes: u64, trials: u64, z: f64) -> Option<(f64, f64)> {
    if trials == 0 || successes > trials {
        return None;
    }
    let trial_count = trials as f64;
    let point_estimate = successes as f64 / trial_count;
    let z_squared = z * z;
    let shrink = 1.0 + z_squared / trial_count;
    let centre = (point_estimate + z_squared / (2.0 * trial_count)) / shrink;
    let spread = point_estimate * (1.0 - point_estimate) / trial_count + z_squared / (4.0 * trial_count * trial_count);
    let half_width = z / shrink * spread.sqrt();
    let low = if successes == 0 { 0.0 } else { (centre - half_width).max(0.0) };
    let high = if successes == trials { 1.0 } else { (centre + half_width).min(1.0) };
    Some((low, high))
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
    fn wilson_matches_hand_computed_values() {
        // (2k + z² ± z·sqrt(z² + 4k(n-k)/n)) / (2(n + z²)), worked separately.
        assert_interval_close(wilson_interval(0, 10, Z95), (0.0, 0.277532800));
        assert_interval_close(wilson_interval(5, 10, Z95), (0.236593091, 0.763406909));
        assert_interval_close(wilson_interval(10, 10, Z95), (0.722467200, 1.0));
        assert_interval_close(wilson_interval(1, 1000, Z95), (0.000176546, 0.005642559));
        assert_interval_close(wilson_interval(81, 263, Z999), (0.223462529, 0.407692211));
    }

    #[test]
    fn wilson_bounds_are_exact_at_the_extremes() {
        assert_eq!(wilson_interval(0, 7, Z95).map(|(low, _)| low), Some(0.0));
        assert_eq!(wilson_interval(7, 7, Z95).map(|(_, high)| high), Some(1.0));
    }

    #[test]
    fn wilson_is_none_without_trials_or_with_too_many_successes() {
        assert_eq!(wilson_interval(0, 0, Z95), None);
        assert_eq!(wilson_interval(3, 2, Z95), None);
    }

    #[test]
    fn wider_confidence_gives_a_wider_interval() {
        let (low95, high95) = wilson_interval(30, 100, Z95).expect("trials > 0");
        let (low999, high999) = wilson_interval(30, 100, Z999).expect("trials > 0");
        assert!(low999 < low95 && high95 < high999);
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

    proptest! {
        #[test]
        fn wilson_contains_point_estimate_within_unit_interval(
            trials in 1u64..=1_000_000_000_000,
            success_fraction in 0.0f64..=1.0,
            z in prop_oneof![Just(Z95), Just(Z999), 0.1f64..5.0],
        ) {
            let successes = ((trials as f64 * success_fraction) as u64).min(trials);
            let (low, high) = wilson_interval(successes, trials, z).expect("trials > 0");
            let point_estimate = successes as f64 / trials as f64;
            prop_assert!(0.0 <= low && low <= point_estimate);
            prop_assert!(point_estimate <= high && high <= 1.0);
        }

        #[test]
        fn wilson_contains_point_estimate_for_small_counts(
            (successes, trials) in (1u64..=50).prop_flat_map(|trials| (0..=trials, Just(trials))),
        ) {
            let (low, high) = wilson_interval(successes, trials, Z95).expect("trials > 0");
            let point_estimate = successes as f64 / trials as f64;
            prop_assert!(0.0 <= low && low <= point_estimate);
            prop_assert!(point_estimate <= high && high <= 1.0);
        }
    }
}
