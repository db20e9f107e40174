//! The model of a REST API (`protocol: rest`), whether written in `portico.yaml` or imported
//! from an OpenAPI document with API Gateway's extensions: methods on resources, each with
//! its integration (how the backend is called and how its answer becomes the response),
//! authorization, API key requirement and request validation.
//!
//! Templates are kept as text: the gateway parses them (the VTL engine sits above this
//! crate) and reports a broken one at start-up. Mapping sources are read by [`Source::parse`],
//! the one reader of their grammar, which the importer checks them with and the gateway
//! compiles them by.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json_path::JsonPath;

use crate::{Limits, RouteKey, Stage, Throttle};

/// A REST API.
#[derive(Debug, Clone)]
pub struct RestApi {
    pub name: String,
    /// Named stages (a REST API has no `$default` stage): served at `/<stage>/...`.
    pub stages: BTreeMap<String, Stage>,
    /// Methods in the order they are tried: most specific resource first, a method before
    /// `ANY` (see [`RouteKey::cmp_specificity`]).
    pub methods: Vec<Method>,
    /// Lambda authorizers (TOKEN, REQUEST) and Cognito user pool authorizers, by name.
    pub authorizers: BTreeMap<String, RestAuthorizer>,
    /// Request validators by name (`x-amazon-apigateway-request-validators`).
    pub validators: BTreeMap<String, Validator>,
    /// Models (JSON Schema draft 4) by name, for request validation.
    pub models: BTreeMap<String, serde_json::Value>,
    /// Where a request's API key is read (`x-amazon-apigateway-api-key-source`).
    pub api_key_source: ApiKeySource,
    /// Content types handled as binary (`x-amazon-apigateway-binary-media-types`), e.g.
    /// `image/png` or `*/*`.
    pub binary_media_types: Vec<String>,
    /// Customised gateway responses by type (`DEFAULT_4XX`, `UNAUTHORIZED`, ...).
    pub gateway_responses: BTreeMap<String, GatewayResponse>,
    /// API keys by name.
    pub api_keys: BTreeMap<String, ApiKey>,
    /// Usage plans by name: throttles and quotas for the keys they list.
    pub usage_plans: BTreeMap<String, UsagePlan>,
    /// The file's limits profile.
    pub limits: Limits,
    /// Where the API is declared: its `openapi:` key (and document), else its name.
    pub origin: Origin,
}

/// Where a part of a REST API is declared, for the problems found in it after load (a
/// template that does not parse, a pattern that is not a regular expression).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The line and column in the config file: of the route, or of the `openapi:` key.
    pub line: u32,
    pub column: u32,
    /// Within an OpenAPI document: the document and, for a method, the JSON pointer of its
    /// operation (`./api.yaml#/paths/~1pets/get`).
    pub within: Option<String>,
}

impl Origin {
    /// `message` at this place.
    pub fn diagnostic(&self, message: impl std::fmt::Display) -> crate::Diagnostic {
        let message = match &self.within {
            Some(within) => format!("{within}: {message}"),
            None => message.to_string(),
        };
        crate::Diagnostic::new(self.line, self.column, message)
    }
}

/// One method of one resource: `GET /pets/{petId}`, or `ANY /{proxy+}`.
#[derive(Debug, Clone)]
pub struct Method {
    /// The method and the resource's path template.
    pub key: RouteKey,
    pub authorization: Authorization,
    /// A request without a valid API key is refused with 403.
    pub api_key_required: bool,
    /// The validator (by name in [`RestApi::validators`]) checking this method's requests.
    pub validator: Option<String>,
    /// Declared request parameters (`method.request.querystring.q`, `.header.h`,
    /// `.path.p`) and whether each is required.
    pub request_parameters: BTreeMap<String, bool>,
    /// Models for request bodies by content type (`application/json` → model name).
    pub request_models: BTreeMap<String, String>,
    pub integration: RestIntegration,
    pub origin: Origin,
}

/// Who may call a method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    None,
    /// SigV4 signatures (`AWS_IAM`).
    Iam,
    /// An authorizer of [`RestApi::authorizers`], with the OAuth scopes a Cognito
    /// authorizer requires (empty: any valid token).
    Authorizer {
        name: String,
        scopes: Vec<String>,
    },
}

/// How a method reaches its backend.
#[derive(Debug, Clone)]
pub struct RestIntegration {
    pub kind: IntegrationKind,
    /// `integration.request.<where>.<name>` ← `method.request.<where>.<name>`,
    /// `'static'`, `context.<var>` or `stageVariables.<name>`.
    pub request_parameters: Vec<(String, String)>,
    /// Request templates by content type.
    pub request_templates: BTreeMap<String, String>,
    pub passthrough: Passthrough,
    pub content_handling: Option<ContentHandling>,
    /// How long the gateway waits for the backend (`timeoutInMillis`, default 29 s); `None`:
    /// as long as it takes (limits profile `unbounded`, no timeout given).
    pub timeout: Option<Duration>,
    /// Integration responses, tried in order: the first whose pattern matches (the status
    /// code of an HTTP backend, the `errorMessage` of a Lambda error), else the default.
    pub responses: Vec<IntegrationResponse>,
    /// Request parameters that make up the stage cache's key.
    pub cache_key_parameters: Vec<String>,
    /// `responseTransferMode: STREAM`: the answer reaches the client as the backend writes
    /// it (no response templates; up to 15 minutes).
    pub stream: bool,
}

/// The backend of a method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegrationKind {
    /// Lambda proxy: the 1.0 event in, the function's `{statusCode, headers, body}` out.
    AwsProxy { function: crate::FunctionRef },
    /// Lambda, non-proxy: the request template's output is the payload; the integration
    /// responses map the function's result. `X-Amz-Invocation-Type: 'Event'` in the
    /// integration request parameters makes it asynchronous.
    Aws { function: crate::FunctionRef },
    /// HTTP proxy: the request passed on, the answer passed back.
    HttpProxy { method: Option<String>, url: String },
    /// HTTP, non-proxy: templates and integration responses as for [`IntegrationKind::Aws`].
    Http { method: Option<String>, url: String },
    /// No backend: the request template's output picks the status (`{"statusCode": 200}`)
    /// and the integration responses make the answer.
    Mock,
    /// An AWS service (`arn:aws:apigateway:{region}:{service}:action/{Action}` or
    /// `:path/{path}`), sent the request the templates render, signed for it, at the
    /// endpoint the config or the environment names for it; templates and integration
    /// responses as for [`IntegrationKind::Aws`].
    AwsService(ServiceCall),
}

/// A call of an AWS service by a `type: aws` integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCall {
    /// As the URI names it (`sqs`, `dynamodb`, `s3`, `sns`, `events`, `states`, ...).
    pub service: String,
    /// The URI's region; `None` (`{region}`, or a placeholder) for the config's.
    pub region: Option<String>,
    pub operation: ServiceOperation,
    /// `httpMethod`; POST when absent.
    pub method: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceOperation {
    /// `action/SendMessage`: the service's action (its `Action` or `X-Amz-Target`).
    Action(String),
    /// `path/{account}/{queue}`: the request's path at the endpoint (`{name}`s are the
    /// integration's path parameters).
    Path(String),
}

/// What happens to a request body no request template matches by content type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Passthrough {
    /// Passed through as it is when no template matches its content type.
    #[default]
    WhenNoMatch,
    /// Passed through only when the integration has no templates at all; else 415.
    WhenNoTemplates,
    /// Never passed through: 415 when no template matches.
    Never,
}

/// How a payload is converted between text and binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentHandling {
    ConvertToText,
    ConvertToBinary,
}

/// One integration response.
#[derive(Debug, Clone)]
pub struct IntegrationResponse {
    /// A Java-style regular expression over the backend's status code or Lambda
    /// `errorMessage`; `None` is the default response.
    pub pattern: Option<String>,
    /// The method response's status code.
    pub status: u16,
    /// `method.response.header.<name>` ← `integration.response.header.<n>`,
    /// `integration.response.body[.<JSONPath>]` or `'static'`.
    pub parameters: Vec<(String, String)>,
    /// Response templates by content type.
    pub templates: BTreeMap<String, String>,
    pub content_handling: Option<ContentHandling>,
}

/// An authorizer of a REST API.
#[derive(Debug, Clone)]
pub struct RestAuthorizer {
    pub name: String,
    pub kind: RestAuthorizerKind,
    /// How long a decision is cached for the same identity (0: not cached).
    pub ttl: Duration,
}

#[derive(Debug, Clone)]
pub enum RestAuthorizerKind {
    /// A Lambda TOKEN authorizer: the token in `header`, checked against `validation` (a
    /// regular expression) before the function is asked.
    Token {
        function: String,
        header: String,
        validation: Option<String>,
    },
    /// A Lambda REQUEST authorizer: the identity sources must all be present.
    Request {
        function: String,
        identity_sources: Vec<String>,
    },
    /// A Cognito user pool authorizer: a JWT from one of the pools' issuers, in `header`.
    CognitoUserPools {
        issuers: Vec<String>,
        header: String,
    },
}

/// A request validator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Validator {
    pub body: bool,
    pub parameters: bool,
}

/// Where API keys come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApiKeySource {
    /// The `x-api-key` header.
    #[default]
    Header,
    /// The Lambda authorizer's `usageIdentifierKey`.
    Authorizer,
}

/// A customised gateway response.
#[derive(Debug, Clone, Default)]
pub struct GatewayResponse {
    pub status: Option<u16>,
    /// `gatewayresponse.header.<name>` ← a static `'value'` or a `method.request...` /
    /// `context...` / `stageVariables...` reference.
    pub parameters: Vec<(String, String)>,
    /// Response templates by content type.
    pub templates: BTreeMap<String, String>,
}

/// An API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub name: String,
    /// What clients send (in `x-api-key`, or as the authorizer's `usageIdentifierKey`).
    pub value: String,
    /// Made up by Portico (the config gave none), to be printed at start-up.
    pub generated: bool,
}

/// A usage plan: what the keys it lists may use.
#[derive(Debug, Clone, Default)]
pub struct UsagePlan {
    pub name: String,
    /// Per key.
    pub throttle: Option<Throttle>,
    /// Per key, for one method (`GET /pets`), overriding `throttle`.
    pub method_throttles: BTreeMap<String, Throttle>,
    pub quota: Option<Quota>,
    /// Names in [`RestApi::api_keys`].
    pub keys: Vec<String>,
}

/// How many requests a key may make per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u64,
    pub period: QuotaPeriod,
    /// Periods start this many days (WEEK, MONTH) into the calendar period.
    pub offset: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaPeriod {
    Day,
    Week,
    Month,
}

/// Where a parameter of a request is: `method.request.<place>.<name>` on the method
/// request, `integration.request.<place>.<name>` on the integration request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub place: Place,
    pub name: String,
    /// A `multivalueheader` or `multivaluequerystring`: every value, comma-joined.
    pub every_value: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Header,
    QueryString,
    Path,
}

impl Parameter {
    /// `<prefix><place>.<name>` (`prefix` is `method.request.` or `integration.request.`);
    /// `None` when `text` is not that.
    pub fn parse(prefix: &str, text: &str) -> Option<Parameter> {
        let rest = text.strip_prefix(prefix)?;
        let (place, name) = rest.split_once('.')?;
        let (place, every_value) = match place {
            "header" => (Place::Header, false),
            "querystring" => (Place::QueryString, false),
            "path" => (Place::Path, false),
            "multivalueheader" => (Place::Header, true),
            "multivaluequerystring" => (Place::QueryString, true),
            _ => return None,
        };
        (!name.is_empty()).then(|| Parameter {
            place,
            name: name.to_string(),
            every_value,
        })
    }

    /// The method request parameter as a method declares it
    /// (`method.request.querystring.q`).
    pub fn declared(&self) -> String {
        let place = match self.place {
            Place::Header => "header",
            Place::QueryString => "querystring",
            Place::Path => "path",
        };
        format!("method.request.{place}.{}", self.name)
    }
}

/// Where a REST mapping takes a value from: integration request parameters, method response
/// headers, gateway response headers, a REQUEST authorizer's identity sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `'text'`.
    Static(String),
    /// `method.request.<place>.<name>`.
    Request(Parameter),
    /// `method.request.body`, or a JSONPath into it (`method.request.body.<path>`, the path
    /// after `$.`), parsed.
    RequestBody(Option<JsonPath>),
    /// `context.<a>.<b>` (or `$context.`): a path into `$context`.
    Context(Vec<String>),
    /// `stageVariables.<name>` (or `$stageVariables.`).
    StageVariable(String),
    /// `integration.response.header.<name>`.
    IntegrationHeader(String),
    /// `integration.response.body`, or a JSONPath into it, parsed.
    IntegrationBody(Option<JsonPath>),
}

impl Source {
    /// Parses a mapping source as API Gateway writes it; `None` when it is none of the forms.
    pub fn parse(text: &str) -> Option<Source> {
        if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\''))
            && text.len() >= 2
        {
            return Some(Source::Static(inner.to_string()));
        }
        let named = |prefix: &str| {
            [prefix.to_string(), format!("${prefix}")]
                .iter()
                .find_map(|p| text.strip_prefix(p.as_str()))
                .filter(|n| !n.is_empty())
                .map(str::to_string)
        };
        if let Some(path) = named("context.") {
            return Some(Source::Context(
                path.split('.').map(str::to_string).collect(),
            ));
        }
        if let Some(name) = named("stageVariables.") {
            return Some(Source::StageVariable(name));
        }
        let body = |whole: &str| {
            if text == whole {
                Some(None)
            } else {
                let path = text.strip_prefix(whole)?.strip_prefix('.')?;
                JsonPath::parse(&format!("$.{path}")).ok().map(Some)
            }
        };
        if let Some(path) = body("method.request.body") {
            return Some(Source::RequestBody(path));
        }
        if let Some(path) = body("integration.response.body") {
            return Some(Source::IntegrationBody(path));
        }
        if let Some(name) = text
            .strip_prefix("integration.response.header.")
            .filter(|n| !n.is_empty())
        {
            return Some(Source::IntegrationHeader(name.to_string()));
        }
        Parameter::parse("method.request.", text).map(Source::Request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameter(place: Place, name: &str, every_value: bool) -> Parameter {
        Parameter {
            place,
            name: name.into(),
            every_value,
        }
    }

    #[test]
    fn sources_are_read_in_every_form_api_gateway_writes() {
        let rows = [
            ("'static'", Source::Static("static".into())),
            ("''", Source::Static(String::new())),
            (
                "method.request.header.X-Id",
                Source::Request(parameter(Place::Header, "X-Id", false)),
            ),
            (
                "method.request.multivaluequerystring.q",
                Source::Request(parameter(Place::QueryString, "q", true)),
            ),
            (
                "method.request.path.id",
                Source::Request(parameter(Place::Path, "id", false)),
            ),
            ("method.request.body", Source::RequestBody(None)),
            (
                "method.request.body.pet.name",
                Source::RequestBody(Some(JsonPath::parse("$.pet.name").unwrap())),
            ),
            (
                "context.identity.sourceIp",
                Source::Context(vec!["identity".into(), "sourceIp".into()]),
            ),
            ("$context.stage", Source::Context(vec!["stage".into()])),
            ("stageVariables.fn", Source::StageVariable("fn".into())),
            ("$stageVariables.fn", Source::StageVariable("fn".into())),
            (
                "integration.response.header.ETag",
                Source::IntegrationHeader("ETag".into()),
            ),
            ("integration.response.body", Source::IntegrationBody(None)),
            (
                "integration.response.body.pet.id",
                Source::IntegrationBody(Some(JsonPath::parse("$.pet.id").unwrap())),
            ),
        ];
        for (text, source) in rows {
            assert_eq!(Source::parse(text), Some(source), "{text}");
        }
        for broken in [
            "method.request.cookie.x",
            "method.request.header.",
            "context.",
            "'open",
            "integration.response.bodyx",
            "integration.response.body.items[",
            "nothing",
        ] {
            assert_eq!(Source::parse(broken), None, "{broken}");
        }
        let target = Parameter::parse("integration.request.", "integration.request.path.id");
        assert_eq!(target, Some(parameter(Place::Path, "id", false)));
        assert_eq!(
            parameter(Place::QueryString, "q", true).declared(),
            "method.request.querystring.q"
        );
    }
}
