//! The table a run prints per scenario: headline figures with their 95 %
//! intervals, durations in the largest sensible unit, nulls with reasons.

use crate::metrics::{LatencyReport, ProportionReport, Summary, format_duration_ms};
use std::fmt::Write;

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{:.2}%", r * 100.0))
}

fn proportion(report: &ProportionReport) -> String {
    match (report.rate, report.ci95) {
        (Some(rate), Some([low, high])) => {
            format!(
                "{} [{}, {}] ({}/{})",
                percent(Some(rate)),
                percent(Some(low)),
                percent(Some(high)),
                report.hits,
                report.trials
            )
        }
        _ => format!("n/a: {}", report.null_reason.as_deref().unwrap_or("no data")),
    }
}

fn latency(report: &LatencyReport) -> String {
    let Some(p50) = report.p50 else {
        return format!("n/a: {}", report.null_reason.as_deref().unwrap_or("no data"));
    };
    let ms = |v: Option<u64>| format_duration_ms(v.unwrap_or(0) as f64);
    format!(
        "p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  ({} batches, {} unfinished)",
        format_duration_ms(p50 as f64),
        ms(report.p90),
        ms(report.p99),
        ms(report.p999),
        ms(report.max),
        report.count,
        report.incomplete
    )
}

/// The readable table of one summary.
pub fn summary_table(summary: &Summary) -> String {
    let m = &summary.metrics;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "== {} — seed {}, {} replication(s), {} members, horizon {}",
        summary.scenario, summary.seed, summary.replications, summary.members, summary.horizon
    );
    let _ = writeln!(out, "  batch latency (decision → last member fully unbound): {}", latency(&m.batch_latency_ms));
    let _ =
        writeln!(out, "  revocation latency (decision → last account revoked): {}", latency(&m.revocation_latency_ms));
    let races = &m.grace_races;
    let overall = match (races.rate, races.ci95) {
        (Some(rate), Some([low, high])) => {
            format!("{} of members [{}, {}]", percent(Some(rate)), percent(Some(low)), percent(Some(high)))
        }
        _ => format!("n/a: {}", races.null_reason.as_deref().unwrap_or("no data")),
    };
    let _ = writeln!(out, "  grace-period races: {} events; {}", races.total, overall);
    for (kind, report) in &races.by_kind {
        if report.rate.trials > 0 {
            let _ = writeln!(
                out,
                "    {kind:<22} {:>7} events  {} {}",
                report.count,
                proportion(&report.rate),
                report.unit
            );
        }
    }
    let _ = writeln!(out, "  lockout rate: {}", proportion(&m.lockout.overall));
    if m.lockout.overall.trials > 0 {
        for (platform, report) in &m.lockout.by_platform {
            let _ = writeln!(out, "    {platform:<22} {}", proportion(report));
        }
    }
    let residue = &m.residue;
    let residue_overall = ProportionReport {
        rate: residue.probability,
        ci95: residue.ci95,
        hits: residue.hits,
        trials: residue.trials,
        null_reason: residue.null_reason.clone(),
    };
    let _ = writeln!(out, "  residue at horizon (members): {}", proportion(&residue_overall));
    for (kind, report) in residue.by_kind.iter().filter(|(_, r)| r.hits > 0) {
        let _ = writeln!(out, "    {kind:<22} {}", proportion(report));
    }
    for (platform, report) in residue.by_platform.iter().filter(|(_, r)| r.trials > 0) {
        let _ = writeln!(out, "    device {platform:<15} {}", proportion(report));
    }
    let o = &m.outcomes;
    let _ = writeln!(
        out,
        "  outcomes: {} done, {} pending, {} locked out, {} rolled back, {} untouched",
        o.done, o.pending, o.locked_out, o.rolled_back, o.untouched
    );
    for (name, queue) in &m.queues {
        if queue.served > 0 {
            let wait = queue.mean_wait_ms.map_or_else(|| "—".to_owned(), format_duration_ms);
            let _ = writeln!(out, "  queue {name}: {} served by {}, mean wait {wait}", queue.served, queue.servers);
        }
    }
    if summary.engine.stopped.iter().any(|stop| stop == "event-limit") {
        let _ =
            writeln!(out, "  WARNING: a replication hit the event limit before the horizon: its figures are partial");
    }
    let _ = writeln!(
        out,
        "  engine: {} events in {:.0} ms of replication time ({:.2} M events/s per thread); done after {:.0} ms on {} thread(s)",
        summary.engine.events,
        summary.timing.replication_ms,
        summary.timing.events_per_sec / 1e6,
        summary.timing.wall_ms,
        summary.timing.threads
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_the_largest_sensible_unit() {
        assert_eq!(format_duration_ms(850.0), "850ms");
        assert_eq!(format_duration_ms(12_500.0), "12.5s");
        assert_eq!(format_duration_ms(90_000_000.0), "1.0d");
        assert_eq!(format_duration_ms(5_400_000.0), "1.5h");
    }
}
