//! Reading a [`Figure`] from a summary: the one place that knows where in a
//! `Summary` each named figure lives. Objectives, the baseline check, the
//! sweep CSV and the printed table all read figures through [`read`];
//! [`RateEstimate`] is a rate with the interval the summary carries (or,
//! for counts alone, their Wilson interval), and [`format_rate`] the way
//! rates print in explanations.

use super::backlog::backlog_key;
use super::exposure::point_key;
use super::interval::IntervalMethod;
use super::proportion::ProportionReport;
use super::residue_survival::ResidueSurvivalPoint;
use super::summary::{LatencyReport, Summary};
use crate::engine::SimDuration;
use crate::scenario::{Figure, Latency, Quantile};
use std::collections::BTreeMap;

/// One figure read from a summary.
#[derive(Clone, Debug, PartialEq)]
pub enum Reading<'a> {
    Rate(ProportionReport),
    /// A latency percentile: its point value in milliseconds, if the
    /// summary has one, and the report it belongs to.
    Percentile {
        quantile: Quantile,
        value_ms: Option<u64>,
        report: &'a LatencyReport,
    },
    /// A mean in milliseconds.
    Mean(Option<f64>),
    Count(u64),
}

/// The latency report of `latency` in `summary`; the error names a pool
/// the run does not have.
pub fn latency_of(summary: &Summary, latency: Latency) -> Result<&LatencyReport, String> {
    Ok(match latency {
        Latency::Batch => &summary.metrics.batch_latency_ms,
        Latency::Revocation => &summary.metrics.revocation_latency_ms,
        Latency::Lockout => &summary.metrics.lockout.duration_ms,
        Latency::Exposure => &summary.metrics.exposure.window_ms,
        Latency::TokenWindow => &summary.metrics.exposure.tokens.window_ms,
        Latency::QueueWait(pool) => match summary.metrics.queues.get(pool.name()) {
            Some(queue) => &queue.wait_ms,
            None => return Err(format!("the summary has no pool `{}` (this workload has none)", pool.name())),
        },
    })
}

/// The point value of `quantile` in `report`, in milliseconds.
pub fn quantile_ms(report: &LatencyReport, quantile: Quantile) -> Option<u64> {
    match quantile {
        Quantile::P50 => report.p50,
        Quantile::P90 => report.p90,
        Quantile::P99 => report.p99,
        Quantile::P999 => report.p999,
        Quantile::Max => report.max,
    }
}

/// Reads `figure` from `summary`; the error says what the summary lacks
/// (a kind or platform it has no entry for).
pub fn read(figure: Figure, summary: &Summary) -> Result<Reading<'_>, String> {
    let metrics = &summary.metrics;
    let entry = |map: &std::collections::BTreeMap<String, ProportionReport>, what: &str, name: &str| {
        map.get(name).cloned().ok_or_else(|| format!("the summary has no figure for {what} `{name}`"))
    };
    let rate = match figure {
        Figure::LatencyQuantile(latency, quantile) => {
            let report = latency_of(summary, latency)?;
            return Ok(Reading::Percentile { quantile, value_ms: quantile_ms(report, quantile), report });
        }
        Figure::LatencyMean(latency) => return Ok(Reading::Mean(latency_of(summary, latency)?.mean)),
        Figure::LatencyUnfinished(latency) => return Ok(Reading::Count(latency_of(summary, latency)?.incomplete)),
        Figure::ConsoleBacklog(at) => return Ok(Reading::Mean(backlog_point(summary, at)?)),
        Figure::ConsoleBacklogPeak => return Ok(Reading::Mean(summary.metrics.console_backlog.peak.mean)),
        Figure::Done => return Ok(Reading::Count(metrics.outcomes.done)),
        Figure::Pending => return Ok(Reading::Count(metrics.outcomes.pending)),
        Figure::Events => return Ok(Reading::Count(summary.engine.events)),
        Figure::TokenUsesPerGrant => return Ok(Reading::Mean(metrics.token_uses.uses_per_revoked_grant)),
        Figure::TokenLastUseMean => return Ok(Reading::Mean(metrics.token_uses.mean_last_use_ms)),
        Figure::ApiCallsPerMember => return Ok(Reading::Mean(metrics.api.calls_per_member.value)),
        Figure::ApiErrors45009 => return Ok(Reading::Mean(metrics.api.errors_45009_per_replication.value)),
        Figure::ApiPeakPerMinute => return Ok(Reading::Mean(metrics.api.mean_peak_per_minute.value)),
        Figure::ApiBlockedShare => return Ok(Reading::Mean(metrics.api.blocked_share.value)),
        Figure::AuditRecords => return Ok(Reading::Count(metrics.audit.records)),
        Figure::AuditKept => return Ok(Reading::Count(metrics.audit.kept)),
        Figure::AuditPerOffboarded => return Ok(Reading::Mean(metrics.audit.records_per_offboarded_member)),
        Figure::GuardAborted => return Ok(Reading::Count(metrics.guard.aborted)),
        Figure::CustomerHandoverCalls => return Ok(Reading::Mean(metrics.customers.calls_per_replication)),
        Figure::CustomerHandoverTimeMean => return Ok(Reading::Mean(metrics.customers.mean_time_ms)),
        Figure::ExposureMeanToHorizon => return Ok(Reading::Mean(metrics.exposure.mean_to_horizon_ms.value)),
        Figure::LeakRisk(after) => leak_risk_point(summary, after)?,
        Figure::ResidueKindAt(kind, after) => residue_point(summary, after, |p| &p.by_kind, kind.name())?,
        Figure::ResiduePlatformAt(platform, after) => {
            residue_point(summary, after, |p| &p.by_platform, platform.name())?
        }
        Figure::ResidueDays(kind) => {
            let days = metrics.residue.over_time.days_per_member.get(kind.name()).and_then(|days| days.value);
            return Ok(Reading::Mean(days));
        }
        Figure::KeptModuleAccess => metrics.kept_modules.access.clone(),
        Figure::KeptModuleUseRate => metrics.kept_modules.used.clone(),
        Figure::CustomersLostRate => metrics.customers.lost.clone(),
        Figure::LockoutRate => metrics.lockout.overall.clone(),
        Figure::LockoutGivenUninstallRate => metrics.lockout.given_uninstall.clone(),
        Figure::PlatformLockoutRate(platform) => entry(&metrics.lockout.by_platform, "platform", platform.name())?,
        Figure::ResidueProbability => residue_view(summary),
        Figure::ResidueKindProbability(kind) => entry(&metrics.residue.by_kind, "residue kind", kind.name())?,
        Figure::GrantResidueProbability => metrics.residue.app_data_per_grant.clone(),
        Figure::RaceRate => race_view(summary),
        Figure::RaceKindRate(kind) => metrics
            .grace_races
            .by_kind
            .get(kind.name())
            .map(|report| report.rate.clone())
            .ok_or_else(|| format!("the summary has no figure for race kind `{}`", kind.name()))?,
        Figure::DoneShare => metrics.outcomes.done_share.clone(),
    };
    Ok(Reading::Rate(rate))
}

/// The leak risk `after` the decision, if the run observed that point.
fn leak_risk_point(summary: &Summary, after: SimDuration) -> Result<ProportionReport, String> {
    let points = &summary.metrics.leak_risk.points;
    points.get(&point_key(after)).map(|point| point.live.clone()).ok_or_else(|| {
        let named: Vec<&str> = points.keys().map(String::as_str).collect();
        format!("the summary has no leak-risk point at {} (it has: {})", point_key(after), named.join(", "))
    })
}

/// A residue survival point `after` the unbind, by kind or platform.
fn residue_point(
    summary: &Summary,
    after: SimDuration,
    pick: impl Fn(&ResidueSurvivalPoint) -> &BTreeMap<String, ProportionReport>,
    name: &str,
) -> Result<ProportionReport, String> {
    let points = &summary.metrics.residue.over_time.points;
    let point = points.get(&point_key(after)).ok_or_else(|| {
        let named: Vec<&str> = points.keys().map(String::as_str).collect();
        format!("the summary has no residue point at {} (it has: {})", point_key(after), named.join(", "))
    })?;
    pick(point).get(name).cloned().ok_or_else(|| format!("the summary has no residue figure for `{name}`"))
}

/// The mean console backlog `at` from the start, if the run observed
/// that point.
fn backlog_point(summary: &Summary, at: SimDuration) -> Result<Option<f64>, String> {
    let points = &summary.metrics.console_backlog.at;
    points.get(&backlog_key(at)).map(|point| point.members.mean).ok_or_else(|| {
        let named: Vec<&str> = points.keys().map(String::as_str).collect();
        format!("the summary has no console-backlog point at {} (it has: {})", backlog_key(at), named.join(", "))
    })
}

fn residue_view(summary: &Summary) -> ProportionReport {
    let residue = &summary.metrics.residue;
    ProportionReport {
        rate: residue.probability,
        ci95: residue.ci95,
        method: residue.method,
        replications_used: residue.replications_used,
        design_effect: residue.design_effect,
        hits: residue.hits,
        trials: residue.trials,
        null_reason: residue.null_reason.clone(),
    }
}

fn race_view(summary: &Summary) -> ProportionReport {
    let races = &summary.metrics.grace_races;
    ProportionReport {
        rate: races.rate,
        ci95: races.ci95,
        method: races.method,
        replications_used: races.replications_used,
        design_effect: races.design_effect,
        hits: races.hits,
        trials: races.members,
        null_reason: races.null_reason.clone(),
    }
}

/// A rate with its 95 % interval and the counts behind them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateEstimate {
    pub rate: f64,
    pub low: f64,
    pub high: f64,
    pub hits: u64,
    pub trials: u64,
    /// How the interval was computed and over how many replications, for
    /// a rate read from a summary; `None` for counts alone.
    pub method: Option<(IntervalMethod, u32)>,
}

impl RateEstimate {
    /// The estimate of a rate as read: its point value and the interval
    /// the summary carries (estimated across replications); the error
    /// says why there is none (no trials, too few replications) or what is
    /// inconsistent.
    pub fn from_view(view: &ProportionReport) -> Result<RateEstimate, String> {
        if view.hits > view.trials {
            return Err(format!("inconsistent figure: {} hits out of {} trials", view.hits, view.trials));
        }
        match (view.rate, view.ci95, view.method) {
            (Some(rate), Some([low, high]), Some(method)) if view.trials > 0 && low <= rate && rate <= high => {
                let method = Some((method, view.replications_used));
                Ok(RateEstimate { rate, low, high, hits: view.hits, trials: view.trials, method })
            }
            (Some(_), Some(_), _) => Err("inconsistent figure: its interval, method or trials are invalid".into()),
            _ => Err(view.null_reason.clone().unwrap_or_else(|| "no interval".to_owned())),
        }
    }

    /// `0.0720 (72 of 1000)`.
    pub fn describe(&self) -> String {
        format!("{} ({} of {})", format_rate(self.rate), self.hits, self.trials)
    }
}

/// A rate with four decimals, or in scientific notation when smaller
/// than 0.001 (so tiny rates do not print as zero).
pub fn format_rate(rate: f64) -> String {
    if rate == 0.0 || rate.abs() >= 0.001 { format!("{rate:.4}") } else { format!("{rate:.2e}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Proportion;
    use crate::metrics::fixtures::{empty_summary, latency};
    use crate::model::{Platform, RaceKind, ResidueKind};

    #[test]
    fn every_figure_reads_from_an_empty_summary() {
        let summary = empty_summary("s");
        for figure in Figure::all() {
            match figure {
                // A summary of no replications observed no leak-risk or residue point.
                Figure::LeakRisk(_) => {
                    assert!(read(figure, &summary).unwrap_err().contains("no leak-risk point at"), "{}", figure.name())
                }
                Figure::ResidueKindAt(..) | Figure::ResiduePlatformAt(..) => {
                    assert!(read(figure, &summary).unwrap_err().contains("no residue point at"), "{}", figure.name())
                }
                Figure::ConsoleBacklog(_) => {
                    assert!(
                        read(figure, &summary).unwrap_err().contains("no console-backlog point"),
                        "{}",
                        figure.name()
                    )
                }
                // Nor has it any pool.
                Figure::LatencyQuantile(Latency::QueueWait(_), _)
                | Figure::LatencyMean(Latency::QueueWait(_))
                | Figure::LatencyUnfinished(Latency::QueueWait(_)) => {
                    assert!(read(figure, &summary).unwrap_err().contains("has no pool"), "{}", figure.name())
                }
                _ => assert!(read(figure, &summary).is_ok(), "{}", figure.name()),
            }
        }
    }

    #[test]
    fn rates_are_read_where_the_summary_writes_them() {
        let mut summary = empty_summary("s");
        summary.metrics.lockout.overall = Proportion::new(3, 10).report("");
        let platform = Platform::ALL[0].name().to_owned();
        summary.metrics.lockout.by_platform.insert(platform, Proportion::new(1, 4).report(""));
        let counts = |figure| match read(figure, &summary) {
            Ok(Reading::Rate(view)) => Ok((view.hits, view.trials, view.null_reason)),
            Ok(_) => Err("not a rate".to_owned()),
            Err(reason) => Err(reason),
        };
        assert_eq!(counts(Figure::LockoutRate), Ok((3, 10, None)));
        assert_eq!(counts(Figure::PlatformLockoutRate(Platform::ALL[0])), Ok((1, 4, None)));
        assert!(counts(Figure::RaceRate).unwrap().2.unwrap().contains("no member was targeted"));
        assert_eq!(counts(Figure::Done), Err("not a rate".to_owned()));
        let kind = ResidueKind::ALL[0];
        summary.metrics.residue.by_kind.remove(kind.name());
        assert!(read(Figure::ResidueKindProbability(kind), &summary).unwrap_err().contains("no figure"));
        assert!(read(Figure::RaceKindRate(RaceKind::ExportCutOff), &summary).is_ok());
    }

    #[test]
    fn percentiles_carry_their_report() {
        let mut summary = empty_summary("s");
        summary.metrics.revocation_latency_ms = latency(5, 42);
        let figure = Figure::LatencyQuantile(Latency::Revocation, Quantile::P999);
        let Ok(Reading::Percentile { quantile, value_ms, report }) = read(figure, &summary) else { panic!() };
        assert_eq!((quantile, value_ms, report.count), (Quantile::P999, Some(42), 5));
    }

    #[test]
    fn rates_print_readably() {
        assert_eq!(format_rate(0.072), "0.0720");
        assert_eq!(format_rate(0.0), "0.0000");
        assert_eq!(format_rate(0.000012), "1.20e-5");
    }
}
