//! REST's mapping: what a method's templates and parameter mappings see of a request and an
//! integration's answer, and the values they read. Compiled once into plans (`plan.rs`);
//! applied to the integration request (`request.rs`), the method response (`response.rs`)
//! and the gateway's own answers (`gateway_responses.rs`).

mod gateway_responses;
pub mod plan;
mod request;
mod response;

use std::collections::BTreeMap;

use http::HeaderMap;
use portico_config::rest::{RestApi, Source};
use portico_vtl::{Input, Limits, Template};

use crate::ctx::RequestCtx;
use crate::phases::resolve::RestTarget;

pub use gateway_responses::gateway_response;
pub use request::{IntegrationRequest, RequestFailure, integration_request};
pub use response::{MethodResponse, method_response, select};

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

    /// Renders `template` with `input` as `$input`, giving back `$context` as the template
    /// left it (its overrides).
    fn render(
        &self,
        template: &Template,
        input: &Input,
    ) -> Result<(String, serde_json::Value), String> {
        template
            .render_with_context(
                input,
                &self.context,
                self.stage_variables,
                &Limits::default(),
            )
            .map_err(|e| e.to_string())
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

/// What the integration answered, for selecting and building the method response.
pub struct IntegrationAnswer<'a> {
    /// The HTTP status of an HTTP or MOCK integration; `None` for Lambda.
    pub status: Option<u16>,
    /// A Lambda function error's `errorMessage`.
    pub error_message: Option<String>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// A mapping source's value: from the request (`scope`), or from the integration's
/// `answer` when mapping a response; `None` when there is none.
fn value_of(
    source: &Source,
    scope: &TemplateScope<'_>,
    answer: Option<&IntegrationAnswer<'_>>,
) -> Option<String> {
    let json_text = |body: &[u8], path: &serde_json_path::JsonPath| {
        let body: serde_json::Value = serde_json::from_slice(body).ok()?;
        path.query(&body).first().map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    match source {
        Source::Static(text) => Some(text.clone()),
        Source::Request(parameter) => {
            use portico_config::rest::Place;
            let (list, any_case) = match parameter.place {
                Place::Header => (&scope.input.header, true),
                Place::QueryString => (&scope.input.querystring, false),
                Place::Path => (&scope.input.path, false),
            };
            let mut values = list.iter().filter(|(k, _)| {
                if any_case {
                    k.eq_ignore_ascii_case(&parameter.name)
                } else {
                    *k == parameter.name
                }
            });
            // As `RequestCtx::parameter` reads them: the last value, or every value.
            if parameter.every_value {
                let all: Vec<&str> = values.map(|(_, v)| v.as_str()).collect();
                (!all.is_empty()).then(|| all.join(","))
            } else {
                values.next_back().map(|(_, v)| v.clone())
            }
        }
        Source::RequestBody(None) => Some(scope.input.body.clone()),
        Source::RequestBody(Some(path)) => json_text(scope.input.body.as_bytes(), path),
        Source::StageVariable(name) => scope.stage_variables.get(name).cloned(),
        Source::Context(path) => {
            let found = path.iter().try_fold(&scope.context, |v, key| v.get(key))?;
            match found {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            }
        }
        Source::IntegrationHeader(name) => answer?
            .headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        Source::IntegrationBody(None) => Some(String::from_utf8_lossy(answer?.body).into_owned()),
        Source::IntegrationBody(Some(path)) => json_text(answer?.body, path),
    }
}

/// The function a Lambda integration invokes on a stage: its name and qualifier with their
/// stage variables resolved (`function:${stageVariables.fn}`, `hello:${stageVariables.alias}`;
/// a value may carry the qualifier too, `hello:live`).
pub fn staged_function<'f>(
    function: &'f portico_config::FunctionRef,
    variables: &BTreeMap<String, String>,
) -> std::borrow::Cow<'f, portico_config::FunctionRef> {
    let staged = |text: &str| text.contains("${stageVariables.");
    if !staged(&function.name) && !function.qualifier.as_deref().is_some_and(staged) {
        return std::borrow::Cow::Borrowed(function);
    }
    let resolved = with_stage_variables(&function.to_string(), variables);
    std::borrow::Cow::Owned(portico_config::FunctionRef::parse(&resolved))
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(super) fn scope(body: &str) -> TemplateScope<'static> {
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
