//! `unbindsim explain SCENARIO --member ID` (or `--device`, `--grant`):
//! replays one replication as a run would and prints the subject's path —
//! every event that touched it, the draws that decided it with the key and
//! value that applied, each state it entered, its races and residue — and
//! what its member is left with at the horizon. `--find OUTCOME` lists the
//! first members of the replication with that outcome, each with the
//! command that explains it. Nothing is written; ordinary runs keep no
//! trace.

use super::CliError;
use super::options::ScenarioOptions;
use super::output::print_out;
use crate::model::{DeviceId, GrantId, MemberEnd, MemberId, RaceKind, ResidueKind, Subject};
use crate::report::{entity_name, found_json, found_text, member_facts, timeline_json, timeline_text};
use crate::runner::{ReplayError, explain as replay_explain, find as replay_find};
use crate::scenario::{OrgMode, Scenario};
use clap::{ArgGroup, Args};

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("subject").required(true).args(["member", "device", "grant", "find"])))]
pub struct ExplainArgs {
    /// A scenario file or a built-in scenario's name.
    scenario: String,
    /// The member to follow, with its devices and grants (ids from 0, as
    /// a script names them).
    #[arg(long, value_name = "ID")]
    member: Option<u32>,
    /// The device to follow, with its member.
    #[arg(long, value_name = "ID")]
    device: Option<u32>,
    /// The grant to follow, with its member.
    #[arg(long, value_name = "ID")]
    grant: Option<u32>,
    /// List the first members with this outcome at the horizon:
    /// `locked_out` (uninstalling first locked the account), `unfinished`
    /// (decided, not done), `exposed` (an access path live at the horizon),
    /// `residue=KIND` (or `residue=any`), `race=KIND`.
    #[arg(long, value_name = "OUTCOME")]
    find: Option<String>,
    /// How many members `--find` lists.
    #[arg(long, default_value_t = 10, value_name = "N")]
    limit: usize,
    /// The replication to replay (from 0): the one a run of more
    /// replications, on the same seed, counts under this index.
    #[arg(long, default_value_t = 0, value_name = "K")]
    replication: u32,
    #[command(flatten)]
    options: ScenarioOptions,
    /// Print one JSON document (exact microseconds) instead of the text.
    #[arg(long)]
    json: bool,
}

pub fn explain(args: ExplainArgs) -> Result<(), CliError> {
    let scenario = args.options.load(&args.scenario)?;
    let seed = args.options.seed_for(&scenario);
    if let Some(text) = &args.find {
        return find(&args, &scenario, seed, text);
    }
    let subject = match (args.member, args.device, args.grant) {
        (Some(member), _, _) => Subject::Member(MemberId(member)),
        (_, Some(device), _) => Subject::Device(DeviceId(device)),
        (_, _, Some(grant)) => Subject::Grant(GrantId(grant)),
        (None, None, None) => unreachable!("clap requires one subject"),
    };
    let explained = replay_explain(&scenario, seed, args.replication, subject).map_err(replay_error)?;
    let replay = replay_command(&args, &scenario, seed, &subject_flag(subject));
    if args.json {
        print_out(&timeline_json(&explained, &scenario.name, &replay));
    } else {
        let facts = member_facts(&explained.org, &explained.trace);
        print_out(&timeline_text(&explained, &facts, &scenario.name, &replay));
    }
    Ok(())
}

fn find(args: &ExplainArgs, scenario: &Scenario, seed: u64, text: &str) -> Result<(), CliError> {
    let outcome = Outcome::parse(text)?;
    let matches = |end: &MemberEnd| outcome.matches(end);
    let (run, found, total) =
        replay_find(scenario, seed, args.replication, &matches, args.limit).map_err(replay_error)?;
    if args.json {
        print_out(&found_json(&run, text, &scenario.name, &found, total));
    } else {
        let replay_of = |end: &MemberEnd| replay_command(args, scenario, seed, &format!("--member {}", end.member.0));
        print_out(&found_text(&run, text, &scenario.name, &found, total, &replay_of));
    }
    Ok(())
}

fn replay_error(error: ReplayError) -> CliError {
    match error {
        ReplayError::NoSuchSubject(why) => CliError::BadInput(why),
        ReplayError::Fault(fault) => CliError::Runtime(fault.to_string()),
    }
}

/// `--member 5` for member 5: its flag is its name.
fn subject_flag(subject: Subject) -> String {
    format!("--{}", entity_name(subject.entity()))
}

/// The command that prints this subject's timeline again.
fn replay_command(args: &ExplainArgs, scenario: &Scenario, seed: u64, subject: &str) -> String {
    let mut command =
        format!("unbindsim explain {} {subject} --replication {} --seed {seed}", args.scenario, args.replication);
    if let Some(members) = args.options.members {
        command += &format!(" --members {members}");
    }
    if scenario.org_mode == OrgMode::Shared {
        command += &format!(" --org shared --org-seed {}", scenario.org_seed.unwrap_or(seed));
    }
    command
}

/// An outcome `--find` looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    LockedOut,
    Unfinished,
    Exposed,
    /// Any residue when `None`.
    Residue(Option<ResidueKind>),
    Race(RaceKind),
}

impl Outcome {
    fn parse(text: &str) -> Result<Outcome, CliError> {
        let named = |names: Vec<&str>, what: &str, value: &str| {
            CliError::BadInput(format!("--find {text}: no {what} is called `{value}`; one of: {}", names.join(", ")))
        };
        match text.split_once('=') {
            None => match text {
                "locked_out" => Ok(Outcome::LockedOut),
                "unfinished" => Ok(Outcome::Unfinished),
                "exposed" => Ok(Outcome::Exposed),
                _ => Err(CliError::BadInput(format!(
                    "--find {text}: one of locked_out, unfinished, exposed, residue=KIND, residue=any, race=KIND"
                ))),
            },
            Some(("residue", "any")) => Ok(Outcome::Residue(None)),
            Some(("residue", kind)) => ResidueKind::ALL
                .into_iter()
                .find(|k| k.name() == kind)
                .map(|k| Outcome::Residue(Some(k)))
                .ok_or_else(|| named(ResidueKind::ALL.map(ResidueKind::name).to_vec(), "residue kind", kind)),
            Some(("race", kind)) => RaceKind::ALL
                .into_iter()
                .find(|k| k.name() == kind)
                .map(Outcome::Race)
                .ok_or_else(|| named(RaceKind::ALL.map(RaceKind::name).to_vec(), "race kind", kind)),
            Some((key, _)) => {
                Err(CliError::BadInput(format!("--find {text}: `{key}=` is not an outcome; residue= or race=")))
            }
        }
    }

    fn matches(self, end: &MemberEnd) -> bool {
        match self {
            Outcome::LockedOut => end.locked_out,
            Outcome::Unfinished => end.unfinished(),
            Outcome::Exposed => end.still_exposed(),
            Outcome::Residue(None) => !end.all_residue().is_empty(),
            Outcome::Residue(Some(kind)) => end.all_residue().contains(kind),
            Outcome::Race(kind) => end.races.contains(&kind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_parse_by_the_names_outputs_use_and_others_are_refused_with_the_choices() {
        assert_eq!(Outcome::parse("locked_out").ok(), Some(Outcome::LockedOut));
        assert_eq!(Outcome::parse("residue=any").ok(), Some(Outcome::Residue(None)));
        assert_eq!(Outcome::parse("residue=credentials").ok(), Some(Outcome::Residue(Some(ResidueKind::Credentials))));
        assert_eq!(Outcome::parse("race=token_after_disable").ok(), Some(Outcome::Race(RaceKind::TokenAfterDisable)));
        let Err(CliError::BadInput(why)) = Outcome::parse("residue=crumbs") else { panic!("refused") };
        assert!(why.contains("no residue kind is called `crumbs`") && why.contains("credentials"), "{why}");
        assert!(matches!(Outcome::parse("lost"), Err(CliError::BadInput(_))));
        assert!(matches!(Outcome::parse("state=active"), Err(CliError::BadInput(_))));
    }
}
