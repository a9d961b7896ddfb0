//! Objectives decided in rounds (`run --until-decided`): replications are
//! added a round at a time and every objective still undecided is looked
//! at again, until each is PASS or FAIL or the cap is reached.
//!
//! Looking repeatedly at a 95 % interval would let a wrong verdict through
//! far more than 5 % of the time, so each look spends part of the 5 %:
//! look *k*, after `n_k` of at most `N` replications, uses intervals at
//! level `1 − α_k` with `α_k = f(n_k / N) − f(n_{k−1} / N)` and the
//! Pocock-type spending function `f(t) = α · ln(1 + (e − 1) · t)` (Lan and
//! DeMets). The α_k add up to at most α = 5 %, so by the union bound the
//! chance that any look gives an objective a wrong PASS or FAIL is at most
//! 5 % — with no assumption about how the looks are correlated, which makes
//! the procedure conservative rather than exact.

use super::interval::Level;
use super::slo::{SloOutcome, Verdict};

/// The error rate the whole sequence of looks spends.
const ALPHA: f64 = 0.05;

/// The share of α spent once `replications` of at most `cap` have run.
fn spent(replications: u32, cap: u32) -> f64 {
    let t = (f64::from(replications) / f64::from(cap)).min(1.0);
    ALPHA * (1.0 + (std::f64::consts::E - 1.0) * t).ln()
}

/// The level of the look after `replications`, the previous look having
/// been after `previous` (0 for the first).
pub fn look_level(previous: u32, replications: u32, cap: u32) -> Level {
    Level::with_alpha(spent(replications, cap) - spent(previous, cap))
}

/// When and at what level an objective was decided.
#[derive(Clone, Debug, PartialEq)]
pub struct SequentialVerdict {
    pub verdict: Verdict,
    /// The look (1 for the first) the verdict comes from.
    pub look: u32,
    /// Replications run at that look.
    pub replications: u32,
    pub level: Level,
}

/// The objectives of one scenario across the looks of a sequential run.
#[derive(Clone, Debug, Default)]
pub struct Sequence {
    verdicts: Vec<Option<SequentialVerdict>>,
    looks: u32,
}

impl Sequence {
    /// Takes the verdicts of one look (one per objective, in order, made at
    /// `level` after `replications`): a decided objective keeps its first
    /// PASS or FAIL; an undecided one keeps the latest look's words.
    pub fn look(&mut self, verdicts: Vec<Verdict>, replications: u32, level: Level) {
        self.looks += 1;
        self.verdicts.resize(verdicts.len(), None);
        for (slot, verdict) in self.verdicts.iter_mut().zip(verdicts) {
            if slot.as_ref().is_some_and(|kept| kept.verdict.outcome != SloOutcome::Undecided) {
                continue;
            }
            *slot = Some(SequentialVerdict { verdict, look: self.looks, replications, level });
        }
    }

    /// Whether every objective is PASS or FAIL.
    pub fn decided(&self) -> bool {
        self.verdicts.iter().all(|slot| slot.as_ref().is_some_and(|v| v.verdict.outcome != SloOutcome::Undecided))
    }

    pub fn looks(&self) -> u32 {
        self.looks
    }

    /// The verdicts, each with when it was reached, the explanation saying so.
    pub fn verdicts(&self) -> Vec<Verdict> {
        self.verdicts
            .iter()
            .flatten()
            .map(|kept| {
                let mut verdict = kept.verdict.clone();
                verdict.explanation = format!(
                    "look {} ({} replications, {} intervals): {}",
                    kept.look,
                    kept.replications,
                    kept.level.label(),
                    verdict.explanation
                );
                verdict
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_looks_spend_exactly_five_percent_by_the_cap() {
        let cap = 50;
        let mut previous = 0;
        let mut total = 0.0;
        for replications in (10..=cap).step_by(10) {
            let alpha = look_level(previous, replications, cap).alpha();
            assert!(alpha > 0.0 && alpha < ALPHA, "{alpha}");
            total += alpha;
            previous = replications;
        }
        assert!((total - ALPHA).abs() < 1e-12, "{total}");
        // Pocock-type: the first of five looks spends f(0.2) = 0.05 ln(1.3437).
        let first = look_level(0, 10, cap).alpha();
        assert!((first - 0.05 * (1.0 + (std::f64::consts::E - 1.0) * 0.2).ln()).abs() < 1e-15);
        assert!((first - 0.014_77).abs() < 1e-4, "{first}");
    }

    fn verdict(outcome: SloOutcome, words: &str) -> Verdict {
        Verdict {
            objective: "lockout_rate < 0.1".into(),
            outcome,
            observed: None,
            bound_used: None,
            interval: None,
            explanation: words.into(),
        }
    }

    #[test]
    fn a_decided_objective_keeps_its_first_verdict_and_the_rest_wait() {
        let mut sequence = Sequence::default();
        let level = look_level(0, 10, 30);
        sequence.look(vec![verdict(SloOutcome::Pass, "a"), verdict(SloOutcome::Undecided, "b")], 10, level);
        assert!(!sequence.decided());
        let level = look_level(10, 20, 30);
        sequence.look(vec![verdict(SloOutcome::Fail, "late"), verdict(SloOutcome::Fail, "c")], 20, level);
        assert!(sequence.decided());
        let verdicts = sequence.verdicts();
        assert_eq!(verdicts[0].outcome, SloOutcome::Pass);
        assert!(
            verdicts[0].explanation.starts_with("look 1 (10 replications, 97.74 % intervals): a"),
            "{}",
            verdicts[0].explanation
        );
        assert_eq!(verdicts[1].outcome, SloOutcome::Fail);
        assert!(verdicts[1].explanation.starts_with("look 2 (20 replications"), "{}", verdicts[1].explanation);
    }
}
