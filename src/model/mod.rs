//! The enterprise: organisation, members, admins and their tiers, devices
//! by platform, app grants and tokens, policies, and the world that moves
//! them through unbinds as the engine hands it events.
//!
//! **Architecture invariant:** the model knows the engine and nothing after
//! it: it reads and writes nothing (no file, terminal or clock), parses and
//! serialises no format, starts no thread and computes no statistic (it
//! counts; `metrics` computes). The one trace of the scenario file: a
//! configuration error names its field by the dotted key a scenario file
//! uses (`policy.buffer`), so `scenario` can point at the line.
//!
//! The submodules are private; what later layers, tests, benches and fuzz
//! targets use is re-exported here, with the types that appear in those
//! items' public fields and signatures, so callers write `model::Org`, not
//! `model::org::Org`. Inside the layer an item is `pub` when a sibling
//! module uses it and private when only its own file does.

mod calendar;
mod config;
mod customers;
mod exposure;
mod ids;
mod invariants;
mod modules;
mod observe;
mod org;
mod platform;
mod queues;
mod residue_survival;
mod script;
mod state;
mod trace;
mod workload;
mod world;

pub use calendar::{fewest_working_days, working_days_in};
pub use config::{ApiLimits, ApiRules, Behaviour, Edition, FieldError, PerPlatform, Policy, PoolConfig};
pub use customers::{CUSTOMERS_PER_CALL, CustomerHandover, GROUP_CHATS_PER_DAY, TAKEOVER};
pub use exposure::{ExposurePath, ExposureTally, LEAK_RISK_DEFAULT, LeakPoint, TokenEnd, TokenTally};
pub use ids::{AdminId, AppId, DepartmentId, DeviceId, GrantId, MemberId, RequestId};
pub use invariants::{Violation, check_counts, check_outcomes, ensure};
pub use modules::{Module, ModuleSet};
pub use observe::{
    AuditTally, BatchTier, Censored, Count, CustomerTally, ModuleTally, Observations, Outcomes, QueueTally, RaceKind,
    RaceTally, ResidueTally, TierLatencies, Unfinished,
};
pub use org::{Admin, AdminTier, App, Department, Device, Grant, Member, Org, Roles};
pub use platform::{DeviceExit, Fate, Platform, Residue, ResidueKind, ResidueRule};
pub use queues::{BacklogPoint, ConsoleBacklog, PoolKind};
pub use residue_survival::{ResiduePoint, ResidueSurvivalTally};
pub use script::{MAX_SCRIPT_STEPS, ScriptOp, ScriptStep, Unbinder};
pub use state::{DeviceState, GrantState, IllegalTransition, MemberState, Outcome};
pub use trace::{AccessEnds, DeviceEnd, DrawRule, Drawn, Entity, Entry, GrantEnd, MemberEnd, Step, Subject, Trace};
pub use workload::{
    AdminBatchParams, Arrivals, ComplianceDualControlParams, DeviceChangeParams, DissolutionParams, GdprExportParams,
    SubsidiarySplitParams, TierMix, Workload, WorkloadKind,
};
pub use world::{AccountRevocation, Event, World, finish};
