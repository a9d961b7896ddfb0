//! Figures a scenario's own rules fix at 0 or 1, which say nothing about
//! the world it models: the rule that fixes each, read from the run's
//! parameters, and the report made null with that rule as its reason. The
//! counts stay, so a test can hold the rule against what the run saw.

use super::proportion::ProportionReport;
use crate::engine::SimDuration;
use crate::scenario::units::parse_duration;

/// `report` made null with `reason`, keeping its counts.
pub fn fixed(report: &mut ProportionReport, reason: String) {
    report.rate = None;
    report.ci95 = None;
    report.method = None;
    report.design_effect = None;
    report.null_reason = Some(reason);
}

fn text<'a>(parameters: &'a serde_json::Value, pointer: &str) -> Option<&'a str> {
    parameters.pointer(pointer).and_then(|value| value.as_str())
}

fn duration(parameters: &serde_json::Value, pointer: &str) -> Option<SimDuration> {
    parse_duration(text(parameters, pointer)?).ok()
}

/// Why the share of members whose encrypted archive is still held at the
/// horizon is 1 by construction, if it is: when even the earliest purge
/// (lead plus archive retention after a decision at time 0) falls after
/// the horizon. (Without a dissolution no member could leave an archive,
/// and the residue report already says so.)
pub fn archive_fixed(parameters: &serde_json::Value, horizon: &str) -> Option<String> {
    let lead = text(parameters, "/workload/dissolution/lead")?;
    let retention = text(parameters, "/workload/dissolution/archive_retention")?;
    let earliest = parse_duration(lead).ok()? + parse_duration(retention).ok()?;
    (earliest > parse_duration(horizon).ok()?).then(|| {
        format!(
            "the earliest purge (lead {lead} + archive_retention {retention}) comes after the horizon ({horizon}): \
             every archive is still held (1 by construction)"
        )
    })
}

/// How long every offboarded member's account stays live after its
/// decision whatever the draws, and the rules that say so: the buffer
/// every revocation waits out (`policy.buffer`), after a dissolution's
/// lead (`workload.dissolution.lead`) when that is the workload.
pub struct HeldLive {
    length: SimDuration,
    rules: String,
}

impl HeldLive {
    /// The run's rules, read once; `None` when nothing holds the account.
    pub fn of(parameters: &serde_json::Value) -> Option<HeldLive> {
        let buffer = duration(parameters, "/policy/buffer").unwrap_or(SimDuration::ZERO);
        let lead = duration(parameters, "/workload/dissolution/lead").unwrap_or(SimDuration::ZERO);
        let rules: Vec<String> = [("workload.dissolution.lead", lead), ("policy.buffer", buffer)]
            .iter()
            .filter(|(_, length)| !length.is_zero())
            .map(|(key, length)| format!("{key} = {length}"))
            .collect();
        (!rules.is_empty()).then(|| HeldLive { length: lead + buffer, rules: rules.join(" + ") })
    }

    /// Why the leak risk `after` the decision is 1 by construction, if it
    /// is: when every offboarded member's account is held live past it (a
    /// 72 h buffer makes the leak risk at 1 h and at 1 d say nothing).
    pub fn leak_risk_fixed(&self, after: SimDuration) -> Option<String> {
        (after < self.length).then(|| {
            format!(
                "every offboarded member's account is still live {after} after the decision ({}): 1 by construction",
                self.rules
            )
        })
    }
}

/// Why a Windows device's residue is 1 by construction, if it is: Windows
/// keeps its chat history files on every way out of an unbind but an MDM
/// wipe, which only a pro edition with `policy.mdm_wipe` does.
pub fn windows_residue_fixed(parameters: &serde_json::Value) -> Option<String> {
    let mdm_wipe = parameters.pointer("/policy/mdm_wipe").and_then(|value| value.as_bool()).unwrap_or(false);
    let edition = text(parameters, "/policy/edition").unwrap_or("?");
    (!(mdm_wipe && edition == "pro")).then(|| {
        format!(
            "a Windows device keeps its chat history files on every way out but an MDM wipe, which needs \
             policy.mdm_wipe on the pro edition (here mdm_wipe = {mdm_wipe}, edition = {edition}): 1 by construction"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parameters(buffer: &str, lead: Option<&str>) -> serde_json::Value {
        let mut parameters = json!({ "policy": { "buffer": buffer, "edition": "pro", "mdm_wipe": false } });
        if let Some(lead) = lead {
            parameters["workload"] = json!({ "dissolution": { "lead": lead, "archive_retention": "180d" } });
        }
        parameters
    }

    #[test]
    fn leak_risk_inside_the_buffer_is_fixed_and_from_its_end_on_it_is_not() {
        let buffered = HeldLive::of(&parameters("3d", None)).expect("a buffer");
        let reason = buffered.leak_risk_fixed(SimDuration::from_days(1)).expect("inside the buffer");
        assert_eq!(
            reason,
            "every offboarded member's account is still live 1d after the decision (policy.buffer = 3d): 1 by construction"
        );
        assert_eq!(buffered.leak_risk_fixed(SimDuration::from_days(3)), None);
        assert!(HeldLive::of(&parameters("0s", None)).is_none());
    }

    #[test]
    fn a_dissolution_holds_accounts_through_its_lead_and_the_buffer_after_it() {
        let dissolution = HeldLive::of(&parameters("3d", Some("30d"))).expect("a lead and a buffer");
        let reason = dissolution.leak_risk_fixed(SimDuration::from_days(32)).expect("inside lead and buffer");
        assert!(reason.contains("(workload.dissolution.lead = 30d + policy.buffer = 3d)"), "{reason}");
        assert_eq!(dissolution.leak_risk_fixed(SimDuration::from_days(33)), None);
    }

    #[test]
    fn windows_residue_is_fixed_unless_a_pro_edition_wipes_devices() {
        let mut policy = parameters("0s", None);
        assert!(windows_residue_fixed(&policy).is_some());
        policy["policy"]["mdm_wipe"] = json!(true);
        assert_eq!(windows_residue_fixed(&policy), None);
        policy["policy"]["edition"] = json!("basic");
        assert!(windows_residue_fixed(&policy).is_some());
    }

    #[test]
    fn the_archive_is_fixed_only_when_its_earliest_purge_is_past_the_horizon() {
        let dissolution = parameters("0s", Some("30d"));
        assert!(archive_fixed(&dissolution, "200d").is_some());
        assert_eq!(archive_fixed(&dissolution, "240d"), None);
        assert_eq!(archive_fixed(&parameters("0s", None), "200d"), None);
    }
}
