//! Any bytes → the live driver's readers of SCIM answers (the body is
//! `scim_case.rs`, which the corpus replay test shares). Errors are fine;
//! a panic, abort, overflow (debug assertions are on), hang, OOM, a result
//! larger than its input or a failed round trip is a bug.
#![no_main]

#[allow(dead_code)] // each of the two targets calls one of its bodies
mod scim_case;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    scim_case::retry_after_case(data);
});
