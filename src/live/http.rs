//! The HTTP/1.1 client of a live run, on hyper's own client connections:
//! keep-alive connections to the one service (plain TCP, or TLS through
//! rustls with the webpki roots), kept in one idle pool that every phase
//! shares and reuses request after request. Requests go out in origin form
//! with the service's `Host` and the run's fixed headers; bodies are shared
//! `Bytes`, never copied; redirects are never followed (nothing here reads
//! `Location`); each attempt, connecting included, has one timeout; and
//! every failure is classified as an [`Outcome`].

use super::scim::{ConnectionError, Outcome};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST, HeaderMap, HeaderValue};
use hyper::{Method, Request, Uri};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_rustls::rustls;
use url::Url;

/// The sending half of one connection.
type Sender = SendRequest<Full<Bytes>>;

/// A response as read off the connection: status, headers, whole body.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A pool of keep-alive connections to one service.
#[derive(Clone)]
pub struct HttpClient {
    shared: Arc<Shared>,
}

struct Shared {
    /// Host name or address to connect to (IPv6 without brackets) and port.
    host: String,
    port: u16,
    /// TLS for `https`, with the name the certificate must carry.
    tls: Option<(tokio_rustls::TlsConnector, rustls::pki_types::ServerName<'static>)>,
    /// `Host`, `Accept` and the authorization, sent with every request.
    headers: HeaderMap,
    timeout: Duration,
    idle: Mutex<Vec<Sender>>,
    /// Most idle connections kept.
    pool: usize,
}

impl HttpClient {
    /// A client for the service of `base` (http or https, no credentials),
    /// sending `headers` (and `Host`) with every request, each attempt
    /// within `timeout`, keeping at most `pool` idle connections.
    pub fn new(base: &Url, mut headers: HeaderMap, timeout: Duration, pool: usize) -> Result<HttpClient, String> {
        let (Some(host), Some(port)) = (base.host(), base.port_or_known_default()) else {
            return Err(format!("--url {base}: no host to connect to"));
        };
        let host = match host {
            url::Host::Domain(name) => name.to_owned(),
            url::Host::Ipv4(address) => address.to_string(),
            url::Host::Ipv6(address) => address.to_string(),
        };
        let authority = &base[url::Position::BeforeHost..url::Position::AfterPort];
        let authority = HeaderValue::from_str(authority).map_err(|_| format!("--url {base}: not a valid host"))?;
        headers.insert(HOST, authority);
        let tls = match base.scheme() {
            "http" => None,
            "https" => Some(tls_connector(&host)?),
            other => return Err(format!("--url {base}: scheme {other} is neither http nor https")),
        };
        let idle = Mutex::new(Vec::with_capacity(pool));
        Ok(HttpClient { shared: Arc::new(Shared { host, port, tls, headers, timeout, idle, pool }) })
    }

    /// One attempt of `method` on `target` (origin form: path and query),
    /// with `body` as `content_type` when there is one.
    pub async fn send(
        &self,
        method: Method,
        target: &Uri,
        body: Option<(&Bytes, &'static str)>,
    ) -> Result<Answer, Outcome> {
        let mut request = Request::new(Full::new(body.map_or_else(Bytes::new, |(bytes, _)| bytes.clone())));
        *request.method_mut() = method;
        *request.uri_mut() = target.clone();
        *request.headers_mut() = self.shared.headers.clone();
        if let Some((_, content_type)) = body {
            request.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        tokio::time::timeout(self.shared.timeout, self.exchange(request)).await.unwrap_or(Err(Outcome::Timeout))
    }

    /// Sends on an idle connection, or a new one; a request an idle
    /// connection closed before taking goes once more on a new one.
    /// Connecting (TLS's handshake state is large) is boxed, so the future
    /// every request moves into its task stays small.
    async fn exchange(&self, mut request: Request<Full<Bytes>>) -> Result<Answer, Outcome> {
        let (mut sender, mut reused) = match self.idle_sender().await {
            Some(sender) => (sender, true),
            None => (Box::pin(self.connect()).await?, false),
        };
        loop {
            match sender.try_send_request(request).await {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    let body = body.collect().await.map_err(|e| classify(&e))?.to_bytes();
                    self.give_back(sender);
                    return Ok(Answer { status: parts.status.as_u16(), headers: parts.headers, body });
                }
                Err(mut failed) => match failed.take_message() {
                    Some(unsent) if reused => {
                        (request, sender, reused) = (unsent, Box::pin(self.connect()).await?, false);
                    }
                    _ => return Err(classify(failed.error())),
                },
            }
        }
    }

    /// An idle connection ready for a request, if one is left.
    async fn idle_sender(&self) -> Option<Sender> {
        loop {
            let mut sender = self.shared.idle.lock().expect("the pool's lock is never poisoned").pop()?;
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    fn give_back(&self, sender: Sender) {
        let mut idle = self.shared.idle.lock().expect("the pool's lock is never poisoned");
        if !sender.is_closed() && idle.len() < self.shared.pool {
            idle.push(sender);
        }
    }

    /// A new connection (TCP, then TLS for https), driven by a task of its own.
    async fn connect(&self) -> Result<Sender, Outcome> {
        let shared = &self.shared;
        let tcp =
            tokio::net::TcpStream::connect((shared.host.as_str(), shared.port)).await.map_err(|e| classify(&e))?;
        let _ = tcp.set_nodelay(true);
        match &shared.tls {
            None => handshake(tcp).await,
            Some((connector, name)) => {
                handshake(connector.connect(name.clone(), tcp).await.map_err(|e| classify(&e))?).await
            }
        }
    }
}

/// The HTTP/1.1 handshake over `io`; the connection runs on its own task
/// until the service or the client closes it.
async fn handshake<T>(io: T) -> Result<Sender, Outcome>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io)).await.map_err(|e| classify(&e))?;
    tokio::spawn(connection);
    Ok(sender)
}

/// rustls with the webpki roots (ring), offering HTTP/1.1, for `host`.
fn tls_connector(host: &str) -> Result<(tokio_rustls::TlsConnector, rustls::pki_types::ServerName<'static>), String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|_| format!("{host}: not a name a TLS certificate can carry"))?;
    Ok((tokio_rustls::TlsConnector::from(Arc::new(config)), name))
}

/// How a failed attempt counts: a timeout, a refused or reset connection,
/// or another connection failure (TLS, a malformed response, …).
fn classify(error: &(dyn std::error::Error + 'static)) -> Outcome {
    let mut source = Some(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            match io.kind() {
                ConnectionRefused => return Outcome::Connection(ConnectionError::Refused),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => {
                    return Outcome::Connection(ConnectionError::Reset);
                }
                TimedOut => return Outcome::Timeout,
                _ => {}
            }
        }
        if cause.downcast_ref::<hyper::Error>().is_some_and(|e| e.is_incomplete_message() || e.is_canceled()) {
            return Outcome::Connection(ConnectionError::Reset);
        }
        source = cause.source();
    }
    Outcome::Connection(ConnectionError::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_classified_by_kind() {
        let io = |kind| std::io::Error::new(kind, "x");
        assert_eq!(classify(&io(std::io::ErrorKind::ConnectionRefused)), Outcome::Connection(ConnectionError::Refused));
        assert_eq!(classify(&io(std::io::ErrorKind::UnexpectedEof)), Outcome::Connection(ConnectionError::Reset));
        assert_eq!(classify(&io(std::io::ErrorKind::TimedOut)), Outcome::Timeout);
        assert_eq!(classify(&io(std::io::ErrorKind::InvalidData)), Outcome::Connection(ConnectionError::Other));
    }

    #[test]
    fn the_host_header_carries_a_non_default_port_only() {
        let client = |url: &str| HttpClient::new(&Url::parse(url).unwrap(), HeaderMap::new(), Duration::ZERO, 1);
        let host = |url: &str| client(url).unwrap().shared.headers[HOST].to_str().unwrap().to_owned();
        assert_eq!(host("http://[::1]:8080/v2/"), "[::1]:8080");
        assert_eq!(host("https://scim.example.com/v2/"), "scim.example.com");
        assert_eq!(client("http://[::1]:8080/").unwrap().shared.host, "::1");
        assert!(client("ftp://example.com/").is_err());
    }
}
