//! WebSocket APIs: the events a connection's routes get (`CONNECT`, `MESSAGE`, `DISCONNECT`),
//! the error frames API Gateway sends a client, and the `@connections` management API's
//! paths and answers.

use std::time::SystemTime;

use serde_json::{Map, Value, json};

/// What every event of a connection says about it and about this event.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// `$connect`, `$disconnect`, `$default` or a custom route key.
    pub route_key: &'a str,
    pub event_type: EventType,
    pub connection_id: &'a str,
    pub connected_at: SystemTime,
    /// When this event's request (the upgrade, the message, the close) arrived.
    pub request_time: SystemTime,
    pub request_id: &'a str,
    /// The host the client connected to, as it sent it.
    pub domain_name: &'a str,
    pub stage: &'a str,
    pub api_id: &'a str,
    pub source_ip: &'a str,
    pub user_agent: Option<&'a str>,
    /// A `$connect` authorizer's principal and context, on every event of the connection.
    pub authorizer: Option<&'a Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Connect,
    /// A message, with its id.
    Message,
    /// The connection closed, with the close frame's status code and reason.
    Disconnect,
}

impl EventType {
    /// As events and access logs name it.
    pub fn name(self) -> &'static str {
        match self {
            EventType::Connect => "CONNECT",
            EventType::Message => "MESSAGE",
            EventType::Disconnect => "DISCONNECT",
        }
    }
}

/// The handshake's headers (named as the client spelt them) and query string, which
/// `$connect` (and `$disconnect`) events carry.
#[derive(Debug, Clone, Copy)]
pub struct Upgrade<'a> {
    pub headers: &'a [(String, String)],
    pub query: &'a str,
}

/// A message as it arrived: text, or a binary frame (base64 in the event).
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    Text(&'a str),
    Binary(&'a [u8]),
}

/// The `$connect` event: the upgrade request's headers and query string, no body.
pub fn connect_event(context: &Context<'_>, upgrade: Upgrade<'_>) -> Vec<u8> {
    let mut event = request_parts(upgrade);
    event.insert(
        "requestContext".into(),
        request_context(context, None, None),
    );
    event.insert("isBase64Encoded".into(), json!(false));
    to_bytes(event)
}

/// A `$connect` authorizer's `REQUEST` event: the handshake's headers and query string,
/// the stage's variables, the connect context and the `methodArn` asked about.
pub fn authorizer_event(
    context: &Context<'_>,
    upgrade: Upgrade<'_>,
    method_arn: &str,
    stage_variables: &std::collections::BTreeMap<String, String>,
) -> Vec<u8> {
    let mut event = request_parts(upgrade);
    event.insert("type".into(), json!("REQUEST"));
    event.insert("methodArn".into(), json!(method_arn));
    event.insert("stageVariables".into(), json!(stage_variables));
    event.insert(
        "requestContext".into(),
        request_context(context, None, None),
    );
    to_bytes(event)
}

/// A `MESSAGE` event (a custom route's or `$default`'s), with the message's id.
pub fn message_event(context: &Context<'_>, message_id: &str, body: Body<'_>) -> Vec<u8> {
    use base64::Engine;
    let (body, binary) = match body {
        Body::Text(text) => (text.to_string(), false),
        Body::Binary(bytes) => (
            base64::engine::general_purpose::STANDARD.encode(bytes),
            true,
        ),
    };
    let mut event = Map::new();
    event.insert(
        "requestContext".into(),
        request_context(context, Some(message_id), None),
    );
    event.insert("body".into(), json!(body));
    event.insert("isBase64Encoded".into(), json!(binary));
    to_bytes(event)
}

/// The `$disconnect` event: the connection's handshake headers, and why it closed.
pub fn disconnect_event(
    context: &Context<'_>,
    upgrade: Upgrade<'_>,
    status: u16,
    reason: &str,
) -> Vec<u8> {
    let mut event = request_parts(upgrade);
    event.remove("queryStringParameters");
    event.remove("multiValueQueryStringParameters");
    event.insert(
        "requestContext".into(),
        request_context(context, None, Some((status, reason))),
    );
    event.insert("isBase64Encoded".into(), json!(false));
    to_bytes(event)
}

/// What a client is sent when its message could not be served: `message` is API Gateway's
/// (`Internal server error`, `Endpoint request timed out`, `Forbidden`).
pub fn error_frame(message: &str, connection_id: &str, request_id: &str) -> String {
    json!({"message": message, "connectionId": connection_id, "requestId": request_id}).to_string()
}

/// The close codes Portico sends, as API Gateway does.
pub mod close {
    /// The server goes away (idle too long, past the connection's lifetime, shutting down).
    pub const GOING_AWAY: u16 = 1001;
    /// A message over the size limit.
    pub const TOO_BIG: u16 = 1009;
    /// `DELETE @connections/<id>`, or a route that closed it.
    pub const NORMAL: u16 = 1000;
    /// What `$disconnect` says when the client's close frame had no status.
    pub const NO_STATUS: u16 = 1005;
    /// What `$disconnect` says when the connection broke without a close frame.
    pub const ABNORMAL: u16 = 1006;
    /// A text frame that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
}

/// The `@connections/<id>` part of a management API path (`@` may come percent-encoded),
/// with the connection id decoded.
pub fn connection_path(path: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    let (_, id) = decoded.split_once("@connections/")?;
    (!id.is_empty()).then(|| id.to_string())
}

/// A new connection id, shaped as API Gateway's (`L0SM9cOFvHcCIhw=`): 16 characters of
/// letters and digits ending in `=`, so that it is safe in a path, a file name or a key.
pub fn connection_id() -> String {
    crate::time::apigw_request_id()
        .chars()
        .map(|c| match c {
            '+' => 'P',
            '/' => 'S',
            c => c,
        })
        .collect()
}

/// Whether `id` has the shape of a connection id (base64 of API Gateway's form), so that a
/// malformed one is a bad request rather than a gone connection.
pub fn is_connection_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=-_".contains(&b))
}

/// `GetConnection`'s answer.
pub fn connection_info(
    connected_at: SystemTime,
    last_active_at: SystemTime,
    source_ip: &str,
    user_agent: Option<&str>,
) -> Vec<u8> {
    let mut identity = json!({"sourceIp": source_ip});
    if let Some(agent) = user_agent {
        identity["userAgent"] = json!(agent);
    }
    json!({
        "connectedAt": crate::time::iso8601_ms(connected_at),
        "identity": identity,
        "lastActiveAt": crate::time::iso8601_ms(last_active_at),
    })
    .to_string()
    .into_bytes()
}

fn request_parts(upgrade: Upgrade<'_>) -> Map<String, Value> {
    let mut headers = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (name, value) in upgrade.headers {
        headers.insert(name.clone(), json!(value));
        match multi.get_mut(name) {
            Some(Value::Array(values)) => values.push(json!(value)),
            _ => {
                multi.insert(name.clone(), json!([value]));
            }
        }
    }
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for (k, v) in form_urlencoded::parse(upgrade.query.as_bytes()) {
        query.insert(k.to_string(), json!(v));
        match multi_query.get_mut(k.as_ref()) {
            Some(Value::Array(values)) => values.push(json!(v)),
            _ => {
                multi_query.insert(k.into_owned(), json!([v]));
            }
        }
    }
    let mut event = Map::new();
    event.insert("headers".into(), Value::Object(headers));
    event.insert("multiValueHeaders".into(), Value::Object(multi));
    if !query.is_empty() {
        event.insert("queryStringParameters".into(), Value::Object(query));
        event.insert(
            "multiValueQueryStringParameters".into(),
            Value::Object(multi_query),
        );
    }
    event
}

/// An event's `requestContext` (what mapping templates see as `$context`): with the
/// message's id on a message, the close's status and reason on `$disconnect`.
pub fn request_context(
    context: &Context<'_>,
    message_id: Option<&str>,
    disconnect: Option<(u16, &str)>,
) -> Value {
    let mut out = json!({
        "routeKey": context.route_key,
        "eventType": context.event_type.name(),
        "extendedRequestId": context.request_id,
        "requestTime": crate::time::clf(context.request_time),
        "messageDirection": "IN",
        "stage": context.stage,
        "connectedAt": crate::time::epoch_ms(context.connected_at),
        "requestTimeEpoch": crate::time::epoch_ms(context.request_time),
        "identity": {"sourceIp": context.source_ip, "userAgent": context.user_agent},
        "requestId": context.request_id,
        "domainName": context.domain_name,
        "connectionId": context.connection_id,
        "apiId": context.api_id,
    });
    if let Some(id) = message_id {
        out["messageId"] = json!(id);
    }
    if let Some(authorizer) = context.authorizer {
        out["authorizer"] = authorizer.clone();
    }
    if let Some((status, reason)) = disconnect {
        out["disconnectStatusCode"] = json!(status);
        out["disconnectReason"] = json!(reason);
    }
    out
}

fn to_bytes(event: Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(&Value::Object(event)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::apigw::ApiGatewayWebsocketProxyRequest;

    fn context(event_type: EventType, route_key: &'static str) -> Context<'static> {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_645_556_857_902);
        Context {
            route_key,
            event_type,
            connection_id: "L0SM9cOFvHcCIhw=",
            connected_at: at,
            request_time: at,
            request_id: "Kf2dGGnuywMFdFA=",
            domain_name: "chat.execute-api.localhost:3000",
            stage: "dev",
            api_id: "chat",
            source_ip: "127.0.0.1",
            user_agent: Some("Python/3.12 websockets/13.1"),
            authorizer: None,
        }
    }

    fn headers() -> Vec<(String, String)> {
        vec![
            ("Host".into(), "chat.execute-api.localhost:3000".into()),
            ("Sec-WebSocket-Version".into(), "13".into()),
        ]
    }

    #[test]
    fn a_connect_event_has_the_handshake_and_is_read_as_a_websocket_event() {
        let headers = headers();
        let upgrade = Upgrade {
            headers: &headers,
            query: "room=blue&room=green",
        };
        let event = connect_event(&context(EventType::Connect, "$connect"), upgrade);
        let value: Value = serde_json::from_slice(&event).unwrap();
        assert_eq!(value["headers"]["Sec-WebSocket-Version"], "13");
        assert_eq!(
            value["multiValueHeaders"]["Host"],
            json!(["chat.execute-api.localhost:3000"])
        );
        assert_eq!(value["queryStringParameters"], json!({"room": "green"}));
        assert_eq!(
            value["multiValueQueryStringParameters"],
            json!({"room": ["blue", "green"]})
        );
        let context = &value["requestContext"];
        assert_eq!(context["eventType"], "CONNECT");
        assert_eq!(context["connectedAt"], 1_645_556_857_902u64);
        assert!(context.get("messageId").is_none());
        assert!(value.get("body").is_none());
        let read: ApiGatewayWebsocketProxyRequest = serde_json::from_slice(&event).unwrap();
        assert_eq!(
            read.request_context.connection_id.as_deref(),
            Some("L0SM9cOFvHcCIhw=")
        );
        assert_eq!(read.request_context.route_key.as_deref(), Some("$connect"));
    }

    #[test]
    fn an_authorizer_event_names_the_connect_method() {
        let headers = headers();
        let upgrade = Upgrade {
            headers: &headers,
            query: "token=abc",
        };
        let arn = "arn:aws:execute-api:us-east-1:000000000000:chat/dev/$connect";
        let variables = [("v".to_string(), "1".to_string())].into();
        let event = authorizer_event(
            &context(EventType::Connect, "$connect"),
            upgrade,
            arn,
            &variables,
        );
        let value: Value = serde_json::from_slice(&event).unwrap();
        assert_eq!(value["type"], "REQUEST");
        assert_eq!(value["methodArn"], arn);
        assert_eq!(value["queryStringParameters"], json!({"token": "abc"}));
        assert_eq!(value["stageVariables"], json!({"v": "1"}));
        assert_eq!(value["requestContext"]["eventType"], "CONNECT");
        let read: aws_lambda_events::event::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest =
            serde_json::from_value(value).unwrap();
        assert_eq!(read.method_arn.as_deref(), Some(arn));
    }

    #[test]
    fn a_message_event_has_its_id_and_a_binary_frame_is_base64() {
        let context = context(EventType::Message, "sendmessage");
        let text = message_event(&context, "Kf2dGd9lywMCEng=", Body::Text("{\"a\":1}"));
        let read: ApiGatewayWebsocketProxyRequest = serde_json::from_slice(&text).unwrap();
        assert_eq!(read.body.as_deref(), Some("{\"a\":1}"));
        assert!(!read.is_base64_encoded);
        assert_eq!(
            read.request_context.message_id.as_deref(),
            Some("Kf2dGd9lywMCEng=")
        );
        let binary = message_event(&context, "x", Body::Binary(&[0, 255]));
        let value: Value = serde_json::from_slice(&binary).unwrap();
        assert_eq!(value["body"], "AP8=");
        assert_eq!(value["isBase64Encoded"], true);
    }

    #[test]
    fn a_disconnect_event_says_why() {
        let headers = headers();
        let upgrade = Upgrade {
            headers: &headers,
            query: "a=1",
        };
        let event = disconnect_event(
            &context(EventType::Disconnect, "$disconnect"),
            upgrade,
            close::NO_STATUS,
            "Client-side close frame status not set",
        );
        let value: Value = serde_json::from_slice(&event).unwrap();
        assert_eq!(value["requestContext"]["disconnectStatusCode"], 1005);
        assert!(value.get("queryStringParameters").is_none());
        assert_eq!(value["headers"]["Host"], "chat.execute-api.localhost:3000");
    }

    #[test]
    fn connection_paths_and_ids() {
        assert_eq!(
            connection_path("/dev/%40connections/L0SM9cOFvHcCIhw%3D").as_deref(),
            Some("L0SM9cOFvHcCIhw=")
        );
        assert_eq!(connection_path("/@connections/abc").as_deref(), Some("abc"));
        assert_eq!(connection_path("/dev/chat"), None);
        assert!(is_connection_id("L0SM9cOFvHcCIhw="));
        for _ in 0..100 {
            let id = connection_id();
            assert!(
                id.len() == 16 && id.ends_with('=') && is_connection_id(&id),
                "{id}"
            );
            assert!(!id.contains(['+', '/']), "{id}");
        }
        assert!(!is_connection_id("a b"));
        assert!(!is_connection_id(""));
    }
}
