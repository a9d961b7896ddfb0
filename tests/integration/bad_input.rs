//! Bad input everywhere, as a table: broken scenario files and flag
//! combinations. Each must exit 2 with a message naming the file and
//! line/column or the flag, and the key; none may panic or write a result.

use super::common::{stderr, temp_dir, unbindsim};
use serde_json::json;

const HEAD: &str = "name = \"t\"\nhorizon = \"30d\"\n";
const WORKLOAD: &str = "[workload]\narrivals = { poisson = \"1/d\" }\n[workload.self-exit]\n";

/// (case, scenario text, text the error must contain). A needle that starts
/// with `:` is a location (`:line:column: key `…``) and must follow the
/// file's path in the message.
fn broken_files() -> Vec<(&'static str, String, &'static str)> {
    let with = |table: &str| format!("{HEAD}{table}\n{WORKLOAD}");
    vec![
        ("unknown top-level key", format!("{HEAD}colour = 1\n{WORKLOAD}"), ":3:1: key `colour`"),
        ("unknown org key", with("[org]\nmembrs = 10"), ":4:1: key `org.membrs`"),
        ("unknown policy key", with("[policy]\nbufer = \"1h\""), ":4:1: key `policy.bufer`"),
        ("unknown behaviour key", with("[behaviour]\nlazy = 0.5"), ":4:1: key `behaviour.lazy`"),
        ("unknown workload key", format!("{HEAD}[workload]\narivals = 1\n[workload.self-exit]\n"), "arivals"),
        (
            "unknown kind key",
            format!("{HEAD}[workload]\narrivals = {{ poisson = \"1/d\" }}\n[workload.admin-batch]\nbatch = 5\n"),
            "batch",
        ),
        ("members as text", with("[org]\nmembers = \"many\""), "org.members"),
        ("duration as number", with("[policy]\nbuffer = 5"), "policy.buffer"),
        ("negative duration", with("[policy]\nbuffer = \"-1h\""), ":4:10: key `policy.buffer`"),
        ("zero horizon", format!("name = \"t\"\nhorizon = \"0h\"\n{WORKLOAD}"), "horizon"),
        ("huge horizon", format!("name = \"t\"\nhorizon = \"100000d\"\n{WORKLOAD}"), "horizon"),
        ("unknown duration unit", with("[policy]\ntoken_ttl = \"3 parsecs\""), ":4:13: key `policy.token_ttl`"),
        (
            "zero rate",
            format!("{HEAD}[workload]\narrivals = {{ poisson = \"0/d\" }}\n[workload.self-exit]\n"),
            "poisson",
        ),
        (
            "negative rate",
            format!("{HEAD}[workload]\narrivals = {{ poisson = \"-5/d\" }}\n[workload.self-exit]\n"),
            "poisson",
        ),
        (
            "rate without unit",
            format!("{HEAD}[workload]\narrivals = {{ poisson = \"fast\" }}\n[workload.self-exit]\n"),
            "poisson",
        ),
        ("probability above 1", with("[behaviour]\nskip_app_revoke = 1.5"), ":4:19: key `behaviour.skip_app_revoke`"),
        ("negative probability", with("[behaviour]\nforced_cleanup = -0.1"), "behaviour.forced_cleanup"),
        (
            "unknown platform in a lockout table",
            with("[behaviour]\nlockout_given_uninstall = { linux = 0.2 }"),
            "linux",
        ),
        ("batch limit zero", with("[policy]\nbatch_limit = 0"), ":4:1: key `policy.batch_limit`"),
        ("unknown api preset", with("[policy]\napi_limits = \"aws\""), "policy.api_limits"),
        ("api limit zero", with("[policy]\napi_limits = { per_minute = 0 }"), "policy.api_limits"),
        ("unknown api limit key", with("[policy]\napi_limits = { per_second = 5 }"), "per_second"),
        ("stale id share above 1", with("[behaviour]\nstale_id_share = 2"), "behaviour.stale_id_share"),
        ("zero members", with("[org]\nmembers = 0"), "org.members"),
        ("members beyond u32", with("[org]\nmembers = 40000000000"), "org.members"),
        ("too many members", with("[org]\nmembers = 30000000"), "org.members"),
        ("platform shares not summing to 1", with("[org]\nplatforms = { ios = 0.5 }"), ":4:1: key `org.platforms`"),
        ("unknown platform", with("[org]\nplatforms = { symbian = 1.0 }"), "symbian"),
        ("branching zero", with("[org]\ndepartments = { branching = 0, depth = 2 }"), "org.departments"),
        ("depth too deep", with("[org]\ndepartments = { branching = 2, depth = 50 }"), "org.departments"),
        (
            "devices min above max",
            with("[org]\ndevices_per_member = { poisson = 2.0, min = 5, max = 2 }"),
            "org.devices_per_member",
        ),
        ("no workload kind", format!("{HEAD}[workload]\narrivals = {{ poisson = \"1/d\" }}\n"), ":3:2: key `workload`"),
        ("two workload kinds", format!("{WORKLOAD}[workload.app-grants]\n{HEAD}"), "workload"),
        ("missing arrivals", format!("{HEAD}[workload]\n[workload.self-exit]\n"), "arrivals"),
        (
            "two arrival processes",
            format!("{HEAD}[workload]\narrivals = {{ poisson = \"1/d\", at = [\"1h\"] }}\n[workload.self-exit]\n"),
            "workload.arrivals",
        ),
        (
            "every without count",
            format!("{HEAD}[workload]\narrivals = {{ every = \"1h\" }}\n[workload.self-exit]\n"),
            "workload.arrivals",
        ),
        ("pool without servers", with("[policy]\napproval = { servers = 0, service = \"1h\" }"), "policy.approval"),
        ("unknown distribution", with("[policy]\nhandover = { gamma = \"1h\" }"), "policy.handover"),
        (
            "lognormal sigma zero",
            with("[policy]\nhandover = { lognormal = { median = \"1h\", sigma = 0 } }"),
            "policy.handover",
        ),
        ("uniform reversed", with("[policy]\nhandover = { uniform = [\"3h\", \"1h\"] }"), "policy.handover"),
        ("empirical empty", with("[policy]\nhandover = { empirical = [] }"), "policy.handover"),
        (
            "tier shares not summing to 1",
            format!(
                "{HEAD}[workload]\narrivals = {{ poisson = \"1/d\" }}\n[workload.admin-batch]\ntiers = {{ super = 0.5 }}\n"
            ),
            "tiers",
        ),
        ("wipe on the basic edition", with("[policy]\nedition = \"basic\"\nmdm_wipe = true"), "policy.mdm_wipe"),
        ("unknown edition", with("[policy]\nedition = \"gold\""), "policy.edition"),
        ("buffer over 72h", with("[policy]\nbuffer = \"73h\""), ":4:1: key `policy.buffer`"),
        ("TOML syntax error", format!("{HEAD}[policy\n{WORKLOAD}"), ":3:"),
        ("duplicate key", format!("{HEAD}name = \"u\"\n{WORKLOAD}"), ":3:"),
        ("unknown objective", with("[slo]\nspeed = \"fast\""), "slo.speed"),
        ("bad objective threshold", with("[slo]\nlockout_rate = \"< 2\""), "slo.lockout_rate"),
        ("missing base", format!("base = \"nowhere.toml\"\n{HEAD}{WORKLOAD}"), "nowhere.toml"),
        ("name that is a path", format!("name = \"../x\"\nhorizon = \"30d\"\n{WORKLOAD}"), "name"),
        ("zero replications in the file", format!("{HEAD}replications = 0\n{WORKLOAD}"), "replications"),
        ("unknown org mode", format!("{HEAD}org_mode = \"mixed\"\n{WORKLOAD}"), ":3:12: key `org_mode`"),
        ("script member out of range", script("{ at = \"1h\", op = \"unbind\", member = 10 }"), "steps[0].member"),
        ("script step after the horizon", script("{ at = \"31d\", op = \"unbind\", member = 1 }"), "steps[0].at"),
        ("script unknown operation", script("{ at = \"1h\", op = \"delete\", member = 1 }"), "delete"),
        (
            "script `by` on a revoke",
            script("{ at = \"1h\", op = \"revoke\", member = 1, grant = 0, by = \"app\" }"),
            "steps[0].by",
        ),
        ("script revoke without a grant", script("{ at = \"1h\", op = \"revoke\", member = 1 }"), "steps[0].op"),
        ("script unknown unbinder", script("{ at = \"1h\", op = \"unbind\", member = 1, by = \"ceo\" }"), "ceo"),
        ("script without steps", script(""), "workload.script.steps"),
        (
            "script too long",
            script(&["{ at = \"1h\", op = \"unbind\", member = 1 }"; 10_001].join(", ")),
            "between 1 and 10000",
        ),
        (
            "script with arrivals",
            format!(
                "{HEAD}[workload]\narrivals = {{ poisson = \"1/d\" }}\n[workload.script]\nsteps = [{{ at = \"1h\", op = \"unbind\", member = 1 }}]\n"
            ),
            "workload.arrivals",
        ),
        (
            // 20 days from a Saturday hold 14 working days (see model::calendar).
            "dissolution notice under 15 working days",
            format!("{HEAD}[workload]\narrivals = {{ at = [\"0h\"] }}\n[workload.dissolution]\nnotice = \"20d\"\n"),
            "workload.dissolution.notice",
        ),
        ("script and another kind", format!("{HEAD}{WORKLOAD}[workload.script]\nsteps = []\n"), "workload"),
    ]
}

/// A 10-member scenario whose script has `steps`.
fn script(steps: &str) -> String {
    format!("{HEAD}[org]\nmembers = 10\n[workload.script]\nsteps = [{steps}]\n")
}

#[test]
fn every_broken_file_exits_2_with_a_located_message_and_writes_nothing() {
    let directory = temp_dir("bad-files");
    let cases = broken_files();
    assert!(cases.len() >= 45, "keep the table large");
    for (index, (case, text, needle)) in cases.iter().enumerate() {
        let path = directory.join(format!("case-{index}.toml"));
        std::fs::write(&path, text).unwrap();
        let out = directory.join(format!("out-{index}"));
        let output = unbindsim(&[
            "run",
            path.to_str().unwrap(),
            "--replications",
            "1",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{case}: {message}");
        assert!(message.contains(path.to_str().unwrap()), "{case}: the file is not named: {message}");
        let expected = if needle.starts_with(':') { format!("{}{needle}", path.display()) } else { needle.to_string() };
        assert!(message.contains(&expected), "{case}: `{expected}` not in: {message}");
        assert!(!message.contains("panicked"), "{case}: {message}");
        assert!(!out.exists(), "{case}: a result was written");
    }
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn invalid_utf8_a_directory_and_a_missing_file_exit_2() {
    let directory = temp_dir("bad-bytes");
    let binary = directory.join("binary.toml");
    std::fs::write(&binary, [b'n', b'a', 0xff, 0xfe, b'\n']).unwrap();
    for (target, needle) in [
        (binary.to_str().unwrap(), "UTF-8"),
        (directory.to_str().unwrap(), "directory"),
        ("no/such/file.toml", "cannot read"),
    ] {
        let output = unbindsim(&["validate", target]);
        assert_eq!(output.status.code(), Some(2), "{target}");
        assert!(stderr(&output).contains(needle), "{target}: {}", stderr(&output));
    }
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    let directory = temp_dir("bad-flags");
    let out = directory.join("out");
    let out = out.to_str().unwrap();
    const URL: &str = "http://127.0.0.1:9/v2";
    let cases: [(&[&str], &str); 29] = [
        (&["run", "self-exit", "--members", "0"], "--members"),
        (&["run", "self-exit", "--replications", "0"], "--replications"),
        (&["run", "self-exit", "--threads", "0"], "--threads"),
        (&["run", "self-exit", "--seed=-1"], "--seed"),
        (&["run", "self-exit", "--shard", "3/3"], "--shard"),
        (&["run", "self-exit", "--shard", "1"], "--shard"),
        (&["run", "self-exit", "--baseline", "no-such-summary.json"], "--baseline"),
        (&["run", "self-exit", "--frobnicate"], "--frobnicate"),
        (&["run", "self-exit", "--members", "100000000"], "members"),
        (&["compare", "self-exit", "device-change", "--members", "100", "--replications", "1"], "--replications"),
        (&["compare", "self-exit", "device-change", "--members", "100"], "--force"),
        (&["sweep", "self-exit", "--set", "policy.buffer"], "--set"),
        (
            &["sweep", "self-exit", "--set", "policy.buffer=0h", "--set", "policy.buffer=6h"],
            "policy.buffer: the key is given twice",
        ),
        (&["sweep", "self-exit", "--set", "seed=1,2", "--seed", "3"], "--seed would override"),
        (&["sweep", "self-exit", "--set", "org.members=100,200", "--members", "100"], "--members would override"),
        (&["sweep", "self-exit", "--set", "policy.buffer=[1h,2h"], "not closed"),
        (&["merge", "no-such-folder"], "no-such-folder"),
        (&["load", "admin-batch", "--url", "not a url"], "--url"),
        (&["load", "admin-batch", "--url", "ftp://127.0.0.1/scim"], "--url"),
        (&["load", "admin-batch", "--url", URL, "--rate", "0/s"], "--rate"),
        (&["load", "admin-batch", "--url", URL, "--rate", "fast"], "--rate"),
        (&["load", "admin-batch", "--url", URL, "--members", "0"], "--members"),
        (&["load", "admin-batch", "--url", URL, "--members", "5000000"], "--members"),
        (&["load", "admin-batch", "--url", URL, "--concurrency", "0"], "--concurrency"),
        (&["load", "admin-batch", "--url", URL, "--concurrency", "100000"], "--concurrency"),
        (&["load", "admin-batch", "--url", URL, "--mode", "sideways"], "--mode"),
        (&["load", "admin-batch", "--url", URL, "--speedup", "0"], "--speedup"),
        (&["load", "admin-batch", "--url", URL, "--members", "500", "--speedup", "1"], "--speedup"),
        (&["run", "scenarios/script-example.toml", "--members", "5"], "names member 11"),
    ];
    for (args, needle) in cases {
        let mut args = args.to_vec();
        args.extend(["--out", out]);
        let output = unbindsim(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(needle), "{args:?}: `{needle}` not in {}", stderr(&output));
        assert!(!stderr(&output).contains("panicked"), "{args:?}");
        assert!(!std::path::Path::new(out).exists(), "{args:?} wrote a result");
    }
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn comparing_different_orgs_is_refused() {
    let directory = temp_dir("compare-orgs");
    let other = directory.join("other.toml");
    std::fs::write(&other, "base = \"device-change\"\nname = \"other\"\n[org]\nmembers = 5000\n").unwrap();
    let output = unbindsim(&[
        "compare",
        "device-change",
        other.to_str().unwrap(),
        "--out",
        directory.join("out").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("different orgs"), "{}", stderr(&output));
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn compare_refuses_a_b_whose_own_seed_or_count_would_be_overridden() {
    let directory = temp_dir("compare-seeds");
    let out = directory.join("out");
    for (key, flag) in [("seed = 7", "--seed"), ("replications = 3", "--replications")] {
        let other = directory.join("other.toml");
        std::fs::write(&other, format!("base = \"device-change\"\nname = \"other\"\n{key}\n")).unwrap();
        let args =
            ["compare", "device-change", other.to_str().unwrap(), "--members", "200", "--out", out.to_str().unwrap()];
        let output = unbindsim(&args);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(stderr(&output).contains(key) && stderr(&output).contains(flag), "{}", stderr(&output));
        assert!(!out.exists(), "a refused comparison wrote nothing");
    }
    std::fs::remove_dir_all(directory).unwrap();
}

/// Speedups and rates so small that a derived duration would overflow, and
/// rates too slow to provision within `--max-duration`: each exits 2 naming
/// the flags, before anything is sent (nothing listens at the URL).
#[test]
fn tiny_speedups_and_rates_are_refused_before_anything_is_sent() {
    let directory = temp_dir("tiny-pacing");
    let no_cut = directory.join("no-cut.toml");
    let script =
        "[org]\nmembers = 10\n[workload.script]\nsteps = [{ at = \"1h\", op = \"revoke\", member = 1, grant = 0 }]\n";
    std::fs::write(&no_cut, format!("{HEAD}{script}")).unwrap();
    let no_cut = no_cut.to_str().unwrap();
    let out = directory.join("out");
    let cases: [(&str, &[&str], &str); 6] = [
        ("admin-batch", &["--speedup", "1e-15"], "--speedup 1e-15"),
        ("admin-batch", &["--speedup", "5e-324"], "--speedup 5e-324"),
        ("admin-batch", &["--rate", "0.000000000000000000001/w"], "--rate"),
        // No account to cut: provisioning alone is too slow.
        (no_cut, &["--rate", "0.000000000000000000001/w"], "provisioning (20 requests"),
        // One user a week: provisioning counts against --max-duration.
        ("admin-batch", &["--members", "10", "--rate", "1/w"], "--max-duration 3600s"),
        (no_cut, &["--rate", "1/min", "--max-duration", "10min"], "--max-duration 600s"),
    ];
    for (scenario, flags, needle) in cases {
        let mut args = vec!["load", scenario, "--url", "http://127.0.0.1:9/v2", "--out", out.to_str().unwrap()];
        args.extend(flags);
        let output = unbindsim(&args);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {message}");
        assert!(message.contains(needle), "{flags:?}: `{needle}` not in {message}");
        assert!(!message.contains("panicked") && !message.contains("no SCIM service"), "{flags:?}: {message}");
        assert!(!out.exists(), "{flags:?} wrote a result");
    }
    std::fs::remove_dir_all(directory).unwrap();
}

/// Runs `unbindsim load admin-batch` (50 members, nothing listening at
/// the URL) with `flags` and the environment `env`.
fn load_with(flags: &[&str], env: &[(&str, &str)], out: &std::path::Path) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_unbindsim"));
    command.args(["load", "admin-batch", "--members", "50", "--replications", "2", "--out", out.to_str().unwrap()]);
    command.args(flags).env_remove("UNBINDSIM_TOKEN").envs(env.iter().copied());
    command.output().expect("the binary runs")
}

/// A `load` case: flags, environment, exit code, text the output must hold.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], i32, &'a str);

/// Credentials in `--url` are never printed, and never silently replace a
/// bearer token from `--token`, `--token-file` or `UNBINDSIM_TOKEN`.
#[test]
fn url_credentials_are_never_printed_nor_combined_with_a_token() {
    let directory = temp_dir("url-credentials");
    let out = directory.join("out");
    let token_file = directory.join("token");
    std::fs::write(&token_file, "file-token-value\n").unwrap();
    let empty = directory.join("empty");
    std::fs::write(&empty, " \n").unwrap();
    let (token_file, empty) = (token_file.to_str().unwrap(), empty.to_str().unwrap());
    const SECRET: &str = "http://admin:PASS@127.0.0.1:9/v2";
    const PLAIN: &str = "http://127.0.0.1:9/v2";
    let cases: [Case<'_>; 10] = [
        (&["--url", SECRET, "--token", "t"], &[], 2, "--url carries credentials"),
        (&["--url", SECRET], &[("UNBINDSIM_TOKEN", "env-token-value")], 2, "UNBINDSIM_TOKEN"),
        (&["--url", SECRET, "--token-file", token_file], &[], 2, "give one or the other"),
        (&["--url", "ftp://admin:PASS@127.0.0.1/scim"], &[], 2, "ftp://127.0.0.1/scim"),
        (&["--url", "http://admin:PASS@127.0.0.1:9/v2?x=1"], &[], 2, "without a query"),
        (&["--url", PLAIN, "--token-file", "no/such/token"], &[], 2, "--token-file no/such/token: cannot read"),
        (&["--url", PLAIN, "--token-file", empty], &[], 2, "the bearer token is empty"),
        (&["--url", PLAIN, "--token", "t", "--token-file", token_file], &[], 2, "cannot be used with"),
        // Accepted: the run goes as far as discovery, which finds nothing.
        (&["--url", SECRET], &[], 1, "--url http://127.0.0.1:9/v2/: no SCIM service there"),
        (
            &["--url", PLAIN, "--token-file", token_file],
            &[("UNBINDSIM_TOKEN", "env-token-value")],
            1,
            "no SCIM service",
        ),
    ];
    for (flags, env, code, needle) in cases {
        let output = load_with(flags, env, &out);
        let message = stderr(&output) + &String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(code), "{flags:?}: {message}");
        assert!(message.contains(needle), "{flags:?}: `{needle}` not in {message}");
        for secret in ["PASS", "file-token-value", "env-token-value", "panicked"] {
            assert!(!message.contains(secret), "{flags:?}: `{secret}` printed: {message}");
        }
        assert!(!out.exists(), "{flags:?} wrote a result");
    }
    std::fs::remove_dir_all(directory).unwrap();
}

/// A derived file replaces a distribution or the arrivals of its base
/// whole, so it can change their kind; a `--set` key deeper than any
/// scenario key is refused before it is built.
#[test]
fn base_layering_replaces_distributions_and_arrivals_whole() {
    let directory = temp_dir("base-whole");
    let derived = |name: &str, table: &str| {
        let path = directory.join(format!("{name}.toml"));
        std::fs::write(&path, format!("base = \"admin-batch\"\nname = \"{name}\"\n{table}\n")).unwrap();
        path
    };
    let cases = [
        ("exp", "[policy]\ndepartment_delay = { exp = \"2h\" }", "/policy/department_delay", json!({ "exp": "2h" })),
        (
            "lognormal",
            "[policy]\ndepartment_delay = { lognormal = { median = \"2h\", sigma = 0.5 } }",
            "/policy/department_delay",
            json!({ "lognormal": { "median": "2h", "sigma": 0.5 } }),
        ),
        ("poisson", "[workload]\narrivals = { poisson = \"3/d\" }", "/workload/arrivals", json!({ "poisson": "3/d" })),
    ];
    for (name, table, pointer, expected) in cases {
        let path = derived(name, table);
        let out = directory.join(name);
        let args = ["run", path.to_str().unwrap(), "--members", "100", "--replications", "2", "--quiet"];
        let output = unbindsim(&[&args[..], &["--out", out.to_str().unwrap()]].concat());
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(name).join("summary.json")).unwrap()).unwrap();
        assert_eq!(summary["parameters"].pointer(pointer), Some(&expected), "{name}: the summary's {pointer}");
    }
    let unknown = derived("gamma", "[policy]\ndepartment_delay = { gamma = \"2h\" }");
    let output = unbindsim(&["validate", unknown.to_str().unwrap()]);
    let located = format!("{}:4:", unknown.display());
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(&located) && stderr(&output).contains("gamma"), "{}", stderr(&output));
    let deep = format!("{}=1", vec!["a"; 30_000].join("."));
    let output = unbindsim(&["sweep", "self-exit", "--set", &deep, "--out", directory.join("deep").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("more than 8 dotted parts"), "{}", stderr(&output));
    std::fs::remove_dir_all(directory).unwrap();
}
