//! The seed scenarios, one per workload kind but the script, compiled into
//! the binary so `unbindsim run` works anywhere without arguments; the same
//! text as `scenarios/*.toml`.

/// (name, TOML text) of each seed scenario.
pub const BUILTIN: [(&str, &str); 8] = [
    ("self-exit", include_str!("../../scenarios/self-exit.toml")),
    ("admin-batch", include_str!("../../scenarios/admin-batch.toml")),
    ("device-change", include_str!("../../scenarios/device-change.toml")),
    ("app-grants", include_str!("../../scenarios/app-grants.toml")),
    ("dissolution", include_str!("../../scenarios/dissolution.toml")),
    ("gdpr-export", include_str!("../../scenarios/gdpr-export.toml")),
    ("subsidiary-split", include_str!("../../scenarios/subsidiary-split.toml")),
    ("compliance-dual-control", include_str!("../../scenarios/compliance-dual-control.toml")),
];

/// The text of the built-in scenario `name`.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(builtin, _)| *builtin == name).map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WorkloadKind;
    use crate::scenario::parse_scenario;

    #[test]
    fn every_builtin_parses_and_is_named_after_its_file() {
        for (name, text) in BUILTIN {
            let scenario = parse_scenario(name, text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(scenario.name, name);
            assert_eq!(scenario.workload.kind.name(), name);
        }
    }

    #[test]
    fn every_workload_kind_but_the_script_has_a_seed_scenario_in_kind_order() {
        let seeds: Vec<&str> = BUILTIN.iter().map(|(name, _)| *name).collect();
        let kinds: Vec<&str> = WorkloadKind::all_with_defaults()
            .iter()
            .filter(|kind| kind.script_steps().is_none())
            .map(WorkloadKind::name)
            .collect();
        assert_eq!(seeds, kinds);
    }
}
