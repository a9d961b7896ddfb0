//! The scenario file format: parsing and validating TOML into a model
//! configuration and a workload.
//!
//! - [`units`] reads the human spellings of quantities (`"72h"`, `"40/d"`,
//!   `{ exp = "4h" }`, probabilities) straight from TOML values, so a bad
//!   value is reported at its own position in the file.
//! - [`location`] turns deserialization errors, and semantic errors found
//!   afterwards, into [`ScenarioError`]s that name the file, line, column
//!   and dotted key.

pub mod build;
pub mod builtin;
pub mod describe;
pub mod figure;
pub mod load;
pub mod location;
pub mod script;
pub mod slo;
pub mod spec;
pub mod units;

pub use build::{OrgMode, Scenario};
pub use builtin::{BUILTIN, builtin};
pub use figure::{Figure, Latency, Quantile, Unit};
pub use load::{load_scenario, load_with_overrides, parse_scenario};
pub use location::ScenarioError;
pub use script::{script_toml, step_toml};
pub use slo::{Comparison, Slo, parse_slo, slo_keys};
