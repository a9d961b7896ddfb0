//! The integration tests, one binary: the command line end to end,
//! determinism across threads and runs, the headline figure of each seed
//! scenario against the value its parameters imply, and property tests of
//! the engine and the model, live load against a real SCIM server, and the
//! architecture invariants read from `src/`.

mod admin_rules;
mod api_rules;
mod architecture_invariants;
mod bad_input;
mod by_construction;
mod cli;
mod cli_parameters;
mod common;
mod compliance_rules;
mod coordinated_omission;
mod coverage_collapse;
mod crash_safety;
mod determinism;
mod device_rules;
mod docs_paths;
mod engine_properties;
mod explain;
mod exposure_rules;
mod fast_scim;
mod fuzz_corpus;
mod headline;
mod hostile_files;
mod json_output;
mod junit;
mod latency_censoring;
mod leaver_rules;
mod live;
mod live_faults;
mod live_gates;
mod model_properties;
mod newcomer;
mod outputs;
mod overwrite;
mod pipes_and_signals;
mod queue_rules;
mod residue_over_time;
mod script_case;
mod script_model;
mod workflow;
