//! The directory API's budget: every call the console makes (a
//! `user/batchdelete` of up to `ids_per_delete` ids, a member's disable, a
//! grant's revocation) is admitted or refused against the limits of
//! `policy.api_limits`.
//!
//! Windows are fixed, aligned on the whole minute and the whole hour of
//! simulated time (the minute window of time t is ⌊t / 60 s⌋), not
//! sliding: a call over a limit gets error 45009 and the caller is blocked
//! for the rest of that window, which the console models as a delay of its
//! next call to the window's end. Under a provisioning cycle (Entra) a call
//! is never refused: it waits for the next cycle start (counted as time
//! blocked, not as an error), and the cycle then sends everything pending.
//! A refused call is not counted against any window.

use super::super::config::ApiRules;
use super::super::observe::ApiTally;
use crate::engine::{SimDuration, SimTime};

const MINUTE: SimDuration = SimDuration::from_mins(1);
const HOUR: SimDuration = SimDuration::from_hours(1);

/// The APIs whose calls are counted apart (WeCom's limits are per API).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Api {
    /// `user/batchdelete`.
    Delete,
    /// A member's disable (`user/update`).
    Disable,
    /// A grant's revocation.
    Revoke,
}

impl Api {
    const ALL: [Api; 3] = [Api::Delete, Api::Disable, Api::Revoke];

    fn index(self) -> usize {
        self as usize
    }
}

/// Calls accepted in one fixed window of `length`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Window {
    /// ⌊start / length⌋ of the window counted.
    index: u64,
    calls: u32,
}

impl Window {
    /// The calls counted in the window holding `now` (0 once a new one
    /// starts).
    fn calls_at(self, now: SimTime, length: SimDuration) -> u32 {
        if window_index(now, length) == self.index { self.calls } else { 0 }
    }

    fn count(&mut self, now: SimTime, length: SimDuration) {
        self.calls = self.calls_at(now, length) + 1;
        self.index = window_index(now, length);
    }
}

fn window_index(now: SimTime, length: SimDuration) -> u64 {
    now.as_micros() / length.as_micros()
}

/// The start of the window after the one holding `now`.
pub(super) fn window_end(now: SimTime, length: SimDuration) -> SimTime {
    SimTime::from_micros((window_index(now, length) + 1) * length.as_micros())
}

/// The first multiple of `cycle` at or after `now`.
fn next_cycle_start(now: SimTime, cycle: SimDuration) -> SimTime {
    SimTime::from_micros(now.as_micros().div_ceil(cycle.as_micros()) * cycle.as_micros())
}

/// Whether a call goes out now, or when the caller may try again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Admission {
    Accepted,
    /// Refused (45009) or not yet in a cycle: try again at this time.
    Wait(SimTime),
}

/// The windows of one run.
#[derive(Clone, Debug, Default)]
pub(super) struct Budget {
    per_api_minute: [Window; Api::ALL.len()],
    per_api_hour: [Window; Api::ALL.len()],
    all_minute: Window,
}

impl Budget {
    /// Admits a call to `api` at `now`, counting it in `tally`.
    pub(super) fn call(&mut self, rules: &ApiRules, api: Api, now: SimTime, tally: &mut ApiTally) -> Admission {
        if let Some(cycle) = rules.cycle {
            let start = next_cycle_start(now, cycle);
            if start > now {
                return Admission::Wait(start);
            }
        }
        let minute_limit = match api {
            Api::Delete => min_limit(rules.api_per_minute, rules.deletes_per_minute),
            Api::Disable | Api::Revoke => rules.api_per_minute,
        };
        let checks = [
            (self.per_api_minute[api.index()], MINUTE, minute_limit),
            (self.all_minute, MINUTE, rules.all_per_minute),
            (self.per_api_hour[api.index()], HOUR, rules.api_per_hour),
        ];
        for (window, length, limit) in checks {
            if limit.is_some_and(|limit| window.calls_at(now, length) >= limit) {
                tally.errors_45009 += 1;
                return Admission::Wait(window_end(now, length));
            }
        }
        self.per_api_minute[api.index()].count(now, MINUTE);
        self.per_api_hour[api.index()].count(now, HOUR);
        self.all_minute.count(now, MINUTE);
        tally.calls += 1;
        tally.peak_per_minute = tally.peak_per_minute.max(u64::from(self.all_minute.calls));
        Admission::Accepted
    }
}

fn min_limit(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ApiLimits;

    fn at_secs(s: u64) -> SimTime {
        SimTime::from_micros(s * 1_000_000)
    }

    #[test]
    fn windows_are_fixed_and_aligned_on_the_minute_and_the_hour() {
        // 59.999 s is in minute 0, whose end is 60 s; 60 s starts minute 1,
        // ending at 120 s. 3 599 s is in hour 0 (end 3 600 s).
        assert_eq!(window_end(SimTime::from_micros(59_999_999), MINUTE), at_secs(60));
        assert_eq!(window_end(at_secs(60), MINUTE), at_secs(120));
        assert_eq!(window_end(at_secs(3_599), HOUR), at_secs(3_600));
        assert_eq!(next_cycle_start(at_secs(1), SimDuration::from_mins(40)), at_secs(2_400));
        assert_eq!(next_cycle_start(at_secs(2_400), SimDuration::from_mins(40)), at_secs(2_400));
    }

    #[test]
    fn a_call_over_the_minute_limit_waits_for_the_next_minute_and_is_not_counted() {
        // per_minute = 2: calls at 10 s and 20 s pass; the third at 30 s is
        // refused until 60 s; at 60 s a new window admits it. A call at
        // 119 s is the second of minute 1 and passes.
        let rules = ApiLimits::Table { per_minute: Some(2), per_hour: None }.rules();
        let (mut budget, mut tally) = (Budget::default(), ApiTally::default());
        assert_eq!(budget.call(&rules, Api::Delete, at_secs(10), &mut tally), Admission::Accepted);
        assert_eq!(budget.call(&rules, Api::Delete, at_secs(20), &mut tally), Admission::Accepted);
        assert_eq!(budget.call(&rules, Api::Delete, at_secs(30), &mut tally), Admission::Wait(at_secs(60)));
        // Another API has a window of its own.
        assert_eq!(budget.call(&rules, Api::Disable, at_secs(30), &mut tally), Admission::Accepted);
        assert_eq!(budget.call(&rules, Api::Delete, at_secs(60), &mut tally), Admission::Accepted);
        assert_eq!(budget.call(&rules, Api::Delete, at_secs(119), &mut tally), Admission::Accepted);
        assert_eq!((tally.calls, tally.errors_45009, tally.peak_per_minute), (5, 1, 3));
    }

    #[test]
    fn the_hour_limit_blocks_to_the_end_of_the_hour() {
        // per_hour = 1: the second call, at 30 min, waits to 60 min.
        let rules = ApiLimits::Table { per_minute: None, per_hour: Some(1) }.rules();
        let (mut budget, mut tally) = (Budget::default(), ApiTally::default());
        assert_eq!(budget.call(&rules, Api::Revoke, at_secs(0), &mut tally), Admission::Accepted);
        assert_eq!(budget.call(&rules, Api::Revoke, at_secs(1_800), &mut tally), Admission::Wait(at_secs(3_600)));
        assert_eq!(budget.call(&rules, Api::Revoke, at_secs(3_600), &mut tally), Admission::Accepted);
    }

    #[test]
    fn slack_deletes_stop_at_180_a_minute_and_entra_waits_for_its_cycle() {
        let slack = ApiLimits::SlackScim.rules();
        let (mut budget, mut tally) = (Budget::default(), ApiTally::default());
        for _ in 0..180 {
            assert_eq!(budget.call(&slack, Api::Delete, at_secs(5), &mut tally), Admission::Accepted);
        }
        assert_eq!(budget.call(&slack, Api::Delete, at_secs(5), &mut tally), Admission::Wait(at_secs(60)));
        assert_eq!(budget.call(&slack, Api::Disable, at_secs(5), &mut tally), Admission::Accepted);
        let entra = ApiLimits::Entra.rules();
        assert_eq!(budget.call(&entra, Api::Delete, at_secs(5), &mut tally), Admission::Wait(at_secs(2_400)));
        assert_eq!(tally.errors_45009, 1, "waiting for a cycle is no error");
    }
}
