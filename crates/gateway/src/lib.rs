//! Portico's front doors: Function URLs, HTTP APIs, REST APIs and the Lambda Invoke API.
//!
//! Each front door (see [`doors`]) runs a request through named phases (see [`phases`]) over
//! a per-request [`ctx::RequestCtx`]. A phase that says no returns a [`Refusal`], which the
//! door renders once, in AWS's shape for that door.
//!
//! This crate knows HTTP types (`http`, `http-body`) but not the listener: `portico-server`
//! accepts connections and picks the door.

/// Runs `work` (any expression), marking its time on the request's timeline as the phase
/// `name`; for phases that give a value rather than a [`ctx::Flow`].
macro_rules! marked {
    ($ctx:ident, $name:expr, $work:expr) => {{
        let started = std::time::Instant::now();
        let out = $work;
        $ctx.timeline.mark($name, started);
        out
    }};
}

/// Runs a phase: goes on after `Flow::Continue`, returns the answer of `Flow::Respond` or
/// the refusal of `Flow::Refuse` (from a function returning [`ctx::Answer`]).
/// Its time is marked on the request's timeline under the phase's module name
/// (`phase!(ctx, validate::body(...))`), or the name given (`phase!(ctx, "map", ...)`).
macro_rules! phase {
    ($ctx:ident, $phase:ident :: $($call:tt)+) => {
        phase!($ctx, stringify!($phase), $phase::$($call)+)
    };
    ($ctx:ident, $name:expr, $flow:expr) => {{
        let flow = marked!($ctx, $name, $flow);
        match flow {
            $crate::ctx::Flow::Continue => {}
            $crate::ctx::Flow::Respond(response) => return Ok(response),
            $crate::ctx::Flow::Refuse(refusal) => return Err(refusal),
        }
    }};
}

pub mod access_log;
pub mod body;
pub mod client;
pub mod cors;
pub mod ctx;
pub mod doors;
pub mod jwks;
pub mod limiter;
pub mod phases;
pub mod refusal;

use std::sync::Arc;

use portico_config::{Config, ConfigError};
use portico_runtime::Runtime;

pub use body::Body;
pub use ctx::{HeaderCase, Tls};
pub use refusal::Refusal;

/// Which door serves an API: an HTTP API's, a REST API's, or the answer that there is no
/// such API (the HTTP API door's 404).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiDoor<'a> {
    Http(&'a str),
    Rest(&'a str),
    WebSocket(&'a str),
    Unknown(&'a str),
}

/// The front doors over one runtime.
pub struct Gateway {
    runtime: Arc<Runtime>,
    apis: std::collections::BTreeMap<String, portico_config::Api>,
    rest_apis: std::collections::BTreeMap<String, portico_config::rest::RestApi>,
    websocket_apis:
        std::collections::BTreeMap<String, Arc<portico_config::websocket::WebSocketApi>>,
    /// The WebSocket APIs' open connections, and what serves them.
    hub: Arc<doors::websocket::Hub>,
    /// The WebSocket APIs' MOCK integrations' templates, parsed.
    websocket_mocks: Arc<doors::websocket::Mocks>,
    /// The REST APIs, compiled: what each method is checked and mapped by.
    plans: doors::rest::mapping::plan::Plans,
    /// The REST APIs' stage caches.
    response_cache: Box<dyn phases::cache::ResponseCache>,
    /// Stages' access logs.
    stage_logs: Arc<access_log::StageLogs>,
    limiter: Box<dyn limiter::Limiter>,
    authorizer_cache: Box<dyn portico_auth::DecisionCache>,
    jwks: jwks::Jwks,
    proxy: phases::integrate::proxy::Proxy,
    /// Access key id → secret, for SigV4-signed requests.
    credentials: std::collections::BTreeMap<String, String>,
    region: String,
    account_id: String,
    /// The port Portico listens on, for `x-forwarded-port`.
    local_port: u16,
    /// Where the record phase hands each request for the dashboard and the cost lens.
    observatory: Option<Arc<portico_observe::Observatory>>,
    /// Where the record phase sends each request's spans.
    tracer: Option<Arc<portico_observe::otlp::Tracer>>,
    /// The AWS services REST and HTTP API integrations call.
    services: phases::integrate::aws::Services,
}

/// Every stage with an access log: API, stage, log.
fn stage_logs(config: &Config) -> Vec<(&str, &str, &portico_config::AccessLog)> {
    let http = config.apis.values().map(|a| (a.name.as_str(), &a.stages));
    let rest = config
        .rest_apis
        .values()
        .map(|a| (a.name.as_str(), &a.stages));
    let websocket = config
        .websocket_apis
        .values()
        .map(|a| (a.name.as_str(), &a.stages));
    http.chain(rest)
        .chain(websocket)
        .flat_map(|(api, stages)| {
            stages
                .iter()
                .filter_map(move |(name, s)| Some((api, name.as_str(), s.access_log.as_ref()?)))
        })
        .collect()
}

/// What in a valid config cannot be served (a mapping template that does not parse, a
/// model that is not a schema), each at the config line that declares it.
pub fn check(config: &Config) -> Result<(), ConfigError> {
    plans(config)?;
    // Only the endpoints matter here: no call is signed.
    let placeholder = portico_runtime::Credentials::placeholder();
    let services = phases::integrate::aws::Services::new(config, &placeholder);
    unreached_services(config, &services)?;
    doors::websocket::Mocks::compile(&websocket_apis(config), &config.path).map(|_| ())
}

/// Refuses a config whose REST methods or HTTP API routes call an AWS service with no
/// endpoint for it, naming each and what to set.
fn unreached_services(
    config: &Config,
    services: &phases::integrate::aws::Services,
) -> Result<(), ConfigError> {
    let mut diagnostics = Vec::new();
    let http = config.apis.values().flat_map(|api| {
        api.routes
            .iter()
            .filter_map(move |route| match &route.integration {
                portico_config::Integration::Service(action) => {
                    let (service, _) = phases::integrate::aws::subtype_action(action.subtype);
                    Some(("HTTP API", &api.name, route.key.text(), service, None))
                }
                _ => None,
            })
    });
    let rest = config.rest_apis.values().flat_map(|api| {
        api.methods
            .iter()
            .filter_map(move |method| match &method.integration.kind {
                portico_config::rest::IntegrationKind::AwsService(call) => Some((
                    "REST API",
                    &api.name,
                    method.key.text(),
                    call.service.as_str(),
                    Some(&method.origin),
                )),
                _ => None,
            })
    });
    for (kind, api, route, service, origin) in http.chain(rest) {
        if let Some(why) = services.missing(service) {
            let message = format!("{kind} `{api}`, `{route}`: {why}");
            diagnostics.push(match origin {
                Some(origin) => origin.diagnostic(message),
                None => portico_config::Diagnostic::new(0, 0, message),
            });
        }
    }
    if diagnostics.is_empty() {
        return Ok(());
    }
    Err(ConfigError::Invalid {
        path: config.path.clone(),
        diagnostics,
    })
}

/// The config's WebSocket APIs, as connections share them.
fn websocket_apis(config: &Config) -> doors::websocket::Apis {
    config
        .websocket_apis
        .iter()
        .map(|(name, api)| (name.clone(), Arc::new(api.clone())))
        .collect()
}

fn plans(config: &Config) -> Result<doors::rest::mapping::plan::Plans, ConfigError> {
    doors::rest::mapping::plan::Plans::compile(&config.rest_apis).map_err(|diagnostics| {
        ConfigError::Invalid {
            path: config.path.clone(),
            diagnostics,
        }
    })
}

impl Gateway {
    /// The front doors for `config`; `Err` lists what in it cannot be served (a mapping
    /// template that does not parse, a model that is not a schema, a selection pattern or
    /// validation expression that is not a regular expression, an access log that cannot
    /// be opened), each at its place.
    pub fn new(
        config: &Config,
        runtime: Arc<Runtime>,
        local_port: u16,
    ) -> Result<Gateway, ConfigError> {
        let plans = plans(config)?;
        let services = phases::integrate::aws::Services::new(config, runtime.credentials());
        unreached_services(config, &services)?;
        let websocket_apis = websocket_apis(config);
        let websocket_mocks = Arc::new(doors::websocket::Mocks::compile(
            &websocket_apis,
            &config.path,
        )?);
        let stage_logs = access_log::StageLogs::open(stage_logs(config)).map_err(|errors| {
            ConfigError::Invalid {
                path: config.path.clone(),
                diagnostics: errors
                    .into_iter()
                    .map(|e| portico_config::Diagnostic::new(0, 0, e))
                    .collect(),
            }
        })?;
        let gateway = Gateway {
            runtime,
            plans,
            response_cache: Box::new(phases::cache::LocalResponses::default()),
            stage_logs: Arc::new(stage_logs),
            apis: config.apis.clone(),
            rest_apis: config.rest_apis.clone(),
            websocket_apis,
            websocket_mocks,
            hub: Arc::new(doors::websocket::Hub::default()),
            limiter: Box::new(limiter::LocalBuckets::default()),
            authorizer_cache: Box::new(portico_auth::LocalCache::default()),
            jwks: jwks::Jwks::default(),
            proxy: phases::integrate::proxy::Proxy::default(),
            services,
            credentials: config.credentials.clone(),
            region: config.region.clone(),
            account_id: config.account_id.clone(),
            local_port,
            observatory: None,
            tracer: None,
        };
        gateway.hub.serve(gateway.websockets_served());
        Ok(gateway)
    }

    /// Hands every request's record to `observatory` from now on (WebSocket events' once
    /// the gateway serves connections: [`Gateway::join`]).
    pub fn observe(&mut self, observatory: Arc<portico_observe::Observatory>) {
        self.observatory = Some(observatory);
    }

    /// Serves WebSocket connections through `hub`, shared with the gateway of the config
    /// served before: a reload keeps the open connections, and they are served by this
    /// config from now on.
    pub fn join(&mut self, hub: Arc<doors::websocket::Hub>) {
        hub.serve(self.websockets_served());
        self.hub = hub;
    }

    /// What this gateway serves WebSocket connections by.
    fn websockets_served(&self) -> doors::websocket::ServedNow {
        doors::websocket::ServedNow {
            runtime: self.runtime.clone(),
            apis: self.websocket_apis.clone(),
            logs: self.stage_logs.clone(),
            mocks: self.websocket_mocks.clone(),
            observatory: self.observatory.clone(),
        }
    }

    /// The WebSocket connections this gateway serves (shared across reloads).
    pub fn websockets(&self) -> &doors::websocket::Hub {
        &self.hub
    }

    /// Sends every request's spans to `tracer` from now on.
    pub fn trace(&mut self, tracer: Arc<portico_observe::otlp::Tracer>) {
        self.tracer = Some(tracer);
    }

    /// The record phase, run by every door once it has its answer (and why the request
    /// failed, if it did).
    fn record(
        &self,
        ctx: &ctx::RequestCtx,
        response: &http::Response<Body>,
        failure: Option<&str>,
    ) {
        phases::record::record(
            ctx,
            response,
            failure,
            self.observatory.as_deref(),
            self.tracer.as_deref(),
        );
    }

    /// Whether anything served needs the header names as the client spelt them: REST APIs
    /// pass them on so.
    pub fn keeps_header_case(&self) -> bool {
        !self.rest_apis.is_empty() || !self.websocket_apis.is_empty()
    }

    /// The door of the API a request's host or path names, with its name as the config
    /// spells it (host names are case-insensitive, so `serverlessrestapi` finds
    /// `ServerlessRestApi`).
    pub fn api_door<'a>(&'a self, name: &'a str) -> ApiDoor<'a> {
        let known = |name: &str| {
            if let Some((name, _)) = self.rest_apis.get_key_value(name) {
                Some(ApiDoor::Rest(name.as_str()))
            } else if let Some((name, _)) = self.websocket_apis.get_key_value(name) {
                Some(ApiDoor::WebSocket(name.as_str()))
            } else {
                let (name, _) = self.apis.get_key_value(name)?;
                Some(ApiDoor::Http(name.as_str()))
            }
        };
        known(name)
            .or_else(|| {
                let names = self
                    .apis
                    .keys()
                    .chain(self.rest_apis.keys())
                    .chain(self.websocket_apis.keys());
                phases::resolve::spelled(name, names.map(String::as_str)).and_then(known)
            })
            .unwrap_or(ApiDoor::Unknown(name))
    }

    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// What authorizing a request to `api` needs of the gateway.
    fn gate<'a, A>(&'a self, api: &'a A) -> phases::authorize::Gate<'a, A> {
        phases::authorize::Gate {
            api,
            runtime: &self.runtime,
            cache: self.authorizer_cache.as_ref(),
            jwks: &self.jwks,
            region: &self.region,
            account_id: &self.account_id,
        }
    }

    fn signing(&self) -> phases::authorize::Signing<'_> {
        phases::authorize::Signing {
            credentials: &self.credentials,
            region: &self.region,
            account_id: &self.account_id,
        }
    }

    fn function_arn(&self, name: &str, qualifier: Option<&str>) -> String {
        portico_events::invoke_api::function_arn(&self.region, &self.account_id, name, qualifier)
    }

    /// `function` as an integration invokes it, if it is served with the version named.
    fn callee(
        &self,
        function: &portico_config::FunctionRef,
    ) -> Option<phases::integrate::lambda::Callee> {
        phases::integrate::lambda::Callee::find(
            &self.runtime,
            function,
            (&self.region, &self.account_id),
        )
    }
}
