//! The HTTP transport: a target reached by URL, over reqwest with rustls.

use std::time::Duration;

use futures::future::BoxFuture;

use super::{Exchange, Transport, TransportError};
use crate::replay::request::Prepared;

/// Errors setting up the HTTP transport.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
    /// The target is not an absolute http(s) URL.
    #[error("target `{0}` is not an http:// or https:// URL")]
    BadTarget(String),
}

/// Where and how to send requests.
#[derive(Clone)]
pub struct HttpConfig {
    /// Service root including the version, without a trailing slash.
    pub base: String,
    /// Total time allowed for one exchange.
    pub timeout: Duration,
    /// Largest response body read.
    pub max_body: usize,
    /// Bearer token; never printed or written.
    pub token: Option<String>,
    /// Follow redirects within the target's origin (never to another origin).
    pub follow_redirects: bool,
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .field("max_body", &self.max_body)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("follow_redirects", &self.follow_redirects)
            .finish()
    }
}

/// Sends prepared requests to one target URL.
#[derive(Clone)]
pub struct HttpTransport {
    http: reqwest::Client,
    /// The same client without a connection pool: a resend after the keep-alive race must not
    /// be given another pooled connection the target may have closed at the same moment.
    fresh: reqwest::Client,
    config: HttpConfig,
    /// The target's origin, parsed once: every request's URL is checked against it.
    origin: url::Origin,
    /// The target's URL, parsed once, when each request's can be made from it by setting the
    /// path and query (see [`HttpTransport::url_of`]); `None` when it has a query or fragment
    /// of its own.
    base_url: Option<(reqwest::Url, String)>,
}

impl HttpTransport {
    /// Builds the transport for a target.
    ///
    /// ```
    /// use conform::replay::transport::{HttpConfig, HttpTransport};
    /// let bad = HttpTransport::new(HttpConfig {
    ///     base: "ftp://example.com".into(),
    ///     timeout: std::time::Duration::from_secs(5),
    ///     max_body: 1 << 20,
    ///     token: None,
    ///     follow_redirects: false,
    /// });
    /// assert!(bad.is_err());
    /// ```
    pub fn new(mut config: HttpConfig) -> Result<HttpTransport, TargetError> {
        let lower = config.base.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(TargetError::BadTarget(config.base));
        }
        while config.base.ends_with('/') {
            config.base.pop();
        }
        let base_url = reqwest::Url::parse(&config.base)
            .map_err(|_| TargetError::BadTarget(config.base.clone()))?;
        let origin = base_url.origin();
        let base_url = (base_url.query().is_none() && base_url.fragment().is_none()).then(|| {
            // `http://host` has the path `/`, which the request's path replaces.
            let path = base_url.path().trim_end_matches('/').to_string();
            (base_url, path)
        });
        let http = http_client(&config, true)?;
        let fresh = http_client(&config, false)?;
        Ok(HttpTransport {
            http,
            fresh,
            config,
            origin,
            base_url,
        })
    }

    /// The URL of a request path under the target: what parsing the target's URL followed by
    /// the path gives, made by setting the path, query and fragment on the target's URL parsed
    /// once (parsing the scheme and host again cost about 7,700 instructions per request, 2%
    /// of a run's work).
    fn url_of(&self, path: &str) -> Option<reqwest::Url> {
        let Some((base, base_path)) = &self.base_url else {
            return reqwest::Url::parse(&format!("{}{}", self.config.base, path)).ok();
        };
        let (rest, fragment) = match path.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (path, None),
        };
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        let mut url = base.clone();
        url.set_path(&format!("{base_path}{path}"));
        url.set_query(query);
        url.set_fragment(fragment);
        Some(url)
    }

    /// The target's base URL.
    pub fn base(&self) -> &str {
        &self.config.base
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
        // Made once here and handed to reqwest as it is (a string would be parsed again).
        let url = self.url_of(&p.path);
        // Defence in depth behind the case loader's path rule: the token goes to the target's
        // origin or nowhere.
        let Some(url) = url.filter(|u| u.origin() == self.origin) else {
            return Err(Failed {
                error: TransportError::Other(format!(
                    "not sent: the path `{}` would leave the target's origin",
                    p.path
                )),
                unanswered: None,
            });
        };
        let mut req = http
            .request(p.method.clone(), url)
            .headers(p.headers.clone());
        if let Some(token) = &self.config.token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = &p.body {
            req = req.body(body.clone());
        }
        let secs = self.config.timeout.as_secs();
        let classify = |e: reqwest::Error| {
            // Without reqwest's "for url (…)": the target's origin is the run's, named once in
            // the report, and a message that held it would differ from one target (or port)
            // to the next, so that a baseline pin made from it would waive nothing elsewhere.
            let e = e.without_url();
            if e.is_timeout() {
                TransportError::Timeout(secs)
            } else if e.is_connect() {
                TransportError::Connect(crate::error::chain(&e))
            } else {
                TransportError::Other(crate::error::chain(&e))
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
        // Taken, not copied: reading the body needs no header (no compression is enabled).
        let headers = std::mem::take(resp.headers_mut());
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
        Ok(Exchange::new(status, headers, body))
    }
}

impl Transport for HttpTransport {
    fn send<'a>(
        &'a self,
        request: &'a Prepared,
    ) -> BoxFuture<'a, Result<Exchange, TransportError>> {
        Box::pin(async move {
            let mut notes = Vec::new();
            let mut exchange = self.attempt(request, &mut notes).await?;
            exchange.notes = notes;
            Ok(exchange)
        })
    }
}

/// Builds the HTTP client for a target, with or without a connection pool.
fn http_client(config: &HttpConfig, pooled: bool) -> Result<reqwest::Client, TargetError> {
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
        .map_err(|e| TargetError::Build(e.to_string()))
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
/// whether the request had been written (see [`HttpTransport::attempt`]).
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

#[cfg(test)]
mod tests {
    use super::*;
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
    fn request_urls_are_what_parsing_the_target_and_path_gives() {
        let paths = [
            "/users",
            "/users/",
            "/users/{id}/manager",
            "/users('a b')/x",
            "/drives/d/root:/folder/file name.txt:/content",
            "/me/mailFolders/a%2Fb",
            "/users?$select=id,displayName&$filter=startswith(displayName,'a b')",
            "/users?",
            "/users?a=1?b=2",
            "/users#frag",
            "/users?$top=1#frag?x",
            "/a/../b/./c",
            "/..",
            "//double//slashes",
            "/back\\slash",
            "/ünïcödé/日本",
            "/@evil.example/x",
            "/%zz/percent",
            "/",
        ];
        for base in [
            "http://127.0.0.1:8080/beta",
            "http://example.com",
            "https://example.com:443/v1.0",
            "http://[::1]:9/a b",
            "http://example.com/beta?tenant=x",
        ] {
            let t = HttpTransport::new(HttpConfig {
                base: base.into(),
                timeout: Duration::from_secs(1),
                max_body: 1,
                token: None,
                follow_redirects: false,
            })
            .unwrap_or_else(|e| panic!("{e}"));
            for path in paths {
                let parsed = reqwest::Url::parse(&format!("{}{path}", t.config.base)).ok();
                let made = t.url_of(path);
                assert_eq!(
                    made.as_ref().map(reqwest::Url::as_str),
                    parsed.as_ref().map(reqwest::Url::as_str),
                    "{base} + {path}"
                );
            }
        }
    }

    #[test]
    fn config_debug_hides_token() {
        let c = HttpConfig {
            base: "http://127.0.0.1:1".into(),
            timeout: Duration::from_secs(1),
            max_body: 1,
            token: Some("s3cr3t".into()),
            follow_redirects: false,
        };
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }
}
