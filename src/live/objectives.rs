//! The verdicts of a live run on the scenario's `[slo]` objectives. A live
//! run is one measurement, with no replications to build an interval
//! from, so each live objective is judged on its measured value: PASS when
//! the value satisfies the threshold, FAIL when it does not, UNDECIDED when
//! too few responses were measured for the percentile to mean anything
//! (as the simulation's rule: a p99 needs 100), N/A when nothing was
//! measured (no response, no verification). Simulation objectives are N/A
//! here, saying that `run` judges them. `abort_on_fail` objectives are
//! judged the same way on the live histograms during the replay, once
//! [`MIN_RESPONSES_TO_ABORT`] responses are in.

use super::record::Recorder;
use crate::metrics::SloOutcome;
use crate::report::ObjectiveVerdict;
use crate::scenario::{LiveFigure, LiveSlo, Quantile, RequestLatency, Slo};
use hdrhistogram::Histogram;

/// Responses measured before an `abort_on_fail` objective may stop a run.
pub const MIN_RESPONSES_TO_ABORT: u64 = 100;

/// What the verdicts read beyond the recorder: the figures known only at
/// the end of a run, or why they are not known.
pub struct EndFigures {
    pub achieved_rate_ratio: Result<f64, String>,
    /// Unbound members still active or present on the service.
    pub still_active: Result<u64, String>,
}

/// The verdicts on every objective of `[slo]`: the live ones judged on
/// what was measured, the simulation's N/A.
pub fn judge(live: &[LiveSlo], sim: &[Slo], recorder: &Recorder, end: &EndFigures) -> Vec<ObjectiveVerdict> {
    let live = live.iter().map(|slo| {
        let measured = match slo.figure {
            LiveFigure::AchievedRateRatio => end.achieved_rate_ratio.clone(),
            LiveFigure::StillActive => end.still_active.clone().map(|count| count as f64),
            figure => during_replay(figure, recorder),
        };
        verdict(slo, measured, responses(recorder))
    });
    live.chain(sim.iter().map(simulation_only)).collect()
}

/// The first `abort_on_fail` objective the recorder fails, judged as at the
/// end, once enough responses are in.
pub fn abort_check(live: &[LiveSlo], recorder: &Recorder) -> Option<ObjectiveVerdict> {
    let responses = responses(recorder);
    if responses < MIN_RESPONSES_TO_ABORT {
        return None;
    }
    live.iter()
        .filter(|slo| slo.abort_on_fail)
        .map(|slo| verdict(slo, during_replay(slo.figure, recorder), responses))
        .find(|verdict| verdict.verdict == SloOutcome::Fail)
}

/// Requests answered or failed (not abandoned).
fn responses(recorder: &Recorder) -> u64 {
    recorder.counters.sent - recorder.counters.abandoned
}

/// A figure known while the replay runs, from the recorder.
fn during_replay(figure: LiveFigure, recorder: &Recorder) -> Result<f64, String> {
    let counters = &recorder.counters;
    match figure {
        LiveFigure::Latency(latency, quantile) => {
            let histogram = match latency {
                RequestLatency::Response => &recorder.totals.response_us,
                RequestLatency::Service => &recorder.totals.service_us,
                RequestLatency::Dispatch => &recorder.totals.dispatch_us,
                RequestLatency::Client => &recorder.client_delay_us,
            };
            quantile_ms(histogram, quantile)
        }
        LiveFigure::ErrorRate => {
            let answered = responses(recorder);
            let errors = counters.http_error + counters.timeout + counters.connection_error;
            (answered > 0).then(|| errors as f64 / answered as f64).ok_or_else(|| "no request was answered".into())
        }
        LiveFigure::LateStarts if counters.sent == 0 => Err("nothing was sent".into()),
        LiveFigure::LateStarts => Ok(counters.late_starts as f64),
        LiveFigure::AchievedRateRatio | LiveFigure::StillActive => {
            Err(format!("`{}` is known only at the end of the run", figure.name()))
        }
    }
}

fn quantile_ms(histogram: &Histogram<u64>, quantile: Quantile) -> Result<f64, String> {
    if histogram.is_empty() {
        return Err("no response was measured".into());
    }
    let us = match quantile {
        Quantile::Max => histogram.max(),
        Quantile::P50 => histogram.value_at_quantile(0.5),
        Quantile::P90 => histogram.value_at_quantile(0.9),
        Quantile::P99 => histogram.value_at_quantile(0.99),
        Quantile::P999 => histogram.value_at_quantile(0.999),
    };
    Ok(us as f64 / 1e3)
}

/// The verdict on `slo` given its measured value (or why there is none)
/// after `responses` responses.
fn verdict(slo: &LiveSlo, measured: Result<f64, String>, responses: u64) -> ObjectiveVerdict {
    let value = match measured {
        Ok(value) => value,
        Err(reason) => return entry(slo, None, SloOutcome::NotApplicable, format!("no verdict: {reason}")),
    };
    let shown = shown(slo, value);
    if let LiveFigure::Latency(_, quantile) = slo.figure
        && responses < quantile.minimum_samples()
    {
        let needed = quantile.minimum_samples();
        let words = format!(
            "too few samples to decide: {} needs at least {needed} responses (measured {shown} over {responses})",
            quantile.label()
        );
        return entry(slo, Some(value), SloOutcome::Undecided, words);
    }
    let threshold = &slo.threshold_text;
    let single = "the measured value of one live run: no replications, so no interval";
    let (outcome, words) = if slo.comparison.holds(value, slo.threshold) {
        (SloOutcome::Pass, format!("measured {shown} {} {threshold} ({single})", slo.comparison.symbol()))
    } else {
        let symbol = slo.comparison.negated().symbol();
        (SloOutcome::Fail, format!("measured {shown} {symbol} {threshold} ({single})"))
    };
    entry(slo, Some(value), outcome, words)
}

/// A measured value as the reason prints it.
fn shown(slo: &LiveSlo, value: f64) -> String {
    match slo.figure.unit() {
        crate::scenario::LiveUnit::Milliseconds => format!("{} = {value:.2}ms", slo.key),
        crate::scenario::LiveUnit::Share | crate::scenario::LiveUnit::Ratio => format!("{} = {value:.4}", slo.key),
        crate::scenario::LiveUnit::Count => format!("{} = {value}", slo.key),
    }
}

fn entry(slo: &LiveSlo, estimate: Option<f64>, verdict: SloOutcome, reason: String) -> ObjectiveVerdict {
    ObjectiveVerdict {
        objective: slo.to_string(),
        figure: slo.key.clone(),
        comparison: slo.comparison.symbol(),
        threshold: slo.threshold,
        estimate,
        interval: None,
        verdict,
        reason,
    }
}

/// A simulation objective in a live run: N/A, `run` judges it.
fn simulation_only(slo: &Slo) -> ObjectiveVerdict {
    ObjectiveVerdict {
        objective: slo.to_string(),
        figure: slo.key.clone(),
        comparison: slo.comparison.symbol(),
        threshold: slo.threshold,
        estimate: None,
        interval: None,
        verdict: SloOutcome::NotApplicable,
        reason: format!(
            "no verdict: `{}` is a simulation figure, judged by `unbindsim run`, not measured live",
            slo.key
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::record::Completion;
    use crate::live::scim::Outcome;
    use std::time::{Duration, Instant};

    fn objective(key: &str, text: &str) -> LiveSlo {
        let scenario = format!("base = \"admin-batch\"\nname = \"t\"\n[slo]\n{key} = \"{text}\"\n");
        crate::scenario::parse_scenario("t.toml", &scenario).unwrap().live_slo.remove(0)
    }

    /// `n` responses of `ms` each, the first `errors` answered 500.
    fn recorder(n: usize, ms: u64, errors: usize) -> Recorder {
        let base = Instant::now();
        let mut recorder = Recorder::new(n, base);
        for request in 0..n {
            recorder.sent(base, base, false);
            let status = if request < errors { 500 } else { 204 };
            let done = base + Duration::from_millis(ms);
            let outcome = Outcome::Status(status);
            recorder.record(&Completion {
                request,
                intended: base,
                sent: base,
                done,
                outcome,
                retries: 0,
                bulk_failed: 0,
            });
        }
        recorder
    }

    fn end() -> EndFigures {
        EndFigures { achieved_rate_ratio: Ok(0.5), still_active: Err("not verified".into()) }
    }

    #[test]
    fn live_objectives_are_judged_on_the_measured_value() {
        let slos = [objective("response_time_p99", "<= 20ms"), objective("error_rate", "< 0.05")];
        let verdicts = judge(&slos, &[], &recorder(200, 30, 2), &end());
        assert_eq!(verdicts[0].verdict, SloOutcome::Fail, "{}", verdicts[0].reason);
        assert!(verdicts[0].reason.contains("no replications"), "{}", verdicts[0].reason);
        assert_eq!((verdicts[1].verdict, verdicts[1].estimate), (SloOutcome::Pass, Some(0.01)));
    }

    #[test]
    fn end_figures_and_small_samples_give_na_or_undecided() {
        let slos = [objective("still_active", "0"), objective("achieved_rate_ratio", ">= 0.9")];
        let verdicts = judge(&slos, &[], &recorder(5, 1, 0), &end());
        assert_eq!(verdicts[0].verdict, SloOutcome::NotApplicable);
        assert_eq!(verdicts[1].verdict, SloOutcome::Fail);
        let nothing_sent = judge(&[objective("late_starts", "0")], &[], &recorder(0, 1, 0), &end());
        assert_eq!(nothing_sent[0].verdict, SloOutcome::NotApplicable, "{}", nothing_sent[0].reason);
        let p99 = judge(&[objective("service_time_p99", "1s")], &[], &recorder(50, 1, 0), &end());
        assert_eq!(p99[0].verdict, SloOutcome::Undecided, "{}", p99[0].reason);
    }

    #[test]
    fn abort_waits_for_enough_responses_then_names_the_failing_objective() {
        let slos = [objective("response_time_p50", "<= 10ms, abort_on_fail")];
        assert!(abort_check(&slos, &recorder(99, 30, 0)).is_none());
        let aborted = abort_check(&slos, &recorder(100, 30, 0)).expect("fails after 100 responses");
        assert_eq!(aborted.figure, "response_time_p50");
        assert!(abort_check(&[objective("response_time_p50", "<= 10ms")], &recorder(200, 30, 0)).is_none());
    }
}
