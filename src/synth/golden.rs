//! Golden digests of generated orgs: for a spread of parameter sets (the
//! presets, sizes, and the edge cases of every sampler branch) and seeds,
//! a digest of every field of the `Org`, recorded from the generator as it
//! was before it was made faster (the roster re-recorded since, see
//! `GOLDEN`). Any change to any field of any org fails.

use super::{OrgParams, Preset, generate};
use crate::model::Org;
use std::fmt::Write;

/// FNV-1a over the bytes written to it: stable on every machine and build.
struct Fnv1a(u64);

impl Write for Fnv1a {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        for byte in text.bytes() {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        Ok(())
    }
}

/// Digest of every field of `org`: its derived `Debug` text, which names
/// and prints every field of every entity, hashed without being stored.
fn digest(org: &Org) -> u64 {
    let mut hasher = Fnv1a(0xcbf2_9ce4_8422_2325);
    write!(hasher, "{org:?}").expect("hashing cannot fail");
    hasher.0
}

/// The parameter sets pinned, by name.
fn cases() -> Vec<(&'static str, OrgParams)> {
    let medium = Preset::Medium.params();
    let small = |members| OrgParams { members, ..OrgParams::default() };
    vec![
        ("small", Preset::Small.params()),
        ("medium", medium.clone()),
        ("enterprise-shape", OrgParams { members: 30_000, ..Preset::Enterprise.params() }),
        ("one-member", small(1)),
        ("no-apps", OrgParams { apps: 0, ..small(3_000) }),
        ("one-app", OrgParams { apps: 1, ..small(2_000) }),
        ("zipf-one", OrgParams { app_zipf: 1.0, ..small(3_000) }),
        ("zipf-zero", OrgParams { app_zipf: 0.0, ..small(3_000) }),
        ("zipf-steep", OrgParams { app_zipf: 3.5, apps: 500, ..small(3_000) }),
        ("zipf-near-one", OrgParams { app_zipf: 1.000_001, ..small(3_000) }),
        ("many-apps", OrgParams { apps: 65_535, grants_mean: 40.0, ..small(2_000) }),
        ("grants-exceed-apps", OrgParams { apps: 6, grants_mean: 30.0, ..small(2_000) }),
        ("poisson-rejection", OrgParams { devices_mean: 20.0, devices_max: 255, grants_mean: 14.5, ..small(2_000) }),
        ("no-devices", OrgParams { devices_mean: 0.0, devices_min: 0, grants_mean: 0.0, ..small(2_000) }),
        ("platform-gaps", OrgParams { platform_mix: [0.0, 0.7, 0.0, 0.3], ..small(2_000) }),
        ("flat", OrgParams { depth: 0, members_per_department_admin: 0, ..small(2_000) }),
        ("wide", OrgParams { branching: 1_000, depth: 2, ..small(5_000) }),
        ("all-roles", OrgParams { group_owner_share: 1.0, pending_approvals_share: 1.0, ..small(1_000) }),
    ]
}

const SEEDS: [u64; 3] = [1, 42, 0xdead_beef_cafe];

/// Digests recorded from the generator: one row per case, one column per
/// seed of `SEEDS`. Re-recorded when the admin roster changed (department
/// admins spread breadth-first from the root; app admins name their app):
/// departments, members, devices, grants and apps are as before.
const GOLDEN: &[(&str, [u64; 3])] = &[
    ("small", [0x668801314c26a4f5, 0x8c698af105d4a875, 0x8c64ea8b07370bed]),
    ("medium", [0x6a6ebba966a84a30, 0xea78f87861500e8a, 0x3647cf76b9dbc8b0]),
    ("enterprise-shape", [0xf231b688e7369311, 0x2a8271822952a227, 0x4abed82bb4b54dc8]),
    ("one-member", [0x1c753f729ee7f877, 0x85400b7df19e55a0, 0xaf0516db380363ee]),
    ("no-apps", [0xd6b37a159cbf4e41, 0x8a24f14696e61131, 0x11ab56a7089a7e74]),
    ("one-app", [0xed7480ff5c3c195b, 0x87b188be46feaca8, 0x239b3f56c5c86f80]),
    ("zipf-one", [0xdc2e1362747442a5, 0xdafebeef0d8cf646, 0xcf83b52763f01225]),
    ("zipf-zero", [0x4852ccdad1db9b64, 0xe634a7814ad7b3e6, 0xe5329c8ec309d1d9]),
    ("zipf-steep", [0xbeaee7efc538934d, 0x26ac631edc691d65, 0xd76a128709794734]),
    ("zipf-near-one", [0xdc2e1362747442a5, 0xdafebeef0d8cf646, 0xcf83b52763f01225]),
    ("many-apps", [0xa6bae93a099b6644, 0xbe84e4a3625d4656, 0x95246eb24cbdcdfa]),
    ("grants-exceed-apps", [0x9a442d36e7c79325, 0x81fca539d75307ad, 0x7da7c1ed1feca029]),
    ("poisson-rejection", [0xd5780bb956f06a88, 0x5f60e3f8bd189354, 0x153b5014bff14647]),
    ("no-devices", [0xfe01b75e9eff6458, 0xefb1aa76d8bbfe39, 0x70dfe971a3656717]),
    ("platform-gaps", [0xb6f8f71a330b7130, 0x446e58552c3b62e2, 0xda01cbce1f6a82ff]),
    ("flat", [0xd888c42e01cc0a26, 0x2ac0507a2c6c506f, 0x815f7787bdd947f7]),
    ("wide", [0x4274589b81cc9582, 0xb1393a63df0de44c, 0xd29a955716d2b7d7]),
    ("all-roles", [0x79eb4650e7a2a6f9, 0x8dd49db09a67ef87, 0x35e8ea5145582cec]),
];

#[test]
fn generated_orgs_match_the_recorded_digests() {
    let mut mismatches = Vec::new();
    for (name, params) in cases() {
        assert_eq!(params.validate(), Ok(()), "{name}");
        let digests = SEEDS.map(|seed| digest(&generate(&params, seed)));
        let recorded = GOLDEN.iter().find(|(case, _)| *case == name).map(|(_, digests)| *digests);
        if recorded != Some(digests) {
            mismatches.push(format!("(\"{name}\", [{:#x}, {:#x}, {:#x}]),", digests[0], digests[1], digests[2]));
        }
    }
    assert!(mismatches.is_empty(), "orgs differ from the recorded digests:\n{}", mismatches.join("\n"));
}
