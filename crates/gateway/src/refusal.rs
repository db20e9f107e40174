//! The gateway's own answers. A phase that says no returns a [`Refusal`]: what kind of no,
//! and why (for the log). Each door renders it once, in its AWS shape, from the one table
//! below (`url_error`, `api_error`, `gateway_response`); a REST API's customisation of its
//! gateway responses is applied in that door's renderer.

use http::{HeaderValue, Response, StatusCode};
use portico_events::{ApiError, ErrorResponse, GatewayResponse, UrlError};
use portico_runtime::InvokeError;

use crate::body::Body;

/// Why the gateway answered instead of the integration.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub kind: Kind,
    /// Portico's reason, for the request's log line, spans and access log.
    pub why: String,
}

/// What went wrong, as the phases see it: the kinds shared phases give (every door answers
/// them in its own shape), and the door-specific answers of door-specific phases.
#[derive(Debug, Clone)]
pub enum Kind {
    /// The request body (or the event made of it) is over the payload limit.
    TooLarge {
        limit: Option<usize>,
    },
    /// The client broke off the request body.
    BrokenBody,
    /// The runtime did not take the invocation.
    NotInvoked(InvokeError),
    /// The function failed or answered with something that is not a response.
    FunctionFailed,
    /// The function ran past its own timeout (`Sandbox.Timedout`).
    FunctionTimedOut,
    /// The integration's timeout passed first (a function invoked runs on).
    IntegrationTimeout,
    /// The integration could not be used: a missing function, a response mapping that
    /// failed.
    IntegrationFailed,
    /// An HTTP integration's backend could not be reached, or its URL is not one (a stage
    /// variable it names is not set).
    Unreachable,
    Url(UrlError),
    Api(ApiError),
    Rest(GatewayResponse),
    /// A JWT refused, with the `www-authenticate` challenge API Gateway words.
    Bearer {
        error: ApiError,
        challenge: HeaderValue,
    },
}

impl Refusal {
    pub fn new(kind: Kind, why: impl Into<String>) -> Refusal {
        Refusal {
            kind,
            why: why.into(),
        }
    }

    pub fn api(error: ApiError, why: impl Into<String>) -> Refusal {
        Refusal::new(Kind::Api(error), why)
    }

    pub fn rest(response: GatewayResponse, why: impl Into<String>) -> Refusal {
        Refusal::new(Kind::Rest(response), why)
    }

    pub fn url(error: UrlError, why: impl Into<String>) -> Refusal {
        Refusal::new(Kind::Url(error), why)
    }
}

/// The runtime did not take an invocation.
impl From<InvokeError> for Refusal {
    fn from(e: InvokeError) -> Refusal {
        let why = e.to_string();
        Refusal::new(Kind::NotInvoked(e), why)
    }
}

impl Kind {
    /// A Function URL's answer.
    pub fn url_error(&self) -> UrlError {
        match self {
            Kind::TooLarge { limit } => UrlError::RequestTooLarge {
                limit: limit.unwrap_or_default(),
            },
            Kind::BrokenBody => UrlError::BadRequest,
            Kind::NotInvoked(InvokeError::Throttled) => UrlError::Throttled,
            Kind::Url(error) => error.clone(),
            _ => UrlError::FunctionFailed,
        }
    }

    /// An HTTP API's answer.
    pub fn api_error(&self) -> ApiError {
        match self {
            Kind::TooLarge { .. } => ApiError::RequestTooLarge,
            Kind::BrokenBody => ApiError::BadRequest,
            // A function past its own timeout is a function error, answered as any other.
            Kind::NotInvoked(_) | Kind::IntegrationTimeout => ApiError::ServiceUnavailable,
            Kind::Api(error) | Kind::Bearer { error, .. } => *error,
            _ => ApiError::IntegrationFailed,
        }
    }

    /// A REST API's gateway response.
    pub fn gateway_response(&self) -> GatewayResponse {
        match self {
            Kind::TooLarge { .. } => GatewayResponse::RequestTooLarge,
            Kind::BrokenBody => GatewayResponse::BadRequestBody,
            Kind::FunctionTimedOut | Kind::IntegrationTimeout => {
                GatewayResponse::IntegrationTimeout
            }
            Kind::Unreachable => GatewayResponse::ApiConfigurationError,
            Kind::Rest(response) => response.clone(),
            _ => GatewayResponse::IntegrationFailure,
        }
    }
}

/// The response for an AWS error shape, with Lambda's request id header when given (API
/// Gateway's doors add their own ids to every answer).
pub fn render(error: &ErrorResponse, request_id: Option<&str>) -> Response<Body> {
    let mut response = Response::new(Body::full(error.body.clone()));
    *response.status_mut() =
        StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(error.content_type),
    );
    if let Some(kind) = error.error_type {
        headers.insert(
            portico_events::invoke_api::ERROR_TYPE,
            HeaderValue::from_static(kind),
        );
    }
    if let Some(seconds) = error.retry_after {
        headers.insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if let Some(Ok(id)) = request_id.map(HeaderValue::from_str) {
        headers.insert(portico_events::invoke_api::REQUEST_ID, id);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_door_answers_a_shared_kind_in_its_own_shape() {
        let rows = [
            (
                Kind::TooLarge { limit: Some(10) },
                UrlError::RequestTooLarge { limit: 10 },
                ApiError::RequestTooLarge,
                GatewayResponse::RequestTooLarge,
            ),
            (
                Kind::BrokenBody,
                UrlError::BadRequest,
                ApiError::BadRequest,
                GatewayResponse::BadRequestBody,
            ),
            (
                Kind::NotInvoked(InvokeError::Throttled),
                UrlError::Throttled,
                ApiError::ServiceUnavailable,
                GatewayResponse::IntegrationFailure,
            ),
            (
                Kind::NotInvoked(InvokeError::ShuttingDown),
                UrlError::FunctionFailed,
                ApiError::ServiceUnavailable,
                GatewayResponse::IntegrationFailure,
            ),
            (
                Kind::FunctionFailed,
                UrlError::FunctionFailed,
                ApiError::IntegrationFailed,
                GatewayResponse::IntegrationFailure,
            ),
            (
                Kind::FunctionTimedOut,
                UrlError::FunctionFailed,
                ApiError::IntegrationFailed,
                GatewayResponse::IntegrationTimeout,
            ),
            (
                Kind::IntegrationTimeout,
                UrlError::FunctionFailed,
                ApiError::ServiceUnavailable,
                GatewayResponse::IntegrationTimeout,
            ),
            (
                Kind::IntegrationFailed,
                UrlError::FunctionFailed,
                ApiError::IntegrationFailed,
                GatewayResponse::IntegrationFailure,
            ),
            (
                Kind::Unreachable,
                UrlError::FunctionFailed,
                ApiError::IntegrationFailed,
                GatewayResponse::ApiConfigurationError,
            ),
        ];
        for (kind, url, api, rest) in rows {
            assert_eq!(kind.url_error(), url, "{kind:?}");
            assert_eq!(kind.api_error(), api, "{kind:?}");
            assert_eq!(kind.gateway_response(), rest, "{kind:?}");
        }
        // What each door answers for a failure of its integration, by status: a Function
        // URL's function, an HTTP API's (and its proxy's), a REST API's (and its proxy's).
        let statuses = [
            (Kind::FunctionFailed, [502, 500, 502]),
            (Kind::FunctionTimedOut, [502, 500, 504]),
            (Kind::IntegrationTimeout, [502, 503, 504]),
            (Kind::IntegrationFailed, [502, 500, 502]),
            (Kind::Unreachable, [502, 500, 500]),
            (Kind::NotInvoked(InvokeError::Throttled), [429, 503, 502]),
        ];
        for (kind, [url, api, rest]) in statuses {
            let got = [
                kind.url_error().response().status,
                kind.api_error().response().status,
                kind.gateway_response().response().status,
            ];
            assert_eq!(got, [url, api, rest], "{kind:?}");
        }
    }

    #[test]
    fn a_door_specific_kind_is_answered_as_it_is() {
        let denied = GatewayResponse::AccessDenied { explicit: true };
        assert_eq!(Kind::Rest(denied.clone()).gateway_response(), denied);
        assert_eq!(
            Kind::Api(ApiError::Forbidden).api_error(),
            ApiError::Forbidden
        );
    }

    #[test]
    fn rendered_errors_carry_their_type_retry_and_request_id() {
        let response = render(&UrlError::Throttled.response(), Some("req-1"));
        assert_eq!(response.status(), 429);
        let headers = response.headers();
        assert_eq!(headers["x-amzn-errortype"], "TooManyRequestsException");
        assert_eq!(headers["retry-after"], "1");
        assert_eq!(headers["x-amzn-requestid"], "req-1");
        assert_eq!(headers["content-type"], "application/json");
        let gateways = render(&ApiError::NotFound.response(), None);
        assert!(!gateways.headers().contains_key("x-amzn-requestid"));
    }
}
