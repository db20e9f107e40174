//! Record: one access-log line per request, always, with the error if there was one; the
//! metrics API Gateway publishes per API, stage and route (Count, 4XXError, 5XXError,
//! Latency, IntegrationLatency), labelled by the door and API (`target`), stage and route;
//! the request handed to the observatory (dashboard, cost lens), and its spans to the
//! OpenTelemetry exporter, when there are those.

use std::time::{Duration, Instant};

use http::Response;
use portico_observe::otlp::{RequestSpans, Tracer};
use portico_observe::{Observatory, Record, RouteId};

use crate::body::Body;
use crate::ctx::RequestCtx;

pub const REQUESTS: &str = "portico_requests_total";
pub const ERRORS_4XX: &str = "portico_4xx_errors_total";
pub const ERRORS_5XX: &str = "portico_5xx_errors_total";
pub const LATENCY: &str = "portico_latency_seconds";
pub const INTEGRATION_LATENCY: &str = "portico_integration_latency_seconds";
/// A REST stage cache's CacheHitCount and CacheMissCount.
pub const CACHE_HITS: &str = "portico_cache_hits_total";
pub const CACHE_MISSES: &str = "portico_cache_misses_total";

/// Where a request was routed: its door and API, stage and route, as every record labels it.
fn route_id(ctx: &RequestCtx) -> RouteId {
    let (stage, route) = ctx.route.clone().unwrap_or_default();
    RouteId {
        target: ctx.target.clone(),
        stage,
        route,
    }
}

/// Counts the request under its door, stage and route.
fn metrics(ctx: &RequestCtx, id: &RouteId, status: http::StatusCode, latency: Duration) {
    let labels = [
        ("target", id.target.clone()),
        ("stage", id.stage.clone()),
        ("route", id.route.clone()),
    ];
    metrics::counter!(REQUESTS, &labels).increment(1);
    if status.is_client_error() {
        metrics::counter!(ERRORS_4XX, &labels).increment(1);
    }
    if status.is_server_error() {
        metrics::counter!(ERRORS_5XX, &labels).increment(1);
    }
    metrics::histogram!(LATENCY, &labels).record(latency.as_secs_f64());
    if let Some(latency) = ctx.timeline.integration_latency() {
        metrics::histogram!(INTEGRATION_LATENCY, &labels).record(latency.as_secs_f64());
    }
    match ctx.cache_hit {
        Some(true) => metrics::counter!(CACHE_HITS, &labels).increment(1),
        Some(false) => metrics::counter!(CACHE_MISSES, &labels).increment(1),
        None => {}
    }
}

/// Records `ctx`'s request, answered with `response`.
pub fn record(
    ctx: &RequestCtx,
    response: &Response<Body>,
    observatory: Option<&Observatory>,
    tracer: Option<&Tracer>,
) {
    let ended = Instant::now();
    let latency = ended - ctx.started;
    let status = response.status();
    let id = route_id(ctx);
    metrics(ctx, &id, status, latency);
    access_log(ctx, status, latency);
    if let Some(tracer) = tracer {
        tracer.request(spans(ctx, &id, status.as_u16(), ended));
    }
    if let Some(observatory) = observatory {
        observatory.record(observed(ctx, id, response, latency));
    }
}

/// The request as its trace's spans are made (in the export task, off the request path).
fn spans(ctx: &RequestCtx, id: &RouteId, status: u16, ended: Instant) -> RequestSpans {
    RequestSpans {
        trace_header: ctx.trace_id.clone(),
        id: id.clone(),
        method: ctx.method.to_string(),
        path: ctx.path.clone(),
        client: ctx.remote.ip(),
        request_id: ctx.request_id.clone(),
        received: ctx.received,
        started: ctx.started,
        ended,
        phases: ctx.timeline.marks().to_vec(),
        function: ctx.function.as_ref().map(|f| f.name.clone()),
        status,
        error: ctx.error.clone(),
    }
}

/// The request as the observatory keeps it. Its request bytes are those Portico read (a
/// body streamed to an HTTP proxy upstream is not counted).
fn observed(ctx: &RequestCtx, id: RouteId, response: &Response<Body>, latency: Duration) -> Record {
    Record {
        id,
        request_id: ctx.answered_id().to_string(),
        received: ctx.received,
        method: ctx.method.to_string(),
        path: ctx.path.clone(),
        status: response.status().as_u16(),
        latency,
        integration: ctx.timeline.integration_latency(),
        function: ctx.function.clone(),
        request_bytes: ctx.body.len() as u64,
        response_bytes: http_body::Body::size_hint(response.body()).exact(),
        error: ctx.error.clone(),
    }
}

/// Writes the line; a REST stage cache's hit or miss is noted at its end.
fn access_log(ctx: &RequestCtx, status: http::StatusCode, latency: Duration) {
    let ms = latency.as_secs_f64() * 1000.0;
    let cache = match ctx.cache_hit {
        Some(true) => " (stage cache hit)",
        Some(false) => " (stage cache miss)",
        None => "",
    };
    match &ctx.error {
        None => tracing::info!(
            target: "access",
            request_id = %ctx.request_id,
            "{} {} {} {} {ms:.2} ms{cache}",
            ctx.target, ctx.method, ctx.path, status.as_u16()
        ),
        Some(error) => tracing::warn!(
            target: "access",
            request_id = %ctx.request_id,
            "{} {} {} {} {ms:.2} ms{cache}: {error}",
            ctx.target, ctx.method, ctx.path, status.as_u16()
        ),
    }
}
