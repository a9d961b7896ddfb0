//! JUnit XML for CI systems: objective verdicts and regression checks as
//! test cases (a failure fails the case, an undecided or not-comparable
//! figure skips it), written with the XML escaping done here, by hand.

use crate::metrics::{Change, RegressionCheck, SloOutcome, Verdict};
use std::fmt::Write;

/// One test case of a JUnit report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestCase {
    pub name: String,
    pub class_name: String,
    /// The failure message; a case with one failed.
    pub failure: Option<String>,
    /// Why the case was skipped; ignored when it also failed.
    pub skipped: Option<String>,
    /// Text shown with the case, such as a passed check's explanation.
    pub system_out: Option<String>,
}

/// The JUnit XML document of one suite holding `cases`, in order.
pub fn junit_xml(suite_name: &str, cases: &[TestCase]) -> String {
    let failures = cases.iter().filter(|case| case.failure.is_some()).count();
    let skipped = cases.iter().filter(|case| case.failure.is_none() && case.skipped.is_some()).count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    let _ = writeln!(
        xml,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
        escape_attribute(suite_name),
        cases.len()
    );
    for case in cases {
        write_test_case(&mut xml, case);
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

/// Test cases of objective verdicts, classed `<scenario>.slo`: a failed
/// objective fails, an undecided one is skipped with its explanation.
pub fn verdict_cases(scenario: &str, verdicts: &[Verdict]) -> Vec<TestCase> {
    verdicts
        .iter()
        .map(|verdict| {
            let explanation = Some(verdict.explanation.clone());
            let case = TestCase {
                name: verdict.objective.clone(),
                class_name: format!("{scenario}.slo"),
                ..TestCase::default()
            };
            match verdict.outcome {
                SloOutcome::Fail => TestCase { failure: explanation, ..case },
                SloOutcome::Undecided | SloOutcome::NotApplicable => TestCase { skipped: explanation, ..case },
                SloOutcome::Pass => TestCase { system_out: explanation, ..case },
            }
        })
        .collect()
}

/// Test cases of regression checks, classed `<scenario>.regression`: a
/// worse figure fails, a not-comparable one is skipped.
pub fn regression_cases(scenario: &str, checks: &[RegressionCheck]) -> Vec<TestCase> {
    checks
        .iter()
        .map(|check| {
            let explanation = Some(check.explanation.clone());
            let case = TestCase {
                name: check.metric.clone(),
                class_name: format!("{scenario}.regression"),
                ..TestCase::default()
            };
            match check.change {
                Change::Worse => TestCase { failure: explanation, ..case },
                Change::NotComparable => TestCase { skipped: explanation, ..case },
                Change::Better | Change::Indistinguishable => TestCase { system_out: explanation, ..case },
            }
        })
        .collect()
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
    let _ = write!(
        xml,
        "    <testcase classname=\"{}\" name=\"{}\"",
        escape_attribute(&case.class_name),
        escape_attribute(&case.name)
    );
    let body = test_case_body(case);
    if body.is_empty() {
        xml.push_str("/>\n");
    } else {
        let _ = write!(xml, ">\n{body}    </testcase>\n");
    }
}

/// The failure or skip element, then the output element, one a line.
fn test_case_body(case: &TestCase) -> String {
    let mut body = String::new();
    if let Some(message) = &case.failure {
        let _ = writeln!(body, "      <failure message=\"{}\"/>", escape_attribute(message));
    } else if let Some(message) = &case.skipped {
        let _ = writeln!(body, "      <skipped message=\"{}\"/>", escape_attribute(message));
    }
    if let Some(text) = &case.system_out {
        let _ = writeln!(body, "      <system-out>{}</system-out>", escape_xml(text));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str) -> TestCase {
        TestCase { name: name.to_owned(), class_name: "demo.slo".to_owned(), ..TestCase::default() }
    }

    #[test]
    fn xml_of_a_small_suite_is_exact() {
        let cases = [
            TestCase { system_out: Some("upper bound 0.07".into()), ..case("lockout_rate < 0.10") },
            TestCase { failure: Some("p99 = 3d > 2d".into()), ..case("batch_latency_p99 <= 2d") },
            TestCase { skipped: Some("too few samples".into()), ..case("race_rate < 0.5") },
            case("residue_probability < 0.5"),
        ];
        let expected = "\
<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<testsuites>
  <testsuite name=\"unbindsim\" tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\">
    <testcase classname=\"demo.slo\" name=\"lockout_rate &lt; 0.10\">
      <system-out>upper bound 0.07</system-out>
    </testcase>
    <testcase classname=\"demo.slo\" name=\"batch_latency_p99 &lt;= 2d\">
      <failure message=\"p99 = 3d &gt; 2d\"/>
    </testcase>
    <testcase classname=\"demo.slo\" name=\"race_rate &lt; 0.5\">
      <skipped message=\"too few samples\"/>
    </testcase>
    <testcase classname=\"demo.slo\" name=\"residue_probability &lt; 0.5\"/>
  </testsuite>
</testsuites>
";
        assert_eq!(junit_xml("unbindsim", &cases), expected);
    }

    #[test]
    fn empty_suite_has_no_cases() {
        let xml = junit_xml("none", &[]);
        assert!(xml.contains(
            "<testsuite name=\"none\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\">\n  </testsuite>"
        ));
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
        let cases = [TestCase {
            name: "a<b".into(),
            class_name: "s&t".into(),
            failure: Some("\"quoted\" 'x'\nline".into()),
            ..TestCase::default()
        }];
        let xml = junit_xml("it's", &cases);
        assert!(xml.contains("<testsuite name=\"it&apos;s\""));
        assert!(xml.contains("<testcase classname=\"s&amp;t\" name=\"a&lt;b\">"));
        assert!(xml.contains("<failure message=\"&quot;quoted&quot; &apos;x&apos;&#10;line\"/>"));
    }

    #[test]
    fn a_failure_takes_precedence_over_a_skip() {
        let cases = [TestCase { failure: Some("f".into()), skipped: Some("s".into()), ..case("both") }];
        let xml = junit_xml("suite", &cases);
        assert!(xml.contains("failures=\"1\" errors=\"0\" skipped=\"0\""));
        assert!(!xml.contains("<skipped"));
    }

    #[test]
    fn verdicts_become_failed_skipped_and_passed_cases() {
        let verdict = |outcome, explanation: &str| Verdict {
            objective: "lockout_rate < 0.05".into(),
            outcome,
            observed: None,
            bound_used: None,
            interval: None,
            explanation: explanation.into(),
        };
        let verdicts = [
            verdict(SloOutcome::Fail, "bad"),
            verdict(SloOutcome::Undecided, "unsure"),
            verdict(SloOutcome::Pass, "ok"),
        ];
        let cases = verdict_cases("steady", &verdicts);
        assert_eq!(cases[0].class_name, "steady.slo");
        assert_eq!(cases[0].name, "lockout_rate < 0.05");
        assert_eq!((cases[0].failure.as_deref(), cases[0].skipped.as_deref()), (Some("bad"), None));
        assert_eq!((cases[1].failure.as_deref(), cases[1].skipped.as_deref()), (None, Some("unsure")));
        assert_eq!((cases[2].failure.as_deref(), cases[2].system_out.as_deref()), (None, Some("ok")));
    }

    #[test]
    fn regression_checks_fail_only_when_worse() {
        let check = |change| RegressionCheck {
            metric: "lockout_rate".into(),
            baseline: None,
            current: None,
            difference: None,
            test: None,
            p_value: None,
            p_holm: None,
            change,
            explanation: "why".into(),
        };
        let checks = [
            check(Change::Worse),
            check(Change::Better),
            check(Change::Indistinguishable),
            check(Change::NotComparable),
        ];
        let cases = regression_cases("steady", &checks);
        assert_eq!(cases[0].class_name, "steady.regression");
        let failed: Vec<bool> = cases.iter().map(|case| case.failure.is_some()).collect();
        assert_eq!(failed, [true, false, false, false]);
        assert_eq!(cases[3].skipped.as_deref(), Some("why"));
        assert_eq!(cases[1].system_out.as_deref(), Some("why"));
    }
}
