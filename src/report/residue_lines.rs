//! The printed table's residue-over-time lines: per kind and per platform,
//! the share still holding residue at each point after the unbind (with
//! its interval), and each kind's residue-days per member, clipped at the
//! horizon.

use crate::metrics::{ApiEstimate, ProportionReport, ResidueOverTimeReport, ResidueSurvivalPoint};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The lines under the horizon snapshot; nothing where no unbind took
/// effect.
pub(super) fn residue_over_time_lines(out: &mut String, over_time: &ResidueOverTimeReport) {
    let mut points: Vec<(&String, &ResidueSurvivalPoint)> = over_time.points.iter().collect();
    points.sort_by_key(|(_, point)| point.after_ms);
    let observed = |pick: &dyn Fn(&ResidueSurvivalPoint) -> &BTreeMap<String, ProportionReport>, name: &str| {
        points.iter().any(|(_, point)| pick(point).get(name).is_some_and(|r| r.hits > 0))
    };
    let Some((_, first)) = points.first() else { return };
    if first.by_kind.values().all(|report| report.trials == 0) {
        return;
    }
    let keys: Vec<String> = points.iter().map(|(key, _)| format!("{key:>22}")).collect();
    let _ = writeln!(out, "  residue over time (share still holding it t after the unbind; 95 % interval):");
    let _ = writeln!(out, "    {:<22}{}", "t after the unbind", keys.join(""));
    for kind in first.by_kind.keys().filter(|kind| observed(&|p| &p.by_kind, kind)) {
        let cells: Vec<String> = points.iter().map(|(_, point)| cell(point.by_kind.get(kind))).collect();
        let _ = writeln!(out, "    {kind:<22}{}", cells.join(""));
    }
    for platform in first.by_platform.keys().filter(|platform| observed(&|p| &p.by_platform, platform)) {
        let cells: Vec<String> = points.iter().map(|(_, point)| cell(point.by_platform.get(platform))).collect();
        let _ = writeln!(out, "    device {platform:<15}{}", cells.join(""));
    }
    let past: Vec<String> = points.iter().map(|(key, point)| format!("{key} {}", point.members_past_horizon)).collect();
    let _ = writeln!(out, "    members past the horizon (not observed at t): {}", past.join(", "));
    let days: Vec<String> = over_time
        .days_per_member
        .iter()
        .filter(|(_, days)| days.value.is_some_and(|value| value > 0.0))
        .map(|(kind, days)| format!("{kind} {}", days_cell(days)))
        .collect();
    let _ = writeln!(
        out,
        "    residue-days per member (unbind to clearing, clipped at the horizon: a lower bound where some survives): {}",
        days.join(", ")
    );
}

/// `66.5% [65.1, 67.9]`, `100.0% (rule)` where the scenario's rules fix
/// it, or `—` where the point has no trials.
fn cell(report: Option<&ProportionReport>) -> String {
    let text = match report.and_then(|r| r.rate.map(|rate| (rate, r.ci95))) {
        Some((rate, Some([low, high]))) => format!("{:.1}% [{:.1}, {:.1}]", rate * 100.0, low * 100.0, high * 100.0),
        Some((rate, None)) => format!("{:.1}%", rate * 100.0),
        None => match report.and_then(ProportionReport::fixed_share) {
            Some(share) => format!("{:.1}% (rule)", share * 100.0),
            None => "—".to_owned(),
        },
    };
    format!(" {text:>21}")
}

/// `18.32 [17.90, 18.70]`.
fn days_cell(days: &ApiEstimate) -> String {
    let value = days.value.map_or_else(|| "—".to_owned(), |value| format!("{value:.2}"));
    match days.ci95 {
        Some([low, high]) => format!("{value} [{low:.2}, {high:.2}]"),
        None => value,
    }
}
