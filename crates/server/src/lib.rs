//! Portico's listener: accepts connections (HTTP/1.1 and h2c, and both over TLS on the same
//! port, [`tls`]), picks the front door for each
//! request by host and path ([`routes::door`]), and shuts down gracefully: in-flight
//! requests finish and WebSocket connections are closed, then every function instance is
//! stopped.
//!
//! Only this crate and the Runtime API server in `portico-runtime` know hyper.

pub mod admin;
pub mod dashboard;
mod header_case;
pub mod routes;
pub mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use portico_gateway::{ApiDoor, Body, Gateway};
use tokio::net::TcpListener;

use routes::Door;

/// Whether Portico takes new requests: ready from when its listener is bound (connections
/// wait in the kernel's queue until accepted), not once it drains for shutdown (`/readyz`
/// answers 503 then, so a load balancer stops sending).
#[derive(Clone)]
pub struct Readiness(Arc<std::sync::atomic::AtomicBool>);

impl Readiness {
    pub fn ready() -> Readiness {
        Readiness(Arc::new(std::sync::atomic::AtomicBool::new(true)))
    }

    pub fn is_ready(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn drain(&self) {
        self.0.store(false, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What is being served: the gateway (with its functions' runtime) and the URLs it answers,
/// replaced whole when the config is reloaded. A request holds the one it started with, so a
/// reload never cuts it off.
pub struct Served {
    pub gateway: Arc<Gateway>,
    pub routes: Vec<routes::Route>,
}

/// The current [`Served`], and news of the next.
pub type Serving = tokio::sync::watch::Receiver<Arc<Served>>;

/// How long to wait after a failed `accept` before the next.
const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(50);

/// Serves what `serving` holds on `listener` (each request with the gateway current when it
/// arrives) until `shutdown` completes; then in-flight requests may finish until `force`
/// completes, and every function instance is stopped. `readiness` turns to draining when
/// `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    serving: Serving,
    tls: Option<tls::Settings>,
    readiness: Readiness,
    shutdown: impl Future<Output = ()>,
    force: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    // Cancelled when Portico stops: a connection still being told apart (TLS or not) or
    // in its TLS handshake is dropped then, as it has sent no request.
    let stopping = tokio_util::sync::CancellationToken::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, say: wait rather than spin.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let connection = Connection {
                    serving: serving.clone(),
                    builder: builder.clone(),
                    watcher: graceful.watcher(),
                    remote,
                };
                let tls = tls.clone();
                let stopping = stopping.clone();
                tokio::spawn(async move {
                    let Some(tls) = tls else {
                        return connection.serve(stream, false).await;
                    };
                    // A first byte within the handshake's time (a client that connects and
                    // says nothing holds no shutdown up), then TLS or plain HTTP.
                    let first = tokio::time::timeout(TLS_HANDSHAKE, tls::starts_tls(&stream));
                    let is_tls = tokio::select! {
                        first = first => first,
                        _ = stopping.cancelled() => return,
                    };
                    match is_tls {
                        Ok(false) => return connection.serve(stream, false).await,
                        Ok(true) => {}
                        Err(_) => return tracing::debug!("{remote} sent nothing in time"),
                    }
                    let accepted = tokio::time::timeout(TLS_HANDSHAKE, tls.accept(stream));
                    let accepted = tokio::select! {
                        accepted = accepted => accepted,
                        _ = stopping.cancelled() => return,
                    };
                    match accepted {
                        Ok(Ok(stream)) => connection.serve(stream, true).await,
                        Ok(Err(e)) => tracing::debug!("TLS handshake from {remote} failed: {e}"),
                        Err(_) => tracing::debug!("TLS handshake from {remote} timed out"),
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    readiness.drain();
    drop(listener);
    // WebSocket connections outlive the HTTP connections they were upgraded from: they are
    // closed (1001) and their `$disconnect` runs while the functions are still there.
    let served = serving.borrow().clone();
    let websockets = served.gateway.websockets();
    let open = match websockets.open() {
        0 => String::new(),
        n => format!(" and closing {n} WebSocket connection(s)"),
    };
    tracing::info!(
        "shutting down: waiting for in-flight requests{open} (Ctrl-C again to stop now)"
    );
    websockets.going_away();
    stopping.cancel();
    let drained = async {
        // In-flight requests first: a handshake among them may still start a connection.
        graceful.shutdown().await;
        websockets.closed().await;
    };
    tokio::select! {
        _ = drained => {}
        _ = force => tracing::warn!("stopping now: in-flight requests and WebSocket $disconnect calls are cut off"),
    }
    tracing::info!("stopping function instances");
    let served = serving.borrow().clone();
    served.gateway.runtime().shutdown().await;
}

/// How long a client may take to send its first byte, and then its TLS handshake.
const TLS_HANDSHAKE: std::time::Duration = std::time::Duration::from_secs(10);

/// One accepted connection, served until it ends (or Portico stops).
struct Connection {
    serving: Serving,
    builder: auto::Builder<TokioExecutor>,
    watcher: hyper_util::server::graceful::Watcher,
    remote: SocketAddr,
}

impl Connection {
    /// Serves HTTP/1.1 and h2 on `stream` (plain, or TLS already accepted when `tls`), each
    /// request with the gateway current when it arrives.
    async fn serve<S>(self, stream: S, tls: bool)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            serving,
            builder,
            watcher,
            remote,
        } = self;
        let heads = match serving.borrow().gateway.keeps_header_case() {
            true => header_case::Heads::default(),
            false => header_case::Heads::off(),
        };
        let stream = header_case::Tap::new(stream, heads.clone());
        let service = service_fn(move |mut req: Request<Incoming>| {
            let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
            if let Some(case) = heads.take(req.method().as_str(), target) {
                req.extensions_mut().insert(case);
            }
            if tls {
                req.extensions_mut().insert(portico_gateway::Tls);
            }
            let served = serving.borrow().clone();
            async move { Ok::<_, Infallible>(dispatch(&served.gateway, req, remote).await) }
        });
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        if let Err(e) = watcher.watch(connection.into_owned()).await {
            tracing::debug!("connection from {remote} ended: {e}");
        }
    }
}

async fn dispatch(
    gateway: &Gateway,
    mut req: Request<Incoming>,
    remote: SocketAddr,
) -> Response<Body> {
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .map(str::to_string);
    let path = req.uri().path().to_string();
    match routes::door(host.as_deref(), &path) {
        Door::FunctionUrl {
            function,
            alias,
            path,
        } => {
            let function = portico_config::FunctionRef {
                name: function.to_string(),
                qualifier: alias.map(str::to_string),
            };
            gateway.function_url(&function, path, req, remote).await
        }
        Door::Api { api, path } => match gateway.api_door(api) {
            ApiDoor::Rest(api) => gateway.rest_api(api, path, req, remote).await,
            ApiDoor::WebSocket(api) => {
                // The connection, once the 101 answer is sent.
                let upgrade = hyper::upgrade::on(&mut req);
                let upgrade = async move { upgrade.await.ok().map(TokioIo::new) };
                gateway.websocket_api(api, path, req, remote, upgrade).await
            }
            ApiDoor::Http(api) | ApiDoor::Unknown(api) => {
                gateway.http_api(api, path, req, remote).await
            }
        },
        Door::InvokeApi => gateway.invoke_api(req, remote).await,
        Door::Connections => {
            let path = req.uri().path().to_string();
            gateway.connections_api(path, req, remote).await
        }
        Door::NotFound => not_found(&path),
    }
}

fn not_found(path: &str) -> Response<Body> {
    let message = format!(
        "Portico serves nothing at {path}. Function URLs are at /lambda-url/<function>/... or on the host <function>.lambda-url.localhost; HTTP APIs at /execute-api/<api>/... or on <api>.execute-api.localhost; the Invoke API is at /2015-03-31/functions/<function>/invocations. `portico routes` lists them."
    );
    let body = serde_json::to_vec(&serde_json::json!({ "message": message })).unwrap_or_default();
    let mut response = Response::new(Body::full(Bytes::from(body)));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
