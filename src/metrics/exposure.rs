//! How long offboarded members could still get in (`metrics.exposure`) and
//! the leak-risk curve (`metrics.leak_risk`).
//!
//! A member's exposure window runs from the decision to the end of its
//! last live access path (`model::ExposurePath`); one still live at the
//! horizon censors the member at horizon − decision, so the percentiles
//! come from the Kaplan–Meier estimate and bootstrap of batch latency
//! (`latency_report`). Member-hours per 1 000 offboarded members are taken
//! up to the horizon (a censored member counts horizon − decision), in
//! total and per path: the account from the decision to its cut, every
//! other path from the cut to its own end; the paths overlap, so they add
//! up to more than the total. The leak risk at t is the share of
//! offboarded members with any path still live t after their decision,
//! over the members whose decision + t is no later than the horizon; the
//! others are not at risk at t and are only counted (`past_horizon`).

use super::api_report::ApiEstimate;
use super::interval::{Level, mean_over_replications};
use super::latency::LatencyHistogram;
use super::proportion::{Proportion, ProportionReport, round9};
use super::record::{CensoredRecord, ReplicationCounts, ReplicationRecord, histogram};
use super::summary::{LatencyReport, latency_report};
use crate::engine::SimDuration;
use crate::model::{ExposurePath, ExposureTally, RaceKind, TokenEnd, TokenTally, Unfinished};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One replication's exposure, exact and mergeable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExposureRecord {
    pub members: u64,
    /// Exposure windows that ended by the horizon.
    pub ended: LatencyHistogram,
    /// Horizon − decision of the members still exposed there.
    pub censored: CensoredRecord,
    /// Member-milliseconds up to the horizon: in total, and per path in
    /// `ExposurePath::ALL` order.
    pub total_ms: u64,
    pub path_ms: Vec<u64>,
    /// Per path, members for whom it was still live at the horizon.
    pub live_at_horizon: Vec<u64>,
    pub leak_risk: Vec<LeakRiskRecord>,
    /// Revoked grants' acceptance windows (absent in older records: none).
    #[serde(default)]
    pub tokens: TokenWindowRecord,
}

/// Revoked grants' acceptance windows in one replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenWindowRecord {
    pub ended: LatencyHistogram,
    pub censored: CensoredRecord,
    pub accepted_ms: u64,
    /// In `TokenEnd::ALL` order.
    pub grants_by_end: Vec<u64>,
    pub accepted_ms_by_end: Vec<u64>,
}

impl Default for TokenWindowRecord {
    fn default() -> Self {
        TokenWindowRecord::new(&TokenTally::default())
    }
}

impl TokenWindowRecord {
    fn new(tally: &TokenTally) -> TokenWindowRecord {
        TokenWindowRecord {
            ended: histogram(&tally.ended_us),
            censored: censored_at_horizon(&tally.censored_us),
            accepted_ms: tally.accepted_ms,
            grants_by_end: tally.grants_by_end.to_vec(),
            accepted_ms_by_end: tally.accepted_ms_by_end.to_vec(),
        }
    }

    fn merge(&mut self, other: &TokenWindowRecord) {
        self.ended.merge(&other.ended);
        self.censored.merge(&other.censored);
        self.accepted_ms += other.accepted_ms;
        add_all(&mut self.grants_by_end, &other.grants_by_end);
        add_all(&mut self.accepted_ms_by_end, &other.accepted_ms_by_end);
    }

    /// Grants revoked: those whose window ended and those still accepted.
    pub fn grants(&self) -> u64 {
        self.ended.count() + self.censored.times.count()
    }

    fn check_shape(&self) -> Result<(), String> {
        let ends = TokenEnd::ALL.len();
        if self.grants_by_end.len() != ends || self.accepted_ms_by_end.len() != ends {
            return Err(format!("`exposure.tokens` has {} app kinds, expected {ends}", self.grants_by_end.len()));
        }
        let grants = self.grants();
        self.censored.check_shape("exposure.tokens.censored", grants)?;
        if self.grants_by_end.iter().try_fold(0u64, |sum, &n| sum.checked_add(n)) != Some(grants) {
            return Err("`exposure.tokens` does not name how every revoked grant's window ends".into());
        }
        Ok(())
    }
}

/// Censoring times whose reason is the horizon.
pub(super) fn censored_at_horizon(times_us: &[u64]) -> CensoredRecord {
    let mut by_reason = vec![0; Unfinished::ALL.len()];
    by_reason[Unfinished::Horizon.index()] = times_us.len() as u64;
    CensoredRecord { times: histogram(times_us), by_reason }
}

/// One leak-risk point of one replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeakRiskRecord {
    pub after_us: u64,
    /// Members at risk (decision + t no later than the horizon) and those
    /// with a path still live then.
    pub live: Proportion,
    pub past_horizon: u64,
}

impl Default for ExposureRecord {
    /// Nobody offboarded (a record written before exposure was measured).
    fn default() -> Self {
        ExposureRecord::new(&ExposureTally::default())
    }
}

impl ExposureRecord {
    pub fn new(tally: &ExposureTally) -> ExposureRecord {
        ExposureRecord {
            members: tally.members,
            ended: histogram(&tally.ended_us),
            censored: censored_at_horizon(&tally.censored_us),
            total_ms: tally.total_ms,
            path_ms: tally.path_ms.to_vec(),
            live_at_horizon: tally.live_at_horizon.to_vec(),
            leak_risk: tally
                .leak_risk
                .iter()
                .map(|point| LeakRiskRecord {
                    after_us: point.after.as_micros(),
                    live: point.live.into(),
                    past_horizon: point.past_horizon,
                })
                .collect(),
            tokens: TokenWindowRecord::new(&tally.tokens),
        }
    }

    /// Counts and histograms add up; the points are matched by position
    /// (an empty record, the start of a merge, takes the other's).
    pub fn merge(&mut self, other: &ExposureRecord) {
        self.members += other.members;
        self.ended.merge(&other.ended);
        self.censored.merge(&other.censored);
        self.total_ms += other.total_ms;
        add_all(&mut self.path_ms, &other.path_ms);
        add_all(&mut self.live_at_horizon, &other.live_at_horizon);
        if self.leak_risk.is_empty() {
            self.leak_risk = other
                .leak_risk
                .iter()
                .map(|p| LeakRiskRecord { live: Proportion::default(), past_horizon: 0, ..*p })
                .collect();
        }
        for (point, theirs) in self.leak_risk.iter_mut().zip(&other.leak_risk) {
            point.live.merge(theirs.live);
            point.past_horizon += theirs.past_horizon;
        }
        self.tokens.merge(&other.tokens);
    }

    /// Checks a record read from a file.
    pub fn check_shape(&self) -> Result<(), String> {
        let paths = ExposurePath::ALL.len();
        if self.path_ms.len() != paths || self.live_at_horizon.len() != paths {
            return Err(format!("`exposure` has {} paths, expected {paths}", self.path_ms.len()));
        }
        self.censored.check_shape("exposure.censored", self.members)?;
        let censored = self.censored.times.count();
        if self.ended.count().checked_add(censored) != Some(self.members) {
            return Err("`exposure` has not one window per offboarded member".into());
        }
        if self.live_at_horizon.iter().any(|&live| live > censored) {
            return Err("`exposure` has more paths live at the horizon than members exposed there".into());
        }
        let consistent = |p: &LeakRiskRecord| {
            p.live.hits <= p.live.trials && p.live.trials.checked_add(p.past_horizon) == Some(self.members)
        };
        if !self.leak_risk.iter().all(consistent) {
            return Err("`exposure.leak_risk` does not count every offboarded member once".into());
        }
        self.tokens.check_shape()
    }
}

fn add_all(counts: &mut [u64], others: &[u64]) {
    for (count, theirs) in counts.iter_mut().zip(others) {
        *count += theirs;
    }
}

/// `metrics.exposure`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExposureReport {
    /// Offboarded members (accounts a request cut or was to cut).
    pub members: u64,
    /// Decision to the end of the last live path: Kaplan–Meier
    /// percentiles with bootstrap intervals, members still exposed at the
    /// horizon censored there (`incomplete`), the mean of the ended ones.
    pub window_ms: LatencyReport,
    /// Member-hours of exposure per 1 000 offboarded members, up to the
    /// horizon: `total` and each path's, with 95 % intervals across
    /// replications.
    pub member_hours_per_1000: BTreeMap<String, ApiEstimate>,
    /// The mean window up to the horizon over every offboarded member
    /// (one still exposed there counts horizon − decision: a lower bound
    /// of the mean whenever any is), with its interval.
    pub mean_to_horizon_ms: ApiEstimate,
    /// Per path, members for whom it was still live at the horizon.
    pub live_at_horizon: BTreeMap<String, u64>,
    pub definition: String,
    /// Revoked grants' acceptance windows.
    pub tokens: TokenWindowReport,
}

/// `metrics.exposure.tokens`: per revoked grant, revocation to the app's
/// last acceptance of its token or session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenWindowReport {
    /// Grants revoked by the horizon (of offboarded members, or by an app
    /// admin's archive).
    pub grants_revoked: u64,
    /// Kaplan–Meier percentiles of the window, grants still accepted at
    /// the horizon censored there (`incomplete`).
    pub window_ms: LatencyReport,
    /// The mean window up to the horizon over every revoked grant, with
    /// its interval across replications.
    pub mean_to_horizon_ms: ApiEstimate,
    /// Grant-hours accepted after revocation, up to the horizon.
    pub grant_hours_accepted: f64,
    pub still_accepted_at_horizon: u64,
    /// Uses of revoked grants' tokens the apps accepted inside their
    /// windows by the horizon (the token race's events).
    pub accepted_uses: u64,
    /// Per way the window ends (`expiry`, `introspection`,
    /// `native_unbind`): grants and their grant-hours.
    pub by_end: BTreeMap<String, TokenEndReport>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenEndReport {
    pub grants: u64,
    pub grant_hours_accepted: f64,
}

impl Default for ExposureReport {
    /// The report of a summary written before exposure was measured.
    fn default() -> Self {
        let window = || latency_report(&LatencyHistogram::new(), 0, 0);
        let mut report = exposure_report(&ReplicationCounts::empty(), &[], (window(), window()), Level::NINETY_FIVE);
        report.definition = "not in this summary (written before exposure was measured)".into();
        report
    }
}

const DEFINITION: &str = "from the decision to the end of the last live access path (the account until its cut; \
     after the cut, an app accepting a revoked grant's token or session, a device still bound, a module a pro \
     disable kept); member-hours up to the horizon, the account's from the decision, every other path's from the \
     cut, so paths overlap";

/// The exposure figures of `totals`, the reports of the member's and the
/// grant's windows already built (by the latency machinery).
pub(super) fn exposure_report(
    totals: &ReplicationCounts,
    replications: &[ReplicationRecord],
    (window_ms, token_window_ms): (LatencyReport, LatencyReport),
    level: Level,
) -> ExposureReport {
    let per_member = |pick: &dyn Fn(&ExposureRecord) -> f64| {
        let pairs: Vec<(f64, u64)> =
            replications.iter().map(|r| (pick(&r.counts.exposure), r.counts.exposure.members)).collect();
        estimate(&pairs, "offboarded members", level)
    };
    let hours = |pick: &dyn Fn(&ExposureRecord) -> u64| per_member(&|e| hours_per_1000(pick(e)));
    let mut member_hours_per_1000 = BTreeMap::from([("total".to_owned(), hours(&|e| e.total_ms))]);
    for path in ExposurePath::ALL {
        member_hours_per_1000.insert(path.name().to_owned(), hours(&|e| e.path_ms[path.index()]));
    }
    let live_at_horizon =
        ExposurePath::ALL.iter().map(|p| (p.name().to_owned(), totals.exposure.live_at_horizon[p.index()])).collect();
    ExposureReport {
        members: totals.exposure.members,
        window_ms,
        member_hours_per_1000,
        mean_to_horizon_ms: per_member(&|e| e.total_ms as f64),
        live_at_horizon,
        definition: DEFINITION.to_owned(),
        tokens: token_window_report(totals, replications, token_window_ms, level),
    }
}

fn token_window_report(
    totals: &ReplicationCounts,
    replications: &[ReplicationRecord],
    window_ms: LatencyReport,
    level: Level,
) -> TokenWindowReport {
    let tokens = &totals.exposure.tokens;
    let pairs: Vec<(f64, u64)> = replications
        .iter()
        .map(|r| (r.counts.exposure.tokens.accepted_ms as f64, r.counts.exposure.tokens.grants()))
        .collect();
    let hours = |ms: u64| round9(ms as f64 / 3_600_000.0);
    let by_end = TokenEnd::ALL
        .iter()
        .map(|end| {
            let (grants, ms) = (tokens.grants_by_end[end.index()], tokens.accepted_ms_by_end[end.index()]);
            (end.name().to_owned(), TokenEndReport { grants, grant_hours_accepted: hours(ms) })
        })
        .collect();
    TokenWindowReport {
        grants_revoked: tokens.grants(),
        window_ms,
        mean_to_horizon_ms: estimate(&pairs, "revoked grants", level),
        grant_hours_accepted: hours(tokens.accepted_ms),
        still_accepted_at_horizon: tokens.censored.times.count(),
        accepted_uses: totals.races[RaceKind::TokenAfterDisable.index()].events,
        by_end,
    }
}

/// Member-milliseconds as member-hours per 1 000 members (divided by the
/// members later).
fn hours_per_1000(total_ms: u64) -> f64 {
    total_ms as f64 / 3_600_000.0 * 1_000.0
}

/// The pooled ratio of `pairs` with its interval across replications.
pub(super) fn estimate(pairs: &[(f64, u64)], what: &str, level: Level) -> ApiEstimate {
    let units: u64 = pairs.iter().map(|pair| pair.1).sum();
    if units == 0 {
        let reason = Some(format!("no {what} before the horizon"));
        return ApiEstimate { value: None, ci95: None, replications_used: 0, null_reason: reason };
    }
    let value = Some(round9(pairs.iter().map(|pair| pair.0).sum::<f64>() / units as f64));
    match mean_over_replications(pairs, what, level) {
        Ok(ci) => ApiEstimate {
            value,
            ci95: Some([round9(ci.low), round9(ci.high)]),
            replications_used: ci.replications as u32,
            null_reason: None,
        },
        Err(reason) => ApiEstimate { value, ci95: None, replications_used: 0, null_reason: Some(reason) },
    }
}

/// `metrics.leak_risk`: per point (`1h`, `7d`, …), the share of offboarded
/// members with a path still live then.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LeakRiskReport {
    pub points: BTreeMap<String, LeakRiskPoint>,
    pub definition: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeakRiskPoint {
    /// The time after the decision, in milliseconds.
    pub after_ms: u64,
    /// Members with any path live then, over those at risk, with its 95 %
    /// interval across replications.
    pub live: ProportionReport,
    /// Members whose decision + t is past the horizon: not in the trials.
    pub past_horizon: u64,
}

const LEAK_DEFINITION: &str = "share of offboarded members with any live access path t after their decision, over \
     those whose decision + t is no later than the horizon (the others are counted in past_horizon, not in the \
     trials)";

/// The leak-risk curve of `totals` over `replications`.
pub(super) fn leak_risk_report(
    totals: &ReplicationCounts,
    replications: &[ReplicationRecord],
    level: Level,
) -> LeakRiskReport {
    let points = totals
        .exposure
        .leak_risk
        .iter()
        .enumerate()
        .map(|(slot, point)| {
            let each: Vec<Proportion> = replications
                .iter()
                .map(|r| r.counts.exposure.leak_risk.get(slot).map_or_else(Proportion::default, |p| p.live))
                .collect();
            let reason = "no offboarded member's decision was this long before the horizon";
            let live = ProportionReport::over_replications(&each, reason, level);
            let after = SimDuration::from_micros(point.after_us);
            (
                point_key(after),
                LeakRiskPoint { after_ms: point.after_us / 1_000, live, past_horizon: point.past_horizon },
            )
        })
        .collect();
    LeakRiskReport { points, definition: LEAK_DEFINITION.to_owned() }
}

/// A point's key in `metrics.leak_risk.points` and in its figure's name:
/// `1h`, `7d`, `90m`.
pub fn point_key(after: SimDuration) -> String {
    after.exact_text()
}
