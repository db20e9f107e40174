//! The per-request context every phase reads and fills, and the verdict a phase returns.

use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, Response};
use portico_config::rest::{Parameter, Place};
use portico_observe::Target;
use portico_runtime::Invoked;

use crate::body::Body;
use crate::refusal::Refusal;

/// What a phase decided: go on, answer now (a CORS preflight, a cached answer), or refuse
/// (the door renders the refusal in its shape).
pub enum Flow {
    Continue,
    Respond(Response<Body>),
    Refuse(Refusal),
}

/// What a door's phases end with: the answer, or the refusal the door renders.
pub type Answer = Result<Response<Body>, Refusal>;

/// When each phase of a request ran: the spans of its trace, and its integration latency.
#[derive(Debug, Default)]
pub struct Timeline {
    marks: Vec<Mark>,
}

pub use portico_observe::otlp::{INTEGRATE, Mark};

impl Timeline {
    /// Marks `phase` as run from `start` until now.
    pub fn mark(&mut self, phase: &'static str, start: Instant) {
        self.marks.push(Mark {
            phase,
            start,
            end: Instant::now(),
        });
    }

    pub fn marks(&self) -> &[Mark] {
        &self.marks
    }

    /// How long the integration (function or upstream) took to answer, if it ran.
    pub fn integration_latency(&self) -> Option<std::time::Duration> {
        self.marks
            .iter()
            .rev()
            .find(|m| m.phase == INTEGRATE)
            .map(|m| m.end - m.start)
    }
}

/// Put in a request's extensions by the listener when it came over TLS (`https://`).
#[derive(Debug, Clone, Copy)]
pub struct Tls;

/// A request's header names as the client spelt them (which `http::HeaderMap` lower-cases),
/// put in its extensions by the listener that read them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderCase(pub Vec<String>);

/// One request on its way through the phases.
pub struct RequestCtx {
    pub request_id: String,
    /// An HTTP API's own request id (`apigw-requestid`), which its clients and access logs
    /// see instead of `request_id` (the function's `awsRequestId`).
    pub apigw_request_id: Option<String>,
    pub trace_id: String,
    pub received: SystemTime,
    pub started: Instant,
    pub method: Method,
    /// The path as the function sees it (a path-form prefix already removed).
    pub path: String,
    /// The path as the client sent it (what a SigV4 signature covers).
    pub path_as_received: String,
    /// The raw query string, without `?`.
    pub query: String,
    pub headers: HeaderMap,
    /// The header names as the client spelt them, when the listener knows them (HTTP/1).
    pub header_names: Vec<String>,
    pub protocol: &'static str,
    pub remote: SocketAddr,
    pub local_port: u16,
    /// `https` for a request that came over TLS, else `http`.
    pub scheme: &'static str,
    /// Which front door and API, for the metrics and the log.
    pub target: Target,
    /// Filled by authorize: `requestContext.authorizer`.
    pub authorizer: Option<serde_json::Value>,
    /// A REST Lambda authorizer's `usageIdentifierKey`: the API key, when the API takes its
    /// keys from the authorizer.
    pub usage_key: Option<String>,
    /// Whether a REST stage cache answered (`Some(true)`) or was asked in vain.
    pub cache_hit: Option<bool>,
    /// The API stage and route (or REST method) the request resolved to, for its metrics.
    pub route: Option<(String, String)>,
    /// When each phase ran.
    pub timeline: Timeline,
    /// Filled by validate.
    pub body: Bytes,
    /// Filled by map.
    pub event: Bytes,
    /// Filled by integrate.
    pub invoked: Option<Invoked>,
    /// How long the function's instance took to start, when it started for this request.
    pub cold_start: Option<std::time::Duration>,
    /// The function integrate invoked, and its memory (for the cost lens).
    pub function: Option<portico_observe::FunctionUse>,
    /// A function error the door answered as it answers those (a REST integration response
    /// selected by it, the Invoke API's `X-Amz-Function-Error`), for record.
    pub function_error: Option<String>,
}

impl RequestCtx {
    pub fn new(
        mut parts: http::request::Parts,
        path: String,
        remote: SocketAddr,
        local_port: u16,
        target: Target,
    ) -> RequestCtx {
        let received = SystemTime::now();
        let scheme = match parts.extensions.get::<Tls>() {
            Some(_) => "https",
            None => "http",
        };
        RequestCtx {
            request_id: portico_events::time::request_id(),
            apigw_request_id: None,
            trace_id: portico_events::time::incoming_trace_id(
                parts
                    .headers
                    .get("x-amzn-trace-id")
                    .and_then(|v| v.to_str().ok()),
                parts
                    .headers
                    .get("traceparent")
                    .and_then(|v| v.to_str().ok()),
            )
            .unwrap_or_else(|| portico_events::time::trace_id(received)),
            received,
            started: Instant::now(),
            query: parts.uri.query().unwrap_or("").to_string(),
            protocol: match parts.version {
                http::Version::HTTP_2 => "HTTP/2.0",
                http::Version::HTTP_10 => "HTTP/1.0",
                _ => "HTTP/1.1",
            },
            path_as_received: parts.uri.path().to_string(),
            header_names: parts
                .extensions
                .remove::<HeaderCase>()
                .map(|case| case.0)
                .unwrap_or_default(),
            method: parts.method,
            path,
            headers: parts.headers,
            remote,
            local_port,
            scheme,
            target,
            authorizer: None,
            usage_key: None,
            cache_hit: None,
            route: None,
            timeline: Timeline::default(),
            body: Bytes::new(),
            event: Bytes::new(),
            invoked: None,
            cold_start: None,
            function: None,
            function_error: None,
        }
    }

    /// Why the request failed, if it did: the refusal's reason, or the function's error.
    pub fn failure<'a>(&'a self, refusal: Option<&'a Refusal>) -> Option<&'a str> {
        refusal
            .map(|r| r.why.as_str())
            .or(self.function_error.as_deref())
    }

    /// The request id the client is answered with.
    pub fn answered_id(&self) -> &str {
        self.apigw_request_id.as_deref().unwrap_or(&self.request_id)
    }

    /// The headers API Gateway adds to what it passes on (lower-case names).
    pub fn added_headers(&self) -> [(&'static str, String); 4] {
        [
            ("x-amzn-trace-id", self.trace_id.clone()),
            ("x-forwarded-for", self.remote.ip().to_string()),
            ("x-forwarded-port", self.local_port.to_string()),
            ("x-forwarded-proto", self.scheme.to_string()),
        ]
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A REST method request parameter as API Gateway reads it: a repeated one's last value
    /// (or every value, comma-joined, for a `multivalue` one), header names in any case,
    /// query and path names exactly; `None` when it is absent.
    pub fn parameter(
        &self,
        parameter: &Parameter,
        path_parameters: &[(String, String)],
    ) -> Option<String> {
        let values: Vec<String> = match parameter.place {
            Place::Header => self
                .headers
                .get_all(parameter.name.to_ascii_lowercase().as_str())
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect(),
            Place::QueryString => form_urlencoded::parse(self.query.as_bytes())
                .filter(|(k, _)| *k == parameter.name)
                .map(|(_, v)| v.into_owned())
                .collect(),
            Place::Path => path_parameters
                .iter()
                .filter(|(k, _)| *k == parameter.name)
                .map(|(_, v)| v.clone())
                .collect(),
        };
        if parameter.every_value {
            (!values.is_empty()).then(|| values.join(","))
        } else {
            values.into_iter().next_back()
        }
    }
}

/// What the phases' unit tests share: a request as a door makes it, and a route.
#[cfg(test)]
pub(crate) mod testing {
    use super::RequestCtx;

    /// `request` as a door takes it: from 127.0.0.1:40000 to port 3000, the function seeing
    /// the path as sent.
    pub(crate) fn request(
        request: http::Request<()>,
        target: portico_observe::Target,
    ) -> RequestCtx {
        let (parts, ()) = request.into_parts();
        let path = parts.uri.path().to_string();
        RequestCtx::new(
            parts,
            path,
            "127.0.0.1:40000".parse().unwrap(),
            3000,
            target,
        )
    }

    /// A Lambda route of function `f` with the defaults, `key` as `GET /pets/{id}`.
    pub(crate) fn route(key: &str) -> portico_config::Route {
        portico_config::Route {
            key: portico_config::RouteKey::parse(key).unwrap(),
            integration: portico_config::Integration::Lambda {
                function: portico_config::FunctionRef::unqualified("f"),
            },
            throttle: None,
            payload_format: Default::default(),
            authorizer: None,
            timeout: None,
            scopes: Vec::new(),
            iam: false,
            invoke_mode: Default::default(),
            request_parameters: Vec::new(),
            response_parameters: Vec::new(),
        }
    }
}
