//! Golden digests of generated orgs: for a spread of parameter sets (the
//! presets, sizes, and the edge cases of every sampler branch) and seeds,
//! a digest of every field of the `Org`, recorded from the generator as it
//! was before it was made faster. Any change to any field of any org fails.

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

/// Digests recorded from the original generator: one row per case, one
/// column per seed of `SEEDS`.
const GOLDEN: &[(&str, [u64; 3])] = &[
    ("small", [0x81ef57094cb6b158, 0xda5fec025c6da4d8, 0x371537439ba8fdb0]),
    ("medium", [0x8040c01e756d30ba, 0xd01972b98049e8b4, 0xf441969b6150133a]),
    ("enterprise-shape", [0x6a37d093f5bb9fb5, 0x37e3c93a50f4232b, 0x37a2d8b5f5fecce6]),
    ("one-member", [0xb7a5ea1fe76f73dd, 0x349fdf30d176f9ca, 0xed3f1c9c806b8d04]),
    ("no-apps", [0xeb563693eb89246a, 0x84bf87e5bf6c579a, 0x65aa51392adba9d7]),
    ("one-app", [0xc2be2355754bb687, 0xf54641c997ef4e94, 0x44af15faba477edc]),
    ("zipf-one", [0xce7cacff51ad8c38, 0xc26283e051472923, 0x662baf4e70809fb8]),
    ("zipf-zero", [0xc73b0ed0d7449691, 0x199a6bc32264c503, 0x827d38e7d0cdde9c]),
    ("zipf-steep", [0xd53956c903d82e50, 0xfca309c35f801ef8, 0x943f4d97bd0ef2a1]),
    ("zipf-near-one", [0xce7cacff51ad8c38, 0xc26283e051472923, 0x662baf4e70809fb8]),
    ("many-apps", [0x779efc6dff52eaf0, 0xac90de258836a22a, 0x402273ad88d9b3be]),
    ("grants-exceed-apps", [0xe6995a74caed9f25, 0x95ab5f83f74f0cfd, 0x55f97f432bbb1bc9]),
    ("poisson-rejection", [0x5969d8b8c25349b4, 0xd7a3ca42c7b493c0, 0xf04366fa7e0a1a7]),
    ("no-devices", [0xc45bd7b4863ef884, 0xc5cbfe7abce3e659, 0x6d09c364948ed437]),
    ("platform-gaps", [0x7a887c6fbd49320c, 0x90645a9800316bf6, 0xd45918e1b9836acf]),
    ("flat", [0x1b40d63688a9ac73, 0x723bd5d27772c518, 0x5a28e42d6376d900]),
    ("wide", [0x6f55a7d1c6fb8626, 0x6cbccd96fa4d50b4, 0x1447821c9d3a7ef3]),
    ("all-roles", [0xd96834b495220e, 0x332fc206a3fed7fc, 0x66dd91b40f2b4e27]),
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
