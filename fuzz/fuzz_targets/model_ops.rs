#![no_main]
//! The engine and the model driven by an arbitrary script of operations
//! (unbinds by every kind of unbinder, device changes with and without
//! uninstalling first, grant revocations, time jumps) on a small org: the
//! case is written as a scenario file, parsed, and run with every invariant
//! checked after every event. A failure panics with the scenario file and
//! the command that replays it.

#[path = "../../tests/integration/script_case.rs"]
mod script_case;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let case = script_case::ScriptCase::from_bytes(data);
    if let Err(report) = case.run(&mut |_| {}) {
        panic!("{report}");
    }
});
