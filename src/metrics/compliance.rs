//! What compliance asks of an offboarding: the audit log (records written
//! by admin actions, how many the retention `policy.audit_retention` still
//! keeps at the horizon, records per offboarded member) and the imports
//! the mass-deletion guard aborted.

use super::proportion::round9;
use super::record::ReplicationCounts;
use crate::scenario::units::parse_duration;
use serde::{Deserialize, Serialize};

/// Audit records over every replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    /// Records written (one per admin action).
    pub records: u64,
    /// Records still inside the retention at the horizon.
    pub kept: u64,
    /// `kept / records`; null when it is 1 by construction (the retention
    /// reaches back past the start of the run) or no record was written.
    pub kept_share: Option<f64>,
    /// Members whose account was cut, by any path.
    pub offboarded_members: u64,
    /// `records / offboarded_members`; null when nobody was offboarded.
    /// A member's own exit writes no record, so under a self-exit workload
    /// it is 0 unless an admin unbinds lost devices
    /// (`policy.lost_device_unbind`); an app admin's archive writes one
    /// without offboarding anyone, so it may exceed 1.
    pub records_per_offboarded_member: Option<f64>,
    /// Why `kept_share` is null; absent when it is not.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
}

/// Full-overwrite imports of deletions, and those the mass-deletion guard
/// aborted (each then went the other way after `policy.guard_bypass_delay`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GuardReport {
    pub imports: u64,
    pub aborted: u64,
}

impl Default for AuditReport {
    /// The report of a summary written before audit records were counted.
    fn default() -> Self {
        AuditReport {
            records: 0,
            kept: 0,
            kept_share: None,
            offboarded_members: 0,
            records_per_offboarded_member: None,
            null_reason: Some("not in this summary (written before audit records were counted)".to_owned()),
        }
    }
}

/// The report of `totals`, for a run read at `horizon` under `retention`
/// (both as summaries write them: `"30d"`, `"2555d"`).
pub fn audit_report(totals: &ReplicationCounts, horizon: &str, retention: &str) -> AuditReport {
    let covers = match (parse_duration(horizon), parse_duration(retention)) {
        (Ok(horizon), Ok(retention)) => retention >= horizon,
        (Err(_), _) | (_, Err(_)) => false,
    };
    let (records, kept) = (totals.audit_records, totals.audit_kept);
    let null_reason = if records == 0 {
        Some("no admin action wrote an audit record".to_owned())
    } else if covers {
        Some(format!(
            "policy.audit_retention = {retention} is at least the horizon ({horizon}): every record is kept by \
             construction"
        ))
    } else {
        None
    };
    AuditReport {
        records,
        kept,
        kept_share: null_reason.is_none().then(|| round9(kept as f64 / records as f64)),
        offboarded_members: totals.offboarded,
        records_per_offboarded_member: (totals.offboarded > 0)
            .then(|| round9(records as f64 / totals.offboarded as f64)),
        null_reason,
    }
}
