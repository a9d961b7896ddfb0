//! The organisation as it stands before any unbind: departments, members,
//! devices, app grants, apps and admins. Immutable during a run and shared
//! by every replication; what changes lives in `state`.
//!
//! Layout: departments are stored in pre-order, so a department's subtree is
//! the contiguous id range `[id, id + subtree_size)`. Members are sorted by
//! department, so a subtree's members are a contiguous range too. Devices
//! and grants are stored member by member (compressed rows): a member's
//! devices are `devices[first_device .. first_device + n_devices]`.

use super::ids::{AdminId, AppId, DepartmentId, DeviceId, GrantId, MemberId};
use super::platform::Platform;
use std::ops::Range;

/// A department: its place in the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Department {
    pub parent: Option<DepartmentId>,
    pub depth: u16,
    /// Number of departments in the subtree rooted here, itself included.
    pub subtree_size: u32,
    /// Members of the subtree: a contiguous range of member ids.
    pub members: Range<u32>,
}

/// Member roles that force a handover before revocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Roles {
    pub group_owner: bool,
    pub pending_approvals: bool,
}

impl Roles {
    pub fn needs_handover(self) -> bool {
        self.group_owner || self.pending_approvals
    }
}

/// A member's static profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub department: DepartmentId,
    pub roles: Roles,
    pub first_device: u32,
    pub n_devices: u8,
    pub first_grant: u32,
    pub n_grants: u8,
}

/// A device and whose it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Device {
    pub member: MemberId,
    pub platform: Platform,
}

/// A member's grant to an app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub member: MemberId,
    pub app: AppId,
}

/// A third-party app enabled in the workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct App {
    /// Must be unbound on the vendor's own platform (mail, video meetings).
    pub native_unbind: bool,
    /// Checks tokens with the server on use (RFC 7662), so a revocation
    /// reaches it after the propagation delay instead of at token expiry.
    pub introspects: bool,
}

/// An administrator's tier, which fixes scope, approval and delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AdminTier {
    /// Whole organisation, no approval, immediate.
    Super,
    /// Own department subtree; a superior confirms; effective after a delay.
    Department,
    /// App permissions only; auto-archived; effective after a buffer.
    App,
}

impl AdminTier {
    pub const ALL: [AdminTier; 3] = [AdminTier::Super, AdminTier::Department, AdminTier::App];

    pub fn name(self) -> &'static str {
        match self {
            AdminTier::Super => "super",
            AdminTier::Department => "department",
            AdminTier::App => "app",
        }
    }
}

/// An administrator and the department its scope is rooted at; an app
/// admin also names the app it administers (none in an org without apps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Admin {
    pub tier: AdminTier,
    pub department: DepartmentId,
    pub app: Option<AppId>,
}

/// The whole organisation.
#[derive(Clone, Debug, PartialEq)]
pub struct Org {
    pub departments: Vec<Department>,
    pub members: Vec<Member>,
    pub devices: Vec<Device>,
    pub grants: Vec<Grant>,
    pub apps: Vec<App>,
    pub admins: Vec<Admin>,
}

impl Org {
    pub fn member(&self, member: MemberId) -> &Member {
        &self.members[member.index()]
    }

    pub fn devices_of(&self, member: MemberId) -> impl Iterator<Item = DeviceId> + use<> {
        let profile = self.members[member.index()];
        (profile.first_device..profile.first_device + u32::from(profile.n_devices)).map(DeviceId)
    }

    pub fn grants_of(&self, member: MemberId) -> impl Iterator<Item = GrantId> + use<> {
        let profile = self.members[member.index()];
        (profile.first_grant..profile.first_grant + u32::from(profile.n_grants)).map(GrantId)
    }

    /// Whether `department` lies in the subtree rooted at `root`.
    pub fn in_subtree(&self, root: DepartmentId, department: DepartmentId) -> bool {
        let size = self.departments[root.index()].subtree_size;
        department.0 >= root.0 && department.0 < root.0 + size
    }

    /// Whether `admin` may act on `member` for an account unbind: super
    /// admins anywhere, department admins in their subtree, app admins never.
    pub fn admin_may_unbind(&self, admin: AdminId, member: MemberId) -> bool {
        let admin = self.admins[admin.index()];
        match admin.tier {
            AdminTier::Super => true,
            AdminTier::Department => self.in_subtree(admin.department, self.member(member).department),
            AdminTier::App => false,
        }
    }

    /// The members an admin's scope covers (all members for super and app
    /// admins, whose scope is not a subtree of people).
    pub fn scope_members(&self, admin: AdminId) -> Range<u32> {
        let admin = self.admins[admin.index()];
        match admin.tier {
            AdminTier::Department => self.departments[admin.department.index()].members.clone(),
            AdminTier::Super | AdminTier::App => 0..self.members.len() as u32,
        }
    }

    /// Admins of one tier, in id order.
    pub fn admins_of(&self, tier: AdminTier) -> impl Iterator<Item = AdminId> + '_ {
        self.admins
            .iter()
            .enumerate()
            .filter(move |(_, admin)| admin.tier == tier)
            .map(|(index, _)| AdminId(index as u32))
    }

    /// Checks the structural invariants a generator or a file must uphold;
    /// returns the first violation found.
    pub fn check(&self) -> Result<(), String> {
        self.check_departments()?;
        self.check_rows()?;
        for (index, admin) in self.admins.iter().enumerate() {
            if admin.department.index() >= self.departments.len() {
                return Err(format!("admin {index} names missing department {}", admin.department.0));
            }
            if admin.app.is_some_and(|app| app.index() >= self.apps.len())
                || admin.app.is_some() != (admin.tier == AdminTier::App && !self.apps.is_empty())
            {
                return Err(format!("admin {index} of tier {} names app {:?}", admin.tier.name(), admin.app));
            }
        }
        Ok(())
    }

    fn check_departments(&self) -> Result<(), String> {
        let n = self.departments.len() as u32;
        for (index, department) in self.departments.iter().enumerate() {
            let id = index as u32;
            if let Some(parent) = department.parent
                && parent.0 >= id
            {
                return Err(format!("department {id} has parent {} not before it (a cycle?)", parent.0));
            }
            if department.subtree_size == 0 || id + department.subtree_size > n {
                return Err(format!("department {id} has subtree size {} out of range", department.subtree_size));
            }
        }
        Ok(())
    }

    fn check_rows(&self) -> Result<(), String> {
        let (mut device, mut grant) = (0u32, 0u32);
        let mut department = 0u32;
        for (index, member) in self.members.iter().enumerate() {
            if member.department.0 < department {
                return Err(format!("member {index} is not sorted by department"));
            }
            department = member.department.0;
            if member.first_device != device || member.first_grant != grant {
                return Err(format!("member {index} has devices or grants out of row order"));
            }
            device += u32::from(member.n_devices);
            grant += u32::from(member.n_grants);
        }
        if device as usize != self.devices.len() || grant as usize != self.grants.len() {
            return Err("device or grant rows do not cover the tables".into());
        }
        Ok(())
    }
}
