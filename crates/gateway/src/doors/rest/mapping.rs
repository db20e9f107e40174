//! REST's non-proxy integrations (MOCK, AWS Lambda, HTTP): a request template (VTL) makes
//! the integration request from the method request; the integration's answer picks an
//! integration response (by selection pattern), whose parameter mappings and response
//! template make the method response.
//!
//! Templates are parsed once, when the gateway is built ([`Templates::compile`]); a broken
//! one stops Portico at start-up with its API, method and line.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue};
use portico_config::rest::{IntegrationResponse, Passthrough, RestApi, RestIntegration};
use portico_vtl::{Input, Limits, Template};

use crate::ctx::RequestCtx;
use crate::phases::resolve::RestTarget;

/// Every template of every REST API, parsed, by its text; and every regular expression
/// (integration response selection patterns, TOKEN authorizers' validation expressions),
/// compiled to match whole texts, by its source.
#[derive(Default)]
pub struct Templates {
    parsed: HashMap<String, Arc<Template>>,
    patterns: HashMap<String, regex::Regex>,
}

impl Templates {
    /// Parses every request, response and gateway response template and compiles every
    /// selection pattern and validation expression; `Err` lists each broken one.
    pub fn compile(apis: &BTreeMap<String, RestApi>) -> Result<Templates, Vec<String>> {
        let mut templates = Templates::default();
        let mut errors = Vec::new();
        for api in apis.values() {
            for method in &api.methods {
                let integration = &method.integration;
                let responses = integration.responses.iter().flat_map(|r| {
                    r.templates
                        .iter()
                        .map(move |(t, text)| (format!("response {} {t}", r.status), text))
                });
                let requests = integration
                    .request_templates
                    .iter()
                    .map(|(t, text)| (format!("request {t}"), text));
                for (which, text) in requests.chain(responses) {
                    templates.add(&mut errors, &api.name, method.key.text(), &which, text);
                }
                for pattern in integration
                    .responses
                    .iter()
                    .filter_map(|r| r.pattern.as_ref())
                {
                    let place = format!("{}: selection pattern", method.key.text());
                    templates.add_pattern(&mut errors, &api.name, &place, pattern);
                }
            }
            for (name, authorizer) in &api.authorizers {
                if let portico_config::rest::RestAuthorizerKind::Token {
                    validation: Some(pattern),
                    ..
                } = &authorizer.kind
                {
                    let place = format!("authorizer `{name}`: identityValidationExpression");
                    templates.add_pattern(&mut errors, &api.name, &place, pattern);
                }
            }
            for (kind, response) in &api.gateway_responses {
                for (content_type, text) in &response.templates {
                    let which = format!("gateway response {kind} {content_type}");
                    templates.add(&mut errors, &api.name, "gateway responses", &which, text);
                }
            }
        }
        if errors.is_empty() {
            Ok(templates)
        } else {
            Err(errors)
        }
    }

    /// Parses `text` once; a failure is described in `errors`.
    fn add(&mut self, errors: &mut Vec<String>, api: &str, place: &str, which: &str, text: &str) {
        if self.parsed.contains_key(text) {
            return;
        }
        match Template::parse(text) {
            Ok(t) => {
                self.parsed.insert(text.to_string(), Arc::new(t));
            }
            Err(e) => errors.push(format!(
                "REST API `{api}`, {place}: the {which} template: {e}"
            )),
        }
    }

    /// Compiles `pattern` once (Rust's regex syntax: no lookaround or backreferences, which
    /// Java's allow); a failure is described in `errors`.
    fn add_pattern(&mut self, errors: &mut Vec<String>, api: &str, place: &str, pattern: &str) {
        if self.patterns.contains_key(pattern) {
            return;
        }
        match regex::Regex::new(&format!("^(?:{pattern})$")) {
            Ok(re) => {
                self.patterns.insert(pattern.to_string(), re);
            }
            Err(e) => errors.push(format!(
                "REST API `{api}`, {place}: `{pattern}` is not a regular expression Portico reads: {e}"
            )),
        }
    }

    /// Whether `pattern` (compiled at start-up) matches all of `text`.
    pub fn matches(&self, pattern: &str, text: &str) -> bool {
        self.patterns
            .get(pattern)
            .is_some_and(|re| re.is_match(text))
    }

    fn get(&self, text: &str) -> Option<&Template> {
        self.parsed.get(text).map(|t| t.as_ref())
    }
}

/// What a template set in `$context.requestOverride` or `$context.responseOverride`.
#[derive(Debug, Default, PartialEq)]
pub struct Overrides {
    pub status: Option<u16>,
    pub header: Vec<(String, String)>,
    pub querystring: Vec<(String, String)>,
    pub path: Vec<(String, String)>,
}

impl Overrides {
    fn read(value: &serde_json::Value) -> Overrides {
        let pairs = |key: &str| -> Vec<(String, String)> {
            value[key]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| match v {
                            serde_json::Value::String(s) => (k.clone(), s.clone()),
                            other => (k.clone(), other.to_string()),
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Overrides {
            status: value["status"]
                .as_u64()
                .or_else(|| value["status"].as_str().and_then(|s| s.parse().ok()))
                .and_then(|s| u16::try_from(s).ok())
                .filter(|s| (100..=599).contains(s)),
            header: pairs("header"),
            querystring: pairs("querystring"),
            path: pairs("path"),
        }
    }
}

/// Why a method request could not become an integration request.
#[derive(Debug, PartialEq, Eq)]
pub enum RequestFailure {
    /// No template for the body's content type, and passthrough not allowed: 415.
    UnsupportedMediaType,
    /// The template failed (or went over its limits): API Gateway's 500.
    Template(String),
}

/// What a template sees of a request: `$input`, `$context`, `$stageVariables`.
pub struct TemplateScope<'a> {
    pub input: Input,
    pub context: serde_json::Value,
    pub stage_variables: &'a BTreeMap<String, String>,
}

impl<'a> TemplateScope<'a> {
    /// The scope of a method request.
    pub fn of_request(
        ctx: &RequestCtx,
        api: &RestApi,
        target: &RestTarget<'a>,
        account_id: &str,
    ) -> TemplateScope<'a> {
        let input = request_input(ctx, target.path_parameters.clone());
        let user_agent = ctx.header("user-agent");
        let context = serde_json::json!({
            "accountId": account_id,
            "apiId": api.name,
            "authorizer": ctx.authorizer.clone().unwrap_or(serde_json::Value::Null),
            "domainName": ctx.header("host").unwrap_or("localhost"),
            "domainPrefix": api.name,
            "extendedRequestId": ctx.request_id,
            "httpMethod": ctx.method.as_str(),
            "identity": {"sourceIp": ctx.remote.ip().to_string(), "userAgent": user_agent},
            "path": format!("/{}{}", target.stage, target.resource_path),
            "protocol": ctx.protocol,
            "requestId": ctx.request_id,
            "requestTime": portico_events::time::clf(ctx.received),
            "requestTimeEpoch": portico_events::time::epoch_ms(ctx.received),
            "resourceId": target.method.key.text(),
            "resourcePath": target.method.key.path_template(),
            "stage": target.stage,
            // For templates to set: read back after rendering.
            "requestOverride": {"header": {}, "querystring": {}, "path": {}},
            "responseOverride": {"header": {}},
        });
        TemplateScope {
            input,
            context,
            stage_variables: target.stage_variables,
        }
    }
}

/// What `$input` sees of a method request.
fn request_input(ctx: &RequestCtx, path: Vec<(String, String)>) -> Input {
    let header: Vec<(String, String)> = ctx
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let querystring = form_urlencoded::parse(ctx.query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Input {
        body: String::from_utf8_lossy(&ctx.body).into_owned(),
        path,
        querystring,
        header,
    }
}

/// `text` with each `${stageVariables.<name>}` replaced by the stage's value (empty when
/// the stage has none), as API Gateway resolves integration URIs and function names.
pub fn with_stage_variables(text: &str, variables: &BTreeMap<String, String>) -> String {
    const OPEN: &str = "${stageVariables.";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        out.push_str(variables.get(&after[..end]).map_or("", String::as_str));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The media type of a `Content-Type` (or `Accept`) value, without parameters, lower-case;
/// `application/json` when there is none, as API Gateway assumes.
pub(crate) fn media_type(value: Option<&str>) -> String {
    value
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "application/json".to_string())
}

impl Templates {
    /// The integration request's body: the request template for the body's content type,
    /// rendered, or the body itself when passthrough allows it.
    pub fn request_body(
        &self,
        integration: &RestIntegration,
        content_type: Option<&str>,
        scope: &TemplateScope<'_>,
    ) -> Result<(String, Overrides), RequestFailure> {
        let media = media_type(content_type);
        let templates = &integration.request_templates;
        let text = match templates.get(&media) {
            Some(text) => text,
            None => {
                let passthrough = match integration.passthrough {
                    Passthrough::WhenNoMatch => true,
                    Passthrough::WhenNoTemplates => templates.is_empty(),
                    Passthrough::Never => false,
                };
                return if passthrough {
                    Ok((scope.input.body.clone(), Overrides::default()))
                } else {
                    Err(RequestFailure::UnsupportedMediaType)
                };
            }
        };
        let (body, context) = self
            .render_overriding(text, &scope.input, scope)
            .map_err(RequestFailure::Template)?;
        Ok((body, Overrides::read(&context["requestOverride"])))
    }

    fn render(
        &self,
        text: &str,
        input: &Input,
        scope: &TemplateScope<'_>,
    ) -> Result<String, String> {
        self.render_overriding(text, input, scope)
            .map(|(out, _)| out)
    }

    /// Renders `text`, giving back `$context` as the template left it (its overrides).
    fn render_overriding(
        &self,
        text: &str,
        input: &Input,
        scope: &TemplateScope<'_>,
    ) -> Result<(String, serde_json::Value), String> {
        let template = self
            .get(text)
            .ok_or_else(|| "a template that was not parsed at start-up".to_string())?;
        template
            .render_with_context(
                input,
                &scope.context,
                scope.stage_variables,
                &Limits::default(),
            )
            .map_err(|e| e.to_string())
    }
}

impl Templates {
    /// A refusal as the API customised its type (or `DEFAULT_4XX` / `DEFAULT_5XX`): the
    /// status, `gatewayresponse.header.*` mappings and body template, with
    /// `$context.error.message`, `.messageString`, `.responseType` and
    /// `.validationErrorString`; `None` when the API does not customise it.
    pub fn gateway_response(
        &self,
        api: &RestApi,
        ctx: &RequestCtx,
        refusal: &portico_events::GatewayResponse,
        validation: Option<&str>,
    ) -> Option<http::Response<crate::body::Body>> {
        static NO_VARIABLES: BTreeMap<String, String> = BTreeMap::new();
        let default = refusal.response();
        let family = if default.status >= 500 {
            "DEFAULT_5XX"
        } else {
            "DEFAULT_4XX"
        };
        let custom = api
            .gateway_responses
            .get(refusal.kind())
            .or_else(|| api.gateway_responses.get(family))?;
        let message = serde_json::from_slice::<serde_json::Value>(&default.body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_default();
        let scope = TemplateScope {
            input: request_input(ctx, Vec::new()),
            context: serde_json::json!({
                "requestId": ctx.request_id,
                "httpMethod": ctx.method.as_str(),
                "path": ctx.path,
                "identity": {"sourceIp": ctx.remote.ip().to_string()},
                "error": {
                    "message": message,
                    "messageString": serde_json::Value::String(message.clone()).to_string(),
                    "responseType": refusal.kind(),
                    "validationErrorString": validation,
                },
            }),
            stage_variables: &NO_VARIABLES,
        };
        let body = match custom
            .templates
            .get("application/json")
            .or_else(|| custom.templates.values().next())
        {
            Some(text) => match self.render(text, &scope.input, &scope) {
                Ok(body) => body.into_bytes(),
                Err(why) => {
                    tracing::warn!(
                        "REST API `{}`: the {} gateway response template failed ({why}); \
                         answering with the default",
                        api.name,
                        refusal.kind()
                    );
                    return None;
                }
            },
            None => default.body.clone(),
        };
        let mut response = http::Response::new(crate::body::Body::full(body));
        *response.status_mut() =
            http::StatusCode::from_u16(custom.status.unwrap_or(default.status))
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(kind) = default.error_type {
            headers.insert("x-amzn-errortype", HeaderValue::from_static(kind));
        }
        for (to, from) in &custom.parameters {
            let Some(name) = to.strip_prefix("gatewayresponse.header.") else {
                continue;
            };
            if let (Ok(name), Some(Ok(value))) = (
                HeaderName::from_bytes(name.as_bytes()),
                request_value(from, &scope).map(|v| HeaderValue::from_str(&v)),
            ) {
                headers.insert(name, value);
            }
        }
        Some(response)
    }
}

/// A payload converted as `handling` says: `CONVERT_TO_TEXT` base64-encodes a binary one,
/// `CONVERT_TO_BINARY` decodes a base64 text (a JSON string's quotes dropped first, as a
/// Lambda function returns it); without a conversion, or when it does not apply, the payload
/// is passed as it is.
pub fn convert(
    payload: &bytes::Bytes,
    handling: Option<portico_config::rest::ContentHandling>,
    binary: bool,
) -> bytes::Bytes {
    use base64::Engine;
    use portico_config::rest::ContentHandling;
    let engine = base64::engine::general_purpose::STANDARD;
    match handling {
        Some(ContentHandling::ConvertToText) if binary => {
            bytes::Bytes::from(engine.encode(payload))
        }
        Some(ContentHandling::ConvertToBinary) if !binary => {
            let text = String::from_utf8_lossy(payload);
            let text = text.trim();
            let text = serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_string());
            engine
                .decode(text.trim())
                .map(bytes::Bytes::from)
                .unwrap_or_else(|_| payload.clone())
        }
        _ => payload.clone(),
    }
}

/// What the integration answered, for selecting and building the method response.
pub struct IntegrationAnswer<'a> {
    /// The HTTP status of an HTTP or MOCK integration; `None` for Lambda.
    pub status: Option<u16>,
    /// A Lambda function error's `errorMessage`.
    pub error_message: Option<String>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// The integration response whose selection pattern matches the answer (the status code of
/// an HTTP or MOCK integration, the `errorMessage` of a Lambda error), else the default.
/// A Lambda success takes the default.
impl Templates {
    /// The integration response whose selection pattern matches the answer (the status code
    /// of an HTTP or MOCK integration, the `errorMessage` of a Lambda error), else the
    /// default. A Lambda success takes the default.
    pub fn select<'r>(
        &self,
        responses: &'r [IntegrationResponse],
        answer: &IntegrationAnswer<'_>,
    ) -> Option<&'r IntegrationResponse> {
        let subject = match (&answer.error_message, answer.status) {
            (Some(message), _) => Some(message.clone()),
            (None, Some(status)) => Some(status.to_string()),
            (None, None) => None,
        };
        let by_pattern = subject.and_then(|subject| {
            responses.iter().find(|r| {
                r.pattern
                    .as_deref()
                    .is_some_and(|p| self.matches(p, &subject))
            })
        });
        by_pattern.or_else(|| responses.iter().find(|r| r.pattern.is_none()))
    }
}

/// A method response: status, headers, body and its content type.
pub struct MethodResponse {
    pub status: u16,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Templates {
    /// Builds the method response from the selected integration `response`: its status, its
    /// header mappings, and its template for the client's `Accept` (else
    /// `application/json`, else the first), or the integration's body as it is.
    pub fn method_response(
        &self,
        response: &IntegrationResponse,
        answer: &IntegrationAnswer<'_>,
        accept: Option<&str>,
        scope: &TemplateScope<'_>,
    ) -> Result<MethodResponse, String> {
        let wanted = media_type(accept);
        let mut overrides = Overrides::default();
        let template = response
            .templates
            .get_key_value(&wanted)
            .or_else(|| response.templates.get_key_value("application/json"))
            .or_else(|| response.templates.iter().next());
        let (content_type, body) = match template {
            Some((content_type, text)) => {
                let input = Input {
                    body: String::from_utf8_lossy(answer.body).into_owned(),
                    ..scope.input.clone()
                };
                let (body, context) = self.render_overriding(text, &input, scope)?;
                overrides = Overrides::read(&context["responseOverride"]);
                (content_type.clone(), body.into_bytes())
            }
            None => {
                let content_type = answer
                    .headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("application/json")
                    .to_string();
                (content_type, answer.body.to_vec())
            }
        };
        let mut headers = Vec::new();
        for (target, source) in &response.parameters {
            let Some(name) = target.strip_prefix("method.response.header.") else {
                continue;
            };
            let (Ok(name), Some(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                response_value(source, answer, scope),
            ) else {
                continue;
            };
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.push((name, value));
            }
        }
        // What the template set in `$context.responseOverride` wins.
        for (name, value) in overrides.header {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                headers.retain(|(n, _)| *n != name);
                headers.push((name, value));
            }
        }
        Ok(MethodResponse {
            status: overrides.status.unwrap_or(response.status),
            headers,
            content_type,
            body,
        })
    }
}

/// A response parameter's value: `'static'`, `integration.response.header.<n>`,
/// `integration.response.body` or `integration.response.body.<JSONPath>`,
/// `context.<var>`, `stageVariables.<name>`; `None` when there is none.
fn response_value(
    source: &str,
    answer: &IntegrationAnswer<'_>,
    scope: &TemplateScope<'_>,
) -> Option<String> {
    if let Some(text) = source.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Some(text.to_string());
    }
    if let Some(name) = source.strip_prefix("integration.response.header.") {
        return answer
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
    }
    if source == "integration.response.body" {
        return Some(String::from_utf8_lossy(answer.body).into_owned());
    }
    if let Some(path) = source.strip_prefix("integration.response.body.") {
        let body: serde_json::Value = serde_json::from_slice(answer.body).ok()?;
        let path = serde_json_path::JsonPath::parse(&format!("$.{path}")).ok()?;
        return path.query(&body).first().map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    }
    request_value(source, scope)
}

/// A request-side value: `'static'`, `method.request.{header,querystring,path}.<n>`,
/// `context.<var>` (dotted), `stageVariables.<name>`.
pub fn request_value(source: &str, scope: &TemplateScope<'_>) -> Option<String> {
    if let Some(text) = source.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Some(text.to_string());
    }
    // As `RequestCtx::method_request` reads them: the last value; header names in any case.
    let find = |list: &[(String, String)], name: &str, any_case: bool| {
        list.iter()
            .rev()
            .find(|(k, _)| {
                if any_case {
                    k.eq_ignore_ascii_case(name)
                } else {
                    k == name
                }
            })
            .map(|(_, v)| v.clone())
    };
    if let Some(name) = source.strip_prefix("method.request.header.") {
        return find(&scope.input.header, name, true);
    }
    if let Some(name) = source.strip_prefix("method.request.querystring.") {
        return find(&scope.input.querystring, name, false);
    }
    if let Some(name) = source.strip_prefix("method.request.path.") {
        return find(&scope.input.path, name, false);
    }
    if let Some(name) = source.strip_prefix("stageVariables.") {
        return scope.stage_variables.get(name).cloned();
    }
    if let Some(path) = source.strip_prefix("context.") {
        let found = path
            .split('.')
            .try_fold(&scope.context, |v, key| v.get(key))?;
        return match found {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(pattern: Option<&str>, status: u16) -> IntegrationResponse {
        IntegrationResponse {
            pattern: pattern.map(str::to_string),
            status,
            ..IntegrationResponse::passthrough()
        }
    }

    #[test]
    fn selection_patterns_match_whole_subjects_and_the_default_catches_the_rest() {
        let responses = [
            response(Some(".*Not Found.*"), 404),
            response(Some("4\\d{2}"), 400),
            response(None, 200),
        ];
        let headers = HeaderMap::new();
        let answer = |status: Option<u16>, error: Option<&str>| IntegrationAnswer {
            status,
            error_message: error.map(str::to_string),
            headers: &headers,
            body: b"",
        };
        let mut templates = Templates::default();
        let mut errors = Vec::new();
        for p in [".*Not Found.*", "4\\d{2}"] {
            templates.add_pattern(&mut errors, "api", "test", p);
        }
        assert!(errors.is_empty(), "{errors:?}");
        let picked = |a: IntegrationAnswer<'_>| templates.select(&responses, &a).map(|r| r.status);
        assert_eq!(picked(answer(None, Some("Pet Not Found"))), Some(404));
        assert_eq!(picked(answer(None, Some("boom"))), Some(200));
        assert_eq!(picked(answer(Some(418), None)), Some(400));
        // Whole-subject matching: `4\d{2}` does not match 4000.
        assert_eq!(picked(answer(Some(4000), None)), Some(200));
        assert_eq!(picked(answer(None, None)), Some(200));
        assert!(
            templates
                .select(&responses[..2], &answer(Some(200), None))
                .is_none()
        );
    }

    fn integration(templates: &[(&str, &str)], passthrough: Passthrough) -> RestIntegration {
        RestIntegration {
            kind: portico_config::rest::IntegrationKind::Mock,
            request_parameters: Vec::new(),
            request_templates: templates
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            passthrough,
            content_handling: None,
            timeout: None,
            responses: Vec::new(),
            cache_key_parameters: Vec::new(),
            stream: false,
        }
    }

    fn compiled(integrations: &[&RestIntegration]) -> Templates {
        let mut templates = Templates::default();
        for i in integrations {
            for text in i.request_templates.values() {
                templates
                    .parsed
                    .insert(text.clone(), Arc::new(Template::parse(text).unwrap()));
            }
        }
        templates
    }

    fn scope(body: &str) -> TemplateScope<'static> {
        static NONE: BTreeMap<String, String> = BTreeMap::new();
        TemplateScope {
            input: Input {
                body: body.to_string(),
                path: vec![("id".into(), "7".into())],
                querystring: vec![("q".into(), "x".into())],
                header: vec![("x-trace".into(), "t-1".into())],
            },
            context: serde_json::json!({"stage": "prod", "identity": {"sourceIp": "127.0.0.1"}}),
            stage_variables: &NONE,
        }
    }

    /// The integration request body `request_body` makes, without its overrides.
    fn body_of(
        templates: &Templates,
        integration: &RestIntegration,
        content_type: Option<&str>,
        scope: &TemplateScope<'_>,
    ) -> Result<String, RequestFailure> {
        templates
            .request_body(integration, content_type, scope)
            .map(|(body, _)| body)
    }

    #[test]
    fn request_templates_are_chosen_by_content_type_and_passthrough_decides_the_rest() {
        let json = r#"{"id": "$input.params('id')", "name": $input.json('$.name'), "stage": "$context.stage"}"#;
        let only_json = integration(&[("application/json", json)], Passthrough::WhenNoMatch);
        let templates = compiled(&[&only_json]);
        let scope = scope(r#"{"name": "Rex"}"#);
        assert_eq!(
            body_of(
                &templates,
                &only_json,
                Some("application/json; charset=utf-8"),
                &scope
            ),
            Ok(r#"{"id": "7", "name": "Rex", "stage": "prod"}"#.to_string())
        );
        // No content type is application/json.
        assert!(body_of(&templates, &only_json, None, &scope).is_ok_and(|b| b.contains("Rex")));
        // Another type: passed through when_no_match, refused otherwise.
        assert_eq!(
            body_of(&templates, &only_json, Some("text/plain"), &scope),
            Ok(r#"{"name": "Rex"}"#.to_string())
        );
        for passthrough in [Passthrough::WhenNoTemplates, Passthrough::Never] {
            let strict = RestIntegration {
                passthrough,
                ..only_json.clone()
            };
            assert_eq!(
                body_of(&templates, &strict, Some("text/plain"), &scope),
                Err(RequestFailure::UnsupportedMediaType)
            );
        }
        let none = integration(&[], Passthrough::WhenNoTemplates);
        assert!(
            templates
                .request_body(&none, Some("text/plain"), &scope)
                .is_ok()
        );
        let never = integration(&[], Passthrough::Never);
        assert_eq!(
            body_of(&templates, &never, Some("text/plain"), &scope),
            Err(RequestFailure::UnsupportedMediaType)
        );
    }

    #[test]
    fn method_responses_take_the_templates_status_and_mapped_headers() {
        let response = IntegrationResponse {
            pattern: None,
            status: 201,
            parameters: vec![
                ("method.response.header.X-Static".into(), "'yes'".into()),
                (
                    "method.response.header.X-Id".into(),
                    "integration.response.body.pet.id".into(),
                ),
                (
                    "method.response.header.X-Up".into(),
                    "integration.response.header.x-up".into(),
                ),
                (
                    "method.response.header.X-Trace".into(),
                    "method.request.header.x-trace".into(),
                ),
                (
                    "method.response.header.X-Missing".into(),
                    "integration.response.header.nope".into(),
                ),
            ],
            templates: BTreeMap::from([(
                "application/json".to_string(),
                r#"{"name": "$input.path('$.pet.name')", "q": "$input.params('q')"}"#.to_string(),
            )]),
            content_handling: None,
        };
        let mut templates = Templates::default();
        for text in response.templates.values() {
            templates
                .parsed
                .insert(text.clone(), Arc::new(Template::parse(text).unwrap()));
        }
        let mut headers = HeaderMap::new();
        headers.insert("x-up", HeaderValue::from_static("up"));
        let answer = IntegrationAnswer {
            status: Some(200),
            error_message: None,
            headers: &headers,
            body: br#"{"pet": {"id": 7, "name": "Rex"}}"#,
        };
        let built = templates
            .method_response(&response, &answer, Some("*/*"), &scope(""))
            .unwrap();
        assert_eq!(built.status, 201);
        assert_eq!(built.content_type, "application/json");
        assert_eq!(
            String::from_utf8(built.body).unwrap(),
            r#"{"name": "Rex", "q": "x"}"#
        );
        let headers: Vec<(String, String)> = built
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
            .collect();
        let expected = [
            ("x-static", "yes"),
            ("x-id", "7"),
            ("x-up", "up"),
            ("x-trace", "t-1"),
        ];
        assert_eq!(
            headers,
            expected
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .to_vec()
        );
    }

    #[test]
    fn without_templates_the_integrations_body_passes_as_it_is() {
        let templates = Templates::default();
        let plain = IntegrationResponse::passthrough();
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv"),
        );
        let answer = IntegrationAnswer {
            status: Some(200),
            error_message: None,
            headers: &headers,
            body: b"a,b",
        };
        let built = templates
            .method_response(&plain, &answer, None, &scope(""))
            .unwrap();
        assert_eq!(
            (
                built.status,
                built.content_type.as_str(),
                built.body.as_slice()
            ),
            (200, "text/csv", &b"a,b"[..])
        );
    }

    #[test]
    fn content_handling_converts_between_base64_text_and_bytes() {
        use portico_config::rest::ContentHandling::{ConvertToBinary, ConvertToText};
        let png = bytes::Bytes::from_static(b"\x89PNG");
        let text = bytes::Bytes::from_static(b"iVBORw==");
        assert_eq!(convert(&png, Some(ConvertToText), true), text);
        assert_eq!(convert(&text, Some(ConvertToBinary), false), png);
        // A Lambda function's base64 string, quotes and all.
        let quoted = bytes::Bytes::from_static(b"\"iVBORw==\"");
        assert_eq!(convert(&quoted, Some(ConvertToBinary), false), png);
        // Nothing to convert: as it is.
        assert_eq!(convert(&text, Some(ConvertToText), false), text);
        assert_eq!(convert(&png, None, true), png);
        let not_base64 = bytes::Bytes::from_static(b"not base64!");
        assert_eq!(
            convert(&not_base64, Some(ConvertToBinary), false),
            not_base64
        );
    }

    #[test]
    fn stage_variables_fill_uris_and_function_names() {
        let variables = BTreeMap::from([
            ("backend".to_string(), "127.0.0.1:8080".to_string()),
            ("fn".to_string(), "pets-v2".to_string()),
        ]);
        assert_eq!(
            with_stage_variables("http://${stageVariables.backend}/pets/{id}", &variables),
            "http://127.0.0.1:8080/pets/{id}"
        );
        assert_eq!(
            with_stage_variables("${stageVariables.fn}", &variables),
            "pets-v2"
        );
        assert_eq!(
            with_stage_variables("a${stageVariables.none}b", &variables),
            "ab"
        );
        assert_eq!(
            with_stage_variables("open ${stageVariables.x", &variables),
            "open ${stageVariables.x"
        );
    }

    #[test]
    fn media_types_lose_their_parameters() {
        assert_eq!(
            media_type(Some("Application/JSON; charset=utf-8")),
            "application/json"
        );
        assert_eq!(media_type(None), "application/json");
        assert_eq!(media_type(Some("text/plain")), "text/plain");
    }
}
