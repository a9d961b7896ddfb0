//! `explain`: a member's timeline on the scripted example, against a
//! golden file and against times derived by hand from the script and the
//! domain's defaults; `--find` listing what a run of the same seed counts;
//! bad subjects and outcomes refused with exit 2.
//!
//! The golden file is `tests/golden/explain-script-example-member-3.txt`;
//! after an intended change of the timeline, regenerate it with
//! `UNBINDSIM_BLESS=1 cargo test --test integration explain::` and review
//! the diff.

use super::common::{stderr, temp_dir, unbindsim};
use serde_json::Value;

const SCRIPT: &str = "scenarios/script-example.toml";
const GOLDEN: &str = "tests/golden/explain-script-example-member-3.txt";

fn stdout_of(args: &[&str]) -> String {
    let output = unbindsim(args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    String::from_utf8(output.stdout).expect("utf-8")
}

fn json_of(args: &[&str]) -> Value {
    serde_json::from_str(&stdout_of(args)).expect("one JSON document")
}

const HOUR_US: u64 = 3_600_000_000;

#[test]
fn the_timeline_of_the_scripted_example_matches_its_golden_file() {
    let text = stdout_of(&["explain", SCRIPT, "--member", "3"]);
    if std::env::var_os("UNBINDSIM_BLESS").is_some() {
        std::fs::write(GOLDEN, &text).expect("golden file written");
    }
    let golden = std::fs::read_to_string(GOLDEN).expect("the golden file exists");
    assert_eq!(text, golden, "the timeline changed; if intended, regenerate it (see this file's doc)");
    assert!(
        text.contains("replay: unbindsim explain scenarios/script-example.toml --member 3 --replication 0 --seed 7")
    );
}

/// Member 3 is unbound by a super admin at 1 h under a 24 h buffer: the
/// console takes it at once, the buffer runs 1 h → 25 h, then the account
/// and every grant are revoked at 25 h and its devices told to log out;
/// every action it takes inside the buffer is a race (DOMAIN: a departed
/// member acting during the buffer).
#[test]
fn a_super_admins_unbind_under_a_buffer_revokes_at_the_buffers_end() {
    let json = json_of(&["explain", SCRIPT, "--member", "3", "--json"]);
    assert_eq!(json["schema_version"], 1);
    let steps = json["steps"].as_array().expect("steps");
    let member_state = |to: &str| {
        steps
            .iter()
            .find(|s| s["step"] == "state" && s["of"] == "member" && s["to"] == to)
            .and_then(|s| s["at_us"].as_u64())
            .unwrap_or_else(|| panic!("member 3 never became {to}"))
    };
    assert_eq!(member_state("requested"), HOUR_US);
    assert_eq!(member_state("buffer"), HOUR_US);
    assert_eq!(member_state("revoked"), 25 * HOUR_US);
    let revoked_grants: Vec<u64> = steps
        .iter()
        .filter(|s| s["step"] == "state" && s["to"] == "revoked" && s["of"] != "member")
        .map(|s| s["at_us"].as_u64().expect("a time"))
        .collect();
    assert_eq!(revoked_grants.len(), 5, "member 3 has five grants");
    assert!(revoked_grants.iter().all(|&at| at == 25 * HOUR_US));
    let buffer_races = steps.iter().filter(|s| s["step"] == "race" && s["kind"] == "action_during_buffer");
    assert!(buffer_races.clone().count() > 0, "it acts inside a 24 h buffer");
    for race in buffer_races {
        let at = race["at_us"].as_u64().expect("a time");
        assert!((HOUR_US..25 * HOUR_US).contains(&at), "a buffer race at {at} µs");
    }
    assert_eq!(json["end"]["races"][0], "action_during_buffer");
    assert_eq!(json["end"]["access"]["decided_at_us"], HOUR_US);
    assert_eq!(json["end"]["access"]["ends_us"]["account"], 25 * HOUR_US);
}

/// Member 7 uninstalls the app before unbinding an old phone at 4 h: the
/// device change is done after the Android exit steps (90 s by default),
/// when the lockout is drawn and the device is left uninstalled, still
/// bound until its auto-logout.
#[test]
fn uninstalling_first_leaves_the_device_uninstalled_after_the_exit_steps() {
    let json = json_of(&["explain", SCRIPT, "--member", "7", "--json"]);
    let steps = json["steps"].as_array().expect("steps");
    let at = |pred: &dyn Fn(&Value) -> bool| steps.iter().find(|s| pred(s)).and_then(|s| s["at_us"].as_u64());
    assert_eq!(at(&|s| s["of"] == "member" && s["to"] == "changing_device"), Some(4 * HOUR_US));
    let done = 4 * HOUR_US + 90_000_000;
    assert_eq!(at(&|s| s["of"] == "device 20" && s["to"] == "uninstalled"), Some(done));
    let lockout = steps.iter().find(|s| s["key"] == "behaviour.lockout_given_uninstall").expect("the lockout is drawn");
    assert_eq!(lockout["at_us"], done);
    assert_eq!(lockout["probability"], 0.236);
    assert_eq!(json["end"]["locked_out"], lockout["yes"]);
    assert_eq!(json["end"]["devices"][0]["state"], "uninstalled");
}

/// `--find` replays the replication a run counts: at one replication its
/// totals are the run's own hits.
#[test]
fn find_lists_the_members_a_run_of_the_same_seed_counts() {
    let out = temp_dir("explain-find");
    let out_arg = out.to_str().expect("utf-8 path");
    let run =
        unbindsim(&["run", "device-change", "--replications", "1", "--members", "300", "--out", out_arg, "--quiet"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("device-change/summary.json")).expect("summary"))
            .expect("JSON");
    let metrics = &summary["metrics"];
    let found = |outcome: &str| {
        json_of(&["explain", "device-change", "--members", "300", "--find", outcome, "--limit", "3", "--json"])
    };
    let locked = found("locked_out");
    assert_eq!(locked["matching"], metrics["lockout"]["hits"]);
    assert_eq!(locked["members"].as_array().map(Vec::len), Some(3));
    assert!(locked["members"].as_array().into_iter().flatten().all(|m| m["locked_out"] == true));
    for kind in ["credentials", "biometric", "sd_cache"] {
        let found = found(&format!("residue={kind}"));
        assert_eq!(found["matching"], metrics["residue"]["by_kind"][kind]["hits"], "{kind}");
    }
    let first = locked["members"][0]["member"].as_u64().expect("an id").to_string();
    let timeline = json_of(&["explain", "device-change", "--members", "300", "--member", &first, "--json"]);
    assert_eq!(timeline["end"]["locked_out"], true, "the member found is the member explained");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_subject_beyond_the_org_or_an_unknown_outcome_is_bad_input() {
    for (args, expected) in [
        (vec!["explain", SCRIPT, "--member", "40"], "member 40 is not in the org (it has 40)"),
        (vec!["explain", SCRIPT, "--device", "100000"], "device 100000 is not in the org"),
        (vec!["explain", SCRIPT, "--find", "residue=crumbs"], "no residue kind is called `crumbs`"),
        (vec!["explain", SCRIPT, "--find", "race=late"], "no race kind is called `late`"),
        (vec!["explain", SCRIPT, "--find", "gone"], "--find gone: one of locked_out"),
        (vec!["explain", SCRIPT], "required"),
    ] {
        let output = unbindsim(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
        assert!(output.stdout.is_empty(), "{args:?} printed a timeline");
    }
}
