//! `x-amazon-apigateway-integration`: an operation's integration, its type and URI, request
//! parameters and templates, and its integration responses.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value};

use super::functions::{LAMBDA_URI_FORM, Target};
use super::{Importer, Problem, Ptr, kind_of, number, text};
use crate::diagnostics::suggestion;
use crate::rest::{
    ContentHandling, IntegrationKind, IntegrationResponse, Passthrough, RestIntegration,
    ServiceCall, ServiceOperation,
};

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

impl Importer<'_> {
    pub(super) fn integration(
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
        let kind = self.integration_kind(fields, ptr);
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
                    && !matches!(target, Some(Target::Service { .. }))
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
                    Target::Function(function) => {
                        let function = self.invoked_function(function, &uri_ptr);
                        if kind_name == "aws" {
                            IntegrationKind::Aws { function }
                        } else {
                            IntegrationKind::AwsProxy { function }
                        }
                    }
                    Target::Service { .. } if kind_name == "aws_proxy" => {
                        self.error(
                            Problem::new(&uri_ptr, "an `aws_proxy` integration invokes a Lambda function, not another AWS service")
                                .help("write `type: aws` to call the service with the request your templates render"),
                        );
                        return None;
                    }
                    Target::Service {
                        service,
                        region,
                        rest,
                    } => {
                        let operation = if let Some(action) = rest.strip_prefix("action/") {
                            ServiceOperation::Action(action.to_string())
                        } else if let Some(path) = rest.strip_prefix("path/") {
                            ServiceOperation::Path(path.to_string())
                        } else {
                            self.error(
                                Problem::new(&uri_ptr, format!("`{rest}` is neither `action/<Action>` nor `path/<path>`"))
                                    .help(format!("write arn:aws:apigateway:{{region}}:{service}:action/<Action> or :path/<path>")),
                            );
                            return None;
                        };
                        let region = Some(region)
                            .filter(|r| !r.is_empty() && !r.contains('{') && !r.contains('$'));
                        let method = http_method
                            .as_ref()
                            .and_then(|(m, _)| m.as_str())
                            .map(str::to_ascii_uppercase);
                        IntegrationKind::AwsService(ServiceCall {
                            service,
                            region,
                            operation,
                            method,
                        })
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
        use crate::rest::{Place, Source};
        let parameter = match Source::parse(source) {
            Some(Source::Request(parameter)) => Some(parameter),
            Some(Source::IntegrationHeader(_) | Source::IntegrationBody(_)) | None => None,
            Some(_) => return,
        };
        match parameter {
            Some(parameter) => {
                let name = &parameter.name;
                if !declared.contains_key(&parameter.declared()) {
                    let help = if parameter.place == Place::Path {
                        format!("`{method}` has no path parameter `{name}`")
                    } else {
                        let location = if parameter.place == Place::Header { "header" } else { "query" };
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

    pub(super) fn status(&mut self, v: &Value, ptr: &Ptr) -> Option<u16> {
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

    pub(super) fn templates(&mut self, v: &Value, ptr: &Ptr) -> BTreeMap<String, String> {
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
    pub(super) fn string_pairs(
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
}
