//! What the replay records: per request the response time from the
//! intended send time (coordinated omission corrected, as wrk2 does), the
//! service time from the actual send, and the dispatch delay between them,
//! each in an HdrHistogram of microseconds; counters of every outcome; and
//! the interval log (`.hlog`) of the response and service times, one
//! interval per second of the run, in HdrHistogram's standard format.

use super::scim::{ConnectionError, Outcome, is_retryable};
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

/// A request that starts this much after its intended time started late:
/// the client, not the server, held it back.
pub const LATE_START_THRESHOLD: Duration = Duration::from_millis(10);
/// Highest latency the histograms track (longer ones are recorded as this).
const HIGHEST_TRACKABLE_US: u64 = 3_600_000_000;
/// Length of one interval of the `.hlog`.
const LOG_INTERVAL: Duration = Duration::from_secs(1);

/// One finished request.
#[derive(Clone, Debug)]
pub struct Completion {
    pub request: usize,
    pub intended: Instant,
    pub sent: Instant,
    pub done: Instant,
    /// The last attempt's outcome.
    pub outcome: Outcome,
    /// Attempts after the first (429/503 retries).
    pub retries: u32,
    /// Bulk operations the response reported failed.
    pub bulk_failed: u32,
}

/// Counts of outcomes: `sent = ok + http_error + timeout + connection_error`
/// (+ `abandoned` when the run stopped with requests in flight).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub sent: u64,
    pub ok: u64,
    pub http_error: u64,
    pub timeout: u64,
    pub connection_error: u64,
    pub abandoned: u64,
    pub retries: u64,
    pub late_starts: u64,
    /// Requests held back because every `--concurrency` slot was busy at or
    /// after their intended time (the service had not answered yet).
    pub waited_for_slot: u64,
    /// Late starts with a slot free: the client itself fell behind.
    pub late_starts_client: u64,
    pub bulk_operations_failed: u64,
    pub by_status: BTreeMap<u16, u64>,
    pub connection_errors_by_kind: BTreeMap<&'static str, u64>,
    /// Requests that ended on 429/503 after the retry budget was spent.
    pub retry_budget_exhausted: u64,
}

impl Counters {
    /// Whether every sent request has exactly one outcome.
    pub fn accounted(&self) -> bool {
        self.sent == self.ok + self.http_error + self.timeout + self.connection_error + self.abandoned
    }
}

/// Histograms of one kind of figure.
pub struct Latencies {
    pub response_us: Histogram<u64>,
    pub service_us: Histogram<u64>,
    pub dispatch_us: Histogram<u64>,
}

impl Latencies {
    fn new() -> Latencies {
        Latencies { response_us: histogram(), service_us: histogram(), dispatch_us: histogram() }
    }

    fn record(&mut self, response: Duration, service: Duration, dispatch: Duration) {
        self.response_us.saturating_record(micros(response));
        self.service_us.saturating_record(micros(service));
        self.dispatch_us.saturating_record(micros(dispatch));
    }
}

/// Everything recorded during a replay.
pub struct Recorder {
    pub totals: Latencies,
    /// Dispatch delay of the requests that found a concurrency slot free:
    /// the client's own lateness, whatever the service did.
    pub client_delay_us: Histogram<u64>,
    interval: Latencies,
    pub counters: Counters,
    /// When each request completed successfully (for batch latencies).
    pub confirmed_at: Vec<Option<Instant>>,
    started: Instant,
    interval_start: Duration,
    hlog_lines: Vec<u8>,
    /// Wall time of the last HTTP response of any status.
    pub last_response: Instant,
    /// Connection failures since the last HTTP response.
    pub failures_since_response: u64,
}

impl Recorder {
    pub fn new(requests: usize, started: Instant) -> Recorder {
        Recorder {
            totals: Latencies::new(),
            client_delay_us: histogram(),
            interval: Latencies::new(),
            counters: Counters::default(),
            confirmed_at: vec![None; requests],
            started,
            interval_start: Duration::ZERO,
            hlog_lines: Vec::new(),
            last_response: started,
            failures_since_response: 0,
        }
    }

    /// A request was handed to the client.
    pub fn sent(&mut self, intended: Instant, sent: Instant, waited_for_slot: bool) {
        self.counters.sent += 1;
        self.counters.waited_for_slot += u64::from(waited_for_slot);
        if !waited_for_slot {
            self.client_delay_us.saturating_record(micros(sent.saturating_duration_since(intended)));
        }
        if sent.saturating_duration_since(intended) > LATE_START_THRESHOLD {
            self.counters.late_starts += 1;
            self.counters.late_starts_client += u64::from(!waited_for_slot);
        }
    }

    pub fn record(&mut self, done: &Completion) {
        self.roll_intervals(done.done);
        let response = done.done.saturating_duration_since(done.intended);
        let service = done.done.saturating_duration_since(done.sent);
        let dispatch = done.sent.saturating_duration_since(done.intended);
        self.totals.record(response, service, dispatch);
        self.interval.record(response, service, dispatch);
        let counters = &mut self.counters;
        counters.retries += u64::from(done.retries);
        counters.bulk_operations_failed += u64::from(done.bulk_failed);
        match done.outcome {
            Outcome::Status(status) => {
                *counters.by_status.entry(status).or_default() += 1;
                if (200..300).contains(&status) {
                    counters.ok += 1;
                    self.confirmed_at[done.request] = Some(done.done);
                } else {
                    counters.http_error += 1;
                    counters.retry_budget_exhausted += u64::from(is_retryable(status));
                }
                self.last_response = self.last_response.max(done.done);
                self.failures_since_response = 0;
            }
            Outcome::Timeout => counters.timeout += 1,
            Outcome::Connection(kind) => self.connection_failed(kind),
        }
    }

    fn connection_failed(&mut self, kind: ConnectionError) {
        self.counters.connection_error += 1;
        *self.counters.connection_errors_by_kind.entry(kind.name()).or_default() += 1;
        self.failures_since_response += 1;
    }

    /// How long the service has given no response while connections fail.
    pub fn down_for(&self, now: Instant) -> Duration {
        if self.failures_since_response == 0 {
            Duration::ZERO
        } else {
            now.saturating_duration_since(self.last_response)
        }
    }

    /// Closes the intervals that ended before `now`.
    fn roll_intervals(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.started);
        while elapsed >= self.interval_start + LOG_INTERVAL {
            self.flush_interval(LOG_INTERVAL);
        }
    }

    fn flush_interval(&mut self, length: Duration) {
        if !self.interval.response_us.is_empty() {
            let start = self.interval_start;
            let lines = [(None, &self.interval.response_us), (Some("service"), &self.interval.service_us)];
            for (tag, histogram) in lines {
                self.hlog_lines.extend_from_slice(interval_line(tag, start, length, histogram).as_bytes());
            }
        }
        self.interval = Latencies::new();
        self.interval_start += length;
    }

    /// Abandons the requests still in flight when the run stopped.
    pub fn abandon(&mut self, in_flight: u64) {
        self.counters.abandoned += in_flight;
    }

    /// The `.hlog` text: version, start time, legend, then the intervals
    /// (untagged: response time from the intended send; `Tag=service`:
    /// service time from the actual send), values in microseconds.
    pub fn finish_hlog(&mut self, now: Instant, wall_start: SystemTime) -> Vec<u8> {
        self.roll_intervals(now);
        let tail = now.saturating_duration_since(self.started).saturating_sub(self.interval_start);
        self.flush_interval(tail.max(Duration::from_millis(1)));
        let epoch = wall_start.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        let mut text = format!(
            "#[Logged with unbindsim {}: response time from the intended send (untagged) and service time (Tag=service), in microseconds]\n\
             #[Histogram log format version 1.3]\n\
             #[StartTime: {epoch:.3} (seconds since epoch)]\n\
             #[BaseTime: {epoch:.3} (seconds since epoch)]\n\
             #[MaxValueDivisor: 1000.000]\n\
             \"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n",
            env!("CARGO_PKG_VERSION")
        )
        .into_bytes();
        text.extend_from_slice(&self.hlog_lines);
        text
    }
}

/// One interval of the log: `[Tag=…,]start,length,max,histogram`, the
/// maximum in milliseconds (the `MaxValueDivisor`), the histogram in
/// compressed V2 encoding, base64.
fn interval_line(tag: Option<&str>, start: Duration, length: Duration, histogram: &Histogram<u64>) -> String {
    use base64::Engine;
    let mut bytes = Vec::new();
    V2DeflateSerializer::new().serialize(histogram, &mut bytes).expect("serializing to memory cannot fail");
    format!(
        "{}{:.3},{:.3},{:.3},{}\n",
        tag.map_or(String::new(), |t| format!("Tag={t},")),
        start.as_secs_f64(),
        length.as_secs_f64(),
        histogram.max() as f64 / 1000.0,
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_TRACKABLE_US, 3).expect("the constant histogram bounds are valid")
}

fn micros(duration: Duration) -> u64 {
    (duration.as_micros() as u64).clamp(1, HIGHEST_TRACKABLE_US)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};

    fn completion(
        request: usize,
        base: Instant,
        intended_ms: u64,
        sent_ms: u64,
        done_ms: u64,
        outcome: Outcome,
    ) -> Completion {
        let at = |ms| base + Duration::from_millis(ms);
        Completion {
            request,
            intended: at(intended_ms),
            sent: at(sent_ms),
            done: at(done_ms),
            outcome,
            retries: 0,
            bulk_failed: 0,
        }
    }

    #[test]
    fn figures_split_into_dispatch_and_service_and_counts_add_up() {
        let base = Instant::now();
        let mut recorder = Recorder::new(3, base);
        recorder.sent(base, base, false);
        recorder.record(&completion(0, base, 0, 0, 5, Outcome::Status(204)));
        recorder.sent(base, base + Duration::from_millis(50), true);
        recorder.record(&completion(1, base, 0, 50, 60, Outcome::Status(500)));
        recorder.sent(base, base, false);
        recorder.record(&completion(2, base, 0, 0, 1500, Outcome::Connection(ConnectionError::Refused)));
        let c = &recorder.counters;
        assert_eq!((c.sent, c.ok, c.http_error, c.connection_error, c.late_starts), (3, 1, 1, 1, 1));
        assert!(c.accounted());
        assert_eq!(recorder.totals.response_us.max() / 1000, 1500);
        assert!(
            recorder.totals.service_us.value_at_quantile(0.5) < recorder.totals.response_us.value_at_quantile(0.5) + 1
        );
        assert_eq!(recorder.totals.dispatch_us.max() / 1000, 50);
        assert!(recorder.confirmed_at[0].is_some() && recorder.confirmed_at[1].is_none());
    }

    #[test]
    fn hlog_has_the_standard_headers_and_reads_back() {
        let base = Instant::now();
        let mut recorder = Recorder::new(2, base);
        recorder.record(&completion(0, base, 0, 0, 10, Outcome::Status(200)));
        recorder.record(&completion(1, base, 1000, 1000, 1200, Outcome::Status(200)));
        let log = recorder.finish_hlog(base + Duration::from_millis(1500), SystemTime::now());
        let text = String::from_utf8(log.clone()).unwrap();
        assert!(text.contains("#[Histogram log format version 1.3]"));
        assert!(
            text.contains("\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"")
        );
        let intervals = IntervalLogIterator::new(&log)
            .filter_map(|entry| match entry {
                Ok(LogEntry::Interval(interval)) => Some(interval.tag().map(|t| t.as_str().to_owned())),
                _ => None,
            })
            .collect::<Vec<_>>();
        assert_eq!(intervals, vec![None, Some("service".to_owned()), None, Some("service".to_owned())]);
    }
}
