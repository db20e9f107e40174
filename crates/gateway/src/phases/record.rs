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
        ("target", id.target.to_string()),
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

/// Records `ctx`'s request, answered with `response`, failed for `failure` if it failed.
pub fn record(
    ctx: &RequestCtx,
    response: &Response<Body>,
    failure: Option<&str>,
    observatory: Option<&Observatory>,
    tracer: Option<&Tracer>,
) {
    let ended = Instant::now();
    let latency = ended - ctx.started;
    let status = response.status();
    let id = route_id(ctx);
    metrics(ctx, &id, status, latency);
    access_log(ctx, status, latency, failure);
    if let Some(tracer) = tracer {
        tracer.request(spans(ctx, &id, status.as_u16(), ended, failure));
    }
    if let Some(observatory) = observatory {
        observatory.record(observed(ctx, id, response, latency, failure));
    }
}

/// The request as its trace's spans are made (in the export task, off the request path).
fn spans(
    ctx: &RequestCtx,
    id: &RouteId,
    status: u16,
    ended: Instant,
    failure: Option<&str>,
) -> RequestSpans {
    RequestSpans {
        trace_header: ctx.trace_id.clone(),
        id: id.clone(),
        method: ctx.method.to_string(),
        path: ctx.path.clone(),
        client: ctx.remote.ip(),
        request_id: ctx.answered_id().to_string(),
        received: ctx.received,
        started: ctx.started,
        ended,
        phases: ctx.timeline.marks().to_vec(),
        function: ctx.function.as_ref().map(|f| f.name.clone()),
        status,
        error: failure.map(str::to_string),
    }
}

/// The request as the observatory keeps it. Its request bytes are those Portico read (a
/// body streamed to an HTTP proxy upstream is not counted).
fn observed(
    ctx: &RequestCtx,
    id: RouteId,
    response: &Response<Body>,
    latency: Duration,
    failure: Option<&str>,
) -> Record {
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
        error: failure.map(str::to_string),
    }
}

/// How request lines are written: plain text, text with a coloured status (for a
/// terminal), or with every part as a field of its own (for a JSON log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum LineStyle {
    Plain = 0,
    Coloured = 1,
    Fields = 2,
}

static STYLE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Sets how request lines are written (once, at start-up).
pub fn request_lines(style: LineStyle) {
    STYLE.store(style as u8, std::sync::atomic::Ordering::Relaxed);
}

/// Writes the request's line, to read at a glance: `GET /prod/items/7 200 12.31 ms
/// api:shop prod GET /items/{id} → items (cold start 210.00 ms)`, then the stage cache's hit
/// or miss and the error, if any. Every part is a field too, for `--log-format json`.
fn access_log(
    ctx: &RequestCtx,
    status: http::StatusCode,
    latency: Duration,
    failure: Option<&str>,
) {
    let ms = latency.as_secs_f64() * 1000.0;
    let cache = match ctx.cache_hit {
        Some(true) => " (stage cache hit)",
        Some(false) => " (stage cache miss)",
        None => "",
    };
    let (stage, route) = ctx.route.clone().unwrap_or_default();
    let routed = [stage.as_str(), route.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .fold(String::new(), |line, part| line + " " + part);
    let function = ctx.function.as_ref().map(|f| f.name.as_str());
    let invoked = function.map_or(String::new(), |f| format!(" → {f}"));
    let cold_ms = ctx.cold_start.map(|d| d.as_secs_f64() * 1000.0);
    let cold = cold_ms.map_or(String::new(), |ms| format!(" (cold start {ms:.2} ms)"));
    let code = status.as_u16();
    let style = STYLE.load(std::sync::atomic::Ordering::Relaxed);
    let shown = if style == LineStyle::Coloured as u8 {
        let colour = match code {
            500.. => 31,
            400.. => 33,
            _ => 32,
        };
        format!("\x1b[{colour}m{code}\x1b[0m")
    } else {
        code.to_string()
    };
    let error = failure.map_or(String::new(), |e| format!(": {e}"));
    let fields = style == LineStyle::Fields as u8;
    macro_rules! line {
        ($level:ident) => {
            if fields {
                tracing::$level!(
                    target: "access",
                    request_id = %ctx.answered_id(),
                    method = %ctx.method,
                    path = %ctx.path,
                    status = code,
                    duration_ms = ms,
                    door = %ctx.target,
                    stage = %stage,
                    route = %route,
                    function = function,
                    cold_start_ms = cold_ms,
                    error = failure,
                    "{} {} {code} {ms:.2} ms  {}{routed}{invoked}{cold}{cache}{error}",
                    ctx.method, ctx.path, ctx.target
                )
            } else {
                tracing::$level!(
                    target: "access",
                    request_id = %ctx.answered_id(),
                    "{} {} {shown} {ms:.2} ms  {}{routed}{invoked}{cold}{cache}{error}",
                    ctx.method, ctx.path, ctx.target
                )
            }
        };
    }
    if failure.is_some() {
        line!(warn);
    } else {
        line!(info);
    }
}
