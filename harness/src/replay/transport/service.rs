//! The in-process transport: any `tower::Service` taking `http::Request`s (an `axum::Router`,
//! a hyper service, a `tower::ServiceBuilder` stack, the embedded mock) called with no socket.

use std::marker::PhantomData;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use http_body_util::{BodyExt, Limited};
use tower::ServiceExt;

use super::{Exchange, Transport, TransportError};
use crate::replay::request::Prepared;

/// Calls a tower service in process.
pub struct ServiceTransport<S, B> {
    service: S,
    root: String,
    token: Option<String>,
    timeout: Duration,
    max_body: usize,
    // The request body type the service takes; `fn() -> B` keeps the transport Send and Sync
    // whatever `B` is.
    body: PhantomData<fn() -> B>,
}

impl<S, B> ServiceTransport<S, B> {
    /// Calls `service` with paths under `root` (`""`, or `/beta` for a service that serves
    /// its API under the version), with the token, timeout and body limit given.
    ///
    /// ```
    /// use conform::replay::transport::ServiceTransport;
    /// let app = axum::Router::new().route("/me", axum::routing::get(|| async { "{}" }));
    /// let transport = ServiceTransport::<_, http_body_util::Full<bytes::Bytes>>::new(
    ///     app,
    ///     "",
    ///     None,
    ///     std::time::Duration::from_secs(5),
    ///     1 << 20,
    /// );
    /// let pipeline = conform::Conformance::new().transport("my app", std::sync::Arc::new(transport));
    /// # let _ = pipeline;
    /// ```
    pub fn new(
        service: S,
        root: impl Into<String>,
        token: Option<String>,
        timeout: Duration,
        max_body: usize,
    ) -> ServiceTransport<S, B> {
        let mut root = root.into();
        while root.ends_with('/') {
            root.pop();
        }
        ServiceTransport {
            service,
            root,
            token,
            timeout,
            max_body,
            body: PhantomData,
        }
    }
}

impl<S, B, RB> Transport for ServiceTransport<S, B>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send,
    S::Error: std::fmt::Display,
    B: From<Bytes> + Send + 'static,
    RB: http_body::Body + Send + 'static,
    RB::Data: Send,
    RB::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn send<'a>(&'a self, p: &'a Prepared) -> BoxFuture<'a, Result<Exchange, TransportError>> {
        Box::pin(async move {
            // The same encoding the HTTP transport's URL parser gives (spaces, quotes, braces
            // in an OData query), so that both transports send the same request.
            let uri = match reqwest::Url::parse(&format!("http://localhost{}{}", self.root, p.path))
            {
                Ok(url) => match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_string(),
                },
                Err(e) => {
                    return Err(TransportError::Other(format!(
                        "`{}{}` is no path: {e}",
                        self.root, p.path
                    )));
                }
            };
            let mut builder = http::Request::builder()
                .method(p.method.clone())
                .uri(&uri)
                .header(http::header::HOST, "localhost");
            if let Some(headers) = builder.headers_mut() {
                headers.extend(p.headers.clone());
                if let Some(token) = &self.token {
                    let value =
                        http::HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                            TransportError::Other("the token is not a header value".into())
                        })?;
                    headers.insert(http::header::AUTHORIZATION, value);
                }
                if let Some(body) = &p.body {
                    headers.insert(http::header::CONTENT_LENGTH, body.len().into());
                }
            }
            let body = B::from(Bytes::from(p.body.clone().unwrap_or_default()));
            let request = builder.body(body).map_err(|e| {
                TransportError::Other(format!("cannot build the request for `{uri}`: {e}"))
            })?;
            let secs = self.timeout.as_secs();
            let call =
                async {
                    let response =
                        self.service.clone().oneshot(request).await.map_err(|e| {
                            TransportError::Other(format!("the service failed: {e}"))
                        })?;
                    let (parts, body) = response.into_parts();
                    let body = Limited::new(body, self.max_body)
                        .collect()
                        .await
                        .map_err(|e| {
                            if e.is::<http_body_util::LengthLimitError>() {
                                TransportError::TooLarge(self.max_body)
                            } else {
                                TransportError::Other(format!("reading the body failed: {e}"))
                            }
                        })?
                        .to_bytes();
                    Ok(Exchange::new(
                        parts.status.as_u16(),
                        parts.headers,
                        body.to_vec(),
                    ))
                };
            tokio::time::timeout(self.timeout, call)
                .await
                .map_err(|_| TransportError::Timeout(secs))?
        })
    }
}
