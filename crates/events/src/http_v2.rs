//! The payload format 2.0 event (Function URLs, and HTTP APIs later): built from a request.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use http::HeaderMap;
use serde::Serialize;
use serde::ser::SerializeMap;

/// What the front door knows of one request.
pub struct RequestInfo<'a> {
    pub method: &'a str,
    /// The path as the function sees it (raw, percent-encoding kept).
    pub path: &'a str,
    /// The raw query string without `?`, empty when absent.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    /// The header names as the client spelt them, where known (HTTP/1): a REST API's
    /// event keeps them.
    pub header_names: &'a [String],
    /// Headers the gateway adds (`x-forwarded-*`, `x-amzn-trace-id`), lower-case names.
    pub added_headers: &'a [(&'static str, String)],
    pub protocol: &'a str,
    pub source_ip: &'a str,
    pub body: &'a [u8],
    pub request_id: &'a str,
    pub time: SystemTime,
}

/// Where the request arrived: the parts of `requestContext` that name the endpoint.
pub struct Endpoint<'a> {
    pub account_id: &'a str,
    pub api_id: &'a str,
    pub domain_name: &'a str,
    pub domain_prefix: &'a str,
    pub route_key: &'a str,
    pub stage: &'a str,
    /// The route's path parameters, in order (empty for Function URLs).
    pub path_parameters: &'a [(String, String)],
    /// The stage's variables (empty for Function URLs).
    pub stage_variables: &'a std::collections::BTreeMap<String, String>,
    /// What an authorizer said of the caller: `requestContext.authorizer`.
    pub authorizer: Option<&'a serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    version: &'static str,
    route_key: &'a str,
    raw_path: &'a str,
    raw_query_string: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cookies: Vec<&'a str>,
    headers: Headers<'a>,
    #[serde(skip_serializing_if = "QueryParams::is_empty")]
    query_string_parameters: QueryParams,
    #[serde(skip_serializing_if = "Pairs::is_empty")]
    path_parameters: Pairs<'a>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    stage_variables: &'a std::collections::BTreeMap<String, String>,
    request_context: RequestContext<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<std::borrow::Cow<'a, str>>,
    is_base64_encoded: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestContext<'a> {
    account_id: &'a str,
    api_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorizer: Option<&'a serde_json::Value>,
    domain_name: &'a str,
    domain_prefix: &'a str,
    http: HttpDescription<'a>,
    request_id: &'a str,
    route_key: &'a str,
    stage: &'a str,
    time: String,
    time_epoch: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HttpDescription<'a> {
    method: &'a str,
    path: &'a str,
    protocol: &'a str,
    source_ip: &'a str,
    user_agent: &'a str,
}

/// Serializes the event for `request` arriving at `endpoint`.
pub fn event(request: &RequestInfo<'_>, endpoint: &Endpoint<'_>) -> Vec<u8> {
    let (body, is_base64_encoded) = body(request.headers, request.body);
    let epoch_ms = request
        .time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let event = Event {
        version: "2.0",
        route_key: endpoint.route_key,
        raw_path: request.path,
        raw_query_string: request.query,
        cookies: cookies(request.headers),
        headers: Headers {
            map: request.headers,
            added: request.added_headers,
        },
        query_string_parameters: QueryParams::parse(request.query),
        path_parameters: Pairs(endpoint.path_parameters),
        stage_variables: endpoint.stage_variables,
        request_context: RequestContext {
            account_id: endpoint.account_id,
            api_id: endpoint.api_id,
            authorizer: endpoint.authorizer,
            domain_name: endpoint.domain_name,
            domain_prefix: endpoint.domain_prefix,
            http: HttpDescription {
                method: request.method,
                path: request.path,
                protocol: request.protocol,
                source_ip: request.source_ip,
                user_agent: request
                    .headers
                    .get(http::header::USER_AGENT)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            },
            request_id: request.request_id,
            route_key: endpoint.route_key,
            stage: endpoint.stage,
            time: crate::time::clf(request.time),
            time_epoch: epoch_ms,
        },
        body,
        is_base64_encoded,
    };
    serde_json::to_vec(&event).unwrap_or_default()
}

/// Each `name=value` of every `Cookie` header, in order.
fn cookies(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// The body as text, or base64 when the content is binary.
pub(crate) fn body<'a>(
    headers: &HeaderMap,
    body: &'a [u8],
) -> (Option<std::borrow::Cow<'a, str>>, bool) {
    if body.is_empty() {
        return (None, false);
    }
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let text = match content_type {
        Some(ct) => is_text_content_type(ct),
        None => true,
    };
    match (text, std::str::from_utf8(body)) {
        (true, Ok(s)) => (Some(s.into()), false),
        _ => (
            Some(
                base64::engine::general_purpose::STANDARD
                    .encode(body)
                    .into(),
            ),
            true,
        ),
    }
}

/// Whether a media type is sent to the function as text rather than base64.
pub fn is_text_content_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/javascript"
                | "application/xml"
                | "application/x-www-form-urlencoded"
                | "application/graphql"
                | "application/yaml"
                | "application/x-yaml"
        )
}

/// Headers as the 2.0 format gives them: lower-case names, repeats joined with commas,
/// `cookie` moved to `cookies`.
struct Headers<'a> {
    map: &'a HeaderMap,
    added: &'a [(&'static str, String)],
}

impl Serialize for Headers<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for name in self.map.keys() {
            if name == http::header::COOKIE || self.added.iter().any(|(n, _)| *n == name.as_str()) {
                continue;
            }
            let mut values = self.map.get_all(name).iter();
            let first = values.next().map(|v| String::from_utf8_lossy(v.as_bytes()));
            let joined = values.fold(first.unwrap_or_default(), |mut acc, v| {
                acc.to_mut().push(',');
                acc.to_mut()
                    .push_str(&String::from_utf8_lossy(v.as_bytes()));
                acc
            });
            map.serialize_entry(name.as_str(), &joined)?;
        }
        for (name, value) in self.added {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Decoded query parameters, repeats joined with commas, in first-seen order.
struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    fn parse(query: &str) -> QueryParams {
        let mut params: Vec<(String, String)> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match index.get(k.as_ref()) {
                Some(&at) => {
                    let existing = &mut params[at].1;
                    existing.push(',');
                    existing.push_str(&v);
                }
                None => {
                    index.insert(k.clone().into_owned(), params.len());
                    params.push((k.into_owned(), v.into_owned()));
                }
            }
        }
        QueryParams(params)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for QueryParams {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// Name-value pairs written as a JSON object.
struct Pairs<'a>(&'a [(String, String)]);

impl Pairs<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Pairs<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}
