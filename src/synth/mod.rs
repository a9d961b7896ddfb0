//! Synthetic organisations: a department tree, members with roles, devices
//! by platform, apps and grants, and an admin roster, built from a handful
//! of distribution parameters and a seed. Every draw is keyed by the
//! entity it describes, so the same parameters and seed give the same org
//! on any machine. App popularity is drawn by `zipf`, a faster sampler
//! that gives `rand_distr`'s Zipf values draw for draw; `golden` pins the
//! orgs generated for a spread of parameters and seeds.
//!
//! **Architecture invariant:** synth builds an `Org` through its public
//! fields and checks it with `Org::check`; it knows no file format.
//!
//! `params` is private behind the re-exports below; its bounds are private
//! to it.

#[cfg(test)]
mod golden;
mod params;
mod zipf;

pub use params::{OrgParams, Preset};

use crate::engine::{Streams, hash_keys};
use crate::model::{
    Admin, AdminTier, App, AppId, Department, DepartmentId, Device, Grant, Member, MemberId, Org, Platform, Roles,
};
use rand::RngExt;
use rand_distr::{Distribution, Poisson};
use zipf::ZipfSampler;

/// Purposes of the generator's draws (keyed by the entity described).
#[derive(Clone, Copy)]
enum Draw {
    Department = 1,
    Roles,
    DeviceCount,
    Platform,
    GrantCount,
    GrantApp,
    AppTraits,
}

/// Builds the organisation `params` describe, from `seed`.
pub fn generate(params: &OrgParams, seed: u64) -> Org {
    let streams = Streams::new(hash_keys(&[seed, 0x6f72_6700]));
    let mut departments = department_tree(params.branching, params.depth, params.max_departments());
    let member_departments = assign_departments(&streams, params.members, departments.len());
    fill_member_ranges(&mut departments, &member_departments);
    let apps = make_apps(&streams, params);
    let mut org =
        Org { departments, members: Vec::new(), devices: Vec::new(), grants: Vec::new(), apps, admins: Vec::new() };
    populate_members(&mut org, &streams, params, &member_departments);
    org.admins = roster(params, &org.departments);
    debug_assert_eq!(org.check(), Ok(()));
    org
}

/// A full tree of `branching` children per department, `depth` levels below
/// the root, in pre-order, truncated at `max` departments.
fn department_tree(branching: u32, depth: u32, max: usize) -> Vec<Department> {
    let mut departments = Vec::new();
    let mut stack: Vec<(Option<DepartmentId>, u16)> = vec![(None, 0)];
    while let Some((parent, level)) = stack.pop() {
        if departments.len() >= max {
            break;
        }
        let id = DepartmentId(departments.len() as u32);
        departments.push(Department { parent, depth: level, subtree_size: 1, members: 0..0 });
        if u32::from(level) < depth {
            stack.extend((0..branching).map(|_| (Some(id), level + 1)));
        }
    }
    // Subtree sizes: children come after parents in pre-order.
    for index in (1..departments.len()).rev() {
        let parent = departments[index].parent.expect("non-root has a parent");
        departments[parent.index()].subtree_size += departments[index].subtree_size;
    }
    departments
}

/// Each member's department, uniform over departments, sorted so members
/// of one department are contiguous.
fn assign_departments(streams: &Streams, members: u32, n_departments: usize) -> Vec<u32> {
    let mut counts = vec![0u32; n_departments];
    for member in 0..members {
        let u = streams.uniform(u64::from(member), Draw::Department as u64, 0);
        counts[((u * n_departments as f64) as usize).min(n_departments - 1)] += 1;
    }
    counts
        .iter()
        .enumerate()
        .flat_map(|(department, &count)| std::iter::repeat_n(department as u32, count as usize))
        .collect()
}

fn fill_member_ranges(departments: &mut [Department], member_departments: &[u32]) {
    let mut first_member = vec![member_departments.len() as u32; departments.len() + 1];
    for (member, &department) in member_departments.iter().enumerate().rev() {
        first_member[department as usize] = member as u32;
    }
    for index in (0..departments.len()).rev() {
        first_member[index] = first_member[index].min(first_member[index + 1]);
    }
    for (index, department) in departments.iter_mut().enumerate() {
        let end = index + department.subtree_size as usize;
        department.members = first_member[index]..first_member[end];
    }
}

fn make_apps(streams: &Streams, params: &OrgParams) -> Vec<App> {
    (0..params.apps)
        .map(|app| {
            let mut rng = streams.stream(u64::from(app), Draw::AppTraits as u64, 0);
            App {
                native_unbind: rng.random::<f64>() < params.native_unbind_share,
                introspects: rng.random::<f64>() < params.introspection_share,
            }
        })
        .collect()
}

/// The per-org samplers of `populate_members`, built once, and the scratch
/// set of one member's apps.
struct MemberSamplers {
    device_count: Poisson<f64>,
    grant_count: Poisson<f64>,
    /// App popularity; none when the org has no apps.
    app: Option<ZipfSampler>,
    platform: PlatformPicker,
    granted: AppSet,
}

impl MemberSamplers {
    fn new(params: &OrgParams) -> MemberSamplers {
        MemberSamplers {
            device_count: Poisson::new(params.devices_mean.max(1e-9)).expect("validated mean"),
            grant_count: Poisson::new(params.grants_mean.max(1e-9)).expect("validated mean"),
            app: (params.apps > 0)
                .then(|| ZipfSampler::new(params.apps, params.app_zipf, expected_grant_draws(params))),
            platform: PlatformPicker::new(&params.platform_mix),
            granted: AppSet::new(params.apps),
        }
    }
}

fn populate_members(org: &mut Org, streams: &Streams, params: &OrgParams, member_departments: &[u32]) {
    let mut samplers = MemberSamplers::new(params);
    let members = member_departments.len();
    org.members.reserve_exact(members);
    let devices_mean = params.devices_mean.clamp(f64::from(params.devices_min), f64::from(params.devices_max));
    org.devices.reserve(estimated_rows(members, devices_mean));
    org.grants.reserve(estimated_rows(members, params.grants_mean.min(f64::from(params.apps))));
    for (index, &department) in member_departments.iter().enumerate() {
        let member = MemberId(index as u32);
        let mut rng = streams.stream(member.stream_key(), Draw::Roles as u64, 0);
        let roles = Roles {
            group_owner: rng.random::<f64>() < params.group_owner_share,
            pending_approvals: rng.random::<f64>() < params.pending_approvals_share,
        };
        let (first_device, first_grant) = (org.devices.len() as u32, org.grants.len() as u32);
        let n_devices = add_devices(org, streams, &samplers, params, member);
        let n_grants = match &samplers.app {
            Some(popularity) => {
                let wanted =
                    samplers.grant_count.sample(&mut streams.stream(member.stream_key(), Draw::GrantCount as u64, 0));
                let mut draw = GrantDraw { popularity, granted: &mut samplers.granted };
                add_grants(org, streams, member, &mut draw, wanted, params.apps)
            }
            None => 0,
        };
        org.members.push(Member {
            department: DepartmentId(department),
            roles,
            first_device,
            n_devices,
            first_grant,
            n_grants,
        });
    }
}

/// Adds `member`'s devices (a clamped Poisson count, each platform drawn
/// from the mix); returns how many.
fn add_devices(
    org: &mut Org,
    streams: &Streams,
    samplers: &MemberSamplers,
    params: &OrgParams,
    member: MemberId,
) -> u8 {
    let key = member.stream_key();
    let drawn = samplers.device_count.sample(&mut streams.stream(key, Draw::DeviceCount as u64, 0)) as u64;
    let n_devices = drawn.clamp(u64::from(params.devices_min), u64::from(params.devices_max)) as u8;
    let mut platform_rng = streams.stream(key, Draw::Platform as u64, 0);
    for _ in 0..n_devices {
        let platform = samplers.platform.pick(platform_rng.random());
        org.devices.push(Device { member, platform });
    }
    n_devices
}

/// About how many app draws the org's grants take: the sampler's tables
/// are sized by it.
fn expected_grant_draws(params: &OrgParams) -> usize {
    (f64::from(params.members) * params.grants_mean.min(f64::from(params.apps))) as usize
}

/// Room for about `mean` rows per member, a little over, so the table of
/// devices or grants is not regrown as it fills.
fn estimated_rows(members: usize, mean: f64) -> usize {
    (members as f64 * mean * 1.05) as usize + 64
}

/// Adds up to `wanted` grants to distinct apps drawn by popularity (Zipf).
fn add_grants(
    org: &mut Org,
    streams: &Streams,
    member: MemberId,
    draw: &mut GrantDraw<'_>,
    wanted: f64,
    apps: u32,
) -> u8 {
    let wanted = (wanted as u32).min(apps).min(u32::from(u8::MAX)) as usize;
    let first = org.grants.len();
    let mut rng = streams.stream(member.stream_key(), Draw::GrantApp as u64, 0);
    let mut attempts = 0;
    while org.grants.len() - first < wanted && attempts < 8 * wanted {
        attempts += 1;
        let app = AppId(draw.popularity.sample(&mut rng) - 1);
        if draw.granted.insert(app) {
            org.grants.push(Grant { member, app });
        }
    }
    draw.granted.clear(&org.grants[first..]);
    (org.grants.len() - first) as u8
}

/// What drawing one member's grants needs: the popularity law and the set
/// of apps already granted to the member.
struct GrantDraw<'a> {
    popularity: &'a ZipfSampler,
    granted: &'a mut AppSet,
}

/// A set of apps as a bitset, emptied after each member by clearing only
/// the bits of that member's grants.
struct AppSet {
    words: Vec<u64>,
}

impl AppSet {
    /// Room for apps `0..=apps`: one past the last, which a rounding at
    /// the top of the popularity law could in principle draw.
    fn new(apps: u32) -> AppSet {
        AppSet { words: vec![0; (apps / 64 + 1) as usize] }
    }

    /// Adds `app`; true if it was not in the set.
    fn insert(&mut self, app: AppId) -> bool {
        let (word, bit) = (app.index() / 64, 1u64 << (app.0 % 64));
        let added = self.words[word] & bit == 0;
        self.words[word] |= bit;
        added
    }

    /// Empties the set, which holds exactly the apps of `grants`.
    fn clear(&mut self, grants: &[Grant]) {
        for grant in grants {
            self.words[grant.app.index() / 64] = 0;
        }
    }
}

/// A device's platform from one uniform draw: the first platform whose
/// cumulative share of the mix exceeds it (macOS if none does, through
/// rounding).
struct PlatformPicker {
    /// Cumulative normalised shares, summed in platform order.
    cumulative: [f64; 4],
}

impl PlatformPicker {
    fn new(mix: &[f64; 4]) -> PlatformPicker {
        let total: f64 = mix.iter().sum();
        let mut running = 0.0;
        let cumulative = Platform::ALL.map(|platform| {
            running += mix[platform.index()] / total;
            running
        });
        PlatformPicker { cumulative }
    }

    fn pick(&self, u: f64) -> Platform {
        Platform::ALL.into_iter().find(|platform| u < self.cumulative[platform.index()]).unwrap_or(Platform::Macos)
    }
}

/// Super and app admins at the root (app admin `k` administers app
/// `k mod apps`); one department admin per `members_per_department_admin`
/// members, spread over the tree level by level from the root
/// (breadth-first, wrapping round when there are more admins than
/// departments). The first sits at the root, so every member has a
/// department admin above them and department decisions can reach the
/// whole org; the next cover the top-level departments, and so on down.
fn roster(params: &OrgParams, departments: &[Department]) -> Vec<Admin> {
    let root = DepartmentId(0);
    let mut admins: Vec<Admin> =
        (0..params.super_admins).map(|_| Admin { tier: AdminTier::Super, department: root, app: None }).collect();
    let by_level = breadth_first(departments);
    admins.extend((0..params.department_admins() as usize).map(|k| Admin {
        tier: AdminTier::Department,
        department: by_level[k % by_level.len()],
        app: None,
    }));
    admins.extend((0..params.app_admins).map(|k| Admin {
        tier: AdminTier::App,
        department: root,
        app: (params.apps > 0).then(|| AppId(k % params.apps)),
    }));
    admins
}

/// Departments in breadth-first order: by depth, then in pre-order.
fn breadth_first(departments: &[Department]) -> Vec<DepartmentId> {
    let mut order: Vec<DepartmentId> = (0..departments.len() as u32).map(DepartmentId).collect();
    order.sort_by_key(|d| (departments[d.index()].depth, d.0));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> OrgParams {
        OrgParams { members: 2_000, ..OrgParams::default() }
    }

    #[test]
    fn generated_org_is_well_formed() {
        let org = generate(&small(), 1);
        assert_eq!(org.check(), Ok(()));
        assert_eq!(org.members.len(), 2_000);
        assert_eq!(org.departments[0].members, 0..2_000);
        assert!(org.members.iter().all(|m| m.n_devices >= 1));
    }

    #[test]
    fn same_seed_same_org_other_seed_other_org() {
        assert_eq!(generate(&small(), 3), generate(&small(), 3));
        assert_ne!(generate(&small(), 3), generate(&small(), 4));
    }

    #[test]
    fn subtree_members_are_the_members_of_its_departments() {
        let org = generate(&small(), 2);
        for (index, department) in org.departments.iter().enumerate() {
            let root = DepartmentId(index as u32);
            for member in department.members.clone() {
                assert!(org.in_subtree(root, org.members[member as usize].department));
            }
        }
    }

    #[test]
    fn every_member_has_a_department_admin_above_them() {
        // The default tree has 1 555 departments; 20 admins (one per 100 of
        // 2 000 members) sit at the root, the 6 top-level departments and
        // 13 of the second level: the root's covers everyone.
        let org = generate(&small(), 6);
        let scopes: Vec<_> = org.admins_of(AdminTier::Department).map(|admin| org.scope_members(admin)).collect();
        assert_eq!(scopes.len(), 20);
        assert_eq!(scopes[0], 0..2_000);
        let depths: Vec<u16> = org
            .admins
            .iter()
            .filter(|a| a.tier == AdminTier::Department)
            .map(|a| org.departments[a.department.index()].depth)
            .collect();
        assert_eq!(depths, [[0].as_slice(), &[1; 6], &[2; 13]].concat());
        assert!((0..2_000).all(|member| scopes.iter().any(|scope| scope.contains(&member))));
    }

    #[test]
    fn app_admins_name_their_app() {
        let org = generate(&small(), 6);
        let apps: Vec<_> = org.admins.iter().filter(|a| a.tier == AdminTier::App).map(|a| a.app).collect();
        assert_eq!(apps, (0..5).map(|k| Some(AppId(k))).collect::<Vec<_>>());
    }

    #[test]
    fn platform_mix_is_respected() {
        let org = generate(&OrgParams { members: 20_000, ..OrgParams::default() }, 5);
        let ios = org.devices.iter().filter(|d| d.platform == Platform::Ios).count() as f64;
        let share = ios / org.devices.len() as f64;
        assert!((share - 0.45).abs() < 0.02, "iOS share {share}");
    }
}
