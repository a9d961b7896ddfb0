//! A small scripted scenario — a few dozen members, a policy, a script of
//! operations — as the operation fuzzer and the model-based property tests
//! generate it. It is run through the same path a user's file takes: the
//! case is written as a scenario file, parsed, and run with every
//! invariant checked after every event (`run_checked`). A failure message
//! holds that file and the command that replays it, and the file is kept
//! as `target/counterexamples/script-case.toml`.
//!
//! Shared by the integration tests and the `model_ops` fuzz target (which
//! includes this file by path), so both build cases one way.

use unbindsim::engine::{SimDuration, SimTime};
use unbindsim::model::{AdminTier, MemberId, ScriptOp, ScriptStep, Unbinder, World};
use unbindsim::runner::{Experiment, Replication, run_checked};
use unbindsim::scenario::{Scenario, parse_scenario, script_toml};
use unbindsim::synth::generate;

/// Most members a case has.
pub const MAX_MEMBERS: u32 = 40;
/// Most steps a case has.
pub const MAX_STEPS: usize = 64;
/// A checked run of a case that reaches this many events has run away.
pub const MAX_EVENTS: u64 = 1_000_000;
/// Shares of iOS, Android, Windows, macOS devices a case picks from.
pub const PLATFORM_MIXES: [[f64; 4]; 4] =
    [[0.45, 0.40, 0.10, 0.05], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.25, 0.25, 0.25, 0.25]];
/// The longest horizon a scenario may have: a case run to it drains.
pub const LONGEST_HORIZON: SimDuration = SimDuration::from_days(3_660);
/// The largest seed a scenario file can hold (TOML integers are `i64`).
pub const SEED_MAX: u64 = i64::MAX as u64;
/// Steps come no later than this, so each lies within the horizon.
pub const LAST_STEP: SimDuration = SimDuration::from_days(365);
/// A locked-out account is recovered this long after it locked: between
/// whole hours, so a step on the hour is clearly before or after it.
pub const LOCKOUT_RECOVERY: SimDuration = SimDuration::from_mins(36 * 60 + 30);

#[derive(Clone, Debug, PartialEq)]
pub struct ScriptCase {
    pub seed: u64,
    pub members: u32,
    pub branching: u32,
    pub depth: u32,
    /// Index into `PLATFORM_MIXES`.
    pub platforms: usize,
    pub buffer_h: u64,
    /// Pro edition with remote wipe (else basic, no wipe).
    pub mdm_wipe: bool,
    pub batch_limit: u32,
    pub approvers: u32,
    /// Every uninstall before unbind locks the account (else none does).
    pub lockout: bool,
    /// Half the devices never check in again (else all do).
    pub devices_vanish: bool,
    pub horizon: SimDuration,
    /// In time order.
    pub steps: Vec<ScriptStep>,
}

impl ScriptCase {
    /// Decodes any bytes into a valid case (missing bytes read as zero):
    /// the fuzzer's view of a case.
    pub fn from_bytes(data: &[u8]) -> ScriptCase {
        let mut bytes = data.iter().copied().chain(std::iter::repeat(0));
        let mut next = || bytes.next().unwrap_or(0);
        let seed = u64::from_le_bytes(std::array::from_fn(|_| next())) & SEED_MAX;
        let members = 1 + u32::from(next()) % MAX_MEMBERS;
        let (branching, depth) = (1 + u32::from(next()) % 3, u32::from(next()) % 3);
        let platforms = usize::from(next()) % PLATFORM_MIXES.len();
        let buffer_h = u64::from(next()) % 73;
        let flags = next();
        let (batch_limit, approvers) = (1 + u32::from(next()) % 4, 1 + u32::from(next()) % 3);
        let n_steps = (data.len().saturating_sub(16) / 4).clamp(1, MAX_STEPS);
        let mut at = SimDuration::ZERO;
        let mut steps = Vec::with_capacity(n_steps);
        for _ in 0..n_steps {
            at = (at + time_jump(next())).min(LAST_STEP);
            let op = op_of(next(), MemberId(u32::from(next()) % members), next());
            steps.push(ScriptStep { at, op });
        }
        let cut = SimDuration::from_hours(1 + u64::from(flags >> 4));
        let horizon = if flags & 8 != 0 { at + cut } else { LONGEST_HORIZON };
        ScriptCase {
            seed,
            members,
            branching,
            depth,
            platforms,
            buffer_h,
            mdm_wipe: flags & 1 != 0,
            batch_limit,
            approvers,
            lockout: flags & 2 != 0,
            devices_vanish: flags & 4 != 0,
            horizon,
            steps,
        }
    }

    /// The case as a scenario file.
    pub fn toml(&self) -> String {
        let [ios, android, windows, macos] = PLATFORM_MIXES[self.platforms];
        let edition = if self.mdm_wipe { "pro" } else { "basic" };
        // Pro keeps two modules, basic none; customers are always handed
        // over, with books past one call and one day, so the invariants of
        // both are checked after every event.
        let keep = if self.mdm_wipe { r#"["mail", "chat"]"# } else { "[]" };
        format!(
            "name = \"script-case\"\nhorizon = \"{horizon}\"\nseed = {seed}\nreplications = 1\n\n\
             [org]\nmembers = {members}\ndepartments = {{ branching = {branching}, depth = {depth} }}\n\
             platforms = {{ ios = {ios:?}, android = {android:?}, windows = {windows:?}, macos = {macos:?} }}\n\n\
             [policy]\nbuffer = \"{buffer_h}h\"\nedition = \"{edition}\"\nmdm_wipe = {wipe}\nbatch_limit = {limit}\n\
             keep_modules = {keep}\ncustomer_handover = {{ customers_mean = 250.0, group_chats_mean = 400.0 }}\n\
             approval = {{ servers = {approvers}, service = {{ exp = \"1h\" }} }}\n\
             lockout_recovery = {{ fixed = \"{recovery}\" }}\n\n\
             [behaviour]\nlockout_given_uninstall = {lockout}\ndevice_never_checks_in = {vanish}\n\n{script}",
            horizon = self.horizon.exact_text(),
            seed = self.seed,
            members = self.members,
            branching = self.branching,
            depth = self.depth,
            buffer_h = self.buffer_h,
            wipe = self.mdm_wipe,
            limit = self.batch_limit,
            approvers = self.approvers,
            recovery = LOCKOUT_RECOVERY.exact_text(),
            lockout = if self.lockout { "1.0" } else { "0.0" },
            vanish = if self.devices_vanish { "0.5" } else { "0.0" },
            script = script_toml(&self.steps),
        )
    }

    /// Parses the case's file and runs its one replication, checked after
    /// every event; `on_event` sees the world after each. The error is a
    /// counterexample report.
    pub fn run(&self, on_event: &mut dyn FnMut(&World<'_>)) -> Result<(Scenario, Replication), String> {
        let text = self.toml();
        let scenario = parse_scenario("script-case.toml", &text).map_err(|e| self.report(&e.to_string()))?;
        if !matches!(&scenario.workload.kind, unbindsim::model::WorkloadKind::Script { steps } if *steps == self.steps)
        {
            return Err(self.report("the file does not read back to the case's steps"));
        }
        let org = generate(&scenario.org, self.seed);
        let experiment = Experiment {
            org: &org,
            policy: &scenario.policy,
            behaviour: &scenario.behaviour,
            workload: &scenario.workload,
            horizon: SimTime::ZERO + scenario.horizon,
            max_events: MAX_EVENTS,
            leak_risk_at: &unbindsim::model::LEAK_RISK_DEFAULT,
        };
        let replication = run_checked(&experiment, self.seed, 0, on_event).map_err(|f| self.report(&f.to_string()))?;
        Ok((scenario, replication))
    }

    /// What went wrong, the scenario file, and the command that replays it;
    /// the file is also written under `target/counterexamples/`.
    pub fn report(&self, what: &str) -> String {
        let text = self.toml();
        let path = std::path::Path::new("target/counterexamples/script-case.toml");
        let written = std::fs::create_dir_all("target/counterexamples").and_then(|()| std::fs::write(path, &text));
        let file = if written.is_ok() { path.display().to_string() } else { "script-case.toml".to_owned() };
        format!("{what}\n--- {file} ---\n{text}---\nreplay: unbindsim run {file}\n")
    }
}

/// A time jump: none, or 1–63 minutes, hours or days.
fn time_jump(byte: u8) -> SimDuration {
    let amount = u64::from(byte & 63);
    match byte >> 6 {
        0 => SimDuration::ZERO,
        1 => SimDuration::from_mins(amount),
        2 => SimDuration::from_hours(amount),
        _ => SimDuration::from_days(amount),
    }
}

/// One of the seven operations on `member`, by `kind` modulo 7.
pub fn op_of(kind: u8, member: MemberId, extra: u8) -> ScriptOp {
    match kind % 7 {
        0 => ScriptOp::Unbind { member, by: Unbinder::Member },
        1 => ScriptOp::Unbind { member, by: Unbinder::Admin(AdminTier::Super) },
        2 => ScriptOp::Unbind { member, by: Unbinder::Admin(AdminTier::Department) },
        3 => ScriptOp::Unbind { member, by: Unbinder::Admin(AdminTier::App) },
        4 => ScriptOp::ChangeDevice { member, uninstall: false },
        5 => ScriptOp::ChangeDevice { member, uninstall: true },
        _ => ScriptOp::Revoke { member, nth: extra % 4 },
    }
}
