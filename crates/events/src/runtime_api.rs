//! The Lambda Runtime API (2018-06-01): paths and header names, in one place.

/// The version prefix of every Runtime API path.
pub const PREFIX: &str = "/2018-06-01";

pub const NEXT: &str = "/2018-06-01/runtime/invocation/next";
pub const INIT_ERROR: &str = "/2018-06-01/runtime/init/error";
/// `/2018-06-01/runtime/invocation/{id}/response` and `/{id}/error` start with this.
pub const INVOCATION_PREFIX: &str = "/2018-06-01/runtime/invocation/";

pub const REQUEST_ID: &str = "lambda-runtime-aws-request-id";
pub const DEADLINE_MS: &str = "lambda-runtime-deadline-ms";
pub const INVOKED_FUNCTION_ARN: &str = "lambda-runtime-invoked-function-arn";
pub const TRACE_ID: &str = "lambda-runtime-trace-id";
pub const CLIENT_CONTEXT: &str = "lambda-runtime-client-context";
pub const COGNITO_IDENTITY: &str = "lambda-runtime-cognito-identity";
pub const TENANT_ID: &str = "lambda-runtime-aws-tenant-id";

pub const RESPONSE_MODE: &str = "lambda-runtime-function-response-mode";
pub const ERROR_TYPE: &str = "lambda-runtime-function-error-type";
pub const ERROR_BODY: &str = "lambda-runtime-function-error-body";

/// A call a runtime makes, parsed from its method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call<'a> {
    Next,
    Response(&'a str),
    Error(&'a str),
    InitError,
}

impl<'a> Call<'a> {
    /// Parses a Runtime API request line; `None` for anything the API does not serve.
    pub fn parse(method: &http::Method, path: &'a str) -> Option<Call<'a>> {
        match (method, path) {
            (&http::Method::GET, NEXT) => Some(Call::Next),
            (&http::Method::POST, INIT_ERROR) => Some(Call::InitError),
            (&http::Method::POST, _) => {
                let rest = path.strip_prefix(INVOCATION_PREFIX)?;
                let (id, action) = rest.split_once('/')?;
                match action {
                    "response" => Some(Call::Response(id)),
                    "error" => Some(Call::Error(id)),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// The JSON body of a Runtime API error answer: `{"errorMessage", "errorType"}`.
pub fn error_body(error_type: &str, message: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "errorMessage": message,
        "errorType": error_type,
    }))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    #[test]
    fn parses_every_runtime_call() {
        let rows: &[(Method, &str, Option<Call>)] = &[
            (Method::GET, NEXT, Some(Call::Next)),
            (Method::POST, INIT_ERROR, Some(Call::InitError)),
            (
                Method::POST,
                "/2018-06-01/runtime/invocation/abc/response",
                Some(Call::Response("abc")),
            ),
            (
                Method::POST,
                "/2018-06-01/runtime/invocation/abc/error",
                Some(Call::Error("abc")),
            ),
            (
                Method::POST,
                "/2018-06-01/runtime/invocation/abc/other",
                None,
            ),
            (
                Method::GET,
                "/2018-06-01/runtime/invocation/abc/response",
                None,
            ),
            (Method::POST, NEXT, None),
            (Method::GET, "/2020-01-01/extension/register", None),
        ];
        for (method, path, expected) in rows {
            assert_eq!(Call::parse(method, path), *expected, "{method} {path}");
        }
    }
}
