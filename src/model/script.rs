//! A scripted workload: operations on named members at given times, instead
//! of decisions drawn from an arrival process. A script is what a user
//! writes to replay one exact sequence (`[workload.script]`), and what the
//! operation fuzzer and the model-based property tests generate.
//!
//! A step names its member by id, so it makes no draw of its own: the
//! member's behaviour still comes from the member's streams, and a script
//! never shifts another draw. A step whose target is not in a state the
//! operation applies to (unbinding a member who is already leaving, revoking
//! a grant that is gone) is refused, as the console would refuse it, and
//! counted as refused.

use super::ids::MemberId;
use super::org::AdminTier;
use crate::engine::SimDuration;

/// Most steps one script may hold.
pub const MAX_SCRIPT_STEPS: usize = 10_000;

/// Who unbinds a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unbinder {
    /// The member leaves from the app (a self-exit).
    Member,
    /// An admin of this tier, from the console. A super admin's step also
    /// takes over a member a department admin's request still waits on
    /// (the tier race). An app admin's step is the admin of the app of the
    /// member's first grant archiving the member's access to that app: the
    /// account and devices stay, and the member may still be unbound.
    Admin(AdminTier),
}

/// One scripted operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptOp {
    /// The member is unbound by `by`.
    Unbind { member: MemberId, by: Unbinder },
    /// The member replaces its old device (its phone, else its first
    /// device), uninstalling the app before unbinding it or not.
    ChangeDevice { member: MemberId, uninstall: bool },
    /// The member revokes its `nth` app authorization (counted from 0).
    Revoke { member: MemberId, nth: u8 },
}

impl ScriptOp {
    pub fn member(self) -> MemberId {
        match self {
            ScriptOp::Unbind { member, .. }
            | ScriptOp::ChangeDevice { member, .. }
            | ScriptOp::Revoke { member, .. } => member,
        }
    }
}

/// An operation at an offset from the start of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScriptStep {
    pub at: SimDuration,
    pub op: ScriptOp,
}
