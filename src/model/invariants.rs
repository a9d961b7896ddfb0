//! The invariants of what a run observes, checked from the counts alone:
//! usable any time during a run (`check_counts`) and at its end
//! (`check_outcomes`). The invariants of the world's state between two
//! events live with the world (`World::check_invariants`). Both report a
//! broken invariant as a [`Violation`]: a bug in the model, never bad input.

use super::observe::{Count, Observations};
use std::fmt;

/// A broken invariant: which one, and the values that break it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: &'static str,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invariant `{}` broken: {}", self.invariant, self.detail)
    }
}

impl std::error::Error for Violation {}

/// `Err` naming `invariant` unless `holds`; `detail` is built only on failure.
pub fn ensure(holds: bool, invariant: &'static str, detail: impl FnOnce() -> String) -> Result<(), Violation> {
    if holds { Ok(()) } else { Err(Violation { invariant, detail: detail() }) }
}

fn ensure_count(count: Count, what: &'static str) -> Result<(), Violation> {
    ensure(count.hits <= count.trials, "hits_within_trials", || {
        format!("{what}: {} hits of {}", count.hits, count.trials)
    })
}

/// Invariants of the counts at any moment of a run: hits never exceed
/// trials, console batches stay within `batch_limit`, no admin acts out of
/// scope, no token is accepted after it expired.
pub fn check_counts(obs: &Observations, batch_limit: u32) -> Result<(), Violation> {
    ensure(obs.largest_console_batch <= batch_limit, "console_batch_within_limit", || {
        format!("a batch of {} over the limit of {batch_limit}", obs.largest_console_batch)
    })?;
    ensure(obs.scope_violations == 0, "admins_in_scope", || format!("{} out-of-scope unbinds", obs.scope_violations))?;
    ensure(obs.tokens_accepted_after_expiry == 0, "no_token_after_expiry", || {
        format!("{} tokens accepted after they expired", obs.tokens_accepted_after_expiry)
    })?;
    for race in &obs.races {
        ensure_count(race.units, "race units")?;
        ensure(race.units.hits <= race.events, "race_units_within_events", || {
            format!("{} units hit by {} events", race.units.hits, race.events)
        })?;
    }
    for count in obs.lockouts_by_platform.iter().chain(&obs.residue.devices_by_platform) {
        ensure_count(*count, "per-platform count")?;
    }
    ensure_count(obs.members_raced, "members raced")?;
    ensure_count(obs.residue.members, "members with residue")?;
    ensure_count(obs.residue.grants, "grants with app data")?;
    check_leavers(obs)?;
    ensure(obs.residue.by_kind.iter().all(|&n| n <= obs.residue.members.hits), "residue_kinds_within_members", || {
        format!("{:?} over {} members with residue", obs.residue.by_kind, obs.residue.members.hits)
    })?;
    ensure(
        obs.batches_incomplete <= obs.batches && obs.batches_unrevoked <= obs.batches_incomplete,
        "batch_counts",
        || {
            format!(
                "{} batches, {} unrevoked, {} incomplete",
                obs.batches, obs.batches_unrevoked, obs.batches_incomplete
            )
        },
    )
}

/// Kept modules: only members who kept one may use one, and no module is
/// kept by more; customers: no more lost than settled, no more handovers
/// finished or taking days than started.
fn check_leavers(obs: &Observations) -> Result<(), Violation> {
    let modules = &obs.modules;
    ensure_count(modules.access, "members keeping a module")?;
    ensure_count(modules.used, "members using a kept module")?;
    ensure(
        modules.used.trials == modules.access.hits && modules.by_module.iter().all(|&n| n <= modules.access.hits),
        "kept_modules_within_members",
        || format!("{modules:?}"),
    )?;
    let customers = &obs.customers;
    ensure(
        customers.lost() <= customers.settled
            && customers.done <= customers.members
            && customers.multi_day_owners <= customers.members
            && (customers.calls == 0 || customers.members > 0),
        "customers_within_handovers",
        || format!("{customers:?}"),
    )
}

/// Invariants of a finished run of `members` members: every member is
/// counted in exactly one outcome, each measured batch has a latency
/// exactly when it completed, and every lockout is recovered (with its
/// duration) or still pending (censored, its member locked out).
pub fn check_outcomes(obs: &Observations, members: usize) -> Result<(), Violation> {
    ensure(obs.outcomes.total() == members as u64, "members_conserved", || {
        format!("{:?} sums to {}, not {members}", obs.outcomes, obs.outcomes.total())
    })?;
    ensure(obs.members_raced.trials == members as u64 - obs.outcomes.untouched, "raced_among_targeted", || {
        format!("{} raced trials, {} targeted", obs.members_raced.trials, members as u64 - obs.outcomes.untouched)
    })?;
    let completed = obs.batches - obs.batches_incomplete;
    let revoked = obs.batches - obs.batches_unrevoked;
    ensure(obs.batch_latencies_us.len() as u64 == completed, "latency_per_completed_batch", || {
        format!("{} batch latencies for {completed} completed batches", obs.batch_latencies_us.len())
    })?;
    ensure(obs.revocation_latencies_us.len() as u64 == revoked, "latency_per_revoked_batch", || {
        format!("{} revocation latencies for {revoked} revoked batches", obs.revocation_latencies_us.len())
    })?;
    let lockouts: u64 = obs.lockouts_by_platform.iter().map(|count| count.hits).sum();
    let (recovered, pending) = (obs.lockout_durations_us.len() as u64, obs.lockout_censored.times_us.len() as u64);
    ensure(
        recovered + pending == lockouts && pending == obs.outcomes.locked_out,
        "lockout_recovered_or_pending",
        || {
            format!(
                "{lockouts} lockouts, {recovered} recovered, {pending} pending, {} locked out",
                obs.outcomes.locked_out
            )
        },
    )
}
