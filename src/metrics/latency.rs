//! Latency histograms: recording latencies given in microseconds into an
//! HdrHistogram of whole milliseconds, merging them, summarising them, and
//! their HdrHistogram V2 byte encoding.

use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use serde::{Deserialize, Serialize};

use super::proportion::round9;

/// Highest latency a [`LatencyHistogram`] tracks: 20 years of 365.25 days,
/// in milliseconds. Longer latencies are recorded as this value.
pub const HIGHEST_TRACKABLE_LATENCY_MS: u64 = 7_305 * 86_400_000;

const LOWEST_DISCERNIBLE_LATENCY_MS: u64 = 1;
const SIGNIFICANT_DIGITS: u8 = 3;
const MICROS_PER_MS: u64 = 1_000;

/// A histogram of latencies in whole milliseconds, 3 significant digits,
/// over 1 ms ..= [`HIGHEST_TRACKABLE_LATENCY_MS`], never resizing.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyHistogram {
    histogram: Histogram<u64>,
    /// Samples above the trackable range, recorded as its highest value.
    clamped: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    pub fn new() -> Self {
        let histogram =
            Histogram::new_with_bounds(LOWEST_DISCERNIBLE_LATENCY_MS, HIGHEST_TRACKABLE_LATENCY_MS, SIGNIFICANT_DIGITS)
                .expect("the constant histogram bounds are valid");
        Self { histogram, clamped: 0 }
    }

    /// Records one latency given in microseconds, rounded up to the next
    /// whole millisecond: only an exact 0 µs is recorded as 0 ms. A latency
    /// above the trackable range is recorded as its highest value and
    /// counted in [`clamped`](Self::clamped).
    pub fn record_micros(&mut self, latency_micros: u64) {
        let latency_ms = latency_micros.div_ceil(MICROS_PER_MS);
        if latency_ms > HIGHEST_TRACKABLE_LATENCY_MS {
            self.clamped += 1;
        }
        self.histogram.saturating_record(latency_ms.min(HIGHEST_TRACKABLE_LATENCY_MS));
    }

    /// Adds every sample of `other`, exactly, as if recorded here.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        // Re-recording each bucket's highest equivalent value lands in the
        // same bucket, since both histograms share one layout; unlike
        // `Histogram::add` this has no error case to handle.
        for bucket in other.histogram.iter_recorded() {
            self.histogram.saturating_record_n(bucket.value_iterated_to(), bucket.count_at_value());
        }
        self.clamped += other.clamped;
    }

    /// Number of samples recorded.
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// Each recorded bucket as (its highest equivalent value in ms, count),
    /// in increasing order: the values percentiles report.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.histogram
            .iter_recorded()
            .map(|bucket| (self.histogram.highest_equivalent(bucket.value_iterated_to()), bucket.count_at_value()))
    }

    /// Number of samples that were above the trackable range.
    pub fn clamped(&self) -> u64 {
        self.clamped
    }

    /// Count, mean, percentiles and extremes in milliseconds; `None` when
    /// nothing was recorded.
    /// The mean of the recorded latencies in ms, unrounded; none when empty.
    pub fn mean_ms(&self) -> Option<f64> {
        (!self.histogram.is_empty()).then(|| self.histogram.mean())
    }

    pub fn summary(&self) -> Option<LatencySummary> {
        if self.histogram.is_empty() {
            return None;
        }
        let histogram = &self.histogram;
        Some(LatencySummary {
            count: histogram.len(),
            mean: round9(histogram.mean()),
            p50: histogram.value_at_quantile(0.5),
            p90: histogram.value_at_quantile(0.9),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
            min: histogram.min(),
        })
    }

    /// The histogram in HdrHistogram's V2 binary format (uncompressed).
    ///
    /// The clamped count is not part of the format; see
    /// [`from_v2_bytes`](Self::from_v2_bytes).
    pub fn to_v2_bytes(&self) -> Result<Vec<u8>, String> {
        let mut bytes = Vec::new();
        V2Serializer::new()
            .serialize(&self.histogram, &mut bytes)
            .map_err(|error| format!("cannot encode latency histogram as HdrHistogram V2: {error}"))?;
        Ok(bytes)
    }

    /// Decodes a histogram written by [`to_v2_bytes`](Self::to_v2_bytes).
    ///
    /// Fails unless `bytes` hold exactly one uncompressed V2 histogram with
    /// this type's range and precision; the header is checked before any
    /// decoding, so a crafted header cannot make the decoder allocate more
    /// than the input's size. The clamped count is restored as the number of
    /// samples equivalent to [`HIGHEST_TRACKABLE_LATENCY_MS`], which also
    /// takes in any genuine sample within that top bucket (0.1 % below 20
    /// years).
    pub fn from_v2_bytes(bytes: &[u8]) -> Result<Self, String> {
        check_v2_header(bytes)?;
        let mut unread = bytes;
        let histogram: Histogram<u64> = Deserializer::new()
            .deserialize(&mut unread)
            .map_err(|error| format!("cannot decode HdrHistogram V2 bytes: {error}"))?;
        if !unread.is_empty() {
            return Err(format!("{} bytes follow the HdrHistogram V2 histogram", unread.len()));
        }
        check_layout(&histogram)?;
        let clamped = histogram.count_at(HIGHEST_TRACKABLE_LATENCY_MS);
        Ok(Self { histogram, clamped })
    }
}

/// Milliseconds as `850ms`, `12.5s`, `3.2min`, `25.1h` or `3.4d`.
pub fn format_duration_ms(ms: f64) -> String {
    const UNITS: [(f64, &str); 4] = [(86_400_000.0, "d"), (3_600_000.0, "h"), (60_000.0, "min"), (1_000.0, "s")];
    UNITS
        .iter()
        .find(|(size, _)| ms >= *size)
        .map_or_else(|| format!("{ms:.0}ms"), |(size, unit)| format!("{:.1}{unit}", ms / size))
}

/// A histogram travels (in shard files) as the base64 text of its
/// HdrHistogram V2 encoding, so standard HdrHistogram tools can read it.
impl Serialize for LatencyHistogram {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use base64::Engine;
        let bytes = self.to_v2_bytes().map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

impl<'de> Deserialize<'de> for LatencyHistogram {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use base64::Engine;
        let text = String::deserialize(deserializer)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(|error| serde::de::Error::custom(format!("latency histogram is not base64: {error}")))?;
        LatencyHistogram::from_v2_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

/// The uncompressed V2 cookie, header size and header field offsets.
const V2_COOKIE: u32 = 0x1c84_9313;
const V2_HEADER_BYTES: usize = 40;

/// Checks the V2 header of `bytes` against this type's layout: cookie,
/// payload length equal to what follows, no normalizing offset, and our
/// precision and range.
fn check_v2_header(bytes: &[u8]) -> Result<(), String> {
    let header = bytes.get(..V2_HEADER_BYTES).ok_or("HdrHistogram V2 bytes shorter than the 40-byte header")?;
    let word = |at: usize| u32::from_be_bytes(header[at..at + 4].try_into().expect("4 bytes"));
    let long = |at: usize| u64::from_be_bytes(header[at..at + 8].try_into().expect("8 bytes"));
    if word(0) != V2_COOKIE {
        return Err(format!("not an uncompressed HdrHistogram V2 encoding (cookie {:#x})", word(0)));
    }
    if word(4) as usize != bytes.len() - V2_HEADER_BYTES {
        return Err(format!(
            "V2 payload length {} does not match the {} bytes present",
            word(4),
            bytes.len() - V2_HEADER_BYTES
        ));
    }
    let found = (word(8), word(12), long(16), long(24));
    let expected = (0, u32::from(SIGNIFICANT_DIGITS), LOWEST_DISCERNIBLE_LATENCY_MS, HIGHEST_TRACKABLE_LATENCY_MS);
    if found != expected {
        return Err(format!(
            "latency histogram header (offset, digits, lowest, highest) {found:?}, expected {expected:?}"
        ));
    }
    Ok(())
}

/// Checks that a decoded histogram has the range and precision of
/// [`LatencyHistogram::new`], so that merging into it is exact.
fn check_layout(histogram: &Histogram<u64>) -> Result<(), String> {
    let found = (histogram.low(), histogram.high(), histogram.sigfig());
    let expected = (LOWEST_DISCERNIBLE_LATENCY_MS, HIGHEST_TRACKABLE_LATENCY_MS, SIGNIFICANT_DIGITS);
    if found == expected {
        Ok(())
    } else {
        Err(format!("latency histogram has (lowest, highest, significant digits) {found:?}, expected {expected:?}"))
    }
}

/// Summary of a [`LatencyHistogram`], all values in milliseconds.
///
/// Percentiles are HdrHistogram's `value_at_quantile` (0.5, 0.9, 0.99,
/// 0.999): the highest value equivalent to the bucket holding the quantile.
/// `max` is likewise the top of its bucket and `min` the bottom of its.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub count: u64,
    /// Rounded with [`round9`].
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
    pub min: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn histogram_of_micros(latencies_micros: &[u64]) -> LatencyHistogram {
        let mut histogram = LatencyHistogram::new();
        for &latency_micros in latencies_micros {
            histogram.record_micros(latency_micros);
        }
        histogram
    }

    fn one_to_thousand_ms_in_micros() -> Vec<u64> {
        (1..=1000).map(|ms| ms * MICROS_PER_MS).collect()
    }

    #[test]
    fn summary_of_one_to_thousand_ms() {
        let summary = histogram_of_micros(&one_to_thousand_ms_in_micros()).summary().expect("samples were recorded");
        // Below 2048 the histogram resolves every millisecond.
        assert_eq!(summary.count, 1000);
        assert!(summary.p50.abs_diff(500) <= 1, "p50 = {}", summary.p50);
        assert!(summary.p90.abs_diff(900) <= 1, "p90 = {}", summary.p90);
        assert!(summary.p99.abs_diff(990) <= 1, "p99 = {}", summary.p99);
        assert!(summary.p999.abs_diff(999) <= 1, "p999 = {}", summary.p999);
        assert_eq!((summary.min, summary.max), (1, 1000));
        assert_eq!(summary.mean, 500.5);
    }

    #[test]
    fn empty_histogram_has_no_summary() {
        let histogram = LatencyHistogram::new();
        assert_eq!(histogram.count(), 0);
        assert_eq!(histogram.summary(), None);
    }

    #[test]
    fn sub_millisecond_latencies_round_up() {
        let expected_ms_by_micros = [(0, 0), (1, 1), (999, 1), (1000, 1), (1001, 2)];
        for (latency_micros, expected_ms) in expected_ms_by_micros {
            let summary = histogram_of_micros(&[latency_micros]).summary().expect("one sample");
            assert_eq!((summary.min, summary.max), (expected_ms, expected_ms));
        }
    }

    #[test]
    fn latencies_above_range_are_clamped_and_counted() {
        let histogram = histogram_of_micros(&[5_000, u64::MAX, u64::MAX]);
        assert_eq!(histogram.count(), 3);
        assert_eq!(histogram.clamped(), 2);
        let summary = histogram.summary().expect("samples were recorded");
        assert!(histogram.histogram.equivalent(summary.max, HIGHEST_TRACKABLE_LATENCY_MS));
    }

    #[test]
    fn merge_of_two_halves_equals_recording_all() {
        let latencies_micros = one_to_thousand_ms_in_micros();
        let (first_half, second_half) = latencies_micros.split_at(500);
        let mut merged = histogram_of_micros(first_half);
        merged.merge(&histogram_of_micros(second_half));
        let whole = histogram_of_micros(&latencies_micros);
        assert_eq!(merged.summary(), whole.summary());
        assert_eq!(merged, whole);
    }

    #[test]
    fn merge_adds_clamped_counts() {
        let mut merged = histogram_of_micros(&[u64::MAX]);
        merged.merge(&histogram_of_micros(&[u64::MAX, 1]));
        assert_eq!(merged.clamped(), 2);
    }

    #[test]
    fn v2_bytes_round_trip() {
        let mut latencies_micros = one_to_thousand_ms_in_micros();
        latencies_micros.extend([0, 7, 123_456_789_012, u64::MAX]);
        let histogram = histogram_of_micros(&latencies_micros);
        let bytes = histogram.to_v2_bytes().expect("encodes");
        let decoded = LatencyHistogram::from_v2_bytes(&bytes).expect("decodes");
        assert_eq!(decoded, histogram);
        assert_eq!(decoded.summary(), histogram.summary());
        assert_eq!(decoded.clamped(), 1);
    }

    #[test]
    fn empty_histogram_round_trips() {
        let bytes = LatencyHistogram::new().to_v2_bytes().expect("encodes");
        let decoded = LatencyHistogram::from_v2_bytes(&bytes).expect("decodes");
        assert_eq!(decoded, LatencyHistogram::new());
    }

    #[test]
    fn from_v2_bytes_rejects_garbage() {
        assert!(LatencyHistogram::from_v2_bytes(&[]).is_err());
        assert!(LatencyHistogram::from_v2_bytes(b"not a histogram").is_err());
    }

    #[test]
    fn from_v2_bytes_rejects_trailing_bytes() {
        let mut bytes = histogram_of_micros(&[1_000]).to_v2_bytes().expect("encodes");
        bytes.push(0);
        let error = LatencyHistogram::from_v2_bytes(&bytes).expect_err("trailing byte");
        assert!(error.contains("does not match"), "{error}");
    }

    #[test]
    fn a_crafted_header_is_refused_before_decoding() {
        let mut bytes = histogram_of_micros(&[1_000]).to_v2_bytes().expect("encodes");
        bytes[4..8].copy_from_slice(&u32::MAX.to_be_bytes()); // claims a 4 GiB payload
        assert!(LatencyHistogram::from_v2_bytes(&bytes).is_err());
        let mut bytes = histogram_of_micros(&[1_000]).to_v2_bytes().expect("encodes");
        bytes[12..16].copy_from_slice(&5u32.to_be_bytes()); // five digits: a far larger counts array
        assert!(LatencyHistogram::from_v2_bytes(&bytes).is_err());
    }

    #[test]
    fn from_v2_bytes_rejects_another_layout() {
        let other: Histogram<u64> = Histogram::new_with_bounds(1, 60_000, 2).expect("valid bounds");
        let mut bytes = Vec::new();
        V2Serializer::new().serialize(&other, &mut bytes).expect("encodes");
        let error = LatencyHistogram::from_v2_bytes(&bytes).expect_err("other layout");
        assert!(error.contains("expected"), "{error}");
    }

    #[test]
    fn summary_serialises_to_json() {
        let summary = histogram_of_micros(&[2_500]).summary().expect("one sample");
        let json = serde_json::to_value(&summary).expect("summary serialises");
        assert_eq!(
            json,
            serde_json::json!({
                "count": 1, "mean": 3.0, "p50": 3, "p90": 3, "p99": 3, "p999": 3, "max": 3, "min": 3,
            })
        );
    }

    fn latency_micros_strategy() -> impl Strategy<Value = u64> {
        prop_oneof![
            8 => 0u64..=10_000_000,
            4 => 0u64..=10_000_000_000_000,
            1 => Just(u64::MAX),
        ]
    }

    proptest! {
        #[test]
        fn merge_in_any_split_equals_one_histogram(
            latencies_micros in proptest::collection::vec(latency_micros_strategy(), 0..300),
            split_points in proptest::collection::vec(any::<proptest::sample::Index>(), 0..4),
        ) {
            let mut boundaries: Vec<usize> = split_points
                .iter()
                .map(|point| point.index(latencies_micros.len() + 1))
                .collect();
            boundaries.push(0);
            boundaries.push(latencies_micros.len());
            boundaries.sort_unstable();

            let mut merged = LatencyHistogram::new();
            for window in boundaries.windows(2) {
                merged.merge(&histogram_of_micros(&latencies_micros[window[0]..window[1]]));
            }
            let whole = histogram_of_micros(&latencies_micros);
            prop_assert_eq!(merged.summary(), whole.summary());
            prop_assert_eq!(merged.clamped(), whole.clamped());
            prop_assert_eq!(merged, whole);
        }
    }
}
