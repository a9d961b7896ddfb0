//! What a member is left with at the horizon (`MemberEnd`), read from the
//! world without events or draws: its state, races and residue, each
//! device's and grant's end, and, for an offboarded member, when each of
//! its access paths ended (`exposure`'s reading).

use super::super::exposure::ExposurePath;
use super::super::ids::MemberId;
use super::super::observe::RaceKind;
use super::super::state::GrantState;
use super::super::trace::{AccessEnds, DeviceEnd, GrantEnd, MemberEnd};
use super::{Mark, World, exposure};
use crate::engine::SimTime;

impl World<'_> {
    /// `member` as the run leaves it; a path ending past the horizon is
    /// `SimTime::NEVER` (live at the horizon).
    pub fn member_end(&self, member: MemberId) -> MemberEnd {
        let run = &self.members[member.index()];
        let devices = self
            .org
            .devices_of(member)
            .map(|device| {
                let (row, state) = (&self.org.devices[device.index()], &self.devices[device.index()]);
                DeviceEnd { device, platform: row.platform, state: state.state, residue: state.residue }
            })
            .collect();
        let grants = self
            .org
            .grants_of(member)
            .map(|grant| {
                let state = &self.grants[grant.index()];
                let revoked = (state.state != GrantState::Active).then_some((state.revoked_at, state.accept_until));
                GrantEnd { grant, app: self.org.grants[grant.index()].app, state: state.state, revoked }
            })
            .collect();
        let access = exposure::offboarded(self, member).then(|| {
            let ends = exposure::path_ends(self, member);
            let past = |end: SimTime| if end > self.horizon { SimTime::NEVER } else { end };
            AccessEnds {
                decided_at: run.decided_at,
                ends: ExposurePath::ALL.map(|path| (path, past(ends[path.index()]))),
            }
        });
        MemberEnd {
            member,
            state: run.state,
            residue: run.residue,
            races: RaceKind::ALL.into_iter().filter(|&kind| run.races.contains(kind)).collect(),
            locked_out: run.marks.has(Mark::LockedOut),
            devices,
            grants,
            access,
        }
    }
}
