//! The bodies of the `scim_responses` and `retry_after` fuzz targets,
//! shared by path with the corpus replay in
//! `tests/integration/fuzz_corpus.rs`: any bytes → the live driver's
//! readers of SCIM answers (`unbindsim::live::parse`). Errors are fine; a
//! panic, a result larger than its input, or a failed round trip is a bug.

use serde_json::{Value, json};
use std::time::UNIX_EPOCH;
use unbindsim::live::parse::{self, MAX_DETAIL_CHARS, ServiceConfig};

/// One body through every body reader: the ServiceProviderConfig, a list
/// page, a bulk response and an error body. What a reader accepts, written
/// back the way a service would write it, must read back the same.
pub fn scim_responses_case(data: &[u8]) {
    if let Ok(config) = parse::service_config(data) {
        let written = serde_json::to_vec(&config_json(&config)).unwrap();
        assert_eq!(parse::service_config(&written).unwrap(), config);
    }
    if let Ok(page) = parse::list_page(data) {
        assert!(page.resources.len() <= data.len(), "more resources than bytes");
        // Resources are compared by count: a float need not read back to
        // the same bits through serde_json's default (fast) float reader.
        let written = json!({ "totalResults": page.total_results, "itemsPerPage": page.items_per_page, "Resources": page.resources });
        let again = parse::list_page(&serde_json::to_vec(&written).unwrap()).unwrap();
        assert_eq!(
            (again.resources.len(), again.total_results, again.items_per_page),
            (page.resources.len(), page.total_results, page.items_per_page)
        );
    }
    if let Ok(statuses) = parse::bulk_statuses(data) {
        assert!(statuses.len() <= data.len(), "more operations than bytes");
        let operations: Vec<Value> = statuses.iter().map(|s| json!({ "status": s.to_string() })).collect();
        let written = serde_json::to_vec(&json!({ "Operations": operations })).unwrap();
        assert_eq!(parse::bulk_statuses(&written).unwrap(), statuses);
    }
    if let Some(detail) = parse::error_detail(data) {
        assert!(detail.chars().count() <= MAX_DETAIL_CHARS + 1 && detail.len() <= data.len() + 4);
        assert!(!detail.chars().any(char::is_control), "{detail:?}");
    }
}

/// A ServiceProviderConfig announcing exactly `config`.
fn config_json(config: &ServiceConfig) -> Value {
    let mut bulk = json!({ "supported": config.bulk.is_some() });
    if let Some(limits) = config.bulk {
        bulk["maxOperations"] = json!(limits.max_operations);
        bulk["maxPayloadSize"] = json!(limits.max_payload_bytes);
    }
    let mut filter = json!({ "supported": config.filter });
    if let Some(max) = config.max_results {
        filter["maxResults"] = json!(max);
    }
    json!({ "patch": { "supported": config.patch }, "bulk": bulk, "filter": filter })
}

/// One `Retry-After` value, read at the epoch (so a date's wait is its
/// seconds since 1970): digits read as their number, and a date, written
/// back as an IMF-fixdate, reads back to the same moment.
pub fn retry_after_case(data: &[u8]) {
    let Some(wait) = parse::retry_after(data, UNIX_EPOCH) else { return };
    let text = std::str::from_utf8(data).expect("only UTF-8 is read").trim();
    if text.bytes().all(|b| b.is_ascii_digit()) {
        assert_eq!(Some(wait.as_secs()), text.parse().ok().or(Some(u64::MAX)));
        return;
    }
    assert_eq!(parse::http_date_seconds(text), Some(wait.as_secs()));
    if let Some(written) = imf_fixdate(wait.as_secs()) {
        assert_eq!(parse::http_date_seconds(&written), Some(wait.as_secs()), "{text:?} → {written:?}");
    }
}

/// The IMF-fixdate of `seconds` since 1970, for years up to 9999
/// (Howard Hinnant's `civil_from_days`).
fn imf_fixdate(seconds: u64) -> Option<String> {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (days, clock) = (seconds / 86_400, seconds % 86_400);
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let weekday = DAYS[(days % 7) as usize];
    let (hour, minute, second) = (clock / 3600, clock % 3600 / 60, clock % 60);
    (year <= 9999).then(|| {
        format!("{weekday}, {day:02} {} {year} {hour:02}:{minute:02}:{second:02} GMT", MONTHS[month as usize - 1])
    })
}
