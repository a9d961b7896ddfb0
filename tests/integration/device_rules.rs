//! The device rules, each on a tiny scripted org whose outcome is derived
//! by hand in the test's comment: a lost device without a wipe, a device
//! that never checks in after an admin's unbind, a self-exit's other
//! devices, the device a member exits on, the one residue rule per platform
//! and path, and the recovery of a lockout. Every run is checked after every
//! event (`run_checked`), so the invariants hold on the way too.
//!
//! Unless a test says otherwise: one device per member on one platform, no
//! handover (no group owners or pending approvals), no buffer, nobody keeps
//! biometrics or a trusted device, exit steps 90 s on a phone and 45 s on
//! Windows (the defaults).

use unbindsim::engine::{SimDuration, SimTime};
use unbindsim::metrics::{Reading, read};
use unbindsim::model::{
    DeviceExit, DeviceId, DeviceState, Fate, MemberId, MemberState, Observations, Org, Platform, ResidueKind,
    Unfinished, World,
};
use unbindsim::runner::{Experiment, run_checked, simulate};
use unbindsim::scenario::{Figure, Latency, Quantile, Scenario, parse_scenario};
use unbindsim::synth::generate;

const SEED: u64 = 5;

/// A scenario of `members` members, each with `devices` devices drawn from
/// `platforms` (a TOML inline table), with `extra` lines (policy,
/// behaviour, workload) after the org.
fn scenario(horizon: &str, members: u32, devices: u8, platforms: &str, extra: &str) -> Scenario {
    let text = format!(
        "name = \"device-rules\"\nhorizon = \"{horizon}\"\nseed = {SEED}\nreplications = 1\n\n\
         [org]\nmembers = {members}\ndepartments = {{ branching = 2, depth = 1 }}\n\
         devices_per_member = {{ poisson = 1.0, min = {devices}, max = {devices} }}\n\
         platforms = {platforms}\nroles = {{ group_owner = 0.0, pending_approvals = 0.0 }}\n\n{extra}"
    );
    parse_scenario("device-rules.toml", &text).unwrap_or_else(|error| panic!("{error}\n{text}"))
}

/// One platform only.
fn only(platform: Platform) -> String {
    let share = |p: Platform| if p == platform { "1.0" } else { "0.0" };
    format!(
        "{{ ios = {}, android = {}, windows = {}, macos = {} }}",
        share(Platform::Ios),
        share(Platform::Android),
        share(Platform::Windows),
        share(Platform::Macos)
    )
}

/// Behaviour that draws nothing a test does not ask for.
const QUIET: &str = "biometric_kept = 0.0\ntrusted_device_kept = 0.0\nskip_app_revoke = 0.0\nvendor_keeps_data = 0.0\n";

/// What a checked run ended with.
struct Ended {
    obs: Observations,
    members: Vec<MemberState>,
    devices: Vec<DeviceState>,
}

fn run(scenario: &Scenario) -> (Org, Ended) {
    let org = generate(&scenario.org, SEED);
    let experiment = Experiment {
        org: &org,
        policy: &scenario.policy,
        behaviour: &scenario.behaviour,
        workload: &scenario.workload,
        horizon: SimTime::ZERO + scenario.horizon,
        max_events: 1_000_000,
        leak_risk_at: &unbindsim::model::LEAK_RISK_DEFAULT,
    };
    let (mut members, mut devices) = (Vec::new(), Vec::new());
    let replication = run_checked(&experiment, SEED, 0, &mut |world: &World<'_>| {
        members = (0..org.members.len() as u32).map(|i| world.member_state(MemberId(i))).collect();
        devices = (0..org.devices.len() as u32).map(|i| world.device_state(DeviceId(i))).collect();
    })
    .unwrap_or_else(|fault| panic!("{fault}"));
    (org, Ended { obs: replication.observations, members, devices })
}

fn days(n: u64) -> u64 {
    SimDuration::from_days(n).as_micros()
}

fn secs(n: u64) -> u64 {
    SimDuration::from_secs(n).as_micros()
}

/// Rule 1. A member of an iOS, Android or Windows org replaces a phone it
/// has lost (`lost_device = 1`), decided at 1 h, under the basic edition
/// (no wipe). The change is done after the exit steps (90 s on a phone,
/// 45 s on Windows); nobody can reach the device, so it stays bound until
/// its platform's auto-logout: the batch takes 90 s + 90 d on iOS, 90 s +
/// 60 d on Android, and never ends on Windows (censored at the 120 d
/// horizon: "Windows never logs out"). Its residue stays: the keychain
/// credentials and the chat history (the app never runs again to expire
/// it) are still there at the horizon; the trusted-device entry goes with
/// the auto-logout. The old rule marked it unbound at once (latency 90 s)
/// and let the chat history expire after 30 d.
#[test]
fn a_lost_device_without_a_wipe_stays_bound_until_its_auto_logout() {
    let extra = format!(
        "[policy]\nedition = \"basic\"\n\n[behaviour]\n{QUIET}\n\
         [workload]\narrivals = {{ at = [\"1h\"] }}\n\n[workload.device-change]\nlost_device = 1.0\n"
    );
    for (platform, expected) in [
        (Platform::Ios, Some(secs(90) + days(90))),
        (Platform::Android, Some(secs(90) + days(60))),
        (Platform::Windows, None),
    ] {
        let (_, ended) = run(&scenario("120d", 3, 1, &only(platform), &extra));
        let obs = &ended.obs;
        match expected {
            Some(latency_us) => {
                assert_eq!(obs.batch_latencies_us, [latency_us], "{platform:?}");
                assert!(ended.devices.contains(&DeviceState::AutoLoggedOut), "{platform:?}: {:?}", ended.devices);
                assert_eq!(obs.residue.by_kind[ResidueKind::ChatHistory.index()], 1, "{platform:?}");
                assert_eq!(obs.residue.by_kind[ResidueKind::TrustedDevice.index()], 0, "{platform:?}");
            }
            None => {
                assert!(obs.batch_latencies_us.is_empty());
                assert_eq!(obs.batch_censored.by_reason[Unfinished::NoAutoLogout.index()], 1);
                assert!(ended.devices.contains(&DeviceState::Lost), "{:?}", ended.devices);
                assert!(ended.members.contains(&MemberState::ChangingDevice));
                assert_eq!(obs.residue.by_kind[ResidueKind::Registry.index()], 1);
                assert_eq!(obs.residue.by_kind[ResidueKind::TrustedDevice.index()], 1);
            }
        }
        let leftovers = platform.local_residue().kinds().next().expect("ios, android, windows leave something");
        assert_eq!(obs.residue.by_kind[leftovers.index()], 1, "{platform:?}");
    }
}

/// Rule 1, the admin's way. The same lost phone, with an admin unbinding
/// a lost device from the console 3 d after the change
/// (`policy.lost_device_unbind`): the binding goes at 90 s + 3 d, before
/// any auto-logout, so the batch takes 90 s + 3 d on iOS and on Windows
/// alike (45 s + 3 d on Windows, whose exit steps are 45 s); the device's
/// data stays on it (leftovers, chat history), its trusted entry goes.
#[test]
fn an_admin_unbinding_a_lost_device_ends_its_binding_but_not_its_residue() {
    let extra = format!(
        "[policy]\nedition = \"basic\"\nlost_device_unbind = {{ fixed = \"3d\" }}\n\n[behaviour]\n{QUIET}\n\
         [workload]\narrivals = {{ at = [\"1h\"] }}\n\n[workload.device-change]\nlost_device = 1.0\n"
    );
    for (platform, steps_s) in [(Platform::Ios, 90), (Platform::Windows, 45)] {
        let (_, ended) = run(&scenario("120d", 3, 1, &only(platform), &extra));
        let obs = &ended.obs;
        assert_eq!(obs.batch_latencies_us, [secs(steps_s) + days(3)], "{platform:?}");
        assert!(ended.devices.contains(&DeviceState::Inactive), "{platform:?}: {:?}", ended.devices);
        assert!(ended.members.contains(&MemberState::DeviceChanged));
        let leftovers = platform.local_residue().kinds().next().expect("ios and windows leave something");
        assert_eq!(obs.residue.by_kind[leftovers.index()], 1, "{platform:?}");
        assert_eq!(obs.residue.by_kind[ResidueKind::ChatHistory.index()], 1, "{platform:?}");
        assert_eq!(obs.residue.by_kind[ResidueKind::TrustedDevice.index()], 0, "{platform:?}");
    }
}

/// Rule 2. A super admin unbinds member 0 at 1 h; its one device never
/// checks in (`device_never_checks_in = 1`). No handover, no buffer, no
/// console wait: the account is revoked at 1 h and the device told to log
/// out. Nobody confirms it, so the server's inactivity timer logs it out
/// after its platform's limit: the batch takes exactly 90 d on iOS and
/// macOS, 60 d on Android, and never ends on Windows (censored at the
/// 120 d horizon, "never checked in"). The old rule left every such device
/// pending forever.
#[test]
fn an_admin_unbound_device_that_never_checks_in_logs_out_after_its_platforms_limit() {
    let extra = format!(
        "[behaviour]\n{QUIET}device_never_checks_in = 1.0\n\n\
         [workload.script]\nsteps = [{{ at = \"1h\", op = \"unbind\", member = 0, by = \"super\" }}]\n"
    );
    for (platform, expected) in [
        (Platform::Ios, Some(days(90))),
        (Platform::Macos, Some(days(90))),
        (Platform::Android, Some(days(60))),
        (Platform::Windows, None),
    ] {
        let (_, ended) = run(&scenario("120d", 3, 1, &only(platform), &extra));
        let obs = &ended.obs;
        assert_eq!(obs.revocation_latencies_us, [0], "{platform:?}");
        match expected {
            Some(latency_us) => {
                assert_eq!(obs.batch_latencies_us, [latency_us], "{platform:?}");
                assert_eq!((ended.members[0], ended.devices[0]), (MemberState::Unbound, DeviceState::AutoLoggedOut));
            }
            None => {
                assert_eq!(obs.batch_censored.by_reason[Unfinished::NeverCheckedIn.index()], 1);
                assert_eq!((ended.members[0], ended.devices[0]), (MemberState::Revoked, DeviceState::LogoutPending));
            }
        }
    }
}

/// The first member with a phone and a Windows desktop (its first device
/// on `first`), in the org of `scenario`.
fn phone_and_desktop(scenario: &Scenario, first: Platform) -> (MemberId, DeviceId, DeviceId) {
    let org = generate(&scenario.org, SEED);
    (0..org.members.len() as u32)
        .map(MemberId)
        .find_map(|member| {
            let devices: Vec<DeviceId> = org.devices_of(member).collect();
            let platform = |d: &DeviceId| org.devices[d.index()].platform;
            let phone = devices.iter().find(|d| platform(d) == Platform::Ios)?;
            let desktop = devices.iter().find(|d| platform(d) == Platform::Windows)?;
            (platform(&devices[0]) == first).then_some((member, *phone, *desktop))
        })
        .expect("the org has such a member")
}

/// A script that only stands in for the org (its step changes no device).
const PROBE: &str = "[workload.script]\nsteps = [{ at = \"1h\", op = \"revoke\", member = 0, grant = 0 }]\n";

/// A scenario of 20 members with an iOS phone or a Windows desktop each of
/// their two devices, with `extra` after the org.
fn two_devices(extra: &str) -> Scenario {
    scenario("10d", 20, 2, "{ ios = 0.5, android = 0.0, windows = 0.5, macos = 0.0 }", extra)
}

/// Rule 8. A member with an iOS phone and a Windows desktop leaves from the
/// app at 1 h, under pro with MDM wipe, every device checking in 2 h after
/// an unbind reaches the server. It exits on the phone (90 s of exit
/// steps): revoked at 1 h + 90 s, the phone logged out by hand at once.
/// The desktop is not logged out with it: it learns of the exit at its
/// next check-in, 2 h later, and is logged out, not wiped (no admin unbound
/// it). The batch takes 90 s + 2 h. The old rule logged both out at once
/// (batch 90 s).
#[test]
fn a_self_exit_logs_the_desktop_out_at_its_next_check_in() {
    let policy = "[policy]\nedition = \"pro\"\nmdm_wipe = true\ndevice_checkin = { fixed = \"2h\" }\n\n";
    let probe = two_devices(&format!("{policy}{PROBE}"));
    let (member, phone, desktop) = phone_and_desktop(&probe, Platform::Ios);
    let extra = format!(
        "{policy}[behaviour]\n{QUIET}\n[workload.script]\nsteps = [{{ at = \"1h\", op = \"unbind\", member = {}, by = \"member\" }}]\n",
        member.0
    );
    let (_, ended) = run(&two_devices(&extra));
    assert_eq!(ended.obs.revocation_latencies_us, [secs(90)]);
    assert_eq!(ended.obs.batch_latencies_us, [secs(90) + SimDuration::from_hours(2).as_micros()]);
    assert_eq!(ended.members[member.index()], MemberState::Unbound);
    assert_eq!(
        (ended.devices[phone.index()], ended.devices[desktop.index()]),
        (DeviceState::Inactive, DeviceState::Inactive)
    );
}

/// Rule 7. A member whose first device is a Windows desktop and who also
/// has an iOS phone exits on the phone: its exit steps take the phone's
/// 90 s, not the desktop's 45 s, so the account is revoked 90 s after the
/// decision (the old rule timed the first device: 45 s). Replacing a device
/// is timed the same way, on the phone it replaces.
#[test]
fn exit_steps_are_timed_on_the_device_the_member_exits_on() {
    let probe = two_devices(PROBE);
    let (member, phone, desktop) = phone_and_desktop(&probe, Platform::Windows);
    for op in ["op = \"unbind\", by = \"member\"", "op = \"change-device\""] {
        let extra = format!(
            "[behaviour]\n{QUIET}\n[workload.script]\nsteps = [{{ at = \"1h\", {op}, member = {} }}]\n",
            member.0
        );
        let (_, ended) = run(&two_devices(&extra));
        assert_eq!(ended.obs.revocation_latencies_us, [secs(90)], "{op}");
        if op.contains("change-device") {
            assert_eq!(
                (ended.devices[phone.index()], ended.devices[desktop.index()]),
                (DeviceState::Inactive, DeviceState::Bound)
            );
        }
    }
}

/// Rule 13. One member unbound at 1 h, read at a 10 d horizon (before the
/// 30 d chat retention), everyone clearing app data when they log out by
/// hand (`clear_data_skipped = 0`, no Android wipe) and forced cleanup
/// always done where it applies (`forced_cleanup = 1`), devices checking in
/// after 1 h, no wipe. By `Platform::residue_rule`:
/// - a self-exit on iOS clears the data: nothing stays (the old rule kept
///   the chat history until its retention ended);
/// - a device change in the right order on iOS: nothing stays, the same;
/// - a super admin's unbind on iOS: the app logs out at check-in and
///   nobody clears it, so the chat history stays until its retention ends
///   (still there at 10 d), and forced cleanup removes the keychain
///   credentials (the old rule never applied forced cleanup here);
/// - a self-exit on Windows clears the data but the history files stay.
#[test]
fn one_residue_rule_per_platform_and_path() {
    let behaviour =
        format!("[behaviour]\n{QUIET}clear_data_skipped = 0.0\nandroid_full_wipe = 0.0\nforced_cleanup = 1.0\n");
    let cases = [
        (Platform::Ios, "op = \"unbind\", by = \"member\"", vec![]),
        (Platform::Ios, "op = \"change-device\"", vec![]),
        (Platform::Ios, "op = \"unbind\", by = \"super\"", vec![ResidueKind::ChatHistory]),
        (Platform::Windows, "op = \"unbind\", by = \"member\"", vec![ResidueKind::ChatHistory]),
    ];
    for (platform, op, expected) in cases {
        let extra = format!(
            "[policy]\nedition = \"basic\"\ndevice_checkin = {{ fixed = \"1h\" }}\n\n{behaviour}\n\
             [workload.script]\nsteps = [{{ at = \"1h\", {op}, member = 0 }}]\n"
        );
        let (_, ended) = run(&scenario("10d", 3, 1, &only(platform), &extra));
        let left: Vec<ResidueKind> =
            ResidueKind::ALL.into_iter().filter(|kind| ended.obs.residue.by_kind[kind.index()] > 0).collect();
        assert_eq!(left, expected, "{platform:?}, {op}");
    }
}

/// The table README shows, from the rule itself.
#[test]
fn the_residue_table_is_the_rule() {
    let mut table =
        String::from("| exit | leftovers | chat history (iOS, Android, macOS) | chat history (Windows) |\n");
    table.push_str("|---|---|---|---|\n");
    for exit in DeviceExit::ALL {
        let rule = |p: Platform| p.residue_rule(exit);
        assert!(Platform::ALL.iter().all(|&p| rule(p).leftovers == rule(Platform::Ios).leftovers));
        let mobile = rule(Platform::Ios).chat_history;
        assert!([Platform::Android, Platform::Macos].iter().all(|&p| rule(p).chat_history == mobile));
        table.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            exit.name(),
            rule(Platform::Ios).leftovers.name(),
            mobile.name(),
            rule(Platform::Windows).chat_history.name()
        ));
    }
    assert_eq!(
        table,
        "| exit | leftovers | chat history (iOS, Android, macOS) | chat history (Windows) |\n\
         |---|---|---|---|\n\
         | cleared | removed | removed | kept |\n\
         | logged_out | kept unless forced cleanup | deleted after chat retention | kept |\n\
         | checked_in | kept unless forced cleanup | deleted after chat retention | kept |\n\
         | uninstalled | kept unless forced cleanup | removed | kept |\n\
         | unreachable | kept | kept | kept |\n\
         | wiped | removed | removed | removed |\n"
    );
    assert_eq!(Platform::Ios.residue_rule(DeviceExit::Wiped).chat_history, Fate::Removed);
}

/// The lockout scenario: member 0 uninstalls the app before unbinding its
/// iOS phone at 1 h, which always locks the account; member 1 replaces its
/// phone in the right order at 1 h. Recovery takes a fixed 3 d.
fn lockout(horizon: &str) -> Scenario {
    let extra = format!(
        "[policy]\nlockout_recovery = {{ fixed = \"3d\" }}\n\n[behaviour]\n{QUIET}lockout_given_uninstall = 1.0\n\n\
         [workload.script]\nsteps = [\n  {{ at = \"1h\", op = \"uninstall\", member = 0 }},\n  \
         {{ at = \"1h\", op = \"change-device\", member = 1 }},\n]\n"
    );
    scenario(horizon, 3, 1, &only(Platform::Ios), &extra)
}

/// Rule 3. Member 0's account locks when its change is done (1 h + 90 s)
/// and is recovered 3 d later: the support ticket removes the phone's
/// binding (it ends inactive, not waiting 90 d for the auto-logout) and the
/// change completes, a batch of 90 s + 3 d; the lockout lasted 3 d. Member
/// 1's change takes 90 s. Of two changes one locked (lockout rate 1/2); of
/// one uninstall, one (given uninstall, 1/1 by this scenario's
/// construction). At a 2 d horizon the account is still locked: its
/// lockout is censored at 2 d − 1 h − 90 s, "locked out, recovery
/// pending". The old rule kept it locked forever.
#[test]
fn a_lockout_is_recovered_after_its_recovery_delay() {
    let (_, ended) = run(&lockout("10d"));
    let obs = &ended.obs;
    assert_eq!((ended.members[0], ended.devices[0]), (MemberState::DeviceChanged, DeviceState::Inactive));
    assert_eq!(obs.lockout_durations_us, [days(3)]);
    let mut latencies = obs.batch_latencies_us.clone();
    latencies.sort_unstable();
    assert_eq!(latencies, [secs(90), secs(90) + days(3)]);
    let ios = Platform::Ios.index();
    assert_eq!((obs.lockouts_by_platform[ios].hits, obs.lockouts_by_platform[ios].trials), (1, 2));
    let given = obs.lockouts_given_uninstall_by_platform[ios];
    assert_eq!((given.hits, given.trials), (1, 1));

    let (_, ended) = run(&lockout("2d"));
    assert_eq!(ended.members[0], MemberState::LockedOut);
    let censored = &ended.obs.lockout_censored;
    assert_eq!(censored.times_us, [days(2) - SimDuration::from_hours(1).as_micros() - secs(90)]);
    assert_eq!(censored.by_reason[Unfinished::LockedOut.index()], 1);
    assert_eq!(ended.obs.batch_censored.by_reason[Unfinished::LockedOut.index()], 1);
}

/// The same lockout read as figures, over 10 replications: every
/// replication locks one of two changes and recovers it after exactly 3 d,
/// so the lockout rate is 1/2, the rate given an uninstall 1, and every
/// percentile of the lockout duration 3 d (to the histogram's 3
/// significant digits); nothing is censored.
#[test]
fn lockout_figures_read_through_the_figure_list() {
    let scenario = lockout("10d");
    let summary = simulate(&scenario, SEED, 10, 2, &|| {}).unwrap_or_else(|fault| panic!("{fault}"));
    let rate = |figure| match read(figure, &summary) {
        Ok(Reading::Rate(view)) => view.rate,
        other => panic!("{other:?}"),
    };
    assert_eq!(rate(Figure::LockoutRate), Some(0.5));
    assert_eq!(rate(Figure::LockoutGivenUninstallRate), Some(1.0));
    let Ok(Reading::Percentile { value_ms: Some(p50), .. }) =
        read(Figure::LatencyQuantile(Latency::Lockout, Quantile::P50), &summary)
    else {
        panic!("no lockout duration")
    };
    let three_days_ms = 3.0 * 86_400_000.0;
    assert!((p50 as f64 / three_days_ms - 1.0).abs() < 1e-3, "{p50}");
    assert!(matches!(read(Figure::LatencyUnfinished(Latency::Lockout), &summary), Ok(Reading::Count(0))));
    assert_eq!(summary.metrics.lockout.duration_ms.batches, 10);
}
