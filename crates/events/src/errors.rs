//! Error answers in AWS's shapes: the Lambda service's (Invoke API), a Function URL's,
//! and the error documents Lambda itself writes for timeouts, crashes and oversize results.

use std::time::Duration;

/// A rendered error: what a front door writes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    pub status: u16,
    /// The `x-amzn-ErrorType` header, when AWS sends one.
    pub error_type: Option<&'static str>,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// `Retry-After` seconds, for throttles.
    pub retry_after: Option<u32>,
}

/// An error of the Lambda service (rest-json protocol).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceError {
    /// No such function; carries the ARN as Lambda names it.
    ResourceNotFound { arn: String },
    /// The payload is not JSON.
    InvalidRequestContent(String),
    /// A bad header, qualifier or name.
    InvalidParameterValue(String),
    /// The payload is over the limit for the operation.
    RequestTooLarge {
        limit: usize,
        operation: &'static str,
    },
    /// Reserved concurrency is exhausted.
    TooManyRequests,
    /// The path names no operation Portico serves.
    UnknownOperation { method: String, path: String },
    /// Portico itself failed.
    Service(String),
}

impl ServiceError {
    pub fn response(&self) -> ErrorResponse {
        let (status, error_type, kind, message) = match self {
            ServiceError::ResourceNotFound { arn } => (
                404,
                "ResourceNotFoundException",
                "User",
                format!("Function not found: {arn}"),
            ),
            ServiceError::InvalidRequestContent(detail) => (
                400,
                "InvalidRequestContentException",
                "User",
                format!(
                    "Could not parse request body into json: Could not parse payload into json: {detail}"
                ),
            ),
            ServiceError::InvalidParameterValue(message) => (
                400,
                "InvalidParameterValueException",
                "User",
                message.clone(),
            ),
            ServiceError::RequestTooLarge { limit, operation } => (
                413,
                "RequestTooLargeException",
                "User",
                format!("Request must be smaller than {limit} bytes for the {operation} operation"),
            ),
            ServiceError::TooManyRequests => {
                return ErrorResponse {
                    status: 429,
                    error_type: Some("TooManyRequestsException"),
                    content_type: "application/json",
                    body: json(&serde_json::json!({
                        "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
                        "Type": "User",
                        "message": "Rate Exceeded.",
                    })),
                    retry_after: Some(1),
                };
            }
            ServiceError::UnknownOperation { method, path } => (
                404,
                "UnknownOperationException",
                "User",
                format!("No Lambda operation is served at {method} {path}"),
            ),
            ServiceError::Service(message) => (500, "ServiceException", "Service", message.clone()),
        };
        ErrorResponse {
            status,
            error_type: Some(error_type),
            content_type: "application/json",
            body: json(&serde_json::json!({"Type": kind, "message": message})),
            retry_after: None,
        }
    }
}

/// An error a Function URL answers with instead of the function's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// The function failed, timed out, crashed or answered with something that is not a response.
    FunctionFailed,
    /// The request is over the payload limit.
    RequestTooLarge { limit: usize },
    /// Reserved concurrency is exhausted.
    Throttled,
    /// No function has a URL at this address.
    NoSuchUrl { function: String },
}

impl UrlError {
    pub fn response(&self) -> ErrorResponse {
        match self {
            UrlError::FunctionFailed => ErrorResponse {
                status: 502,
                error_type: None,
                content_type: "text/plain; charset=utf-8",
                body: b"Internal Server Error".to_vec(),
                retry_after: None,
            },
            UrlError::RequestTooLarge { limit } => ErrorResponse {
                status: 413,
                error_type: Some("RequestTooLargeException"),
                content_type: "application/json",
                body: json(&serde_json::json!({
                    "Message": format!("Request must be smaller than {limit} bytes for the InvokeFunction operation"),
                })),
                retry_after: None,
            },
            UrlError::Throttled => ErrorResponse {
                status: 429,
                error_type: Some("TooManyRequestsException"),
                content_type: "application/json",
                body: json(&serde_json::json!({"Message": "Rate Exceeded."})),
                retry_after: Some(1),
            },
            UrlError::NoSuchUrl { function } => ErrorResponse {
                status: 403,
                error_type: Some("AccessDeniedException"),
                content_type: "application/json",
                body: json(&serde_json::json!({
                    "Message": format!("Forbidden. No function named `{function}` has a Function URL here; add `url:` to it in the config."),
                })),
                retry_after: None,
            },
        }
    }
}

/// An error an HTTP API answers with, in API Gateway's shape: `{"message": ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiError {
    /// No route (or stage) matches.
    NotFound,
    /// The request lacks the identity its authorizer needs.
    Unauthorized,
    /// The authorizer denied the request.
    Forbidden,
    /// The request is over the payload limit.
    RequestTooLarge,
    /// The route's or stage's throttle refused the request.
    TooManyRequests,
    /// The function failed or answered with something that is not a response.
    IntegrationFailed,
    /// The function timed out or could not be run (throttled, shutting down).
    ServiceUnavailable,
}

impl ApiError {
    pub fn response(&self) -> ErrorResponse {
        let (status, message) = match self {
            ApiError::NotFound => (404, "Not Found"),
            ApiError::Unauthorized => (401, "Unauthorized"),
            ApiError::Forbidden => (403, "Forbidden"),
            ApiError::RequestTooLarge => (413, "Request Entity Too Large"),
            ApiError::TooManyRequests => (429, "Too Many Requests"),
            ApiError::IntegrationFailed => (500, "Internal Server Error"),
            ApiError::ServiceUnavailable => (503, "Service Unavailable"),
        };
        ErrorResponse {
            status,
            error_type: None,
            content_type: "application/json",
            body: json(&serde_json::json!({ "message": message })),
            retry_after: None,
        }
    }
}

fn json(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// The error documents Lambda writes itself (what the caller sees with `X-Amz-Function-Error`).
pub mod platform {
    use super::*;

    /// `Sandbox.Timedout`: the function ran past its timeout.
    pub fn timed_out(request_id: &str, timeout: Duration) -> Vec<u8> {
        json(&serde_json::json!({
            "errorType": "Sandbox.Timedout",
            "errorMessage": format!(
                "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                timeout.as_secs_f64()
            ),
        }))
    }

    /// `Runtime.ExitError`: the runtime process ended during the invocation or init.
    /// `status` reads like Go's `exit status 3` or `signal: killed`.
    pub fn exited(request_id: &str, status: Option<&str>) -> Vec<u8> {
        let reason = match status {
            Some(s) => format!("Runtime exited with error: {s}"),
            None => "Runtime exited without providing a reason".to_string(),
        };
        json(&serde_json::json!({
            "errorType": "Runtime.ExitError",
            "errorMessage": format!("RequestId: {request_id} Error: {reason}"),
        }))
    }

    /// The runtime asked for the next invocation without answering the current one.
    pub fn invalid_state_transition(request_id: &str) -> Vec<u8> {
        json(&serde_json::json!({
            "errorType": "Runtime.InvalidStateTransition",
            "errorMessage": format!("RequestId: {request_id} Error: the runtime asked for the next invocation without answering this one"),
        }))
    }

    /// The function's process could not be started.
    pub fn could_not_start(request_id: &str, why: &str) -> Vec<u8> {
        json(&serde_json::json!({
            "errorType": "Runtime.InvalidEntrypoint",
            "errorMessage": format!("RequestId: {request_id} Error: could not start the runtime: {why}"),
        }))
    }

    /// `Runtime.InvalidResponseModeHeader`: the runtime posted an unknown response mode.
    pub fn invalid_response_mode(request_id: &str) -> Vec<u8> {
        json(&serde_json::json!({
            "errorType": "Runtime.InvalidResponseModeHeader",
            "errorMessage": format!("RequestId: {request_id} Error: invalid Lambda-Runtime-Function-Response-Mode"),
        }))
    }

    /// `Runtime.OutOfMemory`: the function went over its memory and was stopped.
    pub fn out_of_memory(request_id: &str) -> Vec<u8> {
        json(&serde_json::json!({
            "errorType": "Runtime.OutOfMemory",
            "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: signal: killed"),
        }))
    }

    /// `Function.ResponseSizeTooLarge`: a buffered result over the limit.
    pub fn response_too_large(limit: usize) -> Vec<u8> {
        json(&serde_json::json!({
            "errorType": "Function.ResponseSizeTooLarge",
            "errorMessage": format!("Response payload size exceeded maximum allowed payload size ({limit} bytes)."),
        }))
    }

    /// `Runtime.TruncatedResponse`: a streamed response that broke off.
    pub fn truncated(request_id: &str) -> Vec<u8> {
        json(&serde_json::json!({
            "errorType": "Runtime.TruncatedResponse",
            "errorMessage": format!("RequestId: {request_id} Error: the response stream was cut off"),
        }))
    }

    /// An error the runtime reported with only a type (no body).
    pub fn from_type(error_type: &str) -> Vec<u8> {
        json(&serde_json::json!({"errorType": error_type, "errorMessage": error_type}))
    }
}
