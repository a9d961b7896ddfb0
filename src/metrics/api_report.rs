//! The directory API's figures of a run (`metrics.api`): calls, 45009
//! errors, delete calls failed on a stale id, the peak calls in a fixed
//! minute and the share of the horizon the console spent blocked. Totals
//! are pooled over replications; the per-member, per-replication and
//! blocked-share figures carry their interval across replications.

use super::interval::{Level, RatioInterval, mean_over_replications, rate_over_replications};
use super::proportion::round9;
use super::record::{ApiRecord, ReplicationCounts, ReplicationRecord};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiReport {
    /// Calls the API accepted (delete calls failed on a stale id included).
    pub calls: u64,
    /// Calls per member of the org.
    pub calls_per_member: ApiEstimate,
    /// Calls refused by a limit; each blocked the console to its window's end.
    pub errors_45009: u64,
    pub errors_45009_per_replication: ApiEstimate,
    /// `user/batchdelete` calls that failed whole on a stale id (each
    /// retried without it: one more call).
    pub stale_failures: u64,
    /// Most calls accepted in one fixed minute, in any replication.
    pub peak_per_minute: u64,
    /// The replications' peaks, averaged.
    pub mean_peak_per_minute: ApiEstimate,
    /// Time the console waited on a limit or a provisioning cycle.
    pub blocked_ms: u64,
    /// Blocked time over the horizon.
    pub blocked_share: ApiEstimate,
}

/// A pooled ratio (Σ total / Σ count over replications) with its interval
/// across them; the reason where the value or the interval is null.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiEstimate {
    pub value: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub replications_used: u32,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
}

impl ApiEstimate {
    /// The pooled ratio of `pairs` (total, count) and `interval` over them;
    /// null without calls.
    fn of(pairs: &[(f64, u64)], interval: Result<RatioInterval, String>, no_calls: bool) -> ApiEstimate {
        let count: u64 = pairs.iter().map(|pair| pair.1).sum();
        if no_calls || count == 0 {
            return ApiEstimate::null(if no_calls { NO_CALLS } else { NO_HORIZON });
        }
        let value = Some(round9(pairs.iter().map(|pair| pair.0).sum::<f64>() / count as f64));
        match interval {
            Ok(ci) => ApiEstimate {
                value,
                ci95: Some([round9(ci.low), round9(ci.high)]),
                replications_used: ci.replications as u32,
                null_reason: None,
            },
            Err(reason) => ApiEstimate { value, null_reason: Some(reason), ..ApiEstimate::null("") },
        }
    }

    fn null(reason: &str) -> ApiEstimate {
        ApiEstimate { value: None, ci95: None, replications_used: 0, null_reason: Some(reason.to_owned()) }
    }
}

const NO_CALLS: &str = "no request reached the admin console before the horizon (no API call was made)";
const NO_HORIZON: &str = "the run has no horizon to take a share of";

/// The API figures of `totals` and of each of `replications`.
pub(super) fn api_report(totals: &ReplicationCounts, replications: &[ReplicationRecord], level: Level) -> ApiReport {
    let api = &totals.api;
    let no_calls = api.calls == 0 && api.errors_45009 == 0;
    let each = |pick: fn(&ReplicationCounts) -> (f64, u64), what: &str| {
        let pairs: Vec<(f64, u64)> = replications.iter().map(|r| pick(&r.counts)).collect();
        ApiEstimate::of(&pairs, mean_over_replications(&pairs, what, level), no_calls)
    };
    let blocked: Vec<(u64, u64)> = replications.iter().map(|r| blocked_ms_of(&r.counts.api)).collect();
    let blocked_pairs: Vec<(f64, u64)> = blocked.iter().map(|&(ms, horizon)| (ms as f64, horizon)).collect();
    let blocked_share = ApiEstimate::of(&blocked_pairs, rate_over_replications(&blocked, level), no_calls);
    ApiReport {
        calls: api.calls,
        calls_per_member: each(|c| (c.api.calls as f64, members(c)), "members"),
        errors_45009: api.errors_45009,
        errors_45009_per_replication: each(|c| (c.api.errors_45009 as f64, 1), "replications"),
        stale_failures: api.stale_failures,
        peak_per_minute: api.peak_per_minute,
        mean_peak_per_minute: peak_without_interval(replications, no_calls),
        blocked_ms: api.blocked_us / 1_000,
        blocked_share,
    }
}

/// Why the replications' mean busiest minute has no interval: measured
/// by `benches/coverage.sh`, a t interval over ten of them covered 7–61 %
/// (and 85 % with exact agreements left null).
const PEAK_WITHOUT_INTERVAL: &str = "no interval: a replication's busiest minute is a small count set by the console's pace \
     (a batch of 200 calls), a rare busier minute skews their mean, and a t interval over ten replications covered 7-85 % \
     of the truth; read the value, and peak_per_minute for the largest in any replication";

/// The replications' busiest minutes averaged, without an interval.
fn peak_without_interval(replications: &[ReplicationRecord], no_calls: bool) -> ApiEstimate {
    let pairs: Vec<(f64, u64)> = replications.iter().map(|r| (r.counts.api.peak_per_minute as f64, 1)).collect();
    ApiEstimate::of(&pairs, Err(PEAK_WITHOUT_INTERVAL.to_owned()), no_calls)
}

/// The members of the org a replication ran on.
pub(super) fn members(counts: &ReplicationCounts) -> u64 {
    counts.untouched + counts.done + counts.pending + counts.locked_out + counts.rolled_back
}

/// Blocked time and horizon, in milliseconds.
fn blocked_ms_of(api: &ApiRecord) -> (u64, u64) {
    (api.blocked_us / 1_000, api.horizon_us / 1_000)
}

/// The blocked share of one replication: none without calls or a horizon.
pub(super) fn blocked_share(api: &ApiRecord) -> Option<f64> {
    let (blocked, horizon) = blocked_ms_of(api);
    (api.calls + api.errors_45009 > 0 && horizon > 0).then(|| blocked as f64 / horizon as f64)
}

/// What a summary written before the API budget shows.
pub(super) fn absent_api() -> ApiReport {
    const ABSENT: &str = "not in this summary (written before the API budget was modelled)";
    ApiReport {
        calls: 0,
        calls_per_member: ApiEstimate::null(ABSENT),
        errors_45009: 0,
        errors_45009_per_replication: ApiEstimate::null(ABSENT),
        stale_failures: 0,
        peak_per_minute: 0,
        mean_peak_per_minute: ApiEstimate::null(ABSENT),
        blocked_ms: 0,
        blocked_share: ApiEstimate::null(ABSENT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Stop;
    use crate::model::Observations;

    /// A replication of 1 000 members with these API counts over a 100 min
    /// horizon.
    fn record(index: u32, calls: u64, errors: u64, blocked_s: u64, peak: u64) -> ReplicationRecord {
        let mut obs = Observations::default();
        obs.outcomes.untouched = 1_000;
        obs.api.calls = calls;
        obs.api.errors_45009 = errors;
        obs.api.peak_per_minute = peak;
        obs.api.blocked_us = blocked_s * 1_000_000;
        obs.api.horizon_us = 6_000 * 1_000_000;
        ReplicationRecord::new(index, 0, Stop::Horizon, &obs)
    }

    fn report(records: &[ReplicationRecord]) -> ApiReport {
        let mut totals = ReplicationCounts::empty();
        records.iter().for_each(|r| totals.merge(&r.counts));
        api_report(&totals, records, Level::NINETY_FIVE)
    }

    #[test]
    fn api_figures_pool_the_replications_and_carry_their_interval() {
        // Ten replications, alternately 100 calls, 2 errors, 30 s blocked,
        // peak 12 and 300 calls, no error, 90 s blocked, peak 20: 2 000
        // calls over 10 000 members, 0.2 per member; 10 errors over 10
        // replications, 1 each; the largest peak 20, their mean 16; blocked
        // 600 s of 10 × 6 000 s: 1 %. With two replications the values stay
        // and the intervals are null (fewer than 10 replications).
        let records: Vec<ReplicationRecord> =
            (0..10).map(|i| if i % 2 == 0 { record(i, 100, 2, 30, 12) } else { record(i, 300, 0, 90, 20) }).collect();
        let api = report(&records);
        assert_eq!((api.calls, api.errors_45009, api.peak_per_minute, api.blocked_ms), (2_000, 10, 20, 600_000));
        assert_eq!(api.calls_per_member.value, Some(0.2));
        assert_eq!(api.errors_45009_per_replication.value, Some(1.0));
        assert_eq!(api.mean_peak_per_minute.value, Some(16.0));
        assert_eq!(api.mean_peak_per_minute.ci95, None);
        assert_eq!(api.mean_peak_per_minute.null_reason.as_deref(), Some(PEAK_WITHOUT_INTERVAL));
        assert_eq!(api.blocked_share.value, Some(0.01));
        let [low, high] = api.calls_per_member.ci95.expect("ten replications");
        assert!(low < 0.2 && 0.2 < high, "{low} {high}");
        assert_eq!(blocked_share(&records[1].counts.api), Some(0.015));
        let two = report(&records[..2]);
        assert_eq!((two.blocked_share.value, two.blocked_share.ci95), (Some(0.01), None));
        assert!(two.blocked_share.null_reason.unwrap().contains("at least 10"));
    }

    #[test]
    fn a_run_without_calls_has_null_api_figures_that_say_why() {
        let api = report(&[record(0, 0, 0, 0, 0), record(1, 0, 0, 0, 0)]);
        for estimate in [&api.calls_per_member, &api.errors_45009_per_replication, &api.blocked_share] {
            assert_eq!(estimate.value, None);
            assert_eq!(estimate.null_reason.as_deref(), Some(NO_CALLS));
        }
        assert_eq!(blocked_share(&ReplicationCounts::empty().api), None);
    }
}
