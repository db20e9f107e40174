//! An HTTP API's OpenAPI definition (SAM's `DefinitionBody`/`DefinitionUri` of an
//! `AWS::Serverless::HttpApi`) as Portico's routes, authorizers and CORS: the document API
//! Gateway exports for HTTP APIs, with `x-amazon-apigateway-integration` (`aws_proxy` to a
//! function, `http_proxy` to a URL), security schemes with `x-amazon-apigateway-authorizer`
//! (`jwt`, `request`) and `x-amazon-apigateway-cors`.

use serde_json::{Map, Value, json};

use super::Translation;
use super::sam::{cors_config_lower, number, scalar_text};
use super::yaml::child;

/// What a definition declares.
#[derive(Default)]
pub(super) struct HttpDefinition {
    pub routes: Map<String, Value>,
    pub authorizers: Map<String, Value>,
    pub cors: Option<Value>,
}

impl Translation<'_> {
    /// Reads `doc`, found at `at` in the template.
    pub(super) fn http_definition(&mut self, doc: &Map<String, Value>, at: &str) -> HttpDefinition {
        let mut out = HttpDefinition::default();
        let schemes = doc
            .get("components")
            .and_then(|c| c.get("securitySchemes"))
            .and_then(Value::as_object);
        let schemes_at = child(&child(at, "components"), "securitySchemes");
        for (name, scheme) in schemes.into_iter().flatten() {
            if let Some(authorizer) = self.http_scheme(scheme, &child(&schemes_at, name)) {
                out.authorizers.insert(name.clone(), authorizer);
            }
        }
        let default_security = doc.get("security");
        let paths_at = child(at, "paths");
        for (path, item) in doc
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let item_at = child(&paths_at, path);
            for (field, method) in crate::openapi::OPERATIONS {
                let Some(op) = item.get(*field) else { continue };
                let op_at = child(&item_at, field);
                let key = if path == "/$default" {
                    "$default".to_string()
                } else {
                    format!("{method} {path}")
                };
                let Some(mut route) = self.http_integration(op, &op_at) else {
                    continue;
                };
                let security = op.get("security").or(default_security);
                if let Some(Value::Array(requirements)) = security
                    && let Some(Value::Object(first)) = requirements.first()
                    && let Some((scheme, scopes)) = first.iter().next()
                {
                    if out.authorizers.contains_key(scheme) {
                        route.insert("authorizer".into(), scheme.clone().into());
                        if scopes.as_array().is_some_and(|s| !s.is_empty()) {
                            route.insert("scopes".into(), scopes.clone());
                        }
                    } else if scheme != "NONE" {
                        self.error(
                            &child(&op_at, "security"),
                            format!("the security scheme `{scheme}` is not defined"),
                            "define it under components.securitySchemes with x-amazon-apigateway-authorizer",
                        );
                    }
                }
                out.routes.insert(key, Value::Object(route));
            }
        }
        if let Some(cors) = doc.get("x-amazon-apigateway-cors") {
            out.cors = Some(cors_config_lower(cors));
        }
        out
    }

    /// An operation's `x-amazon-apigateway-integration` as a route's `function:` or `http:`.
    fn http_integration(&mut self, op: &Value, at: &str) -> Option<Map<String, Value>> {
        let at = child(at, "x-amazon-apigateway-integration");
        let Some(integration) = op.get("x-amazon-apigateway-integration") else {
            self.warn(
                &at,
                "this operation has no x-amazon-apigateway-integration, so it is not served",
                "add one (type aws_proxy with the function's ARN, or http_proxy with a URL)",
            );
            return None;
        };
        let kind = integration
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let uri = integration.get("uri").map(scalar_text).unwrap_or_default();
        let mut route = Map::new();
        match kind.as_str() {
            "aws_proxy" => {
                // A function ARN, or the invocation URI that wraps one.
                let arn = uri
                    .split_once("/functions/")
                    .map_or(uri.as_str(), |(_, rest)| {
                        rest.strip_suffix("/invocations").unwrap_or(rest)
                    });
                let function = self.function_of_arn(arn, &child(&at, "uri"))?;
                route.insert("function".into(), function.into());
                if let Some(format) = integration.get("payloadFormatVersion") {
                    route.insert("payload_format".into(), scalar_text(format).into());
                }
            }
            "http_proxy" => {
                route.insert("http".into(), uri.into());
            }
            other => {
                self.warn(
                    &child(&at, "type"),
                    format!("the integration type `{other}` of an HTTP API is not served"),
                    "use aws_proxy (a function) or http_proxy (a URL)",
                );
                return None;
            }
        }
        if let Some(timeout) = integration.get("timeoutInMillis").and_then(number) {
            route.insert("timeout_ms".into(), timeout.into());
        }
        Some(route)
    }

    /// A security scheme with `x-amazon-apigateway-authorizer` as a Portico authorizer.
    fn http_scheme(&mut self, scheme: &Value, at: &str) -> Option<Value> {
        let authorizer = scheme.get("x-amazon-apigateway-authorizer")?;
        let at = child(at, "x-amazon-apigateway-authorizer");
        let sources = |source: Option<&Value>| -> Vec<Value> {
            match source {
                Some(Value::Array(items)) => items.iter().map(|i| scalar_text(i).into()).collect(),
                Some(Value::String(s)) => s.split(',').map(|p| p.trim().into()).collect(),
                _ => Vec::new(),
            }
        };
        match authorizer.get("type").and_then(Value::as_str) {
            Some("jwt") => {
                let jwt = authorizer
                    .get("jwtConfiguration")
                    .cloned()
                    .unwrap_or(Value::Null);
                let Some(issuer) = jwt.get("issuer").and_then(Value::as_str) else {
                    self.error(
                        &child(&at, "jwtConfiguration"),
                        "a JWT authorizer needs `issuer`",
                        "write `jwtConfiguration: {issuer: https://..., audience: [...]}`",
                    );
                    return None;
                };
                let mut a = json!({"type": "jwt", "issuer": issuer});
                if let Some(audience) = jwt.get("audience") {
                    a["audience"] = json!(sources(Some(audience)));
                }
                let identity = sources(authorizer.get("identitySource"));
                if !identity.is_empty() {
                    a["identity_source"] = Value::Array(identity);
                }
                Some(a)
            }
            Some("request") => {
                let uri = authorizer
                    .get("authorizerUri")
                    .map(scalar_text)
                    .unwrap_or_default();
                let arn = uri
                    .split_once("/functions/")
                    .map_or(uri.as_str(), |(_, rest)| {
                        rest.strip_suffix("/invocations").unwrap_or(rest)
                    });
                let function = self.function_of_arn(arn, &child(&at, "authorizerUri"))?;
                let mut a = json!({"type": "lambda", "function": function});
                if let Some(format) = authorizer.get("authorizerPayloadFormatVersion") {
                    a["payload_format"] = scalar_text(format).into();
                }
                if authorizer
                    .get("enableSimpleResponses")
                    .and_then(Value::as_bool)
                    == Some(true)
                {
                    a["simple_responses"] = true.into();
                }
                let identity = sources(authorizer.get("identitySource"));
                if !identity.is_empty() {
                    a["identity_source"] = Value::Array(identity);
                }
                if let Some(ttl) = authorizer
                    .get("authorizerResultTtlInSeconds")
                    .and_then(number)
                {
                    a["ttl"] = ttl.into();
                }
                Some(a)
            }
            other => {
                self.error(
                    &child(&at, "type"),
                    format!(
                        "the authorizer type {} is not one of an HTTP API's",
                        other.map_or("(none)".to_string(), |o| format!("`{o}`"))
                    ),
                    "use `jwt` or `request`",
                );
                None
            }
        }
    }
}
