//! The state machines of members, devices and grants. Each `advance` checks
//! the transition against an explicit table: an illegal transition is an
//! error naming both states, never a silent no-op.

use std::fmt;

/// Where a member stands in an unbind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MemberState {
    /// Not touched by the workload.
    #[default]
    Active,
    /// Covered by a decision; waiting for approval, delay or the console.
    Requested,
    /// Handing over groups or approvals before revocation.
    Handover,
    /// Inside the buffer before revocation takes effect.
    Buffer,
    /// Account revoked; devices or grants still outstanding.
    Revoked,
    /// Account, devices and grants all unbound.
    Unbound,
    /// Replacing a device.
    ChangingDevice,
    /// Old device unbound; the member carries on.
    DeviceChanged,
    /// Account locked after uninstalling before unbinding, until an admin
    /// or a support ticket recovers it.
    LockedOut,
    /// Interconnect stopped; waiting for the subsidiary to re-bind.
    PendingRebind,
    /// Re-bind in progress.
    Rebinding,
    /// Re-bound to the subsidiary.
    Rebound,
    /// Not re-bound in time: rolled back to the parent.
    RolledBack,
}

/// How a member's unbind ended, for conservation counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Untouched,
    Done,
    Pending,
    LockedOut,
    RolledBack,
}

impl MemberState {
    pub fn outcome(self) -> Outcome {
        use MemberState::*;
        match self {
            Active => Outcome::Untouched,
            Unbound | DeviceChanged | Rebound => Outcome::Done,
            Requested | Handover | Buffer | Revoked | ChangingDevice | PendingRebind | Rebinding => Outcome::Pending,
            LockedOut => Outcome::LockedOut,
            RolledBack => Outcome::RolledBack,
        }
    }

    /// The member's account still works (it can act).
    pub fn account_usable(self) -> bool {
        use MemberState::*;
        matches!(
            self,
            Active
                | Requested
                | Handover
                | Buffer
                | ChangingDevice
                | DeviceChanged
                | PendingRebind
                | Rebinding
                | Rebound
                | RolledBack
        )
    }

    fn may_become(self, next: MemberState) -> bool {
        use MemberState::*;
        matches!(
            (self, next),
            (Active, Requested | ChangingDevice | PendingRebind)
                | (Requested, Handover | Buffer | Revoked)
                | (Handover, Buffer | Revoked)
                | (Buffer, Revoked)
                | (Revoked, Unbound)
                | (ChangingDevice, DeviceChanged | LockedOut)
                | (LockedOut, DeviceChanged)
                | (PendingRebind, Rebinding | RolledBack)
                | (Rebinding, Rebound | RolledBack)
        )
    }
}

/// Where a device stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DeviceState {
    /// Bound and in use.
    #[default]
    Bound,
    /// App uninstalled while the device is still bound on the server.
    Uninstalled,
    /// Lost without a remote wipe: still bound, and nobody can reach it
    /// (until an admin unbinds it or its auto-logout comes).
    Lost,
    /// Unbind sent; waiting for the device to check in.
    LogoutPending,
    /// Logged out and shown inactive: unbound.
    Inactive,
    /// Remotely wiped.
    Wiped,
    /// Logged out by the server's inactivity timer (uninstalled, lost, or
    /// never checking in after an unbind).
    AutoLoggedOut,
}

impl DeviceState {
    /// The device no longer holds a binding the server would honour.
    pub fn is_unbound(self) -> bool {
        matches!(self, DeviceState::Inactive | DeviceState::Wiped | DeviceState::AutoLoggedOut)
    }

    fn may_become(self, next: DeviceState) -> bool {
        use DeviceState::*;
        matches!(
            (self, next),
            (Bound, Uninstalled | Lost | LogoutPending | Inactive)
                | (Uninstalled, AutoLoggedOut | Inactive | Wiped)
                | (Lost, AutoLoggedOut | Inactive)
                | (LogoutPending, AutoLoggedOut)
                | (LogoutPending, Inactive | Wiped)
        )
    }
}

/// Where a grant stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GrantState {
    #[default]
    Active,
    /// Revoked at the workspace; the app may still honour its token.
    Revoked,
    /// Revoked and also unbound on the vendor's own platform.
    VendorUnbound,
}

impl GrantState {
    fn may_become(self, next: GrantState) -> bool {
        use GrantState::*;
        matches!((self, next), (Active, Revoked) | (Revoked, VendorUnbound))
    }
}

/// An attempted transition the state machine does not allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IllegalTransition {
    pub entity: &'static str,
    pub index: u32,
    pub from: String,
    pub to: String,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "illegal transition of {} {}: {} -> {}", self.entity, self.index, self.from, self.to)
    }
}

impl std::error::Error for IllegalTransition {}

/// A state that can only move along its table of transitions.
pub trait StateMachine: Copy + fmt::Debug + 'static {
    const ENTITY: &'static str;
    fn allows(self, next: Self) -> bool;

    /// Moves `self` to `next` if the table allows it.
    fn advance(&mut self, index: u32, next: Self) -> Result<(), IllegalTransition> {
        if self.allows(next) {
            *self = next;
            Ok(())
        } else {
            Err(IllegalTransition { entity: Self::ENTITY, index, from: format!("{self:?}"), to: format!("{next:?}") })
        }
    }
}

impl StateMachine for MemberState {
    const ENTITY: &'static str = "member";
    fn allows(self, next: Self) -> bool {
        self.may_become(next)
    }
}

impl StateMachine for DeviceState {
    const ENTITY: &'static str = "device";
    fn allows(self, next: Self) -> bool {
        self.may_become(next)
    }
}

impl StateMachine for GrantState {
    const ENTITY: &'static str = "grant";
    fn allows(self, next: Self) -> bool {
        self.may_become(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_path_of_an_admin_unbind() {
        let mut state = MemberState::Active;
        for next in [
            MemberState::Requested,
            MemberState::Handover,
            MemberState::Buffer,
            MemberState::Revoked,
            MemberState::Unbound,
        ] {
            state.advance(0, next).unwrap();
        }
        assert_eq!(state.outcome(), Outcome::Done);
    }

    #[test]
    fn illegal_transition_is_an_error_naming_both_states() {
        let mut state = MemberState::Unbound;
        let error = state.advance(7, MemberState::Active).unwrap_err();
        assert_eq!(error.to_string(), "illegal transition of member 7: Unbound -> Active");
        assert_eq!(state, MemberState::Unbound, "state unchanged on error");
    }

    #[test]
    fn a_lockout_is_recovered_and_a_device_nobody_reaches_logs_out_by_itself() {
        let mut member = MemberState::ChangingDevice;
        member.advance(0, MemberState::LockedOut).unwrap();
        member.advance(0, MemberState::DeviceChanged).unwrap();
        for first in [DeviceState::Lost, DeviceState::LogoutPending] {
            let mut device = DeviceState::Bound;
            device.advance(0, first).unwrap();
            device.advance(0, DeviceState::AutoLoggedOut).unwrap();
        }
        assert!(DeviceState::Lost.advance(0, DeviceState::Wiped).is_err());
    }

    #[test]
    fn device_cannot_be_wiped_twice() {
        let mut state = DeviceState::LogoutPending;
        state.advance(0, DeviceState::Wiped).unwrap();
        assert!(state.advance(0, DeviceState::Wiped).is_err());
    }
}
