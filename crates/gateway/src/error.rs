//! Turning an AWS error shape into a response. Each front door has one error enum in
//! `portico-events` (`UrlError`, `ServiceError`) and renders it here, in one place.

use http::{HeaderValue, Response, StatusCode};
use portico_events::ErrorResponse;

use crate::body::Body;

/// The response for `error`, with the request id headers AWS adds.
/// An HTTP API's own error answer, with the reason kept for the access log.
pub fn api(
    ctx: &mut crate::ctx::RequestCtx,
    error: portico_events::ApiError,
    why: impl Into<String>,
) -> Response<Body> {
    ctx.error = Some(why.into());
    render(&error.response(), &ctx.request_id)
}

/// A REST API's own answer (a gateway response), with the reason kept for the access log.
pub fn rest(
    ctx: &mut crate::ctx::RequestCtx,
    response: &portico_events::GatewayResponse,
    why: impl Into<String>,
) -> Response<Body> {
    ctx.error = Some(why.into());
    ctx.refusal = Some((response.clone(), None));
    render(&response.response(), &ctx.request_id)
}

/// A REST validator's refusal: as [`rest`], with its message kept for
/// `$context.error.validationErrorString`.
pub fn rest_validation(
    ctx: &mut crate::ctx::RequestCtx,
    response: portico_events::GatewayResponse,
    why: String,
) -> Response<Body> {
    let answer = rest(ctx, &response, why.clone());
    ctx.refusal = Some((response, Some(why)));
    answer
}

pub fn render(error: &ErrorResponse, request_id: &str) -> Response<Body> {
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
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert(portico_events::invoke_api::REQUEST_ID, id);
    }
    response
}
