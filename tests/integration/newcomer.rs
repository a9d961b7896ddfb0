//! A newcomer's first steps through the binary: a built-in's TOML with
//! `scenarios --show`, a starting file with `init` (never overwriting),
//! shell completions, and `--help` with examples and the exit codes.

use super::common::{stderr, temp_dir, unbindsim};

#[test]
fn scenarios_show_prints_a_builtins_toml_and_refuses_an_unknown_name() {
    let output = unbindsim(&["scenarios", "--show", "admin-batch"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(text, unbindsim::scenario::builtin("admin-batch").unwrap());
    let output = unbindsim(&["scenarios", "--show", "no-such"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("one of self-exit, admin-batch"), "{}", stderr(&output));
}

#[test]
fn init_writes_a_commented_file_that_validates_and_never_overwrites() {
    let directory = temp_dir("init");
    let file = directory.join("mine.toml");
    let path = file.to_str().unwrap();
    let output = unbindsim(&["init", path, "--from", "device-change"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("base = \"device-change\"\nname = \"mine\""), "{text}");
    assert!(text.contains("# [org]"), "the built-in's keys, commented: {text}");
    let output = unbindsim(&["validate", path]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("mine, device-change workload"));
    std::fs::write(&file, "kept").unwrap();
    let output = unbindsim(&["init", path]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("already exists"), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "kept");
    let other = directory.join("other.toml");
    assert_eq!(unbindsim(&["init", other.to_str().unwrap(), "--from", "nope"]).status.code(), Some(2));
    assert!(!other.exists());
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn completions_and_help_are_there_for_a_newcomer() {
    let output = unbindsim(&["completions", "bash"]);
    assert!(output.status.success());
    let script = String::from_utf8_lossy(&output.stdout);
    assert!(script.contains("_unbindsim") && script.contains("sweep"), "a bash completion script");
    assert_eq!(unbindsim(&["completions", "tcsh"]).status.code(), Some(2));
    let help = String::from_utf8_lossy(&unbindsim(&["--help"]).stdout).into_owned();
    for words in ["Examples:", "unbindsim init", "Exit codes:", "143 by SIGTERM", "3    an objective failed"] {
        assert!(help.contains(words), "--help says {words:?}: {help}");
    }
}

/// The commands `--help` lists, but `help` itself.
fn listed_commands() -> Vec<String> {
    let help = String::from_utf8_lossy(&unbindsim(&["--help"]).stdout).into_owned();
    let commands = help.split_once("Commands:\n").unwrap().1.split_once("\n\n").unwrap().0;
    let names = commands.lines().filter(|line| line.starts_with("  ") && !line.starts_with("   "));
    names.filter_map(|line| line.split_whitespace().next()).filter(|name| *name != "help").map(str::to_owned).collect()
}

#[test]
fn the_manual_page_is_roff_from_the_command_line_naming_every_command() {
    let commands = listed_commands();
    assert!(commands.len() >= 10 && commands.iter().any(|c| c == "man"), "{commands:?}");
    let output = unbindsim(&["man"]);
    assert!(output.status.success());
    let page = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(page.contains(".TH unbindsim 1") && page.contains(".SH SUBCOMMANDS"), "a roff page: {page}");
    assert!(page.contains("Exit codes:") && page.contains("143 by SIGTERM"), "the exit codes: {page}");
    for command in &commands {
        assert!(page.contains(&format!("unbindsim\\-{}(1)", command.replace('-', "\\-"))), "{command} not named");
    }
    let directory = temp_dir("man");
    let pages = directory.join("man1");
    assert!(unbindsim(&["man", pages.to_str().unwrap()]).status.success());
    for command in &commands {
        let text = std::fs::read_to_string(pages.join(format!("unbindsim-{command}.1"))).unwrap();
        assert!(
            text.starts_with(".ie") && text.contains(&format!(".TH unbindsim-{command} 1  \"unbindsim ")),
            "{command}: {text}"
        );
    }
    let run = std::fs::read_to_string(pages.join("unbindsim-run.1")).unwrap();
    assert!(run.contains("\\-\\-verbose") && run.contains("\\-\\-replications"), "run's flags: {run}");
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn help_is_wrapped_to_the_terminal_width_and_ends_with_the_exit_codes() {
    let help_at = |columns: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_unbindsim"))
            .arg("--help")
            .env("COLUMNS", columns)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let narrow = help_at("50");
    let too_wide: Vec<&str> = narrow.lines().filter(|l| l.chars().count() > 50 && l.trim().contains(' ')).collect();
    assert!(too_wide.is_empty(), "lines wider than 50 columns: {too_wide:?}");
    let wide = help_at("120");
    assert!(wide.lines().any(|l| l.contains("completions bash > ~/.local")), "one line at 120 columns: {wide}");
    let codes = wide.split_once("Exit codes:\n").unwrap_or_else(|| panic!("no exit codes: {wide}")).1;
    for code in ["0", "1", "2", "3", "130"] {
        assert!(codes.lines().any(|l| l.starts_with(&format!("  {code} "))), "exit code {code}: {codes}");
    }
    assert!(codes.contains("143 by SIGTERM"), "{codes}");
}
