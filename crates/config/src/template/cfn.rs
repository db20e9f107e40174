//! Plain CloudFormation's Lambda and API Gateway resources, as `cdk synth` writes them and as
//! hand-written templates use them, made into Portico's functions and APIs.
//!
//! - `AWS::Lambda::Function`: its `Code` inline (`ZipFile`, saved as Lambda saves it:
//!   `index.py` or `index.js`), or a local folder named by the resource's
//!   `Metadata: aws:asset:path` (what CDK writes beside the template in `cdk.out`) for code in
//!   S3; `AWS::Lambda::Url` gives its function a `url:`.
//! - A REST API's `AWS::ApiGateway::*` resources (its tree of resources, its methods,
//!   authorizers, models, request validators and gateway responses) become the Swagger 2
//!   document API Gateway would export for it, which Portico's OpenAPI importer reads, as it
//!   reads SAM's; its stages (from `Stage` resources and the `StageName` of a `Deployment`),
//!   API keys and usage plans become Portico's `stages`, `api_keys` and `usage_plans`.
//! - An HTTP API's `AWS::ApiGatewayV2::*` resources (routes and their integrations,
//!   authorizers, stages, CORS, quick create's `Target`) become Portico's `protocol: http` API.
//! - `Fn::Transform: {Name: AWS::Include, Parameters: {Location: <file>}}` with a local file is
//!   replaced by the file's content before anything is resolved.
//!
//! Choices where AWS gives no local answer:
//! - An API without a stage cannot be invoked on AWS: it is not served, with a warning.
//! - Every stage serves every method (a `Deployment` is not a snapshot here).
//! - A usage plan applies to every stage of the APIs it names (Portico ties plans to APIs), and
//!   an API key counts its quota per API.
//! - An API key that is not `Enabled` (CloudFormation's default) is left out, so requests
//!   presenting it are refused, as on AWS.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::intrinsics::Resource;
use super::sam::{cors_config, kind, number, number_f64, scalar_text, throttle};
use super::yaml::{self, child};
use super::{Translation, function_name, resource_of};

/// A resource of a type this module translates, with its properties resolved.
pub(super) struct Declared<'t> {
    pub id: String,
    pub kind: String,
    pub properties: Map<String, Value>,
    /// The resource as written (for its `Metadata`).
    pub written: &'t Value,
}

impl Declared<'_> {
    fn at(&self) -> String {
        child("/Resources", &self.id)
    }

    /// The template pointer of property `key`.
    fn prop(&self, key: &str) -> String {
        child(&child(&self.at(), "Properties"), key)
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.properties.get(key)
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.properties.get(key).and_then(Value::as_str)
    }
}

/// Whether resources of type `kind` are this module's.
pub(super) fn handles(kind: &str) -> bool {
    ["AWS::Lambda::", "AWS::ApiGateway::", "AWS::ApiGatewayV2::"]
        .iter()
        .any(|p| kind.starts_with(p))
}

/// Properties Portico reads, or that change nothing it serves, by resource type; any other
/// property of these types is warned about.
const PROPERTIES: &[(&str, &[&str])] = &[
    (
        "AWS::Lambda::Function",
        &[
            "Code",
            "Handler",
            "Runtime",
            "Timeout",
            "MemorySize",
            "Environment",
            "ReservedConcurrentExecutions",
            "FunctionName",
            "Layers",
            "PackageType",
            "ImageConfig",
            "Architectures",
            "CodeSigningConfigArn",
            "DeadLetterConfig",
            "Description",
            "EphemeralStorage",
            "FileSystemConfigs",
            "KmsKeyArn",
            "LoggingConfig",
            "RecursiveLoop",
            "Role",
            "RuntimeManagementConfig",
            "SnapStart",
            "Tags",
            "TracingConfig",
            "VpcConfig",
        ],
    ),
    (
        "AWS::Lambda::Alias",
        &[
            "Description",
            "FunctionName",
            "FunctionVersion",
            "Name",
            "ProvisionedConcurrencyConfig",
        ],
    ),
    (
        "AWS::Lambda::Url",
        &[
            "AuthType",
            "Cors",
            "InvokeMode",
            "Qualifier",
            "TargetFunctionArn",
        ],
    ),
    (
        "AWS::ApiGateway::RestApi",
        &[
            "Name",
            "Description",
            "Body",
            "BodyS3Location",
            "BinaryMediaTypes",
            "ApiKeySourceType",
            "EndpointConfiguration",
            "Tags",
            "FailOnWarnings",
            "Mode",
            "Parameters",
            "DisableExecuteApiEndpoint",
        ],
    ),
    (
        "AWS::ApiGateway::Resource",
        &["RestApiId", "ParentId", "PathPart"],
    ),
    (
        "AWS::ApiGateway::Method",
        &[
            "RestApiId",
            "ResourceId",
            "HttpMethod",
            "AuthorizationType",
            "AuthorizerId",
            "AuthorizationScopes",
            "ApiKeyRequired",
            "RequestParameters",
            "RequestModels",
            "RequestValidatorId",
            "Integration",
            "MethodResponses",
            "OperationName",
        ],
    ),
    (
        "AWS::ApiGateway::Stage",
        &[
            "RestApiId",
            "StageName",
            "DeploymentId",
            "Variables",
            "MethodSettings",
            "CacheClusterEnabled",
            "CacheClusterSize",
            "AccessLogSetting",
            "Description",
            "Tags",
            "TracingEnabled",
            "ClientCertificateId",
            "DocumentationVersion",
        ],
    ),
    (
        "AWS::ApiGateway::Deployment",
        &["RestApiId", "StageName", "StageDescription", "Description"],
    ),
    (
        "AWS::ApiGateway::Authorizer",
        &[
            "RestApiId",
            "Name",
            "Type",
            "AuthorizerUri",
            "IdentitySource",
            "IdentityValidationExpression",
            "AuthorizerResultTtlInSeconds",
            "ProviderARNs",
            "AuthorizerCredentials",
            "AuthType",
        ],
    ),
    (
        "AWS::ApiGateway::Model",
        &["RestApiId", "Name", "Schema", "ContentType", "Description"],
    ),
    (
        "AWS::ApiGateway::RequestValidator",
        &[
            "RestApiId",
            "Name",
            "ValidateRequestBody",
            "ValidateRequestParameters",
        ],
    ),
    (
        "AWS::ApiGateway::GatewayResponse",
        &[
            "RestApiId",
            "ResponseType",
            "StatusCode",
            "ResponseParameters",
            "ResponseTemplates",
        ],
    ),
    (
        "AWS::ApiGateway::ApiKey",
        &[
            "Name",
            "Value",
            "Enabled",
            "Description",
            "StageKeys",
            "Tags",
            "CustomerId",
            "GenerateDistinctId",
        ],
    ),
    (
        "AWS::ApiGateway::UsagePlan",
        &[
            "ApiStages",
            "Throttle",
            "Quota",
            "UsagePlanName",
            "Description",
            "Tags",
        ],
    ),
    (
        "AWS::ApiGateway::UsagePlanKey",
        &["KeyId", "KeyType", "UsagePlanId"],
    ),
    (
        "AWS::ApiGatewayV2::Api",
        &[
            "Name",
            "ProtocolType",
            "Target",
            "RouteKey",
            "CredentialsArn",
            "CorsConfiguration",
            "Body",
            "BodyS3Location",
            "Description",
            "Tags",
            "Version",
            "DisableExecuteApiEndpoint",
            "DisableSchemaValidation",
            "FailOnWarnings",
            "BasePath",
            "RouteSelectionExpression",
            "ApiKeySelectionExpression",
            "IpAddressType",
        ],
    ),
    (
        "AWS::ApiGatewayV2::Route",
        &[
            "ApiId",
            "RouteKey",
            "Target",
            "AuthorizationType",
            "AuthorizerId",
            "AuthorizationScopes",
            "OperationName",
            "RequestParameters",
            "RouteResponseSelectionExpression",
            "ApiKeyRequired",
        ],
    ),
    (
        "AWS::ApiGatewayV2::RouteResponse",
        &[
            "ApiId",
            "RouteId",
            "RouteResponseKey",
            "ResponseModels",
            "ModelSelectionExpression",
        ],
    ),
    (
        "AWS::ApiGatewayV2::Integration",
        &[
            "ApiId",
            "IntegrationType",
            "IntegrationUri",
            "IntegrationMethod",
            "PayloadFormatVersion",
            "TimeoutInMillis",
            "RequestParameters",
            "ResponseParameters",
            "ConnectionType",
            "ConnectionId",
            "CredentialsArn",
            "Description",
            "IntegrationSubtype",
            "TlsConfig",
            "RequestTemplates",
            "TemplateSelectionExpression",
            "PassthroughBehavior",
        ],
    ),
    (
        "AWS::ApiGatewayV2::IntegrationResponse",
        &[
            "ApiId",
            "IntegrationId",
            "IntegrationResponseKey",
            "ResponseTemplates",
            "TemplateSelectionExpression",
        ],
    ),
    (
        "AWS::ApiGatewayV2::Stage",
        &[
            "ApiId",
            "StageName",
            "StageVariables",
            "DefaultRouteSettings",
            "RouteSettings",
            "AccessLogSettings",
            "AutoDeploy",
            "DeploymentId",
            "Description",
            "Tags",
            "ClientCertificateId",
        ],
    ),
    (
        "AWS::ApiGatewayV2::Authorizer",
        &[
            "ApiId",
            "Name",
            "AuthorizerType",
            "IdentitySource",
            "JwtConfiguration",
            "AuthorizerUri",
            "AuthorizerPayloadFormatVersion",
            "EnableSimpleResponses",
            "AuthorizerResultTtlInSeconds",
            "AuthorizerCredentialsArn",
        ],
    ),
    (
        "AWS::ApiGatewayV2::Deployment",
        &["ApiId", "Description", "StageName"],
    ),
];

/// Types that serve nothing by themselves: what they say is served through another resource.
const QUIET: &[&str] = &[
    "AWS::Lambda::Version",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::LayerVersionPermission",
];

/// The children of a REST API, which name it with `RestApiId`.
const REST_CHILDREN: &[&str] = &[
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::Model",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::GatewayResponse",
];

/// The children of an HTTP (or WebSocket) API, which name it with `ApiId`.
const HTTP_CHILDREN: &[&str] = &[
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Stage",
    "AWS::ApiGatewayV2::Authorizer",
    "AWS::ApiGatewayV2::Deployment",
    "AWS::ApiGatewayV2::RouteResponse",
    "AWS::ApiGatewayV2::IntegrationResponse",
    "AWS::ApiGatewayV2::Model",
];

/// The types other types of this module point at, or that are translated by this module.
const TRANSLATED: &[&str] = &[
    "AWS::Lambda::Function",
    "AWS::Lambda::Alias",
    "AWS::Lambda::Url",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::ApiKey",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::UsagePlanKey",
    "AWS::ApiGatewayV2::Api",
];

const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// How deep `AWS::Include` files may include others.
const MAX_INCLUDE_DEPTH: usize = 8;

/// What a Lambda integration's URI invokes.
enum Invokes {
    Function(String),
    /// A function named by a stage variable, resolved per request.
    StageVariable,
    /// Another AWS service, which Portico does not serve.
    Service,
}

/// What the methods of one REST API may name, by logical id.
#[derive(Default)]
struct RestNames {
    /// Authorizers: their security scheme's name and whether they are Cognito's.
    authorizers: BTreeMap<String, (String, bool)>,
    validators: BTreeMap<String, String>,
    models: BTreeMap<String, String>,
    /// Ids of resources already reported as broken: naming them adds no error.
    broken: BTreeSet<String>,
}

/// A usage plan, checked once for every API it names.
struct Plan {
    id: String,
    name: String,
    at: String,
    /// (API, stage, per-method throttles, template pointer of the entry)
    stages: Vec<(String, String, Map<String, Value>, String)>,
    usage: Map<String, Value>,
    /// Logical ids of its enabled API keys.
    keys: Vec<String>,
}

/// An API key: its name and, if given, its value.
struct Key {
    name: String,
    value: Option<String>,
    at: String,
}

impl Translation<'_> {
    /// What `Ref` and `Fn::GetAtt` of this module's resources give, over what `run` wrote for
    /// every API Gateway resource (its logical id).
    pub(super) fn cfn_known(
        &self,
        existing: &[(&String, &Map<String, Value>)],
        known: &mut BTreeMap<String, Resource>,
    ) {
        let arn_of = |name: &str| {
            format!(
                "arn:aws:lambda:{}:{}:function:{name}",
                self.region, self.account_id
            )
        };
        // The function a `TargetFunctionArn` or `FunctionName` names, as written.
        let target = |value: Option<&Value>| -> Option<String> {
            let resource = match value? {
                Value::String(s) => {
                    return Some(s.split(':').nth(6).unwrap_or(s).to_string());
                }
                Value::Object(o) => match (o.get("Ref"), o.get("Fn::GetAtt")) {
                    (Some(Value::String(r)), _) => r.clone(),
                    (_, Some(Value::Array(a))) if a.len() == 2 => a[0].as_str()?.to_string(),
                    (_, Some(Value::String(s))) => s.split('.').next()?.to_string(),
                    _ => return None,
                },
                _ => return None,
            };
            existing
                .iter()
                .find(|(id, r)| {
                    **id == resource
                        && matches!(
                            r.get("Type").and_then(Value::as_str),
                            Some("AWS::Lambda::Function" | "AWS::Serverless::Function")
                        )
                })
                .map(|(id, r)| function_name(id, r.get("Properties")))
        };
        for (id, resource) in existing {
            let id = id.as_str();
            let kind = resource.get("Type").and_then(Value::as_str).unwrap_or("");
            let props = resource.get("Properties");
            let text = |key: &str| props.and_then(|p| p.get(key)).and_then(Value::as_str);
            let entry = match kind {
                "AWS::ApiGateway::RestApi" => resource_of(
                    id.into(),
                    [
                        ("RootResourceId", root_of(id).into()),
                        ("RestApiId", id.into()),
                    ],
                ),
                "AWS::ApiGateway::Stage" | "AWS::ApiGatewayV2::Stage" => {
                    resource_of(text("StageName").unwrap_or(id).into(), [])
                }
                "AWS::ApiGateway::Resource" => resource_of(id.into(), [("ResourceId", id.into())]),
                "AWS::ApiGateway::Authorizer" | "AWS::ApiGatewayV2::Authorizer" => {
                    resource_of(id.into(), [("AuthorizerId", id.into())])
                }
                "AWS::ApiGateway::Deployment" | "AWS::ApiGatewayV2::Deployment" => {
                    resource_of(id.into(), [("DeploymentId", id.into())])
                }
                "AWS::ApiGateway::RequestValidator" => {
                    resource_of(id.into(), [("RequestValidatorId", id.into())])
                }
                "AWS::ApiGateway::ApiKey" => resource_of(id.into(), [("APIKeyId", id.into())]),
                "AWS::ApiGateway::UsagePlan" => resource_of(id.into(), [("Id", id.into())]),
                "AWS::ApiGatewayV2::Integration" => {
                    resource_of(id.into(), [("IntegrationId", id.into())])
                }
                "AWS::ApiGatewayV2::Route" => resource_of(id.into(), [("RouteId", id.into())]),
                "AWS::Lambda::Url" => {
                    let Some(name) = target(props.and_then(|p| p.get("TargetFunctionArn"))) else {
                        continue;
                    };
                    let host = match props
                        .and_then(|p| p.get("Qualifier"))
                        .and_then(Value::as_str)
                    {
                        Some(alias) if alias != "$LATEST" => format!("{alias}.{name}"),
                        _ => name.clone(),
                    };
                    let url = format!("http://{host}.lambda-url.localhost:3000/");
                    let arn = arn_of(&name);
                    resource_of(
                        arn.clone().into(),
                        [("FunctionUrl", url.into()), ("FunctionArn", arn.into())],
                    )
                }
                "AWS::Lambda::Version" => {
                    let Some(name) = target(props.and_then(|p| p.get("FunctionName"))) else {
                        continue;
                    };
                    let arn = format!("{}:1", arn_of(&name));
                    resource_of(
                        arn.clone().into(),
                        [("Version", "1".into()), ("FunctionArn", arn.into())],
                    )
                }
                "AWS::Lambda::Alias" => {
                    let Some(name) = target(props.and_then(|p| p.get("FunctionName"))) else {
                        continue;
                    };
                    let arn = format!("{}:{}", arn_of(&name), text("Name").unwrap_or(id));
                    resource_of(arn.clone().into(), [("AliasArn", arn.into())])
                }
                _ => continue,
            };
            known.insert(id.to_string(), entry);
        }
    }

    /// The template with every local `AWS::Include` spliced in.
    pub(super) fn cfn_include(&mut self, top: &Value) -> Value {
        let mut top = top.clone();
        self.cfn_splice(&mut top, "", &mut Vec::new());
        top
    }

    fn cfn_splice(&mut self, value: &mut Value, at: &str, stack: &mut Vec<PathBuf>) {
        match value {
            Value::Object(map) => {
                if map.len() == 1
                    && let Some(transform) = map.get("Fn::Transform")
                    && let Some(location) = include_location(transform)
                {
                    let location_at = child(
                        &child(&child(at, "Fn::Transform"), "Parameters"),
                        "Location",
                    );
                    if let Some((mut content, file)) =
                        self.cfn_read_include(&location, &location_at, stack)
                    {
                        stack.push(file);
                        self.cfn_splice(&mut content, at, stack);
                        stack.pop();
                        *value = content;
                    }
                    return;
                }
                for (key, v) in map.iter_mut() {
                    self.cfn_splice(v, &child(at, key), stack);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    self.cfn_splice(v, &format!("{at}/{i}"), stack);
                }
            }
            _ => {}
        }
    }

    /// The content of the file `AWS::Include` names, and the file.
    fn cfn_read_include(
        &mut self,
        location: &str,
        at: &str,
        stack: &[PathBuf],
    ) -> Option<(Value, PathBuf)> {
        let file = self.base.join(location);
        let canonical = file.canonicalize().unwrap_or_else(|_| file.clone());
        if stack.contains(&canonical) {
            self.error(
                at,
                format!("`{location}` includes itself"),
                "remove the `AWS::Include` that leads back to it",
            );
            return None;
        }
        if stack.len() >= MAX_INCLUDE_DEPTH {
            self.error(
                at,
                format!("`{location}` is included {MAX_INCLUDE_DEPTH} files deep"),
                "include fewer files in one another",
            );
            return None;
        }
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                self.error(
                    at,
                    format!("cannot read `{location}`, which `AWS::Include` names: {e}"),
                    "the path is relative to the template",
                );
                return None;
            }
        };
        match yaml::read(&text) {
            Ok(document) => Some((document.value, canonical)),
            Err(d) => {
                self.error(
                    at,
                    format!("{location}:{}:{}: {}", d.line, d.column, d.message),
                    "fix the included file's syntax",
                );
                None
            }
        }
    }

    /// Translates every resource of this module's types; the APIs, by name, for the config.
    pub(super) fn cloudformation(&mut self, all: &[Declared<'_>]) -> Vec<(String, Value)> {
        for d in all {
            self.cfn_known_properties(d);
        }
        for d in all.iter().filter(|d| d.kind == "AWS::Lambda::Function") {
            self.cfn_lambda_function(d);
        }
        for d in all.iter().filter(|d| d.kind == "AWS::Lambda::Alias") {
            self.cfn_lambda_alias(d);
        }
        let mut with_url = BTreeMap::new();
        for d in all.iter().filter(|d| d.kind == "AWS::Lambda::Url") {
            self.cfn_lambda_url(d, &mut with_url);
        }
        let mut apis = self.cfn_rest_apis(all);
        apis.extend(self.cfn_http_apis(all));
        for d in all {
            let kind = d.kind.as_str();
            if TRANSLATED.contains(&kind)
                || REST_CHILDREN.contains(&kind)
                || HTTP_CHILDREN.contains(&kind)
                || QUIET.contains(&kind)
            {
                continue;
            }
            let help = if kind.starts_with("AWS::Lambda::") {
                "Portico runs the template's functions and serves their URLs; invoke a function with `portico invoke` or the Invoke API to try it with such an event"
            } else {
                "Portico serves the template's APIs at http://<api>.execute-api.localhost:3000/<stage>/; this resource changes nothing there"
            };
            self.warn(
                &child(&d.at(), "Type"),
                format!("`{}` is an {kind}, which Portico does not serve", d.id),
                help,
            );
        }
        apis
    }

    /// Warns about the properties of `d` that Portico neither reads nor may ignore.
    fn cfn_known_properties(&mut self, d: &Declared<'_>) {
        let Some((_, known)) = PROPERTIES.iter().find(|(k, _)| *k == d.kind) else {
            return;
        };
        for key in d.properties.keys() {
            if !known.contains(&key.as_str()) {
                self.warn(
                    &d.prop(key),
                    format!("`{key}` of {} is not read by Portico", d.kind),
                    "it has no effect here",
                );
            }
        }
    }

    // ----- Lambda -------------------------------------------------------------------------

    /// An `AWS::Lambda::Function` as a Portico function.
    fn cfn_lambda_function(&mut self, d: &Declared<'_>) {
        let id = d.id.as_str();
        let name = function_name(id, d.written.get("Properties"));
        let out = child("/functions", &name);
        self.origin(&out, &d.at());
        let image = d.text("PackageType") == Some("Image")
            || d.get("Code").and_then(|c| c.get("ImageUri")).is_some();
        if image {
            let at = if d.get("PackageType").is_some() {
                d.prop("PackageType")
            } else {
                child(&d.prop("Code"), "ImageUri")
            };
            self.error(
                &at,
                format!("function `{id}` is a container image, which Portico does not run"),
                "package it as a zip: give `Code` (inline `ZipFile`, or a local asset folder), `Handler` and `Runtime`",
            );
            return;
        }
        let mut f = Map::new();
        let runtime = d.text("Runtime").unwrap_or_default().to_string();
        match d.get("Runtime") {
            Some(Value::String(r)) => {
                f.insert("runtime".into(), r.clone().into());
                self.origin(&format!("{out}/runtime"), &d.prop("Runtime"));
            }
            Some(other) => self.error(
                &d.prop("Runtime"),
                format!("`Runtime` is {}, not a runtime's name", kind(other)),
                "write e.g. `Runtime: python3.12`",
            ),
            None => self.error(
                &d.at(),
                format!("function `{id}` has no `Runtime`"),
                "give one, e.g. `Runtime: python3.12` (a zip function needs it)",
            ),
        }
        let handler = d.get("Handler").map(scalar_text);
        if let Some(handler) = &handler {
            f.insert("handler".into(), handler.clone().into());
            self.origin(&format!("{out}/handler"), &d.prop("Handler"));
        }
        if let Some(code) = self.cfn_lambda_code(d, &runtime, handler.as_deref()) {
            let (folder, from) = code;
            f.insert("code".into(), folder.into());
            self.origin(&format!("{out}/code"), &from);
        }
        self.lambda_settings(id, &d.properties, &out, &|key: &str| d.prop(key), &mut f);
        self.functions.insert(name, Value::Object(f));
    }

    /// The code folder of a function, relative to the template, and where it was written.
    fn cfn_lambda_code(
        &mut self,
        d: &Declared<'_>,
        runtime: &str,
        handler: Option<&str>,
    ) -> Option<(String, String)> {
        let id = d.id.as_str();
        let code_at = d.prop("Code");
        let Some(code) = d.get("Code") else {
            self.error(
                &d.at(),
                format!("function `{id}` has no `Code`"),
                "give `Code: {ZipFile: ...}` (inline source), or `Code: {S3Bucket, S3Key}` with the local folder in `Metadata: aws:asset:path`",
            );
            return None;
        };
        if let Some(zip) = code.get("ZipFile") {
            let at = child(&code_at, "ZipFile");
            if !zip.is_string() {
                self.error(
                    &at,
                    format!("`ZipFile` is {}, not the function's source", kind(zip)),
                    "write the source as text",
                );
                return None;
            }
            let Some(extension) = super::source_extension(runtime) else {
                if !runtime.is_empty() {
                    self.error(
                        &at,
                        format!("inline `ZipFile` code cannot run on {runtime}"),
                        "Lambda takes `ZipFile` source for Python and Node.js functions only; give the code as a folder (an asset)",
                    );
                }
                return None;
            };
            if let Some(handler) = handler
                && handler.rsplit_once('.').map(|(m, _)| m) != Some("index")
            {
                self.error(
                    &d.prop("Handler"),
                    format!("Lambda saves `ZipFile` code as index.{extension}, so the handler `{handler}` names no file"),
                    "write `Handler: index.<function>`",
                );
                return None;
            }
            let folder = self.inline_code(id, runtime, "index.handler", zip, &at)?;
            return Some((folder, at));
        }
        if code.get("S3Bucket").is_some() || code.get("S3Key").is_some() {
            let metadata = d.written.get("Metadata");
            let asset = metadata
                .and_then(|m| m.get("aws:asset:path"))
                .and_then(Value::as_str);
            let property = metadata
                .and_then(|m| m.get("aws:asset:property"))
                .and_then(Value::as_str);
            let asset_at = child(&child(&d.at(), "Metadata"), "aws:asset:path");
            match asset {
                Some(path) if property.is_none_or(|p| p == "Code") => {
                    let full = self.base.join(path);
                    if full.is_file() {
                        self.error(
                            &asset_at,
                            format!("the asset `{path}` is a file (an archive?), not the code's folder"),
                            "unzip it into a folder and name that folder, or let CDK stage the folder itself (`Code.fromAsset(dir)`)",
                        );
                        return None;
                    }
                    if !full.is_dir() {
                        self.error(
                            &asset_at,
                            format!("the asset folder `{path}` does not exist beside the template"),
                            "run `cdk synth` again: it writes the asset folders beside the template in cdk.out",
                        );
                        return None;
                    }
                    return Some((path.to_string(), asset_at));
                }
                _ => {
                    let place = format!(
                        "s3://{}/{}",
                        code.get("S3Bucket").map(scalar_text).unwrap_or_default(),
                        code.get("S3Key").map(scalar_text).unwrap_or_default()
                    );
                    self.error(
                        &code_at,
                        format!("the code of `{id}` is in S3 (`{place}`), which Portico does not read"),
                        "name its local folder in the resource's `Metadata: {aws:asset:path: <folder>}` (as `cdk synth` does), or inline the source as `ZipFile`",
                    );
                    return None;
                }
            }
        }
        self.error(
            &code_at,
            format!("`Code` of `{id}` has neither `ZipFile` nor `S3Bucket` and `S3Key`"),
            "give `ZipFile: <source>`, or `S3Bucket`/`S3Key` with the local folder in `Metadata: aws:asset:path`",
        );
        None
    }

    /// An `AWS::Lambda::Url` as its function's `url:`.
    /// `with_url`: the functions given a URL so far, and by which resource.
    fn cfn_lambda_url(&mut self, d: &Declared<'_>, with_url: &mut BTreeMap<String, String>) {
        let target = match d.get("TargetFunctionArn") {
            Some(Value::String(t)) => t.clone(),
            Some(other) => {
                self.error(
                    &d.prop("TargetFunctionArn"),
                    format!("`TargetFunctionArn` is {}, not a function", kind(other)),
                    "write `TargetFunctionArn: !GetAtt MyFunction.Arn`",
                );
                return;
            }
            None => {
                self.error(
                    &d.at(),
                    format!("`{}` has no `TargetFunctionArn`", d.id),
                    "write `TargetFunctionArn: !GetAtt MyFunction.Arn`",
                );
                return;
            }
        };
        let Some(name) = self.function_of_arn(&target, &d.prop("TargetFunctionArn")) else {
            return;
        };
        // The URL of an alias: `Qualifier`, or an alias ARN as the target.
        let qualifier = d
            .get("Qualifier")
            .map(scalar_text)
            .or_else(|| target.split(':').nth(7).map(str::to_string));
        let url = self.function_url(
            &Value::Object(d.properties.clone()),
            &child(&d.at(), "Properties"),
        );
        let Some(Value::Object(function)) = self.functions.get_mut(&name) else {
            // Not translated: its own problem is reported.
            return;
        };
        let (f, out) = match qualifier.as_deref() {
            None | Some("$LATEST") => (function, child("/functions", &name)),
            Some(alias) => match function
                .get_mut("aliases")
                .and_then(|a| a.get_mut(alias))
                .and_then(Value::as_object_mut)
            {
                Some(entry) => (
                    entry,
                    child(&child(&child("/functions", &name), "aliases"), alias),
                ),
                None => {
                    let at = if d.get("Qualifier").is_some() {
                        d.prop("Qualifier")
                    } else {
                        d.prop("TargetFunctionArn")
                    };
                    self.error(
                        &at,
                        format!("`{name}` has no alias `{alias}` in this template"),
                        "declare it as an `AWS::Lambda::Alias` of the function, or give the URL to the function itself",
                    );
                    return;
                }
            },
        };
        let name = match &qualifier {
            Some(alias) if alias != "$LATEST" => format!("{name}:{alias}"),
            _ => name,
        };
        if f.contains_key("url") {
            let from = match with_url.get(&name) {
                Some(other) => format!("`{other}`"),
                None => "its `FunctionUrlConfig`".to_string(),
            };
            self.error(
                &d.prop("TargetFunctionArn"),
                format!("function `{name}` has a URL already, from {from}"),
                "give a function one URL",
            );
            return;
        }
        with_url.insert(name.clone(), d.id.clone());
        f.insert("url".into(), url);
        self.origin(&format!("{out}/url"), &d.at());
    }

    /// An `AWS::Lambda::Alias` as one of its function's `aliases:`, naming the version
    /// `FunctionVersion` gives (every version is the function's code as it is).
    fn cfn_lambda_alias(&mut self, d: &Declared<'_>) {
        let Some(target) = d.text("FunctionName").map(str::to_string) else {
            self.error(
                &d.prop("FunctionName"),
                format!("`{}` has no `FunctionName` naming a function", d.id),
                "write `FunctionName: !Ref MyFunction`",
            );
            return;
        };
        let Some(function) = self.function_of_arn(&target, &d.prop("FunctionName")) else {
            return;
        };
        let Some(alias) = d.text("Name").map(str::to_string) else {
            self.error(
                &d.at(),
                format!("`{}` has no `Name`", d.id),
                "name the alias: `Name: live`",
            );
            return;
        };
        let version = match d.get("FunctionVersion").map(scalar_text) {
            Some(v) => match v.parse::<u32>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    self.warn(
                        &d.prop("FunctionVersion"),
                        format!("alias `{alias}` names version `{v}`; Portico serves it as version 1"),
                        "every version is the function's code as it is; point the alias at `!GetAtt MyVersion.Version`",
                    );
                    1
                }
            },
            None => 1,
        };
        let Some(Value::Object(f)) = self.functions.get_mut(&function) else {
            // Not translated: its own problem is reported.
            return;
        };
        let entry = match version {
            1 => json!({}),
            n => json!({ "version": n }),
        };
        let aliases = f.entry("aliases").or_insert_with(|| json!({}));
        if let Some(aliases) = aliases.as_object_mut() {
            aliases.insert(alias.clone(), entry);
        }
        let out = child(&child(&child("/functions", &function), "aliases"), &alias);
        self.origin(&out, &d.at());
    }

    /// The function an invocation ARN names, with its alias or version if it names one
    /// (`Name:live`), as integrations invoke it.
    fn invoked_of_arn(&mut self, arn: &str, at: &str) -> Option<String> {
        let name = self.function_of_arn(arn, at)?;
        let qualifier = arn.split(':').nth(7).filter(|_| arn.starts_with("arn:"));
        Some(match qualifier {
            Some(q) => format!("{name}:{q}"),
            None => name,
        })
    }

    /// What the integration URI `uri` (at `at`) invokes; `None` when it is broken (reported).
    /// `bare` allows a function ARN or name in place of API Gateway's invocation URI, as
    /// HTTP APIs do.
    fn cfn_invokes(&mut self, uri: &str, at: &str, bare: bool) -> Option<Invokes> {
        const FORM: &str = "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function ARN}/invocations";
        let parts: Vec<&str> = uri.splitn(6, ':').collect();
        if parts.len() == 6 && parts[0] == "arn" && parts[2] == "apigateway" {
            if parts[4] != "lambda" {
                return Some(Invokes::Service);
            }
            let Some(function) = parts[5]
                .strip_prefix("path/2015-03-31/functions/")
                .and_then(|f| f.strip_suffix("/invocations"))
            else {
                self.error(
                    at,
                    format!("`{uri}` does not invoke a function"),
                    format!("write {FORM}"),
                );
                return None;
            };
            if function.contains("${stageVariables.") {
                return Some(Invokes::StageVariable);
            }
            return self.invoked_of_arn(function, at).map(Invokes::Function);
        }
        let lambda_arn = parts.len() >= 6 && parts[0] == "arn" && parts[2] == "lambda";
        if bare && (lambda_arn || !uri.contains(':')) {
            return self.invoked_of_arn(uri, at).map(Invokes::Function);
        }
        if lambda_arn {
            self.error(
                at,
                format!("`{uri}` is a function ARN, not an API Gateway invocation URI"),
                format!("wrap it: arn:aws:apigateway:{}:lambda:path/2015-03-31/functions/{uri}/invocations", self.region),
            );
        } else {
            self.error(
                at,
                format!("`{uri}` is not a Lambda invocation URI"),
                format!("write {FORM}, e.g. with `!Sub` and `${{MyFunction.Arn}}`"),
            );
        }
        None
    }

    // ----- REST APIs ----------------------------------------------------------------------

    /// Every `AWS::ApiGateway::RestApi` with its resources, as Portico's `protocol: rest` APIs.
    fn cfn_rest_apis(&mut self, all: &[Declared<'_>]) -> Vec<(String, Value)> {
        let apis: BTreeMap<&str, &Declared<'_>> = all
            .iter()
            .filter(|d| d.kind == "AWS::ApiGateway::RestApi")
            .map(|d| (d.id.as_str(), d))
            .collect();
        let mut children: BTreeMap<&str, Vec<&Declared<'_>>> = BTreeMap::new();
        for d in all
            .iter()
            .filter(|d| REST_CHILDREN.contains(&d.kind.as_str()))
        {
            if let Some(api) = self.cfn_parent(d, "RestApiId", &apis, "AWS::ApiGateway::RestApi") {
                children.entry(api).or_default().push(d);
            }
        }
        let keys = self.cfn_api_keys(all);
        let plans = self.cfn_usage_plans(all, &apis, &keys);
        let mut out = Vec::new();
        for (id, api) in &apis {
            let mine = children.get(id).map(Vec::as_slice).unwrap_or_default();
            if let Some(emitted) = self.cfn_rest_api(api, mine, &plans, &keys) {
                out.push((id.to_string(), emitted));
            }
        }
        out
    }

    /// The API `d` names with its property `key`, which must be one of `apis`.
    fn cfn_parent<'a>(
        &mut self,
        d: &Declared<'_>,
        key: &str,
        apis: &BTreeMap<&'a str, &Declared<'_>>,
        api_kind: &str,
    ) -> Option<&'a str> {
        match d.get(key) {
            Some(Value::String(api)) => match apis.get_key_value(api.as_str()) {
                Some((name, _)) => Some(name),
                None => {
                    self.error(
                        &d.prop(key),
                        format!("`{api}` is not an {api_kind} of this template"),
                        format!("write `{key}: !Ref MyApi`, MyApi being an {api_kind}"),
                    );
                    None
                }
            },
            Some(other) => {
                self.error(
                    &d.prop(key),
                    format!("`{key}` is {}, not an API", kind(other)),
                    format!("write `{key}: !Ref MyApi`, MyApi being an {api_kind}"),
                );
                None
            }
            None => {
                self.error(
                    &d.at(),
                    format!("`{}` has no `{key}`", d.id),
                    format!("name its API: `{key}: !Ref MyApi`, MyApi being an {api_kind}"),
                );
                None
            }
        }
    }

    /// One REST API: `None` when it has no stage (not invokable, as on AWS).
    fn cfn_rest_api(
        &mut self,
        api: &Declared<'_>,
        children: &[&Declared<'_>],
        plans: &[Plan],
        keys: &BTreeMap<String, Key>,
    ) -> Option<Value> {
        let name = api.id.as_str();
        let of = |kind: &'static str| children.iter().copied().filter(move |d| d.kind == kind);
        let mut doc = self.cfn_rest_body(api);
        let body_is_openapi3 = doc.contains_key("openapi");
        if !doc.contains_key("swagger") && !body_is_openapi3 {
            doc.insert("swagger".into(), "2.0".into());
        }
        let title = api.text("Name").unwrap_or(name).to_string();
        doc.entry("info")
            .or_insert_with(|| json!({"title": title, "version": "1.0"}));

        let mut names = RestNames::default();
        let mut security = Map::new();
        for a in of("AWS::ApiGateway::Authorizer") {
            match self.cfn_rest_authorizer(a) {
                Some((scheme, definition, cognito)) => {
                    if security.contains_key(&scheme) {
                        self.error(
                            &a.prop("Name"),
                            format!("two authorizers of `{name}` are named `{scheme}`"),
                            "give each authorizer of an API its own `Name`",
                        );
                        names.broken.insert(a.id.clone());
                        continue;
                    }
                    security.insert(scheme.clone(), definition);
                    names.authorizers.insert(a.id.clone(), (scheme, cognito));
                }
                None => {
                    names.broken.insert(a.id.clone());
                }
            }
        }
        let mut validators = Map::new();
        for v in of("AWS::ApiGateway::RequestValidator") {
            let validator_name = v.text("Name").unwrap_or(&v.id).to_string();
            let mut flags = Map::new();
            for (key, out) in [
                ("ValidateRequestBody", "validateRequestBody"),
                ("ValidateRequestParameters", "validateRequestParameters"),
            ] {
                let on = match v.get(key) {
                    None => false,
                    Some(value) => match flag(value) {
                        Some(b) => b,
                        None => {
                            self.error(
                                &v.prop(key),
                                format!("`{key}` is {}, not true or false", kind(value)),
                                format!("write `{key}: true` or `false`"),
                            );
                            false
                        }
                    },
                };
                flags.insert(out.into(), on.into());
            }
            if validators.contains_key(&validator_name) {
                self.error(
                    &v.prop("Name"),
                    format!("two request validators of `{name}` are named `{validator_name}`"),
                    "give each validator of an API its own `Name`",
                );
                names.broken.insert(v.id.clone());
                continue;
            }
            validators.insert(validator_name.clone(), Value::Object(flags));
            names.validators.insert(v.id.clone(), validator_name);
        }
        let mut definitions = Map::new();
        for m in of("AWS::ApiGateway::Model") {
            match self.cfn_rest_model(m) {
                Some((model_name, schema)) => {
                    if definitions.contains_key(&model_name) {
                        self.error(
                            &m.prop("Name"),
                            format!("two models of `{name}` are named `{model_name}`"),
                            "give each model of an API its own `Name`",
                        );
                        names.broken.insert(m.id.clone());
                        continue;
                    }
                    definitions.insert(model_name.clone(), schema);
                    names.models.insert(m.id.clone(), model_name);
                }
                None => {
                    names.broken.insert(m.id.clone());
                }
            }
        }

        let resources: Vec<&Declared<'_>> = of("AWS::ApiGateway::Resource").collect();
        let paths = self.cfn_rest_paths(name, &resources);
        let mut operations: BTreeMap<(String, String), (String, Map<String, Value>)> =
            BTreeMap::new();
        for m in of("AWS::ApiGateway::Method") {
            let Some((path, op_key, op)) =
                self.cfn_rest_method(m, name, &paths, &names, &mut security, &mut definitions)
            else {
                continue;
            };
            let key = (path, op_key);
            if let Some((other, _)) = operations.get(&key) {
                self.error(
                    &m.prop("HttpMethod"),
                    format!(
                        "`{} {}` is defined twice, here and by `{other}`",
                        method_name(&key.1),
                        key.0
                    ),
                    "give each resource one method per HTTP method",
                );
                continue;
            }
            operations.insert(key, (m.id.clone(), op));
        }
        let methods: Vec<(String, String)> = operations
            .keys()
            .map(|(path, op_key)| (method_name(op_key), path.clone()))
            .collect();
        if body_is_openapi3 && !operations.is_empty() {
            self.error(
                &api.prop("Body"),
                format!("the `Body` of `{name}` is an OpenAPI 3 document, which its AWS::ApiGateway::Method resources cannot join"),
                "write those methods into the Body, or the Body in Swagger 2 (`swagger: \"2.0\"`)",
            );
        }
        let doc_paths = doc
            .entry("paths")
            .or_insert_with(|| Value::Object(Map::new()));
        let mut in_body = Vec::new();
        if let Value::Object(doc_paths) = doc_paths {
            for ((path, op_key), (method_id, op)) in operations {
                let item = doc_paths
                    .entry(path.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(item) = item {
                    if item.contains_key(&op_key) {
                        in_body.push((method_id, format!("{} {path}", method_name(&op_key))));
                    } else {
                        item.insert(op_key, Value::Object(op));
                    }
                }
            }
        }
        for (method_id, method) in in_body {
            self.error(
                &child(&child("/Resources", &method_id), "Properties"),
                format!("`{method}` of `{name}` is in its `Body` already"),
                "define the method once: in the Body or as an AWS::ApiGateway::Method",
            );
        }
        let mut responses = Map::new();
        for g in of("AWS::ApiGateway::GatewayResponse") {
            let Some(kind_name) = g.text("ResponseType") else {
                self.error(
                    &g.at(),
                    format!("`{}` has no `ResponseType`", g.id),
                    "name the response it customises, e.g. `ResponseType: MISSING_AUTHENTICATION_TOKEN` or `DEFAULT_4XX`",
                );
                continue;
            };
            let mut r = Map::new();
            if let Some(status) = g.get("StatusCode") {
                r.insert("statusCode".into(), scalar_text(status).into());
            }
            for (key, out) in [
                ("ResponseParameters", "responseParameters"),
                ("ResponseTemplates", "responseTemplates"),
            ] {
                if let Some(value) = g.get(key) {
                    r.insert(out.into(), value.clone());
                }
            }
            if responses.contains_key(kind_name) {
                self.error(
                    &g.prop("ResponseType"),
                    format!("`{name}` customises the gateway response `{kind_name}` twice"),
                    "keep one AWS::ApiGateway::GatewayResponse per response type",
                );
                continue;
            }
            responses.insert(kind_name.to_string(), Value::Object(r));
        }
        if !responses.is_empty() {
            doc.insert(
                "x-amazon-apigateway-gateway-responses".into(),
                Value::Object(responses),
            );
        }
        if !security.is_empty() {
            let key = if body_is_openapi3 {
                "securitySchemes"
            } else {
                "securityDefinitions"
            };
            let section = if body_is_openapi3 {
                let components = doc
                    .entry("components")
                    .or_insert_with(|| Value::Object(Map::new()));
                match components {
                    Value::Object(c) => c.entry(key).or_insert_with(|| Value::Object(Map::new())),
                    other => other,
                }
            } else {
                doc.entry(key).or_insert_with(|| Value::Object(Map::new()))
            };
            if let Value::Object(section) = section {
                for (k, v) in security {
                    section.entry(k).or_insert(v);
                }
            }
        }
        if !validators.is_empty() {
            let section = doc
                .entry("x-amazon-apigateway-request-validators")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(section) = section {
                section.extend(validators);
            }
        }
        if !definitions.is_empty() {
            let section = doc
                .entry("definitions")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(section) = section {
                section.extend(definitions);
            }
        }
        match api.get("BinaryMediaTypes") {
            None => {}
            Some(Value::Array(types)) => {
                doc.insert(
                    "x-amazon-apigateway-binary-media-types".into(),
                    super::sam::binary_media_types(types),
                );
            }
            Some(other) => self.error(
                &api.prop("BinaryMediaTypes"),
                format!("`BinaryMediaTypes` is {}, not a list", kind(other)),
                "write e.g. `BinaryMediaTypes: [image/png, \"*/*\"]`",
            ),
        }
        if let Some(source) = api.get("ApiKeySourceType") {
            doc.insert(
                "x-amazon-apigateway-api-key-source".into(),
                scalar_text(source).into(),
            );
        }

        let stages = self.cfn_rest_stages(children, &methods);
        if stages.is_empty() {
            self.warn(
                &api.at(),
                format!("the REST API `{name}` has no stage, so it cannot be invoked and is not served"),
                "add an AWS::ApiGateway::Stage, or give its AWS::ApiGateway::Deployment a `StageName`",
            );
            return None;
        }
        let out = child("/apis", name);
        self.origin(&out, &api.at());
        self.origin(&format!("{out}/openapi"), &api.at());
        let mut emitted = Map::new();
        emitted.insert("protocol".into(), "rest".into());
        emitted.insert("openapi".into(), Value::Object(doc));
        let mut stage_map = Map::new();
        for (stage_name, stage, at) in stages {
            self.origin(&child(&format!("{out}/stages"), &stage_name), &at);
            stage_map.insert(stage_name, Value::Object(stage));
        }
        let stage_names: BTreeSet<String> = stage_map.keys().cloned().collect();
        emitted.insert("stages".into(), Value::Object(stage_map));
        self.cfn_rest_usage(name, &out, &stage_names, plans, keys, &mut emitted);
        Some(Value::Object(emitted))
    }

    /// The document in a REST API's `Body`, the start of its OpenAPI document.
    fn cfn_rest_body(&mut self, api: &Declared<'_>) -> Map<String, Value> {
        if api.get("BodyS3Location").is_some() {
            self.error(
                &api.prop("BodyS3Location"),
                format!("the OpenAPI document of `{}` is in S3, which Portico does not read", api.id),
                "put the document in `Body` (`Body: {Fn::Transform: {Name: AWS::Include, Parameters: {Location: ./api.yaml}}}` reads a local file)",
            );
        }
        match api.get("Body") {
            None => Map::new(),
            Some(Value::Object(body)) => body.clone(),
            Some(Value::String(text)) => match yaml::read(text) {
                Ok(yaml::Document {
                    value: Value::Object(body),
                    ..
                }) => body,
                _ => {
                    self.error(
                        &api.prop("Body"),
                        "`Body` is text that is not an OpenAPI document",
                        "write the document as a mapping (JSON or YAML)",
                    );
                    Map::new()
                }
            },
            Some(other) => {
                self.error(
                    &api.prop("Body"),
                    format!("`Body` is {}, not an OpenAPI document", kind(other)),
                    "write the document as a mapping (JSON or YAML)",
                );
                Map::new()
            }
        }
    }

    /// An `AWS::ApiGateway::Authorizer` as a Swagger security scheme: its name, the scheme,
    /// and whether it is a Cognito one.
    fn cfn_rest_authorizer(&mut self, a: &Declared<'_>) -> Option<(String, Value, bool)> {
        let scheme = a.text("Name").unwrap_or(&a.id).to_string();
        let kind_name = match a.text("Type").map(str::to_ascii_uppercase) {
            Some(k) if ["TOKEN", "REQUEST", "COGNITO_USER_POOLS"].contains(&k.as_str()) => k,
            Some(k) => {
                self.error(
                    &a.prop("Type"),
                    format!("`{k}` is not an authorizer type"),
                    "use TOKEN, REQUEST or COGNITO_USER_POOLS",
                );
                return None;
            }
            None => {
                self.error(
                    &a.at(),
                    format!("authorizer `{}` has no `Type`", a.id),
                    "write `Type: TOKEN`, `REQUEST` or `COGNITO_USER_POOLS`",
                );
                return None;
            }
        };
        let mut authorizer = Map::new();
        authorizer.insert("type".into(), kind_name.to_ascii_lowercase().into());
        let source = a.get("IdentitySource").map(scalar_text);
        if let Some(source) = &source {
            authorizer.insert("identitySource".into(), source.clone().into());
        }
        let cognito = kind_name == "COGNITO_USER_POOLS";
        if cognito {
            match a.get("ProviderARNs") {
                Some(Value::Array(arns)) if !arns.is_empty() => {
                    authorizer.insert("providerARNs".into(), Value::Array(arns.clone()));
                }
                _ => {
                    self.error(
                        &a.prop("ProviderARNs"),
                        "a Cognito authorizer needs `ProviderARNs`, its user pools' ARNs",
                        "write `ProviderARNs: [!GetAtt MyUserPool.Arn]`",
                    );
                    return None;
                }
            }
        } else {
            let Some(uri) = a.text("AuthorizerUri") else {
                self.error(
                    &a.at(),
                    format!("the Lambda authorizer `{}` has no `AuthorizerUri`", a.id),
                    "name its function: `AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${MyAuthFunction.Arn}/invocations`",
                );
                return None;
            };
            match self.cfn_invokes(uri, &a.prop("AuthorizerUri"), false)? {
                Invokes::Function(_) | Invokes::StageVariable => {}
                Invokes::Service => {
                    self.error(
                        &a.prop("AuthorizerUri"),
                        format!("`{uri}` invokes an AWS service, not a Lambda function"),
                        "an authorizer calls a Lambda function: name it in the URI",
                    );
                    return None;
                }
            }
            authorizer.insert("authorizerUri".into(), uri.into());
            if kind_name == "TOKEN" && source.is_none() {
                self.error(
                    &a.at(),
                    format!("the TOKEN authorizer `{}` has no `IdentitySource`", a.id),
                    "name the header with the token: `IdentitySource: method.request.header.Authorization`",
                );
                return None;
            }
        }
        if let Some(expression) = a.get("IdentityValidationExpression") {
            authorizer.insert(
                "identityValidationExpression".into(),
                scalar_text(expression).into(),
            );
        }
        if let Some(ttl) = a.get("AuthorizerResultTtlInSeconds") {
            match number(ttl) {
                Some(n) => {
                    authorizer.insert("authorizerResultTtlInSeconds".into(), n.into());
                }
                None => {
                    self.error(
                        &a.prop("AuthorizerResultTtlInSeconds"),
                        format!(
                            "`AuthorizerResultTtlInSeconds` is {}, not a number",
                            kind(ttl)
                        ),
                        "give the seconds a decision is cached, 0 to 3600",
                    );
                    return None;
                }
            }
        }
        // The scheme names the header of a token (or Cognito) authorizer.
        let header = source
            .as_deref()
            .and_then(|s| s.trim().strip_prefix("method.request.header."))
            .filter(|_| kind_name != "REQUEST")
            .unwrap_or(if kind_name == "REQUEST" {
                "Unused"
            } else {
                "Authorization"
            })
            .to_string();
        let authtype = if cognito {
            "cognito_user_pools"
        } else {
            "custom"
        };
        Some((
            scheme,
            json!({
                "type": "apiKey", "name": header, "in": "header",
                "x-amazon-apigateway-authtype": authtype,
                "x-amazon-apigateway-authorizer": Value::Object(authorizer),
            }),
            cognito,
        ))
    }

    /// An `AWS::ApiGateway::Model`: its name and schema.
    fn cfn_rest_model(&mut self, m: &Declared<'_>) -> Option<(String, Value)> {
        let model_name = m.text("Name").unwrap_or(&m.id).to_string();
        if model_name.is_empty() || !model_name.chars().all(|c| c.is_ascii_alphanumeric()) {
            self.error(
                &m.prop("Name"),
                format!("model name `{model_name}` is not alphanumeric"),
                "API Gateway's model names are letters and digits only",
            );
            return None;
        }
        let schema = match m.get("Schema") {
            Some(Value::Object(schema)) => Value::Object(schema.clone()),
            Some(Value::String(text)) => {
                match serde_json::from_str::<Value>(text) {
                    Ok(schema @ Value::Object(_)) => schema,
                    _ => {
                        self.error(
                        &m.prop("Schema"),
                        format!("the schema of model `{model_name}` is text that is not a JSON schema"),
                        "write the schema as a mapping (JSON Schema draft 4)",
                    );
                        return None;
                    }
                }
            }
            Some(other) => {
                self.error(
                    &m.prop("Schema"),
                    format!(
                        "the schema of model `{model_name}` is {}, not a JSON schema",
                        kind(other)
                    ),
                    "write the schema as a mapping (JSON Schema draft 4)",
                );
                return None;
            }
            None => json!({"type": "object"}),
        };
        Some((model_name, schema))
    }

    /// The path of every `AWS::ApiGateway::Resource` of `api` (`None`: broken, reported).
    fn cfn_rest_paths(
        &mut self,
        api: &str,
        resources: &[&Declared<'_>],
    ) -> BTreeMap<String, Option<String>> {
        let root = root_of(api);
        let ids: BTreeSet<&str> = resources.iter().map(|r| r.id.as_str()).collect();
        // Each resource's parent and path part, when both are sound.
        let mut links: BTreeMap<&str, (String, String)> = BTreeMap::new();
        for r in resources {
            let part = match r.get("PathPart") {
                Some(Value::String(p)) if !p.is_empty() && !p.contains('/') => p.clone(),
                Some(other) => {
                    self.error(
                        &r.prop("PathPart"),
                        format!("`{}` is not one path segment", scalar_text(other)),
                        "write one segment without `/`: `items`, `{id}` or `{proxy+}`",
                    );
                    continue;
                }
                None => {
                    self.error(
                        &r.at(),
                        format!("resource `{}` has no `PathPart`", r.id),
                        "give its path segment, e.g. `PathPart: items`",
                    );
                    continue;
                }
            };
            let parent = match r.get("ParentId") {
                Some(Value::String(p)) if *p == root || ids.contains(p.as_str()) => p.clone(),
                Some(other) => {
                    self.error(
                        &r.prop("ParentId"),
                        format!("`{}` is neither the root of `{api}` nor one of its AWS::ApiGateway::Resources", scalar_text(other)),
                        format!("write `ParentId: !GetAtt {api}.RootResourceId`, or `!Ref` a resource of the same API"),
                    );
                    continue;
                }
                None => {
                    self.error(
                        &r.at(),
                        format!("resource `{}` has no `ParentId`", r.id),
                        format!("write `ParentId: !GetAtt {api}.RootResourceId`, or `!Ref` its parent resource"),
                    );
                    continue;
                }
            };
            links.insert(r.id.as_str(), (parent, part));
        }
        let mut paths = BTreeMap::new();
        let mut by_path: BTreeMap<String, &str> = BTreeMap::new();
        for r in resources {
            let mut segments = Vec::new();
            let mut current = r.id.as_str();
            let mut seen = BTreeSet::new();
            let path = loop {
                if !seen.insert(current) {
                    self.error(
                        &r.prop("ParentId"),
                        format!("resource `{}` is among its own parents", r.id),
                        "point `ParentId` up the tree, towards the API's root",
                    );
                    break None;
                }
                let Some((parent, part)) = links.get(current) else {
                    break None;
                };
                segments.push(part.as_str());
                if *parent == root {
                    segments.reverse();
                    break Some(format!("/{}", segments.join("/")));
                }
                current = parent.as_str();
            };
            if let Some(path) = &path {
                if let Some(other) = by_path.get(path) {
                    self.error(
                        &r.prop("PathPart"),
                        format!("`{path}` is the path of `{other}` already"),
                        "give the resources under one parent different `PathPart`s",
                    );
                    paths.insert(r.id.clone(), None);
                    continue;
                }
                by_path.insert(path.clone(), r.id.as_str());
            }
            paths.insert(r.id.clone(), path);
        }
        paths
    }

    /// An `AWS::ApiGateway::Method` as a Swagger operation: its path, its key in the path
    /// item and the operation.
    fn cfn_rest_method(
        &mut self,
        m: &Declared<'_>,
        api: &str,
        paths: &BTreeMap<String, Option<String>>,
        names: &RestNames,
        security: &mut Map<String, Value>,
        definitions: &mut Map<String, Value>,
    ) -> Option<(String, String, Map<String, Value>)> {
        let root = root_of(api);
        let path = match m.get("ResourceId") {
            Some(Value::String(r)) if *r == root => "/".to_string(),
            Some(Value::String(r)) => match paths.get(r) {
                Some(Some(path)) => path.clone(),
                Some(None) => return None,
                None => {
                    self.error(
                        &m.prop("ResourceId"),
                        format!("`{r}` is not an AWS::ApiGateway::Resource of the API `{api}`"),
                        format!("write `ResourceId: !Ref MyResource` (a resource whose `RestApiId` is `{api}`), or `!GetAtt {api}.RootResourceId` for its root"),
                    );
                    return None;
                }
            },
            Some(other) => {
                self.error(
                    &m.prop("ResourceId"),
                    format!("`ResourceId` is {}, not a resource", kind(other)),
                    "write `ResourceId: !Ref MyResource`",
                );
                return None;
            }
            None => {
                self.error(
                    &m.at(),
                    format!("method `{}` has no `ResourceId`", m.id),
                    format!("write `ResourceId: !Ref MyResource`, or `!GetAtt {api}.RootResourceId` for the root"),
                );
                return None;
            }
        };
        let method = match m.get("HttpMethod") {
            Some(h) => scalar_text(h).to_ascii_uppercase(),
            None => {
                self.error(
                    &m.at(),
                    format!("method `{}` has no `HttpMethod`", m.id),
                    "write e.g. `HttpMethod: GET` (or ANY)",
                );
                return None;
            }
        };
        let op_key = if method == "ANY" {
            "x-amazon-apigateway-any-method".to_string()
        } else if HTTP_METHODS.contains(&method.as_str()) {
            method.to_ascii_lowercase()
        } else {
            self.error(
                &m.prop("HttpMethod"),
                format!("`{method}` is not an HTTP method"),
                "use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY",
            );
            return None;
        };
        let mut op = Map::new();
        let mut ok = true;
        let mut parameters = Vec::new();
        match m.get("RequestParameters") {
            None => {}
            Some(Value::Object(declared)) => {
                for (key, required) in declared {
                    let at = child(&m.prop("RequestParameters"), key);
                    let Some(required) = flag(required) else {
                        self.error(
                            &at,
                            format!("`{key}` is {}, not true or false", kind(required)),
                            "write `true` for a required parameter, `false` for an optional one",
                        );
                        ok = false;
                        continue;
                    };
                    let split = key
                        .strip_prefix("method.request.")
                        .and_then(|rest| rest.split_once('.'))
                        .filter(|(_, name)| !name.is_empty());
                    let location = match split {
                        Some(("querystring" | "multivaluequerystring", _)) => "query",
                        Some(("header" | "multivalueheader", _)) => "header",
                        Some(("path", name)) => {
                            let in_path = path.split('/').any(|s| {
                                s.strip_prefix('{')
                                    .and_then(|s| s.strip_suffix('}'))
                                    .is_some_and(|s| s.trim_end_matches('+') == name)
                            });
                            if !in_path {
                                self.error(
                                    &at,
                                    format!("the path `{path}` has no parameter `{name}`"),
                                    format!("declare path parameters the resource's `PathPart` has, e.g. `{{{name}}}`"),
                                );
                                ok = false;
                                continue;
                            }
                            "path"
                        }
                        _ => {
                            self.error(
                                &at,
                                format!("`{key}` is not a method request parameter"),
                                "write method.request.querystring.<name>, method.request.header.<name> or method.request.path.<name>",
                            );
                            ok = false;
                            continue;
                        }
                    };
                    let name = split.map(|(_, n)| n).unwrap_or_default();
                    parameters.push(json!({"name": name, "in": location, "required": required, "type": "string"}));
                }
            }
            Some(other) => {
                self.error(
                    &m.prop("RequestParameters"),
                    format!("`RequestParameters` is {}, not a mapping", kind(other)),
                    "write e.g. `RequestParameters: {method.request.querystring.name: true}`",
                );
                ok = false;
            }
        }
        match m.get("RequestModels") {
            None => {}
            Some(Value::Object(models)) => {
                let mut chosen: Option<String> = None;
                let mut consumes = Vec::new();
                for (content_type, model) in models {
                    let at = child(&m.prop("RequestModels"), content_type);
                    let Some(model) = self.cfn_model_name(model, &at, api, names, definitions)
                    else {
                        ok = false;
                        continue;
                    };
                    consumes.push(Value::String(content_type.clone()));
                    match &chosen {
                        None => chosen = Some(model),
                        Some(first) if *first != model => {
                            self.warn(
                                &at,
                                format!("the body is checked against `{first}` whatever its type: an API Gateway export has one body model per method"),
                                "give every content type the same model",
                            );
                        }
                        Some(_) => {}
                    }
                }
                if let Some(model) = chosen {
                    parameters.push(json!({
                        "in": "body", "name": model, "required": true,
                        "schema": {"$ref": format!("#/definitions/{model}")},
                    }));
                    op.insert("consumes".into(), Value::Array(consumes));
                }
            }
            Some(other) => {
                self.error(
                    &m.prop("RequestModels"),
                    format!("`RequestModels` is {}, not a mapping", kind(other)),
                    "write e.g. `RequestModels: {application/json: !Ref MyModel}`",
                );
                ok = false;
            }
        }
        if !parameters.is_empty() {
            op.insert("parameters".into(), Value::Array(parameters));
        }
        let mut requirement = Map::new();
        let authorization = m
            .get("AuthorizationType")
            .map(|a| scalar_text(a).to_ascii_uppercase())
            .unwrap_or_else(|| "NONE".to_string());
        match authorization.as_str() {
            "NONE" => {
                if m.get("AuthorizerId").is_some() {
                    self.warn(
                        &m.prop("AuthorizerId"),
                        "`AuthorizerId` is not used: the method's `AuthorizationType` is NONE",
                        "write `AuthorizationType: CUSTOM` (a Lambda authorizer) or `COGNITO_USER_POOLS`",
                    );
                }
            }
            "AWS_IAM" => {
                security.entry("sigv4").or_insert_with(|| {
                    json!({"type": "apiKey", "name": "Authorization", "in": "header",
                           "x-amazon-apigateway-authtype": "awsSigv4"})
                });
                requirement.insert("sigv4".into(), json!([]));
            }
            "CUSTOM" | "COGNITO_USER_POOLS" => {
                let cognito = authorization == "COGNITO_USER_POOLS";
                match m.get("AuthorizerId") {
                    Some(Value::String(a)) => match names.authorizers.get(a) {
                        Some((scheme, is_cognito)) if *is_cognito == cognito => {
                            let scopes = match m.get("AuthorizationScopes") {
                                Some(Value::Array(s)) if cognito => Value::Array(s.clone()),
                                Some(_) if !cognito => {
                                    self.warn(
                                        &m.prop("AuthorizationScopes"),
                                        "scopes are checked by Cognito authorizers only",
                                        "remove `AuthorizationScopes`, or use a COGNITO_USER_POOLS authorizer",
                                    );
                                    json!([])
                                }
                                _ => json!([]),
                            };
                            requirement.insert(scheme.clone(), scopes);
                        }
                        Some(_) => {
                            self.error(
                                &m.prop("AuthorizationType"),
                                format!(
                                    "`AuthorizationType` is {authorization}, but `{a}` is {} authorizer",
                                    if cognito { "a Lambda" } else { "a Cognito" }
                                ),
                                "write `AuthorizationType: CUSTOM` for TOKEN and REQUEST authorizers, `COGNITO_USER_POOLS` for Cognito ones",
                            );
                            ok = false;
                        }
                        None if names.broken.contains(a) => ok = false,
                        None => {
                            self.error(
                                &m.prop("AuthorizerId"),
                                format!("`{a}` is not an AWS::ApiGateway::Authorizer of the API `{api}`"),
                                format!("write `AuthorizerId: !Ref MyAuthorizer`, an authorizer whose `RestApiId` is `{api}`"),
                            );
                            ok = false;
                        }
                    },
                    _ => {
                        self.error(
                            &m.prop("AuthorizationType"),
                            format!("`AuthorizationType: {authorization}` needs an `AuthorizerId`"),
                            "write `AuthorizerId: !Ref MyAuthorizer`",
                        );
                        ok = false;
                    }
                }
            }
            other => {
                self.error(
                    &m.prop("AuthorizationType"),
                    format!("`{other}` is not an authorization type"),
                    "use NONE, AWS_IAM, CUSTOM or COGNITO_USER_POOLS",
                );
                ok = false;
            }
        }
        if let Some(required) = m.get("ApiKeyRequired") {
            match flag(required) {
                Some(true) => {
                    security.entry("api_key").or_insert_with(
                        || json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
                    );
                    requirement.insert("api_key".into(), json!([]));
                }
                Some(false) => {}
                None => {
                    self.error(
                        &m.prop("ApiKeyRequired"),
                        format!("`ApiKeyRequired` is {}, not true or false", kind(required)),
                        "write `ApiKeyRequired: true` or `false`",
                    );
                    ok = false;
                }
            }
        }
        if !requirement.is_empty() {
            op.insert("security".into(), json!([Value::Object(requirement)]));
        }
        match m.get("RequestValidatorId") {
            None => {}
            Some(Value::String(v)) => {
                match names.validators.get(v) {
                    Some(validator) => {
                        op.insert(
                            "x-amazon-apigateway-request-validator".into(),
                            validator.clone().into(),
                        );
                    }
                    None if names.broken.contains(v) => ok = false,
                    None => {
                        self.error(
                        &m.prop("RequestValidatorId"),
                        format!("`{v}` is not an AWS::ApiGateway::RequestValidator of the API `{api}`"),
                        "write `RequestValidatorId: !Ref MyValidator`",
                    );
                        ok = false;
                    }
                }
            }
            Some(other) => {
                self.error(
                    &m.prop("RequestValidatorId"),
                    format!("`RequestValidatorId` is {}, not a validator", kind(other)),
                    "write `RequestValidatorId: !Ref MyValidator`",
                );
                ok = false;
            }
        }
        // Method responses are checked, not written into the document: Portico's importer
        // does not read them, and the config's YAML would give their status-code keys (`200`)
        // back as numbers.
        if let Some(list) = m.get("MethodResponses") {
            let Value::Array(list) = list else {
                self.error(
                    &m.prop("MethodResponses"),
                    format!("`MethodResponses` is {}, not a list", kind(list)),
                    "write e.g. `MethodResponses: [{StatusCode: 200}]`",
                );
                return None;
            };
            for (i, response) in list.iter().enumerate() {
                let at = format!("{}/{i}", m.prop("MethodResponses"));
                if response.get("StatusCode").is_none() {
                    self.error(
                        &at,
                        "a method response has no `StatusCode`",
                        "write e.g. `StatusCode: 200`",
                    );
                    ok = false;
                }
                for (content_type, model) in response
                    .get("ResponseModels")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let model_at = child(&child(&at, "ResponseModels"), content_type);
                    let mut unused = Map::new();
                    if self
                        .cfn_model_name(model, &model_at, api, names, &mut unused)
                        .is_none()
                    {
                        ok = false;
                    }
                }
            }
        }
        op.insert("responses".into(), json!({}));
        match m.get("Integration") {
            Some(integration @ Value::Object(_)) => {
                let integration =
                    self.cfn_rest_integration(integration, &m.prop("Integration"), &method, &path)?;
                op.insert("x-amazon-apigateway-integration".into(), integration);
            }
            Some(other) => {
                self.error(
                    &m.prop("Integration"),
                    format!("`Integration` is {}, not a mapping", kind(other)),
                    "write e.g. `Integration: {Type: AWS_PROXY, IntegrationHttpMethod: POST, Uri: ...}`",
                );
                return None;
            }
            None => {
                self.error(
                    &m.at(),
                    format!("method `{}` has no `Integration`", m.id),
                    "API Gateway does not deploy a method without one: add `Integration` (Type AWS_PROXY, AWS, HTTP_PROXY, HTTP or MOCK)",
                );
                return None;
            }
        }
        ok.then_some((path, op_key, op))
    }

    /// The model a method names (by logical id or by name), which must be one of its API's
    /// or one API Gateway makes for every API (`Empty`, `Error`).
    fn cfn_model_name(
        &mut self,
        model: &Value,
        at: &str,
        api: &str,
        names: &RestNames,
        definitions: &mut Map<String, Value>,
    ) -> Option<String> {
        let Value::String(model) = model else {
            self.error(
                at,
                format!("the model is {}, not a model's name", kind(model)),
                "write `!Ref MyModel`, or a model's name",
            );
            return None;
        };
        if let Some(name) = names.models.get(model) {
            return Some(name.clone());
        }
        if names.models.values().any(|n| n == model) {
            return Some(model.clone());
        }
        if names.broken.contains(model) {
            return None;
        }
        let built_in = match model.as_str() {
            "Empty" => {
                json!({"$schema": "http://json-schema.org/draft-04/schema#", "title": "Empty Schema", "type": "object"})
            }
            "Error" => {
                json!({"$schema": "http://json-schema.org/draft-04/schema#", "title": "Error Schema", "type": "object",
                               "properties": {"message": {"type": "string"}}})
            }
            _ => {
                self.error(
                    at,
                    format!("`{model}` is not an AWS::ApiGateway::Model of the API `{api}`"),
                    format!("write `!Ref MyModel`, a model whose `RestApiId` is `{api}`, or the built-in `Empty`"),
                );
                return None;
            }
        };
        definitions.entry(model.clone()).or_insert(built_in);
        Some(model.clone())
    }

    /// A method's `Integration` as `x-amazon-apigateway-integration`.
    fn cfn_rest_integration(
        &mut self,
        integration: &Value,
        at: &str,
        method: &str,
        path: &str,
    ) -> Option<Value> {
        let mut out = Map::new();
        let Some(kind_name) = integration
            .get("Type")
            .map(|t| scalar_text(t).to_ascii_uppercase())
        else {
            self.error(
                at,
                "the integration has no `Type`",
                "use AWS_PROXY (Lambda proxy), AWS, HTTP_PROXY, HTTP or MOCK",
            );
            return None;
        };
        if !["AWS_PROXY", "AWS", "HTTP_PROXY", "HTTP", "MOCK"].contains(&kind_name.as_str()) {
            self.error(
                &child(at, "Type"),
                format!("`{kind_name}` is not an integration type"),
                "use AWS_PROXY (Lambda proxy), AWS, HTTP_PROXY, HTTP or MOCK",
            );
            return None;
        }
        out.insert("type".into(), kind_name.to_ascii_lowercase().into());
        let uri = integration.get("Uri");
        match (kind_name.as_str(), uri) {
            ("MOCK", _) => {}
            (_, None) => {
                self.error(
                    at,
                    format!("the {kind_name} integration of `{method} {path}` has no `Uri`"),
                    if kind_name.starts_with("AWS") {
                        "name the function: `Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${MyFunction.Arn}/invocations`"
                    } else {
                        "give the backend's URL, e.g. `Uri: https://example.com/items`"
                    },
                );
                return None;
            }
            (_, Some(Value::String(uri))) => {
                if kind_name.starts_with("AWS") {
                    self.cfn_invokes(uri, &child(at, "Uri"), false)?;
                } else if !(uri.starts_with("http://") || uri.starts_with("https://")) {
                    self.error(
                        &child(at, "Uri"),
                        format!("`{uri}` is not an http(s) URL"),
                        "give the backend's absolute URL, e.g. `https://example.com/items/{id}`",
                    );
                    return None;
                }
                out.insert("uri".into(), uri.clone().into());
            }
            (_, Some(other)) => {
                self.error(
                    &child(at, "Uri"),
                    format!("`Uri` is {}, not a URI", kind(other)),
                    "write the URI as text (`!Sub` and `!Join` give text)",
                );
                return None;
            }
        }
        let fields = integration.as_object().cloned().unwrap_or_default();
        for (key, value) in &fields {
            let key_at = child(at, key);
            let (out_key, out_value) = match key.as_str() {
                "Type" | "Uri" | "IntegrationResponses" => continue,
                "IntegrationHttpMethod" => {
                    ("httpMethod", scalar_text(value).to_ascii_uppercase().into())
                }
                "PassthroughBehavior" => (
                    "passthroughBehavior",
                    scalar_text(value).to_ascii_lowercase().into(),
                ),
                "TimeoutInMillis" => match number(value) {
                    Some(n) => ("timeoutInMillis", n.into()),
                    None => {
                        self.error(
                            &key_at,
                            format!("`TimeoutInMillis` is {}, not a number", kind(value)),
                            "give milliseconds, 50 to 29000",
                        );
                        return None;
                    }
                },
                "RequestTemplates" => ("requestTemplates", value.clone()),
                "RequestParameters" => ("requestParameters", value.clone()),
                "ContentHandling" => ("contentHandling", value.clone()),
                "CacheKeyParameters" => ("cacheKeyParameters", value.clone()),
                "CacheNamespace" => ("cacheNamespace", value.clone()),
                "ConnectionType" => ("connectionType", value.clone()),
                "ConnectionId" => ("connectionId", value.clone()),
                "Credentials" => ("credentials", value.clone()),
                "ResponseTransferMode" => ("responseTransferMode", value.clone()),
                other => {
                    self.warn(
                        &key_at,
                        format!("`{other}` of a method's integration is not read by Portico"),
                        "it has no effect here",
                    );
                    continue;
                }
            };
            out.insert(out_key.into(), out_value);
        }
        match fields.get("IntegrationResponses") {
            None => {}
            Some(Value::Array(list)) => {
                let mut responses = Map::new();
                for (i, r) in list.iter().enumerate() {
                    let r_at = format!("{}/{i}", child(at, "IntegrationResponses"));
                    let pattern = r
                        .get("SelectionPattern")
                        .map(scalar_text)
                        .filter(|p| !p.is_empty())
                        .unwrap_or_else(|| "default".to_string());
                    let Some(status) = r.get("StatusCode").map(scalar_text) else {
                        self.error(
                            &r_at,
                            "an integration response has no `StatusCode`",
                            "give the method response's status, e.g. `StatusCode: 200`",
                        );
                        return None;
                    };
                    let mut response = Map::new();
                    response.insert("statusCode".into(), status.into());
                    for (key, out_key) in [
                        ("ResponseParameters", "responseParameters"),
                        ("ResponseTemplates", "responseTemplates"),
                        ("ContentHandling", "contentHandling"),
                    ] {
                        if let Some(value) = r.get(key) {
                            response.insert(out_key.into(), value.clone());
                        }
                    }
                    if responses.contains_key(&pattern) {
                        self.error(
                            &r_at,
                            if pattern == "default" {
                                "two integration responses have no `SelectionPattern`".to_string()
                            } else {
                                format!("two integration responses have the `SelectionPattern` `{pattern}`")
                            },
                            "give each integration response its own pattern; the one without is the default",
                        );
                        return None;
                    }
                    responses.insert(pattern, Value::Object(response));
                }
                out.insert("responses".into(), Value::Object(responses));
            }
            Some(other) => {
                self.error(
                    &child(at, "IntegrationResponses"),
                    format!("`IntegrationResponses` is {}, not a list", kind(other)),
                    "write e.g. `IntegrationResponses: [{StatusCode: 200}]`",
                );
                return None;
            }
        }
        Some(Value::Object(out))
    }

    /// A REST API's stages: from its `Deployment`s' `StageName` and its `Stage`s; each with
    /// its settings and where it was declared.
    fn cfn_rest_stages(
        &mut self,
        children: &[&Declared<'_>],
        methods: &[(String, String)],
    ) -> Vec<(String, Map<String, Value>, String)> {
        let mut stages: Vec<(String, Map<String, Value>, String)> = Vec::new();
        for d in children {
            let (name_at, settings, settings_at) = match d.kind.as_str() {
                "AWS::ApiGateway::Deployment" => {
                    if d.get("StageName").is_none() {
                        continue;
                    }
                    let settings = d
                        .get("StageDescription")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    (d.prop("StageName"), settings, d.prop("StageDescription"))
                }
                "AWS::ApiGateway::Stage" => (
                    d.prop("StageName"),
                    d.properties.clone(),
                    child(&d.at(), "Properties"),
                ),
                _ => continue,
            };
            let Some(name) = d.get("StageName").map(scalar_text) else {
                self.error(
                    &d.at(),
                    format!("stage `{}` has no `StageName`", d.id),
                    "name it, e.g. `StageName: prod`",
                );
                continue;
            };
            if stages.iter().any(|(n, _, _)| *n == name) {
                self.error(
                    &name_at,
                    format!("the stage `{name}` is declared twice"),
                    "a stage is made once: by a Stage resource or by a Deployment's `StageName`",
                );
                continue;
            }
            let stage = self.cfn_rest_stage(&settings, &settings_at, methods);
            stages.push((name, stage, d.at()));
        }
        stages
    }

    /// A REST stage's settings (a Stage's properties, or a Deployment's `StageDescription`).
    fn cfn_rest_stage(
        &mut self,
        settings: &Map<String, Value>,
        at: &str,
        methods: &[(String, String)],
    ) -> Map<String, Value> {
        let mut stage = Map::new();
        if let Some(variables) = settings.get("Variables").and_then(Value::as_object) {
            let vars: Map<String, Value> = variables
                .iter()
                .map(|(k, v)| (k.clone(), scalar_text(v).into()))
                .collect();
            stage.insert("variables".into(), Value::Object(vars));
        }
        let cache_cluster = settings.get("CacheClusterEnabled").and_then(flag) == Some(true);
        let mut cache_warned = false;
        let mut cache_ttl = |me: &mut Self, setting: &Value, at: &str| -> Option<u64> {
            let enabled = setting.get("CachingEnabled").and_then(flag)?;
            if enabled && !cache_cluster {
                if !cache_warned {
                    me.warn(
                        at,
                        "caching is enabled, but the stage has no cache cluster, so API Gateway caches nothing",
                        "set `CacheClusterEnabled: true` on the stage",
                    );
                    cache_warned = true;
                }
                return None;
            }
            Some(if enabled {
                setting
                    .get("CacheTtlInSeconds")
                    .and_then(number)
                    .unwrap_or(300)
            } else {
                0
            })
        };
        if let Some(throttle) = throttle(&Value::Object(settings.clone())) {
            stage.insert("throttle".into(), throttle);
        }
        if let Some(ttl) = cache_ttl(self, &Value::Object(settings.clone()), at)
            && ttl > 0
        {
            stage.insert("cache_ttl".into(), ttl.into());
        }
        let mut cache_methods = Map::new();
        for (i, setting) in settings
            .get("MethodSettings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let setting_at = format!("{}/{i}", child(at, "MethodSettings"));
            let resource = setting
                .get("ResourcePath")
                .map(scalar_text)
                .unwrap_or_else(|| "/*".into());
            let http_method = setting
                .get("HttpMethod")
                .map(|m| scalar_text(m).to_ascii_uppercase())
                .unwrap_or_else(|| "*".into());
            if resource == "/*" && http_method == "*" {
                if let Some(throttle) = throttle(setting) {
                    stage.insert("throttle".into(), throttle);
                }
                if let Some(ttl) = cache_ttl(self, setting, &setting_at) {
                    if ttl > 0 {
                        stage.insert("cache_ttl".into(), ttl.into());
                    } else {
                        stage.remove("cache_ttl");
                    }
                }
                continue;
            }
            if throttle(setting).is_some() {
                self.warn(
                    &setting_at,
                    "throttling one method of a stage is not served; only `ResourcePath: /*`, `HttpMethod: *` settings throttle",
                    "set the throttle for every method, or per method in a usage plan",
                );
            }
            let Some(ttl) = cache_ttl(self, setting, &setting_at) else {
                continue;
            };
            // `/~1pets~1{id}` is the resource `/pets/{id}`.
            let path = format!("/{}", resource.trim_start_matches('/').replace("~1", "/"))
                .replace("//", "/");
            let path = if path.len() > 1 {
                path.trim_end_matches('/').to_string()
            } else {
                path
            };
            let chosen: Vec<&(String, String)> = methods
                .iter()
                .filter(|(m, p)| *p == path && (http_method == "*" || *m == http_method))
                .collect();
            if chosen.is_empty() {
                self.warn(
                    &setting_at,
                    format!("no method of the API is `{http_method} {path}`, so this setting changes nothing"),
                    "write the resource path with `~1` for each `/`, e.g. `ResourcePath: /~1pets~1{id}`",
                );
            }
            for (m, p) in chosen {
                cache_methods.insert(format!("{m} {p}"), ttl.into());
            }
        }
        if !cache_methods.is_empty() {
            stage.insert("cache_methods".into(), Value::Object(cache_methods));
        }
        if let Some(format) = settings
            .get("AccessLogSetting")
            .and_then(|l| l.get("Format"))
            .and_then(Value::as_str)
        {
            stage.insert("access_log".into(), json!({"format": format}));
        }
        stage
    }

    /// Every `AWS::ApiGateway::ApiKey` that callers may use, by logical id.
    fn cfn_api_keys(&mut self, all: &[Declared<'_>]) -> BTreeMap<String, Key> {
        let mut keys = BTreeMap::new();
        for d in all.iter().filter(|d| d.kind == "AWS::ApiGateway::ApiKey") {
            let enabled = match d.get("Enabled") {
                None => false,
                Some(v) => match flag(v) {
                    Some(b) => b,
                    None => {
                        self.error(
                            &d.prop("Enabled"),
                            format!("`Enabled` is {}, not true or false", kind(v)),
                            "write `Enabled: true`",
                        );
                        continue;
                    }
                },
            };
            if !enabled {
                self.warn(
                    &d.at(),
                    format!("the API key `{}` is not enabled (CloudFormation's default), so requests with it are refused", d.id),
                    "write `Enabled: true` to let callers use it",
                );
                continue;
            }
            keys.insert(
                d.id.clone(),
                Key {
                    name: d.text("Name").unwrap_or(&d.id).to_string(),
                    value: d.get("Value").map(scalar_text),
                    at: d.at(),
                },
            );
        }
        keys
    }

    /// Every `AWS::ApiGateway::UsagePlan`, with the keys `UsagePlanKey`s give it.
    fn cfn_usage_plans(
        &mut self,
        all: &[Declared<'_>],
        apis: &BTreeMap<&str, &Declared<'_>>,
        keys: &BTreeMap<String, Key>,
    ) -> Vec<Plan> {
        let mut plans = Vec::new();
        for d in all
            .iter()
            .filter(|d| d.kind == "AWS::ApiGateway::UsagePlan")
        {
            let mut usage = Map::new();
            if let Some(t) = d.get("Throttle") {
                match (
                    t.get("RateLimit").and_then(number_f64),
                    t.get("BurstLimit").and_then(number),
                ) {
                    (Some(rate), Some(burst)) => {
                        usage.insert("throttle".into(), json!({"rate": rate, "burst": burst}));
                    }
                    _ => self.warn(
                        &d.prop("Throttle"),
                        "the plan's throttle is not applied: Portico needs both `RateLimit` and `BurstLimit`",
                        "give both",
                    ),
                }
            }
            if let Some(q) = d.get("Quota") {
                match (
                    q.get("Limit").and_then(number),
                    q.get("Period").map(scalar_text),
                ) {
                    (Some(limit), Some(period)) => {
                        let mut quota = json!({"limit": limit, "period": period});
                        if let Some(offset) = q.get("Offset").and_then(number) {
                            quota["offset"] = offset.into();
                        }
                        usage.insert("quota".into(), quota);
                    }
                    _ => {
                        self.error(
                            &d.prop("Quota"),
                            "a quota needs `Limit` and `Period`",
                            "write e.g. `Quota: {Limit: 1000, Period: DAY}`",
                        );
                    }
                }
            }
            let mut stages = Vec::new();
            for (i, entry) in d
                .get("ApiStages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let entry_at = format!("{}/{i}", d.prop("ApiStages"));
                let Some(api) = entry.get("ApiId").and_then(Value::as_str) else {
                    self.error(
                        &entry_at,
                        "a usage plan's API stage has no `ApiId`",
                        "write `ApiId: !Ref MyApi`",
                    );
                    continue;
                };
                if !apis.contains_key(api) {
                    self.error(
                        &child(&entry_at, "ApiId"),
                        format!("`{api}` is not an AWS::ApiGateway::RestApi of this template"),
                        "write `ApiId: !Ref MyApi`, MyApi being an AWS::ApiGateway::RestApi",
                    );
                    continue;
                }
                let stage = entry.get("Stage").map(scalar_text).unwrap_or_default();
                let mut method_throttles = Map::new();
                for (method, limits) in entry
                    .get("Throttle")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let limit_at = child(&child(&entry_at, "Throttle"), method);
                    // `/pets/{id}/GET` is `GET /pets/{id}`.
                    let Some((path, verb)) = method.rsplit_once('/') else {
                        self.error(
                            &limit_at,
                            format!("`{method}` is not a method"),
                            "write `<resource path>/<HTTP method>`, e.g. `/pets/GET`",
                        );
                        continue;
                    };
                    let path = if path.is_empty() || path == "/" {
                        "/"
                    } else {
                        path
                    };
                    match (
                        limits.get("RateLimit").and_then(number_f64),
                        limits.get("BurstLimit").and_then(number),
                    ) {
                        (Some(rate), Some(burst)) => {
                            method_throttles.insert(
                                format!("{} {path}", verb.to_ascii_uppercase()),
                                json!({"rate": rate, "burst": burst}),
                            );
                        }
                        _ => self.warn(
                            &limit_at,
                            "this method's throttle is not applied: Portico needs both `RateLimit` and `BurstLimit`",
                            "give both",
                        ),
                    }
                }
                stages.push((api.to_string(), stage, method_throttles, entry_at));
            }
            plans.push(Plan {
                id: d.id.clone(),
                name: d.text("UsagePlanName").unwrap_or(&d.id).to_string(),
                at: d.at(),
                stages,
                usage,
                keys: Vec::new(),
            });
        }
        for d in all
            .iter()
            .filter(|d| d.kind == "AWS::ApiGateway::UsagePlanKey")
        {
            if let Some(kind_name) = d.text("KeyType")
                && kind_name != "API_KEY"
            {
                self.error(
                    &d.prop("KeyType"),
                    format!("`{kind_name}` is not a key type"),
                    "write `KeyType: API_KEY`",
                );
                continue;
            }
            let Some(plan) = d
                .text("UsagePlanId")
                .and_then(|p| plans.iter_mut().find(|plan| plan.id == p))
            else {
                self.error(
                    &d.prop("UsagePlanId"),
                    "`UsagePlanId` names no AWS::ApiGateway::UsagePlan of this template",
                    "write `UsagePlanId: !Ref MyUsagePlan`",
                );
                continue;
            };
            match d.text("KeyId") {
                Some(key) if keys.contains_key(key) => plan.keys.push(key.to_string()),
                // A disabled key (warned about): callers cannot use it.
                Some(key)
                    if all
                        .iter()
                        .any(|k| k.id == key && k.kind == "AWS::ApiGateway::ApiKey") => {}
                _ => self.error(
                    &d.prop("KeyId"),
                    "`KeyId` names no AWS::ApiGateway::ApiKey of this template",
                    "write `KeyId: !Ref MyApiKey`",
                ),
            }
        }
        plans
    }

    /// The API keys and usage plans of the REST API `api`, into its config.
    fn cfn_rest_usage(
        &mut self,
        api: &str,
        out: &str,
        stages: &BTreeSet<String>,
        plans: &[Plan],
        keys: &BTreeMap<String, Key>,
        emitted: &mut Map<String, Value>,
    ) {
        let mut api_keys = Map::new();
        let mut usage_plans = Map::new();
        for plan in plans {
            let mine: Vec<&(String, String, Map<String, Value>, String)> =
                plan.stages.iter().filter(|(a, ..)| a == api).collect();
            if mine.is_empty() {
                continue;
            }
            let mut method_throttles = Map::new();
            for (_, stage, throttles, at) in mine {
                if !stages.contains(stage) {
                    self.error(
                        &child(at, "Stage"),
                        format!("`{stage}` is not a stage of `{api}`"),
                        format!(
                            "name one of its stages: {}",
                            stages.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
                method_throttles.extend(throttles.clone());
            }
            let mut usage = plan.usage.clone();
            if !method_throttles.is_empty() {
                usage.insert("method_throttles".into(), Value::Object(method_throttles));
            }
            let mut plan_keys = Vec::new();
            for key_id in &plan.keys {
                let Some(key) = keys.get(key_id) else {
                    continue;
                };
                let mut k = Map::new();
                if let Some(value) = &key.value {
                    k.insert("value".into(), value.clone().into());
                }
                self.origin(&child(&format!("{out}/api_keys"), &key.name), &key.at);
                api_keys.insert(key.name.clone(), Value::Object(k));
                plan_keys.push(Value::String(key.name.clone()));
            }
            usage.insert("keys".into(), Value::Array(plan_keys));
            self.origin(&child(&format!("{out}/usage_plans"), &plan.name), &plan.at);
            usage_plans.insert(plan.name.clone(), Value::Object(usage));
        }
        if !api_keys.is_empty() {
            emitted.insert("api_keys".into(), Value::Object(api_keys));
        }
        if !usage_plans.is_empty() {
            emitted.insert("usage_plans".into(), Value::Object(usage_plans));
        }
    }

    // ----- HTTP APIs ----------------------------------------------------------------------

    /// Every `AWS::ApiGatewayV2::Api` of protocol HTTP, with its routes, integrations,
    /// authorizers and stages, as Portico's `protocol: http` APIs.
    fn cfn_http_apis(&mut self, all: &[Declared<'_>]) -> Vec<(String, Value)> {
        // Each served API, and whether it is a WebSocket API.
        let mut served: BTreeMap<&str, (&Declared<'_>, bool)> = BTreeMap::new();
        let mut every: BTreeMap<&str, &Declared<'_>> = BTreeMap::new();
        for api in all.iter().filter(|d| d.kind == "AWS::ApiGatewayV2::Api") {
            every.insert(api.id.as_str(), api);
            if api.get("Body").is_some() || api.get("BodyS3Location").is_some() {
                let key = if api.get("Body").is_some() {
                    "Body"
                } else {
                    "BodyS3Location"
                };
                self.warn(
                    &api.prop(key),
                    format!("the OpenAPI definition of the HTTP API `{}` is not read yet; only its AWS::ApiGatewayV2::Route resources are served", api.id),
                    "declare the routes as AWS::ApiGatewayV2::Route resources",
                );
            }
            match api
                .text("ProtocolType")
                .map(str::to_ascii_uppercase)
                .as_deref()
            {
                Some("HTTP") => {
                    served.insert(api.id.as_str(), (api, false));
                }
                None if api.get("Body").is_some() || api.get("BodyS3Location").is_some() => {
                    served.insert(api.id.as_str(), (api, false));
                }
                Some("WEBSOCKET") => {
                    served.insert(api.id.as_str(), (api, true));
                }
                Some(other) => self.error(
                    &api.prop("ProtocolType"),
                    format!("`{other}` is not a protocol type"),
                    "write `ProtocolType: HTTP` (or WEBSOCKET)",
                ),
                None => self.error(
                    &api.at(),
                    format!("the API `{}` has no `ProtocolType`", api.id),
                    "write `ProtocolType: HTTP`",
                ),
            }
        }
        let mut children: BTreeMap<&str, Vec<&Declared<'_>>> = BTreeMap::new();
        for d in all
            .iter()
            .filter(|d| HTTP_CHILDREN.contains(&d.kind.as_str()))
        {
            let Some(api) = self.cfn_parent(d, "ApiId", &every, "AWS::ApiGatewayV2::Api") else {
                continue;
            };
            if served.contains_key(api) {
                children.entry(api).or_default().push(d);
            }
        }
        let mut out = Vec::new();
        for (id, (api, websocket)) in served {
            let mine = children.get(id).map(Vec::as_slice).unwrap_or_default();
            if let Some(emitted) = self.cfn_http_api(api, mine, websocket) {
                out.push((id.to_string(), emitted));
            }
        }
        out
    }

    /// What a WebSocket API has that an HTTP API has not: its `protocol` and
    /// `RouteSelectionExpression`, route responses (`AWS::ApiGatewayV2::RouteResponse`
    /// keyed `$default`), and authorizers as `$connect` takes them.
    fn cfn_websocket_parts(
        &mut self,
        api: &Declared<'_>,
        children: &[&Declared<'_>],
        route_ids: &BTreeMap<String, String>,
        routes: &mut Map<String, Value>,
        authorizers: &mut Map<String, Value>,
        emitted: &mut Map<String, Value>,
    ) {
        emitted.insert("protocol".into(), "websocket".into());
        if let Some(expression) = api.text("RouteSelectionExpression") {
            emitted.insert("route_selection".into(), expression.into());
        }
        for d in children {
            match d.kind.as_str() {
                "AWS::ApiGatewayV2::RouteResponse" => {
                    let route = d.text("RouteId").and_then(|id| {
                        route_ids
                            .iter()
                            .find(|(_, rid)| rid.as_str() == id)
                            .map(|(k, _)| k)
                    });
                    match (route.and_then(|k| routes.get_mut(k)), d.text("RouteResponseKey")) {
                        (Some(Value::Object(route)), Some("$default")) => {
                            route.insert("route_response".into(), true.into());
                        }
                        _ => self.warn(
                            &d.at(),
                            format!("`{}` is not a `$default` route response of a route of `{}`; it is not served", d.id, api.id),
                            "write `RouteId: !Ref MyRoute` and `RouteResponseKey: $default`",
                        ),
                    }
                }
                "AWS::ApiGatewayV2::Model" => {
                    self.warn(
                        &child(&d.at(), "Type"),
                        format!(
                            "`{}` ({}) is not served: Portico validates no WebSocket messages",
                            d.id, d.kind
                        ),
                        "remove it",
                    );
                }
                _ => {}
            }
        }
        // A `$connect` authorizer: its function and identity sources.
        for authorizer in authorizers.values_mut() {
            if let Value::Object(fields) = authorizer {
                fields.retain(|k, _| matches!(k.as_str(), "type" | "function" | "identity_source"));
            }
        }
    }

    /// One HTTP API, or (`websocket`) WebSocket API: `None` when it has no stage.
    fn cfn_http_api(
        &mut self,
        api: &Declared<'_>,
        children: &[&Declared<'_>],
        websocket: bool,
    ) -> Option<Value> {
        let name = api.id.as_str();
        let out = child("/apis", name);
        let of = |kind: &'static str| children.iter().copied().filter(move |d| d.kind == kind);
        for d in children.iter().filter(|_| !websocket) {
            if matches!(
                d.kind.as_str(),
                "AWS::ApiGatewayV2::RouteResponse"
                    | "AWS::ApiGatewayV2::IntegrationResponse"
                    | "AWS::ApiGatewayV2::Model"
            ) {
                self.warn(
                    &child(&d.at(), "Type"),
                    format!(
                        "`{}` ({}) is for WebSocket APIs; the HTTP API `{name}` ignores it",
                        d.id, d.kind
                    ),
                    "remove it",
                );
            }
        }
        // Each integration as a route's fields; `None`: reported.
        let mut integrations: BTreeMap<&str, Option<Map<String, Value>>> = BTreeMap::new();
        for i in of("AWS::ApiGatewayV2::Integration") {
            let fields = self.cfn_http_integration(i, websocket);
            integrations.insert(i.id.as_str(), fields);
        }
        for r in of("AWS::ApiGatewayV2::IntegrationResponse").filter(|_| websocket) {
            self.cfn_integration_response(r, &mut integrations);
        }
        let mut authorizers = Map::new();
        // Authorizer id -> its name and whether it is a JWT one; `None`: reported.
        let mut authorizer_names: BTreeMap<&str, Option<(String, bool)>> = BTreeMap::new();
        for a in of("AWS::ApiGatewayV2::Authorizer") {
            let named = match self.cfn_http_authorizer_resource(a, websocket) {
                Some((auth_name, config, jwt)) if !authorizers.contains_key(&auth_name) => {
                    self.origin(&child(&format!("{out}/authorizers"), &auth_name), &a.at());
                    authorizers.insert(auth_name.clone(), config);
                    Some((auth_name, jwt))
                }
                Some((auth_name, ..)) => {
                    self.error(
                        &a.prop("Name"),
                        format!("two authorizers of `{name}` are named `{auth_name}`"),
                        "give each authorizer of an API its own `Name`",
                    );
                    None
                }
                None => None,
            };
            authorizer_names.insert(a.id.as_str(), named);
        }
        let mut routes = Map::new();
        let mut route_ids: BTreeMap<String, String> = BTreeMap::new();
        let quick = api.get("Target").is_some();
        if let Some(target) = api.get("Target") {
            let key = api
                .get("RouteKey")
                .map(scalar_text)
                .unwrap_or_else(|| "$default".to_string());
            let target = scalar_text(target);
            let route = if target.starts_with("http://") || target.starts_with("https://") {
                Some(json!({"http": target}))
            } else {
                self.cfn_invokes(&target, &api.prop("Target"), true)
                    .and_then(|invokes| match invokes {
                        Invokes::Function(f) => Some(json!({"function": f})),
                        _ => {
                            self.error(
                                &api.prop("Target"),
                                format!("`{target}` is neither a function nor a URL"),
                                "write `Target: !GetAtt MyFunction.Arn`, or an http(s) URL",
                            );
                            None
                        }
                    })
            };
            if let Some(route) = route {
                self.origin(&child(&format!("{out}/routes"), &key), &api.prop("Target"));
                route_ids.insert(key.clone(), api.id.clone());
                routes.insert(key, route);
            }
        } else if api.get("RouteKey").is_some() {
            self.warn(
                &api.prop("RouteKey"),
                "`RouteKey` is read with `Target` (quick create) only",
                "give `Target` too, or declare the route as an AWS::ApiGatewayV2::Route",
            );
        }
        for r in of("AWS::ApiGatewayV2::Route") {
            let Some(key) = r.get("RouteKey").map(scalar_text) else {
                self.error(
                    &r.at(),
                    format!("route `{}` has no `RouteKey`", r.id),
                    "write e.g. `RouteKey: GET /items` or `$default`",
                );
                continue;
            };
            let Some(mut route) = self.cfn_http_route(r, name, &integrations, &authorizer_names)
            else {
                continue;
            };
            if let Some(other) = route_ids.get(&key) {
                self.error(
                    &r.prop("RouteKey"),
                    format!("the route `{key}` is declared twice, here and by `{other}`"),
                    "give each route of an API its own key",
                );
                continue;
            }
            let route_at = child(&format!("{out}/routes"), &key);
            self.origin(&route_at, &r.at());
            if let Some(integration) = r
                .text("Target")
                .and_then(|t| t.strip_prefix("integrations/"))
            {
                for field in route.keys() {
                    let from = match field.as_str() {
                        "function" | "http" => "IntegrationUri",
                        "payload_format" => "PayloadFormatVersion",
                        "timeout_ms" => "TimeoutInMillis",
                        "request_parameters" => "RequestParameters",
                        "response_parameters" => "ResponseParameters",
                        _ => continue,
                    };
                    self.origin(
                        &child(&route_at, field),
                        &child(
                            &child(&child("/Resources", integration), "Properties"),
                            from,
                        ),
                    );
                }
            }
            route_ids.insert(key.clone(), r.id.clone());
            route.retain(|_, v| !v.is_null());
            if websocket {
                // A WebSocket route has its integration (a function, an HTTP backend with
                // its mapped parameters, a mock), its authorizer and, with a route response,
                // its answer sent back; the other fields of HTTP APIs' integrations do not
                // apply.
                let http = route.contains_key("http");
                route.retain(|k, _| match k.as_str() {
                    "function" | "http" | "mock" | "authorizer" | "auth" => true,
                    "request_parameters" => http,
                    _ => false,
                });
                if r.get("RouteResponseSelectionExpression").is_some() {
                    route.insert("route_response".into(), true.into());
                }
            }
            routes.insert(key, Value::Object(route));
        }
        let mut emitted = Map::new();
        if websocket {
            self.cfn_websocket_parts(
                api,
                children,
                &route_ids,
                &mut routes,
                &mut authorizers,
                &mut emitted,
            );
        } else {
            emitted.insert("protocol".into(), "http".into());
        }
        self.origin(&out, &api.at());
        if let Some(cors) = api.get("CorsConfiguration").filter(|_| !websocket) {
            emitted.insert("cors".into(), cors_config(cors));
            self.origin(&format!("{out}/cors"), &api.prop("CorsConfiguration"));
        }
        if !authorizers.is_empty() {
            emitted.insert("authorizers".into(), Value::Object(authorizers));
        }
        let mut stages = Map::new();
        let mut route_settings: Vec<(String, Map<String, Value>, String)> = Vec::new();
        for s in of("AWS::ApiGatewayV2::Stage") {
            let Some(stage_name) = s.get("StageName").map(scalar_text) else {
                self.error(
                    &s.at(),
                    format!("stage `{}` has no `StageName`", s.id),
                    "name it, e.g. `StageName: $default`",
                );
                continue;
            };
            if stages.contains_key(&stage_name) {
                self.error(
                    &s.prop("StageName"),
                    format!("the stage `{stage_name}` of `{name}` is declared twice"),
                    "give each stage its own name",
                );
                continue;
            }
            let stage = super::sam::http_stage(&s.properties);
            if let Some(settings) = s.get("RouteSettings").and_then(Value::as_object) {
                route_settings.push((
                    stage_name.clone(),
                    settings.clone(),
                    s.prop("RouteSettings"),
                ));
            }
            self.origin(&child(&format!("{out}/stages"), &stage_name), &s.at());
            stages.insert(stage_name, Value::Object(stage));
        }
        if quick && !stages.contains_key("$default") {
            stages.insert("$default".into(), json!({}));
        }
        for (stage_name, settings, at) in route_settings {
            for (key, setting) in settings {
                let setting_at = child(&at, &key);
                let Some(throttle) = throttle(&setting) else {
                    continue;
                };
                if stages.len() > 1 {
                    self.warn(
                        &setting_at,
                        format!("the throttle of `{key}` in stage `{stage_name}` is not applied: Portico throttles a route alike in every stage"),
                        "set it in the stage's `DefaultRouteSettings`, or keep one stage",
                    );
                    continue;
                }
                match routes.get_mut(&key) {
                    Some(Value::Object(route)) => {
                        route.insert("throttle".into(), throttle);
                    }
                    _ => self.warn(
                        &setting_at,
                        format!(
                            "`{key}` is not a route of `{name}`, so this setting changes nothing"
                        ),
                        "name a route by its `RouteKey`",
                    ),
                }
            }
        }
        if stages.is_empty() {
            let (kind, stage) = match websocket {
                true => ("WebSocket", "`StageName: production`"),
                false => ("HTTP", "`StageName: $default`, `AutoDeploy: true`"),
            };
            self.warn(
                &api.at(),
                format!(
                    "the {kind} API `{name}` has no stage, so it cannot be invoked and is not served"
                ),
                format!("add an AWS::ApiGatewayV2::Stage ({stage})"),
            );
            return None;
        }
        emitted.insert("routes".into(), Value::Object(routes));
        emitted.insert("stages".into(), Value::Object(stages));
        Some(Value::Object(emitted))
    }

    /// The template of `i`'s `property` (`RequestTemplates`, `ResponseTemplates`) that its
    /// `TemplateSelectionExpression` selects: the one keyed by the expression's value
    /// (`\$default` is `$default`), else `$default`, else the only one.
    fn cfn_selected_template(&mut self, i: &Declared<'_>, property: &str) -> Option<String> {
        let templates = match i.get(property)? {
            Value::Object(templates) => templates,
            other => {
                self.error(
                    &i.prop(property),
                    format!("`{property}` is {}, not a mapping", kind(other)),
                    "key the templates by selection, e.g. `{$default: '{\"statusCode\": 200}'}`",
                );
                return None;
            }
        };
        let selected = i
            .text("TemplateSelectionExpression")
            .map(|e| e.replace("\\$", "$"));
        let chosen = selected
            .as_deref()
            .and_then(|key| templates.get(key))
            .or_else(|| templates.get("$default"))
            .or_else(|| {
                (templates.len() == 1)
                    .then(|| templates.values().next())
                    .flatten()
            });
        match chosen {
            Some(template) => Some(scalar_text(template)),
            None => {
                self.warn(
                    &i.prop(property),
                    format!(
                        "no template of `{}`'s `{property}` is selected: none is keyed `$default`",
                        i.id
                    ),
                    "key the template API Gateway falls back to `$default`",
                );
                None
            }
        }
    }

    /// A WebSocket integration response (`IntegrationResponseKey` `$default` or
    /// `/<pattern>/`): its selected template joins its MOCK integration's `responses`.
    fn cfn_integration_response(
        &mut self,
        r: &Declared<'_>,
        integrations: &mut BTreeMap<&str, Option<Map<String, Value>>>,
    ) {
        let key = r
            .text("IntegrationResponseKey")
            .unwrap_or("$default")
            .to_string();
        let template = self
            .cfn_selected_template(r, "ResponseTemplates")
            .unwrap_or_default();
        let integration = r
            .text("IntegrationId")
            .and_then(|id| integrations.get_mut(id));
        match integration {
            Some(Some(fields)) => match fields.get_mut("mock") {
                Some(Value::Object(mock)) => {
                    let responses = mock
                        .entry("responses")
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(responses) = responses {
                        responses.insert(key, template.into());
                    }
                }
                _ => self.warn(
                    &r.at(),
                    format!("`{}` answers for an integration that is not a MOCK; Portico passes proxy integrations' answers on as they are", r.id),
                    "remove it",
                ),
            },
            // The integration was reported.
            Some(None) => {}
            None => self.error(
                &r.prop("IntegrationId"),
                format!("`{}` names no AWS::ApiGatewayV2::Integration of its API", r.id),
                "write `IntegrationId: !Ref MyIntegration`",
            ),
        }
    }

    /// An `AWS::ApiGatewayV2::Integration` as the fields of the routes it serves; `None`
    /// when it cannot be served (reported).
    fn cfn_http_integration(
        &mut self,
        i: &Declared<'_>,
        websocket: bool,
    ) -> Option<Map<String, Value>> {
        let mut fields = Map::new();
        let kind_name = match i.get("IntegrationType") {
            Some(k) => scalar_text(k).to_ascii_uppercase(),
            None => {
                self.error(
                    &i.at(),
                    format!("integration `{}` has no `IntegrationType`", i.id),
                    "write `IntegrationType: AWS_PROXY` (a Lambda function) or `HTTP_PROXY` (a URL)",
                );
                return None;
            }
        };
        let uri = match i.get("IntegrationUri") {
            Some(Value::String(u)) => u.clone(),
            Some(other) => {
                self.error(
                    &i.prop("IntegrationUri"),
                    format!("`IntegrationUri` is {}, not a URI", kind(other)),
                    "write the function's ARN (`!GetAtt MyFunction.Arn`) or the backend's URL",
                );
                return None;
            }
            None if kind_name == "AWS_PROXY" && i.get("IntegrationSubtype").is_some() => {
                String::new()
            }
            None if kind_name == "MOCK" => String::new(),
            None => {
                self.error(
                    &i.at(),
                    format!("integration `{}` has no `IntegrationUri`", i.id),
                    "write the function's ARN (`!GetAtt MyFunction.Arn`) or the backend's URL",
                );
                return None;
            }
        };
        let payload = i.get("PayloadFormatVersion").map(scalar_text);
        match kind_name.as_str() {
            "AWS_PROXY" => {
                if let Some(subtype) = i.get("IntegrationSubtype") {
                    if websocket {
                        self.warn(
                            &i.prop("IntegrationSubtype"),
                            format!("AWS service integrations (`{}`) of WebSocket routes are not served; its routes are left out", scalar_text(subtype)),
                            "integrate the routes with a Lambda function, an HTTP endpoint or a mock",
                        );
                        return None;
                    }
                    // A service's action: its parameters are `RequestParameters`, as given.
                    fields.insert("integration_subtype".into(), scalar_text(subtype).into());
                    if let Some(Value::Object(parameters)) = i.get("RequestParameters") {
                        let parameters: Map<String, Value> = parameters
                            .iter()
                            .map(|(k, v)| (k.clone(), scalar_text(v).into()))
                            .collect();
                        fields.insert("request_parameters".into(), Value::Object(parameters));
                    }
                    return Some(fields);
                }
                let function = match self.cfn_invokes(&uri, &i.prop("IntegrationUri"), true)? {
                    Invokes::Function(f) => f,
                    Invokes::StageVariable | Invokes::Service => {
                        self.error(
                            &i.prop("IntegrationUri"),
                            format!("`{uri}` does not name a function of this template"),
                            "write `IntegrationUri: !GetAtt MyFunction.Arn`",
                        );
                        return None;
                    }
                };
                fields.insert("function".into(), function.into());
                match payload.as_deref() {
                    Some(v @ ("1.0" | "2.0")) => {
                        fields.insert("payload_format".into(), v.into());
                    }
                    Some(other) => {
                        self.error(
                            &i.prop("PayloadFormatVersion"),
                            format!("`{other}` is not a payload format version"),
                            "write `PayloadFormatVersion: \"2.0\"` (or \"1.0\")",
                        );
                        return None;
                    }
                    // WebSocket APIs' Lambda integrations have no payload format.
                    None if websocket => {}
                    None => {
                        self.error(
                            &i.at(),
                            format!("the Lambda integration `{}` has no `PayloadFormatVersion`", i.id),
                            "API Gateway requires one from CloudFormation: write `PayloadFormatVersion: \"2.0\"` (or \"1.0\")",
                        );
                        return None;
                    }
                }
            }
            "HTTP_PROXY" => {
                if !(uri.starts_with("http://") || uri.starts_with("https://")) {
                    if i.text("ConnectionType") == Some("VPC_LINK") {
                        self.warn(
                            &i.prop("IntegrationUri"),
                            format!("`{uri}` is reached through a VPC link, which Portico cannot"),
                            "point `IntegrationUri` at an http(s) URL reachable from this machine",
                        );
                    } else {
                        self.error(
                            &i.prop("IntegrationUri"),
                            format!("`{uri}` is not an http(s) URL"),
                            "give the backend's absolute URL, e.g. `https://example.com/{proxy}`",
                        );
                    }
                    return None;
                }
                let method = i.get("IntegrationMethod").map(scalar_text);
                if websocket {
                    if let Some(method) = method.filter(|m| !m.eq_ignore_ascii_case("POST")) {
                        self.warn(
                            &i.prop("IntegrationMethod"),
                            format!("Portico sends WebSocket messages to HTTP backends with POST, not {method}"),
                            "write `IntegrationMethod: POST`",
                        );
                    }
                } else if let Some(method) = method
                    && !method.eq_ignore_ascii_case("ANY")
                {
                    self.warn(
                        &i.prop("IntegrationMethod"),
                        format!("Portico sends the request's own method to the backend, not always {method}"),
                        "write `IntegrationMethod: ANY`",
                    );
                }
                if let Some(v) = payload.as_deref()
                    && v != "1.0"
                {
                    self.error(
                        &i.prop("PayloadFormatVersion"),
                        format!("an HTTP proxy integration takes payload format 1.0, not `{v}`"),
                        "remove `PayloadFormatVersion`, or write \"1.0\"",
                    );
                    return None;
                }
                fields.insert("http".into(), uri.into());
            }
            "MOCK" if websocket => {
                let mut mock = Map::new();
                if let Some(template) = self.cfn_selected_template(i, "RequestTemplates") {
                    mock.insert("request_template".into(), template.into());
                }
                fields.insert("mock".into(), Value::Object(mock));
            }
            "AWS" | "HTTP" if websocket => {
                self.warn(
                    &i.prop("IntegrationType"),
                    format!("`{kind_name}` (non-proxy) integrations of WebSocket routes are not served; the routes of `{}` are left out", i.id),
                    "integrate them with AWS_PROXY (a Lambda function), HTTP_PROXY (a URL) or MOCK",
                );
                return None;
            }
            "AWS" | "HTTP" | "MOCK" => {
                self.error(
                    &i.prop("IntegrationType"),
                    format!("`{kind_name}` integrations are for WebSocket APIs"),
                    "an HTTP API integrates with AWS_PROXY (a Lambda function) or HTTP_PROXY (a URL)",
                );
                return None;
            }
            other => {
                self.error(
                    &i.prop("IntegrationType"),
                    format!("`{other}` is not an integration type"),
                    "write `IntegrationType: AWS_PROXY` (a Lambda function) or `HTTP_PROXY` (a URL)",
                );
                return None;
            }
        }
        if let Some(timeout) = i.get("TimeoutInMillis") {
            match number(timeout) {
                Some(n) => {
                    fields.insert("timeout_ms".into(), n.into());
                }
                None => {
                    self.error(
                        &i.prop("TimeoutInMillis"),
                        format!("`TimeoutInMillis` is {}, not a number", kind(timeout)),
                        "give milliseconds, 50 to 30000",
                    );
                    return None;
                }
            }
        }
        match i.get("RequestParameters") {
            None => {}
            Some(Value::Object(parameters)) => {
                let parameters: Map<String, Value> = parameters
                    .iter()
                    .map(|(k, v)| (k.clone(), scalar_text(v).into()))
                    .collect();
                fields.insert("request_parameters".into(), Value::Object(parameters));
            }
            Some(other) => {
                self.error(
                    &i.prop("RequestParameters"),
                    format!("`RequestParameters` is {}, not a mapping", kind(other)),
                    "write e.g. `RequestParameters: {append:header.x-source: portico}`",
                );
                return None;
            }
        }
        match i.get("ResponseParameters") {
            None => {}
            Some(Value::Object(by_status)) => {
                let mut out = Map::new();
                for (status, mapping) in by_status {
                    let at = child(&i.prop("ResponseParameters"), status);
                    let mut changes = Map::new();
                    // CloudFormation's form: `{ResponseParameters: [{Destination, Source}]}`;
                    // the API's own: `{destination: source}`.
                    match mapping.get("ResponseParameters") {
                        Some(Value::Array(list)) => {
                            for entry in list {
                                match (entry.get("Destination"), entry.get("Source")) {
                                    (Some(d), Some(s)) => {
                                        changes.insert(scalar_text(d), scalar_text(s).into());
                                    }
                                    _ => {
                                        self.error(
                                            &at,
                                            "a response parameter needs `Destination` and `Source`",
                                            "write e.g. `{Destination: overwrite:statuscode, Source: \"204\"}`",
                                        );
                                        return None;
                                    }
                                }
                            }
                        }
                        _ => {
                            for (k, v) in mapping.as_object().into_iter().flatten() {
                                changes.insert(k.clone(), scalar_text(v).into());
                            }
                        }
                    }
                    out.insert(status.clone(), Value::Object(changes));
                }
                fields.insert("response_parameters".into(), Value::Object(out));
            }
            Some(other) => {
                self.error(
                    &i.prop("ResponseParameters"),
                    format!("`ResponseParameters` is {}, not a mapping", kind(other)),
                    "key it by status code, e.g. `\"404\": {ResponseParameters: [{Destination: overwrite:statuscode, Source: \"410\"}]}`",
                );
                return None;
            }
        }
        if i.text("ConnectionType") == Some("VPC_LINK") {
            self.warn(
                &i.prop("ConnectionType"),
                "private integrations (VPC_LINK) are not served through a VPC link: Portico calls `IntegrationUri` directly",
                "point it at an address reachable from this machine",
            );
        }
        Some(fields)
    }

    /// An `AWS::ApiGatewayV2::Authorizer`: its name, its config and whether it is a JWT one.
    fn cfn_http_authorizer_resource(
        &mut self,
        a: &Declared<'_>,
        websocket: bool,
    ) -> Option<(String, Value, bool)> {
        let auth_name = a.text("Name").unwrap_or(&a.id).to_string();
        let sources = match a.get("IdentitySource") {
            None => None,
            Some(Value::Array(list)) => Some(Value::Array(
                list.iter().map(|s| scalar_text(s).into()).collect(),
            )),
            Some(Value::String(s)) => Some(json!([s])),
            Some(other) => {
                self.error(
                    &a.prop("IdentitySource"),
                    format!("`IdentitySource` is {}, not a list", kind(other)),
                    "write e.g. `IdentitySource: [$request.header.Authorization]`",
                );
                return None;
            }
        };
        let kind_name = a
            .get("AuthorizerType")
            .map(|k| scalar_text(k).to_ascii_uppercase());
        let mut config = Map::new();
        let jwt = match kind_name.as_deref() {
            Some("JWT") => {
                let jwt = a.get("JwtConfiguration");
                let Some(issuer) = jwt.and_then(|j| j.get("Issuer")).map(scalar_text) else {
                    self.error(
                        &a.prop("JwtConfiguration"),
                        format!(
                            "the JWT authorizer `{}` has no `JwtConfiguration: Issuer`",
                            a.id
                        ),
                        "write `JwtConfiguration: {Issuer: https://..., Audience: [...]}`",
                    );
                    return None;
                };
                config.insert("type".into(), "jwt".into());
                config.insert("issuer".into(), issuer.into());
                if let Some(audience) = jwt.and_then(|j| j.get("Audience")) {
                    let audience = match audience {
                        Value::Array(items) => {
                            items.iter().map(|v| scalar_text(v).into()).collect()
                        }
                        other => vec![scalar_text(other).into()],
                    };
                    config.insert("audience".into(), Value::Array(audience));
                }
                true
            }
            Some("REQUEST") => {
                let Some(uri) = a.text("AuthorizerUri") else {
                    self.error(
                        &a.at(),
                        format!("the Lambda authorizer `{}` has no `AuthorizerUri`", a.id),
                        "name its function: `AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${MyAuthFunction.Arn}/invocations`",
                    );
                    return None;
                };
                let Invokes::Function(function) =
                    self.cfn_invokes(uri, &a.prop("AuthorizerUri"), false)?
                else {
                    self.error(
                        &a.prop("AuthorizerUri"),
                        format!("`{uri}` does not name a function of this template"),
                        "name the authorizer's function in the URI",
                    );
                    return None;
                };
                config.insert("type".into(), "lambda".into());
                // Authorizers invoke the function as it is, whatever alias the URI names.
                let function = function.split(':').next().unwrap_or_default();
                config.insert("function".into(), function.into());
                match a
                    .get("AuthorizerPayloadFormatVersion")
                    .map(scalar_text)
                    .as_deref()
                {
                    Some(v @ ("1.0" | "2.0")) => {
                        config.insert("payload_format".into(), v.into());
                    }
                    Some(other) => {
                        self.error(
                            &a.prop("AuthorizerPayloadFormatVersion"),
                            format!("`{other}` is not a payload format version"),
                            "write \"2.0\" (or \"1.0\")",
                        );
                        return None;
                    }
                    None if websocket => {}
                    None => {
                        self.error(
                            &a.at(),
                            format!("the Lambda authorizer `{}` has no `AuthorizerPayloadFormatVersion`", a.id),
                            "HTTP APIs require one: write `AuthorizerPayloadFormatVersion: \"2.0\"` (or \"1.0\")",
                        );
                        return None;
                    }
                }
                if a.get("EnableSimpleResponses").and_then(flag) == Some(true) {
                    config.insert("simple_responses".into(), true.into());
                }
                if let Some(ttl) = a.get("AuthorizerResultTtlInSeconds") {
                    match number(ttl) {
                        Some(n) => {
                            config.insert("ttl".into(), n.into());
                        }
                        None => {
                            self.error(
                                &a.prop("AuthorizerResultTtlInSeconds"),
                                format!(
                                    "`AuthorizerResultTtlInSeconds` is {}, not a number",
                                    kind(ttl)
                                ),
                                "give the seconds a decision is cached, 0 to 3600",
                            );
                            return None;
                        }
                    }
                }
                false
            }
            Some(other) => {
                self.error(
                    &a.prop("AuthorizerType"),
                    format!("`{other}` is not an HTTP API authorizer type"),
                    "write `AuthorizerType: JWT` or `REQUEST` (a Lambda authorizer)",
                );
                return None;
            }
            None => {
                self.error(
                    &a.at(),
                    format!("authorizer `{}` has no `AuthorizerType`", a.id),
                    "write `AuthorizerType: JWT` or `REQUEST` (a Lambda authorizer)",
                );
                return None;
            }
        };
        if let Some(sources) = sources {
            config.insert("identity_source".into(), sources);
        }
        Some((auth_name, Value::Object(config), jwt))
    }

    /// An `AWS::ApiGatewayV2::Route` as a Portico route; `None` when it cannot be served.
    fn cfn_http_route(
        &mut self,
        r: &Declared<'_>,
        api: &str,
        integrations: &BTreeMap<&str, Option<Map<String, Value>>>,
        authorizers: &BTreeMap<&str, Option<(String, bool)>>,
    ) -> Option<Map<String, Value>> {
        let mut route = match r.get("Target") {
            None => {
                self.warn(
                    &r.at(),
                    format!("route `{}` has no `Target`, so API Gateway has nothing to send its requests to; it is not served", r.id),
                    "write `Target: !Sub integrations/${MyIntegration}`",
                );
                return None;
            }
            Some(target) => {
                let target = scalar_text(target);
                match target
                    .strip_prefix("integrations/")
                    .map(|i| integrations.get(i))
                {
                    Some(Some(Some(fields))) => fields.clone(),
                    Some(Some(None)) => return None,
                    _ => {
                        self.error(
                            &r.prop("Target"),
                            format!("`{target}` names no AWS::ApiGatewayV2::Integration of the API `{api}`"),
                            format!("write `Target: !Sub integrations/${{MyIntegration}}`, MyIntegration being an integration whose `ApiId` is `{api}`"),
                        );
                        return None;
                    }
                }
            }
        };
        let authorization = r
            .get("AuthorizationType")
            .map(|a| scalar_text(a).to_ascii_uppercase())
            .unwrap_or_else(|| "NONE".to_string());
        match authorization.as_str() {
            "NONE" => {}
            "AWS_IAM" => {
                route.insert("auth".into(), "aws_iam".into());
            }
            "JWT" | "CUSTOM" => {
                let jwt = authorization == "JWT";
                let Some(id) = r.text("AuthorizerId") else {
                    self.error(
                        &r.prop("AuthorizationType"),
                        format!("`AuthorizationType: {authorization}` needs an `AuthorizerId`"),
                        "write `AuthorizerId: !Ref MyAuthorizer`",
                    );
                    return None;
                };
                match authorizers.get(id) {
                    Some(Some((name, is_jwt))) if *is_jwt == jwt => {
                        route.insert("authorizer".into(), name.clone().into());
                        if let Some(scopes) = r.get("AuthorizationScopes").and_then(Value::as_array)
                        {
                            if jwt {
                                route.insert("scopes".into(), Value::Array(scopes.clone()));
                            } else {
                                self.warn(
                                    &r.prop("AuthorizationScopes"),
                                    "scopes are checked by JWT authorizers only",
                                    "remove `AuthorizationScopes`, or use a JWT authorizer",
                                );
                            }
                        }
                    }
                    Some(Some(_)) => {
                        self.error(
                            &r.prop("AuthorizationType"),
                            format!(
                                "`AuthorizationType` is {authorization}, but `{id}` is {} authorizer",
                                if jwt { "a Lambda (REQUEST)" } else { "a JWT" }
                            ),
                            "write `AuthorizationType: JWT` for JWT authorizers, `CUSTOM` for Lambda ones",
                        );
                        return None;
                    }
                    Some(None) => return None,
                    None => {
                        self.error(
                            &r.prop("AuthorizerId"),
                            format!(
                                "`{id}` is not an AWS::ApiGatewayV2::Authorizer of the API `{api}`"
                            ),
                            "write `AuthorizerId: !Ref MyAuthorizer`",
                        );
                        return None;
                    }
                }
            }
            other => {
                self.error(
                    &r.prop("AuthorizationType"),
                    format!("`{other}` is not an authorization type"),
                    "use NONE, JWT, CUSTOM or AWS_IAM",
                );
                return None;
            }
        }
        if r.get("RequestParameters").is_some() {
            self.warn(
                &r.prop("RequestParameters"),
                "a route's request parameters are not checked by Portico",
                "it has no effect here",
            );
        }
        Some(route)
    }
}

/// What `Fn::GetAtt [api, RootResourceId]` gives: no logical id has a `/`.
fn root_of(api: &str) -> String {
    format!("{api}/")
}

/// `GET`, or `ANY` for the any-method key.
fn method_name(op_key: &str) -> String {
    if op_key == "x-amazon-apigateway-any-method" {
        "ANY".to_string()
    } else {
        op_key.to_ascii_uppercase()
    }
}

/// A boolean, written as one or as text.
fn flag(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The local file an `AWS::Include` transform names; `None` for another transform or a
/// file in S3 (left for the intrinsics, which warn).
fn include_location(transform: &Value) -> Option<String> {
    if transform.get("Name").and_then(Value::as_str) != Some("AWS::Include") {
        return None;
    }
    let location = transform
        .get("Parameters")
        .and_then(|p| p.get("Location"))
        .and_then(Value::as_str)?;
    let remote = ["s3://", "http://", "https://"]
        .iter()
        .any(|p| location.starts_with(p));
    (!remote && !location.is_empty() && !Path::new(location).as_os_str().is_empty())
        .then(|| location.to_string())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{Value, json};

    use super::super::{Options, translate};
    use crate::Diagnostic;
    use crate::websocket::WebSocketIntegration;

    /// The config `text` translates into (read back from its YAML) and the warnings.
    fn config(text: &str, base: &Path) -> (Value, Vec<Diagnostic>) {
        match translate(text, base, &Options::default()) {
            Ok(t) => {
                let value = serde_saphyr::from_str::<Value>(&t.text).unwrap();
                (value, t.warnings)
            }
            Err(errors) => panic!("unexpected errors: {errors:#?}"),
        }
    }

    /// The config `text` compiles into, as `portico serve` would load it from `dir`.
    fn compiled(text: &str, dir: &Path) -> crate::Config {
        let path = dir.join("template.yaml");
        std::fs::write(&path, text).unwrap();
        match crate::load_with(&path, &Options::default()) {
            Ok(config) => config,
            Err(e) => panic!("the translation does not compile: {e}"),
        }
    }

    /// The errors translating `text` gives.
    fn errors(text: &str, base: &Path) -> Vec<Diagnostic> {
        match translate(text, base, &Options::default()) {
            Ok(t) => panic!("no errors; translated:\n{}", t.text),
            Err(errors) => errors,
        }
    }

    /// The 1-based line of `text` that holds `needle`.
    fn line_of(text: &str, needle: &str) -> u32 {
        let i = text
            .lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("`{needle}` is not in the template"));
        i as u32 + 1
    }

    /// The one diagnostic whose message contains `needle`.
    fn find<'d>(diagnostics: &'d [Diagnostic], needle: &str) -> &'d Diagnostic {
        let found: Vec<&Diagnostic> = diagnostics
            .iter()
            .filter(|d| d.message.contains(needle))
            .collect();
        assert_eq!(found.len(), 1, "`{needle}` in {diagnostics:#?}");
        found[0]
    }

    const FUNCTION: &str = r#"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: greeter
      Runtime: python3.12
      Handler: index.handler
      Timeout: 10
      MemorySize: 256
      ReservedConcurrentExecutions: 3
      Role: !GetAtt FnRole.Arn
      Environment:
        Variables:
          GREETING: hi
          COUNT: 2
          URL: !GetAtt FnUrl.FunctionUrl
          STAGE: !Ref Stage
      Layers: [arn:aws:lambda:us-east-1:123456789012:layer:shared:1]
      Code:
        ZipFile: |
          def handler(event, context):
              return {"statusCode": 200, "body": "hi"}
  FnRole:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
  FnUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !GetAtt Fn.Arn
      AuthType: NONE
      InvokeMode: RESPONSE_STREAM
      Cors: {AllowOrigins: ["https://app.example"], AllowMethods: [GET], MaxAge: 60}
  FnPermission:
    Type: AWS::Lambda::Permission
    Properties: {Action: lambda:InvokeFunctionUrl, FunctionName: !Ref Fn, Principal: "*"}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, StageName: live}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: api}
"#;

    #[test]
    fn a_function_with_inline_code_and_its_url() {
        let dir = tempfile::tempdir().unwrap();
        let (config, warnings) = config(FUNCTION, dir.path());
        assert_eq!(
            config["functions"]["greeter"],
            json!({
                "runtime": "python3.12", "handler": "index.handler",
                "code": ".portico/inline/Fn", "timeout": 10, "memory": 256, "concurrency": 3,
                "environment": {"GREETING": "hi", "COUNT": "2",
                                "URL": "http://greeter.lambda-url.localhost:3000/", "STAGE": "live"},
                "url": {"auth": "none", "invoke_mode": "response_stream",
                        "cors": {"allow_origins": ["https://app.example"], "allow_methods": ["GET"], "max_age": 60}},
            })
        );
        // Lambda saves `ZipFile` code as index.py.
        let code = std::fs::read_to_string(dir.path().join(".portico/inline/Fn/index.py")).unwrap();
        assert!(code.starts_with("def handler(event, context):"), "{code}");
        let layers = find(
            &warnings,
            "layer `arn:aws:lambda:us-east-1:123456789012:layer:shared:1` of `Fn` is not on this machine",
        );
        assert_eq!(layers.line, line_of(FUNCTION, "Layers:"));
        // The API has a stage but no method: it is served, empty.
        assert_eq!(config["apis"]["Api"]["stages"], json!({"live": {}}));
        compiled(FUNCTION, dir.path());
    }

    const ALIASED: &str = r#"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: greeter
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): return {}"}
      Environment: {Variables: {URL: !GetAtt FnUrl.FunctionUrl}}
  FnVersion:
    Type: AWS::Lambda::Version
    Properties: {FunctionName: !Ref Fn}
  FnLive:
    Type: AWS::Lambda::Alias
    Properties: {FunctionName: !Ref Fn, FunctionVersion: !GetAtt FnVersion.Version, Name: live}
  FnUrl:
    Type: AWS::Lambda::Url
    Properties: {TargetFunctionArn: !GetAtt Fn.Arn, Qualifier: live, AuthType: NONE}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: quick, ProtocolType: HTTP, Target: !Ref FnLive}
"#;

    #[test]
    fn aliases_their_urls_and_integrations_that_invoke_them() {
        let dir = tempfile::tempdir().unwrap();
        let (config, warnings) = config(ALIASED, dir.path());
        let f = &config["functions"]["greeter"];
        assert_eq!(
            f["aliases"],
            json!({"live": {"url": {"auth": "none"}}}),
            "{f}"
        );
        assert_eq!(f.get("url"), None);
        assert_eq!(
            f["environment"]["URL"],
            "http://live.greeter.lambda-url.localhost:3000/"
        );
        assert_eq!(
            config["apis"]["Api"]["routes"]["$default"]["function"],
            "greeter:live"
        );
        assert!(warnings.is_empty(), "{warnings:#?}");
        let compiled = compiled(ALIASED, dir.path());
        assert_eq!(
            compiled.functions["greeter"]
                .version_of(Some("live"))
                .as_deref(),
            Some("1")
        );
        // An alias the template does not declare is named where the URL asks for it.
        let broken = ALIASED.replace("Qualifier: live", "Qualifier: prod");
        let problems = errors(&broken, dir.path());
        let problem = find(&problems, "`greeter` has no alias `prod` in this template");
        assert_eq!(problem.line, line_of(&broken, "Qualifier: prod"));
    }

    /// The shape of AWS's WebSocket chat sample: an `AWS::ApiGatewayV2::Api` with
    /// `ProtocolType: WEBSOCKET`, its routes, integrations, a route response, an authorizer
    /// and a stage.
    const WEBSOCKET: &str = r#"
Resources:
  Connect:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: index.handler, Code: {ZipFile: "def handler(e, c): return {}"}}
  Send:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: index.handler, Code: {ZipFile: "def handler(e, c): return {}"}}
  Auth:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: index.handler, Code: {ZipFile: "def handler(e, c): return {}"}}
  ChatApi:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: chat, ProtocolType: WEBSOCKET, RouteSelectionExpression: "$request.body.action"}
  ConnectRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref ChatApi
      RouteKey: $connect
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref TokenAuth
      Target: !Join ['/', [integrations, !Ref ConnectInteg]]
  ConnectInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref ChatApi
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Connect.Arn}/invocations
  SendRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref ChatApi
      RouteKey: sendmessage
      Target: !Sub integrations/${SendInteg}
  SendInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref ChatApi
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Send.Arn}/invocations
  SendResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties: {ApiId: !Ref ChatApi, RouteId: !Ref SendRoute, RouteResponseKey: $default}
  PingRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref ChatApi, RouteKey: ping, RouteResponseSelectionExpression: $default, Target: !Sub "integrations/${PingInteg}"}
  PingResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties: {ApiId: !Ref ChatApi, RouteId: !Ref PingRoute, RouteResponseKey: $default}
  PingInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref ChatApi
      IntegrationType: MOCK
      TemplateSelectionExpression: \$default
      RequestTemplates: {application/json: '{"statusCode": 200}'}
  PingIntegResponse:
    Type: AWS::ApiGatewayV2::IntegrationResponse
    Properties:
      ApiId: !Ref ChatApi
      IntegrationId: !Ref PingInteg
      IntegrationResponseKey: /2\d\d/
      ResponseTemplates: {$default: '{"pong": true}'}
  RelayRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref ChatApi, RouteKey: relay, Target: !Sub "integrations/${RelayInteg}"}
  RelayInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref ChatApi
      IntegrationType: HTTP_PROXY
      IntegrationMethod: POST
      IntegrationUri: http://127.0.0.1:8080/relay
      RequestParameters: {integration.request.header.connectionId: context.connectionId}
  TokenAuth:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref ChatApi
      Name: token
      AuthorizerType: REQUEST
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Auth.Arn}/invocations
      IdentitySource: [route.request.querystring.token]
  Deployment:
    Type: AWS::ApiGatewayV2::Deployment
    DependsOn: [ConnectRoute, SendRoute]
    Properties: {ApiId: !Ref ChatApi}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {StageName: Prod, ApiId: !Ref ChatApi, DeploymentId: !Ref Deployment}
"#;

    #[test]
    fn a_websocket_api_of_resources_is_portico_s_websocket_api() {
        let dir = tempfile::tempdir().unwrap();
        let (config, warnings) = config(WEBSOCKET, dir.path());
        assert_eq!(
            config["apis"]["ChatApi"],
            json!({
                "protocol": "websocket",
                "route_selection": "$request.body.action",
                "authorizers": {"token": {"type": "lambda", "function": "Auth", "identity_source": ["route.request.querystring.token"]}},
                "routes": {
                    "$connect": {"function": "Connect", "authorizer": "token"},
                    "sendmessage": {"function": "Send", "route_response": true},
                    "ping": {
                        "mock": {
                            "request_template": r#"{"statusCode": 200}"#,
                            "responses": {"/2\\d\\d/": r#"{"pong": true}"#},
                        },
                        "route_response": true,
                    },
                    "relay": {
                        "http": "http://127.0.0.1:8080/relay",
                        "request_parameters": {"integration.request.header.connectionId": "context.connectionId"},
                    },
                },
                "stages": {"Prod": {}},
            })
        );
        assert!(warnings.is_empty(), "{warnings:#?}");
        let compiled = compiled(WEBSOCKET, dir.path());
        let api = &compiled.websocket_apis["ChatApi"];
        assert_eq!(api.routes["$connect"].authorizer.as_deref(), Some("token"));
        assert!(api.routes["sendmessage"].route_response);
        let WebSocketIntegration::Mock(mock) = &api.routes["ping"].integration else {
            panic!("ping is no mock: {:?}", api.routes["ping"]);
        };
        assert_eq!(mock.responses[0].pattern.as_deref(), Some("2\\d\\d"));
        assert!(matches!(
            &api.routes["relay"].integration,
            WebSocketIntegration::Http { parameters, .. } if parameters.len() == 1
        ));
    }

    #[test]
    fn a_function_whose_code_is_a_cdk_asset_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("asset.1234abcd")).unwrap();
        std::fs::write(dir.path().join("asset.1234abcd/app.py"), "").unwrap();
        std::fs::write(dir.path().join("asset.zip"), "").unwrap();
        let template = r#"{
  "Resources": {
    "Fn": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "Code": {"S3Bucket": {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}, "S3Key": "1234abcd.zip"},
        "Handler": "app.handler", "Runtime": "python3.12", "Architectures": ["arm64"]
      },
      "Metadata": {"aws:cdk:path": "AppStack/Fn/Resource", "aws:asset:path": "asset.1234abcd", "aws:asset:is-bundled": false, "aws:asset:property": "Code"}
    }
  }
}"#;
        let (config, warnings) = config(template, dir.path());
        assert_eq!(config["functions"]["Fn"]["code"], "asset.1234abcd");
        assert!(warnings.is_empty(), "{warnings:#?}");

        let broken = r#"
Resources:
  InS3:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Code: {S3Bucket: my-bucket, S3Key: code.zip}
  Zipped:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Code: {S3Bucket: my-bucket, S3Key: code.zip}
    Metadata: {aws:asset:path: asset.zip}
  Missing:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Code: {S3Bucket: my-bucket, S3Key: code.zip}
    Metadata: {aws:asset:path: asset.gone}
  Image:
    Type: AWS::Lambda::Function
    Properties:
      Code: {ImageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest}
  Misnamed:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs20.x
      Handler: main.handler
      Code: {ZipFile: "exports.handler = async () => 'hi';"}
"#;
        let errors = errors(broken, dir.path());
        let s3 = find(&errors, "in S3 (`s3://my-bucket/code.zip`)");
        assert_eq!(s3.line, line_of(broken, "Code: {S3Bucket"));
        let zipped = find(&errors, "`asset.zip` is a file");
        assert_eq!(zipped.line, line_of(broken, "asset.zip"));
        let missing = find(&errors, "`asset.gone` does not exist");
        assert_eq!(missing.line, line_of(broken, "asset.gone"));
        let image = find(&errors, "`Image` is a container image");
        assert_eq!(image.line, line_of(broken, "ImageUri"));
        let misnamed = find(&errors, "index.js, so the handler `main.handler`");
        assert_eq!(misnamed.line, line_of(broken, "Handler: main.handler"));
        assert_eq!(errors.len(), 5, "{errors:#?}");
    }

    const REST: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): return {}"}
  Auth:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): return {}"}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: shop
      BinaryMediaTypes: [image~1png]
      ApiKeySourceType: HEADER
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: items}
  Item:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !Ref Items, PathPart: "{id}"}
  ListItems:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref TokenAuth
      ApiKeyRequired: true
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Join ["", ["arn:", !Ref "AWS::Partition", ":apigateway:", !Ref "AWS::Region", ":lambda:path/2015-03-31/functions/", !GetAtt Fn.Arn, "/invocations"]]
  GetItem:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Item
      HttpMethod: get
      AuthorizationType: COGNITO_USER_POOLS
      AuthorizerId: !Ref Pool
      AuthorizationScopes: [items/read]
      RequestParameters: {method.request.path.id: true, method.request.querystring.fields: false}
      RequestValidatorId: !Ref Validator
      Integration:
        Type: HTTP
        IntegrationHttpMethod: GET
        Uri: https://backend.example/items/{id}
        RequestParameters: {integration.request.path.id: method.request.path.id}
        PassthroughBehavior: WHEN_NO_TEMPLATES
        TimeoutInMillis: 5000
        IntegrationResponses:
          - StatusCode: 200
            ResponseTemplates: {application/json: "$input.json('$')"}
          - StatusCode: 404
            SelectionPattern: "4\\d{2}"
      MethodResponses:
        - StatusCode: 200
          ResponseModels: {application/json: Empty}
        - StatusCode: 404
  PutItem:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Item
      HttpMethod: PUT
      AuthorizationType: AWS_IAM
      RequestModels: {application/json: !Ref ItemModel}
      RequestValidatorId: !Ref Validator
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
        RequestTemplates: {application/json: '{"id": "$input.params(''id'')"}'}
  Root:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: ANY
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{"statusCode": 200}'}
        IntegrationResponses:
          - StatusCode: 200
            ResponseParameters: {method.response.header.X-Mock: "'yes'"}
      MethodResponses:
        - StatusCode: 200
          ResponseParameters: {method.response.header.X-Mock: true}
  TokenAuth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Name: token
      Type: TOKEN
      IdentitySource: method.request.header.X-Token
      IdentityValidationExpression: "^Bearer .+$"
      AuthorizerResultTtlInSeconds: 60
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Auth.Arn}/invocations
  Pool:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Name: users
      Type: COGNITO_USER_POOLS
      IdentitySource: method.request.header.Authorization
      ProviderARNs: [arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_ABC]
  ItemModel:
    Type: AWS::ApiGateway::Model
    Properties:
      RestApiId: !Ref Api
      Name: Item
      ContentType: application/json
      Schema: {type: object, required: [name], properties: {name: {type: string}}}
  Validator:
    Type: AWS::ApiGateway::RequestValidator
    Properties: {RestApiId: !Ref Api, Name: all, ValidateRequestBody: true, ValidateRequestParameters: true}
  NotFound:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref Api
      ResponseType: MISSING_AUTHENTICATION_TOKEN
      StatusCode: "404"
      ResponseParameters: {gatewayresponse.header.x-why: "'no such route'"}
      ResponseTemplates: {application/json: '{"message": "nothing here"}'}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [ListItems, GetItem, PutItem, Root]
    Properties:
      RestApiId: !Ref Api
      StageName: test
      StageDescription: {ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10, Variables: {mode: test}}
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: prod
      Variables: {mode: live}
      CacheClusterEnabled: true
      AccessLogSetting: {DestinationArn: arn:aws:logs:us-east-1:123456789012:log-group:x, Format: '$context.requestId $context.status'}
      MethodSettings:
        - {ResourcePath: "/*", HttpMethod: "*", ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50}
        - {ResourcePath: "/~1items~1{id}", HttpMethod: GET, CachingEnabled: true, CacheTtlInSeconds: 60}
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Name: partner, Enabled: true, Value: partner-key-0123456789abcdef}
  Off:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Name: retired}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      UsagePlanName: gold
      ApiStages:
        - ApiId: !Ref Api
          Stage: !Ref Prod
          Throttle: {"/items/GET": {RateLimit: 2, BurstLimit: 4}}
      Throttle: {RateLimit: 10, BurstLimit: 20}
      Quota: {Limit: 1000, Period: DAY}
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref Plan}
  OffKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Off, KeyType: API_KEY, UsagePlanId: !Ref Plan}
"#;

    #[test]
    fn a_rest_api_of_resources_is_the_document_api_gateway_exports() {
        let dir = tempfile::tempdir().unwrap();
        let (config, warnings) = config(REST, dir.path());
        let api = &config["apis"]["Api"];
        assert_eq!(api["protocol"], "rest");
        let doc = &api["openapi"];
        assert_eq!(doc["swagger"], "2.0");
        assert_eq!(doc["info"]["title"], "shop");
        let lambda = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:Fn/invocations";
        assert_eq!(
            doc["paths"]["/items"]["get"],
            json!({
                "responses": {},
                "security": [{"token": [], "api_key": []}],
                "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": lambda},
            })
        );
        assert_eq!(
            doc["paths"]["/items/{id}"]["get"],
            json!({
                "parameters": [
                    {"name": "id", "in": "path", "required": true, "type": "string"},
                    {"name": "fields", "in": "query", "required": false, "type": "string"},
                ],
                "security": [{"users": ["items/read"]}],
                "x-amazon-apigateway-request-validator": "all",
                "responses": {},
                "x-amazon-apigateway-integration": {
                    "type": "http", "httpMethod": "GET", "uri": "https://backend.example/items/{id}",
                    "requestParameters": {"integration.request.path.id": "method.request.path.id"},
                    "passthroughBehavior": "when_no_templates", "timeoutInMillis": 5000,
                    "responses": {
                        "default": {"statusCode": "200", "responseTemplates": {"application/json": "$input.json('$')"}},
                        "4\\d{2}": {"statusCode": "404"},
                    },
                },
            })
        );
        let put = &doc["paths"]["/items/{id}"]["put"];
        assert_eq!(put["security"], json!([{"sigv4": []}]));
        assert_eq!(put["consumes"], json!(["application/json"]));
        assert_eq!(
            put["parameters"],
            json!([{"in": "body", "name": "Item", "required": true, "schema": {"$ref": "#/definitions/Item"}}])
        );
        assert_eq!(put["x-amazon-apigateway-integration"]["type"], "aws");
        let root = &doc["paths"]["/"]["x-amazon-apigateway-any-method"];
        assert_eq!(root["x-amazon-apigateway-integration"]["type"], "mock");
        assert_eq!(
            doc["securityDefinitions"]["token"],
            json!({
                "type": "apiKey", "name": "X-Token", "in": "header",
                "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {
                    "type": "token", "identitySource": "method.request.header.X-Token",
                    "identityValidationExpression": "^Bearer .+$", "authorizerResultTtlInSeconds": 60,
                    "authorizerUri": lambda.replace("function:Fn/", "function:Auth/"),
                },
            })
        );
        assert_eq!(
            doc["securityDefinitions"]["users"]["x-amazon-apigateway-authorizer"]["providerARNs"],
            json!(["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_ABC"])
        );
        assert_eq!(
            doc["securityDefinitions"]["sigv4"]["x-amazon-apigateway-authtype"],
            "awsSigv4"
        );
        assert_eq!(
            doc["securityDefinitions"]["api_key"],
            json!({"type": "apiKey", "name": "x-api-key", "in": "header"})
        );
        assert_eq!(
            doc["x-amazon-apigateway-request-validators"],
            json!({"all": {"validateRequestBody": true, "validateRequestParameters": true}})
        );
        assert_eq!(doc["definitions"]["Item"]["required"], json!(["name"]));
        // `Empty` is built in; named by a method response only, it is not written.
        assert_eq!(doc["definitions"].get("Empty"), None);
        assert_eq!(
            doc["x-amazon-apigateway-gateway-responses"],
            json!({"MISSING_AUTHENTICATION_TOKEN": {
                "statusCode": "404",
                "responseParameters": {"gatewayresponse.header.x-why": "'no such route'"},
                "responseTemplates": {"application/json": "{\"message\": \"nothing here\"}"},
            }})
        );
        assert_eq!(
            doc["x-amazon-apigateway-binary-media-types"],
            json!(["image/png"])
        );
        assert_eq!(doc["x-amazon-apigateway-api-key-source"], "HEADER");
        assert_eq!(
            api["stages"],
            json!({
                "test": {"variables": {"mode": "test"}, "throttle": {"rate": 5.0, "burst": 10}},
                "prod": {
                    "variables": {"mode": "live"}, "throttle": {"rate": 100.0, "burst": 50},
                    "cache_methods": {"GET /items/{id}": 60},
                    "access_log": {"format": "$context.requestId $context.status"},
                },
            })
        );
        assert_eq!(
            api["api_keys"],
            json!({"partner": {"value": "partner-key-0123456789abcdef"}})
        );
        assert_eq!(
            api["usage_plans"],
            json!({"gold": {
                "throttle": {"rate": 10.0, "burst": 20},
                "quota": {"limit": 1000, "period": "DAY"},
                "method_throttles": {"GET /items": {"rate": 2.0, "burst": 4}},
                "keys": ["partner"],
            }})
        );
        // The key that is not enabled is left out, and said so.
        let off = find(&warnings, "`Off` is not enabled");
        assert_eq!(off.line, line_of(REST, "  Off:"));
        assert_eq!(warnings.len(), 1, "{warnings:#?}");
        let compiled = compiled(REST, dir.path());
        assert!(
            compiled
                .warnings
                .iter()
                .all(|w| w.contains("`Off` is not enabled")),
            "{:#?}",
            compiled.warnings
        );
    }

    #[test]
    fn a_broken_rest_api_is_reported_where_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let template = r#"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: index.handler, Code: {ZipFile: "x = 1"}}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: broken
      BodyS3Location: {Bucket: my-bucket, Key: api.yaml}
  Other:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: other}
  Stray:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Other.RootResourceId, PathPart: stray}
  Nowhere:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: NoSuchResource
      HttpMethod: GET
      Integration: {Type: MOCK}
  Elsewhere:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:elsewhere/invocations
  Bare:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: POST
      Integration: {Type: AWS_PROXY, IntegrationHttpMethod: POST, Uri: !GetAtt Fn.Arn}
  Unauthorized:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: DELETE
      AuthorizationType: CUSTOM
      AuthorizerId: Nobody
      Integration: {Type: MOCK}
  Orphan:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: NoSuchApi
      ResourceId: x
      HttpMethod: GET
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, StageName: prod}
"#;
        let errors = errors(template, dir.path());
        let at = |needle: &str, line: &str| {
            let d = find(&errors, needle);
            assert_eq!(d.line, line_of(template, line), "{d:#?}");
        };
        at("the OpenAPI document of `Api` is in S3", "BodyS3Location:");
        at(
            "`Other/` is neither the root of `Api`",
            "ParentId: !GetAtt Other",
        );
        at(
            "`NoSuchResource` is not an AWS::ApiGateway::Resource of the API `Api`",
            "ResourceId: NoSuchResource",
        );
        at(
            "`arn:aws:lambda:us-east-1:123456789012:function:elsewhere` is not a function of this template",
            "function:elsewhere/invocations",
        );
        at(
            "is a function ARN, not an API Gateway invocation URI",
            "Uri: !GetAtt Fn.Arn",
        );
        at(
            "`Nobody` is not an AWS::ApiGateway::Authorizer",
            "AuthorizerId: Nobody",
        );
        at(
            "`NoSuchApi` is not an AWS::ApiGateway::RestApi",
            "RestApiId: NoSuchApi",
        );
        assert_eq!(errors.len(), 7, "{errors:#?}");
    }

    #[test]
    fn a_rest_api_without_a_stage_is_not_served() {
        let dir = tempfile::tempdir().unwrap();
        let template = r#"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: unstaged}
  Method:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      Integration: {Type: MOCK}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Api}
"#;
        let (config, warnings) = config(template, dir.path());
        assert_eq!(config.get("apis"), None, "{config}");
        let w = find(&warnings, "`Api` has no stage");
        assert_eq!(w.line, line_of(template, "  Api:"));
    }

    #[test]
    fn a_rest_api_body_read_from_an_included_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("api.yaml"),
            "swagger: '2.0'\ninfo: {title: included, version: '1'}\npaths:\n  /hi:\n    get:\n      x-amazon-apigateway-integration:\n        type: aws_proxy\n        httpMethod: POST\n        uri:\n          Fn::Sub: arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations\n",
        )
        .unwrap();
        let template = r#"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: index.handler, Code: {ZipFile: "x = 1"}}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        Fn::Transform:
          Name: AWS::Include
          Parameters: {Location: ./api.yaml}
  Bye:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: bye}
  ByeGet:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Bye
      HttpMethod: GET
      Integration: {Type: MOCK, RequestTemplates: {application/json: '{"statusCode": 200}'}}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Api, StageName: v1}
"#;
        let (config, warnings) = config(template, dir.path());
        assert!(warnings.is_empty(), "{warnings:#?}");
        let doc = &config["apis"]["Api"]["openapi"];
        assert_eq!(doc["info"]["title"], "included");
        // Resolved after it was spliced in.
        assert_eq!(
            doc["paths"]["/hi"]["get"]["x-amazon-apigateway-integration"]["uri"],
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:Fn/invocations"
        );
        assert_eq!(
            doc["paths"]["/bye"]["get"]["x-amazon-apigateway-integration"]["type"],
            "mock"
        );
        assert_eq!(config["apis"]["Api"]["stages"], json!({"v1": {}}));

        let missing = template.replace("./api.yaml", "./gone.yaml");
        let errors = errors(&missing, dir.path());
        let d = find(&errors, "cannot read `./gone.yaml`");
        assert_eq!(d.line, line_of(&missing, "gone.yaml"));
    }

    const HTTP: &str = r#"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: index.handler, Code: {ZipFile: "x = 1"}}
  Auth:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: index.handler, Code: {ZipFile: "x = 1"}}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: shop
      ProtocolType: HTTP
      CorsConfiguration: {AllowOrigins: ["https://app.example"], AllowMethods: [GET, POST], AllowCredentials: true}
  Lambda:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Fn.Arn
      PayloadFormatVersion: "2.0"
      TimeoutInMillis: 5000
  Legacy:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
      PayloadFormatVersion: "1.0"
  Queue:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationSubtype: SQS-SendMessage
      PayloadFormatVersion: "1.0"
      CredentialsArn: arn:aws:iam::123456789012:role/api-sqs
      RequestParameters: {QueueUrl: https://sqs.us-east-1.amazonaws.com/123456789012/orders, MessageBody: $request.body.message}
  QueueRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: POST /orders, Target: !Sub "integrations/${Queue}"}
  Proxy:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: HTTP_PROXY
      IntegrationMethod: ANY
      IntegrationUri: http://127.0.0.1:8080/{proxy}
      RequestParameters: {append:header.x-source: portico}
      ResponseParameters:
        "404":
          ResponseParameters: [{Destination: overwrite:statuscode, Source: "410"}]
  Items:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: GET /items, Target: !Sub "integrations/${Lambda}"}
  Me:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /me
      Target: !Join [/, [integrations, !Ref Lambda]]
      AuthorizationType: JWT
      AuthorizerId: !Ref Jwt
      AuthorizationScopes: [profile]
  Old:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: POST /old
      Target: !Sub "integrations/${Legacy}"
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref Custom
  Signed:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: PUT /signed, Target: !Sub "integrations/${Lambda}", AuthorizationType: AWS_IAM}
  Rest:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: "ANY /legacy/{proxy+}", Target: !Sub "integrations/${Proxy}"}
  Jwt:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Api
      Name: users
      AuthorizerType: JWT
      IdentitySource: [$request.header.Authorization]
      JwtConfiguration: {Issuer: "https://issuer.example", Audience: [my-app]}
  Custom:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Api
      Name: custom
      AuthorizerType: REQUEST
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Auth.Arn}/invocations
      AuthorizerPayloadFormatVersion: "2.0"
      EnableSimpleResponses: true
      IdentitySource: [$request.header.X-Token]
      AuthorizerResultTtlInSeconds: 30
  Default:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Api
      StageName: $default
      AutoDeploy: true
      StageVariables: {table: items}
      DefaultRouteSettings: {ThrottlingRateLimit: 10, ThrottlingBurstLimit: 5}
      RouteSettings:
        GET /items: {ThrottlingRateLimit: 1, ThrottlingBurstLimit: 2}
"#;

    #[test]
    fn an_http_api_of_resources_is_portico_s_http_api() {
        let dir = tempfile::tempdir().unwrap();
        let (config, warnings) = config(HTTP, dir.path());
        assert!(warnings.is_empty(), "{warnings:#?}");
        assert_eq!(
            config["apis"]["Api"],
            json!({
                "protocol": "http",
                "cors": {"allow_origins": ["https://app.example"], "allow_methods": ["GET", "POST"], "allow_credentials": true},
                "authorizers": {
                    "users": {"type": "jwt", "issuer": "https://issuer.example", "audience": ["my-app"],
                              "identity_source": ["$request.header.Authorization"]},
                    "custom": {"type": "lambda", "function": "Auth", "payload_format": "2.0", "simple_responses": true,
                               "ttl": 30, "identity_source": ["$request.header.X-Token"]},
                },
                "routes": {
                    "GET /items": {"function": "Fn", "payload_format": "2.0", "timeout_ms": 5000,
                                   "throttle": {"rate": 1.0, "burst": 2}},
                    "GET /me": {"function": "Fn", "payload_format": "2.0", "timeout_ms": 5000,
                                "authorizer": "users", "scopes": ["profile"]},
                    "POST /old": {"function": "Fn", "payload_format": "1.0", "authorizer": "custom"},
                    "PUT /signed": {"function": "Fn", "payload_format": "2.0", "timeout_ms": 5000, "auth": "aws_iam"},
                    "POST /orders": {
                        "integration_subtype": "SQS-SendMessage",
                        "request_parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/orders", "MessageBody": "$request.body.message"},
                    },
                    "ANY /legacy/{proxy+}": {
                        "http": "http://127.0.0.1:8080/{proxy}",
                        "request_parameters": {"append:header.x-source": "portico"},
                        "response_parameters": {"404": {"overwrite:statuscode": "410"}},
                    },
                },
                "stages": {"$default": {"variables": {"table": "items"}, "throttle": {"rate": 10.0, "burst": 5}}},
            })
        );
        compiled(HTTP, dir.path());
    }

    #[test]
    fn an_http_api_made_by_quick_create() {
        let dir = tempfile::tempdir().unwrap();
        let template = r#"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: index.handler, Code: {ZipFile: "x = 1"}}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: quick, ProtocolType: HTTP, Target: !GetAtt Fn.Arn}
  Socket:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: chat, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
  SocketRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Socket, RouteKey: $connect}
Outputs:
  Endpoint:
    Value: !GetAtt Api.ApiEndpoint
"#;
        let (config, warnings) = config(template, dir.path());
        assert_eq!(
            config["apis"],
            json!({"Api": {"protocol": "http", "routes": {"$default": {"function": "Fn"}}, "stages": {"$default": {}}}})
        );
        // A WebSocket API without a stage is not served, as an HTTP API without one.
        let socket = find(&warnings, "the WebSocket API `Socket` has no stage");
        assert_eq!(socket.line, line_of(template, "  Socket:"));
        find(&warnings, "route `SocketRoute` has no `Target`");
        assert_eq!(warnings.len(), 2, "{warnings:#?}");
    }

    #[test]
    fn a_broken_http_api_is_reported_where_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let template = r#"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: index.handler, Code: {ZipFile: "x = 1"}}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: broken, ProtocolType: HTTP}
  NoFormat:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn}
  Stranger:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: arn:aws:lambda:us-east-1:123456789012:function:stranger
      PayloadFormatVersion: "2.0"
  Lost:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: GET /lost, Target: integrations/NoSuchIntegration}
  Quiet:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: GET /quiet, Target: !Sub "integrations/${NoFormat}"}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Api, StageName: $default}
"#;
        let errors = errors(template, dir.path());
        let at = |needle: &str, line: &str| {
            let d = find(&errors, needle);
            assert_eq!(d.line, line_of(template, line), "{d:#?}");
        };
        at(
            "`integrations/NoSuchIntegration` names no AWS::ApiGatewayV2::Integration",
            "Target: integrations/NoSuchIntegration",
        );
        at("`NoFormat` has no `PayloadFormatVersion`", "  NoFormat:");
        at(
            "`arn:aws:lambda:us-east-1:123456789012:function:stranger` is not a function",
            "function:stranger",
        );
        // The route of a broken integration adds nothing.
        assert_eq!(errors.len(), 3, "{errors:#?}");
    }

    #[test]
    fn smaller_mistakes_are_reported_where_they_are_written() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("loop.yaml"),
            "Fn::Transform: {Name: AWS::Include, Parameters: {Location: loop.yaml}}\n",
        )
        .unwrap();
        let template = r#"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: index.handler, Code: {ZipFile: "x = 1"}}
  Url:
    Type: AWS::Lambda::Url
    Properties: {TargetFunctionArn: !GetAtt Fn.Arn, AuthType: NONE}
  Again:
    Type: AWS::Lambda::Url
    Properties: {TargetFunctionArn: !Ref Fn, AuthType: AWS_IAM}
  Nobody:
    Type: AWS::Lambda::Url
    Properties: {TargetFunctionArn: arn:aws:lambda:us-east-1:123456789012:function:nobody, AuthType: NONE}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: api
      Description:
        Fn::Transform: {Name: AWS::Include, Parameters: {Location: loop.yaml}}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Api, StageName: prod}
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Enabled: true}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ApiId: !Ref Api, Stage: beta}]
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: NoSuchKey, KeyType: API_KEY, UsagePlanId: !Ref Plan}
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: http, ProtocolType: HTTP}
"#;
        let errors = errors(template, dir.path());
        let at = |needle: &str, line: &str| {
            let d = find(&errors, needle);
            assert_eq!(d.line, line_of(template, line), "{d:#?}");
        };
        at(
            "function `Fn` has a URL already, from `Again`",
            "TargetFunctionArn: !GetAtt Fn.Arn, AuthType: NONE",
        );
        at(
            "`arn:aws:lambda:us-east-1:123456789012:function:nobody` is not a function",
            "function:nobody",
        );
        at("`loop.yaml` includes itself", "Location: loop.yaml");
        at("`beta` is not a stage of `Api`", "Stage: beta");
        at(
            "`KeyId` names no AWS::ApiGateway::ApiKey",
            "KeyId: NoSuchKey",
        );
        assert_eq!(errors.len(), 5, "{errors:#?}");

        let fixed = template
            .replace("  Url:\n", "  Url:\n    Condition: Never\n")
            .replace("  Nobody:\n", "  Nobody:\n    Condition: Never\n")
            .replace("Location: loop.yaml", "Location: text.yaml")
            .replace("Stage: beta", "Stage: prod")
            .replace("KeyId: NoSuchKey", "KeyId: !Ref Key")
            + "Conditions:\n  Never: !Equals [a, b]\n";
        std::fs::write(dir.path().join("text.yaml"), "\"Says hello\"\n").unwrap();
        let (config, warnings) = config(&fixed, dir.path());
        assert_eq!(config["functions"]["Fn"]["url"], json!({"auth": "aws_iam"}));
        assert_eq!(
            config["apis"]["Api"]["usage_plans"],
            json!({"Plan": {"keys": ["Key"]}})
        );
        assert_eq!(config["apis"]["Api"]["api_keys"], json!({"Key": {}}));
        let http = find(&warnings, "HTTP API `Http` has no stage");
        assert_eq!(http.line, line_of(&fixed, "  Http:"));
        assert_eq!(warnings.len(), 1, "{warnings:#?}");
    }

    #[test]
    fn garbage_never_panics() {
        let dir = tempfile::tempdir().unwrap();
        for template in [FUNCTION, REST, HTTP] {
            let lines: Vec<&str> = template.lines().collect();
            for i in 0..lines.len() {
                let mut variants = vec![String::new()];
                if let Some((key, _)) = lines[i].split_once(": ") {
                    for value in ["[]", "{}", "1", "!Ref Api", "[{a: 1}]"] {
                        variants.push(format!("{key}: {value}"));
                    }
                }
                for variant in variants {
                    let mut changed = lines.clone();
                    changed[i] = &variant;
                    // Whatever it gives, it gives it without panicking.
                    let _ = translate(&changed.join("\n"), dir.path(), &Options::default());
                }
            }
        }
    }

    #[test]
    fn the_cdk_fixture_translates_without_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/sam/cdk-rest/cdk.out/AppStack.template.json");
        let text = std::fs::read_to_string(fixture).unwrap();
        let (config, warnings) = config(&text, dir.path());
        assert!(warnings.is_empty(), "{warnings:#?}");
        let api = &config["apis"]["HelloApi3F989F66"];
        assert_eq!(api["stages"], json!({"prod": {}}));
        let paths: Vec<&String> = api["openapi"]["paths"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(paths, ["/hello", "/hello/{name}"]);
        assert_eq!(
            config["functions"]["HelloHandler2E4FBA4D"]["code"],
            ".portico/inline/HelloHandler2E4FBA4D"
        );
        assert!(
            dir.path()
                .join(".portico/inline/HelloHandler2E4FBA4D/index.py")
                .is_file()
        );
    }
}
