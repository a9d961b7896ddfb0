//! Objectives of a live load run (`unbindsim load`), in the same `[slo]`
//! table as the simulation's: the figures a live summary measures
//! (`response_time_p99`, `service_time_p50`, `dispatch_delay_max`,
//! `client_delay_p99`,
//! `error_rate`, `achieved_rate_ratio`, `still_active`, `late_starts`),
//! parsed here, judged by `live`. A threshold may end in `, abort_on_fail`
//! (as k6's `abortOnFail`): the replay stops as soon as a figure measured
//! during the replay fails it.
//!
//! ```toml
//! [slo]
//! response_time_p99 = "<= 500ms, abort_on_fail"
//! error_rate = "< 0.01"
//! achieved_rate_ratio = ">= 0.9"
//! still_active = "0"                 # bare value: at most
//! lockout_rate = "< 0.1"             # a simulation objective, judged by `run`
//! ```

use super::figure::Quantile;
use super::slo::{Comparison, Slo, parse_slo};
use super::units::parse_duration;
use std::fmt;

/// The suffix that makes an objective stop a live run when it fails.
const ABORT_SUFFIX: &str = "abort_on_fail";

/// Which per-request latency a live objective reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestLatency {
    /// From the intended send time (coordinated omission corrected).
    Response,
    /// From the actual send.
    Service,
    /// From the intended to the actual send.
    Dispatch,
    /// From the intended to the actual send, of the requests that found a
    /// concurrency slot free: the client's own delay.
    Client,
}

impl RequestLatency {
    pub const ALL: [RequestLatency; 4] =
        [RequestLatency::Response, RequestLatency::Service, RequestLatency::Dispatch, RequestLatency::Client];

    /// As the live summary spells it (`metrics.request_latency_ms.<name>`).
    pub fn name(self) -> &'static str {
        match self {
            RequestLatency::Response => "response_time",
            RequestLatency::Service => "service_time",
            RequestLatency::Dispatch => "dispatch_delay",
            RequestLatency::Client => "client_delay",
        }
    }
}

/// A figure a live load run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveFigure {
    /// A percentile of a per-request latency, in milliseconds.
    Latency(RequestLatency, Quantile),
    /// Requests without a 2xx answer among those answered or failed.
    ErrorRate,
    /// Achieved over intended request rate.
    AchievedRateRatio,
    /// Members the replay unbound that the service still shows active
    /// (patch) or present (delete, bulk).
    StillActive,
    /// Requests sent more than the late-start threshold after their time.
    LateStarts,
}

/// What a live figure's threshold is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveUnit {
    Milliseconds,
    /// A share in [0, 1].
    Share,
    /// A non-negative ratio.
    Ratio,
    /// A whole number.
    Count,
}

impl LiveFigure {
    /// Every live figure, in the order tables list them.
    pub fn all() -> Vec<LiveFigure> {
        let latencies = RequestLatency::ALL
            .into_iter()
            .flat_map(|latency| Quantile::ALL.into_iter().map(move |q| LiveFigure::Latency(latency, q)));
        let others =
            [LiveFigure::ErrorRate, LiveFigure::AchievedRateRatio, LiveFigure::StillActive, LiveFigure::LateStarts];
        latencies.chain(others).collect()
    }

    /// The `[slo]` key: `response_time_p99`, `error_rate`, …
    pub fn name(self) -> String {
        match self {
            LiveFigure::Latency(latency, quantile) => format!("{}_{}", latency.name(), quantile.key()),
            LiveFigure::ErrorRate => "error_rate".into(),
            LiveFigure::AchievedRateRatio => "achieved_rate_ratio".into(),
            LiveFigure::StillActive => "still_active".into(),
            LiveFigure::LateStarts => "late_starts".into(),
        }
    }

    pub fn named(key: &str) -> Option<LiveFigure> {
        LiveFigure::all().into_iter().find(|figure| figure.name() == key)
    }

    pub fn unit(self) -> LiveUnit {
        match self {
            LiveFigure::Latency(..) => LiveUnit::Milliseconds,
            LiveFigure::ErrorRate => LiveUnit::Share,
            LiveFigure::AchievedRateRatio => LiveUnit::Ratio,
            LiveFigure::StillActive | LiveFigure::LateStarts => LiveUnit::Count,
        }
    }

    /// Whether the figure is known while the replay runs (so
    /// `abort_on_fail` can act on it): not the achieved rate, which needs
    /// the whole run, nor what verification finds after it.
    pub fn measured_during_replay(self) -> bool {
        match self {
            LiveFigure::Latency(..) | LiveFigure::ErrorRate | LiveFigure::LateStarts => true,
            LiveFigure::AchievedRateRatio | LiveFigure::StillActive => false,
        }
    }
}

/// One live objective: `key <op> threshold`, perhaps stopping the run.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveSlo {
    pub key: String,
    pub figure: LiveFigure,
    pub comparison: Comparison,
    /// Milliseconds for a latency, else the figure's own unit.
    pub threshold: f64,
    /// The threshold as written, without its comparison or suffix.
    pub threshold_text: String,
    pub abort_on_fail: bool,
}

impl fmt::Display for LiveSlo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.key, self.comparison.symbol(), self.threshold_text)
    }
}

/// An `[slo]` entry: judged by the simulation or by a live run.
#[derive(Clone, Debug, PartialEq)]
pub enum Objective {
    Sim(Slo),
    Live(LiveSlo),
}

/// Every live objective key, for messages.
fn live_keys() -> String {
    LiveFigure::all().into_iter().map(LiveFigure::name).collect::<Vec<_>>().join(", ")
}

/// Parses `key = "threshold"` of `[slo]`, live or simulated; the error
/// says what is allowed.
pub fn parse_objective(key: &str, text: &str) -> Result<Objective, String> {
    let (body, abort_on_fail) = split_abort(text);
    let Some(figure) = LiveFigure::named(key) else {
        if abort_on_fail {
            return Err(format!(
                "`{ABORT_SUFFIX}` stops a live run early; `{key}` is not a live objective (live objectives: {})",
                live_keys()
            ));
        }
        return parse_slo(key, text).map(Objective::Sim).map_err(|message| {
            if message.starts_with("unknown objective") {
                format!("{message}; or a live objective (judged by `unbindsim load`): {}", live_keys())
            } else {
                message
            }
        });
    };
    if abort_on_fail && !figure.measured_during_replay() {
        return Err(format!("`{key}` is known only after the replay, so `{ABORT_SUFFIX}` cannot act on it"));
    }
    let (comparison, value) = Comparison::split(body);
    let threshold = live_threshold(figure.unit(), value, text)?;
    Ok(Objective::Live(LiveSlo {
        key: key.to_owned(),
        figure,
        comparison,
        threshold,
        threshold_text: value.to_owned(),
        abort_on_fail,
    }))
}

/// The text without a trailing `, abort_on_fail`, and whether it had one.
fn split_abort(text: &str) -> (&str, bool) {
    let trimmed = text.trim();
    match trimmed.strip_suffix(ABORT_SUFFIX).map(str::trim_end) {
        Some(rest) if rest.ends_with(',') => (rest.trim_end_matches(',').trim(), true),
        _ => (trimmed, false),
    }
}

fn live_threshold(unit: LiveUnit, value: &str, text: &str) -> Result<f64, String> {
    let number = || value.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0);
    match unit {
        LiveUnit::Milliseconds => Ok(parse_duration(value)?.as_millis_f64()),
        LiveUnit::Share => number()
            .filter(|v| *v <= 1.0)
            .ok_or_else(|| format!("expected a share in [0, 1] like \"< 0.01\", got \"{text}\"")),
        LiveUnit::Ratio => {
            number().ok_or_else(|| format!("expected a non-negative ratio like \">= 0.9\", got \"{text}\""))
        }
        LiveUnit::Count => value
            .parse::<u64>()
            .map(|count| count as f64)
            .map_err(|_| format!("expected a whole number like \"0\" or \"<= 5\", got \"{text}\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(key: &str, text: &str) -> LiveSlo {
        match parse_objective(key, text).unwrap() {
            Objective::Live(slo) => slo,
            Objective::Sim(slo) => panic!("{slo} is not live"),
        }
    }

    #[test]
    fn live_objectives_parse_with_their_units_and_abort_suffix() {
        let p99 = live("response_time_p99", "<= 500ms, abort_on_fail");
        assert_eq!(p99.figure, LiveFigure::Latency(RequestLatency::Response, Quantile::P99));
        assert_eq!((p99.threshold, p99.abort_on_fail), (500.0, true));
        assert_eq!(p99.to_string(), "response_time_p99 <= 500ms");
        let ratio = live("achieved_rate_ratio", ">= 0.9");
        assert_eq!((ratio.comparison, ratio.threshold, ratio.abort_on_fail), (Comparison::AtLeast, 0.9, false));
        assert_eq!(live("still_active", "0").comparison, Comparison::AtMost);
        assert_eq!(live("dispatch_delay_max", "< 1s").threshold, 1000.0);
        assert_eq!(live("client_delay_p99", "< 250us").threshold, 0.25);
        assert_eq!(LiveFigure::all().len(), 4 * 5 + 4);
    }

    #[test]
    fn simulation_keys_stay_simulation_objectives() {
        assert!(matches!(parse_objective("lockout_rate", "< 0.1"), Ok(Objective::Sim(_))));
        let unknown = parse_objective("respons_time_p99", "1s").unwrap_err();
        assert!(unknown.contains("batch_latency_p99") && unknown.contains("response_time_p99"), "{unknown}");
    }

    #[test]
    fn bad_live_thresholds_and_misplaced_aborts_say_why() {
        assert!(parse_objective("error_rate", "< 1.5").unwrap_err().contains("[0, 1]"));
        assert!(parse_objective("late_starts", "< 2.5").unwrap_err().contains("whole number"));
        assert!(parse_objective("response_time_p50", "< soon").is_err());
        assert!(parse_objective("still_active", "0, abort_on_fail").unwrap_err().contains("only after the replay"));
        assert!(parse_objective("lockout_rate", "< 0.1, abort_on_fail").unwrap_err().contains("not a live objective"));
    }
}
