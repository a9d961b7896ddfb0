//! Any bytes → (if UTF-8 JSON) a shard file as `merge` reads it: parsed,
//! checked, and — if it passes the checks — merged alone and with itself.
//! Errors are fine; a panic, abort, overflow, hang or OOM is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unbindsim::metrics::{ShardFile, merge_shards};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(shard) = serde_json::from_str::<ShardFile>(text) else { return };
    if shard.check().is_ok() {
        let _ = merge_shards(std::slice::from_ref(&shard));
        let _ = merge_shards(&[shard.clone(), shard]);
    }
});
