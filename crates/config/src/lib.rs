//! Portico's configuration.
//!
//! `portico.yaml` is read in two steps: [`raw`] deserializes exactly what the user wrote
//! (unknown keys refused), then [`compile`] validates it into a [`Config`], reporting every
//! problem at once with its file, line and column. Nothing here opens sockets or starts
//! processes.

mod compile;
mod diagnostics;
pub mod limits;
pub mod mapping;
pub mod openapi;
pub mod raw;
pub mod rest;
mod route;
mod template;
pub mod websocket;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

pub use compile::{import, load, load_with, parse};
pub use diagnostics::{ConfigError, Diagnostic};
pub use limits::{Limits, Profile};
pub use mapping::{MappingAction, MappingTarget, MappingValue, ParameterMapping, Reference};
pub use template::{Options as TemplateOptions, Translated, is_template};

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The folder its relative paths start from, absolute.
    pub dir: PathBuf,
    pub region: String,
    pub account_id: String,
    pub functions: BTreeMap<String, Function>,
    pub apis: BTreeMap<String, Api>,
    /// REST APIs by name (one namespace with `apis`).
    pub rest_apis: BTreeMap<String, rest::RestApi>,
    /// WebSocket APIs by name (one namespace with `apis`).
    pub websocket_apis: BTreeMap<String, websocket::WebSocketApi>,
    /// Access key id → secret, for SigV4-signed (`aws_iam`) requests.
    pub credentials: BTreeMap<String, String>,
    /// What the config asks for that Portico accepts but does not serve, to print at
    /// start-up (never ignored silently).
    pub warnings: Vec<String>,
    /// The admin listener: `None` unless the config says; `Some(None)` for `off`.
    pub admin_listen: Option<Option<std::net::SocketAddr>>,
    /// The dashboard's price table, if the config names one.
    pub admin_prices: Option<PathBuf>,
    /// Where request spans go, if the config says.
    pub tracing: Option<Tracing>,
    /// Where functions' AWS SDKs send each service's calls, by service id.
    pub endpoints: BTreeMap<String, Endpoint>,
}

/// Where an AWS service's calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// Portico itself (its public listener).
    Portico,
    /// Another local service (moto, DynamoDB Local, MinIO).
    Url(String),
}

impl Config {
    /// The `AWS_ENDPOINT_URL_<SERVICE>` variables for functions, with Portico's own address
    /// `portico` (`http://127.0.0.1:3000`) for `self`; the Lambda API (and, with WebSocket
    /// APIs, their management API) is Portico unless the config says otherwise.
    pub fn endpoint_variables(&self, portico: &str) -> Vec<(String, String)> {
        let management = !self.websocket_apis.is_empty();
        let own = [("lambda", true), ("apigatewaymanagementapi", management)]
            .into_iter()
            .filter(|&(service, served)| served && !self.endpoints.contains_key(service))
            .map(|(service, _)| (service, &Endpoint::Portico));
        self.endpoints
            .iter()
            .map(|(service, endpoint)| (service.as_str(), endpoint))
            .chain(own)
            .map(|(service, endpoint)| {
                let name = format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase());
                let url = match endpoint {
                    Endpoint::Portico => portico.to_string(),
                    Endpoint::Url(url) => url.clone(),
                };
                (name, url)
            })
            .collect()
    }
}

/// OpenTelemetry export of request spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracing {
    /// The collector's OTLP/HTTP base URL.
    pub otlp_endpoint: String,
    /// The spans' `service.name`, if the config gives one.
    pub service_name: Option<String>,
}

/// An HTTP API.
#[derive(Debug, Clone)]
pub struct Api {
    pub name: String,
    /// Stages by name; `$default` is served without a path prefix.
    pub stages: BTreeMap<String, Stage>,
    /// Routes in the order they are tried: most specific first (see [`RouteKey::cmp_specificity`]).
    pub routes: Vec<Route>,
    pub cors: Option<Cors>,
    pub authorizers: BTreeMap<String, Authorizer>,
    /// The file's limits profile, for what no function's limits cover (HTTP proxy routes).
    pub limits: Limits,
}

/// An authorizer of an HTTP API.
#[derive(Debug, Clone)]
pub struct Authorizer {
    pub name: String,
    /// Where the identity is; a request missing one is refused with 401.
    pub identity_sources: Vec<IdentitySource>,
    pub kind: AuthorizerKind,
}

#[derive(Debug, Clone)]
pub enum AuthorizerKind {
    /// A Lambda authorizer (payload format 2.0).
    Lambda {
        function: String,
        /// The event's shape: 2.0, or 1.0 (the REST request authorizer's).
        payload_format: PayloadFormat,
        simple_responses: bool,
        ttl: Duration,
    },
    /// A JWT authorizer.
    Jwt {
        issuer: String,
        audience: Vec<String>,
        /// `None`: discovered from the issuer's OpenID configuration.
        jwks_uri: Option<String>,
    },
}

/// Where a request carries its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// `$request.header.<name>` (lower-case).
    Header(String),
    /// `$request.querystring.<name>`.
    Query(String),
}

impl IdentitySource {
    /// As written in the config and in the authorizer event's `identitySource`.
    pub fn parse(text: &str) -> Option<IdentitySource> {
        if let Some(name) = text.strip_prefix("$request.header.") {
            return (!name.is_empty()).then(|| IdentitySource::Header(name.to_ascii_lowercase()));
        }
        text.strip_prefix("$request.querystring.")
            .filter(|n| !n.is_empty())
            .map(|n| IdentitySource::Query(n.to_string()))
    }
}

/// A stage of an API.
#[derive(Debug, Clone, Default)]
pub struct Stage {
    pub variables: BTreeMap<String, String>,
    /// Throttling for routes without their own.
    pub throttle: Option<Throttle>,
    /// REST APIs: how long the stage cache keeps GET methods' answers.
    pub cache_ttl: Option<Duration>,
    /// The stage's access log.
    pub access_log: Option<AccessLog>,
    /// REST APIs: methods (`GET /pets/{id}`) with their own cache TTL (zero: not cached).
    pub cache_methods: BTreeMap<String, Duration>,
}

/// A stage's access log: a line per request in API Gateway's format language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLog {
    pub format: String,
    /// `None`: standard output.
    pub file: Option<PathBuf>,
    pub rotation: Rotation,
}

/// When an access log file starts afresh (the old one keeps a date suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    Daily,
    Hourly,
    Never,
}

/// A token bucket: `rate` requests per second on average, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    pub rate: f64,
    pub burst: u32,
}

/// A route and the function it invokes.
#[derive(Debug, Clone)]
pub struct Route {
    pub key: RouteKey,
    pub integration: Integration,
    pub throttle: Option<Throttle>,
    pub payload_format: PayloadFormat,
    /// The name of the authorizer in [`Api::authorizers`].
    pub authorizer: Option<String>,
    /// How long the API waits for the function; `None` means as long as the function runs.
    pub timeout: Option<Duration>,
    /// For a JWT authorizer: one of these scopes is required.
    pub scopes: Vec<String>,
    /// Requests must be SigV4-signed (`auth: aws_iam`).
    pub iam: bool,
    /// Whether a streaming function's response is streamed to the client.
    pub invoke_mode: InvokeMode,
    /// Changes to the request before an HTTP proxy sends it on.
    pub request_parameters: Vec<ParameterMapping>,
    /// Changes to the integration's response, by its status code.
    pub response_parameters: Vec<(u16, Vec<ParameterMapping>)>,
}

/// What a route does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integration {
    /// Invoke this function (Lambda proxy).
    Lambda { function: FunctionRef },
    /// Forward to this URL (HTTP proxy), path parameters substituted.
    Http { url: String },
    /// An AWS service's action, as HTTP APIs' first-class integrations call it
    /// (`integration_subtype: SQS-SendMessage`), its parameters mapped from the request.
    Service(ServiceAction),
}

/// An HTTP API's AWS service integration: its subtype and the values of its parameters
/// (`QueueUrl`, `MessageBody`, ...), each static text or a reference to the request
/// (`$request.body.<path>`, `$request.header.<name>`, `$request.querystring.<name>`,
/// `$request.path.<name>`, `$context.<variable>`, `$stageVariables.<name>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAction {
    pub subtype: Subtype,
    pub parameters: Vec<(String, MappingValue)>,
}

/// The integration subtypes of HTTP APIs Portico serves: each a service's action with the
/// parameters AWS documents for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subtype {
    SqsSendMessage,
    SqsReceiveMessage,
    SqsDeleteMessage,
    SqsPurgeQueue,
    EventBridgePutEvents,
    KinesisPutRecord,
    StepFunctionsStartExecution,
    StepFunctionsStartSyncExecution,
    StepFunctionsStopExecution,
}

impl Subtype {
    pub const ALL: [Subtype; 9] = [
        Subtype::SqsSendMessage,
        Subtype::SqsReceiveMessage,
        Subtype::SqsDeleteMessage,
        Subtype::SqsPurgeQueue,
        Subtype::EventBridgePutEvents,
        Subtype::KinesisPutRecord,
        Subtype::StepFunctionsStartExecution,
        Subtype::StepFunctionsStartSyncExecution,
        Subtype::StepFunctionsStopExecution,
    ];

    /// As AWS spells it (`SQS-SendMessage`).
    pub fn name(self) -> &'static str {
        match self {
            Subtype::SqsSendMessage => "SQS-SendMessage",
            Subtype::SqsReceiveMessage => "SQS-ReceiveMessage",
            Subtype::SqsDeleteMessage => "SQS-DeleteMessage",
            Subtype::SqsPurgeQueue => "SQS-PurgeQueue",
            Subtype::EventBridgePutEvents => "EventBridge-PutEvents",
            Subtype::KinesisPutRecord => "Kinesis-PutRecord",
            Subtype::StepFunctionsStartExecution => "StepFunctions-StartExecution",
            Subtype::StepFunctionsStartSyncExecution => "StepFunctions-StartSyncExecution",
            Subtype::StepFunctionsStopExecution => "StepFunctions-StopExecution",
        }
    }

    pub fn parse(text: &str) -> Option<Subtype> {
        Subtype::ALL.into_iter().find(|s| s.name() == text)
    }

    /// The parameters it requires, then those it also takes (`Region` on every one).
    pub fn parameters(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Subtype::SqsSendMessage => (
                &["QueueUrl", "MessageBody"],
                &[
                    "DelaySeconds",
                    "MessageAttributes",
                    "MessageDeduplicationId",
                    "MessageGroupId",
                    "MessageSystemAttributes",
                    "Region",
                ],
            ),
            Subtype::SqsReceiveMessage => (
                &["QueueUrl"],
                &[
                    "AttributeNames",
                    "MaxNumberOfMessages",
                    "MessageAttributeNames",
                    "ReceiveRequestAttemptId",
                    "VisibilityTimeout",
                    "WaitTimeSeconds",
                    "Region",
                ],
            ),
            Subtype::SqsDeleteMessage => (&["QueueUrl", "ReceiptHandle"], &["Region"]),
            Subtype::SqsPurgeQueue => (&["QueueUrl"], &["Region"]),
            Subtype::EventBridgePutEvents => (
                &["Detail", "DetailType", "Source"],
                &["Time", "EventBusName", "Resources", "Region", "TraceHeader"],
            ),
            Subtype::KinesisPutRecord => (
                &["StreamName", "Data", "PartitionKey"],
                &["SequenceNumberForOrdering", "ExplicitHashKey", "Region"],
            ),
            Subtype::StepFunctionsStartExecution | Subtype::StepFunctionsStartSyncExecution => (
                &["StateMachineArn"],
                &["Name", "Input", "Region", "TraceHeader"],
            ),
            Subtype::StepFunctionsStopExecution => {
                (&["ExecutionArn"], &["Cause", "Error", "Region"])
            }
        }
    }
}

/// The Lambda proxy payload format of an HTTP API route.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PayloadFormat {
    /// The REST API shape with `version: "1.0"`.
    V1,
    #[default]
    V2,
}

pub use route::{RouteKey, Segment};

/// A function as an integration names it: `hello`, or `hello:live` (one of its aliases or
/// published versions).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FunctionRef {
    pub name: String,
    pub qualifier: Option<String>,
}

impl FunctionRef {
    /// `name` or `name:qualifier`, as written.
    pub fn parse(text: &str) -> FunctionRef {
        match text.split_once(':') {
            Some((name, qualifier)) => FunctionRef {
                name: name.to_string(),
                qualifier: Some(qualifier.to_string()),
            },
            None => FunctionRef::unqualified(text),
        }
    }

    pub fn unqualified(name: &str) -> FunctionRef {
        FunctionRef {
            name: name.to_string(),
            qualifier: None,
        }
    }
}

impl From<&str> for FunctionRef {
    /// As [`FunctionRef::parse`] reads it.
    fn from(text: &str) -> FunctionRef {
        FunctionRef::parse(text)
    }
}

impl std::fmt::Display for FunctionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.qualifier {
            Some(q) => write!(f, "{}:{q}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// The version Lambda calls the one that changes with each edit.
pub const LATEST: &str = "$LATEST";

/// One function, ready to run.
#[derive(Debug, Clone)]
pub struct Function {
    pub name: String,
    pub runtime: Runtime,
    /// The runtime string as written (`python3.12`), for `AWS_EXECUTION_ENV`.
    pub runtime_name: String,
    pub handler: String,
    /// Absolute folder of the code: the working directory and `LAMBDA_TASK_ROOT`.
    pub code: PathBuf,
    /// For `provided`: the program and its arguments (default `<code>/bootstrap`); for
    /// `web`, the web server.
    pub command: Option<Vec<String>>,
    /// For `web`: how its server is reached and known to be ready.
    pub web: Option<WebApp>,
    pub timeout: Duration,
    pub memory_mb: u32,
    pub concurrency: u32,
    pub idle_timeout: Duration,
    pub environment: BTreeMap<String, String>,
    pub limits: Limits,
    /// The URL of `$LATEST`.
    pub url: Option<FunctionUrl>,
    /// Aliases by name, each naming a published version. Portico runs a function's folder as
    /// it is, so every version is the same code: versions 1 to the highest an alias names
    /// are published.
    pub aliases: BTreeMap<String, Alias>,
    /// Absolute folders of the function's layers, in the config's order.
    pub layers: Vec<PathBuf>,
    /// Layers made of registry packages (`pypi:aws-lambda-powertools`), installed and put
    /// before the folder layers when the function runs.
    pub package_layers: Vec<PackageLayer>,
    /// How the code is built before it runs, if it is.
    pub build: Option<Build>,
    /// Where the AWS SDK the function imports without bundling it is installed (as Lambda's
    /// runtimes ship it), after its layers on its paths; set before the function runs.
    pub sdk: Option<PathBuf>,
}

/// An alias of a function: a name for one of its versions.
#[derive(Debug, Clone)]
pub struct Alias {
    pub version: u32,
    /// The alias's own Function URL.
    pub url: Option<FunctionUrl>,
}

impl Function {
    /// The highest published version (0: none).
    pub fn published(&self) -> u32 {
        self.aliases.values().map(|a| a.version).max().unwrap_or(0)
    }

    /// The version `qualifier` names (none: `$LATEST`), as `X-Amz-Executed-Version` says it:
    /// `$LATEST`, a published version's number or the one an alias names; `None` if it names
    /// none of them.
    pub fn version_of(&self, qualifier: Option<&str>) -> Option<String> {
        match qualifier {
            None | Some(LATEST) => Some(LATEST.to_string()),
            Some(q) => match q.parse::<u32>() {
                Ok(n) => (1..=self.published()).contains(&n).then(|| n.to_string()),
                Err(_) => self.aliases.get(q).map(|a| a.version.to_string()),
            },
        }
    }

    /// The version its instances say they run (`AWS_LAMBDA_FUNCTION_VERSION`): the newest
    /// published one when it has aliases (what its aliased callers run on Lambda), else
    /// `$LATEST`. Every version is the same code, so they share one set of instances.
    pub fn instance_version(&self) -> String {
        match self.published() {
            0 => LATEST.to_string(),
            n => n.to_string(),
        }
    }

    /// The Function URL of `$LATEST` (`None`) or of an alias.
    pub fn url_of(&self, qualifier: Option<&str>) -> Option<&FunctionUrl> {
        match qualifier {
            None => self.url.as_ref(),
            Some(alias) => self.aliases.get(alias)?.url.as_ref(),
        }
    }

    /// Every Function URL: `$LATEST`'s (`None`), then each alias's.
    pub fn urls(&self) -> impl Iterator<Item = (Option<&str>, &FunctionUrl)> {
        let aliases = self
            .aliases
            .iter()
            .filter_map(|(name, a)| Some((Some(name.as_str()), a.url.as_ref()?)));
        self.url
            .as_ref()
            .map(|u| (None, u))
            .into_iter()
            .chain(aliases)
    }
}

/// How a `runtime: web` function's server is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebApp {
    /// A fixed port; `None`: a free loopback port per instance, given as `PORT` and
    /// `AWS_LWA_PORT`.
    pub port: Option<u16>,
    pub readiness: Readiness,
}

/// How a web server is known to be ready, as the Lambda Web Adapter checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// Asked with `GET` over HTTP, or only connected to over TCP.
    pub protocol: ReadinessProtocol,
    pub path: String,
    pub healthy: HealthyStatus,
}

impl Default for Readiness {
    fn default() -> Readiness {
        Readiness {
            protocol: ReadinessProtocol::Http,
            path: "/".into(),
            healthy: HealthyStatus::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadinessProtocol {
    Http,
    Tcp,
}

/// The status codes a readiness check accepts, as ranges: `100-499`, `200,204,300-399`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthyStatus(pub Vec<(u16, u16)>);

impl HealthyStatus {
    /// Parses a list of codes and ranges; `Err` names the part that is not one.
    pub fn parse(text: &str) -> Result<HealthyStatus, String> {
        let mut ranges = Vec::new();
        for part in text.split(',').map(str::trim) {
            let (low, high) = part.split_once('-').unwrap_or((part, part));
            let code = |s: &str| {
                s.trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|c| (100..=599).contains(c))
            };
            match (code(low), code(high)) {
                (Some(low), Some(high)) if low <= high => ranges.push((low, high)),
                _ => return Err(part.to_string()),
            }
        }
        Ok(HealthyStatus(ranges))
    }

    pub fn accepts(&self, status: u16) -> bool {
        self.0
            .iter()
            .any(|&(low, high)| (low..=high).contains(&status))
    }
}

impl Default for HealthyStatus {
    /// `100-499`, the adapter's default: the app answers, even with a client error.
    fn default() -> HealthyStatus {
        HealthyStatus(vec![(100, 499)])
    }
}

/// A layer of packages from a registry: `pypi:<requirement>` or `npm:<package>[@version]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageLayer {
    Pypi(String),
    Npm(String),
}

/// How a function's code is built, as `sam build` would build it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Build {
    /// `pip install -r requirements.txt` into a copy of the code.
    Pip,
    /// `npm ci` or `npm install` in a copy of the code.
    Npm,
    /// `make build-<function>` with `ARTIFACTS_DIR`.
    Makefile,
    /// `cargo build --release`, the binary as `bootstrap`.
    CargoLambda { binary: Option<String> },
}

impl Build {
    /// The methods as the config names them.
    pub const NAMES: &'static [&'static str] = &["pip", "npm", "makefile", "cargo-lambda"];
}

/// The language runtime of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// `python3.x`, with the minor version.
    Python { minor: u32 },
    /// `nodejsNN.x`, with the major version.
    Node { major: u32 },
    /// `provided*`: any executable speaking the Runtime API.
    Provided,
    /// `web`: a web server; Portico turns each event into an HTTP request to it.
    Web,
}

impl Runtime {
    /// The runtimes Portico knows, as written in the config.
    pub const EXAMPLES: &'static [&'static str] = &[
        "python3.9",
        "python3.10",
        "python3.11",
        "python3.12",
        "python3.13",
        "nodejs18.x",
        "nodejs20.x",
        "nodejs22.x",
        "provided",
        "provided.al2",
        "provided.al2023",
        "web",
    ];

    pub fn parse(name: &str) -> Option<Runtime> {
        if let Some(minor) = name.strip_prefix("python3.") {
            return minor.parse().ok().map(|minor| Runtime::Python { minor });
        }
        if let Some(major) = name
            .strip_prefix("nodejs")
            .and_then(|rest| rest.strip_suffix(".x"))
        {
            return major.parse().ok().map(|major| Runtime::Node { major });
        }
        match name {
            "provided" | "provided.al2" | "provided.al2023" => Some(Runtime::Provided),
            "web" => Some(Runtime::Web),
            _ => None,
        }
    }
}

/// A function's URL configuration.
#[derive(Debug, Clone)]
pub struct FunctionUrl {
    pub auth: UrlAuth,
    pub invoke_mode: InvokeMode,
    pub cors: Option<Cors>,
}

/// `AuthType` of a Function URL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrlAuth {
    #[default]
    None,
    AwsIam,
}

/// `InvokeMode` of a Function URL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvokeMode {
    #[default]
    Buffered,
    ResponseStream,
}

/// CORS settings, as Function URLs take them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub allow_credentials: bool,
    pub max_age: Option<u32>,
}
