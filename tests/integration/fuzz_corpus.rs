//! Replays every input of every fuzz target's corpus (`fuzz/corpus/<target>/`)
//! through the same calls the target makes, on stable, so CI guards them
//! without a fuzzer: none may panic. The `units`, `model_ops`,
//! `scim_responses` and `retry_after` bodies are the targets' own, included
//! by path.

#[path = "../../fuzz/fuzz_targets/units_case.rs"]
mod units_case;

#[path = "../../fuzz/fuzz_targets/scim_case.rs"]
mod scim_case;

use unbindsim::scenario::parse_scenario;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let directory = std::path::Path::new("fuzz/corpus").join(target);
    let mut inputs: Vec<(String, Vec<u8>)> = std::fs::read_dir(&directory)
        .unwrap_or_else(|e| panic!("{}: {e}", directory.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.display().to_string(), std::fs::read(&path).unwrap())
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "{target}: empty corpus");
    inputs
}

#[test]
fn scenario_loader_corpus_never_panics() {
    for (_, data) in corpus("scenario_loader") {
        if let Ok(text) = std::str::from_utf8(&data)
            && let Err(error) = parse_scenario("fuzz.toml", text)
        {
            let _ = error.to_string();
        }
    }
}

#[test]
fn units_corpus_never_panics() {
    for (_, data) in corpus("units") {
        units_case::units_case(&data);
    }
}

#[test]
fn shard_reader_corpus_never_panics() {
    use unbindsim::metrics::{ShardFile, merge_shards};
    let mut merged = 0;
    for (name, data) in corpus("shard_reader") {
        let Ok(text) = std::str::from_utf8(&data) else { continue };
        let Ok(shard) = serde_json::from_str::<ShardFile>(text) else { continue };
        if shard.check().is_ok() {
            let alone = merge_shards(std::slice::from_ref(&shard));
            merged += usize::from(alone.is_ok() && name.contains("-0-of-1"));
            let _ = merge_shards(&[shard.clone(), shard]);
        }
    }
    assert!(merged > 0, "a complete one-shard run in the corpus merges");
}

#[test]
fn model_ops_corpus_keeps_every_invariant() {
    for (name, data) in corpus("model_ops") {
        let case = super::script_case::ScriptCase::from_bytes(&data);
        case.run(&mut |_| {}).unwrap_or_else(|report| panic!("{name}: {report}"));
    }
}

#[test]
fn scim_responses_corpus_never_panics_and_reads_back() {
    let inputs = corpus("scim_responses");
    let configs = inputs.iter().filter(|(_, data)| unbindsim::live::parse::service_config(data).is_ok()).count();
    assert!(configs >= 3, "the real ServiceProviderConfigs in the corpus read");
    for (_, data) in inputs {
        scim_case::scim_responses_case(&data);
    }
}

#[test]
fn retry_after_corpus_never_panics_and_reads_back() {
    for (_, data) in corpus("retry_after") {
        scim_case::retry_after_case(&data);
    }
}
