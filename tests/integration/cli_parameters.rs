//! The parameters a run prints and records are in the scenario file's
//! syntax: each `key=value` line of the banner goes back through
//! `sweep --set` onto a bare file, and the summary's `parameters` are a
//! scenario file, both to the same resolved parameters.

use super::common::{stderr, temp_dir, unbindsim};
use std::path::Path;

/// A scenario with odd values of many kinds: a rate, a capped Poisson
/// count, a partial API table, distributions of several forms.
const ODD: &str = r#"name = "odd"
horizon = "9d"
[org]
preset = "small"
[policy]
console_rate = "7/h"
api_limits = { per_minute = 90 }
department_delay = { exp = "8h" }
lost_device_unbind = { empirical = ["1h", "90min"] }
[behaviour]
exit_steps = { windows = "1.5min" }
[workload]
arrivals = { poisson = "3/d" }
[workload.gdpr-export]
reason = { lognormal = { median = "2h", sigma = 1 } }
"#;

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// The banner's settings: the indented lines under `parameters:`.
fn banner_settings(banner: &str) -> Vec<String> {
    let after = banner.split_once("  parameters:").unwrap_or_else(|| panic!("no parameters line: {banner}")).1;
    after.lines().skip(1).map_while(|line| line.strip_prefix("    ")).map(str::to_owned).collect()
}

/// Runs `file` once (with `flags`), returning the banner's settings and the summary's parameters.
fn run_once(file: &Path, out: &Path, flags: &[&str]) -> (Vec<String>, serde_json::Value) {
    let args =
        [&["run", file.to_str().unwrap(), "--replications", "1", "--out", out.to_str().unwrap()], flags].concat();
    let output = unbindsim(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let name = file.file_stem().unwrap().to_str().unwrap();
    (banner_settings(&stderr(&output)), json(&out.join(name).join("summary.json"))["parameters"].clone())
}

#[test]
fn printed_parameters_read_back_through_set_and_as_a_file() {
    let directory = temp_dir("parameters");
    let odd = directory.join("odd.toml");
    std::fs::write(&odd, ODD).unwrap();
    let (changed, parameters) = run_once(&odd, &directory.join("run"), &[]);
    let (every, verbose_parameters) = run_once(&odd, &directory.join("verbose"), &["--verbose"]);
    assert_eq!(parameters, verbose_parameters, "--verbose changes the banner only");
    assert!(changed.len() < every.len() && changed.iter().all(|s| every.contains(s)), "{changed:?}");
    for expected in [
        r#"policy.console_rate="7/h""#,
        r#"policy.department_delay={ exp = "8h" }"#,
        r#"workload.arrivals={ poisson = "3/d" }"#,
    ] {
        assert!(changed.iter().any(|s| s == expected), "{expected} not in {changed:?}");
    }
    assert!(every.iter().any(|s| s == r#"policy.token_ttl="7d""#), "{every:?}");
    assert!(!changed.iter().any(|s| s.starts_with("policy.token_ttl")), "a default printed: {changed:?}");
    for setting in &every {
        assert!(!setting.contains("4294967295") && !setting.contains("exp(mean"), "{setting}");
    }
    // The settings not at their defaults, onto a file that gives only what has none.
    let bare = directory.join("bare.toml");
    std::fs::write(&bare, "name = \"bare\"\nhorizon = \"9d\"\n[workload.gdpr-export]\n").unwrap();
    let sweep = directory.join("sweep");
    let sets: Vec<String> = changed.iter().map(|setting| format!("--set={setting}")).collect();
    let mut args = vec!["sweep", bare.to_str().unwrap(), "--replications", "1", "--out", sweep.to_str().unwrap()];
    args.extend(sets.iter().map(String::as_str));
    let output = unbindsim(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let points = json(&sweep.join("sweep-bare/sweep.json"));
    assert_eq!(points[0]["summary"]["parameters"], parameters, "the banner's settings through --set");
    // The summary's parameters, with a name, as a scenario file.
    let mut table = toml::Table::try_from(&parameters).unwrap();
    table.insert("name".to_owned(), toml::Value::String("recorded".to_owned()));
    let recorded = directory.join("recorded.toml");
    std::fs::write(&recorded, toml::to_string(&table).unwrap()).unwrap();
    let (_, back) = run_once(&recorded, &directory.join("recorded"), &[]);
    assert_eq!(back, parameters, "the summary's parameters as a file");
    std::fs::remove_dir_all(directory).unwrap();
}
