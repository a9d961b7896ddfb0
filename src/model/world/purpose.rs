//! The purposes random draws are made for. Each purpose is used with one
//! kind of entity only, so (seed, entity, purpose, index) names a draw
//! uniquely and a draw for one purpose never shifts another's.

use super::super::trace::DrawRule;

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

/// What a purpose's draws are keyed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyed {
    Arrival,
    Request,
    Member,
    Device,
    Grant,
}

impl Purpose {
    pub fn keyed_by(self) -> Keyed {
        use Purpose::*;
        match self {
            ArrivalGap | PickMember | PickTier | PickAdmin => Keyed::Arrival,
            PoolService | EffectiveDelay => Keyed::Request,
            Escalation | EscalationDelay | Handover | Activity | Uninstall | Lockout | LostDevice | Export
            | ExportTime | CloudCopy | Dispute | DisputeTime | LockoutRecovery | StaleId | KeptModuleUse
            | CustomerOwner | Customers | CustomerRefused | CustomerQuota | GroupChats => Keyed::Member,
            NeverChecksIn | CheckIn | ClearDataSkipped | TrustedKept | BiometricKept | AndroidWipe | ForcedCleanup
            | LostDeviceUnbind => Keyed::Device,
            TokenAge | Propagation | AppUse | NativeSkipped | NativeDelay | SkipRevoke | VendorKeeps => Keyed::Grant,
        }
    }

    /// What a draw for this purpose decides, and the scenario key it draws
    /// against. A request's delay and a pool's service depend on the
    /// request and the pool: `World` names their keys.
    pub fn rule(self) -> DrawRule {
        use Purpose::*;
        let (decides, key) = match self {
            ArrivalGap => ("time to the next decision", "workload.arrivals"),
            PickMember => ("whom the decision takes", "workload.members_per_arrival"),
            PickTier => ("the admin tier deciding", "workload.admin-batch.tiers"),
            PickAdmin => ("the admin deciding", "org.admins"),
            PoolService => ("the pool's service time", "the pool's service"),
            EffectiveDelay => ("delay before the request takes effect", "the request's delay"),
            Escalation => ("a super admin takes the member over", "workload.admin-batch.escalation"),
            EscalationDelay => ("time until the takeover", "workload.admin-batch.escalation_delay"),
            Handover => ("time to hand over groups and approvals", "policy.handover"),
            Activity => ("time to the member's next action", "behaviour.activity_gap"),
            Uninstall => ("uninstalls the app before unbinding", "behaviour.uninstall_before_unbind"),
            Lockout => ("uninstalling first locks the account", "behaviour.lockout_given_uninstall"),
            LostDevice => ("the old device was lost", "workload.device-change.lost_device"),
            Export => ("the member exports its data", "workload.gdpr-export.export_share"),
            ExportTime => ("time the export takes", "workload.gdpr-export.export_time"),
            CloudCopy => ("a cloud copy of the data is kept", "workload.gdpr-export.cloud_copy_kept"),
            Dispute => ("the member disputes later", "workload.gdpr-export.dispute_share"),
            DisputeTime => ("time to the dispute", "workload.gdpr-export.dispute_window"),
            NeverChecksIn => ("the device never checks in again", "behaviour.device_never_checks_in"),
            CheckIn => ("time until the device checks in", "policy.device_checkin"),
            ClearDataSkipped => ("the member skips clearing the app's data", "behaviour.clear_data_skipped"),
            TrustedKept => ("the device stays in the trusted list", "behaviour.trusted_device_kept"),
            BiometricKept => ("the biometric enrolment stays", "behaviour.biometric_kept"),
            AndroidWipe => ("the member wipes the app on Android", "behaviour.android_full_wipe"),
            ForcedCleanup => ("a forced cleanup removes the data", "behaviour.forced_cleanup"),
            TokenAge => ("the token's age at revocation, as a share of its lifetime", "policy.token_ttl"),
            Propagation => ("time for the revocation to reach the app", "policy.revocation_propagation"),
            AppUse => ("time to the app's next use of the token after revocation", "behaviour.app_use_gap"),
            NativeSkipped => ("the member skips the vendor's own unbind", "behaviour.native_unbind_skipped"),
            NativeDelay => ("time until the vendor's own unbind", "behaviour.native_unbind_delay"),
            SkipRevoke => ("the member skips revoking the grant", "behaviour.skip_app_revoke"),
            VendorKeeps => ("the vendor keeps the app's data", "behaviour.vendor_keeps_data"),
            LockoutRecovery => ("time until the lockout is recovered", "policy.lockout_recovery"),
            LostDeviceUnbind => ("time until an admin unbinds the lost device", "policy.lost_device_unbind"),
            StaleId => ("the member's id is stale in the delete call", "behaviour.stale_id_share"),
            KeptModuleUse => ("time to the first use of a kept module", "behaviour.activity_gap"),
            CustomerOwner => ("the member has customers of its own", "policy.customer_handover.owner_share"),
            Customers => ("how many customers", "policy.customer_handover.customers_mean"),
            CustomerRefused => ("customers refusing the takeover", "policy.customer_handover.refused"),
            CustomerQuota => ("customers over the successor's quota", "policy.customer_handover.quota_full"),
            GroupChats => ("how many group chats", "policy.customer_handover.group_chats_mean"),
        };
        DrawRule { decides, key }
    }
}
