//! Finding and reading scenario text: a file path or a built-in name, and
//! `base = "other.toml"` layering — a scenario that names a base starts from
//! the base's tables and overrides only what it writes (`[policy]`, say), so a
//! policy comparison is a few lines. Errors stay located in whichever file
//! holds the offending key.

use super::build::{Scenario, build};
use super::builtin::{BUILTIN, builtin};
use super::input::read_capped;
use super::location::{ScenarioError, deserialize_located, locate_key};
use super::spec::ScenarioSpec;
use super::units::distribution_names;
use std::path::Path;

/// Largest scenario file read (each file of a `base` chain), in bytes.
pub const MAX_SCENARIO_BYTES: u64 = 4 << 20;

/// Most dotted parts of a `--set` key (the deepest scenario key,
/// `policy.approval.service.lognormal.median`, has five).
const MAX_KEY_DEPTH: usize = 8;

/// How many `base` links a chain may have.
const MAX_BASE_DEPTH: usize = 8;

/// Loads a scenario from a file path, or a built-in one by name.
pub fn load_scenario(reference: &str) -> Result<Scenario, ScenarioError> {
    let (file, text) = read_reference(reference, Path::new(""))?;
    parse_scenario(&file, &text)
}

/// Parses and validates the text of a scenario file named `file` (a base it
/// names is looked up beside it, or among the built-in scenarios).
pub fn parse_scenario(file: &str, source: &str) -> Result<Scenario, ScenarioError> {
    parse_with_overrides(file, source, &[])
}

/// Loads a scenario and sets dotted keys (`policy.buffer`) to the given
/// TOML values on top of it, as a sweep does for each grid point.
pub fn load_with_overrides(reference: &str, overrides: &[(String, toml::Value)]) -> Result<Scenario, ScenarioError> {
    let (file, text) = read_reference(reference, Path::new(""))?;
    parse_with_overrides(&file, &text, overrides)
}

fn parse_with_overrides(
    file: &str,
    source: &str,
    overrides: &[(String, toml::Value)],
) -> Result<Scenario, ScenarioError> {
    let layers = layers(file, source)?;
    if layers.len() == 1 && overrides.is_empty() {
        let spec: ScenarioSpec = deserialize_located(file, source)?;
        return build(spec).map_err(|error| locate_key(file, source, &error.field, error.message));
    }
    let mut merged = toml::Table::new();
    for layer in layers.iter().rev() {
        merge(&mut merged, layer.table.clone());
    }
    for (key, value) in overrides {
        set_dotted(&mut merged, key, value.clone()).map_err(|message| flag_error(key, message))?;
    }
    let from_flag = |key: &str| overrides.iter().find(|(set, _)| key == set || key.starts_with(&format!("{set}.")));
    let spec: ScenarioSpec = serde_path_to_error::deserialize(merged).map_err(|error| {
        let key = error.path().to_string();
        match from_flag(&key) {
            Some((set, _)) => flag_error(set, error.inner().message().to_owned()),
            None => locate_in_layers(&layers, &key, error.inner().message()),
        }
    })?;
    build(spec).map_err(|error| match from_flag(&error.field) {
        Some((set, _)) => flag_error(set, error.message),
        None => locate_in_layers(&layers, &error.field, &error.message),
    })
}

/// Sets `a.b.c = value`, creating tables on the way.
fn set_dotted(table: &mut toml::Table, dotted: &str, value: toml::Value) -> Result<(), String> {
    // Checked before any table is made: a deeper key names nothing, and
    // tens of thousands of nested tables would overflow the stack later.
    if dotted.split('.').count() > MAX_KEY_DEPTH {
        return Err(format!("a key of more than {MAX_KEY_DEPTH} dotted parts names nothing in a scenario"));
    }
    let (parents, last) = match dotted.rsplit_once('.') {
        Some((parents, last)) => (parents.split('.').collect::<Vec<_>>(), last),
        None => (Vec::new(), dotted),
    };
    let mut current = table;
    for part in parents {
        let entry = current.entry(part.to_owned()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry.as_table_mut().ok_or_else(|| format!("`{part}` is a value, not a table"))?;
    }
    current.insert(last.to_owned(), value);
    Ok(())
}

fn flag_error(key: &str, message: String) -> ScenarioError {
    ScenarioError { file: format!("--set {key}"), line: None, column: None, key: None, message }
}

/// One file of a `base` chain, the overriding one first.
struct Layer {
    file: String,
    source: String,
    table: toml::Table,
}

fn layers(file: &str, source: &str) -> Result<Vec<Layer>, ScenarioError> {
    let mut chain = Vec::new();
    let (mut file, mut source) = (file.to_owned(), source.to_owned());
    loop {
        let mut table: toml::Table = deserialize_located(&file, &source)?;
        let base = table.remove("base");
        let directory = Path::new(&file).parent().unwrap_or(Path::new("")).to_path_buf();
        chain.push(Layer { file: file.clone(), source: source.clone(), table });
        let Some(base) = base else { return Ok(chain) };
        let Some(reference) = base.as_str() else {
            return Err(locate_key(&file, &source, "base", "must be a string: a scenario file or built-in name"));
        };
        if chain.len() > MAX_BASE_DEPTH {
            return Err(locate_key(
                &file,
                &source,
                "base",
                format!("more than {MAX_BASE_DEPTH} bases in a chain (a cycle?)"),
            ));
        }
        (file, source) = read_reference(reference, &directory)
            .map_err(|error| locate_key(&file, &source, "base", error.to_string()))?;
    }
}

/// Tables merge key by key; any other value in `over` replaces the base's,
/// and so does a table that is one value written as a table: a
/// distribution (`{ exp = "2h" }`) or the arrivals, whose keys choose a
/// kind (merged, `{ exp = … }` over `{ uniform = … }` would hold both),
/// on either side.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(over_inner))
                if !is_one_value(&key, inner) && !is_one_value(&key, &over_inner) =>
            {
                merge(inner, over_inner)
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Whether the table under `key` is one value that replaces the base's whole.
fn is_one_value(key: &str, table: &toml::Table) -> bool {
    key == "arrivals" || table.keys().any(|name| distribution_names().any(|dist| dist == name))
}

/// Locates `key` in the first layer that writes it.
fn locate_in_layers(layers: &[Layer], key: &str, message: &str) -> ScenarioError {
    let top = key.split(['.', '[']).next().unwrap_or(key);
    let holder = layers
        .iter()
        .find(|layer| has_key(&layer.table, key))
        .or_else(|| layers.iter().find(|l| l.table.contains_key(top)));
    let layer = holder.unwrap_or(&layers[0]);
    locate_key(&layer.file, &layer.source, key, message)
}

fn has_key(table: &toml::Table, dotted: &str) -> bool {
    let mut current = table;
    let mut parts = dotted.split('.').peekable();
    while let Some(part) = parts.next() {
        match current.get(part) {
            Some(toml::Value::Table(inner)) if parts.peek().is_some() => current = inner,
            Some(_) => return parts.peek().is_none(),
            None => return false,
        }
    }
    false
}

/// The file name and text a reference names: a file (relative to
/// `directory`), or a built-in scenario when no such file exists.
fn read_reference(reference: &str, directory: &Path) -> Result<(String, String), ScenarioError> {
    let path = directory.join(reference);
    let stem = Path::new(reference).file_stem().and_then(|s| s.to_str()).unwrap_or(reference);
    if !path.exists()
        && let Some(text) = builtin(reference).or_else(|| builtin(stem).filter(|_| reference.ends_with(".toml")))
    {
        return Ok((reference.to_owned(), text.to_owned()));
    }
    let shown = path.display().to_string();
    let failure = |message: String| ScenarioError { file: shown.clone(), line: None, column: None, key: None, message };
    if path.is_dir() {
        return Err(failure("is a directory, expected a scenario file (.toml)".into()));
    }
    let text = read_capped(&path, MAX_SCENARIO_BYTES).map_err(|message| {
        if !path.exists() {
            let names: Vec<&str> = BUILTIN.iter().map(|(name, _)| *name).collect();
            return failure(format!("{message} (built-in scenarios: {})", names.join(", ")));
        }
        failure(message)
    })?;
    Ok((shown, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(directory: &Path, name: &str, text: &str) -> String {
        let path = directory.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn a_base_is_overridden_table_by_table() {
        let directory = std::env::temp_dir().join(format!("unbindsim-base-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let file = write(
            &directory,
            "wipe.toml",
            "base = \"device-change.toml\"\nname = \"wipe\"\n[policy]\nmdm_wipe = false\n",
        );
        let scenario = load_scenario(&file).unwrap();
        assert_eq!(scenario.name, "wipe");
        assert!(!scenario.policy.mdm_wipe);
        assert_eq!(scenario.behaviour.uninstall_before_unbind, 0.30, "kept from the base");
        let bad = write(&directory, "bad.toml", "base = \"device-change\"\n[policy]\nbuffer = \"99h\"\n");
        let error = load_scenario(&bad).unwrap_err();
        assert_eq!((error.line, error.key.as_deref()), (Some(3), Some("policy.buffer")), "{error}");
        let missing = write(&directory, "missing.toml", "base = \"nope.toml\"\n");
        assert!(load_scenario(&missing).unwrap_err().to_string().contains("nope.toml"));
        std::fs::remove_dir_all(directory).unwrap();
    }

    #[test]
    fn a_cycle_of_bases_is_refused() {
        let directory = std::env::temp_dir().join(format!("unbindsim-cycle-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let file = write(&directory, "a.toml", "base = \"b.toml\"\n");
        write(&directory, "b.toml", "base = \"a.toml\"\n");
        assert!(load_scenario(&file).unwrap_err().to_string().contains("cycle"));
        std::fs::remove_dir_all(directory).unwrap();
    }
}
