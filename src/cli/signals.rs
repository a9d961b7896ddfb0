//! SIGINT and SIGTERM during `run`, `compare` and `sweep`. The first asks
//! the command to stop at the next replication boundary: replications
//! running finish, no other starts, and the command writes what is
//! complete — each scenario's first replications without a gap, so an
//! interrupted summary of k replications is the summary a run of k would
//! write, marked `"status": "interrupted"` — and exits 128 + the signal's
//! number (130 for SIGINT, 143 for SIGTERM). A second signal ends the
//! process at once with that code.

use super::CliError;
use crate::metrics::ReplicationRecord;
use signal_hook::consts::{SIGINT, SIGTERM};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// The signals watched.
const WATCHED: [i32; 2] = [SIGINT, SIGTERM];

/// The signal received (0 while none), once watching started.
static RECEIVED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// Starts watching SIGINT and SIGTERM (once per process).
pub fn watch() -> Result<(), CliError> {
    if RECEIVED.get().is_some() {
        return Ok(());
    }
    let received = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(AtomicBool::new(false));
    for signal in WATCHED {
        let failed = |e: std::io::Error| CliError::Runtime(format!("cannot watch signal {signal}: {e}"));
        signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&seen)).map_err(failed)?;
        signal_hook::flag::register(signal, Arc::clone(&seen)).map_err(failed)?;
        signal_hook::flag::register_usize(signal, Arc::clone(&received), signal as usize).map_err(failed)?;
    }
    let _ = RECEIVED.set(received);
    Ok(())
}

/// The signal that asked the command to stop, if one did.
pub fn received() -> Option<i32> {
    let number = RECEIVED.get()?.load(Ordering::SeqCst);
    (number != 0).then_some(number as i32)
}

/// Whether a signal asked the command to stop: for the runner's `stop`.
pub fn stop_requested() -> bool {
    received().is_some()
}

/// The signal's name as users know it.
pub fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// The error an interrupted command ends with, after writing `wrote`.
pub fn interrupted(signal: i32, wrote: &str) -> CliError {
    CliError::Interrupted {
        code: 128 + signal,
        message: format!("interrupted by {}: stopped at a replication boundary; {wrote}", name(signal)),
    }
}

/// Keeps the `records` (in index order) up to the first of `planned` that
/// is missing (a stopped run's later replications may have finished out of
/// order); true when every planned replication is there.
pub fn keep_gap_free(records: &mut Vec<ReplicationRecord>, planned: &[u32]) -> bool {
    let kept = records.iter().zip(planned).take_while(|(record, index)| record.index == **index).count();
    records.truncate(kept);
    kept == planned.len()
}
