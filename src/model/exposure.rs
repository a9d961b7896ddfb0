//! How long an offboarded member could still get in: the live access paths
//! after the decision (`ExposurePath`), and what one run counts of them
//! (`ExposureTally`): each member's exposure window, ended or censored at
//! the horizon, the time each path stayed live, and the leak-risk points
//! (members with any path still live at fixed times after their decision).
//! Read at the horizon from instants the world keeps; the model only counts.

use super::org::App;
use crate::engine::SimDuration;

/// A live access path of an offboarded member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExposurePath {
    /// The account still works: from the decision through handover,
    /// buffer, tier delay, approvals, the console's backlog and API blocks,
    /// to the revocation.
    Account,
    /// An app still accepts the member's token or session after its grant
    /// was revoked (until the token expires, introspection learns of the
    /// revocation or the vendor unbinds it, maybe never).
    Tokens,
    /// A device is still bound: told to log out but not yet checked in,
    /// until its check-in, wipe or the server's auto-logout.
    Devices,
    /// A module a pro edition's disable kept live: nothing cuts it later.
    KeptModules,
}

impl ExposurePath {
    pub const ALL: [ExposurePath; 4] =
        [ExposurePath::Account, ExposurePath::Tokens, ExposurePath::Devices, ExposurePath::KeptModules];

    pub fn name(self) -> &'static str {
        match self {
            ExposurePath::Account => "account",
            ExposurePath::Tokens => "tokens",
            ExposurePath::Devices => "devices",
            ExposurePath::KeptModules => "kept_modules",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The leak-risk points when a scenario names none: 1 h, 1 d, 7 d, 30 d
/// and 90 d after the decision.
pub const LEAK_RISK_DEFAULT: [SimDuration; 5] = [
    SimDuration::from_hours(1),
    SimDuration::from_days(1),
    SimDuration::from_days(7),
    SimDuration::from_days(30),
    SimDuration::from_days(90),
];

/// One leak-risk point: offboarded members whose decision + `after` is no
/// later than the horizon (trials) and those with any path still live at
/// that instant (hits); members whose decision + `after` is past the
/// horizon are not at risk there and only counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeakPoint {
    pub after: SimDuration,
    pub live: super::Count,
    pub past_horizon: u64,
}

/// Offboarded members' exposure in one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExposureTally {
    /// Members whose account a request cut (or was to cut) by the horizon.
    pub members: u64,
    /// Decision to the end of the last live path, per member whose paths
    /// had all ended by the horizon.
    pub ended_us: Vec<u64>,
    /// Horizon − decision of each member with a path still live there.
    pub censored_us: Vec<u64>,
    /// Over all members, the sum of decision to the end of the last path
    /// (the horizon where one is still live), in milliseconds.
    pub total_ms: u64,
    /// Per path in `ExposurePath::ALL` order, the sum of the time it was
    /// live, in milliseconds (see `ExposurePath` and the README for where
    /// each starts); paths overlap, so they add up to more than the total.
    pub path_ms: [u64; ExposurePath::ALL.len()],
    /// Per path, members for whom it was still live at the horizon.
    pub live_at_horizon: [u64; ExposurePath::ALL.len()],
    /// One per leak-risk point the run observes, in its order.
    pub leak_risk: Vec<LeakPoint>,
    /// Revoked grants' acceptance windows.
    pub tokens: TokenTally,
}

/// How an app learns that a grant was revoked: its access token expires,
/// it introspects tokens (and learns after the propagation delay, or at
/// the expiry if sooner), or it keeps its own session until someone
/// unbinds it on the vendor's platform (maybe never).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TokenEnd {
    Expiry,
    Introspection,
    NativeUnbind,
}

impl TokenEnd {
    pub const ALL: [TokenEnd; 3] = [TokenEnd::Expiry, TokenEnd::Introspection, TokenEnd::NativeUnbind];

    pub fn name(self) -> &'static str {
        match self {
            TokenEnd::Expiry => "expiry",
            TokenEnd::Introspection => "introspection",
            TokenEnd::NativeUnbind => "native_unbind",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// How `app` stops accepting a revoked grant's token.
    pub fn of(app: &App) -> TokenEnd {
        match (app.native_unbind, app.introspects) {
            (true, _) => TokenEnd::NativeUnbind,
            (false, true) => TokenEnd::Introspection,
            (false, false) => TokenEnd::Expiry,
        }
    }
}

/// Every grant revoked by the horizon: its acceptance window, revocation
/// to the app's last acceptance of its token or session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenTally {
    /// Windows that ended by the horizon.
    pub ended_us: Vec<u64>,
    /// Horizon − revocation of each grant still accepted at the horizon.
    pub censored_us: Vec<u64>,
    /// Grant-milliseconds accepted after revocation, up to the horizon.
    pub accepted_ms: u64,
    /// Per `TokenEnd::ALL`, the grants whose app ends that way, and their
    /// grant-milliseconds up to the horizon.
    pub grants_by_end: [u64; TokenEnd::ALL.len()],
    pub accepted_ms_by_end: [u64; TokenEnd::ALL.len()],
}
