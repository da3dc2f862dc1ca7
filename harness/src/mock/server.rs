//! The mock as a service: a `tower::Service` over `http` types, called in process by the
//! runner or served over TCP by `conform serve`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::future::BoxFuture;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::handler::error;
use super::{MAX_REQUEST_BODY, Mock};

/// The mock as a `tower::Service`: any request body in, a full body out.
#[derive(Clone)]
pub struct MockService {
    mock: Arc<Mock>,
}

impl MockService {
    /// A service answering as `mock` does.
    pub fn new(mock: Arc<Mock>) -> MockService {
        MockService { mock }
    }
}

impl<B> tower::Service<http::Request<B>> for MockService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = http::Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let mock = self.mock.clone();
        Box::pin(async move { Ok(mock.answer(req).await) })
    }
}

impl Mock {
    /// Answers an `http` request: reads its body (up to a limit) and hands it to the handler.
    async fn answer<B>(&self, req: http::Request<B>) -> http::Response<Full<Bytes>>
    where
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
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
        let mut builder = http::Response::builder().status(resp.status);
        for (k, v) in &resp.headers {
            builder = builder.header(k, v);
        }
        builder
            .body(Full::new(Bytes::from(resp.body)))
            .unwrap_or_else(|_| {
                let mut r = http::Response::new(Full::new(Bytes::new()));
                *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                r
            })
    }

    /// Serves the mock on a listener until the returned handle is dropped.
    pub fn serve(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
    ) -> std::io::Result<MockServer> {
        let addr = listener.local_addr()?;
        let service = MockService::new(self);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of file descriptors or the like: back off rather than spin.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let service = hyper_util::service::TowerToHyperService::new(service.clone());
                tokio::spawn(async move {
                    // A client that hangs up mid-request is its own business, not the mock's.
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(MockServer { addr, task })
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
