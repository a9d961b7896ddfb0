//! A leaving member's customers and group chats handed over by API to a
//! successor (`policy.customer_handover`, see `model::customers`), settled
//! at the member's revocation without events: the transfer calls go out at
//! once (≤ 100 customers each; counted on their own, not against the
//! directory API's budget, whose limits they could not reach), every
//! customer is taken over 24 h later unless refused or over the
//! successor's quota, and the group chats move 300 a day. What ends after
//! the horizon is still waiting there.

use super::super::customers::{CustomerHandover, TAKEOVER, calls_for, geometric, group_chat_days, group_chat_time};
use super::super::ids::MemberId;
use super::purpose::Purpose;
use super::{RequestKind, World};
use crate::engine::SimTime;
use rand_distr::{Binomial, Distribution};

/// `member` left at `now` by a request of `kind`.
pub(super) fn at_revoke(world: &mut World<'_>, now: SimTime, member: MemberId, kind: RequestKind<'_>) {
    let Some(params) = world.policy.customer_handover else { return };
    if !kind.has_successor() {
        return;
    }
    let (customers, chats) = book(world, member, &params);
    if customers == 0 && chats == 0 {
        return;
    }
    let customers_end = if customers > 0 { now + TAKEOVER } else { now };
    let end = customers_end.max(now + group_chat_time(chats));
    if customers > 0 && customers_end <= world.horizon {
        settle(world, member, &params, customers);
    } else {
        world.obs.customers.waiting += customers;
    }
    let tally = &mut world.obs.customers;
    tally.members += 1;
    tally.calls += calls_for(customers);
    tally.group_chats += chats;
    tally.multi_day_owners += u64::from(group_chat_days(chats) > 1);
    tally.group_chat_days_max = tally.group_chat_days_max.max(group_chat_days(chats));
    if end <= world.horizon {
        let took_s = (end - now).as_micros() / 1_000_000;
        tally.done += 1;
        tally.time_sum_s += took_s;
        tally.time_max_s = tally.time_max_s.max(took_s);
    }
}

/// The member's customers (an owner's geometric count) and group chats
/// (a group owner's).
fn book(world: &World<'_>, member: MemberId, params: &CustomerHandover) -> (u64, u64) {
    let key = member.stream_key();
    let customers = if world.chance(key, Purpose::CustomerOwner, params.owner_share) {
        geometric(params.customers_mean, world.uniform(key, Purpose::Customers, 0))
    } else {
        0
    };
    let chats = if world.org.member(member).roles.group_owner {
        geometric(params.group_chats_mean, world.uniform(key, Purpose::GroupChats, 0))
    } else {
        0
    };
    (customers, chats)
}

/// `customers` taken over: each refuses with `refused`, each of the rest
/// meets a full quota with `quota_full` (two binomial draws).
fn settle(world: &mut World<'_>, member: MemberId, params: &CustomerHandover, customers: u64) {
    let refused = binomial(world, member, Purpose::CustomerRefused, customers, params.refused);
    let quota_full = binomial(world, member, Purpose::CustomerQuota, customers - refused, params.quota_full);
    let tally = &mut world.obs.customers;
    tally.settled += customers;
    tally.refused += refused;
    tally.quota_full += quota_full;
}

fn binomial(world: &World<'_>, member: MemberId, purpose: Purpose, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    let mut stream = world.streams.stream(member.stream_key(), purpose.key(), 0);
    Binomial::new(n, p).map_or(0, |law| law.sample(&mut stream))
}
