//! Live load: the same scenario that drives the simulation drives a real
//! SCIM 2.0 service. A run builds the schedule from the model
//! (`schedule`), discovers the service (`scim`, over the keep-alive connections of
//! `http`), provisions the org's
//! members and departments (`provision`), replays the unbinds on an
//! open-model schedule with coordinated omission corrected (`replay`,
//! `record`), checks what the service still shows (`verify`) and writes
//! the summary, the interval log and the sim-vs-live table (`report`,
//! `summarize`), with the verdicts on the scenario's live objectives
//! (`objectives`). While it runs, `monitor` publishes snapshots of the
//! counters (to the command line's `Progress`, and to `exposition`, the
//! Prometheus responder of `--metrics-addr`) and stops the replay when an
//! `abort_on_fail` objective fails; `plan` refuses a plan with nothing to
//! replay or too long before anything is sent.
//!
//! **Architecture invariant:** only `live` touches tokio and the network,
//! and it reads the wall clock to pace a load run; nothing before it knows
//! a live run exists. It says its progress through the command line's
//! `Progress` (the terminal stays the command line's), serialises its own summary and
//! writes files only through `report` (`publish_folder`: its summary and
//! interval log as one folder). The live side only
//! talks to the URL it is given (no redirects are followed), and the bearer
//! token is never written anywhere, nor are credentials in the URL (`redacted`
//! is the only form of a URL that is printed or written).
//!
//! The submodules are private but `parse` (the pure readers of SCIM
//! answers, public for the fuzz targets): the command line sees only the
//! load configuration, its limits and errors, the request modes, the
//! snapshots it may draw and `run`.

mod exposition;
mod http;
mod monitor;
mod objectives;
pub mod parse;
mod plan;
mod provision;
mod record;
mod replay;
mod report;
mod schedule;
mod scim;
mod summarize;
mod verify;

mod run;

pub use exposition::metrics_address;
pub use monitor::{Phase, Progress, Snapshot};
pub use replay::Mode;
pub use run::{Limits, LoadConfig, LoadError, results_directory, run};
pub use scim::{CREDENTIALS_AND_TOKEN, has_credentials, redacted};
