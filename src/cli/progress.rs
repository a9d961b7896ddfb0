//! Progress on the terminal: bars with an ETA for long runs, sweeps and
//! comparisons, and the live line of a load run (phase, sent, ok, errors,
//! current rate, p99 so far) redrawn from each snapshot `live` publishes
//! (about once a second). Drawn on a terminal only, never with `--quiet` or
//! when stderr is not a terminal.

use crate::live::{Phase, Progress, Snapshot};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Where progress is drawn: stderr on a terminal, nowhere otherwise.
fn target(quiet: bool) -> ProgressDrawTarget {
    if quiet || !std::io::stderr().is_terminal() { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() }
}

/// A bar over `total` replications labelled `label`.
pub fn bar(total: u64, label: &str, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), target(quiet));
    let style =
        ProgressStyle::with_template("{msg:>24} [{bar:30}] {pos}/{len} replications, {elapsed} elapsed, ETA {eta}")
            .map(|style| style.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(label.to_owned());
    bar
}

/// The live line of a load run: provisioning with its elapsed time, then
/// the replay's counters, cleared after it; the run's own lines are printed
/// above it (or straight to stderr when nothing is drawn).
pub fn live_line(quiet: bool) -> Box<dyn Progress> {
    let line = ProgressBar::with_draw_target(None, target(quiet));
    line.set_style(ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
    Box::new(LiveLine(line))
}

struct LiveLine(ProgressBar);

impl Progress for LiveLine {
    fn snapshot(&self, snapshot: &Snapshot) {
        let line = &self.0;
        match snapshot.phase {
            Phase::Provisioning => {
                line.reset_elapsed();
                if let Ok(style) = ProgressStyle::with_template("{msg} ({elapsed})") {
                    line.set_style(style);
                }
                line.set_message("provisioning: users and groups");
                line.enable_steady_tick(Duration::from_secs(1));
            }
            Phase::Replay => {
                line.set_style(
                    ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                line.set_message(live_text(snapshot));
            }
            Phase::Verification | Phase::Done => line.finish_and_clear(),
            Phase::Discovery => {}
        }
    }

    fn say(&self, text: &str) {
        if self.0.is_hidden() || self.0.is_finished() { eprintln!("{text}") } else { self.0.println(text) }
    }
}

/// `replay: sent 120/200, ok 118, errors 2, 49.8/s, p99 12.30ms`.
fn live_text(s: &Snapshot) -> String {
    let p99 = s.response_p99_ms.map_or_else(|| "n/a".to_owned(), |ms| format!("{ms:.2}ms"));
    format!(
        "{}: sent {}/{}, ok {}, errors {}, {:.1}/s, response time p99 {p99}",
        s.phase.name(),
        s.sent,
        s.planned,
        s.ok,
        s.errors,
        s.rate_per_sec
    )
}
