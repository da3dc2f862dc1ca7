//! Transports: "send this request, give me the answer", whatever the target is.
//!
//! [`HttpTransport`] speaks HTTP to a URL (reqwest, rustls, timeouts, a body cap, the
//! keep-alive race handled); [`ServiceTransport`] calls any `tower::Service` in process, such
//! as an `axum::Router` or the embedded mock, with no socket.

mod http;
mod service;

pub use self::http::{HttpConfig, HttpTransport, TargetError};
pub use self::service::ServiceTransport;

use futures::future::BoxFuture;

use super::request::Prepared;

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
    /// Anything else the transport reported (bad framing, truncated body, a service error).
    #[error("{0}")]
    Other(String),
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: ::http::HeaderMap,
    /// Response body bytes.
    pub body: Vec<u8>,
    /// The 429/503 answers retried before this one.
    pub retries: Vec<crate::model::result::Retry>,
    /// What the transport did that is worth reporting (a resent request, a retry given up).
    pub notes: Vec<String>,
}

impl Exchange {
    /// An answer with nothing retried and nothing noted.
    pub fn new(status: u16, headers: ::http::HeaderMap, body: Vec<u8>) -> Exchange {
        Exchange {
            status,
            headers,
            body,
            retries: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// Sends one request to the target and reads the whole answer.
///
/// ```
/// use conform::replay::request::Prepared;
/// use conform::replay::transport::{Exchange, Transport, TransportError};
/// use futures::future::BoxFuture;
///
/// /// A target that answers 204 to everything.
/// struct NoContent;
///
/// impl Transport for NoContent {
///     fn send<'a>(&'a self, _: &'a Prepared) -> BoxFuture<'a, Result<Exchange, TransportError>> {
///         Box::pin(async { Ok(Exchange::new(204, http::HeaderMap::new(), Vec::new())) })
///     }
/// }
///
/// let pipeline = conform::Conformance::new().transport("no content", std::sync::Arc::new(NoContent));
/// # let _ = pipeline;
/// ```
pub trait Transport: Send + Sync {
    /// Sends `request` (adding the target's credentials) and reads the answer.
    fn send<'a>(&'a self, request: &'a Prepared)
    -> BoxFuture<'a, Result<Exchange, TransportError>>;
}
