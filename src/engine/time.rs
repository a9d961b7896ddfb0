//! Simulated time: instants (`SimTime`) and spans (`SimDuration`), both whole
//! microseconds in a `u64`, so arithmetic is exact and ordering total.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Microseconds in one second, minute, hour and day.
pub const MICROS_PER_SEC: u64 = 1_000_000;
pub const MICROS_PER_MIN: u64 = 60 * MICROS_PER_SEC;
pub const MICROS_PER_HOUR: u64 = 60 * MICROS_PER_MIN;
pub const MICROS_PER_DAY: u64 = 24 * MICROS_PER_HOUR;

/// An instant of simulated time, in microseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of simulated time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    /// The end of representable time: used as "never".
    pub const NEVER: SimTime = SimTime(u64::MAX);

    pub const fn from_micros(us: u64) -> Self {
        SimTime(us)
    }
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// Time elapsed since `earlier`; zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    /// A span longer than any run: used for "never happens".
    pub const FOREVER: SimDuration = SimDuration(u64::MAX);

    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us)
    }
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1_000)
    }
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * MICROS_PER_SEC)
    }
    pub const fn from_mins(m: u64) -> Self {
        SimDuration(m * MICROS_PER_MIN)
    }
    pub const fn from_hours(h: u64) -> Self {
        SimDuration(h * MICROS_PER_HOUR)
    }
    pub const fn from_days(d: u64) -> Self {
        SimDuration(d * MICROS_PER_DAY)
    }
    /// Rounds a non-negative number of seconds to the nearest microsecond,
    /// saturating at `FOREVER`.
    pub fn from_secs_f64(s: f64) -> Self {
        Self::from_micros_f64(s * MICROS_PER_SEC as f64)
    }
    /// Rounds a number of microseconds to the nearest one (halves up);
    /// negative numbers and NaN give `ZERO`, numbers from 2⁶³ on give
    /// `FOREVER` (2⁶³ µs is 292 000 years). A float-to-`i64` cast
    /// saturates and maps NaN to 0, and is one instruction and a fix-up on
    /// common hardware, where a cast to `u64` takes a dozen.
    #[inline]
    pub fn from_micros_f64(us: f64) -> Self {
        const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
        let rounded = us + 0.5;
        if rounded >= TWO_POW_63 { SimDuration::FOREVER } else { SimDuration((rounded as i64).max(0) as u64) }
    }
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1_000.0
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
    /// The span in the largest whole unit that writes it exactly, which the
    /// scenario parser reads back to the same span: as `Display`, except
    /// that `FOREVER` is written as its microseconds, not as `forever`.
    pub fn exact_text(self) -> String {
        InLargestExactUnit(self.0).to_string()
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Saturates at `SimTime::NEVER`, so "now + forever" is "never".
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, rhs: SimDuration) {
        *self = *self + rhs;
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    /// Saturating: an earlier minus a later instant is zero.
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.since(rhs)
    }
}

/// A span written in the largest whole unit that divides it exactly
/// (`72h` as `3d`, `250ms`, `90s`; zero as `0s`), the way scenario files
/// spell durations. The one place the crate picks a duration's unit.
struct InLargestExactUnit(u64);

impl fmt::Display for InLargestExactUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 6] = [
            (MICROS_PER_DAY, "d"),
            (MICROS_PER_HOUR, "h"),
            (MICROS_PER_MIN, "min"),
            (MICROS_PER_SEC, "s"),
            (1_000, "ms"),
            (1, "us"),
        ];
        if self.0 == 0 {
            return write!(f, "0s");
        }
        let (unit, name) = UNITS.iter().find(|(unit, _)| self.0.is_multiple_of(*unit)).copied().unwrap_or((1, "us"));
        write!(f, "{}{}", self.0 / unit, name)
    }
}

/// Writes the span as [`SimDuration::exact_text`] does, and `FOREVER` as
/// `forever`, for people.
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == SimDuration::FOREVER {
            return write!(f, "forever");
        }
        write!(f, "{}", InLargestExactUnit(self.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t+{}", SimDuration(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_uses_the_largest_exact_unit() {
        assert_eq!(SimDuration::from_hours(72).to_string(), "3d");
        assert_eq!(SimDuration::from_hours(6).to_string(), "6h");
        assert_eq!(SimDuration::from_millis(250).to_string(), "250ms");
        assert_eq!(SimDuration::from_secs(90).to_string(), "90s");
        assert_eq!(SimDuration::ZERO.to_string(), "0s");
        assert_eq!(SimDuration::FOREVER.to_string(), "forever");
    }

    #[test]
    fn exact_text_differs_from_display_only_for_forever() {
        for us in [0, 1, 999, 1_000, 90_000_000, 3_600_000_000, 86_400_000_000, 86_400_000_001, u64::MAX - 1] {
            let span = SimDuration::from_micros(us);
            assert_eq!(span.exact_text(), span.to_string(), "{us}");
        }
        assert_eq!(SimDuration::ZERO.exact_text(), "0s");
        assert_eq!(SimDuration::from_micros(86_400_000_001).exact_text(), "86400000001us");
        assert_eq!(SimDuration::FOREVER.exact_text(), format!("{}us", u64::MAX));
    }

    #[test]
    fn float_micros_round_to_nearest_and_saturate() {
        let us = |x: f64| SimDuration::from_micros_f64(x).as_micros();
        assert_eq!([us(0.49), us(0.5), us(1.49), us(2.5), us(1e12 + 0.7)], [0, 1, 1, 3, 1_000_000_000_001]);
        assert_eq!([us(-0.4), us(-7.0), us(f64::NAN), us(f64::NEG_INFINITY)], [0; 4]);
        assert_eq!(SimDuration::from_micros_f64(9.3e18), SimDuration::FOREVER);
        assert_eq!(SimDuration::from_micros_f64(f64::INFINITY), SimDuration::FOREVER);
        assert_eq!(SimDuration::from_secs_f64(1.5), SimDuration::from_micros(1_500_000));
    }

    #[test]
    fn adding_forever_saturates_to_never() {
        assert_eq!(SimTime::from_micros(5) + SimDuration::FOREVER, SimTime::NEVER);
    }

    #[test]
    fn subtraction_saturates_at_zero() {
        let early = SimTime::from_micros(10);
        let late = SimTime::from_micros(30);
        assert_eq!(late - early, SimDuration::from_micros(20));
        assert_eq!(early - late, SimDuration::ZERO);
    }
}
