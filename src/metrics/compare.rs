//! Comparing two policies replication by replication. Each replication
//! yields a set of figures (rates, latency percentiles); with common random
//! numbers replication *i* of A and of B see the same people, so the paired
//! differences B−A have a small spread and a narrow Student-t interval. The
//! independent alternative (Welch) is there to show how much pairing buys.
//!
//! Each figure gets a p-value — the exact sign-flip test over the paired
//! replications that differ (paired t beyond 16 of them), Welch's t when
//! independent — and a Holm-adjusted one over every figure compared. An
//! interval of width zero is shown only where the difference is zero by
//! construction (B is A's model on A's streams); when no replication
//! happens to differ, the interval is null with the reason and the exact
//! bound on how often a replication differs.

use super::api_report::{blocked_share, members};
use super::figures::quantile_ms;
use super::interval::{MeanInterval, mean_ci95, student_t_975};
use super::latency::LatencyHistogram;
use super::proportion::{Proportion, round9};
use super::record::{ReplicationCounts, ReplicationRecord, merged};
use super::residue_survival::{held_days_per_member, kind_survival, platform_survival};
use super::significance::{
    DiscreteTest, holm_adjusted_where_reachable, none_of_upper95, sign_flip_p_value, sign_flip_smallest_p,
    student_t_two_sided_p,
};
use super::summary::{LatencyReport, latency_report};
use crate::model::{LEAK_RISK_DEFAULT, Platform, PoolKind, RaceKind, ResidueKind};
use crate::scenario::{Figure, Latency, Quantile, Unit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The figures a comparison shows, where a replication has them; the
/// figures a baseline gate can check.
pub fn compared_figures() -> Vec<Figure> {
    let mut figures = vec![Figure::LockoutRate, Figure::ResidueProbability, Figure::RaceRate];
    figures.push(Figure::LockoutGivenUninstallRate);
    figures.extend(Platform::ALL.map(Figure::PlatformLockoutRate));
    figures.extend(ResidueKind::ALL.map(Figure::ResidueKindProbability));
    figures.push(Figure::GrantResidueProbability);
    figures.extend(RaceKind::ALL.map(Figure::RaceKindRate));
    figures.push(Figure::DoneShare);
    figures.extend([Figure::ApiCallsPerMember, Figure::ApiErrors45009, Figure::ApiBlockedShare]);
    figures.extend(Figure::LEAVER);
    figures.push(Figure::ExposureMeanToHorizon);
    figures.extend(LEAK_RISK_DEFAULT.map(Figure::LeakRisk));
    figures.extend(Figure::residue_over_time());
    figures.extend(Figure::BACKLOG);
    for latency in Latency::ALL {
        figures.extend([Quantile::P50, Quantile::P99].map(|quantile| Figure::LatencyQuantile(latency, quantile)));
        figures.push(Figure::LatencyMean(latency));
    }
    figures
}

/// The key of `figure` in a comparison: its name, with `_ms` after a latency.
pub fn comparison_key(figure: Figure) -> String {
    match figure.unit() {
        Unit::Milliseconds => format!("{}_{}", figure.name(), Unit::Milliseconds.name()),
        Unit::Fraction | Unit::Batches | Unit::Members | Unit::Events | Unit::Grants | Unit::Days | Unit::Requests => {
            figure.name()
        }
    }
}

/// One replication's figures, by comparison key.
pub type ReplicationFigures = BTreeMap<String, f64>;

/// The figures of one replication, by key.
pub fn replication_figures(record: &ReplicationRecord) -> ReplicationFigures {
    let none = LatencyHistogram::new();
    let latencies =
        Latency::ALL.map(|latency| latency_report(histogram(&record.counts, latency).unwrap_or(&none), 0, 0));
    compared_figures()
        .into_iter()
        .filter_map(|figure| Some((comparison_key(figure), replication_value(figure, record, &latencies)?)))
        .collect()
}

/// The value of `figure` in one replication, computed from its exact
/// counts (a summary rounds the overall race rate and keeps no hit count
/// for it): rates as hits over trials, none without trials; latencies
/// from the histograms (`latencies`, in `Latency::ALL` order), none
/// without a finished batch.
fn replication_value(figure: Figure, record: &ReplicationRecord, latencies: &[LatencyReport]) -> Option<f64> {
    let counts = &record.counts;
    let share = |hits, trials| Proportion { hits, trials }.rate();
    let latency_of =
        |latency: Latency| &latencies[Latency::ALL.iter().position(|l| *l == latency).expect("every latency")];
    let per = |total: f64, units: u64| (units > 0).then(|| total / units as f64);
    // A replication whose requests never reached the console has no API figure.
    let api_used = counts.api.calls + counts.api.errors_45009 > 0;
    let pool = |pool: PoolKind| counts.queues.iter().find(|queue| queue.name == pool.name());
    let backlog = &counts.console_backlog;
    let console_used = backlog.queued > 0;
    match figure {
        Figure::LatencyQuantile(latency, quantile) => quantile_ms(latency_of(latency), quantile).map(|ms| ms as f64),
        // The pool's own exact mean, as the summary's.
        Figure::LatencyMean(Latency::QueueWait(kind)) => {
            pool(kind).and_then(|queue| per(queue.wait_sum_us as f64 / 1e3, queue.served))
        }
        Figure::LatencyMean(latency) => latency_of(latency).mean,
        Figure::LatencyUnfinished(Latency::Batch) => Some(counts.batches_incomplete as f64),
        Figure::LatencyUnfinished(Latency::Revocation) => Some(counts.batches_unrevoked as f64),
        Figure::LatencyUnfinished(Latency::Lockout) => Some(counts.locked_out as f64),
        Figure::LatencyUnfinished(Latency::Exposure) => Some(counts.exposure.censored.times.count() as f64),
        Figure::LatencyUnfinished(Latency::TokenWindow) => Some(counts.exposure.tokens.censored.times.count() as f64),
        Figure::LatencyUnfinished(Latency::QueueWait(kind)) => {
            pool(kind).map(|queue| queue.waiting_at_horizon.times.count() as f64)
        }
        Figure::LockoutRate => merged(&counts.lockouts).rate(),
        Figure::LockoutGivenUninstallRate => merged(&counts.lockouts_given_uninstall).rate(),
        Figure::PlatformLockoutRate(platform) => counts.lockouts[platform.index()].rate(),
        Figure::ResidueProbability => counts.residue_members.rate(),
        Figure::ResidueKindProbability(kind) => {
            let at_risk = counts.residue_at_risk_by_kind[kind.index()] > 0;
            share(counts.residue_by_kind[kind.index()], if at_risk { counts.residue_members.trials } else { 0 })
        }
        Figure::GrantResidueProbability => counts.residue_grants.rate(),
        Figure::RaceRate => counts.members_raced.rate(),
        Figure::RaceKindRate(kind) => counts.races[kind.index()].units.rate(),
        Figure::DoneShare => share(counts.done, counts.done + counts.pending + counts.locked_out + counts.rolled_back),
        Figure::Done => Some(counts.done as f64),
        Figure::Pending => Some(counts.pending as f64),
        Figure::Events => Some(record.events as f64),
        Figure::TokenUsesPerGrant => {
            let race = &counts.races[RaceKind::TokenAfterDisable.index()];
            per(race.events as f64, race.units.trials)
        }
        Figure::TokenLastUseMean => {
            let raced = counts.races[RaceKind::TokenAfterDisable.index()].units.hits;
            per(counts.token_last_use_sum_s as f64 * 1e3, raced)
        }
        Figure::ApiCallsPerMember => api_used.then(|| counts.api.calls as f64 / members(counts) as f64),
        Figure::ApiErrors45009 => api_used.then_some(counts.api.errors_45009 as f64),
        Figure::ApiPeakPerMinute => api_used.then_some(counts.api.peak_per_minute as f64),
        Figure::ApiBlockedShare => blocked_share(&counts.api),
        Figure::AuditRecords => Some(counts.audit_records as f64),
        Figure::AuditKept => Some(counts.audit_kept as f64),
        Figure::AuditPerOffboarded => per(counts.audit_records as f64, counts.offboarded),
        Figure::GuardAborted => Some(counts.guard_aborted as f64),
        // Null, as in the summary, where no member could keep a module.
        Figure::KeptModuleAccess => {
            let access = counts.kept_modules.access;
            if access.hits > 0 { access.rate() } else { None }
        }
        Figure::KeptModuleUseRate => counts.kept_modules.used.rate(),
        Figure::CustomersLostRate => share(counts.customers.lost(), counts.customers.settled),
        Figure::CustomerHandoverCalls => (counts.customers.members > 0).then_some(counts.customers.calls as f64),
        Figure::CustomerHandoverTimeMean => per(counts.customers.time_sum_s as f64 * 1e3, counts.customers.done),
        Figure::ExposureMeanToHorizon => per(counts.exposure.total_ms as f64, counts.exposure.members),
        Figure::LeakRisk(after) => {
            counts.exposure.leak_risk.iter().find(|p| p.after_us == after.as_micros()).and_then(|p| p.live.rate())
        }
        Figure::ResidueKindAt(kind, after) => kind_survival(counts, kind, after)?.rate(),
        Figure::ResiduePlatformAt(platform, after) => platform_survival(counts, platform, after)?.rate(),
        Figure::ResidueDays(kind) => held_days_per_member(counts, kind),
        Figure::ConsoleBacklog(at) => backlog
            .points
            .iter()
            .find(|p| p.at_us == at.as_micros() && p.replications > 0)
            .filter(|_| console_used)
            .map(|p| p.waiting_sum as f64),
        Figure::ConsoleBacklogPeak => console_used.then_some(backlog.peak_sum as f64),
    }
}

/// The finished latencies of `latency`; none for a pool the run lacks.
fn histogram(counts: &ReplicationCounts, latency: Latency) -> Option<&LatencyHistogram> {
    Some(match latency {
        Latency::Batch => &counts.batch_latency,
        Latency::Revocation => &counts.revocation_latency,
        Latency::Lockout => &counts.lockout_duration,
        Latency::Exposure => &counts.exposure.ended,
        Latency::TokenWindow => &counts.exposure.tokens.ended,
        Latency::QueueWait(pool) => &counts.queues.iter().find(|queue| queue.name == pool.name())?.wait,
    })
}

/// The level of every test and interval of a comparison.
const ALPHA: f64 = 0.05;

/// A mean over replications with its 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: Option<[f64; 2]>,
    pub replications: usize,
}

/// How B's replications relate to A's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pairing {
    /// B is A's model on A's streams: every difference is zero by construction.
    SameModel,
    /// B on A's streams (common random numbers): replication *i* against replication *i*.
    Paired,
    /// B on streams of its own: two independent samples (Welch).
    Independent,
}

/// The test behind a figure's p-value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// B is A's model on A's streams: the difference is zero by construction (p = 1).
    ByConstruction,
    /// The exact sign-flip test over the paired replications that differ.
    SignFlipExact,
    /// The paired Student t test (more replications differ than the exact test enumerates).
    PairedT,
    /// Welch's unequal-variance t test.
    WelchT,
}

/// How many paired replications differ at all.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Differing {
    pub replications: usize,
    pub of: usize,
    /// With none differing: the exact 95 % upper bound on the chance that a replication differs.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub share_upper95: Option<f64>,
}

/// One figure compared: A, B, and the difference B−A.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FigureComparison {
    /// The figure's unit (the key says it too: `_ms` after a latency).
    #[serde(skip)]
    pub unit: Option<Unit>,
    pub a: Option<Estimate>,
    pub b: Option<Estimate>,
    /// Mean of B−A with its 95 % Student-t interval (paired, or Welch when
    /// independent); no interval when nothing varied that could give one.
    pub difference: Option<Estimate>,
    pub test: Option<Test>,
    pub p_value: Option<f64>,
    /// p < 0.05, for this figure alone.
    pub significant: Option<bool>,
    /// Holm-adjusted p-value over the figures of the comparison whose test
    /// can reach p < 0.05 at all (1 for a figure whose test cannot).
    pub p_holm: Option<f64>,
    /// `p_holm` < 0.05: the chance of any false "yes" in the family is at most 5 %.
    pub significant_holm: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub differing: Option<Differing>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
}

/// Every figure compared, and the family Holm's adjustment ran over.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// How many figures have a test that can reach p < 0.05: the family of
    /// the Holm adjustment (residue over time aside).
    pub holm_family: usize,
    /// The same for the residue-over-time figures, adjusted as a family of
    /// their own.
    pub residue_over_time_holm_family: usize,
    pub figures: BTreeMap<String, FigureComparison>,
}

/// One difference tested: its estimate, its p-value and what explains a missing part.
#[derive(Default)]
struct Tested {
    difference: Option<Estimate>,
    test: Option<Test>,
    p_value: Option<f64>,
    differing: Option<Differing>,
    reason: Option<String>,
}

/// Compares every figure either side produced; Holm's adjustment runs over
/// those whose test can reach p < 0.05.
pub fn compare_records(a: &[ReplicationRecord], b: &[ReplicationRecord], pairing: Pairing) -> Comparison {
    let a_figures: Vec<_> = a.iter().map(replication_figures).collect();
    let b_figures: Vec<_> = b.iter().map(replication_figures).collect();
    compare_figures(&a_figures, &b_figures, pairing)
}

/// Compares the figures of two sets of replications (replication *i* of
/// each at index *i*), as `compare_records` does.
pub fn compare_figures(
    a_figures: &[ReplicationFigures],
    b_figures: &[ReplicationFigures],
    pairing: Pairing,
) -> Comparison {
    let mut figures: BTreeMap<String, FigureComparison> = compared_figures()
        .into_iter()
        .filter_map(|figure| {
            let key = comparison_key(figure);
            let values = |side: &[ReplicationFigures]| -> Vec<f64> {
                side.iter().filter_map(|values| values.get(&key).copied()).collect()
            };
            let (a_values, b_values) = (values(a_figures), values(b_figures));
            if a_values.is_empty() && b_values.is_empty() {
                return None;
            }
            let tested = match pairing {
                Pairing::Independent => welch(&a_values, &b_values),
                Pairing::SameModel | Pairing::Paired => {
                    let pairs: Vec<f64> = a_figures
                        .iter()
                        .zip(b_figures)
                        .filter_map(|(fa, fb)| Some(fb.get(&key)? - fa.get(&key)?))
                        .collect();
                    paired(&pairs, pairing == Pairing::SameModel)
                }
            };
            Some((key, compare_figure(figure.unit(), &a_values, &b_values, tested)))
        })
        .collect();
    if pairing == Pairing::Paired {
        withhold_latency_intervals(&mut figures);
    }
    // Residue over time is a family of its own, so its many points leave
    // the other figures' adjusted p-values as they were.
    let residue_keys: Vec<String> = Figure::residue_over_time().into_iter().map(comparison_key).collect();
    let (mut over_time, mut others): (BTreeMap<_, _>, BTreeMap<_, _>) =
        figures.into_iter().partition(|(key, _)| residue_keys.contains(key));
    let holm_family = adjust_holm(&mut others);
    let residue_over_time_holm_family = adjust_holm(&mut over_time);
    others.append(&mut over_time);
    Comparison { holm_family, residue_over_time_holm_family, figures: others }
}

/// A latency is taken over the batches that finished. When some members
/// never finish but no paired replication happened to differ in which did,
/// a latency's interval sees only the replications without that rare
/// difference, which moves a latency far more when it occurs (measured:
/// such intervals covered half the time); so the interval is withheld,
/// with the reason, and the point difference and the test are kept.
fn withhold_latency_intervals(figures: &mut BTreeMap<String, FigureComparison>) {
    let Some(done) = figures.get(&comparison_key(Figure::DoneShare)) else { return };
    let incomplete = [done.a, done.b].iter().flatten().any(|side| side.mean < 1.0);
    let none_differ = done.differing.is_some_and(|differing| differing.replications == 0);
    if !(incomplete && none_differ) {
        return;
    }
    let of = done.differing.map_or(0, |differing| differing.of);
    for figure in figures.values_mut().filter(|figure| figure.unit == Some(Unit::Milliseconds)) {
        if let Some(difference) = figure.difference.as_mut().filter(|difference| difference.ci95.is_some()) {
            difference.ci95 = None;
            figure.null_reason = Some(format!(
                "no paired replication of {of} differs in which members finish, which some do not: a latency interval would leave out that rare, large difference"
            ));
        }
    }
}

/// Fills in the Holm-adjusted p-values; returns the size of the family.
fn adjust_holm(figures: &mut BTreeMap<String, FigureComparison>) -> usize {
    let mut tested: Vec<(&mut FigureComparison, DiscreteTest)> =
        figures.values_mut().filter_map(|figure| figure.discrete_test().map(|test| (figure, test))).collect();
    let (adjusted, family) =
        holm_adjusted_where_reachable(&tested.iter().map(|(_, test)| *test).collect::<Vec<_>>(), ALPHA);
    for ((figure, _), p) in tested.iter_mut().zip(adjusted) {
        figure.p_holm = Some(round9(p));
        figure.significant_holm = Some(p < ALPHA);
    }
    family
}

impl FigureComparison {
    /// The figure's test for Holm's adjustment: its p-value and the
    /// smallest one its test could give (the exact sign-flip test's is set
    /// by how many replications differ; a t test's has no floor).
    pub fn discrete_test(&self) -> Option<DiscreteTest> {
        let p_value = self.p_value?;
        let smallest_attainable = match self.test {
            Some(Test::ByConstruction) => 1.0,
            Some(Test::SignFlipExact) => {
                sign_flip_smallest_p(self.differing.map_or(0, |differing| differing.replications))
            }
            Some(Test::PairedT | Test::WelchT) | None => 0.0,
        };
        Some(DiscreteTest { p_value, smallest_attainable })
    }
}

fn estimate(values: &[f64]) -> Option<Estimate> {
    match values.len() {
        0 => None,
        1 => Some(Estimate { mean: round9(values[0]), ci95: None, replications: 1 }),
        _ => mean_ci95(values).map(|ci| Estimate {
            mean: round9(ci.mean),
            ci95: Some([round9(ci.low), round9(ci.high)]),
            replications: ci.n,
        }),
    }
}

fn compare_figure(unit: Unit, a: &[f64], b: &[f64], tested: Tested) -> FigureComparison {
    let null_reason = tested.reason.or_else(|| {
        tested.difference.is_none().then(|| match (a.len(), b.len()) {
            (0, _) | (_, 0) => "only one side produced this figure".to_owned(),
            _ => "fewer than two replications produced it on both sides".to_owned(),
        })
    });
    let p_value = tested.p_value.map(round9);
    FigureComparison {
        unit: Some(unit),
        a: estimate(a),
        b: estimate(b),
        difference: tested.difference,
        test: tested.test,
        p_value,
        significant: p_value.map(|p| p < ALPHA),
        p_holm: None,
        significant_holm: None,
        differing: tested.differing,
        null_reason,
    }
}

/// Paired differences: zero by construction when B is A; with none of them
/// non-zero, no interval (a Student-t one would have width zero) but the
/// bound on how often a replication differs; otherwise the Student-t
/// interval and the exact sign-flip test (paired t beyond its reach).
fn paired(differences: &[f64], same_model: bool) -> Tested {
    let n = differences.len();
    if n < 2 {
        return Tested::default();
    }
    let k = differences.iter().filter(|d| **d != 0.0).count();
    let zero = |ci95| Some(Estimate { mean: 0.0, ci95, replications: n });
    if k == 0 && same_model {
        return Tested {
            difference: zero(Some([0.0, 0.0])),
            test: Some(Test::ByConstruction),
            p_value: Some(1.0),
            ..Tested::default()
        };
    }
    if k == 0 {
        let bound = none_of_upper95(n);
        return Tested {
            difference: zero(None),
            test: Some(Test::SignFlipExact),
            p_value: Some(1.0),
            differing: Some(Differing { replications: 0, of: n, share_upper95: Some(round9(bound)) }),
            reason: Some(format!(
                "all {n} paired differences are zero; an exact sign test cannot reject, and a replication differs with probability at most {bound:.2} (95 %)"
            )),
        };
    }
    let (test, p_value) = match sign_flip_p_value(differences) {
        Some(p) => (Test::SignFlipExact, p),
        None => (Test::PairedT, paired_t_p_value(differences)),
    };
    let mut difference = estimate(differences);
    let constant = difference.and_then(|d| d.ci95).is_some_and(|[low, high]| low == high);
    if let Some(d) = difference.as_mut().filter(|_| constant) {
        d.ci95 = None;
    }
    Tested {
        difference,
        test: Some(test),
        p_value: Some(p_value),
        differing: Some(Differing { replications: k, of: n, share_upper95: None }),
        reason: constant.then(|| format!("all {n} paired differences are equal: no spread for an interval")),
    }
}

/// The standard error of the mean behind a Student-t interval.
fn standard_error(ci: &MeanInterval) -> f64 {
    (ci.high - ci.low) / 2.0 / student_t_975(ci.n as u64 - 1)
}

/// Two-sided p-value of the paired t test (at least two differences).
fn paired_t_p_value(differences: &[f64]) -> f64 {
    mean_ci95(differences).map_or(1.0, |ci| student_t_two_sided_p(ci.mean / standard_error(&ci), (ci.n - 1) as f64))
}

/// Difference of two independent means with Welch's interval and test;
/// no interval or test when neither side varies.
fn welch(a: &[f64], b: &[f64]) -> Tested {
    let (Some(ca), Some(cb)) = (mean_ci95(a), mean_ci95(b)) else { return Tested::default() };
    let (va, vb) = (standard_error(&ca).powi(2), standard_error(&cb).powi(2));
    let (mean, se, replications) = (cb.mean - ca.mean, (va + vb).sqrt(), ca.n.min(cb.n));
    if se == 0.0 {
        return Tested {
            difference: Some(Estimate { mean: round9(mean), ci95: None, replications }),
            reason: Some(format!(
                "every replication of A gave {} and every one of B {}: no spread for an interval or a test",
                round9(ca.mean),
                round9(cb.mean)
            )),
            ..Tested::default()
        };
    }
    let df = (va + vb).powi(2) / (va * va / (ca.n - 1) as f64 + vb * vb / (cb.n - 1) as f64);
    let half = student_t_975(df.floor().max(1.0) as u64) * se;
    Tested {
        difference: Some(Estimate {
            mean: round9(mean),
            ci95: Some([round9(mean - half), round9(mean + half)]),
            replications,
        }),
        test: Some(Test::WelchT),
        p_value: Some(student_t_two_sided_p(mean / se, df)),
        ..Tested::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Stop;
    use crate::model::{Count, Observations};

    /// Replication `index` with `hits` lockouts out of 10 on the first
    /// platform and a batch that took `index + 1` seconds.
    fn record(index: u32, hits: u64) -> ReplicationRecord {
        let mut observations = Observations::default();
        observations.lockouts_by_platform[0] = Count { hits, trials: 10 };
        observations.batch_latencies_us = vec![u64::from(index + 1) * 1_000_000];
        ReplicationRecord::new(index, 100, Stop::Horizon, &observations)
    }

    fn records(hits: &[u64]) -> Vec<ReplicationRecord> {
        hits.iter().zip(0..).map(|(hits, i)| record(i, *hits)).collect()
    }

    #[test]
    fn the_same_model_differs_by_zero_by_construction_and_says_so() {
        let records = records(&[1, 2, 4, 3]);
        let comparison = compare_records(&records, &records.clone(), Pairing::SameModel);
        assert!(comparison.figures.len() >= 2, "{comparison:?}");
        // p = 1 by construction: no figure can reject, so none is in Holm's family.
        assert_eq!(comparison.holm_family, 0);
        for (name, figure) in &comparison.figures {
            let (a, b) = (figure.a.unwrap(), figure.b.unwrap());
            assert_eq!(a, b, "{name}");
            assert_eq!(a.replications, 4, "{name}");
            let difference = figure.difference.unwrap();
            assert_eq!((difference.mean, difference.ci95), (0.0, Some([0.0, 0.0])), "{name}");
            assert_eq!(figure.test, Some(Test::ByConstruction), "{name}");
            assert_eq!((figure.significant, figure.significant_holm), (Some(false), Some(false)), "{name}");
        }
        assert_eq!(comparison.figures["lockout_rate"].a.unwrap().mean, 0.25);
        assert!(comparison.figures.contains_key("batch_latency_p50_ms"), "latency keys carry their unit");
    }

    #[test]
    fn a_rare_outcome_that_never_differs_gets_no_zero_width_interval() {
        let hits = [0, 0, 1, 0, 0, 0, 0, 2, 0, 0];
        let comparison = compare_records(&records(&hits), &records(&hits), Pairing::Paired);
        let figure = &comparison.figures["lockout_rate"];
        let difference = figure.difference.unwrap();
        assert_eq!((difference.mean, difference.ci95), (0.0, None));
        assert_eq!((figure.p_value, figure.significant), (Some(1.0), Some(false)));
        let reason = figure.null_reason.as_deref().unwrap();
        assert!(reason.contains("all 10 paired differences are zero") && reason.contains("at most 0.31"), "{reason}");
        assert_eq!(figure.differing.unwrap().share_upper95, Some(0.308497108));
    }

    #[test]
    fn one_differing_replication_gives_a_real_interval_and_an_exact_p_of_one() {
        let a = records(&[0, 0, 1, 0, 0, 0, 0, 2, 0, 0]);
        let b = records(&[0, 0, 1, 0, 1, 0, 0, 2, 0, 0]);
        let figure = &compare_records(&a, &b, Pairing::Paired).figures["lockout_rate"];
        let [low, high] = figure.difference.unwrap().ci95.unwrap();
        assert!(low < 0.0 && high > 0.01, "{low} {high}");
        assert_eq!((figure.test, figure.p_value), (Some(Test::SignFlipExact), Some(1.0)));
        assert_eq!(figure.differing.unwrap().replications, 1);
    }

    #[test]
    fn holm_runs_over_every_figure_whose_test_can_reject() {
        let a = records(&[1, 2, 1, 2, 1, 2, 1, 2]);
        let b = records(&[3, 4, 3, 5, 3, 4, 4, 5]);
        let comparison = compare_records(&a, &b, Pairing::Paired);
        let figure = &comparison.figures["lockout_rate"];
        // Eight positive differences: 2 of 256 sign patterns are as extreme.
        assert_eq!(figure.p_value, Some(0.0078125));
        let reachable = |f: &FigureComparison| f.discrete_test().is_some_and(|test| test.smallest_attainable < 0.05);
        let family = comparison.figures.values().filter(|f| reachable(f)).count();
        assert!(family >= 1 && family < comparison.figures.len(), "{family}");
        assert_eq!(comparison.holm_family + comparison.residue_over_time_holm_family, family);
        assert!(figure.p_holm.unwrap() >= figure.p_value.unwrap());
        assert_eq!(figure.significant, Some(true));
    }

    #[test]
    fn latency_intervals_are_withheld_while_unfinished_members_never_differ() {
        let with_unfinished = |index: u32, hits: u64, extra_us: u64| {
            let mut observations = Observations::default();
            observations.lockouts_by_platform[0] = Count { hits, trials: 10 };
            observations.batch_latencies_us = vec![u64::from(index + 1) * 1_000_000 + extra_us];
            observations.outcomes.done = 9;
            observations.outcomes.pending = 1;
            ReplicationRecord::new(index, 100, Stop::Horizon, &observations)
        };
        let a: Vec<_> = (0..6).map(|i| with_unfinished(i, 1, 0)).collect();
        let b: Vec<_> = (0..6).map(|i| with_unfinished(i, 1, 500_000 + u64::from(i) * 100_000)).collect();
        let comparison = compare_records(&a, &b, Pairing::Paired);
        let latency = &comparison.figures["batch_latency_mean_ms"];
        assert_eq!(latency.difference.unwrap().ci95, None, "{latency:?}");
        assert!(latency.null_reason.as_deref().unwrap().contains("which members finish"), "{latency:?}");
        assert_eq!(latency.p_value, Some(0.03125), "six later batches: the test stands");
    }

    #[test]
    fn welch_interval_is_wider_than_paired_for_correlated_values() {
        let a = [0.10, 0.20, 0.30, 0.40, 0.50];
        let b = [0.12, 0.21, 0.33, 0.41, 0.52];
        let paired_differences: Vec<f64> = a.iter().zip(&b).map(|(x, y)| y - x).collect();
        let tested = paired(&paired_differences, false);
        let paired_ci = tested.difference.unwrap().ci95.unwrap();
        let welch_tested = welch(&a, &b);
        let welch_ci = welch_tested.difference.unwrap().ci95.unwrap();
        assert!(welch_ci[1] - welch_ci[0] > 10.0 * (paired_ci[1] - paired_ci[0]));
        assert!(paired_ci[0] > 0.0, "the paired difference is significant by its interval");
        assert_eq!(tested.p_value, Some(0.0625), "but five differences cannot reach 5 % exactly");
        assert!(welch_tested.p_value.unwrap() > 0.5);
    }

    #[test]
    fn welch_without_spread_gives_no_interval() {
        let tested = welch(&[0.0; 4], &[0.0; 4]);
        assert_eq!(tested.difference.unwrap().ci95, None);
        assert!(tested.p_value.is_none() && tested.reason.is_some());
    }
}
