//! Tests of a difference and their correction for many figures: the exact
//! sign-flip (Fisher–Pitman) test of paired differences, the two-sided
//! p-value of Student's t at any degrees of freedom, Holm's step-down
//! adjustment over the tests that can reject at all (Tarone's reduction),
//! and the exact upper bound on how often replications differ when none
//! of them did.

/// Most non-zero paired differences the sign-flip test enumerates exactly
/// (2^16 sign patterns); beyond it the paired t test stands in.
pub const MAX_EXACT_DIFFERENCES: usize = 16;

/// The two-sided p-value of the exact sign-flip test of paired differences:
/// under "A and B do not differ", each non-zero difference is as likely
/// positive as negative, so the share of the 2^k sign patterns of the `k`
/// non-zero differences whose sum is at least as far from zero as the one
/// observed is an exact p-value. Zero differences carry no sign and are
/// left out; with none left the p-value is 1. `None` when more than
/// [`MAX_EXACT_DIFFERENCES`] differ.
pub fn sign_flip_p_value(differences: &[f64]) -> Option<f64> {
    let differing: Vec<f64> = differences.iter().copied().filter(|d| *d != 0.0).collect();
    if differing.len() > MAX_EXACT_DIFFERENCES {
        return None;
    }
    let observed = differing.iter().sum::<f64>().abs();
    let tolerance = 1e-9 * differing.iter().map(|d| d.abs()).sum::<f64>();
    let patterns = 1_u32 << differing.len();
    let as_extreme = (0..patterns)
        .filter(|mask| {
            let sum: f64 = differing.iter().enumerate().map(|(i, d)| if mask >> i & 1 == 1 { -d } else { *d }).sum();
            sum.abs() >= observed - tolerance
        })
        .count();
    Some(as_extreme as f64 / f64::from(patterns))
}

/// Holm's step-down adjustment of `p_values`, in their order: the i-th
/// smallest is multiplied by (m − i + 1), kept at least as large as the
/// one before it and at most 1. Rejecting where the adjusted value is
/// below α holds the chance of any false rejection in the family at α.
pub fn holm_adjusted(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]).then(i.cmp(&j)));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0_f64;
    for (rank, &index) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p_values[index]).min(1.0));
        adjusted[index] = running;
    }
    adjusted
}

/// One test for [`holm_adjusted_where_reachable`]: its p-value and the
/// smallest p-value it could have given at all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DiscreteTest {
    pub p_value: f64,
    pub smallest_attainable: f64,
}

/// Holm's adjustment over the tests that can reach p < `alpha` at all; a
/// test that cannot (an exact test over too few replications that differ,
/// every paired difference zero) can never be rejected, so it is left out
/// of the family and adjusted to 1. Leaving such tests out keeps the
/// chance of any false rejection at `alpha` (Tarone 1990: the family's
/// error is a sum over the tests that can reject), and spares the others
/// a multiplier they could never use: with ten replications the exact
/// sign-flip test's smallest p is 2⁻⁹ ≈ 0.002, which Holm over 33 figures
/// could never bring under 0.05. Returns the adjusted values, in order, and
/// the size of the family.
pub fn holm_adjusted_where_reachable(tests: &[DiscreteTest], alpha: f64) -> (Vec<f64>, usize) {
    let reachable: Vec<f64> =
        tests.iter().filter(|test| test.smallest_attainable < alpha).map(|test| test.p_value).collect();
    let mut adjusted = holm_adjusted(&reachable).into_iter();
    let all =
        tests.iter().map(|test| if test.smallest_attainable < alpha { adjusted.next().unwrap_or(1.0) } else { 1.0 });
    (all.collect(), reachable.len())
}

/// The smallest two-sided p-value the exact sign-flip test can give over
/// `differing` non-zero differences: 2 of its 2^k sign patterns (all
/// positive, all negative) are as extreme as the most extreme; 1 for none.
pub fn sign_flip_smallest_p(differing: usize) -> f64 {
    if differing == 0 { 1.0 } else { 2.0_f64.powi(1 - differing as i32).min(1.0) }
}

/// Two-sided p-value of Student's t statistic `t` with `degrees_of_freedom`
/// (any positive real): `I_{ν/(ν+t²)}(ν/2, 1/2)`.
pub fn student_t_two_sided_p(t: f64, degrees_of_freedom: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    let x = degrees_of_freedom / (degrees_of_freedom + t * t);
    regularized_incomplete_beta(x, degrees_of_freedom / 2.0, 0.5)
}

/// With none of `replications` differing, the exact (Clopper–Pearson) 95 %
/// upper bound on the chance that a replication differs: `1 − 0.025^(1/n)`.
pub fn none_of_upper95(replications: usize) -> f64 {
    1.0 - 0.025_f64.powf(1.0 / replications as f64)
}

/// `I_x(a, b)` by the continued fraction (Numerical Recipes §6.4), on the
/// side of `x` where it converges fast.
fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_continued_fraction(1.0 - x, b, a) / b
    }
}

/// The continued fraction of the incomplete beta function, by Lentz's method.
fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..300 {
        let m = f64::from(m);
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / guard(1.0 + even * d);
        c = guard(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / guard(1.0 + odd * d);
        c = guard(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, nine terms; relative error below 1e-13).
fn ln_gamma(x: f64) -> f64 {
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let series =
        COEFFICIENTS[1..].iter().enumerate().fold(COEFFICIENTS[0], |sum, (i, c)| sum + c / (x + i as f64 + 1.0));
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_that_cannot_reject_leave_the_holm_family() {
        // Ten differing replications: p = 2⁻⁹ each. Over 33 tests Holm could
        // never reject (33 · 0.00195 = 0.064); 13 of them cannot reach 0.05
        // (every difference zero), so the family is 20 and 20 · 0.00195 < 0.05.
        let floor = sign_flip_smallest_p(10);
        assert_eq!(floor, 1.0 / 512.0);
        let reachable = DiscreteTest { p_value: floor, smallest_attainable: floor };
        let stuck = DiscreteTest { p_value: 1.0, smallest_attainable: sign_flip_smallest_p(0) };
        let tests: Vec<DiscreteTest> = (0..33).map(|i| if i < 20 { reachable } else { stuck }).collect();
        assert!(holm_adjusted(&tests.iter().map(|test| test.p_value).collect::<Vec<_>>())[0] > 0.05);
        let (adjusted, family) = holm_adjusted_where_reachable(&tests, 0.05);
        assert_eq!(family, 20);
        assert!(adjusted[..20].iter().all(|p| (*p - 20.0 / 512.0).abs() < 1e-12), "{adjusted:?}");
        assert!(adjusted[20..].iter().all(|p| *p == 1.0));
        // Five differing replications cannot go below 2/32 = 0.0625.
        assert_eq!(sign_flip_smallest_p(5), 0.0625);
        let five = DiscreteTest { p_value: 0.0625, smallest_attainable: sign_flip_smallest_p(5) };
        assert_eq!(holm_adjusted_where_reachable(&[five, reachable], 0.05), (vec![1.0, floor], 1));
    }

    #[test]
    fn the_smallest_sign_flip_p_is_what_the_test_gives_when_every_sign_agrees() {
        for k in 1..=12 {
            let differences: Vec<f64> = (1..=k).map(f64::from).collect();
            assert_eq!(sign_flip_p_value(&differences), Some(sign_flip_smallest_p(k as usize)), "{k}");
        }
    }

    #[test]
    fn holm_matches_a_hand_computed_example() {
        // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → kept at 0.06.
        let adjusted = holm_adjusted(&[0.01, 0.04, 0.03, 0.005]);
        let expected = [0.03, 0.06, 0.06, 0.02];
        for (got, want) in adjusted.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{adjusted:?}");
        }
        assert_eq!(holm_adjusted(&[0.6, 0.9]), [1.0, 1.0], "capped at one");
        assert!(holm_adjusted(&[]).is_empty());
    }

    #[test]
    fn sign_flip_p_values_match_hand_counts() {
        // ±1 ±2 ±3: sums 6 4 2 0 0 −2 −4 −6; |sum| ≥ 6 in 2 of 8.
        assert_eq!(sign_flip_p_value(&[1.0, 2.0, 3.0]), Some(0.25));
        // Six equal positive differences among zeros: 2 of 64 patterns.
        let differences = [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0];
        assert_eq!(sign_flip_p_value(&differences), Some(0.03125));
        // Five cannot reject at 5 %: 2 of 32.
        assert_eq!(sign_flip_p_value(&[0.2; 5]), Some(0.0625));
        assert_eq!(sign_flip_p_value(&[0.0; 10]), Some(1.0));
        assert_eq!(sign_flip_p_value(&[1.0; MAX_EXACT_DIFFERENCES + 1]), None);
    }

    #[test]
    fn student_t_p_value_is_five_percent_at_the_tabled_quantile() {
        for df in [1_u64, 2, 9, 30, 200] {
            let p = student_t_two_sided_p(crate::metrics::student_t_975(df), df as f64);
            assert!((p - 0.05).abs() < 1e-7, "df {df}: {p}");
        }
        assert_eq!(student_t_two_sided_p(0.0, 5.0), 1.0);
        assert!((student_t_two_sided_p(-1.0, 1.0) - 0.5).abs() < 1e-12, "Cauchy: P(|T| > 1) = 1/2");
    }

    #[test]
    fn none_of_ten_bounds_the_share_differing_at_thirty_one_percent() {
        assert!((none_of_upper95(10) - 0.308_497_1).abs() < 1e-6);
        assert!((none_of_upper95(1) - 0.975).abs() < 1e-12);
    }
}
