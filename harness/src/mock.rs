//! The embedded reference mock: a stateful, validating implementation of the documented operations.
//!
//! The mock is written on hyper directly rather than wiremock or axum: its routes come from the
//! cases at run time, so a router adds nothing over one catch-all handler, while wiremock answers
//! every request under one write lock on a single-threaded runtime and cannot bind a chosen port
//! without its own panicking set-up.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Map, Value};

use crate::case::{Body, Case};
use crate::http::{Preferences, ResourcePath, Return};
use crate::placeholder::{is_annotation, is_placeholder};
use crate::schema::SchemaSet;

/// Largest request body the mock reads.
const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// The media type of every JSON answer, as Graph sends it.
pub const JSON_CONTENT_TYPE: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// What a PATCH without a `Prefer` header answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PatchDefault {
    /// 200 with the updated entity.
    Representation,
    /// 204 with no body.
    Minimal,
}

impl PatchDefault {
    /// What most documented PATCH examples without `Prefer` show (ties go to representation).
    pub fn from_cases(cases: &[Case]) -> PatchDefault {
        let plain = cases
            .iter()
            .filter(|c| c.request.method == "PATCH" && c.request_header("prefer").is_none());
        let (mut minimal, mut full) = (0, 0);
        for c in plain {
            match c.response.status {
                204 => minimal += 1,
                200 => full += 1,
                _ => {}
            }
        }
        if minimal > full {
            PatchDefault::Minimal
        } else {
            PatchDefault::Representation
        }
    }
}

/// A path segment of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Lit(String),
    Param,
}

/// A documented operation the mock answers.
#[derive(Debug, Clone)]
struct Route {
    method: String,
    template: String,
    segs: Vec<Seg>,
    type_name: Option<String>,
}

/// An answer from the mock, independent of the server that sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct MockResponse {
    /// Status code.
    pub status: u16,
    /// Headers to send.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// An entity the mock was seeded with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// The entity's path (template with values filled in).
    pub path: String,
    /// The type stored there.
    pub type_name: String,
    /// The case whose response example it came from.
    pub from_case: String,
}

/// The mock's routes and state.
pub struct Mock {
    routes: Vec<Route>,
    store: Mutex<HashMap<String, Map<String, Value>>>,
    /// Entities created so far per collection, and requests answered: the mock's ids come from
    /// these counters, never from a random generator, so that runs repeat exactly.
    counters: Mutex<Counters>,
    schemas: Arc<SchemaSet>,
    patch_default: PatchDefault,
    seeded: Vec<Seeded>,
    params: HashMap<String, BTreeMap<String, String>>,
    notes: Vec<String>,
}

/// What the mock has counted, for deterministic ids.
#[derive(Default)]
struct Counters {
    created: HashMap<String, u64>,
    requests: u64,
}

/// A UUID-shaped id that is a hash of its input (UUID v5), so the same input always gives it.
fn stable_id(input: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, input.as_bytes()).to_string()
}

/// The resource segments of a request path (one rule with the runner: [`ResourcePath`]).
fn segments(path: &str) -> Vec<String> {
    ResourcePath::parse(path).segments().to_vec()
}

impl Route {
    fn new(method: &str, template: &str, type_name: Option<String>) -> Route {
        let segs = template
            .split('?')
            .next()
            .unwrap_or("")
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                if crate::http::path::is_param(s) {
                    Seg::Param
                } else {
                    Seg::Lit(s.to_ascii_lowercase())
                }
            })
            .collect();
        Route {
            method: method.to_ascii_uppercase(),
            template: template.split('?').next().unwrap_or("").to_string(),
            segs,
            type_name,
        }
    }

    /// The parameter values if the path matches this route's shape.
    fn matches(&self, segs: &[String]) -> Option<Vec<String>> {
        if segs.len() != self.segs.len() {
            return None;
        }
        let mut values = Vec::new();
        for (want, got) in self.segs.iter().zip(segs) {
            match want {
                Seg::Lit(l) if l.eq_ignore_ascii_case(got) => {}
                Seg::Lit(_) => return None,
                Seg::Param => values.push(got.clone()),
            }
        }
        Some(values)
    }

    /// The store key for concrete parameter values: literals lower-cased, values verbatim.
    fn key(&self, values: &[String]) -> String {
        let mut vals = values.iter();
        self.segs
            .iter()
            .map(|s| match s {
                Seg::Lit(l) => l.clone(),
                Seg::Param => vals.next().cloned().unwrap_or_default(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Whether two routes address the same resource shape (method aside).
    fn same_shape(&self, other: &Route) -> bool {
        self.segs == other.segs
    }
}

/// The resource type a case works on: its response type, or the type its request body names.
fn case_type(case: &Case) -> Option<String> {
    case.response
        .odata_type
        .clone()
        .or_else(|| match &case.request.body {
            Some(Body::Json(Value::Object(m))) => m
                .get("@odata.type")
                .and_then(Value::as_str)
                .map(|t| t.trim_start_matches('#').to_string()),
            _ => None,
        })
}

impl Mock {
    /// Builds the mock from the cases: their operations become routes, their response examples seed the store.
    pub fn new(
        cases: &[Case],
        schemas: Arc<SchemaSet>,
        patch_default: Option<PatchDefault>,
    ) -> Mock {
        let mut routes: Vec<Route> = Vec::new();
        for c in cases {
            let r = Route::new(&c.request.method, &c.request.path, case_type(c));
            if !routes
                .iter()
                .any(|x| x.method == r.method && x.same_shape(&r))
            {
                routes.push(r);
            }
        }
        let mut mock = Mock {
            routes,
            store: Mutex::new(HashMap::new()),
            counters: Mutex::new(Counters::default()),
            schemas,
            patch_default: patch_default.unwrap_or_else(|| PatchDefault::from_cases(cases)),
            seeded: Vec::new(),
            params: HashMap::new(),
            notes: Vec::new(),
        };
        mock.seed(cases);
        mock
    }

    /// Seeds one entity per response example that shows a real id, then gives every case parameter values.
    fn seed(&mut self, cases: &[Case]) {
        let mut by_shape: Vec<(Route, Vec<String>)> = Vec::new();
        let mut store = HashMap::new();
        for c in cases {
            let route = Route::new(&c.request.method, &c.request.path, case_type(c));
            let Some(type_name) = case_type(c) else {
                continue;
            };
            let Some(Body::Json(Value::Object(example))) = &c.response.body else {
                continue;
            };
            if c.response.is_collection {
                continue;
            }
            let id = example
                .get("id")
                .filter(|v| !is_placeholder(v))
                .and_then(Value::as_str)
                .map(str::to_string);
            let params = c.request.params.len();
            let values: Vec<String> = match (&id, params) {
                (_, 0) => Vec::new(),
                (Some(id), n) => {
                    // Only the last parameter is the entity's own id; outer ones get their
                    // names as stand-in values, which the runner is handed like any other.
                    let mut v: Vec<String> = c.request.params[..n - 1].to_vec();
                    v.push(id.clone());
                    v
                }
                (None, _) => {
                    self.notes.push(format!(
                        "{}: response example shows no real id; not seeded",
                        c.id
                    ));
                    continue;
                }
            };
            let key = route.key(&values);
            if store.contains_key(&key) {
                continue;
            }
            let mut entity = Value::Object(
                example
                    .iter()
                    .filter(|(k, _)| !is_annotation(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            );
            for r in self.schemas.repair(&type_name, &mut entity) {
                self.notes.push(format!("{}: seed {r}", c.id));
            }
            if let Value::Object(m) = entity {
                store.insert(key, m);
            }
            self.seeded.push(Seeded {
                path: format!("/{}", route.key(&values)),
                type_name: type_name.clone(),
                from_case: c.id.clone(),
            });
            by_shape.push((route, values));
        }
        for c in cases {
            let route = Route::new(&c.request.method, &c.request.path, None);
            if let Some((_, values)) = by_shape.iter().find(|(r, _)| r.same_shape(&route)) {
                let map = c
                    .request
                    .params
                    .iter()
                    .cloned()
                    .zip(values.iter().cloned())
                    .collect();
                self.params.insert(c.id.clone(), map);
            }
        }
        self.store = Mutex::new(store);
    }

    /// Path parameter values for a case, naming seeded entities.
    pub fn params_for(&self, case: &Case) -> BTreeMap<String, String> {
        self.params.get(&case.id).cloned().unwrap_or_default()
    }

    /// What the mock was seeded with.
    pub fn seeded(&self) -> &[Seeded] {
        &self.seeded
    }

    /// Notes from seeding (placeholders repaired, examples not seeded).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The documented operations, as `METHOD /template`.
    pub fn routes(&self) -> Vec<String> {
        let mut r: Vec<String> = self
            .routes
            .iter()
            .map(|r| format!("{} {}", r.method, r.template))
            .collect();
        r.sort();
        r
    }

    /// What the mock answers when no Prefer header is sent.
    pub fn patch_default(&self) -> PatchDefault {
        self.patch_default
    }

    /// Answers one request.
    pub fn handle(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> MockResponse {
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        // The request id is a hash of the request and the client's id for it (a count of
        // requests when the client sends none).
        let client_request_id = header("client-request-id").map(str::to_string);
        let request_id = match &client_request_id {
            Some(c) => stable_id(&format!("{method} {path} {c}")),
            None => {
                let n = {
                    let mut counters = self.counters();
                    counters.requests += 1;
                    counters.requests
                };
                stable_id(&format!("{method} {path} #{n}"))
            }
        };
        let client_request_id = client_request_id.unwrap_or_else(|| request_id.clone());
        let mut resp = self.route(method, path, header, body, &request_id);
        resp.headers.push(("request-id".into(), request_id));
        resp.headers
            .push(("client-request-id".into(), client_request_id));
        resp
    }

    fn route<'h>(
        &self,
        method: &str,
        path: &str,
        header: impl Fn(&str) -> Option<&'h str>,
        body: &[u8],
        request_id: &str,
    ) -> MockResponse {
        let segs = segments(path);
        let method = method.to_ascii_uppercase();
        let matching: Vec<(&Route, Vec<String>)> = self
            .routes
            .iter()
            .filter_map(|r| r.matches(&segs).map(|v| (r, v)))
            .collect();
        if matching.is_empty() {
            return error(
                404,
                "ResourceNotFound",
                &format!(
                    "no documented operation has the path {}",
                    path.split('?').next().unwrap_or("")
                ),
                request_id,
            );
        }
        let Some((route, values)) = matching.iter().find(|(r, _)| r.method == method) else {
            let mut allowed: Vec<&str> = matching.iter().map(|(r, _)| r.method.as_str()).collect();
            allowed.sort();
            allowed.dedup();
            let mut resp = error(
                405,
                "MethodNotAllowed",
                &format!(
                    "{method} is not documented for this path; documented: {}",
                    allowed.join(", ")
                ),
                request_id,
            );
            resp.headers.push(("Allow".into(), allowed.join(", ")));
            return resp;
        };
        let key = route.key(values);
        let type_name = route.type_name.clone();
        match method.as_str() {
            "GET" => self.get(&key, type_name.as_deref(), request_id),
            "PATCH" | "PUT" => {
                let prefer = header("prefer");
                let ct = header("content-type");
                self.update(
                    &key,
                    type_name.as_deref(),
                    method == "PUT",
                    ct,
                    prefer,
                    body,
                    request_id,
                )
            }
            "DELETE" => {
                let removed = self.lock().remove(&key);
                match removed {
                    Some(_) => MockResponse {
                        status: 204,
                        headers: Vec::new(),
                        body: Vec::new(),
                    },
                    None => not_found(&key, request_id),
                }
            }
            "POST" => self.create(
                &key,
                type_name.as_deref(),
                header("content-type"),
                body,
                request_id,
            ),
            _ => error(
                405,
                "MethodNotAllowed",
                &format!("{method} is not supported"),
                request_id,
            ),
        }
    }

    fn counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        // As for the store: a poisoned lock still holds sound counts.
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Map<String, Value>>> {
        // A poisoned lock means a handler panicked mid-update; the map itself is still usable.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, key: &str, type_name: Option<&str>, request_id: &str) -> MockResponse {
        match self.lock().get(key) {
            Some(e) => representation(200, e, type_name),
            None => not_found(key, request_id),
        }
    }

    /// Parses and validates a write body against the route's type.
    fn validated_body(
        &self,
        type_name: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
        request_id: &str,
    ) -> Result<Map<String, Value>, MockResponse> {
        let is_json = content_type
            .and_then(|c| crate::http::MediaType::parse(c).ok())
            .is_some_and(|m| m.is_json());
        if !is_json {
            return Err(error(
                415,
                "UnsupportedMediaType",
                "the request body must be sent as application/json",
                request_id,
            ));
        }
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            error(
                400,
                "BadRequest",
                &format!("malformed JSON: {e}"),
                request_id,
            )
        })?;
        let Some(map) = value.as_object() else {
            return Err(error(
                400,
                "BadRequest",
                "the body must be a JSON object",
                request_id,
            ));
        };
        // Checked above to be an object; the fallback is never taken.
        let into_map = |v: Value| match v {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let Some(type_name) = type_name else {
            return Ok(into_map(value));
        };
        if let Some(t) = map.get("@odata.type") {
            let named = t.as_str().unwrap_or_default().trim_start_matches('#');
            if !self.schemas.is_derived_from(named, type_name) {
                return Err(error(
                    400,
                    "BadRequest",
                    &format!("@odata.type {t} is not {type_name} or derived from it"),
                    request_id,
                ));
            }
        }
        let read_only: Vec<String> = map
            .keys()
            .filter(|k| k.as_str() != "id" && self.schemas.is_read_only(type_name, k))
            .map(|k| format!("`{k}`"))
            .collect();
        if !read_only.is_empty() {
            return Err(error(
                400,
                "BadRequest",
                &format!(
                    "{} read-only on {type_name}",
                    read_only.join(", ") + if read_only.len() == 1 { " is" } else { " are" }
                ),
                request_id,
            ));
        }
        if let Some(props) = self.schemas.properties(type_name) {
            let unknown: Vec<&String> = map
                .keys()
                .filter(|k| !is_annotation(k) && !props.contains_key(k.as_str()))
                .collect();
            if !unknown.is_empty() {
                return Err(error(
                    400,
                    "BadRequest",
                    &format!(
                        "{type_name} has no property {}",
                        unknown
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    request_id,
                ));
            }
        }
        match self.schemas.validate(type_name, &value) {
            Ok(findings) if findings.is_empty() => Ok(into_map(value)),
            Ok(findings) => Err(error(
                400,
                "BadRequest",
                &findings
                    .iter()
                    .map(|f| {
                        format!(
                            "{}: {}",
                            crate::schema::display_pointer(&f.pointer),
                            f.message
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                request_id,
            )),
            // No schema for the type: accept what parses, as a lenient service would.
            Err(_) => Ok(into_map(value)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        key: &str,
        type_name: Option<&str>,
        replace: bool,
        content_type: Option<&str>,
        prefer: Option<&str>,
        body: &[u8],
        request_id: &str,
    ) -> MockResponse {
        let patch = match self.validated_body(type_name, content_type, body, request_id) {
            Ok(p) => p,
            Err(resp) => return resp,
        };
        let mut store = self.lock();
        let Some(entity) = store.get_mut(key) else {
            return not_found(key, request_id);
        };
        if let (Some(new), Some(old)) = (patch.get("id"), entity.get("id")) {
            if new != old {
                return error(400, "BadRequest", "`id` cannot be changed", request_id);
            }
        }
        if replace {
            let id = entity.get("id").cloned();
            entity.clear();
            entity.extend(id.map(|id| ("id".to_string(), id)));
        }
        for (k, v) in patch {
            if !is_annotation(&k) && k != "id" {
                entity.insert(k, v);
            }
        }
        let declares_modified = type_name
            .and_then(|t| self.schemas.properties(t))
            .is_some_and(|p| p.contains_key("lastModifiedDateTime"));
        if declares_modified {
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            entity.insert("lastModifiedDateTime".into(), Value::String(now));
        }
        // A Prefer that does not parse is ignored, as RFC 7240 lets a server do.
        let wants = prefer
            .and_then(|p| Preferences::parse([p]).ok())
            .and_then(|p| p.return_())
            .map(|r| match r {
                Return::Minimal => PatchDefault::Minimal,
                Return::Representation => PatchDefault::Representation,
            });
        let mut resp = match wants.unwrap_or(self.patch_default) {
            PatchDefault::Representation => representation(200, entity, type_name),
            PatchDefault::Minimal => MockResponse {
                status: 204,
                headers: Vec::new(),
                body: Vec::new(),
            },
        };
        if let Some(w) = wants {
            let applied = match w {
                PatchDefault::Minimal => "return=minimal",
                PatchDefault::Representation => "return=representation",
            };
            resp.headers
                .push(("Preference-Applied".into(), applied.into()));
        }
        resp
    }

    fn create(
        &self,
        key: &str,
        type_name: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
        request_id: &str,
    ) -> MockResponse {
        let mut entity = match self.validated_body(type_name, content_type, body, request_id) {
            Ok(p) => p,
            Err(resp) => return resp,
        };
        entity.retain(|k, _| !is_annotation(k));
        // The n-th entity created in a collection always gets the same id; creates in one
        // collection run in documented order, so runs repeat exactly.
        let n = {
            let mut counters = self.counters();
            let n = counters.created.entry(key.to_string()).or_insert(0);
            *n += 1;
            *n
        };
        let id = stable_id(&format!("conform-mock:/{key}#{n}"));
        entity.insert("id".into(), Value::String(id.clone()));
        let resp = representation(201, &entity, type_name);
        self.lock().insert(format!("{key}/{id}"), entity);
        resp
    }

    /// Serves the mock on a listener until the returned handle is dropped.
    pub fn serve(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
    ) -> std::io::Result<MockServer> {
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of file descriptors or the like: back off rather than spin.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let mock = self.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let mock = mock.clone();
                        async move { Ok::<_, Infallible>(mock.answer(req).await) }
                    });
                    // A client that hangs up mid-request is its own business, not the mock's.
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(MockServer { addr, task })
    }

    async fn answer(&self, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
        let method = req.method().as_str().to_string();
        let path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let resp = match Limited::new(req.into_body(), MAX_REQUEST_BODY)
            .collect()
            .await
        {
            Ok(body) => self.handle(&method, &path, &headers, &body.to_bytes()),
            Err(_) => error(
                413,
                "RequestEntityTooLarge",
                "request body too large or broken",
                "",
            ),
        };
        let mut builder = hyper::Response::builder().status(resp.status);
        for (k, v) in &resp.headers {
            builder = builder.header(k, v);
        }
        builder
            .body(Full::new(Bytes::from(resp.body)))
            .unwrap_or_else(|_| {
                let mut r = hyper::Response::new(Full::new(Bytes::new()));
                *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
                r
            })
    }
}

/// A running mock server; dropping it stops the server.
pub struct MockServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl MockServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn representation(
    status: u16,
    entity: &Map<String, Value>,
    type_name: Option<&str>,
) -> MockResponse {
    let mut out = Map::new();
    if let Some(t) = type_name {
        out.insert("@odata.type".into(), Value::String(format!("#{t}")));
    }
    out.extend(entity.iter().map(|(k, v)| (k.clone(), v.clone())));
    MockResponse {
        status,
        headers: vec![("Content-Type".into(), JSON_CONTENT_TYPE.into())],
        body: serde_json::to_vec(&Value::Object(out)).unwrap_or_default(),
    }
}

fn not_found(key: &str, request_id: &str) -> MockResponse {
    error(
        404,
        "itemNotFound",
        &format!("no resource at /{key}"),
        request_id,
    )
}

/// An OData error answer.
fn error(status: u16, code: &str, message: &str, request_id: &str) -> MockResponse {
    let body = json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "request-id": request_id,
                "date": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }
        }
    });
    MockResponse {
        status,
        headers: vec![("Content-Type".into(), JSON_CONTENT_TYPE.into())],
        body: serde_json::to_vec(&body).unwrap_or_default(),
    }
}
