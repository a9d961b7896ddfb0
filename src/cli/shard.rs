//! Reading `--shard`: `I/N`, or `auto` / `auto/N` on a cluster scheduler —
//! a Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT) or a
//! Kubernetes Indexed Job (JOB_COMPLETION_INDEX; give N as `auto/N`).

use super::CliError;
use crate::metrics::ShardId;

/// Parses a shard specification, reading the scheduler's variables for `auto`.
pub fn parse_shard(text: &str) -> Result<ShardId, CliError> {
    shard_from(text, |name| std::env::var(name).ok())
}

fn shard_from(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<ShardId, CliError> {
    let bad = |why: String| {
        CliError::BadInput(format!("--shard {text}: {why} (expected I/N with 0 <= I < N, auto or auto/N)"))
    };
    let (index, count) = text.split_once('/').map_or((text, None), |(i, n)| (i, Some(n)));
    let count = match count {
        Some(n) => n.trim().parse::<u32>().map_err(|_| bad(format!("N = \"{n}\" is not a number")))?,
        None if index == "auto" => {
            let n = env("SLURM_ARRAY_TASK_COUNT")
                .ok_or_else(|| bad("SLURM_ARRAY_TASK_COUNT is not set; give N as auto/N".into()))?;
            n.trim().parse().map_err(|_| bad(format!("SLURM_ARRAY_TASK_COUNT = \"{n}\" is not a number")))?
        }
        None => return Err(bad("missing /N".into())),
    };
    let index = if index == "auto" {
        let (name, value) = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"]
            .iter()
            .find_map(|name| env(name).map(|value| (*name, value)))
            .ok_or_else(|| bad("neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set".into()))?;
        value.trim().parse().map_err(|_| bad(format!("{name} = \"{value}\" is not a number")))?
    } else {
        index.trim().parse::<u32>().map_err(|_| bad(format!("I = \"{index}\" is not a number")))?
    };
    if count == 0 || index >= count {
        return Err(bad(format!("shard {index} of {count} does not exist")));
    }
    Ok(ShardId { index, count })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn explicit_and_scheduler_shards() {
        assert_eq!(shard_from("1/3", env(&[])).unwrap(), ShardId { index: 1, count: 3 });
        let slurm = [("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_COUNT", "3")];
        assert_eq!(shard_from("auto", env(&slurm)).unwrap(), ShardId { index: 2, count: 3 });
        assert_eq!(
            shard_from("auto/4", env(&[("JOB_COMPLETION_INDEX", "3")])).unwrap(),
            ShardId { index: 3, count: 4 }
        );
    }

    #[test]
    fn bad_shards_are_bad_input() {
        for text in ["3/3", "1", "x/2", "1/0", "auto"] {
            assert!(matches!(shard_from(text, env(&[])), Err(CliError::BadInput(_))), "{text}");
        }
    }
}
