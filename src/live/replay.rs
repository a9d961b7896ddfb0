//! The open-model replay. Every request has an intended send time, fixed
//! before the run from the schedule (the model's revocation time divided by
//! the speedup, never closer than `1/rate` to the previous request); the
//! dispatcher sends it at that time whatever the server is doing, limited
//! only by `--concurrency`. Latency is measured from the intended time, as
//! wrk2 does, so a slow server cannot hide its queue by slowing the client
//! down (coordinated omission); the dispatch delay says how late the client
//! itself was.

use super::monitor::Monitor;
use super::record::{Completion, Recorder};
use super::schedule::Schedule;
use super::scim::set_active_body;
use super::scim::{BulkLimits, Outcome, ScimClient, bulk_body, bulk_delete_operation, bulk_overhead};
use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use hyper::{Method, Uri};
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How often the monitor publishes the counters and checks the objectives.
const TICK: Duration = Duration::from_secs(1);
/// Lead time between planning and the first intended send.
const START_LEAD: Duration = Duration::from_millis(20);

/// How members are unbound on the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `PATCH active=false`: a soft unbind, the user stays.
    Patch,
    /// `DELETE /Users/{id}`: a hard unbind.
    Delete,
    /// `POST /Bulk` of DELETE operations, chunked within the limits.
    Bulk,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Patch => "patch",
            Mode::Delete => "delete",
            Mode::Bulk => "bulk",
        }
    }

    /// Whether an unbound user must be gone (rather than inactive).
    pub fn removes(self) -> bool {
        self != Mode::Patch
    }
}

/// One HTTP request of the replay.
#[derive(Clone, Debug)]
pub struct PlannedRequest {
    pub method: Method,
    pub path: String,
    /// Shared by every attempt (and, for patch, by every request).
    pub body: Option<Bytes>,
    /// The schedule's operations it carries.
    pub operations: Range<usize>,
    /// Intended send time, from the start of the replay.
    pub offset: Duration,
    /// The model's time of its operations, scaled by the speedup: the
    /// request is `offset - anchor` behind the model because of pacing.
    pub anchor: Duration,
}

/// Pacing and limits of a replay.
#[derive(Clone, Copy, Debug)]
pub struct Pacing {
    pub rate_per_sec: f64,
    pub concurrency: usize,
    pub speedup: f64,
    pub retries: u32,
    pub down_limit: Duration,
    pub drain_limit: Duration,
}

/// Turns the schedule into requests: one per member for patch and delete;
/// for bulk, runs of one console batch cut to `max_operations`, the
/// scenario's `batch_limit` and the service's `maxPayloadSize`.
pub fn plan(schedule: &Schedule, ids: &[String], mode: Mode, bulk: Option<(BulkLimits, u32)>) -> Vec<PlannedRequest> {
    let (method, body) = match mode {
        Mode::Patch => (Method::PATCH, Some(Bytes::from(set_active_body(false)))),
        _ => (Method::DELETE, None),
    };
    let single =
        |index: usize| request(method.clone(), format!("Users/{}", ids[index]), body.clone(), index..index + 1);
    match (mode, bulk) {
        (Mode::Bulk, Some((limits, batch_limit))) => plan_bulk(schedule, ids, limits, batch_limit),
        _ => (0..ids.len()).map(single).collect(),
    }
}

fn plan_bulk(schedule: &Schedule, ids: &[String], limits: BulkLimits, batch_limit: u32) -> Vec<PlannedRequest> {
    let max_operations = limits.max_operations.min(batch_limit).max(1) as usize;
    let max_bytes = limits.max_payload_bytes as usize;
    let mut requests = Vec::new();
    let mut chunk: Vec<Vec<u8>> = Vec::new();
    let mut first = 0;
    let mut bytes = bulk_overhead();
    for (index, id) in ids.iter().enumerate() {
        let operation = bulk_delete_operation(id);
        let same_run = index > first && same_batch(schedule, first, index);
        // Each operation after the first also takes a comma.
        let fits = chunk.len() < max_operations && bytes + operation.len() < max_bytes;
        if !(chunk.is_empty() || same_run && fits) {
            requests.push(request(Method::POST, "Bulk".into(), Some(bulk_body(&chunk).into()), first..index));
            chunk.clear();
            first = index;
            bytes = bulk_overhead();
        }
        bytes += operation.len() + 1;
        chunk.push(operation);
    }
    if !chunk.is_empty() {
        requests.push(request(Method::POST, "Bulk".into(), Some(bulk_body(&chunk).into()), first..ids.len()));
    }
    requests
}

fn same_batch(schedule: &Schedule, a: usize, b: usize) -> bool {
    let (a, b) = (&schedule.operations[a], &schedule.operations[b]);
    a.batch == b.batch && a.revoked_at == b.revoked_at
}

fn request(method: Method, path: String, body: Option<Bytes>, operations: Range<usize>) -> PlannedRequest {
    PlannedRequest { method, path, body, operations, offset: Duration::ZERO, anchor: Duration::ZERO }
}

/// Sets each request's intended send time: the model's time of its first
/// operation divided by `speedup`, and at least `1/rate` after the previous.
pub fn set_intended_times(requests: &mut [PlannedRequest], schedule: &Schedule, pacing: &Pacing) {
    let gap = bounded_secs(1.0 / pacing.rate_per_sec);
    let mut previous: Option<Duration> = None;
    for request in requests {
        let model_us =
            (schedule.operations[request.operations.start].revoked_at - crate::engine::SimTime::ZERO).as_micros();
        request.anchor = bounded_secs(model_us as f64 / 1e6 / pacing.speedup);
        request.offset = previous.map_or(request.anchor, |p| request.anchor.max(p + gap));
        previous = Some(request.offset);
    }
}

/// Longest wall time a derived duration (a pacing gap, an intended send
/// time) may take: `run` refuses any plan that long before it starts, so the
/// bound only keeps arithmetic on instants from overflowing.
const LONGEST_WAIT: Duration = Duration::from_secs(366 * 86_400);

/// `seconds` as a duration, within [`LONGEST_WAIT`] (NaN is zero).
pub fn bounded_secs(seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds.clamp(0.0, LONGEST_WAIT.as_secs_f64())).unwrap_or(Duration::ZERO)
}

/// Why the dispatcher stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Complete,
    /// No response for longer than the limit while connections failed.
    ServiceDown(Duration),
    Interrupted,
    /// An `abort_on_fail` objective failed (the monitor says which).
    Aborted,
}

/// What a replay produced.
pub struct Replayed {
    /// CPU time the whole process used during the replay (dispatcher, HTTP
    /// client, recording); `None` where the platform does not say.
    pub cpu: Option<Duration>,
    pub recorder: Recorder,
    pub stop: Stop,
    pub started: Instant,
    pub finished: Instant,
}

/// Runs the replay until every request is done, the service is down for
/// longer than the limit, `interrupt` fires or the monitor's objectives
/// abort it; the monitor sees the counters once a second.
pub async fn replay(
    client: &ScimClient,
    requests: Arc<Vec<PlannedRequest>>,
    pacing: Pacing,
    interrupt: impl std::future::Future<Output = ()>,
    monitor: &mut Monitor<'_>,
) -> Replayed {
    // Every request's target is built before the clock starts, as its body was.
    let targets: Vec<Uri> = requests.iter().map(|request| client.target(&request.path)).collect();
    let cpu_before = crate::runner::process_cpu_time();
    let started = Instant::now() + START_LEAD;
    let mut recorder = Recorder::new(requests.len(), started);
    let semaphore = Arc::new(Semaphore::new(pacing.concurrency));
    // The requests in flight, driven by the dispatcher itself: no task, no
    // channel and no wake-up across tasks per request.
    let mut in_flight = FuturesUnordered::new();
    let planned = requests.len() as u64;
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    tokio::pin!(interrupt);
    let mut stop = Stop::Complete;
    // Until when the dispatcher was held up by a full set of slots: a
    // request intended before then was late because of the service.
    let mut backlog_until = started;
    'dispatch: for (index, request) in requests.iter().enumerate() {
        let intended = started + request.offset;
        // One wait per request, kept across the other branches: remade, it
        // would find the slot a completion just freed and forget that every
        // slot was busy.
        let next_turn = turn(intended, semaphore.clone());
        tokio::pin!(next_turn);
        let (permit, waited) = loop {
            tokio::select! {
                biased;
                () = &mut interrupt => { stop = Stop::Interrupted; break 'dispatch; }
                Some(done) = in_flight.next() => {
                    recorder.record(&done);
                    if recorder.down_for(Instant::now()) > pacing.down_limit {
                        stop = Stop::ServiceDown(recorder.down_for(Instant::now()));
                        break 'dispatch;
                    }
                }
                _ = ticks.tick() => if monitor.tick(&recorder, planned, Instant::now()) {
                    stop = Stop::Aborted;
                    break 'dispatch;
                },
                turn = &mut next_turn => break turn,
            }
        };
        let sent = Instant::now();
        let held_by_slots = waited || intended < backlog_until;
        if waited {
            backlog_until = sent;
        }
        recorder.sent(intended, sent, held_by_slots);
        let target = &targets[index];
        in_flight.push(async move {
            let (outcome, retries, bulk_failed) = attempts(client, request, target, pacing.retries).await;
            drop(permit);
            let done = Instant::now();
            Completion { request: index, intended, sent, done, outcome, retries, bulk_failed }
        });
    }
    let interrupted = stop == Stop::Interrupted;
    let mut waiting = InFlight { pending: &mut in_flight, recorder: &mut recorder, stop, planned };
    waiting.drain(pacing.drain_limit, interrupt, interrupted, &mut ticks, monitor).await;
    let stop = waiting.stop;
    recorder.abandon(in_flight.len() as u64);
    monitor.tick(&recorder, planned, Instant::now());
    let cpu = cpu_before.zip(crate::runner::process_cpu_time()).map(|(before, after)| after.saturating_sub(before));
    Replayed { cpu, recorder, stop, started, finished: Instant::now() }
}

/// The requests still in flight after the dispatch loop.
struct InFlight<'a, F> {
    pending: &'a mut FuturesUnordered<F>,
    recorder: &'a mut Recorder,
    stop: Stop,
    planned: u64,
}

impl<F: std::future::Future<Output = Completion>> InFlight<'_, F> {
    /// Waits for the requests in flight: all of them after a complete
    /// dispatch (each is bounded by the client's timeout), up to `limit`
    /// after a stop (an interrupt, or an objective's abort, meanwhile).
    async fn drain(
        &mut self,
        limit: Duration,
        interrupt: std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
        mut interrupted: bool,
        ticks: &mut tokio::time::Interval,
        monitor: &mut Monitor<'_>,
    ) {
        let mut interrupt = interrupt;
        let far = tokio::time::Instant::now() + Duration::from_secs(86_400);
        let mut deadline = if self.stop == Stop::Complete { far } else { tokio::time::Instant::now() + limit };
        while !self.pending.is_empty() {
            tokio::select! {
                biased;
                () = &mut interrupt, if !interrupted => {
                    interrupted = true;
                    self.stop = Stop::Interrupted;
                    deadline = tokio::time::Instant::now() + limit;
                }
                Some(done) = self.pending.next() => self.recorder.record(&done),
                _ = ticks.tick() => {
                    if monitor.tick(self.recorder, self.planned, Instant::now()) && self.stop == Stop::Complete {
                        self.stop = Stop::Aborted;
                        deadline = tokio::time::Instant::now() + limit;
                    }
                }
                () = tokio::time::sleep_until(deadline) => return,
            }
        }
    }
}

/// Waits for the intended time, then for a free slot; says whether every
/// slot was busy at the intended time.
async fn turn(intended: Instant, semaphore: Arc<Semaphore>) -> (tokio::sync::OwnedSemaphorePermit, bool) {
    arrive_at(intended).await;
    match semaphore.clone().try_acquire_owned() {
        Ok(permit) => (permit, false),
        Err(_) => (semaphore.acquire_owned().await.expect("the semaphore is never closed"), true),
    }
}

/// Sends a request under the one retry policy
/// ([`ScimClient::send_retrying`], up to `budget` retries); returns the
/// last outcome, the number of retries and the failed bulk operations.
pub async fn attempts(client: &ScimClient, request: &PlannedRequest, target: &Uri, budget: u32) -> (Outcome, u32, u32) {
    let (answer, retries) = client.send_retrying(request.method.clone(), target, request.body.as_ref(), budget).await;
    match answer {
        Ok(response) => {
            let failed = if request.path == "Bulk" && response.ok() {
                super::parse::bulk_statuses(&response.body)
                    .map_or(0, |s| s.iter().filter(|&&s| s >= 400 || s == 0).count())
            } else {
                0
            };
            (Outcome::Status(response.status), retries, failed as u32)
        }
        Err(outcome) => (outcome, retries, 0),
    }
}

/// How much earlier than a request's intended time the timer is set:
/// tokio's timer wheel ticks in milliseconds and wakes up to one tick late,
/// so the last stretch is waited by yielding until the clock reads the
/// intended time.
const TIMER_SLACK: Duration = Duration::from_micros(1500);

/// Returns at `intended`, to tens of microseconds: a timer to just before
/// it, then yields (other tasks run meanwhile) until it is reached.
async fn arrive_at(intended: Instant) {
    if let Some(early) = intended.checked_sub(TIMER_SLACK).filter(|&early| early > Instant::now()) {
        tokio::time::sleep_until(early.into()).await;
    }
    while Instant::now() < intended {
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{SimDuration, SimTime};
    use crate::live::schedule::{Operation, ScheduledBatch};

    fn schedule(times_s: &[(u32, u64)]) -> Schedule {
        let mut scenario = crate::scenario::load_scenario("admin-batch").unwrap();
        scenario.org.members = 50;
        let org = crate::synth::generate(&scenario.org, 1);
        let operations = times_s
            .iter()
            .enumerate()
            .map(|(i, &(batch, s))| Operation {
                member: i as u32,
                batch,
                revoked_at: SimTime::ZERO + SimDuration::from_micros(s * 1_000_000),
            })
            .collect();
        Schedule { org, operations, batches: vec![ScheduledBatch { decided_at: SimTime::ZERO }; 3] }
    }

    fn pacing(rate: f64, speedup: f64) -> Pacing {
        let limit = Duration::from_secs(1);
        Pacing { rate_per_sec: rate, concurrency: 4, speedup, retries: 0, down_limit: limit, drain_limit: limit }
    }

    #[test]
    fn intended_times_follow_the_model_but_never_exceed_the_rate() {
        let schedule = schedule(&[(0, 0), (0, 0), (0, 0), (1, 100), (2, 3600)]);
        let ids: Vec<String> = (0..5).map(|i| format!("id{i}")).collect();
        let mut requests = plan(&schedule, &ids, Mode::Patch, None);
        set_intended_times(&mut requests, &schedule, &pacing(10.0, 100.0));
        let offsets: Vec<u128> = requests.iter().map(|r| r.offset.as_millis()).collect();
        assert_eq!(offsets, vec![0, 100, 200, 1000, 36_000]);
        assert_eq!(requests[3].anchor, Duration::from_secs(1));
    }

    #[test]
    fn bulk_chunks_respect_batches_operation_and_payload_limits() {
        let schedule = schedule(&[(0, 0); 7].iter().copied().chain([(1, 5), (1, 5)]).collect::<Vec<_>>());
        let ids: Vec<String> = (0..9).map(|i| format!("id{i}")).collect();
        let limits = BulkLimits { max_operations: 1000, max_payload_bytes: 1 << 20 };
        let sizes = |requests: Vec<PlannedRequest>| requests.iter().map(|r| r.operations.len()).collect::<Vec<_>>();
        assert_eq!(sizes(plan(&schedule, &ids, Mode::Bulk, Some((limits, 3)))), vec![3, 3, 1, 2]);
        let one_op = bulk_delete_operation("id0").len();
        let tight = BulkLimits { max_operations: 1000, max_payload_bytes: (bulk_overhead() + 2 * (one_op + 1)) as u64 };
        let requests = plan(&schedule, &ids, Mode::Bulk, Some((tight, 200)));
        assert_eq!(sizes(requests.clone()), vec![2, 2, 2, 1, 2]);
        assert!(requests.iter().all(|r| r.body.as_ref().unwrap().len() as u64 <= tight.max_payload_bytes));
    }

    /// A small in-process HTTP server: the first `busy` connections get a
    /// 429 with `Retry-After: 0`, the rest a 204.
    async fn server(busy: usize) -> url::Url {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            for connection in 0.. {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buffer = vec![0u8; 4096];
                let mut read = 0;
                while !buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    read += socket.read(&mut buffer[read..]).await.unwrap();
                }
                let response: &[u8] = if connection < busy {
                    b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                } else {
                    b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
                };
                socket.write_all(response).await.unwrap();
            }
        });
        url::Url::parse(&format!("http://{address}/scim/v2")).unwrap()
    }

    /// Progress nobody sees.
    struct Silent;

    impl crate::live::monitor::Progress for Silent {
        fn snapshot(&self, _: &crate::live::monitor::Snapshot) {}
        fn say(&self, _: &str) {}
    }

    fn client(base: &url::Url) -> ScimClient {
        ScimClient::new(base, Some("t"), Duration::from_secs(5), 4).unwrap()
    }

    #[tokio::test]
    async fn retries_429_within_the_budget_and_reports_the_last_status() {
        let base = server(2).await;
        let request = request(Method::DELETE, "Users/a".into(), None, 0..1);
        let target = client(&base).target(&request.path);
        assert_eq!(attempts(&client(&base), &request, &target, 3).await, (Outcome::Status(204), 2, 0));
        let base = server(5).await;
        assert_eq!(attempts(&client(&base), &request, &target, 1).await, (Outcome::Status(429), 1, 0));
    }

    #[tokio::test]
    async fn a_replay_counts_every_request_once_and_every_retry_apart() {
        // Two 429s in all: whichever requests get them, each retries within its budget.
        let base = server(2).await;
        let schedule = schedule(&[(0, 0), (0, 0), (1, 1), (1, 1), (2, 2)]);
        let ids: Vec<String> = (0..5).map(|i| format!("id{i}")).collect();
        let mut requests = plan(&schedule, &ids, Mode::Delete, None);
        let pacing = Pacing { retries: 2, ..pacing(200.0, 1000.0) };
        set_intended_times(&mut requests, &schedule, &pacing);
        let mut monitor = Monitor::new(&Silent, &[]);
        let replayed = replay(&client(&base), Arc::new(requests), pacing, std::future::pending(), &mut monitor).await;
        let counters = &replayed.recorder.counters;
        assert_eq!(replayed.stop, Stop::Complete);
        assert_eq!((counters.sent, counters.ok, counters.retries), (5, 5, 2));
        assert_eq!(counters.by_status.get(&204), Some(&5));
        assert!(counters.accounted());
        assert!(replayed.recorder.confirmed_at.iter().all(Option::is_some));
    }

    #[tokio::test]
    async fn a_dead_service_stops_the_replay_as_down() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = url::Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        drop(listener);
        let schedule = schedule(&[(0, 0); 40]);
        let ids: Vec<String> = (0..40).map(|i| format!("id{i}")).collect();
        let mut requests = plan(&schedule, &ids, Mode::Delete, None);
        let pacing = Pacing { down_limit: Duration::from_millis(100), ..pacing(100.0, 1.0) };
        set_intended_times(&mut requests, &schedule, &pacing);
        let mut monitor = Monitor::new(&Silent, &[]);
        let replayed = replay(&client(&base), Arc::new(requests), pacing, std::future::pending(), &mut monitor).await;
        assert!(matches!(replayed.stop, Stop::ServiceDown(_)), "{:?}", replayed.stop);
        let counters = &replayed.recorder.counters;
        assert!(counters.sent < 40 && counters.connection_error > 0 && counters.accounted());
        assert_eq!(counters.connection_errors_by_kind.get("refused"), Some(&counters.connection_error));
    }

    #[test]
    fn backoff_honours_retry_after_within_the_cap() {
        use crate::live::scim::{MAX_BACKOFF, backoff};
        assert_eq!(backoff(Some(Duration::from_secs(2)), 0), Duration::from_secs(2));
        assert_eq!(backoff(Some(Duration::from_secs(999)), 0), MAX_BACKOFF);
        assert_eq!(backoff(None, 2), Duration::from_millis(400));
    }
}
