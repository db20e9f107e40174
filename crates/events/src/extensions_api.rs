//! The Lambda Extensions API (2020-01-01), served on the Runtime API's listener: paths,
//! header names, the register answer and the events `next` returns.

use serde_json::{Value, json};

pub const REGISTER: &str = "/2020-01-01/extension/register";
pub const NEXT: &str = "/2020-01-01/extension/event/next";
pub const INIT_ERROR: &str = "/2020-01-01/extension/init/error";
pub const EXIT_ERROR: &str = "/2020-01-01/extension/exit/error";

/// The extension's name, on register: the full file name of an external extension.
pub const NAME: &str = "lambda-extension-name";
/// The id register hands out, sent with every later call and on every answer.
pub const IDENTIFIER: &str = "lambda-extension-identifier";
/// The error type of an init or exit error.
pub const ERROR_TYPE: &str = "lambda-extension-function-error-type";

/// The most extensions a function may register, as Lambda limits them.
pub const MAX_EXTENSIONS: usize = 10;

/// A call an extension makes, parsed from its method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Register,
    Next,
    InitError,
    ExitError,
}

impl Call {
    /// Parses an Extensions API request line; `None` for anything else.
    pub fn parse(method: &http::Method, path: &str) -> Option<Call> {
        match (method, path) {
            (&http::Method::POST, REGISTER) => Some(Call::Register),
            (&http::Method::GET, NEXT) => Some(Call::Next),
            (&http::Method::POST, INIT_ERROR) => Some(Call::InitError),
            (&http::Method::POST, EXIT_ERROR) => Some(Call::ExitError),
            _ => None,
        }
    }
}

/// The lifecycle events an extension registered for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Events {
    pub invoke: bool,
    pub shutdown: bool,
}

/// Reads a register body, `{"events": ["INVOKE", "SHUTDOWN"]}` (`events` may be left out,
/// and the body empty); `Err` says what is wrong.
pub fn registered_events(body: &[u8]) -> Result<Events, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Events::default());
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let mut events = Events::default();
    match value.get("events") {
        None | Some(Value::Null) => {}
        Some(Value::Array(names)) => {
            for name in names {
                match name.as_str() {
                    Some("INVOKE") => events.invoke = true,
                    Some("SHUTDOWN") => events.shutdown = true,
                    _ => return Err(format!("{name} is not an event: use INVOKE or SHUTDOWN")),
                }
            }
        }
        Some(_) => return Err("`events` is not a list".into()),
    }
    Ok(events)
}

/// The register answer's body.
pub fn registered(function_name: &str, version: &str, handler: &str) -> Vec<u8> {
    json!({
        "functionName": function_name,
        "functionVersion": version,
        "handler": handler,
    })
    .to_string()
    .into_bytes()
}

/// The `INVOKE` event an extension registered for it gets when an invocation starts.
pub fn invoke_event(
    request_id: &str,
    deadline_ms: u64,
    invoked_function_arn: &str,
    trace_id: &str,
) -> Vec<u8> {
    json!({
        "eventType": "INVOKE",
        "deadlineMs": deadline_ms,
        "requestId": request_id,
        "invokedFunctionArn": invoked_function_arn,
        "tracing": {"type": "X-Amzn-Trace-Id", "value": trace_id},
    })
    .to_string()
    .into_bytes()
}

/// Why an instance shuts down, as `SHUTDOWN` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownReason {
    /// Reaped after being idle, or Portico stopping.
    Spindown,
    /// An invocation (or init) ran out of time.
    Timeout,
    /// The runtime or an extension failed (a crash, out of memory).
    Failure,
}

impl ShutdownReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ShutdownReason::Spindown => "spindown",
            ShutdownReason::Timeout => "timeout",
            ShutdownReason::Failure => "failure",
        }
    }
}

/// The `SHUTDOWN` event: the extensions' last, with the time they have left.
pub fn shutdown_event(reason: ShutdownReason, deadline_ms: u64) -> Vec<u8> {
    json!({
        "eventType": "SHUTDOWN",
        "shutdownReason": reason.as_str(),
        "deadlineMs": deadline_ms,
    })
    .to_string()
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    #[test]
    fn parses_every_extension_call() {
        assert_eq!(Call::parse(&Method::POST, REGISTER), Some(Call::Register));
        assert_eq!(Call::parse(&Method::GET, NEXT), Some(Call::Next));
        assert_eq!(
            Call::parse(&Method::POST, INIT_ERROR),
            Some(Call::InitError)
        );
        assert_eq!(
            Call::parse(&Method::POST, EXIT_ERROR),
            Some(Call::ExitError)
        );
        assert_eq!(Call::parse(&Method::GET, REGISTER), None);
        assert_eq!(Call::parse(&Method::POST, NEXT), None);
        assert_eq!(
            Call::parse(&Method::GET, "/2018-06-01/runtime/invocation/next"),
            None
        );
    }

    #[test]
    fn reads_what_an_extension_registers_for() {
        let both = Events {
            invoke: true,
            shutdown: true,
        };
        assert_eq!(
            registered_events(br#"{"events": ["INVOKE", "SHUTDOWN"]}"#),
            Ok(both)
        );
        assert_eq!(
            registered_events(br#"{ "events": [] }"#),
            Ok(Events::default())
        );
        assert_eq!(registered_events(b""), Ok(Events::default()));
        assert_eq!(registered_events(b"{}"), Ok(Events::default()));
        assert!(registered_events(br#"{"events": ["LOGS"]}"#).is_err());
        assert!(registered_events(br#"{"events": "INVOKE"}"#).is_err());
        assert!(registered_events(b"nope").is_err());
    }

    #[test]
    fn events_read_as_the_documentation_shows_them() {
        let invoke: Value = serde_json::from_slice(&invoke_event(
            "3da1f2dc-3222-475e-9205-e2e6c6318895",
            676051,
            "arn:aws:lambda:us-east-1:123456789012:function:ExtensionTest",
            "Root=1-5f35ae12-0c0fec141ab77a00bc047aa2;Parent=2be948a625588e32;Sampled=1",
        ))
        .unwrap();
        assert_eq!(
            invoke,
            json!({
                "eventType": "INVOKE",
                "deadlineMs": 676051,
                "requestId": "3da1f2dc-3222-475e-9205-e2e6c6318895",
                "invokedFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:ExtensionTest",
                "tracing": {
                    "type": "X-Amzn-Trace-Id",
                    "value": "Root=1-5f35ae12-0c0fec141ab77a00bc047aa2;Parent=2be948a625588e32;Sampled=1"
                }
            })
        );
        let shutdown: Value =
            serde_json::from_slice(&shutdown_event(ShutdownReason::Spindown, 42)).unwrap();
        assert_eq!(
            shutdown,
            json!({"eventType": "SHUTDOWN", "shutdownReason": "spindown", "deadlineMs": 42})
        );
        let registered: Value =
            serde_json::from_slice(&registered("hello", "$LATEST", "app.handler")).unwrap();
        assert_eq!(
            registered,
            json!({"functionName": "hello", "functionVersion": "$LATEST", "handler": "app.handler"})
        );
    }
}
