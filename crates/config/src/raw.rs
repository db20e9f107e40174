//! The raw serde layer: exactly what a user may write in `portico.yaml`.
//!
//! Every struct denies unknown keys; values that need checking beyond their type carry
//! their source position (`Spanned`) so the compile step can point at them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Limits profile for every function: `aws` (default) or `unbounded`.
    #[serde(default)]
    pub limits: Option<Spanned<String>>,
    /// Region reported in ARNs and `AWS_REGION`. Default `us-east-1`.
    #[serde(default)]
    pub region: Option<String>,
    /// Account id reported in ARNs. Default `000000000000`.
    #[serde(default)]
    pub account_id: Option<Spanned<String>>,
    /// The functions, by name.
    #[serde(default)]
    pub functions: BTreeMap<Key, RawFunction>,
    /// API Gateway APIs, by name.
    #[serde(default)]
    pub apis: BTreeMap<Key, RawApi>,
    /// For `aws_iam` auth: access key id → secret (`${env:NAME}` reads an environment variable).
    #[serde(default)]
    pub credentials: BTreeMap<Key, RawCredential>,
    /// The admin listener (metrics, health, routes).
    #[serde(default)]
    pub admin: Option<RawAdmin>,
    /// Request spans exported to an OpenTelemetry collector.
    #[serde(default)]
    pub tracing: Option<RawTracing>,
    /// Where functions' AWS SDKs send each service's calls, by the SDK's service id
    /// (`dynamodb`, `s3`, `sqs`): an `http(s)://` URL, or `self` for Portico itself. Given to
    /// every function as `AWS_ENDPOINT_URL_<SERVICE>`; `lambda` is `self` unless set.
    #[serde(default)]
    pub endpoints: BTreeMap<Key, Spanned<String>>,
}

/// OpenTelemetry export of request spans.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTracing {
    /// The collector's OTLP/HTTP base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// (`http://127.0.0.1:4318`); spans go to `<endpoint>/v1/traces`.
    pub otlp_endpoint: Spanned<String>,
    /// The `service.name` of the spans. Default `OTEL_SERVICE_NAME`, else `portico`.
    #[serde(default)]
    pub service_name: Option<String>,
}

/// The admin listener.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    /// `host:port`, or `off` for no admin listener and no metrics. Default `127.0.0.1:9000`.
    #[serde(default)]
    pub listen: Option<Spanned<String>>,
    /// The price table of the dashboard's cost panel (`portico cost --print-prices` writes
    /// the default), relative to the config file.
    #[serde(default)]
    pub prices: Option<Spanned<String>>,
}

/// A signing credential.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCredential {
    pub secret: Spanned<String>,
}

/// One API.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    /// `http` (HTTP API, payload format 2.0), `rest` (REST API) or `websocket`.
    pub protocol: Spanned<String>,
    /// For `rest`: an OpenAPI 3 or Swagger 2 document (JSON or YAML) with API Gateway's
    /// extensions, relative to this file, or the document itself; its methods join the
    /// `routes:`.
    #[serde(default)]
    pub openapi: Option<Spanned<RawOpenApi>>,
    /// Stages by name: `$default` (no path prefix) or named (`/<stage>/...`). Default: `$default`.
    #[serde(default)]
    pub stages: Option<BTreeMap<Key, RawStage>>,
    /// Routes by route key: `METHOD /path` (`ANY`, `{param}`, a final `{name+}`) or `$default`.
    #[serde(default)]
    pub routes: BTreeMap<Key, RawRoute>,
    /// CORS: preflights answered by the gateway, headers added to every answer.
    #[serde(default)]
    pub cors: Option<RawCors>,
    /// Authorizers by name, for routes to refer to.
    #[serde(default)]
    pub authorizers: BTreeMap<Key, RawAuthorizer>,
    /// For `rest`: content types passed to and from functions as binary (base64 in events):
    /// `image/png`, `image/*`, `*/*`.
    #[serde(default)]
    pub binary_media_types: Vec<String>,
    /// For `rest`: where Cognito user pools are, instead of
    /// `https://cognito-idp.<region>.amazonaws.com` (a local emulator such as cognito-local).
    #[serde(default)]
    pub cognito_endpoint: Option<Spanned<String>>,
    /// For `rest`: API keys by name.
    #[serde(default)]
    pub api_keys: BTreeMap<Key, RawApiKey>,
    /// For `rest`: usage plans by name: a throttle and a quota for the keys they list.
    #[serde(default)]
    pub usage_plans: BTreeMap<Key, RawUsagePlan>,
    /// For `websocket`: how a message picks its route; default `$request.body.action`.
    #[serde(default)]
    pub route_selection: Option<Spanned<String>>,
}

impl RawApi {
    /// The keys only REST APIs take, and whether each is given.
    pub fn rest_only(&self) -> [(&'static str, bool); 5] {
        [
            ("api_keys", !self.api_keys.is_empty()),
            ("usage_plans", !self.usage_plans.is_empty()),
            ("openapi", self.openapi.is_some()),
            ("binary_media_types", !self.binary_media_types.is_empty()),
            ("cognito_endpoint", self.cognito_endpoint.is_some()),
        ]
    }
}

/// Where a REST API's OpenAPI document is.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawOpenApi {
    /// A file, relative to the config file.
    File(String),
    /// The document, written in place (as a template's `DefinitionBody` is).
    Document(serde_json::Map<String, serde_json::Value>),
}

/// An API key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApiKey {
    /// What clients send; `${env:NAME}` reads an environment variable. 20 to 128
    /// characters. Without one, Portico makes one up and prints it at start-up.
    #[serde(default)]
    pub value: Option<Spanned<String>>,
}

/// A usage plan.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUsagePlan {
    /// Per key.
    #[serde(default)]
    pub throttle: Option<RawThrottle>,
    /// Per key and method (`GET /pets`), instead of `throttle` for that method.
    #[serde(default)]
    pub method_throttles: BTreeMap<Key, RawThrottle>,
    #[serde(default)]
    pub quota: Option<RawQuota>,
    /// Names of `api_keys`.
    #[serde(default)]
    pub keys: Vec<Spanned<String>>,
}

/// Requests a key may make per period.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuota {
    pub limit: Spanned<u64>,
    /// `DAY`, `WEEK` or `MONTH`.
    pub period: Spanned<String>,
    /// Days into the period at which it starts (WEEK 0-6, from Sunday; MONTH 0-27).
    #[serde(default)]
    pub offset: Option<Spanned<u32>>,
}

/// An authorizer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuthorizer {
    /// `lambda` or `jwt`.
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    /// For `lambda`: the authorizer function.
    #[serde(default)]
    pub function: Option<Spanned<String>>,
    /// For `jwt`: the issuer (`iss`); its keys are found through
    /// `<issuer>/.well-known/openid-configuration` unless `jwks_uri` is given.
    #[serde(default)]
    pub issuer: Option<Spanned<String>>,
    /// For `jwt`: accepted audiences (`aud`, or `client_id` when there is no `aud`).
    #[serde(default)]
    pub audience: Vec<String>,
    /// For `jwt`: where the issuer's JSON Web Key Set is.
    #[serde(default)]
    pub jwks_uri: Option<Spanned<String>>,
    /// For `lambda`: `"2.0"` (default) or `"1.0"`.
    #[serde(default)]
    pub payload_format: Option<Spanned<String>>,
    /// Answers are `{isAuthorized, context}` rather than IAM policies.
    #[serde(default)]
    pub simple_responses: bool,
    /// Seconds a decision is cached for the same identity; 0 to 3600, default 300 when
    /// there are identity sources, else 0.
    #[serde(default)]
    pub ttl: Option<Spanned<u64>>,
    /// Where the identity is: `$request.header.<name>`, `$request.querystring.<name>`. A
    /// request missing one gets 401 without the authorizer being invoked. A list, or one
    /// string with the sources separated by commas (as API Gateway's console writes them).
    #[serde(default)]
    pub identity_source: Option<Spanned<Sources>>,
}

/// Identity sources as written: a list, or one string of them separated by commas.
#[derive(Debug)]
pub enum Sources {
    Listed(Vec<Spanned<String>>),
    Joined(String),
}

impl<'de> Deserialize<'de> for Sources {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Sources;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of identity sources, or one string of them separated by commas")
            }
            fn visit_str<E: serde::de::Error>(self, joined: &str) -> Result<Sources, E> {
                Ok(Sources::Joined(joined.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Sources, A::Error> {
                let mut listed = Vec::new();
                while let Some(source) = seq.next_element()? {
                    listed.push(source);
                }
                Ok(Sources::Listed(listed))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Sources {
    /// Each source with its place (a joined string's at the string).
    pub fn each(written: &Spanned<Sources>) -> Vec<Spanned<String>> {
        match &written.value {
            Sources::Listed(listed) => listed.clone(),
            Sources::Joined(joined) => joined
                .split(',')
                .map(|source| {
                    Spanned::new(
                        source.trim().to_string(),
                        written.referenced,
                        written.defined,
                    )
                })
                .collect(),
        }
    }
}

/// One stage.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    /// Stage variables, passed to functions as `stageVariables`.
    #[serde(default)]
    pub variables: BTreeMap<Key, Scalar>,
    /// Default throttling for this stage's routes.
    #[serde(default)]
    pub throttle: Option<RawThrottle>,
    /// An access log for this stage, in API Gateway's format language.
    #[serde(default)]
    pub access_log: Option<RawAccessLog>,
    /// For REST APIs: seconds the stage cache keeps GET methods' answers (0 to 3600).
    #[serde(default)]
    pub cache_ttl: Option<Spanned<u64>>,
    /// For REST APIs: per method (`GET /pets/{id}`), its own cache TTL in seconds (0 turns
    /// caching off for it; any method may be cached this way).
    #[serde(default)]
    pub cache_methods: BTreeMap<Key, Spanned<u64>>,
}

/// A stage's access log.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccessLog {
    /// One line per request: text with `$context.<variable>`s (JSON or CLF-like); must
    /// include `$context.requestId`, as API Gateway requires.
    pub format: Spanned<String>,
    /// A file to append to (relative to the config file); default: standard output.
    #[serde(default)]
    pub file: Option<Spanned<String>>,
    /// For a file: `daily` (default), `hourly` or `never`.
    #[serde(default)]
    pub rotation: Option<Spanned<String>>,
}

/// A token bucket: `rate` requests per second on average, `burst` at once.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThrottle {
    pub rate: Spanned<f64>,
    pub burst: Spanned<u32>,
}

/// One route's integration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// The function the route invokes (Lambda proxy).
    #[serde(default)]
    pub function: Option<Spanned<String>>,
    /// Or the URL the route proxies to (HTTP proxy); `{param}` and `{proxy}` are replaced by
    /// the route's path parameters.
    #[serde(default)]
    pub http: Option<Spanned<String>>,
    /// Throttling for this route, overriding the stage's.
    #[serde(default)]
    pub throttle: Option<RawThrottle>,
    /// The event and response format: `"2.0"` (default) or `"1.0"`.
    #[serde(default)]
    pub payload_format: Option<Spanned<String>>,
    /// The name of the API's authorizer that guards this route.
    #[serde(default)]
    pub authorizer: Option<Spanned<String>>,
    /// For `websocket` routes: the integration's answer is sent back to the client (a route
    /// response).
    #[serde(default)]
    pub route_response: bool,
    /// For `websocket` routes: a MOCK integration instead of `function` or `http`.
    #[serde(default)]
    pub mock: Option<Spanned<RawMock>>,
    /// For a JWT authorizer: the token must carry one of these scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// `aws_iam`: requests must be signed (SigV4, service `execute-api`).
    #[serde(default)]
    pub auth: Option<Spanned<String>>,
    /// `response_stream` passes a streaming function's bytes on as they come (API Gateway
    /// cannot); default `buffered`.
    #[serde(default)]
    pub invoke_mode: crate::InvokeMode,
    /// On a REST API route instead of `function` or `http`: an AWS service called with the
    /// request's body as it is (`{service: dynamodb, action: PutItem}`).
    #[serde(default)]
    pub aws: Option<Spanned<RawAwsService>>,
    /// On an HTTP API route instead of `function` or `http`: an AWS service's action
    /// (`SQS-SendMessage`, `EventBridge-PutEvents`, ...), its parameters in
    /// `request_parameters`.
    #[serde(default)]
    pub integration_subtype: Option<Spanned<String>>,
    /// For `http:` routes: `append|overwrite|remove:header.<name>`,
    /// `append|overwrite|remove:querystring.<name>` or `overwrite:path` → value.
    #[serde(default)]
    pub request_parameters: BTreeMap<Key, String>,
    /// By the integration's status code (200-599): `append|overwrite|remove:header.<name>`
    /// or `overwrite:statuscode` → value.
    #[serde(default)]
    pub response_parameters: BTreeMap<Key, BTreeMap<Key, String>>,
    /// For REST APIs: a request must carry a valid API key (`x-api-key`).
    #[serde(default)]
    pub api_key_required: bool,
    /// How long the API waits for the function, in milliseconds: 50 to 30000 under the `aws`
    /// limits (default 30000), any length under `unbounded` (default: the function's timeout).
    #[serde(default)]
    pub timeout_ms: Option<Spanned<u64>>,
}

impl RawRoute {
    /// The keys only WebSocket routes take, and whether each was given.
    pub fn websocket_only(&self) -> [(&'static str, bool); 2] {
        [
            ("route_response", self.route_response),
            ("mock", self.mock.is_some()),
        ]
    }

    /// The key only REST routes take (`aws`), and whether it was given.
    pub fn rest_only(&self) -> [(&'static str, bool); 1] {
        [("aws", self.aws.is_some())]
    }
}

/// A REST route's AWS service integration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAwsService {
    /// As ARNs name it: `sqs`, `dynamodb`, `s3`, `sns`, `events`, `states`, ...
    pub service: Spanned<String>,
    /// The service's action (`PutItem`), or
    #[serde(default)]
    pub action: Option<Spanned<String>>,
    /// the path at its endpoint (`123456789012/orders`, `{bucket}/{key}`).
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    /// The request's method (default POST).
    #[serde(default)]
    pub method: Option<Spanned<String>>,
    /// Default: the config's region.
    #[serde(default)]
    pub region: Option<Spanned<String>>,
}

/// A WebSocket route's MOCK integration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMock {
    /// VTL rendering `{"statusCode": <n>}` (default `{"statusCode": 200}`).
    #[serde(default)]
    pub request_template: Option<Spanned<String>>,
    /// Integration responses by key, `$default` or a pattern over the status (`/2\d\d/`):
    /// the VTL template of what is sent back.
    #[serde(default)]
    pub responses: BTreeMap<Key, String>,
}

/// One function.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFunction {
    /// `python3.x`, `nodejs20.x`, `nodejs22.x`, `provided`, `provided.al2`, `provided.al2023`,
    /// or `web` (a web server run as it is, `command:` being the server).
    pub runtime: Spanned<String>,
    /// `module.function` for Python and Node; passed as `_HANDLER` to `provided`.
    #[serde(default)]
    pub handler: Option<Spanned<String>>,
    /// Folder of the function's code, relative to the config file.
    pub code: Spanned<String>,
    /// For `provided`: the command to run instead of `<code>/bootstrap`; for `web`: the web
    /// server and its arguments.
    #[serde(default)]
    pub command: Option<Spanned<Vec<String>>>,
    /// For `web`: a fixed port the server listens on (it then runs one instance at a time).
    /// Default: a free loopback port per instance, given as `PORT` and `AWS_LWA_PORT`.
    #[serde(default)]
    pub port: Option<Spanned<u32>>,
    /// For `web`: how Portico knows the server is ready, as the Lambda Web Adapter checks.
    #[serde(default)]
    pub readiness: Option<Spanned<RawReadiness>>,
    /// Seconds; 1 to 900; default 3.
    #[serde(default)]
    pub timeout: Option<Spanned<u64>>,
    /// MB; 128 to 10240; default 128.
    #[serde(default)]
    pub memory: Option<Spanned<u32>>,
    /// Reserved concurrency: the most instances at once; default 10.
    #[serde(default)]
    pub concurrency: Option<Spanned<u32>>,
    /// Seconds an idle instance is kept warm; default 300.
    #[serde(default)]
    pub idle_timeout: Option<Spanned<u64>>,
    /// Limits profile for this function, overriding the file's.
    #[serde(default)]
    pub limits: Option<Spanned<String>>,
    /// Environment variables.
    #[serde(default)]
    pub environment: BTreeMap<Key, Scalar>,
    /// Give the function a Function URL (of `$LATEST`).
    #[serde(default)]
    pub url: Option<RawUrl>,
    /// Aliases (`live: {}`), each a name for a published version (default 1), with its own
    /// Function URL if it has `url:`.
    #[serde(default)]
    pub aliases: BTreeMap<Key, RawAlias>,
    /// How the code is built before it runs, as `sam build` would: `pip`
    /// (requirements.txt), `npm` (package.json), `makefile` (`make build-<function>`) or
    /// `cargo-lambda` (`{method: cargo-lambda, binary: name}`). Default: run the folder as it is.
    #[serde(default)]
    pub build: Option<Spanned<RawBuild>>,
    /// Layers: folders laid out as Lambda extracts layers into `/opt` (`python/`,
    /// `nodejs/node_modules/`, `bin/`, `lib/`), relative to this file, a later layer's files
    /// winning over an earlier one's, as on Lambda; or `pypi:<package>` / `npm:<package>`, a
    /// layer of registry packages Portico installs.
    #[serde(default)]
    pub layers: Vec<Spanned<String>>,
}

/// A web function's readiness check.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReadiness {
    /// The path asked with `GET` (protocol `http`); default `/`.
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    /// `http` (default: an answer with a healthy status) or `tcp` (a connection accepted).
    #[serde(default)]
    pub protocol: Option<Spanned<String>>,
    /// Status codes that count as ready: `100-499` (default), `200,204,300-399`.
    #[serde(default)]
    pub healthy_status: Option<Spanned<Scalar>>,
}

/// A function's build: its method, or its method and options.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawBuild {
    Method(String),
    Options {
        method: String,
        /// For `cargo-lambda`: the binary to build, when the package has several.
        #[serde(default)]
        binary: Option<String>,
    },
}

/// A YAML scalar that becomes a string (environment values may be written as numbers).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
}

impl Scalar {
    /// The scalar as text, as it was written.
    pub fn to_text(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::String(s) => s.clone(),
        }
    }

    pub fn into_string(self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::String(s) => s,
        }
    }
}

/// An alias of a function.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlias {
    /// The published version it names: 1 (default) or more.
    #[serde(default)]
    pub version: Option<Spanned<u32>>,
    /// The alias's own Function URL.
    #[serde(default)]
    pub url: Option<RawUrl>,
}

/// The `url:` block of a function.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUrl {
    #[serde(default)]
    pub auth: crate::UrlAuth,
    #[serde(default)]
    pub invoke_mode: crate::InvokeMode,
    #[serde(default)]
    pub cors: Option<RawCors>,
}

/// CORS as Function URLs configure it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCors {
    #[serde(default)]
    pub allow_origins: Vec<String>,
    #[serde(default)]
    pub allow_methods: Vec<String>,
    #[serde(default)]
    pub allow_headers: Vec<String>,
    #[serde(default)]
    pub expose_headers: Vec<String>,
    #[serde(default)]
    pub allow_credentials: bool,
    #[serde(default)]
    pub max_age: Option<Spanned<u32>>,
}

/// A map key with its position; ordered by its text.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct Key(pub Spanned<String>);

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.0.value == other.0.value
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.value.cmp(&other.0.value)
    }
}
