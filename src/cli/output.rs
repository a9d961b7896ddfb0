//! Where the command line's text goes, without ever panicking. Results and
//! tables go to stdout, notes and errors to stderr. When a stream is closed
//! (`unbindsim run | head -1`) or fails, printing to it stops for the rest
//! of the command and the work goes on: every result file is still written
//! and the exit status is the work's (0, or 3 for a failed gate), not the
//! pipe's.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write to stdout failed: nothing more is printed there.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// Set once a write to stderr failed.
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Prints `text` on stdout, unless stdout was found closed.
pub fn print_out(text: &str) {
    write_unless_closed(&STDOUT_CLOSED, std::io::stdout().lock(), text);
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
