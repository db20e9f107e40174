//! The WebSocket API door: the handshake on a stage's path (`/dev`) runs `$connect` before it
//! is accepted; the connection's task (`connection.rs`) then routes each message by the API's
//! route selection expression and runs `$disconnect` when it ends. The management API
//! (`/<stage>/@connections/<id>`: POST, GET, DELETE) reaches connections through the
//! registry (`registry.rs`).

mod connection;
mod integrate;
pub mod registry;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use portico_config::websocket::{CONNECT, WebSocketApi};
use portico_events::websocket::{self as ws, EventType, Upgrade};
use portico_observe::Target;
use portico_runtime::Runtime;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::Gateway;
use crate::body::{Body, ReadError, read};
use crate::ctx::RequestCtx;

pub(crate) use integrate::Mocks;
pub use registry::{Connections, Local as LocalConnections};

/// How many messages may wait for a slow client; past it, more are refused (a POST gets
/// 429) and counted as dropped.
const OUTBOX: usize = 64;

/// What WebSocket connections reach across reloads of the config: the open connections,
/// and the runtime and WebSocket APIs served now. A connection made before a reload is
/// served by the new config's routes and functions, as an API redeployed on AWS serves the
/// connections it has.
pub struct Hub {
    pub(crate) connections: Arc<dyn Connections>,
    now: std::sync::RwLock<Option<ServedNow>>,
    /// Cancelled when Portico stops: every connection is closed (1001, going away).
    stopping: CancellationToken,
    /// The connections' tasks, each until its `$disconnect` has run.
    tasks: TaskTracker,
    /// The client of HTTP integrations.
    proxy: crate::phases::integrate::proxy::Proxy,
}

/// What connections are served by: the functions' runtime, the WebSocket APIs (their MOCK
/// integrations' templates parsed in `mocks`), the stages' access logs and the observatory
/// their events are recorded to.
pub(crate) struct ServedNow {
    pub runtime: Arc<Runtime>,
    pub apis: Apis,
    pub logs: Arc<crate::access_log::StageLogs>,
    pub mocks: Arc<Mocks>,
    pub observatory: Option<Arc<portico_observe::Observatory>>,
}

/// What a connection's API is served by now.
struct Now {
    runtime: Arc<Runtime>,
    api: Arc<WebSocketApi>,
    mocks: Arc<Mocks>,
}

/// WebSocket APIs by name.
pub(crate) type Apis = std::collections::BTreeMap<String, Arc<WebSocketApi>>;

impl Default for Hub {
    /// The connections of this process, nothing served yet.
    fn default() -> Hub {
        Hub {
            connections: Arc::new(LocalConnections::default()),
            now: std::sync::RwLock::new(None),
            stopping: CancellationToken::new(),
            tasks: TaskTracker::new(),
            proxy: Default::default(),
        }
    }
}

impl Hub {
    /// Serves connections by `served` from now on.
    pub(crate) fn serve(&self, served: ServedNow) {
        let mut now = self.now.write().unwrap_or_else(|e| e.into_inner());
        *now = Some(served);
    }

    /// How many connections are open.
    pub fn open(&self) -> usize {
        self.connections.count()
    }

    /// Portico is stopping: every connection is closed with 1001 (going away), as AWS
    /// does when it moves one, and runs its `$disconnect`; a connection made from now on is
    /// closed as soon as it opens.
    pub fn going_away(&self) {
        self.stopping.cancel();
    }

    /// Once no handshake is left to start one: waits until every connection's task (its
    /// messages' included) has ended.
    pub async fn closed(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }

    /// The stages' access logs and the observatory served now.
    fn recorders(
        &self,
    ) -> Option<(
        Arc<crate::access_log::StageLogs>,
        Option<Arc<portico_observe::Observatory>>,
    )> {
        let now = self.now.read().unwrap_or_else(|e| e.into_inner());
        let now = now.as_ref()?;
        Some((now.logs.clone(), now.observatory.clone()))
    }

    /// What serves the API `name` now (`None` if it is gone).
    fn now(&self, name: &str) -> Option<Now> {
        let now = self.now.read().unwrap_or_else(|e| e.into_inner());
        let now = now.as_ref()?;
        Some(Now {
            runtime: now.runtime.clone(),
            api: now.apis.get(name)?.clone(),
            mocks: now.mocks.clone(),
        })
    }
}

/// What a connection's task needs after the handshake: what it invokes, and what each of
/// its events says about it.
pub(crate) struct Session {
    hub: Arc<Hub>,
    /// The API as the connection was made (its limits hold for the connection's life).
    api: Arc<WebSocketApi>,
    region: String,
    account_id: String,
    connection_id: String,
    stage: String,
    domain_name: String,
    source_ip: String,
    user_agent: Option<String>,
    connected_at: SystemTime,
    /// The handshake's headers as the client spelt them, and its query string, for
    /// `$connect` and `$disconnect`.
    headers: Vec<(String, String)>,
    query: String,
    /// What the `$connect` authorizer allowed the connection with: its principal and
    /// context, on every event.
    authorizer: Option<Value>,
}

/// How an integration failed, as the client is told (an error frame's `message`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The function failed, was missing or answered garbage.
    Internal,
    /// Past the route's integration timeout.
    TimedOut,
}

impl Failure {
    /// The status the access log and the record say.
    fn status(self) -> u16 {
        match self {
            Failure::Internal => 500,
            Failure::TimedOut => 504,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Failure::Internal => "Internal server error",
            Failure::TimedOut => "Endpoint request timed out",
        }
    }
}

/// One event of a connection, as its stage's access log tells it.
pub(crate) struct Logged<'a> {
    pub route_key: &'a str,
    pub event_type: EventType,
    pub request_id: &'a str,
    pub message_id: Option<&'a str>,
    pub request_time: SystemTime,
    /// The status API Gateway would log: 200 served, 4XX/5XX refused or failed.
    pub status: u16,
    pub integration_latency: Option<std::time::Duration>,
    pub error: Option<&'a str>,
    /// A message's or `$disconnect`'s, recorded as a request to its route is (the
    /// handshake is recorded as the HTTP request it is): from when it arrived to its answer,
    /// the function it invoked, the bytes in and out.
    pub recorded: Option<Recorded>,
}

/// What the record of a message or `$disconnect` says besides its access-log line.
pub(crate) struct Recorded {
    pub latency: std::time::Duration,
    pub function: Option<portico_observe::FunctionUse>,
    pub request_bytes: u64,
    pub response_bytes: Option<u64>,
}

impl Session {
    /// Writes `event`'s line to the stage's access log, if it has one: the `$context`
    /// variables of WebSocket APIs (`connectionId`, `eventType`, `messageId`, `routeKey`,
    /// `connectedAt`, ...) besides those every API has.
    fn log(&self, event: Logged<'_>) {
        let Some((logs, observatory)) = self.hub.recorders() else {
            return;
        };
        if let Some(recorded) = event.recorded.as_ref() {
            let status =
                StatusCode::from_u16(event.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            crate::phases::record::event(
                crate::phases::record::Event {
                    id: portico_observe::RouteId {
                        target: Target::websocket_api(&self.api.name),
                        stage: self.stage.clone(),
                        route: event.route_key.to_string(),
                    },
                    request_id: event.request_id,
                    received: event.request_time,
                    event_type: event.event_type.name(),
                    connection_id: &self.connection_id,
                    status,
                    latency: recorded.latency,
                    integration: event.integration_latency,
                    function: recorded.function.clone(),
                    request_bytes: recorded.request_bytes,
                    response_bytes: recorded.response_bytes,
                    error: event.error,
                },
                observatory.as_deref(),
            );
        }
        logs.write_line(&self.api.name, &self.stage, |name| {
            Some(match name {
                "requestId" | "extendedRequestId" => event.request_id.to_string(),
                "connectionId" => self.connection_id.clone(),
                "eventType" => event.event_type.name().to_string(),
                "messageId" => event.message_id?.to_string(),
                "messageDirection" => "IN".to_string(),
                "routeKey" => event.route_key.to_string(),
                "stage" => self.stage.clone(),
                "apiId" => self.api.name.clone(),
                "domainName" => self.domain_name.clone(),
                "status" => event.status.to_string(),
                "connectedAt" => portico_events::time::epoch_ms(self.connected_at).to_string(),
                "requestTime" => portico_events::time::clf(event.request_time),
                "requestTimeEpoch" => {
                    portico_events::time::epoch_ms(event.request_time).to_string()
                }
                "identity.sourceIp" => self.source_ip.clone(),
                "identity.userAgent" => self.user_agent.clone()?,
                "integrationLatency" => event.integration_latency?.as_millis().to_string(),
                "error.message" => event.error?.to_string(),
                other => {
                    let key = other.strip_prefix("authorizer.")?;
                    match self.authorizer.as_ref()?.get(key)? {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    }
                }
            })
        });
    }

    fn context<'a>(
        &'a self,
        route_key: &'a str,
        event_type: EventType,
        request_id: &'a str,
        request_time: SystemTime,
    ) -> ws::Context<'a> {
        ws::Context {
            route_key,
            event_type,
            connection_id: &self.connection_id,
            connected_at: self.connected_at,
            request_time,
            request_id,
            domain_name: &self.domain_name,
            stage: &self.stage,
            api_id: &self.api.name,
            source_ip: &self.source_ip,
            user_agent: self.user_agent.as_deref(),
            authorizer: self.authorizer.as_ref(),
        }
    }

    fn upgrade(&self) -> Upgrade<'_> {
        Upgrade {
            headers: &self.headers,
            query: &self.query,
        }
    }

    /// The connection's API as metrics label it (`ws:<api>`).
    fn target(&self) -> String {
        Target::websocket_api(&self.api.name).to_string()
    }

    /// What serves the connection's API now.
    fn now(&self) -> Option<Now> {
        self.hub.now(&self.api.name)
    }
}

impl Gateway {
    /// Serves a request to the WebSocket API `api` (its name as the config spells it):
    /// a call of the management API, else a handshake on a stage's path. `upgrade` yields
    /// the connection once the 101 answer is sent.
    pub async fn websocket_api<B, U, IO>(
        &self,
        api: &str,
        path: String,
        req: Request<B>,
        remote: SocketAddr,
        upgrade: U,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = Bytes>,
        U: Future<Output = Option<IO>> + Send + 'static,
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        if ws::connection_path(&path).is_some() {
            return self.connections_api(path, req, remote).await;
        }
        let (parts, _) = req.into_parts();
        let target = Target::websocket_api(api);
        let mut ctx = RequestCtx::new(parts, path, remote, self.local_port, target);
        let response = match self.websocket_apis.get(api) {
            Some(config) => self.handshake(&mut ctx, config, upgrade).await,
            None => message(StatusCode::FORBIDDEN, "Forbidden"),
        };
        self.record(&ctx, &response, None);
        response
    }

    /// resolve (the stage) → integrate (`$connect`) → respond (101, or the refusal).
    async fn handshake<U, IO>(
        &self,
        ctx: &mut RequestCtx,
        api: &Arc<WebSocketApi>,
        upgrade: U,
    ) -> Response<Body>
    where
        U: Future<Output = Option<IO>> + Send + 'static,
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let stage = ctx.path.trim_matches('/');
        if !api.stages.contains_key(stage) {
            return message(StatusCode::FORBIDDEN, "Forbidden");
        }
        let stage = stage.to_string();
        let key = ctx.header("sec-websocket-key").map(str::to_string);
        let upgrading = ctx.method == http::Method::GET
            && ctx
                .header("upgrade")
                .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
            && ctx.header("sec-websocket-version") == Some("13");
        let Some(key) = key.filter(|_| upgrading) else {
            return message(
                StatusCode::UPGRADE_REQUIRED,
                "Upgrade Required: connect with a WebSocket client (ws://)",
            );
        };
        ctx.route = Some((stage.clone(), CONNECT.to_string()));
        let mut session = Session {
            hub: self.hub.clone(),
            api: api.clone(),
            region: self.region.clone(),
            account_id: self.account_id.clone(),
            connection_id: ws::connection_id(),
            stage,
            domain_name: ctx.header("host").unwrap_or("localhost").to_string(),
            source_ip: ctx.remote.ip().to_string(),
            user_agent: ctx.header("user-agent").map(str::to_string),
            connected_at: ctx.received,
            headers: spelt_headers(ctx),
            query: ctx.query.clone(),
            authorizer: None,
        };
        // The handshake's line in the stage's access log, however it ends.
        let request_id = portico_events::time::apigw_request_id();
        let received = ctx.received;
        let log = |session: &Session, status: StatusCode, latency, error: Option<&str>| {
            session.log(Logged {
                route_key: CONNECT,
                event_type: EventType::Connect,
                request_id: &request_id,
                message_id: None,
                request_time: received,
                status: status.as_u16(),
                integration_latency: latency,
                error,
                recorded: None,
            });
        };
        // authorize
        if api.routes.get(CONNECT).is_some_and(|r| r.iam)
            && let Err(why) = crate::phases::authorize::execute_api_iam(ctx, &self.signing())
        {
            tracing::info!(
                "WebSocket API {}: the handshake is refused: {why}",
                api.name
            );
            log(&session, StatusCode::FORBIDDEN, None, Some(&why));
            return message(StatusCode::FORBIDDEN, "Forbidden");
        }
        let authorizer = api.routes.get(CONNECT).and_then(|r| r.authorizer.as_ref());
        if let Some(authorizer) = authorizer.and_then(|name| api.authorizers.get(name)) {
            let method_arn = format!(
                "arn:aws:execute-api:{}:{}:{}/{}/{CONNECT}",
                self.region, self.account_id, api.name, session.stage
            );
            let context = session.context(CONNECT, EventType::Connect, &request_id, received);
            let variables = &api.stages[&session.stage].variables;
            let event = ws::authorizer_event(&context, session.upgrade(), &method_arn, variables);
            let gate = self.gate(api.as_ref());
            match crate::phases::authorize::websocket_connect(
                ctx,
                &gate,
                authorizer,
                &method_arn,
                event,
            )
            .await
            {
                Ok(allowed) => session.authorizer = Some(allowed),
                Err((status, why)) => {
                    tracing::info!(
                        "WebSocket API {}: the handshake is refused: {why}",
                        api.name
                    );
                    let text = match status {
                        StatusCode::UNAUTHORIZED => "Unauthorized",
                        StatusCode::FORBIDDEN => "Forbidden",
                        _ => "Internal server error",
                    };
                    log(&session, status, None, Some(&why));
                    return message(status, text);
                }
            }
        }
        let session = Arc::new(session);
        let mut protocol = None;
        let mut latency = None;
        if let Some(route) = api.routes.get(CONNECT) {
            let event = integrate::Event {
                context: session.context(CONNECT, EventType::Connect, &request_id, received),
                kind: integrate::Kind::Connect,
            };
            let started = std::time::Instant::now();
            let answer = session.integrate(route, event).await;
            ctx.timeline.mark(crate::ctx::INTEGRATE, started);
            latency = Some(started.elapsed());
            match answer {
                Ok(answer) => {
                    ctx.function = answer.function;
                    if !(200..300).contains(&answer.status) {
                        let status =
                            StatusCode::from_u16(answer.status).unwrap_or(StatusCode::FORBIDDEN);
                        log(&session, status, latency, Some("$connect refused"));
                        return message(status, "Forbidden");
                    }
                    protocol = answer.subprotocol;
                }
                Err(failure) => {
                    let status = StatusCode::INTERNAL_SERVER_ERROR;
                    log(&session, status, latency, Some(failure.message()));
                    return message(status, failure.message());
                }
            }
        }
        log(&session, StatusCode::OK, latency, None);
        let (outbox, inbox) = tokio::sync::mpsc::channel(OUTBOX);
        let close = Arc::new(tokio::sync::Notify::new());
        let info = registry::Info {
            api: api.name.clone(),
            stage: session.stage.clone(),
            connected_at: session.connected_at,
            last_active_at: SystemTime::now(),
            source_ip: session.source_ip.clone(),
            user_agent: session.user_agent.clone(),
        };
        self.hub
            .connections
            .insert(&session.connection_id, info, outbox, close.clone());
        metrics::gauge!(CONNECTIONS, "target" => session.target()).increment(1.0);
        self.hub
            .tasks
            .spawn(connection::run(session, upgrade, inbox, close));
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(http::header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(
            http::header::CONNECTION,
            HeaderValue::from_static("Upgrade"),
        );
        let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
        if let Ok(accept) = HeaderValue::from_str(&accept) {
            headers.insert(http::header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        if let Some(protocol) = protocol.and_then(|p| HeaderValue::from_str(&p).ok()) {
            headers.insert(http::header::SEC_WEBSOCKET_PROTOCOL, protocol);
        }
        response
    }

    /// The management API: `POST` sends the body to the connection as one message (text if
    /// it is UTF-8), `GET` describes it, `DELETE` closes it; a connection that is not open
    /// is 410 `GoneException`.
    pub async fn connections_api<B>(
        &self,
        path: String,
        req: Request<B>,
        remote: SocketAddr,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = Bytes>,
    {
        let (parts, body) = req.into_parts();
        let mut ctx = RequestCtx::new(parts, path, remote, self.local_port, Target::UnknownApi);
        let id = ws::connection_path(&ctx.path).unwrap_or_default();
        let info = self.hub.connections.info(&id);
        if let Some(info) = &info {
            ctx.target = Target::websocket_api(&info.api);
            ctx.route = Some((info.stage.clone(), "@connections".into()));
        }
        let response = self.manage(&mut ctx, &id, info, body).await;
        self.record(&ctx, &response, None);
        response
    }

    /// validate (the id, the body within the message limit) → authorize (a signature, when
    /// Portico knows keys) → integrate (the connection `info` describes, if it is open).
    async fn manage<B>(
        &self,
        ctx: &mut RequestCtx,
        id: &str,
        info: Option<registry::Info>,
        body: B,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = Bytes>,
    {
        if !ws::is_connection_id(id) {
            let why = format!("Invalid connectionId: {id}");
            return error(StatusCode::BAD_REQUEST, "BadRequestException", &why);
        }
        let limit = info
            .as_ref()
            .and_then(|info| self.websocket_apis.get(&info.api))
            .map_or(portico_config::Limits::AWS.websocket_message, |api| {
                api.limits.websocket_message
            });
        ctx.body = match read(body, limit).await {
            Ok(data) => data,
            Err(ReadError::TooLarge) => {
                let why = format!(
                    "Message too long. Max size is {} bytes",
                    limit.unwrap_or_default()
                );
                return error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "PayloadTooLargeException",
                    &why,
                );
            }
            Err(ReadError::Broken) => {
                let why = "the request body broke off";
                return error(StatusCode::BAD_REQUEST, "BadRequestException", why);
            }
        };
        if !self.credentials.is_empty()
            && let Err(why) = crate::phases::authorize::execute_api_iam(ctx, &self.signing())
        {
            tracing::info!("@connections/{id}: refused: {why}");
            return error(StatusCode::FORBIDDEN, "ForbiddenException", "Forbidden");
        }
        let gone = || error(StatusCode::GONE, "GoneException", "");
        match ctx.method {
            http::Method::POST => {
                let message = registry::Outgoing::of(ctx.body.clone());
                match self.hub.connections.send(id, message) {
                    Ok(()) => {
                        self.hub.connections.touch(id);
                        Response::new(Body::empty())
                    }
                    Err(registry::Undelivered::Gone) => gone(),
                    Err(registry::Undelivered::Full) => {
                        dropped(ctx.target.to_string(), "outbox_full");
                        tracing::warn!(
                            "@connections/{id}: the client reads too slowly; {OUTBOX} messages wait already, so this one is refused"
                        );
                        error(
                            StatusCode::TOO_MANY_REQUESTS,
                            "LimitExceededException",
                            "the connection's client is not reading its messages fast enough",
                        )
                    }
                }
            }
            http::Method::GET => match info {
                Some(info) => {
                    let body = ws::connection_info(
                        info.connected_at,
                        info.last_active_at,
                        &info.source_ip,
                        info.user_agent.as_deref(),
                    );
                    json(StatusCode::OK, body)
                }
                None => gone(),
            },
            http::Method::DELETE => match self.hub.connections.close(id) {
                Ok(()) => {
                    let mut response = Response::new(Body::empty());
                    *response.status_mut() = StatusCode::NO_CONTENT;
                    response
                }
                Err(_) => gone(),
            },
            _ => error(
                StatusCode::NOT_FOUND,
                "NotFoundException",
                "the management API takes POST, GET and DELETE of @connections/<id>",
            ),
        }
    }
}

/// The handshake's headers as the client spelt them (else title-cased), with those API
/// Gateway adds.
fn spelt_headers(ctx: &RequestCtx) -> Vec<(String, String)> {
    let spelt = |name: &str| {
        ctx.header_names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(name))
            .cloned()
            .unwrap_or_else(|| portico_events::http_v1::title_case(name))
    };
    let mut headers: Vec<(String, String)> = ctx
        .headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (spelt(name.as_str()), value)
        })
        .collect();
    let added = ctx.added_headers().into_iter();
    headers.extend(added.map(|(name, value)| (portico_events::http_v1::title_case(name), value)));
    headers
}

/// Open WebSocket connections, by target (`ws:<api>`).
pub const CONNECTIONS: &str = "portico_websocket_connections";
/// Messages by target and direction (`in`, `out`).
pub const MESSAGES: &str = "portico_websocket_messages_total";
/// Messages not delivered, by target and reason.
pub const DROPPED: &str = "portico_websocket_dropped_total";

/// Counts a message not delivered to a connection of `target` (`ws:<api>`).
fn dropped(target: String, reason: &'static str) {
    metrics::counter!(DROPPED, "target" => target, "reason" => reason).increment(1);
}

fn message(status: StatusCode, text: &str) -> Response<Body> {
    json(
        status,
        serde_json::json!({ "message": text })
            .to_string()
            .into_bytes(),
    )
}

/// A management API error: its `x-amzn-ErrorType` and `{"message": ...}`.
fn error(status: StatusCode, error_type: &'static str, text: &str) -> Response<Body> {
    let mut response = message(status, text);
    response.headers_mut().insert(
        portico_events::invoke_api::ERROR_TYPE,
        HeaderValue::from_static(error_type),
    );
    response
}

fn json(status: StatusCode, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Body::full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
