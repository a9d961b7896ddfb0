//! Property tests of the model over random small orgs, policies and
//! workloads: the counts keep the model's invariants (`check_counts`,
//! `check_outcomes`: members conserved, admins in scope, batches within the
//! limit, no token after its expiry, a latency per completed batch), nobody
//! is left stranded without an explicit reason, and (common random numbers)
//! a longer buffer never yields fewer actions inside it.

use proptest::prelude::*;
use unbindsim::engine::{Dist, SimDuration, SimTime};
use unbindsim::model::{
    AdminBatchParams, Arrivals, Behaviour, ComplianceDualControlParams, DeviceChangeParams, DissolutionParams, Edition,
    GdprExportParams, Observations, Policy, PoolConfig, RaceKind, SubsidiarySplitParams, TierMix, Workload,
    WorkloadKind, check_counts, check_outcomes,
};
use unbindsim::runner::{Experiment, run_replication};
use unbindsim::synth::{OrgParams, generate};

fn hours(h: u64) -> SimDuration {
    SimDuration::from_hours(h)
}

/// Every kind but the script (which needs steps), from the model's own
/// list, so a new kind is drawn here as soon as it exists.
fn kinds() -> Vec<WorkloadKind> {
    let kinds = WorkloadKind::all_with_defaults().into_iter();
    kinds.filter(|kind| !matches!(kind, WorkloadKind::Script { .. })).collect()
}

/// Kind `index` of `kinds()`, its shares set to `share` and its times
/// shortened so that a drained run stays small.
fn kind(index: usize, share: f64) -> WorkloadKind {
    let exp = |h| Dist::Exp { mean: hours(h) };
    let mut kind = kinds().swap_remove(index);
    match &mut kind {
        WorkloadKind::SelfExit | WorkloadKind::AppGrants | WorkloadKind::Script { .. } => {}
        WorkloadKind::AdminBatch(params) => {
            *params = AdminBatchParams {
                tiers: TierMix { super_admin: 0.3, department: 0.5, app: 0.2 },
                escalation: share,
                escalation_delay: exp(6),
            }
        }
        WorkloadKind::DeviceChange(params) => *params = DeviceChangeParams { lost_device: share },
        WorkloadKind::Dissolution(params) => {
            *params =
                DissolutionParams { review: exp(24), notice: hours(48), lead: hours(24), archive_retention: hours(100) }
        }
        WorkloadKind::GdprExport(params) => {
            *params = GdprExportParams {
                reason: exp(2),
                export_share: share,
                export_time: exp(3),
                cloud_copy_kept: share,
                dispute_share: share,
                dispute_window: hours(200),
            }
        }
        WorkloadKind::SubsidiarySplit(params) => {
            *params = SubsidiarySplitParams {
                subsidiary_share: share,
                rebinders: PoolConfig { servers: 1, service: exp(10) },
                window: hours(72),
            }
        }
        WorkloadKind::ComplianceDualControl(params) => {
            *params = ComplianceDualControlParams {
                officers: PoolConfig { servers: 1, service: exp(2) },
                risk_confirm: exp(1),
            }
        }
    }
    kind
}

#[derive(Debug, Clone)]
struct Case {
    members: u32,
    branching: u32,
    depth: u32,
    kind: usize,
    share: f64,
    buffer_h: u64,
    batch_limit: u32,
    per_arrival: u32,
    pro_wipe: bool,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        20u32..400,
        1u32..5,
        0u32..4,
        0..kinds().len(),
        0.0f64..1.0,
        0u64..=72,
        1u32..60,
        1u32..80,
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |(members, branching, depth, kind, share, buffer_h, batch_limit, per_arrival, pro_wipe, seed)| Case {
                members,
                branching,
                depth,
                kind,
                share,
                buffer_h,
                batch_limit,
                per_arrival,
                pro_wipe,
                seed,
            },
        )
}

/// Runs a case until no event is left, with every device checking in and
/// no Windows devices (an uninstalled Windows device is never logged out).
fn drain(case: &Case, buffer: SimDuration) -> Observations {
    let org = generate(
        &OrgParams {
            members: case.members,
            branching: case.branching,
            depth: case.depth,
            platform_mix: [0.5, 0.4, 0.0, 0.1],
            members_per_department_admin: 20,
            ..OrgParams::default()
        },
        case.seed,
    );
    let policy = Policy {
        buffer,
        batch_limit: case.batch_limit,
        edition: if case.pro_wipe { Edition::Pro } else { Edition::Basic },
        mdm_wipe: case.pro_wipe,
        ..Policy::default()
    };
    let behaviour =
        Behaviour { uninstall_before_unbind: case.share, device_never_checks_in: 0.0, ..Behaviour::default() };
    let workload = Workload {
        kind: kind(case.kind, case.share),
        arrivals: Arrivals::Poisson { mean_gap: hours(2), count: 30 },
        members_per_arrival: case.per_arrival,
    };
    let experiment = Experiment {
        org: &org,
        policy: &policy,
        behaviour: &behaviour,
        workload: &workload,
        horizon: SimTime::NEVER,
        max_events: 10_000_000,
        leak_risk_at: &unbindsim::model::LEAK_RISK_DEFAULT,
    };
    run_replication(&experiment, case.seed, 0)
        .unwrap_or_else(|fault| panic!("{fault} (replay: this case {case:?})"))
        .observations
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn model_invariants_hold(case in case()) {
        let obs = drain(&case, hours(case.buffer_h));
        let o = obs.outcomes;
        let checked = check_counts(&obs, case.batch_limit).and_then(|()| check_outcomes(&obs, case.members as usize));
        prop_assert!(checked.is_ok(), "{} in {:?}", checked.unwrap_err(), case);
        prop_assert_eq!(o.pending, 0, "members stranded with no event left to move them: {:?} in {:?}", o, case);
        // Every lockout is recovered once the queue drains; without Windows
        // (which never logs out) only a rolled-back member keeps its batch
        // from completing.
        prop_assert_eq!(o.locked_out, 0, "a lockout never recovered: {:?}", case);
        if o.rolled_back == 0 {
            prop_assert_eq!(obs.batches_incomplete, 0, "a batch never completed after the queue drained");
        }
        let lockouts = obs.lockouts_by_platform.iter().map(|c| c.hits).sum::<u64>();
        prop_assert_eq!(obs.lockout_durations_us.len() as u64, lockouts, "a lockout without its duration");
        prop_assert!(obs.lockout_censored.times_us.is_empty());
        if !matches!(kind(case.kind, case.share), WorkloadKind::DeviceChange(_)) {
            prop_assert_eq!(lockouts, 0);
        }
        let rebind = obs.races[RaceKind::RebindVsRollback.index()];
        prop_assert!(rebind.units.hits <= o.rolled_back, "a re-bind race without a rollback");
    }

    #[test]
    fn a_longer_buffer_never_sees_fewer_actions_inside_it(case in case(), short in 0u64..=72, extra in 0u64..=72) {
        let self_exit = kinds().iter().position(|kind| *kind == WorkloadKind::SelfExit).expect("self-exit is a kind");
        let case = Case { kind: self_exit, ..case };
        let long = (short + extra).min(72);
        let shorter = drain(&case, hours(short)).races[RaceKind::ActionDuringBuffer.index()];
        let longer = drain(&case, hours(long)).races[RaceKind::ActionDuringBuffer.index()];
        prop_assert!(longer.events >= shorter.events, "buffer {}h: {} actions, {}h: {}", short, shorter.events, long, longer.events);
        prop_assert!(longer.units.hits >= shorter.units.hits);
    }
}
