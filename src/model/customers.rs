//! Customer handover by API after a member leaves (WeCom's transfer of a
//! departed member's customers and group chats to a successor): at most
//! 100 customers per call; a call only starts the transfer, each customer
//! is taken over 24 h later unless the customer refuses (status 3) or the
//! successor's quota is full (status 4); group chats move at most 300 a day
//! per owner. Off unless `policy.customer_handover` is set.
//!
//! How many customers and group chats a member has is drawn from the
//! member's own stream when it leaves (the org and its digests stay as
//! they are, and every policy sees the same member with the same book):
//! a member owns customers with `owner_share`, and then a geometric number
//! of them on {1, 2, …} of mean `customers_mean` (most members none, a few
//! very many); a group owner (`org.roles.group_owner`) owns a geometric
//! number of group chats of mean `group_chats_mean`.

use super::config::{FieldError, check_probability};
use crate::engine::SimDuration;

/// Customers one transfer call takes.
pub const CUSTOMERS_PER_CALL: u64 = 100;
/// From a call to its customers' takeover.
pub const TAKEOVER: SimDuration = SimDuration::from_hours(24);
/// Group chats one owner's successor can take over in a day.
pub const GROUP_CHATS_PER_DAY: u64 = 300;
/// Most customers or group chats one member is drawn with.
const MAX_BOOK: u64 = 1_000_000;

/// `policy.customer_handover`: who has customers and how transfers end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CustomerHandover {
    /// Share of members with customers of their own.
    pub owner_share: f64,
    /// Mean customers of a member who has any (geometric on 1, 2, …).
    pub customers_mean: f64,
    /// Share of customers who refuse the takeover (status 3).
    pub refused: f64,
    /// Share of the others lost to the successor's full quota (status 4).
    pub quota_full: f64,
    /// Mean group chats of a group owner (geometric on 1, 2, …).
    pub group_chats_mean: f64,
}

impl Default for CustomerHandover {
    /// Assumptions (the source gives no shares): a third of members keep
    /// customers, 120 on average; 5 % refuse, 2 % of the rest meet a full
    /// quota; a group owner owns 100 group chats on average, so about one
    /// in twenty needs more than a day to hand them over.
    fn default() -> Self {
        CustomerHandover {
            owner_share: 0.3,
            customers_mean: 120.0,
            refused: 0.05,
            quota_full: 0.02,
            group_chats_mean: 100.0,
        }
    }
}

impl CustomerHandover {
    pub fn validate(&self) -> Result<(), FieldError> {
        let path = |key: &str| format!("policy.customer_handover.{key}");
        check_probability(&path("owner_share"), self.owner_share)?;
        check_probability(&path("refused"), self.refused)?;
        check_probability(&path("quota_full"), self.quota_full)?;
        for (key, mean) in [("customers_mean", self.customers_mean), ("group_chats_mean", self.group_chats_mean)] {
            if !(mean.is_finite() && (1.0..=MAX_BOOK as f64).contains(&mean)) {
                return Err(FieldError::new(path(key), format!("must be a mean in [1, {MAX_BOOK}], got {mean}")));
            }
        }
        Ok(())
    }
}

/// A geometric count on {1, 2, …} of mean `mean`, by inversion of the
/// uniform `u` in [0, 1): 1 + ⌊ln(1 − u) / ln(1 − 1/mean)⌋, at most
/// `MAX_BOOK`.
pub fn geometric(mean: f64, u: f64) -> u64 {
    if mean <= 1.0 {
        return 1;
    }
    let extra = ((1.0 - u).ln() / (1.0 - 1.0 / mean).ln()).floor();
    if extra.is_finite() { (1.0 + extra.max(0.0)).min(MAX_BOOK as f64) as u64 } else { MAX_BOOK }
}

/// Transfer calls for `customers` customers.
pub fn calls_for(customers: u64) -> u64 {
    customers.div_ceil(CUSTOMERS_PER_CALL)
}

/// Days the successor takes to take over `chats` group chats.
pub fn group_chat_days(chats: u64) -> u64 {
    chats.div_ceil(GROUP_CHATS_PER_DAY)
}

/// From the leave to the last group chat taken over: the first day's
/// chats move at once, the last day's `days − 1` days later.
pub fn group_chat_time(chats: u64) -> SimDuration {
    SimDuration::from_days(group_chat_days(chats).saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_and_days_round_up() {
        assert_eq!([0, 1, 100, 101, 250].map(calls_for), [0, 1, 1, 2, 3]);
        assert_eq!([0, 1, 300, 301, 901].map(group_chat_days), [0, 1, 1, 2, 4]);
        assert_eq!(group_chat_time(0), SimDuration::ZERO);
        assert_eq!(group_chat_time(300), SimDuration::ZERO);
        assert_eq!(group_chat_time(601), SimDuration::from_days(2));
    }

    #[test]
    fn the_geometric_count_has_its_mean_and_starts_at_one() {
        assert_eq!(geometric(1.0, 0.7), 1);
        assert_eq!(geometric(50.0, 0.0), 1);
        let n = 100_000;
        let mean = (0..n).map(|i| geometric(50.0, (f64::from(i) + 0.5) / f64::from(n)) as f64).sum::<f64>() / 1e5;
        assert!((mean - 50.0).abs() < 0.5, "{mean}");
        // P(count > 300) for mean 100: (1 - 1/100)^300 = 0.049.
        let over = (0..n).filter(|&i| geometric(100.0, (f64::from(i) + 0.5) / f64::from(n)) > 300).count();
        assert!((over as f64 / 1e5 - 0.049).abs() < 0.002, "{over}");
    }

    #[test]
    fn bounds_are_checked_by_key() {
        let bad = CustomerHandover { customers_mean: 0.5, ..CustomerHandover::default() };
        assert_eq!(bad.validate().unwrap_err().field, "policy.customer_handover.customers_mean");
        let bad = CustomerHandover { refused: 1.5, ..CustomerHandover::default() };
        assert_eq!(bad.validate().unwrap_err().field, "policy.customer_handover.refused");
        assert!(CustomerHandover::default().validate().is_ok());
    }
}
