//! Residue over time (`metrics.residue.over_time`): the survival of residue
//! after unbind at the leak-risk points, per kind over the members whose
//! unbind took effect and per platform over the devices it touched, each a
//! rate over replications with the interval of every other rate; and the
//! residue-days per member of each kind, unbind to clearing, clipped at the
//! horizon, with its interval across replications. An item whose unbind +
//! t is past the horizon is not observed at t: it is left out of that
//! point's trials and counted in `past_horizon`. A kind no member could
//! leave in a replication has no trials there, as in the horizon snapshot.

use super::api_report::ApiEstimate;
use super::exposure::{estimate, point_key};
use super::interval::Level;
use super::proportion::{Proportion, ProportionReport};
use super::record::{ReplicationCounts, ReplicationRecord};
use crate::engine::SimDuration;
use crate::model::{Platform, ResidueKind, ResidueSurvivalTally};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One replication's residue survival, exact and mergeable.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResidueSurvivalRecord {
    pub points: Vec<ResiduePointRecord>,
    /// Per kind in `ResidueKind::ALL` order, member-milliseconds held from
    /// unbind to clearing, clipped at the horizon (empty: none counted).
    pub held_ms_by_kind: Vec<u64>,
}

/// One survival point of one replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResiduePointRecord {
    pub after_us: u64,
    /// Members whose unbind + t is no later than the horizon, and those
    /// past it.
    pub members: u64,
    pub members_past_horizon: u64,
    /// Per kind, members still holding it at unbind + t.
    pub held_by_kind: Vec<u64>,
    /// Per platform, touched devices observable at t and those holding any
    /// residue then; and those past the horizon.
    pub devices: Vec<Proportion>,
    pub devices_past_horizon: Vec<u64>,
}

impl ResidueSurvivalRecord {
    pub fn new(tally: &ResidueSurvivalTally) -> ResidueSurvivalRecord {
        let points = tally
            .points
            .iter()
            .map(|point| ResiduePointRecord {
                after_us: point.after.as_micros(),
                members: point.members,
                members_past_horizon: point.members_past_horizon,
                held_by_kind: point.held_by_kind.to_vec(),
                devices: point.devices.iter().map(|&count| count.into()).collect(),
                devices_past_horizon: point.devices_past_horizon.to_vec(),
            })
            .collect();
        ResidueSurvivalRecord { points, held_ms_by_kind: tally.held_ms_by_kind.to_vec() }
    }

    /// Counts add up; points are matched by position (an empty record, the
    /// start of a merge, takes the other's shape).
    pub fn merge(&mut self, other: &ResidueSurvivalRecord) {
        if self.points.is_empty() {
            self.points = other.points.iter().map(ResiduePointRecord::emptied).collect();
        }
        if self.held_ms_by_kind.is_empty() {
            self.held_ms_by_kind = vec![0; other.held_ms_by_kind.len()];
        }
        for (point, theirs) in self.points.iter_mut().zip(&other.points) {
            point.members += theirs.members;
            point.members_past_horizon += theirs.members_past_horizon;
            add_all(&mut point.held_by_kind, &theirs.held_by_kind);
            for (devices, their) in point.devices.iter_mut().zip(&theirs.devices) {
                devices.merge(*their);
            }
            add_all(&mut point.devices_past_horizon, &theirs.devices_past_horizon);
        }
        add_all(&mut self.held_ms_by_kind, &other.held_ms_by_kind);
    }

    /// Checks a record read from a file against the residue snapshot's
    /// `members` (those whose unbind took effect).
    pub fn check_shape(&self, members: u64) -> Result<(), String> {
        let (kinds, platforms) = (ResidueKind::ALL.len(), Platform::ALL.len());
        if !self.held_ms_by_kind.is_empty() && self.held_ms_by_kind.len() != kinds {
            return Err(format!("`residue_over_time` has {} kinds, expected {kinds}", self.held_ms_by_kind.len()));
        }
        for point in &self.points {
            let shaped = point.held_by_kind.len() == kinds
                && point.devices.len() == platforms
                && point.devices_past_horizon.len() == platforms;
            if !shaped {
                return Err("`residue_over_time` has a point with the wrong number of kinds or platforms".into());
            }
            if point.members.checked_add(point.members_past_horizon) != Some(members)
                || point.held_by_kind.iter().any(|&held| held > point.members)
                || point.devices.iter().any(|d| d.hits > d.trials)
            {
                return Err("`residue_over_time` does not count every unbound member once".into());
            }
        }
        Ok(())
    }
}

impl ResiduePointRecord {
    /// The same point with nothing counted.
    fn emptied(&self) -> ResiduePointRecord {
        ResiduePointRecord {
            after_us: self.after_us,
            members: 0,
            members_past_horizon: 0,
            held_by_kind: vec![0; self.held_by_kind.len()],
            devices: vec![Proportion::default(); self.devices.len()],
            devices_past_horizon: vec![0; self.devices_past_horizon.len()],
        }
    }
}

fn add_all(counts: &mut [u64], others: &[u64]) {
    for (count, theirs) in counts.iter_mut().zip(others) {
        *count += theirs;
    }
}

/// `metrics.residue.over_time`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResidueOverTimeReport {
    /// Per point (`1h`, `7d`, …).
    pub points: BTreeMap<String, ResidueSurvivalPoint>,
    /// Per kind: the mean time it was held, unbind to clearing or the
    /// horizon, in days per member whose unbind took effect (a lower
    /// bound wherever some is still held at the horizon).
    pub days_per_member: BTreeMap<String, ApiEstimate>,
    pub definition: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResidueSurvivalPoint {
    /// The time after the unbind, in milliseconds.
    pub after_ms: u64,
    /// Per kind: members still holding it, over those observable at t.
    pub by_kind: BTreeMap<String, ProportionReport>,
    /// Per platform: touched devices still holding any residue, over those
    /// observable at t.
    pub by_platform: BTreeMap<String, ProportionReport>,
    /// Members and devices whose unbind + t is past the horizon: not in
    /// the trials.
    pub members_past_horizon: u64,
    pub devices_past_horizon: BTreeMap<String, u64>,
}

const DEFINITION: &str = "share of members whose unbind took effect (by kind) and of devices it touched (by \
     platform) still holding residue t after the unbind, over those whose unbind + t is no later than the horizon \
     (the others are counted in past_horizon, not in the trials); residue cleared at a time (a wipe at check-in, \
     chat retention, a later cleanup) ends its survival then; days_per_member: unbind to clearing, clipped at the \
     horizon (a lower bound wherever some is still held there)";

const MS_PER_DAY: f64 = 86_400_000.0;

/// A kind's trials in one replication: none where no member could leave it.
fn kind_trials(counts: &ReplicationCounts, kind: ResidueKind, trials: u64) -> u64 {
    if counts.residue_at_risk_by_kind[kind.index()] > 0 { trials } else { 0 }
}

/// The survival of residue at `after` in one replication: by kind, none
/// where it could not occur or the point was not observed.
pub(super) fn kind_survival(counts: &ReplicationCounts, kind: ResidueKind, after: SimDuration) -> Option<Proportion> {
    let point = counts.residue_over_time.points.iter().find(|p| p.after_us == after.as_micros())?;
    Some(Proportion { hits: point.held_by_kind[kind.index()], trials: kind_trials(counts, kind, point.members) })
}

/// The same for a platform's devices.
pub(super) fn platform_survival(
    counts: &ReplicationCounts,
    platform: Platform,
    after: SimDuration,
) -> Option<Proportion> {
    let point = counts.residue_over_time.points.iter().find(|p| p.after_us == after.as_micros())?;
    Some(point.devices[platform.index()])
}

/// The residue survival of `totals` over `replications`.
pub(super) fn residue_over_time_report(
    totals: &ReplicationCounts,
    replications: &[ReplicationRecord],
    level: Level,
) -> ResidueOverTimeReport {
    let points = totals
        .residue_over_time
        .points
        .iter()
        .map(|point| {
            let after = SimDuration::from_micros(point.after_us);
            let rate = |pick: &dyn Fn(&ReplicationCounts) -> Option<Proportion>, reason: &str| {
                let each: Vec<Proportion> = replications.iter().map(|r| pick(&r.counts).unwrap_or_default()).collect();
                ProportionReport::over_replications(&each, reason, level)
            };
            let reason = "no unbind this long before the horizon could leave it";
            let by_kind = ResidueKind::ALL
                .iter()
                .map(|&kind| (kind.name().to_owned(), rate(&|c| kind_survival(c, kind, after), reason)))
                .collect();
            let by_platform = Platform::ALL
                .iter()
                .map(|&p| {
                    let reason = format!("no {} device was unbound this long before the horizon", p.name());
                    (p.name().to_owned(), rate(&|c| platform_survival(c, p, after), &reason))
                })
                .collect();
            let devices_past_horizon =
                Platform::ALL.iter().map(|p| (p.name().to_owned(), point.devices_past_horizon[p.index()])).collect();
            let report = ResidueSurvivalPoint {
                after_ms: point.after_us / 1_000,
                by_kind,
                by_platform,
                members_past_horizon: point.members_past_horizon,
                devices_past_horizon,
            };
            (point_key(after), report)
        })
        .collect();
    let days_per_member = ResidueKind::ALL
        .iter()
        .map(|&kind| {
            let pairs: Vec<(f64, u64)> = replications
                .iter()
                .map(|r| (held_days(&r.counts, kind), kind_trials(&r.counts, kind, r.counts.residue_members.trials)))
                .collect();
            (kind.name().to_owned(), estimate(&pairs, "members who could leave it", level))
        })
        .collect();
    ResidueOverTimeReport { points, days_per_member, definition: DEFINITION.to_owned() }
}

/// Member-days `kind` was held in one replication.
fn held_days(counts: &ReplicationCounts, kind: ResidueKind) -> f64 {
    counts.residue_over_time.held_ms_by_kind.get(kind.index()).map_or(0.0, |&ms| ms as f64 / MS_PER_DAY)
}

/// Days `kind` was held per member in one replication; none where no
/// member could leave it.
pub(super) fn held_days_per_member(counts: &ReplicationCounts, kind: ResidueKind) -> Option<f64> {
    let members = kind_trials(counts, kind, counts.residue_members.trials);
    (members > 0).then(|| held_days(counts, kind) / members as f64)
}
