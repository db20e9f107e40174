//! REST APIs imported from OpenAPI 3 or Swagger 2 documents with API Gateway's extensions
//! (`x-amazon-apigateway-integration` and friends) into the [`crate::rest`] model.
//!
//! [`read`] turns JSON or YAML text into a document; [`import`] reads the document's paths,
//! security schemes, models, request validators, gateway responses and API-level settings as
//! API Gateway's import does, and reports every problem at once, each with the RFC 6901 JSON
//! pointer of what is wrong and how to fix it.
//!
//! What a REST API may carry but Portico does not serve (resource policies, endpoint
//! configuration, documentation, ...) is not an error: it comes back in
//! [`Imported::unsupported`], for the caller to print at start-up.
//!
//! Choices where API Gateway offers several behaviours:
//! - `basePath` (Swagger 2) and a base path in `servers` (OpenAPI 3) are ignored, as the import
//!   does by default (`basepath=ignore`); a non-trivial one is reported in `unsupported`.
//! - Integration responses are tried in the order of their selection patterns (as JSON object
//!   keys are sorted), the `default` response last.
//! - Models are made self-contained: a `$ref` to another model becomes `#/definitions/<name>`
//!   and the model carries, under `definitions`, every model it reaches.
//! - A security requirement naming `api_key` with no such scheme defined requires an API key,
//!   as API Gateway's own examples (request validation) use it.
//! - A function named by a CloudFormation reference (`${Fn.Arn}` in `Fn::Sub`) is the function
//!   whose name is the resource's logical id; one named by a stage variable
//!   (`function:${stageVariables.fn}`) is kept as written, for the gateway to resolve per stage.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::RouteKey;
use crate::diagnostics::{did_you_mean, suggestion};
use crate::rest::{
    ApiKeySource, Authorization, ContentHandling, GatewayResponse, IntegrationKind,
    IntegrationResponse, Method, Passthrough, RestAuthorizer, RestAuthorizerKind, RestIntegration,
    Validator,
};

/// What an OpenAPI document defines, for the caller to put into a `RestApi`.
#[derive(Debug, Clone)]
pub struct Imported {
    /// Sorted by [`RouteKey::cmp_specificity`].
    pub methods: Vec<Method>,
    pub authorizers: BTreeMap<String, RestAuthorizer>,
    pub validators: BTreeMap<String, Validator>,
    /// JSON Schema draft 4, each self-contained: references to other models point into the
    /// model's own `definitions`.
    pub models: BTreeMap<String, Value>,
    pub api_key_source: ApiKeySource,
    pub binary_media_types: Vec<String>,
    pub gateway_responses: BTreeMap<String, GatewayResponse>,
    /// Extensions or features Portico does not serve, by name and JSON pointer: the caller
    /// prints them at start-up (never ignored silently).
    pub unsupported: Vec<Problem>,
}

/// One problem in a document, or one feature Portico does not serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// RFC 6901 JSON pointer into the document, e.g.
    /// `/paths/~1pets~1{petId}/get/x-amazon-apigateway-integration/type`.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Problem {
    fn new(pointer: &Ptr, message: impl Into<String>) -> Problem {
        Problem {
            pointer: pointer.0.clone(),
            message: message.into(),
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "(document)"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Reads JSON or YAML text into a document. A syntax error is a [`Problem`] whose message
/// starts with its line and column.
pub fn read(text: &str) -> Result<Value, Problem> {
    let root = Ptr::root();
    if text.trim_start().starts_with(['{', '[']) {
        match serde_json::from_str(text) {
            Ok(value) => return Ok(value),
            Err(json) => {
                // A YAML flow mapping also starts with `{`; prefer JSON's diagnosis only when
                // YAML cannot read the text either.
                if let Ok(value) = serde_saphyr::from_str::<Value>(text) {
                    return Ok(value);
                }
                let message = json.to_string();
                let message = match message.rfind(" at line ") {
                    Some(i) => message[..i].to_string(),
                    None => message,
                };
                return Err(Problem::new(
                    &root,
                    format!("line {}, column {}: {message}", json.line(), json.column()),
                )
                .help("fix the JSON syntax at that place"));
            }
        }
    }
    serde_saphyr::from_str::<Value>(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        let rendered = e.without_snippet().to_string();
        let first = rendered.lines().next().unwrap_or("").trim();
        let message = match first.rfind(" at line ") {
            Some(i) if first[i..].contains(", column ") => &first[..i],
            _ => first,
        };
        Problem::new(&root, format!("line {line}, column {column}: {message}"))
            .help("fix the YAML syntax at that place")
    })
}

/// Reads an OpenAPI 3 or Swagger 2 document with API Gateway's extensions. Functions named by
/// Lambda integrations and authorizers must pass `function_exists`. Every error is reported,
/// not only the first.
pub fn import(
    document: &Value,
    function_exists: &dyn Fn(&str) -> bool,
) -> Result<Imported, Vec<Problem>> {
    let mut importer = Importer {
        doc: document,
        function_exists,
        errors: Vec::new(),
        unsupported: Vec::new(),
        handled: BTreeSet::new(),
        containers: BTreeSet::new(),
        version: Version::OpenApi3,
        raw_models: BTreeMap::new(),
        schemes: BTreeMap::new(),
        validators: BTreeMap::new(),
        authorizers: BTreeMap::new(),
    };
    let imported = importer.run();
    if importer.errors.is_empty() {
        Ok(imported)
    } else {
        Err(importer.errors)
    }
}

/// A JSON pointer under construction.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ptr(String);

impl Ptr {
    fn root() -> Ptr {
        Ptr(String::new())
    }

    fn key(&self, key: &str) -> Ptr {
        Ptr(format!(
            "{}/{}",
            self.0,
            key.replace('~', "~0").replace('/', "~1")
        ))
    }

    fn index(&self, i: usize) -> Ptr {
        Ptr(format!("{}/{i}", self.0))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    Swagger2,
    OpenApi3,
}

/// What a security scheme means to API Gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scheme {
    ApiKey,
    Iam,
    Authorizer {
        cognito: bool,
    },
    /// Reported already (unsupported, or broken).
    Ignored,
}

/// The operations of a path item, by field, and the method route keys spell them with.
pub(crate) const OPERATIONS: &[(&str, &str)] = &[
    ("get", "GET"),
    ("put", "PUT"),
    ("post", "POST"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
    ("patch", "PATCH"),
    ("x-amazon-apigateway-any-method", "ANY"),
];

const PATH_ITEM_KEYS: &[&str] = &[
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
    "x-amazon-apigateway-any-method",
    "parameters",
    "summary",
    "description",
    "servers",
    "$ref",
];

const INTEGRATION_KEYS: &[&str] = &[
    "cacheKeyParameters",
    "cacheNamespace",
    "connectionId",
    "connectionType",
    "credentials",
    "contentHandling",
    "httpMethod",
    "integrationSubtype",
    "passthroughBehavior",
    "payloadFormatVersion",
    "requestParameters",
    "requestTemplates",
    "responses",
    "responseTransferMode",
    "timeoutInMillis",
    "type",
    "tlsConfig",
    "uri",
];

const INTEGRATION_RESPONSE_KEYS: &[&str] = &[
    "statusCode",
    "responseParameters",
    "responseTemplates",
    "contentHandling",
];

const AUTHORIZER_KEYS: &[&str] = &[
    "type",
    "authorizerUri",
    "authorizerCredentials",
    "identitySource",
    "identityValidationExpression",
    "authorizerResultTtlInSeconds",
    "providerARNs",
    "authorizerPayloadFormatVersion",
    "enableSimpleResponses",
    "jwtConfiguration",
];

const GATEWAY_RESPONSE_TYPES: &[&str] = &[
    "ACCESS_DENIED",
    "API_CONFIGURATION_ERROR",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "AUTHORIZER_FAILURE",
    "BAD_REQUEST_PARAMETERS",
    "BAD_REQUEST_BODY",
    "DEFAULT_4XX",
    "DEFAULT_5XX",
    "EXPIRED_TOKEN",
    "INTEGRATION_FAILURE",
    "INTEGRATION_TIMEOUT",
    "INVALID_API_KEY",
    "INVALID_SIGNATURE",
    "MISSING_AUTHENTICATION_TOKEN",
    "QUOTA_EXCEEDED",
    "REQUEST_TOO_LARGE",
    "RESOURCE_NOT_FOUND",
    "THROTTLED",
    "UNAUTHORIZED",
    "UNSUPPORTED_MEDIA_TYPE",
    "WAF_FILTERED",
];

const LAMBDA_URI_FORM: &str =
    "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function ARN}/invocations";

/// How deep the importer follows nested values (schemas, the unsupported-extension walk).
const MAX_DEPTH: usize = 200;

struct Importer<'a> {
    doc: &'a Value,
    function_exists: &'a dyn Fn(&str) -> bool,
    errors: Vec<Problem>,
    unsupported: Vec<Problem>,
    /// Pointers of the `x-amazon-apigateway-*` keys read; any other is reported unsupported.
    handled: BTreeSet<String>,
    /// Pointers of `x-amazon-apigateway-*` keys read whose values are walked all the same.
    containers: BTreeSet<String>,
    version: Version,
    /// Models as written, with where they are.
    raw_models: BTreeMap<String, (Value, Ptr)>,
    schemes: BTreeMap<String, Scheme>,
    validators: BTreeMap<String, Validator>,
    authorizers: BTreeMap<String, RestAuthorizer>,
}

/// Where a method's requests are checked and with what.
struct Operation<'p> {
    method: &'static str,
    path: &'p str,
    ptr: Ptr,
}

impl<'a> Importer<'a> {
    fn error(&mut self, problem: Problem) {
        self.errors.push(problem);
    }

    /// Reports each of `keys` that is not one of `known` (or an `x-` extension, where
    /// `extensions` are allowed) as an unknown property of a `what`, with the nearest known
    /// key or the list of them; `false` if there was one.
    fn known_keys<'k>(
        &mut self,
        at: &Ptr,
        keys: impl IntoIterator<Item = &'k String>,
        known: &[&str],
        what: &str,
        extensions: bool,
    ) -> bool {
        let mut ok = true;
        for key in keys {
            if known.contains(&key.as_str()) || (extensions && key.starts_with("x-")) {
                continue;
            }
            let otherwise = format!("the {what} properties are {}", known.join(", "));
            let help = suggestion(key, known.iter().copied(), otherwise);
            self.error(
                Problem::new(&at.key(key), format!("unknown {what} property `{key}`")).help(help),
            );
            ok = false;
        }
        ok
    }

    fn note(&mut self, problem: Problem) {
        self.unsupported.push(problem);
    }

    fn handle(&mut self, ptr: &Ptr) {
        self.handled.insert(ptr.0.clone());
    }

    fn run(&mut self) -> Imported {
        let doc = self.doc;
        let root = Ptr::root();
        let mut imported = Imported {
            methods: Vec::new(),
            authorizers: BTreeMap::new(),
            validators: BTreeMap::new(),
            models: BTreeMap::new(),
            api_key_source: ApiKeySource::Header,
            binary_media_types: Vec::new(),
            gateway_responses: BTreeMap::new(),
            unsupported: Vec::new(),
        };
        let Some(top) = doc.as_object() else {
            self.error(
                Problem::new(&root, "the document is not an object")
                    .help("an OpenAPI document is a mapping with `openapi: 3.0.1` (or `swagger: '2.0'`), `info` and `paths`"),
            );
            return imported;
        };
        match (top.get("openapi"), top.get("swagger")) {
            (Some(Value::String(v)), _) if v.starts_with("3.") => self.version = Version::OpenApi3,
            (_, Some(Value::String(v))) if v == "2.0" => self.version = Version::Swagger2,
            (Some(v), _) => {
                self.error(
                    Problem::new(&root.key("openapi"), format!("`openapi` is {}, not a 3.x version", text(v)))
                        .help("API Gateway imports OpenAPI 3.0 (`openapi: 3.0.1`) and Swagger 2 (`swagger: '2.0'`)"),
                );
                return imported;
            }
            (None, Some(v)) => {
                self.error(
                    Problem::new(&root.key("swagger"), format!("`swagger` is {}, not \"2.0\"", text(v)))
                        .help("API Gateway imports OpenAPI 3.0 (`openapi: 3.0.1`) and Swagger 2 (`swagger: '2.0'`)"),
                );
                return imported;
            }
            (None, None) => {
                self.error(
                    Problem::new(&root, "the document has neither `openapi` nor `swagger`")
                        .help("start it with `openapi: 3.0.1` (or `swagger: '2.0'` for a Swagger 2 document)"),
                );
                return imported;
            }
        }
        self.base_path(top);
        self.collect_models(top);
        self.read_validators(top);
        self.api_settings(top, &mut imported);
        self.security_schemes(top);
        self.paths(top, &mut imported);
        self.resolve_models(&mut imported);
        imported.authorizers = std::mem::take(&mut self.authorizers);
        imported.validators = self.validators.clone();
        let mut found = Vec::new();
        self.walk_extensions(doc, &root, 0, &mut found);
        self.unsupported.extend(found);
        imported.unsupported = std::mem::take(&mut self.unsupported);
        imported
    }

    // ----- document level -------------------------------------------------------------------

    fn base_path(&mut self, top: &Map<String, Value>) {
        let root = Ptr::root();
        let (path, ptr) = match self.version {
            Version::Swagger2 => match top.get("basePath").and_then(Value::as_str) {
                Some(p) => (p.to_string(), root.key("basePath")),
                None => return,
            },
            Version::OpenApi3 => {
                let Some(server) = top
                    .get("servers")
                    .and_then(Value::as_array)
                    .and_then(|s| s.first())
                else {
                    return;
                };
                let ptr = root.key("servers").index(0);
                let variable = server
                    .get("variables")
                    .and_then(|v| v.get("basePath"))
                    .and_then(|v| v.get("default"))
                    .and_then(Value::as_str);
                match variable {
                    Some(p) => (
                        p.to_string(),
                        ptr.key("variables").key("basePath").key("default"),
                    ),
                    None => {
                        let Some(url) = server.get("url").and_then(Value::as_str) else {
                            return;
                        };
                        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
                        let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
                        (path.to_string(), ptr.key("url"))
                    }
                }
            }
        };
        let trimmed = path.trim_matches('/');
        if trimmed.is_empty() || trimmed.starts_with('{') {
            return;
        }
        self.note(
            Problem::new(&ptr, format!("the base path `/{trimmed}` is ignored, as API Gateway's import does by default (basepath=ignore)"))
                .help(format!("resources are served at /<stage>/...; to serve them under /{trimmed}, write it into the paths")),
        );
    }

    /// A named section that Swagger 2 keeps at the top (`keys.0`) and OpenAPI 3 under
    /// `components` (`keys.1`): the mapping and its pointer, or `None` (reported when it is
    /// not a mapping; `what` names the section and its entries).
    fn section<'t>(
        &mut self,
        top: &'t Map<String, Value>,
        keys: (&str, &str),
        what: (&str, &str),
    ) -> Option<(&'t Map<String, Value>, Ptr)> {
        let (swagger2, openapi3) = keys;
        let (container, ptr) = match self.version {
            Version::Swagger2 => (top.get(swagger2), Ptr::root().key(swagger2)),
            Version::OpenApi3 => (
                top.get("components").and_then(|c| c.get(openapi3)),
                Ptr::root().key("components").key(openapi3),
            ),
        };
        match container?.as_object() {
            Some(map) => Some((map, ptr)),
            None => {
                let message = format!("{} must be a mapping of names to {}", what.0, what.1);
                self.error(Problem::new(&ptr, message));
                None
            }
        }
    }

    fn collect_models(&mut self, top: &Map<String, Value>) {
        let keys = ("definitions", "schemas");
        let Some((map, ptr)) = self.section(top, keys, ("models", "schemas")) else {
            return;
        };
        for (name, schema) in map {
            let at = ptr.key(name);
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                self.error(
                    Problem::new(&at, format!("model name `{name}` is not alphanumeric"))
                        .help("API Gateway model names are letters and digits only: rename it (and its `$ref`s)"),
                );
                continue;
            }
            if !schema.is_object() && !schema.is_boolean() {
                self.error(Problem::new(
                    &at,
                    format!("model `{name}` is not a schema object"),
                ));
                continue;
            }
            self.raw_models.insert(name.clone(), (schema.clone(), at));
        }
    }

    fn read_validators(&mut self, top: &Map<String, Value>) {
        let ptr = Ptr::root().key("x-amazon-apigateway-request-validators");
        let Some(value) = top.get("x-amazon-apigateway-request-validators") else {
            return;
        };
        self.handle(&ptr);
        let Some(map) = value.as_object() else {
            self.error(
                Problem::new(
                    &ptr,
                    "request validators must be a mapping of names to validators",
                )
                .help("e.g. `all: {validateRequestBody: true, validateRequestParameters: true}`"),
            );
            return;
        };
        for (name, v) in map {
            let at = ptr.key(name);
            let Some(fields) = v.as_object() else {
                self.error(Problem::new(
                    &at,
                    format!("validator `{name}` is not a mapping"),
                ));
                continue;
            };
            let mut validator = Validator::default();
            for (key, flag) in fields {
                let target = match key.as_str() {
                    "validateRequestBody" => &mut validator.body,
                    "validateRequestParameters" => &mut validator.parameters,
                    other => {
                        let known = ["validateRequestBody", "validateRequestParameters"];
                        let otherwise =
                            "a validator has `validateRequestBody` and `validateRequestParameters`"
                                .to_string();
                        let help = suggestion(other, known, otherwise);
                        self.error(
                            Problem::new(
                                &at.key(key),
                                format!("unknown validator property `{other}`"),
                            )
                            .help(help),
                        );
                        continue;
                    }
                };
                match flag.as_bool() {
                    Some(b) => *target = b,
                    None => self.error(Problem::new(
                        &at.key(key),
                        format!("`{key}` must be true or false"),
                    )),
                }
            }
            self.validators.insert(name.clone(), validator);
        }
    }

    /// The validator named at `ptr`, which must be declared.
    fn validator_name(&mut self, value: &Value, ptr: &Ptr) -> Option<String> {
        self.handle(ptr);
        let Some(name) = value.as_str() else {
            self.error(Problem::new(ptr, "the request validator must be a name"));
            return None;
        };
        if self.validators.contains_key(name) {
            return Some(name.to_string());
        }
        let help = match did_you_mean(name, self.validators.keys().map(String::as_str)) {
            Some(k) => format!("did you mean `{k}`?"),
            None => {
                "declare it in `x-amazon-apigateway-request-validators` at the top of the document"
                    .to_string()
            }
        };
        self.error(
            Problem::new(ptr, format!("request validator `{name}` is not declared")).help(help),
        );
        None
    }

    fn api_settings(&mut self, top: &Map<String, Value>, imported: &mut Imported) {
        let root = Ptr::root();
        if let Some(v) = top.get("x-amazon-apigateway-api-key-source") {
            let ptr = root.key("x-amazon-apigateway-api-key-source");
            self.handle(&ptr);
            match v.as_str().map(str::to_ascii_uppercase).as_deref() {
                Some("HEADER") => imported.api_key_source = ApiKeySource::Header,
                Some("AUTHORIZER") => imported.api_key_source = ApiKeySource::Authorizer,
                _ => self.error(
                    Problem::new(&ptr, format!("`{}` is not an API key source", text(v)))
                        .help("use HEADER (the x-api-key header) or AUTHORIZER (a Lambda authorizer's usageIdentifierKey)"),
                ),
            }
        }
        if let Some(v) = top.get("x-amazon-apigateway-binary-media-types") {
            let ptr = root.key("x-amazon-apigateway-binary-media-types");
            self.handle(&ptr);
            match v.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        match item.as_str() {
                            Some(t) if t.contains('/') => imported.binary_media_types.push(t.to_string()),
                            _ => self.error(
                                Problem::new(&ptr.index(i), format!("`{}` is not a media type", text(item)))
                                    .help("write a media type such as `image/png`, `application/octet-stream` or `*/*`"),
                            ),
                        }
                    }
                }
                None => self.error(
                    Problem::new(&ptr, "binary media types must be a list")
                        .help("e.g. `x-amazon-apigateway-binary-media-types: [image/png, '*/*']`"),
                ),
            }
        }
        if let Some(v) = top.get("x-amazon-apigateway-gateway-responses") {
            let ptr = root.key("x-amazon-apigateway-gateway-responses");
            self.handle(&ptr);
            self.gateway_responses(v, &ptr, imported);
        }
        if top.contains_key("x-amazon-apigateway-importexport-version") {
            // A format marker with nothing to serve.
            self.handle(&root.key("x-amazon-apigateway-importexport-version"));
        }
        if let Some(v) = top.get("x-amazon-apigateway-request-validator") {
            // Read per operation; checked here once.
            let ptr = root.key("x-amazon-apigateway-request-validator");
            self.validator_name(v, &ptr);
        }
    }

    fn gateway_responses(&mut self, value: &Value, ptr: &Ptr, imported: &mut Imported) {
        let Some(map) = value.as_object() else {
            self.error(Problem::new(
                ptr,
                "gateway responses must be a mapping of response types to responses",
            ));
            return;
        };
        for (kind, v) in map {
            let at = ptr.key(kind);
            if !GATEWAY_RESPONSE_TYPES.contains(&kind.as_str()) {
                let otherwise = format!("use one of {}", GATEWAY_RESPONSE_TYPES.join(", "));
                let help = suggestion(kind, GATEWAY_RESPONSE_TYPES.iter().copied(), otherwise);
                self.error(
                    Problem::new(&at, format!("`{kind}` is not a gateway response type"))
                        .help(help),
                );
                continue;
            }
            let Some(fields) = v.as_object() else {
                self.error(Problem::new(&at, "a gateway response must be a mapping"));
                continue;
            };
            let mut response = GatewayResponse::default();
            for (key, field) in fields {
                let fat = at.key(key);
                match key.as_str() {
                    "statusCode" => response.status = self.status(field, &fat),
                    "responseParameters" => {
                        response.parameters = self.string_pairs(
                            field,
                            &fat,
                            |k| {
                                k.strip_prefix("gatewayresponse.header.")
                                    .is_some_and(|n| !n.is_empty())
                            },
                            "`gatewayresponse.header.<name>`",
                        );
                    }
                    "responseTemplates" => response.templates = self.templates(field, &fat),
                    other => {
                        let known = ["statusCode", "responseParameters", "responseTemplates"];
                        let otherwise = "a gateway response has statusCode, responseParameters and responseTemplates".to_string();
                        let help = suggestion(other, known, otherwise);
                        self.error(
                            Problem::new(
                                &fat,
                                format!("unknown gateway response property `{other}`"),
                            )
                            .help(help),
                        );
                    }
                }
            }
            imported.gateway_responses.insert(kind.clone(), response);
        }
    }

    // ----- security -----------------------------------------------------------------------

    fn security_schemes(&mut self, top: &Map<String, Value>) {
        let keys = ("securityDefinitions", "securitySchemes");
        let Some((map, ptr)) = self.section(top, keys, ("security schemes", "schemes")) else {
            return;
        };
        for (name, v) in map {
            let scheme = self.scheme(name, v, &ptr.key(name));
            self.schemes.insert(name.clone(), scheme);
        }
    }

    fn scheme(&mut self, name: &str, v: &Value, ptr: &Ptr) -> Scheme {
        let Some(fields) = v.as_object() else {
            self.error(Problem::new(
                ptr,
                format!("security scheme `{name}` is not a mapping"),
            ));
            return Scheme::Ignored;
        };
        let authtype = fields.get("x-amazon-apigateway-authtype");
        if authtype.is_some() {
            // Free-form for Lambda authorizers; `awsSigv4` means IAM.
            self.handle(&ptr.key("x-amazon-apigateway-authtype"));
        }
        let kind = fields.get("type").and_then(Value::as_str).unwrap_or("");
        let location = fields.get("in").and_then(Value::as_str).unwrap_or("");
        let key_name = fields.get("name").and_then(Value::as_str).unwrap_or("");
        if let Some(authorizer) = fields.get("x-amazon-apigateway-authorizer") {
            let at = ptr.key("x-amazon-apigateway-authorizer");
            self.handle(&at);
            let header = (kind.eq_ignore_ascii_case("apiKey")
                && location.eq_ignore_ascii_case("header")
                && !key_name.is_empty())
            .then(|| key_name.to_string());
            return match self.authorizer(name, authorizer, &at, header) {
                Some(a) => {
                    let cognito = matches!(a.kind, RestAuthorizerKind::CognitoUserPools { .. });
                    self.authorizers.insert(name.to_string(), a);
                    Scheme::Authorizer { cognito }
                }
                None => Scheme::Ignored,
            };
        }
        if authtype
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("awsSigv4"))
        {
            return Scheme::Iam;
        }
        if kind == "apiKey"
            && location.eq_ignore_ascii_case("header")
            && key_name.eq_ignore_ascii_case("x-api-key")
        {
            return Scheme::ApiKey;
        }
        let what = if kind.is_empty() {
            "without a type".to_string()
        } else {
            format!("of type `{kind}`")
        };
        self.note(
            Problem::new(ptr, format!("security scheme `{name}` ({what}) is not one API Gateway enforces on a REST API: methods that require only it are open"))
                .help("use `x-amazon-apigateway-authorizer` (token, request or cognito_user_pools), `x-amazon-apigateway-authtype: awsSigv4`, or an API key (type apiKey, name x-api-key, in header)"),
        );
        Scheme::Ignored
    }

    fn authorizer(
        &mut self,
        name: &str,
        v: &Value,
        ptr: &Ptr,
        scheme_header: Option<String>,
    ) -> Option<RestAuthorizer> {
        let Some(fields) = v.as_object() else {
            self.error(Problem::new(ptr, "the authorizer is not a mapping"));
            return None;
        };
        let mut ok = self.known_keys(ptr, fields.keys(), AUTHORIZER_KEYS, "authorizer", false);
        for key in [
            "authorizerPayloadFormatVersion",
            "enableSimpleResponses",
            "jwtConfiguration",
        ] {
            if fields.contains_key(key) {
                self.note(Problem::new(
                    &ptr.key(key),
                    format!("`{key}` applies to HTTP APIs only; a REST API ignores it"),
                ));
            }
        }
        let type_ptr = ptr.key("type");
        let kind = match fields.get("type") {
            None => {
                self.error(
                    Problem::new(&type_ptr, "the authorizer has no `type`")
                        .help("use token, request or cognito_user_pools"),
                );
                return None;
            }
            Some(t) => t.as_str().unwrap_or("").to_ascii_lowercase(),
        };
        let ttl_ptr = ptr.key("authorizerResultTtlInSeconds");
        let ttl = match fields.get("authorizerResultTtlInSeconds") {
            None => 300,
            Some(v) => match number(v) {
                Some(n) if (0..=3600).contains(&n) => n,
                _ => {
                    self.error(
                        Problem::new(&ttl_ptr, format!("`authorizerResultTtlInSeconds` is {}, not 0 to 3600", text(v)))
                            .help("give the seconds a decision is cached, 0 to 3600 (0 turns caching off; the default is 300)"),
                    );
                    ok = false;
                    300
                }
            },
        };
        let source_ptr = ptr.key("identitySource");
        let source = match fields.get("identitySource") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.error(Problem::new(
                    &source_ptr,
                    format!("`identitySource` is {}, not a string", text(other)),
                ));
                return None;
            }
        };
        let validation = fields
            .get("identityValidationExpression")
            .and_then(Value::as_str)
            .map(str::to_string);
        let function = |me: &mut Self| -> Option<String> {
            let uri_ptr = ptr.key("authorizerUri");
            match fields.get("authorizerUri") {
                None => {
                    me.error(
                        Problem::new(&uri_ptr, "the Lambda authorizer has no `authorizerUri`")
                            .help(format!("name its function: {LAMBDA_URI_FORM}")),
                    );
                    None
                }
                Some(uri) => {
                    match me.lambda_uri(uri, &uri_ptr)? {
                        Target::Function(f) => Some(f),
                        Target::Service(s) => {
                            me.error(
                            Problem::new(&uri_ptr, format!("an authorizer calls a Lambda function, not the `{s}` service"))
                                .help(format!("write the URI as {LAMBDA_URI_FORM}")),
                        );
                            None
                        }
                    }
                }
            }
        };
        // The header of a token or Cognito authorizer.
        let header = |me: &mut Self, source: &Option<String>| -> Option<String> {
            match source {
                Some(s) => match s.trim().strip_prefix("method.request.header.") {
                    Some(h) if !h.is_empty() && !h.contains(',') => Some(h.to_string()),
                    _ => {
                        me.error(
                            Problem::new(&source_ptr, format!("`{s}` is not one header"))
                                .help("write `method.request.header.<name>`, e.g. `method.request.header.Authorization`"),
                        );
                        None
                    }
                },
                None => Some(
                    scheme_header
                        .clone()
                        .unwrap_or_else(|| "Authorization".to_string()),
                ),
            }
        };
        let kind = match kind.as_str() {
            "token" => {
                let function = function(self);
                let header = header(self, &source);
                RestAuthorizerKind::Token {
                    function: function?,
                    header: header?,
                    validation,
                }
            }
            "request" => {
                let function = function(self);
                let mut identity_sources = Vec::new();
                for part in source.as_deref().unwrap_or("").split(',') {
                    let part = part.trim();
                    if part.is_empty() {
                        continue;
                    }
                    let valid = [
                        "method.request.header.",
                        "method.request.querystring.",
                        "method.request.multivalueheader.",
                        "method.request.multivaluequerystring.",
                        "stageVariables.",
                        "context.",
                    ]
                    .iter()
                    .any(|p| part.strip_prefix(p).is_some_and(|n| !n.is_empty()));
                    if valid {
                        identity_sources.push(part.to_string());
                    } else {
                        self.error(
                            Problem::new(&source_ptr, format!("`{part}` is not an identity source"))
                                .help("use method.request.header.<name>, method.request.querystring.<name>, stageVariables.<name> or context.<name>, separated by commas"),
                        );
                        ok = false;
                    }
                }
                if identity_sources.is_empty() && ttl > 0 && ok {
                    self.error(
                        Problem::new(&source_ptr, "a cached request authorizer needs an `identitySource`")
                            .help("name the request parameters that identify a caller (the cache key), or set `authorizerResultTtlInSeconds: 0`"),
                    );
                    ok = false;
                }
                if validation.is_some() {
                    self.note(Problem::new(&ptr.key("identityValidationExpression"), "`identityValidationExpression` applies to token authorizers only; a request authorizer ignores it"));
                }
                RestAuthorizerKind::Request {
                    function: function?,
                    identity_sources,
                }
            }
            "cognito_user_pools" => {
                let header = header(self, &source);
                let arns_ptr = ptr.key("providerARNs");
                let mut issuers = Vec::new();
                match fields.get("providerARNs").and_then(Value::as_array) {
                    Some(arns) if !arns.is_empty() => {
                        for (i, arn) in arns.iter().enumerate() {
                            match arn.as_str().and_then(cognito_issuer) {
                                Some(issuer) => issuers.push(issuer),
                                None => {
                                    self.error(
                                        Problem::new(&arns_ptr.index(i), format!("`{}` is not a user pool ARN", text(arn)))
                                            .help("write arn:aws:cognito-idp:{region}:{account}:userpool/{user pool id}"),
                                    );
                                    ok = false;
                                }
                            }
                        }
                    }
                    _ => {
                        self.error(
                            Problem::new(&arns_ptr, "a Cognito authorizer needs `providerARNs`, a list of user pool ARNs")
                                .help("e.g. providerARNs: [arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_ABC123]"),
                        );
                        ok = false;
                    }
                }
                if validation.is_some() {
                    self.note(Problem::new(&ptr.key("identityValidationExpression"), "`identityValidationExpression` on a Cognito authorizer (checking the `aud` claim) is not enforced by Portico"));
                }
                RestAuthorizerKind::CognitoUserPools {
                    issuers,
                    header: header?,
                }
            }
            "jwt" => {
                self.error(
                    Problem::new(&type_ptr, "`jwt` authorizers are for HTTP APIs")
                        .help("for a REST API, use `cognito_user_pools` for Cognito tokens, or a Lambda `token` authorizer"),
                );
                return None;
            }
            other => {
                let known = ["token", "request", "cognito_user_pools"];
                let otherwise = "use token, request or cognito_user_pools".to_string();
                let help = suggestion(other, known, otherwise);
                self.error(
                    Problem::new(
                        &type_ptr,
                        format!("`{}` is not an authorizer type", text(&fields["type"])),
                    )
                    .help(help),
                );
                return None;
            }
        };
        ok.then(|| RestAuthorizer {
            name: name.to_string(),
            kind,
            ttl: Duration::from_secs(ttl),
        })
    }

    /// What a `security` list asks of a method.
    fn security(&mut self, value: &Value, ptr: &Ptr) -> (Authorization, bool) {
        let mut api_key = false;
        let mut chosen: Vec<(Authorization, String)> = Vec::new();
        let Some(requirements) = value.as_array() else {
            self.error(
                Problem::new(ptr, "`security` must be a list of requirements")
                    .help("e.g. `security: [{myAuthorizer: []}]`"),
            );
            return (Authorization::None, false);
        };
        for (i, requirement) in requirements.iter().enumerate() {
            let Some(names) = requirement.as_object() else {
                self.error(Problem::new(
                    &ptr.index(i),
                    "a security requirement must be a mapping of scheme names to scopes",
                ));
                continue;
            };
            for (name, scopes) in names {
                let at = ptr.index(i).key(name);
                let scopes: Vec<String> = match scopes.as_array() {
                    Some(s) if s.iter().all(Value::is_string) => s
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect(),
                    _ => {
                        self.error(
                            Problem::new(&at, "scopes must be a list of strings")
                                .help("write `[]` for none"),
                        );
                        continue;
                    }
                };
                let scheme = match self.schemes.get(name) {
                    Some(s) => s.clone(),
                    // API Gateway's own name for the API key scheme, as its examples use it.
                    None if name == "api_key" => Scheme::ApiKey,
                    None => {
                        let help = match did_you_mean(name, self.schemes.keys().map(String::as_str))
                        {
                            Some(k) => format!("did you mean `{k}`?"),
                            None => match self.version {
                                Version::OpenApi3 => {
                                    "define it under components.securitySchemes".to_string()
                                }
                                Version::Swagger2 => {
                                    "define it under securityDefinitions".to_string()
                                }
                            },
                        };
                        self.error(
                            Problem::new(&at, format!("security scheme `{name}` is not defined"))
                                .help(help),
                        );
                        continue;
                    }
                };
                match scheme {
                    Scheme::ApiKey => api_key = true,
                    Scheme::Iam => chosen.push((Authorization::Iam, name.clone())),
                    Scheme::Authorizer { cognito } => {
                        if !cognito && !scopes.is_empty() {
                            self.note(Problem::new(&at, format!("scopes are checked for Cognito authorizers only; `{name}` is a Lambda authorizer")));
                        }
                        chosen.push((
                            Authorization::Authorizer {
                                name: name.clone(),
                                scopes: if cognito { scopes } else { Vec::new() },
                            },
                            name.clone(),
                        ));
                    }
                    Scheme::Ignored => {}
                }
            }
        }
        chosen.dedup_by(|a, b| a.0 == b.0);
        if chosen.len() > 1 {
            self.error(
                Problem::new(
                    ptr,
                    format!(
                        "a method has one authorization, and `security` names `{}` and `{}`",
                        chosen[0].1, chosen[1].1
                    ),
                )
                .help("keep one authorizer (or IAM) per method; an API key scheme may go with it"),
            );
        }
        (
            chosen
                .into_iter()
                .next()
                .map_or(Authorization::None, |c| c.0),
            api_key,
        )
    }

    // ----- paths ----------------------------------------------------------------------------

    fn paths(&mut self, top: &Map<String, Value>, imported: &mut Imported) {
        let ptr = Ptr::root().key("paths");
        let paths = match top.get("paths") {
            Some(Value::Object(p)) => p,
            Some(_) => {
                self.error(Problem::new(
                    &ptr,
                    "`paths` must be a mapping of paths to operations",
                ));
                return;
            }
            None => {
                self.error(
                    Problem::new(&ptr, "the document has no `paths`")
                        .help("add `paths:` with at least one operation"),
                );
                return;
            }
        };
        let default_auth = match top.get("security") {
            Some(s) => self.security(s, &Ptr::root().key("security")),
            None => (Authorization::None, false),
        };
        let default_validator = top
            .get("x-amazon-apigateway-request-validator")
            .and_then(Value::as_str)
            .filter(|v| self.validators.contains_key(*v))
            .map(str::to_string);
        // Resource tree: the variable child of each resource, to refuse two with other names.
        let mut variables: BTreeMap<Vec<String>, String> = BTreeMap::new();
        for (path, item) in paths {
            let at = ptr.key(path);
            if !self.check_path(path, &at) {
                continue;
            }
            let segments: Vec<&str> = path
                .trim_start_matches('/')
                .split('/')
                .filter(|s| !s.is_empty())
                .collect();
            let mut conflict = false;
            for (i, segment) in segments.iter().enumerate() {
                if !segment.starts_with('{') {
                    continue;
                }
                let parent: Vec<String> = segments[..i].iter().map(|s| s.to_string()).collect();
                match variables.get(&parent) {
                    Some(existing) if existing != segment => {
                        let parent_path = format!("/{}", parent.join("/"));
                        self.error(
                            Problem::new(&at, format!("`{segment}` and `{existing}` are both variable segments under `{parent_path}`"))
                                .help("API Gateway allows one variable child per resource: use the same parameter name in both paths"),
                        );
                        conflict = true;
                        break;
                    }
                    Some(_) => {}
                    None => {
                        variables.insert(parent, segment.to_string());
                    }
                }
            }
            if conflict {
                continue;
            }
            let Some(item) = item.as_object() else {
                self.error(Problem::new(
                    &at,
                    "a path item must be a mapping of operations",
                ));
                continue;
            };
            self.known_keys(&at, item.keys(), PATH_ITEM_KEYS, "path item", true);
            if item.contains_key("$ref") {
                self.error(
                    Problem::new(&at.key("$ref"), "path items by `$ref` are not supported")
                        .help("write the operations inline under the path"),
                );
                continue;
            }
            if item.contains_key("trace") {
                self.handle(&at.key("trace"));
                self.note(Problem::new(
                    &at.key("trace"),
                    "API Gateway has no TRACE methods; this operation is left out",
                ));
            }
            let shared: Vec<(Value, Ptr)> = match item.get("parameters") {
                Some(Value::Array(list)) => list
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p.clone(), at.key("parameters").index(i)))
                    .collect(),
                Some(_) => {
                    self.error(Problem::new(
                        &at.key("parameters"),
                        "`parameters` must be a list",
                    ));
                    Vec::new()
                }
                None => Vec::new(),
            };
            for &(key, method) in OPERATIONS {
                let Some(op) = item.get(key) else { continue };
                if key.starts_with("x-amazon-apigateway-") {
                    // An operation: read, and walked for the extensions inside it.
                    self.containers.insert(at.key(key).0);
                }
                let operation = Operation {
                    method,
                    path,
                    ptr: at.key(key),
                };
                if let Some(m) = self.operation(
                    &operation,
                    op,
                    &shared,
                    &default_auth,
                    default_validator.clone(),
                ) {
                    imported.methods.push(m);
                }
            }
        }
        imported.methods.sort_by(|a, b| {
            (a.key.path_template(), a.key.text()).cmp(&(b.key.path_template(), b.key.text()))
        });
        imported
            .methods
            .sort_by(|a, b| a.key.cmp_specificity(&b.key));
    }

    /// Checks a path's syntax as API Gateway's resources need it.
    fn check_path(&mut self, path: &str, at: &Ptr) -> bool {
        if !path.starts_with('/') {
            self.error(
                Problem::new(at, format!("path `{path}` does not start with `/`"))
                    .help(format!("write `/{path}`")),
            );
            return false;
        }
        if path.len() > 1 && path.ends_with('/') {
            let trimmed = path.trim_end_matches('/');
            let fixed = if trimmed.is_empty() { "/" } else { trimmed };
            self.error(
                Problem::new(at, format!("path `{path}` ends with `/`")).help(format!(
                    "write `{fixed}`: API Gateway resources have no trailing slash"
                )),
            );
            return false;
        }
        for segment in path[1..].split('/') {
            let open = segment.matches('{').count();
            let close = segment.matches('}').count();
            if open > close {
                self.error(
                    Problem::new(at, format!("path parameter `{segment}` is not closed"))
                        .help(format!("write `{segment}}}`: a path parameter is a whole segment, `{{name}}` or `{{name+}}`")),
                );
                return false;
            }
            if close > open {
                self.error(
                    Problem::new(
                        at,
                        format!("`{segment}` closes a path parameter that is not opened"),
                    )
                    .help("a path parameter is a whole segment, `{name}` or `{name+}`"),
                );
                return false;
            }
        }
        let check = if path == "/" {
            "ANY /".to_string()
        } else {
            format!("ANY {path}")
        };
        if let Err(e) = RouteKey::parse(&check) {
            self.error(Problem::new(at, format!("path `{path}`: {e}")));
            return false;
        }
        true
    }

    fn operation(
        &mut self,
        operation: &Operation<'_>,
        op: &Value,
        shared: &[(Value, Ptr)],
        default_auth: &(Authorization, bool),
        default_validator: Option<String>,
    ) -> Option<Method> {
        let ptr = &operation.ptr;
        let name = format!("{} {}", operation.method, operation.path);
        let Some(fields) = op.as_object() else {
            self.error(Problem::new(ptr, format!("`{name}` is not a mapping")));
            return None;
        };
        let key = match RouteKey::parse(&name) {
            Ok(k) => k,
            Err(e) => {
                self.error(Problem::new(ptr, format!("`{name}`: {e}")));
                return None;
            }
        };

        // Declared parameters: the path's own, then those of the path item and operation.
        let mut request_parameters = BTreeMap::new();
        for segment in operation.path.split('/') {
            if let Some(p) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                request_parameters.insert(
                    format!("method.request.path.{}", p.trim_end_matches('+')),
                    true,
                );
            }
        }
        let mut request_models = BTreeMap::new();
        let mut params: Vec<(Value, Ptr)> = shared.to_vec();
        match fields.get("parameters") {
            Some(Value::Array(list)) => params.extend(
                list.iter()
                    .enumerate()
                    .map(|(i, p)| (p.clone(), ptr.key("parameters").index(i))),
            ),
            Some(_) => self.error(Problem::new(
                &ptr.key("parameters"),
                "`parameters` must be a list",
            )),
            None => {}
        }
        for (param, at) in &params {
            self.parameter(
                param,
                at,
                operation,
                fields,
                &mut request_parameters,
                &mut request_models,
            );
        }
        if let Some(body) = fields.get("requestBody") {
            self.request_body(
                body,
                &ptr.key("requestBody"),
                operation,
                &mut request_models,
            );
        }

        // Who may call.
        let (mut authorization, api_key_required) = match fields.get("security") {
            Some(s) => self.security(s, &ptr.key("security")),
            None => default_auth.clone(),
        };
        if let Some(auth) = fields.get("x-amazon-apigateway-auth") {
            let at = ptr.key("x-amazon-apigateway-auth");
            self.handle(&at);
            let kind = auth
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_ascii_uppercase);
            let wanted = match kind.as_deref() {
                Some("NONE") => Some(Authorization::None),
                Some("AWS_IAM") => Some(Authorization::Iam),
                _ => {
                    self.error(
                        Problem::new(
                            &at.key("type"),
                            "`x-amazon-apigateway-auth` type must be NONE or AWS_IAM",
                        )
                        .help("for an authorizer, name its security scheme in `security`"),
                    );
                    None
                }
            };
            if let Some(wanted) = wanted {
                if authorization != Authorization::None && authorization != wanted {
                    self.error(
                        Problem::new(&at.key("type"), format!("`x-amazon-apigateway-auth` says {} but `security` names an authorizer or IAM", kind.unwrap_or_default()))
                            .help("keep one of them"),
                    );
                } else {
                    authorization = wanted;
                }
            }
        }

        let validator = match fields.get("x-amazon-apigateway-request-validator") {
            Some(v) => self.validator_name(v, &ptr.key("x-amazon-apigateway-request-validator")),
            None => default_validator,
        };

        let integration_ptr = ptr.key("x-amazon-apigateway-integration");
        let Some(integration) = fields.get("x-amazon-apigateway-integration") else {
            let typo = fields
                .keys()
                .filter(|k| k.starts_with("x-amazon"))
                .find(|k| strsim::jaro_winkler(k, "x-amazon-apigateway-integration") > 0.9);
            let help = match typo {
                Some(k) => format!("`{k}` is misspelt: write `x-amazon-apigateway-integration`"),
                None => "API Gateway does not deploy a method without an integration: add `x-amazon-apigateway-integration` (type aws_proxy, aws, http_proxy, http or mock)".to_string(),
            };
            self.error(
                Problem::new(
                    ptr,
                    format!("`{name}` has no `x-amazon-apigateway-integration`"),
                )
                .help(help),
            );
            return None;
        };
        self.handle(&integration_ptr);
        let integration =
            self.integration(integration, &integration_ptr, &name, &request_parameters)?;
        Some(Method {
            key,
            authorization,
            api_key_required,
            validator,
            request_parameters,
            request_models,
            integration,
        })
    }

    /// Follows a local `$ref` (`#/components/parameters/p`), once.
    fn deref<'v>(&mut self, value: &'v Value, ptr: &Ptr) -> Option<(&'v Value, Ptr)>
    where
        'a: 'v,
    {
        let Some(reference) = value.get("$ref") else {
            return Some((value, ptr.clone()));
        };
        let at = ptr.key("$ref");
        let Some(target) = reference.as_str().and_then(|r| r.strip_prefix('#')) else {
            self.error(
                Problem::new(
                    &at,
                    format!(
                        "`$ref` {} is not a reference within the document",
                        text(reference)
                    ),
                )
                .help("bundle the document so that every `$ref` starts with `#/`"),
            );
            return None;
        };
        match self.doc.pointer(target) {
            Some(v) => Some((v, Ptr(target.to_string()))),
            None => {
                self.error(Problem::new(
                    &at,
                    format!("`$ref` `#{target}` points to nothing in the document"),
                ));
                None
            }
        }
    }

    fn parameter(
        &mut self,
        param: &Value,
        ptr: &Ptr,
        operation: &Operation<'_>,
        op: &Map<String, Value>,
        declared: &mut BTreeMap<String, bool>,
        models: &mut BTreeMap<String, String>,
    ) {
        let Some((param, ptr)) = self.deref(param, ptr) else {
            return;
        };
        let Some(fields) = param.as_object() else {
            self.error(Problem::new(&ptr, "a parameter must be a mapping"));
            return;
        };
        let location = fields.get("in").and_then(Value::as_str).unwrap_or("");
        let Some(name) = fields
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        else {
            self.error(Problem::new(
                &ptr.key("name"),
                "the parameter has no `name`",
            ));
            return;
        };
        let required = fields
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let kind = match location {
            "query" => "querystring",
            "header" => "header",
            "path" => {
                let key = format!("method.request.path.{name}");
                if !declared.contains_key(&key) {
                    self.error(
                        Problem::new(
                            &ptr.key("name"),
                            format!(
                                "path parameter `{name}` is not in the path `{}`",
                                operation.path
                            ),
                        )
                        .help(format!(
                            "add `{{{name}}}` to the path, or remove the parameter"
                        )),
                    );
                }
                return;
            }
            "body" if self.version == Version::Swagger2 => {
                let Some(schema) = fields.get("schema") else {
                    self.error(Problem::new(
                        &ptr.key("schema"),
                        "a body parameter needs a `schema`",
                    ));
                    return;
                };
                let types: Vec<String> = op
                    .get("consumes")
                    .or_else(|| self.doc.get("consumes"))
                    .and_then(Value::as_array)
                    .map(|c| {
                        c.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .filter(|c: &Vec<String>| !c.is_empty())
                    .unwrap_or_else(|| vec!["application/json".to_string()]);
                for content_type in types {
                    if let Some(model) =
                        self.schema_model(schema, &ptr.key("schema"), operation, &content_type)
                    {
                        models.insert(content_type, model);
                    }
                }
                return;
            }
            "cookie" | "formData" => {
                self.note(Problem::new(&ptr.key("in"), format!("`in: {location}` parameters are not declared by API Gateway; `{name}` is not checked")));
                return;
            }
            other => {
                let help = match self.version {
                    Version::OpenApi3 => "use query, header or path",
                    Version::Swagger2 => "use query, header, path or body",
                };
                self.error(
                    Problem::new(
                        &ptr.key("in"),
                        format!("`{other}` is not a parameter location"),
                    )
                    .help(help),
                );
                return;
            }
        };
        declared.insert(format!("method.request.{kind}.{name}"), required);
    }

    fn request_body(
        &mut self,
        body: &Value,
        ptr: &Ptr,
        operation: &Operation<'_>,
        models: &mut BTreeMap<String, String>,
    ) {
        let Some((body, ptr)) = self.deref(body, ptr) else {
            return;
        };
        let Some(content) = body.get("content") else {
            return;
        };
        let Some(content) = content.as_object() else {
            self.error(Problem::new(
                &ptr.key("content"),
                "`content` must be a mapping of media types",
            ));
            return;
        };
        for (content_type, media) in content {
            let Some(schema) = media.get("schema") else {
                continue;
            };
            let at = ptr.key("content").key(content_type).key("schema");
            if let Some(model) = self.schema_model(schema, &at, operation, content_type) {
                models.insert(content_type.clone(), model);
            }
        }
    }

    /// The model a request body schema names, or a new model for an inline schema.
    fn schema_model(
        &mut self,
        schema: &Value,
        ptr: &Ptr,
        operation: &Operation<'_>,
        content_type: &str,
    ) -> Option<String> {
        if let Some(reference) = schema.get("$ref") {
            let at = ptr.key("$ref");
            return self.model_ref(reference, &at);
        }
        let mut base = String::new();
        for word in std::iter::once(operation.method.to_ascii_lowercase().as_str())
            .chain(operation.path.split(|c: char| !c.is_ascii_alphanumeric()))
            .chain(
                content_type
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .skip(1),
            )
        {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                base.push(first.to_ascii_uppercase());
                base.extend(chars);
            }
        }
        base.push_str("Body");
        let mut name = base.clone();
        let mut n = 2;
        while self.raw_models.contains_key(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.raw_models
            .insert(name.clone(), (schema.clone(), ptr.clone()));
        Some(name)
    }

    /// The model a `$ref` names: `#/components/schemas/X`, `#/definitions/X` or API Gateway's
    /// `https://apigateway.amazonaws.com/restapis/{id}/models/X`.
    fn model_ref(&mut self, reference: &Value, at: &Ptr) -> Option<String> {
        let Some(reference) = reference.as_str() else {
            self.error(Problem::new(at, "`$ref` must be a string"));
            return None;
        };
        let prefix = match self.version {
            Version::OpenApi3 => "#/components/schemas/",
            Version::Swagger2 => "#/definitions/",
        };
        let name = if let Some(n) = reference.strip_prefix(prefix) {
            n.replace("~1", "/").replace("~0", "~")
        } else if let Some(rest) =
            reference.strip_prefix("https://apigateway.amazonaws.com/restapis/")
        {
            match rest.split_once("/models/") {
                Some((_, n)) => n.to_string(),
                None => String::new(),
            }
        } else {
            self.error(
                Problem::new(at, format!("`{reference}` is not a model reference")).help(format!(
                    "refer to a model as `{prefix}<name>`; bundle external documents into this one"
                )),
            );
            return None;
        };
        if self.raw_models.contains_key(&name) {
            return Some(name);
        }
        let help = match did_you_mean(&name, self.raw_models.keys().map(String::as_str)) {
            Some(k) => format!("did you mean `{k}`?"),
            None => format!(
                "define it under `{}`",
                &prefix[2..prefix.len() - 1].replace('/', ".")
            ),
        };
        self.error(Problem::new(at, format!("model `{name}` is not defined")).help(help));
        None
    }

    // ----- integrations ---------------------------------------------------------------------

    fn integration(
        &mut self,
        value: &Value,
        ptr: &Ptr,
        method: &str,
        declared: &BTreeMap<String, bool>,
    ) -> Option<RestIntegration> {
        let Some(fields) = value.as_object() else {
            self.error(Problem::new(ptr, "the integration is not a mapping"));
            return None;
        };
        if fields.contains_key("$ref") {
            self.error(
                Problem::new(
                    &ptr.key("$ref"),
                    "integrations by `$ref` (x-amazon-apigateway-integrations) are for HTTP APIs",
                )
                .help("write the integration inline in each operation"),
            );
            return None;
        }
        let errors_before = self.errors.len();
        self.known_keys(ptr, fields.keys(), INTEGRATION_KEYS, "integration", false);

        // `None`: broken (reported); `Some(None)`: left out (reported unsupported).
        let kind = self.integration_kind(fields, ptr, method);
        if let Some(t) = fields.get("connectionType").and_then(Value::as_str)
            && t.eq_ignore_ascii_case("VPC_LINK")
        {
            self.note(
                Problem::new(&ptr.key("connectionType"), "private integrations (VPC_LINK) are not served through a VPC link: Portico calls `uri` directly")
                    .help("point `uri` at an address reachable from this machine"),
            );
        }
        if fields.contains_key("tlsConfig") {
            self.note(Problem::new(
                &ptr.key("tlsConfig"),
                "`tlsConfig` is not applied: Portico verifies backend certificates as usual",
            ));
        }
        if fields.contains_key("integrationSubtype") {
            self.note(Problem::new(
                &ptr.key("integrationSubtype"),
                "`integrationSubtype` applies to HTTP APIs only; a REST API ignores it",
            ));
        }
        if let Some(v) = fields.get("payloadFormatVersion")
            && text(v) != "1.0"
        {
            self.note(Problem::new(
                &ptr.key("payloadFormatVersion"),
                format!(
                    "payload format {} applies to HTTP APIs; a REST API sends the 1.0 event",
                    text(v)
                ),
            ));
        }

        let request_parameters = match fields.get("requestParameters") {
            Some(v) => {
                let at = ptr.key("requestParameters");
                let pairs = self.string_pairs(
                    v,
                    &at,
                    |k| {
                        [
                            "integration.request.header.",
                            "integration.request.querystring.",
                            "integration.request.path.",
                            "integration.request.multivalueheader.",
                            "integration.request.multivaluequerystring.",
                        ]
                        .iter()
                        .any(|p| k.strip_prefix(p).is_some_and(|n| !n.is_empty()))
                    },
                    "`integration.request.<header|querystring|path>.<name>`",
                );
                for (key, source) in &pairs {
                    self.check_source(source, &at.key(key), declared, method);
                }
                pairs
            }
            None => Vec::new(),
        };
        let request_templates = match fields.get("requestTemplates") {
            Some(v) => self.templates(v, &ptr.key("requestTemplates")),
            None => BTreeMap::new(),
        };
        let passthrough = match fields.get("passthroughBehavior") {
            None => Passthrough::WhenNoMatch,
            Some(v) => match v.as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("when_no_match") => Passthrough::WhenNoMatch,
                Some("when_no_templates") => Passthrough::WhenNoTemplates,
                Some("never") => Passthrough::Never,
                _ => {
                    self.error(
                        Problem::new(
                            &ptr.key("passthroughBehavior"),
                            format!("`{}` is not a passthrough behavior", text(v)),
                        )
                        .help("use when_no_match, when_no_templates or never"),
                    );
                    Passthrough::WhenNoMatch
                }
            },
        };
        let content_handling = fields
            .get("contentHandling")
            .and_then(|v| self.content_handling(v, &ptr.key("contentHandling")));
        let stream_ptr = ptr.key("responseTransferMode");
        let stream = match fields.get("responseTransferMode").map(|v| (v, v.as_str())) {
            None => false,
            Some((_, Some(mode))) if mode.eq_ignore_ascii_case("STREAM") => true,
            Some((_, Some(mode))) if mode.eq_ignore_ascii_case("BUFFERED") => false,
            Some((v, _)) => {
                self.error(
                    Problem::new(
                        &stream_ptr,
                        format!(
                            "`responseTransferMode` is {}, not BUFFERED or STREAM",
                            text(v)
                        ),
                    )
                    .help("write `responseTransferMode: STREAM` to stream the response"),
                );
                false
            }
        };
        // Streaming integrations may run for 15 minutes.
        let max_timeout = if stream { 900_000 } else { 300_000 };
        let timeout = match fields.get("timeoutInMillis") {
            None => 29_000,
            Some(v) => match number(v) {
                Some(n) if (50..=max_timeout).contains(&n) => n,
                _ => {
                    self.error(
                        Problem::new(&ptr.key("timeoutInMillis"), format!("`timeoutInMillis` is {}, not 50 to {max_timeout}", text(v)))
                            .help("give milliseconds from 50 to 29000 (up to 300000 for a Regional API with a raised quota)"),
                    );
                    29_000
                }
            },
        };
        let responses = match fields.get("responses") {
            Some(v) => self.integration_responses(v, &ptr.key("responses")),
            None => Vec::new(),
        };
        let cache_key_parameters = match fields.get("cacheKeyParameters") {
            None => Vec::new(),
            Some(v) => match v.as_array() {
                Some(items) if items.iter().all(Value::is_string) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => {
                    self.error(
                        Problem::new(
                            &ptr.key("cacheKeyParameters"),
                            "`cacheKeyParameters` must be a list of request parameters",
                        )
                        .help("e.g. [method.request.querystring.type]"),
                    );
                    Vec::new()
                }
            },
        };
        if stream && responses.iter().any(|r| !r.templates.is_empty()) {
            self.error(
                Problem::new(
                    &stream_ptr,
                    "a streaming integration cannot have response templates",
                )
                .help("remove the `responseTemplates`, or use `responseTransferMode: BUFFERED`"),
            );
        }
        if self.errors.len() > errors_before {
            return None;
        }
        Some(RestIntegration {
            stream,
            kind: kind??,
            request_parameters,
            request_templates,
            passthrough,
            content_handling,
            timeout: Some(Duration::from_millis(timeout)),
            responses,
            cache_key_parameters,
        })
    }

    fn integration_kind(
        &mut self,
        fields: &Map<String, Value>,
        ptr: &Ptr,
        method: &str,
    ) -> Option<Option<IntegrationKind>> {
        let type_ptr = ptr.key("type");
        let kind_name = match fields.get("type") {
            None => {
                self.error(
                    Problem::new(&type_ptr, "the integration has no `type`")
                        .help("use aws_proxy, aws, http_proxy, http or mock"),
                );
                return None;
            }
            Some(t) => match t.as_str() {
                Some(t) => t.to_ascii_lowercase(),
                None => {
                    self.error(
                        Problem::new(
                            &type_ptr,
                            format!("the integration type {} is not a string", text(t)),
                        )
                        .help("use aws_proxy, aws, http_proxy, http or mock"),
                    );
                    return None;
                }
            },
        };
        let uri_ptr = ptr.key("uri");
        let http_method = fields.get("httpMethod").map(|m| (m, ptr.key("httpMethod")));
        let kind = match kind_name.as_str() {
            "aws" | "aws_proxy" => {
                let Some(uri) = fields.get("uri") else {
                    self.error(
                        Problem::new(
                            &uri_ptr,
                            format!("the `{kind_name}` integration has no `uri`"),
                        )
                        .help(format!("name the function: {LAMBDA_URI_FORM}")),
                    );
                    return None;
                };
                let target = self.lambda_uri(uri, &uri_ptr);
                if let Some((m, at)) = &http_method
                    && !matches!(target, Some(Target::Service(_)))
                    && !m.as_str().is_some_and(|m| m.eq_ignore_ascii_case("POST"))
                {
                    self.error(
                        Problem::new(
                            at,
                            format!(
                                "`httpMethod` is {}, but Lambda functions are invoked with POST",
                                text(m)
                            ),
                        )
                        .help(
                            "set `httpMethod: POST` (the client's method is still the operation's)",
                        ),
                    );
                }
                match target? {
                    Target::Function(function) if kind_name == "aws" => {
                        IntegrationKind::Aws { function }
                    }
                    Target::Function(function) => IntegrationKind::AwsProxy { function },
                    Target::Service(service) => {
                        self.note(
                            Problem::new(&uri_ptr, format!("AWS service integrations (`{service}`) are not served by Portico; `{method}` is left out"))
                                .help("integrate the method with a Lambda function or an HTTP endpoint to serve it locally"),
                        );
                        return Some(None);
                    }
                }
            }
            "http" | "http_proxy" => {
                let url = match fields.get("uri") {
                    Some(Value::String(u))
                        if (u.starts_with("http://") || u.starts_with("https://"))
                            && u.len() > "https://".len() =>
                    {
                        u.clone()
                    }
                    Some(other) => {
                        self.error(
                            Problem::new(&uri_ptr, format!("{} is not an http(s) URL", text(other)))
                                .help("write the backend's absolute URL, e.g. `https://example.com/pets/{petId}`"),
                        );
                        return None;
                    }
                    None => {
                        self.error(
                            Problem::new(
                                &uri_ptr,
                                format!("the `{kind_name}` integration has no `uri`"),
                            )
                            .help(
                                "write the backend's absolute URL, e.g. `https://example.com/pets`",
                            ),
                        );
                        return None;
                    }
                };
                let method = match &http_method {
                    None => {
                        self.error(Problem::new(&ptr.key("httpMethod"), format!("the `{kind_name}` integration has no `httpMethod`")).help("give the backend's method (GET, POST, ...) or ANY to pass the client's on"));
                        return None;
                    }
                    Some((m, at)) => match m.as_str().map(str::to_ascii_uppercase) {
                        Some(m) if m == "ANY" => None,
                        Some(m)
                            if ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
                                .contains(&m.as_str()) =>
                        {
                            Some(m)
                        }
                        _ => {
                            self.error(
                                Problem::new(at, format!("`{}` is not an HTTP method", text(m)))
                                    .help(
                                        "use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY",
                                    ),
                            );
                            return None;
                        }
                    },
                };
                if kind_name == "http" {
                    IntegrationKind::Http { method, url }
                } else {
                    IntegrationKind::HttpProxy { method, url }
                }
            }
            "mock" => IntegrationKind::Mock,
            other => {
                let known = ["aws", "aws_proxy", "http", "http_proxy", "mock"];
                let otherwise = "use aws_proxy (Lambda proxy), aws (Lambda with templates), http_proxy, http or mock".to_string();
                let help = suggestion(other, known, otherwise);
                self.error(
                    Problem::new(
                        &type_ptr,
                        format!("`{}` is not an integration type", text(&fields["type"])),
                    )
                    .help(help),
                );
                return None;
            }
        };

        Some(Some(kind))
    }

    /// A mapping's source must be a declared method request parameter, a body, a static
    /// value, or a context or stage variable.
    fn check_source(
        &mut self,
        source: &str,
        at: &Ptr,
        declared: &BTreeMap<String, bool>,
        method: &str,
    ) {
        if source.starts_with('\'') && source.ends_with('\'') && source.len() >= 2 {
            return;
        }
        let variable = [
            "context.",
            "$context.",
            "stageVariables.",
            "$stageVariables.",
        ]
        .iter()
        .any(|p| source.strip_prefix(p).is_some_and(|n| !n.is_empty()));
        if variable || source == "method.request.body" || source.starts_with("method.request.body.")
        {
            return;
        }
        let parameter = [
            "querystring",
            "header",
            "path",
            "multivaluequerystring",
            "multivalueheader",
        ]
        .iter()
        .find_map(|kind| {
            Some((
                *kind,
                source
                    .strip_prefix("method.request.")?
                    .strip_prefix(kind)?
                    .strip_prefix('.')?,
            ))
        });
        match parameter {
            Some((kind, name)) if !name.is_empty() => {
                let kind = kind.trim_start_matches("multivalue");
                let key = format!("method.request.{kind}.{name}");
                if !declared.contains_key(&key) {
                    let help = if kind == "path" {
                        format!("`{method}` has no path parameter `{name}`")
                    } else {
                        let location = if kind == "header" { "header" } else { "query" };
                        format!("declare it in the operation's `parameters` (name: {name}, in: {location})")
                    };
                    self.error(Problem::new(at, format!("`{source}` is not a declared request parameter")).help(help));
                }
            }
            _ => self.error(
                Problem::new(at, format!("`{source}` is not a mapping source"))
                    .help("use method.request.<querystring|header|path>.<name>, method.request.body[.<JSONPath>], a 'static value' in single quotes, context.<var> or stageVariables.<name>"),
            ),
        }
    }

    fn integration_responses(&mut self, value: &Value, ptr: &Ptr) -> Vec<IntegrationResponse> {
        let Some(map) = value.as_object() else {
            self.error(Problem::new(
                ptr,
                "`responses` must be a mapping of selection patterns to responses",
            ));
            return Vec::new();
        };
        let mut responses = Vec::new();
        let mut default = None;
        for (pattern, v) in map {
            let at = ptr.key(pattern);
            let Some(fields) = v.as_object() else {
                self.error(Problem::new(
                    &at,
                    "an integration response must be a mapping",
                ));
                continue;
            };
            self.known_keys(
                &at,
                fields.keys(),
                INTEGRATION_RESPONSE_KEYS,
                "integration response",
                false,
            );
            let status = match fields.get("statusCode") {
                Some(s) => self.status(s, &at.key("statusCode")),
                None => {
                    self.error(
                        Problem::new(
                            &at.key("statusCode"),
                            "the integration response has no `statusCode`",
                        )
                        .help("give the method response's status, e.g. statusCode: \"200\""),
                    );
                    None
                }
            };
            let parameters = match fields.get("responseParameters") {
                Some(p) => self.string_pairs(
                    p,
                    &at.key("responseParameters"),
                    |k| {
                        k.strip_prefix("method.response.header.")
                            .is_some_and(|n| !n.is_empty())
                    },
                    "`method.response.header.<name>`",
                ),
                None => Vec::new(),
            };
            let templates = match fields.get("responseTemplates") {
                Some(t) => self.templates(t, &at.key("responseTemplates")),
                None => BTreeMap::new(),
            };
            let content_handling = fields
                .get("contentHandling")
                .and_then(|v| self.content_handling(v, &at.key("contentHandling")));
            let Some(status) = status else { continue };
            let response = IntegrationResponse {
                pattern: (pattern != "default").then(|| pattern.clone()),
                status,
                parameters,
                templates,
                content_handling,
            };
            if pattern == "default" {
                default = Some(response);
            } else {
                responses.push(response);
            }
        }
        responses.extend(default);
        responses
    }

    fn content_handling(&mut self, v: &Value, ptr: &Ptr) -> Option<ContentHandling> {
        match v.as_str().map(str::to_ascii_uppercase).as_deref() {
            Some("CONVERT_TO_TEXT") => Some(ContentHandling::ConvertToText),
            Some("CONVERT_TO_BINARY") => Some(ContentHandling::ConvertToBinary),
            _ => {
                self.error(Problem::new(ptr, format!("`{}` is not a content handling", text(v))).help("use CONVERT_TO_TEXT or CONVERT_TO_BINARY, or leave it out to pass payloads through"));
                None
            }
        }
    }

    fn status(&mut self, v: &Value, ptr: &Ptr) -> Option<u16> {
        match number(v) {
            Some(n) if (100..=599).contains(&n) => u16::try_from(n).ok(),
            _ => {
                self.error(
                    Problem::new(ptr, format!("`{}` is not an HTTP status code", text(v)))
                        .help("give a status from 100 to 599, e.g. \"200\""),
                );
                None
            }
        }
    }

    fn templates(&mut self, v: &Value, ptr: &Ptr) -> BTreeMap<String, String> {
        let Some(map) = v.as_object() else {
            self.error(Problem::new(
                ptr,
                "templates must be a mapping of content types to templates",
            ));
            return BTreeMap::new();
        };
        let mut templates = BTreeMap::new();
        for (content_type, template) in map {
            match template {
                Value::String(t) => {
                    templates.insert(content_type.clone(), t.clone());
                }
                Value::Null => {
                    templates.insert(content_type.clone(), String::new());
                }
                other => self.error(
                    Problem::new(
                        &ptr.key(content_type),
                        format!(
                            "the template for `{content_type}` is {}, not text",
                            kind_of(other)
                        ),
                    )
                    .help("write the template as a string; a JSON body inside it must be quoted"),
                ),
            }
        }
        templates
    }

    /// A mapping of strings whose keys pass `valid_key`.
    fn string_pairs(
        &mut self,
        v: &Value,
        ptr: &Ptr,
        valid_key: impl Fn(&str) -> bool,
        form: &str,
    ) -> Vec<(String, String)> {
        let Some(map) = v.as_object() else {
            self.error(Problem::new(
                ptr,
                "parameters must be a mapping of targets to sources",
            ));
            return Vec::new();
        };
        let mut pairs = Vec::new();
        for (key, value) in map {
            let at = ptr.key(key);
            if !valid_key(key) {
                self.error(
                    Problem::new(
                        &at,
                        format!("`{key}` is not a parameter this mapping can set"),
                    )
                    .help(format!("write the target as {form}")),
                );
                continue;
            }
            match value.as_str() {
                Some(s) if !s.is_empty() => pairs.push((key.clone(), s.to_string())),
                _ => self.error(
                    Problem::new(
                        &at,
                        format!(
                            "the source of `{key}` is {}, not a mapping expression",
                            text(value)
                        ),
                    )
                    .help("e.g. 'static value' (single-quoted) or method.request.header.name"),
                ),
            }
        }
        pairs
    }

    // ----- Lambda URIs ----------------------------------------------------------------------

    /// The function (or other AWS service) an `arn:aws:apigateway:...` URI invokes.
    fn lambda_uri(&mut self, value: &Value, ptr: &Ptr) -> Option<Target> {
        let (template, vars) = match value {
            Value::String(s) => (s.clone(), Map::new()),
            Value::Object(o) if o.len() == 1 && o.contains_key("Fn::Sub") => match &o["Fn::Sub"] {
                Value::String(s) => (s.clone(), Map::new()),
                Value::Array(a) if a.len() == 2 && a[0].is_string() && a[1].is_object() => (
                    a[0].as_str().unwrap_or_default().to_string(),
                    a[1].as_object().cloned().unwrap_or_default(),
                ),
                _ => {
                    self.error(Problem::new(
                        &ptr.key("Fn::Sub"),
                        "`Fn::Sub` takes a string, or a string and a mapping of variables",
                    ));
                    return None;
                }
            },
            Value::Object(o) if o.keys().any(|k| k.starts_with("Fn::") || k == "Ref") => {
                let name = o.keys().next().cloned().unwrap_or_default();
                self.error(
                    Problem::new(ptr, format!("`{name}` cannot be evaluated here")).help(format!(
                        "write the URI as a string or with `Fn::Sub`: {LAMBDA_URI_FORM}"
                    )),
                );
                return None;
            }
            other => {
                self.error(
                    Problem::new(ptr, format!("the URI is {}, not a string", kind_of(other)))
                        .help(format!("write {LAMBDA_URI_FORM}")),
                );
                return None;
            }
        };
        let bad = |me: &mut Self, why: &str| {
            me.error(
                Problem::new(ptr, format!("`{template}` {why}"))
                    .help(format!("write {LAMBDA_URI_FORM}")),
            );
            None
        };
        // `${...}` placeholders may hold `:` and `/`: mask them while splitting.
        let Some((masked, holes)) = mask(&template) else {
            return bad(self, "has a `${` that is not closed");
        };
        let parts: Vec<&str> = masked.splitn(6, ':').collect();
        if parts.len() < 6 || parts[0] != "arn" {
            return bad(self, "is not an ARN");
        }
        if parts[2] == "lambda" {
            self.error(
                Problem::new(ptr, format!("`{template}` is a function ARN, not an API Gateway invocation URI"))
                    .help(format!("wrap it: arn:aws:apigateway:{{region}}:lambda:path/2015-03-31/functions/{template}/invocations")),
            );
            return None;
        }
        if parts[2] != "apigateway" {
            return bad(self, "is not an API Gateway invocation URI");
        }
        let service = unmask(parts[4], &holes);
        if service != "lambda" {
            return Some(Target::Service(service));
        }
        let Some(function_arn) = parts[5]
            .strip_prefix("path/2015-03-31/functions/")
            .and_then(|rest| rest.strip_suffix("/invocations"))
        else {
            return bad(
                self,
                "does not invoke a function (path/2015-03-31/functions/{function ARN}/invocations)",
            );
        };
        // The whole function ARN as one placeholder: `${MyFunction.Arn}` or a variable.
        if let Some(hole) = whole_hole(function_arn, &holes) {
            return self
                .function_reference(hole, &vars, ptr, true)
                .map(Target::Function);
        }
        let fparts: Vec<&str> = function_arn.split(':').collect();
        if fparts.len() < 7
            || fparts.len() > 8
            || fparts[0] != "arn"
            || fparts[2] != "lambda"
            || fparts[5] != "function"
        {
            self.error(
                Problem::new(
                    ptr,
                    format!("`{}` is not a function ARN", unmask(function_arn, &holes)),
                )
                .help("write arn:aws:lambda:{region}:{account}:function:{name}"),
            );
            return None;
        }
        let name_masked = fparts[6];
        let function = if let Some(hole) = whole_hole(name_masked, &holes) {
            self.function_reference(hole, &vars, ptr, false)?
        } else {
            let name = unmask(name_masked, &holes);
            if name.contains("${") {
                if !name.contains("${stageVariables.") {
                    self.error(
                        Problem::new(ptr, format!("the function name `{name}` cannot be derived"))
                            .help("name the function, or use a stage variable: function:${stageVariables.name}"),
                    );
                    return None;
                }
                // Resolved per stage by the gateway.
                return Some(Target::Function(name));
            }
            self.function_name(&name, ptr)?
        };
        if let Some(qualifier) = fparts.get(7) {
            self.note(Problem::new(ptr, format!("the qualifier `{}` is ignored: Portico runs one version of function `{function}`", unmask(qualifier, &holes))));
        }
        Some(Target::Function(function))
    }

    /// A function named by a placeholder: `${Fn.Arn}` (a CloudFormation resource), a
    /// `Fn::Sub` variable, `${Fn}` (a `Ref`, giving the name) or a stage variable.
    fn function_reference(
        &mut self,
        hole: &str,
        vars: &Map<String, Value>,
        ptr: &Ptr,
        want_arn: bool,
    ) -> Option<String> {
        if let Some(stage) = hole.strip_prefix("stageVariables.") {
            return Some(format!("${{stageVariables.{stage}}}"));
        }
        if let Some(var) = vars.get(hole) {
            let resource = match var {
                Value::String(s) if want_arn => {
                    // A literal ARN given as a variable.
                    let name = s.split(':').nth(6).unwrap_or("");
                    return self.function_name(name, ptr);
                }
                Value::String(s) => return self.function_name(s, ptr),
                Value::Object(o) => match (o.get("Ref"), o.get("Fn::GetAtt")) {
                    (Some(Value::String(r)), _) if !want_arn => Some(r.clone()),
                    (_, Some(Value::Array(a))) if want_arn && a.len() == 2 && a[1] == "Arn" => {
                        a[0].as_str().map(str::to_string)
                    }
                    (_, Some(Value::String(s))) if want_arn => {
                        s.strip_suffix(".Arn").map(str::to_string)
                    }
                    _ => None,
                },
                _ => None,
            };
            return match resource {
                Some(r) => self.resource_function(&r, ptr),
                None => {
                    let wanted = if want_arn {
                        "`Fn::GetAtt: [Function, Arn]`"
                    } else {
                        "`Ref: Function`"
                    };
                    self.error(
                        Problem::new(
                            &ptr.key("Fn::Sub").index(1).key(hole),
                            format!("the variable `{hole}` does not name a function"),
                        )
                        .help(format!(
                            "give {wanted} or the function's {}",
                            if want_arn { "ARN" } else { "name" }
                        )),
                    );
                    None
                }
            };
        }
        if hole.starts_with("AWS::") {
            self.error(
                Problem::new(ptr, format!("`${{{hole}}}` does not name a function"))
                    .help("name the function in the ARN: function:{name}"),
            );
            return None;
        }
        match hole.split_once('.') {
            Some((resource, "Arn")) if want_arn => self.resource_function(resource, ptr),
            None if !want_arn => self.resource_function(hole, ptr),
            None => {
                self.error(
                    Problem::new(
                        ptr,
                        format!("`${{{hole}}}` is a function's name, not its ARN"),
                    )
                    .help(format!("write `${{{hole}.Arn}}`")),
                );
                None
            }
            Some(_) => {
                self.error(
                    Problem::new(
                        ptr,
                        format!("the function named by `${{{hole}}}` cannot be derived"),
                    )
                    .help("use `${Function.Arn}`, or write the function's ARN"),
                );
                None
            }
        }
    }

    /// The function behind a CloudFormation resource: the one named like its logical id.
    fn resource_function(&mut self, resource: &str, ptr: &Ptr) -> Option<String> {
        if (self.function_exists)(resource) {
            return Some(resource.to_string());
        }
        let mut problem = Problem::new(
            ptr,
            format!("CloudFormation resource `{resource}` is not a function Portico knows"),
        );
        problem = match self.similar_function(resource) {
            Some(k) => problem.help(format!("did you mean `{k}`?")),
            None => problem.help(format!("name a function `{resource}` in portico.yaml (a resource stands for the function of the same name), or write the function's ARN")),
        };
        self.error(problem);
        None
    }

    fn function_name(&mut self, name: &str, ptr: &Ptr) -> Option<String> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            self.error(
                Problem::new(ptr, format!("`{name}` is not a function name"))
                    .help("function names are 1 to 64 letters, digits, `-` and `_`"),
            );
            return None;
        }
        if (self.function_exists)(name) {
            return Some(name.to_string());
        }
        let problem = Problem::new(ptr, format!("function `{name}` is not defined"));
        let problem = match self.similar_function(name) {
            Some(k) => problem.help(format!("did you mean `{k}`?")),
            None => problem.help(format!(
                "define `{name}` under `functions:` in portico.yaml, or name one that is"
            )),
        };
        self.error(problem);
        None
    }

    /// A defined function whose name differs from `name` only by case or `-`/`_`.
    fn similar_function(&self, name: &str) -> Option<String> {
        let mut candidates = vec![
            name.to_ascii_lowercase(),
            name.replace('-', "_"),
            name.replace('_', "-"),
            name.to_ascii_lowercase().replace('-', "_"),
            name.to_ascii_lowercase().replace('_', "-"),
        ];
        let mut chars = name.chars();
        if let Some(first) = chars.next() {
            candidates.push(first.to_ascii_uppercase().to_string() + chars.as_str());
            candidates.push(first.to_ascii_lowercase().to_string() + &name[first.len_utf8()..]);
        }
        candidates
            .into_iter()
            .find(|c| c != name && (self.function_exists)(c))
    }

    // ----- models ---------------------------------------------------------------------------

    /// Makes every model self-contained: `$ref`s to models become `#/definitions/<name>`, and
    /// each model carries the models it reaches under `definitions`.
    fn resolve_models(&mut self, imported: &mut Imported) {
        let raw = std::mem::take(&mut self.raw_models);
        let mut rewritten: BTreeMap<String, Value> = BTreeMap::new();
        let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        self.raw_models = raw.clone();
        for (name, (schema, ptr)) in &raw {
            let mut schema = schema.clone();
            let mut reached = BTreeSet::new();
            self.rewrite_refs(&mut schema, ptr, 0, &mut reached);
            rewritten.insert(name.clone(), schema);
            deps.insert(name.clone(), reached);
        }
        for (name, schema) in &rewritten {
            let mut closure = BTreeSet::new();
            let mut todo: Vec<&String> = deps[name].iter().collect();
            while let Some(next) = todo.pop() {
                if closure.insert(next.clone()) {
                    todo.extend(deps.get(next).into_iter().flatten());
                }
            }
            let mut model = schema.clone();
            if !closure.is_empty()
                && let Some(object) = model.as_object_mut()
            {
                let definitions = object
                    .entry("definitions")
                    .or_insert_with(|| Value::Object(Map::new()));
                match definitions.as_object_mut() {
                    Some(defs) => {
                        for dep in &closure {
                            if defs.contains_key(dep) {
                                let ptr = &raw[name].1;
                                self.error(
                                    Problem::new(&ptr.key("definitions").key(dep), format!("model `{name}` has its own definition `{dep}`, which hides the model `{dep}` it refers to"))
                                        .help("rename one of them"),
                                );
                                continue;
                            }
                            defs.insert(dep.clone(), rewritten[dep].clone());
                        }
                    }
                    None => {
                        let ptr = &raw[name].1;
                        self.error(Problem::new(
                            &ptr.key("definitions"),
                            "`definitions` must be a mapping",
                        ));
                    }
                }
            }
            imported.models.insert(name.clone(), model);
        }
    }

    fn rewrite_refs(
        &mut self,
        value: &mut Value,
        ptr: &Ptr,
        depth: usize,
        reached: &mut BTreeSet<String>,
    ) {
        if depth > MAX_DEPTH {
            self.error(Problem::new(ptr, "the schema is nested too deeply"));
            return;
        }
        match value {
            Value::Object(object) => {
                if let Some(reference) = object.get("$ref").cloned()
                    && let Some(name) = self.model_ref(&reference, &ptr.key("$ref"))
                {
                    object.insert(
                        "$ref".to_string(),
                        Value::String(format!("#/definitions/{name}")),
                    );
                    reached.insert(name);
                }
                for (key, child) in object.iter_mut() {
                    if key == "$ref" || key == "enum" || key == "example" || key == "default" {
                        continue;
                    }
                    self.rewrite_refs(child, &ptr.key(key), depth + 1, reached);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.rewrite_refs(item, &ptr.index(i), depth + 1, reached);
                }
            }
            _ => {}
        }
    }

    // ----- what is left -----------------------------------------------------------------------

    /// Reports every `x-amazon-apigateway-*` key that was not read.
    fn walk_extensions(&self, value: &Value, ptr: &Ptr, depth: usize, found: &mut Vec<Problem>) {
        if depth > MAX_DEPTH {
            return;
        }
        match value {
            Value::Object(object) => {
                for (key, child) in object {
                    let at = ptr.key(key);
                    if self.containers.contains(&at.0) {
                        self.walk_extensions(child, &at, depth + 1, found);
                        continue;
                    }
                    if self.handled.contains(&at.0) {
                        continue;
                    }
                    if let Some(name) = key.strip_prefix("x-amazon-apigateway-") {
                        found.push(unsupported_extension(name, &at, depth == 0));
                        continue;
                    }
                    self.walk_extensions(child, &at, depth + 1, found);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.walk_extensions(item, &ptr.index(i), depth + 1, found);
                }
            }
            _ => {}
        }
    }
}

/// What an integration URI invokes.
enum Target {
    Function(String),
    /// Another AWS service (`s3`, `dynamodb`, ...).
    Service(String),
}

fn unsupported_extension(name: &str, at: &Ptr, top_level: bool) -> Problem {
    let full = format!("x-amazon-apigateway-{name}");
    let (message, help) = match name {
        "policy" => (
            "the resource policy is not enforced by Portico".to_string(),
            None,
        ),
        "endpoint-configuration" => (
            "endpoint types (EDGE, REGIONAL, PRIVATE) and VPC endpoints do not apply to Portico"
                .to_string(),
            None,
        ),
        "minimum-compression-size" => (
            "response compression is not served by Portico".to_string(),
            None,
        ),
        "documentation" => (
            "documentation parts are not served by Portico".to_string(),
            None,
        ),
        "tag-value" => ("tags do not apply to Portico".to_string(), None),
        "cors" => (
            "`x-amazon-apigateway-cors` applies to HTTP APIs only".to_string(),
            Some(
                "a REST API answers CORS preflights with its OPTIONS methods (e.g. a mock integration)",
            ),
        ),
        "integrations" => (
            "`x-amazon-apigateway-integrations` applies to HTTP APIs only".to_string(),
            Some("write each integration inline in its operation"),
        ),
        "request-validators"
        | "api-key-source"
        | "binary-media-types"
        | "gateway-responses"
        | "importexport-version"
            if !top_level =>
        {
            (
                format!("`{full}` is read at the top of the document only; here it is ignored"),
                Some("move it to the top level"),
            )
        }
        "integration" | "request-validator" | "auth" | "any-method" => (
            format!("`{full}` is read in operations only; here it is ignored"),
            Some("move it into an operation (get, post, ...)"),
        ),
        "authorizer" | "authtype" => (
            format!("`{full}` is read in security schemes only; here it is ignored"),
            Some("move it into a security scheme"),
        ),
        _ => (
            format!("`{full}` is not supported by Portico and is ignored"),
            None,
        ),
    };
    let problem = Problem::new(at, message);
    match help {
        Some(h) => problem.help(h),
        None => problem,
    }
}

/// Replaces each `${...}` with a NUL-delimited index; `None` if one is not closed.
fn mask(template: &str) -> Option<(String, Vec<String>)> {
    let mut masked = String::new();
    let mut holes = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        masked.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        masked.push('\0');
        masked.push_str(&holes.len().to_string());
        masked.push('\0');
        holes.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    masked.push_str(rest);
    Some((masked, holes))
}

fn unmask(masked: &str, holes: &[String]) -> String {
    let mut out = String::new();
    for (i, piece) in masked.split('\0').enumerate() {
        if i % 2 == 1 {
            match piece.parse::<usize>().ok().and_then(|n| holes.get(n)) {
                Some(hole) => {
                    out.push_str("${");
                    out.push_str(hole);
                    out.push('}');
                }
                None => out.push_str(piece),
            }
        } else {
            out.push_str(piece);
        }
    }
    out
}

/// The placeholder `masked` consists of, if it is exactly one.
fn whole_hole<'h>(masked: &str, holes: &'h [String]) -> Option<&'h str> {
    let inner = masked.strip_prefix('\0')?.strip_suffix('\0')?;
    holes.get(inner.parse::<usize>().ok()?).map(String::as_str)
}

/// `arn:aws:cognito-idp:{region}:{account}:userpool/{id}` → the pool's issuer URL.
fn cognito_issuer(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "cognito-idp" || parts[3].is_empty() {
        return None;
    }
    let pool = parts[5]
        .strip_prefix("userpool/")
        .filter(|p| !p.is_empty() && !p.contains('/'))?;
    Some(format!(
        "https://cognito-idp.{}.amazonaws.com/{pool}",
        parts[3]
    ))
}

/// A non-negative integer written as a number or a string of digits.
fn number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s)
            if !s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.parse().ok()
        }
        _ => None,
    }
}

/// A value as it reads in a message: strings bare, others as JSON (shortened).
fn text(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 80 {
        let short: String = s.chars().take(77).collect();
        format!("{short}...")
    } else {
        s
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}
