//! The table a run prints per scenario: headline figures with their 95 %
//! intervals (and, for rates, the method and the replications behind
//! them), durations in the largest sensible unit, nulls with reasons.
//! Headline rates and percentiles are read through `metrics::read`.

use super::residue_lines;
use crate::metrics::{
    ApiReport, AuditReport, BacklogEstimate, ConsoleBacklogReport, CustomerReport, KeptModuleReport, LatencyReport,
    ProportionReport, QueueReport, Reading, Summary, TokenWindowReport, format_duration_ms, read,
};
use crate::model::{ExposurePath, Unfinished};
use crate::scenario::{Figure, Quantile};
use std::fmt::Write;

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{:.2}%", r * 100.0))
}

/// `7.00% [6.77%, 7.24%] (3203/45763; ratio-t over 10 replications, design effect 2.3)`;
/// a rate whose interval is null says why in place of the interval.
fn proportion(view: &ProportionReport) -> String {
    let counts = format!("{}/{}", view.hits, view.trials);
    let reason = view.null_reason.as_deref().unwrap_or("no data");
    let Some(rate) = view.rate else {
        return match view.fixed_share() {
            Some(share) => format!("fixed at {} ({counts}): {reason}", percent(Some(share))),
            None => format!("n/a: {reason}"),
        };
    };
    match (view.ci95, view.method) {
        (Some([low, high]), Some(method)) => {
            let design_effect = view.design_effect.map_or_else(String::new, |d| format!(", design effect {d:.1}"));
            format!(
                "{} [{}, {}] ({counts}; {} over {} replications{design_effect})",
                percent(Some(rate)),
                percent(Some(low)),
                percent(Some(high)),
                method.name(),
                view.replications_used
            )
        }
        _ => format!(
            "{} ({counts}; no interval: {})",
            percent(Some(rate)),
            view.null_reason.as_deref().unwrap_or("no interval")
        ),
    }
}

/// A headline rate of `summary`, printed.
fn headline(summary: &Summary, figure: Figure) -> String {
    match read(figure, summary) {
        Ok(Reading::Rate(view)) => proportion(&view),
        Ok(Reading::Percentile { .. } | Reading::Mean(_) | Reading::Count(_)) => "n/a: not a rate".to_owned(),
        Err(reason) => format!("n/a: {reason}"),
    }
}

/// A percentile or interval bound: a duration, or `> horizon`.
fn latency_bound(bound: Option<u64>, horizon: &str) -> String {
    bound.map_or_else(|| format!("> {horizon}"), |ms| format_duration_ms(ms as f64))
}

/// `p50 2.1h [1.9h, 2.3h]  p90 …  p99 > 120d [3.0d, > 120d]  …`.
fn percentiles(report: &LatencyReport, horizon: &str) -> String {
    let quantiles: Vec<String> = Quantile::ALL
        .iter()
        .filter_map(|&quantile| {
            let percentile = report.percentile(quantile)?;
            let interval = percentile.ci95.map_or_else(String::new, |[low, high]| {
                format!(" [{}, {}]", latency_bound(low, horizon), latency_bound(high, horizon))
            });
            Some(format!("{} {}{interval}", quantile.label(), latency_bound(percentile.value, horizon)))
        })
        .collect();
    quantiles.join("  ")
}

/// `no interval for p99: …` after `indent`, once per reason, for the tail percentiles
/// (p90 to p99.9) that have no interval while the median has one; the
/// largest latency never has one and goes unsaid.
fn tail_interval_notes(out: &mut String, report: &LatencyReport, indent: &str) {
    if report.percentile(Quantile::P50).is_none_or(|p50| p50.ci95.is_none()) {
        return;
    }
    let mut notes: Vec<(Vec<&str>, &str)> = Vec::new();
    for quantile in [Quantile::P90, Quantile::P99, Quantile::P999] {
        let Some(reason) = report.percentile(quantile).and_then(|p| p.ci95_null_reason.as_deref()) else { continue };
        match notes.iter_mut().find(|(_, said)| *said == reason) {
            Some((labels, _)) => labels.push(quantile.label()),
            None => notes.push((vec![quantile.label()], reason)),
        }
    }
    for (labels, reason) in notes {
        let _ = writeln!(out, "{indent}no interval for {}: {reason}", labels.join(", "));
    }
}

/// `482 of 498 batches finished`: the finished count out of every batch
/// measured (the unfinished are censored at the horizon).
fn finished_of(report: &LatencyReport) -> String {
    format!("{} of {} batches finished", report.batches - report.incomplete, report.batches)
}

/// The latency line, then (indented) why batches are unfinished and the
/// latency of each tier.
fn latency(out: &mut String, title: &str, report: &LatencyReport, horizon: &str) {
    if report.percentiles.is_empty() {
        let reason = report.null_reason.as_deref().unwrap_or("no data");
        let _ = writeln!(out, "  {title}: n/a: {reason}");
        return;
    }
    let _ = writeln!(out, "  {title}: {}  ({})", percentiles(report, horizon), finished_of(report));
    if let Some(reason) = report.percentile(Quantile::P50).and_then(|p| p.ci95_null_reason.as_deref()) {
        let _ = writeln!(out, "    no 95 % intervals: {reason}");
    }
    tail_interval_notes(out, report, "    ");
    if report.incomplete > 0 {
        let share = |count: u64| format!("{:.1} %", 100.0 * count as f64 / report.batches as f64);
        let reasons: Vec<String> = Unfinished::ALL
            .iter()
            .filter_map(|reason| report.unfinished_reasons.get(reason.name()).map(|&n| (reason, n)))
            .map(|(reason, count)| format!("{} {}", share(count), reason.words()))
            .collect();
        let _ = writeln!(
            out,
            "    {} unfinished at the horizon: {} (censored there)",
            share(report.incomplete),
            reasons.join(", ")
        );
    }
    for (tier, tier_report) in &report.by_tier {
        let _ =
            writeln!(out, "    tier {tier:<10} {}  ({})", percentiles(tier_report, horizon), finished_of(tier_report));
    }
}

/// How long lockouts lasted, and how many were not recovered.
fn lockout_duration(out: &mut String, report: &LatencyReport, horizon: &str) {
    if report.percentiles.is_empty() {
        let reason = report.null_reason.as_deref().unwrap_or("no data");
        let _ = writeln!(out, "    lockout duration: n/a: {reason}");
        return;
    }
    let _ = writeln!(
        out,
        "    lockout duration: {}  ({} lockouts, {} not recovered at the horizon: censored there)",
        percentiles(report, horizon),
        report.batches,
        report.incomplete
    );
    tail_interval_notes(out, report, "      ");
}

/// `exposure (…): p50 3.0d [2.9d, 3.1d]  …  (… of … members ended, … still exposed at the horizon)`, the
/// member-hours per 1 000 offboarded members by path, and the leak-risk curve in time order.
fn exposure_lines(out: &mut String, summary: &Summary) {
    let (exposure, horizon) = (&summary.metrics.exposure, &summary.horizon);
    let window = &exposure.window_ms;
    if window.percentiles.is_empty() {
        let reason = window.null_reason.as_deref().unwrap_or("no data");
        let _ = writeln!(out, "  exposure (decision → end of the last live access path): n/a: {reason}");
        return;
    }
    let _ = writeln!(
        out,
        "  exposure (decision → end of the last live access path): {}  ({} of {} members ended, {} still exposed \
         at the horizon: censored there)",
        percentiles(window, horizon),
        window.batches - window.incomplete,
        window.batches,
        window.incomplete
    );
    tail_interval_notes(out, window, "    ");
    let hours = |key: &str| {
        let estimate = exposure.member_hours_per_1000.get(key);
        let interval = estimate.and_then(|e| e.ci95).map_or_else(String::new, |[l, h]| format!(" [{l:.0}, {h:.0}]"));
        estimate.and_then(|e| e.value).map_or_else(|| "—".to_owned(), |v| format!("{v:.0}{interval}"))
    };
    let paths: Vec<String> = ExposurePath::ALL
        .iter()
        .map(|p| {
            format!(
                "{} {} ({} live at the horizon)",
                p.name(),
                hours(p.name()),
                exposure.live_at_horizon.get(p.name()).copied().unwrap_or(0)
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "    member-hours per 1000 offboarded members: {}; by path (overlapping): {}",
        hours("total"),
        paths.join(", ")
    );
    token_window_line(out, &exposure.tokens, horizon);
    let mut points: Vec<_> = summary.metrics.leak_risk.points.iter().collect();
    points.sort_by_key(|(_, point)| point.after_ms);
    for (key, point) in points {
        let past = format!("; {} past the horizon, not at risk", point.past_horizon);
        let _ = writeln!(out, "    leak risk {key:>4} after the decision: {}{past}", proportion(&point.live));
    }
}

/// `tokens after revocation: p50 … (… grants revoked, … still accepted at the horizon); mean 3.5d; by end …`.
fn token_window_line(out: &mut String, tokens: &TokenWindowReport, horizon: &str) {
    if tokens.window_ms.percentiles.is_empty() {
        return;
    }
    let mean = tokens.mean_to_horizon_ms.value.map_or_else(|| "—".to_owned(), format_duration_ms);
    let by_end: Vec<String> = tokens.by_end.iter().map(|(end, e)| format!("{end} {}", e.grants)).collect();
    let _ = writeln!(
        out,
        "    tokens accepted after revocation: {}  ({} grants revoked, {} still accepted at the horizon); mean {mean} \
         to the horizon, {:.0} grant-hours, {} uses accepted; grants by how the window ends: {}",
        percentiles(&tokens.window_ms, horizon),
        tokens.grants_revoked,
        tokens.still_accepted_at_horizon,
        tokens.grant_hours_accepted,
        tokens.accepted_uses,
        by_end.join(", ")
    );
}

/// The race, lockout and residue lines. Races and residue lead with their
/// kinds (each over its own exposed units: these tell policies apart); the
/// union over members comes last, with a note, because one common kind
/// (token races, app data) saturates it.
fn rate_lines(out: &mut String, summary: &Summary) {
    let m = &summary.metrics;
    let races = &m.grace_races;
    let _ = writeln!(out, "  grace-period races by kind: {} events", races.total);
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
    let uses = &m.token_uses;
    if let (Some(per_grant), Some(last_ms)) = (uses.uses_per_revoked_grant, uses.mean_last_use_ms) {
        let _ = writeln!(
            out,
            "      tokens accepted {} times after revocation: {per_grant:.2} per revoked grant, the last {} after on average",
            uses.uses,
            format_duration_ms(last_ms)
        );
    }
    let _ = writeln!(out, "    {:<22} {}", "any kind (members)", headline(summary, Figure::RaceRate));
    let _ =
        writeln!(out, "      (the union over targeted members: one common kind, such as the token race, saturates it)");
    let _ = writeln!(out, "  lockout rate: {}", headline(summary, Figure::LockoutRate));
    if m.lockout.overall.trials > 0 {
        for (platform, report) in &m.lockout.by_platform {
            let _ = writeln!(out, "    {platform:<22} {}", proportion(report));
        }
        let _ = writeln!(out, "    given uninstall first  {}", headline(summary, Figure::LockoutGivenUninstallRate));
        lockout_duration(out, &m.lockout.duration_ms, &summary.horizon);
    }
    let residue = &m.residue;
    let _ = writeln!(out, "  residue at horizon by kind (members):");
    for (kind, report) in residue.by_kind.iter().filter(|(_, r)| r.hits > 0) {
        let _ = writeln!(out, "    {kind:<22} {}", proportion(report));
    }
    for (platform, report) in residue.by_platform.iter().filter(|(_, r)| r.trials > 0) {
        let _ = writeln!(out, "    device {platform:<15} {}", proportion(report));
    }
    let _ = writeln!(out, "    {:<22} {}", "any kind (members)", headline(summary, Figure::ResidueProbability));
    let _ = writeln!(
        out,
        "      (the union over members: one common kind, such as app data or chat history, saturates it)"
    );
}

/// `2.1h [1.6h, 2.6h]`, or the mean with the reason it has no interval.
/// `audit: 1200 records, 1.00 per offboarded member; 1200 kept at the
/// horizon (every one by construction: …)`.
fn audit_line(out: &mut String, audit: &AuditReport) {
    let per_member = audit.records_per_offboarded_member.map_or_else(|| "—".to_owned(), |per| format!("{per:.2}"));
    let kept = match (audit.kept_share, &audit.null_reason) {
        (Some(share), _) => percent(Some(share)),
        (None, reason) => reason.as_deref().unwrap_or("no data").to_owned(),
    };
    let _ = writeln!(
        out,
        "  audit: {} records, {per_member} per offboarded member; {} kept at the horizon ({kept})",
        audit.records, audit.kept
    );
}

/// `kept modules: mail (mailbox) by 1200 members; used after the cut …`,
/// only where a module was kept.
fn kept_modules_line(out: &mut String, report: &KeptModuleReport) {
    if report.by_module.is_empty() {
        return;
    }
    let kept: Vec<String> =
        report.by_module.iter().map(|(name, m)| format!("{name} ({}) by {}", m.residue, m.members)).collect();
    let _ = writeln!(
        out,
        "  kept modules: {} of {} offboarded members; {}; used after the cut {}",
        report.access.hits,
        report.access.trials,
        kept.join(", "),
        proportion(&report.used)
    );
}

/// `customers: 400 handovers, 620 calls, lost 6.93% […] (…); 700 waiting; …`,
/// only where a handover started (`policy.customer_handover` is set).
fn customers_line(out: &mut String, report: &CustomerReport) {
    if report.handovers == 0 {
        return;
    }
    let time = report.mean_time_ms.map_or_else(|| "—".to_owned(), format_duration_ms);
    let _ = writeln!(
        out,
        "  customers: {} handovers, {} calls, lost {}; {} waiting at the horizon; last takeover {time} after the \
         leave on average; {} owners needed more than a day for their group chats (at most {} days)",
        report.handovers,
        report.calls,
        proportion(&report.lost),
        report.waiting,
        report.multi_day_owners,
        report.group_chat_days_max
    );
}

/// `    wait: p50 0ms  p90 1.2h [1.0h, 1.5h]  …  (480 taken, 3 still waiting at the horizon: censored there)`.
fn queue_wait_line(out: &mut String, wait: &LatencyReport, horizon: &str) {
    if wait.percentiles.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "    wait: {}  ({} taken, {} still waiting at the horizon: censored there)",
        percentiles(wait, horizon),
        wait.batches - wait.incomplete,
        wait.incomplete
    );
    tail_interval_notes(out, wait, "      ");
}

/// `  console backlog (members queued, mean [95 %] and max over replications): 1h 12.0 [9.8, 14.2] max 20  …
/// peak …`; nothing where no request reached the console.
fn console_backlog_line(out: &mut String, backlog: &ConsoleBacklogReport) {
    if backlog.null_reason.is_some() {
        return;
    }
    let shown = |estimate: &BacklogEstimate| match (estimate.mean, estimate.max) {
        (Some(mean), Some(max)) => {
            let interval = estimate.ci95.map_or_else(String::new, |[low, high]| format!(" [{low:.1}, {high:.1}]"));
            format!("{mean:.1}{interval} max {max}")
        }
        _ => "past the horizon".to_owned(),
    };
    let mut points: Vec<_> = backlog.at.iter().collect();
    points.sort_by_key(|(_, point)| point.at_ms);
    let points: Vec<String> = points.iter().map(|(key, point)| format!("{key} {}", shown(&point.members))).collect();
    let _ = writeln!(
        out,
        "  console backlog (members queued, mean [95 %] and max over replications): {}  peak {}",
        points.join("  "),
        shown(&backlog.peak)
    );
}

fn mean_wait(queue: &QueueReport) -> String {
    let Some(mean) = queue.mean_wait_ms else { return "—".to_owned() };
    match queue.mean_wait_ms_ci95 {
        Some([low, high]) => {
            let (mean, low, high) = (format_duration_ms(mean), format_duration_ms(low), format_duration_ms(high));
            format!("{mean} [{low}, {high}] over {} replications", queue.replications_used)
        }
        None => format!(
            "{} (no interval: {})",
            format_duration_ms(mean),
            queue.null_reason.as_deref().unwrap_or("no interval")
        ),
    }
}

/// `api: 500 calls (0.0050 per member), peak 10/min, 0 errors 45009 (0.00 per replication), blocked 0ms
/// (0.00% of the horizon)`; a run whose requests never reached the console says why there is none.
fn api_line(out: &mut String, api: &ApiReport) {
    let Some(per_member) = api.calls_per_member.value else {
        let _ = writeln!(out, "  api: n/a: {}", api.calls_per_member.null_reason.as_deref().unwrap_or("no data"));
        return;
    };
    let stale = match api.stale_failures {
        0 => String::new(),
        n => format!(", {n} batch deletes failed on a stale id and retried"),
    };
    let _ = writeln!(
        out,
        "  api: {} calls ({per_member:.4} per member), peak {}/min, {} errors 45009 ({:.2} per replication), \
         blocked {} ({} of the horizon){stale}",
        api.calls,
        api.peak_per_minute,
        api.errors_45009,
        api.errors_45009_per_replication.value.unwrap_or(0.0),
        format_duration_ms(api.blocked_ms as f64),
        percent(api.blocked_share.value),
    );
}

/// The readable table of one summary.
pub fn summary_table(summary: &Summary) -> String {
    let m = &summary.metrics;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "== {} — seed {}, {} replication(s), {} members, horizon {}; {}",
        summary.scenario, summary.seed, summary.replications, summary.members, summary.horizon, summary.org
    );
    let horizon = &summary.horizon;
    exposure_lines(&mut out, summary);
    latency(&mut out, "batch latency (decision → last member fully unbound)", &m.batch_latency_ms, horizon);
    latency(&mut out, "revocation latency (decision → last account revoked)", &m.revocation_latency_ms, horizon);
    rate_lines(&mut out, summary);
    residue_lines::residue_over_time_lines(&mut out, &m.residue.over_time);
    let o = &m.outcomes;
    let _ = writeln!(
        out,
        "  outcomes: {} done, {} pending, {} locked out, {} rolled back, {} untouched",
        o.done, o.pending, o.locked_out, o.rolled_back, o.untouched
    );
    api_line(&mut out, &m.api);
    audit_line(&mut out, &m.audit);
    kept_modules_line(&mut out, &m.kept_modules);
    customers_line(&mut out, &m.customers);
    if m.guard.aborted > 0 {
        let _ = writeln!(
            out,
            "  mass-deletion guard: {} of {} imports aborted, each retried the other way after policy.guard_bypass_delay",
            m.guard.aborted, m.guard.imports
        );
    }
    for (name, queue) in &m.queues {
        if queue.served > 0 {
            let abandoned = match queue.abandoned {
                0 => String::new(),
                n => format!(", {n} abandoned after the deadline"),
            };
            let _ = writeln!(
                out,
                "  queue {name}: {} served by {}{abandoned}, mean wait {}",
                queue.served,
                queue.servers,
                mean_wait(queue)
            );
            if let Some(utilisation) = queue.utilisation {
                let interval = queue.utilisation_ci95.map_or_else(String::new, |[low, high]| {
                    format!(" [{}, {}]", percent(Some(low)), percent(Some(high)))
                });
                let _ = writeln!(
                    out,
                    "    utilisation {}{interval} (service taken by the horizon, counted whole)",
                    percent(Some(utilisation))
                );
            }
            queue_wait_line(&mut out, &queue.wait_ms, horizon);
        }
    }
    console_backlog_line(&mut out, &m.console_backlog);
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

    fn view(ci95: Option<[f64; 2]>, null_reason: Option<&str>) -> ProportionReport {
        ProportionReport {
            rate: Some(0.07),
            ci95,
            method: ci95.map(|_| crate::metrics::IntervalMethod::RatioT),
            replications_used: 10,
            design_effect: ci95.map(|_| 2.34),
            hits: 70,
            trials: 1000,
            null_reason: null_reason.map(str::to_owned),
        }
    }

    #[test]
    fn rates_print_their_interval_method_and_replications_or_why_there_is_none() {
        let with = proportion(&view(Some([0.05, 0.09]), None));
        assert_eq!(with, "7.00% [5.00%, 9.00%] (70/1000; ratio-t over 10 replications, design effect 2.3)");
        let reason = "needs at least 10 replications with trials; got 4";
        let without = proportion(&view(None, Some(reason)));
        assert_eq!(without, format!("7.00% (70/1000; no interval: {reason})"));
        let none = ProportionReport { rate: None, hits: 0, trials: 0, ..view(None, Some("no app grant was revoked")) };
        assert_eq!(proportion(&none), "n/a: no app grant was revoked");
        let rule = "every account is still live 1h after the decision (policy.buffer = 3d): 1 by construction";
        let fixed = ProportionReport { rate: None, hits: 1000, ..view(None, Some(rule)) };
        assert_eq!(proportion(&fixed), format!("fixed at 100.00% (1000/1000): {rule}"));
    }

    #[test]
    fn the_finished_count_is_printed_out_of_every_batch_measured() {
        // 498 batches measured, 16 unfinished at the horizon: 482 finished.
        let mut report = crate::metrics::latency_report(&crate::metrics::LatencyHistogram::new(), 498, 16);
        assert_eq!(finished_of(&report), "482 of 498 batches finished");
        report.incomplete = 0;
        assert_eq!(finished_of(&report), "498 of 498 batches finished");
    }

    #[test]
    fn tail_percentiles_without_an_interval_say_why_once_per_reason() {
        use crate::metrics::PercentileReport;
        let mut report = crate::metrics::latency_report(&crate::metrics::LatencyHistogram::new(), 100, 0);
        let percentile = |ci95: Option<[Option<u64>; 2]>, reason: Option<&str>| PercentileReport {
            value: Some(1),
            beyond_horizon: false,
            ci95,
            ci95_null_reason: reason.map(str::to_owned),
        };
        let thin = "an interval of p99 needs at least 1000 requests, this run has 100";
        for (key, entry) in [
            ("p50", percentile(Some([Some(1), Some(2)]), None)),
            ("p90", percentile(None, Some(thin))),
            ("p99", percentile(None, Some(thin))),
            ("p999", percentile(None, Some("no interval of p99.9 through the pool"))),
            ("max", percentile(None, Some("the largest latency has no interval"))),
        ] {
            report.percentiles.insert(key.to_owned(), entry);
        }
        let mut out = String::new();
        tail_interval_notes(&mut out, &report, "    ");
        assert_eq!(
            out,
            format!(
                "    no interval for p90, p99: {thin}\n    no interval for p99.9: no interval of p99.9 through the pool\n"
            )
        );
        // Without a median interval the line above says why for all.
        report.percentiles.insert("p50".to_owned(), percentile(None, Some("needs at least 10 replications")));
        let mut out = String::new();
        tail_interval_notes(&mut out, &report, "    ");
        assert_eq!(out, "");
    }

    #[test]
    fn durations_use_the_largest_sensible_unit() {
        assert_eq!(format_duration_ms(850.0), "850ms");
        assert_eq!(format_duration_ms(12_500.0), "12.5s");
        assert_eq!(format_duration_ms(90_000_000.0), "1.0d");
        assert_eq!(format_duration_ms(5_400_000.0), "1.5h");
    }
}
