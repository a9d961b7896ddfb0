//! Typed ids: a `u32` index into the `Vec` holding each kind of entity, so a
//! member id can never be used where a device id is meant.

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The index into the entity's `Vec`.
            pub fn index(self) -> usize {
                self.0 as usize
            }
            /// The key of this entity's random streams.
            pub fn stream_key(self) -> u64 {
                u64::from(self.0)
            }
        }
    };
}

typed_id!(
    /// A department in the organisation tree (pre-order index).
    DepartmentId
);
typed_id!(
    /// A member of the organisation.
    MemberId
);
typed_id!(
    /// A device bound to a member.
    DeviceId
);
typed_id!(
    /// A member's authorization grant to a third-party app.
    GrantId
);
typed_id!(
    /// A third-party app enabled in the workspace.
    AppId
);
typed_id!(
    /// An administrator.
    AdminId
);
typed_id!(
    /// An unbind request: one decision covering one or more members.
    RequestId
);
