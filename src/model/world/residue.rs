//! Residue over time, as it changes: every write of an unbound member's
//! residue (a device's, or the member's own) goes through here and is
//! signed into the survival points and the time held, without events or
//! draws. A change at s of an item unbound at u counts, with its sign, at
//! every point t with s ≤ u + t ≤ horizon (a run of the increasing points,
//! kept as a difference array), so the sum at t is the items holding the
//! residue at u + t. At the horizon (`count_survival`) the
//! trials, the app data (read from the grants' revocation instants, never
//! cleared) and the sums become the run's `ResidueSurvivalTally`.

use super::super::ids::{DeviceId, MemberId};
use super::super::platform::{Platform, Residue, ResidueKind};
use super::super::residue_survival::{ResiduePoint, ResidueSurvivalTally};
use super::super::trace::{Entity, Step};
use super::{Mark, World};
use crate::engine::{SimDuration, SimTime};

/// One slot per residue kind (members), then one per platform (devices).
const SLOTS: usize = ResidueKind::ALL.len() + Platform::ALL.len();

/// The signed changes of one run, sized once for its points.
#[derive(Clone, Debug, Default)]
pub(super) struct ResidueClock {
    /// A difference array over the points, per slot: a change counting at
    /// points `first..end` adds at `first` and takes back at `end`, so the
    /// prefix sum up to a point is the items holding residue there at
    /// unbind + t. One entry more than the points.
    changes: Vec<[i64; SLOTS]>,
    /// Per kind, Σ ±(horizon − change): the microseconds held.
    held_us: [i128; ResidueKind::ALL.len()],
}

impl ResidueClock {
    pub(super) fn new(points: usize) -> ResidueClock {
        ResidueClock { changes: vec![[0; SLOTS]; points + 1], held_us: [0; ResidueKind::ALL.len()] }
    }

    /// Per point, per slot: the items holding residue there.
    fn held(&self) -> impl Iterator<Item = [i64; SLOTS]> + '_ {
        self.changes.iter().scan([0; SLOTS], |held, change| {
            for (sum, delta) in held.iter_mut().zip(change) {
                *sum += delta;
            }
            Some(*held)
        })
    }

    /// One item gains (+1) or loses (−1) the residue of `slot` at the
    /// change `span` describes.
    fn shift(&mut self, span: &Span, slot: usize, sign: i64) {
        if span.first < span.end {
            self.changes[span.first][slot] += sign;
            self.changes[span.end][slot] -= sign;
        }
        if let Some(held_us) = self.held_us.get_mut(slot) {
            *held_us += i128::from(sign) * span.to_horizon_us;
        }
    }
}

/// Where a change at one instant of one member's residue counts: the
/// points `first..end` (those t, increasing, with change ≤ unbind + t ≤
/// horizon) and the time left to the horizon.
struct Span {
    first: usize,
    end: usize,
    to_horizon_us: i128,
}

impl Span {
    fn of(world: &World<'_>, unbound_at: SimTime, now: SimTime) -> Span {
        Span::between(world.leak_risk_at, world.horizon, unbound_at, now)
    }

    fn between(points: &[SimDuration], horizon: SimTime, unbound_at: SimTime, now: SimTime) -> Span {
        debug_assert!(now >= unbound_at, "residue changed at {now:?}, before its unbind at {unbound_at:?}");
        let first = points.partition_point(|&after| unbound_at + after < now);
        let end = points.partition_point(|&after| unbound_at + after <= horizon).max(first);
        Span { first, end, to_horizon_us: i128::from((horizon.max(now) - now).as_micros()) }
    }
}

/// Sets `device`'s residue to `residue` at `now`, counting what its member
/// (and its platform) gained or lost once the member's unbind took effect.
pub(super) fn set_device(world: &mut World<'_>, device: DeviceId, residue: Residue, now: SimTime) {
    let run = &mut world.devices[device.index()];
    let old = std::mem::replace(&mut run.residue, residue);
    let run = *run;
    if old != residue && world.tracing() {
        world.trace(Entity::Device(device), Step::Residue { entity: Entity::Device(device), residue });
    }
    if old == residue || !run.watched {
        return;
    }
    let first = device.index() - usize::from(run.rank);
    let others = world.devices[first..first + usize::from(run.siblings)]
        .iter()
        .enumerate()
        .filter(|&(rank, _)| rank != usize::from(run.rank))
        .fold(Residue::EMPTY, |held, (_, other)| held.union(other.residue));
    let (before, after) = (others.union(old), others.union(residue));
    let span = Span::of(world, run.unbound_at, now);
    shift_kinds(&mut world.residue_clock, &span, after.minus(before), before.minus(after));
    if old.is_empty() != residue.is_empty() {
        let slot = ResidueKind::ALL.len() + usize::from(run.platform);
        let sign = if residue.is_empty() { -1 } else { 1 };
        world.residue_clock.shift(&span, slot, sign);
    }
}

/// `member`'s own residue (an archive, a cloud copy) becomes `residue` at
/// `now`.
pub(super) fn set_own(world: &mut World<'_>, member: MemberId, residue: Residue, now: SimTime) {
    let old = std::mem::replace(&mut world.members[member.index()].residue, residue);
    if old != residue && world.tracing() {
        world.trace(Entity::Member(member), Step::Residue { entity: Entity::Member(member), residue });
    }
    if old != residue && watched(world, member) {
        let span = Span::of(world, world.members[member.index()].revoked_at, now);
        shift_kinds(&mut world.residue_clock, &span, residue.minus(old), old.minus(residue));
    }
}

/// `member`'s unbind takes effect: its residue is counted from its cut
/// (`revoked_at`) on.
pub(super) fn watch(world: &mut World<'_>, member: MemberId) {
    world.members[member.index()].marks.set(Mark::Effective);
    stamp_cut(world, member);
}

/// `member`'s cut was (re)set: a watched member's devices learn when.
pub(super) fn cut_moved(world: &mut World<'_>, member: MemberId) {
    if watched(world, member) {
        stamp_cut(world, member);
    }
}

fn stamp_cut(world: &mut World<'_>, member: MemberId) {
    let (org, unbound_at) = (world.org, world.members[member.index()].revoked_at);
    let siblings = org.member(member).n_devices;
    for (rank, device) in (0..siblings).zip(org.devices_of(member)) {
        let run = &mut world.devices[device.index()];
        run.watched = true;
        run.platform = org.devices[device.index()].platform.index() as u8;
        (run.rank, run.siblings, run.unbound_at) = (rank, siblings, unbound_at);
    }
}

/// A member whose unbind took effect: its residue is counted from its cut.
fn watched(world: &World<'_>, member: MemberId) -> bool {
    world.members[member.index()].marks.has(Mark::Effective)
}

fn shift_kinds(clock: &mut ResidueClock, span: &Span, gained: Residue, lost: Residue) {
    for kind in gained.kinds() {
        clock.shift(span, kind.index(), 1);
    }
    for kind in lost.kinds() {
        clock.shift(span, kind.index(), -1);
    }
}

/// The trials of the survival points, counted as the horizon reading meets
/// each member whose unbind took effect and each device it touched: by how
/// many of the increasing points their unbind + t reaches by the horizon
/// (one count per reach, summed into the points by `count_survival`). A
/// member's app data is signed into the run's clock like any other change.
pub(super) struct SurvivalTrials<'a> {
    points: &'a [SimDuration],
    horizon: SimTime,
    clock: ResidueClock,
    members_by_reach: Vec<u64>,
    devices_by_reach: Vec<[u64; Platform::ALL.len()]>,
}

impl<'a> SurvivalTrials<'a> {
    /// Takes over the run's residue clock.
    pub(super) fn new(world: &mut World<'a>) -> SurvivalTrials<'a> {
        let slots = world.leak_risk_at.len() + 1;
        SurvivalTrials {
            points: world.leak_risk_at,
            horizon: world.horizon,
            clock: std::mem::take(&mut world.residue_clock),
            members_by_reach: vec![0; slots],
            devices_by_reach: vec![[0; Platform::ALL.len()]; slots],
        }
    }

    /// A member cut at `revoked_at`, holding app data from `app_data_since`
    /// (its first revoked grant that left it, if any, or its cut if later):
    /// returns how many points it reaches, for its devices.
    pub(super) fn member(&mut self, revoked_at: SimTime, app_data_since: Option<SimTime>) -> usize {
        let reach = self.points.partition_point(|&after| revoked_at + after <= self.horizon);
        self.members_by_reach[reach] += 1;
        if let Some(since) = app_data_since.map(|since| since.max(revoked_at)) {
            let span = Span::between(self.points, self.horizon, revoked_at, since);
            self.clock.shift(&span, ResidueKind::AppData.index(), 1);
        }
        reach
    }

    /// A touched device of `platform` whose member reaches `reach` points.
    pub(super) fn device(&mut self, reach: usize, platform: Platform) {
        self.devices_by_reach[reach][platform.index()] += 1;
    }
}

/// The survival tally at the horizon: every member whose unbind took
/// effect and every device it touched (`trials`), a trial at each point its
/// unbind + t reaches; the signed sums of the clock as the holders.
pub(super) fn count_survival(trials: SurvivalTrials<'_>) -> ResidueSurvivalTally {
    let members: u64 = trials.members_by_reach.iter().sum();
    let devices = trials.devices_by_reach.iter().fold([0; Platform::ALL.len()], |sum, by_platform| {
        std::array::from_fn(|platform| sum[platform] + by_platform[platform])
    });
    let (mut members_past, mut devices_past) = (0, [0; Platform::ALL.len()]);
    let points = trials.points.iter().zip(trials.clock.held()).enumerate().map(|(index, (&after, held))| {
        let mut point = ResiduePoint::empty(after);
        members_past += trials.members_by_reach[index];
        (point.members, point.members_past_horizon) = (members - members_past, members_past);
        for kind in ResidueKind::ALL {
            point.held_by_kind[kind.index()] = holders(held[kind.index()]);
        }
        for platform in Platform::ALL.map(Platform::index) {
            devices_past[platform] += trials.devices_by_reach[index][platform];
            point.devices_past_horizon[platform] = devices_past[platform];
            point.devices[platform].trials = devices[platform] - devices_past[platform];
            point.devices[platform].hits = holders(held[ResidueKind::ALL.len() + platform]);
        }
        point
    });
    ResidueSurvivalTally {
        points: points.collect(),
        held_ms_by_kind: trials
            .clock
            .held_us
            .map(|us| u64::try_from(us / 1_000).expect("residue is held a non-negative time")),
    }
}

fn holders(sum: i64) -> u64 {
    u64::try_from(sum).expect("an item loses residue only after it gained it")
}
