//! Residue over time: what one run counts of the survival of residue after
//! each unbind (`ResidueSurvivalTally`). At each point t (the leak-risk
//! points) a member whose unbind took effect at u is a trial when u + t is
//! no later than the horizon, and a hit for a kind when it still holds that
//! kind at u + t; each device the unbind touched is a trial of its
//! platform the same way, and a hit while it holds any residue. Items whose
//! u + t is past the horizon are only counted. The time each kind was held,
//! unbind to its clearing or the horizon, is summed per kind. Read from
//! instants the world records as residue changes; the model only counts.

use super::observe::Count;
use super::platform::{Platform, ResidueKind};
use crate::engine::SimDuration;

/// One survival point of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResiduePoint {
    pub after: SimDuration,
    /// Members whose unbind + `after` is no later than the horizon.
    pub members: u64,
    /// Members whose unbind + `after` is past the horizon.
    pub members_past_horizon: u64,
    /// Per kind in `ResidueKind::ALL` order, trial members still holding
    /// it at unbind + `after`.
    pub held_by_kind: [u64; ResidueKind::ALL.len()],
    /// Per platform, touched devices whose unbind + `after` is no later
    /// than the horizon (trials) and those holding any residue then.
    pub devices: [Count; Platform::ALL.len()],
    pub devices_past_horizon: [u64; Platform::ALL.len()],
}

impl ResiduePoint {
    pub fn empty(after: SimDuration) -> ResiduePoint {
        ResiduePoint {
            after,
            members: 0,
            members_past_horizon: 0,
            held_by_kind: [0; ResidueKind::ALL.len()],
            devices: [Count::default(); Platform::ALL.len()],
            devices_past_horizon: [0; Platform::ALL.len()],
        }
    }
}

/// Residue survival after unbind in one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResidueSurvivalTally {
    /// One per point the run observes, in its order.
    pub points: Vec<ResiduePoint>,
    /// Per kind, the member-milliseconds it was held, from each member's
    /// unbind to its clearing, clipped at the horizon.
    pub held_ms_by_kind: [u64; ResidueKind::ALL.len()],
}
