//! Located, human error messages for scenario files: every
//! [`ScenarioError`] names the file and, when known, the line, column and
//! dotted key it is about.
//!
//! [`deserialize_located`] deserializes a TOML document through
//! `serde_path_to_error`, so a failure carries both the key path and the
//! span `toml` attached to the offending value. [`locate_key`] finds where
//! a dotted key is written, for semantic errors found after
//! deserialization.

use std::fmt;
use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// An error in a scenario file, with as much position as is known.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    pub file: String,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column, in characters.
    pub column: Option<usize>,
    /// Dotted key path, like `workload.admin-batch.batch_size`.
    pub key: Option<String>,
    pub message: String,
}

/// `file:line:column: key `a.b`: message`, leaving out what is unknown.
impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// The 1-based line and column of `byte_offset` in `source`; the column
/// counts characters, not bytes. An offset past the end is clamped to the
/// end, one inside a multi-byte character to that character's start.
fn line_column(source: &str, byte_offset: usize) -> (usize, usize) {
    let mut offset = byte_offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Deserializes `source` (the text of `file`) into `T`, reporting the
/// first error with its position and key path.
///
/// Syntax errors have a position but no key. Errors raised while
/// deserializing a value (including inside externally tagged enum
/// variants) carry the span of that value, or of the key for unknown keys.
/// Do not use internally tagged or untagged enums in `T`: they buffer the
/// input and lose the spans.
pub fn deserialize_located<T: DeserializeOwned>(file: &str, source: &str) -> Result<T, ScenarioError> {
    let deserializer =
        toml::de::Deserializer::parse(source).map_err(|e| from_toml(file, source, e.span(), &e, None))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = (e.path().iter().len() > 0).then(|| e.path().to_string());
        // toml gives the root table the empty span 0..0, so an error about
        // the document as a whole (a missing top-level key) has no useful
        // position; a real value or key never has an empty span.
        let span = e.inner().span().filter(|span| !span.is_empty());
        from_toml(file, source, span, e.inner(), key)
    })
}

fn from_toml(
    file: &str,
    source: &str,
    span: Option<Range<usize>>,
    error: &toml::de::Error,
    key: Option<String>,
) -> ScenarioError {
    let position = span.map(|span| line_column(source, span.start));
    ScenarioError {
        file: file.to_owned(),
        line: position.map(|(line, _)| line),
        column: position.map(|(_, column)| column),
        key,
        message: error.message().to_owned(),
    }
}

/// An error about `dotted_key` (like `org.platforms`,
/// `workload.admin-batch.batch_size` or `org.platforms[2].share`),
/// positioned where that key is written in `source`; without a line if the
/// key is not there (or `source` does not parse).
pub fn locate_key(file: &str, source: &str, dotted_key: &str, message: impl Into<String>) -> ScenarioError {
    let position = key_span(source, dotted_key).map(|span| line_column(source, span.start));
    ScenarioError {
        file: file.to_owned(),
        line: position.map(|(line, _)| line),
        column: position.map(|(_, column)| column),
        key: Some(dotted_key.to_owned()),
        message: message.into(),
    }
}

/// One step of a dotted key path.
#[derive(Debug, PartialEq)]
enum Segment<'k> {
    Key(&'k str),
    Index(usize),
}

/// Splits `a.b[2].c` into `a`, `b`, `[2]`, `c`; `None` if malformed.
fn parse_path(dotted_key: &str) -> Option<Vec<Segment<'_>>> {
    let mut segments = Vec::new();
    for part in dotted_key.split('.') {
        let (name, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if name.is_empty() {
            return None;
        }
        segments.push(Segment::Key(name));
        while !rest.is_empty() {
            let close = rest.find(']')?;
            segments.push(Segment::Index(rest.get(1..close)?.parse().ok()?));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return None;
            }
        }
    }
    Some(segments)
}

/// The span of the last key (or array element) of `dotted_key` in
/// `source`.
fn key_span(source: &str, dotted_key: &str) -> Option<Range<usize>> {
    let root = DeTable::parse(source).ok()?;
    let mut table = Some(root.get_ref());
    let mut array: Option<&[Spanned<DeValue<'_>>]> = None;
    let mut span = None;
    for segment in parse_path(dotted_key)? {
        let value = match segment {
            Segment::Key(name) => {
                let (key, value) = table?.get_key_value(name)?;
                span = Some(key.span());
                value
            }
            Segment::Index(index) => {
                let value = array?.get(index)?;
                span = Some(value.span());
                value
            }
        };
        (table, array) = match value.get_ref() {
            DeValue::Table(t) => (Some(t), None),
            DeValue::Array(a) => (None, Some(&a[..])),
            _ => (None, None),
        };
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Dist, SimDuration};
    use crate::scenario::units::{DistValue, DurationValue, Probability};
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Scenario {
        name: String,
        behaviour: Behaviour,
        workload: Workload,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Behaviour {
        grace: DurationValue,
        skip_revoke: Probability,
        service: DistValue,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "kebab-case", deny_unknown_fields)]
    #[allow(dead_code)]
    enum Workload {
        #[serde(rename_all = "snake_case")]
        AdminBatch {
            batch_size: u32,
            every: DurationValue,
            service: Option<DistValue>,
        },
        MemberLeaves {
            every: DurationValue,
        },
    }

    const GOOD: &str = r#"name = "demo"

[behaviour]
skip_revoke = 0.25
grace = "72h"
service = { lognormal = { median = "2h", sigma = 0.8 } }

[workload.admin-batch]
batch_size = 50
every = "1d"
"#;

    const WORKLOAD_SECTION: &str = "[workload.admin-batch]\nbatch_size = 50\nevery = \"1d\"\n";

    fn error(source: &str) -> ScenarioError {
        match deserialize_located::<Scenario>("scenarios/x.toml", source) {
            Ok(parsed) => panic!("expected an error, got {parsed:?}"),
            Err(e) => e,
        }
    }

    /// GOOD with the first `from` replaced by `to`.
    fn edited(from: &str, to: &str) -> String {
        assert!(GOOD.contains(from), "{from}");
        GOOD.replacen(from, to, 1)
    }

    /// GOOD with the workload written inline, as line 2.
    fn inline_workload(workload: &str) -> String {
        GOOD.replace(WORKLOAD_SECTION, "").replacen("\n", &format!("\nworkload = {workload}\n"), 1)
    }

    /// Asserts that `e` is at the first `needle` on `line` of `source`,
    /// about `key`.
    #[track_caller]
    fn assert_at(e: &ScenarioError, source: &str, line: usize, needle: &str, key: Option<&str>) {
        let text = source.lines().nth(line - 1).expect("line exists");
        let byte = text.find(needle).unwrap_or_else(|| panic!("{needle:?} not on line {line}: {text:?}"));
        let column = text[..byte].chars().count() + 1;
        assert_eq!((e.line, e.column, e.key.as_deref()), (Some(line), Some(column), key), "{e}");
    }

    #[test]
    fn a_good_file_parses() {
        let s: Scenario = deserialize_located("x.toml", GOOD).unwrap();
        assert_eq!(s.behaviour.grace.0, SimDuration::from_hours(72));
        assert_eq!(s.behaviour.skip_revoke.0, 0.25);
        assert_eq!(s.behaviour.service.0, Dist::LogNormal { median: SimDuration::from_hours(2), sigma: 0.8 });
        assert!(matches!(s.workload, Workload::AdminBatch { batch_size: 50, service: None, .. }));
        let inline = inline_workload(r#"{ member-leaves = { every = "1h" } }"#);
        let s: Scenario = deserialize_located("x.toml", &inline).unwrap();
        assert!(matches!(s.workload, Workload::MemberLeaves { .. }));
    }

    #[test]
    fn line_and_column_count_characters() {
        let src = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 4), (1, 5));
        assert_eq!(line_column(src, 5), (1, 6)); // the newline itself
        assert_eq!(line_column(src, 6), (2, 1));
        assert_eq!(line_column(src, 10), (2, 4)); // the second `=`, after "bé "
        assert_eq!(line_column(src, 8), (2, 2)); // inside é (bytes 7..9): its start
        assert_eq!(line_column(src, 1_000), (3, 1));
        assert_eq!(line_column("", 0), (1, 1));
    }

    #[test]
    fn display_omits_unknown_parts() {
        let mut e = ScenarioError {
            file: "scenarios/x.toml".into(),
            line: Some(12),
            column: Some(5),
            key: Some("workload.admin-batch.batch_size".into()),
            message: "must be at least 1, got 0".into(),
        };
        assert_eq!(
            e.to_string(),
            "scenarios/x.toml:12:5: key `workload.admin-batch.batch_size`: must be at least 1, got 0"
        );
        e.column = None;
        assert_eq!(
            e.to_string(),
            "scenarios/x.toml:12: key `workload.admin-batch.batch_size`: must be at least 1, got 0"
        );
        e.line = None;
        e.key = None;
        assert_eq!(e.to_string(), "scenarios/x.toml: must be at least 1, got 0");
    }

    #[test]
    fn bad_probability_reports_its_line_and_key() {
        let src = edited("0.25", "1.3");
        let e = error(&src);
        assert_at(&e, &src, 4, "1.3", Some("behaviour.skip_revoke"));
        assert_eq!(e.message, "must be a probability in [0, 1], got 1.3");
        assert_eq!(
            e.to_string(),
            "scenarios/x.toml:4:15: key `behaviour.skip_revoke`: must be a probability in [0, 1], got 1.3"
        );
    }

    #[test]
    fn bad_duration_and_wrong_type() {
        let src = edited("\"72h\"", "\"7x\"");
        let e = error(&src);
        assert_at(&e, &src, 5, "\"7x\"", Some("behaviour.grace"));
        assert!(e.message.contains(r#"got "7x""#), "{}", e.message);

        let src = edited("\"72h\"", "true");
        let e = error(&src);
        assert_at(&e, &src, 5, "true", Some("behaviour.grace"));
        assert!(e.message.starts_with("invalid type: boolean `true`, expected a duration"), "{}", e.message);

        let src = edited("name = \"demo\"", "name = 5");
        assert_at(&error(&src), &src, 1, "5", Some("name"));
    }

    #[test]
    fn errors_inside_a_distribution_point_at_the_innermost_value() {
        let src = edited("sigma = 0.8", "sigma = \"x\"");
        let e = error(&src);
        assert_at(&e, &src, 6, "\"x\"", Some("behaviour.service.lognormal.sigma"));

        let src = edited("median = \"2h\"", "median = \"2x\"");
        assert_at(&error(&src), &src, 6, "\"2x\"", Some("behaviour.service.lognormal.median"));

        // Validation failures point at the whole distribution.
        let src = edited("sigma = 0.8", "sigma = 11");
        let e = error(&src);
        assert_at(&e, &src, 6, "{", Some("behaviour.service"));
        assert!(e.message.contains("sigma must be in (0, 10]"));

        // An unknown distribution points at its name.
        let src = edited("lognormal", "gamma");
        let e = error(&src);
        assert_at(&e, &src, 6, "gamma", Some("behaviour.service.gamma"));
        assert_eq!(
            e.message,
            "unknown distribution \"gamma\", expected one of: exp, lognormal, fixed, uniform, empirical"
        );

        // So does a second key.
        let src = edited("{ lognormal", "{ exp = \"1h\", lognormal");
        let e = error(&src);
        assert_at(&e, &src, 6, "lognormal", Some("behaviour.service.lognormal"));
        assert!(e.message.contains("exactly one key"), "{}", e.message);
    }

    #[test]
    fn unknown_keys_point_at_the_key() {
        let src = edited("grace = ", "grace_period = \"1h\"\ngrace = ");
        let e = error(&src);
        assert_at(&e, &src, 5, "grace_period", Some("behaviour.grace_period"));
        assert!(e.message.starts_with("unknown field `grace_period`, expected one of"), "{}", e.message);
    }

    #[test]
    fn errors_inside_an_externally_tagged_variant_keep_their_span() {
        let src = edited("every = \"1d\"", "every = \"1q\"");
        assert_at(&error(&src), &src, 10, "\"1q\"", Some("workload.admin-batch.every"));

        let src = edited("batch_size = 50", "batch_size = -1");
        assert_at(&error(&src), &src, 9, "-1", Some("workload.admin-batch.batch_size"));

        let src = edited("every = \"1d\"", "every = \"1d\"\nservice = { exp = \"0s\" }");
        let e = error(&src);
        assert_at(&e, &src, 11, "{", Some("workload.admin-batch.service"));
        assert_eq!(e.message, "exp mean must be greater than zero");

        // toml checks struct-variant keys itself, before serde sees them, so
        // the message is toml's and the path stops at the variant.
        let src = edited("batch_size = 50", "batch_size = 50\nbatch = 3");
        let e = error(&src);
        assert_at(&e, &src, 10, "batch", Some("workload.admin-batch"));
        assert!(e.message.starts_with("unexpected keys in table: batch"), "{}", e.message);

        // The same inside an inline table.
        let src = inline_workload(r#"{ admin-batch = { batch_size = 5, every = "-1d" } }"#);
        let e = error(&src);
        assert_at(&e, &src, 2, "\"-1d\"", Some("workload.admin-batch.every"));
        assert!(e.message.contains("cannot be negative"));
    }

    #[test]
    fn unknown_variant_points_at_the_variant_name() {
        let src = edited("[workload.admin-batch]", "[workload.admin-batches]");
        let e = error(&src);
        assert_at(&e, &src, 8, "admin-batches", Some("workload"));
        assert!(e.message.starts_with("unknown variant `admin-batches`"), "{}", e.message);
    }

    #[test]
    fn syntax_errors_have_a_position_but_no_key() {
        let src = edited("batch_size = 50", "batch_size = = 50");
        let e = error(&src);
        assert_eq!(e.key, None);
        assert_eq!(e.line, Some(9));
        assert!(!e.message.contains('\n'), "{}", e.message);
    }

    #[test]
    fn missing_fields_name_the_table() {
        let e = error(&edited("grace = \"72h\"\n", ""));
        assert_eq!(e.key.as_deref(), Some("behaviour"));
        assert_eq!(e.message, "missing field `grace`");
        assert_eq!((e.line, e.column), (Some(3), Some(1))); // the `[behaviour]` header
    }

    #[test]
    fn missing_top_level_fields_have_no_position() {
        let e = error(&edited("name = \"demo\"\n", ""));
        assert_eq!((e.line, e.column, e.key.as_deref()), (None, None, None));
        assert_eq!(e.to_string(), "scenarios/x.toml: missing field `name`");
    }

    #[test]
    fn locate_key_finds_dotted_keys() {
        let e = locate_key("x.toml", GOOD, "workload.admin-batch.batch_size", "must be at least 1, got 0");
        assert_at(&e, GOOD, 9, "batch_size", Some("workload.admin-batch.batch_size"));
        assert_eq!(e.to_string(), "x.toml:9:1: key `workload.admin-batch.batch_size`: must be at least 1, got 0");

        let e = locate_key("x.toml", GOOD, "workload.admin-batch", "m");
        assert_at(&e, GOOD, 8, "admin-batch", Some("workload.admin-batch"));

        let key = "behaviour.service.lognormal.sigma";
        assert_at(&locate_key("x.toml", GOOD, key, "m"), GOOD, 6, "sigma", Some(key));

        let e = locate_key("x.toml", GOOD, "behaviour.nothing", "m");
        assert_eq!((e.line, e.column, e.key.as_deref()), (None, None, Some("behaviour.nothing")));
        assert_eq!(e.to_string(), "x.toml: key `behaviour.nothing`: m");
        assert_eq!(locate_key("x.toml", GOOD, "name.deeper", "m").line, None);
        assert_eq!(locate_key("x.toml", GOOD, "a..b", "m").line, None);
        assert_eq!(locate_key("x.toml", "a = [", "a", "m").line, None);
    }

    #[test]
    fn locate_key_walks_arrays_and_dotted_assignments() {
        let src = r#"[org]
teams.web = 1

[[org.platforms]]
name = "ios"
share = 0.5

[[org.platforms]]
name = "android"
share = 0.4
"#;
        let key = "org.platforms";
        let e = locate_key("x.toml", src, key, "platform shares sum to 0.9, must sum to 1");
        assert_at(&e, src, 4, "platforms", Some(key));
        let key = "org.platforms[1].share";
        assert_at(&locate_key("x.toml", src, key, "m"), src, 10, "share", Some(key));
        let key = "org.teams.web";
        assert_at(&locate_key("x.toml", src, key, "m"), src, 2, "web", Some(key));
        assert_eq!(locate_key("x.toml", src, "org.platforms[2].share", "m").line, None);
        assert_eq!(locate_key("x.toml", src, "org[0]", "m").line, None);
    }

    #[test]
    fn paths_parse() {
        use Segment::{Index, Key};
        assert_eq!(parse_path("a.b[2][0].c"), Some(vec![Key("a"), Key("b"), Index(2), Index(0), Key("c")]));
        assert_eq!(parse_path("a..b"), None);
        assert_eq!(parse_path("a[x]"), None);
        assert_eq!(parse_path("a[1]b"), None);
        assert_eq!(parse_path("a[1"), None);
        assert_eq!(parse_path(""), None);
    }
}
