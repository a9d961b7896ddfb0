//! The SCIM 2.0 client (RFC 7643/7644): one base URL, requests built only
//! under it (redirects are never followed), SCIM JSON bodies, discovery of
//! the `/ServiceProviderConfig`, paged listing with filters, and the
//! outcome of every attempt (sent by [`super::http`]). The bearer token is
//! kept in a header marked sensitive and is never formatted.

use super::http::HttpClient;
use bytes::Bytes;
use hyper::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use hyper::{Method, StatusCode, Uri};
use serde_json::{Value, json};

pub use super::parse::{BulkLimits, ServiceConfig};
use std::time::Duration;
use url::Url;

const SCHEMA_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const SCHEMA_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const SCHEMA_PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SCHEMA_BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const MEDIA_TYPE: &str = "application/scim+json";
/// Most pages one listing may read.
const MAX_PAGES: u32 = 10_000;
/// Longest wait between two attempts, whatever `Retry-After` says.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// First backoff when the service gives no `Retry-After`.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Page size asked for when the service announces no smaller maximum.
const PAGE_SIZE: u32 = 500;

/// How one HTTP attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A response with this status (success or error).
    Status(u16),
    Timeout,
    Connection(ConnectionError),
}

/// Kinds of connection failure, counted apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConnectionError {
    Refused,
    Reset,
    Other,
}

impl ConnectionError {
    pub fn name(self) -> &'static str {
        match self {
            ConnectionError::Refused => "refused",
            ConnectionError::Reset => "reset",
            ConnectionError::Other => "other",
        }
    }
}

/// A response: status, `Retry-After` (in seconds, when given as such) and body.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Bytes,
}

impl Response {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Why this answer failed: its status, the 401/403 hint, and the
    /// service's own `scimType: detail` when its body gives one.
    pub fn failure(&self) -> String {
        let detail = super::parse::error_detail(&self.body).map(|d| format!(" ({d})")).unwrap_or_default();
        format!("status {}{}{detail}", self.status, auth_hint(self.status))
    }
}

/// A SCIM service at one base URL.
#[derive(Clone)]
pub struct ScimClient {
    http: HttpClient,
    base: Url,
    /// Retries of a 429 or 503 in discovery and listings (the replay and
    /// provisioning give their own budget to [`ScimClient::send_retrying`]).
    retries: u32,
}

impl ScimClient {
    /// A client for `base` (http or https) with a per-attempt `timeout` and
    /// an optional bearer token. Credentials in the URL (`user:pass@`) are
    /// sent as HTTP Basic authentication, in a header marked sensitive, and
    /// taken out of the base, so no URL the client formats carries them; a
    /// URL with credentials and a token together is refused.
    pub fn new(base: &Url, token: Option<&str>, timeout: Duration, pool: usize) -> Result<ScimClient, String> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(MEDIA_TYPE));
        let authorization = match (token, has_credentials(base)) {
            (Some(_), true) => return Err(CREDENTIALS_AND_TOKEN.to_owned()),
            (Some(token), false) => Some(format!("Bearer {token}")),
            (None, true) => Some(basic_authorization(base)),
            (None, false) => None,
        };
        if let Some(text) = authorization {
            let mut value = HeaderValue::from_str(&text).map_err(|_| {
                "the bearer token or the URL's credentials hold characters an HTTP header cannot carry".to_owned()
            })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let base = with_trailing_slash(&redacted(base));
        let http = HttpClient::new(&base, headers, timeout, pool)?;
        Ok(ScimClient { http, base, retries: 0 })
    }

    /// The same client retrying 429 and 503 up to `retries` times in
    /// discovery and listings too.
    pub fn with_retries(mut self, retries: u32) -> ScimClient {
        self.retries = retries;
        self
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The same client on another base (`base` + `path`).
    pub fn under(&self, path: &str) -> ScimClient {
        let base = self.base.join(path).map(|u| with_trailing_slash(&u)).unwrap_or_else(|_| self.base.clone());
        ScimClient { http: self.http.clone(), base, retries: self.retries }
    }

    /// The URL of `path` (relative, e.g. `Users/abc?x=y`) under the base.
    pub fn url(&self, path: &str) -> Url {
        self.base.join(path.trim_start_matches('/')).expect("relative SCIM paths join onto the base")
    }

    /// The request target (path and query) of `path` under the base, as
    /// sent: built once per request, reused by every attempt.
    pub fn target(&self, path: &str) -> Uri {
        let url = self.url(path);
        Uri::try_from(&url[url::Position::BeforePath..]).expect("a URL's path and query are a request target")
    }

    /// One attempt of one request.
    pub async fn send(&self, method: Method, target: &Uri, body: Option<&Bytes>) -> Result<Response, Outcome> {
        let answer = self.http.send(method, target, body.map(|body| (body, MEDIA_TYPE))).await?;
        let retry_after = answer
            .headers
            .get(RETRY_AFTER)
            .and_then(|value| super::parse::retry_after(value.as_bytes(), std::time::SystemTime::now()));
        Ok(Response { status: answer.status, retry_after, body: answer.body })
    }

    /// One request, retrying 429 and 503 up to `budget` times after the
    /// service's `Retry-After` (seconds or an HTTP date, at most
    /// [`MAX_BACKOFF`]) or an exponential backoff: the one retry policy of
    /// every phase. Returns the last answer and the retries made.
    pub async fn send_retrying(
        &self,
        method: Method,
        target: &Uri,
        body: Option<&Bytes>,
        budget: u32,
    ) -> (Result<Response, Outcome>, u32) {
        let mut retries = 0;
        loop {
            match self.send(method.clone(), target, body).await {
                Ok(response) if is_retryable(response.status) && retries < budget => {
                    tokio::time::sleep(backoff(response.retry_after, retries)).await;
                    retries += 1;
                }
                answer => return (answer, retries),
            }
        }
    }

    /// A GET under the client's own retry budget.
    async fn get(&self, path: &str) -> Result<Response, String> {
        self.send_retrying(Method::GET, &self.target(path), None, self.retries).await.0.map_err(|o| describe(&o))
    }

    /// Reads `/ServiceProviderConfig`.
    pub async fn service_config(&self) -> Result<ServiceConfig, String> {
        let response = self.get("ServiceProviderConfig").await?;
        if !response.ok() {
            return Err(format!("GET {}: {}", self.url("ServiceProviderConfig"), response.failure()));
        }
        super::parse::service_config(&response.body)
            .map_err(|e| format!("GET {}: {e}", self.url("ServiceProviderConfig")))
    }

    /// Every resource of `endpoint` (`Users`, `Groups`) matching `filter`,
    /// read page by page (`startIndex`, `count`), with only `attributes`.
    pub async fn list(
        &self,
        endpoint: &str,
        filter: &str,
        attributes: &str,
        page_size: u32,
    ) -> Result<Vec<Value>, String> {
        let mut resources = Vec::new();
        let mut start_index: u64 = 1;
        for _ in 0..MAX_PAGES {
            let path = format!(
                "{endpoint}?filter={}&attributes={attributes}&startIndex={start_index}&count={page_size}",
                encode_query(filter)
            );
            let response = self.get(&path).await?;
            if !response.ok() {
                return Err(format!("GET {endpoint} (filter {filter}): {}", response.failure()));
            }
            let page = super::parse::list_page(&response.body)
                .map_err(|e| format!("GET {endpoint} (filter {filter}): {e}"))?;
            let total = page.total_results.unwrap_or(0);
            let got = page.resources.len() as u64;
            resources.extend(page.resources);
            start_index += got;
            // `totalResults` alone is not trusted: a full page asks for the
            // next whatever it says, and only an empty page, or a short one
            // that `totalResults` agrees is the last, ends the listing.
            if got == 0 || got < u64::from(page_size) && start_index > total {
                return Ok(resources);
            }
        }
        Err(format!("GET {endpoint}: more than {MAX_PAGES} pages"))
    }
}

/// Why a URL with credentials and a bearer token are refused together.
pub const CREDENTIALS_AND_TOKEN: &str = "--url carries credentials (user:password@) and a bearer token is given (--token, --token-file or UNBINDSIM_TOKEN): the URL's credentials would replace the token; give one or the other";

/// Whether `url` carries a user name or a password.
pub fn has_credentials(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// `url` without its user name and password: the only form of a URL that
/// is ever printed or written.
pub fn redacted(url: &Url) -> Url {
    let mut url = url.clone();
    let _ = url.set_password(None);
    let _ = url.set_username("");
    url
}

/// `Basic base64(user:password)` from the URL's (percent-decoded) userinfo.
fn basic_authorization(url: &Url) -> String {
    use base64::Engine;
    let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
    let pair = format!("{}:{}", decode(url.username()), decode(url.password().unwrap_or("")));
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
}

/// The page size to ask for, within what the service announces.
pub fn page_size(config: &ServiceConfig) -> u32 {
    config.max_results.filter(|&n| n > 0).map_or(PAGE_SIZE, |n| n.min(PAGE_SIZE))
}

/// A user resource for a synthetic member.
pub fn user_body(user_name: &str, external_id: &str) -> Vec<u8> {
    let body = json!({ "schemas": [SCHEMA_USER], "userName": user_name, "externalId": external_id, "active": true });
    serde_json::to_vec(&body).expect("JSON values serialize")
}

/// A group resource for a department with these member ids.
pub fn group_body(display_name: &str, member_ids: &[&str]) -> Vec<u8> {
    let members: Vec<Value> = member_ids.iter().map(|id| json!({ "value": id })).collect();
    let body = json!({ "schemas": [SCHEMA_GROUP], "displayName": display_name, "members": members });
    serde_json::to_vec(&body).expect("JSON values serialize")
}

/// A PATCH that sets `active`.
pub fn set_active_body(active: bool) -> Vec<u8> {
    let body =
        json!({ "schemas": [SCHEMA_PATCH], "Operations": [{ "op": "replace", "path": "active", "value": active }] });
    serde_json::to_vec(&body).expect("JSON values serialize")
}

/// One bulk operation deleting a user.
pub fn bulk_delete_operation(id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "method": "DELETE", "path": format!("/Users/{id}") })).expect("JSON values serialize")
}

/// The bulk envelope around already encoded operations.
pub fn bulk_body(operations: &[Vec<u8>]) -> Vec<u8> {
    let mut body = bulk_prefix();
    for (index, operation) in operations.iter().enumerate() {
        if index > 0 {
            body.push(b',');
        }
        body.extend_from_slice(operation);
    }
    body.extend_from_slice(BULK_SUFFIX);
    body
}

/// Bytes of a bulk body with no operation.
pub fn bulk_overhead() -> usize {
    bulk_prefix().len() + BULK_SUFFIX.len()
}

const BULK_SUFFIX: &[u8] = b"]}";

fn bulk_prefix() -> Vec<u8> {
    format!("{{\"schemas\":[\"{SCHEMA_BULK}\"],\"Operations\":[").into_bytes()
}

/// What to check after a 401 or 403.
fn auth_hint(status: u16) -> &'static str {
    match status {
        401 => " (unauthorized: does the service need --token, or another one?)",
        403 => " (forbidden: the --token lacks the rights to do this)",
        _ => "",
    }
}

/// A human description of a failed attempt.
pub fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Status(status) => format!("status {status}"),
        Outcome::Timeout => "timed out".into(),
        Outcome::Connection(kind) => format!("connection {}", kind.name()),
    }
}

fn with_trailing_slash(url: &Url) -> Url {
    let mut url = url.clone();
    if !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    url
}

/// The wait before retry `retries` (from 0): `Retry-After`, or an
/// exponential backoff from [`FIRST_BACKOFF`], at most [`MAX_BACKOFF`].
pub fn backoff(retry_after: Option<Duration>, retries: u32) -> Duration {
    retry_after.unwrap_or_else(|| FIRST_BACKOFF.saturating_mul(1 << retries.min(16))).min(MAX_BACKOFF)
}

/// Percent-encodes a query value.
fn encode_query(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>().replace('+', "%20")
}

/// Whether a status asks to come back later.
pub fn is_retryable(status: u16) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS.as_u16() || status == StatusCode::SERVICE_UNAVAILABLE.as_u16()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_body_is_the_envelope_around_its_operations() {
        let ops = vec![bulk_delete_operation("a"), bulk_delete_operation("b")];
        let body = bulk_body(&ops);
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["Operations"].as_array().unwrap().len(), 2);
        assert_eq!(value["Operations"][1]["path"], "/Users/b");
        assert_eq!(body.len(), bulk_overhead() + ops[0].len() + ops[1].len() + 1);
    }

    #[test]
    fn url_credentials_become_basic_auth_and_leave_the_base() {
        let url = Url::parse("http://admin:P%40SS@127.0.0.1:9/v2").unwrap();
        let client = ScimClient::new(&url, None, Duration::from_secs(1), 1).unwrap();
        assert_eq!(client.base().as_str(), "http://127.0.0.1:9/v2/");
        assert_eq!(basic_authorization(&url), "Basic YWRtaW46UEBTUw==");
        assert_eq!(
            ScimClient::new(&url, Some("t"), Duration::from_secs(1), 1).err().as_deref(),
            Some(CREDENTIALS_AND_TOKEN)
        );
    }

    #[test]
    fn paths_stay_under_the_base() {
        let client =
            ScimClient::new(&Url::parse("http://127.0.0.1:9/scim/v2").unwrap(), None, Duration::from_secs(1), 1)
                .unwrap();
        assert_eq!(client.url("Users/x").as_str(), "http://127.0.0.1:9/scim/v2/Users/x");
        assert_eq!(client.url("/Bulk").as_str(), "http://127.0.0.1:9/scim/v2/Bulk");
        assert_eq!(client.target("Users?filter=a%20b").to_string(), "/scim/v2/Users?filter=a%20b");
        assert_eq!(encode_query("active eq true"), "active%20eq%20true");
    }
}
