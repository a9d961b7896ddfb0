//! `--junit` files a CI system can trust: valid against the common JUnit
//! schema shipped in `tests/junit.xsd` (checked with `xmllint`, which
//! `.ci/run` installs), with times, a `type` on every failure, test names
//! without the threshold, distinct names per sweep point and never an
//! unexplained `tests="0"`.

use super::common::{stderr, temp_dir, unbindsim};
use std::path::Path;
use std::process::Command;

/// Validates `file` against `tests/junit.xsd` with xmllint.
pub(super) fn assert_valid(file: &Path) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/junit.xsd");
    let output = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&schema)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("xmllint (Debian: apt-get install libxml2-utils; .ci/run installs it): {e}"));
    assert!(output.status.success(), "{} is not valid JUnit: {}", file.display(), stderr(&output));
}

/// Every `(classname, name)` of the file's test cases.
fn case_names(xml: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, key: &str| {
        let tag = format!(" {tag}");
        let start = tag.find(&format!(" {key}=\"")).map(|i| i + key.len() + 3)?;
        Some(tag[start..].split('"').next()?.to_owned())
    };
    xml.split("<testcase ")
        .skip(1)
        .map(|tag| (attribute(tag, "classname").unwrap(), attribute(tag, "name").unwrap()))
        .collect()
}

#[test]
fn junit_of_a_run_is_valid_timed_typed_and_named_by_figure() {
    let directory = temp_dir("junit-run");
    let strict = directory.join("strict.toml");
    let objectives = "[slo]\nlockout_rate = \"< 0.01\"\nresidue_probability = \">= 0.0\"\n";
    std::fs::write(&strict, format!("base = \"device-change\"\nname = \"strict\"\n{objectives}")).unwrap();
    let junit = directory.join("junit.xml");
    let output = unbindsim(&[
        "run",
        strict.to_str().unwrap(),
        "self-exit",
        "--members",
        "2000",
        "--replications",
        "10",
        "--quiet",
        "--out",
        directory.join("out").to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_valid(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(!xml.contains("tests=\"0\""), "{xml}");
    assert!(xml.contains("<testsuite name=\"strict\"") && xml.contains("<testsuite name=\"self-exit\""), "{xml}");
    let names = case_names(&xml);
    assert!(names.contains(&("strict.slo".into(), "lockout_rate".into())), "{names:?}");
    assert!(names.iter().all(|(_, name)| !name.contains(['<', '>', '='])), "no threshold in a name: {names:?}");
    assert!(xml.contains("failure message=\"lockout_rate &lt; 0.01: FAIL\" type=\"objective\""), "{xml}");
    assert_eq!(xml.matches("<failure ").count(), xml.matches(" type=\"").count(), "every failure has a type");
    assert_eq!(xml.matches("<testcase ").count(), xml.matches("<testcase classname").count());
    assert!(xml.split("<testcase ").skip(1).all(|tag| tag.contains(" time=\"")), "every case is timed: {xml}");
    assert!(xml.split("<testsuite ").skip(1).all(|tag| tag.split('>').next().unwrap().contains(" time=\"")));
    // self-exit has no objectives and no baseline: its suite says so.
    assert!(xml.contains("nothing to judge"), "{xml}");
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn junit_of_a_sweep_names_each_point_apart() {
    let directory = temp_dir("junit-sweep");
    let scenario = directory.join("gated.toml");
    std::fs::write(&scenario, "base = \"self-exit\"\nname = \"gated\"\n[slo]\nrace_rate = \"< 0.9\"\n").unwrap();
    let junit = directory.join("junit.xml");
    let output = unbindsim(&[
        "sweep",
        scenario.to_str().unwrap(),
        "--set",
        "policy.buffer=0h,24h",
        "--members",
        "400",
        "--replications",
        "2",
        "--quiet",
        "--out",
        directory.join("out").to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert!(output.status.code() == Some(0) || output.status.code() == Some(3), "{}", stderr(&output));
    assert_valid(&junit);
    let names = case_names(&std::fs::read_to_string(&junit).unwrap());
    assert_eq!(names.len(), 2, "{names:?}");
    assert_ne!(names[0], names[1], "one name per point: {names:?}");
    assert!(names[1].0.contains("policy.buffer=24h"), "{names:?}");
    std::fs::remove_dir_all(directory).unwrap();
}
