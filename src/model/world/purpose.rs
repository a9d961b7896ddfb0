//! The purposes random draws are made for. Each purpose is used with one
//! kind of entity only, so (seed, entity, purpose, index) names a draw
//! uniquely and a draw for one purpose never shifts another's.

/// What a draw is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    // Keyed by arrival index.
    ArrivalGap = 1,
    PickMember,
    PickTier,
    PickAdmin,
    // Keyed by request id.
    PoolService,
    EffectiveDelay,
    // Keyed by member id.
    Escalation,
    EscalationDelay,
    Handover,
    Activity,
    Uninstall,
    Lockout,
    LostDevice,
    Export,
    ExportTime,
    CloudCopy,
    Dispute,
    DisputeTime,
    // Keyed by device id.
    NeverChecksIn,
    CheckIn,
    ClearDataSkipped,
    TrustedKept,
    BiometricKept,
    AndroidWipe,
    ForcedCleanup,
    // Keyed by grant id.
    TokenAge,
    Propagation,
    AppUse,
    NativeSkipped,
    NativeDelay,
    SkipRevoke,
    VendorKeeps,
    // Keyed by member id (last, so no earlier purpose's key moves).
    LockoutRecovery,
    // Keyed by device id.
    LostDeviceUnbind,
    // Keyed by member id: its id is stale in a delete call.
    StaleId,
    // Keyed by member id: a kept module's first use after the unbind.
    KeptModuleUse,
    // Keyed by member id: its customers and group chats at the handover.
    CustomerOwner,
    Customers,
    CustomerRefused,
    CustomerQuota,
    GroupChats,
}

impl Purpose {
    pub fn key(self) -> u64 {
        self as u64
    }
}
