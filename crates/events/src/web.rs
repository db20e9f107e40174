//! A web app served as a function (`runtime: web`): the HTTP events Portico sends functions
//! turned back into the plain HTTP request a web server expects, and the server's answer
//! into the result the event's front door reads, as the Lambda Web Adapter converts them.
//!
//! An event that is not an HTTP event (an Invoke API payload) is posted as it is to
//! [`PASS_THROUGH_PATH`], and the app's body is the result.

use base64::Engine;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{Map, Value, json};

/// Where a non-HTTP event is posted, as the adapter's `AWS_LWA_PASS_THROUGH_PATH` default.
pub const PASS_THROUGH_PATH: &str = "/events";

/// The header that carries the event's `requestContext` as JSON.
pub const REQUEST_CONTEXT: &str = "x-amzn-request-context";

/// The header that carries the invocation's context (request id, deadline, ARN) as JSON.
pub const LAMBDA_CONTEXT: &str = "x-amzn-lambda-context";

/// Headers that describe one connection, never forwarded either way.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "content-length",
];

/// Which result the event's door reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A Function URL's or an HTTP API's 2.0 event: `statusCode`, `headers` (repeats joined
    /// with commas), `cookies`, `body`, `isBase64Encoded`.
    V2,
    /// A REST API's or an HTTP API's 1.0 event: `statusCode`, `multiValueHeaders`, `body`,
    /// `isBase64Encoded`.
    V1,
    /// Any other payload: posted to [`PASS_THROUGH_PATH`]; the app's body is the result.
    PassThrough,
}

/// The request the app gets for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRequest {
    pub method: Method,
    /// The request target: the path and, when there is one, `?` and the query.
    pub target: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Vec<u8>,
    pub shape: Shape,
}

/// The invocation facts the app gets in [`LAMBDA_CONTEXT`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation<'a> {
    pub request_id: &'a str,
    pub deadline_ms: u64,
    pub invoked_function_arn: &'a str,
    pub trace_id: &'a str,
    pub function_name: &'a str,
    pub memory_mb: u32,
}

/// The [`LAMBDA_CONTEXT`] header's JSON.
pub fn lambda_context(invocation: &Invocation<'_>) -> String {
    json!({
        "request_id": invocation.request_id,
        "deadline": invocation.deadline_ms,
        "invoked_function_arn": invocation.invoked_function_arn,
        "xray_trace_id": invocation.trace_id,
        "env_config": {
            "function_name": invocation.function_name,
            "memory": invocation.memory_mb,
            "version": "$LATEST",
        },
    })
    .to_string()
}

/// The app's request for `event`: a 2.0 event (`version: "2.0"` with
/// `requestContext.http`), a 1.0 one (`httpMethod`), or anything else, passed through.
pub fn request(event: &[u8]) -> AppRequest {
    match serde_json::from_slice::<Value>(event) {
        Ok(Value::Object(map)) if is_v2(&map) => from_v2(&map),
        Ok(Value::Object(map)) if map.get("httpMethod").is_some_and(Value::is_string) => {
            from_v1(&map)
        }
        _ => AppRequest {
            method: Method::POST,
            target: PASS_THROUGH_PATH.to_string(),
            headers: vec![(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body: event.to_vec(),
            shape: Shape::PassThrough,
        },
    }
}

fn is_v2(map: &Map<String, Value>) -> bool {
    map.get("version").and_then(Value::as_str) == Some("2.0")
        && map
            .get("requestContext")
            .and_then(|c| c.get("http"))
            .and_then(|h| h.get("method"))
            .is_some_and(Value::is_string)
}

fn from_v2(map: &Map<String, Value>) -> AppRequest {
    let context = map.get("requestContext");
    let method = context
        .and_then(|c| c.pointer("/http/method"))
        .and_then(Value::as_str)
        .unwrap_or("GET");
    let path = map.get("rawPath").and_then(Value::as_str).unwrap_or("/");
    let query = map
        .get("rawQueryString")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut headers = Vec::new();
    if let Some(Value::Object(given)) = map.get("headers") {
        for (name, value) in given {
            if let Some(value) = value.as_str() {
                push(&mut headers, name, value);
            }
        }
    }
    if let Some(Value::Array(cookies)) = map.get("cookies") {
        let joined: Vec<&str> = cookies.iter().filter_map(Value::as_str).collect();
        if !joined.is_empty() {
            push(&mut headers, "cookie", &joined.join("; "));
        }
    }
    finish(
        method,
        target(path, query),
        headers,
        context,
        map,
        Shape::V2,
    )
}

fn from_v1(map: &Map<String, Value>) -> AppRequest {
    let method = map
        .get("httpMethod")
        .and_then(Value::as_str)
        .unwrap_or("GET");
    let path = map.get("path").and_then(Value::as_str).unwrap_or("/");
    let mut query = form_urlencoded::Serializer::new(String::new());
    match (
        map.get("multiValueQueryStringParameters"),
        map.get("queryStringParameters"),
    ) {
        (Some(Value::Object(multi)), _) => {
            for (name, values) in multi {
                for value in values.as_array().into_iter().flatten() {
                    query.append_pair(name, value.as_str().unwrap_or_default());
                }
            }
        }
        (_, Some(Value::Object(single))) => {
            for (name, value) in single {
                query.append_pair(name, value.as_str().unwrap_or_default());
            }
        }
        _ => {}
    }
    let mut headers = Vec::new();
    match (map.get("multiValueHeaders"), map.get("headers")) {
        (Some(Value::Object(multi)), _) => {
            for (name, values) in multi {
                for value in values.as_array().into_iter().flatten() {
                    if let Some(value) = value.as_str() {
                        push(&mut headers, name, value);
                    }
                }
            }
        }
        (_, Some(Value::Object(single))) => {
            for (name, value) in single {
                if let Some(value) = value.as_str() {
                    push(&mut headers, name, value);
                }
            }
        }
        _ => {}
    }
    let context = map.get("requestContext");
    let target = target(&encode_path(path), &query.finish());
    finish(method, target, headers, context, map, Shape::V1)
}

fn finish(
    method: &str,
    target: String,
    mut headers: Vec<(HeaderName, HeaderValue)>,
    context: Option<&Value>,
    map: &Map<String, Value>,
    shape: Shape,
) -> AppRequest {
    if let Some(context) = context
        && let Ok(value) = HeaderValue::from_str(&context.to_string())
    {
        headers.push((HeaderName::from_static(REQUEST_CONTEXT), value));
    }
    let body = match map.get("body").and_then(Value::as_str) {
        Some(body) if map.get("isBase64Encoded") == Some(&Value::Bool(true)) => {
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .unwrap_or_else(|_| body.as_bytes().to_vec())
        }
        Some(body) => body.as_bytes().to_vec(),
        None => Vec::new(),
    };
    AppRequest {
        method: Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET),
        target,
        headers,
        body,
        shape,
    }
}

/// Adds a header the app may get (hop-by-hop ones and unusable names or values are left out).
fn push(headers: &mut Vec<(HeaderName, HeaderValue)>, name: &str, value: &str) {
    let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
        return;
    };
    if HOP_BY_HOP.contains(&name.as_str()) {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.push((name, value));
    }
}

fn target(path: &str, query: &str) -> String {
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}

/// A 1.0 event's `path` as a request target: bytes a request line cannot carry
/// percent-encoded (`%` itself is kept, as the path may already be encoded).
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let allowed = byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@%".contains(&byte);
        if allowed {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Whether an answer's body goes to the door as text (else base64): not content-encoded,
/// a textual media type (or none), and UTF-8.
pub fn is_text(headers: &HeaderMap, body: &[u8]) -> bool {
    if headers.contains_key(http::header::CONTENT_ENCODING) {
        return false;
    }
    let textual = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(crate::http_v2::is_text_content_type);
    textual && std::str::from_utf8(body).is_ok()
}

/// The function result for the app's buffered answer, in the shape its event's door reads.
pub fn result(shape: Shape, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    if shape == Shape::PassThrough {
        return body.to_vec();
    }
    let (body, base64) = if body.is_empty() {
        (String::new(), false)
    } else if is_text(headers, body) {
        (String::from_utf8_lossy(body).into_owned(), false)
    } else {
        (base64::engine::general_purpose::STANDARD.encode(body), true)
    };
    let mut result = match shape {
        Shape::V1 => json!({
            "statusCode": status.as_u16(),
            "multiValueHeaders": multi_value_headers(headers),
        }),
        _ => head(status, headers),
    };
    if let Some(fields) = result.as_object_mut() {
        fields.insert("body".into(), Value::String(body));
        fields.insert("isBase64Encoded".into(), Value::Bool(base64));
    }
    serde_json::to_vec(&result).unwrap_or_default()
}

/// The prelude of a streamed answer (`{statusCode, headers, cookies}` and the 8 NUL bytes
/// that end it), sent before the body as the function's stream.
pub fn prelude(status: StatusCode, headers: &HeaderMap) -> Vec<u8> {
    let mut out = serde_json::to_vec(&head(status, headers)).unwrap_or_default();
    out.extend_from_slice(&crate::response::PRELUDE_SEPARATOR);
    out
}

/// `{statusCode, headers, cookies}` by the 2.0 rules: repeated headers joined with commas,
/// each `set-cookie` a cookie.
fn head(status: StatusCode, headers: &HeaderMap) -> Value {
    let mut joined = Map::new();
    let mut cookies = Vec::new();
    for name in headers.keys() {
        if HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        let values = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        if name == http::header::SET_COOKIE {
            cookies.extend(values.map(Value::String));
        } else {
            joined.insert(
                name.as_str().to_string(),
                Value::String(values.collect::<Vec<_>>().join(",")),
            );
        }
    }
    json!({
        "statusCode": status.as_u16(),
        "headers": joined,
        "cookies": cookies,
    })
}

fn multi_value_headers(headers: &HeaderMap) -> Value {
    let mut multi = Map::new();
    for name in headers.keys() {
        if HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        let values = headers
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        multi.insert(name.as_str().to_string(), Value::Array(values));
    }
    Value::Object(multi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_encoded_once() {
        assert_eq!(encode_path("/a b/é/%2F"), "/a%20b/%C3%A9/%2F");
    }
}
