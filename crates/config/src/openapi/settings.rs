//! API-level settings: the base path, request validators, the API key source, binary media
//! types and gateway responses.

use serde_json::{Map, Value};

use super::{Imported, Importer, Problem, Ptr, Version, text};
use crate::diagnostics::{did_you_mean, suggestion};
use crate::rest::{ApiKeySource, GatewayResponse, Validator};

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

impl Importer<'_> {
    pub(super) fn base_path(&mut self, top: &Map<String, Value>) {
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

    pub(super) fn read_validators(&mut self, top: &Map<String, Value>) {
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
    pub(super) fn validator_name(&mut self, value: &Value, ptr: &Ptr) -> Option<String> {
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

    pub(super) fn api_settings(&mut self, top: &Map<String, Value>, imported: &mut Imported) {
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
}
