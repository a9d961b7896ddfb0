//! `[workload.script]`: the steps as written, checked against the org and
//! the horizon (errors located at the step's key), and the steps written
//! back as TOML, exactly, so a generated script is a file a user can run.

use super::spec::{OpSpec, StepSpec, UnbinderSpec};
use crate::engine::SimDuration;
use crate::model::{AdminTier, FieldError, MAX_SCRIPT_STEPS, MemberId, ScriptOp, ScriptStep, Unbinder};

/// The steps of a script for an org of `members` members run to `horizon`,
/// in time order (ties in the order written).
pub(super) fn steps(specs: &[StepSpec], members: u32, horizon: SimDuration) -> Result<Vec<ScriptStep>, FieldError> {
    if specs.is_empty() || specs.len() > MAX_SCRIPT_STEPS {
        return Err(FieldError::new(
            "workload.script.steps",
            format!("give between 1 and {MAX_SCRIPT_STEPS} steps, got {}", specs.len()),
        ));
    }
    let mut steps =
        specs.iter().enumerate().map(|(i, spec)| step(i, spec, members, horizon)).collect::<Result<Vec<_>, _>>()?;
    steps.sort_by_key(|step| step.at);
    Ok(steps)
}

fn step(index: usize, spec: &StepSpec, members: u32, horizon: SimDuration) -> Result<ScriptStep, FieldError> {
    let key = |field: &str| format!("workload.script.steps[{index}].{field}");
    if spec.member >= members {
        return Err(FieldError::new(
            key("member"),
            format!("no member {}: the org has {members} (ids from 0)", spec.member),
        ));
    }
    if spec.at.0 > horizon {
        return Err(FieldError::new(key("at"), format!("{} is after the horizon ({horizon})", spec.at.0)));
    }
    if spec.by.is_some() && !matches!(spec.op, OpSpec::Unbind) {
        return Err(FieldError::new(key("by"), "only `unbind` takes `by`"));
    }
    if spec.grant.is_some() != matches!(spec.op, OpSpec::Revoke) {
        return Err(FieldError::new(key("op"), "`revoke` and only `revoke` takes `grant` (which grant, from 0)"));
    }
    let member = MemberId(spec.member);
    let op = match spec.op {
        OpSpec::Unbind => ScriptOp::Unbind { member, by: unbinder(spec.by.unwrap_or(UnbinderSpec::Super)) },
        OpSpec::ChangeDevice => ScriptOp::ChangeDevice { member, uninstall: false },
        OpSpec::Uninstall => ScriptOp::ChangeDevice { member, uninstall: true },
        OpSpec::Revoke => ScriptOp::Revoke { member, nth: spec.grant.unwrap_or(0) },
    };
    Ok(ScriptStep { at: spec.at.0, op })
}

fn unbinder(spec: UnbinderSpec) -> Unbinder {
    match spec {
        UnbinderSpec::Member => Unbinder::Member,
        UnbinderSpec::Super => Unbinder::Admin(AdminTier::Super),
        UnbinderSpec::Department => Unbinder::Admin(AdminTier::Department),
        UnbinderSpec::App => Unbinder::Admin(AdminTier::App),
    }
}

/// The `[workload.script]` table holding `steps`, one step a line.
pub fn script_toml(steps: &[ScriptStep]) -> String {
    let lines: String = steps.iter().map(|step| format!("  {},\n", step_toml(step))).collect();
    format!("[workload.script]\nsteps = [\n{lines}]\n")
}

/// One step as an inline TOML table, which reads back to the same step.
pub fn step_toml(step: &ScriptStep) -> String {
    let at = step.at.exact_text();
    let (op, member, extra) = match step.op {
        ScriptOp::Unbind { member, by } => ("unbind", member, format!(", by = \"{}\"", unbinder_name(by))),
        ScriptOp::ChangeDevice { member, uninstall: false } => ("change-device", member, String::new()),
        ScriptOp::ChangeDevice { member, uninstall: true } => ("uninstall", member, String::new()),
        ScriptOp::Revoke { member, nth } => ("revoke", member, format!(", grant = {nth}")),
    };
    format!("{{ at = \"{at}\", op = \"{op}\", member = {}{extra} }}", member.0)
}

fn unbinder_name(by: Unbinder) -> &'static str {
    match by {
        Unbinder::Member => "member",
        Unbinder::Admin(tier) => tier.name(),
    }
}
