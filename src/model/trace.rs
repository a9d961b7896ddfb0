//! The path of one member, device or grant through one replication, kept
//! only when asked for (`World::traced`): under each event that touched it,
//! every draw made for it (what it decided, the scenario key that set it
//! and the value drawn), every state it entered, every race it ran and
//! every change of the residue it holds. An ordinary run keeps no trace and
//! pays one branch per draw, transition and residue write.
//!
//! What a member is left with at the horizon (`MemberEnd`) is read from the
//! world without a trace, so `explain --find` can list members by outcome.

use super::exposure::ExposurePath;
use super::ids::{AppId, DeviceId, GrantId, MemberId, RequestId};
use super::observe::RaceKind;
use super::org::Org;
use super::platform::{Platform, Residue};
use super::state::{DeviceState, GrantState, MemberState};
use super::world::Event;
use crate::engine::{SimDuration, SimTime};
use std::ops::Range;

/// Whose path a trace follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A member, its devices and its grants.
    Member(MemberId),
    /// A device and the member it belongs to.
    Device(DeviceId),
    /// A grant and the member who gave it.
    Grant(GrantId),
}

impl Subject {
    /// The entity the subject is.
    pub fn entity(self) -> Entity {
        match self {
            Subject::Member(member) => Entity::Member(member),
            Subject::Device(device) => Entity::Device(device),
            Subject::Grant(grant) => Entity::Grant(grant),
        }
    }
}

/// What a draw or a residue change was made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    Member(MemberId),
    Device(DeviceId),
    Grant(GrantId),
    /// The request the member is on (its delays, a pool's service).
    Request(RequestId),
}

/// What a draw gave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Drawn {
    /// A yes-or-no decision: yes when the uniform `drawn` is below `p`.
    Chance { drawn: f64, p: f64 },
    /// A duration from the key's distribution.
    Duration(SimDuration),
    /// A uniform in [0, 1) that places or sizes something.
    Uniform(f64),
}

/// What a draw decides, in words, and the scenario key whose value it
/// draws against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrawRule {
    pub decides: &'static str,
    pub key: &'static str,
}

/// One thing that happened to the traced entities.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    Draw {
        entity: Entity,
        rule: DrawRule,
        drawn: Drawn,
    },
    Member {
        from: MemberState,
        to: MemberState,
    },
    Device {
        device: DeviceId,
        from: DeviceState,
        to: DeviceState,
    },
    Grant {
        grant: GrantId,
        from: GrantState,
        to: GrantState,
    },
    /// A race of `kind`; `events` > 1 when a token was accepted that many
    /// times after its revocation.
    Race {
        kind: RaceKind,
        events: u64,
    },
    /// The residue `entity` (the member's own, or a device) holds from now.
    Residue {
        entity: Entity,
        residue: Residue,
    },
}

/// A step, when it happened and the event it happened under (none: the
/// start of the run).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry {
    pub at: SimTime,
    pub cause: Option<Event>,
    pub step: Step,
}

/// The steps of one subject, in the order the run took them.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    pub subject: Subject,
    pub member: MemberId,
    devices: Range<u32>,
    grants: Range<u32>,
    at: SimTime,
    cause: Option<Event>,
    pub entries: Vec<Entry>,
}

impl Trace {
    /// An empty trace of `subject` in `org`, or why there is none (an id
    /// beyond the org).
    pub fn of(org: &Org, subject: Subject) -> Result<Trace, String> {
        let beyond = |what: &str, id: u32, count: usize| format!("{what} {id} is not in the org (it has {count})");
        let one = |id: u32| id..id + 1;
        let (member, devices, grants) = match subject {
            Subject::Member(member) => {
                let row =
                    org.members.get(member.index()).ok_or_else(|| beyond("member", member.0, org.members.len()))?;
                let devices = row.first_device..row.first_device + u32::from(row.n_devices);
                (member, devices, row.first_grant..row.first_grant + u32::from(row.n_grants))
            }
            Subject::Device(device) => {
                let row =
                    org.devices.get(device.index()).ok_or_else(|| beyond("device", device.0, org.devices.len()))?;
                (row.member, one(device.0), 0..0)
            }
            Subject::Grant(grant) => {
                let row = org.grants.get(grant.index()).ok_or_else(|| beyond("grant", grant.0, org.grants.len()))?;
                (row.member, 0..0, one(grant.0))
            }
        };
        Ok(Trace { subject, member, devices, grants, at: SimTime::ZERO, cause: None, entries: Vec::new() })
    }

    /// Steps from here on happen at `at`, under `cause`.
    pub(super) fn enter(&mut self, at: SimTime, cause: Event) {
        self.at = at;
        self.cause = Some(cause);
    }

    pub(super) fn watches_member(&self, member: MemberId) -> bool {
        member == self.member
    }

    pub(super) fn watches_device(&self, device: DeviceId) -> bool {
        self.devices.contains(&device.0)
    }

    pub(super) fn watches_grant(&self, grant: GrantId) -> bool {
        self.grants.contains(&grant.0)
    }

    pub(super) fn record(&mut self, step: Step) {
        self.entries.push(Entry { at: self.at, cause: self.cause, step });
    }
}

/// A device of the member, as the horizon finds it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeviceEnd {
    pub device: DeviceId,
    pub platform: Platform,
    pub state: DeviceState,
    pub residue: Residue,
}

/// A grant of the member, as the horizon finds it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GrantEnd {
    pub grant: GrantId,
    pub app: AppId,
    pub state: GrantState,
    /// Revoked at, and the app accepts its token until (`NEVER`: until it
    /// expires past any horizon); none while the grant is active.
    pub revoked: Option<(SimTime, SimTime)>,
}

/// When each of an offboarded member's access paths ended (`NEVER`: live
/// at the horizon), from its decision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AccessEnds {
    pub decided_at: SimTime,
    pub ends: [(ExposurePath, SimTime); ExposurePath::ALL.len()],
}

/// What a member is left with at the horizon.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberEnd {
    pub member: MemberId,
    pub state: MemberState,
    /// The member's own residue (an archive, a cloud copy).
    pub residue: Residue,
    pub races: Vec<RaceKind>,
    /// Uninstalling before unbinding locked the account at some point.
    pub locked_out: bool,
    pub devices: Vec<DeviceEnd>,
    pub grants: Vec<GrantEnd>,
    /// None unless a request took the member to cut its account.
    pub access: Option<AccessEnds>,
}

impl MemberEnd {
    /// The residue the member and its devices still hold.
    pub fn all_residue(&self) -> Residue {
        self.devices.iter().fold(self.residue, |held, device| held.union(device.residue))
    }

    /// A decision took the member and its path had not ended by the horizon.
    pub fn unfinished(&self) -> bool {
        use super::state::Outcome;
        matches!(self.state.outcome(), Outcome::Pending | Outcome::LockedOut)
    }

    /// Some access path was still live at the horizon.
    pub fn still_exposed(&self) -> bool {
        self.access.is_some_and(|access| access.ends.iter().any(|&(_, end)| end == SimTime::NEVER))
    }
}
