//! The admin listener (loopback by default, never the public port): `/metrics` in the
//! Prometheus text format, `/healthz`, `/readyz` (503 while draining), `/routes` (every URL
//! served, as JSON), `/usage` (what the cost lens prices), and the dashboard's JSON:
//! `/api/traffic`, `/api/functions`, `/api/tail?after=SEQ`, `/api/cost` (the usage priced).

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

use portico_observe::Observatory;

use crate::Readiness;
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

/// How often the observatory folds its waiting records when nobody asks.
const FOLD_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// What the admin listener answers from.
pub struct Admin {
    pub metrics: PrometheusHandle,
    /// What is served (its routes and its functions' runtime), the current one at each call.
    pub serving: crate::Serving,
    pub observatory: Arc<Observatory>,
    pub readiness: Readiness,
    /// The cost panel's price table.
    pub prices: portico_cost::Prices,
}

/// Serves the admin endpoints on `listener` for as long as the process runs.
pub async fn serve(listener: TcpListener, admin: Admin) {
    let observatory = admin.observatory.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(FOLD_EVERY);
        loop {
            every.tick().await;
            observatory.fold();
        }
    });
    let admin = Arc::new(admin);
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let admin = admin.clone();
        let service = service_fn(move |req: Request<Incoming>| {
            let answer = answer(req.uri(), &admin);
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

const JSON: &str = "application/json";
const TEXT: &str = "text/plain";

fn json(value: &impl serde::Serialize) -> (StatusCode, &'static str, Bytes) {
    match serde_json::to_vec(value) {
        Ok(body) => (StatusCode::OK, JSON, Bytes::from(body)),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            TEXT,
            Bytes::from(format!("cannot write the answer: {e}\n")),
        ),
    }
}

/// The `after` query parameter of `/api/tail`: a sequence number, 0 if absent.
fn after(query: Option<&str>) -> Result<u64, String> {
    let value = query
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("after="));
    match value {
        None | Some("") => Ok(0),
        Some(v) => v.parse().map_err(|_| {
            format!("after={v} is not a sequence number; use the `next` of the last answer\n")
        }),
    }
}

/// Every URL served, as `/routes` lists them.
fn routes_json(routes: &[Route]) -> Bytes {
    let listed: Vec<_> = routes
        .iter()
        .map(|r| serde_json::json!({"kind": r.kind, "name": r.function, "url": r.url}))
        .collect();
    Bytes::from(serde_json::to_vec(&listed).unwrap_or_default())
}

fn answer(uri: &http::Uri, admin: &Admin) -> Response<Full<Bytes>> {
    let served = admin.serving.borrow().clone();
    let (status, content_type, body): (StatusCode, &str, Bytes) = match uri.path() {
        "/metrics" => (
            StatusCode::OK,
            "text/plain; version=0.0.4",
            Bytes::from(admin.metrics.render()),
        ),
        "/healthz" => (StatusCode::OK, TEXT, Bytes::from_static(b"ok\n")),
        "/readyz" if admin.readiness.is_ready() => {
            (StatusCode::OK, TEXT, Bytes::from_static(b"ok\n"))
        }
        "/readyz" => (
            StatusCode::SERVICE_UNAVAILABLE,
            TEXT,
            Bytes::from_static(b"draining: in-flight requests are finishing, no new ones are taken\n"),
        ),
        "/routes" => (StatusCode::OK, JSON, routes_json(&served.routes)),
        "/usage" => json(&admin.observatory.usage()),
        "/api/traffic" => json(&admin.observatory.traffic()),
        "/api/cost" => json(&portico_cost::estimate(
            &admin.observatory.usage(),
            &admin.prices,
        )),
        "/api/functions" => json(
            &served
                .gateway
                .runtime()
                .pools()
                .map(|p| p.state())
                .collect::<Vec<_>>(),
        ),
        "/api/tail" => match after(uri.query()) {
            Ok(after) => json(&admin.observatory.tail(after)),
            Err(message) => (StatusCode::BAD_REQUEST, TEXT, Bytes::from(message)),
        },
        p if p.starts_with("/dashboard") => crate::dashboard::answer(p),
        _ => (
            StatusCode::NOT_FOUND,
            TEXT,
            Bytes::from_static(
                b"the admin listener serves /dashboard, /metrics, /healthz, /readyz, /routes, /usage, /api/traffic, /api/functions, /api/tail and /api/cost\n",
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
