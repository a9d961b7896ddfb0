//! The parameters of a synthetic organisation, their defaults (a
//! 10 000-member org with the device and platform mix of the domain), the
//! named presets, and their bounds.

use crate::model::FieldError;

/// Most members one org may have: beyond this the per-run state no longer
/// fits comfortably in memory on one machine.
const MAX_MEMBERS: u32 = 20_000_000;
/// Most departments generated, whatever the branching and depth.
const MAX_DEPARTMENTS: usize = 1_000_000;

/// How to build a synthetic organisation.
#[derive(Clone, Debug, PartialEq)]
pub struct OrgParams {
    pub members: u32,
    pub branching: u32,
    pub depth: u32,
    /// Poisson mean of devices per member, clamped to [min, max].
    pub devices_mean: f64,
    pub devices_min: u8,
    pub devices_max: u8,
    /// Shares of iOS, Android, Windows, macOS devices.
    pub platform_mix: [f64; 4],
    pub apps: u32,
    /// Zipf exponent of app popularity.
    pub app_zipf: f64,
    /// Poisson mean of app grants per member.
    pub grants_mean: f64,
    pub native_unbind_share: f64,
    pub introspection_share: f64,
    pub group_owner_share: f64,
    pub pending_approvals_share: f64,
    pub super_admins: u32,
    pub members_per_department_admin: u32,
    pub app_admins: u32,
}

impl Default for OrgParams {
    fn default() -> Self {
        OrgParams {
            members: 10_000,
            branching: 6,
            depth: 4,
            devices_mean: 2.5,
            devices_min: 1,
            devices_max: 8,
            platform_mix: [0.45, 0.40, 0.10, 0.05],
            apps: 40,
            app_zipf: 1.1,
            grants_mean: 5.0,
            native_unbind_share: 0.15,
            introspection_share: 0.3,
            group_owner_share: 0.08,
            pending_approvals_share: 0.12,
            super_admins: 2,
            members_per_department_admin: 100,
            app_admins: 5,
        }
    }
}

/// Named starting points a scenario can pick with `preset = "..."`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    Small,
    Medium,
    Enterprise,
}

impl Preset {
    pub const NAMES: [&'static str; 3] = ["small", "medium", "enterprise"];

    pub fn from_name(name: &str) -> Option<Preset> {
        match name {
            "small" => Some(Preset::Small),
            "medium" => Some(Preset::Medium),
            "enterprise" => Some(Preset::Enterprise),
            _ => None,
        }
    }

    pub fn params(self) -> OrgParams {
        match self {
            Preset::Small => OrgParams { members: 500, branching: 4, depth: 2, ..OrgParams::default() },
            Preset::Medium => OrgParams::default(),
            Preset::Enterprise => OrgParams { members: 200_000, branching: 8, depth: 5, ..OrgParams::default() },
        }
    }
}

impl OrgParams {
    pub fn max_departments(&self) -> usize {
        MAX_DEPARTMENTS.min(self.members.max(1) as usize)
    }

    pub fn department_admins(&self) -> u32 {
        if self.members_per_department_admin == 0 {
            0
        } else {
            self.members.div_ceil(self.members_per_department_admin)
        }
    }

    /// Rough bytes of one org plus one run's state (for refusing up front).
    pub fn estimated_bytes(&self) -> u64 {
        let members = u64::from(self.members);
        let devices = members as f64 * self.devices_mean.max(f64::from(self.devices_min));
        let grants = members as f64 * self.grants_mean.min(f64::from(self.apps));
        members * 56 + (devices * 16.0) as u64 + (grants * 32.0) as u64
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        if self.members == 0 || self.members > MAX_MEMBERS {
            return Err(FieldError::new(
                "org.members",
                format!("must be between 1 and {MAX_MEMBERS}, got {}", self.members),
            ));
        }
        if self.branching == 0 || self.branching > 1_000 {
            return Err(FieldError::new("org.departments.branching", "must be between 1 and 1000"));
        }
        if self.depth > 20 {
            return Err(FieldError::new("org.departments.depth", "must be at most 20"));
        }
        if !(self.devices_mean.is_finite() && (0.0..=64.0).contains(&self.devices_mean)) {
            return Err(FieldError::new("org.devices_per_member.poisson", "must be a mean in [0, 64]"));
        }
        if self.devices_min > self.devices_max {
            return Err(FieldError::new("org.devices_per_member", "min must not exceed max"));
        }
        let mix_total: f64 = self.platform_mix.iter().sum();
        if self.platform_mix.iter().any(|s| !(0.0..=1.0).contains(s)) || (mix_total - 1.0).abs() > 1e-6 {
            return Err(FieldError::new(
                "org.platforms",
                format!("shares must lie in [0, 1] and sum to 1, got {mix_total}"),
            ));
        }
        if self.apps > 65_535 {
            return Err(FieldError::new("org.apps.count", "must be at most 65535"));
        }
        if !(self.app_zipf.is_finite() && self.app_zipf >= 0.0) {
            return Err(FieldError::new("org.apps.zipf", "must be a non-negative exponent"));
        }
        if !(self.grants_mean.is_finite() && (0.0..=255.0).contains(&self.grants_mean)) {
            return Err(FieldError::new("org.apps.grants_per_member", "must be a mean in [0, 255]"));
        }
        let shares = [
            ("org.apps.native_unbind_share", self.native_unbind_share),
            ("org.apps.introspection_share", self.introspection_share),
            ("org.roles.group_owner", self.group_owner_share),
            ("org.roles.pending_approvals", self.pending_approvals_share),
        ];
        for (field, share) in shares {
            if !(0.0..=1.0).contains(&share) {
                return Err(FieldError::new(field, format!("must be a probability in [0, 1], got {share}")));
            }
        }
        Ok(())
    }
}
