//! OpenTelemetry export: each request as a server span with its phases (and the function
//! invocation within `integrate`) as child spans, sent to a collector over OTLP/HTTP
//! (protobuf) by the `opentelemetry-otlp` exporter, batched off the request path.
//!
//! The spans are made after the fact from the request's timeline, so the request path
//! carries no tracer context. Their trace id is the request's X-Ray trace id (its 32 hex
//! digits), so a trace found in Portico's spans, the function's `_X_AMZN_TRACE_ID` and the
//! client's `traceparent` is the same trace; an incoming parent span becomes the parent.

use std::borrow::Cow;
use std::time::{Duration, Instant, SystemTime};

use hyper_util::client::legacy::connect::Connect;
use opentelemetry::InstrumentationScope;
use opentelemetry::KeyValue;
use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId};
use opentelemetry_http::hyper::HyperClient;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator, SpanData, SpanExporter};
use tokio::sync::{mpsc, oneshot};

/// How long the first span waits for others before they are exported together.
const EXPORT_DELAY: Duration = Duration::from_millis(500);
/// The most spans sent in one export.
const BATCH: usize = 2_048;
/// The most requests waiting for export; beyond, their spans are counted as dropped.
const WAITING: usize = 16_384;
/// How long one export may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);
/// The path of traces under a collector's base URL (OTLP/HTTP).
const TRACES_PATH: &str = "/v1/traces";

/// One phase's run on a request's timeline.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    pub phase: &'static str,
    pub start: Instant,
    pub end: Instant,
}

/// A finished request, as its spans are made.
pub struct RequestSpans {
    /// The request's `X-Amzn-Trace-Id` (`Root=1-…;Parent=…`).
    pub trace_header: String,
    /// Where it was routed; the span is named by the route, else the method.
    pub id: crate::RouteId,
    pub method: String,
    pub path: String,
    pub client: std::net::IpAddr,
    pub request_id: String,
    pub received: SystemTime,
    pub started: Instant,
    /// When the answer was ready.
    pub ended: Instant,
    pub phases: Vec<Mark>,
    /// The function the `integrate` phase invoked.
    pub function: Option<String>,
    pub status: u16,
    pub error: Option<String>,
}

impl RequestSpans {
    /// The request span's name and attributes, as OpenTelemetry's HTTP conventions say.
    fn named(&self) -> (String, Vec<KeyValue>) {
        let mut attributes = vec![
            KeyValue::new("http.request.method", self.method.clone()),
            KeyValue::new("url.path", self.path.clone()),
            KeyValue::new("http.response.status_code", i64::from(self.status)),
            KeyValue::new("client.address", self.client.to_string()),
            KeyValue::new("portico.target", self.id.target.to_string()),
            KeyValue::new("aws.request_id", self.request_id.clone()),
        ];
        if !self.id.stage.is_empty() {
            attributes.push(KeyValue::new("portico.stage", self.id.stage.clone()));
        }
        let name = if self.id.route.is_empty() {
            self.method.clone()
        } else {
            attributes.push(KeyValue::new("http.route", self.id.route.clone()));
            self.id.route.clone()
        };
        (name, attributes)
    }
}

/// Where requests' spans go: a bounded queue in front of the export task, which makes the
/// spans and sends them in batches, so the request path only hands over what it knows.
pub struct Tracer {
    sender: mpsc::Sender<RequestSpans>,
    /// Asks the export task to send what is waiting now, and says when it has.
    flushes: mpsc::Sender<oneshot::Sender<()>>,
}

/// The requests whose spans were dropped because the exporter could not keep up.
pub const DROPPED: &str = "portico_spans_dropped_requests_total";

/// Makes spans: their ids and instrumentation scope.
struct Spanner {
    scope: InstrumentationScope,
    ids: RandomIdGenerator,
}

/// The traces URL for a collector's base `endpoint` (`http://127.0.0.1:4318` →
/// `http://127.0.0.1:4318/v1/traces`), as `OTEL_EXPORTER_OTLP_ENDPOINT` is read.
pub fn traces_url(endpoint: &str) -> String {
    let base = endpoint.trim_end_matches('/');
    if base.ends_with(TRACES_PATH) {
        base.to_string()
    } else {
        format!("{base}{TRACES_PATH}")
    }
}

impl Tracer {
    /// Starts exporting to `url` (the full traces URL), or, when `None`, where the
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` environment
    /// variable says; connections go through `connector` (http, and https if it does TLS).
    /// Must be called within a Tokio runtime.
    pub fn start<C>(url: Option<&str>, service_name: &str, connector: C) -> Result<Tracer, String>
    where
        C: Connect + Clone + Send + Sync + std::fmt::Debug + 'static,
    {
        let client = HyperClient::new(connector, EXPORT_TIMEOUT, None);
        let mut builder = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(client)
            .with_protocol(Protocol::HttpBinary)
            .with_timeout(EXPORT_TIMEOUT);
        if let Some(url) = url {
            builder = builder.with_endpoint(url);
        }
        let mut exporter = builder.build().map_err(|e| e.to_string())?;
        exporter.set_resource(
            &Resource::builder_empty()
                .with_service_name(service_name.to_string())
                .build(),
        );
        let spanner = Spanner {
            scope: InstrumentationScope::builder("portico")
                .with_version(env!("CARGO_PKG_VERSION"))
                .build(),
            ids: RandomIdGenerator::default(),
        };
        let (sender, receiver) = mpsc::channel(WAITING);
        let (flushes, flush_requests) = mpsc::channel(1);
        tokio::spawn(export(receiver, flush_requests, exporter, spanner));
        Ok(Tracer { sender, flushes })
    }

    /// Exports every span queued so far (when Portico stops), waiting at most `within`.
    pub async fn flush(&self, within: Duration) {
        let (done, exported) = oneshot::channel();
        let flushed = async {
            if self.flushes.send(done).await.is_ok() {
                let _ = exported.await;
            }
        };
        if tokio::time::timeout(within, flushed).await.is_err() {
            tracing::warn!("spans still waiting for the collector after {within:?} were dropped");
        }
    }

    /// Queues the request's spans, never waiting.
    pub fn request(&self, request: RequestSpans) {
        if self.sender.try_send(request).is_err() {
            metrics::counter!(DROPPED).increment(1);
        }
    }
}

impl Spanner {
    fn spans(&self, r: &RequestSpans, spans: &mut Vec<SpanData>) {
        let (trace_id, parent) = xray_ids(&r.trace_header);
        let trace_id = trace_id.unwrap_or_else(|| self.ids.new_trace_id());
        let at = |instant: Instant| r.received + instant.saturating_duration_since(r.started);
        let root = self.ids.new_span_id();
        let status = match (r.status, &r.error) {
            (500.., Some(error)) => Status::error(error.clone()),
            (500.., None) => Status::error(format!("answered {}", r.status)),
            _ => Status::Unset,
        };
        let span = |id: SpanId, parent: SpanId, name: Cow<'static, str>, kind, window| {
            let (start_time, end_time) = window;
            SpanData {
                span_context: SpanContext::new(
                    trace_id,
                    id,
                    TraceFlags::SAMPLED,
                    false,
                    Default::default(),
                ),
                parent_span_id: parent,
                parent_span_is_remote: false,
                span_kind: kind,
                name,
                start_time,
                end_time,
                attributes: Vec::new(),
                dropped_attributes_count: 0,
                events: Default::default(),
                links: Default::default(),
                status: Status::Unset,
                instrumentation_scope: self.scope.clone(),
            }
        };
        let (name, attributes) = r.named();
        let mut request = span(
            root,
            parent.unwrap_or(SpanId::INVALID),
            Cow::Owned(name),
            SpanKind::Server,
            (r.received, at(r.ended)),
        );
        request.parent_span_is_remote = parent.is_some();
        request.attributes = attributes;
        request.status = status;
        spans.push(request);
        for mark in &r.phases {
            let id = self.ids.new_span_id();
            let window = (at(mark.start), at(mark.end));
            spans.push(span(
                id,
                root,
                Cow::Borrowed(mark.phase),
                SpanKind::Internal,
                window,
            ));
            if let (INTEGRATE, Some(function)) = (mark.phase, &r.function) {
                let mut invoke = span(
                    self.ids.new_span_id(),
                    id,
                    Cow::Owned(format!("invoke {function}")),
                    SpanKind::Client,
                    window,
                );
                invoke.attributes = vec![
                    KeyValue::new("faas.invoked_name", function.clone()),
                    KeyValue::new("faas.invoked_provider", "aws"),
                ];
                spans.push(invoke);
            }
        }
    }
}

/// The phase that hands the request to the function or upstream.
pub const INTEGRATE: &str = "integrate";

/// The trace id (`Root=1-xxxxxxxx-yyyyyyyyyyyyyyyyyyyyyyyy`) and parent span id
/// (`Parent=…`) of an X-Ray trace header.
fn xray_ids(header: &str) -> (Option<TraceId>, Option<SpanId>) {
    let mut trace = None;
    let mut parent = None;
    for part in header.split(';').map(str::trim) {
        if let Some(root) = part.strip_prefix("Root=1-") {
            trace = TraceId::from_hex(&root.replace('-', ""))
                .ok()
                .filter(|t| *t != TraceId::INVALID);
        } else if let Some(id) = part.strip_prefix("Parent=") {
            parent = SpanId::from_hex(id).ok().filter(|s| *s != SpanId::INVALID);
        }
    }
    (trace, parent)
}

/// Waits for a request, lets others gather for [`EXPORT_DELAY`] (or until a flush is asked
/// for), then makes their spans and exports them in batches; says once when the collector
/// fails, and once when it works again.
async fn export(
    mut receiver: mpsc::Receiver<RequestSpans>,
    mut flush_requests: mpsc::Receiver<oneshot::Sender<()>>,
    exporter: opentelemetry_otlp::SpanExporter,
    spanner: Spanner,
) {
    let mut requests = Vec::new();
    let mut failing = false;
    loop {
        let flush = tokio::select! {
            received = receiver.recv_many(&mut requests, WAITING) => {
                if received == 0 {
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep(EXPORT_DELAY) => None,
                    flush = flush_requests.recv() => flush,
                }
            }
            flush = flush_requests.recv() => match flush {
                Some(flush) => Some(flush),
                None => return,
            },
        };
        while let Ok(request) = receiver.try_recv() {
            requests.push(request);
            if requests.len() >= WAITING {
                break;
            }
        }
        let mut spans = Vec::new();
        for request in requests.drain(..) {
            spanner.spans(&request, &mut spans);
        }
        while !spans.is_empty() {
            let rest = spans.split_off(spans.len().min(BATCH));
            match exporter.export(std::mem::replace(&mut spans, rest)).await {
                Ok(()) if failing => {
                    failing = false;
                    tracing::info!("exporting spans again");
                }
                Ok(()) => {}
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(
                        "cannot export spans: {e}; spans are dropped until the collector answers"
                    );
                }
                Err(_) => {}
            }
        }
        if let Some(flush) = flush {
            let _ = flush.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xray_headers_give_the_trace_and_parent() {
        let (trace, parent) =
            xray_ids("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
        assert_eq!(
            trace.unwrap().to_string(),
            "5759e988bd862e3fe1be46a994272793"
        );
        assert_eq!(parent.unwrap().to_string(), "53995c3f42cd8ad8");
        assert_eq!(xray_ids("Root=1-zz;Sampled=0"), (None, None));
        assert_eq!(
            xray_ids("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0").1,
            None
        );
    }

    #[test]
    fn collector_urls_take_the_traces_path_once() {
        assert_eq!(traces_url("http://c:4318"), "http://c:4318/v1/traces");
        assert_eq!(traces_url("http://c:4318/"), "http://c:4318/v1/traces");
        assert_eq!(
            traces_url("http://c:4318/v1/traces"),
            "http://c:4318/v1/traces"
        );
    }
}
