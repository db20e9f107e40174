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
    /// No such function (or version); carries the ARN as Lambda names it.
    ResourceNotFound { arn: String },
    /// No such alias (`GetAlias`); carries the alias's ARN.
    AliasNotFound { arn: String },
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
            ServiceError::AliasNotFound { arn } => (
                404,
                "ResourceNotFoundException",
                "User",
                format!("Alias not found: {arn}"),
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
    /// The URL takes `AWS_IAM` auth and the request has no valid SigV4 signature (AWS's
    /// answer says no more; Portico's log says what is wrong).
    SignatureRequired,
    /// The client broke off the request.
    BadRequest,
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
            UrlError::SignatureRequired => ErrorResponse {
                status: 403,
                error_type: Some("AccessDeniedException"),
                content_type: "application/json",
                body: json(&serde_json::json!({"Message": "Forbidden"})),
                retry_after: None,
            },
            UrlError::BadRequest => ErrorResponse {
                status: 400,
                error_type: Some("InvalidRequestContentException"),
                content_type: "application/json",
                body: json(&serde_json::json!({"Message": "The request body broke off."})),
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
    /// The client broke off the request.
    BadRequest,
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
            ApiError::BadRequest => (400, "Bad Request"),
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

/// A REST API's own answers, by API Gateway's gateway response type: the default status,
/// `{"message": ...}` and `x-amzn-ErrorType` of each. (A REST API can customise them; the
/// gateway applies that on top.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayResponse {
    /// No resource or method matches (REST APIs answer 403, not 404).
    MissingAuthenticationToken,
    /// No stage of that name.
    ResourceNotFound,
    /// A SigV4 signature that does not match.
    InvalidSignature,
    /// An authorizer's policy does not allow the method: `explicit` when a `Deny` statement
    /// covers it, else no `Allow` does.
    AccessDenied { explicit: bool },
    /// An authorizer found no identity, or refused it.
    Unauthorized,
    /// A missing or unknown API key.
    InvalidApiKey,
    /// A throttle refused the request.
    Throttled,
    /// A usage plan's quota is used up.
    QuotaExceeded,
    /// The request body failed validation.
    BadRequestBody,
    /// Required parameters are missing: their names.
    BadRequestParameters(Vec<String>),
    /// The body is over the payload limit.
    RequestTooLarge,
    /// No request template matches and passthrough is not allowed.
    UnsupportedMediaType,
    /// The integration did not answer in time.
    IntegrationTimeout,
    /// The integration failed: a malformed Lambda proxy response, an unreachable backend.
    IntegrationFailure,
    /// The API's own configuration failed at run time (a template that cannot render, an
    /// HTTP backend that cannot be reached or whose URL a missing stage variable broke).
    ApiConfigurationError,
    /// The authorizer failed, timed out or answered something that is not a usable policy.
    AuthorizerConfigurationError,
}

impl GatewayResponse {
    /// API Gateway's name of the type, as gateway responses are customised by it.
    pub fn kind(&self) -> &'static str {
        match self {
            GatewayResponse::MissingAuthenticationToken => "MISSING_AUTHENTICATION_TOKEN",
            GatewayResponse::ResourceNotFound => "RESOURCE_NOT_FOUND",
            GatewayResponse::InvalidSignature => "INVALID_SIGNATURE",
            GatewayResponse::AccessDenied { .. } => "ACCESS_DENIED",
            GatewayResponse::Unauthorized => "UNAUTHORIZED",
            GatewayResponse::InvalidApiKey => "INVALID_API_KEY",
            GatewayResponse::Throttled => "THROTTLED",
            GatewayResponse::QuotaExceeded => "QUOTA_EXCEEDED",
            GatewayResponse::BadRequestBody => "BAD_REQUEST_BODY",
            GatewayResponse::BadRequestParameters(_) => "BAD_REQUEST_PARAMETERS",
            GatewayResponse::RequestTooLarge => "REQUEST_TOO_LARGE",
            GatewayResponse::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            GatewayResponse::IntegrationTimeout => "INTEGRATION_TIMEOUT",
            GatewayResponse::IntegrationFailure => "INTEGRATION_FAILURE",
            GatewayResponse::ApiConfigurationError => "API_CONFIGURATION_ERROR",
            GatewayResponse::AuthorizerConfigurationError => "AUTHORIZER_CONFIGURATION_ERROR",
        }
    }

    /// The default answer: status, `x-amzn-ErrorType` and `{"message": ...}` (an
    /// authorizer's deny writes `Message`, as API Gateway does).
    pub fn response(&self) -> ErrorResponse {
        let (status, error_type) = self.status_and_type();
        let key = match self {
            GatewayResponse::AccessDenied { .. } => "Message",
            _ => "message",
        };
        let mut body = serde_json::Map::new();
        body.insert(key.into(), self.message().into());
        ErrorResponse {
            status,
            error_type: Some(error_type),
            content_type: "application/json",
            body: json(&serde_json::Value::Object(body)),
            retry_after: None,
        }
    }

    fn status_and_type(&self) -> (u16, &'static str) {
        match self {
            GatewayResponse::MissingAuthenticationToken => {
                (403, "MissingAuthenticationTokenException")
            }
            GatewayResponse::ResourceNotFound => (404, "NotFoundException"),
            GatewayResponse::InvalidSignature => (403, "InvalidSignatureException"),
            GatewayResponse::AccessDenied { .. } => (403, "AccessDeniedException"),
            GatewayResponse::Unauthorized => (401, "UnauthorizedException"),
            GatewayResponse::InvalidApiKey => (403, "ForbiddenException"),
            GatewayResponse::Throttled => (429, "TooManyRequestsException"),
            GatewayResponse::QuotaExceeded => (429, "LimitExceededException"),
            GatewayResponse::BadRequestBody | GatewayResponse::BadRequestParameters(_) => {
                (400, "BadRequestException")
            }
            GatewayResponse::RequestTooLarge => (413, "RequestTooLongException"),
            GatewayResponse::UnsupportedMediaType => (415, "UnsupportedMediaTypeException"),
            GatewayResponse::IntegrationTimeout => (504, "InternalServerErrorException"),
            GatewayResponse::IntegrationFailure => (502, "InternalServerErrorException"),
            GatewayResponse::ApiConfigurationError => (500, "InternalServerErrorException"),
            GatewayResponse::AuthorizerConfigurationError => {
                (500, "AuthorizerConfigurationException")
            }
        }
    }

    /// `$context.error.message`: what the default answer says (`None` for a failed
    /// authorizer, whose answer is `{"message": null}`).
    pub fn message(&self) -> Option<String> {
        let message = match self {
            GatewayResponse::MissingAuthenticationToken => "Missing Authentication Token",
            GatewayResponse::ResourceNotFound => "Not Found",
            GatewayResponse::InvalidSignature => {
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
            }
            GatewayResponse::AccessDenied { explicit: true } => {
                "User is not authorized to access this resource with an explicit deny"
            }
            GatewayResponse::AccessDenied { explicit: false } => {
                "User is not authorized to access this resource"
            }
            GatewayResponse::Unauthorized => "Unauthorized",
            GatewayResponse::InvalidApiKey => "Forbidden",
            GatewayResponse::Throttled => "Too Many Requests",
            GatewayResponse::QuotaExceeded => "Limit Exceeded",
            GatewayResponse::BadRequestBody => "Invalid request body",
            GatewayResponse::BadRequestParameters(names) => {
                return Some(format!(
                    "Missing required request parameters: [{}]",
                    names.join(", ")
                ));
            }
            GatewayResponse::RequestTooLarge => "Request Too Long",
            GatewayResponse::UnsupportedMediaType => "Unsupported Media Type",
            GatewayResponse::IntegrationTimeout => "Endpoint request timed out",
            GatewayResponse::IntegrationFailure | GatewayResponse::ApiConfigurationError => {
                "Internal server error"
            }
            GatewayResponse::AuthorizerConfigurationError => return None,
        };
        Some(message.to_string())
    }
}

fn json(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// The error documents Lambda writes itself (what the caller sees with `X-Amz-Function-Error`).
pub mod platform {
    use super::*;

    /// The error type of a function that ran past its timeout, which API Gateway answers
    /// as a timeout rather than a failure.
    pub const TIMED_OUT: &str = "Sandbox.Timedout";

    /// `Sandbox.Timedout`: the function ran past its timeout.
    pub fn timed_out(request_id: &str, timeout: Duration) -> Vec<u8> {
        json(&serde_json::json!({
            "errorType": TIMED_OUT,
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

    /// `Runtime.WebAppError`: a `runtime: web` function's server did not answer the
    /// invocation's request (it closed the connection, or refused it).
    pub fn web_app_failed(request_id: &str, why: &str) -> Vec<u8> {
        json(&serde_json::json!({
            "errorType": "Runtime.WebAppError",
            "errorMessage": format!("RequestId: {request_id} Error: the web app gave no answer: {why}"),
        }))
    }

    /// `Runtime.WebAppNotReady`: a `runtime: web` function's server did not pass its
    /// readiness check (`check`, say `GET http://127.0.0.1:8080/`) within init's `limit`.
    pub fn web_app_not_ready(request_id: &str, check: &str, limit: Duration) -> Vec<u8> {
        json(&serde_json::json!({
            "errorType": "Runtime.WebAppNotReady",
            "errorMessage": format!(
                "RequestId: {request_id} Error: the web app did not pass its readiness check ({check}) within {:.2} seconds",
                limit.as_secs_f64()
            ),
        }))
    }

    /// `Extension.Crash`: an external extension's process ended; `status` reads like
    /// `exit status 1`.
    pub fn extension_crashed(request_id: &str, name: &str, status: &str) -> Vec<u8> {
        json(&serde_json::json!({
            "errorType": "Extension.Crash",
            "errorMessage": format!("RequestId: {request_id} Error: extension {name} exited: {status}"),
        }))
    }

    /// An error the runtime reported with only a type (no body).
    pub fn from_type(error_type: &str) -> Vec<u8> {
        json(&serde_json::json!({"errorType": error_type, "errorMessage": error_type}))
    }
}
