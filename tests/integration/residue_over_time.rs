//! Residue over time: the survival of residue after each unbind. First on
//! a tiny scripted org, exactly, against the check-in instants the run
//! records (each member's exposure window is its one device's check-in
//! delay); then the closed form exp(−t/m) of a remote wipe at exponential
//! check-ins of mean m over many devices; then, through the binary, a paired
//! `compare` that must (a remote wipe) and one that must not (chat
//! retention, for credentials) move it, objectives over its figures, and
//! shards that merge into the unsharded run byte for byte.

use super::common::{merged_shards_and_whole, stderr, temp_dir, unbindsim};
use unbindsim::model::{Observations, Platform, ResidueKind, World};
use unbindsim::runner::{Experiment, run_checked};
use unbindsim::scenario::{Scenario, parse_scenario};
use unbindsim::synth::generate;

const SEED: u64 = 23;
const HOUR_US: u64 = 3_600_000_000;

/// Fifty members (five of them disabled: few enough that the mass-deletion
/// guard, which holds a disable of most of an org for a day, stays out)
/// with one iOS device each and no grant; a pro edition that
/// wipes a device when it checks in after a super admin's disable (no
/// buffer, so the account is cut at the decision), check-ins exponential
/// with mean 2 d, every device checking in; members 0 … 4 disabled at
/// 1 h … 5 h.
fn wiped_org(horizon: &str) -> Scenario {
    let steps: String = (0..5)
        .map(|member| {
            format!("  {{ at = \"{}h\", op = \"unbind\", member = {member}, by = \"super\" }},\n", member + 1)
        })
        .collect();
    let text = format!(
        "name = \"residue-rule\"\nhorizon = \"{horizon}\"\nseed = {SEED}\nreplications = 1\n\n\
         [org]\nmembers = 50\ndepartments = {{ branching = 2, depth = 1 }}\n\
         devices_per_member = {{ poisson = 1.0, min = 1, max = 1 }}\n\
         platforms = {{ ios = 1.0, android = 0.0, windows = 0.0, macos = 0.0 }}\n\
         apps = {{ count = 3, grants_per_member = 0.0 }}\n\
         roles = {{ group_owner = 0.0, pending_approvals = 0.0 }}\n\n\
         [policy]\nbuffer = \"0h\"\nedition = \"pro\"\nmdm_wipe = true\ndevice_checkin = {{ exp = \"2d\" }}\n\n\
         [behaviour]\ndevice_never_checks_in = 0.0\n\n[workload.script]\nsteps = [\n{steps}]\n"
    );
    parse_scenario("residue-rule.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn observe(scenario: &Scenario) -> Observations {
    let org = generate(&scenario.org, SEED);
    let experiment = Experiment::of(scenario, &org);
    let replication = run_checked(&experiment, SEED, 0, &mut |_: &World<'_>| {}).unwrap_or_else(|f| panic!("{f}"));
    replication.observations
}

#[test]
fn with_a_wipe_at_check_in_residue_survives_exactly_until_each_devices_check_in() {
    // Each member's exposure window is its device's path alone (cut at the
    // decision, no grant, no kept module): the check-in delay, or horizon
    // − unbind where the device had not checked in by the horizon. Until
    // the check-in the device keeps its keychain credentials (nobody
    // reaches it); the wipe then removes everything. So at every point t a
    // member unbound at u with u + t ≤ horizon holds credentials exactly
    // when its delay exceeds t; the credentials' time held is the sum of
    // the windows; the device curve is the same (one iOS device each).
    // Horizon 3 d: the 7 d, 30 d and 90 d points are past it for all five.
    let obs = observe(&wiped_org("3d"));
    let exposure = &obs.exposure;
    assert_eq!((exposure.members, exposure.path_ms[0]), (5, 0), "every account is cut at its decision");
    let survival = &obs.residue_over_time;
    let windows: Vec<u64> = exposure.ended_us.iter().chain(&exposure.censored_us).copied().collect();
    let credentials = ResidueKind::Credentials.index();
    let ios = Platform::Ios.index();
    for point in &survival.points {
        let after_us = point.after.as_micros();
        // Unbinds at 1 h … 5 h: observable at t when (k + 1) h + t ≤ 72 h.
        let observable = (0..5u64).filter(|k| (k + 1) * HOUR_US + after_us <= 72 * HOUR_US).count() as u64;
        assert_eq!((point.members, point.members_past_horizon), (observable, 5 - observable), "{:?}", point.after);
        if observable == 5 {
            let held = windows.iter().filter(|&&window| window > after_us).count() as u64;
            assert_eq!(point.held_by_kind[credentials], held, "{:?}", point.after);
            assert_eq!((point.devices[ios].hits, point.devices[ios].trials), (held, 5), "{:?}", point.after);
        }
    }
    assert_eq!(survival.points[0].members, 5, "1 h after each unbind is observed for all");
    assert_eq!(survival.held_ms_by_kind[credentials], windows.iter().sum::<u64>() / 1_000);
    // The horizon snapshot is the same state: what survived at the horizon.
    assert_eq!(obs.residue.by_kind[credentials], exposure.censored_us.len() as u64);
}

/// Writes `text` as `name.toml` in `directory` and runs `command` on it
/// with `extra` arguments (after the file), into `out-<name>`.
fn run_file(directory: &std::path::Path, name: &str, text: &str, extra: &[&str]) -> (std::process::Output, String) {
    let file = directory.join(format!("{name}.toml"));
    std::fs::write(&file, text).unwrap();
    let out = directory.join(format!("out-{name}")).to_string_lossy().into_owned();
    let mut args = vec!["run", file.to_str().unwrap(), "--out", &out];
    args.extend(extra);
    (unbindsim(&args), format!("{out}/{name}/summary.json"))
}

fn json(path: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

/// The admin-batch seed scenario on a pro edition, with `policy` lines.
fn admin_batch(name: &str, policy: &str) -> String {
    format!("base = \"admin-batch\"\nname = \"{name}\"\n[policy]\nedition = \"pro\"\n{policy}\n")
}

#[test]
fn with_a_wipe_at_exponential_check_ins_of_mean_m_device_residue_survives_as_exp_minus_t_over_m() {
    // Admins disable members from the console: every device is unbound by
    // the server and keeps its data until it checks in, where a pro MDM
    // policy wipes it; check-ins are exponential with mean 2 d and every
    // device checks in. Nothing else clears an iOS device's credentials,
    // so the share of iOS devices still holding residue t after the unbind
    // is exp(−t / 2 d): at 12 h, 1 d, 2 d and 4 d, 0.7788, 0.6065, 0.3679,
    // 0.1353. Over some 20 000 devices in 10 replications of 2 000 members
    // the binomial standard error is under 0.004: each point lies within
    // four of them.
    let directory = temp_dir("residue-closed-form");
    let text = admin_batch("closed", "mdm_wipe = true\ndevice_checkin = { exp = \"2d\" }")
        .replace("[policy]", "[metrics]\nleak_risk_at = [\"12h\", \"1d\", \"2d\", \"4d\"]\n[policy]")
        + "[behaviour]\ndevice_never_checks_in = 0.0\n";
    let (output, path) = run_file(&directory, "closed", &text, &["--members", "2000", "--replications", "10"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let points = json(&path)["metrics"]["residue"]["over_time"]["points"].clone();
    for (key, days) in [("12h", 0.5), ("1d", 1.0), ("2d", 2.0), ("4d", 4.0)] {
        let ios = &points[key]["by_platform"]["ios"];
        let (rate, trials) = (ios["rate"].as_f64().unwrap(), ios["trials"].as_u64().unwrap());
        let expected = f64::exp(-days / 2.0);
        let standard_error = (expected * (1.0 - expected) / trials as f64).sqrt();
        assert!(trials > 15_000, "{key}: {ios}");
        assert!((rate - expected).abs() < 4.0 * standard_error, "{key}: {rate} against {expected}: {ios}");
    }
    std::fs::remove_dir_all(directory).unwrap();
}

/// The paired comparison of A and B (admin-batch on a pro edition with
/// each's `policy` lines), 2 000 members and 10 replications.
fn comparison(directory: &std::path::Path, a: &str, b: &str) -> serde_json::Value {
    let write = |name: &str, policy: &str| {
        let file = directory.join(format!("{name}.toml"));
        std::fs::write(&file, admin_batch(name, policy)).unwrap();
        file.to_string_lossy().into_owned()
    };
    let (file_a, file_b) = (write("a", a), write("b", b));
    let out = directory.join("cmp").to_string_lossy().into_owned();
    let args = ["compare", &file_a, &file_b, "--members", "2000", "--replications", "10", "--out", &out, "--quiet"];
    let output = unbindsim(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let comparison = json(&format!("{out}/compare-a-vs-b/comparison.json"));
    std::fs::remove_dir_all(&out).unwrap();
    comparison
}

#[test]
fn a_wipe_lowers_residue_survival_significantly_and_chat_retention_leaves_credentials_alone() {
    // Without a wipe a device that checks in keeps its keychain
    // credentials unless forced cleanup is done; with one it keeps
    // nothing. On the same people (common random numbers) every
    // replication's 7-day survival of credentials falls: the exact
    // sign-flip p is 2/1024, the interval lies below zero. A shorter chat
    // retention clears only chat history: credentials do not differ in any
    // replication, while chat history 7 d after the unbind falls.
    let directory = temp_dir("residue-compare");
    let wipe = comparison(&directory, "mdm_wipe = false", "mdm_wipe = true");
    let credentials = &wipe["figures"]["residue_credentials_7d"];
    assert_eq!(credentials["significant"], true, "{credentials}");
    assert!(credentials["p_value"].as_f64().unwrap() <= 0.002, "{credentials}");
    assert!(credentials["difference"]["ci95"][1].as_f64().unwrap() < 0.0, "{credentials}");
    assert!(wipe["residue_over_time_holm_family"].as_u64().unwrap() > 0, "{wipe}");
    let retention = comparison(&directory, "chat_retention = \"30d\"", "chat_retention = \"1d\"");
    let credentials = &retention["figures"]["residue_credentials_7d"];
    assert_eq!(credentials["significant"], false, "{credentials}");
    assert_eq!(credentials["difference"]["mean"].as_f64(), Some(0.0), "{credentials}");
    let chat = &retention["figures"]["residue_chat_history_7d"];
    assert!(chat["difference"]["mean"].as_f64().unwrap() < 0.0, "{chat}");
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn objectives_over_residue_survival_are_decided_on_their_intervals() {
    // Without a wipe most iOS devices keep credentials for good, so
    // `residue_credentials_30d < 0.1` cannot pass: the run fails it (exit
    // 3, named). With a wipe at check-ins of mean 15 min nothing is left
    // a day later: `residue_credentials_1d < 0.1` and `residue_ios_1d <
    // 0.1` pass.
    let directory = temp_dir("residue-slo");
    let args = ["--members", "2000", "--replications", "10"];
    let failing = admin_batch("failing", "") + "[slo]\nresidue_credentials_7d = \"< 0.1\"\n";
    let (output, _) = run_file(&directory, "failing", &failing, &args);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let verdicts = String::from_utf8_lossy(&output.stdout).into_owned() + &stderr(&output);
    assert!(verdicts.contains("residue_credentials_7d"), "{verdicts}");
    let passing = admin_batch("passing", "mdm_wipe = true")
        + "[slo]\nresidue_credentials_1d = \"< 0.1\"\nresidue_ios_1d = \"< 0.1\"\n";
    let (output, _) = run_file(&directory, "passing", &passing, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let verdicts = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(verdicts.contains("residue_ios_1d") && verdicts.contains("PASS"), "{verdicts}");
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn residue_over_time_of_merged_shards_is_the_unsharded_run_byte_for_byte() {
    // Admin-batch (devices checking in over time, members unbound too late
    // for the 30 d point) with points of its own, in three shards.
    let directory = temp_dir("residue-shards");
    let file = directory.join("points.toml");
    std::fs::write(
        &file,
        "base = \"admin-batch\"\nname = \"residue-rule\"\n[metrics]\nleak_risk_at = [\"2h\", \"20d\"]\n",
    )
    .unwrap();
    let (merged, whole) = merged_shards_and_whole(&directory, file.to_str().unwrap(), "residue-rule");
    assert!(whole.contains("\"over_time\"") && whole.contains("\"20d\"") && whole.contains("\"days_per_member\""));
    assert_eq!(merged, whole, "merged shards differ from the unsharded run");
    std::fs::remove_dir_all(directory).unwrap();
}
