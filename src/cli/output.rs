//! Where the command line's text goes, without ever panicking. Results and
//! tables go to stdout, notes and errors to stderr. When a stream is closed
//! (`unbindsim run | head -1`) or fails, printing to it stops for the rest
//! of the command and the work goes on: every result file is still written
//! and the exit status is the work's (0, or 3 for a failed gate), not the
//! pipe's. With `--format json` the tables go to stderr and stdout gets
//! one JSON document at the end: what the command wrote (summaries with
//! their verdicts, comparisons, sweep points), its exit code and error.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write to stdout failed: nothing more is printed there.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// Set once a write to stderr failed.
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Prints `text` on stdout, unless stdout was found closed (on stderr
/// with `--format json`, which keeps stdout for its document).
pub fn print_out(text: &str) {
    if TEXT_TO_STDERR.load(Ordering::Relaxed) {
        print_err(text);
    } else {
        write_unless_closed(&STDOUT_CLOSED, std::io::stdout().lock(), text);
    }
}

/// Prints `text` on stderr, unless stderr was found closed.
pub fn print_err(text: &str) {
    write_unless_closed(&STDERR_CLOSED, std::io::stderr().lock(), text);
}

fn write_unless_closed(closed: &AtomicBool, mut stream: impl Write, text: &str) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    if stream.write_all(text.as_bytes()).and_then(|()| stream.flush()).is_err() {
        closed.store(true, Ordering::Relaxed);
    }
}

/// `print!` through [`print_out`]: never panics on a closed pipe.
macro_rules! say {
    ($($arg:tt)*) => { $crate::cli::output::print_out(&format!($($arg)*)) };
}

/// `println!` through [`print_out`]: never panics on a closed pipe.
macro_rules! sayln {
    ($($arg:tt)*) => { $crate::cli::output::print_out(&format!("{}\n", format_args!($($arg)*))) };
}

/// `eprint!` through [`print_err`].
macro_rules! note {
    ($($arg:tt)*) => { $crate::cli::output::print_err(&format!($($arg)*)) };
}

/// `eprintln!` through [`print_err`].
macro_rules! noteln {
    ($($arg:tt)*) => { $crate::cli::output::print_err(&format!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {note, noteln, say, sayln};

/// The values of `--format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables for people on stdout.
    #[default]
    Text,
    /// One JSON document on stdout at the end (summaries, verdicts, exit
    /// code); the tables go to stderr.
    Json,
}

/// The document `--format json` prints, gathered while the command runs.
static DOCUMENT: Mutex<Option<BTreeMap<&'static str, Vec<Value>>>> = Mutex::new(None);
/// Set with `--format json`: what `say!` prints goes to stderr.
static TEXT_TO_STDERR: AtomicBool = AtomicBool::new(false);

/// Starts the command's output in `format`.
pub fn begin(format: Format) {
    match format {
        Format::Text => {}
        Format::Json => {
            TEXT_TO_STDERR.store(true, Ordering::Relaxed);
            *DOCUMENT.lock().unwrap_or_else(|e| e.into_inner()) = Some(BTreeMap::new());
        }
    }
}

/// Adds `value` to the list `key` of the JSON document (with `--format json`).
pub fn add(key: &'static str, value: &impl Serialize) {
    if let Some(document) = DOCUMENT.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        document.entry(key).or_default().push(serde_json::to_value(value).unwrap_or(Value::Null));
    }
}

/// Prints the JSON document of `command` (with `--format json`): its lists,
/// the exit code, and the error message if it failed.
pub fn finish(command: &str, exit_code: i32, error: Option<String>) {
    let Some(lists) = DOCUMENT.lock().unwrap_or_else(|e| e.into_inner()).take() else { return };
    let mut document = serde_json::Map::new();
    document.insert("command".into(), Value::from(command));
    document.insert("exit_code".into(), Value::from(exit_code));
    document.insert("error".into(), error.map_or(Value::Null, Value::from));
    for (key, values) in lists {
        document.insert(key.into(), Value::Array(values));
    }
    write_unless_closed(&STDOUT_CLOSED, std::io::stdout().lock(), &crate::report::json_text(&document));
}
