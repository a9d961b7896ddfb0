//! JUnit XML for CI systems, valid against the common JUnit schema
//! (`tests/junit.xsd`): one test suite per scenario run (per point of a
//! sweep), timed by the run's wall time; each objective and each figure the
//! baseline check gated is a test case named by its figure alone (editing a
//! threshold keeps a CI system's test history), classed
//! `<scenario>.slo` or `<scenario>.regression`. A failed objective or a
//! worse figure fails its case (`type` says which), an undecided, N/A or
//! not-comparable one is skipped, and a suite with nothing to judge holds
//! one skipped case saying so, never an unexplained `tests="0"`. Written
//! with the XML escaping done here, by hand.

use super::verdicts::{BaselineVerdict, ObjectiveVerdict};
use crate::metrics::{Change, SloOutcome};
use std::fmt::Write;

/// One test suite: the verdicts on one scenario's run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TestSuite {
    /// The scenario, with a sweep point's settings.
    pub name: String,
    /// The run's wall time.
    pub time_s: f64,
    pub cases: Vec<TestCase>,
}

/// One test case of a JUnit report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCase {
    pub name: String,
    pub class_name: String,
    pub outcome: CaseOutcome,
}

/// How a case ended, with its words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseOutcome {
    Passed {
        detail: String,
    },
    /// `kind` is the failure's `type`: `objective` or `regression`.
    Failed {
        kind: &'static str,
        message: String,
        detail: String,
    },
    Skipped {
        message: String,
    },
}

impl TestSuite {
    /// The suite of `name`, timed `time_s`, holding no case yet.
    pub fn new(name: &str, time_s: f64) -> TestSuite {
        TestSuite { name: name.to_owned(), time_s, cases: Vec::new() }
    }

    /// The cases of objective verdicts.
    pub fn add_objectives(&mut self, verdicts: &[ObjectiveVerdict]) {
        let class_name = format!("{}.slo", self.name);
        self.cases.extend(verdicts.iter().map(|verdict| {
            let objective = &verdict.objective;
            let outcome = match verdict.verdict {
                SloOutcome::Fail => CaseOutcome::Failed {
                    kind: "objective",
                    message: format!("{objective}: FAIL"),
                    detail: verdict.reason.clone(),
                },
                SloOutcome::Undecided | SloOutcome::NotApplicable => CaseOutcome::Skipped {
                    message: format!("{objective}: {}: {}", verdict.verdict.label(), verdict.reason),
                },
                SloOutcome::Pass => CaseOutcome::Passed { detail: format!("{objective}: {}", verdict.reason) },
            };
            TestCase { name: verdict.figure.clone(), class_name: class_name.clone(), outcome }
        }));
    }

    /// The cases of baseline checks.
    pub fn add_regressions(&mut self, checks: &[BaselineVerdict]) {
        let class_name = format!("{}.regression", self.name);
        self.cases.extend(checks.iter().map(|check| {
            let outcome = match check.verdict {
                Change::Worse => CaseOutcome::Failed {
                    kind: "regression",
                    message: format!("{}: confidently worse than the baseline", check.figure),
                    detail: check.reason.clone(),
                },
                Change::NotComparable => CaseOutcome::Skipped { message: check.reason.clone() },
                Change::Better | Change::Indistinguishable => CaseOutcome::Passed { detail: check.reason.clone() },
            };
            TestCase { name: check.figure.clone(), class_name: class_name.clone(), outcome }
        }));
    }

    /// A suite with no case gets one skipped case saying why.
    fn explained(&self) -> TestSuite {
        let mut suite = self.clone();
        if suite.cases.is_empty() {
            suite.cases.push(TestCase {
                name: "verdicts".to_owned(),
                class_name: format!("{}.slo", self.name),
                outcome: CaseOutcome::Skipped {
                    message: "nothing to judge: the scenario has no [slo] objectives and no --baseline was given"
                        .to_owned(),
                },
            });
        }
        suite
    }

    fn failures(&self) -> usize {
        self.cases.iter().filter(|case| matches!(case.outcome, CaseOutcome::Failed { .. })).count()
    }

    fn skipped(&self) -> usize {
        self.cases.iter().filter(|case| matches!(case.outcome, CaseOutcome::Skipped { .. })).count()
    }
}

/// The JUnit XML document of `suites` (in order), under `<testsuites>`
/// named `name`.
pub fn junit_xml(name: &str, suites: &[TestSuite]) -> String {
    let suites: Vec<TestSuite> = suites.iter().map(TestSuite::explained).collect();
    let tests: usize = suites.iter().map(|suite| suite.cases.len()).sum();
    let failures: usize = suites.iter().map(TestSuite::failures).sum();
    let time_s: f64 = suites.iter().map(|suite| suite.time_s).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{time_s:.3}\">",
        escape_attribute(name)
    );
    for suite in &suites {
        write_suite(&mut xml, suite);
    }
    xml.push_str("</testsuites>\n");
    xml
}

fn write_suite(xml: &mut String, suite: &TestSuite) {
    let _ = writeln!(
        xml,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\">",
        escape_attribute(&suite.name),
        suite.cases.len(),
        suite.failures(),
        suite.skipped(),
        suite.time_s
    );
    for case in &suite.cases {
        write_test_case(xml, case);
    }
    xml.push_str("  </testsuite>\n");
}

/// Escapes text for XML content: the five special characters become
/// entities, and characters XML 1.0 cannot carry at all (control
/// characters other than tab, newline and carriage return) become U+FFFD.
pub fn escape_xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            forbidden if is_forbidden_in_xml(forbidden) => escaped.push('\u{FFFD}'),
            other => escaped.push(other),
        }
    }
    escaped
}

/// Escapes text for an attribute value: as [`escape_xml`], and tab,
/// newline and carriage return as character references, which a parser
/// would otherwise turn into spaces.
fn escape_attribute(text: &str) -> String {
    escape_xml(text).replace('\t', "&#9;").replace('\n', "&#10;").replace('\r', "&#13;")
}

fn is_forbidden_in_xml(character: char) -> bool {
    (character < ' ' && !matches!(character, '\t' | '\n' | '\r')) || matches!(character, '\u{FFFE}' | '\u{FFFF}')
}

fn write_test_case(xml: &mut String, case: &TestCase) {
    let _ = writeln!(
        xml,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"0.000\">",
        escape_attribute(&case.class_name),
        escape_attribute(&case.name)
    );
    match &case.outcome {
        CaseOutcome::Failed { kind, message, detail } => {
            let _ = writeln!(
                xml,
                "      <failure message=\"{}\" type=\"{kind}\">{}</failure>",
                escape_attribute(message),
                escape_xml(detail)
            );
        }
        CaseOutcome::Skipped { message } => {
            let _ = writeln!(xml, "      <skipped message=\"{}\"/>", escape_attribute(message));
        }
        CaseOutcome::Passed { detail } => {
            let _ = writeln!(xml, "      <system-out>{}</system-out>", escape_xml(detail));
        }
    }
    xml.push_str("    </testcase>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objective(verdict: SloOutcome, reason: &str) -> ObjectiveVerdict {
        ObjectiveVerdict {
            objective: "lockout_rate < 0.05".into(),
            figure: "lockout_rate".into(),
            comparison: "<",
            threshold: 0.05,
            estimate: None,
            interval: None,
            verdict,
            reason: reason.into(),
        }
    }

    #[test]
    fn xml_of_a_small_suite_is_exact() {
        let mut suite = TestSuite::new("demo", 1.5);
        suite.add_objectives(&[objective(SloOutcome::Pass, "upper bound 0.04"), objective(SloOutcome::Fail, "p > t")]);
        suite.add_objectives(&[objective(SloOutcome::Undecided, "too few")]);
        let expected = "\
<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<testsuites name=\"unbindsim\" tests=\"3\" failures=\"1\" errors=\"0\" time=\"1.500\">
  <testsuite name=\"demo\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"1.500\">
    <testcase classname=\"demo.slo\" name=\"lockout_rate\" time=\"0.000\">
      <system-out>lockout_rate &lt; 0.05: upper bound 0.04</system-out>
    </testcase>
    <testcase classname=\"demo.slo\" name=\"lockout_rate\" time=\"0.000\">
      <failure message=\"lockout_rate &lt; 0.05: FAIL\" type=\"objective\">p &gt; t</failure>
    </testcase>
    <testcase classname=\"demo.slo\" name=\"lockout_rate\" time=\"0.000\">
      <skipped message=\"lockout_rate &lt; 0.05: UNDECIDED: too few\"/>
    </testcase>
  </testsuite>
</testsuites>
";
        assert_eq!(junit_xml("unbindsim", &[suite]), expected);
    }

    #[test]
    fn a_suite_with_nothing_to_judge_says_so_in_a_skipped_case() {
        let xml = junit_xml("none", &[TestSuite::new("quiet", 0.25)]);
        assert!(xml.contains("tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\""), "{xml}");
        assert!(xml.contains("nothing to judge"), "{xml}");
        assert!(!xml.contains("tests=\"0\""), "{xml}");
    }

    #[test]
    fn escaping_covers_the_five_special_characters() {
        assert_eq!(escape_xml(r#"a & b < c > d "e" 'f'"#), "a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;");
        assert_eq!(escape_xml("&amp;"), "&amp;amp;");
        assert_eq!(escape_xml("]]>"), "]]&gt;");
    }

    #[test]
    fn escaping_replaces_characters_xml_cannot_carry() {
        assert_eq!(escape_xml("a\u{0}b\u{1b}c\td\ne"), "a\u{FFFD}b\u{FFFD}c\td\ne");
        assert_eq!(escape_attribute("x\ny\tz\r"), "x&#10;y&#9;z&#13;");
    }

    #[test]
    fn names_and_messages_are_escaped_in_place() {
        let mut suite = TestSuite::new("s&t", 0.0);
        suite.add_objectives(&[objective(SloOutcome::Fail, "\"quoted\" 'x'\nline")]);
        let xml = junit_xml("it's", &[suite]);
        assert!(xml.contains("<testsuites name=\"it&apos;s\""));
        assert!(xml.contains("<testcase classname=\"s&amp;t.slo\" name=\"lockout_rate\""));
        assert!(xml.contains(">&quot;quoted&quot; &apos;x&apos;\nline</failure>"), "{xml}");
    }

    #[test]
    fn regression_checks_fail_only_when_worse() {
        let check = |verdict| BaselineVerdict {
            figure: "lockout_rate".into(),
            baseline: None,
            estimate: None,
            difference: None,
            interval: None,
            p_holm: None,
            verdict,
            reason: "why".into(),
        };
        let mut suite = TestSuite::new("steady", 0.0);
        suite.add_regressions(&[
            check(Change::Worse),
            check(Change::Better),
            check(Change::Indistinguishable),
            check(Change::NotComparable),
        ]);
        assert_eq!(suite.cases[0].class_name, "steady.regression");
        let failed: Vec<bool> = suite
            .cases
            .iter()
            .map(|case| matches!(case.outcome, CaseOutcome::Failed { kind: "regression", .. }))
            .collect();
        assert_eq!(failed, [true, false, false, false]);
        assert_eq!(suite.cases[3].outcome, CaseOutcome::Skipped { message: "why".into() });
    }
}
