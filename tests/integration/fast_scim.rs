//! A fast in-memory SCIM 2.0 service on loopback, for the live-load
//! benchmarks (`examples/fast_scim_server.rs`, `benches/live-ceiling.sh`)
//! and the coordinated-omission test: what `unbindsim load` uses —
//! `/ServiceProviderConfig`, `Users` and `Groups` with `sw` / `eq` filters
//! (and `active eq true and …`), paging, POST, PATCH, DELETE and `/Bulk` —
//! on hyper's HTTP/1.1 with keep-alive. With a stall, every request that
//! changes a user (PATCH, DELETE, Bulk) arriving in the last `stall` of
//! each `every`, counted from the first such request, is held until that
//! window ends: the server "freezes" as in wrk2's demonstration.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The most resources one listing page holds.
const MAX_RESULTS: usize = 200;
/// Bulk limits the service announces.
const BULK_MAX_OPERATIONS: usize = 1000;
const BULK_MAX_PAYLOAD_BYTES: usize = 1 << 20;

/// How the service behaves.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Hold changing requests for this long at the end of every `every`.
    pub stall: Duration,
    pub every: Duration,
    /// Worker threads of the service's runtime.
    pub threads: usize,
}

/// A running service: its address; it stops with the process.
pub struct Running {
    pub addr: SocketAddr,
}

impl Running {
    /// The SCIM base URL.
    pub fn url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }
}

#[derive(Default)]
struct Store {
    users: HashMap<u64, Resource>,
    groups: HashMap<u64, Resource>,
    /// name → id, for `sw` filters as range scans.
    user_names: BTreeMap<String, u64>,
    group_names: BTreeMap<String, u64>,
    next_id: u64,
}

struct Resource {
    name: String,
    active: bool,
    members: usize,
}

struct Service {
    store: Mutex<Store>,
    options: Options,
    /// When the first changing request arrived: the stall clock's origin.
    first_change: OnceLock<Instant>,
}

/// Starts the service on a free loopback port, on threads of its own.
pub fn start(options: Options) -> std::io::Result<Running> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(options.threads.max(1)).enable_all().build()?;
    let service = Arc::new(Service { store: Mutex::default(), options, first_change: OnceLock::new() });
    std::thread::spawn(move || runtime.block_on(serve(listener, service)));
    Ok(Running { addr })
}

async fn serve(listener: std::net::TcpListener, service: Arc<Service>) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        tokio::spawn(async move {
            let handler = hyper::service::service_fn(move |request| {
                let service = service.clone();
                async move { Ok::<_, std::convert::Infallible>(service.handle(request).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new().keep_alive(true).serve_connection(io, handler).await;
        });
    }
}

impl Service {
    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let method = request.method().clone();
        let path = request.uri().path().trim_start_matches("/v2").to_owned();
        let query = request.uri().query().unwrap_or("").to_owned();
        let body = match request.into_body().collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return reply(StatusCode::BAD_REQUEST, &json!({ "detail": "unreadable body" })),
        };
        if method != Method::GET && method != Method::POST || path == "/Bulk" {
            self.stall().await;
        }
        let parsed = || serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
        match (method, path.as_str()) {
            (Method::GET, "/ServiceProviderConfig") => reply(StatusCode::OK, &service_config()),
            (Method::GET, "/Users") => self.list(&query, Kind::User),
            (Method::GET, "/Groups") => self.list(&query, Kind::Group),
            (Method::POST, "/Users") => self.create(&parsed(), Kind::User),
            (Method::POST, "/Groups") => self.create(&parsed(), Kind::Group),
            (Method::POST, "/Bulk") => self.bulk(&parsed()),
            (Method::PATCH, path) if path.starts_with("/Users/") => self.patch_user(&path[7..], &parsed()),
            (Method::PATCH, path) if path.starts_with("/Groups/") => reply(StatusCode::NO_CONTENT, &Value::Null),
            (Method::DELETE, path) if path.starts_with("/Users/") => self.delete_user(&path[7..]),
            _ => reply(StatusCode::NOT_FOUND, &json!({ "status": "404", "detail": "no such endpoint" })),
        }
    }

    /// Waits out the stall window the request arrived in, if any.
    async fn stall(&self) {
        let Options { stall, every, .. } = self.options;
        if stall.is_zero() || every.is_zero() {
            return;
        }
        let origin = *self.first_change.get_or_init(Instant::now);
        let since = origin.elapsed().as_nanos();
        let into_period = since % every.as_nanos();
        let stall_from = every.as_nanos().saturating_sub(stall.as_nanos());
        if into_period >= stall_from {
            let left = u64::try_from(every.as_nanos() - into_period).unwrap_or(u64::MAX);
            tokio::time::sleep(Duration::from_nanos(left)).await;
        }
    }

    fn list(&self, query: &str, kind: Kind) -> Response<Full<Bytes>> {
        let filter = Filter::parse(&query_value(query, "filter").unwrap_or_default());
        let start = query_value(query, "startIndex").and_then(|v| v.parse::<usize>().ok()).unwrap_or(1).max(1);
        let count = query_value(query, "count").and_then(|v| v.parse::<usize>().ok()).unwrap_or(MAX_RESULTS);
        let store = self.store.lock().unwrap();
        let (names, resources) = kind.of(&store);
        let matching = names
            .range(filter.prefix.clone()..)
            .take_while(|(name, _)| name.starts_with(&filter.prefix))
            .filter(|(name, _)| filter.equals.as_ref().is_none_or(|wanted| wanted == *name))
            .filter(|(_, id)| !filter.active_only || resources[id].active);
        let all: Vec<(&String, &u64)> = matching.collect();
        let page: Vec<Value> = all
            .iter()
            .skip(start - 1)
            .take(count.min(MAX_RESULTS))
            .map(|(_, id)| kind.json(**id, &resources[id]))
            .collect();
        let body = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": all.len(),
                           "startIndex": start, "itemsPerPage": page.len(), "Resources": page });
        reply(StatusCode::OK, &body)
    }

    fn create(&self, body: &Value, kind: Kind) -> Response<Full<Bytes>> {
        let Some(name) = body[kind.name_key()].as_str() else {
            return reply(StatusCode::BAD_REQUEST, &json!({ "status": "400", "detail": "no name" }));
        };
        let mut store = self.store.lock().unwrap();
        store.next_id += 1;
        let id = store.next_id;
        let resource = Resource {
            name: name.to_owned(),
            active: body["active"].as_bool().unwrap_or(true),
            members: body["members"].as_array().map_or(0, Vec::len),
        };
        let (names, resources) = kind.of_mut(&mut store);
        if names.contains_key(name) {
            return reply(StatusCode::CONFLICT, &json!({ "status": "409", "scimType": "uniqueness" }));
        }
        names.insert(name.to_owned(), id);
        let json = kind.json(id, &resource);
        resources.insert(id, resource);
        reply(StatusCode::CREATED, &json)
    }

    fn patch_user(&self, id: &str, body: &Value) -> Response<Full<Bytes>> {
        let mut store = self.store.lock().unwrap();
        let Some(user) = id.parse().ok().and_then(|id| store.users.get_mut(&id)) else {
            return reply(StatusCode::NOT_FOUND, &json!({ "status": "404" }));
        };
        for operation in body["Operations"].as_array().into_iter().flatten() {
            match (&operation["path"], &operation["value"]) {
                (Value::String(path), Value::Bool(active)) if path == "active" => user.active = *active,
                (Value::Null, value) if value["active"].is_boolean() => user.active = value["active"] == true,
                _ => {}
            }
        }
        let json = Kind::User.json(id.parse().unwrap_or(0), user);
        reply(StatusCode::OK, &json)
    }

    fn delete_user(&self, id: &str) -> Response<Full<Bytes>> {
        let mut store = self.store.lock().unwrap();
        match id.parse().ok().and_then(|id| store.users.remove(&id)) {
            Some(user) => {
                store.user_names.remove(&user.name);
                reply(StatusCode::NO_CONTENT, &Value::Null)
            }
            None => reply(StatusCode::NOT_FOUND, &json!({ "status": "404" })),
        }
    }

    fn bulk(&self, body: &Value) -> Response<Full<Bytes>> {
        let operations = body["Operations"].as_array().cloned().unwrap_or_default();
        if operations.len() > BULK_MAX_OPERATIONS {
            return reply(StatusCode::PAYLOAD_TOO_LARGE, &json!({ "status": "413", "scimType": "tooMany" }));
        }
        let statuses: Vec<Value> = operations
            .iter()
            .map(|operation| {
                let path = operation["path"].as_str().unwrap_or("");
                let status = match (operation["method"].as_str(), path.strip_prefix("/Users/")) {
                    (Some("DELETE"), Some(id)) => self.delete_user(id).status(),
                    _ => StatusCode::BAD_REQUEST,
                };
                json!({ "method": operation["method"], "path": path, "status": status.as_u16().to_string() })
            })
            .collect();
        let body = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"], "Operations": statuses });
        reply(StatusCode::OK, &body)
    }
}

#[derive(Clone, Copy)]
enum Kind {
    User,
    Group,
}

impl Kind {
    fn name_key(self) -> &'static str {
        match self {
            Kind::User => "userName",
            Kind::Group => "displayName",
        }
    }

    fn of(self, store: &Store) -> (&BTreeMap<String, u64>, &HashMap<u64, Resource>) {
        match self {
            Kind::User => (&store.user_names, &store.users),
            Kind::Group => (&store.group_names, &store.groups),
        }
    }

    fn of_mut(self, store: &mut Store) -> (&mut BTreeMap<String, u64>, &mut HashMap<u64, Resource>) {
        match self {
            Kind::User => (&mut store.user_names, &mut store.users),
            Kind::Group => (&mut store.group_names, &mut store.groups),
        }
    }

    fn json(self, id: u64, resource: &Resource) -> Value {
        match self {
            Kind::User => json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": id.to_string(),
                                  "userName": resource.name, "active": resource.active }),
            Kind::Group => json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": id.to_string(),
                                   "displayName": resource.name, "memberCount": resource.members }),
        }
    }
}

/// What a listing filter asks: `userName sw "p"`, `displayName eq "n"`,
/// optionally `active eq true and …`.
struct Filter {
    prefix: String,
    equals: Option<String>,
    active_only: bool,
}

impl Filter {
    fn parse(text: &str) -> Filter {
        let quoted = |operator: &str| {
            let at = text.find(operator)? + operator.len();
            let rest = text[at..].trim_start().strip_prefix('"')?;
            Some(rest[..rest.find('"')?].to_owned())
        };
        let equals = quoted("Name eq");
        let prefix = quoted("Name sw").or_else(|| equals.clone()).unwrap_or_default();
        Filter { prefix, equals, active_only: text.contains("active eq true") }
    }
}

fn service_config() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": { "supported": true },
        "bulk": { "supported": true, "maxOperations": BULK_MAX_OPERATIONS, "maxPayloadSize": BULK_MAX_PAYLOAD_BYTES },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": false }, "sort": { "supported": false }, "etag": { "supported": false },
    })
}

/// The percent-decoded value of `key` in a query string.
fn query_value(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name == key).then(|| percent_decode(value))
    })
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " ")).decode_utf8_lossy().into_owned()
}

fn reply(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let bytes = if body.is_null() { Bytes::new() } else { Bytes::from(serde_json::to_vec(body).unwrap_or_default()) };
    Response::builder()
        .status(status)
        .header("content-type", "application/scim+json")
        .body(Full::new(bytes))
        .expect("a well-formed response")
}
