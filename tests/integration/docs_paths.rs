//! The documentation points at real files: every relative link and every
//! repository path quoted in `README.md`, `ARCHITECTURE.md` and `docs/*.md`
//! (a `docs/…`, `results/…`, `scenarios/…`, `benches/…`, `scripts/…`,
//! `tests/…`, `src/…` or `fuzz/…` path in backticks) names a file or folder
//! that exists, and the README's table lists every file under `docs/`.

use std::path::{Path, PathBuf};

/// Where quoted paths start: the repository's own folders.
const ROOTS: [&str; 8] = ["docs/", "results/", "scenarios/", "benches/", "scripts/", "tests/", "src/", "fuzz/"];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn documents() -> Vec<PathBuf> {
    let mut files = vec![repo().join("README.md"), repo().join("ARCHITECTURE.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .expect("docs/ exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The targets of `](target)` links that are not web addresses or anchors.
fn relative_links(text: &str) -> Vec<&str> {
    text.match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &text[at + 2..];
            let target = &rest[..rest.find(')')?];
            let target = target.split('#').next().unwrap_or("");
            (!target.is_empty() && !target.contains("://")).then_some(target)
        })
        .collect()
}

/// Repository paths quoted in backticks: the quoted text up to the first
/// space, when it starts with one of `ROOTS` and names no placeholder.
fn quoted_paths(text: &str) -> Vec<&str> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|quoted| {
            let path = quoted.split_whitespace().next()?;
            let path = path.split("::").next()?.trim_end_matches([',', ';', ':', '.']);
            let placeholder =
                path.contains(['<', '*', '{', '…']) || path.contains("...") || path.split('/').any(is_placeholder);
            (ROOTS.iter().any(|root| path.starts_with(root)) && !placeholder).then_some(path)
        })
        .collect()
}

/// A path segment standing for a name: `NAME` in `scenarios/NAME.toml`.
fn is_placeholder(segment: &str) -> bool {
    let stem = segment.split('.').next().unwrap_or("");
    !stem.is_empty() && stem.chars().all(|c| c.is_ascii_uppercase() || c == '_')
}

#[test]
fn every_link_and_quoted_path_in_the_docs_exists() {
    let mut missing = Vec::new();
    for document in documents() {
        let text = std::fs::read_to_string(&document).unwrap();
        let folder = document.parent().unwrap();
        for link in relative_links(&text) {
            if !folder.join(link).exists() {
                missing.push(format!("{}: link {link}", document.display()));
            }
        }
        for path in quoted_paths(&text) {
            if !repo().join(path).exists() {
                missing.push(format!("{}: path {path}", document.display()));
            }
        }
    }
    assert!(missing.is_empty(), "the docs name files that do not exist:\n{}", missing.join("\n"));
}

#[test]
fn the_readme_lists_every_document() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let listed = relative_links(&readme);
    for document in documents().iter().skip(2) {
        let name = Path::new("docs").join(document.file_name().unwrap());
        let name = name.to_str().unwrap();
        assert!(listed.contains(&name), "README.md does not link {name}");
    }
}

#[test]
fn quoted_paths_are_read_as_written() {
    let text = "see `docs/model.md`, `results/<scenario>/summary.json`, `scenarios/NAME.toml`, \
                `src/metrics/figures.rs::read` and `benches/scale.sh --against B`";
    assert_eq!(quoted_paths(text), ["docs/model.md", "src/metrics/figures.rs", "benches/scale.sh"]);
    assert_eq!(relative_links("[a](docs/x.md) [b](https://e.org) [c](#top)"), ["docs/x.md"]);
}
