//! WebSocket APIs: their routes and the route selection expression that picks one for each
//! message, parsed at load.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{FunctionRef, Limits, Stage};

/// A WebSocket API (`protocol: websocket`).
#[derive(Debug, Clone)]
pub struct WebSocketApi {
    pub name: String,
    pub stages: BTreeMap<String, Stage>,
    /// How a message picks its route.
    pub route_selection: Selection,
    /// Routes by key: `$connect`, `$disconnect`, `$default` and custom keys.
    pub routes: BTreeMap<String, WebSocketRoute>,
    /// Lambda REQUEST authorizers by name, for `$connect` to name.
    pub authorizers: BTreeMap<String, WebSocketAuthorizer>,
    /// The file's limits profile (message sizes, idle time, lifetime).
    pub limits: Limits,
}

/// What a route does with its event.
#[derive(Debug, Clone)]
pub struct WebSocketRoute {
    pub integration: WebSocketIntegration,
    /// The integration's answer goes back to the client (a route response).
    pub route_response: bool,
    /// On `$connect`: the authorizer that decides whether the connection is made.
    pub authorizer: Option<String>,
    /// On `$connect` (`auth: aws_iam`): the handshake must be SigV4-signed (service
    /// `execute-api`) by a key of the config's `credentials:`.
    pub iam: bool,
}

/// How a route is integrated, as WebSocket APIs allow.
#[derive(Debug, Clone)]
pub enum WebSocketIntegration {
    /// A Lambda proxy integration (`AWS_PROXY`): the function gets the event; its `body`
    /// (or whole answer) is the route response.
    Lambda(FunctionRef),
    /// An HTTP proxy integration (`HTTP_PROXY`): the message is sent as the body of a
    /// `POST` to `url` (an empty one on `$connect` and `$disconnect`, with the handshake's
    /// `Sec-WebSocket-*` headers on `$connect`); the answer's body is the route response,
    /// its status decides `$connect`.
    Http {
        /// `${stageVariables.<name>}` in it takes the stage's value.
        url: String,
        /// `integration.request.header.<name>` / `.querystring.<name>` ← a source.
        parameters: Vec<(Parameter, ParameterSource)>,
    },
    /// A `MOCK` integration: no backend; the request template's `statusCode` picks the
    /// integration response, whose template is the route response.
    Mock(Mock),
}

impl WebSocketIntegration {
    /// The function a Lambda integration invokes.
    pub fn function(&self) -> Option<&FunctionRef> {
        match self {
            WebSocketIntegration::Lambda(function) => Some(function),
            _ => None,
        }
    }
}

/// A MOCK integration's templates (VTL, kept as text: the gateway parses them at start).
#[derive(Debug, Clone)]
pub struct Mock {
    /// Renders `{"statusCode": <n>}`.
    pub request_template: String,
    /// Tried in order: the first whose pattern matches the status (a `$default` one when
    /// none does).
    pub responses: Vec<MockResponse>,
    /// Where `mock:` is written (line, column), for what is found wrong in it later.
    pub at: (u32, u32),
}

/// One integration response of a MOCK integration.
#[derive(Debug, Clone)]
pub struct MockResponse {
    /// The status codes it is for, a regular expression over the whole code (`2\d\d`, from
    /// the key `/2\d\d/`); `None` for `$default`.
    pub pattern: Option<String>,
    /// What is sent back (with a route response); `None`: nothing.
    pub template: Option<String>,
}

/// Where an HTTP integration's mapped parameter goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parameter {
    Header(String),
    Querystring(String),
}

/// Where a mapped parameter's value comes from (`request_parameters`, as WebSocket APIs
/// write them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParameterSource {
    /// `context.<name>` (`connectionId`, `routeKey`, `identity.sourceIp`, ...).
    Context(String),
    /// `route.request.header.<name>`: on `$connect` only, as on AWS.
    Header(String),
    /// `route.request.querystring.<name>`: on `$connect` only.
    Querystring(String),
    /// `route.request.body.<path>`: a field of the message's JSON.
    Body(Vec<String>),
    /// `stageVariables.<name>`.
    StageVariable(String),
    /// `'text'`.
    Static(String),
}

impl Parameter {
    /// Reads `integration.request.header.<name>` or `integration.request.querystring.<name>`.
    pub fn parse(text: &str) -> Option<Parameter> {
        let rest = text.strip_prefix("integration.request.")?;
        if let Some(name) = rest.strip_prefix("header.").filter(|n| !n.is_empty()) {
            return Some(Parameter::Header(name.to_string()));
        }
        let name = rest
            .strip_prefix("querystring.")
            .filter(|n| !n.is_empty())?;
        Some(Parameter::Querystring(name.to_string()))
    }
}

impl ParameterSource {
    /// Reads a mapping expression of WebSocket APIs.
    pub fn parse(text: &str) -> Option<ParameterSource> {
        let named = |prefix: &str| {
            text.strip_prefix(prefix)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
        };
        if let Some(quoted) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
            return Some(ParameterSource::Static(quoted.to_string()));
        }
        if let Some(name) = named("context.") {
            return Some(ParameterSource::Context(name));
        }
        if let Some(name) = named("route.request.header.") {
            return Some(ParameterSource::Header(name));
        }
        if let Some(name) = named("route.request.querystring.") {
            return Some(ParameterSource::Querystring(name));
        }
        if let Some(path) = named("route.request.body.") {
            let path: Vec<String> = path.split('.').map(str::to_string).collect();
            return (!path.iter().any(String::is_empty)).then_some(ParameterSource::Body(path));
        }
        named("stageVariables.").map(ParameterSource::StageVariable)
    }
}

/// A Lambda REQUEST authorizer of `$connect`: its answer (an IAM policy) allows the
/// connection, and its principal and context reach every later event of it.
#[derive(Debug, Clone)]
pub struct WebSocketAuthorizer {
    pub function: String,
    /// Every one must be present, or the handshake is refused with 401 unasked.
    pub identity_sources: Vec<crate::IdentitySource>,
}

/// The route keys API Gateway gives a meaning of its own.
pub const CONNECT: &str = "$connect";
pub const DISCONNECT: &str = "$disconnect";
pub const DEFAULT: &str = "$default";

/// A route selection expression (`$request.body.action`, `${request.body.service}/${request.body.action}`),
/// as API Gateway evaluates it against a message's JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// As written.
    pub text: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// A path into the body (`action`, `a.b`); empty for the whole body.
    Body(Vec<String>),
}

impl Default for Selection {
    fn default() -> Selection {
        Selection::parse("$request.body.action").expect("the default expression parses")
    }
}

impl Selection {
    /// Reads an expression: text, `$request.body.<path>` and `${request.body.<path>}`
    /// variables, `\$` for a literal `$`. `Err` says what is wrong.
    pub fn parse(text: &str) -> Result<Selection, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("\\$") {
                literal.push('$');
                rest = after;
                continue;
            }
            if c != '$' {
                literal.push(c);
                rest = &rest[c.len_utf8()..];
                continue;
            }
            let (variable, after) = if let Some(braced) = rest.strip_prefix("${") {
                let end = braced
                    .find('}')
                    .ok_or_else(|| format!("`{rest}` opens `${{` without a closing `}}`"))?;
                (&braced[..end], &braced[end + 1..])
            } else {
                let body = &rest[1..];
                let end = body
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                    .unwrap_or(body.len());
                (&body[..end], &body[end..])
            };
            let path = match variable.strip_prefix("request.body") {
                Some("") => Vec::new(),
                Some(path) if path.starts_with('.') && path.len() > 1 => {
                    path[1..].split('.').map(str::to_string).collect()
                }
                _ => {
                    return Err(format!(
                        "`${variable}` is not a variable a route selection expression may use"
                    ));
                }
            };
            if path.iter().any(String::is_empty) {
                return Err(format!("`${variable}` has an empty part"));
            }
            if !literal.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut literal)));
            }
            parts.push(Part::Body(path));
            rest = after;
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Selection {
            text: text.to_string(),
            parts,
        })
    }

    /// The route key a message with this JSON `body` selects: each variable's value as text
    /// (a missing one empty, an object or array as its JSON).
    pub fn select(&self, body: &Value) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Body(path) => {
                    let found = path.iter().try_fold(body, |value, key| value.get(key));
                    match found {
                        None | Some(Value::Null) => {}
                        Some(Value::String(s)) => out.push_str(s),
                        Some(other) => out.push_str(&other.to_string()),
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expressions_select_as_api_gateway_does() {
        let body = json!({"action": "send", "service": "chat", "n": 3, "deep": {"k": "v"}});
        let rows = [
            ("$request.body.action", "send"),
            (
                "${request.body.service}/${request.body.action}",
                "chat/send",
            ),
            ("$request.body.deep.k", "v"),
            ("$request.body.n", "3"),
            ("$request.body.missing", ""),
            ("\\$default", "$default"),
            ("constant", "constant"),
            ("$request.body.action-x", "send-x"),
        ];
        for (text, selected) in rows {
            let selection = Selection::parse(text).unwrap();
            assert_eq!(selection.select(&body), selected, "{text}");
        }
        assert_eq!(Selection::default().select(&body), "send");
    }

    #[test]
    fn broken_expressions_say_why() {
        for bad in [
            "$request.header.x",
            "${request.body.a",
            "$request.body..a",
            "$context.x",
        ] {
            assert!(Selection::parse(bad).is_err(), "{bad}");
        }
    }
}
