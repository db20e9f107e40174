//! The admin listener (loopback by default, never the public port): `/metrics` in the
//! Prometheus text format, `/healthz`, `/readyz` and `/routes` (every URL served, as JSON).

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::routes::Route;

/// Latency buckets in seconds, so that latencies render as histograms (percentiles can be
/// computed from them, as AWS's metrics give them).
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Installs the process's metrics recorder; its handle renders `/metrics`.
pub fn install_recorder() -> Result<PrometheusHandle, String> {
    PrometheusBuilder::new()
        .set_buckets(BUCKETS)
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| e.to_string())
}

/// Serves the admin endpoints on `listener` for as long as the process runs.
pub async fn serve(listener: TcpListener, metrics: PrometheusHandle, routes: Vec<Route>) {
    let routes: Arc<Vec<u8>> = Arc::new(
        serde_json::to_vec(
            &routes
                .iter()
                .map(|r| serde_json::json!({"kind": r.kind, "name": r.function, "url": r.url}))
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default(),
    );
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (metrics, routes) = (metrics.clone(), routes.clone());
        let service = service_fn(move |req: Request<Incoming>| {
            let answer = answer(req.uri().path(), &metrics, &routes);
            async move { Ok::<_, Infallible>(answer) }
        });
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}

fn answer(path: &str, metrics: &PrometheusHandle, routes: &[u8]) -> Response<Full<Bytes>> {
    let (status, content_type, body): (StatusCode, &str, Bytes) = match path {
        "/metrics" => (
            StatusCode::OK,
            "text/plain; version=0.0.4",
            Bytes::from(metrics.render()),
        ),
        "/healthz" | "/readyz" => (StatusCode::OK, "text/plain", Bytes::from_static(b"ok\n")),
        "/routes" => (
            StatusCode::OK,
            "application/json",
            Bytes::copy_from_slice(routes),
        ),
        p if p.starts_with("/dashboard") => crate::dashboard::answer(p),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            Bytes::from_static(
                b"the admin listener serves /dashboard, /metrics, /healthz, /readyz and /routes\n",
            ),
        ),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    if let Ok(value) = header::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}
