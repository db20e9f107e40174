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

/// Counts a request (or a WebSocket event) under its door, stage and route.
fn metrics(
    id: &RouteId,
    status: http::StatusCode,
    latency: Duration,
    integration: Option<Duration>,
    cache_hit: Option<bool>,
) {
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
    if let Some(latency) = integration {
        metrics::histogram!(INTEGRATION_LATENCY, &labels).record(latency.as_secs_f64());
    }
    match cache_hit {
        Some(true) => metrics::counter!(CACHE_HITS, &labels).increment(1),
        Some(false) => metrics::counter!(CACHE_MISSES, &labels).increment(1),
        None => {}
    }
}

/// An event of a WebSocket connection that is no HTTP request (a message, `$disconnect`;
/// the handshake is one), recorded as a request to its route is: counted and timed under
/// the route, its line written, and handed to the observatory.
pub struct Event<'a> {
    pub id: RouteId,
    pub request_id: &'a str,
    pub received: std::time::SystemTime,
    /// `MESSAGE` or `DISCONNECT`.
    pub event_type: &'static str,
    pub connection_id: &'a str,
    pub status: http::StatusCode,
    pub latency: Duration,
    pub integration: Option<Duration>,
    pub function: Option<portico_observe::FunctionUse>,
    pub request_bytes: u64,
    pub response_bytes: Option<u64>,
    pub error: Option<&'a str>,
}

/// Records a WebSocket connection's `event`.
pub fn event(event: Event<'_>, observatory: Option<&Observatory>) {
    metrics(
        &event.id,
        event.status,
        event.latency,
        event.integration,
        None,
    );
    write_line(&Line {
        request_id: event.request_id,
        method: event.event_type,
        path: event.connection_id,
        target: &event.id.target,
        stage: &event.id.stage,
        route: &event.id.route,
        function: event.function.as_ref().map(|f| f.name.as_str()),
        cold_ms: None,
        cache: "",
        status: event.status,
        latency: event.latency,
        failure: event.error,
    });
    if let Some(observatory) = observatory {
        observatory.record(Record {
            request_id: event.request_id.to_string(),
            received: event.received,
            method: event.event_type.to_string(),
            path: event.connection_id.to_string(),
            status: event.status.as_u16(),
            latency: event.latency,
            integration: event.integration,
            function: event.function,
            request_bytes: event.request_bytes,
            response_bytes: event.response_bytes,
            error: event.error.map(str::to_string),
            id: event.id,
        });
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
    let integration = ctx.timeline.integration_latency();
    metrics(&id, status, latency, integration, ctx.cache_hit);
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

/// A request's line: what [`write_line`] writes.
struct Line<'a> {
    request_id: &'a str,
    method: &'a str,
    path: &'a str,
    target: &'a portico_observe::Target,
    stage: &'a str,
    route: &'a str,
    function: Option<&'a str>,
    cold_ms: Option<f64>,
    /// The stage cache's hit or miss, as the line says it.
    cache: &'static str,
    status: http::StatusCode,
    latency: Duration,
    failure: Option<&'a str>,
}

/// Writes the request's line.
fn access_log(
    ctx: &RequestCtx,
    status: http::StatusCode,
    latency: Duration,
    failure: Option<&str>,
) {
    let cache = match ctx.cache_hit {
        Some(true) => " (stage cache hit)",
        Some(false) => " (stage cache miss)",
        None => "",
    };
    let (stage, route) = ctx.route.clone().unwrap_or_default();
    let method = ctx.method.to_string();
    write_line(&Line {
        request_id: ctx.answered_id(),
        method: &method,
        path: &ctx.path,
        target: &ctx.target,
        stage: &stage,
        route: &route,
        function: ctx.function.as_ref().map(|f| f.name.as_str()),
        cold_ms: ctx.cold_start.map(|d| d.as_secs_f64() * 1000.0),
        cache,
        status,
        latency,
        failure,
    });
}

/// Writes a request's line, to read at a glance: `GET /prod/items/7 200 12.31 ms
/// api:shop prod GET /items/{id} → items (cold start 210.00 ms)`, then the stage cache's hit
/// or miss and the error, if any (a WebSocket message's: `MESSAGE <connection id> 200 ...`).
/// Every part is a field too, for `--log-format json`.
fn write_line(line: &Line<'_>) {
    let ms = line.latency.as_secs_f64() * 1000.0;
    let (stage, route) = (line.stage, line.route);
    let routed = [stage, route]
        .iter()
        .filter(|s| !s.is_empty())
        .fold(String::new(), |out, part| out + " " + part);
    let function = line.function;
    let invoked = function.map_or(String::new(), |f| format!(" → {f}"));
    let cold_ms = line.cold_ms;
    let cold = cold_ms.map_or(String::new(), |ms| format!(" (cold start {ms:.2} ms)"));
    let cache = line.cache;
    let code = line.status.as_u16();
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
    let failure = line.failure;
    let error = failure.map_or(String::new(), |e| format!(": {e}"));
    let fields = style == LineStyle::Fields as u8;
    macro_rules! line {
        ($level:ident) => {
            if fields {
                tracing::$level!(
                    target: "access",
                    request_id = %line.request_id,
                    method = %line.method,
                    path = %line.path,
                    status = code,
                    duration_ms = ms,
                    door = %line.target,
                    stage = %stage,
                    route = %route,
                    function = function,
                    cold_start_ms = cold_ms,
                    error = failure,
                    "{} {} {code} {ms:.2} ms  {}{routed}{invoked}{cold}{cache}{error}",
                    line.method, line.path, line.target
                )
            } else {
                tracing::$level!(
                    target: "access",
                    request_id = %line.request_id,
                    "{} {} {shown} {ms:.2} ms  {}{routed}{invoked}{cold}{cache}{error}",
                    line.method, line.path, line.target
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
