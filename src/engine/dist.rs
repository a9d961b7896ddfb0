//! Distributions of durations: the closed set scenario files can name
//! (`fixed`, `exp`, `lognormal`, `uniform`, `empirical`), built through
//! validating constructors and sampled from a `Stream`.

use super::rng::Stream;
use super::time::SimDuration;
use rand::RngExt;
use rand_distr::{Distribution, Exp1, StandardNormal};

/// A distribution of non-negative durations.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always the same span.
    Fixed(SimDuration),
    /// Exponential with the given mean.
    Exp { mean: SimDuration },
    /// Log-normal with the given median and shape `sigma` (> 0).
    LogNormal { median: SimDuration, sigma: f64 },
    /// Uniform on [low, high].
    Uniform { low: SimDuration, high: SimDuration },
    /// Uniform choice among observed spans (at least one).
    Empirical(Vec<SimDuration>),
}

impl Dist {
    /// Checks the parameters; the message says what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Dist::Fixed(_) => Ok(()),
            Dist::Exp { mean } if mean.is_zero() => Err("exp mean must be greater than zero".into()),
            Dist::Exp { .. } => Ok(()),
            Dist::LogNormal { median, .. } if median.is_zero() => {
                Err("lognormal median must be greater than zero".into())
            }
            Dist::LogNormal { sigma, .. } if !(sigma.is_finite() && *sigma > 0.0 && *sigma <= 10.0) => {
                Err(format!("lognormal sigma must be in (0, 10], got {sigma}"))
            }
            Dist::LogNormal { .. } => Ok(()),
            Dist::Uniform { low, high } if low > high => {
                Err(format!("uniform bounds must be ordered [low, high], got [{low}, {high}]"))
            }
            Dist::Uniform { .. } => Ok(()),
            Dist::Empirical(values) if values.is_empty() => Err("empirical needs at least one value".into()),
            Dist::Empirical(_) => Ok(()),
        }
    }

    /// The zero distribution: no delay.
    pub fn zero() -> Dist {
        Dist::Fixed(SimDuration::ZERO)
    }

    /// Draws one duration. Fixed and exponential spans, the commonest and
    /// cheapest, are drawn where the call is made; the others call out, so
    /// the inlined part stays small.
    #[inline(always)]
    pub fn sample(&self, rng: &mut Stream) -> SimDuration {
        match self {
            Dist::Fixed(span) => *span,
            Dist::Exp { mean } => {
                let unit: f64 = Exp1.sample(rng);
                SimDuration::from_micros_f64(unit * mean.as_micros() as f64)
            }
            Dist::LogNormal { median, sigma } => sample_log_normal(*median, *sigma, rng),
            Dist::Uniform { low, high } => sample_uniform(*low, *high, rng),
            Dist::Empirical(values) => sample_empirical(values, rng),
        }
    }

    /// The mean of the distribution.
    pub fn mean(&self) -> SimDuration {
        match self {
            Dist::Fixed(span) => *span,
            Dist::Exp { mean } => *mean,
            Dist::LogNormal { median, sigma } => {
                SimDuration::from_secs_f64(median.as_secs_f64() * (sigma * sigma / 2.0).exp())
            }
            Dist::Uniform { low, high } => SimDuration::from_micros(low.as_micros() / 2 + high.as_micros() / 2),
            Dist::Empirical(values) => {
                let total: f64 = values.iter().map(|v| v.as_secs_f64()).sum();
                SimDuration::from_secs_f64(total / values.len() as f64)
            }
        }
    }
}

#[inline(never)]
fn sample_log_normal(median: SimDuration, sigma: f64, rng: &mut Stream) -> SimDuration {
    let z: f64 = StandardNormal.sample(rng);
    SimDuration::from_micros_f64(median.as_micros() as f64 * (sigma * z).exp())
}

#[inline(never)]
fn sample_uniform(low: SimDuration, high: SimDuration, rng: &mut Stream) -> SimDuration {
    let width = high.as_micros() - low.as_micros();
    let offset = if width == 0 { 0 } else { rng.random_range(0..=width) };
    SimDuration::from_micros(low.as_micros() + offset)
}

#[inline(never)]
fn sample_empirical(values: &[SimDuration], rng: &mut Stream) -> SimDuration {
    values[rng.random_range(0..values.len())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::Streams;

    fn sample_mean(dist: &Dist, n: u64) -> f64 {
        let streams = Streams::new(99);
        let total: f64 = (0..n).map(|i| dist.sample(&mut streams.stream(i, 0, 0)).as_secs_f64()).sum();
        total / n as f64
    }

    #[test]
    fn exponential_sample_mean_matches() {
        let dist = Dist::Exp { mean: SimDuration::from_hours(1) };
        let mean = sample_mean(&dist, 40_000);
        // sd of the mean = 3600/sqrt(40000) = 18 s; allow 5 sd.
        assert!((mean - 3600.0).abs() < 90.0, "mean {mean}");
    }

    #[test]
    fn lognormal_sample_mean_matches_formula() {
        let dist = Dist::LogNormal { median: SimDuration::from_hours(2), sigma: 0.5 };
        let expected = dist.mean().as_secs_f64();
        let mean = sample_mean(&dist, 40_000);
        assert!((mean - expected).abs() / expected < 0.02, "mean {mean} vs {expected}");
    }

    #[test]
    fn uniform_stays_in_bounds() {
        let dist = Dist::Uniform { low: SimDuration::from_hours(1), high: SimDuration::from_hours(3) };
        let streams = Streams::new(5);
        for i in 0..1000 {
            let x = dist.sample(&mut streams.stream(i, 0, 0));
            assert!(x >= SimDuration::from_hours(1) && x <= SimDuration::from_hours(3));
        }
    }

    #[test]
    fn validation_rejects_bad_parameters() {
        assert!(Dist::Exp { mean: SimDuration::ZERO }.validate().is_err());
        assert!(Dist::LogNormal { median: SimDuration::from_secs(1), sigma: 0.0 }.validate().is_err());
        assert!(Dist::Uniform { low: SimDuration::from_secs(2), high: SimDuration::from_secs(1) }.validate().is_err());
        assert!(Dist::Empirical(vec![]).validate().is_err());
        assert!(Dist::Fixed(SimDuration::from_hours(6)).validate().is_ok());
    }
}
