//! The model's waiting lines as one run counts them: which pools of people
//! there are (`PoolKind`), and the admin console's backlog (`ConsoleBacklog`):
//! the members queued in console batches the console has not reached yet,
//! read at fixed times from the start of the run and at its peak, without
//! an event or a draw of its own. The model only counts.

use crate::engine::{SimDuration, SimTime};

/// A pool of people serving requests first come, first served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PoolKind {
    /// Every workload's approvers (`policy.approval`).
    Approvers,
    /// The second pair of eyes of a compliance dual control.
    ComplianceOfficers,
    /// The people who re-bind a split subsidiary's members.
    Rebinders,
}

impl PoolKind {
    pub const ALL: [PoolKind; 3] = [PoolKind::Approvers, PoolKind::ComplianceOfficers, PoolKind::Rebinders];

    /// The pool's name in `metrics.queues` and in its figures' names.
    pub fn name(self) -> &'static str {
        match self {
            PoolKind::Approvers => "approvers",
            PoolKind::ComplianceOfficers => "compliance_officers",
            PoolKind::Rebinders => "rebinders",
        }
    }

    /// The scenario key of the pool's servers and service time.
    pub fn key(self) -> &'static str {
        match self {
            PoolKind::Approvers => "policy.approval",
            PoolKind::ComplianceOfficers => "workload.compliance-dual-control.officers",
            PoolKind::Rebinders => "workload.subsidiary-split.rebinders",
        }
    }
}

/// The console's backlog at one fixed time of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BacklogPoint {
    /// From the start of the run.
    pub at: SimDuration,
    /// Members queued for the console then (after every event at that
    /// instant); `None` where the point lies past the horizon.
    pub waiting: Option<u64>,
}

/// The admin console's backlog over one run: members (app archives: the
/// grant holders) in console batches the console has not reached yet,
/// the rest of a batch an API limit stopped included.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsoleBacklog {
    /// Members queued now.
    pub waiting: u64,
    /// Members ever queued for the console (0: the run used no console).
    pub queued: u64,
    /// The most members queued at once by the horizon.
    pub peak: u64,
    /// One per fixed time, in increasing time; read as the run passes them.
    pub points: Vec<BacklogPoint>,
    /// Points already read.
    read: usize,
}

impl ConsoleBacklog {
    /// A backlog read at `points` (increasing) from the start of the run.
    pub fn at(points: &[SimDuration]) -> ConsoleBacklog {
        let mut sorted = points.to_vec();
        sorted.sort();
        sorted.dedup();
        let points = sorted.into_iter().map(|at| BacklogPoint { at, waiting: None }).collect();
        ConsoleBacklog { points, ..ConsoleBacklog::default() }
    }

    /// `members` join the console's queue at `now`.
    pub fn enqueue(&mut self, now: SimTime, members: u64) {
        self.read_before(now);
        self.waiting += members;
        self.queued += members;
        self.peak = self.peak.max(self.waiting);
    }

    /// The console reached `members` of its queue at `now`.
    pub fn reach(&mut self, now: SimTime, members: u64) {
        self.read_before(now);
        self.waiting -= members;
    }

    /// Reads every point up to and including `horizon` (the run ended).
    pub fn finish(&mut self, horizon: SimTime) {
        while let Some(point) = self.points.get_mut(self.read).filter(|p| SimTime::ZERO + p.at <= horizon) {
            point.waiting = Some(self.waiting);
            self.read += 1;
        }
    }

    /// Reads every point strictly before `now`: the count then is the
    /// count before the change at `now`.
    fn read_before(&mut self, now: SimTime) {
        while let Some(point) = self.points.get_mut(self.read).filter(|p| SimTime::ZERO + p.at < now) {
            point.waiting = Some(self.waiting);
            self.read += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_hours(hours)
    }

    #[test]
    fn each_point_reads_the_count_after_every_change_at_or_before_it() {
        let mut backlog = ConsoleBacklog::at(&[SimDuration::from_hours(2), SimDuration::from_hours(1)]);
        backlog.enqueue(at(0), 200);
        backlog.enqueue(at(1), 50);
        backlog.reach(at(1), 200);
        backlog.reach(at(3), 50);
        backlog.finish(at(4));
        let read: Vec<Option<u64>> = backlog.points.iter().map(|p| p.waiting).collect();
        assert_eq!(read, [Some(50), Some(50)]);
        assert_eq!((backlog.peak, backlog.queued, backlog.waiting), (250, 250, 0));
    }

    #[test]
    fn a_point_past_the_horizon_is_not_read() {
        let mut backlog = ConsoleBacklog::at(&[SimDuration::from_hours(1), SimDuration::from_hours(5)]);
        backlog.enqueue(at(0), 7);
        backlog.finish(at(1));
        let read: Vec<Option<u64>> = backlog.points.iter().map(|p| p.waiting).collect();
        assert_eq!(read, [Some(7), None]);
    }
}
