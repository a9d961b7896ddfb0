//! What a load run shows while it runs: a [`Snapshot`] of its counters
//! (phase, sent, ok, errors, current rate, p99 so far), published once a
//! second during the replay and at every change of phase — to the
//! command line's callback (which owns the terminal) and to the
//! `--metrics-addr` responder (`exposition`) — and the once-a-second check
//! of the `abort_on_fail` objectives on the live histograms.

use super::objectives::abort_check;
use super::record::Recorder;
use crate::report::ObjectiveVerdict;
use crate::scenario::LiveSlo;
use std::time::Instant;
use tokio::sync::watch;

/// Where a load run is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    #[default]
    Discovery,
    Provisioning,
    Replay,
    Verification,
    Done,
}

impl Phase {
    pub const ALL: [Phase; 5] =
        [Phase::Discovery, Phase::Provisioning, Phase::Replay, Phase::Verification, Phase::Done];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Discovery => "discovery",
            Phase::Provisioning => "provisioning",
            Phase::Replay => "replay",
            Phase::Verification => "verification",
            Phase::Done => "done",
        }
    }
}

/// The live counters of a load run at one moment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub phase: Phase,
    /// Requests the replay plans to send.
    pub planned: u64,
    pub sent: u64,
    pub ok: u64,
    /// HTTP errors, timeouts and connection errors.
    pub errors: u64,
    pub http_error: u64,
    pub timeout: u64,
    pub connection_error: u64,
    pub retries: u64,
    pub late_starts: u64,
    /// Responses per second since the previous snapshot of the replay.
    pub rate_per_sec: f64,
    /// Response time (from the intended send) p99 so far, in milliseconds.
    pub response_p99_ms: Option<f64>,
}

/// The command line's view of a run (it owns the terminal): each snapshot
/// to draw, and each line the run says, to print without breaking the
/// drawn line.
pub trait Progress: Send + Sync {
    fn snapshot(&self, snapshot: &Snapshot);
    fn say(&self, line: &str);
}

/// Publishes snapshots and watches the `abort_on_fail` objectives.
pub struct Monitor<'a> {
    tx: watch::Sender<Snapshot>,
    progress: &'a dyn Progress,
    objectives: &'a [LiveSlo],
    previous: Option<(Instant, u64)>,
    /// The objective that stopped the run, once one did.
    pub aborted_by: Option<ObjectiveVerdict>,
}

impl<'a> Monitor<'a> {
    pub fn new(progress: &'a dyn Progress, objectives: &'a [LiveSlo]) -> Monitor<'a> {
        let (tx, _) = watch::channel(Snapshot::default());
        Monitor { tx, progress, objectives, previous: None, aborted_by: None }
    }

    /// The snapshots, for the metrics responder.
    pub fn subscribe(&self) -> watch::Receiver<Snapshot> {
        self.tx.subscribe()
    }

    /// Enters `phase` (the counters stay as they are).
    pub fn phase(&self, phase: Phase) {
        self.tx.send_modify(|snapshot| snapshot.phase = phase);
        self.progress.snapshot(&self.tx.borrow());
    }

    /// Publishes the replay's counters; says whether an `abort_on_fail`
    /// objective fails (the first such verdict is kept in `aborted_by`).
    pub fn tick(&mut self, recorder: &Recorder, planned: u64, now: Instant) -> bool {
        let c = &recorder.counters;
        let answered = c.sent - c.abandoned;
        let rate_per_sec = match self.previous {
            Some((at, before)) if now > at => (answered - before) as f64 / now.duration_since(at).as_secs_f64(),
            _ => 0.0,
        };
        self.previous = Some((now, answered));
        let histogram = &recorder.totals.response_us;
        let snapshot = Snapshot {
            phase: Phase::Replay,
            planned,
            sent: c.sent,
            ok: c.ok,
            errors: c.http_error + c.timeout + c.connection_error,
            http_error: c.http_error,
            timeout: c.timeout,
            connection_error: c.connection_error,
            retries: c.retries,
            late_starts: c.late_starts,
            rate_per_sec,
            response_p99_ms: (!histogram.is_empty()).then(|| histogram.value_at_quantile(0.99) as f64 / 1e3),
        };
        self.progress.snapshot(&snapshot);
        self.tx.send_replace(snapshot);
        if self.aborted_by.is_none() {
            self.aborted_by = abort_check(self.objectives, recorder);
        }
        self.aborted_by.is_some()
    }
}
