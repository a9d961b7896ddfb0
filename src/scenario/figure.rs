//! The figures a run reports, named once: what `[slo]` objectives,
//! baseline checks, comparisons, sweeps and the printed table call each
//! figure, in which unit, and which figures an objective may constrain.
//! `metrics::read` reads any figure from a summary. A new figure is a
//! variant here; the compiler then asks for its name, unit and objective
//! arm here, its reading in `metrics/figures.rs` and its per-replication
//! value in `metrics/compare.rs`.

use super::units::parse_duration;
use crate::engine::SimDuration;
use crate::model::{LEAK_RISK_DEFAULT, Platform, PoolKind, RaceKind, ResidueKind};

/// A latency percentile a summary holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantile {
    P50,
    P90,
    P99,
    P999,
    Max,
}

impl Quantile {
    pub const ALL: [Quantile; 5] = [Quantile::P50, Quantile::P90, Quantile::P99, Quantile::P999, Quantile::Max];

    /// As summaries and objective keys spell it: `p50`, `p999`, `max`.
    pub fn key(self) -> &'static str {
        match self {
            Quantile::P50 => "p50",
            Quantile::P90 => "p90",
            Quantile::P99 => "p99",
            Quantile::P999 => "p999",
            Quantile::Max => "max",
        }
    }

    /// As explanations and tables print it: `p50`, `p99.9`, `max`.
    pub fn label(self) -> &'static str {
        match self {
            Quantile::P999 => "p99.9",
            Quantile::P50 | Quantile::P90 | Quantile::P99 | Quantile::Max => self.key(),
        }
    }

    /// Samples the quantile needs before its point value means anything:
    /// `1 / (1 - q)` rounded up (p99 needs 100), and 1 for the maximum.
    pub fn minimum_samples(self) -> u64 {
        match self {
            Quantile::P50 => 2,
            Quantile::P90 => 10,
            Quantile::P99 => 100,
            Quantile::P999 => 1000,
            Quantile::Max => 1,
        }
    }
}

/// Which latency: to the last member fully unbound, to the last account
/// revoked, or how long a locked-out account waits for its recovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Latency {
    Batch,
    Revocation,
    /// Lock to recovery of an account locked by uninstalling first; its
    /// "unfinished" are the accounts still locked out at the horizon.
    Lockout,
    /// An offboarded member's exposure window, decision to the end of its
    /// last live access path; its "unfinished" are the members still
    /// exposed at the horizon.
    Exposure,
    /// A revoked grant's acceptance window, revocation to the app's last
    /// acceptance of its token or session; its "unfinished" are the grants
    /// still accepted at the horizon.
    TokenWindow,
    /// A request's wait in a pool, arrival to a server taking it; its
    /// "unfinished" are the requests still in line at the horizon.
    QueueWait(PoolKind),
}

impl Latency {
    pub const ALL: [Latency; 8] = [
        Latency::Batch,
        Latency::Revocation,
        Latency::Lockout,
        Latency::Exposure,
        Latency::TokenWindow,
        Latency::QueueWait(PoolKind::Approvers),
        Latency::QueueWait(PoolKind::ComplianceOfficers),
        Latency::QueueWait(PoolKind::Rebinders),
    ];

    pub fn name(self) -> &'static str {
        match self {
            Latency::Batch => "batch_latency",
            Latency::Revocation => "revocation_latency",
            Latency::Lockout => "lockout_duration",
            Latency::Exposure => "exposure",
            Latency::TokenWindow => "token_window",
            Latency::QueueWait(PoolKind::Approvers) => "queue_approvers_wait",
            Latency::QueueWait(PoolKind::ComplianceOfficers) => "queue_compliance_officers_wait",
            Latency::QueueWait(PoolKind::Rebinders) => "queue_rebinders_wait",
        }
    }
}

/// What one unit of a figure is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Milliseconds,
    /// A rate or probability in [0, 1], with a 95 % interval.
    Fraction,
    Batches,
    Members,
    Events,
    Grants,
    /// Member-days per member.
    Days,
    Requests,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Unit::Milliseconds => "ms",
            Unit::Fraction => "fraction",
            Unit::Batches => "batches",
            Unit::Members => "members",
            Unit::Events => "events",
            Unit::Grants => "grants",
            Unit::Days => "days",
            Unit::Requests => "requests",
        }
    }
}

/// One figure of a run's results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// A latency percentile, in milliseconds.
    LatencyQuantile(Latency, Quantile),
    /// The mean latency, in milliseconds.
    LatencyMean(Latency),
    /// Batches not finished (or not revoked) at the horizon.
    LatencyUnfinished(Latency),
    LockoutRate,
    /// Lockouts among device changes that uninstalled the app first.
    LockoutGivenUninstallRate,
    PlatformLockoutRate(Platform),
    ResidueProbability,
    ResidueKindProbability(ResidueKind),
    /// Revoked grants whose app data survives.
    GrantResidueProbability,
    RaceRate,
    RaceKindRate(RaceKind),
    /// Targeted members fully unbound at the horizon, out of all targeted.
    DoneShare,
    Done,
    Pending,
    Events,
    /// Accepted uses of revoked grants' tokens, per revoked grant.
    TokenUsesPerGrant,
    /// Mean time from a grant's revocation to its token's last accepted use.
    TokenLastUseMean,
    /// Directory API calls per member of the org.
    ApiCallsPerMember,
    /// Calls refused by an API limit (error 45009), per replication.
    ApiErrors45009,
    /// Most API calls in one fixed minute, averaged over replications.
    ApiPeakPerMinute,
    /// Time the console was blocked by an API limit, over the horizon.
    ApiBlockedShare,
    /// Audit records written (one per admin action).
    AuditRecords,
    /// Audit records still inside `policy.audit_retention` at the horizon
    /// (all of them when the retention reaches back past the start).
    AuditKept,
    /// Audit records per member whose account was cut.
    AuditPerOffboarded,
    /// Full-overwrite imports the mass-deletion guard aborted.
    GuardAborted,
    /// Offboarded members who kept a module live (`policy.keep_modules`).
    KeptModuleAccess,
    /// Members with a module kept who reached it after their account was
    /// cut, by the horizon.
    KeptModuleUseRate,
    /// Customers lost at handover (refused, or over the successor's
    /// quota) among those whose takeover ended by the horizon.
    CustomersLostRate,
    /// Customer transfer calls per replication.
    CustomerHandoverCalls,
    /// Mean time from a leave to the last customer and group chat taken
    /// over, over the handovers finished by the horizon.
    CustomerHandoverTimeMean,
    /// Mean exposure window up to the horizon over every offboarded
    /// member (one still exposed there counts horizon − decision).
    ExposureMeanToHorizon,
    /// Offboarded members with any live access path this long after
    /// their decision, among those whose decision + it is no later than
    /// the horizon.
    LeakRisk(SimDuration),
    /// Members whose unbind took effect still holding this kind of residue
    /// this long after the unbind, among those whose unbind + it is no
    /// later than the horizon.
    ResidueKindAt(ResidueKind, SimDuration),
    /// Devices of this platform an unbind touched still holding any
    /// residue this long after the unbind, the same way.
    ResiduePlatformAt(Platform, SimDuration),
    /// The days a kind of residue was held, unbind to clearing, clipped at
    /// the horizon, per member whose unbind took effect.
    ResidueDays(ResidueKind),
    /// Members queued for the admin console this long after the start of
    /// the run, the mean over replications.
    ConsoleBacklog(SimDuration),
    /// The most members queued for the console at once, the mean over
    /// replications.
    ConsoleBacklogPeak,
}

impl Figure {
    /// Every figure: latencies, the three headline rates, then the rates
    /// by platform and kind, then outcome counts.
    pub fn all() -> Vec<Figure> {
        let mut figures = Vec::new();
        for latency in Latency::ALL {
            figures.extend(Quantile::ALL.map(|quantile| Figure::LatencyQuantile(latency, quantile)));
            figures.extend([Figure::LatencyMean(latency), Figure::LatencyUnfinished(latency)]);
        }
        figures.extend([Figure::LockoutRate, Figure::ResidueProbability, Figure::RaceRate]);
        figures.push(Figure::LockoutGivenUninstallRate);
        figures.extend(Platform::ALL.map(Figure::PlatformLockoutRate));
        figures.extend(ResidueKind::ALL.map(Figure::ResidueKindProbability));
        figures.push(Figure::GrantResidueProbability);
        figures.extend(RaceKind::ALL.map(Figure::RaceKindRate));
        figures.extend([Figure::DoneShare, Figure::Done, Figure::Pending, Figure::Events]);
        figures.extend([Figure::TokenUsesPerGrant, Figure::TokenLastUseMean]);
        figures.extend([
            Figure::ApiCallsPerMember,
            Figure::ApiErrors45009,
            Figure::ApiPeakPerMinute,
            Figure::ApiBlockedShare,
        ]);
        figures.extend([Figure::AuditRecords, Figure::AuditKept, Figure::AuditPerOffboarded, Figure::GuardAborted]);
        figures.extend(Figure::LEAVER);
        figures.push(Figure::ExposureMeanToHorizon);
        figures.extend(LEAK_RISK_DEFAULT.map(Figure::LeakRisk));
        figures.extend(Figure::residue_over_time());
        figures
    }

    /// Residue over time at the default points: each kind, then each
    /// platform, at 1 h … 90 d; then each kind's residue-days.
    pub fn residue_over_time() -> Vec<Figure> {
        let mut figures = Vec::new();
        for kind in ResidueKind::ALL {
            figures.extend(LEAK_RISK_DEFAULT.map(|after| Figure::ResidueKindAt(kind, after)));
        }
        for platform in Platform::ALL {
            figures.extend(LEAK_RISK_DEFAULT.map(|after| Figure::ResiduePlatformAt(platform, after)));
        }
        figures.extend(ResidueKind::ALL.map(Figure::ResidueDays));
        figures.extend(Figure::BACKLOG);
        figures
    }

    /// The console's backlog at the default points and at its peak.
    pub const BACKLOG: [Figure; LEAK_RISK_DEFAULT.len() + 1] = [
        Figure::ConsoleBacklog(LEAK_RISK_DEFAULT[0]),
        Figure::ConsoleBacklog(LEAK_RISK_DEFAULT[1]),
        Figure::ConsoleBacklog(LEAK_RISK_DEFAULT[2]),
        Figure::ConsoleBacklog(LEAK_RISK_DEFAULT[3]),
        Figure::ConsoleBacklog(LEAK_RISK_DEFAULT[4]),
        Figure::ConsoleBacklogPeak,
    ];

    /// What a leaving member leaves: kept modules and customers.
    pub const LEAVER: [Figure; 5] = [
        Figure::KeptModuleAccess,
        Figure::KeptModuleUseRate,
        Figure::CustomersLostRate,
        Figure::CustomerHandoverCalls,
        Figure::CustomerHandoverTimeMean,
    ];

    /// The figure's name in every output and in `[slo]`: `lockout_rate`,
    /// `batch_latency_p99`, `residue_credentials_probability`.
    pub fn name(self) -> String {
        match self {
            Figure::LatencyQuantile(latency, quantile) => format!("{}_{}", latency.name(), quantile.key()),
            Figure::LatencyMean(latency) => format!("{}_mean", latency.name()),
            Figure::LatencyUnfinished(latency) => format!("{}_incomplete", latency.name()),
            Figure::LockoutRate => "lockout_rate".to_owned(),
            Figure::LockoutGivenUninstallRate => "lockout_given_uninstall_rate".to_owned(),
            Figure::PlatformLockoutRate(platform) => format!("lockout_{}_rate", platform.name()),
            Figure::ResidueProbability => "residue_probability".to_owned(),
            Figure::ResidueKindProbability(kind) => format!("residue_{}_probability", kind.name()),
            Figure::GrantResidueProbability => "residue_app_data_per_grant_probability".to_owned(),
            Figure::RaceRate => "race_rate".to_owned(),
            Figure::RaceKindRate(kind) => format!("{}_rate", kind.name()),
            Figure::DoneShare => "done_share".to_owned(),
            Figure::Done => "done".to_owned(),
            Figure::Pending => "pending".to_owned(),
            Figure::Events => "events".to_owned(),
            Figure::TokenUsesPerGrant => "token_uses_per_revoked_grant".to_owned(),
            Figure::TokenLastUseMean => "token_last_use_after_revocation_mean".to_owned(),
            Figure::ApiCallsPerMember => "api_calls_per_member".to_owned(),
            Figure::ApiErrors45009 => "api_errors_45009".to_owned(),
            Figure::ApiPeakPerMinute => "api_peak_calls_per_minute".to_owned(),
            Figure::ApiBlockedShare => "api_blocked_share".to_owned(),
            Figure::AuditRecords => "audit_records".to_owned(),
            Figure::AuditKept => "audit_records_kept".to_owned(),
            Figure::AuditPerOffboarded => "audit_records_per_offboarded_member".to_owned(),
            Figure::GuardAborted => "guard_aborted_imports".to_owned(),
            Figure::KeptModuleAccess => "kept_module_access".to_owned(),
            Figure::KeptModuleUseRate => "kept_module_use_rate".to_owned(),
            Figure::CustomersLostRate => "customers_lost_rate".to_owned(),
            Figure::CustomerHandoverCalls => "customer_handover_calls".to_owned(),
            Figure::CustomerHandoverTimeMean => "customer_handover_time_mean".to_owned(),
            Figure::ExposureMeanToHorizon => "exposure_mean_to_horizon".to_owned(),
            Figure::LeakRisk(after) => format!("{LEAK_RISK}{}", after.exact_text()),
            Figure::ResidueKindAt(kind, after) => format!("{RESIDUE}{}_{}", kind.name(), after.exact_text()),
            Figure::ResiduePlatformAt(platform, after) => {
                format!("{RESIDUE}{}_{}", platform.name(), after.exact_text())
            }
            Figure::ResidueDays(kind) => format!("{RESIDUE}{}_days_per_member", kind.name()),
            Figure::ConsoleBacklog(at) => format!("{CONSOLE_BACKLOG}{}", at.exact_text()),
            Figure::ConsoleBacklogPeak => format!("{CONSOLE_BACKLOG}peak"),
        }
    }

    /// What one unit of the figure is.
    pub fn unit(self) -> Unit {
        match self {
            Figure::LatencyQuantile(..)
            | Figure::LatencyMean(_)
            | Figure::TokenLastUseMean
            | Figure::CustomerHandoverTimeMean
            | Figure::ExposureMeanToHorizon => Unit::Milliseconds,
            Figure::LatencyUnfinished(Latency::Batch | Latency::Revocation) => Unit::Batches,
            Figure::LatencyUnfinished(Latency::Lockout | Latency::Exposure) => Unit::Members,
            Figure::LatencyUnfinished(Latency::TokenWindow) => Unit::Grants,
            Figure::LatencyUnfinished(Latency::QueueWait(_)) => Unit::Requests,
            Figure::ConsoleBacklog(_) | Figure::ConsoleBacklogPeak => Unit::Members,
            Figure::LockoutRate
            | Figure::LockoutGivenUninstallRate
            | Figure::PlatformLockoutRate(_)
            | Figure::ResidueProbability
            | Figure::ResidueKindProbability(_)
            | Figure::GrantResidueProbability
            | Figure::RaceRate
            | Figure::RaceKindRate(_)
            | Figure::DoneShare
            | Figure::ApiBlockedShare
            | Figure::KeptModuleAccess
            | Figure::KeptModuleUseRate
            | Figure::CustomersLostRate
            | Figure::LeakRisk(_)
            | Figure::ResidueKindAt(..)
            | Figure::ResiduePlatformAt(..) => Unit::Fraction,
            Figure::ResidueDays(_) => Unit::Days,
            Figure::Done | Figure::Pending => Unit::Members,
            Figure::Events
            | Figure::TokenUsesPerGrant
            | Figure::ApiCallsPerMember
            | Figure::ApiErrors45009
            | Figure::ApiPeakPerMinute
            | Figure::CustomerHandoverCalls => Unit::Events,
            Figure::AuditRecords | Figure::AuditKept | Figure::AuditPerOffboarded | Figure::GuardAborted => {
                Unit::Events
            }
        }
    }

    /// Whether an `[slo]` objective may constrain the figure: the latency
    /// percentiles, and the rates a summary carries an interval for.
    pub fn is_objective(self) -> bool {
        match self {
            Figure::LatencyQuantile(..)
            | Figure::LockoutRate
            | Figure::LockoutGivenUninstallRate
            | Figure::ResidueProbability
            | Figure::ResidueKindProbability(_)
            | Figure::RaceRate
            | Figure::RaceKindRate(_)
            | Figure::KeptModuleAccess
            | Figure::KeptModuleUseRate
            | Figure::CustomersLostRate
            | Figure::LeakRisk(_)
            | Figure::ResidueKindAt(..)
            | Figure::ResiduePlatformAt(..) => true,
            Figure::CustomerHandoverCalls
            | Figure::CustomerHandoverTimeMean
            | Figure::ExposureMeanToHorizon
            | Figure::ResidueDays(_)
            | Figure::ConsoleBacklog(_)
            | Figure::ConsoleBacklogPeak => false,
            Figure::LatencyMean(_)
            | Figure::LatencyUnfinished(_)
            | Figure::PlatformLockoutRate(_)
            | Figure::GrantResidueProbability
            | Figure::DoneShare
            | Figure::Done
            | Figure::Pending
            | Figure::Events
            | Figure::TokenUsesPerGrant
            | Figure::TokenLastUseMean
            | Figure::ApiCallsPerMember
            | Figure::ApiErrors45009
            | Figure::ApiPeakPerMinute
            | Figure::ApiBlockedShare => false,
            Figure::AuditRecords | Figure::AuditKept | Figure::AuditPerOffboarded | Figure::GuardAborted => false,
        }
    }

    /// Whether a rise in the figure is a regression: true for every
    /// latency, rate, count of unfinished or pending work and event count;
    /// false for the members fully unbound (their share and number) and
    /// for the audit records written and kept (the trail is the point).
    pub fn higher_is_worse(self) -> bool {
        match self {
            Figure::DoneShare | Figure::Done | Figure::AuditRecords | Figure::AuditKept => false,
            Figure::LatencyQuantile(..)
            | Figure::LatencyMean(_)
            | Figure::LatencyUnfinished(_)
            | Figure::LockoutRate
            | Figure::LockoutGivenUninstallRate
            | Figure::PlatformLockoutRate(_)
            | Figure::ResidueProbability
            | Figure::ResidueKindProbability(_)
            | Figure::GrantResidueProbability
            | Figure::RaceRate
            | Figure::RaceKindRate(_)
            | Figure::TokenUsesPerGrant
            | Figure::TokenLastUseMean
            | Figure::ApiCallsPerMember
            | Figure::ApiErrors45009
            | Figure::ApiPeakPerMinute
            | Figure::ApiBlockedShare
            | Figure::AuditPerOffboarded
            | Figure::GuardAborted
            | Figure::Pending
            | Figure::Events
            | Figure::KeptModuleAccess
            | Figure::KeptModuleUseRate
            | Figure::CustomersLostRate
            | Figure::CustomerHandoverCalls
            | Figure::CustomerHandoverTimeMean
            | Figure::ExposureMeanToHorizon
            | Figure::LeakRisk(_)
            | Figure::ResidueKindAt(..)
            | Figure::ResiduePlatformAt(..)
            | Figure::ResidueDays(_)
            | Figure::ConsoleBacklog(_)
            | Figure::ConsoleBacklogPeak => true,
        }
    }

    /// The figure called `name`; a leak-risk or residue point at any
    /// time a scenario may ask for (`leak_risk_12h`, `residue_ios_12h`) as
    /// well as the defaults.
    pub fn named(name: &str) -> Option<Figure> {
        let listed = Figure::all().into_iter().find(|figure| figure.name() == name);
        listed
            .or_else(|| Figure::leak_risk_named(name))
            .or_else(|| Figure::residue_point_named(name))
            .or_else(|| Figure::console_backlog_named(name))
    }

    fn leak_risk_named(name: &str) -> Option<Figure> {
        let after = parse_duration(name.strip_prefix(LEAK_RISK)?).ok()?;
        let figure = Figure::LeakRisk(after);
        (!after.is_zero() && figure.name() == name).then_some(figure)
    }

    /// `residue_<kind>_<t>` or `residue_<platform>_<t>`.
    fn residue_point_named(name: &str) -> Option<Figure> {
        let (what, after) = name.strip_prefix(RESIDUE)?.rsplit_once('_')?;
        let after = parse_duration(after).ok()?;
        let kind = ResidueKind::ALL.into_iter().find(|kind| kind.name() == what);
        let platform = Platform::ALL.into_iter().find(|platform| platform.name() == what);
        let figure = kind
            .map(|kind| Figure::ResidueKindAt(kind, after))
            .or_else(|| platform.map(|platform| Figure::ResiduePlatformAt(platform, after)))?;
        (!after.is_zero() && figure.name() == name).then_some(figure)
    }

    fn console_backlog_named(name: &str) -> Option<Figure> {
        let at = parse_duration(name.strip_prefix(CONSOLE_BACKLOG)?).ok()?;
        let figure = Figure::ConsoleBacklog(at);
        (!at.is_zero() && figure.name() == name).then_some(figure)
    }
}

/// The prefix of a leak-risk point's name.
const LEAK_RISK: &str = "leak_risk_";

/// The prefix of a residue figure's name.
const RESIDUE: &str = "residue_";

/// The prefix of a console-backlog figure's name.
const CONSOLE_BACKLOG: &str = "console_backlog_";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_read_back() {
        let figures = Figure::all();
        for figure in &figures {
            assert_eq!(Figure::named(&figure.name()), Some(*figure));
        }
        let mut names: Vec<String> = figures.iter().map(|f| f.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), figures.len());
    }

    #[test]
    fn residue_points_are_named_by_kind_or_platform_and_time() {
        let credentials = Figure::ResidueKindAt(ResidueKind::Credentials, SimDuration::from_days(30));
        assert_eq!(credentials.name(), "residue_credentials_30d");
        assert_eq!(
            Figure::named("residue_chat_history_12h").map(Figure::name).as_deref(),
            Some("residue_chat_history_12h")
        );
        assert_eq!(
            Figure::named("residue_ios_7d"),
            Some(Figure::ResiduePlatformAt(Platform::Ios, SimDuration::from_days(7)))
        );
        assert_eq!(Figure::ResidueDays(ResidueKind::SdCache).name(), "residue_sd_cache_days_per_member");
        for refused in ["residue_credentials_0s", "residue_phone_7d", "residue_credentials", "residue_ios_7days"] {
            assert_eq!(Figure::named(refused), None, "{refused}");
        }
        assert!(credentials.is_objective() && !Figure::ResidueDays(ResidueKind::Credentials).is_objective());
    }

    #[test]
    fn quantiles_are_spelled_as_in_summaries() {
        assert_eq!(Quantile::ALL.map(Quantile::key), ["p50", "p90", "p99", "p999", "max"]);
        assert_eq!(Quantile::ALL.map(Quantile::label), ["p50", "p90", "p99", "p99.9", "max"]);
        assert_eq!(Quantile::ALL.map(Quantile::minimum_samples), [2, 10, 100, 1000, 1]);
        assert_eq!(Figure::LatencyQuantile(Latency::Revocation, Quantile::P999).name(), "revocation_latency_p999");
    }
}
