//! The payload format 1.0 event, as REST APIs send it to a Lambda proxy integration and
//! HTTP API routes configured for 1.0 (the same shape with `version: "1.0"`), and its
//! response rules.

use std::collections::BTreeMap;

use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{Map, Value, json};

use crate::http_v2::{Endpoint, RequestInfo};
use crate::response::{HttpResponse, Malformed};

/// Which door sends the 1.0 event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// An HTTP API route with payload format 1.0: `version: "1.0"`.
    HttpApi,
    /// A REST API's Lambda proxy integration: no `version`; `requestContext.path` carries
    /// the stage (`/prod/pets`), and a `deploymentId`. The body is base64 exactly when its
    /// content type is one of the API's binary media types (`binary`), else text (invalid
    /// UTF-8 replaced), as REST APIs pass it.
    Rest { binary: bool },
}

/// Serializes the 1.0 event for `request` matched to the route whose path template is
/// `resource` (`$default` for the default route).
pub fn event(
    request: &RequestInfo<'_>,
    endpoint: &Endpoint<'_>,
    resource: &str,
    flavor: Flavor,
) -> Vec<u8> {
    let mut headers = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    let rest = matches!(flavor, Flavor::Rest { .. });
    let mut add_header = |name: String, value: String| {
        headers.insert(name.clone(), Value::String(value.clone()));
        match multi_headers.get_mut(&name) {
            Some(Value::Array(values)) => values.push(Value::String(value)),
            _ => {
                multi_headers.insert(name, json!([value]));
            }
        }
    };
    // A REST API passes names on as the client spelt them and spells its own as
    // `X-Forwarded-For`; an HTTP API lower-cases them all.
    let spelt = |name: &str| match rest {
        true => request
            .header_names
            .iter()
            .find(|spelt| spelt.eq_ignore_ascii_case(name))
            .cloned()
            .unwrap_or_else(|| name.to_string()),
        false => name.to_string(),
    };
    for (name, value) in request.headers {
        if request
            .added_headers
            .iter()
            .any(|(n, _)| *n == name.as_str())
        {
            continue;
        }
        add_header(
            spelt(name.as_str()),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        );
    }
    for (name, value) in request.added_headers {
        let name = match rest {
            true => title_case(name),
            false => name.to_string(),
        };
        add_header(name, value.clone());
    }
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for (k, v) in form_urlencoded::parse(request.query.as_bytes()) {
        query.insert(k.to_string(), Value::String(v.to_string()));
        match multi_query.get_mut(k.as_ref()) {
            Some(Value::Array(values)) => values.push(Value::String(v.into_owned())),
            _ => {
                multi_query.insert(k.into_owned(), json!([v]));
            }
        }
    }
    let or_null = |map: Map<String, Value>| {
        if map.is_empty() {
            Value::Null
        } else {
            Value::Object(map)
        }
    };
    let path_parameters: Map<String, Value> = endpoint
        .path_parameters
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let stage_variables: Map<String, Value> = endpoint
        .stage_variables
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let (body, is_base64) = match flavor {
        Flavor::HttpApi => crate::http_v2::body(request.headers, request.body),
        Flavor::Rest { .. } if request.body.is_empty() => (None, false),
        Flavor::Rest { binary: true } => {
            use base64::Engine;
            let encoded = base64::engine::general_purpose::STANDARD.encode(request.body);
            (Some(encoded.into()), true)
        }
        Flavor::Rest { binary: false } => (Some(String::from_utf8_lossy(request.body)), false),
    };
    let user_agent = request
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let context_path = match flavor {
        Flavor::HttpApi => request.path.to_string(),
        Flavor::Rest { .. } => format!("/{}{}", endpoint.stage, request.path),
    };
    let mut event = json!({
        "version": "1.0",
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": or_null(headers),
        "multiValueHeaders": or_null(multi_headers),
        "queryStringParameters": or_null(query),
        "multiValueQueryStringParameters": or_null(multi_query),
        "pathParameters": or_null(path_parameters),
        "stageVariables": or_null(stage_variables),
        "requestContext": {
            "accountId": endpoint.account_id,
            "apiId": endpoint.api_id,
            "domainName": endpoint.domain_name,
            "domainPrefix": endpoint.domain_prefix,
            "extendedRequestId": request.request_id,
            "httpMethod": request.method,
            "identity": identity(request.source_ip, user_agent),
            "path": context_path,
            "protocol": request.protocol,
            "requestId": request.request_id,
            "requestTime": crate::time::clf(request.time),
            "requestTimeEpoch": crate::time::epoch_ms(request.time),
            "resourceId": endpoint.route_key,
            "resourcePath": resource,
            "stage": endpoint.stage,
            "authorizer": endpoint.authorizer,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    });
    if matches!(flavor, Flavor::Rest { .. })
        && let Some(event) = event.as_object_mut()
    {
        event.remove("version");
        if let Some(context) = event
            .get_mut("requestContext")
            .and_then(Value::as_object_mut)
        {
            context.insert("deploymentId".into(), json!(endpoint.api_id));
        }
    }
    serde_json::to_vec(&event).unwrap_or_default()
}

/// `requestContext.identity`: every key present, `null` when unknown.
fn identity(source_ip: &str, user_agent: Option<&str>) -> Value {
    let mut identity: BTreeMap<&str, Value> = [
        "accessKey",
        "accountId",
        "caller",
        "cognitoAuthenticationProvider",
        "cognitoAuthenticationType",
        "cognitoIdentityId",
        "cognitoIdentityPoolId",
        "principalOrgId",
        "user",
        "userArn",
    ]
    .into_iter()
    .map(|k| (k, Value::Null))
    .collect();
    identity.insert("sourceIp", json!(source_ip));
    identity.insert("userAgent", json!(user_agent));
    json!(identity)
}

/// `x-forwarded-for` as `X-Forwarded-For`.
pub fn title_case(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Reads a 1.0 result as an HTTP API does: an object with a `statusCode` (required),
/// `headers` and `multiValueHeaders` (merged, multi-values first), a string `body`, and
/// `isBase64Encoded`. Other keys are ignored.
pub fn from_payload(payload: &[u8]) -> Result<HttpResponse, Malformed> {
    let map = match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Object(map)) => map,
        Ok(other) => return Err(Malformed::not_an_object(&other)),
        Err(_) => return Err(Malformed::NotJson),
    };
    let status = match map.get("statusCode") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(Malformed::Status(other.to_string())),
        None => return Err(Malformed::NoStatus),
    };
    let status = status
        .parse::<u16>()
        .ok()
        .filter(|s| (100..=599).contains(s))
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or(Malformed::Status(status))?;
    let mut headers: Vec<(HeaderName, HeaderValue)> = Vec::new();
    let mut push = |name: &str, value: &Value| -> Result<(), Malformed> {
        headers.push(crate::response::header(name, value)?);
        Ok(())
    };
    if let Some(Value::Object(multi)) = map.get("multiValueHeaders") {
        for (name, values) in multi {
            let Value::Array(values) = values else {
                return Err(Malformed::Type("multiValueHeaders"));
            };
            for value in values {
                push(name, value)?;
            }
        }
    }
    match map.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(single)) => {
            for (name, value) in single {
                push(name, value)?;
            }
        }
        Some(_) => return Err(Malformed::Type("headers")),
    }
    let base64 = matches!(map.get("isBase64Encoded"), Some(Value::Bool(true)));
    let body = crate::response::body(&map, base64)?;
    if !headers.iter().any(|(n, _)| n == http::header::CONTENT_TYPE) {
        headers.push((
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ));
    }
    Ok(HttpResponse {
        status,
        headers,
        cookies: Vec::new(),
        body,
    })
}

/// Whether `content_type` is one of a REST API's binary media types (`image/png`,
/// `image/*`, `*/*`; `~1` written for `/`, as OpenAPI exports them).
pub fn is_binary_media_type(content_type: Option<&str>, binary_media_types: &[String]) -> bool {
    let Some(media) = content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
    else {
        return false;
    };
    let (kind, sub) = media.split_once('/').unwrap_or((media.as_str(), ""));
    binary_media_types.iter().any(|t| {
        let t = t.replace("~1", "/").to_ascii_lowercase();
        let (tk, ts) = t.split_once('/').unwrap_or((t.as_str(), ""));
        (tk == "*" || tk == kind) && (ts == "*" || ts == sub)
    })
}
