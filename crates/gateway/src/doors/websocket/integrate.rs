//! A WebSocket route's integration, as API Gateway runs it for each event of a connection
//! (`$connect`, a message, `$disconnect`): a Lambda function gets the event, an HTTP backend
//! the message as a request's body, a MOCK renders its templates. Each says the status
//! (which decides `$connect`) and what goes back to the client on a two-way route.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use portico_config::websocket::{
    Mock, Parameter, ParameterSource, WebSocketIntegration, WebSocketRoute,
};
use portico_config::{ConfigError, Diagnostic};
use portico_events::websocket::{self as ws, Body as Frame};
use portico_observe::FunctionUse;
use portico_runtime::{InvokeRequest, Outcome};
use serde_json::Value;

use super::registry::Outgoing;
use super::{Apis, Failure, Session};
use crate::body::collect;
use crate::phases::integrate::lambda::Callee;
use crate::phases::integrate::proxy;

/// One event of a connection, as its integration is asked.
pub(super) struct Event<'a> {
    pub context: ws::Context<'a>,
    pub kind: Kind<'a>,
}

pub(super) enum Kind<'a> {
    Connect,
    Message {
        id: &'a str,
        body: &'a [u8],
        binary: bool,
    },
    Disconnect {
        status: u16,
        reason: &'a str,
    },
}

/// What an integration answered.
pub(super) struct Answered {
    /// Its status code (the function's `statusCode`, the backend's, the mock's): a
    /// `$connect` answered outside 2xx refuses the handshake; the record says it.
    pub status: u16,
    /// What a two-way route sends back.
    pub reply: Option<Outgoing>,
    /// The subprotocol `$connect` chose (`Sec-WebSocket-Protocol` in its answer).
    pub subprotocol: Option<String>,
    /// The function it invoked, for the record.
    pub function: Option<FunctionUse>,
}

/// The MOCK integrations' templates and response patterns, parsed once per config.
#[derive(Default)]
pub(crate) struct Mocks {
    templates: HashMap<String, portico_vtl::Template>,
    patterns: HashMap<String, regex::Regex>,
}

impl Mocks {
    /// Parses every MOCK integration's templates and patterns; `Err` names each that does
    /// not parse, by API and route.
    pub(crate) fn compile(apis: &Apis, path: &std::path::Path) -> Result<Mocks, ConfigError> {
        let mut mocks = Mocks::default();
        let mut diagnostics = Vec::new();
        for (name, route_key, mock) in mocks_of(apis) {
            let mut wrong = |message: String, help: &str| {
                let message = format!("WebSocket API `{name}`, route `{route_key}`: {message}");
                diagnostics.push(Diagnostic::new(mock.at.0, mock.at.1, message).help(help));
            };
            let templates = std::iter::once(&mock.request_template)
                .chain(mock.responses.iter().filter_map(|r| r.template.as_ref()));
            for text in templates {
                match portico_vtl::Template::parse(text) {
                    Ok(template) => {
                        mocks.templates.insert(text.clone(), template);
                    }
                    Err(e) => wrong(
                        format!("a template of the mock does not parse: {e}"),
                        "`portico validate` checks templates; see API Gateway's mapping template reference",
                    ),
                }
            }
            for pattern in mock.responses.iter().filter_map(|r| r.pattern.as_ref()) {
                match regex::Regex::new(&format!("^(?:{pattern})$")) {
                    Ok(regex) => {
                        mocks.patterns.insert(pattern.clone(), regex);
                    }
                    Err(e) => wrong(
                        format!("`/{pattern}/` is not a regular expression: {e}"),
                        "write a pattern over the status code, as `/2\\d\\d/`",
                    ),
                }
            }
        }
        if diagnostics.is_empty() {
            Ok(mocks)
        } else {
            Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                diagnostics,
            })
        }
    }
}

fn mocks_of(apis: &Apis) -> impl Iterator<Item = (&str, &str, &Mock)> {
    apis.iter().flat_map(|(name, api)| {
        api.routes
            .iter()
            .filter_map(move |(key, route)| match &route.integration {
                WebSocketIntegration::Mock(mock) => Some((name.as_str(), key.as_str(), mock)),
                _ => None,
            })
    })
}

impl Session {
    /// Runs `route`'s integration for `event`, within the API's integration timeout.
    pub(super) async fn integrate(
        &self,
        route: &WebSocketRoute,
        event: Event<'_>,
    ) -> Result<Answered, Failure> {
        let limit = self
            .api
            .limits
            .websocket_timeout_ms
            .map(Duration::from_millis);
        let work = async {
            match &route.integration {
                WebSocketIntegration::Lambda(function) => self.lambda(function, &event).await,
                WebSocketIntegration::Http { url, parameters } => {
                    self.http(url, parameters, &event).await
                }
                WebSocketIntegration::Mock(mock) => self.mock(mock, &event),
            }
        };
        crate::phases::integrate::within(limit, work)
            .await
            .map_err(|_| Failure::TimedOut)?
    }

    /// A Lambda proxy integration: the event as AWS sends it; the answer's `statusCode`, its
    /// `body` as the reply, and a `Sec-WebSocket-Protocol` header for `$connect`.
    async fn lambda(
        &self,
        function: &portico_config::FunctionRef,
        event: &Event<'_>,
    ) -> Result<Answered, Failure> {
        let where_ = (self.region.as_str(), self.account_id.as_str());
        let runtime = self.now().map(|now| now.runtime);
        let callee = runtime.and_then(|r| Callee::find(&r, function, where_));
        let Some(callee) = callee else {
            tracing::warn!(
                "WebSocket API {}: the function {function} is missing",
                self.api.name
            );
            return Err(Failure::Internal);
        };
        let payload = match event.kind {
            Kind::Connect => ws::connect_event(&event.context, self.upgrade()),
            Kind::Message { id, body, binary } => {
                let text;
                let frame = if binary {
                    Frame::Binary(body)
                } else {
                    text = String::from_utf8_lossy(body);
                    Frame::Text(&text)
                };
                ws::message_event(&event.context, id, frame)
            }
            Kind::Disconnect { status, reason } => {
                ws::disconnect_event(&event.context, self.upgrade(), status, reason)
            }
        };
        let request = InvokeRequest {
            request_id: portico_events::time::request_id(),
            payload: Bytes::from(payload),
            invoked_arn: callee.arn.clone(),
            version: callee.version.clone(),
            trace_id: portico_events::time::trace_id(std::time::SystemTime::now()),
            client_context: None,
            want_log_tail: false,
            response_stream: false,
        };
        let f = callee.pool.function();
        let function = Some(FunctionUse {
            name: f.name.clone(),
            memory_mb: f.memory_mb,
        });
        let invoked = callee.pool.invoke(request).await.map_err(|e| {
            tracing::warn!("WebSocket API {}: {e}", self.api.name);
            Failure::Internal
        })?;
        let answer = match invoked.outcome {
            Outcome::Response { body, .. } => body,
            Outcome::Stream(mut stream) => collect(&mut stream, f.limits.buffered_response)
                .await
                .map_err(|_| Failure::Internal)?,
            Outcome::FunctionError { error_type, .. } => {
                tracing::info!(
                    "WebSocket API {} connection {}: the function failed ({error_type})",
                    self.api.name,
                    self.connection_id
                );
                return Err(Failure::Internal);
            }
        };
        Ok(Answered {
            status: answered_status(&answer),
            reply: lambda_reply(&answer),
            subprotocol: subprotocol(&answer),
            function,
        })
    }

    /// An HTTP proxy integration: the message as the body (nothing on `$connect` and
    /// `$disconnect`), the headers API Gateway sends (the handshake's `Sec-WebSocket-*` on
    /// `$connect`, `User-Agent: AmazonAPIGateway_<api>`) and the mapped parameters; the
    /// answer's status, and its body as the reply.
    async fn http(
        &self,
        url: &str,
        parameters: &[(Parameter, ParameterSource)],
        event: &Event<'_>,
    ) -> Result<Answered, Failure> {
        let context = ws::request_context(&event.context, event.message_id(), event.closed());
        let connect = matches!(event.kind, Kind::Connect);
        let mut headers = HeaderMap::new();
        let mut add = |name: &str, value: &str| proxy::set_header(&mut headers, name, value);
        if connect {
            for (name, value) in &self.headers {
                if name.to_ascii_lowercase().starts_with("sec-websocket-") {
                    add(name, value);
                }
            }
        }
        add("user-agent", &format!("AmazonAPIGateway_{}", self.api.name));
        add("x-amzn-apigateway-api-id", &self.api.name);
        add("x-forwarded-for", &self.source_ip);
        let mut query = Vec::new();
        let body = event.body();
        for (parameter, source) in parameters {
            let Some(value) = self.parameter(source, &context, body, connect) else {
                continue;
            };
            match parameter {
                Parameter::Header(name) => add(name, &value),
                Parameter::Querystring(name) => query.push((name, value)),
            }
        }
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let url = crate::doors::rest::mapping::with_stage_variables(url, self.stage_variables());
        let outbound = proxy::Outbound {
            method: &http::Method::POST,
            headers: &headers,
            url: proxy::target_url(&url, &[], &query),
            body: proxy::whole(Bytes::copy_from_slice(body)),
            limit: self.api.limits.websocket_message,
        };
        let called = proxy::call(&self.hub.proxy, outbound)
            .await
            .map_err(|refusal| {
                tracing::warn!(
                    "WebSocket API {} connection {}: the HTTP integration failed: {}",
                    self.api.name,
                    self.connection_id,
                    refusal.why
                );
                Failure::Internal
            })?;
        let reply = (!called.body.is_empty()).then(|| Outgoing::of(called.body.clone()));
        let subprotocol = called
            .headers
            .get(http::header::SEC_WEBSOCKET_PROTOCOL)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(Answered {
            status: called.status,
            reply,
            subprotocol,
            function: None,
        })
    }

    /// A mapped parameter's value, if its source has one for this event.
    fn parameter(
        &self,
        source: &ParameterSource,
        context: &Value,
        body: &[u8],
        connect: bool,
    ) -> Option<String> {
        match source {
            ParameterSource::Static(value) => Some(value.clone()),
            ParameterSource::Context(name) => field(context, name.split('.')),
            ParameterSource::Header(name) if connect => self
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone()),
            ParameterSource::Querystring(name) if connect => {
                form_urlencoded::parse(self.query.as_bytes())
                    .filter(|(k, _)| k == name)
                    .last()
                    .map(|(_, v)| v.into_owned())
            }
            ParameterSource::Header(_) | ParameterSource::Querystring(_) => None,
            ParameterSource::Body(path) => {
                let json: Value = serde_json::from_slice(body).ok()?;
                field(&json, path.iter().map(String::as_str))
            }
            ParameterSource::StageVariable(name) => self.stage_variables().get(name).cloned(),
        }
    }

    /// The stage's variables, as served now.
    fn stage_variables(&self) -> &std::collections::BTreeMap<String, String> {
        static NONE: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
        self.api
            .stages
            .get(&self.stage)
            .map_or(&NONE, |s| &s.variables)
    }

    /// A MOCK integration: the request template's `statusCode` picks the integration
    /// response (the first whose pattern matches the status, else `$default`), whose
    /// template renders the reply.
    fn mock(&self, mock: &Mock, event: &Event<'_>) -> Result<Answered, Failure> {
        let now = self.now().ok_or(Failure::Internal)?;
        let context = ws::request_context(&event.context, event.message_id(), event.closed());
        let input = portico_vtl::Input {
            body: String::from_utf8_lossy(event.body()).into_owned(),
            ..portico_vtl::Input::default()
        };
        let variables = self.stage_variables();
        let render = |text: &str| {
            // A template of a config served since this route was looked up (a reload in
            // between) is parsed here.
            let parsed;
            let template = match now.mocks.templates.get(text) {
                Some(template) => template,
                None => {
                    parsed = portico_vtl::Template::parse(text).map_err(|_| Failure::Internal)?;
                    &parsed
                }
            };
            template
                .render(&input, &context, variables, &portico_vtl::Limits::default())
                .map_err(|e| {
                    tracing::warn!(
                        "WebSocket API {}: a mock's template failed: {e}",
                        self.api.name
                    );
                    Failure::Internal
                })
        };
        let rendered = render(&mock.request_template)?;
        let status = crate::phases::integrate::mock::status(&rendered).map_err(|_| {
            tracing::warn!(
                "WebSocket API {}: the mock's request template gives no statusCode: {rendered}",
                self.api.name
            );
            Failure::Internal
        })?;
        let code = status.to_string();
        let response = mock.responses.iter().find(|r| match &r.pattern {
            None => true,
            Some(pattern) => match now.mocks.patterns.get(pattern) {
                Some(regex) => regex.is_match(&code),
                None => {
                    regex::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|r| r.is_match(&code))
                }
            },
        });
        let reply = match response {
            Some(response) => match &response.template {
                Some(template) => Some(render(template)?).filter(|r| !r.is_empty()),
                None => None,
            },
            None => None,
        };
        Ok(Answered {
            status,
            reply: reply.map(Outgoing::Text),
            subprotocol: None,
            function: None,
        })
    }
}

impl Event<'_> {
    fn message_id(&self) -> Option<&str> {
        match self.kind {
            Kind::Message { id, .. } => Some(id),
            _ => None,
        }
    }

    fn closed(&self) -> Option<(u16, &str)> {
        match self.kind {
            Kind::Disconnect { status, reason } => Some((status, reason)),
            _ => None,
        }
    }

    /// The message's bytes; none on `$connect` and `$disconnect`.
    fn body(&self) -> &[u8] {
        match self.kind {
            Kind::Message { body, .. } => body,
            _ => &[],
        }
    }
}

/// The field at `path` in `value`, as text (a string as it is, anything else as JSON);
/// `None` when it is missing or null.
fn field<'a>(value: &Value, path: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let found = path
        .into_iter()
        .try_fold(value, |value, key| value.get(key))?;
    match found {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A Lambda proxy answer's status code: its `statusCode`, or 200 for an answer without one
/// (a handler that returns nothing is a success).
fn answered_status(answer: &[u8]) -> u16 {
    serde_json::from_slice::<Value>(answer)
        .ok()
        .and_then(|v| v.get("statusCode")?.as_u64())
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(200)
}

/// What a two-way route sends back of a Lambda answer: its `body` (decoded when
/// `isBase64Encoded`), or the whole answer when it has none.
fn lambda_reply(answer: &[u8]) -> Option<Outgoing> {
    let value: Value = match serde_json::from_slice(answer) {
        Ok(value) => value,
        Err(_) => return Some(Outgoing::Text(String::from_utf8_lossy(answer).into_owned())),
    };
    match value.get("body") {
        Some(Value::String(body)) => {
            if value.get("isBase64Encoded") == Some(&Value::Bool(true)) {
                use base64::Engine;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(body)
                    .ok()?;
                return Some(Outgoing::Binary(Bytes::from(bytes)));
            }
            Some(Outgoing::Text(body.clone()))
        }
        Some(other) => Some(Outgoing::Text(other.to_string())),
        None if value.is_null() => None,
        None => Some(Outgoing::Text(value.to_string())),
    }
}

/// The subprotocol a `$connect` function's answer chose.
fn subprotocol(answer: &[u8]) -> Option<String> {
    let answer: Value = serde_json::from_slice(answer).ok()?;
    let headers = answer.get("headers")?.as_object()?;
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-protocol"))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_string)
}
