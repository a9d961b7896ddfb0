//! Shard results: the records of one share of a run's replications, with
//! everything needed to check that shards belong together, and the merge
//! that turns a complete set back into the summary an unsharded run writes.

use super::record::ReplicationRecord;
use super::summary::{RunInfo, SCHEMA_VERSION, Summary, Timing};
use crate::scenario::MAX_REPLICATIONS;
use serde::{Deserialize, Serialize};

/// Largest result file (shard or summary) read back, in bytes: room for
/// 100 000 replications of a seed scenario (a record takes a few KiB), and
/// a bound on what a forged or endless file (a link to `/dev/zero`) costs.
pub const MAX_RESULT_BYTES: u64 = 256 << 20;

/// Marks a file as a shard result.
pub const SHARD_KIND: &str = "unbindsim-shard";

/// Which share of the replications a shard ran: those whose index is
/// `index` modulo `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardId {
    pub index: u32,
    pub count: u32,
}

impl ShardId {
    /// The replication indices this shard runs out of `replications`.
    pub fn replications(self, replications: u32) -> Vec<u32> {
        (0..replications).filter(|r| r % self.count == self.index).collect()
    }
}

/// One shard's result file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    pub schema_version: u32,
    pub kind: String,
    pub info: RunInfo,
    pub shard: ShardId,
    pub timing: Timing,
    pub records: Vec<ReplicationRecord>,
}

impl ShardFile {
    pub fn new(info: RunInfo, shard: ShardId, timing: Timing, records: Vec<ReplicationRecord>) -> ShardFile {
        ShardFile { schema_version: SCHEMA_VERSION, kind: SHARD_KIND.to_owned(), info, shard, timing, records }
    }

    /// Checks what one file must satisfy on its own.
    pub fn check(&self) -> Result<(), String> {
        if self.kind != SHARD_KIND {
            return Err(format!("not a shard result (kind \"{}\")", self.kind));
        }
        if self.schema_version != SCHEMA_VERSION {
            return Err(format!("schema version {} (this build reads {SCHEMA_VERSION})", self.schema_version));
        }
        if self.info.replications == 0 {
            return Err("declares 0 replications; a run has at least 1".into());
        }
        if self.info.replications > MAX_REPLICATIONS {
            return Err(format!(
                "{} replications, more than the {MAX_REPLICATIONS} a run may have",
                self.info.replications
            ));
        }
        if self.shard.count == 0 || self.shard.index >= self.shard.count {
            return Err(format!("shard {}/{} is not a valid share", self.shard.index, self.shard.count));
        }
        let expected = self.shard.replications(self.info.replications);
        let found: Vec<u32> = self.records.iter().map(|r| r.index).collect();
        if found != expected {
            return Err(format!(
                "shard {}/{} of {} replications should hold replications {expected:?}, holds {found:?}",
                self.shard.index, self.shard.count, self.info.replications
            ));
        }
        self.records.iter().try_for_each(ReplicationRecord::check_shape)
    }
}

/// Merges a complete set of shards of one run into its summary. Shards
/// must agree on everything but their share, and cover every replication
/// exactly once.
pub fn merge_shards(shards: &[ShardFile]) -> Result<Summary, String> {
    let first = shards.first().ok_or("no shard to merge")?;
    for shard in shards {
        shard.check()?;
        if shard.info != first.info {
            return Err(format!(
                "shards of different runs: shard {}/{} is {} seed {} ({} members, {} replications), shard {}/{} is {} seed {} ({} members, {} replications){}",
                first.shard.index,
                first.shard.count,
                first.info.scenario,
                first.info.seed,
                first.info.members,
                first.info.replications,
                shard.shard.index,
                shard.shard.count,
                shard.info.scenario,
                shard.info.seed,
                shard.info.members,
                shard.info.replications,
                if first.info.parameters != shard.info.parameters { ", parameters differ" } else { "" }
            ));
        }
        if shard.shard.count != first.shard.count {
            return Err(format!("shards split differently: {} and {} shards", first.shard.count, shard.shard.count));
        }
    }
    let mut indices: Vec<u32> = shards.iter().map(|s| s.shard.index).collect();
    indices.sort_unstable();
    if let Some(pair) = indices.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(format!("shard {}/{} given twice (overlapping shards)", pair[0], first.shard.count));
    }
    // Indices are distinct and below the count: complete when there are `count` of them.
    let missing = u64::from(first.shard.count) - indices.len() as u64;
    if missing > 0 {
        return Err(format!(
            "incomplete: {missing} of {} shards missing (the first: {:?})",
            first.shard.count,
            first_missing(&indices, SHOWN_MISSING)
        ));
    }
    let mut records: Vec<ReplicationRecord> = shards.iter().flat_map(|s| s.records.iter().cloned()).collect();
    records.sort_by_key(|r| r.index);
    Ok(Summary::build(first.info.clone(), &records, merged_timing(shards)))
}

/// Missing shards named in a message; the rest are only counted.
const SHOWN_MISSING: usize = 10;

/// The first `most` numbers absent from the sorted, distinct `present`,
/// found without walking a forged shard count.
fn first_missing(present: &[u32], most: usize) -> Vec<u32> {
    let mut missing = Vec::new();
    let mut next = 0u32;
    for &index in present.iter().chain(std::iter::once(&u32::MAX)) {
        while next < index && missing.len() < most {
            missing.push(next);
            next += 1;
        }
        if missing.len() == most {
            break;
        }
        next = index.saturating_add(1);
    }
    missing
}

/// Wall and replication times summed over shards; hosts listed once each.
fn merged_timing(shards: &[ShardFile]) -> Timing {
    let wall_ms: f64 = shards.iter().map(|s| s.timing.wall_ms).sum();
    let replication_ms: f64 = shards.iter().map(|s| s.timing.replication_ms).sum();
    let events: f64 = shards.iter().map(|s| s.timing.events_per_sec * s.timing.replication_ms / 1e3).sum();
    let mut hosts: Vec<&str> = shards.iter().map(|s| s.timing.host.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    Timing {
        wall_ms,
        replication_ms,
        events_per_sec: events / (replication_ms / 1e3).max(1e-9),
        threads: shards.iter().map(|s| s.timing.threads).sum(),
        host: hosts.join(","),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_missing_shards_are_found_without_walking_the_count() {
        assert_eq!(first_missing(&[0, 2, 3, 7], 3), vec![1, 4, 5]);
        assert_eq!(first_missing(&[], 2), vec![0, 1]);
        assert_eq!(first_missing(&[1], 10).len(), 10);
    }

    #[test]
    fn shares_partition_the_replications() {
        let all: Vec<u32> = (0..3).flat_map(|index| ShardId { index, count: 3 }.replications(10)).collect();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert_eq!(ShardId { index: 1, count: 3 }.replications(10), vec![1, 4, 7]);
    }
}
