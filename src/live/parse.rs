//! What the live driver reads out of a SCIM service's answers, as pure
//! functions over the bytes received: the `/ServiceProviderConfig`, a list
//! response's page (`totalResults`, `itemsPerPage`, `Resources`), a bulk
//! response's operation statuses, an error body's `scimType` and `detail`,
//! and the `Retry-After` header (seconds or an HTTP date). PATCH and DELETE
//! answers are read by status alone (their body, if any, only through
//! [`error_detail`] when they fail). None of these panics or allocates more
//! than its input's size on any bytes; the `scim_responses` and
//! `retry_after` fuzz targets hold them to it.

use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Longest error detail kept from a service's body, in characters.
pub const MAX_DETAIL_CHARS: usize = 200;

/// What the service announces about itself.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceConfig {
    pub patch: bool,
    pub bulk: Option<BulkLimits>,
    pub filter: bool,
    /// Most resources a filtered query returns (`filter.maxResults`).
    pub max_results: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BulkLimits {
    pub max_operations: u32,
    pub max_payload_bytes: u64,
}

/// One page of a list response.
#[derive(Clone, Debug, PartialEq)]
pub struct ListPage {
    pub resources: Vec<Value>,
    /// `totalResults`, when the service gives it as a non-negative integer.
    pub total_results: Option<u64>,
    /// `itemsPerPage`, likewise.
    pub items_per_page: Option<u64>,
}

/// A body as JSON, or why not.
fn json(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))
}

/// A body as a JSON object, or why not.
fn object(body: &[u8], what: &str) -> Result<Value, String> {
    let value = json(body)?;
    if value.is_object() { Ok(value) } else { Err(format!("the {what} is not a JSON object")) }
}

fn saturating_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Reads a `ServiceProviderConfig` resource; a feature not announced as
/// `supported: true` is unsupported.
pub fn service_config(body: &[u8]) -> Result<ServiceConfig, String> {
    let value = object(body, "ServiceProviderConfig")?;
    let supported = |key: &str| value[key]["supported"].as_bool().unwrap_or(false);
    let bulk = supported("bulk").then(|| BulkLimits {
        max_operations: saturating_u32(value["bulk"]["maxOperations"].as_u64().unwrap_or(0)),
        max_payload_bytes: value["bulk"]["maxPayloadSize"].as_u64().unwrap_or(0),
    });
    let max_results = value["filter"]["maxResults"].as_u64().map(saturating_u32);
    Ok(ServiceConfig { patch: supported("patch"), bulk, filter: supported("filter"), max_results })
}

/// Reads one page of a list response (RFC 7644 §3.4.2). A missing
/// `Resources` is an empty page; a `Resources` that is not an array is an
/// error.
pub fn list_page(body: &[u8]) -> Result<ListPage, String> {
    let mut value = object(body, "list response")?;
    let resources = match value.get_mut("Resources").map(Value::take) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("the list response's Resources is not an array".to_owned()),
    };
    Ok(ListPage {
        resources,
        total_results: value["totalResults"].as_u64(),
        items_per_page: value["itemsPerPage"].as_u64(),
    })
}

/// The statuses of a bulk response's operations (a string such as `"204"`
/// or a number); 0 for an operation whose status cannot be read.
pub fn bulk_statuses(body: &[u8]) -> Result<Vec<u16>, String> {
    let value = object(body, "bulk response")?;
    let Some(operations) = value["Operations"].as_array() else {
        return Err("the bulk response has no Operations array".to_owned());
    };
    let status = |op: &Value| match &op["status"] {
        Value::String(s) => s.trim().parse().unwrap_or(0),
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()).unwrap_or(0),
        _ => 0,
    };
    Ok(operations.iter().map(status).collect())
}

/// `scimType: detail` of a SCIM error body (RFC 7644 §3.12), either part
/// alone when the other is missing, control characters replaced and cut
/// at [`MAX_DETAIL_CHARS`]; `None` for a body that is no error object.
pub fn error_detail(body: &[u8]) -> Option<String> {
    let value = object(body, "error").ok()?;
    let text = |key: &str| value[key].as_str().map(str::trim).filter(|s| !s.is_empty());
    let joined = match (text("scimType"), text("detail")) {
        (Some(kind), Some(detail)) => format!("{kind}: {detail}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => return None,
    };
    let mut cut: String = joined.chars().take(MAX_DETAIL_CHARS).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if joined.chars().nth(MAX_DETAIL_CHARS).is_some() {
        cut.push('…');
    }
    Some(cut)
}

/// `Retry-After` (RFC 9110 §10.2.3) as a wait from `now`: delay-seconds
/// (digits only), or an HTTP date (IMF-fixdate) of which a moment in the
/// past is no wait; `None` for anything else.
pub fn retry_after(value: &[u8], now: SystemTime) -> Option<Duration> {
    let text = std::str::from_utf8(value).ok()?.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(text.parse().unwrap_or(u64::MAX)));
    }
    let at = UNIX_EPOCH + Duration::from_secs(http_date_seconds(text)?);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Seconds since 1970 of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`),
/// years 1970 to 9999.
pub fn http_date_seconds(text: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (_, rest) = text.split_once(", ")?;
    let mut fields = rest.split(' ');
    let mut next = || fields.next();
    let (day, month, year, time, zone) = (next()?, next()?, next()?, next()?, next()?);
    if zone != "GMT" || next().is_some() {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let number = |part: &str| if part.bytes().all(|b| b.is_ascii_digit()) { part.parse::<u64>().ok() } else { None };
    let (day, year) = (number(day)?, number(year)?);
    let mut clock = time.split(':');
    let mut part = || clock.next().and_then(number);
    let (hour, minute, second) = (part()?, part()?, part()?);
    if clock.next().is_some() || !(1970..=9999).contains(&year) || !(1..=days_in_month(year, month)).contains(&day) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil`, for years from 1970).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_config_reads_bulk_limits_and_unsupported_features() {
        let full = br#"{ "patch": { "supported": true }, "bulk": { "supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576 }, "filter": { "supported": true, "maxResults": 200 } }"#;
        let config = service_config(full).unwrap();
        assert!(config.patch && config.filter);
        assert_eq!(config.bulk, Some(BulkLimits { max_operations: 1000, max_payload_bytes: 1_048_576 }));
        assert_eq!(config.max_results, Some(200));
        let bare = service_config(br#"{ "bulk": { "supported": false } }"#).unwrap();
        assert_eq!(bare.bulk, None);
        assert!(!bare.patch);
        assert!(service_config(b"[1]").is_err() && service_config(b"{").is_err());
    }

    #[test]
    fn list_pages_and_bulk_statuses_read_what_is_there() {
        let page =
            list_page(br#"{"totalResults": 7, "itemsPerPage": 2, "Resources": [{"id":"a"},{"id":"b"}]}"#).unwrap();
        assert_eq!((page.resources.len(), page.total_results, page.items_per_page), (2, Some(7), Some(2)));
        assert_eq!(list_page(br#"{"totalResults": -1}"#).unwrap().total_results, None);
        assert!(list_page(br#"{"Resources": 3}"#).is_err());
        let statuses = bulk_statuses(br#"{"Operations":[{"status":"204"},{"status":409},{"status":70000},{}]}"#);
        assert_eq!(statuses.unwrap(), vec![204, 409, 0, 0]);
    }

    #[test]
    fn error_details_are_joined_and_cut() {
        let body = br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"scimType":"uniqueness","detail":"taken\nagain","status":"409"}"#;
        assert_eq!(error_detail(body).as_deref(), Some("uniqueness: taken again"));
        let long = format!(r#"{{"detail":"{}"}}"#, "x".repeat(500));
        assert_eq!(error_detail(long.as_bytes()).unwrap().chars().count(), MAX_DETAIL_CHARS + 1);
        assert_eq!(error_detail(b"<html>"), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(http_date_seconds("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(http_date_seconds("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(http_date_seconds("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(http_date_seconds("Sun, 06 Nov 1994 +8:49:37 GMT"), None);
        assert_eq!(http_date_seconds("Mon, 31 Feb 2025 00:00:00 GMT"), None);
        assert_eq!(http_date_seconds("Thu, 29 Feb 2024 00:00:00 GMT"), Some(1_709_164_800));
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770);
        assert_eq!(retry_after(b"Sun, 06 Nov 1994 08:49:37 GMT", now), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(b"Sun, 06 Nov 1994 08:49:37 GMT", SystemTime::now()), Some(Duration::ZERO));
        assert_eq!(retry_after(b" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(b"+7", now), None);
        assert_eq!(retry_after(b"99999999999999999999999", now), Some(Duration::from_secs(u64::MAX)));
    }
}
