//! The commands that help a newcomer start: `scenarios` (the built-in list,
//! or `--show NAME` for one's TOML, since `scenarios/*.toml` is not there
//! after `cargo install`), `init FILE [--from NAME]` (a commented starting
//! file layered on a built-in; an existing file is never overwritten) and
//! `completions SHELL` (clap's shell completions) and `man [DIR]` (manual
//! pages in roff from the same clap definition, by `clap_mangen`).

use super::output::{say, sayln};
use super::{Cli, CliError};
use crate::report::write_atomic;
use crate::scenario::{BUILTIN, builtin, parse_scenario};
use clap::CommandFactory;
use std::path::Path;

/// The built-in `name`, or the list of names when there is none.
fn builtin_text(name: &str) -> Result<&'static str, CliError> {
    builtin(name).ok_or_else(|| {
        let names: Vec<&str> = BUILTIN.iter().map(|(name, _)| *name).collect();
        CliError::BadInput(format!("{name}: not a built-in scenario; one of {}", names.join(", ")))
    })
}

/// `unbindsim scenarios [--show NAME]`.
pub fn scenarios(show: Option<&str>) -> Result<(), CliError> {
    if let Some(name) = show {
        say!("{}", builtin_text(name)?);
        return Ok(());
    }
    for (name, text) in BUILTIN {
        let description = parse_scenario(name, text).map(|s| s.description).unwrap_or_default();
        let first_sentence = description.split(": ").next().unwrap_or(&description);
        sayln!("{name:<24} {first_sentence}");
    }
    Ok(())
}

/// `unbindsim init FILE --from NAME`: `base = NAME`, a name from the file's
/// stem, and the built-in's keys commented out beneath.
pub fn init(file: &Path, from: &str) -> Result<(), CliError> {
    let text = builtin_text(from)?;
    if file.exists() {
        return Err(CliError::BadInput(format!("{}: already exists; init never overwrites a file", file.display())));
    }
    let name = file.file_stem().and_then(|stem| stem.to_str()).filter(|stem| !stem.is_empty()).unwrap_or("my-scenario");
    let mut out = format!(
        "# A unbindsim scenario, started from the built-in `{from}`.\n\
         #   unbindsim validate {shown}    checks it\n\
         #   unbindsim run {shown}         runs it (results in results/{name}/)\n\
         # `base` takes every key of `{from}`; a key set here overrides it. Its keys\n\
         # follow, commented out (`unbindsim scenarios --show {from}`): uncomment a key\n\
         # (and its [table] line) to change it.\n\
         base = \"{from}\"\nname = \"{name}\"\n\n",
        shown = file.display()
    );
    for line in text.lines().filter(|line| !line.starts_with("name =")) {
        out.push_str(if line.is_empty() { "#" } else { "# " });
        out.push_str(line);
        out.push('\n');
    }
    write_atomic(file, out.as_bytes())
        .map_err(|e| CliError::Runtime(format!("{}: cannot write: {e}", file.display())))?;
    sayln!("wrote {} (from {from}); check it with: unbindsim validate {}", file.display(), file.display());
    Ok(())
}

/// `unbindsim completions SHELL`: the completion script on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<(), CliError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "unbindsim", &mut script);
    say!("{}", String::from_utf8_lossy(&script));
    Ok(())
}

/// `unbindsim man [DIR]`: the page of `unbindsim` on stdout, or with DIR
/// one page per command (`unbindsim.1`, `unbindsim-run.1`, …) written there.
pub fn man(dir: Option<&Path>) -> Result<(), CliError> {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let Some(dir) = dir else {
        say!("{}", String::from_utf8_lossy(&page(&manual(command))?));
        return Ok(());
    };
    let mut commands = vec![command.clone()];
    commands.extend(command.get_subcommands().filter(|sub| !sub.is_hide_set()).cloned());
    for command in commands {
        let man = manual(command);
        let path = dir.join(man.get_filename());
        write_atomic(&path, &page(&man)?)
            .map_err(|e| CliError::Runtime(format!("{}: cannot write: {e}", path.display())))?;
        sayln!("wrote {}", path.display());
    }
    Ok(())
}

/// A command's page, each naming the program and version in its footer.
fn manual(command: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(command).source(format!("unbindsim {}", env!("CARGO_PKG_VERSION")))
}

/// One manual page's roff.
fn page(man: &clap_mangen::Man) -> Result<Vec<u8>, CliError> {
    let mut roff = Vec::new();
    man.render(&mut roff).map_err(|e| CliError::Runtime(format!("cannot render the manual page: {e}")))?;
    Ok(roff)
}
