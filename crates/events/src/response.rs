//! Reading a function's answer as an HTTP response, the way payload format 2.0 and
//! Function URLs read it: explicit `{statusCode, headers, cookies, body, isBase64Encoded}`,
//! or anything else inferred as a 200 JSON body. Also the streaming prelude.

use base64::Engine;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::Value;

/// An HTTP response taken from a function's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Each becomes its own `set-cookie` header.
    pub cookies: Vec<HeaderValue>,
    pub body: Bytes,
}

/// Why a function's answer is not a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("the function's response is not JSON")]
    NotJson,
    /// JSON, but not an object: what it is ("a string").
    #[error("statusCode missing: the answer is {0}, not an object with a statusCode")]
    NotAnObject(&'static str),
    #[error("statusCode missing")]
    NoStatus,
    #[error("statusCode {0} is not an HTTP status")]
    Status(String),
    #[error("header `{0}` has a name or value HTTP does not allow")]
    Header(String),
    #[error("`{0}` has the wrong type")]
    Type(&'static str),
    #[error("the body is marked isBase64Encoded but is not base64")]
    Base64,
    #[error("the streaming prelude is not a JSON object")]
    Prelude,
}

impl Malformed {
    /// A JSON answer that is not an object, named for the log.
    pub fn not_an_object(value: &Value) -> Malformed {
        Malformed::NotAnObject(match value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        })
    }
}

/// The media type of an inferred response.
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Reads a buffered result (payload format 2.0 rules).
pub fn from_payload(payload: &[u8]) -> Result<HttpResponse, Malformed> {
    let value: Value = serde_json::from_slice(payload).map_err(|_| Malformed::NotJson)?;
    match value {
        Value::Object(ref map) if map.contains_key("statusCode") => explicit(map),
        Value::String(s) => Ok(inferred(Bytes::from(s))),
        other => Ok(inferred(Bytes::from(
            serde_json::to_vec(&other).unwrap_or_default(),
        ))),
    }
}

fn inferred(body: Bytes) -> HttpResponse {
    HttpResponse {
        status: StatusCode::OK,
        headers: vec![(http::header::CONTENT_TYPE, JSON)],
        cookies: Vec::new(),
        body,
    }
}

fn explicit(map: &serde_json::Map<String, Value>) -> Result<HttpResponse, Malformed> {
    let mut response = head(map)?;
    let base64 = match map.get("isBase64Encoded") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(Malformed::Type("isBase64Encoded")),
    };
    response.body = body(map, base64)?;
    if !response
        .headers
        .iter()
        .any(|(n, _)| n == http::header::CONTENT_TYPE)
    {
        response.headers.push((http::header::CONTENT_TYPE, JSON));
    }
    Ok(response)
}

/// Status, headers and cookies of an explicit response or a streaming prelude.
fn head(map: &serde_json::Map<String, Value>) -> Result<HttpResponse, Malformed> {
    let status = match map.get("statusCode") {
        None | Some(Value::Null) => StatusCode::OK,
        Some(Value::Number(n)) => status(&n.to_string())?,
        Some(Value::String(s)) => status(s)?,
        Some(other) => return Err(Malformed::Status(other.to_string())),
    };
    let mut headers = Vec::new();
    match map.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (name, value) in h {
                headers.push(header(name, value)?);
            }
        }
        Some(_) => return Err(Malformed::Type("headers")),
    }
    let mut cookies = Vec::new();
    if let Some(Value::Array(list)) = map.get("cookies") {
        for cookie in list {
            let Value::String(c) = cookie else {
                return Err(Malformed::Type("cookies"));
            };
            cookies.push(
                HeaderValue::from_str(c).map_err(|_| Malformed::Header("set-cookie".into()))?,
            );
        }
    }
    Ok(HttpResponse {
        status,
        headers,
        cookies,
        body: Bytes::new(),
    })
}

/// A result's `body`: text, or base64 when `base64` says so; absent or `null` is empty.
pub(crate) fn body(map: &serde_json::Map<String, Value>, base64: bool) -> Result<Bytes, Malformed> {
    match map.get("body") {
        None | Some(Value::Null) => Ok(Bytes::new()),
        Some(Value::String(s)) if base64 => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map(Bytes::from)
            .map_err(|_| Malformed::Base64),
        Some(Value::String(s)) => Ok(Bytes::from(s.clone())),
        Some(_) => Err(Malformed::Type("body")),
    }
}

/// A header from a result's `headers`: numbers and booleans are written as text.
pub(crate) fn header(name: &str, value: &Value) -> Result<(HeaderName, HeaderValue), Malformed> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return Err(Malformed::Header(name.to_string())),
    };
    let header =
        HeaderName::from_bytes(name.as_bytes()).map_err(|_| Malformed::Header(name.to_string()))?;
    let value = HeaderValue::from_str(&text).map_err(|_| Malformed::Header(name.to_string()))?;
    Ok((header, value))
}

fn status(text: &str) -> Result<StatusCode, Malformed> {
    text.parse::<u16>()
        .ok()
        .filter(|s| (100..=599).contains(s))
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| Malformed::Status(text.to_string()))
}

/// The content type a runtime sets on a streamed response that starts with a prelude.
pub const HTTP_INTEGRATION_RESPONSE: &str = "application/vnd.awslambda.http-integration-response";

/// The separator between the prelude and the body of a streamed HTTP response.
pub const PRELUDE_SEPARATOR: [u8; 8] = [0; 8];

/// Reads the JSON prelude of a streamed HTTP response (the bytes before the separator).
pub fn from_prelude(prelude: &[u8]) -> Result<HttpResponse, Malformed> {
    match serde_json::from_slice::<Value>(prelude) {
        Ok(Value::Object(map)) => {
            let mut head = head(&map)?;
            if !head
                .headers
                .iter()
                .any(|(n, _)| n == http::header::CONTENT_TYPE)
            {
                head.headers.push((
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                ));
            }
            Ok(head)
        }
        _ => Err(Malformed::Prelude),
    }
}
