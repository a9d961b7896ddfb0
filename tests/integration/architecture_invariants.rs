//! The architecture invariants of `ARCHITECTURE.md`, checked by reading
//! `src/` as text (in the manner of a tidy test): every file opens with its
//! `//!` module doc; a layer uses only the layers before it; and effects
//! (file formats, files, threads, the wall clock, the terminal, the
//! network) stay in the layers that own them. Paths are read from `use`
//! statements (groups and renames expanded) and from code, after comments
//! and literals are blanked; `#[cfg(test)]` items are skipped for the
//! dependency rules. A failure names the file, the line and the rule.

use std::collections::BTreeMap;
use std::path::Path;

/// The layers in order: each may use only itself and the layers before it.
const LAYERS: [&str; 9] = ["engine", "model", "synth", "scenario", "metrics", "runner", "report", "live", "cli"];

/// Which layers a rule binds.
enum Scope {
    Only(&'static [&'static str]),
    AllBut(&'static [&'static str]),
}

/// A promise of ARCHITECTURE.md: paths the layers in `scope` must not use.
struct Rule {
    says: &'static str,
    scope: Scope,
    forbidden: &'static [&'static str],
}

const RULES: &[Rule] = &[
    Rule {
        says: "the engine, the model and synth know no file format",
        scope: Scope::Only(&["engine", "model", "synth"]),
        forbidden: &["serde", "serde_json", "serde_path_to_error", "toml", "base64"],
    },
    Rule {
        says: "the engine, the model and synth do no I/O and share nothing across threads",
        scope: Scope::Only(&["engine", "model", "synth"]),
        forbidden: &["std::fs", "std::io", "std::env", "std::process", "std::net", "std::sync", "std::thread"],
    },
    Rule {
        says: "only cli and live write to the terminal",
        scope: Scope::AllBut(&["cli", "live"]),
        forbidden: &[
            "std::println",
            "std::eprintln",
            "std::print",
            "std::eprint",
            "std::dbg",
            "std::io::stdout",
            "std::io::stderr",
            "indicatif",
        ],
    },
    Rule {
        says: "only cli parses the command line (and renders its completions and manual pages)",
        scope: Scope::AllBut(&["cli"]),
        forbidden: &["clap", "clap_complete", "clap_mangen"],
    },
    Rule {
        says: "statistics (histograms) live in metrics, and in live for a load run",
        scope: Scope::AllBut(&["metrics", "live"]),
        forbidden: &["hdrhistogram"],
    },
    Rule {
        says: "only scenario (input files), runner (the host name), report and cli (results read back) touch the file system",
        scope: Scope::AllBut(&["scenario", "runner", "report", "cli"]),
        forbidden: &["std::fs"],
    },
    Rule {
        says: "files are written only by report (write_atomic)",
        scope: Scope::AllBut(&["report"]),
        forbidden: &[
            "std::fs::write",
            "std::fs::File::create",
            "std::fs::OpenOptions",
            "std::fs::create_dir",
            "std::fs::create_dir_all",
            "std::fs::rename",
            "std::fs::copy",
            "std::fs::remove_file",
            "std::fs::remove_dir_all",
        ],
    },
    Rule {
        says: "results are serialised to text only in report and live (a load run's summary)",
        scope: Scope::AllBut(&["report", "live"]),
        forbidden: &[
            "serde_json::to_string",
            "serde_json::to_string_pretty",
            "serde_json::to_vec",
            "serde_json::to_vec_pretty",
            "serde_json::to_writer",
            "serde_json::to_writer_pretty",
            "toml::to_string",
            "toml::to_string_pretty",
        ],
    },
    Rule {
        says: "threads live in runner, across replications",
        scope: Scope::AllBut(&["runner"]),
        forbidden: &["std::thread"],
    },
    Rule {
        says: "the wall clock is read only by runner (timing) and live (pacing a load run)",
        scope: Scope::AllBut(&["runner", "live"]),
        forbidden: &["std::time::Instant", "std::time::SystemTime", "std::time::UNIX_EPOCH"],
    },
    Rule {
        says: "only live touches tokio or the network",
        scope: Scope::AllBut(&["live"]),
        forbidden: &["tokio", "reqwest", "std::net"],
    },
    Rule {
        says: "signals are watched only by cli (a simulation command) and live (tokio, during a load run)",
        scope: Scope::AllBut(&["cli"]),
        forbidden: &["signal_hook"],
    },
];

/// A broken invariant: where, which path, and the rule.
struct Violation {
    file: String,
    line: usize,
    what: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.what)
    }
}

/// The crates `Cargo.toml` depends on, as paths name them.
fn dependencies(manifest: &str) -> Vec<String> {
    let section = manifest.split("\n[dependencies]\n").nth(1).unwrap_or("");
    let section = section.split("\n[").next().unwrap_or("");
    section
        .lines()
        .filter_map(|line| line.split_once('=').map(|(name, _)| name.trim().replace('-', "_")))
        .filter(|name| !name.is_empty() && !name.starts_with('#'))
        .collect()
}

/// `source` with comments and the insides of string and char literals
/// replaced by spaces, newlines kept (so line numbers hold).
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    while i < chars.len() {
        let end = literal_or_comment_end(&chars, i);
        if end == i {
            out.push(chars[i]);
            i += 1;
        } else {
            chars[i..end].iter().for_each(|&c| blank(&mut out, c));
            i = end;
        }
    }
    out
}

/// Where the comment or literal starting at `i` ends (`i` if none starts).
fn literal_or_comment_end(chars: &[char], i: usize) -> usize {
    let at = |k: usize| chars.get(k).copied().unwrap_or('\0');
    let after_ident = i > 0 && (at(i - 1).is_alphanumeric() || at(i - 1) == '_');
    let find = |from: usize, pattern: &[char]| {
        (from..chars.len()).find(|&k| chars[k..].starts_with(pattern)).map_or(chars.len(), |k| k + pattern.len())
    };
    match (at(i), at(i + 1)) {
        ('/', '/') => (i..chars.len()).find(|&k| chars[k] == '\n').unwrap_or(chars.len()),
        ('/', '*') => find(i + 2, &['*', '/']),
        ('"', _) => string_end(chars, i + 1),
        ('r', '#' | '"') if !after_ident => {
            let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
            if at(i + 1 + hashes) != '"' {
                return i;
            }
            let mut closing = vec!['"'];
            closing.extend(std::iter::repeat_n('#', hashes));
            find(i + 2 + hashes, &closing)
        }
        ('\'', '\\') => find(i + 3, &['\'']),
        ('\'', _) if at(i + 2) == '\'' => i + 3,
        _ => i,
    }
}

/// The end of a string literal whose contents start at `from`.
fn string_end(chars: &[char], mut from: usize) -> usize {
    while from < chars.len() {
        match chars[from] {
            '\\' => from += 2,
            '"' => return from + 1,
            _ => from += 1,
        }
    }
    chars.len()
}

/// Which lines (0-based) belong to `#[cfg(test)]` items.
fn test_lines(lines: &[&str]) -> Vec<bool> {
    let mut skipped = vec![false; lines.len()];
    let mut index = 0;
    while index < lines.len() {
        let trimmed = lines[index].trim();
        if !(trimmed == "#[cfg(test)]" || trimmed.starts_with("#[cfg(all(test")) {
            index += 1;
            continue;
        }
        let mut item = index;
        while item < lines.len() && lines[item].trim().starts_with("#[") {
            item += 1;
        }
        let item_line = lines.get(item).copied().unwrap_or("");
        let indent = &item_line[..item_line.len() - item_line.trim_start().len()];
        let mut end = item;
        if !lines.get(item).is_some_and(|line| line.trim_end().ends_with(';')) {
            let closing = format!("{indent}}}");
            while end < lines.len() && lines[end].trim_end().trim_end_matches(';') != closing {
                end += 1;
            }
        }
        (index..=end.min(lines.len() - 1)).for_each(|line| skipped[line] = true);
        index = end + 1;
    }
    skipped
}

/// A path a file uses, as written, and the line it is on (1-based).
struct Used {
    segments: Vec<String>,
    line: usize,
}

/// The tokens of a `use` statement: identifiers, `::`, braces, commas, `*`.
fn use_tokens(statement: &[(usize, &str)]) -> Vec<(String, usize)> {
    let mut tokens = Vec::new();
    for &(line, text) in statement {
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            let length = if c.is_alphanumeric() || c == '_' {
                rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len())
            } else if rest.starts_with("::") {
                2
            } else {
                c.len_utf8()
            };
            let token = &rest[..length];
            if !token.trim().is_empty() {
                tokens.push((token.to_string(), line));
            }
            rest = &rest[length..];
        }
    }
    tokens
}

/// Expands the use tree at `tokens[*at..]` under `prefix` into the paths it
/// imports, each with the name it binds (`None` for a glob).
fn expand_use(tokens: &[(String, usize)], at: &mut usize, prefix: &[String], out: &mut Vec<(Used, Option<String>)>) {
    let mut segments = prefix.to_vec();
    let mut line = tokens.get(*at).map_or(0, |t| t.1);
    let mut alias = None;
    while let Some((token, token_line)) = tokens.get(*at) {
        match token.as_str() {
            "::" | "use" => *at += 1,
            "{" => {
                *at += 1;
                while tokens.get(*at).is_some_and(|t| t.0 != "}") {
                    expand_use(tokens, at, &segments, out);
                    if tokens.get(*at).is_some_and(|t| t.0 == ",") {
                        *at += 1;
                    }
                }
                *at += 1;
                return;
            }
            "," | "}" | ";" => break,
            "as" => {
                alias = tokens.get(*at + 1).map(|t| t.0.clone());
                *at += 2;
            }
            _ => {
                segments.push(token.clone());
                line = *token_line;
                *at += 1;
            }
        }
    }
    let itself = segments.len() > prefix.len() && segments.last().is_some_and(|s| s == "self");
    if itself {
        segments.pop();
    }
    if segments.len() > prefix.len() || itself || alias.is_some() {
        let bound = alias.or_else(|| segments.last().filter(|s| *s != "*").cloned());
        out.push((Used { segments, line }, bound));
    }
}

/// Paths (two segments or more) and print macros used on one line of code.
fn code_paths(text: &str, line: usize) -> Vec<Used> {
    let chars: Vec<char> = text.chars().collect();
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = is_ident(chars[i]) && (i == 0 || !(is_ident(chars[i - 1]) || chars[i - 1] == '.'));
        if !starts {
            i += 1;
            continue;
        }
        let mut segments = Vec::new();
        loop {
            let end = (i..chars.len()).find(|&k| !is_ident(chars[k])).unwrap_or(chars.len());
            segments.push(chars[i..end].iter().collect::<String>());
            i = end;
            let more = chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':');
            if !(more && chars.get(i + 2).is_some_and(|&c| is_ident(c))) {
                break;
            }
            i += 2;
        }
        let is_macro = chars.get(i) == Some(&'!') && chars.get(i + 1) != Some(&'=');
        if segments.len() == 1 && is_macro && ["println", "eprintln", "print", "eprint", "dbg"].contains(&&*segments[0])
        {
            segments.insert(0, "std".to_string());
        }
        if segments.len() > 1 {
            found.push(Used { segments, line });
        }
    }
    found
}

/// The absolute path `segments` name in `module`, if they name one outside
/// it: `crate::…`, `std::…`, a dependency's, or through an imported name.
/// In a `use`, any other first segment is a child of `module`.
fn resolve(segments: &[String], module: &[String], names: &Names, in_use: bool) -> Option<Vec<String>> {
    let (first, rest) = segments.split_first()?;
    let base: Vec<String> = match first.as_str() {
        "crate" => vec![first.clone()],
        "std" | "core" | "alloc" => vec!["std".to_string()],
        "self" => module.to_vec(),
        "super" => {
            let ups = segments.iter().take_while(|s| *s == "super").count();
            let mut base = module[..module.len().saturating_sub(ups).max(1)].to_vec();
            base.extend(segments[ups..].iter().cloned());
            return Some(base);
        }
        _ if names.imported.contains_key(first) => names.imported[first].clone(),
        _ if names.dependencies.contains(first) => vec![first.clone()],
        _ if in_use => module.iter().chain(std::iter::once(first)).cloned().collect(),
        _ => return None,
    };
    Some(base.into_iter().chain(rest.iter().cloned()).collect())
}

/// The names a file can reach paths through.
struct Names {
    dependencies: Vec<String>,
    imported: BTreeMap<String, Vec<String>>,
}

/// What `layer` breaks by using `path` (absolute, `::`-joined).
fn broken_rules(layer: &str, path: &[String]) -> Vec<String> {
    let joined = path.join("::");
    let mut broken = Vec::new();
    let position = |name: &str| LAYERS.iter().position(|l| *l == name);
    if let (Some("crate"), Some(target)) = (path.first().map(String::as_str), path.get(1))
        && position(target) > position(layer)
    {
        broken.push(format!(
            "`{joined}`: {layer} must not use {target} (a layer uses only the layers before it: {})",
            LAYERS.join(" → ")
        ));
    }
    for rule in RULES {
        let binds = match rule.scope {
            Scope::Only(layers) => layers.contains(&layer),
            Scope::AllBut(layers) => !layers.contains(&layer),
        };
        let hits = |f: &&str| joined == *f || joined.starts_with(&format!("{f}::"));
        if binds && rule.forbidden.iter().any(hits) {
            broken.push(format!("`{joined}`: {}", rule.says));
        }
    }
    broken
}

/// Every broken invariant of the file at `src/{relative}`; only its module
/// doc if the file is a `#[cfg(test)]` module (`test_only`).
fn scan_file(relative: &str, source: &str, dependencies: &[String], test_only: bool) -> Vec<Violation> {
    let file = format!("src/{relative}");
    let violation = |line: usize, what: String| Violation { file: file.clone(), line, what };
    let mut found = Vec::new();
    if !source.starts_with("//!") {
        found.push(violation(1, "no `//!` module doc at the top (every module opens with what it owns)".into()));
    }
    let parts: Vec<&str> = relative.trim_end_matches(".rs").split('/').collect();
    if parts.len() == 1 || test_only {
        return found; // lib.rs and main.rs are crate roots, in no layer
    }
    let layer = parts[0];
    if !LAYERS.contains(&layer) {
        found.push(violation(1, format!("`{layer}` is in no layer: place it in LAYERS and in ARCHITECTURE.md")));
        return found;
    }
    let module: Vec<String> =
        std::iter::once("crate").chain(parts.iter().copied().filter(|part| *part != "mod")).map(String::from).collect();
    for (line, path) in paths_used(&code_only(source), &module, dependencies) {
        found.extend(broken_rules(layer, &path).into_iter().map(|what| violation(line, what)));
    }
    found
}

/// The absolute paths the code of `module` uses outside its `#[cfg(test)]`
/// items, each with its line (1-based): `use` trees expanded, then paths in
/// code read through the names the uses bound.
fn paths_used(code: &str, module: &[String], dependencies: &[String]) -> Vec<(usize, Vec<String>)> {
    let mut names = Names { dependencies: dependencies.to_vec(), imported: BTreeMap::new() };
    let lines: Vec<&str> = code.lines().collect();
    let in_tests = test_lines(&lines);
    let mut used = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let statement_start = lines[index].find("use ").filter(|&at| is_use_statement(&lines[index][..at]));
        if in_tests[index] {
            index += 1;
        } else if let Some(at) = statement_start {
            let last = (index..lines.len()).find(|&k| lines[k].contains(';')).unwrap_or(lines.len() - 1);
            let mut statement: Vec<(usize, &str)> = vec![(index + 1, &lines[index][at..])];
            statement.extend((index + 1..=last).map(|k| (k + 1, lines[k])));
            let mut imports = Vec::new();
            expand_use(&use_tokens(&statement), &mut 0, &[], &mut imports);
            for (import, bound) in imports {
                if let Some(path) = resolve(&import.segments, module, &names, true) {
                    used.push((import.line, path.clone()));
                    if let Some(name) = bound {
                        names.imported.insert(name, path);
                    }
                }
            }
            index = last + 1;
        } else {
            for path in code_paths(lines[index], index + 1) {
                used.extend(resolve(&path.segments, module, &names, false).map(|p| (path.line, p)));
            }
            index += 1;
        }
    }
    used
}

/// The modules (as paths under `src/`, without `.rs`) that the file at
/// `src/{relative}` declares under `#[cfg(test)]` as `mod name;`.
fn test_modules(relative: &str, source: &str) -> Vec<String> {
    let code = code_only(source);
    let lines: Vec<&str> = code.lines().collect();
    let in_tests = test_lines(&lines);
    let stem = relative.trim_end_matches(".rs");
    let directory = match stem.rsplit_once('/') {
        Some((parent, "mod")) => parent.to_string(),
        Some(_) => stem.to_string(),
        None => String::new(), // lib.rs, main.rs
    };
    let declared = |line: &str| {
        let line = line.trim().trim_start_matches("pub(crate) ").trim_start_matches("pub ");
        line.strip_prefix("mod ").and_then(|rest| rest.strip_suffix(';')).map(|name| name.trim().to_string())
    };
    (0..lines.len())
        .filter(|&k| in_tests[k])
        .filter_map(|k| declared(lines[k]))
        .map(|name| if directory.is_empty() { name } else { format!("{directory}/{name}") })
        .collect()
}

/// True if `before` (what precedes `use ` on a line) makes it a `use` item:
/// nothing, or a visibility.
fn is_use_statement(before: &str) -> bool {
    let before = before.trim();
    before.is_empty() || before == "pub" || (before.starts_with("pub(") && before.ends_with(')'))
}

/// Every `.rs` file under `directory`.
fn rust_files(directory: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(directory).unwrap_or_else(|e| panic!("{}: {e}", directory.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn the_source_keeps_every_architecture_invariant() {
    let dependencies = dependencies(&std::fs::read_to_string("Cargo.toml").expect("Cargo.toml"));
    assert!(dependencies.iter().any(|d| d == "serde_json"), "dependencies read from Cargo.toml: {dependencies:?}");
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    files.sort();
    assert!(files.len() > 50, "src/ read: {} files", files.len());
    let mut broken = Vec::new();
    let mut sources = Vec::new();
    for path in &files {
        let relative = path.strip_prefix("src").expect("under src").to_string_lossy().replace('\\', "/");
        let source = std::fs::read_to_string(path).expect("source is UTF-8");
        sources.push((relative, source));
    }
    let test_modules: Vec<String> =
        sources.iter().flat_map(|(relative, source)| test_modules(relative, source)).collect();
    for (relative, source) in &sources {
        let test_only =
            test_modules.iter().any(|m| *relative == format!("{m}.rs") || relative.starts_with(&format!("{m}/")));
        broken.extend(scan_file(relative, source, &dependencies, test_only).iter().map(Violation::to_string));
    }
    assert!(
        broken.is_empty(),
        "{} architecture invariant(s) broken (ARCHITECTURE.md, \"Architecture invariants\"):\n{}",
        broken.len(),
        broken.join("\n")
    );
}

#[test]
fn the_scanner_sees_grouped_renamed_relative_and_inline_paths_and_skips_tests() {
    let source = "//! A module.\n\
        use crate::{engine::SimTime, metrics::{self, Summary as Figures}};\n\
        use std::time::{Duration, Instant};\n\
        \n\
        fn f() -> Figures {\n    \
            let _ = super::super::super::cli::main;\n    \
            let _ = \"crate::runner in a string\"; // crate::live in a comment\n    \
            println!(\"{}\", std::fs::read(\"x\").is_ok());\n\
        }\n\
        \n\
        #[cfg(test)]\n\
        mod tests {\n    \
            use crate::cli::Cli;\n\
        }\n\
        fn g() -> metrics::Proportion {}\n";
    let found = scan_file("model/world/x.rs", source, &["serde".to_string()], false);
    assert_eq!(scan_file("model/world/x.rs", source, &[], true).len(), 0, "a test module keeps only the doc rule");
    let lines: Vec<usize> = found.iter().map(|v| v.line).collect();
    let shown: Vec<String> = found.iter().map(Violation::to_string).collect();
    assert_eq!(lines, [2, 2, 3, 6, 8, 8, 8, 15], "{shown:#?}");
    assert!(shown[0].starts_with("src/model/world/x.rs:2: `crate::metrics`: model must not use metrics"), "{shown:#?}");
    assert!(shown[3].contains("`crate::cli::main`"), "{shown:#?}");
    assert!(shown[4].contains("`std::println`: only cli and live write to the terminal"), "{shown:#?}");
    assert!(shown[7].contains("`crate::metrics::Proportion`"), "{shown:#?}");
    let declared = "//! Objectives.\n#[cfg(test)]\nmod fixtures;\nmod verdict;\n";
    assert_eq!(test_modules("metrics/slo.rs", declared), ["metrics/slo/fixtures"]);
    assert_eq!(test_modules("metrics/mod.rs", declared), ["metrics/fixtures"]);
    let undocumented = scan_file("engine/y.rs", "fn f() {}\n", &[], false);
    assert_eq!(undocumented.len(), 1);
    assert!(undocumented[0].to_string().starts_with("src/engine/y.rs:1: no `//!` module doc"));
}
