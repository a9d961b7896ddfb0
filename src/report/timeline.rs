//! What `explain` prints: a subject's path through one replication, as
//! text (steps under the event that caused them, then what the member is
//! left with at the horizon) and as JSON (the same, with exact
//! microseconds); and the members `explain --find` lists.

use crate::engine::{SimDuration, SimTime};
use crate::metrics::format_duration_ms;
use crate::model::{AccessEnds, Drawn, Entity, Entry, Event, MemberEnd, Org, Residue, Step, Subject, TokenEnd, Trace};
use crate::runner::{Explained, ReplayedRun};
use serde_json::{Value, json};
use std::fmt::Write;

/// The layout version of `explain --json`'s documents.
const TIMELINE_SCHEMA: u32 = 1;

/// `explained` as text; `replay` is the command that gives it again.
pub fn timeline_text(explained: &Explained, org_facts: &str, scenario: &str, replay: &str) -> String {
    let Explained { run, trace, end, pools, .. } = explained;
    let mut out = String::new();
    let _ = writeln!(out, "{} — {scenario}, {}", subject_name(trace.subject), run_line(run));
    let _ = writeln!(out, "  replay: {replay}");
    let _ = writeln!(out, "  {org_facts}");
    let mut last: Option<(SimTime, Option<Event>)> = None;
    for entry in &trace.entries {
        if last != Some((entry.at, entry.cause)) {
            let _ = writeln!(out, "{:>16}  {}", clock(entry.at), cause_text(entry.cause, pools));
            last = Some((entry.at, entry.cause));
        }
        let _ = writeln!(out, "{:>16}    {}", "", step_text(&entry.step));
    }
    if trace.entries.is_empty() {
        let _ = writeln!(out, "  nothing touched it before the horizon");
    }
    let _ = writeln!(out, "at the horizon ({}):", clock(run.horizon));
    for line in end_lines(end, run.horizon) {
        let _ = writeln!(out, "  {line}");
    }
    out
}

/// `explained` as one JSON document (pretty, ending in a newline).
pub fn timeline_json(explained: &Explained, scenario: &str, replay: &str) -> String {
    let Explained { run, trace, end, pools, .. } = explained;
    pretty(&json!({
        "schema_version": TIMELINE_SCHEMA,
        "scenario": scenario,
        "subject": subject_name(trace.subject),
        "run": run_json(run),
        "replay": replay,
        "steps": trace.entries.iter().map(|entry| entry_json(entry, pools)).collect::<Vec<_>>(),
        "end": end_json(end),
    }))
}

fn pretty(document: &Value) -> String {
    serde_json::to_string_pretty(document).expect("JSON values serialise") + "\n"
}

/// The facts of the org a subject's member has: its department, roles,
/// devices and grants.
pub fn member_facts(org: &Org, trace: &Trace) -> String {
    let member = org.member(trace.member);
    let devices: Vec<String> = org
        .devices_of(trace.member)
        .map(|device| format!("{} ({})", device.0, org.devices[device.index()].platform.name()))
        .collect();
    let grants: Vec<String> = org
        .grants_of(trace.member)
        .map(|grant| {
            let app = org.grants[grant.index()].app;
            format!("{} (app {}, ends by {})", grant.0, app.0, TokenEnd::of(&org.apps[app.index()]).name())
        })
        .collect();
    let roles = match (member.roles.group_owner, member.roles.pending_approvals) {
        (true, true) => "group owner, pending approvals",
        (true, false) => "group owner",
        (false, true) => "pending approvals",
        (false, false) => "no handover",
    };
    format!(
        "member {}: department {}, {roles}; devices {}; grants {}",
        trace.member.0,
        member.department.0,
        list_or_none(&devices),
        list_or_none(&grants)
    )
}

/// The members `explain --find` lists, one line each with its replay.
pub fn found_text(
    run: &ReplayedRun,
    what: &str,
    scenario: &str,
    found: &[MemberEnd],
    total: usize,
    replay_of: &dyn Fn(&MemberEnd) -> String,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "members with {what} — {scenario}, {}: {total} of {}{}",
        run_line(run),
        run.members,
        if found.len() < total { format!("; the first {}", found.len()) } else { String::new() }
    );
    for end in found {
        let races: Vec<&str> = end.races.iter().map(|kind| kind.name()).collect();
        let _ = writeln!(
            out,
            "  member {:<7} {:<15} residue {:<28} races {}\n    {}",
            end.member.0,
            snake(end.state),
            residue_text(end.all_residue()),
            list_or_none(&races),
            replay_of(end)
        );
    }
    out
}

/// The members `explain --find` lists, as JSON.
pub fn found_json(run: &ReplayedRun, what: &str, scenario: &str, found: &[MemberEnd], total: usize) -> String {
    pretty(&json!({
        "schema_version": TIMELINE_SCHEMA,
        "scenario": scenario,
        "find": what,
        "run": run_json(run),
        "matching": total,
        "members": found.iter().map(end_json).collect::<Vec<_>>(),
    }))
}

fn run_line(run: &ReplayedRun) -> String {
    format!(
        "replication {} of seed {} (org seed {}, {} members; {} events, stopped at the {})",
        run.replication,
        run.seed,
        run.org_seed,
        run.members,
        run.events,
        stop_name(run)
    )
}

fn stop_name(run: &ReplayedRun) -> &'static str {
    match run.stop {
        crate::engine::Stop::Horizon => "horizon",
        crate::engine::Stop::Drained => "last event",
        crate::engine::Stop::EventLimit => "event limit",
    }
}

fn run_json(run: &ReplayedRun) -> Value {
    json!({
        "seed": run.seed,
        "replication": run.replication,
        "org_seed": run.org_seed,
        "members": run.members,
        "horizon_us": run.horizon.as_micros(),
        "events": run.events,
        "stop": stop_name(run),
    })
}

fn subject_name(subject: Subject) -> String {
    entity_name(subject.entity())
}

/// `member 5`, `device 14`, `grant 21`, `request 90`.
pub fn entity_name(entity: Entity) -> String {
    match entity {
        Entity::Member(member) => format!("member {}", member.0),
        Entity::Device(device) => format!("device {}", device.0),
        Entity::Grant(grant) => format!("grant {}", grant.0),
        Entity::Request(request) => format!("request {}", request.0),
    }
}

/// A simulated instant as days and a clock: `3d 04:12:07.250`.
fn clock(at: SimTime) -> String {
    let ms = at.as_micros() / 1_000;
    let (days, ms) = (ms / 86_400_000, ms % 86_400_000);
    let (hours, minutes, seconds, ms) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1_000 % 60, ms % 1_000);
    format!("{days}d {hours:02}:{minutes:02}:{seconds:02}.{ms:03}")
}

fn duration(d: SimDuration) -> String {
    format_duration_ms(d.as_micros() as f64 / 1_000.0)
}

fn cause_text(cause: Option<Event>, pools: &[&str]) -> String {
    let Some(event) = cause else { return "start of the run".to_owned() };
    match event {
        Event::Arrival { index } => format!("decision {index} (arrival or scripted step)"),
        Event::PoolDone { pool, request } => {
            let name = pools.get(usize::from(pool)).copied().unwrap_or("unknown");
            format!("the {name} pool is done with request {}", request.0)
        }
        Event::Effective { request } => format!("request {} takes effect", request.0),
        Event::ConsoleReady => "the admin console runs its next batch".to_owned(),
        Event::HandoverDone { member } => format!("member {}'s handover done", member.0),
        Event::Revoke { member } => format!("member {}'s buffer over: revoke", member.0),
        Event::MemberAct { member, index } => format!("member {} acts (action {index})", member.0),
        Event::DeviceChangeDone { member } => format!("member {}'s device change done", member.0),
        Event::ExportDone { member } => format!("member {}'s export done", member.0),
        Event::Dispute { member } => format!("member {} disputes", member.0),
        Event::Escalate { member } => format!("a super admin takes member {} over", member.0),
        Event::DeviceCheckIn { device } => format!("device {} checks in", device.0),
        Event::ChatRetentionEnd { device } => format!("device {}'s chat retention ends", device.0),
        Event::AutoLogout { device } => format!("device {}'s auto-logout", device.0),
        Event::LockoutRecovered { member } => format!("member {}'s lockout recovered", member.0),
        Event::LostDeviceUnbound { device } => format!("an admin unbinds lost device {}", device.0),
        Event::VendorUnbind { grant } => format!("the vendor unbinds grant {}", grant.0),
        Event::RollbackDeadline => "the re-bind window closes: roll back".to_owned(),
        Event::ArchivePurge => "the archive is purged".to_owned(),
    }
}

fn drawn_text(drawn: Drawn) -> String {
    match drawn {
        Drawn::Chance { drawn, p } if drawn < p => format!("drawn {drawn:.4} < {p}: yes"),
        Drawn::Chance { drawn, p } => format!("drawn {drawn:.4} ≥ {p}: no"),
        Drawn::Duration(d) => format!("drew {}", duration(d)),
        Drawn::Uniform(u) => format!("drew {u:.4}"),
    }
}

fn step_text(step: &Step) -> String {
    match *step {
        Step::Draw { entity, rule, drawn } => {
            format!("draw for {}: {} ({}): {}", entity_name(entity), rule.decides, rule.key, drawn_text(drawn))
        }
        Step::Member { from, to } => format!("member: {} → {}", snake(from), snake(to)),
        Step::Device { device, from, to } => format!("device {}: {} → {}", device.0, snake(from), snake(to)),
        Step::Grant { grant, from, to } => format!("grant {}: {} → {}", grant.0, snake(from), snake(to)),
        Step::Race { kind, events: 1 } => format!("race: {}", kind.name()),
        Step::Race { kind, events } => format!("race: {} ({events} times)", kind.name()),
        Step::Residue { entity, residue } => {
            format!("residue on {} now: {}", entity_name(entity), residue_text(residue))
        }
    }
}

fn entry_json(entry: &Entry, pools: &[&str]) -> Value {
    let mut step = match entry.step {
        Step::Draw { entity, rule, drawn } => {
            let mut draw = json!({
                "step": "draw", "for": entity_name(entity), "decides": rule.decides, "key": rule.key,
            });
            match drawn {
                Drawn::Chance { drawn, p } => {
                    draw["drawn"] = json!(drawn);
                    draw["probability"] = json!(p);
                    draw["yes"] = json!(drawn < p);
                }
                Drawn::Duration(d) => draw["duration_us"] = json!(d.as_micros()),
                Drawn::Uniform(u) => draw["drawn"] = json!(u),
            }
            draw
        }
        Step::Member { from, to } => json!({ "step": "state", "of": "member", "from": snake(from), "to": snake(to) }),
        Step::Device { device, from, to } => {
            json!({ "step": "state", "of": entity_name(Entity::Device(device)), "from": snake(from), "to": snake(to) })
        }
        Step::Grant { grant, from, to } => {
            json!({ "step": "state", "of": entity_name(Entity::Grant(grant)), "from": snake(from), "to": snake(to) })
        }
        Step::Race { kind, events } => json!({ "step": "race", "kind": kind.name(), "events": events }),
        Step::Residue { entity, residue } => {
            json!({ "step": "residue", "on": entity_name(entity), "kinds": residue_names(residue) })
        }
    };
    step["at_us"] = json!(entry.at.as_micros());
    step["event"] = json!(cause_text(entry.cause, pools));
    step
}

fn end_lines(end: &MemberEnd, horizon: SimTime) -> Vec<String> {
    let races: Vec<&str> = end.races.iter().map(|kind| kind.name()).collect();
    let mut lines = vec![format!(
        "member {}: {}; races {}; {}",
        end.member.0,
        snake(end.state),
        list_or_none(&races),
        if end.locked_out { "was locked out" } else { "never locked out" }
    )];
    lines.push(format!("own residue: {}", residue_text(end.residue)));
    for device in &end.devices {
        lines.push(format!(
            "device {} ({}): {}, residue {}",
            device.device.0,
            device.platform.name(),
            snake(device.state),
            residue_text(device.residue)
        ));
    }
    for grant in &end.grants {
        lines.push(match grant.revoked {
            None => format!("grant {} (app {}): {}", grant.grant.0, grant.app.0, snake(grant.state)),
            Some((revoked_at, accepted_until)) => format!(
                "grant {} (app {}): {} at {}, the app accepts its token {}",
                grant.grant.0,
                grant.app.0,
                snake(grant.state),
                clock(revoked_at),
                until(accepted_until, horizon)
            ),
        });
    }
    match &end.access {
        None => lines.push("access: never offboarded (no request cut its account)".to_owned()),
        Some(access) => lines.push(access_text(access, horizon)),
    }
    lines
}

fn access_text(access: &AccessEnds, horizon: SimTime) -> String {
    let paths: Vec<String> =
        access.ends.iter().map(|&(path, end)| format!("{} {}", path.name(), until(end, horizon))).collect();
    format!("access after the decision at {}: {}", clock(access.decided_at), paths.join("; "))
}

fn until(end: SimTime, horizon: SimTime) -> String {
    if end > horizon { "past the horizon".to_owned() } else { format!("until {}", clock(end)) }
}

fn end_json(end: &MemberEnd) -> Value {
    let at = |t: SimTime| if t == SimTime::NEVER { Value::Null } else { json!(t.as_micros()) };
    json!({
        "member": end.member.0,
        "state": snake(end.state),
        "races": end.races.iter().map(|kind| kind.name()).collect::<Vec<_>>(),
        "locked_out": end.locked_out,
        "residue": residue_names(end.residue),
        "devices": end.devices.iter().map(|device| json!({
            "device": device.device.0,
            "platform": device.platform.name(),
            "state": snake(device.state),
            "residue": residue_names(device.residue),
        })).collect::<Vec<_>>(),
        "grants": end.grants.iter().map(|grant| json!({
            "grant": grant.grant.0,
            "app": grant.app.0,
            "state": snake(grant.state),
            "revoked_at_us": grant.revoked.map(|(at, _)| at.as_micros()),
            "accepted_until_us": grant.revoked.map(|(_, until)| at(until)),
        })).collect::<Vec<_>>(),
        "access": end.access.map(|access| json!({
            "decided_at_us": access.decided_at.as_micros(),
            "ends_us": access.ends.iter().map(|&(path, end)| (path.name().to_owned(), at(end))).collect::<serde_json::Map<_, _>>(),
        })),
    })
}

fn residue_names(residue: Residue) -> Vec<&'static str> {
    residue.kinds().map(|kind| kind.name()).collect()
}

fn residue_text(residue: Residue) -> String {
    list_or_none(&residue_names(residue))
}

fn list_or_none<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() { "none".to_owned() } else { items.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", ") }
}

/// A state's name as a file would spell it: `LockedOut` → `locked_out`.
fn snake(state: impl std::fmt::Debug) -> String {
    let mut name = String::new();
    for (i, c) in format!("{state:?}").chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                name.push('_');
            }
            name.extend(c.to_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MemberState;

    #[test]
    fn instants_read_as_days_and_a_clock_and_states_as_file_names() {
        assert_eq!(clock(SimTime::ZERO), "0d 00:00:00.000");
        let at = SimTime::ZERO + SimDuration::from_micros(((3 * 24 + 4) * 3_600 + 12 * 60 + 7) * 1_000_000 + 250_000);
        assert_eq!(clock(at), "3d 04:12:07.250");
        assert_eq!(snake(MemberState::LockedOut), "locked_out");
        assert_eq!(snake(MemberState::Active), "active");
        assert_eq!(list_or_none::<&str>(&[]), "none");
    }
}
