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

/// A pooled ratio with its interval across replications; null with the
/// reason where there is none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiEstimate {
    pub value: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub replications_used: u32,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
}

impl ApiEstimate {
    fn of(interval: Result<RatioInterval, String>, no_calls: bool) -> ApiEstimate {
        match (no_calls, interval) {
            (true, _) => ApiEstimate::null(NO_CALLS),
            (false, Ok(ci)) => ApiEstimate {
                value: Some(round9(ci.estimate)),
                ci95: (ci.replications > 1).then(|| [round9(ci.low), round9(ci.high)]),
                replications_used: ci.replications as u32,
                null_reason: None,
            },
            (false, Err(reason)) => ApiEstimate::null(&reason),
        }
    }

    fn null(reason: &str) -> ApiEstimate {
        ApiEstimate { value: None, ci95: None, replications_used: 0, null_reason: Some(reason.to_owned()) }
    }
}

const NO_CALLS: &str = "no request reached the admin console before the horizon (no API call was made)";

/// The API figures of `totals` and of each of `replications`.
pub(super) fn api_report(totals: &ReplicationCounts, replications: &[ReplicationRecord], level: Level) -> ApiReport {
    let api = &totals.api;
    let no_calls = api.calls == 0 && api.errors_45009 == 0;
    let each = |pick: fn(&ReplicationCounts) -> (f64, u64), what: &str| {
        let pairs: Vec<(f64, u64)> = replications.iter().map(|r| pick(&r.counts)).collect();
        ApiEstimate::of(mean_over_replications(&pairs, what, level), no_calls)
    };
    let blocked: Vec<(u64, u64)> = replications.iter().map(|r| blocked_ms_of(&r.counts.api)).collect();
    let blocked_share = match api.horizon_us {
        0 if !no_calls => ApiEstimate::null("the run has no horizon to take a share of"),
        _ => ApiEstimate::of(rate_over_replications(&blocked, level), no_calls),
    };
    ApiReport {
        calls: api.calls,
        calls_per_member: each(|c| (c.api.calls as f64, members(c)), "members"),
        errors_45009: api.errors_45009,
        errors_45009_per_replication: each(|c| (c.api.errors_45009 as f64, 1), "replications"),
        stale_failures: api.stale_failures,
        peak_per_minute: api.peak_per_minute,
        mean_peak_per_minute: each(|c| (c.api.peak_per_minute as f64, 1), "replications"),
        blocked_ms: api.blocked_us / 1_000,
        blocked_share,
    }
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
