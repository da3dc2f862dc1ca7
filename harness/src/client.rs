//! The HTTP client and target configuration: turns a case into a request and sends it.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::case::{Body, Case};

/// Errors configuring the client or preparing a request.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
    /// The target is not an absolute http(s) URL.
    #[error("target `{0}` is not an http:// or https:// URL")]
    BadTarget(String),
    /// A path parameter has no value.
    #[error(
        "case `{case}`: path parameter `{param}` has no value; give it with --param {param}=VALUE"
    )]
    MissingParam {
        /// The case id.
        case: String,
        /// The parameter name.
        param: String,
    },
    /// A documented header cannot be sent as written.
    #[error("case `{case}`: header `{name}` cannot be sent: {why}")]
    BadHeader {
        /// The case id.
        case: String,
        /// The header name.
        name: String,
        /// Why not.
        why: String,
    },
    /// A request path is not relative to the target's root.
    #[error("case `{case}`: {why}")]
    BadPath {
        /// The case id.
        case: String,
        /// Why not.
        why: String,
    },
    /// A documented method is not valid HTTP.
    #[error("case `{case}`: `{method}` is not an HTTP method")]
    BadMethod {
        /// The case id.
        case: String,
        /// The method.
        method: String,
    },
}

/// Why no answer could be judged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No complete answer within the timeout.
    #[error("no answer within {0} s (timeout)")]
    Timeout(u64),
    /// The connection could not be made or was reset.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The body was larger than the limit.
    #[error("response body exceeds the limit of {0} bytes")]
    TooLarge(usize),
    /// The connection closed without an answer after a request that is not idempotent was sent.
    #[error(
        "the connection ended before an answer ({cause}); the {method} was not retried: it is \
         not idempotent and the target may have acted on it"
    )]
    NoAnswer {
        /// The method sent.
        method: String,
        /// What the HTTP layer reported.
        cause: String,
    },
    /// Anything else the HTTP layer reported (bad framing, truncated body).
    #[error("{0}")]
    Other(String),
}

/// Where and how to send requests.
#[derive(Clone)]
pub struct ClientConfig {
    /// Service root including the version, without a trailing slash.
    pub base: String,
    /// Total time allowed for one exchange.
    pub timeout: Duration,
    /// Largest response body read.
    pub max_body: usize,
    /// Bearer token; never printed or written.
    pub token: Option<String>,
    /// How many times a 429 or 503 is retried.
    pub retries: usize,
    /// The most time one case spends waiting before retries, all its retries together.
    pub max_retry_wait: Duration,
    /// Follow redirects within the target's origin (never to another origin).
    pub follow_redirects: bool,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .field("max_body", &self.max_body)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("retries", &self.retries)
            .field("max_retry_wait", &self.max_retry_wait)
            .field("follow_redirects", &self.follow_redirects)
            .finish()
    }
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// HTTP method.
    pub method: reqwest::Method,
    /// The concrete path (parameters filled in), relative to the base.
    pub path: String,
    /// Headers to send (without Authorization, which is added at send time).
    pub headers: HeaderMap,
    /// The JSON body sent, if the body is JSON (after placeholder repair).
    pub json: Option<Value>,
    /// The raw body bytes.
    pub body: Option<Vec<u8>>,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Response body bytes.
    pub body: Vec<u8>,
    /// The 429/503 answers retried before this one.
    pub retries: Vec<Retry>,
    /// What the transport did that is worth reporting (a resent request, a retry given up).
    pub notes: Vec<String>,
}

/// One retried answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Retry {
    /// The status that was retried (429 or 503).
    pub status: u16,
    /// How long the client waited before retrying.
    pub waited_ms: u64,
}

/// Headers never sent as documented: computed by the client, or secret.
const NOT_FORWARDED: [&str; 4] = ["content-length", "host", "authorization", "connection"];

/// Fills path parameters, percent-encoding each value for its place.
pub fn fill_path(case: &Case, params: &BTreeMap<String, String>) -> Result<String, ClientError> {
    let mut path = case.request.path.clone();
    for name in &case.request.params {
        let value = params.get(name).ok_or_else(|| ClientError::MissingParam {
            case: case.id.clone(),
            param: name.clone(),
        })?;
        let encoded: String = url_escape(value);
        path = path.replace(&format!("{{{name}}}"), &encoded);
    }
    Ok(path)
}

/// Percent-encodes a path segment value (RFC 3986 unreserved characters pass).
fn url_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds the request for a case: parameters filled, body as given, documented headers kept.
pub fn prepare(
    case: &Case,
    params: &BTreeMap<String, String>,
    json: Option<Value>,
) -> Result<Prepared, ClientError> {
    let method = reqwest::Method::from_bytes(case.request.method.as_bytes()).map_err(|_| {
        ClientError::BadMethod {
            case: case.id.clone(),
            method: case.request.method.clone(),
        }
    })?;
    crate::case::check_request_path(&case.request.path).map_err(|why| ClientError::BadPath {
        case: case.id.clone(),
        why,
    })?;
    let path = fill_path(case, params)?;
    let mut headers = HeaderMap::new();
    for h in &case.request.headers {
        if NOT_FORWARDED.contains(&h.name.to_ascii_lowercase().as_str()) {
            continue;
        }
        let bad = |why: String| ClientError::BadHeader {
            case: case.id.clone(),
            name: h.name.clone(),
            why,
        };
        let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(|e| bad(e.to_string()))?;
        let value = HeaderValue::from_str(&h.value).map_err(|e| bad(e.to_string()))?;
        headers.append(name, value);
    }
    let body = match (&json, &case.request.body) {
        (Some(v), _) => Some(serde_json::to_vec(v).unwrap_or_default()),
        (None, Some(Body::Text(t))) => Some(t.clone().into_bytes()),
        (None, Some(Body::Json(v))) => Some(serde_json::to_vec(v).unwrap_or_default()),
        (None, None) => None,
    };
    if body.is_some() && !headers.contains_key(reqwest::header::CONTENT_TYPE) {
        let ct = if json.is_some() || matches!(case.request.body, Some(Body::Json(_))) {
            "application/json"
        } else {
            "text/plain"
        };
        headers.insert(reqwest::header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    Ok(Prepared {
        method,
        path,
        headers,
        json,
        body,
    })
}

/// Sends prepared requests to one target.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    /// The same client without a connection pool: a resend after the keep-alive race must not
    /// be given another pooled connection the target may have closed at the same moment.
    fresh: reqwest::Client,
    config: ClientConfig,
}

impl Client {
    /// Builds a client for a target.
    pub fn new(mut config: ClientConfig) -> Result<Client, ClientError> {
        let lower = config.base.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(ClientError::BadTarget(config.base));
        }
        while config.base.ends_with('/') {
            config.base.pop();
        }
        let http = http_client(&config, true)?;
        let fresh = http_client(&config, false)?;
        Ok(Client {
            http,
            fresh,
            config,
        })
    }

    /// The target's base URL.
    pub fn base(&self) -> &str {
        &self.config.base
    }

    /// Sends one request and reads the whole answer, within the timeout and body limit;
    /// a 429 or 503 is retried as its `Retry-After` says, up to the configured number of times
    /// and within one budget of waiting (`max_retry_wait`) for all the retries together.
    pub async fn send(&self, p: &Prepared) -> Result<Exchange, TransportError> {
        let mut retries = Vec::new();
        let mut notes = Vec::new();
        // The budget is per case, not per retry, so that a throttling target cannot hold one
        // case for `retries` times `max_retry_wait`.
        let mut left = self.config.max_retry_wait;
        loop {
            let mut exchange = self.attempt(p, &mut notes).await?;
            if matches!(exchange.status, 429 | 503) && retries.len() < self.config.retries {
                let asked = exchange
                    .headers
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(retry_after);
                let wait = match asked {
                    // Retrying earlier than asked would only be throttled again: the answer in
                    // hand is the one judged.
                    Some(asked) if asked > left => {
                        notes.push(format!(
                            "not retried: Retry-After asks {}, more than the {} left of \
                             --max-retry-wait",
                            seconds(asked),
                            seconds(left)
                        ));
                        None
                    }
                    Some(asked) => Some(asked),
                    // Without Retry-After, back off exponentially from one second.
                    None => Some(Duration::from_secs(1 << retries.len().min(5)).min(left)),
                };
                if let Some(wait) = wait {
                    left = left.saturating_sub(wait);
                    retries.push(Retry {
                        status: exchange.status,
                        waited_ms: wait.as_millis() as u64,
                    });
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            exchange.retries = retries;
            exchange.notes = notes;
            return Ok(exchange);
        }
    }

    /// Sends once, and once more on a new connection when the first connection closed without
    /// an answer and resending is safe: the request is idempotent or was never written.
    ///
    /// hyper-util's pool, under reqwest, already resends on its own a request that was never
    /// written because the reused connection it was given turned out closed
    /// (`retry_canceled_requests`, on by default, reused connections only). Left to us: a request
    /// written to a connection that then closed or reset without answering (the keep-alive race
    /// proper: the target's idle timeout fired as the request arrived), and a request never
    /// written on a new connection. reqwest's own default retries cover only HTTP/2 and HTTP/3
    /// refusals, and this client speaks HTTP/1.1.
    async fn attempt(
        &self,
        p: &Prepared,
        notes: &mut Vec<String>,
    ) -> Result<Exchange, TransportError> {
        let failed = match self.send_once(&self.http, p).await {
            Ok(exchange) => return Ok(exchange),
            Err(failed) => failed,
        };
        match failed.unanswered {
            Some(u) if !u.sent || p.method.is_idempotent() => {
                notes.push(format!(
                    "{}: the connection ended before an answer ({}), the keep-alive race; \
                     retried once on a new connection",
                    p.method, u.cause
                ));
                self.send_once(&self.fresh, p).await.map_err(|f| f.error)
            }
            Some(u) => Err(TransportError::NoAnswer {
                method: p.method.to_string(),
                cause: u.cause,
            }),
            None => Err(failed.error),
        }
    }

    /// Sends once with this client and reads the whole answer.
    async fn send_once(&self, http: &reqwest::Client, p: &Prepared) -> Result<Exchange, Failed> {
        let url = format!("{}{}", self.config.base, p.path);
        // Defence in depth behind the case loader's path rule: the token goes to the target's
        // origin or nowhere.
        let same_origin = match (
            reqwest::Url::parse(&url),
            reqwest::Url::parse(&self.config.base),
        ) {
            (Ok(u), Ok(b)) => u.origin() == b.origin(),
            _ => false,
        };
        if !same_origin {
            return Err(Failed {
                error: TransportError::Other(format!(
                    "not sent: the path `{}` would leave the target's origin",
                    p.path
                )),
                unanswered: None,
            });
        }
        let mut req = http
            .request(p.method.clone(), &url)
            .headers(p.headers.clone());
        if let Some(token) = &self.config.token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = &p.body {
            req = req.body(body.clone());
        }
        let secs = self.config.timeout.as_secs();
        let classify = |e: reqwest::Error| {
            if e.is_timeout() {
                TransportError::Timeout(secs)
            } else if e.is_connect() {
                TransportError::Connect(error_chain(&e))
            } else {
                TransportError::Other(error_chain(&e))
            }
        };
        let mut resp = req.send().await.map_err(|e| Failed {
            // A timeout had its whole time already; a refused connection is no race.
            unanswered: if e.is_timeout() || e.is_connect() {
                None
            } else {
                unanswered(&e)
            },
            error: classify(e),
        })?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        // Once the status line is in, the target has answered: a body cut short is its fault,
        // never the keep-alive race, and is not resent.
        let fail = |error| Failed {
            error,
            unanswered: None,
        };
        while let Some(chunk) = resp.chunk().await.map_err(|e| fail(classify(e)))? {
            if body.len() + chunk.len() > self.config.max_body {
                return Err(fail(TransportError::TooLarge(self.config.max_body)));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Exchange {
            status,
            headers,
            body,
            retries: Vec::new(),
            notes: Vec::new(),
        })
    }
}

/// Builds the HTTP client for a target, with or without a connection pool.
fn http_client(config: &ClientConfig, pooled: bool) -> Result<reqwest::Client, ClientError> {
    // By default a redirect is itself the answer to judge. When following is asked for, it
    // stops at the origin's edge: a redirect elsewhere is returned, never followed with the token.
    let policy = if config.follow_redirects {
        reqwest::redirect::Policy::custom(|attempt| {
            let same_origin = attempt
                .previous()
                .first()
                .is_some_and(|first| first.origin() == attempt.url().origin());
            if !same_origin {
                attempt.stop()
            } else if attempt.previous().len() > 10 {
                attempt.error("more than 10 redirects")
            } else {
                attempt.follow()
            }
        })
    } else {
        reqwest::redirect::Policy::none()
    };
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .redirect(policy)
        .timeout(config.timeout)
        .connect_timeout(config.timeout);
    if !pooled {
        // No idle connection is kept, so every request gets a connection of its own.
        builder = builder.pool_max_idle_per_host(0);
    }
    builder
        .build()
        .map_err(|e| ClientError::Build(e.to_string()))
}

/// One attempt that got no answer to judge.
struct Failed {
    /// The error to report.
    error: TransportError,
    /// Set when the connection ended before any answer.
    unanswered: Option<Unanswered>,
}

/// A connection that ended before any answer.
#[derive(Debug, PartialEq, Eq)]
struct Unanswered {
    /// Whether the request had been (perhaps partly) written: the target may have acted on it.
    sent: bool,
    /// What the HTTP layer said.
    cause: String,
}

/// Whether an error sending a request is a connection that ended before any answer, and if so
/// whether the request had been written (see [`Client::attempt`]).
fn unanswered(e: &(dyn std::error::Error + 'static)) -> Option<Unanswered> {
    // Outermost first: hyper's `Canceled` wraps the connection error that made it give the
    // request back unwritten.
    for cause in std::iter::successors(Some(e), |e| e.source()) {
        let sent = if let Some(h) = cause.downcast_ref::<hyper::Error>() {
            if h.is_canceled() {
                Some(false)
            } else {
                h.is_incomplete_message().then_some(true)
            }
        } else if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            )
            .then_some(true)
        } else {
            None
        };
        if let Some(sent) = sent {
            return Some(Unanswered {
                sent,
                cause: cause.to_string(),
            });
        }
    }
    None
}

/// A duration in seconds as a person reads it: `120 s`, `0.5 s`.
fn seconds(d: Duration) -> String {
    let (whole, ms) = (d.as_secs(), d.subsec_millis());
    if ms == 0 {
        format!("{whole} s")
    } else {
        let frac = format!("{ms:03}");
        format!("{whole}.{} s", frac.trim_end_matches('0'))
    }
}

/// How long a `Retry-After` value (delay-seconds or an HTTP date) asks to wait.
pub fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// An error and its causes, joined, without the URL's query (which could hold secrets).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Header, Request, Response, Source};

    fn case() -> Case {
        Case {
            id: "p.x".into(),
            name: "x".into(),
            source: Source {
                file: "p.md".into(),
                line: 1,
            },
            version: None,
            request: Request {
                method: "PATCH".into(),
                path: "/things/{id}".into(),
                params: vec!["id".into()],
                host: None,
                headers: vec![
                    Header {
                        name: "Content-Length".into(),
                        value: "924".into(),
                    },
                    Header {
                        name: "Authorization".into(),
                        value: "Bearer {token}".into(),
                    },
                    Header {
                        name: "Prefer".into(),
                        value: "return=representation".into(),
                    },
                ],
                body: Some(Body::Json(serde_json::json!({"a": 1}))),
                line: 1,
                annotation: Default::default(),
            },
            response: Response {
                status: 200,
                reason: None,
                headers: vec![],
                body: None,
                odata_type: None,
                is_collection: false,
                truncated: false,
                line: 2,
                annotation: Default::default(),
            },
        }
    }

    #[test]
    fn prepares_without_doc_secrets_or_lengths() {
        let mut params = BTreeMap::new();
        let err = prepare(&case(), &params, None).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("case `p.x`: path parameter `id` has no value; give it with --param id=VALUE")
        );
        params.insert("id".into(), "a b/c".into());
        let p = match prepare(&case(), &params, None) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(p.path, "/things/a%20b%2Fc");
        assert!(p.headers.get("authorization").is_none());
        assert!(p.headers.get("content-length").is_none());
        assert_eq!(
            p.headers.get("prefer").map(|v| v.as_bytes()),
            Some(&b"return=representation"[..])
        );
        assert_eq!(
            p.headers.get("content-type").map(|v| v.as_bytes()),
            Some(&b"application/json"[..])
        );
        assert_eq!(p.body.as_deref(), Some(&b"{\"a\":1}"[..]));
    }

    #[test]
    fn reads_retry_after_in_both_forms() {
        assert_eq!(retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        let waited = retry_after(&httpdate::fmt_http_date(later)).unwrap_or_default();
        assert!(waited > Duration::from_secs(100) && waited <= Duration::from_secs(120));
        assert_eq!(retry_after("soon"), None);
    }

    /// An error wrapping another, as the HTTP layers wrap an io error.
    #[derive(Debug, thiserror::Error)]
    #[error("client error")]
    struct Wrapping(#[source] std::io::Error);

    #[test]
    fn connection_ends_are_told_from_other_io_errors() {
        use std::io::{Error, ErrorKind};
        let reset = Wrapping(Error::new(ErrorKind::ConnectionReset, "reset by peer"));
        assert_eq!(
            unanswered(&reset),
            Some(Unanswered {
                sent: true,
                cause: "reset by peer".into()
            })
        );
        let eof = Error::new(ErrorKind::UnexpectedEof, "eof");
        assert_eq!(unanswered(&eof).map(|u| u.sent), Some(true));
        let refused = Wrapping(Error::new(ErrorKind::PermissionDenied, "denied"));
        assert_eq!(unanswered(&refused), None);
    }

    #[test]
    fn seconds_read_as_written() {
        assert_eq!(seconds(Duration::from_secs(120)), "120 s");
        assert_eq!(seconds(Duration::from_millis(500)), "0.5 s");
        assert_eq!(seconds(Duration::from_millis(29_950)), "29.95 s");
        assert_eq!(seconds(Duration::ZERO), "0 s");
    }

    #[test]
    fn config_debug_hides_token() {
        let c = ClientConfig {
            base: "http://127.0.0.1:1".into(),
            timeout: Duration::from_secs(1),
            max_body: 1,
            token: Some("s3cr3t".into()),
            retries: 0,
            max_retry_wait: Duration::from_secs(1),
            follow_redirects: false,
        };
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }
}
