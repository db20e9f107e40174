//! HTTP API parameter mapping: the request a route's integration gets (the event a function
//! is given, or what an HTTP proxy sends on), changed as the route's `request_parameters`
//! say (append, overwrite or remove a header or query parameter; overwrite a proxy's path),
//! and the integration's response, changed as its `response_parameters` say (headers and
//! the status code), with values taken from the request, the response, the context, the
//! authorizer and the stage.

use std::collections::BTreeMap;

use http::{HeaderMap, HeaderName, HeaderValue};
use portico_config::mapping::ValuePart;
use portico_config::{MappingAction, MappingTarget, MappingValue, ParameterMapping, Reference};
use serde_json_path::JsonPath;

/// Where mapping values come from.
pub struct Sources<'a> {
    pub headers: &'a HeaderMap,
    pub query: &'a str,
    /// The path without the stage.
    pub path: &'a str,
    pub path_parameters: &'a [(String, String)],
    pub stage_variables: &'a BTreeMap<String, String>,
    /// `$context.<name>` values.
    pub context: &'a [(&'static str, String)],
    /// The request's body, and it as JSON when it is, for AWS service integrations.
    pub request_body: &'a [u8],
    pub request_json: Option<&'a serde_json::Value>,
    /// The integration's response headers, when mapping a response.
    pub response_headers: Option<&'a HeaderMap>,
    /// The integration's response body as JSON, when a response mapping reads it.
    pub response_body: Option<&'a serde_json::Value>,
    /// What the authorizer said (`{"lambda": context}`, `{"jwt": {claims, scopes}}`, ...).
    pub authorizer: Option<&'a serde_json::Value>,
}

/// The request as the integration will get it, or the response as the client will.
pub struct Outgoing {
    pub headers: HeaderMap,
    pub query: Vec<(String, String)>,
    pub path: String,
    /// A mapped status code, as mapped (not yet checked).
    pub status: Option<String>,
}

impl Outgoing {
    /// Headers, the pairs of these query strings, and a path, as they are before mapping.
    pub fn new(headers: &HeaderMap, queries: &[&str], path: &str) -> Outgoing {
        let query = queries
            .iter()
            .flat_map(|q| form_urlencoded::parse(q.as_bytes()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Outgoing {
            headers: headers.clone(),
            query,
            path: path.to_string(),
            status: None,
        }
    }

    /// The query, encoded.
    pub fn query_string(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.query.iter())
            .finish()
    }
}

/// Applies `mappings` to `outgoing`, in order.
pub fn apply(mappings: &[ParameterMapping], sources: &Sources<'_>, outgoing: &mut Outgoing) {
    for mapping in mappings {
        let value = evaluate(&mapping.value, sources);
        match (&mapping.target, mapping.action) {
            (MappingTarget::Path, _) => outgoing.path = value,
            (MappingTarget::StatusCode, _) => outgoing.status = Some(value),
            (MappingTarget::Header(name), action) => {
                let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
                    continue;
                };
                match action {
                    MappingAction::Remove => {
                        outgoing.headers.remove(&name);
                    }
                    MappingAction::Overwrite => {
                        if let Ok(value) = HeaderValue::from_str(&value) {
                            outgoing.headers.insert(name, value);
                        }
                    }
                    MappingAction::Append => {
                        if let Ok(value) = HeaderValue::from_str(&value) {
                            outgoing.headers.append(name, value);
                        }
                    }
                }
            }
            (MappingTarget::Query(name), action) => {
                if action != MappingAction::Append {
                    outgoing.query.retain(|(k, _)| k != name);
                }
                if action != MappingAction::Remove {
                    outgoing.query.push((name.clone(), value));
                }
            }
        }
    }
}

/// A mapping value's text, its references filled in from `sources` (a missing value is
/// empty).
pub fn evaluate(value: &MappingValue, sources: &Sources<'_>) -> String {
    let mut out = String::new();
    for part in &value.parts {
        match part {
            ValuePart::Text(text) => out.push_str(text),
            ValuePart::Ref(reference) => out.push_str(&resolve(reference, sources)),
        }
    }
    out
}

/// The value of one reference; a header or query parameter given several times is
/// comma-joined.
fn resolve(reference: &Reference, sources: &Sources<'_>) -> String {
    let header = |headers: &HeaderMap, name: &str| {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        values.join(",")
    };
    match reference {
        Reference::RequestPath => sources.path.to_string(),
        Reference::RequestHeader(name) => header(sources.headers, name),
        Reference::ResponseHeader(name) => sources
            .response_headers
            .map(|headers| header(headers, name))
            .unwrap_or_default(),
        Reference::RequestQuery(name) => {
            let values: Vec<String> = form_urlencoded::parse(sources.query.as_bytes())
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .collect();
            values.join(",")
        }
        Reference::RequestPathParameter(name) => sources
            .path_parameters
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
        Reference::StageVariable(name) => sources
            .stage_variables
            .get(name)
            .cloned()
            .unwrap_or_default(),
        // `$context.authorizer.<key>` (a Lambda authorizer's context) or
        // `$context.authorizer.claims.<name>` (a JWT's claims): a path into the one kind.
        Reference::Authorizer(path) => {
            let inner = sources
                .authorizer
                .and_then(|a| a.as_object()?.values().next());
            json_text(inner, path)
        }
        Reference::ResponseBody(path) => json_text(sources.response_body, path),
        Reference::RequestBody(None) => String::from_utf8_lossy(sources.request_body).into_owned(),
        Reference::RequestBody(Some(path)) => json_text(sources.request_json, path),
        Reference::Context(name) => sources
            .context
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
    }
}

/// The text at `path` into `value`: a string as it is, other JSON as JSON, nothing (or
/// null) as empty. A path matching several nodes gives the first.
fn json_text(value: Option<&serde_json::Value>, path: &JsonPath) -> String {
    let found = value.and_then(|v| path.query(v).first());
    match found {
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_references_as_api_gateway_does() {
        let mut headers = HeaderMap::new();
        headers.append("x-a", HeaderValue::from_static("1"));
        headers.append("x-a", HeaderValue::from_static("2"));
        let variables = BTreeMap::from([("table".to_string(), "items".to_string())]);
        let params = [("id".to_string(), "7".to_string())];
        let context = [("stage", "prod".to_string())];
        let authorizer = serde_json::json!({"jwt": {"claims": {"sub": "ada", "n": 3}}});
        let body = serde_json::json!({
            "error": {"code": 7, "message": "gone"},
            "items": [{"id": "a", "n": 1}, {"id": "b", "n": 2}],
        });
        let mut response = HeaderMap::new();
        response.append("etag", HeaderValue::from_static("\"v1\""));
        let sources = Sources {
            headers: &headers,
            query: "q=x&q=y",
            path: "/items/7",
            path_parameters: &params,
            stage_variables: &variables,
            context: &context,
            response_headers: Some(&response),
            response_body: Some(&body),
            request_body: b"",
            request_json: None,
            authorizer: Some(&authorizer),
        };
        let rows = [
            ("$request.header.X-A", "1,2"),
            ("$request.querystring.q", "x,y"),
            ("$request.path", "/items/7"),
            ("$request.path.id", "7"),
            ("$stageVariables.table", "items"),
            ("$context.stage", "prod"),
            ("static", "static"),
            (
                "/v2/${request.path.id}/${stageVariables.table}",
                "/v2/7/items",
            ),
            ("$request.header.missing", ""),
            ("$response.header.ETag", "\"v1\""),
            ("$context.authorizer.claims.sub", "ada"),
            ("${context.authorizer.claims.n}", "3"),
            ("$context.authorizer.claims.missing", ""),
            ("$response.body.error.message", "gone"),
            ("E${response.body.error.code}", "E7"),
            ("$response.body.error", r#"{"code":7,"message":"gone"}"#),
            ("$response.body.items[1].id", "b"),
            ("$response.body.items[?@.id == 'b'].n", "2"),
            ("$response.body.items[9].id", ""),
        ];
        for (value, expected) in rows {
            let parsed = MappingValue::parse(value).unwrap();
            assert_eq!(evaluate(&parsed, &sources), expected, "{value}");
        }
        // A path that does not parse is refused at load, with what is wrong.
        assert!(MappingValue::parse("$response.body.items[").is_err());
    }
}
