//! The scenario file format: parsing and validating TOML into a model
//! configuration and a workload.
//!
//! - [`units`] reads the human spellings of quantities (`"72h"`, `"40/d"`,
//!   `{ exp = "4h" }`, probabilities) straight from TOML values, so a bad
//!   value is reported at its own position in the file.
//! - `location` turns deserialization errors, and semantic errors found
//!   afterwards, into [`ScenarioError`]s that name the file, line, column
//!   and dotted key.
//!
//! Every submodule is private except `units`, itself a facade whose own
//! submodules are private behind its re-exports. What other layers, tests,
//! benches and fuzz targets use is re-exported here; inside the layer an item is `pub` when
//! a sibling module uses it and private when only its own file does.

mod build;
mod builtin;
mod describe;
mod figure;
mod input;
mod live_figure;
mod load;
mod location;
mod script;
mod slo;
mod spec;
pub mod units;

pub use build::{MAX_REPLICATIONS, OrgMode, Scenario};
pub use builtin::{BUILTIN, builtin};
pub use describe::Setting;
pub use figure::{Figure, Latency, Quantile, Unit};
pub use input::{read_capped, size_text};
pub use live_figure::{LiveFigure, LiveSlo, LiveUnit, RequestLatency};
pub use load::{load_scenario, load_with_overrides, parse_scenario};
pub use location::ScenarioError;
pub use script::script_toml;
pub use slo::{Comparison, Slo, parse_slo};
