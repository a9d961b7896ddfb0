//! A pool of people serving requests first come, first served (approvers,
//! compliance officers, re-binders): c servers and a FIFO waiting line.

use super::super::config::PoolConfig;
use super::super::ids::RequestId;
use super::super::observe::QueueTally;
use super::super::queues::PoolKind;
use crate::engine::{SimDuration, SimTime};
use std::collections::VecDeque;

pub(super) struct Pool {
    pub kind: PoolKind,
    pub config: PoolConfig,
    busy: u32,
    waiting: VecDeque<(RequestId, SimTime)>,
    pub tally: QueueTally,
}

impl Pool {
    pub fn new(kind: PoolKind, config: PoolConfig) -> Self {
        let tally = QueueTally { servers: config.servers, ..QueueTally::default() };
        Pool { kind, config, busy: 0, waiting: VecDeque::new(), tally }
    }

    /// A request arrives; true if a server takes it at once (it waited
    /// nothing).
    pub fn arrive(&mut self, request: RequestId, now: SimTime) -> bool {
        if self.busy < self.config.servers {
            self.busy += 1;
            true
        } else {
            self.waiting.push_back((request, now));
            false
        }
    }

    /// A server finished; returns the next request it takes, if any, and
    /// how long that one waited.
    pub fn finish(&mut self, now: SimTime) -> Option<(RequestId, SimDuration)> {
        match self.waiting.pop_front() {
            Some((request, since)) => Some((request, now - since)),
            None => {
                self.busy -= 1;
                None
            }
        }
    }

    /// No more busy servers than there are, and nobody waits while one is
    /// free.
    pub fn is_consistent(&self) -> bool {
        self.busy <= self.config.servers && (self.waiting.is_empty() || self.busy == self.config.servers)
    }

    /// A request taken after `wait` is served for `service`.
    pub fn record_served(&mut self, wait: SimDuration, service: SimDuration) {
        self.tally.served += 1;
        self.tally.waits_us.push(wait.as_micros());
        self.tally.wait_sum_us += wait.as_micros();
        self.tally.wait_max_us = self.tally.wait_max_us.max(wait.as_micros());
        self.tally.busy_sum_us += service.as_micros();
    }

    /// Every request still in line at `horizon` is censored there: its
    /// wait so far is counted, never dropped.
    pub fn censor_waiting(&mut self, horizon: SimTime) {
        let waited = self.waiting.iter().map(|&(_, since)| (horizon - since).as_micros());
        self.tally.waiting_at_horizon_us.extend(waited);
    }

    /// A request taken too late to act: abandoned, not served.
    pub fn record_abandoned(&mut self) {
        self.tally.abandoned += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Dist;

    #[test]
    fn second_request_waits_for_a_single_server() {
        let mut pool = Pool::new(PoolKind::Approvers, PoolConfig { servers: 1, service: Dist::zero() });
        let t0 = SimTime::ZERO;
        assert!(pool.arrive(RequestId(0), t0));
        assert!(!pool.arrive(RequestId(1), t0));
        let t1 = t0 + SimDuration::from_secs(10);
        assert_eq!(pool.finish(t1), Some((RequestId(1), SimDuration::from_secs(10))));
        assert_eq!(pool.finish(t1), None);
    }

    #[test]
    fn an_abandoned_request_is_neither_served_nor_in_the_means() {
        let mut pool = Pool::new(PoolKind::Approvers, PoolConfig { servers: 1, service: Dist::zero() });
        pool.record_served(SimDuration::from_secs(10), SimDuration::from_secs(30));
        pool.record_abandoned();
        let tally = pool.tally.clone();
        assert_eq!((tally.served, tally.abandoned), (1, 1));
        assert_eq!((tally.wait_sum_us, tally.busy_sum_us), (10_000_000, 30_000_000));
    }
}
