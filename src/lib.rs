//! # unbindsim
//!
//! A discrete-event simulator for *unbinding* members, devices and app
//! grants from an enterprise workspace: a member leaves, an admin disables
//! accounts in batches, a phone is replaced, an OAuth grant is revoked, a
//! company dissolves or splits. It measures batch latency, grace-period
//! races, lockout rate and data-residue probability, reproducibly (every
//! draw keyed by seed, entity and purpose) and with confidence intervals.
//!
//! Layers, each knowing only the ones before it: [`engine`] (generic
//! kernel), [`model`] (the enterprise), [`synth`] (synthetic orgs),
//! [`scenario`] (the file format), [`metrics`], [`runner`], [`report`],
//! [`live`] (replaying a scenario against a real SCIM service) and [`cli`].
//! See `ARCHITECTURE.md` for the map and its invariants, which
//! `tests/integration/architecture_invariants.rs` checks.

pub mod cli;
pub mod engine;
pub mod live;
pub mod metrics;
pub mod model;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod synth;
